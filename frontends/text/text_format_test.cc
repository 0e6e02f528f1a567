// Round-trip tests of the gsir text form: hand-built graphs covering every
// dtype, every attribute kind, omitted optionals, symbolic and unknown dims,
// multi-output and opaque nodes and all model metadata print, parse back to
// the same graph (same names, types, bits) and print identically again.
#include "frontends/text/text_format.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "absl/strings/match.h"
#include "frontends/text/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/structural_hash.h"

namespace gsopt::frontends::text {
namespace {

using ir::DType;
using ir::Tensor;
using ir::TensorType;
using testing::ExpectRoundTrip;
using testing::FloatBits;
using ::testing::HasSubstr;

// ---- helpers ----

template <typename T>
Tensor FromBits(DType dtype, std::vector<int64_t> dims, const std::vector<T>& bits) {
  absl::StatusOr<Tensor> t = Tensor::FromBytes(
      dtype, std::move(dims), absl::string_view(reinterpret_cast<const char*>(bits.data()), bits.size() * sizeof(T)));
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TensorType Type(DType dtype, std::vector<ir::Dim> dims) { return TensorType{dtype, ir::Shape(std::move(dims))}; }

// A graph whose only job is to hold `tensors` as constants feeding one node.
ir::Graph GraphWithConstants(const std::vector<Tensor>& tensors) {
  ir::Graph g;
  std::vector<ir::ValueId> ids;
  for (size_t i = 0; i < tensors.size(); ++i) {
    ids.push_back(g.AddInitializer(absl::StrCat("c", i, "_", ir::DTypeName(tensors[i].dtype())), tensors[i]));
  }
  g.AddNode("Concat", ids, {"out"}, {{"axis", int64_t{0}}}, "concat");
  g.AddOutput(*g.FindValue("out"));
  return g;
}

// ---- tests ----

TEST(TextFormatTest, PrintsASmallGraphReadably) {
  ir::Graph g;
  g.mutable_metadata().producer_name = "pytorch";
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {ir::Dim::Symbol("batch"), 3, 8, 8}));
  ir::ValueId w = g.AddInitializer("w", Tensor::FromVector<float>({2, 3, 1, 1}, {1, 2, 3, 4, 5, 0.5f}));
  ir::NodeId conv =
      g.AddNode("Conv", {x, w, ir::kNoValue}, {"y"}, {{"kernel_shape", std::vector<int64_t>{1, 1}}}, "conv1");
  ir::ValueId y = g.node(conv).outputs[0];
  g.mutable_value(y).type = Type(DType::kFloat32, {ir::Dim::Symbol("batch"), 2, 8, 8});
  g.AddOutput(y);
  EXPECT_EQ(PrintGraph(g),
            "gsir 1\n"
            "model ir_version=8 opset_import={\"\": 17} producer_name=\"pytorch\"\n"
            "graph @main(%x: f32[batch,3,8,8]) -> (%y: f32[batch,2,8,8]) {\n"
            "  %w = const f32[2,3,1,1] dense<[1, 2, 3, 4, 5, 0.5]>\n"
            "  %y = Conv(%x, %w, _) {kernel_shape = [1, 1]} : f32[batch,2,8,8] loc(\"conv1\")\n"
            "  return %y\n"
            "}\n");
  ExpectRoundTrip(g);
}

TEST(TextFormatTest, EveryDTypeRoundTripsBitExactly) {
  std::vector<Tensor> tensors;
  auto f32 = [](uint32_t bits) { return bits; };
  tensors.push_back(FromBits<uint32_t>(DType::kFloat32, {13},
                                       {f32(0), 0x80000000, 0x3f800000, 0xbfc00000, 0x3dcccccd, 0x7f7fffff, 0x00000001,
                                        0x7f800000, 0xff800000, 0x7fc00000, 0x7fc00001, 0xffc00000, 0x7f800001}));
  tensors.push_back(FromBits<uint64_t>(
      DType::kFloat64, {6},
      {0, 0x8000000000000000, 0x3fb999999999999a, 0x0000000000000001, 0x7ff8000000000001, 0x7ff0000000000000}));
  std::vector<uint16_t> all16(65536);
  for (size_t i = 0; i < all16.size(); ++i) all16[i] = static_cast<uint16_t>(i);
  tensors.push_back(FromBits<uint16_t>(DType::kFloat16, {256, 256}, all16));
  tensors.push_back(FromBits<uint16_t>(DType::kBFloat16, {65536}, all16));
  std::vector<uint8_t> all8(256);
  for (size_t i = 0; i < all8.size(); ++i) all8[i] = static_cast<uint8_t>(i);
  for (DType f8 : {DType::kFloat8E4M3FN, DType::kFloat8E4M3FNUZ, DType::kFloat8E5M2, DType::kFloat8E5M2FNUZ}) {
    tensors.push_back(FromBits<uint8_t>(f8, {16, 16}, all8));
  }
  // Packed types: all 16 nibbles, and an odd count.
  std::vector<uint8_t> nibbles(8);
  for (size_t i = 0; i < 8; ++i) nibbles[i] = static_cast<uint8_t>((2 * i) | ((2 * i + 1) << 4));
  for (DType packed : {DType::kInt4, DType::kUInt4, DType::kFloat4E2M1}) {
    tensors.push_back(FromBits<uint8_t>(packed, {16}, nibbles));
    tensors.push_back(FromBits<uint8_t>(packed, {3}, {0x21, 0x03}));
  }
  tensors.push_back(FromBits<uint8_t>(DType::kInt4, {3}, {0x21, 0x53}));  // a non-zero spare nibble
  tensors.push_back(Tensor::FromVector<int8_t>({4}, {-128, -1, 0, 127}));
  tensors.push_back(Tensor::FromVector<uint8_t>({3}, {0, 1, 255}));
  tensors.push_back(Tensor::FromVector<int16_t>({3}, {-32768, 7, 32767}));
  tensors.push_back(Tensor::FromVector<uint16_t>({2}, {0, 65535}));
  tensors.push_back(Tensor::FromVector<int32_t>({3}, {std::numeric_limits<int32_t>::min(), 0, 2147483647}));
  tensors.push_back(Tensor::FromVector<uint32_t>({2}, {0, 4294967295u}));
  tensors.push_back(
      Tensor::FromVector<int64_t>({3}, {std::numeric_limits<int64_t>::min(), -1, std::numeric_limits<int64_t>::max()}));
  tensors.push_back(Tensor::FromVector<uint64_t>({2}, {0, std::numeric_limits<uint64_t>::max()}));
  tensors.push_back(FromBits<uint8_t>(DType::kBool, {4}, {0, 1, 1, 2}));  // 2: an odd byte kept as 0x02
  tensors.push_back(Tensor::FromStrings({2, 3}, {"", "plain", "quote\" back\\slash", std::string("nul\0byte", 8),
                                                 "h\xc3\xa9llo \xe2\x9c\x93", "bad utf8 \xff\xfe"}));
  tensors.push_back(FromBits<uint32_t>(DType::kComplex64, {2}, {0x3f800000, 0xc0000000, 0x7fc00001, 0}));
  tensors.push_back(FromBits<uint64_t>(DType::kComplex128, {1}, {0x3fb999999999999a, 0x8000000000000000}));
  // Splats, scalars and empty tensors.
  tensors.push_back(Tensor::FromVector<float>({2, 2}, {0.25f, 0.25f, 0.25f, 0.25f}));
  tensors.push_back(Tensor::Scalar<int64_t>(42));
  tensors.push_back(Tensor::Zeros(DType::kFloat32, {0, 3}));
  tensors.push_back(Tensor::FromStrings({3}, {"same", "same", "same"}));
  tensors.push_back(FromBits<uint8_t>(DType::kUInt4, {5}, {0x77, 0x77, 0x07}));

  ir::Graph g = GraphWithConstants(tensors);
  ExpectRoundTrip(g);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("f32[2,2] dense<0.25>"));
  EXPECT_THAT(text, HasSubstr("i64[] dense<42>"));
  EXPECT_THAT(text, HasSubstr("f32[0,3] dense<[]>"));
  EXPECT_THAT(text, HasSubstr("u4[5] dense<7>"));
  EXPECT_THAT(text, HasSubstr("i4[3] bytes<\"2153\">"));
  EXPECT_THAT(text, HasSubstr("bool[4] dense<[false, true, true, 0x02]>"));
  EXPECT_THAT(text, HasSubstr("c64[2] dense<[(1, -2), (0x7fc00001, 0)]>"));
  EXPECT_THAT(text, HasSubstr("0x7fc00001, 0xffc00000, 0x7f800001]"));
}

