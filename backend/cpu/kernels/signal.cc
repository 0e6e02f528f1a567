// CPU kernels for the signal op family: DFT (opsets 17 and 20: forward,
// inverse, one-sided real FFT and its inverse, dft_length padding or
// truncation, any axis), STFT, the Hann / Hamming / Blackman windows and
// MelWeightMatrix.
//
// Every transform works in double precision on one line of the signal at a
// time: power-of-two lengths use an iterative radix-2 FFT, other lengths a
// direct DFT whose twiddles are indexed by (k*m mod n) so that they stay
// exact for large k*m. f16/bf16 signals are widened to f32 on the way in
// and narrowed on the way out. MelWeightMatrix follows the ONNX reference
// (onnx.reference's MelWeightMatrix, which ONNX Runtime matches), including
// its mel spacing of (high - low) / (num_mel_bins + 2).
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <numbers>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;
using Complex = std::complex<double>;

absl::StatusOr<int64_t> ScalarInput(const KernelContext& ctx, int i, absl::string_view name) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr) return ctx.Error(absl::StrCat(name, " is required"));
  if (t->num_elements() != 1) return ctx.Error(absl::StrCat(name, " must be a scalar"));
  if (!ir::IsInteger(t->dtype())) return ctx.Error(absl::StrCat(name, " must be an integer"));
  return t->GetAsInt64(0);
}

// In-place transform of `x` (any length); sign -1 forward, +1 inverse (unnormalized).
void Transform(std::vector<Complex>& x, int sign) {
  const size_t n = x.size();
  if (n <= 1) return;
  if ((n & (n - 1)) == 0) {
    for (size_t i = 1, j = 0; i < n; ++i) {
      size_t bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) std::swap(x[i], x[j]);
    }
    for (size_t len = 2; len <= n; len <<= 1) {
      for (size_t k = 0; k < len / 2; ++k) {
        double angle = sign * 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(len);
        Complex w(std::cos(angle), std::sin(angle));
        for (size_t start = 0; start < n; start += len) {
          Complex u = x[start + k];
          Complex v = x[start + k + len / 2] * w;
          x[start + k] = u + v;
          x[start + k + len / 2] = u - v;
        }
      }
    }
    return;
  }
  std::vector<Complex> twiddle(n);
  for (size_t i = 0; i < n; ++i) {
    double angle = sign * 2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n);
    twiddle[i] = Complex(std::cos(angle), std::sin(angle));
  }
  std::vector<Complex> out(n);
  for (size_t k = 0; k < n; ++k) {
    Complex sum = 0;
    for (size_t m = 0; m < n; ++m) sum += x[m] * twiddle[(k * m) % n];
    out[k] = sum;
  }
  x.swap(out);
}

