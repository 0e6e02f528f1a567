// Schemas and shape inference for gsopt's internal fused ops, domain "gsopt":
// FusedConv (Conv + optional activation), FusedMatMul (MatMul + optional bias
// on the last dim + optional activation), Gelu and Attention
// (Softmax(Q K^T scale) V). The fusion rules of rewrites/rules/library.rules
// produce them for gsopt's own executor; they never reach an exported model,
// because rewrites/passes/lower_internal_ops.cc turns each back into standard
// ONNX ops before export.
//
// FusedConv and FusedMatMul reuse the shape inference of Conv and MatMul (the
// ops they extend) by looking those schemas up, so the two never drift apart.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

constexpr char kGsoptDomain[] = "gsopt";

// Checks `activation` and the number of `activation_params` it needs:
// LeakyRelu takes at most one (alpha), Clip at most two (min, max), the
// others none. An empty activation means none.
absl::Status CheckActivation(const InferenceContext& ctx) {
  std::string activation = ctx.node().GetString("activation", "");
  size_t params = ctx.node().GetFloats("activation_params").size();
  size_t max_params = 0;
  if (activation == "LeakyRelu") {
    max_params = 1;
  } else if (activation == "Clip") {
    max_params = 2;
  } else if (!activation.empty() && activation != "Relu" && activation != "Sigmoid" && activation != "Tanh") {
    return ctx.Error(
        absl::StrCat("activation \"", activation, "\" is not one of \"\", Relu, LeakyRelu, Sigmoid, Tanh, Clip"));
  }
  if (params > max_params) {
    return ctx.Error(
        absl::StrCat("activation \"", activation, "\" takes at most ", max_params, " activation_params, got ", params));
  }
  return absl::OkStatus();
}

// Runs the shape inference of the default-domain op `op` on this node: the
// fused op has that op's inputs and attributes (plus its own, which the
// delegate ignores).
absl::Status InferLike(const OpRegistry& registry, absl::string_view op, InferenceContext& ctx) {
  const OpSchema* schema = registry.Find("", op);
  if (schema == nullptr || !schema->infer_shapes) {
    return absl::InternalError(absl::StrCat("fused op shape inference needs the schema of ", op));
  }
  return schema->infer_shapes(ctx);
}

absl::Status InferFusedMatMul(const OpRegistry& registry, InferenceContext& ctx) {
  if (absl::Status s = CheckActivation(ctx); !s.ok()) return s;
  if (absl::Status s = InferLike(registry, "MatMul", ctx); !s.ok()) return s;
  if (!ctx.has_input(2)) return absl::OkStatus();
  // The bias broadcasts along the last dim only, so the output shape is the
  // product's: a rank-1 bias of the output's last extent (or 1).
  const TensorType& bias = ctx.input_type(2);
  if (bias.dtype != ctx.input_type(0).dtype && bias.dtype != DType::kUndefined &&
      ctx.input_type(0).dtype != DType::kUndefined) {
    return ctx.Error(absl::StrCat("bias has dtype ", DTypeName(bias.dtype), ", expected ",
                                  DTypeName(ctx.input_type(0).dtype), " like A"));
  }
  if (!bias.shape.rank_known()) return absl::OkStatus();
  if (bias.shape.rank() != 1) return ctx.Error(absl::StrCat("bias has rank ", bias.shape.rank(), ", expected 1"));
  const TensorType& b = ctx.input_type(1);
  if (b.shape.rank_known() && b.shape.rank() >= 2) {
    const Dim& n = b.shape.dim(b.shape.rank() - 1);
    const Dim& c = bias.shape.dim(0);
    if (n.is_static() && c.is_static() && c.value() != 1 && c.value() != n.value()) {
      return ctx.Error(absl::StrCat("bias has ", c.value(), " values, expected ", n.value(), " (B's last dim) or 1"));
    }
  }
  return absl::OkStatus();
}

absl::Status InferFusedGelu(InferenceContext& ctx) {
  std::string approximate = ctx.node().GetString("approximate", "none");
  if (approximate != "none" && approximate != "tanh") {
    return ctx.Error(absl::StrCat("approximate must be \"none\" or \"tanh\", got \"", approximate, "\""));
  }
  ctx.set_output_type(0, ctx.input_type(0));
  return absl::OkStatus();
}