TEST(TextFormatTest, EveryAttributeKindRoundTrips) {
  ir::Graph g;
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {4}));
  ir::ValueId body_input = g.AddInput("outer", Type(DType::kInt64, {}));
  ir::AttributeMap attributes = {
      {"int", int64_t{-7}},
      {"int_min", std::numeric_limits<int64_t>::min()},
      {"float", 0.5f},
      {"float_whole", 2.0f},
      {"float_tiny", 1e-7f},
      {"float_neg_zero", -0.0f},
      {"float_inf", -std::numeric_limits<float>::infinity()},
      {"string", "a \"quoted\"\nline"},
      {"empty_string", ""},
      {"tensor", Tensor::FromVector<int32_t>({2}, {1, -2})},
      {"ints", std::vector<int64_t>{1, -2, 3}},
      {"empty_ints", std::vector<int64_t>{}},
      {"floats", std::vector<float>{1.0f, 0.1f, -3.5f}},
      {"empty_floats", std::vector<float>{}},
      {"strings", std::vector<std::string>{"a", "", "c,d"}},
      {"empty_strings", std::vector<std::string>{}},
      {"tensors", std::vector<Tensor>{Tensor::Scalar<float>(1.5f), Tensor::FromStrings({1}, {"s"})}},
      {"empty_tensors", std::vector<Tensor>{}},
      {"undefined_tensor", Tensor()},
      {"body", ir::OpaqueAttribute{std::string("\x12\x00\xff subgraph bytes", 18), {"outer", "not/here"}}},
      {"opaque_no_reads", ir::OpaqueAttribute{"abc", {}}},
      {"weird name/with:chars", int64_t{1}},
  };
  ir::NodeId node = g.AddNode("Everything", {x, body_input}, {"y"}, attributes, "every_attr", "test.domain");
  g.AddOutput(g.node(node).outputs[0]);
  ir::Graph parsed = ExpectRoundTrip(g);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("empty_ints = [] : ints"));
  EXPECT_THAT(text, HasSubstr("float_whole = 2.0,"));
  EXPECT_THAT(text, HasSubstr("reads = [%outer, %\"not/here\"]"));
  EXPECT_THAT(text, HasSubstr("\"weird name/with:chars\" = 1"));
  // The parsed graph still knows what the subgraph reads.
  const ir::Node& parsed_node = parsed.node(parsed.LiveNodes()[0]);
  ASSERT_EQ(parsed.ImplicitInputs(parsed_node).size(), 1u);
  EXPECT_EQ(parsed.value(parsed.ImplicitInputs(parsed_node)[0]).name, "outer");
}

