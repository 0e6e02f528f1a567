// CPU kernels for the tensor-manipulation ops: constants and shape queries,
// views (Reshape, Flatten, Squeeze, Unsqueeze share the input buffer),
// data movement (Transpose, Slice, Concat, Split, Gather*, Scatter*, Expand,
// Tile, Pad, DepthToSpace, ...), resampling (Resize, Upsample) and the
// index-producing ops (Range, OneHot, TopK, NonZero, Unique, ...).
//
// Data movement is done on raw element words (1, 2, 4, 8 or 16 bytes, or
// std::string for string tensors), so every dtype of a given width shares
// one instantiation and f16/bf16/float8/complex move for free. The copies
// are block copies of contiguous runs wherever the layout allows: a strided
// view is first simplified (unit axes dropped, contiguous axes merged) so
// that the innermost loop is as long as possible.
//
// Every op reads ctx.opset() where its interface changed between opsets 7
// and the newest (attributes that became inputs, new attributes).
#include "ir/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

// ================================================================ element words

// A 16-byte element (complex128) moved as an opaque word.
struct Word128 {
  uint64_t low;
  uint64_t high;
};

// Calls fn.template operator()<W>() with W an element word type of the same
// width as `dtype` (std::string for strings). Packed 4-bit types have no
// addressable elements and are rejected.
template <typename Fn>
absl::Status DispatchByWidth(const KernelContext& ctx, DType dtype, Fn&& fn) {
  if (dtype == DType::kString) return fn.template operator()<std::string>();
  switch (ir::DTypeSize(dtype)) {
    case 1:
      return fn.template operator()<uint8_t>();
    case 2:
      return fn.template operator()<uint16_t>();
    case 4:
      return fn.template operator()<uint32_t>();
    case 8:
      return fn.template operator()<uint64_t>();
    case 16:
      return fn.template operator()<Word128>();
    default:
      return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(), ": element type ",
                                                   ir::DTypeName(dtype), " is not supported by this kernel"));
  }
}

template <typename W>
const W* Elements(const Tensor& t) {
  if constexpr (std::is_same_v<W, std::string>) {
    return t.strings().data();
  } else {
    return t.data<W>();
  }
}

template <typename W>
W* MutableElements(Tensor& t) {
  if constexpr (std::is_same_v<W, std::string>) {
    return t.mutable_strings().data();
  } else {
    return t.mutable_data<W>();
  }
}

// A new zero-filled tensor whose dims came from user data: bad dims are an
// error naming the node, never an abort.
absl::StatusOr<Tensor> NewTensor(const KernelContext& ctx, DType dtype, std::vector<int64_t> dims) {
  absl::StatusOr<Tensor> t = Tensor::Create(dtype, std::move(dims));
  if (!t.ok()) return ctx.Error(t.status().message());
  return t;
}

int64_t Product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

// Copies the strided view (dims, element strides that may be 0 or negative,
// starting at `offset`) of `src` into contiguous `dst`.
template <typename W>
void StridedCopy(const W* src, int64_t offset, const std::vector<int64_t>& dims, const std::vector<int64_t>& strides,
                 W* dst) {
  std::vector<int64_t> d;
  std::vector<int64_t> s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) return;
    if (dims[i] == 1) continue;
    if (!d.empty() && s.back() == strides[i] * dims[i]) {  // contiguous with the outer axis: merge
      d.back() *= dims[i];
      s.back() = strides[i];
    } else {
      d.push_back(dims[i]);
      s.push_back(strides[i]);
    }
  }
  if (d.empty()) {
    dst[0] = src[offset];
    return;
  }
  const int64_t inner = d.back();
  const int64_t inner_stride = s.back();
  const size_t outer_rank = d.size() - 1;
  // A transpose: some outer axis is contiguous in the source while the
  // innermost is not. Reading whole rows would touch one cache line per
  // element, so copy square tiles that stay in L1 on both sides.
  constexpr int64_t kTile = 32;
  for (size_t j = 0; j < outer_rank && inner_stride != 1 && inner >= kTile; ++j) {
    if (s[j] != 1 || d[j] < kTile) continue;
    std::vector<int64_t> dst_strides = Strides(d);
    std::vector<size_t> others;
    for (size_t ax = 0; ax < outer_rank; ++ax) {
      if (ax != j) others.push_back(ax);
    }
    std::vector<int64_t> index(others.size(), 0);
    int64_t groups = 1;
    for (size_t ax : others) groups *= d[ax];
    const int64_t rows = d[j];
    const int64_t dst_row_stride = dst_strides[j];
    int64_t src_base = offset;
    int64_t dst_base = 0;
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
        const int64_t r1 = std::min(rows, r0 + kTile);
        for (int64_t c0 = 0; c0 < inner; c0 += kTile) {
          const int64_t c1 = std::min(inner, c0 + kTile);
          for (int64_t r = r0; r < r1; ++r) {
            const W* in_row = src + src_base + r;
            W* out_row = dst + dst_base + r * dst_row_stride;
            for (int64_t c = c0; c < c1; ++c) out_row[c] = in_row[c * inner_stride];
          }
        }
      }
      for (size_t k = others.size(); k-- > 0;) {
        size_t ax = others[k];
        if (++index[k] < d[ax]) {
          src_base += s[ax];
          dst_base += dst_strides[ax];
          break;
        }
        src_base -= s[ax] * (d[ax] - 1);
        dst_base -= dst_strides[ax] * (d[ax] - 1);
        index[k] = 0;
      }
    }
    return;
  }
  const int64_t outer_count = Product(d, 0, outer_rank);
  std::vector<int64_t> index(outer_rank, 0);
  int64_t pos = offset;
  for (int64_t o = 0; o < outer_count; ++o) {
    const W* p = src + pos;
    if (inner_stride == 1) {
      std::copy_n(p, inner, dst);
    } else if (inner_stride == 0) {
      std::fill_n(dst, inner, *p);
    } else {
      for (int64_t k = 0; k < inner; ++k) dst[k] = p[k * inner_stride];
    }
    dst += inner;
    for (size_t ax = outer_rank; ax-- > 0;) {  // odometer over the outer axes
      if (++index[ax] < d[ax]) {
        pos += s[ax];
        break;
      }
      pos -= s[ax] * (d[ax] - 1);
      index[ax] = 0;
    }
  }
}

// Writes dst[o_0, ..., o_n] = src[maps_0[o_0], ..., maps_n[o_n]], or `fill`
// where any map entry is -1 (Pad, nearest Resize). Runs of consecutive source
// indices in the innermost map are block-copied.
template <typename W>
void AxisMapCopy(const W* src, const std::vector<int64_t>& src_dims, const std::vector<std::vector<int64_t>>& maps,
                 const W& fill, W* dst) {
  const size_t rank = maps.size();
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  std::vector<int64_t> out_dims;
  for (const auto& m : maps) {
    if (m.empty()) return;
    out_dims.push_back(static_cast<int64_t>(m.size()));
  }
  struct Run {
    int64_t length;
    int64_t src_start;  // -1: fill
  };
  std::vector<Run> runs;
  for (int64_t v : maps.back()) {
    if (!runs.empty()) {
      Run& last = runs.back();
      if ((v < 0 && last.src_start < 0) || (v >= 0 && last.src_start >= 0 && v == last.src_start + last.length)) {
        ++last.length;
        continue;
      }
    }
    runs.push_back(Run{1, v < 0 ? -1 : v});
  }
  std::vector<int64_t> src_strides = Strides(src_dims);
  const int64_t inner = out_dims.back();
  const size_t outer_rank = rank - 1;
  const int64_t outer_count = Product(out_dims, 0, outer_rank);
  std::vector<int64_t> index(outer_rank, 0);
  for (int64_t o = 0; o < outer_count; ++o) {
    int64_t base = 0;
    bool filled = false;
    for (size_t ax = 0; ax < outer_rank; ++ax) {
      int64_t m = maps[ax][static_cast<size_t>(index[ax])];
      if (m < 0) {
        filled = true;
        break;
      }
      base += m * src_strides[ax];
    }
    if (filled) {
      std::fill_n(dst, inner, fill);
    } else {
      W* out = dst;
      for (const Run& r : runs) {
        if (r.src_start < 0) {
          std::fill_n(out, r.length, fill);
        } else {
          std::copy_n(src + base + r.src_start, r.length, out);
        }
        out += r.length;
      }
    }
    dst += inner;
    for (size_t ax = outer_rank; ax-- > 0;) {
      if (++index[ax] < out_dims[ax]) break;
      index[ax] = 0;
    }
  }
}

// Copies `view_dims` of `src` (its buffer read as those row-major dims)
// transposed by `perm` into a new tensor with dims `out_dims`.
absl::StatusOr<Tensor> PermutedCopy(const KernelContext& ctx, const Tensor& src, const std::vector<int64_t>& view_dims,
                                    const std::vector<int64_t>& perm, std::vector<int64_t> out_dims) {
  absl::StatusOr<Tensor> out = NewTensor(ctx, src.dtype(), std::move(out_dims));
  if (!out.ok()) return out;
  std::vector<int64_t> view_strides = Strides(view_dims);
  std::vector<int64_t> dims;
  std::vector<int64_t> strides;
  for (int64_t p : perm) {
    dims.push_back(view_dims[static_cast<size_t>(p)]);
    strides.push_back(view_strides[static_cast<size_t>(p)]);
  }
  absl::Status s = DispatchByWidth(ctx, src.dtype(), [&]<typename W>() {
    if (out->num_elements() > 0) StridedCopy<W>(Elements<W>(src), 0, dims, strides, MutableElements<W>(*out));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

// ================================================================ input readers

absl::StatusOr<const Tensor*> RequiredInput(const KernelContext& ctx, int i) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr) return ctx.Error(absl::StrCat("required input ", i, " is missing"));
  return t;
}

absl::Status CheckIntegerInput(const KernelContext& ctx, const Tensor& t, absl::string_view what) {
  if (!ir::IsInteger(t.dtype())) {
    return ctx.Error(absl::StrCat(what, " must be an integer tensor, is ", ir::DTypeName(t.dtype())));
  }
  return absl::OkStatus();
}

// An int list given as attribute `attr_name` before `first_input_opset` and
// as input `input_index` from then on; nullopt when omitted.
absl::StatusOr<std::optional<std::vector<int64_t>>> IntsFromAttributeOrInput(const KernelContext& ctx,
                                                                             absl::string_view attr_name,
                                                                             int input_index,
                                                                             int64_t first_input_opset) {
  if (ctx.opset() < first_input_opset) {
    if (ctx.node().FindAttribute(attr_name) == nullptr) return std::optional<std::vector<int64_t>>();
    return std::optional<std::vector<int64_t>>(ctx.node().GetInts(attr_name));
  }
  const Tensor* t = ctx.input(input_index);
  if (t == nullptr) return std::optional<std::vector<int64_t>>();
  if (absl::Status s = CheckIntegerInput(ctx, *t, attr_name); !s.ok()) return s;
  return std::optional<std::vector<int64_t>>(ToInt64s(*t));
}

// A scalar (or one-element) input as int64 / double.
absl::StatusOr<int64_t> ScalarInt(const KernelContext& ctx, const Tensor& t, absl::string_view what) {
  if (t.num_elements() != 1) {
    return ctx.Error(absl::StrCat(what, " must hold one element, has ", t.num_elements()));
  }
  if (t.dtype() == DType::kString) return ctx.Error(absl::StrCat(what, " must be numeric"));
  return t.GetAsInt64(0);
}

// An index into an axis of size `dim`, negative counting from the end.
absl::StatusOr<int64_t> WrapIndex(const KernelContext& ctx, int64_t index, int64_t dim) {
  int64_t i = index < 0 ? index + dim : index;
  if (i < 0 || i >= dim) {
    return ctx.Error(absl::StrCat("index ", index, " is out of range for an axis of size ", dim));
  }
  return i;
}

std::string DimsString(const std::vector<int64_t>& dims) { return absl::StrCat("[", absl::StrJoin(dims, ","), "]"); }

// ================================================================ constants and shape queries

absl::Status ConstantKernel(KernelContext& ctx) {
  for (const auto& [name, attr] : ctx.node().attributes) {
    if (name == "value" && attr.is<Tensor>()) {
      ctx.set_output(0, attr.get<Tensor>());
    } else if (name == "value_float" && attr.is<float>()) {
      ctx.set_output(0, Tensor::Scalar<float>(attr.get<float>()));
    } else if (name == "value_int" && attr.is<int64_t>()) {
      ctx.set_output(0, Tensor::Scalar<int64_t>(attr.get<int64_t>()));
    } else if (name == "value_string" && attr.is<std::string>()) {
      ctx.set_output(0, Tensor::FromStrings({}, {attr.get<std::string>()}));
    } else if (name == "value_floats" || name == "value_ints" || name == "value_strings") {
      // An empty list may arrive as any list kind; the name decides the dtype.
      if (attr.is<std::vector<float>>() && name == "value_floats") {
        const auto& v = attr.get<std::vector<float>>();
        ctx.set_output(0, Tensor::FromVector<float>({static_cast<int64_t>(v.size())}, v));
      } else if (attr.is<std::vector<int64_t>>() && name == "value_ints") {
        const auto& v = attr.get<std::vector<int64_t>>();
        ctx.set_output(0, Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v));
      } else if (attr.is<std::vector<std::string>>() && name == "value_strings") {
        const auto& v = attr.get<std::vector<std::string>>();
        ctx.set_output(0, Tensor::FromStrings({static_cast<int64_t>(v.size())}, v));
      } else {
        DType dtype = name == "value_floats" ? DType::kFloat32 : name == "value_ints" ? DType::kInt64 : DType::kString;
        bool empty = (attr.is<std::vector<float>>() && attr.get<std::vector<float>>().empty()) ||
                     (attr.is<std::vector<int64_t>>() && attr.get<std::vector<int64_t>>().empty()) ||
                     (attr.is<std::vector<std::string>>() && attr.get<std::vector<std::string>>().empty());
        if (!empty) return ctx.Error(absl::StrCat("attribute '", name, "' has the wrong kind"));
        ctx.set_output(0, Tensor::Zeros(dtype, {0}));
      }
    } else if (name == "sparse_value") {
      return absl::UnimplementedError(
          absl::StrCat("node ", ctx.node().Describe(), ": sparse_value constants are not supported"));
    } else {
      continue;
    }
    return absl::OkStatus();
  }
  return ctx.Error("no value attribute");
}

