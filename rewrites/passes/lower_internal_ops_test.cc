// Tests of the lowering of gsopt's fused ops to standard ONNX: for each op
// (and each activation / Gelu form / opset that picks a different
// decomposition) a graph holding the fused node is lowered, must then hold
// only default-domain ops, keep its output names, pass the verifier, and
// compute what the fused graph computes (gsopt's executor runs the fused ops
// with their own kernels) on random inputs.
#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/op_registry.h"
#include "ir/verifier.h"
#include "rewrites/passes/passes.h"
#include "verifier/random/differential.h"

namespace gsopt::rewrites {
namespace {

using ir::DType;
using ir::Graph;
using ir::Tensor;
using ::testing::Contains;
using ::testing::Not;

Tensor Ramp(std::vector<int64_t> dims, float scale) {
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(dims));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetFromDouble(i, ((i * 7) % 11 - 5) * scale);
  return t;
}

ir::TensorType F32(std::vector<ir::Dim> dims) { return ir::TensorType{DType::kFloat32, ir::Shape(std::move(dims))}; }

// A graph computing `y` with one gsopt-domain node.
Graph OneFusedNode(const std::string& op, std::vector<ir::ValueId> (*inputs)(Graph&), ir::AttributeMap attributes,
                   int64_t opset = 17) {
  Graph g;
  g.mutable_metadata().opset_imports = {{"", opset}, {"gsopt", 1}};
  std::vector<ir::ValueId> in = inputs(g);
  ir::NodeId n = g.AddNode(op, in, {"y"}, std::move(attributes), "fused", "gsopt");
  g.AddOutput(g.node(n).outputs[0]);
  EXPECT_TRUE(ir::InferShapes(g).ok());
  return g;
}

std::vector<ir::ValueId> ConvInputs(Graph& g) {
  return {g.AddInput("x", F32({1, 3, 6, 6})), g.AddInitializer("w", Ramp({4, 3, 3, 3}, 0.1f)),
          g.AddInitializer("b", Ramp({4}, 0.2f))};
}
std::vector<ir::ValueId> MatMulInputs(Graph& g) {
  return {g.AddInput("a", F32({2, 5, 8})), g.AddInitializer("w", Ramp({8, 6}, 0.1f)),
          g.AddInitializer("c", Ramp({6}, 0.3f))};
}
std::vector<ir::ValueId> MatMulNoBiasInputs(Graph& g) {
  return {g.AddInput("a", F32({5, 8})), g.AddInitializer("w", Ramp({8, 6}, 0.1f))};
}
std::vector<ir::ValueId> GeluInputs(Graph& g) { return {g.AddInput("x", F32({3, 16}))}; }
std::vector<ir::ValueId> AttentionInputs(Graph& g) {
  return {g.AddInput("q", F32({2, 3, 5, 8})), g.AddInput("k", F32({2, 3, 7, 8})), g.AddInput("v", F32({2, 3, 7, 4}))};
}
std::vector<ir::ValueId> AttentionInputsKt(Graph& g) {
  return {g.AddInput("q", F32({2, 5, 8})), g.AddInput("k", F32({2, 8, 7})), g.AddInput("v", F32({2, 7, 4}))};
}

// Lowers a copy of `fused` and checks it against the original; gives the lowered graph's op types.
std::vector<std::string> LowerAndCompare(const Graph& fused) {
  Graph lowered = fused;
  absl::StatusOr<bool> changed = CreateLowerInternalOpsPass()->Run(lowered);
  EXPECT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(changed.ok() && *changed);
  EXPECT_TRUE(ir::VerifyGraph(lowered).ok()) << ir::VerifyGraph(lowered);
  EXPECT_EQ(lowered.OpsetVersion("gsopt"), 0);
  EXPECT_EQ(lowered.value(lowered.outputs()[0]).name, "y");
  std::vector<std::string> ops;
  for (ir::NodeId id : lowered.LiveNodes()) {
    EXPECT_EQ(lowered.node(id).domain, "") << lowered.node(id).op_type;
    ops.push_back(lowered.node(id).op_type);
  }
  verifier::DifferentialOptions options;
  absl::StatusOr<verifier::DifferentialReport> report = verifier::CompareGraphs(lowered, fused, options);
  EXPECT_TRUE(report.ok()) << report.status();
  if (report.ok()) {
    EXPECT_TRUE(report->matches) << report->Summary();
  }
  return ops;
}

TEST(LowerInternalOpsTest, FusedConvBecomesConvAndItsActivation) {
  EXPECT_THAT(LowerAndCompare(OneFusedNode("FusedConv", ConvInputs,
                                           {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                            {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                                            {"activation", "Relu"}})),
              ::testing::ElementsAre("Conv", "Relu"));
  EXPECT_THAT(
      LowerAndCompare(OneFusedNode("FusedConv", ConvInputs,
                                   {{"activation", "LeakyRelu"}, {"activation_params", std::vector<float>{0.2f}}})),
      ::testing::ElementsAre("Conv", "LeakyRelu"));
  // Clip takes its bounds as inputs from opset 11, as attributes before.
  for (int64_t opset : {int64_t{9}, int64_t{17}}) {
    EXPECT_THAT(LowerAndCompare(OneFusedNode(
                    "FusedConv", ConvInputs,
                    {{"activation", "Clip"}, {"activation_params", std::vector<float>{-0.5f, 0.5f}}}, opset)),
                ::testing::ElementsAre("Conv", "Clip"));
  }
}

TEST(LowerInternalOpsTest, FusedMatMulBecomesMatMulAddActivation) {
  EXPECT_THAT(LowerAndCompare(OneFusedNode("FusedMatMul", MatMulInputs, {{"activation", "Sigmoid"}})),
              ::testing::ElementsAre("MatMul", "Add", "Sigmoid"));
  // Without an activation the Add (or, without a bias, the MatMul) writes the output itself.
  EXPECT_THAT(LowerAndCompare(OneFusedNode("FusedMatMul", MatMulInputs, {{"activation", ""}})),
              ::testing::ElementsAre("MatMul", "Add"));
  EXPECT_THAT(LowerAndCompare(OneFusedNode("FusedMatMul", MatMulNoBiasInputs, {})), ::testing::ElementsAre("MatMul"));
  EXPECT_THAT(LowerAndCompare(OneFusedNode("FusedConv", ConvInputs, {})), ::testing::ElementsAre("Conv"));
}

TEST(LowerInternalOpsTest, GeluPicksTheFormForTheOpset) {
  EXPECT_THAT(LowerAndCompare(OneFusedNode("Gelu", GeluInputs, {}, 20)), ::testing::ElementsAre("Gelu"));
  std::vector<std::string> erf = LowerAndCompare(OneFusedNode("Gelu", GeluInputs, {}, 17));
  EXPECT_THAT(erf, Contains("Erf"));
  EXPECT_THAT(erf, Not(Contains("Tanh")));
  std::vector<std::string> tanh = LowerAndCompare(OneFusedNode("Gelu", GeluInputs, {{"approximate", "tanh"}}, 17));
  EXPECT_THAT(tanh, Contains("Tanh"));
  EXPECT_THAT(tanh, Not(Contains("Pow")));
}

TEST(LowerInternalOpsTest, AttentionBecomesMatMulScaleSoftmaxMatMul) {
  EXPECT_THAT(LowerAndCompare(OneFusedNode("Attention", AttentionInputs, {{"scale", 0.35f}})),
              ::testing::ElementsAre("Transpose", "MatMul", "Mul", "Softmax", "MatMul"));
  EXPECT_THAT(
      LowerAndCompare(OneFusedNode("Attention", AttentionInputsKt, {{"scale", 0.35f}, {"k_transposed", int64_t{1}}})),
      ::testing::ElementsAre("MatMul", "Mul", "Softmax", "MatMul"));
}

TEST(LowerInternalOpsTest, GraphsWithoutInternalOpsAreUnchanged) {
  Graph g;
  ir::ValueId x = g.AddInput("x", F32({4}));
  ir::NodeId n = g.AddNode("Relu", {x}, {"y"});
  g.AddOutput(g.node(n).outputs[0]);
  absl::StatusOr<bool> changed = CreateLowerInternalOpsPass()->Run(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
}

TEST(LowerInternalOpsTest, UnknownActivationIsAnErrorNamingTheNode) {
  Graph g;
  g.mutable_metadata().opset_imports = {{"", 17}, {"gsopt", 1}};
  std::vector<ir::ValueId> in = MatMulInputs(g);
  ir::NodeId n = g.AddNode("FusedMatMul", in, {"y"}, {{"activation", "Swish"}}, "fused", "gsopt");
  g.AddOutput(g.node(n).outputs[0]);
  absl::StatusOr<bool> changed = CreateLowerInternalOpsPass()->Run(g);
  ASSERT_FALSE(changed.ok());
  EXPECT_THAT(changed.status().message(), ::testing::HasSubstr("node 'fused'"));
  EXPECT_THAT(changed.status().message(), ::testing::HasSubstr("Swish"));
  // The graph is left as it was.
  EXPECT_EQ(g.num_live_nodes(), 1);
  EXPECT_EQ(g.node(n).op_type, "FusedMatMul");
  EXPECT_FALSE(g.node(n).removed);
}

}  // namespace
}  // namespace gsopt::rewrites
