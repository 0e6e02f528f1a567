// CPU kernels for the quantization op family: QuantizeLinear,
// DequantizeLinear (ai.onnx and com.microsoft), DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv.
//
// Arithmetic follows the ONNX reference implementation step for step, since
// the last bit of a quantized result depends on where rounding happens:
// x / scale is computed in the scale's precision (f16 / f16 rounds to f16),
// rounding is half to even, integer results saturate. The integer matmul and
// convolution subtract zero points first and accumulate in 32 bits (wrapping,
// as the spec allows); requantization multiplies the accumulator by
// (scale_a * scale_b / scale_y), a factor formed in the scales' own type.
//
// Quantized element types: int8/uint8/int16/uint16, int32 (dequantize only),
// the packed int4/uint4, the four float8 formats and float4e2m1 (their
// codecs are in minifloat.h).
//
// The integer products run on oneDNN's sgemm, exactly: centered 8-bit values
// are integers of magnitude <= 255, so in blocks of at most 256 along K every
// partial sum stays below 2^24 and float arithmetic makes no rounding error,
// whatever order sgemm adds in. Block results are then summed in int32.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <dnnl.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"
#include "backend/cpu/kernels/minifloat.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

constexpr char kMicrosoftDomain[] = "com.microsoft";
// The com.microsoft Q/DQ ops follow the newest ai.onnx form they mirror.
constexpr int64_t kContribEquivalentOpset = 21;

// The float8 / float4 codecs (MiniFloatCodecFor, IsMiniFloat) live in
// minifloat.h, shared with Cast.


// ---------------------------------------------------------------------------
// Reading and writing quantized elements.

// The representable range of an integer quantized type.
std::optional<std::pair<int32_t, int32_t>> IntegerRange(DType t) {
  switch (t) {
    case DType::kInt8: return std::make_pair(-128, 127);
    case DType::kUInt8: return std::make_pair(0, 255);
    case DType::kInt16: return std::make_pair(-32768, 32767);
    case DType::kUInt16: return std::make_pair(0, 65535);
    case DType::kInt4: return std::make_pair(-8, 7);
    case DType::kUInt4: return std::make_pair(0, 15);
    default: return std::nullopt;
  }
}

// The 4-bit code of element i of a packed tensor (ONNX packs element 2k in
// the low nibble of byte k).
uint8_t Nibble(const Tensor& t, int64_t i) {
  const uint8_t byte = t.data<uint8_t>()[i / 2];
  return (i % 2 == 0) ? (byte & 0x0F) : (byte >> 4);
}

// Elements of an integer tensor (8/16/32-bit or packed 4-bit) as int32.
std::vector<int32_t> IntegerValues(const Tensor& t) {
  const int64_t n = t.num_elements();
  std::vector<int32_t> out(static_cast<size_t>(n));
  switch (t.dtype()) {
    case DType::kInt8: std::copy(t.data<int8_t>(), t.data<int8_t>() + n, out.begin()); break;
    case DType::kUInt8: std::copy(t.data<uint8_t>(), t.data<uint8_t>() + n, out.begin()); break;
    case DType::kInt16: std::copy(t.data<int16_t>(), t.data<int16_t>() + n, out.begin()); break;
    case DType::kUInt16: std::copy(t.data<uint16_t>(), t.data<uint16_t>() + n, out.begin()); break;
    case DType::kInt32: std::copy(t.data<int32_t>(), t.data<int32_t>() + n, out.begin()); break;
    case DType::kUInt4:
      for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = Nibble(t, i);
      break;
    case DType::kInt4:
      for (int64_t i = 0; i < n; ++i) {
        const int32_t v = Nibble(t, i);
        out[static_cast<size_t>(i)] = v >= 8 ? v - 16 : v;
      }
      break;
    default: break;  // callers check the dtype first
  }
  return out;
}

// Elements of a float8 / float4 tensor as float.
std::vector<float> MiniFloatValues(const Tensor& t) {
  const MiniFloatCodec& codec = MiniFloatCodecFor(t.dtype());
  std::vector<float> out(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const uint8_t code = t.dtype() == DType::kFloat4E2M1 ? Nibble(t, i) : t.data<uint8_t>()[i];
    out[static_cast<size_t>(i)] = codec.Decode(code);
  }
  return out;
}

// A tensor of `dtype` holding `codes` (integer values, or float8/float4
// codes), packing 4-bit types two to a byte.
Tensor StoreCodes(DType dtype, const std::vector<int64_t>& dims, const std::vector<int32_t>& codes) {
  Tensor t = Tensor::Zeros(dtype, dims);
  const size_t n = codes.size();
  switch (dtype) {
    case DType::kInt8: std::copy(codes.begin(), codes.end(), t.mutable_data<int8_t>()); break;
    case DType::kInt16: std::copy(codes.begin(), codes.end(), t.mutable_data<int16_t>()); break;
    case DType::kUInt16: std::copy(codes.begin(), codes.end(), t.mutable_data<uint16_t>()); break;
    case DType::kInt4:
    case DType::kUInt4:
    case DType::kFloat4E2M1: {
      uint8_t* bytes = t.mutable_data<uint8_t>();
      for (size_t i = 0; i < n; ++i) {
        const uint8_t nibble = static_cast<uint8_t>(codes[i]) & 0x0F;
        bytes[i / 2] |= (i % 2 == 0) ? nibble : static_cast<uint8_t>(nibble << 4);
      }
      break;
    }
    default:  // uint8 and the float8 codes
      std::copy(codes.begin(), codes.end(), t.mutable_data<uint8_t>());
      break;
  }
  return t;
}

// Elements of a scale tensor (f32, f16, bf16, or int32 from opset 23) as float.
std::vector<float> ScaleValues(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) out[static_cast<size_t>(i)] = static_cast<float>(t.GetAsDouble(i));
  return out;
}

bool IsScaleType(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16; }

// Rounds a float to the precision of `dtype` (f16 or bf16), as numpy does
// after each operation on those types; other dtypes are left as is.
float RoundTo(DType dtype, float v) {
  if (dtype == DType::kFloat16) return ir::HalfToFloat(ir::FloatToHalf(v));
  if (dtype == DType::kBFloat16) return ir::BFloat16ToFloat(ir::FloatToBFloat16(v));
  return v;
}

// ---------------------------------------------------------------------------
// Which scale / zero point applies to which element.

// Element (o, d, i) of x, viewed as [outer, axis_dim, inner], uses parameter
// o * outer_stride + (d / block) * axis_stride + i * inner_stride. Per-tensor,
// per-axis and blocked quantization are three settings of the strides.
struct QuantizationLayout {
  int64_t outer = 1, axis_dim = 1, inner = 1;
  int64_t block = 1;
  int64_t outer_stride = 0, axis_stride = 0, inner_stride = 0;

