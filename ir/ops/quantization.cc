// Schemas and shape inference for the quantization op family:
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
// ConvInteger, QLinearMatMul, QLinearConv, and ONNX Runtime's
// com.microsoft QuantizeLinear / DequantizeLinear (same semantics, always the
// newest form: per-axis and blocked scales, optional zero point).
//
// The output element type is where these ops differ most across opsets:
// QuantizeLinear produces the zero point's type, else `output_dtype` (opset
// 21+), else uint8; DequantizeLinear produces the scale's type (float before
// opset 19) unless `output_dtype` (opset 23+) says otherwise. Scale and zero
// point shapes are checked against the input where both are known.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

constexpr char kMicrosoftDomain[] = "com.microsoft";
// The com.microsoft Q/DQ ops follow the newest ai.onnx form they mirror.
constexpr int64_t kContribEquivalentOpset = 21;

bool IsFloat8(DType t) {
  return t == DType::kFloat8E4M3FN || t == DType::kFloat8E4M3FNUZ || t == DType::kFloat8E5M2 ||
         t == DType::kFloat8E5M2FNUZ;
}

// Element types QuantizeLinear may produce and DequantizeLinear may read.
bool IsQuantizedType(DType t) {
  switch (t) {
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt16:
    case DType::kUInt16:
    case DType::kInt4:
    case DType::kUInt4:
    case DType::kFloat4E2M1:
      return true;
    default:
      return IsFloat8(t);
  }
}

bool IsScaleType(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16;
}

