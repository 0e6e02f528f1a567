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

#include "absl/strings/str_cat.h"
#include "backend/cpu/executor.h"
#include "backend/cpu/kernel.h"
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

struct NodeRun {
  std::string op;
  std::vector<std::optional<Tensor>> inputs;  // nullopt: omitted optional input
  ir::AttributeMap attributes;
  int num_outputs = 1;
  int64_t opset = 13;
};

// Runs the node through strict shape inference and the executor; every
// output must have exactly the inferred dtype and (static) shape.
absl::StatusOr<std::vector<Tensor>> RunNode(const NodeRun& r) {
  ir::Graph graph;
  graph.mutable_metadata().opset_imports = {{"", r.opset}};
  std::vector<ir::ValueId> inputs;
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    if (!r.inputs[i].has_value()) {
      inputs.push_back(ir::kNoValue);
      continue;
    }
    inputs.push_back(graph.AddInput(absl::StrCat("in", i), r.inputs[i]->type()));
    feeds.push_back(*r.inputs[i]);
  }
  std::vector<std::string> names;
  for (int i = 0; i < r.num_outputs; ++i) names.push_back(absl::StrCat("out", i));
  ir::NodeId node = graph.AddNode(r.op, inputs, names, r.attributes, "n");
  for (ir::ValueId out : graph.node(node).outputs) graph.AddOutput(out);
  if (absl::Status s = ir::InferShapes(graph); !s.ok()) return s;
  absl::StatusOr<CpuExecutor> exec = CpuExecutor::Create(graph);
  if (!exec.ok()) return exec.status();
  absl::StatusOr<std::vector<Tensor>> outs = exec->Run(feeds);
  if (!outs.ok()) return outs.status();
  for (size_t i = 0; i < outs->size(); ++i) {
    const ir::TensorType& inferred = graph.value(graph.outputs()[i]).type;
    EXPECT_EQ(inferred, (*outs)[i].type()) << r.op << " output " << i << ": inferred " << inferred.ToString()
                                           << ", kernel produced " << (*outs)[i].type().ToString();
  }
  return outs;
}

std::vector<Tensor> RunOk(const NodeRun& r) {
  absl::StatusOr<std::vector<Tensor>> outs = RunNode(r);
  EXPECT_TRUE(outs.ok()) << outs.status();
  return outs.ok() ? *outs : std::vector<Tensor>(static_cast<size_t>(r.num_outputs));
}

// Checks dtype, dims and values (relative-or-absolute tolerance; infinities exactly).
void ExpectTensor(const Tensor& t, DType dtype, std::vector<int64_t> dims, const std::vector<double>& want,
                  double tolerance = 1e-5) {
  ASSERT_EQ(t.dtype(), dtype);
  ASSERT_EQ(t.dims(), dims);
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    double got = t.GetAsDouble(i);
    double expected = want[static_cast<size_t>(i)];
    if (std::isinf(expected) || std::isnan(expected)) {
      EXPECT_TRUE(got == expected || (std::isnan(got) && std::isnan(expected))) << "element " << i << ": " << got;
    } else {
      EXPECT_NEAR(got, expected, tolerance * std::max(1.0, std::fabs(expected))) << "element " << i;
    }
  }
}

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
