// CPU kernels for the transformer op family: Attention (opsets 23-25),
// RMSNormalization, RotaryEmbedding and Swish.
//
// Attention works one (batch, query head) pair at a time: one GEMM for the
// scores, the bias (mask, causal frontier, sliding window, padding) applied
// row by row, a softmax, and one GEMM into the output. Q, K, V and Y are
// addressed through strides, so the 3-D (batch, seq, heads * size) layout
// needs no transposed copies. f32 GEMMs go through oneDNN's sgemm via gemm.h (the
// score and context products are where transformer inference spends its
// time); f64 uses a loop GEMM; f16 and bf16 are widened to f32 and narrowed
// back at the end. Results are deterministic: no threading inside the kernel
// besides what sgemm does with a fixed decomposition.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/gemm.h"
#include "backend/cpu/kernels/kernel_utils.h"
#include "ir/check.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

bool IsSupportedFloat(DType dtype) { return ir::IsFloatingPoint(dtype); }

// ---------------------------------------------------------------------------
// Attention

// Where element (batch, head, position, channel) of a Q/K/V/Y tensor lives:
// base + batch*batch_stride + head*head_stride + position*row_stride + channel.
struct HeadLayout {
  int64_t batch = 0, heads = 0, seq = 0, head_size = 0;
  int64_t batch_stride = 0, head_stride = 0, row_stride = 0;
};

HeadLayout FourDimLayout(int64_t batch, int64_t heads, int64_t seq, int64_t head_size) {
  return HeadLayout{batch, heads, seq, head_size, heads * seq * head_size, seq * head_size, head_size};
}

HeadLayout ThreeDimLayout(int64_t batch, int64_t heads, int64_t seq, int64_t head_size) {
  return HeadLayout{batch, heads, seq, head_size, seq * heads * head_size, head_size, heads * head_size};
}

// Reads a Q/K/V input's layout; 3-D inputs split their last dim into `num_heads`.
absl::StatusOr<HeadLayout> ReadLayout(const KernelContext& ctx, const Tensor& t, int64_t rank, int64_t num_heads,
                                      absl::string_view name) {
  if (t.rank() != rank) return ctx.Error(absl::StrCat(name, " has rank ", t.rank(), ", expected ", rank, " like Q"));
  if (rank == 4) return FourDimLayout(t.dim(0), t.dim(1), t.dim(2), t.dim(3));
  if (t.dim(2) % num_heads != 0) {
    return ctx.Error(absl::StrCat(name, " hidden size ", t.dim(2), " is not a multiple of the head count ", num_heads));
  }
  return ThreeDimLayout(t.dim(0), num_heads, t.dim(1), t.dim(2) / num_heads);
}


// attn_mask broadcast onto (batch, q_heads, q_seq, keys). The leading three
// axes broadcast numpy-style (stride 0); the key axis never broadcasts: a
// shorter mask covers the first keys and the rest count as masked out.
struct MaskLayout {
  bool present = false;
  bool is_bool = false;
  int64_t keys = 0;
  int64_t stride[3] = {0, 0, 0};
};

absl::StatusOr<MaskLayout> ReadMaskLayout(const KernelContext& ctx, const Tensor& mask, const int64_t target[4]) {
  if (mask.rank() < 1 || mask.rank() > 4) {
    return ctx.Error(absl::StrCat("attn_mask has rank ", mask.rank(), ", expected 1 to 4"));
  }
  MaskLayout m;
  m.present = true;
  m.is_bool = mask.dtype() == DType::kBool;
  m.keys = mask.dim(mask.rank() - 1);
  if (m.keys > target[3]) {
    return ctx.Error(absl::StrCat("attn_mask covers ", m.keys, " keys but there are only ", target[3]));
  }
  std::vector<int64_t> strides = Strides(mask.dims());
  int64_t lead = 4 - mask.rank();
  for (int64_t axis = lead; axis < 3; ++axis) {
    int64_t d = mask.dim(axis - lead);
    if (d != 1 && d != target[axis]) {
      return ctx.Error(absl::StrCat("attn_mask dim ", axis - lead, " is ", d, ", which does not broadcast to ",
                                    target[axis]));
    }
    m.stride[axis] = d == 1 ? 0 : strides[static_cast<size_t>(axis - lead)];
  }
  return m;
}

