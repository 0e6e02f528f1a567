// CPU kernels for gsopt's internal fused ops (domain "gsopt", schemas in
// ir/ops/fused_ops.cc). Each runs the existing kernels of its parts on
// temporary nodes (the same pattern as rewrites/engine/const_eval.cc), so the
// fused op computes exactly what the unfused graph computes; what fusion
// saves here is the intermediate tensors' separate passes: the activation is
// applied in place on the product's buffer (float32, the dtype the fusion
// rules produce; other dtypes run the activation's own kernel).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {
namespace {

constexpr char kGsoptDomain[] = "gsopt";
// The opset the part kernels run at: Conv, MatMul, Add, the activations and
// Transpose mean the same at every opset since 13; Softmax needs >= 13 for
// its last-axis semantics and Gelu exists from 20.
constexpr int64_t kPartsOpset = 20;

// Runs the default-domain kernel `op` on `inputs` (nullptr = omitted) with
// `attributes`; errors name the fused node they come from.
absl::StatusOr<ir::Tensor> RunPart(const KernelContext& ctx, const std::string& op,
                                   std::vector<const ir::Tensor*> inputs, ir::AttributeMap attributes = {}) {
  const KernelFn* kernel = KernelRegistry::Global().Find("", op);
  if (kernel == nullptr) return ctx.Error(absl::StrCat("no CPU kernel for its part ", op));
  ir::Node node;
  node.name = absl::StrCat(ctx.node().name, "/", op);
  node.op_type = op;
  node.attributes = std::move(attributes);
  for (const ir::Tensor* input : inputs) node.inputs.push_back(input == nullptr ? ir::kNoValue : 0);
  node.outputs = {0};
  std::vector<ir::Tensor> outputs(1);
  KernelContext part(node, kPartsOpset, std::move(inputs), &outputs);
  if (absl::Status status = (*kernel)(part); !status.ok()) return ctx.Annotate(status);
  return std::move(outputs[0]);
}

// `value` as a scalar of `dtype` (Clip's bounds, Attention's scale for
// non-float32 tensors).
absl::StatusOr<ir::Tensor> ScalarOf(const KernelContext& ctx, float value, ir::DType dtype) {
  const ir::Tensor scalar = ir::Tensor::Scalar<float>(value);
  return RunPart(ctx, "Cast", {&scalar}, {{"to", ir::Attribute(static_cast<int64_t>(dtype))}});
}

// The node's attributes without the fused op's own, for its main part.
ir::AttributeMap PartAttributes(const ir::Node& node) {
  ir::AttributeMap attributes = node.attributes;
  attributes.erase("activation");
  attributes.erase("activation_params");
  return attributes;
}

// Applies the node's `activation` (with `activation_params`) to `t`.
absl::Status ApplyActivation(const KernelContext& ctx, ir::Tensor& t) {
  const std::string activation = ctx.node().GetString("activation", "");
  if (activation.empty()) return absl::OkStatus();
  const std::vector<float> params = ctx.node().GetFloats("activation_params");
  const float alpha = params.empty() ? 0.01f : params[0];
  const float lo = params.empty() ? -std::numeric_limits<float>::infinity() : params[0];
  const float hi = params.size() < 2 ? std::numeric_limits<float>::infinity() : params[1];
  if (t.dtype() == ir::DType::kFloat32) {
    float* x = t.mutable_data<float>();
    const int64_t n = t.num_elements();
    if (activation == "Relu") {
      for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
    } else if (activation == "LeakyRelu") {
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] < 0.0f ? x[i] * alpha : x[i];
    } else if (activation == "Sigmoid") {
      for (int64_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
    } else if (activation == "Tanh") {
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
    } else if (activation == "Clip") {
      for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], lo), hi);
    } else {
      return ctx.Error(absl::StrCat("unknown activation \"", activation, "\""));
    }
    return absl::OkStatus();
  }
  // Other dtypes: the activation op's own kernel (Clip's bounds as inputs of t's dtype).
  absl::StatusOr<ir::Tensor> out;
  if (activation == "LeakyRelu") {
    out = RunPart(ctx, "LeakyRelu", {&t}, {{"alpha", ir::Attribute(alpha)}});
  } else if (activation == "Clip") {
    absl::StatusOr<ir::Tensor> lo_t = ScalarOf(ctx, lo, t.dtype());
    absl::StatusOr<ir::Tensor> hi_t = ScalarOf(ctx, hi, t.dtype());
    if (!lo_t.ok()) return lo_t.status();
    if (!hi_t.ok()) return hi_t.status();
    out = RunPart(ctx, "Clip", {&t, &*lo_t, &*hi_t});
  } else if (activation == "Relu" || activation == "Sigmoid" || activation == "Tanh") {
    out = RunPart(ctx, activation, {&t});
  } else {
    return ctx.Error(absl::StrCat("unknown activation \"", activation, "\""));
  }
  if (!out.ok()) return out.status();
  t = *std::move(out);
  return absl::OkStatus();
}

