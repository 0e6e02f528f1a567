// ONNX import: what real files contain (weights listed as inputs, Constant
// nodes, symbolic and unknown dims, foreign ops and domains, subgraphs,
// non-tensor types, functions, unsorted nodes) and every kind of bad file,
// each checked for an error message that names the file and the culprit.
#include <filesystem>

#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gsopt::frontends::onnx {
namespace {

using ::onnx::AttributeProto;
using ::onnx::ModelProto;
using ::onnx::TensorProto;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::AddFloatInitializer;
using testing::AddInput;
using testing::AddNode;
using testing::AddOutput;
using testing::MakeModel;
using testing::ScratchDir;

absl::StatusOr<ir::Graph> Import(const ModelProto& model, const ImportOptions& options = {}) {
  return ImportModelBytes(model.SerializeAsString(), "", options);
}

const ir::Node& NodeNamed(const ir::Graph& graph, const std::string& name) {
  for (ir::NodeId id : graph.LiveNodes()) {
    if (graph.node(id).name == name) return graph.node(id);
  }
  ADD_FAILURE() << "no node " << name;
  static const ir::Node kNone;
  return kNone;
}

// x[batch,3] -> Relu(name 'relu1') -> y, plus Add with weight w.
ModelProto SmallModel() {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {-2, 3}, {"batch"});
  AddFloatInitializer(g, "w", {3}, {1, 2, 3});
  AddNode(g, "Add", {"x", "w"}, {"sum"}, "add1");
  AddNode(g, "Relu", {"sum"}, {"y"}, "relu1");
  AddOutput(g, "y", TensorProto::FLOAT, {});
  g->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  return model;
}

TEST(OnnxImportTest, ImportsNodesValuesAndTypes) {
  absl::StatusOr<ir::Graph> graph = Import(SmallModel());
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->inputs().size(), 1u);
  const ir::Value& x = graph->value(graph->inputs()[0]);
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.type.dtype, ir::DType::kFloat32);
  EXPECT_EQ(x.type.shape.ToString(), "[batch,3]");
  std::optional<ir::ValueId> w = graph->FindValue("w");
  ASSERT_TRUE(w.has_value());
  EXPECT_TRUE(graph->value(*w).is_constant());
  EXPECT_EQ(graph->value(*w).initializer->data<float>()[2], 3.f);
  ASSERT_EQ(graph->num_live_nodes(), 2);
  EXPECT_EQ(NodeNamed(*graph, "add1").op_type, "Add");
  ASSERT_EQ(graph->outputs().size(), 1u);
  EXPECT_EQ(graph->value(graph->outputs()[0]).name, "y");
  EXPECT_EQ(graph->value(graph->outputs()[0]).type.dtype, ir::DType::kFloat32);
  EXPECT_EQ(graph->metadata().opset_imports.at(""), 17);
  EXPECT_EQ(graph->metadata().graph_name, "test_graph");
}

TEST(OnnxImportTest, FileImportNamesTheFileInErrorsAndReadsIt) {
  ScratchDir dir;
  std::string path = dir.Write("good.onnx", SmallModel().SerializeAsString());
  absl::StatusOr<ir::Graph> graph = ImportModelFile(path);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->num_live_nodes(), 2);
}

TEST(OnnxImportTest, WeightsListedAsInputsBecomeConstants) {
  ModelProto model = MakeModel(/*ir_version=*/3, /*opset=*/9);
  auto* g = model.mutable_graph();
  AddInput(g, "W", TensorProto::FLOAT, {2});  // old style: the weight is also an input
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddFloatInitializer(g, "W", {2}, {0.5f, 0.25f});
  AddNode(g, "Mul", {"x", "W"}, {"y"}, "mul");
  AddOutput(g, "y", TensorProto::FLOAT, {2});
  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->inputs().size(), 1u);
  EXPECT_EQ(graph->value(graph->inputs()[0]).name, "x");
  EXPECT_TRUE(graph->value(*graph->FindValue("W")).is_constant());
  EXPECT_EQ(graph->metadata().ir_version, 3);
}