TEST(TextFormatTest, NanFloatAttributesKeepTheirBits) {
  uint32_t payload_bits = 0x7fc00abc;
  float payload;
  std::memcpy(&payload, &payload_bits, sizeof payload);
  ir::Graph g;
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {4}));
  ir::NodeId n = g.AddNode("Op", {x}, {"y"},
                           {{"quiet_nan", std::numeric_limits<float>::quiet_NaN()},
                            {"negative_nan", -std::numeric_limits<float>::quiet_NaN()},
                            {"payload", payload},
                            {"floats", std::vector<float>{1.0f, payload}}},
                           "op");
  g.AddOutput(g.node(n).outputs[0]);
  ir::Graph parsed = ExpectRoundTrip(g, /*structural=*/false);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("{floats = [1.0, 0x7fc00abc] : floats, negative_nan = 0xffc00000 : float, "
                              "payload = 0x7fc00abc : float, quiet_nan = nan}"));
  const ir::Node& node = parsed.node(parsed.LiveNodes()[0]);
  EXPECT_EQ(FloatBits(node.GetFloat("payload", 0)), 0x7fc00abcu);
  EXPECT_EQ(FloatBits(node.GetFloats("floats")[1]), 0x7fc00abcu);
}

TEST(TextFormatTest, OmittedOptionalsAndMultipleOutputsRoundTrip) {
  ir::Graph g;
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {2, 8}));
  ir::ValueId scale = g.AddInitializer("scale", Tensor::FromVector<float>({8}, std::vector<float>(8, 1.0f)));
  // LayerNormalization with an omitted bias and an omitted middle output.
  ir::NodeId ln = g.AddNode("LayerNormalization", {x, scale, ir::kNoValue}, {"y", "", "inv_std"},
                            {{"axis", int64_t{-1}}, {"epsilon", 1e-5f}}, "ln");
  ir::ValueId y = g.node(ln).outputs[0];
  ir::ValueId inv_std = g.node(ln).outputs[2];
  g.mutable_value(y).type = Type(DType::kFloat32, {2, 8});
  g.mutable_value(inv_std).type = Type(DType::kFloat32, {2, 1});
  // A Split with three results, one of them unknown; a node with no results at all;
  // a node whose only result is omitted.
  ir::NodeId split = g.AddNode("Split", {y}, {"a", "b", "c"}, {{"axis", int64_t{1}}}, "split");
  g.mutable_value(g.node(split).outputs[0]).type = Type(DType::kFloat32, {2, 4});
  g.mutable_value(g.node(split).outputs[1]).type = Type(DType::kFloat32, {2, 2});
  g.AddNode("Print", {g.node(split).outputs[2]}, {}, {}, "print_c", "debug");
  g.AddNode("Dropout", {g.node(split).outputs[1], ir::kNoValue, ir::kNoValue}, {""}, {}, "dropout");
  g.AddOutput(g.node(split).outputs[0]);
  g.AddOutput(inv_std);
  g.AddOutput(g.node(split).outputs[0]);  // the same value twice
  ExpectRoundTrip(g);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("%y, _, %inv_std = LayerNormalization(%x, %scale, _)"));
  EXPECT_THAT(text, HasSubstr("%a, %b, %c = Split(%y) {axis = 1} : (f32[2,4], f32[2,2], ?) loc(\"split\")"));
  EXPECT_THAT(text, HasSubstr("\n  debug::Print(%c) loc(\"print_c\")\n"));
  EXPECT_THAT(text, HasSubstr("\n  _ = Dropout(%b, _, _) loc(\"dropout\")\n"));
  EXPECT_THAT(text, HasSubstr("return %a, %inv_std, %a"));
}