bool Is8BitInteger(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

int64_t EffectiveOpset(const InferenceContext& ctx) {
  return ctx.node().domain == kMicrosoftDomain ? kContribEquivalentOpset : ctx.opset();
}

// Checks what can be checked of scale (input `scale_index`) and zero point
// (the next input) against the shape of x, for per-tensor, per-axis and
// blocked quantization.
absl::Status CheckQuantizationParameters(const InferenceContext& ctx, int scale_index) {
  const Shape& x = ctx.input_type(0).shape;
  const Shape& scale = ctx.input_type(scale_index).shape;
  const int64_t opset = EffectiveOpset(ctx);
  const int64_t axis = ctx.node().GetInt("axis", 1);
  const int64_t block_size = opset >= 21 ? ctx.node().GetInt("block_size", 0) : 0;
  if (block_size < 0) return ctx.Error(absl::StrCat("block_size is ", block_size, ", expected >= 0"));

  if (ctx.has_input(scale_index + 1)) {
    const Shape& zero_point = ctx.input_type(scale_index + 1).shape;
    if (scale.is_static() && zero_point.is_static() && scale.num_elements() != zero_point.num_elements()) {
      return ctx.Error(absl::StrCat("scale has shape ", scale.ToString(), " but zero point has shape ",
                                    zero_point.ToString()));
    }
  }
  if (!scale.rank_known()) return absl::OkStatus();
  if (block_size == 0) {
    if (scale.rank() > 1) {
      return ctx.Error(absl::StrCat("scale has shape ", scale.ToString(),
                                    ", expected a scalar or a 1-D tensor (per-axis) without block_size"));
    }
    if (scale.rank() == 0 || !scale.dim(0).is_static() || scale.dim(0).value() == 1) return absl::OkStatus();
    if (!x.rank_known()) return absl::OkStatus();
    absl::StatusOr<int64_t> normalized = NormalizeAxis(axis, x.rank());
    if (!normalized.ok()) return ctx.Error(normalized.status().message());
    const Dim& channels = x.dim(*normalized);
    if (channels.is_static() && channels.value() != scale.dim(0).value()) {
      return ctx.Error(absl::StrCat("scale has ", scale.dim(0).value(), " elements but axis ", axis, " of x has ",
                                    channels.value()));
    }
    return absl::OkStatus();
  }
  // Blocked: scale has x's rank, and ceil(dim / block_size) along the axis.
  if (!x.rank_known()) return absl::OkStatus();
  if (scale.rank() != x.rank()) {
    return ctx.Error(absl::StrCat("blocked quantization needs a scale of x's rank ", x.rank(), ", got shape ",
                                  scale.ToString()));
  }
  absl::StatusOr<int64_t> normalized = NormalizeAxis(axis, x.rank());
  if (!normalized.ok()) return ctx.Error(normalized.status().message());
  for (int64_t i = 0; i < x.rank(); ++i) {
    const Dim& xd = x.dim(i);
    const Dim& sd = scale.dim(i);
    if (!xd.is_static() || !sd.is_static()) continue;
    const int64_t expected = i == *normalized ? (xd.value() + block_size - 1) / block_size : xd.value();
    if (sd.value() != expected) {
      return ctx.Error(absl::StrCat("scale has shape ", scale.ToString(), ", expected dim ", i, " to be ", expected,
                                    " for x of shape ", x.ToString(), " and block_size ", block_size));
    }
  }
  return absl::OkStatus();
}

absl::Status InferQuantizeLinear(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  const int64_t opset = EffectiveOpset(ctx);
  if (x.dtype != DType::kUndefined && !IsScaleType(x.dtype) && x.dtype != DType::kInt32 &&
      x.dtype != DType::kFloat64) {
    return ctx.Error(absl::StrCat("input x has type ", DTypeName(x.dtype), ", expected f32, f16, bf16 or i32"));
  }
  std::optional<DType> requested;
  if (opset >= 21) {
    const int64_t code = ctx.node().GetInt("output_dtype", 0);
    if (code != 0) {
      requested = DTypeFromOnnx(static_cast<int32_t>(code));
      if (!requested.has_value()) return ctx.Error(absl::StrCat("output_dtype ", code, " is not an ONNX type"));
    }
  }
  DType output = DType::kUInt8;
  if (ctx.has_input(2)) {
    output = ctx.input_type(2).dtype;
    if (output != DType::kUndefined && requested.has_value() && *requested != output) {
      return ctx.Error(absl::StrCat("output_dtype is ", DTypeName(*requested), " but the zero point has type ",
                                    DTypeName(output)));
    }
    if (output == DType::kUndefined && requested.has_value()) output = *requested;
  } else if (requested.has_value()) {
    output = *requested;
  }
  if (output != DType::kUndefined && !IsQuantizedType(output)) {
    return ctx.Error(absl::StrCat("cannot quantize to ", DTypeName(output)));
  }
  if (absl::Status s = CheckQuantizationParameters(ctx, 1); !s.ok()) return s;
  ctx.set_output_type(0, TensorType{output, x.shape});
  return absl::OkStatus();
}

absl::Status InferDequantizeLinear(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  const int64_t opset = EffectiveOpset(ctx);
  if (x.dtype != DType::kUndefined && !IsQuantizedType(x.dtype) && x.dtype != DType::kInt32) {
    return ctx.Error(absl::StrCat("input x has type ", DTypeName(x.dtype), ", which is not a quantized type"));
  }
  if (ctx.has_input(2)) {
    const DType zero_point = ctx.input_type(2).dtype;
    if (x.dtype != DType::kUndefined && zero_point != DType::kUndefined && zero_point != x.dtype) {
      return ctx.Error(absl::StrCat("zero point has type ", DTypeName(zero_point), " but x has type ",
                                    DTypeName(x.dtype)));
    }
  }
  const DType scale = ctx.input_type(1).dtype;
  if (scale != DType::kUndefined && !IsScaleType(scale)) {
    return ctx.Error(absl::StrCat("scale has type ", DTypeName(scale), ", expected f32, f16 or bf16"));
  }
  if (opset < 19 && scale != DType::kUndefined && scale != DType::kFloat32) {
    return ctx.Error(absl::StrCat("scale has type ", DTypeName(scale), ", but before opset 19 it must be f32"));
  }
  DType output = opset < 19 ? DType::kFloat32 : scale;
  if (opset >= 23) {
    const int64_t code = ctx.node().GetInt("output_dtype", 0);
    if (code != 0) {
      std::optional<DType> requested = DTypeFromOnnx(static_cast<int32_t>(code));
      if (!requested.has_value() || !IsScaleType(*requested)) {
        return ctx.Error(absl::StrCat("output_dtype ", code, " is not f32, f16 or bf16"));
      }
      output = *requested;
    }
  }
  if (absl::Status s = CheckQuantizationParameters(ctx, 1); !s.ok()) return s;
  ctx.set_output_type(0, TensorType{output, x.shape});
  return absl::OkStatus();
}

absl::Status InferDynamicQuantizeLinear(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (x.dtype != DType::kUndefined && x.dtype != DType::kFloat32) {
    return ctx.Error(absl::StrCat("input x has type ", DTypeName(x.dtype), ", expected f32"));
  }
  ctx.set_output_type(0, TensorType{DType::kUInt8, x.shape});
  ctx.set_output_type(1, TensorType{DType::kFloat32, Shape::Scalar()});
  ctx.set_output_type(2, TensorType{DType::kUInt8, Shape::Scalar()});
  return absl::OkStatus();
}

// numpy.matmul's shape rule: 1-D operands are promoted and the promoted dim
// dropped again, leading dims broadcast.
absl::StatusOr<Shape> MatMulShape(const InferenceContext& ctx, const Shape& a, const Shape& b) {
  if (!a.rank_known() || !b.rank_known()) return Shape();
  if (a.rank() == 0 || b.rank() == 0) return ctx.Error("matrix product of a scalar");
  const Dim& k_a = a.dim(a.rank() - 1);
  const Dim& k_b = b.rank() == 1 ? b.dim(0) : b.dim(b.rank() - 2);
  if (k_a.is_static() && k_b.is_static() && k_a.value() != k_b.value()) {
    return ctx.Error(absl::StrCat("cannot multiply ", a.ToString(), " by ", b.ToString(), ": inner dims ",
                                  k_a.value(), " and ", k_b.value(), " differ"));
  }
  std::vector<Dim> a_batch, b_batch;
  if (a.rank() > 2) a_batch.assign(a.dims().begin(), a.dims().end() - 2);
  if (b.rank() > 2) b_batch.assign(b.dims().begin(), b.dims().end() - 2);
  absl::StatusOr<Shape> batch = BroadcastShapes(Shape(a_batch), Shape(b_batch));
  if (!batch.ok()) return ctx.Error(batch.status().message());
  std::vector<Dim> dims = batch->dims();
  if (a.rank() > 1) dims.push_back(a.dim(a.rank() - 2));
  if (b.rank() > 1) dims.push_back(b.dim(b.rank() - 1));
  return Shape(std::move(dims));
}

absl::Status CheckTypeIn8BitIntegers(const InferenceContext& ctx, int input, absl::string_view what) {
  const DType t = ctx.input_type(input).dtype;
  if (t != DType::kUndefined && !Is8BitInteger(t)) {
    return ctx.Error(absl::StrCat(what, " has type ", DTypeName(t), ", expected i8 or u8"));
  }
  return absl::OkStatus();
}

absl::Status InferMatMulInteger(InferenceContext& ctx) {
  if (absl::Status s = CheckTypeIn8BitIntegers(ctx, 0, "A"); !s.ok()) return s;
  if (absl::Status s = CheckTypeIn8BitIntegers(ctx, 1, "B"); !s.ok()) return s;
  absl::StatusOr<Shape> shape = MatMulShape(ctx, ctx.input_type(0).shape, ctx.input_type(1).shape);
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{DType::kInt32, *shape});
  return absl::OkStatus();
}

