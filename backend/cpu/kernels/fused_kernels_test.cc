// Tests of the CPU kernels of gsopt's fused ops: each one-node graph (domain
// "gsopt") goes through strict shape inference and the CpuExecutor, and its
// output is compared with values worked out by hand from the op's definition
// (Conv/MatMul, then bias, then the activation; Softmax(Q K^T scale) V).
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backend/cpu/executor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;
using ::testing::HasSubstr;

Tensor F32(std::vector<int64_t> dims, std::vector<float> values) { return Tensor::FromVector<float>(dims, values); }

// Runs one gsopt-domain node on `inputs` (nullopt: omitted) and gives its output.
absl::StatusOr<Tensor> RunFused(const std::string& op, const std::vector<std::optional<Tensor>>& inputs,
                                ir::AttributeMap attributes) {
  ir::Graph graph;
  graph.mutable_metadata().opset_imports = {{"", 17}, {"gsopt", 1}};
  std::vector<ir::ValueId> ids;
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {
      ids.push_back(ir::kNoValue);
      continue;
    }
    ids.push_back(graph.AddInput(absl::StrCat("in", i), inputs[i]->type()));
    feeds.push_back(*inputs[i]);
  }
  ir::NodeId node = graph.AddNode(op, ids, {"out"}, std::move(attributes), "n", "gsopt");
  graph.AddOutput(graph.node(node).outputs[0]);
  if (absl::Status s = ir::InferShapes(graph); !s.ok()) return s;
  absl::StatusOr<CpuExecutor> exec = CpuExecutor::Create(graph);
  if (!exec.ok()) return exec.status();
  absl::StatusOr<std::vector<Tensor>> outs = exec->Run(feeds);
  if (!outs.ok()) return outs.status();
  // The kernel's output has the shape inference gave (all inputs are static here).
  std::vector<int64_t> inferred;
  for (const ir::Dim& d : graph.value(graph.outputs()[0]).type.shape.dims()) inferred.push_back(d.value());
  EXPECT_EQ((*outs)[0].dims(), inferred);
  return (*outs)[0];
}

void ExpectValues(const absl::StatusOr<Tensor>& t, std::vector<int64_t> dims, std::vector<float> expected,
                  double tolerance = 1e-5) {
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dims(), dims);
  ASSERT_EQ(t->num_elements(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(t->data<float>()[i], expected[i], tolerance) << "element " << i;
  }
}

TEST(FusedKernelsTest, FusedConvAppliesBiasThenActivation) {
  // 1x1 Conv, 1 input channel, 2 output channels: y[c] = w[c] * x + b[c].
  Tensor x = F32({1, 1, 1, 3}, {-1.0f, 0.5f, 2.0f});
  Tensor w = F32({2, 1, 1, 1}, {1.0f, -2.0f});
  Tensor b = F32({2}, {0.25f, 0.5f});
  // Without activation: [-0.75, 0.75, 2.25], [2.5, -0.5, -3.5].
  ExpectValues(RunFused("FusedConv", {x, w, b}, {}), {1, 2, 1, 3}, {-0.75f, 0.75f, 2.25f, 2.5f, -0.5f, -3.5f});
  ExpectValues(RunFused("FusedConv", {x, w, b}, {{"activation", "Relu"}}), {1, 2, 1, 3},
               {0.0f, 0.75f, 2.25f, 2.5f, 0.0f, 0.0f});
  ExpectValues(
      RunFused("FusedConv", {x, w, b}, {{"activation", "LeakyRelu"}, {"activation_params", std::vector<float>{0.1f}}}),
      {1, 2, 1, 3}, {-0.075f, 0.75f, 2.25f, 2.5f, -0.05f, -0.35f});
  ExpectValues(
      RunFused("FusedConv", {x, w, b}, {{"activation", "Clip"}, {"activation_params", std::vector<float>{0.0f, 1.0f}}}),
      {1, 2, 1, 3}, {0.0f, 0.75f, 1.0f, 1.0f, 0.0f, 0.0f});
  ExpectValues(
      RunFused("FusedConv", {x, w, std::nullopt}, {{"activation", "Tanh"}}), {1, 2, 1, 3},
      {std::tanh(-1.0f), std::tanh(0.5f), std::tanh(2.0f), std::tanh(2.0f), std::tanh(-1.0f), std::tanh(-4.0f)});
}