TEST(TextFormatTest, SymbolicUnknownDimsAndUnknownTypesRoundTrip) {
  ir::Graph g;
  ir::ValueId a = g.AddInput("a", Type(DType::kFloat16, {ir::Dim::Symbol("batch"), ir::Dim(), 3}));
  ir::ValueId b = g.AddInput("b", TensorType{DType::kBFloat16, ir::Shape()});
  ir::ValueId c = g.AddInput("c", TensorType{});
  ir::ValueId d = g.AddInput("d", Type(DType::kUndefined, {2, ir::Dim()}));
  ir::ValueId e = g.AddInput("e", Type(DType::kInt64, {ir::Dim::Symbol("seq len"), ir::Dim::Symbol("123"),
                                                       ir::Dim::Symbol("?"), ir::Dim::Symbol("n.1")}));
  ir::ValueId s = g.AddInput("scalar", Type(DType::kString, {}));
  ir::NodeId n = g.AddNode("Custom", {a, b, c, d, e, s}, {"out"}, {}, "custom", "x.y");
  g.AddOutput(g.node(n).outputs[0]);  // type left unknown
  ExpectRoundTrip(g);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("%a: f16[batch,?,3]"));
  EXPECT_THAT(text, HasSubstr("%b: bf16[*]"));
  EXPECT_THAT(text, HasSubstr("%c: ?,"));
  EXPECT_THAT(text, HasSubstr("%d: ?[2,?]"));
  EXPECT_THAT(text, HasSubstr("%e: i64[\"seq len\",\"123\",\"?\",n.1]"));
  EXPECT_THAT(text, HasSubstr("%scalar: string[]"));
  EXPECT_THAT(text, HasSubstr(") -> (\n    %out: ?\n) {"));  // long signatures break lines
}