// QLinearMatMul's operands and output are 8-bit integers, or float8 from opset 21.
absl::Status CheckQLinearMatMulType(const InferenceContext& ctx, int input, absl::string_view what) {
  const DType t = ctx.input_type(input).dtype;
  const bool float8_allowed = ctx.opset() >= 21 && IsFloat8(t);
  if (t != DType::kUndefined && !Is8BitInteger(t) && !float8_allowed) {
    return ctx.Error(absl::StrCat(what, " has type ", DTypeName(t), ", expected i8 or u8",
                                  ctx.opset() >= 21 ? " or a float8 type" : ""));
  }
  return absl::OkStatus();
}

absl::Status InferQLinearMatMul(InferenceContext& ctx) {
  if (absl::Status s = CheckQLinearMatMulType(ctx, 0, "a"); !s.ok()) return s;
  if (absl::Status s = CheckQLinearMatMulType(ctx, 3, "b"); !s.ok()) return s;
  if (absl::Status s = CheckQLinearMatMulType(ctx, 7, "y_zero_point"); !s.ok()) return s;
  absl::StatusOr<Shape> shape = MatMulShape(ctx, ctx.input_type(0).shape, ctx.input_type(3).shape);
  if (!shape.ok()) return shape.status();
  const DType output = ctx.input_type(7).dtype;
  ctx.set_output_type(0, TensorType{output, *shape});
  return absl::OkStatus();
}

