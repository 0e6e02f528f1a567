// CPU kernels for the neural-network op family: MatMul, Gemm, Einsum, Conv,
// ConvTranspose, the pools, the normalizations (batch, instance, layer,
// group, LRN, Lp, mean-variance, com.microsoft LayerNormalization and
// SkipLayerNormalization) and Softmax / LogSoftmax / Hardmax.
//
// f32 matrix products go through oneDNN's sgemm (gemm.h): ResNet-50 and BERT
// spend nearly all their time in GEMMs, and a tuned, multi-threaded sgemm is
// an order of magnitude faster than any loop nest written here. Conv and
// ConvTranspose are lowered to im2col / col2im plus the same GEMM, which
// covers every attribute combination (groups, dilations, asymmetric pads,
// 1-D to 3-D) with one small, easily checked piece of index arithmetic.
// f64 and integer types use a plain loop GEMM; f16 and bf16 are widened to
// f32, computed, and narrowed back. Reductions accumulate in double, in a
// fixed number of independent lanes so they vectorize yet give the same
// result on every run. Pools and depthwise convs work a whole output row at
// a time so their inner loops are simple strided sweeps.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/gemm.h"
#include "backend/cpu/kernels/kernel_utils.h"
#include "ir/ops/shape_helpers.h"
#include "ir/check.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

constexpr char kMicrosoftDomain[] = "com.microsoft";

// ---------------------------------------------------------------------------
// Small shared helpers

int64_t Product(const std::vector<int64_t>& dims, size_t begin = 0, size_t end = std::string::npos) {
  end = std::min(end, dims.size());
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

// Contents of a (small) parameter tensor of any numeric type, as T.
template <typename T>
std::vector<T> ValuesAs(const Tensor& t) {
  std::vector<T> out(static_cast<size_t>(t.num_elements()));
  if (t.dtype() == ir::DTypeOf<T>()) {
    std::copy(t.data<T>(), t.data<T>() + t.num_elements(), out.begin());
  } else {
    for (int64_t i = 0; i < t.num_elements(); ++i) out[static_cast<size_t>(i)] = static_cast<T>(t.GetAsDouble(i));
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> SpatialInts(const KernelContext& ctx, absl::string_view name, size_t count,
                                                 int64_t fill, int64_t minimum) {
  absl::StatusOr<std::vector<int64_t>> values = ir::SpatialIntsAttribute(ctx.node(), name, count, fill, minimum);
  if (!values.ok()) return ctx.Error(values.status().message());
  return values;
}

// ---------------------------------------------------------------------------
// Vectorizable row primitives

// Sums with kLanes independent double accumulators: each lane adds its own
// sequence, so the loop vectorizes without reassociating one accumulator
// (no -ffast-math needed) and the result is the same on every run.
constexpr int kLanes = 8;

template <typename T, typename Term>
double LaneSum(const T* v, int64_t count, Term term) {
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) lanes[j] += term(static_cast<double>(v[i + j]));
  }
  double sum = 0;
  for (; i < count; ++i) sum += term(static_cast<double>(v[i]));
  for (int j = 0; j < kLanes; ++j) sum += lanes[j];
  return sum;
}

// exp for float with about 2 ulp error: Cody-Waite reduction x = n ln2 + r,
// Cephes' degree-6 polynomial for e^r, and 2^n assembled in the exponent
// bits. Softmax over attention scores is exp-bound, so RowExp runs four
// lanes at a time with SSE2 (GCC will not vectorize the float clamps itself
// under the default -ftrapping-math); ExpFloat is the same math, one lane.
constexpr float kExpLowest = -87.3f, kExpHighest = 88.3f;
constexpr float kRoundToInt = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
constexpr float kLog2E = 1.44269504088896341f, kLn2High = 0.693359375f, kLn2Low = -2.12194440e-4f;
constexpr float kExpPoly[] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                              4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

inline float ExpFloat(float x) {
  if (x < kExpLowest) return 0.0f;  // below the smallest normal result
  x = x > kExpHighest ? kExpHighest : x;
  const float t = x * kLog2E + kRoundToInt;
  const float n = t - kRoundToInt;
  const int32_t exponent = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRoundToInt);
  const float r = x - n * kLn2High - n * kLn2Low;
  float p = kExpPoly[0];
  for (int i = 1; i < 6; ++i) p = p * r + kExpPoly[i];
  p = p * r * r + r + 1.0f;
  return p * std::bit_cast<float>((exponent + 127) << 23);
}

#if defined(__SSE2__)
inline __m128 ExpFloat4(__m128 x) {
  const __m128 in_range = _mm_cmpge_ps(x, _mm_set1_ps(kExpLowest));  // lanes below give 0
  x = _mm_min_ps(_mm_max_ps(x, _mm_set1_ps(kExpLowest)), _mm_set1_ps(kExpHighest));
  const __m128 round = _mm_set1_ps(kRoundToInt);
  const __m128 t = _mm_add_ps(_mm_mul_ps(x, _mm_set1_ps(kLog2E)), round);
  const __m128 n = _mm_sub_ps(t, round);
  const __m128i exponent = _mm_sub_epi32(_mm_castps_si128(t), _mm_castps_si128(round));
  const __m128 r = _mm_sub_ps(_mm_sub_ps(x, _mm_mul_ps(n, _mm_set1_ps(kLn2High))), _mm_mul_ps(n, _mm_set1_ps(kLn2Low)));
  __m128 p = _mm_set1_ps(kExpPoly[0]);
  for (int i = 1; i < 6; ++i) p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(kExpPoly[i]));
  p = _mm_add_ps(_mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, r), r), r), _mm_set1_ps(1.0f));
  const __m128 scale = _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(exponent, _mm_set1_epi32(127)), 23));
  return _mm_and_ps(_mm_mul_ps(p, scale), in_range);
}
#endif

template <typename T>
T Exp(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return ExpFloat(x);
  } else {
    return std::exp(x);
  }
}

// out[k] = exp(in[k] - shift) for k < len.
template <typename T>
void RowExp(const T* in, T shift, T* out, int64_t len) {
  int64_t k = 0;
  if constexpr (std::is_same_v<T, float>) {
#if defined(__SSE2__)
    const __m128 s = _mm_set1_ps(shift);
    for (; k + 4 <= len; k += 4) _mm_storeu_ps(out + k, ExpFloat4(_mm_sub_ps(_mm_loadu_ps(in + k), s)));
#endif
    for (; k < len; ++k) out[k] = ExpFloat(in[k] - shift);
  } else {
    for (; k < len; ++k) out[k] = std::exp(in[k] - shift);
  }
}

// The largest of len > 0 values (NaN-free inputs; a NaN may or may not win).
template <typename T>
T RowMax(const T* in, int64_t len) {
  int64_t k = 0;
  T best = in[0];
  if constexpr (std::is_same_v<T, float>) {
#if defined(__SSE2__)
    if (len >= 4) {
      __m128 lanes = _mm_loadu_ps(in);
      for (k = 4; k + 4 <= len; k += 4) lanes = _mm_max_ps(lanes, _mm_loadu_ps(in + k));
      alignas(16) float values[4];
      _mm_store_ps(values, lanes);
      for (float v : values) best = v > best ? v : best;
    }
#endif
  }
  for (; k < len; ++k) best = in[k] > best ? in[k] : best;
  return best;
}

// Runs a kernel body templated on the element type for the float types,
// widening f16/bf16 inputs to f32. `body` receives the widened tensors.
template <typename Body>
absl::Status WithFloatTypes(const KernelContext& ctx, DType dtype, Body&& body) {
  if (!ir::IsFloatingPoint(dtype)) {
    return ctx.Error(absl::StrCat("element type ", ir::DTypeName(dtype), " is not supported by this kernel"));
  }
  DType compute = dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
  return ctx.Annotate(DispatchFloat(compute, body));
}

// ---------------------------------------------------------------------------
// MatMul

template <typename T>
Tensor MatMulTyped(const Tensor& a, const Tensor& b, const std::vector<int64_t>& a_dims,
                   const std::vector<int64_t>& b_dims, const std::vector<int64_t>& batch,
                   const std::vector<int64_t>& out_dims, DType out_dtype) {
  int64_t m = a_dims[a_dims.size() - 2];
  int64_t k = a_dims.back();
  int64_t n = b_dims.back();
  Tensor out = Tensor::Zeros(out_dtype, out_dims);
  const T* a_data = a.data<T>();
  const T* b_data = b.data<T>();
  T* c = out.mutable_data<T>();
  int64_t batch_count = Product(batch);
  std::vector<int64_t> a_batch(a_dims.begin(), a_dims.end() - 2);
  std::vector<int64_t> b_batch(b_dims.begin(), b_dims.end() - 2);
  int64_t a_batch_count = Product(a_batch);
  int64_t b_batch_count = Product(b_batch);
  if (b_batch_count == 1 && a_batch_count == batch_count) {
    // A stack of matrices times one matrix is a single tall GEMM (BERT's dense layers).
    Gemm<T>(false, false, batch_count * m, n, k, T(1), a_data, k, b_data, n, T(0), c, n);
    return out;
  }
  std::vector<int64_t> a_map = BroadcastIndexMap(a_batch, batch);
  std::vector<int64_t> b_map = BroadcastIndexMap(b_batch, batch);
  for (int64_t i = 0; i < batch_count; ++i) {
    Gemm<T>(false, false, m, n, k, T(1), a_data + a_map[static_cast<size_t>(i)] * m * k, k,
            b_data + b_map[static_cast<size_t>(i)] * k * n, n, T(0), c + i * m * n, n);
  }
  return out;
}

