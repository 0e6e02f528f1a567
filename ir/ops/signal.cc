// Schemas and shape inference for the signal op family: DFT, STFT, the
// window generators (Hann, Hamming, Blackman) and MelWeightMatrix.
//
// Signals are real ([..., 1]) or complex ([..., 2]) in the last dim. DFT's
// axis is an attribute at opset 17 (default 1) and an optional scalar input
// from opset 20 (default -2); its transformed length is dft_length when
// given, and one-sided output keeps floor(n/2)+1 bins. An inverse one-sided
// DFT (irfft) turns floor(n/2)+1 bins into n real samples, n defaulting to
// 2*(bins-1). Lengths read from non-constant inputs give unknown dims.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

// A constant scalar (or one-element) integer input, when known.
std::optional<int64_t> ConstantScalar(const InferenceContext& ctx, int i) {
  std::optional<std::vector<int64_t>> values = ConstantInt64s(ctx, i);
  if (!values || values->size() != 1) return std::nullopt;
  return (*values)[0];
}

// The output dtype chosen by the output_datatype attribute (default f32).
absl::StatusOr<DType> OutputDataType(const InferenceContext& ctx) {
  int64_t code = ctx.node().GetInt("output_datatype", 1);
  std::optional<DType> dtype = DTypeFromOnnx(static_cast<int32_t>(code));
  if (!dtype || !(IsFloatingPoint(*dtype) || IsInteger(*dtype))) {
    return ctx.Error(absl::StrCat("output_datatype ", code, " is not a numeric type"));
  }
  return *dtype;
}

absl::Status InferDft(InferenceContext& ctx) {
  const TensorType& input = ctx.input_type(0);
  bool inverse = ctx.node().GetInt("inverse", 0) != 0;
  bool onesided = ctx.node().GetInt("onesided", 0) != 0;
  const Shape& shape = input.shape;
  if (!shape.rank_known()) {
    ctx.set_output_type(0, TensorType{input.dtype, Shape()});
    return absl::OkStatus();
  }
  int64_t rank = shape.rank();
  if (rank < 2) return ctx.Error(absl::StrCat("input has rank ", rank, ", expected at least 2"));
  const Dim& components = shape.dim(rank - 1);
  if (components.is_static() && components.value() != 1 && components.value() != 2) {
    return ctx.Error(absl::StrCat("last dim is ", components.value(), ", expected 1 (real) or 2 (complex)"));
  }
  std::optional<int64_t> axis;
  if (ctx.opset() < 20) {
    axis = ctx.node().GetInt("axis", 1);
  } else if (ctx.has_input(2)) {
    axis = ConstantScalar(ctx, 2);
  } else {
    axis = -2;
  }
  std::vector<Dim> dims = shape.dims();
  dims.back() = Dim(inverse && onesided ? 1 : 2);
  if (!axis) {
    // Which dim is transformed is not known; only the rank and the last dim are.
    for (int64_t i = 0; i + 1 < rank; ++i) dims[static_cast<size_t>(i)] = Dim();
    ctx.set_output_type(0, TensorType{input.dtype, Shape(std::move(dims))});
    return absl::OkStatus();
  }
  int64_t a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= rank - 1) {
    return ctx.Error(absl::StrCat("axis ", *axis, " is out of range for input rank ", rank));
  }
  Dim length = shape.dim(a);
  if (ctx.has_input(1)) {
    std::optional<int64_t> dft_length = ConstantScalar(ctx, 1);
    if (dft_length && *dft_length <= 0) return ctx.Error(absl::StrCat("dft_length ", *dft_length, " is not positive"));
    length = dft_length ? Dim(*dft_length) : Dim();
  } else if (inverse && onesided) {
    length = length.is_static() ? Dim(2 * (length.value() - 1)) : Dim();
  }
  if (onesided && !inverse) length = length.is_static() ? Dim(length.value() / 2 + 1) : Dim();
  dims[static_cast<size_t>(a)] = length;
  ctx.set_output_type(0, TensorType{input.dtype, Shape(std::move(dims))});
  return absl::OkStatus();
}