TEST(TextFormatTest, OpaqueNodeOfAnotherDomainRoundTrips) {
  ir::Graph g;
  g.mutable_metadata().opset_imports = {{"", 13}, {"com.microsoft", 1}, {"my domain", 2}};
  ir::ValueId cond = g.AddInput("cond", Type(DType::kBool, {}));
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {3}));
  ir::NodeId gelu = g.AddNode("FastGelu", {x}, {"g"}, {}, "gelu", "com.microsoft");
  ir::ValueId gv = g.node(gelu).outputs[0];
  // An If whose branches read %g from the outer scope.
  ir::NodeId branch = g.AddNode(
      "If", {cond}, {"r"},
      {{"then_branch", ir::OpaqueAttribute{"then-bytes", {"g"}}}, {"else_branch", ir::OpaqueAttribute{"else", {"x"}}}},
      "if0");
  ir::NodeId weird = g.AddNode("return", {g.node(branch).outputs[0]}, {"w"}, {}, "weird op", "my domain");
  g.AddNode("const", {gv}, {"k"}, {}, "op named const");
  g.AddOutput(g.node(weird).outputs[0]);
  g.AddOutput(*g.FindValue("k"));
  ExpectRoundTrip(g);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("%g = com.microsoft::FastGelu(%x) loc(\"gelu\")"));
  EXPECT_THAT(text, HasSubstr("%w = \"my domain\"::\"return\"(%r)"));
  EXPECT_THAT(text, HasSubstr("%k = \"const\"(%g)"));
}

TEST(TextFormatTest, ModelMetadataRoundTrips) {
  ir::Graph g;
  ir::ModelMetadata& m = g.mutable_metadata();
  m.ir_version = 10;
  m.opset_imports = {{"", 21}, {"ai.onnx.ml", 3}};
  m.producer_name = "onnx-example";
  m.producer_version = "1.2.3";
  m.domain = "org.example";
  m.model_version = 42;
  m.doc_string = "A model.\nWith two lines.";
  m.graph_name = "torch-jit-export";
  m.graph_doc_string = "graph doc";
  m.metadata_props = {{"b", "2"}, {"a", "1"}, {"a", "dup"}};
  m.serialized_functions = {std::string("\x0a\x03"
                                        "Foo\x00\xff",
                                        7),
                            "second"};
  m.serialized_training_info = {"training"};
  m.opaque_value_types = {{"seq", std::string("\x1a\x02\x08\x01", 4)}, {"a/b", "map"}};
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {1}));
  ir::NodeId n = g.AddNode("Identity", {x}, {"y"}, {}, "id");
  g.mutable_node(n).doc_string = "node doc with \"quotes\"";
  g.AddOutput(g.node(n).outputs[0]);
  ExpectRoundTrip(g);

  ir::Graph no_opsets;
  no_opsets.mutable_metadata().opset_imports.clear();
  no_opsets.AddOutput(no_opsets.AddInput("x", Type(DType::kFloat32, {})));
  ExpectRoundTrip(no_opsets);
  EXPECT_THAT(PrintGraph(no_opsets), HasSubstr("opset_import={}"));
}