absl::Status MatMulKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(2); !s.ok()) return s;
  const Tensor& a_in = *ctx.input(0);
  const Tensor& b_in = *ctx.input(1);
  if (a_in.dtype() != b_in.dtype()) return ctx.Error("A and B have different element types");
  if (a_in.rank() == 0 || b_in.rank() == 0) return ctx.Error("MatMul operands must have rank >= 1");
  if (a_in.dtype() == DType::kBool) return ctx.Error("MatMul does not support bool");
  std::vector<int64_t> a_dims = a_in.dims();
  std::vector<int64_t> b_dims = b_in.dims();
  bool a_vector = a_dims.size() == 1;
  bool b_vector = b_dims.size() == 1;
  if (a_vector) a_dims.insert(a_dims.begin(), 1);
  if (b_vector) b_dims.push_back(1);
  if (a_dims.back() != b_dims[b_dims.size() - 2]) {
    return ctx.Error(absl::StrCat("inner dimensions differ: A is [", absl::StrJoin(a_in.dims(), ","), "], B is [",
                                  absl::StrJoin(b_in.dims(), ","), "]"));
  }
  absl::StatusOr<std::vector<int64_t>> batch = BroadcastDims(
      {std::vector<int64_t>(a_dims.begin(), a_dims.end() - 2), std::vector<int64_t>(b_dims.begin(), b_dims.end() - 2)});
  if (!batch.ok()) return ctx.Error(batch.status().message());
  std::vector<int64_t> out_dims = *batch;
  if (!a_vector) out_dims.push_back(a_dims[a_dims.size() - 2]);
  if (!b_vector) out_dims.push_back(b_dims.back());
  Tensor a = ToFloat32(a_in);
  Tensor b = ToFloat32(b_in);
  Tensor result;
  absl::Status s = DispatchNumeric(a.dtype(), [&]<typename T>() -> absl::Status {
    if constexpr (std::is_same_v<T, bool>) {
      return absl::UnimplementedError("bool");
    } else {
      result = MatMulTyped<T>(a, b, a_dims, b_dims, *batch, out_dims, a.dtype());
      return absl::OkStatus();
    }
  });
  if (!s.ok()) return ctx.Annotate(s);
  ctx.set_output(0, FromFloat32(result, a_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Gemm

absl::Status GemmKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(2); !s.ok()) return s;
  const Tensor& a_in = *ctx.input(0);
  const Tensor& b_in = *ctx.input(1);
  const Tensor* c_in = ctx.input(2);
  if (a_in.rank() != 2 || b_in.rank() != 2) {
    return ctx.Error(absl::StrCat("A and B must be 2-D, got ranks ", a_in.rank(), " and ", b_in.rank()));
  }
  if (a_in.dtype() != b_in.dtype() || (c_in != nullptr && c_in->dtype() != a_in.dtype())) {
    return ctx.Error("A, B and C must have the same element type");
  }
  if (a_in.dtype() == DType::kBool) return ctx.Error("Gemm does not support bool");
  bool trans_a = ctx.node().GetInt("transA", 0) != 0;
  bool trans_b = ctx.node().GetInt("transB", 0) != 0;
  float alpha = ctx.node().GetFloat("alpha", 1.0f);
  float beta = ctx.node().GetFloat("beta", 1.0f);
  int64_t m = trans_a ? a_in.dim(1) : a_in.dim(0);
  int64_t k = trans_a ? a_in.dim(0) : a_in.dim(1);
  int64_t n = trans_b ? b_in.dim(0) : b_in.dim(1);
  int64_t k_b = trans_b ? b_in.dim(1) : b_in.dim(0);
  if (k != k_b) {
    return ctx.Error(absl::StrCat("inner dimensions differ: A is [", absl::StrJoin(a_in.dims(), ","), "]",
                                  trans_a ? " (transposed)" : "", ", B is [", absl::StrJoin(b_in.dims(), ","), "]",
                                  trans_b ? " (transposed)" : ""));
  }
  // C broadcasts one way onto (M, N): its row and column strides are 0 where it has extent 1.
  int64_t c_rows = 1, c_cols = 1;
  if (c_in != nullptr) {
    if (c_in->rank() > 2) return ctx.Error(absl::StrCat("C has rank ", c_in->rank(), ", expected at most 2"));
    if (c_in->rank() >= 1) c_cols = c_in->dim(c_in->rank() - 1);
    if (c_in->rank() == 2) c_rows = c_in->dim(0);
    if ((c_rows != 1 && c_rows != m) || (c_cols != 1 && c_cols != n)) {
      return ctx.Error(absl::StrCat("C of shape [", absl::StrJoin(c_in->dims(), ","), "] does not broadcast to [", m,
                                    ",", n, "]"));
    }
  }
  Tensor a = ToFloat32(a_in);
  Tensor b = ToFloat32(b_in);
  Tensor c = c_in != nullptr ? ToFloat32(*c_in) : Tensor();
  Tensor result = Tensor::Zeros(a.dtype(), {m, n});
  absl::Status s = DispatchNumeric(a.dtype(), [&]<typename T>() -> absl::Status {
    if constexpr (std::is_same_v<T, bool>) {
      return absl::UnimplementedError("bool");
    } else {
      T* y = result.mutable_data<T>();
      const T* c_data = c.is_defined() ? c.data<T>() : nullptr;
      auto c_at = [&](int64_t i, int64_t j) {
        return c_data[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)];
      };
      if constexpr (std::is_floating_point_v<T>) {
        if (c_data != nullptr) {
          for (int64_t i = 0; i < m; ++i) {
            for (int64_t j = 0; j < n; ++j) y[i * n + j] = static_cast<T>(beta) * c_at(i, j);
          }
        }
        Gemm<T>(trans_a, trans_b, m, n, k, static_cast<T>(alpha), a.data<T>(), a.dim(1), b.data<T>(), b.dim(1),
                c_data != nullptr ? T(1) : T(0), y, n);
      } else {
        // Integers: exact products, then alpha and beta applied in double
        // only when they are not 1 (numpy promotes the same way).
        Gemm<T>(trans_a, trans_b, m, n, k, T(1), a.data<T>(), a.dim(1), b.data<T>(), b.dim(1), T(0), y, n);
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            T& v = y[i * n + j];
            if (alpha != 1.0f) v = static_cast<T>(static_cast<double>(alpha) * static_cast<double>(v));
            if (c_data == nullptr) continue;
            v += beta == 1.0f ? c_at(i, j) : static_cast<T>(static_cast<double>(beta) * static_cast<double>(c_at(i, j)));
          }
        }
      }
      return absl::OkStatus();
    }
  });
  if (!s.ok()) return ctx.Annotate(s);
  ctx.set_output(0, FromFloat32(result, a_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Window geometry shared by Conv, ConvTranspose and the pools. Up to three
// spatial dims are supported; fewer are padded with leading unit dims (size
// 1, kernel 1, stride 1, no padding) so one 3-D loop nest serves all.

constexpr int kMaxSpatial = 3;
using Dims3 = std::array<int64_t, kMaxSpatial>;

struct WindowGeometry {
  int spatial = 0;  // real spatial dims
  Dims3 in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1}, stride{1, 1, 1}, dilation{1, 1, 1};
  Dims3 pad_begin{0, 0, 0}, pad_end{0, 0, 0};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
  // Position in the padded 3-D arrays of real spatial axis i.
  static int Slot(int spatial, int i) { return kMaxSpatial - spatial + i; }
  std::vector<int64_t> OutDims(int64_t n, int64_t c) const {
    std::vector<int64_t> dims = {n, c};
    for (int i = 0; i < spatial; ++i) dims.push_back(out[static_cast<size_t>(Slot(spatial, i))]);
    return dims;
  }
};

using ir::AutoPad;

// Reads kernel_shape (or takes `weight_kernel`), strides, dilations, pads and
// auto_pad for an input of dims `x_dims` (N, C, spatial...). Output extents
// are left for the caller.
absl::StatusOr<WindowGeometry> ReadWindow(const KernelContext& ctx, const std::vector<int64_t>& x_dims,
                                          const std::vector<int64_t>* weight_kernel, AutoPad* auto_pad,
                                          std::vector<int64_t>* pads) {
  if (x_dims.size() < 3) {
    return ctx.Error(absl::StrCat("input has rank ", x_dims.size(), ", expected at least 3 (N, C, spatial...)"));
  }
  size_t spatial = x_dims.size() - 2;
  if (spatial > kMaxSpatial) {
    return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(), ": ", spatial,
                                                 " spatial dims; the CPU kernel supports at most 3"));
  }
  std::vector<int64_t> kernel = ctx.node().GetInts("kernel_shape");
  if (kernel.empty()) {
    if (weight_kernel == nullptr) return ctx.Error("kernel_shape attribute is required");
    kernel = *weight_kernel;
  }
  if (kernel.size() != spatial) {
    return ctx.Error(absl::StrCat("kernel_shape has ", kernel.size(), " values, expected ", spatial));
  }
  if (weight_kernel != nullptr && kernel != *weight_kernel) {
    return ctx.Error(absl::StrCat("kernel_shape [", absl::StrJoin(kernel, ","), "] does not match the weight's [",
                                  absl::StrJoin(*weight_kernel, ","), "]"));
  }
  absl::StatusOr<std::vector<int64_t>> strides = SpatialInts(ctx, "strides", spatial, 1, 1);
  if (!strides.ok()) return strides.status();
  absl::StatusOr<std::vector<int64_t>> dilations = SpatialInts(ctx, "dilations", spatial, 1, 1);
  if (!dilations.ok()) return dilations.status();
  absl::StatusOr<std::vector<int64_t>> pad_values = SpatialInts(ctx, "pads", 2 * spatial, 0, 0);
  if (!pad_values.ok()) return pad_values.status();
  absl::StatusOr<AutoPad> mode = ir::AutoPadAttribute(ctx.node());
  if (!mode.ok()) return ctx.Error(mode.status().message());
  *auto_pad = *mode;
  *pads = *pad_values;
  WindowGeometry g;
  g.spatial = static_cast<int>(spatial);
  for (size_t i = 0; i < spatial; ++i) {
    size_t slot = static_cast<size_t>(WindowGeometry::Slot(g.spatial, static_cast<int>(i)));
    if (kernel[i] < 1) return ctx.Error(absl::StrCat("kernel_shape has value ", kernel[i]));
    g.in[slot] = x_dims[i + 2];
    g.kernel[slot] = kernel[i];
    g.stride[slot] = (*strides)[i];
    g.dilation[slot] = (*dilations)[i];
  }
  return g;
}

// Fills pads and output extents of a forward window (Conv, pools).
absl::Status ResolveForwardWindow(const KernelContext& ctx, AutoPad auto_pad, const std::vector<int64_t>& pads,
                                  bool ceil_mode, WindowGeometry& g) {
  for (int i = 0; i < g.spatial; ++i) {
    size_t s = static_cast<size_t>(WindowGeometry::Slot(g.spatial, i));
    int64_t in = g.in[s];
    int64_t stride = g.stride[s];
    int64_t effective_kernel = (g.kernel[s] - 1) * g.dilation[s] + 1;
    if (auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
      g.out[s] = (in + stride - 1) / stride;
      int64_t total = std::max<int64_t>(0, (g.out[s] - 1) * stride + effective_kernel - in);
      // SAME_UPPER puts the odd padding at the end, SAME_LOWER at the beginning.
      g.pad_begin[s] = auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      g.pad_end[s] = total - g.pad_begin[s];
      continue;
    }
    if (auto_pad == AutoPad::kNotSet) {
      g.pad_begin[s] = pads[static_cast<size_t>(i)];
      g.pad_end[s] = pads[static_cast<size_t>(g.spatial + i)];
    }
    int64_t span = in + g.pad_begin[s] + g.pad_end[s] - effective_kernel;
    if (span < 0) {
      return ctx.Error(absl::StrCat("spatial dim ", i, " of extent ", in, " (padded by ",
                                    g.pad_begin[s] + g.pad_end[s], ") is smaller than the kernel window ",
                                    effective_kernel));
    }
    g.out[s] = span / stride + 1;
    if (ceil_mode && auto_pad == AutoPad::kNotSet) {
      g.out[s] = (span + stride - 1) / stride + 1;
      // The last window must start inside the input or its leading padding.
      if ((g.out[s] - 1) * stride >= in + g.pad_begin[s]) --g.out[s];
    }
  }
  return absl::OkStatus();
}

// The output positions o in [0, out) whose input position o*stride - offset
// lies in [0, in): returns [begin, end).
std::pair<int64_t, int64_t> ValidRange(int64_t offset, int64_t stride, int64_t in, int64_t out) {
  int64_t begin = offset > 0 ? (offset + stride - 1) / stride : 0;
  int64_t last = in - 1 + offset;
  int64_t end = last >= 0 ? std::min(out, last / stride + 1) : 0;
  return {std::min(begin, end), end};
}

// Where the window of each output position lies along one axis: its first
// input position and the kernel taps [tap_begin, tap_end) that land inside
// the input; `padded_taps` also counts taps on the padding (count_include_pad).
struct AxisWindows {
  std::vector<int64_t> start, tap_begin, tap_end, padded_taps;
};

AxisWindows ComputeAxisWindows(const WindowGeometry& g, int axis) {
  const size_t a = static_cast<size_t>(axis);
  AxisWindows w;
  for (int64_t o = 0; o < g.out[a]; ++o) {
    int64_t start = o * g.stride[a] - g.pad_begin[a];
    int64_t begin = 0, end = 0, padded = 0;
    for (int64_t k = 0; k < g.kernel[a]; ++k) {
      int64_t pos = start + k * g.dilation[a];
      // Positions past the end padding (possible with ceil_mode) count for nothing.
      if (pos < g.in[a] + g.pad_end[a]) ++padded;
      if (pos < 0) begin = k + 1;
      if (pos < g.in[a]) end = k + 1;
    }
    w.start.push_back(start);
    w.tap_begin.push_back(begin);
    w.tap_end.push_back(std::max(begin, end));
    w.padded_taps.push_back(padded);
  }
  return w;
}