  template <typename Fn>
  void ForEach(Fn fn) const {  // fn(element index, parameter index)
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t d = 0; d < axis_dim; ++d) {
        const int64_t param = o * outer_stride + (d / block) * axis_stride;
        const int64_t element = (o * axis_dim + d) * inner;
        for (int64_t i = 0; i < inner; ++i) fn(element + i, param + i * inner_stride);
      }
    }
  }
};

absl::StatusOr<QuantizationLayout> MakeQuantizationLayout(const KernelContext& ctx, const std::vector<int64_t>& x_dims,
                                                          const Tensor& scale, const Tensor* zero_point,
                                                          int64_t opset) {
  if (zero_point != nullptr && zero_point->dims() != scale.dims() &&
      !(zero_point->num_elements() == 1 && scale.num_elements() == 1)) {
    return ctx.Error(absl::StrCat("zero point has shape [", absl::StrJoin(zero_point->dims(), ","),
                                  "] but scale has shape [", absl::StrJoin(scale.dims(), ","), "]"));
  }
  QuantizationLayout layout;
  int64_t count = 1;
  for (int64_t d : x_dims) count *= d;
  const int64_t block_size = opset >= 21 ? ctx.node().GetInt("block_size", 0) : 0;
  if (block_size < 0) return ctx.Error(absl::StrCat("block_size is ", block_size, ", expected >= 0"));
  if (scale.num_elements() == 1 && block_size == 0) {
    layout.inner = count;
    return layout;
  }
  const int64_t rank = static_cast<int64_t>(x_dims.size());
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 1), rank);
  if (!axis.ok()) return axis.status();
  for (int64_t i = 0; i < *axis; ++i) layout.outer *= x_dims[static_cast<size_t>(i)];
  layout.axis_dim = x_dims[static_cast<size_t>(*axis)];
  for (int64_t i = *axis + 1; i < rank; ++i) layout.inner *= x_dims[static_cast<size_t>(i)];
  if (block_size == 0) {
    if (scale.rank() != 1 || scale.dim(0) != layout.axis_dim) {
      return ctx.Error(absl::StrCat("scale has shape [", absl::StrJoin(scale.dims(), ","),
                                    "], expected a scalar or [", layout.axis_dim, "] for axis ", *axis));
    }
    layout.axis_stride = 1;
    return layout;
  }
  // Blocked: scale is x's shape with ceil(dim / block_size) along the axis.
  std::vector<int64_t> expected = x_dims;
  expected[static_cast<size_t>(*axis)] = (layout.axis_dim + block_size - 1) / block_size;
  if (scale.dims() != expected) {
    return ctx.Error(absl::StrCat("scale has shape [", absl::StrJoin(scale.dims(), ","), "], expected [",
                                  absl::StrJoin(expected, ","), "] for block_size ", block_size));
  }
  layout.block = block_size;
  layout.inner_stride = 1;
  layout.axis_stride = layout.inner;
  layout.outer_stride = expected[static_cast<size_t>(*axis)] * layout.inner;
  return layout;
}

// ---------------------------------------------------------------------------
// QuantizeLinear: y = saturate(round(x / scale) + zero_point).

// The output type: the zero point's, else output_dtype (opset 21+), else uint8.
absl::StatusOr<DType> QuantizedOutputType(const KernelContext& ctx, const Tensor* zero_point, int64_t opset) {
  std::optional<DType> requested;
  if (opset >= 21) {
    const int64_t code = ctx.node().GetInt("output_dtype", 0);
    if (code != 0) {
      requested = ir::DTypeFromOnnx(static_cast<int32_t>(code));
      if (!requested.has_value()) return ctx.Error(absl::StrCat("output_dtype ", code, " is not an ONNX type"));
    }
  }
  DType out = zero_point != nullptr ? zero_point->dtype() : requested.value_or(DType::kUInt8);
  if (zero_point != nullptr && requested.has_value() && *requested != out) {
    return ctx.Error(absl::StrCat("output_dtype is ", ir::DTypeName(*requested), " but the zero point has type ",
                                  ir::DTypeName(out)));
  }
  if (!IntegerRange(out).has_value() && !IsMiniFloat(out)) {
    return ctx.Error(absl::StrCat("cannot quantize to ", ir::DTypeName(out)));
  }
  return out;
}

// Where x / scale is rounded, mirroring numpy in the reference: in the
// `precision` attribute's type (opset 23), in double for int32 x, in the
// 16-bit type when x and scale share it, else in float.
enum class QuotientPrecision { kFloat, kDouble, kFloat16, kBFloat16 };

absl::StatusOr<QuotientPrecision> ChooseQuotientPrecision(const KernelContext& ctx, DType x, DType scale,
                                                          int64_t opset) {
  if (opset >= 23) {
    const int64_t code = ctx.node().GetInt("precision", 0);
    if (code != 0) {
      switch (ir::DTypeFromOnnx(static_cast<int32_t>(code)).value_or(DType::kUndefined)) {
        case DType::kFloat32: return QuotientPrecision::kFloat;
        case DType::kFloat64: return QuotientPrecision::kDouble;
        case DType::kFloat16: return QuotientPrecision::kFloat16;
        case DType::kBFloat16: return QuotientPrecision::kBFloat16;
        default: return ctx.Error(absl::StrCat("precision ", code, " is not a floating-point type"));
      }
    }
  }
  if (x == DType::kInt32 || x == DType::kFloat64) return QuotientPrecision::kDouble;
  if (x == scale && x == DType::kFloat16) return QuotientPrecision::kFloat16;
  if (x == scale && x == DType::kBFloat16) return QuotientPrecision::kBFloat16;
  return QuotientPrecision::kFloat;
}

// The common case on a vectorizable loop: f32 x, a float quotient, an 8- or
// 16-bit integer output and a scale that is constant along the innermost
// run (per-tensor or per-axis). Clamping before rounding is the same as
// after, since the bounds are integers; it also maps NaN to the low end and
// keeps |q| < 2^22, where adding and subtracting 1.5 * 2^23 rounds to the
// nearest integer, ties to even.
template <typename Q>
void QuantizeFloatRuns(const float* x, const QuantizationLayout& layout, const std::vector<float>& scales,
                       const std::vector<int32_t>& zero_points, std::pair<int32_t, int32_t> range, Q* out) {
  constexpr float kRoundingMagic = 12582912.0f;  // 1.5 * 2^23
  for (int64_t o = 0; o < layout.outer; ++o) {
    for (int64_t d = 0; d < layout.axis_dim; ++d) {
      const int64_t p = o * layout.outer_stride + (d / layout.block) * layout.axis_stride;
      const int64_t start = (o * layout.axis_dim + d) * layout.inner;
      const float scale = scales[static_cast<size_t>(p)];
      const int32_t zero_point = zero_points[static_cast<size_t>(p)];
      const float low = static_cast<float>(range.first - zero_point);
      const float high = static_cast<float>(range.second - zero_point);
      const float* xs = x + start;
      Q* ys = out + start;
      const int64_t count = layout.inner;  // a local: byte stores could alias `layout`
      for (int64_t i = 0; i < count; ++i) {
        float q = xs[i] / scale;
        q = q >= low ? q : low;
        q = q <= high ? q : high;
        const float rounded = (q + kRoundingMagic) - kRoundingMagic;
        ys[i] = static_cast<Q>(static_cast<int32_t>(rounded) + zero_point);
      }
    }
  }
}