// A per-element copy of a Q/K/V-shaped tensor into 4-D (batch, heads, seq,
// size) order, after `past` (already 4-D) when given: the present_key /
// present_value outputs, and the K/V the kernel reads when a cache is used.
template <typename T>
Tensor ConcatHeads(const Tensor* past, const Tensor& current, const HeadLayout& layout, DType dtype) {
  int64_t past_seq = past != nullptr ? past->dim(2) : 0;
  int64_t total = past_seq + layout.seq;
  Tensor out = Tensor::Zeros(dtype, {layout.batch, layout.heads, total, layout.head_size});
  T* dst = out.mutable_data<T>();
  const T* src = current.data<T>();
  for (int64_t b = 0; b < layout.batch; ++b) {
    for (int64_t h = 0; h < layout.heads; ++h) {
      T* head = dst + (b * layout.heads + h) * total * layout.head_size;
      if (past != nullptr) {
        const T* p = past->data<T>() + (b * layout.heads + h) * past_seq * layout.head_size;
        std::copy(p, p + past_seq * layout.head_size, head);
      }
      for (int64_t s = 0; s < layout.seq; ++s) {
        const T* row = src + b * layout.batch_stride + h * layout.head_stride + s * layout.row_stride;
        std::copy(row, row + layout.head_size, head + (past_seq + s) * layout.head_size);
      }
    }
  }
  return out;
}

// What the optional 4th output holds (attribute qk_matmul_output_mode).
enum class QkCapture { kRaw = 0, kSoftcapped = 1, kBiased = 2, kSoftmax = 3 };

struct AttentionParams {
  int64_t rank = 4;
  HeadLayout q, k, v, y;
  int64_t past_seq = 0;
  bool has_past = false;
  std::vector<int64_t> nonpad;  // per batch; empty when not given
  bool is_causal = false;
  int64_t left_window = -1, right_window = -1;
  double alpha = 1.0;  // score scale
  double softcap = 0.0;
  QkCapture capture = QkCapture::kRaw;
  bool want_qk = false;
};

// Rounds `value` to what `dtype` can hold, so a scale computed in float
// matches one the model's own precision would produce.
double RoundToDType(double value, DType dtype) {
  switch (dtype) {
    case DType::kFloat16: return ir::HalfToFloat(ir::FloatToHalf(static_cast<float>(value)));
    case DType::kBFloat16: return ir::BFloat16ToFloat(ir::FloatToBFloat16(static_cast<float>(value)));
    case DType::kFloat32: return static_cast<float>(value);
    default: return value;
  }
}

// Softmax of one row in place. A row whose bias masks every key has no
// attendable key and becomes all zeros rather than NaN, as the spec asks.
template <typename T>
void SoftmaxRowGuarded(T* row, int64_t len, bool fully_masked) {
  if (fully_masked) {
    std::fill(row, row + len, T(0));
    return;
  }
  T max_value = -std::numeric_limits<T>::infinity();
  for (int64_t j = 0; j < len; ++j) max_value = std::max(max_value, row[j]);
  if (max_value == -std::numeric_limits<T>::infinity()) max_value = 0;
  T sum = 0;
  for (int64_t j = 0; j < len; ++j) {
    row[j] = std::exp(row[j] - max_value);
    sum += row[j];
  }
  if (sum == T(0)) sum = 1;
  T inverse = T(1) / sum;
  for (int64_t j = 0; j < len; ++j) row[j] *= inverse;
}