// im2col: columns[(c, kd, kh, kw), (od, oh, ow)] = x[c, od*s - p + kd*d, ...] or 0 in padding.
template <typename T>
void Im2Col(const T* x, int64_t channels, const WindowGeometry& g, T* columns) {
  const int64_t out_size = g.out_size();
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const T* x_c = x + c * g.in_size();
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, ++row) {
          T* dst = columns + row * out_size;
          int64_t w_offset = g.pad_begin[2] - kw * g.dilation[2];
          auto [ow_begin, ow_end] = ValidRange(w_offset, g.stride[2], g.in[2], g.out[2]);
          for (int64_t od = 0; od < g.out[0]; ++od) {
            int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            for (int64_t oh = 0; oh < g.out[1]; ++oh, dst += g.out[2]) {
              int64_t ih = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
              if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
                std::fill(dst, dst + g.out[2], T(0));
                continue;
              }
              const T* src = x_c + (id * g.in[1] + ih) * g.in[2];
              std::fill(dst, dst + ow_begin, T(0));
              for (int64_t ow = ow_begin; ow < ow_end; ++ow) dst[ow] = src[ow * g.stride[2] - w_offset];
              std::fill(dst + ow_end, dst + g.out[2], T(0));
            }
          }
        }
      }
    }
  }
}

// col2im, the adjoint of Im2Col: accumulates columns[(c, k), input position]
// into y[c, in*s - p + k*d]. Here `g.in` is ConvTranspose's input (the
// columns' positions) and `g.out` its output.
template <typename T>
void Col2Im(const T* columns, int64_t channels, const WindowGeometry& g, T* y) {
  const int64_t in_size = g.in_size();
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c) {
    T* y_c = y + c * g.out_size();
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, ++row) {
          const T* src = columns + row * in_size;
          int64_t w_offset = g.pad_begin[2] - kw * g.dilation[2];
          for (int64_t id = 0; id < g.in[0]; ++id) {
            int64_t od = id * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            for (int64_t ih = 0; ih < g.in[1]; ++ih, src += g.in[2]) {
              int64_t oh = ih * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
              if (od < 0 || od >= g.out[0] || oh < 0 || oh >= g.out[1]) continue;
              T* dst = y_c + (od * g.out[1] + oh) * g.out[2];
              for (int64_t iw = 0; iw < g.in[2]; ++iw) {
                int64_t ow = iw * g.stride[2] - w_offset;
                if (ow >= 0 && ow < g.out[2]) dst[ow] += src[iw];
              }
            }
          }
        }
      }
    }
  }
}

// A per-thread scratch buffer for column matrices: reusing it avoids
// allocating (and page-faulting in) megabytes on every Conv call.
template <typename T>
T* ColumnScratch(size_t count) {
  thread_local std::vector<T> scratch;
  if (scratch.size() < count) scratch.resize(count);
  return scratch.data();
}

// Depthwise convolution (one input and one output channel per group),
// computed directly a whole output row at a time: each kernel tap adds
// w * x over the output positions where it lands inside the input.
template <typename T>
void DepthwiseConv(const T* x, const T* w, int64_t planes, int64_t channels, const WindowGeometry& g, T* y) {
  const AxisWindows wd = ComputeAxisWindows(g, 0), wh = ComputeAxisWindows(g, 1);
  std::vector<std::pair<int64_t, int64_t>> tap_range(static_cast<size_t>(g.kernel[2]));
  for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
    tap_range[static_cast<size_t>(kw)] = ValidRange(g.pad_begin[2] - kw * g.dilation[2], g.stride[2], g.in[2], g.out[2]);
  }
  const int64_t stride_w = g.stride[2];
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* x_plane = x + plane * g.in_size();
    const T* w_plane = w + (plane % channels) * g.kernel_size();
    T* y_row = y + plane * g.out_size();
    for (int64_t od = 0; od < g.out[0]; ++od) {
      for (int64_t oh = 0; oh < g.out[1]; ++oh, y_row += g.out[2]) {
        std::fill(y_row, y_row + g.out[2], T(0));
        for (int64_t kd = wd.tap_begin[od]; kd < wd.tap_end[od]; ++kd) {
          const int64_t id = wd.start[od] + kd * g.dilation[0];
          for (int64_t kh = wh.tap_begin[oh]; kh < wh.tap_end[oh]; ++kh) {
            const int64_t ih = wh.start[oh] + kh * g.dilation[1];
            const T* row = x_plane + (id * g.in[1] + ih) * g.in[2];
            for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
              const T weight = w_plane[(kd * g.kernel[1] + kh) * g.kernel[2] + kw];
              const auto [begin, end] = tap_range[static_cast<size_t>(kw)];
              const T* src = row + kw * g.dilation[2] - g.pad_begin[2];
              if (stride_w == 1) {
                for (int64_t ow = begin; ow < end; ++ow) y_row[ow] += weight * src[ow];
              } else {
                for (int64_t ow = begin; ow < end; ++ow) y_row[ow] += weight * src[ow * stride_w];
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Conv

// What Conv and ConvTranspose both read before their geometry differs: X, W
// and an optional B of one element type, a weight of X's rank, a positive
// group, and the window attributes with the kernel taken from W.
struct ConvOperands {
  const Tensor* x = nullptr;
  const Tensor* w = nullptr;
  const Tensor* b = nullptr;
  int64_t group = 1;
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> pads;
  WindowGeometry window;
};

absl::StatusOr<ConvOperands> ReadConvOperands(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(2); !s.ok()) return s;
  ConvOperands op;
  op.x = ctx.input(0);
  op.w = ctx.input(1);
  op.b = ctx.input(2);
  if (op.w->dtype() != op.x->dtype() || (op.b != nullptr && op.b->dtype() != op.x->dtype())) {
    return ctx.Error("X, W and B must have the same element type");
  }
  if (op.w->rank() != op.x->rank()) {
    return ctx.Error(absl::StrCat("weight has ", op.w->rank(), " dims, expected ", op.x->rank()));
  }
  op.group = ctx.node().GetInt("group", 1);
  if (op.group < 1) return ctx.Error(absl::StrCat("group is ", op.group));
  std::vector<int64_t> weight_kernel(op.w->dims().begin() + std::min<int64_t>(2, op.w->rank()), op.w->dims().end());
  absl::StatusOr<WindowGeometry> window = ReadWindow(ctx, op.x->dims(), &weight_kernel, &op.auto_pad, &op.pads);
  if (!window.ok()) return window.status();
  op.window = *window;
  return op;
}

absl::Status ConvKernel(KernelContext& ctx) {
  absl::StatusOr<ConvOperands> operands = ReadConvOperands(ctx);
  if (!operands.ok()) return operands.status();
  const Tensor& x_in = *operands->x;
  const Tensor& w_in = *operands->w;
  const Tensor* b_in = operands->b;
  const int64_t group = operands->group;
  const AutoPad auto_pad = operands->auto_pad;
  const std::vector<int64_t>& pads = operands->pads;
  WindowGeometry* g = &operands->window;
  if (absl::Status s = ResolveForwardWindow(ctx, auto_pad, pads, false, *g); !s.ok()) return s;
  int64_t batch = x_in.dim(0);
  int64_t channels = x_in.dim(1);
  int64_t out_channels = w_in.dim(0);
  if (channels != w_in.dim(1) * group) {
    return ctx.Error(absl::StrCat("input has ", channels, " channels but weight expects ", w_in.dim(1), " x group ",
                                  group));
  }
  if (out_channels % group != 0) {
    return ctx.Error(absl::StrCat("weight has ", out_channels, " output channels, not divisible by group ", group));
  }
  if (b_in != nullptr && (b_in->rank() != 1 || b_in->dim(0) != out_channels)) {
    return ctx.Error(absl::StrCat("bias has shape [", absl::StrJoin(b_in->dims(), ","), "], expected [", out_channels,
                                  "]"));
  }
  Tensor x = ToFloat32(x_in);
  Tensor w = ToFloat32(w_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), g->OutDims(batch, out_channels));
    const int64_t channels_per_group = channels / group;
    const int64_t out_per_group = out_channels / group;
    const int64_t patch = channels_per_group * g->kernel_size();
    const int64_t out_size = g->out_size();
    // A 1x1 window at stride 1 without padding reads the input as its own column matrix.
    bool direct = g->kernel_size() == 1 && g->in == g->out && g->pad_begin == Dims3{0, 0, 0};
    const T* x_data = x.data<T>();
    const T* w_data = w.data<T>();
    T* y = result.mutable_data<T>();
    if (channels_per_group == 1 && out_per_group == 1 && g->kernel_size() > 1) {
      // Depthwise: one tiny GEMM per channel would be all overhead.
      DepthwiseConv(x_data, w_data, batch * channels, channels, *g, y);
    } else {
      T* columns = direct ? nullptr : ColumnScratch<T>(static_cast<size_t>(patch * out_size));
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t grp = 0; grp < group; ++grp) {
          const T* x_group = x_data + (n * channels + grp * channels_per_group) * g->in_size();
          const T* cols = x_group;
          if (!direct) {
            Im2Col(x_group, channels_per_group, *g, columns);
            cols = columns;
          }
          Gemm<T>(false, false, out_per_group, out_size, patch, T(1), w_data + grp * out_per_group * patch, patch, cols,
                  out_size, T(0), y + (n * out_channels + grp * out_per_group) * out_size, out_size);
        }
      }
    }
    if (b_in != nullptr) {
      std::vector<T> bias = ValuesAs<T>(*b_in);
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t c = 0; c < out_channels; ++c) {
          T* plane = y + (n * out_channels + c) * out_size;
          for (int64_t i = 0; i < out_size; ++i) plane[i] += bias[static_cast<size_t>(c)];
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// ConvTranspose

absl::Status ConvTransposeKernel(KernelContext& ctx) {
  absl::StatusOr<ConvOperands> operands = ReadConvOperands(ctx);
  if (!operands.ok()) return operands.status();
  const Tensor& x_in = *operands->x;
  const Tensor& w_in = *operands->w;
  const Tensor* b_in = operands->b;
  const int64_t group = operands->group;
  const AutoPad auto_pad = operands->auto_pad;
  const std::vector<int64_t>& pads = operands->pads;
  WindowGeometry* g = &operands->window;
  size_t spatial = static_cast<size_t>(g->spatial);
  absl::StatusOr<std::vector<int64_t>> output_padding = SpatialInts(ctx, "output_padding", spatial, 0, 0);
  if (!output_padding.ok()) return output_padding.status();
  std::vector<int64_t> output_shape = ctx.node().GetInts("output_shape");
  if (!output_shape.empty()) {
    if (output_shape.size() == spatial + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
    if (output_shape.size() != spatial) {
      return ctx.Error(absl::StrCat("output_shape has ", output_shape.size(), " values, expected ", spatial));
    }
  }
  for (size_t i = 0; i < spatial; ++i) {
    size_t s = static_cast<size_t>(WindowGeometry::Slot(g->spatial, static_cast<int>(i)));
    int64_t in = g->in[s];
    int64_t stride = g->stride[s];
    int64_t natural = stride * (in - 1) + (*output_padding)[i] + (g->kernel[s] - 1) * g->dilation[s] + 1;
    bool same = auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower;
    if (!output_shape.empty() || same) {
      // The pads are derived from the target extent (output_shape, or
      // in * stride for SAME); SAME_UPPER puts the odd one at the end. A
      // target above the natural extent is reached by zero rows at the end
      // with output_shape, while SAME then keeps the natural extent (as ONNX
      // shape inference and onnxruntime do).
      int64_t target = output_shape.empty() ? in * stride : output_shape[i];
      int64_t total = std::max<int64_t>(0, natural - target);
      g->pad_begin[s] = auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      g->pad_end[s] = total - g->pad_begin[s];
      g->out[s] = output_shape.empty() ? natural - total : target;
    } else {
      if (auto_pad == AutoPad::kNotSet) {
        g->pad_begin[s] = pads[i];
        g->pad_end[s] = pads[spatial + i];
      }
      g->out[s] = natural - g->pad_begin[s] - g->pad_end[s];
      if (g->out[s] < 0) return ctx.Error(absl::StrCat("spatial dim ", i, " would have negative extent"));
    }
  }
  int64_t batch = x_in.dim(0);
  int64_t channels = x_in.dim(1);
  if (channels != w_in.dim(0)) {
    return ctx.Error(absl::StrCat("input has ", channels, " channels but weight has ", w_in.dim(0)));
  }
  if (channels % group != 0) {
    return ctx.Error(absl::StrCat("input channels ", channels, " are not divisible by group ", group));
  }
  int64_t out_per_group = w_in.dim(1);
  int64_t out_channels = out_per_group * group;
  if (b_in != nullptr && (b_in->rank() != 1 || b_in->dim(0) != out_channels)) {
    return ctx.Error(absl::StrCat("bias has shape [", absl::StrJoin(b_in->dims(), ","), "], expected [", out_channels,
                                  "]"));
  }
  Tensor x = ToFloat32(x_in);
  Tensor w = ToFloat32(w_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), g->OutDims(batch, out_channels));
    const int64_t channels_per_group = channels / group;
    const int64_t rows = out_per_group * g->kernel_size();
    const int64_t in_size = g->in_size();
    const int64_t out_size = g->out_size();
    T* columns = ColumnScratch<T>(static_cast<size_t>(rows * in_size));
    const T* x_data = x.data<T>();
    const T* w_data = w.data<T>();
    T* y = result.mutable_data<T>();
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t grp = 0; grp < group; ++grp) {
        // columns = W_g^T x X_g, with W_g of shape (C/group, M/group * kernel).
        Gemm<T>(true, false, rows, in_size, channels_per_group, T(1), w_data + grp * channels_per_group * rows, rows,
                x_data + (n * channels + grp * channels_per_group) * in_size, in_size, T(0), columns, in_size);
        Col2Im(columns, out_per_group, *g, y + (n * out_channels + grp * out_per_group) * out_size);
      }
    }
    if (b_in != nullptr) {
      std::vector<T> bias = ValuesAs<T>(*b_in);
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t c = 0; c < out_channels; ++c) {
          T* plane = y + (n * out_channels + c) * out_size;
          for (int64_t i = 0; i < out_size; ++i) plane[i] += bias[static_cast<size_t>(c)];
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Pooling

enum class PoolKind { kMax, kAverage, kLp };

// Lp pools read p as an int (opset 2+) or a float (opset 1).
double ReadP(const KernelContext& ctx) {
  const ir::Attribute* p = ctx.node().FindAttribute("p");
  if (p == nullptr) return 2.0;
  if (p->is<float>()) return p->get<float>();
  if (p->is<int64_t>()) return static_cast<double>(p->get<int64_t>());
  return 2.0;
}

// Pooling without indices, a whole output row at a time: each kernel tap
// is folded into the row's accumulators, innermost loop over the output
// positions where that tap lands inside the input.
template <typename T>
void PoolRows(PoolKind kind, const T* x, int64_t planes, const WindowGeometry& g,
              const std::array<AxisWindows, kMaxSpatial>& axes, bool count_include_pad, double p, T* y) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const AxisWindows &wd = axes[0], &wh = axes[1], &ww = axes[2];
  const int64_t out_w = g.out[2], stride_w = g.stride[2];
  std::vector<std::pair<int64_t, int64_t>> tap_range(static_cast<size_t>(g.kernel[2]));
  for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
    tap_range[static_cast<size_t>(kw)] = ValidRange(g.pad_begin[2] - kw * g.dilation[2], stride_w, g.in[2], out_w);
  }
  std::vector<Acc> sums(static_cast<size_t>(out_w));
  std::vector<T> maxima(static_cast<size_t>(out_w));
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* x_plane = x + plane * g.in_size();
    T* y_row = y + plane * g.out_size();
    for (int64_t od = 0; od < g.out[0]; ++od) {
      for (int64_t oh = 0; oh < g.out[1]; ++oh, y_row += out_w) {
        std::fill(sums.begin(), sums.end(), Acc(0));
        std::fill(maxima.begin(), maxima.end(), std::numeric_limits<T>::lowest());
        for (int64_t kd = wd.tap_begin[od]; kd < wd.tap_end[od]; ++kd) {
          const int64_t id = wd.start[od] + kd * g.dilation[0];
          for (int64_t kh = wh.tap_begin[oh]; kh < wh.tap_end[oh]; ++kh) {
            const int64_t ih = wh.start[oh] + kh * g.dilation[1];
            const T* row = x_plane + (id * g.in[1] + ih) * g.in[2];
            for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
              const auto [begin, end] = tap_range[static_cast<size_t>(kw)];
              const T* src = row + kw * g.dilation[2] - g.pad_begin[2];
              if (kind == PoolKind::kMax) {
                for (int64_t ow = begin; ow < end; ++ow) {
                  const T v = src[ow * stride_w];
                  maxima[static_cast<size_t>(ow)] = v > maxima[static_cast<size_t>(ow)] ? v : maxima[static_cast<size_t>(ow)];
                }
              } else if (kind == PoolKind::kAverage) {
                for (int64_t ow = begin; ow < end; ++ow) sums[static_cast<size_t>(ow)] += static_cast<Acc>(src[ow * stride_w]);
              } else {
                for (int64_t ow = begin; ow < end; ++ow) {
                  sums[static_cast<size_t>(ow)] += static_cast<Acc>(std::pow(std::abs(static_cast<double>(src[ow * stride_w])), p));
                }
              }
            }
          }
        }
        const int64_t dh_valid = (wd.tap_end[od] - wd.tap_begin[od]) * (wh.tap_end[oh] - wh.tap_begin[oh]);
        const int64_t dh_padded = wd.padded_taps[od] * wh.padded_taps[oh];
        for (int64_t ow = 0; ow < out_w; ++ow) {
          const size_t k = static_cast<size_t>(ow);
          if (kind == PoolKind::kMax) {
            y_row[ow] = maxima[k];
          } else if (kind == PoolKind::kAverage) {
            int64_t divisor = count_include_pad ? dh_padded * ww.padded_taps[k] : dh_valid * (ww.tap_end[k] - ww.tap_begin[k]);
            y_row[ow] = static_cast<T>(static_cast<double>(sums[k]) / static_cast<double>(divisor));
          } else {
            y_row[ow] = static_cast<T>(std::pow(static_cast<double>(sums[k]), 1.0 / p));
          }
        }
      }
    }
  }
}

