// ONNX export: import -> export -> import gives the same graph with the same
// names, for small built models and for every shared test model; old IR
// versions list weights as inputs; opaque parts come back byte for byte;
// files are written atomically.
#include <cstdio>
#include <filesystem>

#include "frontends/onnx/onnx_export.h"
#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/structural_hash.h"

namespace gsopt::frontends::onnx {
namespace {

using ::onnx::AttributeProto;
using ::onnx::ModelProto;
using ::onnx::TensorProto;
using ::testing::HasSubstr;
using testing::AddFloatInitializer;
using testing::AddInput;
using testing::AddNode;
using testing::AddOutput;
using testing::MakeModel;
using testing::ScratchDir;

// Everything a name-preserving round trip must keep: value names of inputs,
// outputs and constants, and per node its name, op, domain and wiring by name.
std::vector<std::string> NameListing(const ir::Graph& graph) {
  std::vector<std::string> lines;
  auto name = [&](ir::ValueId id) { return id == ir::kNoValue ? std::string("<none>") : graph.value(id).name; };
  for (ir::ValueId id : graph.inputs()) lines.push_back("input " + name(id));
  for (ir::ValueId id : graph.outputs()) lines.push_back("output " + name(id));
  for (ir::ValueId id : graph.Initializers()) lines.push_back("constant " + name(id));
  for (ir::NodeId id : graph.LiveNodes()) {
    const ir::Node& node = graph.node(id);
    std::string line = "node " + node.name + " " + node.domain + "::" + node.op_type + " (";
    for (ir::ValueId in : node.inputs) line += name(in) + ",";
    line += ") -> (";
    for (ir::ValueId out : node.outputs) line += name(out) + ",";
    lines.push_back(line + ")");
  }
  return lines;
}

// Import -> export -> import; returns the problem, or "" when the graphs agree.
std::string RoundTripProblem(const ir::Graph& first, const std::string& model_dir) {
  absl::StatusOr<std::string> bytes = ExportModelBytes(first);
  if (!bytes.ok()) return "export failed: " + std::string(bytes.status().message());
  ImportOptions as_is;  // the first import's own strictness decided what got this far
  as_is.strict_shapes = false;
  absl::StatusOr<ir::Graph> second = ImportModelBytes(*bytes, model_dir, as_is);
  if (!second.ok()) return "re-import failed: " + std::string(second.status().message());
  if (!ir::StructurallyEqual(first, *second)) return "re-imported graph is not structurally equal";
  if (NameListing(first) != NameListing(*second)) return "names changed";
  const ir::ModelMetadata& a = first.metadata();
  const ir::ModelMetadata& b = second->metadata();
  if (a.opset_imports != b.opset_imports) return "opset imports changed";
  if (a.serialized_functions != b.serialized_functions) return "functions changed";
  if (a.serialized_training_info != b.serialized_training_info) return "training info changed";
  if (a.opaque_value_types != b.opaque_value_types) return "non-tensor value types changed";
  if (a.metadata_props != b.metadata_props || a.producer_name != b.producer_name || a.doc_string != b.doc_string) {
    return "model metadata changed";
  }
  for (ir::ValueId id = 0; id < first.num_values(); ++id) {
    std::optional<ir::ValueId> other = second->FindValue(first.value(id).name);
    if (!other) continue;  // values nothing defines or reads are not written
    if (first.value(id).type != second->value(*other).type) {
      return "type of '" + first.value(id).name + "' changed from " + first.value(id).type.ToString() + " to " +
             second->value(*other).type.ToString();
    }
  }
  return "";
}

ModelProto FeatureModel() {
  ModelProto model = MakeModel(/*ir_version=*/8, /*opset=*/13);
  model.set_producer_name("unit-test");
  auto* ms = model.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  auto* prop = model.add_metadata_props();
  prop->set_key("k");
  prop->set_value("v");
  model.add_functions()->set_name("LocalFn");
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {-2, 4}, {"batch"});
  AddFloatInitializer(g, "w", {4}, {1, 2, 3, 4});
  auto* ints = g->add_initializer();
  ints->set_name("shape");
  ints->set_data_type(TensorProto::INT64);
  ints->add_dims(2);
  ints->add_int64_data(-1);
  ints->add_int64_data(2);
  AddNode(g, "Mul", {"x", "w"}, {"m"}, "mul");
  AddNode(g, "Reshape", {"m", "shape"}, {"r"}, "reshape");
  auto* custom = AddNode(g, "Fancy", {"r", ""}, {"y", ""}, "", "com.microsoft");
  auto* attr = custom->add_attribute();
  attr->set_name("alpha");
  attr->set_type(AttributeProto::FLOAT);
  attr->set_f(0.25f);
  auto* graph_attr = custom->add_attribute();
  graph_attr->set_name("body");
  graph_attr->set_type(AttributeProto::GRAPH);
  AddNode(graph_attr->mutable_g(), "Identity", {"m"}, {"inner"});
  AddOutput(graph_attr->mutable_g(), "inner", TensorProto::FLOAT, {});
  auto* info = g->add_value_info();
  info->set_name("y");
  testing::SetTensorType(info->mutable_type()->mutable_sequence_type()->mutable_elem_type(), TensorProto::FLOAT, {});
  AddNode(g, "SequenceLength", {"y"}, {"n"}, "len");
  AddOutput(g, "n", TensorProto::INT64, {});
  AddOutput(g, "r", TensorProto::FLOAT, {-1, 2});
  return model;
}

TEST(OnnxExportTest, RoundTripKeepsStructureNamesAndOpaqueParts) {
  absl::StatusOr<ir::Graph> graph = ImportModelBytes(FeatureModel().SerializeAsString(), "");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(RoundTripProblem(*graph, ""), "");

  absl::StatusOr<std::string> bytes = ExportModelBytes(*graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ModelProto exported;
  ASSERT_TRUE(exported.ParseFromString(*bytes));
  EXPECT_EQ(exported.ir_version(), 8);
  EXPECT_EQ(exported.graph().input_size(), 1);  // IR 8: weights are not inputs
  EXPECT_EQ(exported.graph().initializer_size(), 2);
  for (const TensorProto& init : exported.graph().initializer()) EXPECT_TRUE(init.has_raw_data()) << init.name();
  EXPECT_EQ(exported.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  // The subgraph attribute is written back exactly as it was read.
  const ModelProto original = FeatureModel();
  const auto& fancy = exported.graph().node(2);
  ASSERT_EQ(fancy.op_type(), "Fancy");
  const AttributeProto* body = nullptr;
  for (const auto& a : fancy.attribute()) {
    if (a.name() == "body") body = &a;
  }
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->SerializeAsString(), original.graph().node(2).attribute(1).SerializeAsString());
  EXPECT_EQ(fancy.input(1), "");
  EXPECT_EQ(fancy.output(1), "");
  // Non-tensor value types come back in value_info; functions are restored.
  bool sequence_type_written = false;
  for (const auto& info : exported.graph().value_info()) {
    if (info.name() == "y") sequence_type_written = info.type().has_sequence_type();
  }
  EXPECT_TRUE(sequence_type_written);
  ASSERT_EQ(exported.functions_size(), 1);
  EXPECT_EQ(exported.functions(0).name(), "LocalFn");
}

TEST(OnnxExportTest, OldIrVersionsListWeightsAsInputs) {
  ModelProto model = MakeModel(/*ir_version=*/3, /*opset=*/9);
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddInput(g, "w", TensorProto::FLOAT, {2});
  AddFloatInitializer(g, "w", {2}, {1, 2});
  AddNode(g, "Add", {"x", "w"}, {"y"}, "add");
  AddOutput(g, "y", TensorProto::FLOAT, {2});
  absl::StatusOr<ir::Graph> graph = ImportModelBytes(model.SerializeAsString(), "");
  ASSERT_TRUE(graph.ok()) << graph.status();
  absl::StatusOr<std::string> bytes = ExportModelBytes(*graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ModelProto exported;
  ASSERT_TRUE(exported.ParseFromString(*bytes));
  EXPECT_EQ(exported.ir_version(), 3);
  ASSERT_EQ(exported.graph().input_size(), 2);
  EXPECT_EQ(exported.graph().input(1).name(), "w");
  EXPECT_EQ(RoundTripProblem(*graph, ""), "");

  graph->mutable_metadata().ir_version = 1;  // too old to carry opset imports
  absl::StatusOr<std::string> bumped = ExportModelBytes(*graph);
  ASSERT_TRUE(bumped.ok());
  ASSERT_TRUE(exported.ParseFromString(*bumped));
  EXPECT_EQ(exported.ir_version(), 3);
}

TEST(OnnxExportTest, BuiltGraphExportsEveryAttributeKind) {
  ir::Graph graph;
  ir::ValueId x = graph.AddInput("x", ir::TensorType{ir::DType::kFloat32, ir::Shape({ir::Dim(2), ir::Dim()})});
  ir::ValueId c = graph.AddInitializer("c", ir::Tensor::FromStrings({1}, {"s"}));
  ir::AttributeMap attributes = {
      {"i", ir::Attribute(int64_t{3})},
      {"f", ir::Attribute(1.5f)},
      {"s", ir::Attribute("text")},
      {"t", ir::Attribute(ir::Tensor::Scalar<int32_t>(4))},
      {"ints", ir::Attribute(std::vector<int64_t>{})},
      {"floats", ir::Attribute(std::vector<float>{0.5f})},
      {"strings", ir::Attribute(std::vector<std::string>{"a", "b"})},
      {"tensors", ir::Attribute(std::vector<ir::Tensor>{ir::Tensor::Scalar<float>(1.f)})},
  };
  ir::NodeId n = graph.AddNode("Op", {x, c}, {"y"}, attributes, "op", "my.domain");
  graph.AddOutput(graph.node(n).outputs[0]);
  EXPECT_EQ(RoundTripProblem(graph, ""), "");
  absl::StatusOr<std::string> bytes = ExportModelBytes(graph);
  ASSERT_TRUE(bytes.ok());
  ModelProto exported;
  ASSERT_TRUE(exported.ParseFromString(*bytes));
  EXPECT_EQ(exported.graph().initializer(0).string_data(0), "s");
  // The unknown dim is written as a dimension with neither value nor param.
  const auto& dim = exported.graph().input(0).type().tensor_type().shape().dim(1);
  EXPECT_FALSE(dim.has_dim_value());
  EXPECT_FALSE(dim.has_dim_param());
}

TEST(OnnxExportTest, GraphsReadingUndefinedValuesAreRefused) {
  absl::StatusOr<ir::Graph> graph = ImportModelBytes(FeatureModel().SerializeAsString(), "");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ir::Graph dangling = *graph;
  for (ir::NodeId id : dangling.LiveNodes()) {
    if (dangling.node(id).name == "mul") dangling.RemoveNode(id);  // 'm' loses its producer
  }
  EXPECT_THAT(ExportModelBytes(dangling).status().message(),
              HasSubstr("node 'reshape' (Reshape): input 'm' is not defined before it is read"));

  ir::Graph dead_output = *graph;
  ir::ValueId orphan = dead_output.AddValue("orphan");
  dead_output.AddOutput(orphan);
  EXPECT_THAT(ExportModelBytes(dead_output).status().message(),
              HasSubstr("graph output 'orphan' is not defined by any node, input or constant"));
}

TEST(OnnxExportTest, ExportFileIsAtomic) {
  ScratchDir dir;
  absl::StatusOr<ir::Graph> graph = ImportModelBytes(FeatureModel().SerializeAsString(), "");
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::string path = dir.File("out.onnx");
  ASSERT_TRUE(ExportModelFile(*graph, path).ok());
  absl::StatusOr<ir::Graph> back = ImportModelFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(ir::StructurallyEqual(*graph, *back));

  // A graph that cannot be exported leaves the existing file as it was.
  std::string before = *ExportModelBytes(*graph);
  ir::Graph broken = *graph;
  broken.SetConstant(*broken.FindValue("w"), ir::Tensor());
  absl::Status failed = ExportModelFile(broken, path);
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.message(), HasSubstr("out.onnx: tensor 'w' is undefined"));
  std::ifstream in(path, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, before);
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"out.onnx"});