absl::Status DftKernel(KernelContext& ctx) {
  const Tensor* input = ctx.input(0);
  if (input == nullptr) return ctx.Error("input is required");
  if (!ir::IsFloatingPoint(input->dtype())) {
    return ctx.Error(absl::StrCat("element type ", ir::DTypeName(input->dtype()), " is not supported"));
  }
  const int64_t rank = input->rank();
  if (rank < 2) return ctx.Error("input must have rank >= 2");
  const int64_t components = input->dim(rank - 1);
  if (components != 1 && components != 2) return ctx.Error("last dim must be 1 (real) or 2 (complex)");
  bool inverse = ctx.node().GetInt("inverse", 0) != 0;
  bool onesided = ctx.node().GetInt("onesided", 0) != 0;
  int64_t axis = -2;
  if (ctx.opset() < 20) {
    axis = ctx.node().GetInt("axis", 1);
  } else if (ctx.input(2) != nullptr) {
    absl::StatusOr<int64_t> a = ScalarInput(ctx, 2, "axis");
    if (!a.ok()) return a.status();
    axis = *a;
  }
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank - 1) return ctx.Error(absl::StrCat("axis is out of range for input rank ", rank));
  const int64_t in_length = input->dim(axis);
  int64_t n = inverse && onesided ? 2 * (in_length - 1) : in_length;
  if (ctx.input(1) != nullptr) {
    absl::StatusOr<int64_t> len = ScalarInput(ctx, 1, "dft_length");
    if (!len.ok()) return len.status();
    n = *len;
  }
  if (n <= 0) return ctx.Error(absl::StrCat("transform length ", n, " is not positive"));
  const bool irfft = inverse && onesided;
  const int64_t out_length = irfft ? n : (onesided ? n / 2 + 1 : n);
  const int64_t out_components = irfft ? 1 : 2;

  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= input->dim(i);
  for (int64_t i = axis + 1; i < rank - 1; ++i) inner *= input->dim(i);
  std::vector<int64_t> out_dims = input->dims();
  out_dims[static_cast<size_t>(axis)] = out_length;
  out_dims.back() = out_components;
  std::vector<double> in = AsDoubles(*input);
  std::vector<double> out(static_cast<size_t>(outer * out_length * inner * out_components), 0.0);
  std::vector<Complex> line(static_cast<size_t>(n));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t q = 0; q < inner; ++q) {
      std::fill(line.begin(), line.end(), Complex(0, 0));
      auto read = [&](int64_t m) {
        size_t base = static_cast<size_t>(((o * in_length + m) * inner + q) * components);
        return Complex(in[base], components == 2 ? in[base + 1] : 0.0);
      };
      if (irfft) {
        // Hermitian completion of the n/2+1 given bins (numpy's irfft: extra bins ignored, missing ones zero).
        int64_t half = n / 2;
        for (int64_t k = 0; k <= half && k < in_length; ++k) line[static_cast<size_t>(k)] = read(k);
        line[0] = Complex(line[0].real(), 0);
        if (n % 2 == 0) line[static_cast<size_t>(half)] = Complex(line[static_cast<size_t>(half)].real(), 0);
        for (int64_t k = half + 1; k < n; ++k) line[static_cast<size_t>(k)] = std::conj(line[static_cast<size_t>(n - k)]);
      } else {
        for (int64_t m = 0; m < std::min(in_length, n); ++m) line[static_cast<size_t>(m)] = read(m);
      }
      Transform(line, inverse ? 1 : -1);
      double scale = inverse ? 1.0 / static_cast<double>(n) : 1.0;
      for (int64_t k = 0; k < out_length; ++k) {
        size_t base = static_cast<size_t>(((o * out_length + k) * inner + q) * out_components);
        out[base] = line[static_cast<size_t>(k)].real() * scale;
        if (out_components == 2) out[base + 1] = line[static_cast<size_t>(k)].imag() * scale;
      }
    }
  }
  ctx.set_output(0, FromDoubles(out, std::move(out_dims), input->dtype()));
  return absl::OkStatus();
}

