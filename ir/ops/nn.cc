// Schemas and shape inference for the neural-network op family: matrix
// products (MatMul, Gemm, Einsum), convolutions, pooling, the normalizations
// (batch, instance, layer, group, LRN, Lp, mean-variance, and ONNX Runtime's
// com.microsoft LayerNormalization / SkipLayerNormalization) and the softmax
// family. Every function produces what is knowable: a symbolic or unknown
// input dim gives an unknown output dim (or keeps the symbol where the op
// provably preserves it), unknown rank gives unknown rank, and only certain
// mismatches (two static dims that cannot agree) are errors.
//
// Opset differences handled here: Softmax/LogSoftmax/Hardmax coerce to 2-D
// before opset 13; BatchNormalization has 5 outputs before 14 and 3 from 14;
// GroupNormalization's scale is per group at 18 and per channel from 21;
// pooling gained ceil_mode (10) and dilations (MaxPool 10, AveragePool 19,
// LpPool 18).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

constexpr char kMicrosoftDomain[] = "com.microsoft";

// Static dims that certainly differ.
bool CertainlyDifferent(const Dim& a, const Dim& b) {
  return a.is_static() && b.is_static() && a.value() != b.value();
}

// The element type both inputs must share; an error when both are known and differ.
absl::StatusOr<DType> CommonDType(const InferenceContext& ctx, int a, int b) {
  DType da = ctx.input_type(a).dtype;
  DType db = ctx.input_type(b).dtype;
  if (da != DType::kUndefined && db != DType::kUndefined && da != db) {
    return ctx.Error(absl::StrCat("inputs ", a, " and ", b, " have different element types (",
                                  DTypeName(da), " vs ", DTypeName(db), ")"));
  }
  return da != DType::kUndefined ? da : db;
}

// ---------------------------------------------------------------------------
// Matrix products

absl::Status InferMatMul(InferenceContext& ctx) {
  absl::StatusOr<DType> dtype = CommonDType(ctx, 0, 1);
  if (!dtype.ok()) return dtype.status();
  const Shape& a = ctx.input_type(0).shape;
  const Shape& b = ctx.input_type(1).shape;
  if (!a.rank_known() || !b.rank_known()) {
    ctx.set_output_type(0, TensorType{*dtype, Shape()});
    return absl::OkStatus();
  }
  if (a.rank() == 0 || b.rank() == 0) return ctx.Error("MatMul operands must have rank >= 1");
  // numpy semantics: a 1-D A is a row vector, a 1-D B a column vector; the
  // added dim is dropped from the result.
  std::vector<Dim> a_dims = a.dims();
  std::vector<Dim> b_dims = b.dims();
  bool a_vector = a_dims.size() == 1;
  bool b_vector = b_dims.size() == 1;
  if (a_vector) a_dims.insert(a_dims.begin(), Dim(1));
  if (b_vector) b_dims.push_back(Dim(1));
  const Dim& k_a = a_dims.back();
  const Dim& k_b = b_dims[b_dims.size() - 2];
  if (CertainlyDifferent(k_a, k_b)) {
    return ctx.Error(absl::StrCat("inner dimensions differ: A is ", a.ToString(), ", B is ", b.ToString()));
  }
  Shape a_batch(std::vector<Dim>(a_dims.begin(), a_dims.end() - 2));
  Shape b_batch(std::vector<Dim>(b_dims.begin(), b_dims.end() - 2));
  absl::StatusOr<Shape> batch = BroadcastShapes(a_batch, b_batch);
  if (!batch.ok()) {
    return ctx.Error(absl::StrCat("batch dimensions do not broadcast: A is ", a.ToString(), ", B is ",
                                  b.ToString()));
  }
  std::vector<Dim> out = batch->dims();
  if (!a_vector) out.push_back(a_dims[a_dims.size() - 2]);
  if (!b_vector) out.push_back(b_dims.back());
  ctx.set_output_type(0, TensorType{*dtype, Shape(std::move(out))});
  return absl::OkStatus();
}