  // rename() onto a directory fails: the temporary file is cleaned up.
  std::filesystem::create_directory(dir.File("taken"));
  absl::Status onto_dir = ExportModelFile(*graph, dir.File("taken"));
  EXPECT_THAT(onto_dir.message(), HasSubstr("cannot replace the file"));
  EXPECT_EQ(dir.Entries(), (std::vector<std::string>{"out.onnx", "taken"}));

  absl::Status no_dir = ExportModelFile(*graph, dir.File("missing/out.onnx"));
  EXPECT_THAT(no_dir.message(), HasSubstr("cannot create a temporary file"));
}

// ---- the shared model corpus ----

const char kSharedModels[] = "../shared/models";

std::vector<std::string> OnnxFilesIn(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".onnx") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Corpus files are carried as they are, as `gsopt convert` does: two of them
// are valid only after ONNX Runtime's own fusions rewrite them, which the
// strict shape checks (right for running a model) reject.
absl::StatusOr<ir::Graph> ImportAsIs(const std::string& file) {
  ImportOptions options;
  options.strict_shapes = false;
  return ImportModelFile(file, options);
}

// Imports and round-trips every .onnx file of one corpus folder.
void CheckCorpus(const std::string& name, size_t expected_count) {
  std::string folder = std::string(kSharedModels) + "/" + name;
  if (!std::filesystem::is_directory(folder)) GTEST_SKIP() << "shared model folder missing: " << folder;
  std::vector<std::string> files = OnnxFilesIn(folder);
  EXPECT_EQ(files.size(), expected_count) << folder;
  int imported = 0, round_tripped = 0;
  for (const std::string& file : files) {
    absl::StatusOr<ir::Graph> graph = ImportAsIs(file);
    if (!graph.ok()) {
      ADD_FAILURE() << "import failed: " << graph.status();
      continue;
    }
    ++imported;
    std::string problem = RoundTripProblem(*graph, std::filesystem::path(file).parent_path().string());
    if (problem.empty()) {
      ++round_tripped;
    } else {
      ADD_FAILURE() << file << ": " << problem;
    }
  }
  std::printf("%s: %zu models, %d imported, %d round-tripped\n", name.c_str(), files.size(), imported,
              round_tripped);
}

