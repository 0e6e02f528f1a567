// Schemas and shape inference for the vision op family: GridSample (2-D at
// opset 16, N-D from 20), NonMaxSuppression, RoiAlign, Col2Im,
// CenterCropPad, MaxUnpool and Det.
//
// Outputs whose size depends on data (NonMaxSuppression's selected count) or
// on non-constant inputs (Col2Im's image_shape, CenterCropPad's shape,
// MaxUnpool's output_shape) get unknown dims; everything else is derived
// from the input shapes and attributes, keeping symbolic dims that the op
// passes through unchanged (batch, channels).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

bool CertainlyDifferent(const Dim& a, const Dim& b) {
  return a.is_static() && b.is_static() && a.value() != b.value();
}

absl::Status InferGridSample(InferenceContext& ctx) {
  const Shape& x = ctx.input_type(0).shape;
  const Shape& grid = ctx.input_type(1).shape;
  std::string mode = ctx.node().GetString("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
  if (mode != "linear" && mode != "bilinear" && mode != "nearest" && mode != "cubic" && mode != "bicubic") {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not linear, nearest or cubic"));
  }
  std::string padding = ctx.node().GetString("padding_mode", "zeros");
  if (padding != "zeros" && padding != "border" && padding != "reflection") {
    return ctx.Error(absl::StrCat("padding_mode '", padding, "' is not zeros, border or reflection"));
  }
  if (ctx.opset() < 20) {
    if (x.rank_known() && x.rank() != 4) return ctx.Error(absl::StrCat("X has rank ", x.rank(), ", expected 4"));
    if (grid.rank_known() && grid.rank() != 4) return ctx.Error(absl::StrCat("grid has rank ", grid.rank(), ", expected 4"));
  }
  if (x.rank_known() && x.rank() < 3) return ctx.Error(absl::StrCat("X has rank ", x.rank(), ", expected at least 3"));
  if (x.rank_known() && grid.rank_known()) {
    if (grid.rank() != x.rank()) {
      return ctx.Error(absl::StrCat("grid has rank ", grid.rank(), ", expected X's rank ", x.rank()));
    }
    if (CertainlyDifferent(grid.dim(grid.rank() - 1), Dim(x.rank() - 2))) {
      return ctx.Error(absl::StrCat("grid's last dim is ", grid.dim(grid.rank() - 1).value(), ", expected ", x.rank() - 2));
    }
    if (CertainlyDifferent(grid.dim(0), x.dim(0))) return ctx.Error("X and grid have different batch sizes");
  }
  if (!grid.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, x.rank_known() ? Shape(std::vector<Dim>(x.dims().size())) : Shape()));
    return absl::OkStatus();
  }
  std::vector<Dim> out;
  out.push_back(x.rank_known() && !x.dim(0).is_unknown() ? x.dim(0) : grid.dim(0));
  out.push_back(x.rank_known() ? x.dim(1) : Dim());
  for (int64_t i = 1; i + 1 < grid.rank(); ++i) out.push_back(grid.dim(i));
  ctx.set_output_type(0, SameDType(ctx, Shape(std::move(out))));
  return absl::OkStatus();
}

absl::Status InferNonMaxSuppression(InferenceContext& ctx) {
  const Shape& boxes = ctx.input_type(0).shape;
  const Shape& scores = ctx.input_type(1).shape;
  if (boxes.rank_known() && boxes.rank() != 3) return ctx.Error("boxes must have shape [batch, boxes, 4]");
  if (scores.rank_known() && scores.rank() != 3) return ctx.Error("scores must have shape [batch, classes, boxes]");
  if (boxes.rank_known() && CertainlyDifferent(boxes.dim(2), Dim(4))) return ctx.Error("boxes' last dim must be 4");
  if (boxes.rank_known() && scores.rank_known()) {
    if (CertainlyDifferent(boxes.dim(0), scores.dim(0))) return ctx.Error("boxes and scores have different batch sizes");
    if (CertainlyDifferent(boxes.dim(1), scores.dim(2))) return ctx.Error("boxes and scores have different box counts");
  }
  ctx.set_output_type(0, TensorType{DType::kInt64, Shape({Dim(), Dim(3)})});
  return absl::OkStatus();
}