// Runs attention over widened tensors of type T. `keys` / `values` are either
// the inputs (layouts p.k / p.v) or the 4-D present tensors.
template <typename T>
void AttentionTyped(const AttentionParams& p, const T* query, const T* keys, const T* values, const Tensor* mask,
                    const MaskLayout& mask_layout, T* y, T* qk) {
  const int64_t sq = p.q.seq;
  const int64_t total = p.k.seq;
  const int64_t group = p.q.heads / p.k.heads;
  const T neg_inf = -std::numeric_limits<T>::infinity();
  const bool windowed = p.left_window >= 0 || p.right_window >= 0;
  std::vector<T> scores(static_cast<size_t>(sq * total));
  std::vector<T> bias(static_cast<size_t>(total));
  const T* float_mask = mask != nullptr && !mask_layout.is_bool ? mask->data<T>() : nullptr;
  const uint8_t* bool_mask = mask != nullptr && mask_layout.is_bool ? mask->data<uint8_t>() : nullptr;
  for (int64_t b = 0; b < p.q.batch; ++b) {
    // Keys before the query block: the cached ones, or for an external cache
    // the valid keys minus the queries (negative leaves leading rows empty).
    int64_t offset = p.has_past ? p.past_seq : (!p.nonpad.empty() ? p.nonpad[b] - sq : 0);
    int64_t valid_keys = p.nonpad.empty() ? total : p.nonpad[b];
    for (int64_t h = 0; h < p.q.heads; ++h) {
      int64_t kv_head = h / group;
      const T* q_head = query + b * p.q.batch_stride + h * p.q.head_stride;
      const T* k_head = keys + b * p.k.batch_stride + kv_head * p.k.head_stride;
      const T* v_head = values + b * p.v.batch_stride + kv_head * p.v.head_stride;
      Gemm<T>(false, true, sq, total, p.q.head_size, static_cast<T>(p.alpha), q_head, p.q.row_stride, k_head,
              p.k.row_stride, T(0), scores.data(), total);
      T* qk_head = qk != nullptr ? qk + (b * p.q.heads + h) * sq * total : nullptr;
      for (int64_t i = 0; i < sq; ++i) {
        T* row = scores.data() + i * total;
        T* qk_row = qk_head != nullptr ? qk_head + i * total : nullptr;
        if (qk_row != nullptr && p.capture == QkCapture::kRaw) std::copy(row, row + total, qk_row);
        if (p.softcap > 0) {
          const T cap = static_cast<T>(p.softcap);
          for (int64_t j = 0; j < total; ++j) row[j] = cap * std::tanh(row[j] / cap);
        }
        if (qk_row != nullptr && p.capture == QkCapture::kSoftcapped) std::copy(row, row + total, qk_row);

        std::fill(bias.begin(), bias.end(), T(0));
        if (mask != nullptr) {
          int64_t base = b * mask_layout.stride[0] + h * mask_layout.stride[1] + i * mask_layout.stride[2];
          for (int64_t j = 0; j < total; ++j) {
            if (j >= mask_layout.keys) {
              bias[j] = neg_inf;
            } else if (bool_mask != nullptr) {
              if (bool_mask[base + j] == 0) bias[j] = neg_inf;
            } else {
              bias[j] = float_mask[base + j];
            }
          }
        }
        int64_t position = i + offset;
        if (p.is_causal) {
          for (int64_t j = std::max<int64_t>(position + 1, 0); j < total; ++j) bias[j] += neg_inf;
        }
        if (windowed) {
          for (int64_t j = 0; j < total; ++j) {
            int64_t distance = position - j;
            if ((p.left_window >= 0 && distance > p.left_window) ||
                (p.right_window >= 0 && -distance > p.right_window)) {
              bias[j] += neg_inf;
            }
          }
        }
        for (int64_t j = std::max<int64_t>(valid_keys, 0); j < total; ++j) bias[j] += neg_inf;
        bool fully_masked = true;
        for (int64_t j = 0; j < total; ++j) {
          if (bias[j] != neg_inf) fully_masked = false;
          row[j] += bias[j];
        }
        if (qk_row != nullptr && p.capture == QkCapture::kBiased) std::copy(row, row + total, qk_row);
        SoftmaxRowGuarded(row, total, fully_masked);
        if (qk_row != nullptr && p.capture == QkCapture::kSoftmax) std::copy(row, row + total, qk_row);
      }
      T* y_head = y + b * p.y.batch_stride + h * p.y.head_stride;
      Gemm<T>(false, false, sq, p.v.head_size, total, T(1), scores.data(), total, v_head, p.v.row_stride, T(0),
              y_head, p.y.row_stride);
    }
  }
}

