// Schemas and shape inference for the loss op family:
// NegativeLogLikelihoodLoss (opsets 12, 13, 22) and SoftmaxCrossEntropyLoss
// (12, 13). The versions differ only in the element types they allow, so one
// inference serves all of them. Both read scores of shape (N, C, d1..dk) and
// class indices of shape (N, d1..dk); the loss has the target's shape for
// reduction "none" and is a scalar otherwise.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

absl::Status InferLoss(InferenceContext& ctx) {
  const TensorType& scores = ctx.input_type(0);
  const TensorType& target = ctx.input_type(1);
  if (scores.dtype != DType::kUndefined && !IsFloatingPoint(scores.dtype)) {
    return ctx.Error(absl::StrCat("input 0 has element type ", DTypeName(scores.dtype), ", expected a float type"));
  }
  if (target.dtype != DType::kUndefined && target.dtype != DType::kInt32 && target.dtype != DType::kInt64) {
    return ctx.Error(absl::StrCat("target has element type ", DTypeName(target.dtype), ", expected i32 or i64"));
  }
  std::string reduction = ctx.node().GetString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    return ctx.Error(absl::StrCat("reduction '", reduction, "' is not one of none, sum, mean"));
  }
  if (scores.shape.rank_known() && scores.shape.rank() < 2) {
    return ctx.Error(absl::StrCat("input 0 has rank ", scores.shape.rank(), ", expected at least 2 (N, C, ...)"));
  }
  if (scores.shape.rank_known() && target.shape.rank_known()) {
    if (target.shape.rank() != scores.shape.rank() - 1) {
      return ctx.Error(absl::StrCat("target has rank ", target.shape.rank(), ", expected ", scores.shape.rank() - 1,
                                    " for input of rank ", scores.shape.rank()));
    }
    for (int64_t i = 0; i < target.shape.rank(); ++i) {
      const Dim& t = target.shape.dim(i);
      const Dim& s = scores.shape.dim(i == 0 ? 0 : i + 1);
      if (t.is_static() && s.is_static() && t.value() != s.value()) {
        return ctx.Error(absl::StrCat("target shape ", target.shape.ToString(), " does not match input shape ",
                                      scores.shape.ToString(), " without its class dim"));
      }
    }
  }
  if (ctx.has_input(2)) {
    const Shape& weight = ctx.input_type(2).shape;
    if (weight.rank_known() && weight.rank() != 1) {
      return ctx.Error(absl::StrCat("weight has rank ", weight.rank(), ", expected 1"));
    }
    if (weight.rank_known() && scores.shape.rank_known() && weight.dim(0).is_static() &&
        scores.shape.dim(1).is_static() && weight.dim(0).value() != scores.shape.dim(1).value()) {
      return ctx.Error(absl::StrCat("weight has ", weight.dim(0).value(), " entries for ",
                                    scores.shape.dim(1).value(), " classes"));
    }
  }
  Shape loss_shape = Shape::Scalar();
  if (reduction == "none") {
    if (target.shape.rank_known()) {
      loss_shape = target.shape;
    } else if (scores.shape.rank_known()) {
      std::vector<Dim> dims = scores.shape.dims();
      dims.erase(dims.begin() + 1);
      loss_shape = Shape(std::move(dims));
    } else {
      loss_shape = Shape();
    }
  }
  ctx.set_output_type(0, TensorType{scores.dtype, loss_shape});
  if (ctx.num_outputs() > 1) ctx.set_output_type(1, scores);  // SoftmaxCrossEntropyLoss's log_prob
  return absl::OkStatus();
}

}  // namespace

void RegisterLossOps(OpRegistry& registry) {
  registry.Register(OpSchema{"", "NegativeLogLikelihoodLoss", 2, 3, 1, 1, InferLoss});
  registry.Register(OpSchema{"", "SoftmaxCrossEntropyLoss", 2, 3, 1, 2, InferLoss});
}

}  // namespace gsopt::ir
