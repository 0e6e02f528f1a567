// Tests for Graph building, sorting, compaction, verification and hashing.
#include "ir/graph.h"

#include <limits>

#include "gtest/gtest.h"
#include "ir/structural_hash.h"
#include "ir/verifier.h"

namespace gsopt::ir {
namespace {

TensorType F32(std::vector<int64_t> dims) { return TensorType{DType::kFloat32, Shape::FromStatic(dims)}; }

// x -> Relu -> Neg -> y, with a weight added in between.
Graph MakeChain() {
  Graph g;
  ValueId x = g.AddInput("x", F32({2, 3}));
  ValueId w = g.AddInitializer("w", Tensor::FromVector<float>({3}, {1, 2, 3}));
  NodeId relu = g.AddNode("Relu", {x}, {"r"});
  NodeId add = g.AddNode("Add", {g.node(relu).outputs[0], w}, {"a"});
  g.AddNode("Neg", {g.node(add).outputs[0]}, {"y"});
  g.AddOutput(*g.FindValue("y"));
  return g;
}

TEST(GraphTest, BuildAndQuery) {
  Graph g = MakeChain();
  EXPECT_EQ(g.num_live_nodes(), 3);
  EXPECT_EQ(g.Initializers().size(), 1u);
  ValueId r = *g.FindValue("r");
  std::vector<std::vector<Use>> uses = g.ComputeUses();
  ASSERT_EQ(uses[static_cast<size_t>(r)].size(), 1u);
  EXPECT_EQ(g.node(uses[static_cast<size_t>(r)][0].node).op_type, "Add");
  EXPECT_TRUE(VerifyGraph(g).ok());
}

TEST(GraphTest, TopologicalSortRepairsOrderAndFindsCycles) {
  Graph g;
  ValueId x = g.AddInput("x", F32({2}));
  ValueId mid = g.AddValue("mid");
  ValueId y = g.AddValue("y");
  g.AddNodeWithOutputs("Neg", {mid}, {y});  // reads mid before it is produced
  g.AddNodeWithOutputs("Relu", {x}, {mid});
  g.AddOutput(y);
  EXPECT_FALSE(VerifyGraph(g).ok());
  ASSERT_TRUE(g.TopologicalSort().ok());
  EXPECT_EQ(g.node(0).op_type, "Relu");
  EXPECT_TRUE(VerifyGraph(g).ok());

  Graph cyclic;
  ValueId a = cyclic.AddValue("a");
  ValueId b = cyclic.AddValue("b");
  cyclic.AddNodeWithOutputs("Neg", {a}, {b}, {}, "n1");
  cyclic.AddNodeWithOutputs("Neg", {b}, {a}, {}, "n2");
  cyclic.AddOutput(a);
  absl::Status s = cyclic.TopologicalSort();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos);
}

TEST(GraphTest, TopologicalSortKeepsASortedGraphAsItIs) {
  Graph g;
  ValueId x = g.AddInput("x", F32({2}));
  NodeId a = g.AddNode("Relu", {x}, {"a"}, {}, "A");
  g.AddNode("Neg", {g.node(a).outputs[0]}, {"b"}, {}, "B");
  g.AddNode("Abs", {x}, {"c"}, {}, "C");
  g.SetOutputs({*g.FindValue("b"), *g.FindValue("c")});
  ASSERT_TRUE(g.TopologicalSort().ok());
  EXPECT_EQ(g.node(0).name, "A");
  EXPECT_EQ(g.node(1).name, "B");
  EXPECT_EQ(g.node(2).name, "C");
}

TEST(GraphTest, NanAttributesCompareEqualToThemselves) {
  Graph g = MakeChain();
  g.mutable_node(0).attributes["alpha"] = Attribute(std::numeric_limits<float>::quiet_NaN());
  Graph copy = g;
  EXPECT_TRUE(StructurallyEqual(g, copy));
  EXPECT_EQ(StructuralHash(g), StructuralHash(copy));
}

TEST(GraphTest, CompactDropsDeadValuesAndKeepsWeightsShared) {
  Graph g = MakeChain();
  Tensor w = *g.value(*g.FindValue("w")).initializer;
  Graph copy = g;
  EXPECT_TRUE(copy.value(*copy.FindValue("w")).initializer->SharesBufferWith(w));
  // Bypass the Neg: y := a.
  NodeId neg = g.value(*g.FindValue("y")).producer;
  g.RemoveNode(neg);
  g.ReplaceAllUsesWith(*g.FindValue("y"), *g.FindValue("a"));
  g.Compact();
  EXPECT_EQ(g.num_live_nodes(), 2);
  EXPECT_FALSE(g.FindValue("y").has_value());
  EXPECT_EQ(g.value(g.outputs()[0]).name, "a");
  EXPECT_TRUE(VerifyGraph(g).ok());
}

TEST(GraphTest, StructuralHashIgnoresNamesButNotStructure) {
  Graph a = MakeChain();
  Graph b;
  ValueId x = b.AddInput("input", F32({2, 3}));
  ValueId w = b.AddInitializer("weight", Tensor::FromVector<float>({3}, {1, 2, 3}));
  NodeId relu = b.AddNode("Relu", {x}, {"t0"}, {}, "first");
  NodeId add = b.AddNode("Add", {b.node(relu).outputs[0], w}, {"t1"});
  b.AddNode("Neg", {b.node(add).outputs[0]}, {"out"});
  b.AddOutput(*b.FindValue("out"));
  EXPECT_EQ(StructuralHash(a), StructuralHash(b));
  EXPECT_TRUE(StructurallyEqual(a, b));

  Graph c = MakeChain();
  c.mutable_node(0).op_type = "Sigmoid";
  EXPECT_FALSE(StructurallyEqual(a, c));
  Graph d = MakeChain();
  d.SetConstant(*d.FindValue("w"), Tensor::FromVector<float>({3}, {1, 2, 4}));
  EXPECT_FALSE(StructurallyEqual(a, d));
  EXPECT_NE(StructuralHash(a), StructuralHash(d));
}

TEST(GraphTest, OpsetLookupTreatsAiOnnxAsDefault) {
  Graph g;
  g.mutable_metadata().opset_imports = {{"", 13}, {"com.microsoft", 1}};
  EXPECT_EQ(g.OpsetVersion("ai.onnx"), 13);
  EXPECT_EQ(g.OpsetVersion("com.microsoft"), 1);
  EXPECT_EQ(g.OpsetVersion("other"), 0);
}

}  // namespace
}  // namespace gsopt::ir