// MaxPool with its Indices output takes this per-output path; everything
// else goes through PoolRows.
template <typename T>
void PoolPlanes(PoolKind kind, const T* x, int64_t planes, const WindowGeometry& g, bool count_include_pad,
                double p, bool column_major_indices, T* y, int64_t* indices) {
  const int64_t in_size = g.in_size();
  const int64_t out_size = g.out_size();
  const std::array<AxisWindows, kMaxSpatial> axes = {ComputeAxisWindows(g, 0), ComputeAxisWindows(g, 1),
                                                     ComputeAxisWindows(g, 2)};
  const AxisWindows &wd = axes[0], &wh = axes[1], &ww = axes[2];
  // Column-major flat index strides of the spatial dims (storage_order = 1).
  const Dims3 col_stride{1, g.in[0], g.in[0] * g.in[1]};
  if (indices == nullptr) {
    PoolRows(kind, x, planes, g, axes, count_include_pad, p, y);
    return;
  }
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* x_plane = x + plane * in_size;
    T* y_plane = y + plane * out_size;
    int64_t out_index = 0;
    for (int64_t od = 0; od < g.out[0]; ++od) {
      for (int64_t oh = 0; oh < g.out[1]; ++oh) {
        for (int64_t ow = 0; ow < g.out[2]; ++ow, ++out_index) {
          const int64_t sd = wd.start[od], sh = wh.start[oh], sw = ww.start[ow];
          const int64_t kw_begin = ww.tap_begin[ow], kw_end = ww.tap_end[ow];
          // Selects rather than branches: comparisons on data mispredict.
          T best = std::numeric_limits<T>::lowest();
          int64_t best_flat = -1;
          for (int64_t kd = wd.tap_begin[od]; kd < wd.tap_end[od]; ++kd) {
            const int64_t id = sd + kd * g.dilation[0];
            for (int64_t kh = wh.tap_begin[oh]; kh < wh.tap_end[oh]; ++kh) {
              const int64_t ih = sh + kh * g.dilation[1];
              const int64_t row_start = (id * g.in[1] + ih) * g.in[2];
              const T* row = x_plane + row_start;
              for (int64_t kw = kw_begin; kw < kw_end; ++kw) {
                const int64_t iw = sw + kw * g.dilation[2];
                const bool better = best_flat < 0 || row[iw] > best;  // ties keep the first
                best = better ? row[iw] : best;
                best_flat = better ? row_start + iw : best_flat;
              }
            }
          }
          y_plane[out_index] = best;
          int64_t flat = best_flat;
          if (column_major_indices && best_flat >= 0) {
            const int64_t id = best_flat / (g.in[1] * g.in[2]);
            const int64_t ih = best_flat / g.in[2] % g.in[1];
            const int64_t iw = best_flat % g.in[2];
            flat = id * col_stride[0] + ih * col_stride[1] + iw * col_stride[2];
          }
          indices[plane * out_size + out_index] = best_flat < 0 ? -1 : plane * in_size + flat;
        }
      }
    }
  }
}

absl::Status PoolKernel(KernelContext& ctx, PoolKind kind) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  AutoPad auto_pad;
  std::vector<int64_t> pads;
  absl::StatusOr<WindowGeometry> g = ReadWindow(ctx, x_in.dims(), nullptr, &auto_pad, &pads);
  if (!g.ok()) return g.status();
  bool ceil_mode = ctx.node().GetInt("ceil_mode", 0) != 0;
  if (absl::Status s = ResolveForwardWindow(ctx, auto_pad, pads, ceil_mode, *g); !s.ok()) return s;
  bool count_include_pad = ctx.node().GetInt("count_include_pad", 0) != 0;
  int64_t storage_order = ctx.node().GetInt("storage_order", 0);
  if (storage_order != 0 && storage_order != 1) return ctx.Error("storage_order must be 0 or 1");
  double p = ReadP(ctx);
  if (kind == PoolKind::kLp && p <= 0) return ctx.Error(absl::StrCat("p is ", p, ", expected > 0"));
  bool want_indices = kind == PoolKind::kMax && ctx.output_requested(1);
  std::vector<int64_t> out_dims = g->OutDims(x_in.dim(0), x_in.dim(1));
  int64_t planes = x_in.dim(0) * x_in.dim(1);
  Tensor indices = want_indices ? Tensor::Zeros(DType::kInt64, out_dims) : Tensor();
  int64_t* index_data = want_indices ? indices.mutable_data<int64_t>() : nullptr;
  Tensor result;
  auto run = [&]<typename T>(const Tensor& x) -> absl::Status {
    result = Tensor::Zeros(x.dtype(), out_dims);
    PoolPlanes<T>(kind, x.data<T>(), planes, *g, count_include_pad, p, storage_order == 1,
                  result.mutable_data<T>(), index_data);
    return absl::OkStatus();
  };
  absl::Status s;
  if (kind == PoolKind::kMax && x_in.dtype() == DType::kInt8) {
    s = run.operator()<int8_t>(x_in);
  } else if (kind == PoolKind::kMax && x_in.dtype() == DType::kUInt8) {
    s = run.operator()<uint8_t>(x_in);
  } else {
    Tensor x = ToFloat32(x_in);
    s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() { return run.template operator()<T>(x); });
  }
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  if (want_indices) ctx.set_output(1, indices);
  return absl::OkStatus();
}