TEST(FusedKernelsTest, FusedMatMulAddsBiasOnLastDim) {
  Tensor a = F32({2, 2}, {1.0f, 2.0f, -3.0f, 0.5f});
  Tensor b = F32({2, 3}, {1.0f, 0.0f, -1.0f, 0.0f, 1.0f, 2.0f});
  Tensor c = F32({3}, {0.5f, -10.0f, 0.0f});
  // A B = [[1, 2, 3], [-3, 0.5, 4]].
  ExpectValues(RunFused("FusedMatMul", {a, b, std::nullopt}, {}), {2, 3}, {1.0f, 2.0f, 3.0f, -3.0f, 0.5f, 4.0f});
  ExpectValues(RunFused("FusedMatMul", {a, b, c}, {}), {2, 3}, {1.5f, -8.0f, 3.0f, -2.5f, -9.5f, 4.0f});
  ExpectValues(RunFused("FusedMatMul", {a, b, c}, {{"activation", "Relu"}}), {2, 3},
               {1.5f, 0.0f, 3.0f, 0.0f, 0.0f, 4.0f});
  auto sigmoid = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
  ExpectValues(RunFused("FusedMatMul", {a, b, c}, {{"activation", "Sigmoid"}}), {2, 3},
               {sigmoid(1.5f), sigmoid(-8.0f), sigmoid(3.0f), sigmoid(-2.5f), sigmoid(-9.5f), sigmoid(4.0f)});
}

TEST(FusedKernelsTest, FusedMatMulBatchedBroadcastsTheBias) {
  Tensor a = F32({2, 1, 2}, {1.0f, 1.0f, 2.0f, -1.0f});
  Tensor b = F32({2, 2}, {1.0f, 2.0f, 3.0f, 4.0f});
  ExpectValues(RunFused("FusedMatMul", {a, b, F32({2}, {1.0f, -1.0f})}, {}), {2, 1, 2}, {5.0f, 5.0f, 0.0f, -1.0f});
}

TEST(FusedKernelsTest, GeluMatchesBothDefinitions) {
  Tensor x = F32({3}, {-1.0f, 0.0f, 1.5f});
  auto erf_gelu = [](float v) { return 0.5f * v * (1.0f + std::erf(v / std::sqrt(2.0f))); };
  auto tanh_gelu = [](float v) {
    return 0.5f * v * (1.0f + std::tanh(std::sqrt(2.0f / 3.14159265f) * (v + 0.044715f * v * v * v)));
  };
  ExpectValues(RunFused("Gelu", {x}, {}), {3}, {erf_gelu(-1.0f), 0.0f, erf_gelu(1.5f)});
  ExpectValues(RunFused("Gelu", {x}, {{"approximate", "tanh"}}), {3}, {tanh_gelu(-1.0f), 0.0f, tanh_gelu(1.5f)});
}

TEST(FusedKernelsTest, AttentionIsScaledSoftmaxOfScoresTimesValues) {
  // One query [1, 0], keys [1, 0] and [0, 1]: scores [1, 0] * scale 2 = [2, 0].
  Tensor q = F32({1, 1, 2}, {1.0f, 0.0f});
  Tensor k = F32({1, 2, 2}, {1.0f, 0.0f, 0.0f, 1.0f});
  Tensor v = F32({1, 2, 3}, {1.0f, 2.0f, 3.0f, -1.0f, 0.0f, 1.0f});
  const float p = std::exp(2.0f) / (std::exp(2.0f) + 1.0f);
  std::vector<float> expected = {p - (1 - p), 2 * p, 3 * p + (1 - p)};
  ExpectValues(RunFused("Attention", {q, k, v}, {{"scale", 2.0f}}), {1, 1, 3}, expected);
  // K given transposed ([d, T]) gives the same (this K is symmetric, so use an asymmetric one).
  Tensor k2 = F32({1, 2, 2}, {1.0f, 0.5f, 0.0f, 1.0f});    // keys [1, 0.5] and [0, 1]
  Tensor k2_t = F32({1, 2, 2}, {1.0f, 0.0f, 0.5f, 1.0f});  // the same keys as columns
  absl::StatusOr<Tensor> plain = RunFused("Attention", {q, k2, v}, {{"scale", 0.5f}});
  absl::StatusOr<Tensor> transposed =
      RunFused("Attention", {q, k2_t, v}, {{"scale", 0.5f}, {"k_transposed", int64_t{1}}});
  ASSERT_TRUE(plain.ok() && transposed.ok());
  // scores [1, 0] * 0.5 = [0.5, 0].
  const float p2 = std::exp(0.5f) / (std::exp(0.5f) + 1.0f);
  ExpectValues(plain, {1, 1, 3}, {p2 - (1 - p2), 2 * p2, 3 * p2 + (1 - p2)});
  ExpectValues(transposed, {1, 1, 3}, {p2 - (1 - p2), 2 * p2, 3 * p2 + (1 - p2)});
}

TEST(FusedKernelsTest, BadAttributesAreErrorsNamingTheNode) {
  Tensor a = F32({2, 2}, {1.0f, 2.0f, 3.0f, 4.0f});
  absl::StatusOr<Tensor> bad = RunFused("FusedMatMul", {a, a, std::nullopt}, {{"activation", "Swish"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("Swish"));
  EXPECT_THAT(bad.status().message(), HasSubstr("node 'n'"));
}

}  // namespace
}  // namespace gsopt::backend::cpu