// The output shape of a convolution: [N, M, spatial...] with each spatial
// dim from the input dim, kernel, stride, dilation and padding (or auto_pad).
absl::StatusOr<Shape> ConvShape(const InferenceContext& ctx, const Shape& x, const Shape& w) {
  if (!x.rank_known() && !w.rank_known()) return Shape();
  const int64_t rank = x.rank_known() ? x.rank() : w.rank();
  if (rank < 3) return ctx.Error(absl::StrCat("input has rank ", rank, ", expected at least 3 (N, C, spatial...)"));
  if (x.rank_known() && w.rank_known() && x.rank() != w.rank()) {
    return ctx.Error(absl::StrCat("weight has rank ", w.rank(), ", expected ", x.rank(), " like the input"));
  }
  const int64_t spatial = rank - 2;
  const Node& node = ctx.node();
  const int64_t group = node.GetInt("group", 1);
  if (group < 1) return ctx.Error(absl::StrCat("group is ", group, ", expected >= 1"));
  std::vector<int64_t> strides = node.GetInts("strides", std::vector<int64_t>(static_cast<size_t>(spatial), 1));
  std::vector<int64_t> dilations = node.GetInts("dilations", std::vector<int64_t>(static_cast<size_t>(spatial), 1));
  std::vector<int64_t> pads = node.GetInts("pads", std::vector<int64_t>(static_cast<size_t>(2 * spatial), 0));
  std::vector<int64_t> kernel = node.GetInts("kernel_shape");
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  if (static_cast<int64_t>(strides.size()) != spatial || static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial || (!kernel.empty() && static_cast<int64_t>(kernel.size()) != spatial)) {
    return ctx.Error(absl::StrCat("strides [", absl::StrJoin(strides, ","), "], dilations [",
                                  absl::StrJoin(dilations, ","), "], pads [", absl::StrJoin(pads, ","),
                                  "] or kernel_shape do not match ", spatial, " spatial dims"));
  }
  for (int64_t i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1) return ctx.Error("strides and dilations must be >= 1");
  }
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID") {
    return ctx.Error(absl::StrCat("unknown auto_pad '", auto_pad, "'"));
  }
  if (w.rank_known()) {
    const Dim& m = w.dim(0);
    if (m.is_static() && m.value() % group != 0) {
      return ctx.Error(absl::StrCat("weight has ", m.value(), " output channels, not a multiple of group ", group));
    }
    if (x.rank_known() && x.dim(1).is_static() && w.dim(1).is_static() &&
        x.dim(1).value() != w.dim(1).value() * group) {
      return ctx.Error(absl::StrCat("input has ", x.dim(1).value(), " channels, but weight expects ",
                                    w.dim(1).value(), " x group ", group));
    }
    for (int64_t i = 0; i < spatial && !kernel.empty(); ++i) {
      const Dim& k = w.dim(i + 2);
      if (k.is_static() && k.value() != kernel[static_cast<size_t>(i)]) {
        return ctx.Error(absl::StrCat("kernel_shape [", absl::StrJoin(kernel, ","), "] does not match weight shape ",
                                      w.ToString()));
      }
    }
  }
  std::vector<Dim> dims;
  dims.push_back(x.rank_known() ? x.dim(0) : Dim());
  dims.push_back(w.rank_known() ? w.dim(0) : Dim());
  for (int64_t i = 0; i < spatial; ++i) {
    const Dim in = x.rank_known() ? x.dim(i + 2) : Dim();
    std::optional<int64_t> k;
    if (!kernel.empty()) {
      k = kernel[static_cast<size_t>(i)];
    } else if (w.rank_known() && w.dim(i + 2).is_static()) {
      k = w.dim(i + 2).value();
    }
    if (!in.is_static()) {
      dims.push_back(Dim());
      continue;
    }
    const int64_t stride = strides[static_cast<size_t>(i)];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      dims.push_back(Dim((in.value() + stride - 1) / stride));
      continue;
    }
    if (!k.has_value()) {
      dims.push_back(Dim());
      continue;
    }
    const int64_t effective_kernel = dilations[static_cast<size_t>(i)] * (*k - 1) + 1;
    int64_t padded = in.value();
    if (auto_pad == "NOTSET") padded += pads[static_cast<size_t>(i)] + pads[static_cast<size_t>(i + spatial)];
    if (padded < effective_kernel) {
      return ctx.Error(absl::StrCat("spatial dim ", i, " is ", padded, " after padding, smaller than the kernel's ",
                                    effective_kernel));
    }
    dims.push_back(Dim((padded - effective_kernel) / stride + 1));
  }
  return Shape(std::move(dims));
}