absl::Status ConstantOfShapeKernel(KernelContext& ctx) {
  absl::StatusOr<const Tensor*> shape = RequiredInput(ctx, 0);
  if (!shape.ok()) return shape.status();
  if (absl::Status s = CheckIntegerInput(ctx, **shape, "shape"); !s.ok()) return s;
  Tensor value = Tensor::Scalar<float>(0.0f);
  if (const ir::Attribute* attr = ctx.node().FindAttribute("value")) {
    if (!attr->is<Tensor>() || attr->get<Tensor>().num_elements() != 1) {
      return ctx.Error("attribute 'value' must be a one-element tensor");
    }
    value = attr->get<Tensor>();
  }
  absl::StatusOr<Tensor> out = NewTensor(ctx, value.dtype(), ToInt64s(**shape));
  if (!out.ok()) return out.status();
  absl::Status s = DispatchByWidth(ctx, value.dtype(), [&]<typename W>() {
    if (out->num_elements() > 0) std::fill_n(MutableElements<W>(*out), out->num_elements(), Elements<W>(value)[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status ShapeKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t rank = in.rank();
  int64_t start = 0;
  int64_t end = rank;
  if (ctx.opset() >= 15) {
    start = ctx.node().GetInt("start", 0);
    end = ctx.node().GetInt("end", rank);
  }
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  std::vector<int64_t> dims(in.dims().begin() + start, in.dims().begin() + end);
  ctx.set_output(0, Tensor::FromVector<int64_t>({static_cast<int64_t>(dims.size())}, dims));
  return absl::OkStatus();
}

absl::Status SizeKernel(KernelContext& ctx) {
  ctx.set_output(0, Tensor::Scalar<int64_t>(ctx.input(0)->num_elements()));
  return absl::OkStatus();
}

// ================================================================ views: no data is copied

absl::Status SetView(KernelContext& ctx, const Tensor& in, std::vector<int64_t> dims) {
  std::string wanted = DimsString(dims);
  absl::StatusOr<Tensor> view = in.Reshaped(std::move(dims));
  if (!view.ok()) {
    return ctx.Error(
        absl::StrCat("cannot view ", DimsString(in.dims()), " as ", wanted, ": ", view.status().message()));
  }
  ctx.set_output(0, *std::move(view));
  return absl::OkStatus();
}

absl::Status ReshapeKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<const Tensor*> shape = RequiredInput(ctx, 1);
  if (!shape.ok()) return shape.status();
  if (absl::Status s = CheckIntegerInput(ctx, **shape, "shape"); !s.ok()) return s;
  bool allow_zero = ctx.opset() >= 14 && ctx.node().GetInt("allowzero", 0) != 0;
  std::vector<int64_t> dims = ToInt64s(**shape);
  std::optional<size_t> minus_one;
  bool has_zero = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && !allow_zero) {
      if (static_cast<int64_t>(i) >= in.rank()) {
        return ctx.Error(
            absl::StrCat("shape entry ", i, " is 0 (copy the input dim) but the input has rank ", in.rank()));
      }
      dims[i] = in.dim(static_cast<int64_t>(i));
    } else if (dims[i] == -1) {
      if (minus_one.has_value()) return ctx.Error("shape has more than one -1 entry");
      minus_one = i;
    } else if (dims[i] < -1 || dims[i] > ir::kMaxDimValue) {
      return ctx.Error(absl::StrCat("shape has an invalid entry ", dims[i]));
    } else {
      has_zero |= dims[i] == 0;
    }
  }
  if (minus_one.has_value()) {
    if (has_zero) return ctx.Error("shape has both 0 and -1 entries while allowzero is set");
    int64_t known = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (i != *minus_one) known *= dims[i];
    }
    if (known == 0 || in.num_elements() % known != 0) {
      return ctx.Error(absl::StrCat("cannot reshape ", DimsString(in.dims()), " to ", DimsString(ToInt64s(**shape))));
    }
    dims[*minus_one] = in.num_elements() / known;
  }
  return SetView(ctx, in, std::move(dims));
}

absl::Status FlattenKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t rank = in.rank();
  int64_t axis = ctx.node().GetInt("axis", 1);
  if (axis < -rank || axis > rank) return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  if (axis < 0) axis += rank;
  return SetView(ctx, in,
                 {Product(in.dims(), 0, static_cast<size_t>(axis)),
                  Product(in.dims(), static_cast<size_t>(axis), in.dims().size())});
}

absl::Status SqueezeKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<std::optional<std::vector<int64_t>>> axes = IntsFromAttributeOrInput(ctx, "axes", 1, 13);
  if (!axes.ok()) return axes.status();
  std::vector<bool> drop(static_cast<size_t>(in.rank()), false);
  if (axes->has_value() && !(*axes)->empty()) {
    absl::StatusOr<std::vector<int64_t>> normalized = ir::NormalizeAxes(**axes, in.rank());
    if (!normalized.ok()) return ctx.Error(normalized.status().message());
    for (int64_t a : *normalized) {
      if (in.dim(a) != 1) return ctx.Error(absl::StrCat("cannot squeeze axis ", a, " of size ", in.dim(a)));
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (int64_t i = 0; i < in.rank(); ++i) drop[static_cast<size_t>(i)] = in.dim(i) == 1;
  }
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < in.rank(); ++i) {
    if (!drop[static_cast<size_t>(i)]) dims.push_back(in.dim(i));
  }
  return SetView(ctx, in, std::move(dims));
}

absl::Status UnsqueezeKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<std::optional<std::vector<int64_t>>> axes = IntsFromAttributeOrInput(ctx, "axes", 1, 13);
  if (!axes.ok()) return axes.status();
  if (!axes->has_value()) return ctx.Error("axes are required");
  int64_t out_rank = in.rank() + static_cast<int64_t>((*axes)->size());
  absl::StatusOr<std::vector<int64_t>> normalized = ir::NormalizeAxes(**axes, out_rank);
  if (!normalized.ok()) return ctx.Error(normalized.status().message());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : *normalized) inserted[static_cast<size_t>(a)] = true;
  std::vector<int64_t> dims;
  int64_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) dims.push_back(inserted[static_cast<size_t>(i)] ? 1 : in.dim(next++));
  return SetView(ctx, in, std::move(dims));
}

// ================================================================ Transpose, Concat, Split

absl::Status TransposeKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t rank = in.rank();
  std::vector<int64_t> perm;
  if (ctx.node().FindAttribute("perm") != nullptr) {
    perm = ctx.node().GetInts("perm");
  } else {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  bool identity = true;
  if (static_cast<int64_t>(perm.size()) != rank) {
    return ctx.Error(absl::StrCat("perm has ", perm.size(), " entries, input has rank ", rank));
  }
  std::vector<int64_t> out_dims;
  for (size_t i = 0; i < perm.size(); ++i) {
    int64_t p = perm[i];
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]) {
      return ctx.Error(absl::StrCat("perm ", DimsString(perm), " is not a permutation of rank ", rank));
    }
    seen[static_cast<size_t>(p)] = true;
    identity &= p == static_cast<int64_t>(i);
    out_dims.push_back(in.dim(p));
  }
  if (identity) {  // tensors are immutable, so the identity permutation can share
    ctx.set_output(0, in);
    return absl::OkStatus();
  }
  absl::StatusOr<Tensor> out = PermutedCopy(ctx, in, in.dims(), perm, out_dims);
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status ConcatKernel(KernelContext& ctx) {
  std::vector<const Tensor*> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.input(i) != nullptr) inputs.push_back(ctx.input(i));
  }
  if (inputs.empty()) return ctx.Error("needs at least one input");
  const Tensor& first = *inputs[0];
  if (ctx.node().FindAttribute("axis") == nullptr) return ctx.Error("attribute 'axis' is required");
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), first.rank());
  if (!axis.ok()) return axis.status();
  std::vector<int64_t> out_dims = first.dims();
  out_dims[static_cast<size_t>(*axis)] = 0;
  for (const Tensor* t : inputs) {
    if (t->dtype() != first.dtype() || t->rank() != first.rank()) {
      return ctx.Error(
          absl::StrCat("inputs ", t->type().ToString(), " and ", first.type().ToString(), " cannot be concatenated"));
    }
    for (int64_t d = 0; d < first.rank(); ++d) {
      if (d != *axis && t->dim(d) != first.dim(d)) {
        return ctx.Error(absl::StrCat("inputs ", DimsString(t->dims()), " and ", DimsString(first.dims()),
                                      " differ outside axis ", *axis));
      }
    }
    out_dims[static_cast<size_t>(*axis)] += t->dim(*axis);
  }
  absl::StatusOr<Tensor> out = NewTensor(ctx, first.dtype(), out_dims);
  if (!out.ok()) return out.status();
  int64_t outer = Product(out_dims, 0, static_cast<size_t>(*axis));
  int64_t inner = Product(out_dims, static_cast<size_t>(*axis) + 1, out_dims.size());
  absl::Status s = DispatchByWidth(ctx, first.dtype(), [&]<typename W>() {
    if (out->num_elements() == 0) return absl::OkStatus();
    W* dst = MutableElements<W>(*out);
    for (int64_t o = 0; o < outer; ++o) {
      for (const Tensor* t : inputs) {
        int64_t block = t->dim(*axis) * inner;
        if (block == 0) continue;
        std::copy_n(Elements<W>(*t) + o * block, block, dst);
        dst += block;
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status SplitKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int n = ctx.num_outputs();
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), in.rank());
  if (!axis.ok()) return axis.status();
  int64_t dim = in.dim(*axis);
  absl::StatusOr<std::optional<std::vector<int64_t>>> split = IntsFromAttributeOrInput(ctx, "split", 1, 13);
  if (!split.ok()) return split.status();
  std::vector<int64_t> sizes;
  if (split->has_value() && !(*split)->empty()) {
    sizes = **split;
    if (static_cast<int>(sizes.size()) != n) {
      return ctx.Error(absl::StrCat("split has ", sizes.size(), " entries for ", n, " outputs"));
    }
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s < 0) return ctx.Error(absl::StrCat("split has a negative entry ", s));
      total += s;
    }
    if (total != dim) return ctx.Error(absl::StrCat("split sizes add up to ", total, ", the axis has size ", dim));
  } else if (dim % n == 0) {
    sizes.assign(static_cast<size_t>(n), dim / n);
  } else if (ctx.opset() >= 18) {
    int64_t chunk = (dim + n - 1) / n;
    int64_t last = dim - chunk * (n - 1);
    if (last < 0) return ctx.Error(absl::StrCat("cannot split size ", dim, " into ", n, " chunks"));
    sizes.assign(static_cast<size_t>(n), chunk);
    sizes.back() = last;
  } else {
    return ctx.Error(absl::StrCat("axis of size ", dim, " does not split evenly into ", n, " outputs"));
  }
  int64_t outer = Product(in.dims(), 0, static_cast<size_t>(*axis));
  int64_t inner = Product(in.dims(), static_cast<size_t>(*axis) + 1, in.dims().size());
  int64_t offset = 0;
  for (int i = 0; i < n; ++i) {
    std::vector<int64_t> dims = in.dims();
    int64_t size = sizes[static_cast<size_t>(i)];
    dims[static_cast<size_t>(*axis)] = size;
    absl::StatusOr<Tensor> out = NewTensor(ctx, in.dtype(), dims);
    if (!out.ok()) return out.status();
    absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
      if (out->num_elements() == 0) return absl::OkStatus();
      const W* src = Elements<W>(in);
      W* dst = MutableElements<W>(*out);
      int64_t block = size * inner;
      for (int64_t o = 0; o < outer; ++o) std::copy_n(src + (o * dim + offset) * inner, block, dst + o * block);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    offset += size;
    if (ctx.output_requested(i)) ctx.set_output(i, *std::move(out));
  }
  return absl::OkStatus();
}