TEST(OnnxCorpusTest, OnnxLightModels) { CheckCorpus("onnx-light", 5); }
TEST(OnnxCorpusTest, OrtTestdataModels) { CheckCorpus("ort-testdata", 6); }
TEST(OnnxCorpusTest, OrtTransformTestModels) { CheckCorpus("ort-transform-tests", 226); }

// The ONNX backend node tests: one model per op and variant, opsets 1..newest.
TEST(OnnxCorpusTest, OnnxBackendNodeTestModels) {
  const std::string root = "/usr/share/libonnx-testdata/data/node";
  if (!std::filesystem::is_directory(root)) GTEST_SKIP() << "ONNX backend test data missing: " << root;
  int models = 0, round_tripped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    std::string file = (entry.path() / "model.onnx").string();
    if (!std::filesystem::exists(file)) continue;
    ++models;
    absl::StatusOr<ir::Graph> graph = ImportAsIs(file);
    if (!graph.ok()) {
      ADD_FAILURE() << graph.status();
      continue;
    }
    std::string problem = RoundTripProblem(*graph, entry.path().string());
    if (problem.empty()) {
      ++round_tripped;
    } else {
      ADD_FAILURE() << file << ": " << problem;
    }
  }
  EXPECT_GT(models, 0);
  std::printf("onnx backend node tests: %d models, %d imported and round-tripped\n", models, round_tripped);
}