absl::Status QuantizeLinear(KernelContext& ctx, int64_t opset) {
  const Tensor* x = ctx.input(0);
  const Tensor* scale = ctx.input(1);
  const Tensor* zero_point = ctx.input(2);
  if (x == nullptr || scale == nullptr) return ctx.Error("needs inputs x and y_scale");
  const DType x_type = x->dtype();
  if (!IsScaleType(x_type) && x_type != DType::kInt32 && x_type != DType::kFloat64) {
    return ctx.Error(absl::StrCat("input x has type ", ir::DTypeName(x_type), ", expected f32, f16, bf16 or i32"));
  }
  if (!IsScaleType(scale->dtype()) && scale->dtype() != DType::kInt32) {
    return ctx.Error(absl::StrCat("y_scale has type ", ir::DTypeName(scale->dtype()), ", expected f32, f16 or bf16"));
  }
  absl::StatusOr<DType> out_type = QuantizedOutputType(ctx, zero_point, opset);
  if (!out_type.ok()) return out_type.status();
  absl::StatusOr<QuantizationLayout> layout = MakeQuantizationLayout(ctx, x->dims(), *scale, zero_point, opset);
  if (!layout.ok()) return layout.status();
  absl::StatusOr<QuotientPrecision> precision = ChooseQuotientPrecision(ctx, x_type, scale->dtype(), opset);
  if (!precision.ok()) return precision.status();

  const std::vector<float> scales = ScaleValues(*scale);
  const std::optional<std::pair<int32_t, int32_t>> int_range = IntegerRange(*out_type);
  const bool byte_or_short = *out_type == DType::kInt8 || *out_type == DType::kUInt8 ||
                             *out_type == DType::kInt16 || *out_type == DType::kUInt16;
  if (x_type == DType::kFloat32 && *precision == QuotientPrecision::kFloat && byte_or_short &&
      layout->inner_stride == 0) {
    const std::vector<int32_t> zero_points =
        zero_point != nullptr ? IntegerValues(*zero_point) : std::vector<int32_t>(scales.size(), 0);
    Tensor y = Tensor::Zeros(*out_type, x->dims());
    const float* xs = x->data<float>();
    switch (*out_type) {
      case DType::kInt8: QuantizeFloatRuns(xs, *layout, scales, zero_points, *int_range, y.mutable_data<int8_t>()); break;
      case DType::kUInt8: QuantizeFloatRuns(xs, *layout, scales, zero_points, *int_range, y.mutable_data<uint8_t>()); break;
      case DType::kInt16: QuantizeFloatRuns(xs, *layout, scales, zero_points, *int_range, y.mutable_data<int16_t>()); break;
      default: QuantizeFloatRuns(xs, *layout, scales, zero_points, *int_range, y.mutable_data<uint16_t>()); break;
    }
    ctx.set_output(0, std::move(y));
    return absl::OkStatus();
  }
  const Tensor x_float = ToFloat32(*x);  // f16/bf16 widened; f32, f64 and i32 as they are
  std::vector<double> quotient(static_cast<size_t>(x->num_elements()));
  switch (*precision) {
    case QuotientPrecision::kDouble:
      layout->ForEach([&](int64_t e, int64_t p) {
        quotient[e] = x_float.GetAsDouble(e) / static_cast<double>(scales[p]);
      });
      break;
    case QuotientPrecision::kFloat16:
    case QuotientPrecision::kBFloat16: {
      const DType rounding = *precision == QuotientPrecision::kFloat16 ? DType::kFloat16 : DType::kBFloat16;
      layout->ForEach([&](int64_t e, int64_t p) {
        const float xv = RoundTo(rounding, static_cast<float>(x_float.GetAsDouble(e)));
        quotient[e] = RoundTo(rounding, xv / RoundTo(rounding, scales[p]));
      });
      break;
    }
    case QuotientPrecision::kFloat:
      if (x_float.dtype() == DType::kFloat32) {
        const float* xs = x_float.data<float>();
        layout->ForEach([&](int64_t e, int64_t p) { quotient[e] = xs[e] / scales[p]; });
      } else {
        layout->ForEach([&](int64_t e, int64_t p) {
          quotient[e] = static_cast<float>(x_float.GetAsDouble(e)) / scales[p];
        });
      }
      break;
  }

  std::vector<int32_t> codes(quotient.size());
  if (int_range.has_value()) {
    const std::vector<int32_t> zero_points =
        zero_point != nullptr ? IntegerValues(*zero_point) : std::vector<int32_t>(scales.size(), 0);
    const double low = int_range->first, high = int_range->second;
    layout->ForEach([&](int64_t e, int64_t p) {
      const double q = quotient[e];
      // NaN saturates to the low end, as the reference's int cast and ORT do.
      const double v = std::isnan(q) ? low : std::nearbyint(q) + zero_points[p];
      codes[e] = static_cast<int32_t>(std::clamp(v, low, high));
    });
  } else {
    const MiniFloatCodec& codec = MiniFloatCodecFor(*out_type);
    const bool saturate = opset < 19 || ctx.node().GetInt("saturate", 1) != 0;
    // float8 zero points must be 0 and are not added (adding 0 would also
    // turn -0 into +0); float4's are added, as in the reference.
    if (zero_point != nullptr && *out_type == DType::kFloat4E2M1) {
      const std::vector<float> zero_points = MiniFloatValues(*zero_point);
      layout->ForEach([&](int64_t e, int64_t p) { codes[e] = codec.Encode(quotient[e] + zero_points[p], saturate); });
    } else {
      layout->ForEach([&](int64_t e, int64_t) { codes[e] = codec.Encode(quotient[e], saturate); });
    }
  }
  ctx.set_output(0, StoreCodes(*out_type, x->dims(), codes));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// DequantizeLinear: y = (x - zero_point) * scale.

// (x - zero point) * scale along runs with one scale (per-tensor, per-axis):
// the difference is an exact small integer in float, so the one float
// multiply rounds exactly as the reference does.
template <typename X>
void DequantizeRuns(const X* x, const QuantizationLayout& layout, const std::vector<float>& scales,
                    const std::vector<int32_t>& zero_points, float* out) {
  for (int64_t o = 0; o < layout.outer; ++o) {
    for (int64_t d = 0; d < layout.axis_dim; ++d) {
      const int64_t p = o * layout.outer_stride + (d / layout.block) * layout.axis_stride;
      const int64_t start = (o * layout.axis_dim + d) * layout.inner;
      const float scale = scales[static_cast<size_t>(p)];
      const int32_t zero_point = zero_points[static_cast<size_t>(p)];
      const X* xs = x + start;
      float* ys = out + start;
      const int64_t count = layout.inner;
      for (int64_t i = 0; i < count; ++i) ys[i] = static_cast<float>(static_cast<int32_t>(xs[i]) - zero_point) * scale;
    }
  }
}

absl::Status DequantizeLinear(KernelContext& ctx, int64_t opset) {
  const Tensor* x = ctx.input(0);
  const Tensor* scale = ctx.input(1);
  const Tensor* zero_point = ctx.input(2);
  if (x == nullptr || scale == nullptr) return ctx.Error("needs inputs x and x_scale");
  const DType x_type = x->dtype();
  const bool integer = IntegerRange(x_type).has_value() || x_type == DType::kInt32;
  if (!integer && !IsMiniFloat(x_type)) {
    return ctx.Error(absl::StrCat("input x has type ", ir::DTypeName(x_type), ", which is not a quantized type"));
  }
  if (zero_point != nullptr && zero_point->dtype() != x_type) {
    return ctx.Error(absl::StrCat("zero point has type ", ir::DTypeName(zero_point->dtype()), " but x has type ",
                                  ir::DTypeName(x_type)));
  }
  if (!IsScaleType(scale->dtype())) {
    return ctx.Error(absl::StrCat("x_scale has type ", ir::DTypeName(scale->dtype()), ", expected f32, f16 or bf16"));
  }
  if (opset < 19 && scale->dtype() != DType::kFloat32) {
    return ctx.Error(absl::StrCat("x_scale has type ", ir::DTypeName(scale->dtype()),
                                  ", but before opset 19 it must be f32"));
  }
  DType out_type = scale->dtype();
  if (opset >= 23 && ctx.node().GetInt("output_dtype", 0) != 0) {
    const int64_t code = ctx.node().GetInt("output_dtype", 0);
    std::optional<DType> requested = ir::DTypeFromOnnx(static_cast<int32_t>(code));
    if (!requested.has_value() || !IsScaleType(*requested)) {
      return ctx.Error(absl::StrCat("output_dtype ", code, " is not f32, f16 or bf16"));
    }
    out_type = *requested;
  }
  absl::StatusOr<QuantizationLayout> layout = MakeQuantizationLayout(ctx, x->dims(), *scale, zero_point, opset);
  if (!layout.ok()) return layout.status();

  const std::vector<float> scales = ScaleValues(*scale);
  Tensor y = Tensor::Zeros(DType::kFloat32, x->dims());
  float* out = y.mutable_data<float>();
  const bool byte_or_short = x_type == DType::kInt8 || x_type == DType::kUInt8 || x_type == DType::kInt16 ||
                             x_type == DType::kUInt16;
  if (byte_or_short && layout->inner_stride == 0) {
    const std::vector<int32_t> zero_points =
        zero_point != nullptr ? IntegerValues(*zero_point) : std::vector<int32_t>(scales.size(), 0);
    switch (x_type) {
      case DType::kInt8: DequantizeRuns(x->data<int8_t>(), *layout, scales, zero_points, out); break;
      case DType::kUInt8: DequantizeRuns(x->data<uint8_t>(), *layout, scales, zero_points, out); break;
      case DType::kInt16: DequantizeRuns(x->data<int16_t>(), *layout, scales, zero_points, out); break;
      default: DequantizeRuns(x->data<uint16_t>(), *layout, scales, zero_points, out); break;
    }
  } else if (integer) {
    const std::vector<int32_t> values = IntegerValues(*x);
    const std::vector<int32_t> zero_points =
        zero_point != nullptr ? IntegerValues(*zero_point) : std::vector<int32_t>(scales.size(), 0);
    // The difference is exact in double and the product is rounded once.
    layout->ForEach([&](int64_t e, int64_t p) {
      const double centered = static_cast<double>(values[e]) - zero_points[p];
      out[e] = static_cast<float>(centered * scales[p]);
    });
  } else {
    // float8 / float4 zero points must be 0 and are ignored, like the reference.
    const std::vector<float> values = MiniFloatValues(*x);
    layout->ForEach([&](int64_t e, int64_t p) { out[e] = values[e] * scales[p]; });
  }
  ctx.set_output(0, FromFloat32(y, out_type));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// DynamicQuantizeLinear: uint8 quantization with a range that covers x and 0.

absl::Status DynamicQuantizeLinear(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return ctx.Error("needs input x");
  if (x->dtype() != DType::kFloat32) {
    return ctx.Error(absl::StrCat("input x has type ", ir::DTypeName(x->dtype()), ", expected f32"));
  }
  const float* xs = x->data<float>();
  const int64_t n = x->num_elements();
  float max = 0.0f, min = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    max = std::max(max, xs[i]);
    min = std::min(min, xs[i]);
  }
  constexpr float kLevels = 255.0f;
  // An all-zero input would give scale 0; the reference uses 1/255 instead.
  const float scale = (max == min ? 1.0f : max - min) / kLevels;
  const float zero_point = std::nearbyint(std::clamp(0.0f - min / scale, 0.0f, kLevels));
  Tensor y = Tensor::Zeros(DType::kUInt8, x->dims());
  uint8_t* out = y.mutable_data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const float q = std::nearbyint(xs[i] / scale) + zero_point;
    out[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, kLevels));
  }
  ctx.set_output(0, std::move(y));
  if (ctx.num_outputs() > 1) ctx.set_output(1, Tensor::Scalar<float>(scale));
  if (ctx.num_outputs() > 2) ctx.set_output(2, Tensor::Scalar<uint8_t>(static_cast<uint8_t>(zero_point)));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Integer matrix product with zero points (MatMulInteger, QLinearMatMul).