absl::Status InferConvInteger(InferenceContext& ctx) {
  if (absl::Status s = CheckTypeIn8BitIntegers(ctx, 0, "x"); !s.ok()) return s;
  if (absl::Status s = CheckTypeIn8BitIntegers(ctx, 1, "w"); !s.ok()) return s;
  absl::StatusOr<Shape> shape = ConvShape(ctx, ctx.input_type(0).shape, ctx.input_type(1).shape);
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{DType::kInt32, *shape});
  return absl::OkStatus();
}

absl::Status InferQLinearConv(InferenceContext& ctx) {
  if (absl::Status s = CheckTypeIn8BitIntegers(ctx, 0, "x"); !s.ok()) return s;
  if (absl::Status s = CheckTypeIn8BitIntegers(ctx, 3, "w"); !s.ok()) return s;
  absl::StatusOr<Shape> shape = ConvShape(ctx, ctx.input_type(0).shape, ctx.input_type(3).shape);
  if (!shape.ok()) return shape.status();
  const DType output = ctx.input_type(7).dtype;
  if (output != DType::kUndefined && !Is8BitInteger(output)) {
    return ctx.Error(absl::StrCat("y_zero_point has type ", DTypeName(output), ", expected i8 or u8"));
  }
  if (ctx.has_input(8)) {
    const DType bias = ctx.input_type(8).dtype;
    if (bias != DType::kUndefined && bias != DType::kInt32) {
      return ctx.Error(absl::StrCat("bias has type ", DTypeName(bias), ", expected i32"));
    }
  }
  ctx.set_output_type(0, TensorType{output, *shape});
  return absl::OkStatus();
}

}  // namespace

void RegisterQuantizationOps(OpRegistry& registry) {
  for (const char* domain : {"", kMicrosoftDomain}) {
    registry.Register(OpSchema{domain, "QuantizeLinear", 2, 3, 1, 1, InferQuantizeLinear});
    registry.Register(OpSchema{domain, "DequantizeLinear", 2, 3, 1, 1, InferDequantizeLinear});
  }
  registry.Register(OpSchema{"", "DynamicQuantizeLinear", 1, 1, 3, 3, InferDynamicQuantizeLinear});
  registry.Register(OpSchema{"", "MatMulInteger", 2, 4, 1, 1, InferMatMulInteger});
  registry.Register(OpSchema{"", "ConvInteger", 2, 4, 1, 1, InferConvInteger});
  registry.Register(OpSchema{"", "QLinearMatMul", 8, 8, 1, 1, InferQLinearMatMul});
  registry.Register(OpSchema{"", "QLinearConv", 8, 9, 1, 1, InferQLinearConv});
}

}  // namespace gsopt::ir