absl::Status StftKernel(KernelContext& ctx) {
  const Tensor* signal = ctx.input(0);
  if (signal == nullptr) return ctx.Error("signal is required");
  if (!ir::IsFloatingPoint(signal->dtype())) {
    return ctx.Error(absl::StrCat("element type ", ir::DTypeName(signal->dtype()), " is not supported"));
  }
  if (signal->rank() != 3 || (signal->dim(2) != 1 && signal->dim(2) != 2)) {
    return ctx.Error("signal must have shape [batch, length, 1 or 2]");
  }
  absl::StatusOr<int64_t> step = ScalarInput(ctx, 1, "frame_step");
  if (!step.ok()) return step.status();
  if (*step <= 0) return ctx.Error("frame_step must be positive");
  const Tensor* window = ctx.input(2);
  int64_t frame_length = -1;
  if (ctx.input(3) != nullptr) {
    absl::StatusOr<int64_t> fl = ScalarInput(ctx, 3, "frame_length");
    if (!fl.ok()) return fl.status();
    frame_length = *fl;
  }
  if (window != nullptr) {
    if (window->rank() != 1) return ctx.Error("window must have rank 1");
    if (frame_length >= 0 && window->dim(0) != frame_length) {
      return ctx.Error(absl::StrCat("window has ", window->dim(0), " samples, frame_length is ", frame_length));
    }
    frame_length = window->dim(0);
  }
  if (frame_length <= 0) return ctx.Error("frame_length must be given (input or window) and positive");
  const int64_t batch = signal->dim(0), length = signal->dim(1), components = signal->dim(2);
  if (length < frame_length) return ctx.Error("signal is shorter than one frame");
  bool onesided = ctx.node().GetInt("onesided", 1) != 0;
  const int64_t frames = (length - frame_length) / *step + 1;
  const int64_t bins = onesided ? frame_length / 2 + 1 : frame_length;
  std::vector<double> in = AsDoubles(*signal);
  std::vector<double> weights(static_cast<size_t>(frame_length), 1.0);
  if (window != nullptr) weights = AsDoubles(*window);
  std::vector<double> out(static_cast<size_t>(batch * frames * bins * 2));
  std::vector<Complex> line(static_cast<size_t>(frame_length));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t f = 0; f < frames; ++f) {
      for (int64_t m = 0; m < frame_length; ++m) {
        size_t base = static_cast<size_t>((b * length + f * *step + m) * components);
        double w = weights[static_cast<size_t>(m)];
        line[static_cast<size_t>(m)] = Complex(in[base] * w, components == 2 ? in[base + 1] * w : 0.0);
      }
      Transform(line, -1);
      for (int64_t k = 0; k < bins; ++k) {
        size_t base = static_cast<size_t>(((b * frames + f) * bins + k) * 2);
        out[base] = line[static_cast<size_t>(k)].real();
        out[base + 1] = line[static_cast<size_t>(k)].imag();
      }
    }
  }
  ctx.set_output(0, FromDoubles(out, {batch, frames, bins, 2}, signal->dtype()));
  return absl::OkStatus();
}

absl::StatusOr<DType> OutputDataType(const KernelContext& ctx) {
  int64_t code = ctx.node().GetInt("output_datatype", 1);
  std::optional<DType> dtype = ir::DTypeFromOnnx(static_cast<int32_t>(code));
  if (!dtype || !(ir::IsFloatingPoint(*dtype) || ir::IsInteger(*dtype))) {
    return ctx.Error(absl::StrCat("output_datatype ", code, " is not a numeric type"));
  }
  return *dtype;
}

enum class WindowKind { kHann, kHamming, kBlackman };

absl::Status WindowKernel(KernelContext& ctx, WindowKind kind) {
  absl::StatusOr<int64_t> size = ScalarInput(ctx, 0, "size");
  if (!size.ok()) return size.status();
  if (*size < 0) return ctx.Error(absl::StrCat("size ", *size, " is negative"));
  absl::StatusOr<DType> dtype = OutputDataType(ctx);
  if (!dtype.ok()) return dtype.status();
  bool periodic = ctx.node().GetInt("periodic", 1) != 0;
  const double denominator = static_cast<double>(periodic ? *size : *size - 1);
  std::vector<double> values(static_cast<size_t>(*size));
  for (int64_t i = 0; i < *size; ++i) {
    double phase = 2.0 * std::numbers::pi * static_cast<double>(i) / denominator;
    double v = 0;
    switch (kind) {
      case WindowKind::kHann: v = 0.5 - 0.5 * std::cos(phase); break;
      case WindowKind::kHamming: v = 25.0 / 46.0 - (21.0 / 46.0) * std::cos(phase); break;
      case WindowKind::kBlackman: v = 0.42 - 0.5 * std::cos(phase) + 0.08 * std::cos(2.0 * phase); break;
    }
    values[static_cast<size_t>(i)] = v;
  }
  ctx.set_output(0, FromDoubles(values, {*size}, *dtype));
  return absl::OkStatus();
}