bool Is8BitInteger(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// One operand of a numpy-style matmul, promoted to rank >= 2.
struct MatMulOperand {
  std::vector<int64_t> dims;   // promoted
  std::vector<int64_t> batch;  // dims without the last two
  int64_t rows = 0, cols = 0;
};

MatMulOperand PromoteOperand(const Tensor& t, bool is_left) {
  MatMulOperand op;
  op.dims = t.dims();
  if (op.dims.size() == 1) op.dims.insert(is_left ? op.dims.begin() : op.dims.end(), 1);
  op.batch.assign(op.dims.begin(), op.dims.end() - 2);
  op.rows = op.dims[op.dims.size() - 2];
  op.cols = op.dims.back();
  return op;
}

// A zero point or scale of one matmul operand, expanded to one value per
// (batch, row) of a (its column dim collapsed) or per (batch, column) of b
// (its row dim collapsed). Accepts a scalar, a 1-D per-row (a) or per-column
// (b) vector, or an N-D tensor that broadcasts to that collapsed shape.
absl::StatusOr<std::vector<double>> ExpandOperandParameter(const KernelContext& ctx, const Tensor* param,
                                                           const MatMulOperand& op, bool is_left,
                                                           absl::string_view what) {
  std::vector<int64_t> target = op.dims;
  target[is_left ? target.size() - 1 : target.size() - 2] = 1;
  int64_t count = 1;
  for (int64_t d : target) count *= d;
  if (param == nullptr) return std::vector<double>(static_cast<size_t>(count), 0.0);
  if (param->num_elements() == 1) return std::vector<double>(static_cast<size_t>(count), param->GetAsDouble(0));
  std::vector<int64_t> param_dims = param->dims();
  if (is_left && param_dims.size() == 1 && param_dims[0] == op.rows) param_dims.push_back(1);
  absl::StatusOr<std::vector<int64_t>> joined = BroadcastDims({param_dims, target});
  if (!joined.ok() || *joined != target) {
    return ctx.Error(absl::StrCat(what, " has shape [", absl::StrJoin(param->dims(), ","), "], expected a scalar or ",
                                  is_left ? "one value per row" : "one value per column", " of shape [",
                                  absl::StrJoin(target, ","), "]"));
  }
  const std::vector<int64_t> map = BroadcastIndexMap(param_dims, target);
  std::vector<double> out(map.size());
  for (size_t i = 0; i < map.size(); ++i) out[i] = param->GetAsDouble(map[i]);
  return out;
}

// The centered operand, (value - zero point) as exact floats, row-major like `t`.
std::vector<float> CenteredOperand(const Tensor& t, const MatMulOperand& op, bool is_left,
                                   const std::vector<double>& zero_points) {
  const std::vector<int32_t> values = IntegerValues(t);
  std::vector<float> out(values.size());
  const int64_t rows = op.rows, cols = op.cols;
  const int64_t matrices = rows * cols == 0 ? 0 : static_cast<int64_t>(values.size()) / (rows * cols);
  for (int64_t b = 0; b < matrices; ++b) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t e = (b * rows + r) * cols + c;
        const int64_t p = is_left ? b * rows + r : b * cols + c;
        out[static_cast<size_t>(e)] = static_cast<float>(values[static_cast<size_t>(e)] - static_cast<int32_t>(zero_points[p]));
      }
    }
  }
  return out;
}

