// Tests that the analytical model, with RegisterFusedOpWork, costs each of
// gsopt's fused ops below the standard ops it replaces (the search must see a
// fusion as a gain) while counting the same FLOPs: a fused node saves memory
// passes and launches, not arithmetic.
#include "backend/cost/fused_op_work.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/op_registry.h"

namespace gsopt::backend {
namespace {

using ir::DType;
using ir::Graph;
using ir::NodeId;
using ir::Tensor;
using ir::ValueId;

ir::TensorType F32(std::vector<ir::Dim> dims) { return ir::TensorType{DType::kFloat32, ir::Shape(std::move(dims))}; }
ValueId Weight(Graph& g, const std::string& name, std::vector<int64_t> dims) {
  return g.AddInitializer(name, Tensor::Zeros(DType::kFloat32, std::move(dims)));
}
ValueId Scalar(Graph& g, const std::string& name) { return Weight(g, name, {}); }
ValueId Out(const Graph& g, NodeId n) { return g.node(n).outputs[0]; }

struct Totals {
  double us = -1;
  int64_t flops = 0;        // as the cost model charges them
  int64_t plain_flops = 0;  // NodeFlops over the default-domain nodes
};

Totals Cost(Graph g) {
  GSOPT_CHECK_OK(ir::InferShapes(g));
  AnalyticalCostModel model;
  RegisterFusedOpWork(model);
  GraphCost cost = model.Estimate(g);
  EXPECT_TRUE(cost.known()) << cost.ToString();
  Totals t;
  t.us = cost.total_us.value_or(-1);
  for (const NodeCost& n : cost.nodes) t.flops += n.flops;
  t.plain_flops = CountFlops(g).total;
  return t;
}

// Conv [1,64,56,56] * [64,64,3,3] + Relu, unfused and fused.
Graph ConvRelu(bool fused) {
  Graph g;
  ValueId x = g.AddInput("x", F32({1, 64, 56, 56}));
  std::vector<ValueId> in = {x, Weight(g, "w", {64, 64, 3, 3}), Weight(g, "b", {64})};
  ir::AttributeMap attrs = {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  if (fused) {
    attrs["activation"] = "Relu";
    g.AddOutput(Out(g, g.AddNode("FusedConv", in, {"y"}, attrs, "conv", "gsopt")));
  } else {
    NodeId conv = g.AddNode("Conv", in, {"c"}, attrs);
    g.AddOutput(Out(g, g.AddNode("Relu", {Out(g, conv)}, {"y"})));
  }
  return g;
}

// [16,64,1024] x [1024,1024] + bias + Relu.
Graph MatMulBiasRelu(bool fused) {
  Graph g;
  ValueId a = g.AddInput("a", F32({16, 64, 1024}));
  ValueId w = Weight(g, "w", {1024, 1024});
  ValueId c = Weight(g, "c", {1024});
  if (fused) {
    g.AddOutput(Out(g, g.AddNode("FusedMatMul", {a, w, c}, {"y"}, {{"activation", "Relu"}}, "mm", "gsopt")));
  } else {
    NodeId mm = g.AddNode("MatMul", {a, w}, {"m"});
    NodeId add = g.AddNode("Add", {Out(g, mm), c}, {"s"});
    g.AddOutput(Out(g, g.AddNode("Relu", {Out(g, add)}, {"y"})));
  }
  return g;
}

// Gelu on [16,64,4096]: one node against the exporter's five.
Graph GeluGraph(bool fused) {
  Graph g;
  ValueId x = g.AddInput("x", F32({16, 64, 4096}));
  if (fused) {
    g.AddOutput(Out(g, g.AddNode("Gelu", {x}, {"y"}, {}, "gelu", "gsopt")));
  } else {
    NodeId div = g.AddNode("Div", {x, Scalar(g, "sqrt2")}, {"d"});
    NodeId erf = g.AddNode("Erf", {Out(g, div)}, {"e"});
    NodeId add = g.AddNode("Add", {Out(g, erf), Scalar(g, "one")}, {"p"});
    NodeId mul = g.AddNode("Mul", {x, Out(g, add)}, {"m"});
    g.AddOutput(Out(g, g.AddNode("Mul", {Out(g, mul), Scalar(g, "half")}, {"y"})));
  }
  return g;
}

// BERT-sized attention: [16,16,64,64] heads.
Graph AttentionGraph(bool fused) {
  Graph g;
  ValueId q = g.AddInput("q", F32({16, 16, 64, 64}));
  ValueId k = g.AddInput("k", F32({16, 16, 64, 64}));
  ValueId v = g.AddInput("v", F32({16, 16, 64, 64}));
  if (fused) {
    g.AddOutput(Out(g, g.AddNode("Attention", {q, k, v}, {"y"}, {{"scale", 0.125f}, {"k_transposed", int64_t{1}}},
                                 "attn", "gsopt")));
  } else {
    NodeId qk = g.AddNode("MatMul", {q, k}, {"s"});
    NodeId scaled = g.AddNode("Mul", {Out(g, qk), Scalar(g, "scale")}, {"t"});
    NodeId soft = g.AddNode("Softmax", {Out(g, scaled)}, {"p"}, {{"axis", int64_t{-1}}});
    g.AddOutput(Out(g, g.AddNode("MatMul", {Out(g, soft), v}, {"y"})));
  }
  return g;
}

void ExpectFusedCheaperWithSameFlops(Graph (*build)(bool)) {
  Totals parts = Cost(build(false));
  Totals fused = Cost(build(true));
  EXPECT_GT(fused.us, 0);
  EXPECT_LT(fused.us, parts.us);
  // The parts' arithmetic, counted without the model's crediting of bias and
  // scale epilogues that ONNX Runtime folds into its MatMul.
  EXPECT_EQ(fused.flops, parts.plain_flops);
}

TEST(FusedOpWorkTest, FusedConvCostsLessThanConvPlusRelu) { ExpectFusedCheaperWithSameFlops(ConvRelu); }
TEST(FusedOpWorkTest, FusedMatMulCostsLessThanItsParts) { ExpectFusedCheaperWithSameFlops(MatMulBiasRelu); }
TEST(FusedOpWorkTest, AttentionCostsLessThanItsParts) { ExpectFusedCheaperWithSameFlops(AttentionGraph); }

TEST(FusedOpWorkTest, GeluCostsLessThanTheErfForm) {
  // The erf form's FLOPs (one per Div/Add/Mul, Erf's count) differ from
  // Gelu's own count; only the order matters here.
  EXPECT_LT(Cost(GeluGraph(true)).us, Cost(GeluGraph(false)).us);
}

TEST(FusedOpWorkTest, WithoutRegistrationFusedOpsCountNoFlops) {
  Graph g = ConvRelu(true);
  GSOPT_CHECK_OK(ir::InferShapes(g));
  AnalyticalCostModel plain;
  GraphCost cost = plain.Estimate(g);
  ASSERT_EQ(cost.nodes.size(), 1u);
  EXPECT_EQ(cost.nodes[0].flops, 0);
  EXPECT_GT(Cost(ConvRelu(true)).flops, 0);
}

}  // namespace
}  // namespace gsopt::backend