absl::Status InferRoiAlign(InferenceContext& ctx) {
  const Shape& x = ctx.input_type(0).shape;
  const Shape& rois = ctx.input_type(1).shape;
  const Shape& indices = ctx.input_type(2).shape;
  if (x.rank_known() && x.rank() != 4) return ctx.Error(absl::StrCat("X has rank ", x.rank(), ", expected 4"));
  if (rois.rank_known() && (rois.rank() != 2 || CertainlyDifferent(rois.dim(1), Dim(4)))) {
    return ctx.Error(absl::StrCat("rois has shape ", rois.ToString(), ", expected [num_rois, 4]"));
  }
  if (indices.rank_known() && indices.rank() != 1) return ctx.Error("batch_indices must have rank 1");
  std::string mode = ctx.node().GetString("mode", "avg");
  if (mode != "avg" && mode != "max") return ctx.Error(absl::StrCat("mode '", mode, "' is not avg or max"));
  std::string transform = ctx.node().GetString("coordinate_transformation_mode", "half_pixel");
  if (transform != "half_pixel" && transform != "output_half_pixel") {
    return ctx.Error(absl::StrCat("coordinate_transformation_mode '", transform, "' is not supported"));
  }
  Dim num_rois = rois.rank_known() ? rois.dim(0) : Dim();
  if (indices.rank_known()) {
    if (CertainlyDifferent(num_rois, indices.dim(0))) return ctx.Error("rois and batch_indices have different lengths");
    if (num_rois.is_unknown()) num_rois = indices.dim(0);
  }
  int64_t height = ctx.node().GetInt("output_height", 1);
  int64_t width = ctx.node().GetInt("output_width", 1);
  if (height <= 0 || width <= 0) return ctx.Error("output_height and output_width must be positive");
  ctx.set_output_type(0, SameDType(ctx, Shape({num_rois, x.rank_known() ? x.dim(1) : Dim(), Dim(height), Dim(width)})));
  return absl::OkStatus();
}

absl::Status InferCol2Im(InferenceContext& ctx) {
  const Shape& input = ctx.input_type(0).shape;
  if (input.rank_known() && input.rank() != 3) {
    return ctx.Error(absl::StrCat("input has rank ", input.rank(), ", expected 3 [N, C*prod(block), L]"));
  }
  std::optional<std::vector<int64_t>> image = ConstantInt64s(ctx, 1);
  std::optional<std::vector<int64_t>> block = ConstantInt64s(ctx, 2);
  if (image && block && image->size() != block->size()) return ctx.Error("image_shape and block_shape differ in length");
  int64_t spatial = -1;
  if (image) spatial = static_cast<int64_t>(image->size());
  if (block) spatial = static_cast<int64_t>(block->size());
  const Shape& image_shape = ctx.input_type(1).shape;
  if (spatial < 0 && image_shape.rank_known() && image_shape.rank() == 1 && image_shape.dim(0).is_static()) {
    spatial = image_shape.dim(0).value();
  }
  if (spatial < 0) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  Dim channels;
  Dim batch = input.rank_known() ? input.dim(0) : Dim();
  if (input.rank_known() && block) {
    int64_t block_size = 1;
    for (int64_t b : *block) {
      if (b <= 0) return ctx.Error("block_shape entries must be positive");
      block_size *= b;
    }
    if (input.dim(1).is_static()) {
      if (input.dim(1).value() % block_size != 0) {
        return ctx.Error(absl::StrCat("input dim 1 (", input.dim(1).value(), ") is not a multiple of the block size ",
                                      block_size));
      }
      channels = Dim(input.dim(1).value() / block_size);
    } else if (block_size == 1) {
      channels = input.dim(1);
    }
  }
  std::vector<Dim> out = {batch, channels};
  for (int64_t i = 0; i < spatial; ++i) out.push_back(image ? Dim((*image)[static_cast<size_t>(i)]) : Dim());
  ctx.set_output_type(0, SameDType(ctx, Shape(std::move(out))));
  return absl::OkStatus();
}