TEST(TextFormatTest, NamesThatAreNotIdentifiersAreQuoted) {
  ir::Graph g;
  ir::ValueId in = g.AddInput("input/0:0", Type(DType::kFloat32, {1}));
  ir::ValueId c = g.AddInitializer("onnx::Conv_123", Tensor::Scalar<float>(1.0f));
  ir::NodeId n = g.AddNode("Add", {in, c}, {"/layer.1/Add_output_0"}, {}, "/layer.1/Add \"x\"");
  ir::NodeId m = g.AddNode("Neg", {g.node(n).outputs[0]}, {"0"}, {}, "1");
  ir::NodeId k = g.AddNode("Neg", {g.node(m).outputs[0]}, {"with space \xe2\x9c\x93"}, {}, "neg2");
  g.AddOutput(g.node(k).outputs[0]);
  ExpectRoundTrip(g);
  EXPECT_THAT(PrintGraph(g), HasSubstr("%\"/layer.1/Add_output_0\" = Add(%\"input/0:0\", %\"onnx::Conv_123\")"));
  EXPECT_THAT(PrintGraph(g), HasSubstr("%0 = Neg"));
}

TEST(TextFormatTest, InitializersWithOtherTypesAndInputDefaultsRoundTrip) {
  ir::Graph g;
  // An ONNX graph input that also has an initializer (a default value).
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {ir::Dim::Symbol("n")}));
  g.mutable_value(x).initializer = Tensor::FromVector<float>({2}, {1.0f, 2.0f});
  ir::ValueId w = g.AddInitializer("w", Tensor::FromVector<float>({2}, {3.0f, 4.0f}));
  g.mutable_value(w).type = Type(DType::kFloat32, {ir::Dim::Symbol("n")});
  ir::ValueId unused = g.AddInitializer("unused", Tensor::Scalar<int64_t>(5));
  (void)unused;
  ir::NodeId n = g.AddNode("Mul", {x, w}, {"y"}, {}, "mul");
  g.AddOutput(g.node(n).outputs[0]);
  g.AddOutput(w);  // a constant can be a graph output
  ExpectRoundTrip(g);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("%x = default f32[2] dense<[1, 2]>"));
  EXPECT_THAT(text, HasSubstr("%w = const f32[2] dense<[3, 4]> : f32[n]"));
}

TEST(TextFormatTest, RemovedNodesAndUnusedValuesAreNotPrinted) {
  ir::Graph g;
  ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {2}));
  ir::NodeId dead = g.AddNode("Neg", {x}, {"dead"}, {}, "dead_neg");
  ir::NodeId live = g.AddNode("Relu", {x}, {"y"}, {}, "relu");
  g.AddValue("orphan", Type(DType::kInt64, {}));
  g.AddOutput(g.node(live).outputs[0]);
  g.RemoveNode(dead);
  const std::string text = PrintGraph(g);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("dead")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("orphan")));
  ir::Graph compacted = g;
  compacted.Compact();
  EXPECT_EQ(PrintGraph(compacted), text);
  ExpectRoundTrip(compacted);
}

TEST(TextFormatTest, PrintingIsDeterministic) {
  auto build = [] {
    ir::Graph g;
    ir::ValueId x = g.AddInput("x", Type(DType::kFloat32, {4}));
    ir::AttributeMap attributes;
    for (int i = 0; i < 20; ++i) attributes.emplace(absl::StrCat("attr", i), int64_t{i});
    ir::ValueId prev = x;
    for (int i = 0; i < 10; ++i) {
      ir::NodeId n = g.AddNode("Relu", {prev}, {absl::StrCat("r", i)}, attributes);
      prev = g.node(n).outputs[0];
    }
    g.mutable_metadata().opaque_value_types = {{"z", "1"}, {"a", "2"}, {"m", "3"}};
    g.AddOutput(prev);
    return g;
  };
  ir::Graph g1 = build();
  ir::Graph g2 = build();
  ir::Graph copy = g1;
  EXPECT_EQ(PrintGraph(g1), PrintGraph(g1));
  EXPECT_EQ(PrintGraph(g1), PrintGraph(g2));
  EXPECT_EQ(PrintGraph(g1), PrintGraph(copy));
  ExpectRoundTrip(g1);
}