// ================================================================ Slice

absl::Status SliceKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t rank = in.rank();
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;
  std::optional<std::vector<int64_t>> axes;
  std::optional<std::vector<int64_t>> steps;
  if (ctx.opset() < 10) {
    starts = ctx.node().GetInts("starts");
    ends = ctx.node().GetInts("ends");
    if (ctx.node().FindAttribute("axes") != nullptr) axes = ctx.node().GetInts("axes");
  } else {
    for (int i = 1; i <= 2; ++i) {
      absl::StatusOr<const Tensor*> t = RequiredInput(ctx, i);
      if (!t.ok()) return t.status();
      if (absl::Status s = CheckIntegerInput(ctx, **t, i == 1 ? "starts" : "ends"); !s.ok()) return s;
      (i == 1 ? starts : ends) = ToInt64s(**t);
    }
    for (int i = 3; i <= 4; ++i) {
      const Tensor* t = ctx.input(i);
      if (t == nullptr) continue;
      if (absl::Status s = CheckIntegerInput(ctx, *t, i == 3 ? "axes" : "steps"); !s.ok()) return s;
      (i == 3 ? axes : steps) = ToInt64s(*t);
    }
  }
  size_t n = starts.size();
  if (!axes.has_value()) {
    axes.emplace();
    for (size_t i = 0; i < n; ++i) axes->push_back(static_cast<int64_t>(i));
  }
  if (ends.size() != n || axes->size() != n || (steps.has_value() && steps->size() != n)) {
    return ctx.Error("starts, ends, axes and steps must have the same length");
  }
  absl::StatusOr<std::vector<int64_t>> normalized = ir::NormalizeAxes(*axes, rank);
  if (!normalized.ok()) return ctx.Error(normalized.status().message());
  std::vector<int64_t> in_strides = Strides(in.dims());
  std::vector<int64_t> out_dims = in.dims();
  std::vector<int64_t> view_strides = in_strides;
  int64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t a = (*normalized)[i];
    int64_t dim = in.dim(a);
    int64_t step = steps.has_value() ? (*steps)[i] : 1;
    if (step == 0) return ctx.Error("steps must not be 0");
    int64_t start = starts[i];
    int64_t end = ends[i];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t count = 0;
    if (dim == 0) {
      start = 0;
    } else if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      // -step, written so that a step of INT64_MIN cannot overflow.
      int64_t magnitude = step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
      count = start > end ? (start - end - 1) / magnitude + 1 : 0;
    }
    out_dims[static_cast<size_t>(a)] = count;
    if (count > 0) offset += start * in_strides[static_cast<size_t>(a)];
    // With one element taken the step is irrelevant; clamping it keeps the
    // stride product from overflowing for huge steps.
    view_strides[static_cast<size_t>(a)] = in_strides[static_cast<size_t>(a)] * (count > 1 ? step : 1);
  }
  absl::StatusOr<Tensor> out = NewTensor(ctx, in.dtype(), out_dims);
  if (!out.ok()) return out.status();
  absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (out->num_elements() > 0) {
      StridedCopy<W>(Elements<W>(in), offset, out_dims, view_strides, MutableElements<W>(*out));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// ================================================================ gathers

absl::Status GatherKernel(KernelContext& ctx) {
  const Tensor& data = *ctx.input(0);
  absl::StatusOr<const Tensor*> indices_input = RequiredInput(ctx, 1);
  if (!indices_input.ok()) return indices_input.status();
  const Tensor& indices = **indices_input;
  if (absl::Status s = CheckIntegerInput(ctx, indices, "indices"); !s.ok()) return s;
  if (data.rank() == 0) return ctx.Error("data must have rank >= 1");
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), data.rank());
  if (!axis.ok()) return axis.status();
  const int64_t dim = data.dim(*axis);
  std::vector<int64_t> idx = ToInt64s(indices);
  for (int64_t& i : idx) {
    absl::StatusOr<int64_t> w = WrapIndex(ctx, i, dim);
    if (!w.ok()) return w.status();
    i = *w;
  }
  std::vector<int64_t> out_dims(data.dims().begin(), data.dims().begin() + *axis);
  out_dims.insert(out_dims.end(), indices.dims().begin(), indices.dims().end());
  out_dims.insert(out_dims.end(), data.dims().begin() + *axis + 1, data.dims().end());
  absl::StatusOr<Tensor> out = NewTensor(ctx, data.dtype(), out_dims);
  if (!out.ok()) return out.status();
  const int64_t outer = Product(data.dims(), 0, static_cast<size_t>(*axis));
  const int64_t inner = Product(data.dims(), static_cast<size_t>(*axis) + 1, data.dims().size());
  absl::Status s = DispatchByWidth(ctx, data.dtype(), [&]<typename W>() {
    if (out->num_elements() == 0) return absl::OkStatus();
    const W* src = Elements<W>(data);
    W* dst = MutableElements<W>(*out);
    for (int64_t o = 0; o < outer; ++o) {
      const W* base = src + o * dim * inner;
      for (int64_t i : idx) {
        std::copy_n(base + i * inner, inner, dst);
        dst += inner;
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// For each element of `indices` (row-major over its dims), the flat offset in
// `data` of the element it addresses along `axis` (GatherElements and
// ScatterElements share this).
absl::StatusOr<std::vector<int64_t>> ElementOffsets(const KernelContext& ctx, const Tensor& data, const Tensor& indices,
                                                    int64_t axis) {
  if (indices.rank() != data.rank()) {
    return ctx.Error(absl::StrCat("indices have rank ", indices.rank(), ", data rank ", data.rank()));
  }
  for (int64_t d = 0; d < data.rank(); ++d) {
    if (d != axis && indices.dim(d) > data.dim(d)) {
      return ctx.Error(absl::StrCat("indices ", DimsString(indices.dims()), " exceed data ", DimsString(data.dims()),
                                    " outside axis ", axis));
    }
  }
  std::vector<int64_t> idx = ToInt64s(indices);
  std::vector<int64_t> data_strides = Strides(data.dims());
  std::vector<int64_t> offsets(idx.size());
  const size_t rank = static_cast<size_t>(data.rank());
  std::vector<int64_t> pos(rank, 0);
  int64_t base = 0;  // offset of `pos` in data with the axis coordinate left out
  const int64_t dim = data.dim(axis);
  for (size_t k = 0; k < idx.size(); ++k) {
    absl::StatusOr<int64_t> i = WrapIndex(ctx, idx[k], dim);
    if (!i.ok()) return i.status();
    offsets[k] = base + *i * data_strides[static_cast<size_t>(axis)];
    for (size_t ax = rank; ax-- > 0;) {
      int64_t stride = static_cast<int64_t>(ax) == axis ? 0 : data_strides[ax];
      if (++pos[ax] < indices.dim(static_cast<int64_t>(ax))) {
        base += stride;
        break;
      }
      base -= stride * (pos[ax] - 1);
      pos[ax] = 0;
    }
  }
  return offsets;
}

absl::Status GatherElementsKernel(KernelContext& ctx) {
  const Tensor& data = *ctx.input(0);
  absl::StatusOr<const Tensor*> indices = RequiredInput(ctx, 1);
  if (!indices.ok()) return indices.status();
  if (absl::Status s = CheckIntegerInput(ctx, **indices, "indices"); !s.ok()) return s;
  if (data.rank() == 0) return ctx.Error("data must have rank >= 1");
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), data.rank());
  if (!axis.ok()) return axis.status();
  absl::StatusOr<std::vector<int64_t>> offsets = ElementOffsets(ctx, data, **indices, *axis);
  if (!offsets.ok()) return offsets.status();
  absl::StatusOr<Tensor> out = NewTensor(ctx, data.dtype(), (*indices)->dims());
  if (!out.ok()) return out.status();
  absl::Status s = DispatchByWidth(ctx, data.dtype(), [&]<typename W>() {
    const W* src = Elements<W>(data);
    W* dst = MutableElements<W>(*out);
    for (size_t k = 0; k < offsets->size(); ++k) dst[k] = src[(*offsets)[k]];
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// Index tuples of GatherND / ScatterND resolved to flat slice offsets in data.
struct NdIndexing {
  int64_t slice_size = 1;              // elements per addressed slice
  std::vector<int64_t> slice_offsets;  // one per index tuple (batch included)
  std::vector<int64_t> out_dims;       // GatherND output == ScatterND updates dims
};

absl::StatusOr<NdIndexing> ResolveNdIndices(const KernelContext& ctx, const Tensor& data, const Tensor& indices,
                                            int64_t batch_dims) {
  int64_t r = data.rank();
  int64_t q = indices.rank();
  if (absl::Status s = CheckIntegerInput(ctx, indices, "indices"); !s.ok()) return s;
  if (r < 1 || q < 1) return ctx.Error("data and indices must have rank >= 1");
  if (batch_dims < 0 || batch_dims >= std::min(r, q)) {
    return ctx.Error(absl::StrCat("batch_dims ", batch_dims, " must be in [0, min(rank(data), rank(indices)))"));
  }
  int64_t k = indices.dim(q - 1);
  if (k < 1 || batch_dims + k > r) {
    return ctx.Error(absl::StrCat("indices' last dim ", k, " is out of range for data of rank ", r));
  }
  for (int64_t i = 0; i < batch_dims; ++i) {
    if (indices.dim(i) != data.dim(i)) {
      return ctx.Error(absl::StrCat("batch dim ", i, " differs: indices ", indices.dim(i), ", data ", data.dim(i)));
    }
  }
  NdIndexing out;
  out.out_dims.assign(indices.dims().begin(), indices.dims().end() - 1);
  out.out_dims.insert(out.out_dims.end(), data.dims().begin() + batch_dims + k, data.dims().end());
  out.slice_size = Product(data.dims(), static_cast<size_t>(batch_dims + k), data.dims().size());
  std::vector<int64_t> strides = Strides(data.dims());
  int64_t batch_count = Product(data.dims(), 0, static_cast<size_t>(batch_dims));
  int64_t batch_stride = Product(data.dims(), static_cast<size_t>(batch_dims), data.dims().size());
  int64_t tuples = Product(indices.dims(), 0, static_cast<size_t>(q - 1));
  int64_t tuples_per_batch = batch_count == 0 ? 0 : tuples / batch_count;
  std::vector<int64_t> idx = ToInt64s(indices);
  out.slice_offsets.resize(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = tuples_per_batch == 0 ? 0 : (t / tuples_per_batch) * batch_stride;
    for (int64_t j = 0; j < k; ++j) {
      int64_t axis = batch_dims + j;
      absl::StatusOr<int64_t> i = WrapIndex(ctx, idx[static_cast<size_t>(t * k + j)], data.dim(axis));
      if (!i.ok()) return i.status();
      offset += *i * strides[static_cast<size_t>(axis)];
    }
    out.slice_offsets[static_cast<size_t>(t)] = offset;
  }
  return out;
}

absl::Status GatherNDKernel(KernelContext& ctx) {
  const Tensor& data = *ctx.input(0);
  absl::StatusOr<const Tensor*> indices = RequiredInput(ctx, 1);
  if (!indices.ok()) return indices.status();
  int64_t batch_dims = ctx.opset() >= 12 ? ctx.node().GetInt("batch_dims", 0) : 0;
  absl::StatusOr<NdIndexing> nd = ResolveNdIndices(ctx, data, **indices, batch_dims);
  if (!nd.ok()) return nd.status();
  absl::StatusOr<Tensor> out = NewTensor(ctx, data.dtype(), nd->out_dims);
  if (!out.ok()) return out.status();
  absl::Status s = DispatchByWidth(ctx, data.dtype(), [&]<typename W>() {
    if (out->num_elements() == 0) return absl::OkStatus();
    const W* src = Elements<W>(data);
    W* dst = MutableElements<W>(*out);
    for (int64_t offset : nd->slice_offsets) {
      std::copy_n(src + offset, nd->slice_size, dst);
      dst += nd->slice_size;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// ================================================================ scatters

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

absl::StatusOr<Reduction> ReadReduction(const KernelContext& ctx) {
  std::string r = ctx.node().GetString("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (ctx.opset() >= 16 && r == "add") return Reduction::kAdd;
  if (ctx.opset() >= 16 && r == "mul") return Reduction::kMul;
  if (ctx.opset() >= 18 && r == "max") return Reduction::kMax;
  if (ctx.opset() >= 18 && r == "min") return Reduction::kMin;
  return ctx.Error(absl::StrCat("reduction '", r, "' is not supported at opset ", ctx.opset()));
}

// Integer arithmetic that wraps on overflow like the hardware does, instead
// of being undefined.
template <typename T>
T WrappingAdd(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return static_cast<T>(a + b);
  }
}

template <typename T>
T WrappingMul(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return static_cast<T>(a * b);
  }
}

template <typename T>
T Combine(T a, T b, Reduction r) {
  if constexpr (std::is_same_v<T, bool>) {
    switch (r) {
      case Reduction::kAdd:
      case Reduction::kMax:
        return a || b;
      case Reduction::kMul:
      case Reduction::kMin:
        return a && b;
      default:
        return b;
    }
  } else {
    switch (r) {
      case Reduction::kAdd:
        return WrappingAdd<T>(a, b);
      case Reduction::kMul:
        return WrappingMul<T>(a, b);
      case Reduction::kMax:
        return std::max(a, b);
      case Reduction::kMin:
        return std::min(a, b);
      default:
        return b;
    }
  }
}

// Applies updates[k] to data[offsets[k] .. + block) in order; later updates
// to the same place see earlier ones, which makes duplicates deterministic.
absl::StatusOr<Tensor> ScatterBlocks(const KernelContext& ctx, const Tensor& data, const Tensor& updates,
                                     const std::vector<int64_t>& offsets, int64_t block, Reduction reduction) {
  if (updates.dtype() != data.dtype()) {
    return ctx.Error(
        absl::StrCat("updates have type ", ir::DTypeName(updates.dtype()), ", data ", ir::DTypeName(data.dtype())));
  }
  if (reduction == Reduction::kNone) {
    Tensor out = data;
    absl::Status s = DispatchByWidth(ctx, data.dtype(), [&]<typename W>() {
      if (offsets.empty() || block == 0) return absl::OkStatus();
      W* dst = MutableElements<W>(out);
      const W* src = Elements<W>(updates);
      for (size_t k = 0; k < offsets.size(); ++k)
        std::copy_n(src + static_cast<int64_t>(k) * block, block, dst + offsets[k]);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }
  bool half = data.dtype() == DType::kFloat16 || data.dtype() == DType::kBFloat16;
  Tensor out = half ? ToFloat32(data) : data;
  Tensor upd = half ? ToFloat32(updates) : updates;
  absl::Status s = DispatchNumeric(out.dtype(), [&]<typename T>() {
    if (offsets.empty() || block == 0) return absl::OkStatus();
    T* dst = out.mutable_data<T>();
    const T* src = upd.data<T>();
    for (size_t k = 0; k < offsets.size(); ++k) {
      for (int64_t e = 0; e < block; ++e) {
        T& d = dst[offsets[k] + e];
        d = Combine<T>(d, src[static_cast<int64_t>(k) * block + e], reduction);
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return ctx.Error(s.message());
  return half ? FromFloat32(out, data.dtype()) : out;
}

absl::Status ScatterElementsKernel(KernelContext& ctx) {
  const Tensor& data = *ctx.input(0);
  absl::StatusOr<const Tensor*> indices = RequiredInput(ctx, 1);
  if (!indices.ok()) return indices.status();
  absl::StatusOr<const Tensor*> updates = RequiredInput(ctx, 2);
  if (!updates.ok()) return updates.status();
  if (absl::Status s = CheckIntegerInput(ctx, **indices, "indices"); !s.ok()) return s;
  if ((*indices)->dims() != (*updates)->dims()) {
    return ctx.Error(absl::StrCat("indices ", DimsString((*indices)->dims()), " and updates ",
                                  DimsString((*updates)->dims()), " must have the same shape"));
  }
  absl::StatusOr<Reduction> reduction =
      ctx.node().op_type == "Scatter" ? absl::StatusOr<Reduction>(Reduction::kNone) : ReadReduction(ctx);
  if (!reduction.ok()) return reduction.status();
  if (data.rank() == 0) return ctx.Error("data must have rank >= 1");
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), data.rank());
  if (!axis.ok()) return axis.status();
  absl::StatusOr<std::vector<int64_t>> offsets = ElementOffsets(ctx, data, **indices, *axis);
  if (!offsets.ok()) return offsets.status();
  absl::StatusOr<Tensor> out = ScatterBlocks(ctx, data, **updates, *offsets, 1, *reduction);
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status ScatterNDKernel(KernelContext& ctx) {
  const Tensor& data = *ctx.input(0);
  absl::StatusOr<const Tensor*> indices = RequiredInput(ctx, 1);
  if (!indices.ok()) return indices.status();
  absl::StatusOr<const Tensor*> updates = RequiredInput(ctx, 2);
  if (!updates.ok()) return updates.status();
  absl::StatusOr<Reduction> reduction = ReadReduction(ctx);
  if (!reduction.ok()) return reduction.status();
  absl::StatusOr<NdIndexing> nd = ResolveNdIndices(ctx, data, **indices, 0);
  if (!nd.ok()) return nd.status();
  if ((*updates)->dims() != nd->out_dims) {
    return ctx.Error(
        absl::StrCat("updates have shape ", DimsString((*updates)->dims()), ", expected ", DimsString(nd->out_dims)));
  }
  absl::StatusOr<Tensor> out = ScatterBlocks(ctx, data, **updates, nd->slice_offsets, nd->slice_size, *reduction);
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// ================================================================ Expand, Tile, Range

absl::Status ExpandKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<const Tensor*> shape = RequiredInput(ctx, 1);
  if (!shape.ok()) return shape.status();
  if (absl::Status s = CheckIntegerInput(ctx, **shape, "shape"); !s.ok()) return s;
  absl::StatusOr<std::vector<int64_t>> out_dims = BroadcastDims({in.dims(), ToInt64s(**shape)});
  if (!out_dims.ok()) return ctx.Error(out_dims.status().message());
  absl::StatusOr<Tensor> out = NewTensor(ctx, in.dtype(), *out_dims);
  if (!out.ok()) return out.status();
  size_t rank = out_dims->size();
  size_t offset = rank - in.dims().size();
  std::vector<int64_t> in_strides = Strides(in.dims());
  std::vector<int64_t> strides(rank, 0);
  for (size_t i = 0; i < in.dims().size(); ++i) strides[offset + i] = in.dims()[i] == 1 ? 0 : in_strides[i];
  absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (out->num_elements() > 0) StridedCopy<W>(Elements<W>(in), 0, *out_dims, strides, MutableElements<W>(*out));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status TileKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<const Tensor*> repeats_input = RequiredInput(ctx, 1);
  if (!repeats_input.ok()) return repeats_input.status();
  if (absl::Status s = CheckIntegerInput(ctx, **repeats_input, "repeats"); !s.ok()) return s;
  std::vector<int64_t> repeats = ToInt64s(**repeats_input);
  if (static_cast<int64_t>(repeats.size()) != in.rank()) {
    return ctx.Error(absl::StrCat("repeats has ", repeats.size(), " entries, input has rank ", in.rank()));
  }
  // The output [r0*d0, r1*d1, ...] read as [r0, d0, r1, d1, ...] is a view of
  // the input with stride 0 along each repeat axis.
  std::vector<int64_t> in_strides = Strides(in.dims());
  std::vector<int64_t> view_dims;
  std::vector<int64_t> view_strides;
  std::vector<int64_t> out_dims;
  for (int64_t i = 0; i < in.rank(); ++i) {
    int64_t r = repeats[static_cast<size_t>(i)];
    if (r < 0) return ctx.Error(absl::StrCat("repeats has a negative entry ", r));
    if (r > ir::kMaxDimValue || (in.dim(i) > 0 && r > ir::kMaxElements / in.dim(i))) {
      return ctx.Error(absl::StrCat("repeats entry ", r, " makes the output too large"));
    }
    view_dims.insert(view_dims.end(), {r, in.dim(i)});
    view_strides.insert(view_strides.end(), {0, in_strides[static_cast<size_t>(i)]});
    out_dims.push_back(r * in.dim(i));
  }
  absl::StatusOr<Tensor> out = NewTensor(ctx, in.dtype(), out_dims);
  if (!out.ok()) return out.status();
  absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (out->num_elements() > 0) StridedCopy<W>(Elements<W>(in), 0, view_dims, view_strides, MutableElements<W>(*out));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status RangeKernel(KernelContext& ctx) {
  const Tensor* inputs[3];
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<const Tensor*> t = RequiredInput(ctx, i);
    if (!t.ok()) return t.status();
    inputs[i] = *t;
    if (inputs[i]->num_elements() != 1) return ctx.Error(absl::StrCat("input ", i, " must be a scalar"));
    if (inputs[i]->dtype() != inputs[0]->dtype()) return ctx.Error("start, limit and delta must have one type");
  }
  DType dtype = inputs[0]->dtype();
  if (dtype == DType::kFloat16 || dtype == DType::kBFloat16) {
    // Computed in the stash type (float unless double is asked for), as
    // start + i * delta, then narrowed.
    double start = inputs[0]->GetAsDouble(0);
    double limit = inputs[1]->GetAsDouble(0);
    double delta = inputs[2]->GetAsDouble(0);
    if (delta == 0) return ctx.Error("delta must not be 0");
    bool stash_double = ctx.node().GetInt("stash_type", 1) == static_cast<int64_t>(DType::kFloat64);
    double count = std::ceil((limit - start) / delta);
    if (!(count <= static_cast<double>(ir::kMaxElements))) {
      return ctx.Error(absl::StrCat("range of ", count, " elements is too large"));
    }
    absl::StatusOr<Tensor> out = NewTensor(ctx, dtype, {std::max<int64_t>(0, static_cast<int64_t>(count))});
    if (!out.ok()) return out.status();
    for (int64_t i = 0; i < out->num_elements(); ++i) {
      double v =
          stash_double
              ? start + static_cast<double>(i) * delta
              : static_cast<double>(static_cast<float>(start) + static_cast<float>(i) * static_cast<float>(delta));
      out->SetFromDouble(i, v);
    }
    ctx.set_output(0, *std::move(out));
    return absl::OkStatus();
  }
  if (dtype != DType::kFloat32 && dtype != DType::kFloat64 && dtype != DType::kInt16 && dtype != DType::kInt32 &&
      dtype != DType::kInt64) {
    return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(), ": element type ",
                                                 ir::DTypeName(dtype), " is not supported by Range"));
  }
  return DispatchNumeric(dtype, [&]<typename T>() -> absl::Status {
    T start = inputs[0]->data<T>()[0];
    T limit = inputs[1]->data<T>()[0];
    T delta = inputs[2]->data<T>()[0];
    if (delta == T(0)) return ctx.Error("delta must not be 0");
    double count = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
    if (!(count <= static_cast<double>(ir::kMaxElements))) {
      return ctx.Error(absl::StrCat("range of ", count, " elements is too large"));
    }
    absl::StatusOr<Tensor> out = NewTensor(ctx, dtype, {std::max<int64_t>(0, static_cast<int64_t>(count))});
    if (!out.ok()) return out.status();
    T* o = out->mutable_data<T>();
    T value = start;
    for (int64_t i = 0; i < out->num_elements(); ++i) {  // accumulated, as the spec's loop body does
      o[i] = value;
      value = WrappingAdd<T>(value, delta);
    }
    ctx.set_output(0, *std::move(out));
    return absl::OkStatus();
  });
}

// ================================================================ Pad

// Source index along an axis of size `dim` for output position `o` when `begin`
// elements are padded before it; -1 means the pad value.
int64_t PadSourceIndex(int64_t o, int64_t begin, int64_t dim, absl::string_view mode) {
  int64_t i = o - begin;
  if (i >= 0 && i < dim) return i;
  if (mode == "constant") return -1;
  if (mode == "edge") return std::clamp<int64_t>(i, 0, dim - 1);
  if (mode == "wrap") return ((i % dim) + dim) % dim;
  if (dim == 1) return 0;  // reflect
  int64_t period = 2 * (dim - 1);
  i = ((i % period) + period) % period;
  return i < dim ? i : period - i;
}

absl::Status PadKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t rank = in.rank();
  std::string mode = ctx.node().GetString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && !(mode == "wrap" && ctx.opset() >= 19)) {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported at opset ", ctx.opset()));
  }
  absl::StatusOr<std::optional<std::vector<int64_t>>> pads_or = IntsFromAttributeOrInput(ctx, "pads", 1, 11);
  if (!pads_or.ok()) return pads_or.status();
  if (!pads_or->has_value()) return ctx.Error("pads are required");
  const std::vector<int64_t>& pads = **pads_or;
  std::vector<int64_t> axes;
  if (ctx.opset() >= 18 && ctx.input(3) != nullptr) {
    if (absl::Status s = CheckIntegerInput(ctx, *ctx.input(3), "axes"); !s.ok()) return s;
    absl::StatusOr<std::vector<int64_t>> normalized = ir::NormalizeAxes(ToInt64s(*ctx.input(3)), rank);
    if (!normalized.ok()) return ctx.Error(normalized.status().message());
    axes = *normalized;
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  size_t n = axes.size();
  if (pads.size() != 2 * n) return ctx.Error(absl::StrCat("pads has ", pads.size(), " entries, expected ", 2 * n));
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0);
  std::vector<int64_t> end(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < n; ++i) {
    begin[static_cast<size_t>(axes[i])] = pads[i];
    end[static_cast<size_t>(axes[i])] = pads[i + n];
  }
  // The pad value as one element of the data's type.
  Tensor fill = Tensor::Zeros(in.dtype(), {1});
  if (mode == "constant") {
    if (ctx.opset() < 11) {
      bool numeric = ir::IsFloatingPoint(in.dtype()) || ir::IsInteger(in.dtype()) || in.dtype() == DType::kBool;
      if (numeric) fill.SetFromDouble(0, ctx.node().GetFloat("value", 0.0f));
    } else if (const Tensor* value = ctx.input(2); value != nullptr && value->num_elements() > 0) {
      if (value->dtype() != in.dtype()) {
        return ctx.Error(absl::StrCat("constant_value has type ", ir::DTypeName(value->dtype()), ", data ",
                                      ir::DTypeName(in.dtype())));
      }
      absl::StatusOr<Tensor> one = value->Reshaped({1});
      if (one.ok()) fill = *one;
    }
  }
  std::vector<int64_t> out_dims;
  std::vector<std::vector<int64_t>> maps(static_cast<size_t>(rank));
  for (int64_t a = 0; a < rank; ++a) {
    int64_t dim = in.dim(a);
    int64_t b = begin[static_cast<size_t>(a)];
    int64_t e = end[static_cast<size_t>(a)];
    if (b < -ir::kMaxDimValue || b > ir::kMaxDimValue || e < -ir::kMaxDimValue || e > ir::kMaxDimValue) {
      return ctx.Error(absl::StrCat("pads ", b, ", ", e, " are too large"));
    }
    int64_t out_dim = dim + b + e;
    if (out_dim < 0) return ctx.Error(absl::StrCat("pads shrink axis ", a, " of size ", dim, " below 0"));
    if (mode != "constant" && dim == 0 && out_dim > 0) {
      return ctx.Error(absl::StrCat("cannot pad an empty axis ", a, " in ", mode, " mode"));
    }
    out_dims.push_back(out_dim);
    auto& m = maps[static_cast<size_t>(a)];
    m.resize(static_cast<size_t>(out_dim));
    for (int64_t o = 0; o < out_dim; ++o) m[static_cast<size_t>(o)] = PadSourceIndex(o, b, dim, mode);
  }
  absl::StatusOr<Tensor> out = NewTensor(ctx, in.dtype(), out_dims);
  if (!out.ok()) return out.status();
  absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (out->num_elements() > 0) {
      AxisMapCopy<W>(Elements<W>(in), in.dims(), maps, Elements<W>(fill)[0], MutableElements<W>(*out));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// ================================================================ Resize, Upsample

enum class ResizeMode { kNearest, kLinear, kCubic };

struct ResizeParams {
  ResizeMode mode = ResizeMode::kNearest;
  std::string coordinate_mode = "half_pixel";
  std::string nearest_mode = "round_prefer_floor";
  // Opset 10 Resize and Upsample: asymmetric coordinates, and nearest rounds
  // down when upsampling, up when downsampling (what onnxruntime does).
  bool legacy_nearest = false;
  double cubic_coeff_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
  bool antialias = false;
  std::vector<double> scales;  // per axis
  std::vector<int64_t> out_dims;
  std::vector<double> roi;  // 2*rank (starts then ends); empty when unused
};

// For one axis: where output position x samples the input, as a list of
// (input index, weight) taps, or "extrapolate" for tf_crop_and_resize
// positions outside the input.
struct AxisTaps {
  int64_t taps_per_output = 0;
  std::vector<int64_t> index;     // out_dim * taps_per_output
  std::vector<double> weight;     // same
  std::vector<bool> extrapolate;  // out_dim
};

double OriginalCoordinate(const ResizeParams& p, int64_t axis, double x, int64_t in_dim, int64_t out_dim) {
  double scale = p.scales[static_cast<size_t>(axis)];
  double out_width = scale * static_cast<double>(in_dim);  // fractional, as the spec defines it
  const std::string& m = p.coordinate_mode;
  if (m == "asymmetric") return x / scale;
  if (m == "align_corners") return out_width == 1 ? 0.0 : x * static_cast<double>(in_dim - 1) / (out_width - 1);
  // The spec (and onnxruntime) map a single output to 0; the Python reference uses -0.5.
  if (m == "pytorch_half_pixel") return out_dim <= 1 ? 0.0 : (x + 0.5) / scale - 0.5;
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (m == "tf_crop_and_resize") {
    size_t rank = p.scales.size();
    double start = p.roi.empty() ? 0.0 : p.roi[static_cast<size_t>(axis)];
    double end = p.roi.empty() ? 1.0 : p.roi[static_cast<size_t>(axis) + rank];
    double extent = static_cast<double>(in_dim - 1);
    double x_ori = out_width == 1 ? (end - start) * extent / 2 : x * (end - start) * extent / (out_width - 1);
    return x_ori + start * extent;
  }
  if (m == "half_pixel_symmetric") {
    double adjustment = static_cast<double>(out_dim) / out_width;
    double center = static_cast<double>(in_dim) / 2;
    double offset = center * (1 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  return (x + 0.5) / scale - 0.5;  // half_pixel
}

double CubicWeight(double x, double a) {
  x = std::abs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

AxisTaps ComputeTaps(const ResizeParams& p, int64_t axis, int64_t in_dim, int64_t out_dim) {
  AxisTaps taps;
  double scale = p.scales[static_cast<size_t>(axis)];
  taps.extrapolate.assign(static_cast<size_t>(out_dim), false);
  // An axis that keeps its size at scale 1 is not resampled at all (as in the
  // reference and onnxruntime), even where a coordinate mode would shift it
  // (tf_half_pixel_for_nn) — unless a crop box moves it.
  size_t rank = p.scales.size();
  bool cropped =
      !p.roi.empty() && (p.roi[static_cast<size_t>(axis)] != 0.0 || p.roi[static_cast<size_t>(axis) + rank] != 1.0);
  if (scale == 1.0 && in_dim == out_dim && !cropped) {
    taps.taps_per_output = 1;
    for (int64_t x = 0; x < out_dim; ++x) {
      taps.index.push_back(x);
      taps.weight.push_back(1.0);
    }
    return taps;
  }
  if (p.mode == ResizeMode::kNearest) {
    taps.taps_per_output = 1;
    for (int64_t x = 0; x < out_dim; ++x) {
      double x_ori = p.legacy_nearest ? static_cast<double>(x) / scale
                                      : OriginalCoordinate(p, axis, static_cast<double>(x), in_dim, out_dim);
      if (p.coordinate_mode == "tf_crop_and_resize" && (x_ori < 0 || x_ori > static_cast<double>(in_dim - 1))) {
        taps.extrapolate[static_cast<size_t>(x)] = true;
      }
      int64_t i;
      double fl = std::floor(x_ori);
      if (p.legacy_nearest) {
        i = scale < 1 ? static_cast<int64_t>(std::ceil(x_ori)) : static_cast<int64_t>(fl);
      } else if (x_ori == fl) {
        i = static_cast<int64_t>(fl);
      } else if (p.nearest_mode == "floor") {
        i = static_cast<int64_t>(fl);
      } else if (p.nearest_mode == "ceil") {
        i = static_cast<int64_t>(fl) + 1;
      } else if (p.nearest_mode == "round_prefer_ceil") {
        i = static_cast<int64_t>(x_ori - fl >= 0.5 ? fl + 1 : fl);
      } else {  // round_prefer_floor
        i = static_cast<int64_t>(x_ori - fl > 0.5 ? fl + 1 : fl);
      }
      taps.index.push_back(std::clamp<int64_t>(i, 0, in_dim - 1));
      taps.weight.push_back(1.0);
    }
    return taps;
  }
  // Linear and cubic: a kernel of radius 1 or 2, stretched by 1/scale when
  // antialiasing a downscale.
  double radius = p.mode == ResizeMode::kLinear ? 1.0 : 2.0;
  double support_scale = p.antialias ? std::min(scale, 1.0) : 1.0;
  int64_t first = static_cast<int64_t>(std::floor(-radius / support_scale)) + 1;
  int64_t count = 2 - 2 * first;
  taps.taps_per_output = count;
  for (int64_t x = 0; x < out_dim; ++x) {
    double x_ori = OriginalCoordinate(p, axis, static_cast<double>(x), in_dim, out_dim);
    if (p.coordinate_mode == "tf_crop_and_resize" && (x_ori < 0 || x_ori > static_cast<double>(in_dim - 1))) {
      taps.extrapolate[static_cast<size_t>(x)] = true;
    }
    double fl = std::floor(x_ori);
    double t = x_ori - fl;
    int64_t base = static_cast<int64_t>(fl);
    std::vector<double> w(static_cast<size_t>(count));
    double sum = 0;
    for (int64_t j = 0; j < count; ++j) {
      double d = (static_cast<double>(first + j) - t) * support_scale;
      double v =
          p.mode == ResizeMode::kLinear ? std::clamp(1.0 - std::abs(d), 0.0, 1.0) : CubicWeight(d, p.cubic_coeff_a);
      int64_t src = base + first + j;
      if (p.exclude_outside && (src < 0 || src >= in_dim)) v = 0;
      w[static_cast<size_t>(j)] = v;
      sum += v;
    }
    bool normalize = p.antialias || p.exclude_outside;
    for (int64_t j = 0; j < count; ++j) {
      taps.index.push_back(std::clamp<int64_t>(base + first + j, 0, in_dim - 1));
      taps.weight.push_back(normalize && sum != 0 ? w[static_cast<size_t>(j)] / sum : w[static_cast<size_t>(j)]);
    }
  }
  return taps;
}

// Stores a resampled value into an element of `dtype`: integers are rounded
// half to even and saturated, as the reference's saturate_cast does.
void StoreResampled(Tensor& out, int64_t i, double v) {
  DType dtype = out.dtype();
  if (ir::IsInteger(dtype)) {
    double lo = 0;
    double hi = 0;
    switch (dtype) {
      case DType::kInt8:
        lo = -128, hi = 127;
        break;
      case DType::kUInt8:
        lo = 0, hi = 255;
        break;
      case DType::kInt16:
        lo = -32768, hi = 32767;
        break;
      case DType::kUInt16:
        lo = 0, hi = 65535;
        break;
      case DType::kInt32:
        lo = -2147483648.0, hi = 2147483647.0;
        break;
      case DType::kUInt32:
        lo = 0, hi = 4294967295.0;
        break;
      case DType::kInt64:
        lo = -9.2233720368547758e18, hi = 9.2233720368547748e18;
        break;
      default:
        lo = 0, hi = 1.8446744073709550e19;
        break;
    }
    v = std::clamp(std::nearbyint(v), lo, hi);
  }
  out.SetFromDouble(i, v);
}

absl::Status RunResize(KernelContext& ctx, const Tensor& in, const ResizeParams& p) {
  int64_t rank = in.rank();
  absl::StatusOr<Tensor> out = NewTensor(ctx, in.dtype(), p.out_dims);
  if (!out.ok()) return out.status();
  if (out->num_elements() == 0) {
    ctx.set_output(0, *std::move(out));
    return absl::OkStatus();
  }
  if (in.num_elements() == 0) return ctx.Error("cannot resize an empty tensor to a non-empty one");
  std::vector<AxisTaps> taps;
  bool any_extrapolation = false;
  for (int64_t a = 0; a < rank; ++a) {
    taps.push_back(ComputeTaps(p, a, in.dim(a), p.out_dims[static_cast<size_t>(a)]));
    for (bool e : taps.back().extrapolate) any_extrapolation |= e;
  }
  if (p.mode == ResizeMode::kNearest && !any_extrapolation) {
    // Pure index selection: move element words, any dtype.
    std::vector<std::vector<int64_t>> maps;
    for (const AxisTaps& t : taps) maps.push_back(t.index);
    absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
      if constexpr (std::is_same_v<W, std::string>) {
        AxisMapCopy<W>(Elements<W>(in), in.dims(), maps, std::string(), MutableElements<W>(*out));
      } else {
        AxisMapCopy<W>(Elements<W>(in), in.dims(), maps, W{}, MutableElements<W>(*out));
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    ctx.set_output(0, *std::move(out));
    return absl::OkStatus();
  }
  if (in.dtype() == DType::kString || (!ir::IsFloatingPoint(in.dtype()) && !ir::IsInteger(in.dtype()))) {
    return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(), ": element type ",
                                                 ir::DTypeName(in.dtype()), " is not supported by this kernel"));
  }
  // Separable resampling in double, one axis at a time; the taps are the same
  // for every line along an axis.
  std::vector<double> current(static_cast<size_t>(in.num_elements()));
  if (in.dtype() == DType::kFloat32) {
    std::copy_n(in.data<float>(), in.num_elements(), current.begin());
  } else {
    for (int64_t i = 0; i < in.num_elements(); ++i) current[static_cast<size_t>(i)] = in.GetAsDouble(i);
  }
  std::vector<int64_t> dims = in.dims();
  for (int64_t a = 0; a < rank; ++a) {
    int64_t out_dim = p.out_dims[static_cast<size_t>(a)];
    const AxisTaps& t = taps[static_cast<size_t>(a)];
    int64_t in_dim = dims[static_cast<size_t>(a)];
    bool identity = out_dim == in_dim && t.taps_per_output > 0;
    for (int64_t x = 0; identity && x < out_dim; ++x) {
      double w_total = 0;
      for (int64_t j = 0; j < t.taps_per_output; ++j) {
        size_t k = static_cast<size_t>(x * t.taps_per_output + j);
        if (t.weight[k] != 0) {
          identity &= t.index[k] == x;
          w_total += t.weight[k];
        }
      }
      identity &= w_total == 1.0 && !t.extrapolate[static_cast<size_t>(x)];
    }
    if (identity) continue;
    int64_t outer = Product(dims, 0, static_cast<size_t>(a));
    int64_t inner = Product(dims, static_cast<size_t>(a) + 1, dims.size());
    std::vector<double> next(static_cast<size_t>(outer * out_dim * inner), 0.0);
    for (int64_t o = 0; o < outer; ++o) {
      const double* src = current.data() + o * in_dim * inner;
      double* dst = next.data() + o * out_dim * inner;
      for (int64_t x = 0; x < out_dim; ++x) {
        double* row = dst + x * inner;
        if (t.extrapolate[static_cast<size_t>(x)]) {
          std::fill_n(row, inner, p.extrapolation_value);
          continue;
        }
        for (int64_t j = 0; j < t.taps_per_output; ++j) {
          size_t k = static_cast<size_t>(x * t.taps_per_output + j);
          double w = t.weight[k];
          if (w == 0) continue;
          const double* s = src + t.index[k] * inner;
          for (int64_t e = 0; e < inner; ++e) row[e] += w * s[e];
        }
      }
    }
    current = std::move(next);
    dims[static_cast<size_t>(a)] = out_dim;
  }
  if (out->dtype() == DType::kFloat32) {
    float* o = out->mutable_data<float>();
    for (int64_t i = 0; i < out->num_elements(); ++i) o[i] = static_cast<float>(current[static_cast<size_t>(i)]);
  } else {
    for (int64_t i = 0; i < out->num_elements(); ++i) StoreResampled(*out, i, current[static_cast<size_t>(i)]);
  }
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> ReadDoubles(const KernelContext& ctx, const Tensor& t, absl::string_view what) {
  if (!ir::IsFloatingPoint(t.dtype()) && !ir::IsInteger(t.dtype())) {
    return ctx.Error(absl::StrCat(what, " must be numeric, is ", ir::DTypeName(t.dtype())));
  }
  std::vector<double> out(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) out[static_cast<size_t>(i)] = t.GetAsDouble(i);
  return out;
}

absl::Status FillScaledDims(const KernelContext& ctx, const Tensor& in, ResizeParams& p) {
  if (static_cast<int64_t>(p.scales.size()) != in.rank()) {
    return ctx.Error(absl::StrCat("scales has ", p.scales.size(), " entries, input has rank ", in.rank()));
  }
  p.out_dims.clear();
  for (int64_t a = 0; a < in.rank(); ++a) {
    double s = p.scales[static_cast<size_t>(a)];
    if (!(s > 0)) return ctx.Error(absl::StrCat("scale ", s, " must be positive"));
    double scaled = std::floor(static_cast<double>(in.dim(a)) * s);
    if (!(scaled <= static_cast<double>(ir::kMaxDimValue))) {
      return ctx.Error(absl::StrCat("scale ", s, " makes dim ", in.dim(a), " too large"));
    }
    p.out_dims.push_back(static_cast<int64_t>(scaled));
  }
  return absl::OkStatus();
}

absl::Status UpsampleKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  ResizeParams p;
  std::string mode = ctx.node().GetString("mode", "nearest");
  if (mode == "nearest") {
    p.mode = ResizeMode::kNearest;
  } else if (mode == "linear" || mode == "bilinear") {
    p.mode = ResizeMode::kLinear;
  } else {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported"));
  }
  p.coordinate_mode = "asymmetric";
  p.legacy_nearest = true;
  if (ctx.opset() < 9) {
    std::vector<float> f = ctx.node().GetFloats("scales");
    p.scales.assign(f.begin(), f.end());
  } else {
    absl::StatusOr<const Tensor*> scales = RequiredInput(ctx, 1);
    if (!scales.ok()) return scales.status();
    absl::StatusOr<std::vector<double>> s = ReadDoubles(ctx, **scales, "scales");
    if (!s.ok()) return s.status();
    p.scales = *s;
  }
  if (absl::Status s = FillScaledDims(ctx, in, p); !s.ok()) return s;
  return RunResize(ctx, in, p);
}

absl::Status ResizeKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  const ir::Node& node = ctx.node();
  int64_t opset = ctx.opset();
  int64_t rank = in.rank();
  ResizeParams p;
  std::string mode = node.GetString("mode", "nearest");
  if (mode == "nearest") {
    p.mode = ResizeMode::kNearest;
  } else if (mode == "linear") {
    p.mode = ResizeMode::kLinear;
  } else if (mode == "cubic" && opset >= 11) {
    p.mode = ResizeMode::kCubic;
  } else {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported at opset ", opset));
  }
  if (opset < 11) {
    p.coordinate_mode = "asymmetric";
    p.legacy_nearest = true;
    absl::StatusOr<const Tensor*> scales = RequiredInput(ctx, 1);
    if (!scales.ok()) return scales.status();
    absl::StatusOr<std::vector<double>> s = ReadDoubles(ctx, **scales, "scales");
    if (!s.ok()) return s.status();
    p.scales = *s;
    if (absl::Status st = FillScaledDims(ctx, in, p); !st.ok()) return st;
    return RunResize(ctx, in, p);
  }
  p.coordinate_mode = node.GetString("coordinate_transformation_mode", "half_pixel");
  static const char* const kModes[] = {"half_pixel",          "pytorch_half_pixel",   "align_corners",
                                       "asymmetric",          "tf_half_pixel_for_nn", "tf_crop_and_resize",
                                       "half_pixel_symmetric"};
  if (std::find(std::begin(kModes), std::end(kModes), p.coordinate_mode) == std::end(kModes)) {
    return ctx.Error(absl::StrCat("coordinate_transformation_mode '", p.coordinate_mode, "' is not supported"));
  }
  p.nearest_mode = node.GetString("nearest_mode", "round_prefer_floor");
  if (p.nearest_mode != "round_prefer_floor" && p.nearest_mode != "round_prefer_ceil" && p.nearest_mode != "floor" &&
      p.nearest_mode != "ceil") {
    return ctx.Error(absl::StrCat("nearest_mode '", p.nearest_mode, "' is not supported"));
  }
  p.cubic_coeff_a = node.GetFloat("cubic_coeff_a", -0.75f);
  p.exclude_outside = node.GetInt("exclude_outside", 0) != 0;
  p.extrapolation_value = node.GetFloat("extrapolation_value", 0.0f);
  p.antialias = opset >= 18 && node.GetInt("antialias", 0) != 0;
  if (p.antialias && p.mode == ResizeMode::kNearest) return ctx.Error("antialias needs linear or cubic mode");
  std::vector<int64_t> axes;
  if (opset >= 18 && node.FindAttribute("axes") != nullptr) {
    absl::StatusOr<std::vector<int64_t>> normalized = ir::NormalizeAxes(node.GetInts("axes"), rank);
    if (!normalized.ok()) return ctx.Error(normalized.status().message());
    axes = *normalized;
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const Tensor* roi = ctx.input(1);
  const Tensor* scales = ctx.input(2);
  const Tensor* sizes = ctx.input(3);
  if (scales != nullptr && scales->num_elements() == 0) scales = nullptr;
  if (sizes != nullptr && sizes->num_elements() == 0) sizes = nullptr;
  if ((scales == nullptr) == (sizes == nullptr)) return ctx.Error("exactly one of scales and sizes must be given");
  if (p.coordinate_mode == "tf_crop_and_resize" && roi != nullptr && roi->num_elements() > 0) {
    absl::StatusOr<std::vector<double>> r = ReadDoubles(ctx, *roi, "roi");
    if (!r.ok()) return r.status();
    if (r->size() != 2 * axes.size()) {
      return ctx.Error(absl::StrCat("roi has ", r->size(), " entries, expected ", 2 * axes.size()));
    }
    p.roi.assign(static_cast<size_t>(rank), 0.0);
    p.roi.resize(static_cast<size_t>(2 * rank), 1.0);
    for (size_t i = 0; i < axes.size(); ++i) {
      p.roi[static_cast<size_t>(axes[i])] = (*r)[i];
      p.roi[static_cast<size_t>(axes[i] + rank)] = (*r)[i + axes.size()];
    }
  }
  p.scales.assign(static_cast<size_t>(rank), 1.0);
  if (scales != nullptr) {
    absl::StatusOr<std::vector<double>> s = ReadDoubles(ctx, *scales, "scales");
    if (!s.ok()) return s.status();
    if (s->size() != axes.size()) {
      return ctx.Error(absl::StrCat("scales has ", s->size(), " entries, expected ", axes.size()));
    }
    for (size_t i = 0; i < axes.size(); ++i) p.scales[static_cast<size_t>(axes[i])] = (*s)[i];
    if (absl::Status st = FillScaledDims(ctx, in, p); !st.ok()) return st;
    return RunResize(ctx, in, p);
  }
  if (absl::Status s = CheckIntegerInput(ctx, *sizes, "sizes"); !s.ok()) return s;
  std::vector<int64_t> target = ToInt64s(*sizes);
  if (target.size() != axes.size()) {
    return ctx.Error(absl::StrCat("sizes has ", target.size(), " entries, expected ", axes.size()));
  }
  p.out_dims = in.dims();
  std::string policy = opset >= 18 ? node.GetString("keep_aspect_ratio_policy", "stretch") : "stretch";
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
    return ctx.Error(absl::StrCat("keep_aspect_ratio_policy '", policy, "' is not supported"));
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    if (target[i] < 0) return ctx.Error(absl::StrCat("sizes has a negative entry ", target[i]));
    if (in.dim(axes[i]) == 0) return ctx.Error("cannot resize an empty axis");
  }
  if (policy == "stretch") {
    for (size_t i = 0; i < axes.size(); ++i) {
      size_t a = static_cast<size_t>(axes[i]);
      p.out_dims[a] = target[i];
      p.scales[a] = static_cast<double>(target[i]) / static_cast<double>(in.dims()[a]);
    }
  } else {
    double scale = policy == "not_larger" ? std::numeric_limits<double>::infinity() : 0.0;
    for (size_t i = 0; i < axes.size(); ++i) {
      double s = static_cast<double>(target[i]) / static_cast<double>(in.dim(axes[i]));
      scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
    }
    for (int64_t a : axes) {
      double size = scale * static_cast<double>(in.dim(a)) + 0.5;
      if (!(size <= static_cast<double>(ir::kMaxDimValue))) return ctx.Error("sizes are too large");
      p.scales[static_cast<size_t>(a)] = scale;
      p.out_dims[static_cast<size_t>(a)] = static_cast<int64_t>(size);
    }
  }
  return RunResize(ctx, in, p);
}

// ================================================================ DepthToSpace, SpaceToDepth

absl::Status DepthToSpaceKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t b = ctx.node().GetInt("blocksize", 0);
  if (b <= 0) return ctx.Error("attribute 'blocksize' must be positive");
  if (in.rank() != 4) return ctx.Error(absl::StrCat("input must have rank 4, has ", in.rank()));
  int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2), w = in.dim(3);
  if (c % (b * b) != 0) return ctx.Error(absl::StrCat("channels ", c, " are not divisible by blocksize^2 = ", b * b));
  int64_t oc = c / (b * b);
  std::string mode = ctx.node().GetString("mode", "DCR");
  std::vector<int64_t> view;
  std::vector<int64_t> perm;
  if (mode == "DCR") {
    view = {n, b, b, oc, h, w};
    perm = {0, 3, 4, 1, 5, 2};
  } else if (mode == "CRD") {
    view = {n, oc, b, b, h, w};
    perm = {0, 1, 4, 2, 5, 3};
  } else {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported"));
  }
  absl::StatusOr<Tensor> out = PermutedCopy(ctx, in, view, perm, {n, oc, h * b, w * b});
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status SpaceToDepthKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t b = ctx.node().GetInt("blocksize", 0);
  if (b <= 0) return ctx.Error("attribute 'blocksize' must be positive");
  if (in.rank() != 4) return ctx.Error(absl::StrCat("input must have rank 4, has ", in.rank()));
  int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2), w = in.dim(3);
  if (h % b != 0 || w % b != 0) {
    return ctx.Error(absl::StrCat("spatial dims ", h, "x", w, " are not divisible by blocksize ", b));
  }
  // DCR puts the block offset before the channel, CRD after it (opset 28).
  std::string mode = ctx.node().GetString("mode", "DCR");
  std::vector<int64_t> perm;
  if (mode == "DCR") {
    perm = {0, 3, 5, 1, 2, 4};
  } else if (mode == "CRD") {
    perm = {0, 1, 3, 5, 2, 4};
  } else {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported"));
  }
  absl::StatusOr<Tensor> out = PermutedCopy(ctx, in, {n, c, h / b, b, w / b, b}, perm, {n, c * b * b, h / b, w / b});
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// ================================================================ OneHot, EyeLike, Trilu

absl::Status OneHotKernel(KernelContext& ctx) {
  const Tensor& indices = *ctx.input(0);
  absl::StatusOr<const Tensor*> depth_input = RequiredInput(ctx, 1);
  if (!depth_input.ok()) return depth_input.status();
  absl::StatusOr<const Tensor*> values = RequiredInput(ctx, 2);
  if (!values.ok()) return values.status();
  if ((*values)->num_elements() != 2) return ctx.Error("values must hold 2 elements (off, on)");
  if ((*depth_input)->num_elements() != 1) return ctx.Error("depth must hold one element");
  if (indices.dtype() == DType::kString || (*depth_input)->dtype() == DType::kString) {
    return ctx.Error("indices and depth must be numeric");
  }
  double raw_depth = (*depth_input)->GetAsDouble(0);
  if (!(raw_depth >= 1 && raw_depth <= static_cast<double>(ir::kMaxDimValue))) {
    return ctx.Error(absl::StrCat("depth ", raw_depth, " must be in [1, 2^40]"));
  }
  int64_t depth = static_cast<int64_t>(raw_depth);
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", -1), indices.rank() + 1);
  if (!axis.ok()) return axis.status();
  std::vector<int64_t> out_dims = indices.dims();
  out_dims.insert(out_dims.begin() + *axis, depth);
  absl::StatusOr<Tensor> out = NewTensor(ctx, (*values)->dtype(), out_dims);
  if (!out.ok()) return out.status();
  int64_t outer = Product(indices.dims(), 0, static_cast<size_t>(*axis));
  int64_t inner = Product(indices.dims(), static_cast<size_t>(*axis), indices.dims().size());
  absl::Status s = DispatchByWidth(ctx, (*values)->dtype(), [&]<typename W>() {
    if (out->num_elements() == 0) return absl::OkStatus();
    const W* v = Elements<W>(**values);
    W* dst = MutableElements<W>(*out);
    std::fill_n(dst, out->num_elements(), v[0]);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        // Float indices are truncated toward zero, as a cast to int would.
        double raw = indices.GetAsDouble(o * inner + i);
        if (!(std::abs(raw) < static_cast<double>(depth) + 1)) continue;  // out of range (or NaN): all "off"
        int64_t idx = static_cast<int64_t>(raw);
        if (idx < 0) idx += depth;
        if (idx < 0 || idx >= depth) continue;  // out of range: all "off"
        dst[(o * depth + idx) * inner + i] = v[1];
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status EyeLikeKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  if (in.rank() != 2) return ctx.Error(absl::StrCat("input must have rank 2, has ", in.rank()));
  DType dtype = in.dtype();
  if (const ir::Attribute* attr = ctx.node().FindAttribute("dtype")) {
    std::optional<DType> d =
        attr->is<int64_t>() ? ir::DTypeFromOnnx(static_cast<int32_t>(attr->get<int64_t>())) : std::nullopt;
    if (!d.has_value()) return ctx.Error("attribute 'dtype' is not a valid data type");
    dtype = *d;
  }
  if (!ir::IsFloatingPoint(dtype) && !ir::IsInteger(dtype) && dtype != DType::kBool) {
    return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(), ": element type ",
                                                 ir::DTypeName(dtype), " is not supported by EyeLike"));
  }
  int64_t rows = in.dim(0), cols = in.dim(1);
  // Beyond these bounds the diagonal misses the matrix; clamping avoids overflow.
  int64_t k = std::clamp<int64_t>(ctx.node().GetInt("k", 0), -rows, cols);
  Tensor out = Tensor::Zeros(dtype, in.dims());
  for (int64_t r = 0; r < rows; ++r) {
    int64_t c = r + k;
    if (c >= 0 && c < cols) out.SetFromDouble(r * cols + c, 1.0);
  }
  ctx.set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status TriluKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  if (in.rank() < 2) return ctx.Error(absl::StrCat("input must have rank >= 2, has ", in.rank()));
  int64_t k = 0;
  if (const Tensor* k_input = ctx.input(1)) {
    absl::StatusOr<int64_t> v = ScalarInt(ctx, *k_input, "k");
    if (!v.ok()) return v.status();
    k = *v;
  }
  bool upper = ctx.node().GetInt("upper", 1) != 0;
  int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
  k = std::clamp<int64_t>(k, -rows - 1, cols + 1);  // beyond this every row is all kept or all cleared
  int64_t matrices = rows * cols == 0 ? 0 : in.num_elements() / (rows * cols);
  Tensor out = in;
  absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (in.num_elements() == 0) return absl::OkStatus();
    W* data = MutableElements<W>(out);
    for (int64_t m = 0; m < matrices; ++m) {
      for (int64_t r = 0; r < rows; ++r) {
        W* row = data + (m * rows + r) * cols;
        // Keep column c where c - r >= k (upper) or c - r <= k (lower).
        int64_t split = std::clamp<int64_t>(r + k + (upper ? 0 : 1), 0, cols);
        if (upper) {
          std::fill_n(row, split, W{});
        } else {
          std::fill_n(row + split, cols - split, W{});
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, std::move(out));
  return absl::OkStatus();
}

// ================================================================ CumSum, TopK, NonZero

// Runs `fn` on a float-computable version of `t`: f16/bf16 are widened to f32
// and the result narrowed back.
template <typename Fn>
absl::StatusOr<Tensor> WithFloatPromotion(const KernelContext& ctx, const Tensor& t, Fn&& fn) {
  bool half = t.dtype() == DType::kFloat16 || t.dtype() == DType::kBFloat16;
  Tensor work = half ? ToFloat32(t) : t;
  absl::StatusOr<Tensor> result = fn(work);
  if (!result.ok()) return result;
  return half ? FromFloat32(*result, t.dtype()) : *result;
}

// CumSum and CumProd (opset 26): a running sum or product along one axis.
absl::Status CumulativeKernel(KernelContext& ctx, bool product) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<const Tensor*> axis_input = RequiredInput(ctx, 1);
  if (!axis_input.ok()) return axis_input.status();
  absl::StatusOr<int64_t> raw_axis = ScalarInt(ctx, **axis_input, "axis");
  if (!raw_axis.ok()) return raw_axis.status();
  if (in.rank() == 0) return ctx.Error("input must have rank >= 1");
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, *raw_axis, in.rank());
  if (!axis.ok()) return axis.status();
  bool exclusive = ctx.node().GetInt("exclusive", 0) != 0;
  bool reverse = ctx.node().GetInt("reverse", 0) != 0;
  int64_t dim = in.dim(*axis);
  int64_t outer = Product(in.dims(), 0, static_cast<size_t>(*axis));
  int64_t inner = Product(in.dims(), static_cast<size_t>(*axis) + 1, in.dims().size());
  absl::StatusOr<Tensor> out = WithFloatPromotion(ctx, in, [&](const Tensor& x) -> absl::StatusOr<Tensor> {
    if (x.dtype() == DType::kBool) return ctx.Error("bool input is not supported");
    Tensor result = Tensor::Zeros(x.dtype(), x.dims());
    absl::Status s = DispatchNumeric(x.dtype(), [&]<typename T>() {
      const T* src = x.data<T>();
      T* dst = result.mutable_data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          T running = product ? T(1) : T(0);
          for (int64_t step = 0; step < dim; ++step) {
            int64_t j = reverse ? dim - 1 - step : step;
            int64_t pos = (o * dim + j) * inner + i;
            if (exclusive) dst[pos] = running;
            running = product ? WrappingMul<T>(running, src[pos]) : WrappingAdd<T>(running, src[pos]);
            if (!exclusive) dst[pos] = running;
          }
        }
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return ctx.Annotate(s);
    return result;
  });
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// Orders floats with NaN above every number, so sorting is a strict weak order.
template <typename T>
bool NumericLess(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

absl::Status TopKKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  int64_t k;
  if (ctx.opset() < 10) {
    k = ctx.node().GetInt("k", -1);
  } else {
    absl::StatusOr<const Tensor*> k_input = RequiredInput(ctx, 1);
    if (!k_input.ok()) return k_input.status();
    absl::StatusOr<int64_t> v = ScalarInt(ctx, **k_input, "K");
    if (!v.ok()) return v.status();
    k = *v;
  }
  if (in.rank() == 0) return ctx.Error("input must have rank >= 1");
  absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", -1), in.rank());
  if (!axis.ok()) return axis.status();
  int64_t dim = in.dim(*axis);
  if (k < 0 || k > dim) return ctx.Error(absl::StrCat("k ", k, " is out of range for an axis of size ", dim));
  bool largest = ctx.opset() < 11 || ctx.node().GetInt("largest", 1) != 0;
  int64_t outer = Product(in.dims(), 0, static_cast<size_t>(*axis));
  int64_t inner = Product(in.dims(), static_cast<size_t>(*axis) + 1, in.dims().size());
  std::vector<int64_t> out_dims = in.dims();
  out_dims[static_cast<size_t>(*axis)] = k;
  Tensor indices = Tensor::Zeros(DType::kInt64, out_dims);
  int64_t* idx_out = indices.mutable_data<int64_t>();
  // Selection runs on values widened to f32 for f16/bf16 (exact); the values
  // output is then gathered from the original input.
  bool half = in.dtype() == DType::kFloat16 || in.dtype() == DType::kBFloat16;
  Tensor keys = half ? ToFloat32(in) : in;
  absl::Status s = DispatchNumeric(keys.dtype(), [&]<typename T>() {
    const T* src = keys.data<T>();
    std::vector<int64_t> order(static_cast<size_t>(dim));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* line = src + o * dim * inner + i;
        std::iota(order.begin(), order.end(), 0);
        // Ties keep the lower index first, so the result is deterministic.
        auto before = [&](int64_t a, int64_t b) {
          T va = line[a * inner];
          T vb = line[b * inner];
          if (largest ? NumericLess(vb, va) : NumericLess(va, vb)) return true;
          if (largest ? NumericLess(va, vb) : NumericLess(vb, va)) return false;
          return a < b;
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t j = 0; j < k; ++j) idx_out[(o * k + j) * inner + i] = order[static_cast<size_t>(j)];
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return ctx.Error(s.message());
  Tensor values = Tensor::Zeros(in.dtype(), out_dims);
  s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    const W* src = Elements<W>(in);
    W* dst = MutableElements<W>(values);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < k; ++j) {
        for (int64_t i = 0; i < inner; ++i) {
          int64_t pos = (o * k + j) * inner + i;
          dst[pos] = src[(o * dim + idx_out[pos]) * inner + i];
        }
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, std::move(values));
  ctx.set_output(1, std::move(indices));
  return absl::OkStatus();
}

// Whether element i of `t` is nonzero; -0.0 counts as zero.
absl::StatusOr<std::vector<bool>> NonzeroMask(const KernelContext& ctx, const Tensor& t) {
  std::vector<bool> mask(static_cast<size_t>(t.num_elements()));
  if (t.dtype() == DType::kFloat16 || t.dtype() == DType::kBFloat16) {
    const uint16_t* d = t.data<uint16_t>();
    for (int64_t i = 0; i < t.num_elements(); ++i) mask[static_cast<size_t>(i)] = (d[i] & 0x7fff) != 0;
    return mask;
  }
  absl::Status s = DispatchNumeric(t.dtype(), [&]<typename T>() {
    const T* d = t.data<T>();
    for (int64_t i = 0; i < t.num_elements(); ++i) mask[static_cast<size_t>(i)] = d[i] != T(0);
    return absl::OkStatus();
  });
  if (!s.ok()) return ctx.Error(s.message());
  return mask;
}

absl::Status NonZeroKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<std::vector<bool>> mask = NonzeroMask(ctx, in);
  if (!mask.ok()) return mask.status();
  int64_t count = std::count(mask->begin(), mask->end(), true);
  int64_t rank = in.rank();
  Tensor out = Tensor::Zeros(DType::kInt64, {rank, count});
  int64_t* o = out.mutable_data<int64_t>();
  std::vector<int64_t> strides = Strides(in.dims());
  int64_t column = 0;
  for (int64_t i = 0; i < in.num_elements(); ++i) {
    if (!(*mask)[static_cast<size_t>(i)]) continue;
    for (int64_t d = 0; d < rank; ++d) o[d * count + column] = (i / strides[static_cast<size_t>(d)]) % in.dim(d);
    ++column;
  }
  ctx.set_output(0, std::move(out));
  return absl::OkStatus();
}

// ================================================================ ReverseSequence, Compress, Unique

absl::Status ReverseSequenceKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<const Tensor*> lens_input = RequiredInput(ctx, 1);
  if (!lens_input.ok()) return lens_input.status();
  if (absl::Status s = CheckIntegerInput(ctx, **lens_input, "sequence_lens"); !s.ok()) return s;
  int64_t batch_axis = ctx.node().GetInt("batch_axis", 1);
  int64_t time_axis = ctx.node().GetInt("time_axis", 0);
  if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0))) {
    return ctx.Error(absl::StrCat("batch_axis ", batch_axis, " and time_axis ", time_axis, " must be 0 and 1"));
  }
  if (in.rank() < 2) return ctx.Error("input must have rank >= 2");
  int64_t batch = in.dim(batch_axis), time = in.dim(time_axis);
  std::vector<int64_t> lens = ToInt64s(**lens_input);
  if (static_cast<int64_t>(lens.size()) != batch) {
    return ctx.Error(absl::StrCat("sequence_lens has ", lens.size(), " entries for a batch of ", batch));
  }
  for (int64_t l : lens) {
    if (l < 0 || l > time) return ctx.Error(absl::StrCat("sequence length ", l, " is out of range [0, ", time, "]"));
  }
  int64_t inner = Product(in.dims(), 2, in.dims().size());
  std::vector<int64_t> strides = Strides(in.dims());
  int64_t batch_stride = strides[static_cast<size_t>(batch_axis)];
  int64_t time_stride = strides[static_cast<size_t>(time_axis)];
  Tensor out = in;
  absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (in.num_elements() == 0) return absl::OkStatus();
    const W* src = Elements<W>(in);
    W* dst = MutableElements<W>(out);
    for (int64_t b = 0; b < batch; ++b) {
      int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t t = 0; t < len; ++t) {
        std::copy_n(src + b * batch_stride + (len - 1 - t) * time_stride, inner,
                    dst + b * batch_stride + t * time_stride);
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status CompressKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  absl::StatusOr<const Tensor*> condition_input = RequiredInput(ctx, 1);
  if (!condition_input.ok()) return condition_input.status();
  absl::StatusOr<std::vector<bool>> condition = NonzeroMask(ctx, **condition_input);
  if (!condition.ok()) return condition.status();
  bool has_axis = ctx.node().FindAttribute("axis") != nullptr;
  int64_t axis = 0;
  std::vector<int64_t> dims = {in.num_elements()};
  if (has_axis) {
    absl::StatusOr<int64_t> a = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), in.rank());
    if (!a.ok()) return a.status();
    axis = *a;
    dims = in.dims();
  }
  int64_t dim = dims[static_cast<size_t>(axis)];
  std::vector<int64_t> selected;
  for (size_t i = 0; i < condition->size(); ++i) {
    if (!(*condition)[i]) continue;
    if (static_cast<int64_t>(i) >= dim) {
      return ctx.Error(absl::StrCat("condition selects index ", i, " of an axis of size ", dim));
    }
    selected.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> out_dims = dims;
  out_dims[static_cast<size_t>(axis)] = static_cast<int64_t>(selected.size());
  Tensor out = Tensor::Zeros(in.dtype(), out_dims);
  int64_t outer = Product(dims, 0, static_cast<size_t>(axis));
  int64_t inner = Product(dims, static_cast<size_t>(axis) + 1, dims.size());
  absl::Status s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (out.num_elements() == 0) return absl::OkStatus();
    const W* src = Elements<W>(in);
    W* dst = MutableElements<W>(out);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i : selected) {
        std::copy_n(src + (o * dim + i) * inner, inner, dst);
        dst += inner;
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  ctx.set_output(0, std::move(out));
  return absl::OkStatus();
}

// Unique over slices along an axis (or over single elements when flattened):
// slices are rows of a [count, row_size] matrix of keys.
template <typename T>
void UniqueRows(const std::vector<T>& keys, int64_t count, int64_t row_size, bool sorted,
                std::vector<int64_t>* first_index, std::vector<int64_t>* inverse, std::vector<int64_t>* counts) {
  auto row_less = [&](int64_t a, int64_t b) {
    for (int64_t e = 0; e < row_size; ++e) {
      const T& x = keys[static_cast<size_t>(a * row_size + e)];
      const T& y = keys[static_cast<size_t>(b * row_size + e)];
      if constexpr (std::is_floating_point_v<T>) {
        if (NumericLess(x, y)) return true;
        if (NumericLess(y, x)) return false;
      } else {
        if (x < y) return true;
        if (y < x) return false;
      }
    }
    return false;
  };
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), row_less);  // equal rows stay in first-occurrence order
  std::vector<int64_t> group_of(static_cast<size_t>(count));
  std::vector<int64_t> group_first;
  std::vector<int64_t> group_count;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || row_less(order[i - 1], order[i])) {
      group_first.push_back(order[i]);
      group_count.push_back(0);
    }
    group_of[static_cast<size_t>(order[i])] = static_cast<int64_t>(group_first.size()) - 1;
    ++group_count.back();
  }
  // Output order of the groups: sorted by value, or by first occurrence.
  std::vector<int64_t> group_order(group_first.size());
  std::iota(group_order.begin(), group_order.end(), 0);
  if (!sorted) {
    std::sort(group_order.begin(), group_order.end(), [&](int64_t a, int64_t b) {
      return group_first[static_cast<size_t>(a)] < group_first[static_cast<size_t>(b)];
    });
  }
  std::vector<int64_t> position(group_first.size());
  for (size_t p = 0; p < group_order.size(); ++p)
    position[static_cast<size_t>(group_order[p])] = static_cast<int64_t>(p);
  first_index->clear();
  counts->clear();
  for (int64_t g : group_order) {
    first_index->push_back(group_first[static_cast<size_t>(g)]);
    counts->push_back(group_count[static_cast<size_t>(g)]);
  }
  inverse->resize(static_cast<size_t>(count));
  for (int64_t r = 0; r < count; ++r) {
    (*inverse)[static_cast<size_t>(r)] = position[static_cast<size_t>(group_of[static_cast<size_t>(r)])];
  }
}

absl::Status UniqueKernel(KernelContext& ctx) {
  const Tensor& in = *ctx.input(0);
  bool sorted = ctx.node().GetInt("sorted", 1) != 0;
  bool has_axis = ctx.node().FindAttribute("axis") != nullptr;
  // Move the axis to the front so each slice is a contiguous row.
  std::vector<int64_t> front_dims = {in.num_elements()};
  std::vector<int64_t> perm = {0};
  int64_t axis = 0;
  Tensor rows = in;
  if (has_axis) {
    absl::StatusOr<int64_t> a = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), in.rank());
    if (!a.ok()) return a.status();
    axis = *a;
    perm = {axis};
    for (int64_t d = 0; d < in.rank(); ++d) {
      if (d != axis) perm.push_back(d);
    }
    front_dims.clear();
    for (int64_t p : perm) front_dims.push_back(in.dim(p));
    absl::StatusOr<Tensor> moved = PermutedCopy(ctx, in, in.dims(), perm, front_dims);
    if (!moved.ok()) return moved.status();
    rows = *std::move(moved);
  }
  int64_t count = front_dims[0];
  int64_t row_size = count == 0 ? 0 : rows.num_elements() / count;
  std::vector<int64_t> first_index, inverse, counts;
  bool half = in.dtype() == DType::kFloat16 || in.dtype() == DType::kBFloat16;
  Tensor keys_tensor = half ? ToFloat32(rows) : rows;
  absl::Status s;
  if (in.dtype() == DType::kString) {
    UniqueRows<std::string>(rows.strings(), count, row_size, sorted, &first_index, &inverse, &counts);
  } else {
    s = DispatchNumeric(keys_tensor.dtype(), [&]<typename T>() {
      const T* d = keys_tensor.data<T>();
      std::vector<T> keys(d, d + keys_tensor.num_elements());
      UniqueRows<T>(keys, count, row_size, sorted, &first_index, &inverse, &counts);
      return absl::OkStatus();
    });
    if (!s.ok()) return ctx.Error(s.message());
  }
  int64_t unique_count = static_cast<int64_t>(first_index.size());
  // Y in the moved layout, then moved back.
  std::vector<int64_t> y_front_dims = front_dims;
  y_front_dims[0] = unique_count;
  Tensor y_front = Tensor::Zeros(in.dtype(), y_front_dims);
  s = DispatchByWidth(ctx, in.dtype(), [&]<typename W>() {
    if (y_front.num_elements() == 0) return absl::OkStatus();
    const W* src = Elements<W>(rows);
    W* dst = MutableElements<W>(y_front);
    for (int64_t u = 0; u < unique_count; ++u) {
      std::copy_n(src + first_index[static_cast<size_t>(u)] * row_size, row_size, dst + u * row_size);
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  Tensor y = y_front;
  if (has_axis) {
    std::vector<int64_t> inverse_perm(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse_perm[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    std::vector<int64_t> y_dims = in.dims();
    y_dims[static_cast<size_t>(axis)] = unique_count;
    absl::StatusOr<Tensor> back = PermutedCopy(ctx, y_front, y_front_dims, inverse_perm, y_dims);
    if (!back.ok()) return back.status();
    y = *std::move(back);
  }
  auto vector_tensor = [](const std::vector<int64_t>& v) {
    return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
  };
  ctx.set_output(0, std::move(y));
  if (ctx.num_outputs() > 1) ctx.set_output(1, vector_tensor(first_index));
  if (ctx.num_outputs() > 2) ctx.set_output(2, vector_tensor(inverse));
  if (ctx.num_outputs() > 3) ctx.set_output(3, vector_tensor(counts));
  return absl::OkStatus();
}

// ================================================================ BitCast

// BitCast (opset 26): the same little-endian bytes read as another type of
// equal bit width (ir::Tensor keeps ONNX's byte layout, packed 4-bit included).
absl::Status BitCastKernel(KernelContext& ctx) {
  absl::StatusOr<const Tensor*> input = RequiredInput(ctx, 0);
  if (!input.ok()) return input.status();
  const Tensor& in = **input;
  std::optional<DType> to = ir::DTypeFromOnnx(static_cast<int32_t>(ctx.node().GetInt("to", 0)));
  if (!to.has_value() || *to == DType::kUndefined || *to == DType::kString) {
    return ctx.Error(absl::StrCat("attribute 'to' (", ctx.node().GetInt("to", 0), ") is not a non-string data type"));
  }
  if (in.dtype() == DType::kString || ir::DTypeBits(in.dtype()) != ir::DTypeBits(*to)) {
    return ctx.Error(absl::StrCat("cannot bitcast ", ir::DTypeName(in.dtype()), " to ", ir::DTypeName(*to),
                                  ": the bit widths differ"));
  }
  absl::StatusOr<Tensor> out = Tensor::FromBytes(
      *to, in.dims(), absl::string_view(reinterpret_cast<const char*>(in.raw_data()), static_cast<size_t>(in.byte_size())));
  if (!out.ok()) return ctx.Error(out.status().message());
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

}  // namespace

void RegisterTensorKernels(KernelRegistry& registry) {
  registry.Register("", "Constant", ConstantKernel);
  registry.Register("", "ConstantOfShape", ConstantOfShapeKernel);
  registry.Register("", "Shape", ShapeKernel);
  registry.Register("", "Size", SizeKernel);
  registry.Register("", "Reshape", ReshapeKernel);
  registry.Register("", "Flatten", FlattenKernel);
  registry.Register("", "Squeeze", SqueezeKernel);
  registry.Register("", "Unsqueeze", UnsqueezeKernel);
  registry.Register("", "Transpose", TransposeKernel);
  registry.Register("", "Concat", ConcatKernel);
  registry.Register("", "Split", SplitKernel);
  registry.Register("", "Slice", SliceKernel);
  registry.Register("", "Gather", GatherKernel);
  registry.Register("", "GatherElements", GatherElementsKernel);
  registry.Register("", "GatherND", GatherNDKernel);
  registry.Register("", "Scatter", ScatterElementsKernel);
  registry.Register("", "ScatterElements", ScatterElementsKernel);
  registry.Register("", "ScatterND", ScatterNDKernel);
  registry.Register("", "Expand", ExpandKernel);
  registry.Register("", "Tile", TileKernel);
  registry.Register("", "Range", RangeKernel);
  registry.Register("", "Pad", PadKernel);
  registry.Register("", "Resize", ResizeKernel);
  registry.Register("", "Upsample", UpsampleKernel);
  registry.Register("", "DepthToSpace", DepthToSpaceKernel);
  registry.Register("", "SpaceToDepth", SpaceToDepthKernel);
  registry.Register("", "OneHot", OneHotKernel);
  registry.Register("", "Trilu", TriluKernel);
  registry.Register("", "CumSum", [](KernelContext& ctx) { return CumulativeKernel(ctx, /*product=*/false); });
  registry.Register("", "CumProd", [](KernelContext& ctx) { return CumulativeKernel(ctx, /*product=*/true); });
  registry.Register("", "BitCast", BitCastKernel);
  registry.Register("", "TopK", TopKKernel);
  registry.Register("", "NonZero", NonZeroKernel);
  registry.Register("", "EyeLike", EyeLikeKernel);
  registry.Register("", "ReverseSequence", ReverseSequenceKernel);
  registry.Register("", "Compress", CompressKernel);
  registry.Register("", "Unique", UniqueKernel);
}

}  // namespace gsopt::backend::cpu