absl::Status InferGemm(InferenceContext& ctx) {
  absl::StatusOr<DType> dtype = CommonDType(ctx, 0, 1);
  if (!dtype.ok()) return dtype.status();
  const Shape& a = ctx.input_type(0).shape;
  const Shape& b = ctx.input_type(1).shape;
  if (a.rank_known() && a.rank() != 2) return ctx.Error(absl::StrCat("A has rank ", a.rank(), ", expected 2"));
  if (b.rank_known() && b.rank() != 2) return ctx.Error(absl::StrCat("B has rank ", b.rank(), ", expected 2"));
  bool trans_a = ctx.node().GetInt("transA", 0) != 0;
  bool trans_b = ctx.node().GetInt("transB", 0) != 0;
  Dim m, n, k_a, k_b;
  if (a.rank_known()) {
    m = a.dim(trans_a ? 1 : 0);
    k_a = a.dim(trans_a ? 0 : 1);
  }
  if (b.rank_known()) {
    n = b.dim(trans_b ? 0 : 1);
    k_b = b.dim(trans_b ? 1 : 0);
  }
  if (CertainlyDifferent(k_a, k_b)) {
    return ctx.Error(absl::StrCat("inner dimensions differ: A is ", a.ToString(), (trans_a ? " (transposed)" : ""),
                                  ", B is ", b.ToString(), (trans_b ? " (transposed)" : "")));
  }
  if (ctx.has_input(2)) {
    const Shape& c = ctx.input_type(2).shape;
    if (c.rank_known()) {
      if (c.rank() > 2) return ctx.Error(absl::StrCat("C has rank ", c.rank(), ", expected at most 2"));
      // C broadcasts one way only, onto (M, N).
      std::vector<Dim> target = {m, n};
      for (int64_t i = 0; i < c.rank(); ++i) {
        const Dim& cd = c.dim(c.rank() - 1 - i);
        const Dim& td = target[static_cast<size_t>(1 - i)];
        if (cd.is_static() && cd.value() != 1 && CertainlyDifferent(cd, td)) {
          return ctx.Error(absl::StrCat("C of shape ", c.ToString(), " does not broadcast to (",
                                        td.ToString(), ") at its dim ", c.rank() - 1 - i));
        }
      }
    }
  }
  ctx.set_output_type(0, TensorType{*dtype, Shape(std::vector<Dim>{m, n})});
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Convolution and pooling geometry

// The per-spatial-axis attributes of Conv, ConvTranspose and the pools.
struct WindowAttributes {
  std::vector<std::optional<int64_t>> kernel;  // nullopt: not knowable yet
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;  // begins then ends
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;
};

absl::StatusOr<std::vector<int64_t>> ReadSpatialInts(const InferenceContext& ctx, absl::string_view name,
                                                     size_t count, int64_t fill, int64_t minimum) {
  absl::StatusOr<std::vector<int64_t>> values = SpatialIntsAttribute(ctx.node(), name, count, fill, minimum);
  if (!values.ok()) return ctx.Error(values.status().message());
  return values;
}

// `kernel_from_weight` holds the weight's spatial dims (Conv), or is empty for
// pools whose kernel_shape attribute is required.
absl::StatusOr<WindowAttributes> ReadWindowAttributes(const InferenceContext& ctx, size_t spatial,
                                                      const std::vector<Dim>* kernel_from_weight) {
  WindowAttributes w;
  std::vector<int64_t> kernel_attr = ctx.node().GetInts("kernel_shape");
  if (!kernel_attr.empty()) {
    if (kernel_attr.size() != spatial) {
      return ctx.Error(absl::StrCat("kernel_shape has ", kernel_attr.size(), " values, expected ", spatial));
    }
    for (size_t i = 0; i < spatial; ++i) {
      if (kernel_attr[i] < 1) return ctx.Error(absl::StrCat("kernel_shape has value ", kernel_attr[i]));
      if (kernel_from_weight != nullptr && CertainlyDifferent((*kernel_from_weight)[i], Dim(kernel_attr[i]))) {
        return ctx.Error(absl::StrCat("kernel_shape [", absl::StrJoin(kernel_attr, ","),
                                      "] does not match the weight's spatial dims"));
      }
      w.kernel.push_back(kernel_attr[i]);
    }
  } else if (kernel_from_weight != nullptr) {
    for (const Dim& d : *kernel_from_weight) {
      w.kernel.push_back(d.is_static() ? std::optional<int64_t>(d.value()) : std::nullopt);
    }
  } else {
    return ctx.Error("kernel_shape attribute is required");
  }
  absl::StatusOr<std::vector<int64_t>> strides = ReadSpatialInts(ctx, "strides", spatial, 1, 1);
  if (!strides.ok()) return strides.status();
  absl::StatusOr<std::vector<int64_t>> dilations = ReadSpatialInts(ctx, "dilations", spatial, 1, 1);
  if (!dilations.ok()) return dilations.status();
  absl::StatusOr<std::vector<int64_t>> pads = ReadSpatialInts(ctx, "pads", 2 * spatial, 0, 0);
  if (!pads.ok()) return pads.status();
  absl::StatusOr<AutoPad> auto_pad = AutoPadAttribute(ctx.node());
  if (!auto_pad.ok()) return ctx.Error(auto_pad.status().message());
  w.strides = *std::move(strides);
  w.dilations = *std::move(dilations);
  w.pads = *std::move(pads);
  w.auto_pad = *auto_pad;
  w.ceil_mode = ctx.node().GetInt("ceil_mode", 0) != 0;
  return w;
}

// Output extent of a sliding window along spatial axis `i` (Conv and the pools).
absl::StatusOr<Dim> WindowOutputDim(const InferenceContext& ctx, const Dim& in, const WindowAttributes& w,
                                    size_t i) {
  size_t spatial = w.strides.size();
  int64_t stride = w.strides[i];
  if (w.auto_pad == AutoPad::kSameUpper || w.auto_pad == AutoPad::kSameLower) {
    if (stride == 1) return in;  // SAME keeps the extent, symbolic or not
    if (!in.is_static()) return Dim();
    return Dim((in.value() + stride - 1) / stride);
  }
  int64_t pad_total = w.auto_pad == AutoPad::kValid ? 0 : w.pads[i] + w.pads[spatial + i];
  if (!w.kernel[i].has_value()) return Dim();
  int64_t effective_kernel = (*w.kernel[i] - 1) * w.dilations[i] + 1;
  if (!in.is_static()) {
    // A 1-wide window at stride 1 without padding maps each position to itself.
    if (effective_kernel == 1 && stride == 1 && pad_total == 0) return in;
    return Dim();
  }
  int64_t span = in.value() + pad_total - effective_kernel;
  if (span < 0) {
    return ctx.Error(absl::StrCat("spatial dim ", i, " of extent ", in.value(), " (padded by ", pad_total,
                                  ") is smaller than the kernel window ", effective_kernel));
  }
  int64_t out = span / stride + 1;
  if (w.ceil_mode && w.auto_pad == AutoPad::kNotSet) {
    out = (span + stride - 1) / stride + 1;
    // The last window must start inside the input or its leading padding.
    if ((out - 1) * stride >= in.value() + w.pads[i]) --out;
  }
  return Dim(out);
}

// Conv and the windowed pools: X is (N, C, D1..Dn); output (N, channels, out1..outn).
absl::Status SetWindowedOutput(InferenceContext& ctx, const Shape& x, const Dim& channels,
                               const WindowAttributes& w, DType dtype, int output = 0) {
  std::vector<Dim> out = {x.dim(0), channels};
  for (size_t i = 0; i < w.strides.size(); ++i) {
    absl::StatusOr<Dim> d = WindowOutputDim(ctx, x.dim(static_cast<int64_t>(i) + 2), w, i);
    if (!d.ok()) return d.status();
    out.push_back(*d);
  }
  ctx.set_output_type(output, TensorType{dtype, Shape(std::move(out))});
  return absl::OkStatus();
}

// What Conv and ConvTranspose shape inference both check before their
// geometry differs: a common dtype of X and W, equal ranks of at least 3, a
// positive group, and the kernel's spatial dims from W (unknown if W's rank
// is). `rank` is -1 when neither X nor W has a known rank.
struct ConvShapes {
  DType dtype = DType::kUndefined;
  int64_t rank = -1;
  size_t spatial = 0;
  int64_t group = 1;
  std::vector<Dim> kernel_dims;
};

absl::StatusOr<ConvShapes> ReadConvShapes(const InferenceContext& ctx) {
  ConvShapes conv;
  absl::StatusOr<DType> dtype = CommonDType(ctx, 0, 1);
  if (!dtype.ok()) return dtype.status();
  conv.dtype = *dtype;
  const Shape& x = ctx.input_type(0).shape;
  const Shape& weight = ctx.input_type(1).shape;
  conv.rank = x.rank_known() ? x.rank() : weight.rank();
  if (conv.rank < 0) return conv;
  if (conv.rank < 3) {
    return ctx.Error(absl::StrCat("input has rank ", conv.rank, ", expected at least 3 (N, C, spatial...)"));
  }
  if (x.rank_known() && weight.rank_known() && x.rank() != weight.rank()) {
    return ctx.Error(absl::StrCat("weight has ", weight.rank(), " dims, expected ", x.rank()));
  }
  conv.spatial = static_cast<size_t>(conv.rank - 2);
  conv.group = ctx.node().GetInt("group", 1);
  if (conv.group < 1) return ctx.Error(absl::StrCat("group is ", conv.group, ", expected >= 1"));
  conv.kernel_dims.resize(conv.spatial);
  if (weight.rank_known()) conv.kernel_dims.assign(weight.dims().begin() + 2, weight.dims().end());
  return conv;
}

absl::Status InferConv(InferenceContext& ctx) {
  absl::StatusOr<ConvShapes> conv = ReadConvShapes(ctx);
  if (!conv.ok()) return conv.status();
  const DType* dtype = &conv->dtype;
  if (conv->rank < 0) {
    ctx.set_output_type(0, TensorType{*dtype, Shape()});
    return absl::OkStatus();
  }
  const Shape& x = ctx.input_type(0).shape;
  const Shape& weight = ctx.input_type(1).shape;
  const int64_t rank = conv->rank;
  const size_t spatial = conv->spatial;
  const int64_t group = conv->group;
  std::vector<Dim> kernel_dims = conv->kernel_dims;
  Dim out_channels;
  if (weight.rank_known()) {
    out_channels = weight.dim(0);
    if (x.rank_known() && x.dim(1).is_static() && weight.dim(1).is_static() &&
        x.dim(1).value() != weight.dim(1).value() * group) {
      return ctx.Error(absl::StrCat("input has ", x.dim(1).value(), " channels but weight expects ",
                                    weight.dim(1).value(), " x group ", group));
    }
    if (out_channels.is_static() && out_channels.value() % group != 0) {
      return ctx.Error(absl::StrCat("weight has ", out_channels.value(), " output channels, not divisible by group ",
                                    group));
    }
  }
  if (ctx.has_input(2)) {
    const Shape& bias = ctx.input_type(2).shape;
    if (bias.rank_known() && bias.rank() != 1) return ctx.Error(absl::StrCat("bias has rank ", bias.rank(), ", expected 1"));
    if (bias.rank_known() && CertainlyDifferent(bias.dim(0), out_channels)) {
      return ctx.Error(absl::StrCat("bias has ", bias.dim(0).value(), " values, expected ", out_channels.value()));
    }
  }
  absl::StatusOr<WindowAttributes> w = ReadWindowAttributes(ctx, spatial, &kernel_dims);
  if (!w.ok()) return w.status();
  if (!x.rank_known()) {
    std::vector<Dim> out(static_cast<size_t>(rank));
    out[1] = out_channels;
    ctx.set_output_type(0, TensorType{*dtype, Shape(std::move(out))});
    return absl::OkStatus();
  }
  return SetWindowedOutput(ctx, x, out_channels, *w, *dtype);
}

absl::Status InferConvTranspose(InferenceContext& ctx) {
  absl::StatusOr<ConvShapes> conv = ReadConvShapes(ctx);
  if (!conv.ok()) return conv.status();
  const DType* dtype = &conv->dtype;
  if (conv->rank < 0) {
    ctx.set_output_type(0, TensorType{*dtype, Shape()});
    return absl::OkStatus();
  }
  const Shape& x = ctx.input_type(0).shape;
  const Shape& weight = ctx.input_type(1).shape;
  const int64_t rank = conv->rank;
  const size_t spatial = conv->spatial;
  const int64_t group = conv->group;
  std::vector<Dim> kernel_dims = conv->kernel_dims;
  Dim out_channels;
  if (weight.rank_known()) {
    if (weight.dim(1).is_static()) out_channels = Dim(weight.dim(1).value() * group);
    if (x.rank_known() && CertainlyDifferent(x.dim(1), weight.dim(0))) {
      return ctx.Error(absl::StrCat("input has ", x.dim(1).value(), " channels but weight has ",
                                    weight.dim(0).value(), " input channels"));
    }
  }
  if (ctx.has_input(2)) {
    const Shape& bias = ctx.input_type(2).shape;
    if (bias.rank_known() && bias.rank() != 1) return ctx.Error(absl::StrCat("bias has rank ", bias.rank(), ", expected 1"));
    if (bias.rank_known() && CertainlyDifferent(bias.dim(0), out_channels)) {
      return ctx.Error(absl::StrCat("bias has ", bias.dim(0).value(), " values, expected ", out_channels.value()));
    }
  }
  absl::StatusOr<WindowAttributes> w = ReadWindowAttributes(ctx, spatial, &kernel_dims);
  if (!w.ok()) return w.status();
  absl::StatusOr<std::vector<int64_t>> output_padding = ReadSpatialInts(ctx, "output_padding", spatial, 0, 0);
  if (!output_padding.ok()) return output_padding.status();
  std::vector<int64_t> output_shape = ctx.node().GetInts("output_shape");
  if (!output_shape.empty()) {
    // Either the spatial extents or the whole (N, C, spatial...) shape.
    if (output_shape.size() == spatial + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
    if (output_shape.size() != spatial) {
      return ctx.Error(absl::StrCat("output_shape has ", output_shape.size(), " values, expected ", spatial));
    }
  }
  std::vector<Dim> out(static_cast<size_t>(rank));
  if (x.rank_known()) out[0] = x.dim(0);
  out[1] = out_channels;
  for (size_t i = 0; i < spatial; ++i) {
    Dim& o = out[i + 2];
    if (!output_shape.empty()) {
      o = Dim(output_shape[i]);
      continue;
    }
    if (!x.rank_known() || !x.dim(static_cast<int64_t>(i) + 2).is_static()) continue;
    int64_t in = x.dim(static_cast<int64_t>(i) + 2).value();
    if (!w->kernel[i].has_value()) continue;
    int64_t natural = w->strides[i] * (in - 1) + (*output_padding)[i] + (*w->kernel[i] - 1) * w->dilations[i] + 1;
    int64_t pad_total = w->auto_pad == AutoPad::kNotSet ? w->pads[i] + w->pads[spatial + i] : 0;
    if (w->auto_pad == AutoPad::kSameUpper || w->auto_pad == AutoPad::kSameLower) {
      // SAME trims the natural extent down to in * stride; a smaller one is kept (as onnxruntime does).
      pad_total = std::max<int64_t>(0, natural - in * w->strides[i]);
    }
    int64_t extent = natural - pad_total;
    if (extent < 0) return ctx.Error(absl::StrCat("spatial dim ", i, " would have negative extent ", extent));
    o = Dim(extent);
  }
  ctx.set_output_type(0, TensorType{*dtype, Shape(std::move(out))});
  return absl::OkStatus();
}

// MaxPool, AveragePool, LpPool. MaxPool's optional output 1 holds int64 indices.
absl::Status InferPool(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (!x.shape.rank_known()) {
    ctx.set_output_type(0, TensorType{x.dtype, Shape()});
    ctx.set_output_type(1, TensorType{DType::kInt64, Shape()});
    return absl::OkStatus();
  }
  if (x.shape.rank() < 3) {
    return ctx.Error(absl::StrCat("input has rank ", x.shape.rank(), ", expected at least 3 (N, C, spatial...)"));
  }
  size_t spatial = static_cast<size_t>(x.shape.rank() - 2);
  absl::StatusOr<WindowAttributes> w = ReadWindowAttributes(ctx, spatial, nullptr);
  if (!w.ok()) return w.status();
  if (absl::Status s = SetWindowedOutput(ctx, x.shape, x.shape.dim(1), *w, x.dtype); !s.ok()) return s;
  if (ctx.num_outputs() > 1) {
    int64_t storage_order = ctx.node().GetInt("storage_order", 0);
    if (storage_order != 0 && storage_order != 1) return ctx.Error("storage_order must be 0 or 1");
    return SetWindowedOutput(ctx, x.shape, x.shape.dim(1), *w, DType::kInt64, 1);
  }
  return absl::OkStatus();
}

absl::Status InferGlobalPool(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (!x.shape.rank_known()) {
    ctx.set_output_type(0, x);
    return absl::OkStatus();
  }
  if (x.shape.rank() < 2) {
    return ctx.Error(absl::StrCat("input has rank ", x.shape.rank(), ", expected at least 2 (N, C, spatial...)"));
  }
  std::vector<Dim> out = x.shape.dims();
  for (size_t i = 2; i < out.size(); ++i) out[i] = Dim(1);
  ctx.set_output_type(0, TensorType{x.dtype, Shape(std::move(out))});
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Normalizations

// Checks that input `i` is 1-D with `expected` elements where both are known.
absl::Status CheckVectorInput(const InferenceContext& ctx, int i, const Dim& expected, absl::string_view what) {
  if (!ctx.has_input(i)) return absl::OkStatus();
  const Shape& s = ctx.input_type(i).shape;
  if (!s.rank_known()) return absl::OkStatus();
  if (s.rank() != 1) return ctx.Error(absl::StrCat(what, " has rank ", s.rank(), ", expected 1"));
  if (CertainlyDifferent(s.dim(0), expected)) {
    return ctx.Error(absl::StrCat(what, " has ", s.dim(0).value(), " values, expected ", expected.value()));
  }
  return absl::OkStatus();
}

// The channel dim of an (N, C, ...) input, unknown when not knowable.
Dim ChannelDim(const Shape& x) {
  if (!x.rank_known() || x.rank() < 1) return Dim();
  return x.rank() == 1 ? Dim(1) : x.dim(1);
}

absl::Status InferBatchNormalization(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  bool new_outputs = ctx.opset() >= 14;
  if (new_outputs && ctx.num_outputs() > 3) {
    return ctx.Error(absl::StrCat("has ", ctx.num_outputs(), " outputs; from opset 14 at most 3"));
  }
  Dim channels = ChannelDim(x.shape);
  // Opset 7's spatial=0 gives per-activation statistics of shape (C, D1, ...).
  bool per_activation = ctx.opset() < 9 && ctx.node().GetInt("spatial", 1) == 0;
  if (!per_activation) {
    static constexpr const char* kParameterNames[] = {"", "scale", "B", "mean", "var"};
    for (int i = 1; i <= 4; ++i) {
      if (absl::Status s = CheckVectorInput(ctx, i, channels, kParameterNames[i]); !s.ok()) return s;
    }
  }
  ctx.set_output_type(0, x);
  for (int out = 1; out < ctx.num_outputs(); ++out) {
    // running mean/var take the statistics' type; saved_mean/var (before 14) too.
    int source = out == 2 || out == 4 ? 4 : 3;
    ctx.set_output_type(out, ctx.input_type(source));
  }
  return absl::OkStatus();
}

absl::Status InferInstanceNormalization(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (x.shape.rank_known() && x.shape.rank() < 3) {
    return ctx.Error(absl::StrCat("input has rank ", x.shape.rank(), ", expected at least 3 (N, C, spatial...)"));
  }
  Dim channels = ChannelDim(x.shape);
  if (absl::Status s = CheckVectorInput(ctx, 1, channels, "scale"); !s.ok()) return s;
  if (absl::Status s = CheckVectorInput(ctx, 2, channels, "B"); !s.ok()) return s;
  ctx.set_output_type(0, x);
  return absl::OkStatus();
}

// The dtype of LayerNormalization's Mean/InvStdDev: stash_type (default f32).
absl::StatusOr<DType> StashDType(const InferenceContext& ctx) {
  std::optional<DType> stash = DTypeFromOnnx(static_cast<int32_t>(ctx.node().GetInt("stash_type", 1)));
  if (!stash.has_value() || !IsFloatingPoint(*stash)) {
    return ctx.Error(absl::StrCat("stash_type ", ctx.node().GetInt("stash_type", 1), " is not a float type"));
  }
  return *stash;
}

// Statistics outputs keep the leading dims before `axis` and have 1s after.
Shape ReducedStatisticsShape(const Shape& x, int64_t axis) {
  std::vector<Dim> dims = x.dims();
  for (size_t i = static_cast<size_t>(axis); i < dims.size(); ++i) dims[i] = Dim(1);
  return Shape(std::move(dims));
}

absl::Status InferLayerNormalization(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  absl::StatusOr<DType> stash = StashDType(ctx);
  if (!stash.ok()) return stash.status();
  ctx.set_output_type(0, x);
  if (!x.shape.rank_known()) {
    for (int out = 1; out < 3; ++out) ctx.set_output_type(out, TensorType{*stash, Shape()});
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx.node().GetInt("axis", -1), x.shape.rank());
  if (!axis.ok()) return ctx.Error(axis.status().message());
  // Scale and B broadcast onto the normalized trailing dims.
  for (int i = 1; i <= 2; ++i) {
    if (!ctx.has_input(i)) continue;
    const Shape& p = ctx.input_type(i).shape;
    if (!p.rank_known()) continue;
    int64_t normalized_rank = x.shape.rank() - *axis;
    for (int64_t k = 0; k < std::min(p.rank(), normalized_rank); ++k) {
      const Dim& pd = p.dim(p.rank() - 1 - k);
      const Dim& xd = x.shape.dim(x.shape.rank() - 1 - k);
      if (pd.is_static() && pd.value() != 1 && CertainlyDifferent(pd, xd)) {
        return ctx.Error(absl::StrCat(i == 1 ? "Scale" : "B", " of shape ", p.ToString(),
                                      " does not broadcast to the normalized dims of ", x.shape.ToString()));
      }
    }
  }
  for (int out = 1; out < 3; ++out) {
    ctx.set_output_type(out, TensorType{*stash, ReducedStatisticsShape(x.shape, *axis)});
  }
  return absl::OkStatus();
}

// com.microsoft SkipLayerNormalization: LayerNormalization over the last dim
// of input + skip (+ bias); output 3 is that sum.
absl::Status InferSkipLayerNormalization(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (x.shape.rank_known() && x.shape.rank() != 2 && x.shape.rank() != 3) {
    return ctx.Error(absl::StrCat("input has rank ", x.shape.rank(), ", expected 2 or 3"));
  }
  const Shape& skip = ctx.input_type(1).shape;
  if (x.shape.rank_known() && skip.rank_known()) {
    if (skip.rank() > x.shape.rank() || skip.rank() < 1) {
      return ctx.Error(absl::StrCat("skip of shape ", skip.ToString(), " does not match input ", x.shape.ToString()));
    }
    for (int64_t k = 0; k < skip.rank(); ++k) {
      const Dim& sd = skip.dim(skip.rank() - 1 - k);
      const Dim& xd = x.shape.dim(x.shape.rank() - 1 - k);
      if (CertainlyDifferent(sd, xd) && !(sd.value() == 1 && k != 0)) {
        return ctx.Error(absl::StrCat("skip of shape ", skip.ToString(), " does not match input ", x.shape.ToString()));
      }
    }
  }
  Dim hidden = x.shape.rank_known() ? x.shape.dim(x.shape.rank() - 1) : Dim();
  if (absl::Status s = CheckVectorInput(ctx, 2, hidden, "gamma"); !s.ok()) return s;
  if (absl::Status s = CheckVectorInput(ctx, 3, hidden, "beta"); !s.ok()) return s;
  if (absl::Status s = CheckVectorInput(ctx, 4, hidden, "bias"); !s.ok()) return s;
  ctx.set_output_type(0, x);
  Shape stats = x.shape.rank_known() ? ReducedStatisticsShape(x.shape, x.shape.rank() - 1) : Shape();
  ctx.set_output_type(1, TensorType{DType::kFloat32, stats});
  ctx.set_output_type(2, TensorType{DType::kFloat32, stats});
  ctx.set_output_type(3, x);
  return absl::OkStatus();
}

absl::Status InferGroupNormalization(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  const Attribute* groups_attr = ctx.node().FindAttribute("num_groups");
  if (groups_attr == nullptr || !groups_attr->is<int64_t>()) return ctx.Error("num_groups attribute is required");
  int64_t groups = groups_attr->get<int64_t>();
  if (groups < 1) return ctx.Error(absl::StrCat("num_groups is ", groups, ", expected >= 1"));
  if (x.shape.rank_known() && x.shape.rank() < 2) {
    return ctx.Error(absl::StrCat("input has rank ", x.shape.rank(), ", expected at least 2 (N, C, ...)"));
  }
  Dim channels = ChannelDim(x.shape);
  if (channels.is_static() && channels.value() % groups != 0) {
    return ctx.Error(absl::StrCat("channels ", channels.value(), " are not divisible by num_groups ", groups));
  }
  // Opset 18 scales per group, opset 21 per channel.
  Dim expected = ctx.opset() >= 21 ? channels : Dim(groups);
  if (absl::Status s = CheckVectorInput(ctx, 1, expected, "scale"); !s.ok()) return s;
  if (absl::Status s = CheckVectorInput(ctx, 2, expected, "bias"); !s.ok()) return s;
  ctx.set_output_type(0, x);
  return absl::OkStatus();
}

// Softmax, LogSoftmax, Hardmax, LpNormalization: same type out, axis checked.
absl::Status InferAxisPreserving(InferenceContext& ctx, int64_t default_axis) {
  const TensorType& x = ctx.input_type(0);
  if (x.shape.rank_known()) {
    int64_t axis = ctx.node().GetInt("axis", default_axis);
    if (!NormalizeAxis(axis, x.shape.rank()).ok()) {
      return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", x.shape.rank()));
    }
  }
  ctx.set_output_type(0, x);
  return absl::OkStatus();
}

absl::Status InferLrn(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  const Attribute* size = ctx.node().FindAttribute("size");
  if (size == nullptr || !size->is<int64_t>() || size->get<int64_t>() < 1) {
    return ctx.Error("size attribute is required and must be positive");
  }
  if (x.shape.rank_known() && x.shape.rank() < 3) {
    return ctx.Error(absl::StrCat("input has rank ", x.shape.rank(), ", expected at least 3 (N, C, spatial...)"));
  }
  ctx.set_output_type(0, x);
  return absl::OkStatus();
}

absl::Status InferMeanVarianceNormalization(InferenceContext& ctx) {
  const TensorType& x = ctx.input_type(0);
  if (x.shape.rank_known()) {
    for (int64_t axis : ctx.node().GetInts("axes", {0, 2, 3})) {
      if (!NormalizeAxis(axis, x.shape.rank()).ok()) {
        return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", x.shape.rank()));
      }
    }
  }
  ctx.set_output_type(0, x);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Einsum

// An operand term of an equation: letters, with at most one "..." recorded
// as the position where the broadcast dims go.
struct EinsumTerm {
  std::string letters;
  int ellipsis_at = -1;  // index into letters, or -1
};

absl::StatusOr<EinsumTerm> ParseEinsumTerm(const InferenceContext& ctx, absl::string_view text) {
  EinsumTerm term;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (term.ellipsis_at >= 0 || text.substr(i, 3) != "...") {
        return ctx.Error(absl::StrCat("malformed ellipsis in equation term '", text, "'"));
      }
      term.ellipsis_at = static_cast<int>(term.letters.size());
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      term.letters.push_back(c);
    } else {
      return ctx.Error(absl::StrCat("unexpected character '", std::string(1, c), "' in equation"));
    }
  }
  return term;
}

absl::Status InferEinsum(InferenceContext& ctx) {
  const Attribute* eq_attr = ctx.node().FindAttribute("equation");
  if (eq_attr == nullptr || !eq_attr->is<std::string>()) return ctx.Error("equation attribute is required");
  std::string equation;
  for (char c : eq_attr->get<std::string>()) {
    if (c != ' ') equation.push_back(c);
  }
  DType dtype = DType::kUndefined;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    DType d = ctx.input_type(i).dtype;
    if (d == DType::kUndefined) continue;
    if (dtype != DType::kUndefined && d != dtype) return ctx.Error("inputs have different element types");
    dtype = d;
  }
  size_t arrow = equation.find("->");
  std::string lhs = equation.substr(0, arrow);
  std::vector<EinsumTerm> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    absl::StatusOr<EinsumTerm> t = ParseEinsumTerm(ctx, absl::string_view(lhs).substr(start, comma - start));
    if (!t.ok()) return t.status();
    terms.push_back(*std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (static_cast<int>(terms.size()) != ctx.num_inputs()) {
    return ctx.Error(absl::StrCat("equation has ", terms.size(), " operands but the node has ", ctx.num_inputs(),
                                  " inputs"));
  }
  // Extent of each letter and of the broadcast ellipsis dims, from known shapes.
  std::map<char, Dim> letter_dims;
  std::map<char, int> letter_count;
  std::vector<Dim> ellipsis_dims;  // right-aligned broadcast of all operands' ellipses
  bool ellipsis_rank_known = true;
  bool any_ellipsis = false;
  for (size_t t = 0; t < terms.size(); ++t) {
    const EinsumTerm& term = terms[t];
    for (char c : term.letters) ++letter_count[c];
    any_ellipsis |= term.ellipsis_at >= 0;
    const Shape& s = ctx.input_type(static_cast<int>(t)).shape;
    if (!s.rank_known()) {
      if (term.ellipsis_at >= 0) ellipsis_rank_known = false;
      continue;
    }
    int64_t letters = static_cast<int64_t>(term.letters.size());
    if (term.ellipsis_at < 0 ? s.rank() != letters : s.rank() < letters) {
      return ctx.Error(absl::StrCat("operand ", t, " has rank ", s.rank(), " but its term has ", letters, " letters",
                                    term.ellipsis_at >= 0 ? " and an ellipsis" : ""));
    }
    int64_t ellipsis_rank = s.rank() - letters;
    std::vector<Dim> own_ellipsis;
    for (int64_t d = 0, letter = 0; d < s.rank();) {
      if (letter == term.ellipsis_at && static_cast<int64_t>(own_ellipsis.size()) < ellipsis_rank) {
        own_ellipsis.push_back(s.dim(d++));
        continue;
      }
      char c = term.letters[static_cast<size_t>(letter++)];
      const Dim& dim = s.dim(d++);
      auto [it, inserted] = letter_dims.emplace(c, dim);
      if (!inserted) {
        Dim& known = it->second;
        if (CertainlyDifferent(known, dim) && known.value() != 1 && dim.value() != 1) {
          return ctx.Error(absl::StrCat("label '", std::string(1, c), "' has extents ", known.value(), " and ",
                                        dim.value()));
        }
        // An extent of 1 broadcasts against the other operand's extent.
        bool known_is_one = known.is_static() && known.value() == 1;
        bool dim_is_other = dim.is_static() && dim.value() != 1;
        if (known_is_one || (!known.is_static() && dim_is_other)) known = dim;
      }
    }
    absl::StatusOr<Shape> merged = BroadcastShapes(Shape(ellipsis_dims), Shape(own_ellipsis));
    if (!merged.ok()) return ctx.Error("ellipsis dims of the operands do not broadcast");
    ellipsis_dims = merged->dims();
  }
  // The output term, explicit or implicit (ellipsis then letters seen once, sorted).
  EinsumTerm output;
  if (arrow != std::string::npos) {
    absl::StatusOr<EinsumTerm> t = ParseEinsumTerm(ctx, absl::string_view(equation).substr(arrow + 2));
    if (!t.ok()) return t.status();
    output = *std::move(t);
    std::set<char> seen;
    for (char c : output.letters) {
      if (letter_count.count(c) == 0) {
        return ctx.Error(absl::StrCat("output label '", std::string(1, c), "' appears in no operand"));
      }
      if (!seen.insert(c).second) return ctx.Error(absl::StrCat("output label '", std::string(1, c), "' repeats"));
    }
  } else {
    if (any_ellipsis) output.ellipsis_at = 0;
    for (const auto& [c, count] : letter_count) {
      if (count == 1) output.letters.push_back(c);
    }
  }
  if (output.ellipsis_at >= 0 && !ellipsis_rank_known) {
    ctx.set_output_type(0, TensorType{dtype, Shape()});
    return absl::OkStatus();
  }
  std::vector<Dim> out;
  for (size_t i = 0; i <= output.letters.size(); ++i) {
    if (static_cast<int>(i) == output.ellipsis_at) out.insert(out.end(), ellipsis_dims.begin(), ellipsis_dims.end());
    if (i == output.letters.size()) break;
    auto it = letter_dims.find(output.letters[i]);
    out.push_back(it == letter_dims.end() ? Dim() : it->second);
  }
  ctx.set_output_type(0, TensorType{dtype, Shape(std::move(out))});
  return absl::OkStatus();
}

void Register(OpRegistry& registry, std::string name, int min_inputs, int max_inputs, int min_outputs,
              int max_outputs, ShapeInferenceFn fn, std::string domain = "") {
  registry.Register(OpSchema{std::move(domain), std::move(name), min_inputs, max_inputs, min_outputs, max_outputs,
                             std::move(fn)});
}

}  // namespace

void RegisterNnOps(OpRegistry& registry) {
  Register(registry, "MatMul", 2, 2, 1, 1, InferMatMul);
  Register(registry, "Gemm", 2, 3, 1, 1, InferGemm);
  Register(registry, "Einsum", 1, std::numeric_limits<int>::max(), 1, 1, InferEinsum);
  Register(registry, "Conv", 2, 3, 1, 1, InferConv);
  Register(registry, "ConvTranspose", 2, 3, 1, 1, InferConvTranspose);
  Register(registry, "MaxPool", 1, 1, 1, 2, InferPool);
  Register(registry, "AveragePool", 1, 1, 1, 1, InferPool);
  Register(registry, "LpPool", 1, 1, 1, 1, InferPool);
  Register(registry, "GlobalAveragePool", 1, 1, 1, 1, InferGlobalPool);
  Register(registry, "GlobalMaxPool", 1, 1, 1, 1, InferGlobalPool);
  Register(registry, "GlobalLpPool", 1, 1, 1, 1, InferGlobalPool);
  Register(registry, "BatchNormalization", 5, 5, 1, 5, InferBatchNormalization);
  Register(registry, "InstanceNormalization", 3, 3, 1, 1, InferInstanceNormalization);
  Register(registry, "LayerNormalization", 2, 3, 1, 3, InferLayerNormalization);
  Register(registry, "LayerNormalization", 2, 3, 1, 3, InferLayerNormalization, kMicrosoftDomain);
  Register(registry, "SkipLayerNormalization", 3, 5, 1, 4, InferSkipLayerNormalization, kMicrosoftDomain);
  Register(registry, "GroupNormalization", 3, 3, 1, 1, InferGroupNormalization);
  Register(registry, "Softmax", 1, 1, 1, 1, [](InferenceContext& ctx) {
    return InferAxisPreserving(ctx, ctx.opset() >= 13 ? -1 : 1);
  });
  Register(registry, "LogSoftmax", 1, 1, 1, 1, [](InferenceContext& ctx) {
    return InferAxisPreserving(ctx, ctx.opset() >= 13 ? -1 : 1);
  });
  Register(registry, "Hardmax", 1, 1, 1, 1, [](InferenceContext& ctx) {
    return InferAxisPreserving(ctx, ctx.opset() >= 13 ? -1 : 1);
  });
  Register(registry, "LpNormalization", 1, 1, 1, 1,
           [](InferenceContext& ctx) { return InferAxisPreserving(ctx, -1); });
  Register(registry, "LRN", 1, 1, 1, 1, InferLrn);
  Register(registry, "MeanVarianceNormalization", 1, 1, 1, 1, InferMeanVarianceNormalization);
}

}  // namespace gsopt::ir
