// Tests for the loss kernels (NegativeLogLikelihoodLoss,
// SoftmaxCrossEntropyLoss). Each case runs one node through shape inference
// and the CpuExecutor, checks that the outputs have exactly the inferred dtype
// and shape, and compares values with the ONNX reference implementation
// (onnx.reference 1.23) run on the same Ramp() inputs and printed as the
// literal arrays below.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "backend/cpu/executor.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::backend::cpu {
namespace {

using ::testing::HasSubstr;
using ir::DType;
using ir::Tensor;

// Deterministic inputs: v_i = (((7 i + seed) mod 13) - 6) / 4, exact in every float type.
Tensor Ramp(std::vector<int64_t> dims, int seed, DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Zeros(dtype, std::move(dims));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetFromDouble(i, static_cast<double>(((i * 7 + seed) % 13) - 6) / 4.0);
  return t;
}

using Runner = kernel_test::StrictNodeRunner<13>;
using NodeRun = Runner::NodeRun;
constexpr auto RunNode = &Runner::RunNode;
constexpr auto RunOk = &Runner::RunOk;
using kernel_test::ExpectTensor;

// ---------------------------------------------------------------------------
// Reference outputs (onnx.reference 1.23) for Ramp() inputs.
// NllMeanWeightIgnore0: shape {}
const std::vector<double> kNllMeanWeightIgnore0 = {-0.1875};
// NllNone0: shape {3}
const std::vector<double> kNllNone0 = {1.25, -1.25, -1.5};
// SceSumLogProb0: shape {}
const std::vector<double> kSceSumLogProb0 = {3.35801411};
// SceSumLogProb1: shape {2, 3, 2}
const std::vector<double> kSceSumLogProb1 = {-1.36933804, -1.36933804, -1.11933804, -1.11933804, -0.869338036, -0.869338036, -1.36933804, -0.853543997, -1.11933804, -0.603543937, -0.869338036, -3.603544};
// SceNoneWeightF640: shape {2}
const std::vector<double> kSceNoneWeightF640 = {5.5027753, 0.919148874};

TEST(LossKernelsTest, NllMeanDividesByTheAppliedWeights) {
  Tensor target = Tensor::FromVector<int64_t>({3, 2}, {0, 3, 1, 2, 2, 1});
  Tensor weight = Tensor::FromVector<float>({4}, {0.5f, 1, 2, 1.5f});
  std::vector<Tensor> out = RunOk({"NegativeLogLikelihoodLoss", {Ramp({3, 4, 2}, 1), target, weight},
                                   {{"reduction", "mean"}, {"ignore_index", int64_t{2}}}, 1, 22});
  ExpectTensor(out[0], DType::kFloat32, {}, kNllMeanWeightIgnore0);
}

TEST(LossKernelsTest, NllNoneKeepsPerSampleLosses) {
  std::vector<Tensor> out = RunOk({"NegativeLogLikelihoodLoss",
                                   {Ramp({3, 4}, 1), Tensor::FromVector<int32_t>({3}, {0, 3, 1})},
                                   {{"reduction", "none"}}});
  ExpectTensor(out[0], DType::kFloat32, {3}, kNllNone0);
  // A class index out of range (and not ignored) is an error naming the node.
  absl::StatusOr<std::vector<Tensor>> bad =
      RunNode({"NegativeLogLikelihoodLoss", {Ramp({3, 4}, 1), Tensor::FromVector<int32_t>({3}, {0, 4, 1})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'n' (NegativeLogLikelihoodLoss): target value 4"));
}

TEST(LossKernelsTest, SoftmaxCrossEntropySumWithLogProb) {
  std::vector<Tensor> out = RunOk({"SoftmaxCrossEntropyLoss",
                                   {Ramp({2, 3, 2}, 1), Tensor::FromVector<int64_t>({2, 2}, {0, 2, 1, -1})},
                                   {{"reduction", "sum"}, {"ignore_index", int64_t{-1}}},
                                   2});
  ExpectTensor(out[0], DType::kFloat32, {}, kSceSumLogProb0);
  ExpectTensor(out[1], DType::kFloat32, {2, 3, 2}, kSceSumLogProb1);
}

TEST(LossKernelsTest, SoftmaxCrossEntropyWeightedDoubleAndHalf) {
  std::vector<Tensor> out = RunOk({"SoftmaxCrossEntropyLoss",
                                   {Ramp({2, 3}, 2, DType::kFloat64), Tensor::FromVector<int64_t>({2}, {2, 0}),
                                    Tensor::FromVector<double>({3}, {1, 2, 3})},
                                   {{"reduction", "none"}}});
  ExpectTensor(out[0], DType::kFloat64, {2}, kSceNoneWeightF640, 1e-8);
  // f16 inputs (exact in f16) give the f32 result to f16 precision.
  auto run = [](DType dtype) {
    return RunOk({"SoftmaxCrossEntropyLoss",
                  {Ramp({2, 3}, 2, dtype), Tensor::FromVector<int64_t>({2}, {2, 0}), Ramp({3}, 7, dtype)},
                  {{"reduction", "none"}}})[0];
  };
  Tensor f32 = run(DType::kFloat32);
  ExpectTensor(run(DType::kFloat16), DType::kFloat16, {2}, {f32.GetAsDouble(0), f32.GetAsDouble(1)}, 2e-3);
}

}  // namespace
}  // namespace gsopt::backend::cpu