TEST(OnnxCorpusTest, UnsortedBertIsSortedOnImport) {
  std::string file = std::string(kSharedModels) + "/ort-testdata/bert_toy_optimized.onnx";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "shared model missing: " << file;
  absl::StatusOr<ir::Graph> graph = ImportModelFile(file);
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::vector<bool> defined(static_cast<size_t>(graph->num_values()), false);
  for (ir::ValueId id = 0; id < graph->num_values(); ++id) {
    defined[static_cast<size_t>(id)] = graph->value(id).producer == ir::kNoNode;
  }
  for (ir::NodeId id : graph->LiveNodes()) {
    for (ir::ValueId in : graph->node(id).inputs) {
      if (in == ir::kNoValue) continue;
      EXPECT_TRUE(defined[static_cast<size_t>(in)]) << graph->node(id).Describe();
    }
    for (ir::ValueId out : graph->node(id).outputs) {
      if (out != ir::kNoValue) defined[static_cast<size_t>(out)] = true;
    }
  }
}

// Exports every shared model and has the reference onnx.checker judge each
// export whose original it accepts (check_onnx_exports.py, one Python run).
TEST(OnnxCorpusTest, ExportsPassTheOnnxChecker) {
  if (!std::filesystem::is_directory(kSharedModels)) GTEST_SKIP() << "shared model folder missing: " << kSharedModels;
  const std::string script = "frontends/onnx/check_onnx_exports.py";
  if (!std::filesystem::exists(script)) GTEST_SKIP() << "checker script not found (run from the repo root)";
  if (std::system("python3 -c 'import onnx' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 with onnx not available";
  ScratchDir dir;
  std::ofstream manifest(dir.File("manifest.tsv"));
  int exported = 0;
  for (const char* corpus : {"onnx-light", "ort-testdata", "ort-transform-tests"}) {
    std::string folder = std::string(kSharedModels) + "/" + corpus;
    if (!std::filesystem::is_directory(folder)) continue;
    for (const std::string& source : OnnxFilesIn(folder)) {
      absl::StatusOr<ir::Graph> graph = ImportAsIs(source);
      ASSERT_TRUE(graph.ok()) << graph.status();
      std::string out = dir.File(std::string(corpus) + "__" + std::filesystem::path(source).filename().string());
      ASSERT_TRUE(ExportModelFile(*graph, out).ok()) << source;
      manifest << source << "\t" << out << "\n";
      ++exported;
    }
  }
  manifest.close();
  ASSERT_GT(exported, 0);
  std::string command = "python3 " + script + " '" + dir.File("manifest.tsv") + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << "onnx.checker rejected exports (see the lines above)";
}

}  // namespace
}  // namespace gsopt::frontends::onnx