absl::Status FusedConvKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(2); !s.ok()) return s;
  absl::StatusOr<ir::Tensor> y =
      RunPart(ctx, "Conv", {ctx.input(0), ctx.input(1), ctx.input(2)}, PartAttributes(ctx.node()));
  if (!y.ok()) return y.status();
  if (absl::Status s = ApplyActivation(ctx, *y); !s.ok()) return s;
  ctx.set_output(0, *std::move(y));
  return absl::OkStatus();
}

absl::Status FusedMatMulKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(2); !s.ok()) return s;
  absl::StatusOr<ir::Tensor> y = RunPart(ctx, "MatMul", {ctx.input(0), ctx.input(1)});
  if (!y.ok()) return y.status();
  if (const ir::Tensor* bias = ctx.input(2); bias != nullptr) {
    if (bias->dims().size() != 1 || y->dims().empty() ||
        (bias->dims()[0] != 1 && bias->dims()[0] != y->dims().back())) {
      return ctx.Error(absl::StrCat("bias must be 1-D with the product's last extent ",
                                    y->dims().empty() ? 0 : y->dims().back(), " (or 1)"));
    }
    if (y->dtype() == ir::DType::kFloat32 && bias->dtype() == ir::DType::kFloat32) {
      // In place: the product's rows each get the bias.
      float* out = y->mutable_data<float>();
      const float* b = bias->data<float>();
      const int64_t n = y->dims().back();
      const bool scalar = bias->dims()[0] == 1;
      for (int64_t i = 0; i < y->num_elements(); ++i) out[i] += b[scalar ? 0 : i % n];
    } else {
      y = RunPart(ctx, "Add", {&*y, bias});
      if (!y.ok()) return y.status();
    }
  }
  if (absl::Status s = ApplyActivation(ctx, *y); !s.ok()) return s;
  ctx.set_output(0, *std::move(y));
  return absl::OkStatus();
}

absl::Status GeluKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(1); !s.ok()) return s;
  absl::StatusOr<ir::Tensor> y = RunPart(ctx, "Gelu", {ctx.input(0)},
                                         {{"approximate", ir::Attribute(ctx.node().GetString("approximate", "none"))}});
  if (!y.ok()) return y.status();
  ctx.set_output(0, *std::move(y));
  return absl::OkStatus();
}

// Softmax(Q K^T scale, last axis) V.
absl::Status AttentionKernel(KernelContext& ctx) {
  if (absl::Status s = ctx.RequireInputs(3); !s.ok()) return s;
  const ir::Tensor& k = *ctx.input(1);
  ir::Tensor k_t;
  if (ctx.node().GetInt("k_transposed", 0) == 0) {
    const int64_t rank = static_cast<int64_t>(k.dims().size());
    if (rank < 2) return ctx.Error(absl::StrCat("K has rank ", rank, ", expected at least 2"));
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < rank; ++i) perm.push_back(i);
    std::swap(perm[static_cast<size_t>(rank - 1)], perm[static_cast<size_t>(rank - 2)]);
    absl::StatusOr<ir::Tensor> t = RunPart(ctx, "Transpose", {&k}, {{"perm", ir::Attribute(perm)}});
    if (!t.ok()) return t.status();
    k_t = *std::move(t);
  } else {
    k_t = k;
  }
  absl::StatusOr<ir::Tensor> scores = RunPart(ctx, "MatMul", {ctx.input(0), &k_t});
  if (!scores.ok()) return scores.status();
  const float scale = ctx.node().GetFloat("scale", 1.0f);
  if (scale != 1.0f) {
    if (scores->dtype() == ir::DType::kFloat32) {
      float* s = scores->mutable_data<float>();
      for (int64_t i = 0; i < scores->num_elements(); ++i) s[i] *= scale;
    } else {
      absl::StatusOr<ir::Tensor> factor = ScalarOf(ctx, scale, scores->dtype());
      if (!factor.ok()) return factor.status();
      scores = RunPart(ctx, "Mul", {&*scores, &*factor});
      if (!scores.ok()) return scores.status();
    }
  }
  absl::StatusOr<ir::Tensor> probs = RunPart(ctx, "Softmax", {&*scores}, {{"axis", ir::Attribute(int64_t{-1})}});
  if (!probs.ok()) return probs.status();
  absl::StatusOr<ir::Tensor> y = RunPart(ctx, "MatMul", {&*probs, ctx.input(2)});
  if (!y.ok()) return y.status();
  ctx.set_output(0, *std::move(y));
  return absl::OkStatus();
}

}  // namespace

void RegisterFusedKernels(KernelRegistry& registry) {
  registry.Register(kGsoptDomain, "FusedConv", FusedConvKernel);
  registry.Register(kGsoptDomain, "FusedMatMul", FusedMatMulKernel);
  registry.Register(kGsoptDomain, "Gelu", GeluKernel);
  registry.Register(kGsoptDomain, "Attention", AttentionKernel);
}

}  // namespace gsopt::backend::cpu