// Attention: Q [..., S, d], K [..., T, d] (k_transposed=1: [..., d, T]),
// V [..., T, dv] -> [..., S, dv]; the leading dims broadcast as MatMul's do.
absl::Status InferFusedAttention(InferenceContext& ctx) {
  const TensorType& q = ctx.input_type(0);
  const TensorType& k = ctx.input_type(1);
  const TensorType& v = ctx.input_type(2);
  auto differ = [](DType a, DType b) { return a != DType::kUndefined && b != DType::kUndefined && a != b; };
  if (differ(q.dtype, k.dtype) || differ(q.dtype, v.dtype)) {
    return ctx.Error(absl::StrCat("Q, K and V have dtypes ", DTypeName(q.dtype), ", ", DTypeName(k.dtype), ", ",
                                  DTypeName(v.dtype), "; expected one dtype"));
  }
  int64_t k_transposed = ctx.node().GetInt("k_transposed", 0);
  if (k_transposed != 0 && k_transposed != 1) {
    return ctx.Error(absl::StrCat("k_transposed is ", k_transposed, ", expected 0 or 1"));
  }
  if (!q.shape.rank_known() || !k.shape.rank_known() || !v.shape.rank_known()) {
    ctx.set_output_type(0, TensorType{q.dtype, Shape()});
    return absl::OkStatus();
  }
  for (const auto& [type, name] : {std::pair{&q, "Q"}, std::pair{&k, "K"}, std::pair{&v, "V"}}) {
    if (type->shape.rank() < 2) {
      return ctx.Error(absl::StrCat(name, " has rank ", type->shape.rank(), ", expected at least 2"));
    }
  }
  auto last = [](const Shape& s, int64_t from_end) { return s.dim(s.rank() - from_end); };
  auto batch = [](const Shape& s) { return Shape(std::vector<Dim>(s.dims().begin(), s.dims().end() - 2)); };
  const Dim k_depth = k_transposed ? last(k.shape, 2) : last(k.shape, 1);
  const Dim k_len = k_transposed ? last(k.shape, 1) : last(k.shape, 2);
  const Dim q_depth = last(q.shape, 1);
  const Dim v_len = last(v.shape, 2);
  if (q_depth.is_static() && k_depth.is_static() && q_depth.value() != k_depth.value()) {
    return ctx.Error(absl::StrCat("Q has depth ", q_depth.value(), " but K has ", k_depth.value()));
  }
  if (k_len.is_static() && v_len.is_static() && k_len.value() != v_len.value()) {
    return ctx.Error(absl::StrCat("K has ", k_len.value(), " keys but V has ", v_len.value()));
  }
  absl::StatusOr<Shape> qk = BroadcastShapes(batch(q.shape), batch(k.shape));
  if (!qk.ok()) return ctx.Error(absl::StrCat("Q and K batch dims: ", qk.status().message()));
  absl::StatusOr<Shape> out = BroadcastShapes(*qk, batch(v.shape));
  if (!out.ok()) return ctx.Error(absl::StrCat("scores and V batch dims: ", out.status().message()));
  std::vector<Dim> dims = out->dims();
  dims.push_back(last(q.shape, 2));
  dims.push_back(last(v.shape, 1));
  ctx.set_output_type(0, TensorType{q.dtype, Shape(std::move(dims))});
  return absl::OkStatus();
}

}  // namespace

void RegisterFusedOps(OpRegistry& registry) {
  // The registry outlives every inference call (it is the process-wide one or
  // a test's), so the delegating functions may keep a pointer to it.
  const OpRegistry* r = &registry;
  registry.Register(OpSchema{kGsoptDomain, "FusedConv", 2, 3, 1, 1, [r](InferenceContext& ctx) {
                               if (absl::Status s = CheckActivation(ctx); !s.ok()) return s;
                               return InferLike(*r, "Conv", ctx);
                             }});
  registry.Register(OpSchema{kGsoptDomain, "FusedMatMul", 2, 3, 1, 1,
                             [r](InferenceContext& ctx) { return InferFusedMatMul(*r, ctx); }});
  registry.Register(OpSchema{kGsoptDomain, "Gelu", 1, 1, 1, 1, InferFusedGelu});
  registry.Register(OpSchema{kGsoptDomain, "Attention", 3, 3, 1, 1, InferFusedAttention});
}

}  // namespace gsopt::ir