TEST(TextFormatTest, NodesInAnyOrderAreSortedStably) {
  const std::string text = R"(gsir 1
graph @main(%x: f32[2]) -> (%z: f32[2]) {
  %z = Add(%y, %w) loc("add")
  %w = const f32[2] dense<[1, 2]>
  %y = Relu(%x) loc("relu")
  %unrelated = Neg(%x) loc("neg")
  return %z
})";
  absl::StatusOr<ir::Graph> g = ParseGraph(text);
  ASSERT_TRUE(g.ok()) << g.status();
  std::vector<std::string> order;
  for (ir::NodeId n : g->LiveNodes()) order.push_back(g->node(n).name);
  // "add" must wait for "relu"; "neg" keeps its place relative to "relu".
  EXPECT_EQ(order, (std::vector<std::string>{"relu", "add", "neg"}));
  // The sorted result is a fixed point.
  ExpectRoundTrip(*g);
  // The declared result type flows to a value whose node gives none.
  EXPECT_EQ(g->value(g->outputs()[0]).type, Type(DType::kFloat32, {2}));
}

TEST(TextFormatTest, NodesWithoutLocGetFreshNames) {
  absl::StatusOr<ir::Graph> g = ParseGraph(R"(gsir 1
graph @main(%x: f32[2]) -> (%c: f32[2]) {
  %a = Relu(%x)
  %b = Relu(%a) loc("Relu_1")
  %c = Relu(%b)
  return %c
})");
  ASSERT_TRUE(g.ok()) << g.status();
  std::vector<std::string> names;
  for (ir::NodeId n : g->LiveNodes()) names.push_back(g->node(n).name);
  EXPECT_EQ(names, (std::vector<std::string>{"Relu", "Relu_1", "Relu_2"}));
}

TEST(TextFormatTest, ElidedConstantsAreMarkedAndRejected) {
  ir::Graph g =
      GraphWithConstants({Tensor::FromVector<float>({6}, {1, 2, 3, 4, 5, 6}), Tensor::FromVector<float>({2}, {7, 8}),
                          Tensor::FromVector<float>({100}, std::vector<float>(100, 0.5f))});
  PrintOptions options;
  options.max_inline_elements = 3;
  const std::string text = PrintGraph(g, options);
  EXPECT_THAT(text, HasSubstr("%c0_f32 = const f32[6] elided<[1, 2, 3, ...]>"));
  EXPECT_THAT(text, HasSubstr("%c1_f32 = const f32[2] dense<[7, 8]>"));
  EXPECT_THAT(text, HasSubstr("%c2_f32 = const f32[100] dense<0.5>"));  // a splat is always short
  absl::StatusOr<ir::Graph> parsed = ParseGraph(text, "elided.gsir");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("elided.gsir:4:26: tensor data was elided"));
  options.max_inline_elements = 0;
  EXPECT_THAT(PrintGraph(g, options), HasSubstr("f32[2] elided<[...]>"));
}