absl::Status InferCenterCropPad(InferenceContext& ctx) {
  const Shape& input = ctx.input_type(0).shape;
  if (!input.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  const int64_t rank = input.rank();
  std::vector<int64_t> axes = ctx.node().GetInts("axes");
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  for (int64_t& axis : axes) {
    absl::StatusOr<int64_t> a = NormalizeAxis(axis, rank);
    if (!a.ok()) return ctx.Error(a.status().message());
    axis = *a;
  }
  std::optional<std::vector<int64_t>> target = ConstantInt64s(ctx, 1);
  if (target && target->size() != axes.size()) {
    return ctx.Error(absl::StrCat("shape has ", target->size(), " entries for ", axes.size(), " axes"));
  }
  std::vector<Dim> out = input.dims();
  for (size_t i = 0; i < axes.size(); ++i) {
    if (target && (*target)[i] < 0) return ctx.Error("shape entries must be non-negative");
    out[static_cast<size_t>(axes[i])] = target ? Dim((*target)[i]) : Dim();
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(std::move(out))));
  return absl::OkStatus();
}

absl::Status InferMaxUnpool(InferenceContext& ctx) {
  const Shape& x = ctx.input_type(0).shape;
  std::vector<int64_t> kernel = ctx.node().GetInts("kernel_shape");
  if (kernel.empty()) return ctx.Error("kernel_shape is required");
  const int64_t spatial = static_cast<int64_t>(kernel.size());
  if (x.rank_known() && x.rank() != spatial + 2) {
    return ctx.Error(absl::StrCat("X has rank ", x.rank(), ", expected ", spatial + 2, " for kernel_shape"));
  }
  std::vector<int64_t> strides = ctx.node().GetInts("strides", std::vector<int64_t>(kernel.size(), 1));
  std::vector<int64_t> pads = ctx.node().GetInts("pads", std::vector<int64_t>(2 * kernel.size(), 0));
  if (static_cast<int64_t>(strides.size()) != spatial || static_cast<int64_t>(pads.size()) != 2 * spatial) {
    return ctx.Error("strides and pads must match kernel_shape's length");
  }
  if (ctx.has_input(2)) {
    std::optional<std::vector<int64_t>> shape = ConstantInt64s(ctx, 2);
    if (shape) {
      if (static_cast<int64_t>(shape->size()) != spatial + 2) {
        return ctx.Error(absl::StrCat("output_shape has ", shape->size(), " entries, expected ", spatial + 2));
      }
      ctx.set_output_type(0, SameDType(ctx, Shape::FromStatic(*shape)));
    } else {
      ctx.set_output_type(0, SameDType(ctx, Shape(std::vector<Dim>(static_cast<size_t>(spatial + 2)))));
    }
    return absl::OkStatus();
  }
  std::vector<Dim> out = {x.rank_known() ? x.dim(0) : Dim(), x.rank_known() ? x.dim(1) : Dim()};
  for (int64_t i = 0; i < spatial; ++i) {
    Dim in = x.rank_known() ? x.dim(i + 2) : Dim();
    size_t s = static_cast<size_t>(i);
    out.push_back(in.is_static() ? Dim((in.value() - 1) * strides[s] - pads[s] - pads[s + kernel.size()] + kernel[s])
                                 : Dim());
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(std::move(out))));
  return absl::OkStatus();
}

absl::Status InferDet(InferenceContext& ctx) {
  const Shape& x = ctx.input_type(0).shape;
  if (!x.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  if (x.rank() < 2) return ctx.Error(absl::StrCat("X has rank ", x.rank(), ", expected at least 2"));
  if (CertainlyDifferent(x.dim(x.rank() - 1), x.dim(x.rank() - 2))) {
    return ctx.Error(absl::StrCat("X has shape ", x.ToString(), "; its last two dims must be square"));
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(std::vector<Dim>(x.dims().begin(), x.dims().end() - 2))));
  return absl::OkStatus();
}

}  // namespace

void RegisterVisionOps(OpRegistry& registry) {
  registry.Register(OpSchema{"", "GridSample", 2, 2, 1, 1, InferGridSample});
  registry.Register(OpSchema{"", "NonMaxSuppression", 2, 5, 1, 1, InferNonMaxSuppression});
  registry.Register(OpSchema{"", "RoiAlign", 3, 3, 1, 1, InferRoiAlign});
  registry.Register(OpSchema{"", "Col2Im", 3, 3, 1, 1, InferCol2Im});
  registry.Register(OpSchema{"", "CenterCropPad", 2, 2, 1, 1, InferCenterCropPad});
  registry.Register(OpSchema{"", "MaxUnpool", 2, 3, 1, 1, InferMaxUnpool});
  registry.Register(OpSchema{"", "Det", 1, 1, 1, 1, InferDet});
}

}  // namespace gsopt::ir