// C[m x n] = A[m x k] * B[k x n] for row-major float matrices holding
// integers of magnitude <= 255 (centered 8-bit values), exactly, into int32.
// See the file comment for why float is exact here.
constexpr int64_t kExactBlock = 256;  // 256 * 255 * 255 < 2^24

void ExactIntegerGemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                      int32_t* c) {
  std::fill(c, c + m * n, 0);
  if (m == 0 || n == 0 || k == 0) return;
  std::vector<float> block(static_cast<size_t>(m * n));
  // Accumulate in uint32 so that overflow wraps (int32 overflow is undefined).
  uint32_t* acc = reinterpret_cast<uint32_t*>(c);
  for (int64_t k0 = 0; k0 < k; k0 += kExactBlock) {
    const int64_t kb = std::min(kExactBlock, k - k0);
    dnnl_status_t status = dnnl_sgemm('N', 'N', m, n, kb, 1.0f, a + k0, lda, b + k0 * ldb, ldb, 0.0f, block.data(), n);
    if (status != dnnl_success) {  // plain loops, same exact result
      std::fill(block.begin(), block.end(), 0.0f);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t kk = 0; kk < kb; ++kk) {
          const float av = a[i * lda + k0 + kk];
          const float* brow = b + (k0 + kk) * ldb;
          for (int64_t j = 0; j < n; ++j) block[static_cast<size_t>(i * n + j)] += av * brow[j];
        }
      }
    }
    for (int64_t i = 0; i < m * n; ++i) {
      acc[i] += static_cast<uint32_t>(static_cast<int32_t>(block[static_cast<size_t>(i)]));
    }
  }
}

// Zero points must have their operand's 8-bit type: that keeps every
// centered value within [-255, 255], which the exact float product needs.
absl::Status CheckZeroPointType(const KernelContext& ctx, const Tensor* zero_point, const Tensor& operand,
                                absl::string_view what) {
  if (zero_point == nullptr || zero_point->dtype() == operand.dtype()) return absl::OkStatus();
  return ctx.Error(absl::StrCat(what, " has type ", ir::DTypeName(zero_point->dtype()), ", expected ",
                                ir::DTypeName(operand.dtype()), " like its operand"));
}

struct IntegerMatMulResult {
  std::vector<int64_t> dims;          // the output shape (1-D operands' dims dropped)
  std::vector<int32_t> accumulators;  // [batch..., M, N] row-major
  std::vector<int64_t> a_batch_of;    // per output matrix: a's batch index
  std::vector<int64_t> b_batch_of;    // per output matrix: b's batch index
  int64_t m = 0, n = 0;
};

absl::StatusOr<IntegerMatMulResult> IntegerMatMul(const KernelContext& ctx, const Tensor& a, const Tensor& b,
                                                  const Tensor* a_zero_point, const Tensor* b_zero_point) {
  if (!Is8BitInteger(a.dtype()) || !Is8BitInteger(b.dtype())) {
    return ctx.Error(absl::StrCat("operands have types ", ir::DTypeName(a.dtype()), " and ", ir::DTypeName(b.dtype()),
                                  ", expected i8 or u8"));
  }
  if (a.rank() == 0 || b.rank() == 0) return ctx.Error("matrix product of a scalar");
  if (absl::Status s = CheckZeroPointType(ctx, a_zero_point, a, "a zero point"); !s.ok()) return s;
  if (absl::Status s = CheckZeroPointType(ctx, b_zero_point, b, "b zero point"); !s.ok()) return s;
  const MatMulOperand left = PromoteOperand(a, true);
  const MatMulOperand right = PromoteOperand(b, false);
  if (left.cols != right.rows) {
    return ctx.Error(absl::StrCat("cannot multiply [", absl::StrJoin(a.dims(), ","), "] by [",
                                  absl::StrJoin(b.dims(), ","), "]: inner dims differ"));
  }
  absl::StatusOr<std::vector<int64_t>> batch = BroadcastDims({left.batch, right.batch});
  if (!batch.ok()) return ctx.Error(batch.status().message());
  absl::StatusOr<std::vector<double>> a_zp = ExpandOperandParameter(ctx, a_zero_point, left, true, "a zero point");
  if (!a_zp.ok()) return a_zp.status();
  absl::StatusOr<std::vector<double>> b_zp = ExpandOperandParameter(ctx, b_zero_point, right, false, "b zero point");
  if (!b_zp.ok()) return b_zp.status();

  IntegerMatMulResult result;
  result.m = left.rows;
  result.n = right.cols;
  const int64_t k = left.cols;
  result.dims = *batch;
  if (a.rank() > 1) result.dims.push_back(result.m);
  if (b.rank() > 1) result.dims.push_back(result.n);
  result.a_batch_of = BroadcastIndexMap(left.batch, *batch);
  result.b_batch_of = BroadcastIndexMap(right.batch, *batch);
  const std::vector<float> a_centered = CenteredOperand(a, left, true, *a_zp);
  const std::vector<float> b_centered = CenteredOperand(b, right, false, *b_zp);
  const int64_t matrices = static_cast<int64_t>(result.a_batch_of.size());
  result.accumulators.assign(static_cast<size_t>(matrices * result.m * result.n), 0);
  for (int64_t mat = 0; mat < matrices; ++mat) {
    ExactIntegerGemm(result.m, result.n, k, a_centered.data() + result.a_batch_of[mat] * result.m * k, k,
                     b_centered.data() + result.b_batch_of[mat] * k * result.n, result.n,
                     result.accumulators.data() + mat * result.m * result.n);
  }
  return result;
}

