// Schemas and shape inference for the reduction op family: the ten Reduce*
// ops and ArgMax/ArgMin.
//
// The Reduce* ops changed how they take their axes: an `axes` attribute up to
// opset 12 (ReduceSum) or 17 (the others), then an optional int64 `axes`
// input together with `noop_with_empty_axes`. Shape inference follows the
// opset in force and produces whatever is knowable when the axes input is not
// a constant or the input rank is unknown.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

// The opset from which a Reduce* op reads its axes from input 1.
struct ReduceOpInfo {
  const char* name;
  int64_t axes_input_since;
};

constexpr ReduceOpInfo kReduceOps[] = {
    {"ReduceSum", 13},       {"ReduceMean", 18},      {"ReduceMax", 18},    {"ReduceMin", 18},
    {"ReduceProd", 18},      {"ReduceL1", 18},        {"ReduceL2", 18},     {"ReduceLogSum", 18},
    {"ReduceLogSumExp", 18}, {"ReduceSumSquare", 18},
};

// Output shape when the reduced axes are known (normalized, distinct).
Shape ReducedShape(const Shape& input, const std::vector<bool>& reduced, bool keepdims) {
  std::vector<Dim> dims;
  for (int64_t i = 0; i < input.rank(); ++i) {
    if (!reduced[static_cast<size_t>(i)]) {
      dims.push_back(input.dim(i));
    } else if (keepdims) {
      dims.push_back(Dim(1));
    }
  }
  return Shape(std::move(dims));
}

// Output shape when the input rank is known but which axes are reduced is
// not: with keepdims every dim is either kept or 1, so only dims already 1
// are certain; without keepdims the rank is known when the number of axes is.
Shape ShapeWithUnknownAxes(const InferenceContext& ctx, const Shape& input, bool keepdims,
                           bool noop_with_empty_axes) {
  if (keepdims) {
    if (!input.rank_known()) return Shape();
    std::vector<Dim> dims;
    for (const Dim& d : input.dims()) dims.push_back(d.is_static() && d.value() == 1 ? d : Dim());
    return Shape(std::move(dims));
  }
  const Shape& axes_shape = ctx.input_type(1).shape;
  if (axes_shape.rank() != 1 || !axes_shape.dim(0).is_static()) return Shape();
  int64_t num_axes = axes_shape.dim(0).value();
  if (num_axes == 0) return noop_with_empty_axes ? input : Shape::Scalar();
  if (!input.rank_known() || num_axes > input.rank()) return Shape();
  return Shape(std::vector<Dim>(static_cast<size_t>(input.rank() - num_axes)));
}

absl::Status InferReduce(InferenceContext& ctx, int64_t axes_input_since) {
  const TensorType& input = ctx.input_type(0);
  const Node& node = ctx.node();
  if (input.dtype != DType::kUndefined && !IsFloatingPoint(input.dtype) && !IsInteger(input.dtype)) {
    const bool bool_allowed = node.op_type == "ReduceMax" || node.op_type == "ReduceMin";
    if (input.dtype != DType::kBool || !bool_allowed) {
      return ctx.Error(absl::StrCat("input has type ", DTypeName(input.dtype), ", which this op cannot reduce"));
    }
  }
  const bool keepdims = node.GetInt("keepdims", 1) != 0;
  const bool axes_from_input = ctx.opset() >= axes_input_since;
  bool noop_with_empty_axes = false;

  std::optional<std::vector<int64_t>> axes;  // nullopt: not known statically
  if (!axes_from_input) {
    if (ctx.has_input(1)) {
      return ctx.Error(absl::StrCat("takes axes as an attribute before opset ", axes_input_since,
                                    ", not as an input (opset ", ctx.opset(), ")"));
    }
    axes = node.GetInts("axes");
  } else {
    if (node.FindAttribute("axes") != nullptr) {
      return ctx.Error(absl::StrCat("takes axes as an input from opset ", axes_input_since,
                                    ", not as an attribute (opset ", ctx.opset(), ")"));
    }
    noop_with_empty_axes = node.GetInt("noop_with_empty_axes", 0) != 0;
    if (!ctx.has_input(1)) {
      axes = std::vector<int64_t>{};
    } else {
      DType axes_dtype = ctx.input_type(1).dtype;
      if (axes_dtype != DType::kUndefined && axes_dtype != DType::kInt64) {
        return ctx.Error(absl::StrCat("axes input has type ", DTypeName(axes_dtype), ", expected i64"));
      }
      axes = ConstantInt64s(ctx, 1);
    }
  }

  if (!axes.has_value()) {
    ctx.set_output_type(0, SameDType(ctx, ShapeWithUnknownAxes(ctx, input.shape, keepdims, noop_with_empty_axes)));
    return absl::OkStatus();
  }
  if (axes->empty()) {
    if (noop_with_empty_axes) {
      ctx.set_output_type(0, input);
    } else if (!keepdims) {
      ctx.set_output_type(0, SameDType(ctx, Shape::Scalar()));
    } else if (input.shape.rank_known()) {
      ctx.set_output_type(0, SameDType(ctx, Shape(std::vector<Dim>(input.shape.dims().size(), Dim(1)))));
    } else {
      ctx.set_output_type(0, SameDType(ctx, Shape()));
    }
    return absl::OkStatus();
  }
  if (!input.shape.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  const int64_t rank = input.shape.rank();
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t axis : *axes) {
    absl::StatusOr<int64_t> normalized = NormalizeAxis(axis, rank);
    if (!normalized.ok()) return ctx.Error(normalized.status().message());
    if (reduced[static_cast<size_t>(*normalized)]) {
      return ctx.Error(absl::StrCat("axis ", axis, " is listed more than once"));
    }
    reduced[static_cast<size_t>(*normalized)] = true;
  }
  ctx.set_output_type(0, SameDType(ctx, ReducedShape(input.shape, reduced, keepdims)));
  return absl::OkStatus();
}

absl::Status InferArgReduce(InferenceContext& ctx) {
  const DType dtype = ctx.input_type(0).dtype;
  if (dtype != DType::kUndefined && !IsFloatingPoint(dtype) && !IsInteger(dtype)) {
    return ctx.Error(absl::StrCat("input has type ", DTypeName(dtype), ", expected a number type"));
  }
  const Shape& input = ctx.input_type(0).shape;
  const bool keepdims = ctx.node().GetInt("keepdims", 1) != 0;
  const int64_t axis = ctx.node().GetInt("axis", 0);
  if (!input.rank_known()) {
    ctx.set_output_type(0, TensorType{DType::kInt64, Shape()});
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> normalized = NormalizeAxis(axis, input.rank());
  if (!normalized.ok()) return ctx.Error(normalized.status().message());
  std::vector<bool> reduced(static_cast<size_t>(input.rank()), false);
  reduced[static_cast<size_t>(*normalized)] = true;
  ctx.set_output_type(0, TensorType{DType::kInt64, ReducedShape(input, reduced, keepdims)});
  return absl::OkStatus();
}

}  // namespace

void RegisterReductionOps(OpRegistry& registry) {
  for (const ReduceOpInfo& op : kReduceOps) {
    const int64_t since = op.axes_input_since;
    registry.Register(OpSchema{"", op.name, 1, 2, 1, 1,
                               [since](InferenceContext& ctx) { return InferReduce(ctx, since); }});
  }
  for (const char* name : {"ArgMax", "ArgMin"}) {
    registry.Register(OpSchema{"", name, 1, 1, 1, 1, InferArgReduce});
  }
}

}  // namespace gsopt::ir