TEST(OnnxImportTest, ConstantNodesStayNodes) {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  auto* c = AddNode(g, "Constant", {}, {"c"}, "const");
  auto* attr = c->add_attribute();
  attr->set_name("value");
  attr->set_type(AttributeProto::TENSOR);
  attr->mutable_t()->set_data_type(TensorProto::INT64);
  attr->mutable_t()->add_dims(2);
  attr->mutable_t()->add_int64_data(4);
  attr->mutable_t()->add_int64_data(5);
  AddOutput(g, "c", TensorProto::INT64, {2});
  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const ir::Node& node = NodeNamed(*graph, "const");
  EXPECT_EQ(node.op_type, "Constant");
  const ir::Attribute* value = node.FindAttribute("value");
  ASSERT_NE(value, nullptr);
  ASSERT_TRUE(value->is<ir::Tensor>());
  EXPECT_EQ(value->get<ir::Tensor>().data<int64_t>()[1], 5);
  EXPECT_FALSE(graph->value(*graph->FindValue("c")).is_constant());
}

TEST(OnnxImportTest, SymbolicUnknownAndMinusOneDims) {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  auto* x = AddInput(g, "x", TensorProto::FLOAT, {-2, -1, 4}, {"n"});
  x->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(-1);
  auto* r = AddInput(g, "r", TensorProto::FLOAT, {});
  r->mutable_type()->mutable_tensor_type()->clear_shape();  // unknown rank
  auto* untyped = g->add_input();
  untyped->set_name("u");  // no type at all
  AddNode(g, "Foo", {"x", "r", "u"}, {"y"}, "foo", "custom.domain");
  AddOutput(g, "y", TensorProto::FLOAT, {});
  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->value(*graph->FindValue("x")).type.shape.ToString(), "[n,?,4,?]");
  EXPECT_FALSE(graph->value(*graph->FindValue("r")).type.shape.rank_known());
  EXPECT_EQ(graph->value(*graph->FindValue("u")).type, ir::TensorType{});
}