absl::Status GlobalPoolKernel(KernelContext& ctx, PoolKind kind) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  if (x_in.rank() < 2) return ctx.Error(absl::StrCat("input has rank ", x_in.rank(), ", expected at least 2"));
  std::vector<int64_t> out_dims = x_in.dims();
  for (size_t i = 2; i < out_dims.size(); ++i) out_dims[i] = 1;
  int64_t planes = x_in.dim(0) * x_in.dim(1);
  int64_t plane_size = Product(x_in.dims(), 2);
  double p = ReadP(ctx);
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), out_dims);
    const T* in = x.data<T>();
    T* out = result.mutable_data<T>();
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* v = in + plane * plane_size;
      if (kind == PoolKind::kMax) {
        out[plane] = plane_size > 0 ? RowMax(v, plane_size) : std::numeric_limits<T>::lowest();
        continue;
      }
      const double sum = kind == PoolKind::kAverage
                             ? LaneSum(v, plane_size, [](double e) { return e; })
                             : LaneSum(v, plane_size, [p](double e) { return std::pow(std::abs(e), p); });
      out[plane] = static_cast<T>(kind == PoolKind::kAverage ? sum / static_cast<double>(plane_size)
                                                             : std::pow(sum, 1.0 / p));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Normalizations

struct MeanAndVariance {
  double mean = 0;
  double variance = 0;  // population variance
};

// Mean and population variance of count contiguous values (two passes).
template <typename T>
MeanAndVariance Moments(const T* v, int64_t count) {
  MeanAndVariance m;
  if (count == 0) return m;
  m.mean = LaneSum(v, count, [](double e) { return e; }) / static_cast<double>(count);
  const double mean = m.mean;
  m.variance = LaneSum(v, count, [mean](double e) { return (e - mean) * (e - mean); }) / static_cast<double>(count);
  return m;
}

absl::Status BatchNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(5); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  if (x_in.rank() < 1) return ctx.Error("input must have rank >= 1");
  const int64_t batch = x_in.dim(0);
  const int64_t channels = x_in.rank() == 1 ? 1 : x_in.dim(1);
  const int64_t spatial = Product(x_in.dims(), 2);
  const double epsilon = ctx.node().GetFloat("epsilon", 1e-5f);
  const double momentum = ctx.node().GetFloat("momentum", 0.9f);
  // Training: opset 14+ says so with training_mode; before, asking for the
  // statistics outputs meant training.
  bool training = ctx.opset() >= 14 ? ctx.node().GetInt("training_mode", 0) != 0 : ctx.num_outputs() > 1;
  // Opset 7's spatial=0 keeps statistics per activation, shape (C, D1, ...).
  bool per_activation = ctx.opset() < 9 && ctx.node().GetInt("spatial", 1) == 0 && spatial > 1;
  if (per_activation && training) {
    return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(),
                                                 ": training with spatial=0 is not supported"));
  }
  int64_t param_size = per_activation ? channels * spatial : channels;
  static constexpr const char* kParameterNames[] = {"", "scale", "B", "mean", "var"};
  std::vector<std::vector<double>> params;
  for (int i = 1; i <= 4; ++i) {
    const Tensor& t = *ctx.input(i);
    if (t.num_elements() != param_size || !ir::IsFloatingPoint(t.dtype())) {
      return ctx.Error(absl::StrCat(kParameterNames[i], " has shape [", absl::StrJoin(t.dims(), ","),
                                    "], expected ", param_size, " float values"));
    }
    params.push_back(ValuesAs<double>(t));
  }
  const std::vector<double>& scale = params[0];
  const std::vector<double>& bias = params[1];
  std::vector<double> mean = params[2];
  std::vector<double> var = params[3];
  Tensor x = ToFloat32(x_in);
  std::vector<double> batch_mean(static_cast<size_t>(channels)), batch_var(static_cast<size_t>(channels));
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    const T* in = x.data<T>();
    if (training) {
      for (int64_t c = 0; c < channels; ++c) {
        double sum = 0, count = static_cast<double>(batch * spatial);
        for (int64_t n = 0; n < batch; ++n) {
          const T* plane = in + (n * channels + c) * spatial;
          for (int64_t i = 0; i < spatial; ++i) sum += static_cast<double>(plane[i]);
        }
        double m = count > 0 ? sum / count : 0;
        double sq = 0;
        for (int64_t n = 0; n < batch; ++n) {
          const T* plane = in + (n * channels + c) * spatial;
          for (int64_t i = 0; i < spatial; ++i) sq += (static_cast<double>(plane[i]) - m) * (static_cast<double>(plane[i]) - m);
        }
        batch_mean[static_cast<size_t>(c)] = m;
        batch_var[static_cast<size_t>(c)] = count > 0 ? sq / count : 0;
      }
    }
    const std::vector<double>& use_mean = training ? batch_mean : mean;
    const std::vector<double>& use_var = training ? batch_var : var;
    // y = x * multiplier + offset, folded once per parameter.
    std::vector<T> multiplier(static_cast<size_t>(param_size)), offset(static_cast<size_t>(param_size));
    for (size_t k = 0; k < multiplier.size(); ++k) {
      double a = scale[k] / std::sqrt(use_var[k] + epsilon);
      multiplier[k] = static_cast<T>(a);
      offset[k] = static_cast<T>(bias[k] - use_mean[k] * a);
    }
    result = Tensor::Zeros(x.dtype(), x.dims());
    T* out = result.mutable_data<T>();
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        const T* plane = in + (n * channels + c) * spatial;
        T* o = out + (n * channels + c) * spatial;
        if (per_activation) {
          const T* a = multiplier.data() + c * spatial;
          const T* b = offset.data() + c * spatial;
          for (int64_t i = 0; i < spatial; ++i) o[i] = plane[i] * a[i] + b[i];
        } else {
          const T a = multiplier[static_cast<size_t>(c)], b = offset[static_cast<size_t>(c)];
          for (int64_t i = 0; i < spatial; ++i) o[i] = plane[i] * a + b;
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  // Statistics outputs: running mean/var (1, 2) and, before opset 14, the batch's own (3, 4).
  for (int out = 1; out < ctx.num_outputs(); ++out) {
    if (!ctx.output_requested(out)) continue;
    const Tensor& like = *ctx.input(out == 2 || out == 4 ? 4 : 3);
    Tensor t = Tensor::Zeros(like.dtype(), like.dims());
    for (int64_t c = 0; c < param_size; ++c) {
      size_t k = static_cast<size_t>(c);
      double v;
      if (!training) {
        v = out % 2 == 1 ? mean[k] : var[k];
      } else if (out == 1) {
        v = mean[k] * momentum + batch_mean[k] * (1 - momentum);
      } else if (out == 2) {
        v = var[k] * momentum + batch_var[k] * (1 - momentum);
      } else {
        v = out == 3 ? batch_mean[k] : batch_var[k];
      }
      t.SetFromDouble(c, v);
    }
    ctx.set_output(out, t);
  }
  return absl::OkStatus();
}

absl::Status InstanceNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(3); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  if (x_in.rank() < 3) return ctx.Error(absl::StrCat("input has rank ", x_in.rank(), ", expected at least 3"));
  const int64_t batch = x_in.dim(0), channels = x_in.dim(1);
  const int64_t spatial = Product(x_in.dims(), 2);
  for (int i = 1; i <= 2; ++i) {
    if (ctx.input(i)->num_elements() != channels || !ir::IsFloatingPoint(ctx.input(i)->dtype())) {
      return ctx.Error(absl::StrCat(i == 1 ? "scale" : "B", " has shape [", absl::StrJoin(ctx.input(i)->dims(), ","),
                                    "], expected [", channels, "]"));
    }
  }
  std::vector<double> scale = ValuesAs<double>(*ctx.input(1));
  std::vector<double> bias = ValuesAs<double>(*ctx.input(2));
  const double epsilon = ctx.node().GetFloat("epsilon", 1e-5f);
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), x.dims());
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        const T* plane = x.data<T>() + (n * channels + c) * spatial;
        T* o = result.mutable_data<T>() + (n * channels + c) * spatial;
        MeanAndVariance m = Moments(plane, spatial);
        double a = scale[static_cast<size_t>(c)] / std::sqrt(m.variance + epsilon);
        for (int64_t i = 0; i < spatial; ++i) {
          o[i] = static_cast<T>((static_cast<double>(plane[i]) - m.mean) * a + bias[static_cast<size_t>(c)]);
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

// A Scale or Bias of LayerNormalization expanded to one value per element of
// the normalized trailing dims (it broadcasts onto them).
absl::StatusOr<std::vector<double>> ExpandOntoTrailing(const KernelContext& ctx, const Tensor& t,
                                                       const std::vector<int64_t>& normalized_dims,
                                                       absl::string_view what) {
  std::vector<int64_t> dims = t.dims();
  while (dims.size() > normalized_dims.size() && dims.front() == 1) dims.erase(dims.begin());
  bool ok = dims.size() <= normalized_dims.size() && ir::IsFloatingPoint(t.dtype());
  for (size_t i = 0; ok && i < dims.size(); ++i) {
    int64_t target = normalized_dims[normalized_dims.size() - dims.size() + i];
    ok = dims[i] == 1 || dims[i] == target;
  }
  if (!ok) {
    return ctx.Error(absl::StrCat(what, " of shape [", absl::StrJoin(t.dims(), ","),
                                  "] does not broadcast to the normalized dims [",
                                  absl::StrJoin(normalized_dims, ","), "]"));
  }
  std::vector<double> values = ValuesAs<double>(t);
  std::vector<int64_t> map = BroadcastIndexMap(dims, normalized_dims);
  std::vector<double> out(map.size());
  for (size_t i = 0; i < map.size(); ++i) out[i] = values[static_cast<size_t>(map[i])];
  return out;
}

// Normalizes each of `rows` rows of `cols` values: y = (x - mean) * inv_std * scale + bias.
template <typename T>
void NormalizeRows(const T* x, int64_t rows, int64_t cols, double epsilon, const std::vector<double>& scale_in,
                   const std::vector<double>* bias_in, T* y, std::vector<double>* means,
                   std::vector<double>* inv_stds) {
  const std::vector<T> scale(scale_in.begin(), scale_in.end());
  const std::vector<T> bias = bias_in != nullptr ? std::vector<T>(bias_in->begin(), bias_in->end())
                                                 : std::vector<T>(static_cast<size_t>(cols), T(0));
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * cols;
    T* out = y + r * cols;
    MeanAndVariance m = Moments(row, cols);
    const double inv_std = 1.0 / std::sqrt(m.variance + epsilon);
    const T mean = static_cast<T>(m.mean), factor = static_cast<T>(inv_std);
    for (int64_t i = 0; i < cols; ++i) out[i] = (row[i] - mean) * factor * scale[static_cast<size_t>(i)] + bias[static_cast<size_t>(i)];
    (*means)[static_cast<size_t>(r)] = m.mean;
    (*inv_stds)[static_cast<size_t>(r)] = inv_std;
  }
}

absl::StatusOr<DType> StashDType(const KernelContext& ctx) {
  std::optional<DType> stash = ir::DTypeFromOnnx(static_cast<int32_t>(ctx.node().GetInt("stash_type", 1)));
  if (!stash.has_value() || !ir::IsFloatingPoint(*stash)) {
    return ctx.Error(absl::StrCat("stash_type ", ctx.node().GetInt("stash_type", 1), " is not a float type"));
  }
  return *stash;
}

