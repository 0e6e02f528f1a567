// Tests for the analytical cost model: the roofline formula on hand-checked
// numbers, and that the model ranks the pairs the rewrites rely on the way
// the machine does (a merged GEMM beats three, a fused Conv+Relu beats the
// pair, a cancelling Transpose pair is not free), that symbolic shapes give
// an unknown cost rather than a number, and that the breakdown adds up.
#include "backend/cost/cost_model.h"

#include <array>
#include <algorithm>

#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/op_registry.h"

namespace gsopt::backend {
namespace {

using ir::DType;
using ir::Graph;
using ir::NodeId;
using ir::Tensor;
using ir::TensorType;
using ir::ValueId;

TensorType F32(std::vector<ir::Dim> dims) { return TensorType{DType::kFloat32, ir::Shape(std::move(dims))}; }
ValueId Out(const Graph& g, NodeId n) { return g.node(n).outputs[0]; }
ValueId Weight(Graph& g, const std::string& name, std::vector<int64_t> dims) {
  return g.AddInitializer(name, Tensor::Zeros(DType::kFloat32, std::move(dims)));
}

double Total(const CostModel& model, const Graph& g) {
  GraphCost cost = model.Estimate(g);
  EXPECT_TRUE(cost.known()) << cost.ToString();
  return cost.total_us.value_or(-1);
}

// x[M,K] read by three MatMuls with [K,N] weights (Q/K/V before TASO's rewrite).
Graph ThreeGemms(int64_t m, int64_t k, int64_t n) {
  Graph g;
  ValueId x = g.AddInput("x", F32({m, k}));
  for (const char* name : {"q", "k", "v"}) {
    NodeId mm = g.AddNode("MatMul", {x, Weight(g, std::string("w_") + name, {k, n})}, {name});
    g.AddOutput(Out(g, mm));
  }
  GSOPT_CHECK_OK(ir::InferShapes(g));
  return g;
}

// The same work as one MatMul with the weights concatenated: [M,K]x[K,3N].
Graph MergedGemm(int64_t m, int64_t k, int64_t n) {
  Graph g;
  ValueId x = g.AddInput("x", F32({m, k}));
  NodeId mm = g.AddNode("MatMul", {x, Weight(g, "w_qkv", {k, 3 * n})}, {"qkv"});
  g.AddOutput(Out(g, mm));
  GSOPT_CHECK_OK(ir::InferShapes(g));
  return g;
}

TEST(AnalyticalCostModelTest, MergedGemmBeatsThreeOnTheSameInput) {
  AnalyticalCostModel model;
  // Small (memory and overhead matter), BERT-sized (compute-bound) and skinny.
  for (auto [m, k, n] : std::vector<std::array<int64_t, 3>>{{64, 256, 256}, {1024, 1024, 1024}, {16, 4096, 64}}) {
    SCOPED_TRACE(testing::Message() << "M=" << m << " K=" << k << " N=" << n);
    Graph three = ThreeGemms(m, k, n);
    Graph merged = MergedGemm(m, k, n);
    GraphCost three_cost = model.Estimate(three);
    GraphCost merged_cost = model.Estimate(merged);
    ASSERT_TRUE(three_cost.known() && merged_cost.known());
    int64_t three_flops = 0;
    for (const NodeCost& c : three_cost.nodes) three_flops += c.flops;
    EXPECT_EQ(merged_cost.nodes[0].flops, three_flops) << "same arithmetic either way";
    // The merged GEMM reads x once instead of three times.
    EXPECT_EQ(three_cost.nodes[0].bytes.total() * 3 - merged_cost.nodes[0].bytes.total(), 2 * m * k * 4);
    EXPECT_LT(*merged_cost.total_us, *three_cost.total_us);
  }
}

// x -> Conv(3x3, pad 1) -> [Relu] -> y.
Graph ConvGraph(bool with_relu) {
  Graph g;
  ValueId x = g.AddInput("x", F32({1, 64, 56, 56}));
  NodeId conv = g.AddNode("Conv", {x, Weight(g, "w", {64, 64, 3, 3}), Weight(g, "b", {64})}, {"c"},
                          {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, "conv");
  if (with_relu) conv = g.AddNode("Relu", {Out(g, conv)}, {"r"}, {}, "relu");
  g.AddOutput(Out(g, conv));
  GSOPT_CHECK_OK(ir::InferShapes(g));
  return g;
}

// The same computation as one fused node of gsopt's own domain, which ONNX
// shape inference does not know: its output type is set by hand.
Graph FusedConvReluGraph() {
  Graph g;
  ValueId x = g.AddInput("x", F32({1, 64, 56, 56}));
  NodeId fused = g.AddNode("FusedConv", {x, Weight(g, "w", {64, 64, 3, 3}), Weight(g, "b", {64})}, {"r"},
                           {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"activation", "Relu"}}, "conv_relu",
                           "gsopt");
  g.mutable_value(Out(g, fused)).type = F32({1, 64, 56, 56});
  g.AddOutput(Out(g, fused));
  GSOPT_CHECK_OK(ir::InferShapes(g));
  return g;
}

// How a fused op reports its own work: the FLOPs of its parts, the bytes of
// the one node (input, weights and output; the intermediate never hits memory).
absl::StatusOr<OpWork> FusedConvWork(const Graph& g, const ir::Node& node) {
  absl::StatusOr<BytesMoved> bytes = NodeBytesMoved(g, node);
  if (!bytes.ok()) return bytes.status();
  std::vector<int64_t> w = g.value(node.inputs[1]).type.shape.static_dims();
  int64_t out = *g.value(node.outputs[0]).type.shape.num_elements();
  OpWork work;
  work.op_class = OpClass::kConv;
  work.flops = 2 * out * w[1] * w[2] * w[3] + out;  // the MACs, then one max per output
  work.bytes = *bytes;
  return work;
}

TEST(AnalyticalCostModelTest, ReluAfterAConvIsFreeWhereTheRuntimeFusesIt) {
  AnalyticalCostModel ort;  // the default machine model is ONNX Runtime's
  GraphCost pair = ort.Estimate(ConvGraph(/*with_relu=*/true));
  GraphCost conv = ort.Estimate(ConvGraph(/*with_relu=*/false));
  ASSERT_TRUE(pair.known() && conv.known());
  MachineModel unfused;
  unfused.fold_conv_activation = false;
  double relu_fused = *pair.total_us - *conv.total_us;
  double relu_alone = *AnalyticalCostModel(unfused).Estimate(ConvGraph(true)).total_us - *conv.total_us;
  // Only the per-node overhead is left of the fused Relu.
  EXPECT_LT(relu_fused, 0.1 * relu_alone);
  EXPECT_GE(relu_fused, 0);
}

TEST(AnalyticalCostModelTest, FusedConvReluBeatsConvThenRelu) {
  // On a runtime that runs the Relu as its own op (gsopt's executor); ORT
  // fuses it into the Conv itself, as the next test checks.
  MachineModel unfused;
  unfused.fold_conv_activation = false;
  AnalyticalCostModel model(unfused);
  model.RegisterWork("gsopt", "FusedConv", FusedConvWork);
  GraphCost pair = model.Estimate(ConvGraph(/*with_relu=*/true));
  GraphCost fused = model.Estimate(FusedConvReluGraph());
  ASSERT_TRUE(pair.known()) << pair.ToString();
  ASSERT_TRUE(fused.known()) << fused.ToString();
  ASSERT_EQ(fused.nodes.size(), 1u);
  EXPECT_EQ(fused.nodes[0].op_class, OpClass::kConv) << "the registered work function was used";
  // The pair writes the activation and reads it back once more.
  const int64_t activation_bytes = 64 * 56 * 56 * 4;
  EXPECT_EQ(pair.nodes[0].bytes.total() + pair.nodes[1].bytes.total() - fused.nodes[0].bytes.total(),
            2 * activation_bytes);
  EXPECT_LT(*fused.total_us, *pair.total_us);
  // And the Relu alone is a memory-bound op, as it is on the machine.
  EXPECT_EQ(pair.nodes[1].op_class, OpClass::kElementwise);
  EXPECT_TRUE(pair.nodes[1].memory_bound());
  EXPECT_FALSE(pair.nodes[0].memory_bound());

  // Without the registration the fused op is not silently treated as a conv.
  AnalyticalCostModel plain;
  GraphCost unregistered = plain.Estimate(FusedConvReluGraph());
  ASSERT_TRUE(unregistered.known());
  EXPECT_EQ(unregistered.nodes[0].op_class, OpClass::kOther);
}

TEST(AnalyticalCostModelTest, CancellingTransposePairCostsMoreThanNone) {
  auto build = [](bool transposes) {
    Graph g;
    ValueId v = g.AddInput("x", F32({8, 64, 128}));
    if (transposes) {
      for (const char* name : {"t0", "t1"}) {
        v = Out(g, g.AddNode("Transpose", {v}, {name}, {{"perm", std::vector<int64_t>{0, 2, 1}}}));
      }
    }
    g.AddOutput(Out(g, g.AddNode("Relu", {v}, {"y"})));
    GSOPT_CHECK_OK(ir::InferShapes(g));
    return g;
  };
  AnalyticalCostModel model;
  Graph with = build(true);
  Graph without = build(false);
  GraphCost with_cost = model.Estimate(with);
  ASSERT_TRUE(with_cost.known());
  EXPECT_EQ(with_cost.nodes[0].op_class, OpClass::kDataMovement);
  EXPECT_EQ(with_cost.nodes[0].flops, 0) << "data movement costs bytes only";
  EXPECT_GT(with_cost.nodes[0].memory_us, 0);
  EXPECT_GT(*with_cost.total_us, Total(model, without));
}

TEST(AnalyticalCostModelTest, SymbolicDimMakesTheCostUnknown) {
  Graph g;
  ValueId x = g.AddInput("x", F32({ir::Dim::Symbol("batch"), 64}));
  ValueId w = Weight(g, "w", {64, 32});
  NodeId relu = g.AddNode("Relu", {x}, {"r"}, {}, "relu");
  NodeId mm = g.AddNode("MatMul", {Out(g, relu), w}, {"y"}, {}, "mm");
  g.AddOutput(Out(g, mm));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  AnalyticalCostModel model;
  GraphCost cost = model.Estimate(g);
  EXPECT_FALSE(cost.known());
  EXPECT_FALSE(cost.total_us.has_value());
  EXPECT_EQ(cost.unknown_nodes, 2);
  ASSERT_EQ(cost.nodes.size(), 2u);
  EXPECT_FALSE(cost.nodes[0].known());
  EXPECT_NE(cost.nodes[0].unknown_reason.find("'x'"), std::string::npos) << cost.nodes[0].unknown_reason;
  EXPECT_NE(cost.nodes[0].unknown_reason.find("batch"), std::string::npos) << cost.nodes[0].unknown_reason;
  EXPECT_NE(cost.ToString().find("total: unknown"), std::string::npos) << cost.ToString();

  // Fixing the dim makes it known.
  g.mutable_value(x).type = F32({4, 64});
  ASSERT_TRUE(ir::InferShapes(g).ok());
  EXPECT_TRUE(model.Estimate(g).known());
}

TEST(AnalyticalCostModelTest, RooflineFormulaOnHandCheckedNumbers) {
  MachineModel machine;
  machine.peak_gflops = 100;
  machine.dram_bandwidth_gbps = 10;
  machine.cache_bytes = 0;  // everything at DRAM bandwidth
  machine.launch_overhead_us = 5;
  machine.gemm = {0.5, 1.0};
  machine.elementwise = {1.0, 1.0};
  AnalyticalCostModel model(machine);

  Graph g;
  ValueId x = g.AddInput("x", F32({256, 256}));
  NodeId mm = g.AddNode("MatMul", {x, Weight(g, "w", {256, 256})}, {"m"}, {}, "mm");
  NodeId relu = g.AddNode("Relu", {Out(g, mm)}, {"r"}, {}, "relu");
  NodeId reshape = g.AddNode(
      "Reshape", {Out(g, relu), g.AddInitializer("shape", Tensor::FromVector<int64_t>({1}, {65536}))}, {"y"});
  g.AddOutput(Out(g, reshape));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  GraphCost cost = model.Estimate(g);
  ASSERT_TRUE(cost.known()) << cost.ToString();
  ASSERT_EQ(cost.nodes.size(), 3u);

  // MatMul: 2*256^3 FLOPs at 50 GFLOP/s = 671.08864 us; 3*256 KiB at 10 GB/s = 78.6432 us.
  const NodeCost& m = cost.nodes[0];
  EXPECT_EQ(m.flops, 2 * 256 * 256 * 256);
  EXPECT_EQ(m.bytes.read, 2 * 256 * 256 * 4);
  EXPECT_EQ(m.bytes.written, 256 * 256 * 4);
  EXPECT_NEAR(m.compute_us, 671.08864, 1e-6);
  EXPECT_NEAR(m.memory_us, 78.6432, 1e-6);
  EXPECT_NEAR(*m.time_us, 671.08864 + 5, 1e-6);
  EXPECT_FALSE(m.memory_bound());

  // Relu: 65536 FLOPs at 100 GFLOP/s = 0.65536 us; 512 KiB at 10 GB/s = 52.4288 us.
  const NodeCost& r = cost.nodes[1];
  EXPECT_NEAR(r.compute_us, 0.65536, 1e-9);
  EXPECT_NEAR(r.memory_us, 52.4288, 1e-9);
  EXPECT_NEAR(*r.time_us, 52.4288 + 5, 1e-9);
  EXPECT_TRUE(r.memory_bound());

  // Reshape is a view: launch overhead only, unless views are charged a copy.
  EXPECT_EQ(cost.nodes[2].op_class, OpClass::kView);
  EXPECT_EQ(cost.nodes[2].bytes.total(), 0);
  EXPECT_DOUBLE_EQ(*cost.nodes[2].time_us, 5);
  machine.views_are_free = false;
  GraphCost copied = AnalyticalCostModel(machine).Estimate(g);
  EXPECT_GT(*copied.nodes[2].time_us, 5);

  // Data that fits in cache moves at the cache figure.
  machine.cache_bytes = int64_t{1} << 30;
  machine.cache_bandwidth_gbps = 40;
  GraphCost cached = AnalyticalCostModel(machine).Estimate(g);
  EXPECT_NEAR(cached.nodes[1].memory_us, 52.4288 / 4, 1e-9);
}

TEST(AnalyticalCostModelTest, BreakdownSumsToTheTotal) {
  Graph g;
  ValueId x = g.AddInput("x", F32({2, 3, 32, 32}));
  NodeId conv = g.AddNode("Conv", {x, Weight(g, "w", {16, 3, 3, 3})}, {"c"},
                          {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, "conv");
  NodeId relu = g.AddNode("Relu", {Out(g, conv)}, {"r"}, {}, "relu");
  NodeId pool = g.AddNode("GlobalAveragePool", {Out(g, relu)}, {"p"}, {}, "pool");
  NodeId flat = g.AddNode("Flatten", {Out(g, pool)}, {"f"}, {}, "flat");
  NodeId fc = g.AddNode("Gemm", {Out(g, flat), Weight(g, "fc_w", {16, 10}), Weight(g, "fc_b", {10})}, {"logits"},
                        {}, "fc");
  NodeId softmax = g.AddNode("Softmax", {Out(g, fc)}, {"probs"}, {}, "softmax");
  g.AddOutput(Out(g, softmax));
  ASSERT_TRUE(ir::InferShapes(g).ok());

  AnalyticalCostModel model;
  GraphCost cost = model.Estimate(g);
  ASSERT_TRUE(cost.known()) << cost.ToString();
  ASSERT_EQ(static_cast<int>(cost.nodes.size()), g.num_live_nodes());
  double sum = 0;
  for (const NodeCost& n : cost.nodes) {
    ASSERT_TRUE(n.known()) << n.name;
    EXPECT_GT(*n.time_us, 0) << n.name;
    EXPECT_DOUBLE_EQ(*n.time_us, std::max(n.compute_us, n.memory_us) + n.overhead_us) << n.name;
    sum += *n.time_us;
  }
  EXPECT_NEAR(sum, *cost.total_us, 1e-9 * sum);
  std::vector<OpClass> classes;
  for (const NodeCost& n : cost.nodes) classes.push_back(n.op_class);
  EXPECT_EQ(classes, (std::vector<OpClass>{OpClass::kConv, OpClass::kElementwise, OpClass::kReduction,
                                           OpClass::kView, OpClass::kGemm, OpClass::kReduction}));
  std::string table = cost.ToString();
  EXPECT_NE(table.find("conv"), std::string::npos) << table;
  EXPECT_NE(table.find("total:"), std::string::npos) << table;
}

// The ONNX Runtime refinements of MachineModel, each checked on the pair of
// graphs whose ranking it exists for.
Graph ConvOnly(int64_t channels, int64_t per_group, int64_t hw) {
  Graph g;
  ValueId x = g.AddInput("x", F32({1, channels, hw, hw}));
  ValueId w = Weight(g, "w", {channels, per_group, 3, 3});
  NodeId conv = g.AddNode("Conv", {x, w}, {"y"},
                          {{"group", ir::Attribute(channels / per_group)},
                           {"pads", ir::Attribute(std::vector<int64_t>{1, 1, 1, 1})}});
  g.AddOutput(Out(g, conv));
  GSOPT_CHECK_OK(ir::InferShapes(g));
  return g;
}

TEST(OrtRefinementsTest, NarrowGroupsRegroupedToABlockAreCheaperButNoFurther) {
  AnalyticalCostModel model;
  // ResNeXt's 3x3 Conv: 128 channels, 32 groups of 4 (measured 1.27x faster as 8 groups of 16).
  double narrow = Total(model, ConvOnly(128, 4, 56));
  double block = Total(model, ConvOnly(128, 16, 56));
  double wider = Total(model, ConvOnly(128, 32, 56));
  EXPECT_LT(block, narrow);
  EXPECT_GT(wider, block) << "past a block, fewer groups only add FLOPs";
  // Depthwise Convs have their own fast kernel: no penalty, so regrouping one never pays.
  EXPECT_LT(Total(model, ConvOnly(64, 1, 56)), Total(model, ConvOnly(64, 2, 56)));
}

TEST(OrtRefinementsTest, LrnCostsMoreThanItsConvDecomposition) {
  AnalyticalCostModel model;
  Graph lrn;
  ValueId x = lrn.AddInput("x", F32({1, 64, 56, 56}));
  lrn.AddOutput(Out(lrn, lrn.AddNode("LRN", {x}, {"y"}, {{"size", ir::Attribute(int64_t{5})}})));
  GSOPT_CHECK_OK(ir::InferShapes(lrn));

  Graph decomposed;
  ValueId dx = decomposed.AddInput("x", F32({1, 64, 56, 56}));
  ValueId sq = Out(decomposed, decomposed.AddNode("Mul", {dx, dx}, {"sq"}));
  ValueId den = Out(decomposed, decomposed.AddNode("Conv", {sq, Weight(decomposed, "band", {64, 64, 1, 1}),
                                                            Weight(decomposed, "bias", {64})},
                                                   {"den"}));
  ValueId s = Out(decomposed, decomposed.AddNode("Sqrt", {den}, {"s"}));
  ValueId q = Out(decomposed, decomposed.AddNode("Sqrt", {s}, {"q"}));
  ValueId p = Out(decomposed, decomposed.AddNode("Mul", {s, q}, {"p"}));
  decomposed.AddOutput(Out(decomposed, decomposed.AddNode("Div", {dx, p}, {"y"})));
  GSOPT_CHECK_OK(ir::InferShapes(decomposed));
  EXPECT_LT(Total(model, decomposed), Total(model, lrn));

  MachineModel roofline_only;
  roofline_only.slow_kernels.clear();
  EXPECT_GT(Total(AnalyticalCostModel(roofline_only), decomposed), Total(AnalyticalCostModel(roofline_only), lrn))
      << "without the measured kernel speed the roofline prefers LRN";
}

TEST(OrtRefinementsTest, SplitOfAnActivationPaysTheLayoutReorders) {
  AnalyticalCostModel model;
  auto split = [](std::vector<ir::Dim> dims, int64_t axis) {
    Graph g;
    ValueId x = g.AddInput("x", F32(dims));
    ValueId sizes = g.AddInitializer("sizes", Tensor::FromVector<int64_t>({2}, {32, 32}));
    NodeId n = g.AddNode("Split", {x, sizes}, {"a", "b"}, {{"axis", ir::Attribute(axis)}});
    g.AddOutput(g.node(n).outputs[0]);
    g.AddOutput(g.node(n).outputs[1]);
    GSOPT_CHECK_OK(ir::InferShapes(g));
    return g;
  };
  GraphCost four_d = model.Estimate(split({1, 64, 56, 56}, 1));
  GraphCost two_d = model.Estimate(split({64, 56 * 56}, 0));
  ASSERT_TRUE(four_d.known() && two_d.known());
  EXPECT_NEAR(four_d.nodes[0].memory_us, 3 * two_d.nodes[0].memory_us, 1e-9 + 0.01 * two_d.nodes[0].memory_us);
}

TEST(OrtRefinementsTest, BiasAddAndScalarScaleAfterMatMulAreFree) {
  AnalyticalCostModel model;
  Graph g;
  ValueId x = g.AddInput("x", F32({64, 256}));
  ValueId m = Out(g, g.AddNode("MatMul", {x, Weight(g, "w", {256, 256})}, {"m"}));
  ValueId biased = Out(g, g.AddNode("Add", {m, Weight(g, "b", {256})}, {"biased"}));
  ValueId scale = g.AddInitializer("scale", Tensor::Scalar<float>(0.125f));
  ValueId scaled_matmul = Out(g, g.AddNode("MatMul", {biased, Weight(g, "w2", {256, 256})}, {"m2"}));
  ValueId scaled = Out(g, g.AddNode("Div", {scaled_matmul, scale}, {"scaled"}));
  ValueId relu = Out(g, g.AddNode("Relu", {scaled}, {"relu"}));
  ValueId not_folded = Out(g, g.AddNode("Add", {relu, Weight(g, "b2", {256})}, {"y"}));
  g.AddOutput(not_folded);
  GSOPT_CHECK_OK(ir::InferShapes(g));
  GraphCost cost = model.Estimate(g);
  ASSERT_TRUE(cost.known());
  ASSERT_EQ(cost.nodes.size(), 6u);
  EXPECT_EQ(cost.nodes[1].bytes.total(), 0) << "bias Add on a MatMul result";
  EXPECT_EQ(cost.nodes[3].bytes.total(), 0) << "scalar Div on a MatMul result";
  EXPECT_GT(cost.nodes[5].bytes.total(), 0) << "a bias Add after a Relu is a real op";
}

}  // namespace
}  // namespace gsopt::backend