TEST(TextFormatTest, HandWrittenLiteralsParse) {
  absl::StatusOr<ir::Graph> g = ParseGraph(R"(gsir 1
// Comments and free layout are fine.
graph @main(%x: f32[2]) -> (%y: f32[2]) {
  %h = const f16[3] dense<[0.1, -2, 65504]>
  %b = const bool[2] dense<[true, 0]>
  %f8 = const f8e4m3fn[2] dense<[448, -0.5]>
  %bits = const f32[1] dense<[0x3f800000]>
  %y = Op(%x, %h, %b, %f8, %bits) {
    i = 0x10, f = 3, list = [1, 2.5], t = i64[2] dense<7>,
    fs = [1, 2] : floats
  } : f32[2]
  return %y
})");
  ASSERT_TRUE(g.ok()) << g.status();
  const ir::Node& node = g->node(g->LiveNodes()[0]);
  EXPECT_EQ(node.GetInt("i", 0), 16);
  EXPECT_EQ(node.FindAttribute("f")->kind(), ir::AttributeKind::kInt);
  EXPECT_EQ(node.GetFloats("list"), (std::vector<float>{1.0f, 2.5f}));
  EXPECT_EQ(node.GetFloats("fs"), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(node.FindAttribute("t")->get<Tensor>().GetAsInt64(1), 7);
  const Tensor& h = *g->value(*g->FindValue("h")).initializer;
  EXPECT_EQ(h.data<uint16_t>()[0], ir::FloatToHalf(0.1f));
  EXPECT_EQ(h.GetAsDouble(2), 65504.0);
  EXPECT_EQ(g->value(*g->FindValue("bits")).initializer->data<float>()[0], 1.0f);
  EXPECT_EQ(g->value(*g->FindValue("f8")).initializer->data<uint8_t>()[1], 0xb0);  // -0.5 in E4M3FN
}

TEST(TextFormatTest, ExampleFilesParseAndRoundTrip) {
  const std::filesystem::path dir = GSOPT_TEXT_TESTDATA_DIR;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".gsir") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    absl::StatusOr<ir::Graph> g = ParseGraphFile(entry.path().string());
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_GT(g->num_live_nodes(), 0);
    ExpectRoundTrip(*g);
  }
  EXPECT_GE(files, 2);
}

TEST(TextFormatTest, CanonicalExampleFileIsPrintedForm) {
  const std::string path = std::string(GSOPT_TEXT_TESTDATA_DIR) + "/canonical_attention.gsir";
  std::ifstream file(path);
  ASSERT_TRUE(file) << path;
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  absl::StatusOr<ir::Graph> g = ParseGraph(text, path);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintGraph(*g), text);
}

TEST(TextFormatTest, MissingFileIsNotFound) {
  absl::StatusOr<ir::Graph> g = ParseGraphFile("/nonexistent/model.gsir");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("/nonexistent/model.gsir"));
}

TEST(TextFormatTest, RandomGraphsRoundTrip) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 20; ++trial) {
    ir::Graph g;
    std::vector<ir::ValueId> available;
    for (int i = 0; i < 3; ++i) {
      available.push_back(g.AddInput(absl::StrCat("in", i), Type(DType::kFloat32, {ir::Dim::Symbol("n"), 4})));
    }
    std::uniform_real_distribution<float> values(-10.0f, 10.0f);
    for (int i = 0; i < 2; ++i) {
      std::vector<float> data(8);
      for (float& v : data) v = values(rng);
      available.push_back(g.AddInitializer(absl::StrCat("w", i), Tensor::FromVector<float>({2, 4}, data)));
    }
    for (int i = 0; i < 15; ++i) {
      std::uniform_int_distribution<size_t> pick(0, available.size() - 1);
      const int outputs = 1 + static_cast<int>(rng() % 2);
      std::vector<std::string> names;
      for (int k = 0; k < outputs; ++k) names.push_back(rng() % 4 == 0 && k > 0 ? "" : absl::StrCat("v", i, "_", k));
      ir::NodeId n = g.AddNode(rng() % 2 ? "Add" : "Mul", {available[pick(rng)], available[pick(rng)]}, names,
                               {{"alpha", values(rng)}});
      for (ir::ValueId out : g.node(n).outputs) {
        if (out == ir::kNoValue) continue;
        g.mutable_value(out).type = Type(DType::kFloat32, {ir::Dim::Symbol("n"), 4});
        available.push_back(out);
      }
    }
    g.AddOutput(available.back());
    ExpectRoundTrip(g);
  }
}

}  // namespace
}  // namespace gsopt::frontends::text