// Writes the per-row statistics outputs (Mean, InvStdDev) with the leading
// dims of x and 1s from `axis` on.
void SetStatisticsOutputs(KernelContext& ctx, const std::vector<int64_t>& x_dims, int64_t axis, DType dtype,
                          const std::vector<double>& means, const std::vector<double>& inv_stds) {
  std::vector<int64_t> dims = x_dims;
  for (size_t i = static_cast<size_t>(axis); i < dims.size(); ++i) dims[i] = 1;
  for (int out = 1; out <= 2; ++out) {
    if (!ctx.output_requested(out)) continue;
    const std::vector<double>& values = out == 1 ? means : inv_stds;
    Tensor t = Tensor::Zeros(dtype, dims);
    for (size_t i = 0; i < values.size(); ++i) t.SetFromDouble(static_cast<int64_t>(i), values[i]);
    ctx.set_output(out, t);
  }
}

absl::Status LayerNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(2); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  absl::StatusOr<DType> stash = StashDType(ctx);
  if (!stash.ok()) return stash.status();
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", -1), x_in.rank());
  if (!axis.ok()) return axis.status();
  std::vector<int64_t> normalized(x_in.dims().begin() + *axis, x_in.dims().end());
  absl::StatusOr<std::vector<double>> scale = ExpandOntoTrailing(ctx, *ctx.input(1), normalized, "Scale");
  if (!scale.ok()) return scale.status();
  std::optional<std::vector<double>> bias;
  if (ctx.input(2) != nullptr) {
    absl::StatusOr<std::vector<double>> b = ExpandOntoTrailing(ctx, *ctx.input(2), normalized, "B");
    if (!b.ok()) return b.status();
    bias = *std::move(b);
  }
  const int64_t rows = Product(x_in.dims(), 0, static_cast<size_t>(*axis));
  const int64_t cols = Product(normalized);
  const double epsilon = ctx.node().GetFloat("epsilon", 1e-5f);
  std::vector<double> means(static_cast<size_t>(rows)), inv_stds(static_cast<size_t>(rows));
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), x.dims());
    NormalizeRows(x.data<T>(), rows, cols, epsilon, *scale, bias ? &*bias : nullptr, result.mutable_data<T>(), &means,
                  &inv_stds);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  SetStatisticsOutputs(ctx, x_in.dims(), *axis, *stash, means, inv_stds);
  return absl::OkStatus();
}

// com.microsoft SkipLayerNormalization: LayerNormalization over the last dim
// of input + skip (+ bias). Output 3 is that sum; skip may cover only the
// trailing dims of input (it repeats over the leading ones).
absl::Status SkipLayerNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(3); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  const Tensor& skip_in = *ctx.input(1);
  if (x_in.rank() < 1) return ctx.Error("input must have rank >= 1");
  if (skip_in.dtype() != x_in.dtype()) return ctx.Error("input and skip have different element types");
  std::vector<int64_t> skip_dims = skip_in.dims();
  while (!skip_dims.empty() && skip_dims.front() == 1 && skip_dims.size() > 1) skip_dims.erase(skip_dims.begin());
  bool skip_ok = skip_dims.size() <= x_in.dims().size();
  for (size_t i = 0; skip_ok && i < skip_dims.size(); ++i) {
    skip_ok = skip_dims[i] == x_in.dims()[x_in.dims().size() - skip_dims.size() + i];
  }
  if (!skip_ok) {
    return ctx.Error(absl::StrCat("skip of shape [", absl::StrJoin(skip_in.dims(), ","),
                                  "] does not match input [", absl::StrJoin(x_in.dims(), ","), "]"));
  }
  const int64_t hidden = x_in.dim(x_in.rank() - 1);
  const int64_t rows = x_in.num_elements() / std::max<int64_t>(hidden, 1);
  const int64_t skip_size = skip_in.num_elements();
  std::vector<int64_t> hidden_dims = {hidden};
  absl::StatusOr<std::vector<double>> gamma = ExpandOntoTrailing(ctx, *ctx.input(2), hidden_dims, "gamma");
  if (!gamma.ok()) return gamma.status();
  std::optional<std::vector<double>> beta, bias;
  for (int i = 3; i <= 4; ++i) {
    if (ctx.input(i) == nullptr) continue;
    absl::StatusOr<std::vector<double>> v =
        ExpandOntoTrailing(ctx, *ctx.input(i), hidden_dims, i == 3 ? "beta" : "bias");
    if (!v.ok()) return v.status();
    (i == 3 ? beta : bias) = *std::move(v);
  }
  const double epsilon = ctx.node().GetFloat("epsilon", 1e-12f);
  std::vector<double> means(static_cast<size_t>(rows)), inv_stds(static_cast<size_t>(rows));
  Tensor x = ToFloat32(x_in);
  Tensor skip = ToFloat32(skip_in);
  Tensor sum, result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    sum = Tensor::Zeros(x.dtype(), x.dims());
    const T* in = x.data<T>();
    const T* sk = skip.data<T>();
    T* total = sum.mutable_data<T>();
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      T v = in[i] + sk[i % skip_size];
      if (bias) v += static_cast<T>((*bias)[static_cast<size_t>(i % hidden)]);
      total[i] = v;
    }
    result = Tensor::Zeros(x.dtype(), x.dims());
    NormalizeRows(sum.data<T>(), rows, hidden, epsilon, *gamma, beta ? &*beta : nullptr, result.mutable_data<T>(),
                  &means, &inv_stds);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  SetStatisticsOutputs(ctx, x_in.dims(), x_in.rank() - 1, DType::kFloat32, means, inv_stds);
  if (ctx.output_requested(3)) ctx.set_output(3, FromFloat32(sum, x_in.dtype()));
  return absl::OkStatus();
}

absl::Status GroupNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(3); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  if (x_in.rank() < 2) return ctx.Error(absl::StrCat("input has rank ", x_in.rank(), ", expected at least 2"));
  const ir::Attribute* groups_attr = ctx.node().FindAttribute("num_groups");
  if (groups_attr == nullptr || !groups_attr->is<int64_t>()) return ctx.Error("num_groups attribute is required");
  const int64_t groups = groups_attr->get<int64_t>();
  const int64_t batch = x_in.dim(0), channels = x_in.dim(1);
  if (groups < 1 || channels % groups != 0) {
    return ctx.Error(absl::StrCat("channels ", channels, " are not divisible by num_groups ", groups));
  }
  const int64_t spatial = Product(x_in.dims(), 2);
  const int64_t per_group = channels / groups;
  // Opset 18 scales per group; opset 21 per channel (either is accepted where unambiguous).
  const Tensor& scale_in = *ctx.input(1);
  const Tensor& bias_in = *ctx.input(2);
  bool per_channel = ctx.opset() >= 21 ? true : scale_in.num_elements() != groups;
  int64_t expected = per_channel ? channels : groups;
  if (scale_in.num_elements() != expected || bias_in.num_elements() != expected) {
    return ctx.Error(absl::StrCat("scale and bias must have ", expected, " values, got ", scale_in.num_elements(),
                                  " and ", bias_in.num_elements()));
  }
  std::vector<double> scale = ValuesAs<double>(scale_in);
  std::vector<double> bias = ValuesAs<double>(bias_in);
  const double epsilon = ctx.node().GetFloat("epsilon", 1e-5f);
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), x.dims());
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t grp = 0; grp < groups; ++grp) {
        int64_t offset = (n * channels + grp * per_group) * spatial;
        const T* in = x.data<T>() + offset;
        T* out = result.mutable_data<T>() + offset;
        MeanAndVariance m = Moments(in, per_group * spatial);
        double inv_std = 1.0 / std::sqrt(m.variance + epsilon);
        for (int64_t c = 0; c < per_group; ++c) {
          size_t k = static_cast<size_t>(per_channel ? grp * per_group + c : grp);
          for (int64_t i = 0; i < spatial; ++i) {
            int64_t e = c * spatial + i;
            out[e] = static_cast<T>((static_cast<double>(in[e]) - m.mean) * inv_std * scale[k] + bias[k]);
          }
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

// Reduction geometry along one axis: `outer` blocks of `axis_len` x `inner` elements.
struct AxisLayout {
  int64_t outer = 1, axis_len = 1, inner = 1;
};

absl::StatusOr<AxisLayout> SoftmaxLayout(const KernelContext& ctx, const Tensor& x) {
  int64_t rank = x.rank();
  AxisLayout layout;
  if (ctx.opset() < 13) {
    // Coerced to 2-D at axis: [prod(dims[:axis]), prod(dims[axis:])], reduced along the second.
    absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 1), rank);
    if (!axis.ok()) return axis.status();
    layout.outer = Product(x.dims(), 0, static_cast<size_t>(*axis));
    layout.axis_len = Product(x.dims(), static_cast<size_t>(*axis));
    return layout;
  }
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", -1), rank);
  if (!axis.ok()) return axis.status();
  layout.outer = Product(x.dims(), 0, static_cast<size_t>(*axis));
  layout.axis_len = x.dim(*axis);
  layout.inner = Product(x.dims(), static_cast<size_t>(*axis) + 1);
  return layout;
}

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// Forward declaration; defined after Exp.
template <typename T, int kFixedStride>
void SoftmaxRow(const T* in, T* out, int64_t len, bool log_softmax, int64_t stride = 1);

// Softmax (or log-softmax) of len values `stride` apart. kFixedStride = 1
// makes the contiguous case's stride a compile-time constant so the loops
// vectorize; 0 means use `stride`.
template <typename T, int kFixedStride>
void SoftmaxRow(const T* in, T* out, int64_t len, bool log_softmax, int64_t stride) {
  const int64_t step = kFixedStride != 0 ? kFixedStride : stride;
  T max_value;
  double sum = 0;
  // Shifting by the max keeps exp from overflowing.
  if constexpr (kFixedStride == 1) {
    max_value = RowMax(in, len);
    RowExp(in, max_value, out, len);
    sum = LaneSum(out, len, [](double e) { return e; });
  } else {
    max_value = in[0];
    for (int64_t k = 1; k < len; ++k) max_value = in[k * step] > max_value ? in[k * step] : max_value;
    for (int64_t k = 0; k < len; ++k) {
      out[k * step] = Exp<T>(in[k * step] - max_value);
      sum += static_cast<double>(out[k * step]);
    }
  }
  if (!log_softmax) {
    const T inverse = static_cast<T>(1.0 / sum);
    for (int64_t k = 0; k < len; ++k) out[k * step] *= inverse;
  } else {
    const T log_sum = static_cast<T>(std::log(sum));
    for (int64_t k = 0; k < len; ++k) out[k * step] = (in[k * step] - max_value) - log_sum;
  }
}