absl::Status MatMulInteger(KernelContext& ctx) {
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  if (a == nullptr || b == nullptr) return ctx.Error("needs inputs A and B");
  absl::StatusOr<IntegerMatMulResult> result = IntegerMatMul(ctx, *a, *b, ctx.input(2), ctx.input(3));
  if (!result.ok()) return result.status();
  ctx.set_output(0, Tensor::FromVector<int32_t>(result->dims, result->accumulators));
  return absl::OkStatus();
}

// saturate(round(accumulator * multiplier + zero_point)) into `dtype`.
int32_t Requantize(int32_t accumulator, double multiplier, double zero_point, std::pair<int32_t, int32_t> range) {
  const double v = std::nearbyint(static_cast<double>(accumulator) * multiplier + zero_point);
  return static_cast<int32_t>(std::clamp(v, static_cast<double>(range.first), static_cast<double>(range.second)));
}

absl::Status QLinearMatMul(KernelContext& ctx) {
  const Tensor* a = ctx.input(0);
  const Tensor* a_scale = ctx.input(1);
  const Tensor* b = ctx.input(3);
  const Tensor* b_scale = ctx.input(4);
  const Tensor* y_scale = ctx.input(6);
  const Tensor* y_zero_point = ctx.input(7);
  if (a == nullptr || a_scale == nullptr || b == nullptr || b_scale == nullptr || y_scale == nullptr ||
      y_zero_point == nullptr) {
    return ctx.Error("needs a, a_scale, b, b_scale, y_scale and y_zero_point");
  }
  for (const Tensor* t : {a, b, y_zero_point}) {
    if (IsMiniFloat(t->dtype())) {
      return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(),
                                                   ": float8 QLinearMatMul (opset 21) is not implemented"));
    }
  }
  const std::optional<std::pair<int32_t, int32_t>> range = IntegerRange(y_zero_point->dtype());
  if (!Is8BitInteger(y_zero_point->dtype()) || !range.has_value()) {
    return ctx.Error(absl::StrCat("y_zero_point has type ", ir::DTypeName(y_zero_point->dtype()), ", expected i8 or u8"));
  }
  if (y_scale->num_elements() != 1 || y_zero_point->num_elements() != 1) {
    return ctx.Error("y_scale and y_zero_point must be scalars (per-tensor)");
  }
  for (const Tensor* s : {a_scale, b_scale, y_scale}) {
    if (!IsScaleType(s->dtype())) {
      return ctx.Error(absl::StrCat("scales have type ", ir::DTypeName(s->dtype()), ", expected f32, f16 or bf16"));
    }
  }
  absl::StatusOr<IntegerMatMulResult> result = IntegerMatMul(ctx, *a, *b, ctx.input(2), ctx.input(5));
  if (!result.ok()) return result.status();
  absl::StatusOr<std::vector<double>> a_scales =
      ExpandOperandParameter(ctx, a_scale, PromoteOperand(*a, true), true, "a_scale");
  if (!a_scales.ok()) return a_scales.status();
  absl::StatusOr<std::vector<double>> b_scales =
      ExpandOperandParameter(ctx, b_scale, PromoteOperand(*b, false), false, "b_scale");
  if (!b_scales.ok()) return b_scales.status();
  const DType scale_type = y_scale->dtype();
  const float y_scale_value = static_cast<float>(y_scale->GetAsDouble(0));
  const double y_zero = y_zero_point->GetAsDouble(0);

  const int64_t m = result->m, n = result->n;
  const int64_t matrices = static_cast<int64_t>(result->a_batch_of.size());
  std::vector<int32_t> codes(result->accumulators.size());
  for (int64_t mat = 0; mat < matrices; ++mat) {
    const double* row_scales = a_scales->data() + result->a_batch_of[mat] * m;
    const double* col_scales = b_scales->data() + result->b_batch_of[mat] * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const float product = RoundTo(scale_type, static_cast<float>(row_scales[i]) * static_cast<float>(col_scales[j]));
        const float multiplier = RoundTo(scale_type, product / y_scale_value);
        const int64_t e = (mat * m + i) * n + j;
        codes[e] = Requantize(result->accumulators[e], multiplier, y_zero, *range);
      }
    }
  }
  ctx.set_output(0, StoreCodes(y_zero_point->dtype(), result->dims, codes));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Integer convolution (ConvInteger, QLinearConv).

struct ConvGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  std::vector<int64_t> in_spatial, kernel, strides, dilations, pad_begin, out_spatial;
};