absl::Status AttentionKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(3); !s.ok()) return s;
  const ir::Node& node = ctx.node();
  const Tensor& q_in = *ctx.input(0);
  const Tensor& k_in = *ctx.input(1);
  const Tensor& v_in = *ctx.input(2);
  for (const Tensor* t : {&q_in, &k_in, &v_in}) {
    if (!IsSupportedFloat(t->dtype())) {
      return ctx.Error(absl::StrCat("element type ", ir::DTypeName(t->dtype()), " is not supported by this kernel"));
    }
  }
  AttentionParams p;
  p.rank = q_in.rank();
  if (p.rank != 3 && p.rank != 4) return ctx.Error(absl::StrCat("Q has rank ", p.rank, ", expected 3 or 4"));
  int64_t q_heads = 0, kv_heads = 0;
  if (p.rank == 3) {
    q_heads = node.GetInt("q_num_heads", 0);
    kv_heads = node.GetInt("kv_num_heads", 0);
    if (q_heads <= 0 || kv_heads <= 0) {
      return ctx.Error("3-D inputs need positive q_num_heads and kv_num_heads attributes");
    }
  }
  absl::StatusOr<HeadLayout> q = ReadLayout(ctx, q_in, p.rank, q_heads, "Q");
  if (!q.ok()) return q.status();
  absl::StatusOr<HeadLayout> k = ReadLayout(ctx, k_in, p.rank, kv_heads, "K");
  if (!k.ok()) return k.status();
  absl::StatusOr<HeadLayout> v = ReadLayout(ctx, v_in, p.rank, kv_heads, "V");
  if (!v.ok()) return v.status();
  p.q = *q;
  p.k = *k;
  p.v = *v;
  if (p.q.head_size != p.k.head_size) {
    return ctx.Error(absl::StrCat("Q head size ", p.q.head_size, " differs from K head size ", p.k.head_size));
  }
  if (p.k.seq != p.v.seq || p.k.heads != p.v.heads || p.k.batch != p.q.batch || p.v.batch != p.q.batch) {
    return ctx.Error("K and V must agree with each other and with Q on batch, heads and sequence length");
  }
  if (p.k.heads == 0 || p.q.heads % p.k.heads != 0) {
    return ctx.Error(absl::StrCat("q_num_heads ", p.q.heads, " is not a multiple of kv_num_heads ", p.k.heads));
  }

  const Tensor* past_key = ctx.input(4);
  const Tensor* past_value = ctx.input(5);
  if ((past_key == nullptr) != (past_value == nullptr)) return ctx.Error("past_key and past_value must be given together");
  p.has_past = past_key != nullptr;
  if (p.has_past) {
    auto check_past = [&](const Tensor& past, const HeadLayout& layout, absl::string_view name) -> absl::Status {
      if (past.rank() != 4 || past.dim(0) != layout.batch || past.dim(1) != layout.heads ||
          past.dim(3) != layout.head_size) {
        return ctx.Error(absl::StrCat(name, " has shape ", past.type().shape.ToString(), ", expected [", layout.batch,
                                      ",", layout.heads, ",past,", layout.head_size, "]"));
      }
      return absl::OkStatus();
    };
    if (absl::Status s = check_past(*past_key, p.k, "past_key"); !s.ok()) return s;
    if (absl::Status s = check_past(*past_value, p.v, "past_value"); !s.ok()) return s;
    if (past_key->dim(2) != past_value->dim(2)) return ctx.Error("past_key and past_value differ in length");
    p.past_seq = past_key->dim(2);
  }
  const int64_t total = p.past_seq + p.k.seq;
  if (ctx.opset() >= 24 && ctx.input(6) != nullptr) {
    if (p.has_past) return ctx.Error("nonpad_kv_seqlen cannot be combined with past_key / past_value");
    p.nonpad = ToInt64s(*ctx.input(6));
    if (static_cast<int64_t>(p.nonpad.size()) != p.q.batch) {
      return ctx.Error(absl::StrCat("nonpad_kv_seqlen has ", p.nonpad.size(), " entries for batch ", p.q.batch));
    }
    for (int64_t n : p.nonpad) {
      if (n < 0 || n > total) {
        return ctx.Error(absl::StrCat("nonpad_kv_seqlen value ", n, " is outside [0, ", total, "]"));
      }
    }
  }
  p.is_causal = node.GetInt("is_causal", 0) != 0;
  if (ctx.opset() >= 25) {
    p.left_window = node.GetInt("left_window_size", -1);
    p.right_window = node.GetInt("right_window_size", -1);
    if (p.left_window < -1 || p.right_window < -1) {
      return ctx.Error("left_window_size and right_window_size must be -1 or nonnegative");
    }
  }
  p.softcap = node.GetFloat("softcap", 0.0f);
  int64_t mode = node.GetInt("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3) return ctx.Error(absl::StrCat("qk_matmul_output_mode ", mode, " is not 0..3"));
  p.capture = static_cast<QkCapture>(mode);
  p.want_qk = ctx.output_requested(3);

  // The spec scales Q and K each by sqrt(scale) in the model's precision;
  // one alpha = sqrt(scale)^2 on the product gives the same value.
  double scale = node.FindAttribute("scale") != nullptr
                     ? node.GetFloat("scale", 1.0f)
                     : 1.0 / std::sqrt(static_cast<double>(p.q.head_size));
  double root = RoundToDType(std::sqrt(scale), q_in.dtype());
  p.alpha = root * root;

  const DType compute = ComputeType(q_in.dtype());
  Tensor query = Widen(q_in, compute);
  Tensor key = Widen(k_in, compute);
  Tensor value = Widen(v_in, compute);
  Tensor present_key, present_value;
  const bool want_present = ctx.output_requested(1) || ctx.output_requested(2);
  if (p.has_past || want_present) {
    Tensor past_k = p.has_past ? Widen(*past_key, compute) : Tensor();
    Tensor past_v = p.has_past ? Widen(*past_value, compute) : Tensor();
    auto concat = [&](const Tensor* past, const Tensor& current, const HeadLayout& layout) {
      return compute == DType::kFloat64 ? ConcatHeads<double>(past, current, layout, compute)
                                        : ConcatHeads<float>(past, current, layout, compute);
    };
    present_key = concat(p.has_past ? &past_k : nullptr, key, p.k);
    present_value = concat(p.has_past ? &past_v : nullptr, value, p.v);
    key = present_key;
    value = present_value;
    p.k = FourDimLayout(p.k.batch, p.k.heads, total, p.k.head_size);
    p.v = FourDimLayout(p.v.batch, p.v.heads, total, p.v.head_size);
  }

  Tensor mask;
  MaskLayout mask_layout;
  if (ctx.input(3) != nullptr) {
    const Tensor& mask_in = *ctx.input(3);
    if (mask_in.dtype() != DType::kBool && !IsSupportedFloat(mask_in.dtype())) {
      return ctx.Error(absl::StrCat("attn_mask has element type ", ir::DTypeName(mask_in.dtype()),
                                    ", expected bool or a float type"));
    }
    const int64_t target[4] = {p.q.batch, p.q.heads, p.q.seq, total};
    absl::StatusOr<MaskLayout> layout = ReadMaskLayout(ctx, mask_in, target);
    if (!layout.ok()) return layout.status();
    mask_layout = *layout;
    mask = mask_in.dtype() == DType::kBool ? mask_in : Widen(mask_in, compute);
  }

  std::vector<int64_t> y_dims;
  if (p.rank == 4) {
    p.y = FourDimLayout(p.q.batch, p.q.heads, p.q.seq, p.v.head_size);
    y_dims = {p.q.batch, p.q.heads, p.q.seq, p.v.head_size};
  } else {
    p.y = ThreeDimLayout(p.q.batch, p.q.heads, p.q.seq, p.v.head_size);
    y_dims = {p.q.batch, p.q.seq, p.q.heads * p.v.head_size};
  }
  Tensor y = Tensor::Zeros(compute, y_dims);
  Tensor qk;
  if (p.want_qk) qk = Tensor::Zeros(compute, {p.q.batch, p.q.heads, p.q.seq, total});
  const Tensor* mask_ptr = mask_layout.present ? &mask : nullptr;
  if (compute == DType::kFloat64) {
    AttentionTyped<double>(p, query.data<double>(), key.data<double>(), value.data<double>(), mask_ptr, mask_layout,
                           y.mutable_data<double>(), p.want_qk ? qk.mutable_data<double>() : nullptr);
  } else {
    AttentionTyped<float>(p, query.data<float>(), key.data<float>(), value.data<float>(), mask_ptr, mask_layout,
                          y.mutable_data<float>(), p.want_qk ? qk.mutable_data<float>() : nullptr);
  }
  ctx.set_output(0, Narrow(y, q_in.dtype()));
  if (ctx.output_requested(1)) ctx.set_output(1, Narrow(present_key, k_in.dtype()));
  if (ctx.output_requested(2)) ctx.set_output(2, Narrow(present_value, v_in.dtype()));
  if (p.want_qk) ctx.set_output(3, Narrow(qk, q_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// RMSNormalization: Y = X / sqrt(mean(X^2 over axes [axis, rank)) + epsilon) * scale.

template <typename T>
absl::Status RmsNormalizationTyped(KernelContext& ctx, const Tensor& x_in, const Tensor& scale_in, int64_t axis) {
  const DType compute = ir::DTypeOf<T>();
  Tensor x = Widen(x_in, compute);
  Tensor scale = Widen(scale_in, compute);
  const std::vector<int64_t>& dims = x.dims();
  int64_t rows = 1, cols = 1;
  for (int64_t i = 0; i < x.rank(); ++i) (i < axis ? rows : cols) *= dims[static_cast<size_t>(i)];
  std::vector<int64_t> trailing(dims.begin() + axis, dims.end());
  // The common scale covers only the normalized dims: one index map per row.
  // A scale that also spans leading dims needs a map over all of X.
  const bool per_row_map = scale.rank() <= static_cast<int64_t>(trailing.size());
  absl::StatusOr<std::vector<int64_t>> broadcast = BroadcastDims({scale.dims(), dims});
  if (!broadcast.ok() || *broadcast != dims) {
    return ctx.Error(absl::StrCat("scale shape ", scale.type().shape.ToString(), " does not broadcast to X shape ",
                                  x.type().shape.ToString()));
  }
  std::vector<int64_t> scale_index = BroadcastIndexMap(scale.dims(), per_row_map ? trailing : dims);
  const double epsilon = ctx.node().GetFloat("epsilon", 1e-5f);
  const bool stash_double = ctx.node().GetInt("stash_type", 1) == static_cast<int64_t>(DType::kFloat64);
  const T* src = x.data<T>();
  const T* s = scale.data<T>();
  Tensor y = Tensor::Zeros(compute, dims);
  T* dst = y.mutable_data<T>();
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = src + r * cols;
    double sum_squares = 0;
    for (int64_t c = 0; c < cols; ++c) sum_squares += static_cast<double>(row[c]) * row[c];
    double rms = std::sqrt(sum_squares / static_cast<double>(std::max<int64_t>(cols, 1)) + epsilon);
    if (!stash_double) rms = static_cast<float>(rms);
    const int64_t* index = scale_index.data() + (per_row_map ? 0 : r * cols);
    for (int64_t c = 0; c < cols; ++c) {
      // The normalized value is cast back to X's type before scaling.
      double normalized = RoundToDType(static_cast<double>(row[c]) / rms, x_in.dtype());
      dst[r * cols + c] = static_cast<T>(normalized * s[index[c]]);
    }
  }
  ctx.set_output(0, Narrow(y, x_in.dtype()));
  return absl::OkStatus();
}

absl::Status RmsNormalizationKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(2); !s.ok()) return s;
  const Tensor& x = *ctx.input(0);
  const Tensor& scale = *ctx.input(1);
  if (!IsSupportedFloat(x.dtype()) || !IsSupportedFloat(scale.dtype())) {
    return ctx.Error(absl::StrCat("element types ", ir::DTypeName(x.dtype()), " / ", ir::DTypeName(scale.dtype()),
                                  " are not supported by this kernel"));
  }
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", -1), x.rank());
  if (!axis.ok()) return axis.status();
  if (ComputeType(x.dtype()) == DType::kFloat64) return RmsNormalizationTyped<double>(ctx, x, scale, *axis);
  return RmsNormalizationTyped<float>(ctx, x, scale, *axis);
}