TEST(OnnxImportTest, ForeignOpsKeepEveryAttributeKind) {
  ModelProto model = MakeModel();
  auto* import = model.add_opset_import();
  import->set_domain("com.microsoft");
  import->set_version(1);
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {2});
  auto* node = AddNode(g, "FusedThing", {"x", ""}, {"y", ""}, "fused", "com.microsoft");
  node->set_doc_string("made by a test");
  auto add = [&](const std::string& name, AttributeProto::AttributeType type) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  };
  add("i", AttributeProto::INT)->set_i(-3);
  add("f", AttributeProto::FLOAT)->set_f(0.5f);
  add("s", AttributeProto::STRING)->set_s("mode");
  auto* t = add("t", AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(TensorProto::FLOAT);
  t->add_float_data(2.0f);
  auto* ints = add("ints", AttributeProto::INTS);
  ints->add_ints(1);
  ints->add_ints(2);
  add("floats", AttributeProto::FLOATS)->add_floats(1.5f);
  add("strings", AttributeProto::STRINGS)->add_strings("a");
  auto* tensors = add("tensors", AttributeProto::TENSORS)->add_tensors();
  tensors->set_data_type(TensorProto::INT32);
  tensors->add_int32_data(7);
  add("empty_ints", AttributeProto::INTS);
  auto* sparse = add("sparse", AttributeProto::SPARSE_TENSOR)->mutable_sparse_tensor();
  sparse->add_dims(4);
  auto* tp = add("tp", AttributeProto::TYPE_PROTO)->mutable_tp();
  tp->mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);
  auto* legacy = node->add_attribute();  // type left out, as very old files do
  legacy->set_name("legacy");
  legacy->set_i(9);
  AddOutput(g, "y", TensorProto::FLOAT, {2});

  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->metadata().opset_imports.at("com.microsoft"), 1);
  const ir::Node& n = NodeNamed(*graph, "fused");
  EXPECT_EQ(n.domain, "com.microsoft");
  EXPECT_EQ(n.doc_string, "made by a test");
  ASSERT_EQ(n.inputs.size(), 2u);
  EXPECT_EQ(n.inputs[1], ir::kNoValue);
  ASSERT_EQ(n.outputs.size(), 2u);
  EXPECT_EQ(n.outputs[1], ir::kNoValue);
  EXPECT_EQ(n.GetInt("i", 0), -3);
  EXPECT_EQ(n.GetFloat("f", 0), 0.5f);
  EXPECT_EQ(n.GetString("s", ""), "mode");
  EXPECT_EQ(n.FindAttribute("t")->get<ir::Tensor>().data<float>()[0], 2.0f);
  EXPECT_EQ(n.GetInts("ints"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(n.GetFloats("floats"), (std::vector<float>{1.5f}));
  EXPECT_EQ(n.FindAttribute("strings")->get<std::vector<std::string>>(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(n.FindAttribute("tensors")->get<std::vector<ir::Tensor>>().at(0).data<int32_t>()[0], 7);
  EXPECT_EQ(n.FindAttribute("empty_ints")->kind(), ir::AttributeKind::kInts);
  EXPECT_EQ(n.FindAttribute("sparse")->kind(), ir::AttributeKind::kOpaque);
  EXPECT_EQ(n.FindAttribute("tp")->kind(), ir::AttributeKind::kOpaque);
  EXPECT_EQ(n.GetInt("legacy", 0), 9);
  AttributeProto reparsed;
  ASSERT_TRUE(reparsed.ParseFromString(n.FindAttribute("sparse")->get<ir::OpaqueAttribute>().serialized_proto));
  EXPECT_EQ(reparsed.name(), "sparse");
  EXPECT_EQ(reparsed.sparse_tensor().dims(0), 4);
}

// If(cond) { then: Add(x, a) where a is local; else: Loop whose body reads z }.
ModelProto ModelWithSubgraphs() {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  AddInput(g, "cond", TensorProto::BOOL, {});
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddNode(g, "Neg", {"x"}, {"z"}, "neg");
  auto* if_node = AddNode(g, "If", {"cond"}, {"out"}, "if");
  auto* then_attr = if_node->add_attribute();
  then_attr->set_name("then_branch");
  then_attr->set_type(AttributeProto::GRAPH);
  auto* then_graph = then_attr->mutable_g();
  then_graph->set_name("then");
  AddNode(then_graph, "Identity", {"x"}, {"a"});
  AddNode(then_graph, "Add", {"x", "a"}, {"then_out"});
  AddOutput(then_graph, "then_out", TensorProto::FLOAT, {2});
  auto* else_attr = if_node->add_attribute();
  else_attr->set_name("else_branch");
  else_attr->set_type(AttributeProto::GRAPH);
  auto* else_graph = else_attr->mutable_g();
  else_graph->set_name("else");
  auto* loop = AddNode(else_graph, "Loop", {"", ""}, {"else_out"});
  auto* body_attr = loop->add_attribute();
  body_attr->set_name("body");
  body_attr->set_type(AttributeProto::GRAPH);
  auto* body = body_attr->mutable_g();
  AddInput(body, "i", TensorProto::INT64, {});
  AddNode(body, "Mul", {"z", "i"}, {"body_out"});
  AddOutput(body, "body_out", TensorProto::FLOAT, {2});
  AddOutput(else_graph, "else_out", TensorProto::FLOAT, {2});
  AddOutput(g, "out", TensorProto::FLOAT, {2});
  return model;
}

TEST(OnnxImportTest, SubgraphsAreOpaqueWithTheirOuterScopeReads) {
  absl::StatusOr<ir::Graph> graph = Import(ModelWithSubgraphs());
  ASSERT_TRUE(graph.ok()) << graph.status();
  const ir::Node& if_node = NodeNamed(*graph, "if");
  const ir::Attribute* then_branch = if_node.FindAttribute("then_branch");
  ASSERT_NE(then_branch, nullptr);
  ASSERT_TRUE(then_branch->is<ir::OpaqueAttribute>());
  EXPECT_THAT(then_branch->get<ir::OpaqueAttribute>().outer_scope_inputs, ElementsAre("x"));
  EXPECT_THAT(if_node.FindAttribute("else_branch")->get<ir::OpaqueAttribute>().outer_scope_inputs,
              ElementsAre("z"));
  std::vector<ir::ValueId> implicit = graph->ImplicitInputs(if_node);
  std::vector<std::string> names;
  for (ir::ValueId id : implicit) names.push_back(graph->value(id).name);
  EXPECT_THAT(names, ElementsAre("z", "x"));  // attributes in name order: else, then
}

TEST(OnnxImportTest, SubgraphReadingAnUndefinedValueIsAnError) {
  ModelProto model = ModelWithSubgraphs();
  // The else branch's loop body now reads 'ghost', defined nowhere.
  auto* body = model.mutable_graph()->mutable_node(1)->mutable_attribute(1)->mutable_g()->mutable_node(0)
                   ->mutable_attribute(0)->mutable_g();
  body->mutable_node(0)->set_input(0, "ghost");
  absl::Status status = Import(model).status();
  EXPECT_THAT(status.message(),
              HasSubstr("in-memory model: node 'if' (If): subgraph attribute 'else_branch' reads 'ghost', "
                        "which is not defined"));
}

TEST(OnnxImportTest, NonTensorTypesAreKept) {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddNode(g, "SequenceConstruct", {"x", "x"}, {"seq"}, "make_seq");
  AddNode(g, "SequenceLength", {"seq"}, {"len"}, "seq_len");
  auto* info = g->add_value_info();
  info->set_name("seq");
  testing::SetTensorType(info->mutable_type()->mutable_sequence_type()->mutable_elem_type(), TensorProto::FLOAT,
                         {2});
  auto* opt_input = g->add_input();
  opt_input->set_name("maybe");
  testing::SetTensorType(opt_input->mutable_type()->mutable_optional_type()->mutable_elem_type(),
                         TensorProto::FLOAT, {});
  AddOutput(g, "len", TensorProto::INT64, {});
  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const auto& opaque = graph->metadata().opaque_value_types;
  ASSERT_TRUE(opaque.contains("seq"));
  ASSERT_TRUE(opaque.contains("maybe"));
  ::onnx::TypeProto seq_type;
  ASSERT_TRUE(seq_type.ParseFromString(opaque.at("seq")));
  EXPECT_TRUE(seq_type.has_sequence_type());
  EXPECT_EQ(graph->inputs().size(), 2u);
}

TEST(OnnxImportTest, ModelFactsFunctionsAndTrainingInfoAreKept) {
  ModelProto model = SmallModel();
  model.set_producer_name("unit-test");
  model.set_producer_version("1.0");
  model.set_domain("org.test");
  model.set_model_version(7);
  model.set_doc_string("model doc");
  model.mutable_graph()->set_doc_string("graph doc");
  auto* prop = model.add_metadata_props();
  prop->set_key("author");
  prop->set_value("me");
  auto* function = model.add_functions();
  function->set_name("MyFn");
  function->set_domain("local");
  model.add_training_info()->mutable_algorithm()->set_name("train");
  auto* ai_onnx = model.mutable_opset_import(0);
  ai_onnx->set_domain("ai.onnx");  // same as ""
  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const ir::ModelMetadata& meta = graph->metadata();
  EXPECT_EQ(meta.producer_name, "unit-test");
  EXPECT_EQ(meta.producer_version, "1.0");
  EXPECT_EQ(meta.domain, "org.test");
  EXPECT_EQ(meta.model_version, 7);
  EXPECT_EQ(meta.doc_string, "model doc");
  EXPECT_EQ(meta.graph_doc_string, "graph doc");
  ASSERT_EQ(meta.metadata_props.size(), 1u);
  EXPECT_EQ(meta.metadata_props[0], std::make_pair(std::string("author"), std::string("me")));
  ASSERT_EQ(meta.serialized_functions.size(), 1u);
  EXPECT_EQ(meta.serialized_functions[0], model.functions(0).SerializeAsString());
  ASSERT_EQ(meta.serialized_training_info.size(), 1u);
  EXPECT_EQ(meta.opset_imports.size(), 1u);
  EXPECT_EQ(graph->OpsetVersion(""), 17);
}

TEST(OnnxImportTest, UnsortedNodesAreSorted) {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddNode(g, "Relu", {"b"}, {"y"}, "last");
  AddNode(g, "Neg", {"a"}, {"b"}, "middle");
  AddNode(g, "Abs", {"x"}, {"a"}, "first");
  AddOutput(g, "y", TensorProto::FLOAT, {2});
  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::vector<std::string> order;
  for (ir::NodeId id : graph->LiveNodes()) order.push_back(graph->node(id).name);
  EXPECT_THAT(order, ElementsAre("first", "middle", "last"));
}

TEST(OnnxImportTest, InputShapesOverrideDeclaredDims) {
  ImportOptions options;
  options.input_shapes["x"] = {8, 3};
  absl::StatusOr<ir::Graph> graph = Import(SmallModel(), options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->value(graph->inputs()[0]).type.shape.ToString(), "[8,3]");

  ImportOptions wrong_name;
  wrong_name.input_shapes["w"] = {3};  // an initializer, not a runtime input
  EXPECT_THAT(Import(SmallModel(), wrong_name).status().message(),
              HasSubstr("input shape given for 'w', which is not a runtime graph input"));
  ImportOptions wrong_rank;
  wrong_rank.input_shapes["x"] = {8, 3, 1};
  EXPECT_THAT(Import(SmallModel(), wrong_rank).status().message(),
              HasSubstr("input shape for 'x' has rank 3 but the model declares [batch,3] (rank 2)"));
  ImportOptions negative;
  negative.input_shapes["x"] = {-1, 3};
  EXPECT_THAT(Import(SmallModel(), negative).status().message(), HasSubstr("invalid dim -1"));
}

TEST(OnnxImportTest, SparseInitializersAreDensified) {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  auto* sparse = g->add_sparse_initializer();
  sparse->add_dims(2);
  sparse->add_dims(3);
  auto* values = sparse->mutable_values();
  values->set_name("s");
  values->set_data_type(TensorProto::FLOAT);
  values->add_dims(2);
  values->add_float_data(5.f);
  values->add_float_data(7.f);
  auto* indices = sparse->mutable_indices();
  indices->set_data_type(TensorProto::INT64);
  indices->add_dims(2);
  indices->add_int64_data(1);
  indices->add_int64_data(5);
  AddNode(g, "Identity", {"s"}, {"y"}, "id");
  AddOutput(g, "y", TensorProto::FLOAT, {2, 3});
  absl::StatusOr<ir::Graph> graph = Import(model);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const ir::Tensor& dense = *graph->value(*graph->FindValue("s")).initializer;
  EXPECT_EQ(dense.dims(), (std::vector<int64_t>{2, 3}));
  std::vector<float> got(dense.data<float>(), dense.data<float>() + 6);
  EXPECT_EQ(got, (std::vector<float>{0, 5, 0, 0, 0, 7}));
}

TEST(OnnxImportTest, ModelsOverProtobufsDefault64MiBLimitLoad) {
  ScratchDir dir;
  ModelProto model = SmallModel();
  const int64_t count = int64_t{18} << 20;  // 72 MiB of floats
  auto* big = model.mutable_graph()->add_initializer();
  big->set_name("big");
  big->set_data_type(TensorProto::FLOAT);
  big->add_dims(count);
  big->mutable_raw_data()->assign(static_cast<size_t>(count) * 4, '\1');
  std::string path = dir.Write("big.onnx", model.SerializeAsString());
  model.Clear();
  absl::StatusOr<ir::Graph> graph = ImportModelFile(path);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->value(*graph->FindValue("big")).initializer->num_elements(), count);
}

TEST(OnnxImportTest, FilesOverTwoGiBAreRefusedWithAReason) {
  ScratchDir dir;
  std::string path = dir.File("huge.onnx");
  std::ofstream(path) << "x";
  std::filesystem::resize_file(path, (uintmax_t{1} << 31) + 16);  // sparse: no disk used
  absl::Status status = ImportModelFile(path).status();
  EXPECT_THAT(status.message(), HasSubstr("huge.onnx: file is 2147483664 bytes; a protobuf message cannot exceed 2 GiB"));
}

// ---- bad input: every case is an error naming the file and the culprit ----

class BadModelTest : public ::testing::Test {
 protected:
  std::string ImportError(const ModelProto& model) {
    std::string path = dir_.Write("model.onnx", model.SerializeAsString());
    absl::StatusOr<ir::Graph> graph = ImportModelFile(path);
    EXPECT_FALSE(graph.ok());
    std::string message(graph.status().message());
    EXPECT_THAT(message, HasSubstr("model.onnx: "));
    return message;
  }

  ScratchDir dir_;
};

TEST_F(BadModelTest, MissingEmptyTruncatedAndForeignFiles) {
  absl::Status missing = ImportModelFile(dir_.File("absent.onnx")).status();
  EXPECT_THAT(missing.message(), HasSubstr("absent.onnx: cannot open"));
  EXPECT_THAT(ImportModelFile(dir_.Write("empty.onnx", "")).status().message(), HasSubstr("empty.onnx: file is empty"));
  std::string full = SmallModel().SerializeAsString();
  std::string truncated = dir_.Write("cut.onnx", full.substr(0, full.size() - 7));
  EXPECT_THAT(ImportModelFile(truncated).status().message(), HasSubstr("cut.onnx: not a valid ONNX model"));
  std::string garbage = dir_.Write("garbage.onnx", std::string("\x0a\xff\xff\xff\xff\x0f", 6));
  EXPECT_THAT(ImportModelFile(garbage).status().message(), HasSubstr("garbage.onnx: not a valid ONNX model"));
  // Text that happens to parse as protobuf fields, but holds no graph.
  std::string text = dir_.Write("notes.txt.onnx", std::string("\x08\x01", 2));
  EXPECT_THAT(ImportModelFile(text).status().message(), HasSubstr("notes.txt.onnx: the model has no graph"));
  EXPECT_THAT(ImportModelFile(dir_.path()).status().message(), HasSubstr("is a directory"));
  EXPECT_THAT(ImportModelBytes("", "").status().message(), HasSubstr("in-memory model: no bytes"));
}

TEST_F(BadModelTest, CyclicGraph) {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddNode(g, "Add", {"x", "b"}, {"a"}, "n1");
  AddNode(g, "Neg", {"a"}, {"b"}, "n2");
  AddOutput(g, "b", TensorProto::FLOAT, {2});
  std::string message = ImportError(model);
  EXPECT_THAT(message, HasSubstr("graph has a cycle through node"));
}

TEST_F(BadModelTest, DanglingInput) {
  ModelProto model = MakeModel();
  auto* g = model.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {1, 3, 8, 8});
  AddNode(g, "Conv", {"x", "w9"}, {"y"}, "conv3");
  AddOutput(g, "y", TensorProto::FLOAT, {});
  EXPECT_THAT(ImportError(model), HasSubstr("model.onnx: node 'conv3' (Conv): input 'w9' is not defined"));
}

TEST_F(BadModelTest, DuplicateDefinitions) {
  ModelProto twice = MakeModel();
  auto* g = twice.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddNode(g, "Neg", {"x"}, {"a"}, "first");
  AddNode(g, "Abs", {"x"}, {"a"}, "second");
  AddOutput(g, "a", TensorProto::FLOAT, {2});
  EXPECT_THAT(ImportError(twice),
              HasSubstr("node 'second' (Abs): output 'a' is already defined by node 'first' (Neg)"));

  ModelProto over_input = MakeModel();
  g = over_input.mutable_graph();
  AddInput(g, "x", TensorProto::FLOAT, {2});
  AddNode(g, "Neg", {"x"}, {"x"});
  AddOutput(g, "x", TensorProto::FLOAT, {2});
  EXPECT_THAT(ImportError(over_input), HasSubstr("node #0 (Neg): output 'x' is already defined by a graph input"));

  ModelProto over_weight = SmallModel();
  AddNode(over_weight.mutable_graph(), "Neg", {"x"}, {"w"}, "shadow");
  EXPECT_THAT(ImportError(over_weight), HasSubstr("node 'shadow' (Neg): output 'w' is already defined by an initializer"));

  ModelProto two_weights = SmallModel();
  AddFloatInitializer(two_weights.mutable_graph(), "w", {1}, {1});
  EXPECT_THAT(ImportError(two_weights), HasSubstr("initializer 'w' is defined twice"));

  ModelProto two_inputs = SmallModel();
  AddInput(two_inputs.mutable_graph(), "x", TensorProto::FLOAT, {2});
  EXPECT_THAT(ImportError(two_inputs), HasSubstr("graph input 'x' is listed twice"));
}

TEST_F(BadModelTest, GraphOutputNeverProduced) {
  ModelProto model = SmallModel();
  AddOutput(model.mutable_graph(), "nowhere", TensorProto::FLOAT, {});
  EXPECT_THAT(ImportError(model), HasSubstr("graph output 'nowhere' is not produced by any node"));
}

TEST_F(BadModelTest, UnknownDtypeCodes) {
  ModelProto in_initializer = SmallModel();
  in_initializer.mutable_graph()->mutable_initializer(0)->set_data_type(77);
  EXPECT_THAT(ImportError(in_initializer), HasSubstr("model.onnx: tensor 'w': unknown data type code 77"));

  ModelProto in_type = SmallModel();
  in_type.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(1234);
  EXPECT_THAT(ImportError(in_type), HasSubstr("value 'x' has unknown element type code 1234"));

  ModelProto in_attribute = SmallModel();
  auto* attr = in_attribute.mutable_graph()->mutable_node(0)->add_attribute();
  attr->set_name("value");
  attr->set_type(AttributeProto::TENSOR);
  attr->mutable_t()->set_data_type(55);
  EXPECT_THAT(ImportError(in_attribute), HasSubstr("node 'add1' (Add): attribute 'value': unnamed tensor: unknown data type code 55"));
}

TEST_F(BadModelTest, NegativeAndAbsurdDims) {
  ModelProto negative = SmallModel();
  negative.mutable_graph()->mutable_initializer(0)->set_dims(0, -3);
  EXPECT_THAT(ImportError(negative), HasSubstr("tensor 'w': has negative dim -3"));

  ModelProto huge = SmallModel();
  huge.mutable_graph()->mutable_initializer(0)->set_dims(0, int64_t{1} << 50);
  EXPECT_THAT(ImportError(huge), HasSubstr("tensor 'w': dim 1125899906842624 exceeds"));

  ModelProto too_many = SmallModel();
  auto* w = too_many.mutable_graph()->mutable_initializer(0);
  w->set_dims(0, int64_t{1} << 25);
  w->add_dims(int64_t{1} << 25);
  EXPECT_THAT(ImportError(too_many), HasSubstr("tensor 'w': the product of its 2 dims exceeds"));

  ModelProto huge_type = SmallModel();
  huge_type.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()
      ->mutable_dim(1)->set_dim_value(int64_t{1} << 45);
  EXPECT_THAT(ImportError(huge_type), HasSubstr("value 'x' has dim 35184372088832, larger than"));
}

TEST_F(BadModelTest, SparseInitializerClaimingHugeDims) {
  ModelProto model = SmallModel();
  auto* sparse = model.mutable_graph()->add_sparse_initializer();
  sparse->add_dims(int64_t{1} << 39);
  auto* values = sparse->mutable_values();
  values->set_name("s");
  values->set_data_type(TensorProto::FLOAT);
  values->add_dims(1);
  values->add_float_data(1.f);
  auto* indices = sparse->mutable_indices();
  indices->set_data_type(TensorProto::INT64);
  indices->add_dims(1);
  indices->add_int64_data(3);
  EXPECT_THAT(ImportError(model), HasSubstr("sparse initializer 's': dense form would exceed"));
}

TEST_F(BadModelTest, RawDataSizeMismatch) {
  ModelProto model = SmallModel();
  auto* w = model.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_raw_data(std::string(11, '\0'));
  EXPECT_THAT(ImportError(model), HasSubstr("model.onnx: tensor 'w': raw_data has 11 bytes, expected 12"));
}

TEST_F(BadModelTest, ExternalDataEscapingOrShort) {
  std::ofstream(dir_.File("w.bin"), std::ios::binary) << std::string(8, '\0');
  auto with_external = [](const std::string& location, const std::string& offset) {
    ModelProto model = SmallModel();
    auto* w = model.mutable_graph()->mutable_initializer(0);
    w->clear_float_data();
    w->set_data_location(TensorProto::EXTERNAL);
    auto* loc = w->add_external_data();
    loc->set_key("location");
    loc->set_value(location);
    auto* off = w->add_external_data();
    off->set_key("offset");
    off->set_value(offset);
    return model;
  };
  EXPECT_THAT(ImportError(with_external("../../etc/passwd", "0")),
              HasSubstr("model.onnx: tensor 'w': external data location '../../etc/passwd' leaves the model folder"));
  EXPECT_THAT(ImportError(with_external("/etc/passwd", "0")), HasSubstr("is an absolute path"));
  EXPECT_THAT(ImportError(with_external("w.bin", "0")),
              HasSubstr("tensor 'w': external data needs bytes [0, 12) of 'w.bin', but the file has 8 bytes"));
  ModelProto fits = with_external("w.bin", "0");
  fits.mutable_graph()->mutable_initializer(0)->set_dims(0, 2);
  std::string path = dir_.Write("fits.onnx", fits.SerializeAsString());
  ImportOptions carry_as_is;  // the shrunken weight no longer fits the Add; only the data matters here
  carry_as_is.strict_shapes = false;
  absl::StatusOr<ir::Graph> graph = ImportModelFile(path, carry_as_is);
  EXPECT_TRUE(graph.ok()) << graph.status();
}

TEST_F(BadModelTest, NodesWithoutOpTypeOrNames) {
  ModelProto no_op = SmallModel();
  no_op.mutable_graph()->mutable_node(1)->clear_op_type();
  EXPECT_THAT(ImportError(no_op), HasSubstr("node 'relu1' () has no op_type"));

  ModelProto nameless_input = SmallModel();
  nameless_input.mutable_graph()->add_input();
  EXPECT_THAT(ImportError(nameless_input), HasSubstr("a graph input has no name"));
}

}  // namespace
}  // namespace gsopt::frontends::onnx