absl::Status InferStft(InferenceContext& ctx) {
  const TensorType& signal = ctx.input_type(0);
  bool onesided = ctx.node().GetInt("onesided", 1) != 0;
  const Shape& shape = signal.shape;
  if (shape.rank_known() && shape.rank() != 3) {
    return ctx.Error(absl::StrCat("signal has rank ", shape.rank(), ", expected 3 [batch, length, 1|2]"));
  }
  Dim frame_length;
  if (ctx.has_input(3)) {
    if (std::optional<int64_t> v = ConstantScalar(ctx, 3)) frame_length = Dim(*v);
  } else if (ctx.has_input(2)) {
    const Shape& window = ctx.input_type(2).shape;
    if (window.rank_known() && window.rank() != 1) return ctx.Error("window must have rank 1");
    if (window.rank_known()) frame_length = window.dim(0);
  } else {
    return ctx.Error("one of window and frame_length is required");
  }
  if (frame_length.is_static() && frame_length.value() <= 0) return ctx.Error("frame_length must be positive");
  std::optional<int64_t> step = ConstantScalar(ctx, 1);
  if (step && *step <= 0) return ctx.Error(absl::StrCat("frame_step ", *step, " is not positive"));
  Dim batch, frames;
  if (shape.rank_known()) {
    batch = shape.dim(0);
    const Dim& length = shape.dim(1);
    if (length.is_static() && frame_length.is_static() && step) {
      if (length.value() < frame_length.value()) {
        return ctx.Error(absl::StrCat("signal length ", length.value(), " is shorter than frame_length ",
                                      frame_length.value()));
      }
      frames = Dim((length.value() - frame_length.value()) / *step + 1);
    }
  }
  Dim bins = frame_length;
  if (onesided) bins = frame_length.is_static() ? Dim(frame_length.value() / 2 + 1) : Dim();
  ctx.set_output_type(0, TensorType{signal.dtype, Shape({batch, frames, bins, Dim(2)})});
  return absl::OkStatus();
}

absl::Status InferWindow(InferenceContext& ctx) {
  absl::StatusOr<DType> dtype = OutputDataType(ctx);
  if (!dtype.ok()) return dtype.status();
  const Shape& size_shape = ctx.input_type(0).shape;
  if (size_shape.rank_known() && size_shape.rank() != 0) return ctx.Error("size must be a scalar");
  Dim length;
  if (std::optional<int64_t> size = ConstantScalar(ctx, 0)) {
    if (*size < 0) return ctx.Error(absl::StrCat("size ", *size, " is negative"));
    length = Dim(*size);
  }
  ctx.set_output_type(0, TensorType{*dtype, Shape({length})});
  return absl::OkStatus();
}

absl::Status InferMelWeightMatrix(InferenceContext& ctx) {
  absl::StatusOr<DType> dtype = OutputDataType(ctx);
  if (!dtype.ok()) return dtype.status();
  Dim bins, spectrogram_bins;
  if (std::optional<int64_t> mel = ConstantScalar(ctx, 0)) {
    if (*mel <= 0) return ctx.Error(absl::StrCat("num_mel_bins ", *mel, " is not positive"));
    bins = Dim(*mel);
  }
  if (std::optional<int64_t> dft_length = ConstantScalar(ctx, 1)) {
    if (*dft_length <= 0) return ctx.Error(absl::StrCat("dft_length ", *dft_length, " is not positive"));
    spectrogram_bins = Dim(*dft_length / 2 + 1);
  }
  ctx.set_output_type(0, TensorType{*dtype, Shape({spectrogram_bins, bins})});
  return absl::OkStatus();
}

}  // namespace

void RegisterSignalOps(OpRegistry& registry) {
  registry.Register(OpSchema{"", "DFT", 1, 3, 1, 1, InferDft});
  registry.Register(OpSchema{"", "STFT", 2, 4, 1, 1, InferStft});
  registry.Register(OpSchema{"", "HannWindow", 1, 1, 1, 1, InferWindow});
  registry.Register(OpSchema{"", "HammingWindow", 1, 1, 1, 1, InferWindow});
  registry.Register(OpSchema{"", "BlackmanWindow", 1, 1, 1, 1, InferWindow});
  registry.Register(OpSchema{"", "MelWeightMatrix", 5, 5, 1, 1, InferMelWeightMatrix});
}

}  // namespace gsopt::ir