// ---------------------------------------------------------------------------
// RotaryEmbedding: rotates pairs of channels (halves, or even/odd neighbours
// when interleaved) of the first rotary_embedding_dim channels of each head
// by the angle whose cos/sin the caches hold for the token's position.

absl::Status RotaryEmbeddingKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(3); !s.ok()) return s;
  const ir::Node& node = ctx.node();
  const Tensor& x_in = *ctx.input(0);
  // The op allows f32, f16 and bf16 only; all are computed in f32.
  for (int i = 0; i < 3; ++i) {
    DType dtype = ctx.input(i)->dtype();
    if (dtype != DType::kFloat32 && dtype != DType::kFloat16 && dtype != DType::kBFloat16) {
      return ctx.Error(absl::StrCat("input ", i, " has element type ", ir::DTypeName(dtype),
                                    ", expected f32, f16 or bf16"));
    }
  }
  HeadLayout layout;
  if (x_in.rank() == 4) {
    layout = FourDimLayout(x_in.dim(0), x_in.dim(1), x_in.dim(2), x_in.dim(3));
  } else if (x_in.rank() == 3) {
    int64_t heads = node.GetInt("num_heads", 0);
    if (heads <= 0) return ctx.Error("3-D input needs a positive num_heads attribute");
    absl::StatusOr<HeadLayout> l = ReadLayout(ctx, x_in, 3, heads, "X");
    if (!l.ok()) return l.status();
    layout = *l;
  } else {
    return ctx.Error(absl::StrCat("X has rank ", x_in.rank(), ", expected 3 or 4"));
  }
  int64_t rotary_dim = node.GetInt("rotary_embedding_dim", 0);
  if (rotary_dim == 0) rotary_dim = layout.head_size;
  if (rotary_dim < 0 || rotary_dim > layout.head_size || rotary_dim % 2 != 0) {
    return ctx.Error(absl::StrCat("rotary_embedding_dim ", rotary_dim, " must be even and at most the head size ",
                                  layout.head_size));
  }
  const int64_t half = rotary_dim / 2;
  const bool interleaved = node.GetInt("interleaved", 0) != 0;
  const Tensor* position_ids = ctx.input(3);
  const Tensor cos_cache = ToFloat32(*ctx.input(1));
  const Tensor sin_cache = ToFloat32(*ctx.input(2));
  for (const Tensor* cache : {&cos_cache, &sin_cache}) {
    int64_t want_rank = position_ids != nullptr ? 2 : 3;
    if (cache->rank() != want_rank || cache->dim(cache->rank() - 1) != half) {
      return ctx.Error(absl::StrCat("cos_cache/sin_cache have shape ", cache->type().shape.ToString(), ", expected rank ",
                                    want_rank, " with last dim ", half, " (rotary_embedding_dim / 2)"));
    }
    if (position_ids == nullptr && (cache->dim(0) != layout.batch || cache->dim(1) != layout.seq)) {
      return ctx.Error(absl::StrCat("without position_ids the caches must have shape [", layout.batch, ",",
                                    layout.seq, ",", half, "]"));
    }
  }
  if (cos_cache.dims() != sin_cache.dims()) return ctx.Error("cos_cache and sin_cache differ in shape");
  std::vector<int64_t> positions;
  if (position_ids != nullptr) {
    positions = ToInt64s(*position_ids);
    if (position_ids->rank() != 2 || position_ids->dim(0) != layout.batch || position_ids->dim(1) != layout.seq) {
      return ctx.Error(absl::StrCat("position_ids has shape ", position_ids->type().shape.ToString(), ", expected [",
                                    layout.batch, ",", layout.seq, "]"));
    }
    for (int64_t pos : positions) {
      if (pos < 0 || pos >= cos_cache.dim(0)) {
        return ctx.Error(absl::StrCat("position id ", pos, " is outside the cache of ", cos_cache.dim(0), " rows"));
      }
    }
  }
  Tensor x = ToFloat32(x_in);
  Tensor y = Tensor::Zeros(DType::kFloat32, x.dims());
  const float* src = x.data<float>();
  float* dst = y.mutable_data<float>();
  std::copy(src, src + x.num_elements(), dst);
  for (int64_t b = 0; b < layout.batch; ++b) {
    for (int64_t s = 0; s < layout.seq; ++s) {
      int64_t cache_row = position_ids != nullptr ? positions[static_cast<size_t>(b * layout.seq + s)] : b * layout.seq + s;
      const float* cos_row = cos_cache.data<float>() + cache_row * half;
      const float* sin_row = sin_cache.data<float>() + cache_row * half;
      for (int64_t h = 0; h < layout.heads; ++h) {
        int64_t at = b * layout.batch_stride + h * layout.head_stride + s * layout.row_stride;
        const float* in = src + at;
        float* out = dst + at;
        for (int64_t i = 0; i < half; ++i) {
          int64_t first = interleaved ? 2 * i : i;
          int64_t second = interleaved ? 2 * i + 1 : i + half;
          float x1 = in[first], x2 = in[second];
          out[first] = cos_row[i] * x1 - sin_row[i] * x2;
          out[second] = sin_row[i] * x1 + cos_row[i] * x2;
        }
      }
    }
  }
  ctx.set_output(0, x_in.dtype() == DType::kFloat32 ? y : FromFloat32(y, x_in.dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Swish (opset 24): Y = X * sigmoid(alpha * X).

absl::Status SwishKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  const Tensor& x_in = *ctx.input(0);
  if (!IsSupportedFloat(x_in.dtype())) {
    return ctx.Error(absl::StrCat("element type ", ir::DTypeName(x_in.dtype()), " is not supported by this kernel"));
  }
  const double alpha = ctx.node().GetFloat("alpha", 1.0f);
  Tensor x = Widen(x_in, ComputeType(x_in.dtype()));
  Tensor y = Tensor::Zeros(x.dtype(), x.dims());
  auto body = [&]<typename T>() -> absl::Status {
    const T* src = x.data<T>();
    T* dst = y.mutable_data<T>();
    const T a = static_cast<T>(alpha);
    for (int64_t i = 0; i < x.num_elements(); ++i) dst[i] = src[i] / (T(1) + std::exp(-a * src[i]));
    return absl::OkStatus();
  };
  if (absl::Status s = ctx.Annotate(DispatchFloat(x.dtype(), body)); !s.ok()) return s;
  ctx.set_output(0, Narrow(y, x_in.dtype()));
  return absl::OkStatus();
}

}  // namespace

void RegisterAttentionKernels(KernelRegistry& registry) {
  registry.Register("", "Attention", AttentionKernel);
  registry.Register("", "RMSNormalization", RmsNormalizationKernel);
  registry.Register("", "RotaryEmbedding", RotaryEmbeddingKernel);
  registry.Register("", "Swish", SwishKernel);
}

}  // namespace gsopt::backend::cpu
