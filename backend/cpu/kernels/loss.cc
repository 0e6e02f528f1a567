// CPU kernels for the loss op family: NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss (= NLL of the log-softmax over the class axis).
//
// Scores (N, C, d1..dk) are viewed as (N, C, D) with D the product of the
// trailing dims. Per-sample losses are computed in double and reduced in a
// fixed order, so results do not depend on anything but the inputs; f16 and
// bf16 are widened to f32 on the way in and narrowed on the way out.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

struct LossShape {
  int64_t batch = 0, classes = 0, inner = 1;
  std::vector<int64_t> target_dims;
};

absl::StatusOr<LossShape> ReadLossShape(const KernelContext& ctx, const Tensor& scores, const Tensor& target) {
  if (!ir::IsFloatingPoint(scores.dtype())) {
    return ctx.Error(absl::StrCat("input 0 has element type ", ir::DTypeName(scores.dtype()), ", expected a float type"));
  }
  if (target.dtype() != DType::kInt32 && target.dtype() != DType::kInt64) {
    return ctx.Error(absl::StrCat("target has element type ", ir::DTypeName(target.dtype()), ", expected i32 or i64"));
  }
  if (scores.rank() < 2) return ctx.Error(absl::StrCat("input 0 has rank ", scores.rank(), ", expected at least 2"));
  LossShape s;
  s.batch = scores.dim(0);
  s.classes = scores.dim(1);
  s.target_dims = {s.batch};
  for (int64_t i = 2; i < scores.rank(); ++i) {
    s.inner *= scores.dim(i);
    s.target_dims.push_back(scores.dim(i));
  }
  if (target.dims() != s.target_dims) {
    return ctx.Error(absl::StrCat("target shape ", target.type().shape.ToString(), " does not match input shape ",
                                  scores.type().shape.ToString(), " without its class dim"));
  }
  return s;
}

// NLL over log-probabilities laid out (N, C, D); writes output 0.
absl::Status NllFromLogProbs(KernelContext& ctx, const std::vector<double>& log_probs, const LossShape& shape,
                             const Tensor& target, DType dtype) {
  const ir::Node& node = ctx.node();
  std::string reduction = node.GetString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    return ctx.Error(absl::StrCat("reduction '", reduction, "' is not one of none, sum, mean"));
  }
  std::optional<int64_t> ignore_index;
  if (node.FindAttribute("ignore_index") != nullptr) ignore_index = node.GetInt("ignore_index", 0);
  std::vector<double> weights;
  if (const Tensor* w = ctx.input(2); w != nullptr) {
    if (w->rank() != 1 || w->dim(0) != shape.classes) {
      return ctx.Error(absl::StrCat("weight has shape ", w->type().shape.ToString(), ", expected [", shape.classes, "]"));
    }
    weights = AsDoubles(*w);
  }
  std::vector<int64_t> labels = ToInt64s(target);
  std::vector<double> losses(labels.size());
  double weight_sum = 0;
  for (int64_t n = 0; n < shape.batch; ++n) {
    for (int64_t d = 0; d < shape.inner; ++d) {
      size_t at = static_cast<size_t>(n * shape.inner + d);
      int64_t label = labels[at];
      if (ignore_index.has_value() && label == *ignore_index) {
        losses[at] = 0;
        continue;
      }
      if (label < 0 || label >= shape.classes) {
        return ctx.Error(absl::StrCat("target value ", label, " is outside [0, ", shape.classes, ")"));
      }
      double weight = weights.empty() ? 1.0 : weights[static_cast<size_t>(label)];
      losses[at] = -log_probs[static_cast<size_t>((n * shape.classes + label) * shape.inner + d)] * weight;
      weight_sum += weight;
    }
  }
  if (reduction == "none") {
    ctx.set_output(0, FromDoubles(losses, shape.target_dims, dtype));
    return absl::OkStatus();
  }
  double total = 0;
  for (double l : losses) total += l;
  // "mean" divides by the applied weights (the count of non-ignored samples
  // without weights); all samples ignored gives 0/0, NaN, as in the reference.
  if (reduction == "mean") total /= weight_sum;
  ctx.set_output(0, FromDoubles({total}, {}, dtype));
  return absl::OkStatus();
}

absl::Status NegativeLogLikelihoodLossKernel(KernelContext& ctx) {
  if (ctx.input(0) == nullptr || ctx.input(1) == nullptr) return ctx.Error("input and target are required");
  const Tensor& scores = *ctx.input(0);
  absl::StatusOr<LossShape> shape = ReadLossShape(ctx, scores, *ctx.input(1));
  if (!shape.ok()) return shape.status();
  return NllFromLogProbs(ctx, AsDoubles(scores), *shape, *ctx.input(1), scores.dtype());
}

absl::Status SoftmaxCrossEntropyLossKernel(KernelContext& ctx) {
  if (ctx.input(0) == nullptr || ctx.input(1) == nullptr) return ctx.Error("scores and labels are required");
  const Tensor& scores = *ctx.input(0);
  absl::StatusOr<LossShape> shape = ReadLossShape(ctx, scores, *ctx.input(1));
  if (!shape.ok()) return shape.status();
  std::vector<double> log_probs = AsDoubles(scores);
  // log_softmax over the class axis, for each (n, d).
  for (int64_t n = 0; n < shape->batch; ++n) {
    for (int64_t d = 0; d < shape->inner; ++d) {
      double* first = log_probs.data() + n * shape->classes * shape->inner + d;
      double max_value = -std::numeric_limits<double>::infinity();
      for (int64_t c = 0; c < shape->classes; ++c) max_value = std::max(max_value, first[c * shape->inner]);
      double sum = 0;
      for (int64_t c = 0; c < shape->classes; ++c) sum += std::exp(first[c * shape->inner] - max_value);
      double log_sum = max_value + std::log(sum);
      for (int64_t c = 0; c < shape->classes; ++c) first[c * shape->inner] -= log_sum;
    }
  }
  if (absl::Status s = NllFromLogProbs(ctx, log_probs, *shape, *ctx.input(1), scores.dtype()); !s.ok()) return s;
  if (ctx.output_requested(1)) ctx.set_output(1, FromDoubles(log_probs, scores.dims(), scores.dtype()));
  return absl::OkStatus();
}

}  // namespace

void RegisterLossKernels(KernelRegistry& registry) {
  registry.Register("", "NegativeLogLikelihoodLoss", NegativeLogLikelihoodLossKernel);
  registry.Register("", "SoftmaxCrossEntropyLoss", SoftmaxCrossEntropyLossKernel);
}

}  // namespace gsopt::backend::cpu