absl::StatusOr<ConvGeometry> MakeConvGeometry(const KernelContext& ctx, const std::vector<int64_t>& x_dims,
                                              const std::vector<int64_t>& w_dims) {
  const int64_t rank = static_cast<int64_t>(x_dims.size());
  if (rank < 3) return ctx.Error(absl::StrCat("input has rank ", rank, ", expected at least 3 (N, C, spatial...)"));
  if (static_cast<int64_t>(w_dims.size()) != rank) {
    return ctx.Error(absl::StrCat("weight has rank ", w_dims.size(), ", expected ", rank, " like the input"));
  }
  const size_t spatial = static_cast<size_t>(rank - 2);
  const ir::Node& node = ctx.node();
  ConvGeometry g;
  g.batch = x_dims[0];
  g.in_channels = x_dims[1];
  g.out_channels = w_dims[0];
  g.group = node.GetInt("group", 1);
  if (g.group < 1 || g.out_channels % g.group != 0 || g.in_channels != w_dims[1] * g.group) {
    return ctx.Error(absl::StrCat("input has ", g.in_channels, " channels and weight shape [",
                                  absl::StrJoin(w_dims, ","), "], inconsistent with group ", g.group));
  }
  g.in_spatial.assign(x_dims.begin() + 2, x_dims.end());
  g.kernel.assign(w_dims.begin() + 2, w_dims.end());
  const std::vector<int64_t> kernel_attr = node.GetInts("kernel_shape");
  if (!kernel_attr.empty() && kernel_attr != g.kernel) {
    return ctx.Error(absl::StrCat("kernel_shape [", absl::StrJoin(kernel_attr, ","), "] does not match weight shape [",
                                  absl::StrJoin(w_dims, ","), "]"));
  }
  g.strides = node.GetInts("strides", std::vector<int64_t>(spatial, 1));
  g.dilations = node.GetInts("dilations", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> pads = node.GetInts("pads", std::vector<int64_t>(2 * spatial, 0));
  if (g.strides.size() != spatial || g.dilations.size() != spatial || pads.size() != 2 * spatial) {
    return ctx.Error(absl::StrCat("strides, dilations or pads do not match ", spatial, " spatial dims"));
  }
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  g.pad_begin.resize(spatial);
  g.out_spatial.resize(spatial);
  for (size_t i = 0; i < spatial; ++i) {
    if (g.strides[i] < 1 || g.dilations[i] < 1) return ctx.Error("strides and dilations must be >= 1");
    const int64_t in = g.in_spatial[i];
    const int64_t effective_kernel = g.dilations[i] * (g.kernel[i] - 1) + 1;
    int64_t pad_total;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (in + g.strides[i] - 1) / g.strides[i];
      pad_total = std::max<int64_t>(0, (out - 1) * g.strides[i] + effective_kernel - in);
      g.pad_begin[i] = auto_pad == "SAME_UPPER" ? pad_total / 2 : pad_total - pad_total / 2;
    } else if (auto_pad == "VALID") {
      pad_total = 0;
      g.pad_begin[i] = 0;
    } else if (auto_pad == "NOTSET") {
      pad_total = pads[i] + pads[i + spatial];
      g.pad_begin[i] = pads[i];
    } else {
      return ctx.Error(absl::StrCat("unknown auto_pad '", auto_pad, "'"));
    }
    if (in + pad_total < effective_kernel) {
      return ctx.Error(absl::StrCat("spatial dim ", i, " is ", in + pad_total,
                                    " after padding, smaller than the kernel's ", effective_kernel));
    }
    g.out_spatial[i] = (in + pad_total - effective_kernel) / g.strides[i] + 1;
  }
  return g;
}

std::vector<int64_t> ConvOutputDims(const ConvGeometry& g) {
  std::vector<int64_t> dims = {g.batch, g.out_channels};
  dims.insert(dims.end(), g.out_spatial.begin(), g.out_spatial.end());
  return dims;
}

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// Convolution of centered (zero point already subtracted) data, held as
// exact floats: for each image and group, im2col into
// [C/group * kernel, out positions], then an exact product with the group's
// weights. Padding reads 0, i.e. the zero point.
std::vector<int32_t> ConvolveCentered(const ConvGeometry& g, const std::vector<float>& x,
                                      const std::vector<float>& w) {
  const size_t spatial = g.in_spatial.size();
  const int64_t in_size = Product(g.in_spatial);
  const int64_t out_size = Product(g.out_spatial);
  const int64_t kernel_size = Product(g.kernel);
  const int64_t channels_per_group = g.in_channels / g.group;
  const int64_t outputs_per_group = g.out_channels / g.group;
  const int64_t rows = channels_per_group * kernel_size;
  std::vector<int32_t> out(static_cast<size_t>(g.batch * g.out_channels * out_size), 0);

  // For each kernel position and output position, the input offset within one
  // channel, or -1 where the tap falls into padding.
  std::vector<int64_t> tap_offsets(static_cast<size_t>(kernel_size * out_size));
  {
    std::vector<int64_t> k_index(spatial, 0);
    for (int64_t kk = 0; kk < kernel_size; ++kk) {
      std::vector<int64_t> o_index(spatial, 0);
      for (int64_t p = 0; p < out_size; ++p) {
        int64_t offset = 0;
        bool inside = true;
        for (size_t d = 0; d < spatial; ++d) {
          const int64_t coord = o_index[d] * g.strides[d] - g.pad_begin[d] + k_index[d] * g.dilations[d];
          inside = inside && coord >= 0 && coord < g.in_spatial[d];
          offset = offset * g.in_spatial[d] + coord;
        }
        tap_offsets[static_cast<size_t>(kk * out_size + p)] = inside ? offset : -1;
        for (size_t d = spatial; d-- > 0;) {
          if (++o_index[d] < g.out_spatial[d]) break;
          o_index[d] = 0;
        }
      }
      for (size_t d = spatial; d-- > 0;) {
        if (++k_index[d] < g.kernel[d]) break;
        k_index[d] = 0;
      }
    }
  }

  std::vector<float> columns(static_cast<size_t>(rows * out_size));
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t grp = 0; grp < g.group; ++grp) {
      for (int64_t c = 0; c < channels_per_group; ++c) {
        const float* channel = x.data() + (n * g.in_channels + grp * channels_per_group + c) * in_size;
        for (int64_t kk = 0; kk < kernel_size; ++kk) {
          float* col = columns.data() + (c * kernel_size + kk) * out_size;
          const int64_t* taps = tap_offsets.data() + kk * out_size;
          for (int64_t p = 0; p < out_size; ++p) col[p] = taps[p] < 0 ? 0.0f : channel[taps[p]];
        }
      }
      const float* weights = w.data() + grp * outputs_per_group * rows;
      int32_t* dst = out.data() + (n * g.out_channels + grp * outputs_per_group) * out_size;
      ExactIntegerGemm(outputs_per_group, out_size, rows, weights, rows, columns.data(), out_size, dst);
    }
  }
  return out;
}

// Reads a per-tensor (scalar) or per-output-channel parameter as `channels` values.
absl::StatusOr<std::vector<double>> PerChannel(const KernelContext& ctx, const Tensor* t, int64_t channels,
                                               absl::string_view what) {
  if (t == nullptr) return std::vector<double>(static_cast<size_t>(channels), 0.0);
  if (t->num_elements() == 1) return std::vector<double>(static_cast<size_t>(channels), t->GetAsDouble(0));
  if (t->rank() != 1 || t->dim(0) != channels) {
    return ctx.Error(absl::StrCat(what, " has shape [", absl::StrJoin(t->dims(), ","), "], expected a scalar or [",
                                  channels, "]"));
  }
  std::vector<double> out(static_cast<size_t>(channels));
  for (int64_t i = 0; i < channels; ++i) out[static_cast<size_t>(i)] = t->GetAsDouble(i);
  return out;
}

absl::StatusOr<double> PerTensor(const KernelContext& ctx, const Tensor* t, absl::string_view what) {
  if (t == nullptr) return 0.0;
  if (t->num_elements() != 1) {
    return ctx.Error(absl::StrCat(what, " has shape [", absl::StrJoin(t->dims(), ","), "], expected a scalar"));
  }
  return t->GetAsDouble(0);
}