absl::Status MelWeightMatrixKernel(KernelContext& ctx) {
  absl::StatusOr<int64_t> mel_bins = ScalarInput(ctx, 0, "num_mel_bins");
  if (!mel_bins.ok()) return mel_bins.status();
  absl::StatusOr<int64_t> dft_length = ScalarInput(ctx, 1, "dft_length");
  if (!dft_length.ok()) return dft_length.status();
  absl::StatusOr<int64_t> sample_rate = ScalarInput(ctx, 2, "sample_rate");
  if (!sample_rate.ok()) return sample_rate.status();
  for (int i = 3; i < 5; ++i) {
    if (ctx.input(i) == nullptr || ctx.input(i)->num_elements() != 1) {
      return ctx.Error(absl::StrCat(i == 3 ? "lower_edge_hertz" : "upper_edge_hertz", " must be a scalar"));
    }
  }
  if (*mel_bins <= 0 || *dft_length <= 0 || *sample_rate <= 0) {
    return ctx.Error("num_mel_bins, dft_length and sample_rate must be positive");
  }
  absl::StatusOr<DType> dtype = OutputDataType(ctx);
  if (!dtype.ok()) return dtype.status();
  const double lower_hz = ToFloat32(*ctx.input(3)).GetAsDouble(0);
  const double upper_hz = ToFloat32(*ctx.input(4)).GetAsDouble(0);
  const int64_t spectrogram_bins = *dft_length / 2 + 1;
  const int64_t points = *mel_bins + 2;
  auto hz_to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const double low_mel = hz_to_mel(lower_hz);
  const double mel_step = (hz_to_mel(upper_hz) - low_mel) / static_cast<double>(points);
  std::vector<int64_t> bin_of_point(static_cast<size_t>(points));
  for (int64_t i = 0; i < points; ++i) {
    double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * mel_step + low_mel) / 2595.0) - 1.0);
    bin_of_point[static_cast<size_t>(i)] =
        static_cast<int64_t>(std::floor(static_cast<double>(*dft_length + 1) * hz / static_cast<double>(*sample_rate)));
  }
  std::vector<double> out(static_cast<size_t>(spectrogram_bins * *mel_bins), 0.0);
  auto set = [&](int64_t row, int64_t col, double v) {
    if (row >= 0 && row < spectrogram_bins) out[static_cast<size_t>(row * *mel_bins + col)] = v;
  };
  for (int64_t i = 0; i < *mel_bins; ++i) {
    const int64_t left = bin_of_point[static_cast<size_t>(i)];
    const int64_t center = bin_of_point[static_cast<size_t>(i + 1)];
    const int64_t right = bin_of_point[static_cast<size_t>(i + 2)];
    if (center == left) {
      set(center, i, 1.0);
    } else {
      for (int64_t j = left; j <= center; ++j) set(j, i, static_cast<double>(j - left) / static_cast<double>(center - left));
    }
    for (int64_t j = center; j < right; ++j) set(j, i, static_cast<double>(right - j) / static_cast<double>(right - center));
  }
  ctx.set_output(0, FromDoubles(out, {spectrogram_bins, *mel_bins}, *dtype));
  return absl::OkStatus();
}

}  // namespace

void RegisterSignalKernels(KernelRegistry& registry) {
  registry.Register("", "DFT", DftKernel);
  registry.Register("", "STFT", StftKernel);
  registry.Register("", "HannWindow", [](KernelContext& ctx) { return WindowKernel(ctx, WindowKind::kHann); });
  registry.Register("", "HammingWindow", [](KernelContext& ctx) { return WindowKernel(ctx, WindowKind::kHamming); });
  registry.Register("", "BlackmanWindow", [](KernelContext& ctx) { return WindowKernel(ctx, WindowKind::kBlackman); });
  registry.Register("", "MelWeightMatrix", MelWeightMatrixKernel);
}

}  // namespace gsopt::backend::cpu
