// Schemas and shape inference for the transformer op family: Attention
// (opsets 23, 24 with nonpad_kv_seqlen, 25 with sliding windows),
// RMSNormalization (23), RotaryEmbedding (23) and Swish (24).
//
// Attention takes Q, K, V either as 4-D (batch, heads, seq, head_size) or as
// 3-D (batch, seq, heads * head_size) with q_num_heads / kv_num_heads giving
// the split; the outputs follow the same layout. Every function produces what
// is knowable: symbolic dims flow through, a dim that needs arithmetic on an
// unknown value becomes unknown, and only certain mismatches are errors.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

// Dim of `type` at `index`, or an unknown dim when the rank is unknown.
Dim DimOrUnknown(const TensorType& type, int64_t index) {
  if (!type.shape.rank_known() || index >= type.shape.rank()) return Dim();
  return type.shape.dim(index);
}

// a / divisor for a static dim (error when it does not divide), else unknown.
absl::StatusOr<Dim> DivideDim(const InferenceContext& ctx, const Dim& a, int64_t divisor, absl::string_view what) {
  if (!a.is_static()) return Dim();
  if (a.value() % divisor != 0) {
    return ctx.Error(absl::StrCat(what, " ", a.value(), " is not a multiple of the head count ", divisor));
  }
  return Dim(a.value() / divisor);
}

Dim MultiplyDim(const Dim& a, int64_t factor) { return a.is_static() ? Dim(a.value() * factor) : Dim(); }

Dim AddDims(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim(a.value() + b.value());
  if (a.is_static() && a.value() == 0) return b;
  if (b.is_static() && b.value() == 0) return a;
  return Dim();
}

bool CertainlyDifferent(const Dim& a, const Dim& b) {
  return a.is_static() && b.is_static() && a.value() != b.value();
}

// The logical 4-D view (batch, heads, seq, head_size) of one of Q, K, V.
struct HeadShape {
  Dim batch, heads, seq, head_size;
};

absl::StatusOr<HeadShape> ReadHeadShape(const InferenceContext& ctx, const TensorType& type, int64_t rank,
                                        std::optional<int64_t> num_heads, absl::string_view name) {
  if (type.shape.rank_known() && type.shape.rank() != rank) {
    return ctx.Error(absl::StrCat(name, " has rank ", type.shape.rank(), ", expected ", rank, " like Q"));
  }
  HeadShape s;
  s.batch = DimOrUnknown(type, 0);
  if (rank == 4) {
    s.heads = DimOrUnknown(type, 1);
    s.seq = DimOrUnknown(type, 2);
    s.head_size = DimOrUnknown(type, 3);
    return s;
  }
  s.heads = Dim(*num_heads);
  s.seq = DimOrUnknown(type, 1);
  absl::StatusOr<Dim> head_size = DivideDim(ctx, DimOrUnknown(type, 2), *num_heads, absl::StrCat(name, " hidden size"));
  if (!head_size.ok()) return head_size.status();
  s.head_size = *head_size;
  return s;
}

absl::Status InferAttention(InferenceContext& ctx) {
  const TensorType& q = ctx.input_type(0);
  const TensorType& k = ctx.input_type(1);
  const TensorType& v = ctx.input_type(2);
  const Node& node = ctx.node();
  int64_t rank = q.shape.rank_known() ? q.shape.rank() : (k.shape.rank_known() ? k.shape.rank() : v.shape.rank());
  if (rank == -1) {
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      ctx.set_output_type(i, TensorType{i == 2 ? v.dtype : q.dtype, Shape()});
    }
    return absl::OkStatus();
  }
  if (rank != 3 && rank != 4) return ctx.Error(absl::StrCat("Q has rank ", rank, ", expected 3 or 4"));
  std::optional<int64_t> q_heads, kv_heads;
  if (rank == 3) {
    if (node.FindAttribute("q_num_heads") == nullptr || node.FindAttribute("kv_num_heads") == nullptr) {
      return ctx.Error("3-D inputs need the q_num_heads and kv_num_heads attributes");
    }
    q_heads = node.GetInt("q_num_heads", 0);
    kv_heads = node.GetInt("kv_num_heads", 0);
    if (*q_heads <= 0 || *kv_heads <= 0) {
      return ctx.Error(absl::StrCat("q_num_heads ", *q_heads, " and kv_num_heads ", *kv_heads, " must be positive"));
    }
  }
  absl::StatusOr<HeadShape> qs = ReadHeadShape(ctx, q, rank, q_heads, "Q");
  if (!qs.ok()) return qs.status();
  absl::StatusOr<HeadShape> ks = ReadHeadShape(ctx, k, rank, kv_heads, "K");
  if (!ks.ok()) return ks.status();
  absl::StatusOr<HeadShape> vs = ReadHeadShape(ctx, v, rank, kv_heads, "V");
  if (!vs.ok()) return vs.status();
  if (CertainlyDifferent(qs->head_size, ks->head_size)) {
    return ctx.Error(absl::StrCat("Q head size ", qs->head_size.value(), " differs from K head size ",
                                  ks->head_size.value()));
  }
  if (CertainlyDifferent(ks->seq, vs->seq)) {
    return ctx.Error(absl::StrCat("K has ", ks->seq.value(), " positions but V has ", vs->seq.value()));
  }
  if (qs->heads.is_static() && ks->heads.is_static() && ks->heads.value() > 0 &&
      qs->heads.value() % ks->heads.value() != 0) {
    return ctx.Error(absl::StrCat("q_num_heads ", qs->heads.value(), " is not a multiple of kv_num_heads ",
                                  ks->heads.value()));
  }
  Dim batch = qs->batch.is_unknown() ? ks->batch : qs->batch;

  Dim past_seq = Dim(0);
  if (ctx.has_input(4)) {
    const TensorType& past_key = ctx.input_type(4);
    if (past_key.shape.rank_known() && past_key.shape.rank() != 4) {
      return ctx.Error(absl::StrCat("past_key has rank ", past_key.shape.rank(), ", expected 4"));
    }
    past_seq = DimOrUnknown(past_key, 2);
  }
  if (ctx.has_input(4) != ctx.has_input(5)) return ctx.Error("past_key and past_value must be given together");
  Dim total_seq = AddDims(past_seq, ks->seq);

  if (rank == 4) {
    ctx.set_output_type(0, TensorType{q.dtype, Shape({batch, qs->heads, qs->seq, vs->head_size})});
  } else {
    Dim hidden = vs->head_size.is_static() ? MultiplyDim(vs->head_size, *q_heads) : Dim();
    if (!vs->head_size.is_static() && *q_heads == *kv_heads) hidden = DimOrUnknown(v, 2);
    ctx.set_output_type(0, TensorType{q.dtype, Shape({batch, qs->seq, hidden})});
  }
  if (ctx.num_outputs() > 1) {
    ctx.set_output_type(1, TensorType{k.dtype, Shape({batch, ks->heads, total_seq, ks->head_size})});
  }
  if (ctx.num_outputs() > 2) {
    ctx.set_output_type(2, TensorType{v.dtype, Shape({batch, ks->heads, total_seq, vs->head_size})});
  }
  if (ctx.num_outputs() > 3) {
    ctx.set_output_type(3, TensorType{q.dtype, Shape({batch, qs->heads, qs->seq, total_seq})});
  }
  return absl::OkStatus();
}