absl::Status SoftmaxKernel(KernelContext& ctx, SoftmaxKind kind) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  absl::StatusOr<AxisLayout> layout = SoftmaxLayout(ctx, x_in);
  if (!layout.ok()) return layout.status();
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), x.dims());
    const int64_t len = layout->axis_len, inner = layout->inner;
    for (int64_t o = 0; o < layout->outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* in = x.data<T>() + o * len * inner + i;
        T* out = result.mutable_data<T>() + o * len * inner + i;
        if (len == 0) continue;
        if (kind == SoftmaxKind::kHardmax) {
          int64_t arg_max = 0;  // the first maximum wins
          for (int64_t k = 1; k < len; ++k) arg_max = in[k * inner] > in[arg_max * inner] ? k : arg_max;
          out[arg_max * inner] = T(1);
          continue;
        }
        if (inner == 1) {
          SoftmaxRow<T, 1>(in, out, len, kind == SoftmaxKind::kLogSoftmax);
        } else {
          SoftmaxRow<T, 0>(in, out, len, kind == SoftmaxKind::kLogSoftmax, inner);
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

absl::Status LrnKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  if (x_in.rank() < 3) return ctx.Error(absl::StrCat("input has rank ", x_in.rank(), ", expected at least 3"));
  const ir::Attribute* size_attr = ctx.node().FindAttribute("size");
  if (size_attr == nullptr || !size_attr->is<int64_t>() || size_attr->get<int64_t>() < 1) {
    return ctx.Error("size attribute is required and must be positive");
  }
  const int64_t size = size_attr->get<int64_t>();
  const double alpha = ctx.node().GetFloat("alpha", 1e-4f);
  const double beta = ctx.node().GetFloat("beta", 0.75f);
  const double bias = ctx.node().GetFloat("bias", 1.0f);
  const int64_t batch = x_in.dim(0), channels = x_in.dim(1), spatial = Product(x_in.dims(), 2);
  // The window covers channels c - floor((size-1)/2) .. c + ceil((size-1)/2).
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), x.dims());
    for (int64_t n = 0; n < batch; ++n) {
      const T* in = x.data<T>() + n * channels * spatial;
      T* out = result.mutable_data<T>() + n * channels * spatial;
      for (int64_t c = 0; c < channels; ++c) {
        int64_t lo = std::max<int64_t>(0, c - before), hi = std::min(channels - 1, c + after);
        for (int64_t i = 0; i < spatial; ++i) {
          double square_sum = 0;
          for (int64_t k = lo; k <= hi; ++k) {
            double v = static_cast<double>(in[k * spatial + i]);
            square_sum += v * v;
          }
          double denominator = std::pow(bias + alpha / static_cast<double>(size) * square_sum, beta);
          out[c * spatial + i] = static_cast<T>(static_cast<double>(in[c * spatial + i]) / denominator);
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

absl::Status LpNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  int64_t p = ctx.node().GetInt("p", 2);
  if (p != 1 && p != 2) return ctx.Error(absl::StrCat("p is ", p, ", expected 1 or 2"));
  if (x_in.rank() == 0) return ctx.Error("input must have rank >= 1");
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", -1), x_in.rank());
  if (!axis.ok()) return axis.status();
  AxisLayout layout{Product(x_in.dims(), 0, static_cast<size_t>(*axis)), x_in.dim(*axis),
                    Product(x_in.dims(), static_cast<size_t>(*axis) + 1)};
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    result = Tensor::Zeros(x.dtype(), x.dims());
    for (int64_t o = 0; o < layout.outer; ++o) {
      for (int64_t i = 0; i < layout.inner; ++i) {
        const T* in = x.data<T>() + o * layout.axis_len * layout.inner + i;
        T* out = result.mutable_data<T>() + o * layout.axis_len * layout.inner + i;
        double norm = 0;
        for (int64_t k = 0; k < layout.axis_len; ++k) {
          double v = static_cast<double>(in[k * layout.inner]);
          norm += p == 1 ? std::abs(v) : v * v;
        }
        if (p == 2) norm = std::sqrt(norm);
        // A zero vector stays zero rather than becoming NaN.
        for (int64_t k = 0; k < layout.axis_len; ++k) {
          out[k * layout.inner] = norm == 0 ? T(0) : static_cast<T>(static_cast<double>(in[k * layout.inner]) / norm);
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

// y = (x - mean) / (sqrt(variance) + 1e-9) over `axes`, as the ONNX function body defines it.
absl::Status MeanVarianceNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  std::vector<bool> reduced(static_cast<size_t>(x_in.rank()), false);
  for (int64_t axis : ctx.node().GetInts("axes", {0, 2, 3})) {
    absl::StatusOr<int64_t> a = NormalizeAxis(ctx, axis, x_in.rank());
    if (!a.ok()) return a.status();
    reduced[static_cast<size_t>(*a)] = true;
  }
  // Group id of each element: its index over the kept dims.
  std::vector<int64_t> strides = Strides(x_in.dims());
  std::vector<int64_t> kept_dims;
  for (size_t d = 0; d < reduced.size(); ++d) {
    if (!reduced[d]) kept_dims.push_back(x_in.dims()[d]);
  }
  std::vector<int64_t> kept_strides = Strides(kept_dims);
  const int64_t total = x_in.num_elements();
  std::vector<int64_t> group_of(static_cast<size_t>(total));
  for (int64_t e = 0; e < total; ++e) {
    int64_t rest = e, group = 0;
    for (size_t d = 0, k = 0; d < reduced.size(); ++d) {
      int64_t index = rest / strides[d];
      rest %= strides[d];
      if (!reduced[d]) group += index * kept_strides[k++];
    }
    group_of[static_cast<size_t>(e)] = group;
  }
  const int64_t groups = Product(kept_dims);
  Tensor x = ToFloat32(x_in);
  Tensor result;
  absl::Status s = WithFloatTypes(ctx, x_in.dtype(), [&]<typename T>() -> absl::Status {
    const T* in = x.data<T>();
    std::vector<double> sum(static_cast<size_t>(groups), 0.0), sq(static_cast<size_t>(groups), 0.0);
    std::vector<int64_t> count(static_cast<size_t>(groups), 0);
    for (int64_t e = 0; e < total; ++e) {
      size_t g = static_cast<size_t>(group_of[static_cast<size_t>(e)]);
      sum[g] += static_cast<double>(in[e]);
      ++count[g];
    }
    for (size_t g = 0; g < sum.size(); ++g) sum[g] /= static_cast<double>(std::max<int64_t>(count[g], 1));
    for (int64_t e = 0; e < total; ++e) {
      size_t g = static_cast<size_t>(group_of[static_cast<size_t>(e)]);
      double d = static_cast<double>(in[e]) - sum[g];
      sq[g] += d * d;
    }
    result = Tensor::Zeros(x.dtype(), x.dims());
    T* out = result.mutable_data<T>();
    for (int64_t e = 0; e < total; ++e) {
      size_t g = static_cast<size_t>(group_of[static_cast<size_t>(e)]);
      double std_dev = std::sqrt(sq[g] / static_cast<double>(std::max<int64_t>(count[g], 1)));
      out[e] = static_cast<T>((static_cast<double>(in[e]) - sum[g]) / (std_dev + 1e-9));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, FromFloat32(result, x_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Einsum. Operands are first reduced to distinct labels (a repeated label
// takes the diagonal) with labels nobody else needs summed out; then they are
// contracted pairwise, left to right, each contraction being a batched GEMM
// over [batch labels, own labels, contracted labels]; finally the result is
// permuted into the output order. Labels are ints: letters, and one label per
// broadcast ellipsis dim.

using Label = int;

// A contiguous row-major tensor with one distinct label per dim.
template <typename T>
struct LabeledTensor {
  std::vector<T> data;
  std::vector<Label> labels;
  std::vector<int64_t> dims;
};

// Copies the strided view (dims, strides over src) into a contiguous array.
template <typename T>
std::vector<T> Materialize(const T* src, const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  int64_t total = Product(dims);
  std::vector<T> out(static_cast<size_t>(total));
  if (total == 0) return out;
  if (dims.empty()) {
    out[0] = src[0];
    return out;
  }
  size_t rank = dims.size();
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  const int64_t inner = dims.back(), inner_stride = strides.back();
  for (int64_t e = 0; e < total; e += inner) {
    for (int64_t i = 0; i < inner; ++i) out[static_cast<size_t>(e + i)] = src[offset + i * inner_stride];
    for (size_t ax = rank - 1; ax-- > 0;) {  // odometer over all but the last dim
      if (++index[ax] < dims[ax]) {
        offset += strides[ax];
        break;
      }
      offset -= strides[ax] * (dims[ax] - 1);
      index[ax] = 0;
    }
  }
  return out;
}

// A view of `t` with dims reordered to `order` (labels of t, each once, or
// labels t lacks, which broadcast with the extent from `extent`).
template <typename T>
std::vector<T> Arrange(const LabeledTensor<T>& t, const std::vector<Label>& order,
                       const std::map<Label, int64_t>& extent) {
  std::vector<int64_t> own_strides = Strides(t.dims);
  std::vector<int64_t> dims, strides;
  for (Label l : order) {
    auto it = std::find(t.labels.begin(), t.labels.end(), l);
    size_t pos = static_cast<size_t>(it - t.labels.begin());
    int64_t full = extent.at(l);
    if (it == t.labels.end() || t.dims[pos] == 1) {
      dims.push_back(full);
      strides.push_back(0);  // broadcast
    } else {
      dims.push_back(t.dims[pos]);
      strides.push_back(own_strides[pos]);
    }
  }
  return Materialize(t.data.data(), dims, strides);
}

// Sums out the labels of t not in `keep`.
template <typename T>
LabeledTensor<T> SumOut(LabeledTensor<T> t, const std::set<Label>& keep) {
  std::vector<Label> kept, dropped;
  std::map<Label, int64_t> extent;
  int64_t kept_size = 1, dropped_size = 1;
  for (size_t i = 0; i < t.labels.size(); ++i) {
    extent[t.labels[i]] = t.dims[i];
    if (keep.count(t.labels[i])) {
      kept.push_back(t.labels[i]);
      kept_size *= t.dims[i];
    } else {
      dropped.push_back(t.labels[i]);
      dropped_size *= t.dims[i];
    }
  }
  if (dropped.empty()) return t;
  std::vector<Label> order = kept;
  order.insert(order.end(), dropped.begin(), dropped.end());
  std::vector<T> arranged = Arrange(t, order, extent);
  LabeledTensor<T> out;
  out.labels = kept;
  for (Label l : kept) out.dims.push_back(extent[l]);
  out.data.assign(static_cast<size_t>(kept_size), T(0));
  for (int64_t i = 0; i < kept_size; ++i) {
    T sum = T(0);
    for (int64_t j = 0; j < dropped_size; ++j) sum += arranged[static_cast<size_t>(i * dropped_size + j)];
    out.data[static_cast<size_t>(i)] = sum;
  }
  return out;
}

// Contracts a and b, keeping the labels in `keep` (and summing the others).
template <typename T>
LabeledTensor<T> Contract(const LabeledTensor<T>& a_in, const LabeledTensor<T>& b_in, const std::set<Label>& keep) {
  std::set<Label> a_labels(a_in.labels.begin(), a_in.labels.end());
  std::set<Label> b_labels(b_in.labels.begin(), b_in.labels.end());
  std::set<Label> keep_a = keep, keep_b = keep;
  keep_a.insert(b_labels.begin(), b_labels.end());
  keep_b.insert(a_labels.begin(), a_labels.end());
  LabeledTensor<T> a = SumOut(a_in, keep_a);
  LabeledTensor<T> b = SumOut(b_in, keep_b);
  std::map<Label, int64_t> extent;
  for (size_t i = 0; i < a.labels.size(); ++i) extent[a.labels[i]] = a.dims[i];
  for (size_t i = 0; i < b.labels.size(); ++i) {
    int64_t& e = extent[b.labels[i]];
    e = std::max(e, b.dims[i]);
  }
  std::vector<Label> batch, contracted, a_only, b_only;
  for (Label l : a.labels) {
    bool in_b = std::find(b.labels.begin(), b.labels.end(), l) != b.labels.end();
    if (!in_b) {
      a_only.push_back(l);
    } else if (keep.count(l)) {
      batch.push_back(l);
    } else {
      contracted.push_back(l);
    }
  }
  for (Label l : b.labels) {
    if (std::find(a.labels.begin(), a.labels.end(), l) == a.labels.end()) b_only.push_back(l);
  }
  auto size_of = [&](const std::vector<Label>& ls) {
    int64_t p = 1;
    for (Label l : ls) p *= extent[l];
    return p;
  };
  int64_t batch_size = size_of(batch), m = size_of(a_only), k = size_of(contracted), n = size_of(b_only);
  std::vector<Label> a_order = batch, b_order = batch;
  a_order.insert(a_order.end(), a_only.begin(), a_only.end());
  a_order.insert(a_order.end(), contracted.begin(), contracted.end());
  b_order.insert(b_order.end(), contracted.begin(), contracted.end());
  b_order.insert(b_order.end(), b_only.begin(), b_only.end());
  std::vector<T> a_data = Arrange(a, a_order, extent);
  std::vector<T> b_data = Arrange(b, b_order, extent);
  LabeledTensor<T> out;
  out.labels = batch;
  out.labels.insert(out.labels.end(), a_only.begin(), a_only.end());
  out.labels.insert(out.labels.end(), b_only.begin(), b_only.end());
  for (Label l : out.labels) out.dims.push_back(extent[l]);
  out.data.assign(static_cast<size_t>(batch_size * m * n), T(0));
  for (int64_t i = 0; i < batch_size; ++i) {
    Gemm<T>(false, false, m, n, k, T(1), a_data.data() + i * m * k, k, b_data.data() + i * k * n, n, T(0),
            out.data.data() + i * m * n, n);
  }
  return out;
}

// A parsed equation: each operand's labels, dim by dim, and the output's.
struct EinsumPlan {
  std::vector<std::vector<Label>> operands;
  std::vector<Label> output;
};

constexpr Label kEllipsisLabelBase = 1000;  // ellipsis dim j (right-aligned) is base + j

absl::StatusOr<EinsumPlan> ParseEquation(const KernelContext& ctx, const std::vector<const Tensor*>& inputs) {
  std::string equation;
  const ir::Attribute* attr = ctx.node().FindAttribute("equation");
  if (attr == nullptr || !attr->is<std::string>()) return ctx.Error("equation attribute is required");
  for (char c : attr->get<std::string>()) {
    if (c != ' ') equation.push_back(c);
  }
  size_t arrow = equation.find("->");
  std::string lhs = equation.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != inputs.size()) {
    return ctx.Error(absl::StrCat("equation has ", terms.size(), " operands but the node has ", inputs.size(),
                                  " inputs"));
  }
  // Letters of a term, with -1 marking where the ellipsis sits.
  auto letters_of = [&](const std::string& term) -> absl::StatusOr<std::vector<int>> {
    std::vector<int> out;
    for (size_t i = 0; i < term.size(); ++i) {
      char c = term[i];
      if (c == '.') {
        if (term.compare(i, 3, "...") != 0 || std::count(out.begin(), out.end(), -1) > 0) {
          return ctx.Error(absl::StrCat("malformed ellipsis in equation term '", term, "'"));
        }
        out.push_back(-1);
        i += 2;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        out.push_back(c);
      } else {
        return ctx.Error(absl::StrCat("unexpected character '", std::string(1, c), "' in equation"));
      }
    }
    return out;
  };
  EinsumPlan plan;
  int64_t ellipsis_rank = 0;
  std::vector<std::vector<int>> parsed;
  for (size_t t = 0; t < terms.size(); ++t) {
    absl::StatusOr<std::vector<int>> letters = letters_of(terms[t]);
    if (!letters.ok()) return letters.status();
    bool has_ellipsis = std::count(letters->begin(), letters->end(), -1) > 0;
    int64_t named = static_cast<int64_t>(letters->size()) - (has_ellipsis ? 1 : 0);
    int64_t rank = inputs[t]->rank();
    if (has_ellipsis ? rank < named : rank != named) {
      return ctx.Error(absl::StrCat("operand ", t, " has rank ", rank, " but its term '", terms[t], "' has ", named,
                                    " letters"));
    }
    if (has_ellipsis) ellipsis_rank = std::max(ellipsis_rank, rank - named);
    parsed.push_back(*std::move(letters));
  }
  for (size_t t = 0; t < terms.size(); ++t) {
    int64_t rank = inputs[t]->rank();
    int64_t own_ellipsis = rank - (static_cast<int64_t>(parsed[t].size()) -
                                   (std::count(parsed[t].begin(), parsed[t].end(), -1) > 0 ? 1 : 0));
    std::vector<Label> labels;
    for (int c : parsed[t]) {
      if (c != -1) {
        labels.push_back(c);
        continue;
      }
      for (int64_t j = 0; j < own_ellipsis; ++j) {
        labels.push_back(kEllipsisLabelBase + static_cast<Label>(ellipsis_rank - own_ellipsis + j));
      }
    }
    plan.operands.push_back(std::move(labels));
  }
  if (arrow != std::string::npos) {
    absl::StatusOr<std::vector<int>> letters = letters_of(equation.substr(arrow + 2));
    if (!letters.ok()) return letters.status();
    for (int c : *letters) {
      if (c != -1) {
        plan.output.push_back(c);
        continue;
      }
      for (int64_t j = 0; j < ellipsis_rank; ++j) plan.output.push_back(kEllipsisLabelBase + static_cast<Label>(j));
    }
  } else {
    // Implicit output: the ellipsis dims, then letters used once, in alphabetical (ASCII) order.
    std::map<Label, int> count;
    for (const auto& op : plan.operands) {
      for (Label l : op) ++count[l];
    }
    for (int64_t j = 0; j < ellipsis_rank; ++j) plan.output.push_back(kEllipsisLabelBase + static_cast<Label>(j));
    for (const auto& [l, n] : count) {
      if (l < kEllipsisLabelBase && n == 1) plan.output.push_back(l);
    }
  }
  return plan;
}

absl::Status EinsumKernel(KernelContext& ctx) {
  if (ctx.num_inputs() < 1) return ctx.Error("Einsum needs at least one input");
  std::vector<const Tensor*> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.input(i) == nullptr) return ctx.Error(absl::StrCat("input ", i, " is missing"));
    if (ctx.input(i)->dtype() != ctx.input(0)->dtype()) return ctx.Error("inputs have different element types");
    inputs.push_back(ctx.input(i));
  }
  DType dtype = inputs[0]->dtype();
  if (dtype == DType::kBool) return ctx.Error("Einsum does not support bool");
  absl::StatusOr<EinsumPlan> plan = ParseEquation(ctx, inputs);
  if (!plan.ok()) return plan.status();
  // Extent of every label; 1 broadcasts, anything else must agree.
  std::map<Label, int64_t> extent;
  for (size_t t = 0; t < inputs.size(); ++t) {
    for (size_t d = 0; d < plan->operands[t].size(); ++d) {
      Label l = plan->operands[t][d];
      int64_t e = inputs[t]->dim(static_cast<int64_t>(d));
      auto [it, inserted] = extent.emplace(l, e);
      if (inserted || it->second == e || e == 1) continue;
      if (it->second != 1) {
        return ctx.Error(absl::StrCat("operand ", t, " dim ", d, " has extent ", e, " but the label has extent ",
                                      it->second, " elsewhere"));
      }
      it->second = e;
    }
  }
  std::set<Label> output_set(plan->output.begin(), plan->output.end());
  for (Label l : plan->output) {
    if (!extent.count(l)) return ctx.Error("an output label appears in no operand");
  }
  std::vector<Tensor> widened;
  for (const Tensor* t : inputs) widened.push_back(ToFloat32(*t));
  DType compute = widened[0].dtype();
  Tensor result;
  absl::Status s = DispatchNumeric(compute, [&]<typename T>() -> absl::Status {
    if constexpr (std::is_same_v<T, bool>) {
      return absl::UnimplementedError("bool");
    } else {
      // Distinct-label views of each operand: a repeated label sums its strides (the diagonal).
      std::vector<LabeledTensor<T>> operands;
      for (size_t t = 0; t < widened.size(); ++t) {
        const std::vector<Label>& labels = plan->operands[t];
        std::vector<int64_t> strides = Strides(widened[t].dims());
        LabeledTensor<T> view;
        std::vector<int64_t> view_strides;
        for (size_t d = 0; d < labels.size(); ++d) {
          auto it = std::find(view.labels.begin(), view.labels.end(), labels[d]);
          if (it == view.labels.end()) {
            view.labels.push_back(labels[d]);
            view.dims.push_back(widened[t].dim(static_cast<int64_t>(d)));
            view_strides.push_back(strides[d]);
          } else {
            size_t pos = static_cast<size_t>(it - view.labels.begin());
            if (view.dims[pos] != widened[t].dim(static_cast<int64_t>(d))) {
              return absl::InvalidArgumentError("a repeated label has different extents within one operand");
            }
            view_strides[pos] += strides[d];
          }
        }
        view.data = Materialize(widened[t].data<T>(), view.dims, view_strides);
        operands.push_back(std::move(view));
      }
      // Labels needed after operand t: the output's and those of later operands.
      std::vector<std::set<Label>> needed_after(operands.size());
      std::set<Label> needed = output_set;
      for (size_t t = operands.size(); t-- > 0;) {
        needed_after[t] = needed;
        needed.insert(operands[t].labels.begin(), operands[t].labels.end());
      }
      std::set<Label> first_keep = needed_after[0];
      LabeledTensor<T> acc = SumOut(std::move(operands[0]), first_keep);
      for (size_t t = 1; t < operands.size(); ++t) acc = Contract(acc, operands[t], needed_after[t]);
      acc = SumOut(std::move(acc), output_set);
      std::map<Label, int64_t> acc_extent;
      for (size_t i = 0; i < acc.labels.size(); ++i) acc_extent[acc.labels[i]] = acc.dims[i];
      std::vector<int64_t> out_dims;
      for (Label l : plan->output) out_dims.push_back(acc_extent.count(l) ? acc_extent[l] : 1);
      for (Label l : plan->output) acc_extent.emplace(l, 1);
      std::vector<T> out = Arrange(acc, plan->output, acc_extent);
      result = Tensor::Zeros(compute, out_dims);
      std::copy(out.begin(), out.end(), result.mutable_data<T>());
      return absl::OkStatus();
    }
  });
  if (!s.ok()) return ctx.Annotate(s);
  ctx.set_output(0, FromFloat32(result, dtype));
  return absl::OkStatus();
}

}  // namespace

void RegisterNnKernels(KernelRegistry& registry) {
  registry.Register("", "MatMul", MatMulKernel);
  registry.Register("", "Gemm", GemmKernel);
  registry.Register("", "Einsum", EinsumKernel);
  registry.Register("", "Conv", ConvKernel);
  registry.Register("", "ConvTranspose", ConvTransposeKernel);
  registry.Register("", "MaxPool", [](KernelContext& ctx) { return PoolKernel(ctx, PoolKind::kMax); });
  registry.Register("", "AveragePool", [](KernelContext& ctx) { return PoolKernel(ctx, PoolKind::kAverage); });
  registry.Register("", "LpPool", [](KernelContext& ctx) { return PoolKernel(ctx, PoolKind::kLp); });
  registry.Register("", "GlobalMaxPool", [](KernelContext& ctx) { return GlobalPoolKernel(ctx, PoolKind::kMax); });
  registry.Register("", "GlobalAveragePool",
                    [](KernelContext& ctx) { return GlobalPoolKernel(ctx, PoolKind::kAverage); });
  registry.Register("", "GlobalLpPool", [](KernelContext& ctx) { return GlobalPoolKernel(ctx, PoolKind::kLp); });
  registry.Register("", "BatchNormalization", BatchNormalizationKernel);
  registry.Register("", "InstanceNormalization", InstanceNormalizationKernel);
  registry.Register("", "LayerNormalization", LayerNormalizationKernel);
  registry.Register(kMicrosoftDomain, "LayerNormalization", LayerNormalizationKernel);
  registry.Register(kMicrosoftDomain, "SkipLayerNormalization", SkipLayerNormalizationKernel);
  registry.Register("", "GroupNormalization", GroupNormalizationKernel);
  registry.Register("", "Softmax", [](KernelContext& ctx) { return SoftmaxKernel(ctx, SoftmaxKind::kSoftmax); });
  registry.Register("", "LogSoftmax", [](KernelContext& ctx) { return SoftmaxKernel(ctx, SoftmaxKind::kLogSoftmax); });
  registry.Register("", "Hardmax", [](KernelContext& ctx) { return SoftmaxKernel(ctx, SoftmaxKind::kHardmax); });
  registry.Register("", "LRN", LrnKernel);
  registry.Register("", "LpNormalization", LpNormalizationKernel);
  registry.Register("", "MeanVarianceNormalization", MeanVarianceNormalizationKernel);
}

}  // namespace gsopt::backend::cpu
