// Tests for the cleanup passes: each has cases where it must fire and cases
// where it must leave the graph alone; fired cases are checked to compute
// the same outputs as before on random inputs.
#include "rewrites/passes/passes.h"

#include "gtest/gtest.h"
#include "ir/op_registry.h"
#include "ir/verifier.h"
#include "verifier/random/differential.h"

namespace gsopt::rewrites {
namespace {

using ir::DType;
using ir::Graph;
using ir::Tensor;
using ir::TensorType;
using ir::ValueId;

TensorType F32(std::vector<ir::Dim> dims) { return TensorType{DType::kFloat32, ir::Shape(std::move(dims))}; }

ValueId Out(const Graph& g, ir::NodeId n, int i = 0) { return g.node(n).outputs[static_cast<size_t>(i)]; }

int CountOps(const Graph& g, const std::string& op) {
  int n = 0;
  for (ir::NodeId id : g.LiveNodes()) n += g.node(id).op_type == op;
  return n;
}

void ExpectSameFunction(const Graph& after, const Graph& before) {
  ASSERT_TRUE(ir::VerifyGraph(after).ok()) << ir::VerifyGraph(after);
  absl::StatusOr<verifier::DifferentialReport> report = verifier::CompareGraphs(after, before, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->matches) << report->Summary();
}

bool RunPass(Pass& pass, Graph& g) {
  absl::StatusOr<bool> changed = pass.Run(g);
  EXPECT_TRUE(changed.ok()) << changed.status();
  return changed.ok() && *changed;
}

TEST(ConstantFoldingTest, FoldsConstantSubexpressions) {
  Graph g;
  ValueId x = g.AddInput("x", F32({2, 3}));
  ValueId a = g.AddInitializer("a", Tensor::FromVector<float>({3}, {1, 2, 3}));
  ValueId b = g.AddInitializer("b", Tensor::FromVector<float>({3}, {4, 5, 6}));
  ir::NodeId c = g.AddNode("Constant", {}, {"c"}, {{"value", Tensor::FromVector<float>({3}, {2, 2, 2})}});
  ir::NodeId ab = g.AddNode("Mul", {a, b}, {"ab"});
  ir::NodeId abc = g.AddNode("Add", {Out(g, ab), Out(g, c)}, {"abc"});
  g.AddNode("Add", {x, Out(g, abc)}, {"y"});
  g.AddOutput(*g.FindValue("y"));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  Graph before = g;
  auto fold = CreateConstantFoldingPass();
  ASSERT_TRUE(RunPass(*fold, g));
  EXPECT_EQ(g.num_live_nodes(), 1);
  const ir::Value& folded = g.value(*g.FindValue("abc"));
  ASSERT_TRUE(folded.initializer.has_value());
  EXPECT_EQ(folded.initializer->data<float>()[2], 20.0f);  // 3*6 + 2
  ExpectSameFunction(g, before);
  EXPECT_FALSE(RunPass(*fold, g)) << "a second run must find nothing";
}

TEST(ConstantFoldingTest, FoldsShapeOfStaticValuesOnly) {
  Graph g;
  ValueId x = g.AddInput("x", F32({2, 3}));
  ValueId s = g.AddInput("s", F32({ir::Dim::Symbol("batch"), 3}));
  g.AddNode("Shape", {x}, {"shape_x"});
  g.AddNode("Shape", {s}, {"shape_s"});
  g.SetOutputs({*g.FindValue("shape_x"), *g.FindValue("shape_s")});
  ASSERT_TRUE(ir::InferShapes(g).ok());
  auto fold = CreateConstantFoldingPass();
  ASSERT_TRUE(RunPass(*fold, g));
  ASSERT_TRUE(g.value(*g.FindValue("shape_x")).initializer.has_value());
  EXPECT_EQ(g.value(*g.FindValue("shape_x")).initializer->GetAsInt64(1), 3);
  EXPECT_FALSE(g.value(*g.FindValue("shape_s")).initializer.has_value());
  EXPECT_EQ(CountOps(g, "Shape"), 1);
}

TEST(ConstantFoldingTest, LeavesRandomOpsAndBloatingExpansionsAlone) {
  Graph g;
  ValueId shape = g.AddInitializer("shape", Tensor::FromVector<int64_t>({2}, {1024, 1024}));
  g.AddNode("ConstantOfShape", {shape}, {"big"}, {{"value", Tensor::FromVector<float>({1}, {0.5f})}});
  g.AddNode("RandomNormal", {}, {"noise"}, {{"shape", std::vector<int64_t>{2, 2}}});
  g.SetOutputs({*g.FindValue("big"), *g.FindValue("noise")});
  auto fold = CreateConstantFoldingPass();
  EXPECT_FALSE(RunPass(*fold, g));
  EXPECT_EQ(g.num_live_nodes(), 2);
}

TEST(IdentityEliminationTest, RemovesPassThroughsAndKeepsOutputNames) {
  Graph g;
  ValueId x = g.AddInput("x", F32({4}));
  ir::NodeId i1 = g.AddNode("Identity", {x}, {"i1"});
  ir::NodeId d = g.AddNode("Dropout", {Out(g, i1)}, {"d"});
  ir::NodeId cast = g.AddNode("Cast", {Out(g, d)}, {"c"}, {{"to", int64_t{1}}});
  ir::NodeId relu = g.AddNode("Relu", {Out(g, cast)}, {"r"});
  g.AddNode("Identity", {Out(g, relu)}, {"y"});
  g.AddOutput(*g.FindValue("y"));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  Graph before = g;
  auto pass = CreateIdentityEliminationPass();
  ASSERT_TRUE(RunPass(*pass, g));
  g.Compact();
  EXPECT_EQ(g.num_live_nodes(), 1);
  EXPECT_EQ(g.value(g.outputs()[0]).name, "y");
  EXPECT_EQ(g.node(g.value(g.outputs()[0]).producer).op_type, "Relu");
  ExpectSameFunction(g, before);
}

TEST(IdentityEliminationTest, KeepsWhatIsNotAPassThrough) {
  Graph g;
  ValueId x = g.AddInput("x", F32({4}));
  g.AddNode("Identity", {x}, {"y"});                          // input -> output: the names must stay
  g.AddNode("Cast", {x}, {"c"}, {{"to", int64_t{11}}});       // a real conversion
  g.AddNode("Dropout", {x}, {"d", "mask"});                   // mask is read
  g.SetOutputs({*g.FindValue("y"), *g.FindValue("c"), *g.FindValue("mask")});
  ASSERT_TRUE(ir::InferShapes(g).ok());
  auto pass = CreateIdentityEliminationPass();
  EXPECT_FALSE(RunPass(*pass, g));
  EXPECT_EQ(g.num_live_nodes(), 3);
}

TEST(DeadCodeEliminationTest, RemovesUnreadNodesAndWeights) {
  Graph g;
  ValueId x = g.AddInput("x", F32({4}));
  ValueId unused_input = g.AddInput("unused", F32({4}));
  ValueId w = g.AddInitializer("w", Tensor::FromVector<float>({4}, {1, 2, 3, 4}));
  ir::NodeId dead = g.AddNode("Mul", {x, w}, {"dead"});
  g.AddNode("Relu", {Out(g, dead)}, {"dead2"});
  g.AddNode("Neg", {x}, {"y"});
  g.AddOutput(*g.FindValue("y"));
  auto pass = CreateDeadCodeEliminationPass();
  ASSERT_TRUE(RunPass(*pass, g));
  EXPECT_EQ(g.num_live_nodes(), 1);
  EXPECT_FALSE(g.FindValue("w").has_value());
  EXPECT_TRUE(g.FindValue("unused").has_value()) << "graph inputs are interface, never removed";
  EXPECT_EQ(g.inputs().size(), 2u);
  (void)unused_input;
  EXPECT_FALSE(RunPass(*pass, g));
}

TEST(CleanupPipelineTest, ReachesAFixedPointAndLogsPasses) {
  Graph g;
  ValueId x = g.AddInput("x", F32({3}));
  ir::NodeId c = g.AddNode("Constant", {}, {"c"}, {{"value", Tensor::FromVector<float>({3}, {1, 1, 1})}});
  ir::NodeId id = g.AddNode("Identity", {Out(g, c)}, {"ci"});
  g.AddNode("Add", {x, Out(g, id)}, {"y"});
  g.AddOutput(*g.FindValue("y"));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  Graph before = g;
  PassPipeline pipeline = MakeCleanupPipeline();
  ASSERT_TRUE(pipeline.Run(g).ok());
  EXPECT_EQ(g.num_live_nodes(), 1);
  EXPECT_FALSE(pipeline.log().empty());
  ExpectSameFunction(g, before);
}

}  // namespace
}  // namespace gsopt::rewrites