absl::Status InferRmsNormalization(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (x.dtype != DType::kUndefined && !IsFloatingPoint(x.dtype)) {
    return ctx.Error(absl::StrCat("X has element type ", DTypeName(x.dtype), ", expected a float type"));
  }
  if (x.shape.rank_known()) {
    absl::StatusOr<int64_t> axis = NormalizeAxis(ctx.node().GetInt("axis", -1), x.shape.rank());
    if (!axis.ok()) return ctx.Error(axis.status().message());
    const Shape& scale = ctx.input_type(1).shape;
    if (scale.rank_known()) {
      if (scale.rank() > x.shape.rank()) {
        return ctx.Error(absl::StrCat("scale has rank ", scale.rank(), ", more than X's ", x.shape.rank()));
      }
      for (int64_t i = 0; i < scale.rank(); ++i) {
        const Dim& s = scale.dim(scale.rank() - 1 - i);
        const Dim& d = x.shape.dim(x.shape.rank() - 1 - i);
        if (s.is_static() && s.value() != 1 && CertainlyDifferent(s, d)) {
          return ctx.Error(absl::StrCat("scale shape ", scale.ToString(), " does not broadcast to X shape ",
                                        x.shape.ToString()));
        }
      }
    }
  }
  ctx.set_output_type(0, x);
  return absl::OkStatus();
}

absl::Status InferRotaryEmbedding(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (x.shape.rank_known() && x.shape.rank() != 3 && x.shape.rank() != 4) {
    return ctx.Error(absl::StrCat("X has rank ", x.shape.rank(), ", expected 3 or 4"));
  }
  if (x.shape.rank() == 3 && ctx.node().GetInt("num_heads", 0) <= 0) {
    return ctx.Error("3-D input needs a positive num_heads attribute");
  }
  int64_t cache_rank = ctx.has_input(3) ? 2 : 3;
  for (int i = 1; i <= 2; ++i) {
    const Shape& cache = ctx.input_type(i).shape;
    if (cache.rank_known() && cache.rank() != cache_rank) {
      return ctx.Error(absl::StrCat(i == 1 ? "cos_cache" : "sin_cache", " has rank ", cache.rank(), ", expected ",
                                    cache_rank, ctx.has_input(3) ? " with position_ids" : " without position_ids"));
    }
  }
  ctx.set_output_type(0, x);
  return absl::OkStatus();
}

void Register(OpRegistry& registry, std::string name, int min_inputs, int max_inputs, int min_outputs,
              int max_outputs, ShapeInferenceFn infer) {
  registry.Register(OpSchema{"", std::move(name), min_inputs, max_inputs, min_outputs, max_outputs, std::move(infer)});
}

}  // namespace

void RegisterAttentionOps(OpRegistry& registry) {
  Register(registry, "Attention", 3, 7, 1, 4, InferAttention);
  Register(registry, "RMSNormalization", 2, 2, 1, 1, InferRmsNormalization);
  Register(registry, "RotaryEmbedding", 3, 4, 1, 1, InferRotaryEmbedding);
  RegisterUnaryLike(registry, "Swish");
}

}  // namespace gsopt::ir