// The int32 accumulators of an integer convolution with zero points.
absl::StatusOr<std::vector<int32_t>> IntegerConv(const KernelContext& ctx, const Tensor& x, const Tensor& w,
                                                 const Tensor* x_zero_point, const Tensor* w_zero_point,
                                                 const ConvGeometry& g) {
  if (!Is8BitInteger(x.dtype()) || !Is8BitInteger(w.dtype())) {
    return ctx.Error(absl::StrCat("x and w have types ", ir::DTypeName(x.dtype()), " and ", ir::DTypeName(w.dtype()),
                                  ", expected i8 or u8"));
  }
  if (absl::Status s = CheckZeroPointType(ctx, x_zero_point, x, "x zero point"); !s.ok()) return s;
  if (absl::Status s = CheckZeroPointType(ctx, w_zero_point, w, "w zero point"); !s.ok()) return s;
  absl::StatusOr<double> x_zp = PerTensor(ctx, x_zero_point, "x zero point");
  if (!x_zp.ok()) return x_zp.status();
  absl::StatusOr<std::vector<double>> w_zp = PerChannel(ctx, w_zero_point, g.out_channels, "w zero point");
  if (!w_zp.ok()) return w_zp.status();
  const std::vector<int32_t> x_values = IntegerValues(x);
  std::vector<float> xs(x_values.size());
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(x_values[i] - static_cast<int32_t>(*x_zp));
  const std::vector<int32_t> w_values = IntegerValues(w);
  std::vector<float> ws(w_values.size());
  const int64_t per_channel = g.out_channels == 0 ? 0 : w.num_elements() / g.out_channels;
  for (int64_t m = 0; m < g.out_channels; ++m) {
    const int32_t zp = static_cast<int32_t>((*w_zp)[static_cast<size_t>(m)]);
    for (int64_t i = 0; i < per_channel; ++i) {
      const size_t e = static_cast<size_t>(m * per_channel + i);
      ws[e] = static_cast<float>(w_values[e] - zp);
    }
  }
  return ConvolveCentered(g, xs, ws);
}

absl::Status ConvInteger(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* w = ctx.input(1);
  if (x == nullptr || w == nullptr) return ctx.Error("needs inputs x and w");
  absl::StatusOr<ConvGeometry> g = MakeConvGeometry(ctx, x->dims(), w->dims());
  if (!g.ok()) return g.status();
  absl::StatusOr<std::vector<int32_t>> acc = IntegerConv(ctx, *x, *w, ctx.input(2), ctx.input(3), *g);
  if (!acc.ok()) return acc.status();
  ctx.set_output(0, Tensor::FromVector<int32_t>(ConvOutputDims(*g), *acc));
  return absl::OkStatus();
}

absl::Status QLinearConv(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* w = ctx.input(3);
  const Tensor* y_zero_point = ctx.input(7);
  const Tensor* bias = ctx.input(8);
  if (x == nullptr || w == nullptr || ctx.input(1) == nullptr || ctx.input(4) == nullptr ||
      ctx.input(6) == nullptr || y_zero_point == nullptr) {
    return ctx.Error("needs x, x_scale, w, w_scale, y_scale and y_zero_point");
  }
  const std::optional<std::pair<int32_t, int32_t>> range = IntegerRange(y_zero_point->dtype());
  if (!Is8BitInteger(y_zero_point->dtype()) || !range.has_value()) {
    return ctx.Error(absl::StrCat("y_zero_point has type ", ir::DTypeName(y_zero_point->dtype()), ", expected i8 or u8"));
  }
  absl::StatusOr<ConvGeometry> g = MakeConvGeometry(ctx, x->dims(), w->dims());
  if (!g.ok()) return g.status();
  absl::StatusOr<double> x_scale = PerTensor(ctx, ctx.input(1), "x_scale");
  absl::StatusOr<std::vector<double>> w_scale = PerChannel(ctx, ctx.input(4), g->out_channels, "w_scale");
  absl::StatusOr<double> y_scale = PerTensor(ctx, ctx.input(6), "y_scale");
  absl::StatusOr<double> y_zero = PerTensor(ctx, y_zero_point, "y_zero_point");
  absl::StatusOr<std::vector<double>> bias_values = PerChannel(ctx, bias, g->out_channels, "bias");
  for (const absl::Status& s :
       {x_scale.status(), w_scale.status(), y_scale.status(), y_zero.status(), bias_values.status()}) {
    if (!s.ok()) return s;
  }
  if (bias != nullptr && bias->dtype() != DType::kInt32) {
    return ctx.Error(absl::StrCat("bias has type ", ir::DTypeName(bias->dtype()), ", expected i32"));
  }
  absl::StatusOr<std::vector<int32_t>> acc = IntegerConv(ctx, *x, *w, ctx.input(2), ctx.input(5), *g);
  if (!acc.ok()) return acc.status();

  const int64_t out_size = Product(g->out_spatial);
  std::vector<int32_t> codes(acc->size());
  for (int64_t n = 0; n < g->batch; ++n) {
    for (int64_t m = 0; m < g->out_channels; ++m) {
      // The multiplier is formed in float, as the reference does with f32 scales.
      const float multiplier = static_cast<float>(static_cast<float>(*x_scale) *
                                                  static_cast<float>((*w_scale)[static_cast<size_t>(m)])) /
                               static_cast<float>(*y_scale);
      const int32_t b = static_cast<int32_t>((*bias_values)[static_cast<size_t>(m)]);
      const int64_t base = (n * g->out_channels + m) * out_size;
      for (int64_t p = 0; p < out_size; ++p) {
        const int32_t with_bias = static_cast<int32_t>(static_cast<uint32_t>((*acc)[base + p]) + static_cast<uint32_t>(b));
        codes[base + p] = Requantize(with_bias, multiplier, *y_zero, *range);
      }
    }
  }
  ctx.set_output(0, StoreCodes(y_zero_point->dtype(), ConvOutputDims(*g), codes));
  return absl::OkStatus();
}

}  // namespace

void RegisterQuantizationKernels(KernelRegistry& registry) {
  registry.Register("", "QuantizeLinear", [](KernelContext& ctx) { return QuantizeLinear(ctx, ctx.opset()); });
  registry.Register("", "DequantizeLinear", [](KernelContext& ctx) { return DequantizeLinear(ctx, ctx.opset()); });
  registry.Register(kMicrosoftDomain, "QuantizeLinear",
                    [](KernelContext& ctx) { return QuantizeLinear(ctx, kContribEquivalentOpset); });
  registry.Register(kMicrosoftDomain, "DequantizeLinear",
                    [](KernelContext& ctx) { return DequantizeLinear(ctx, kContribEquivalentOpset); });
  registry.Register("", "DynamicQuantizeLinear", DynamicQuantizeLinear);
  registry.Register("", "MatMulInteger", MatMulInteger);
  registry.Register("", "QLinearMatMul", QLinearMatMul);
  registry.Register("", "ConvInteger", ConvInteger);
  registry.Register("", "QLinearConv", QLinearConv);
}

}  // namespace gsopt::backend::cpu
