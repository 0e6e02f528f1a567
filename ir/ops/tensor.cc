// Schemas and shape inference for the tensor-manipulation ops: constants,
// shape queries, reshapes, transposes, concatenation and splitting, slicing,
// gathers and scatters, broadcasting (Expand, Tile), padding, resizing and the
// small index-producing ops (Range, OneHot, TopK, NonZero, Unique, ...).
//
// Each function covers every opset from 7 to the newest: where an op moved an
// attribute to an input (Squeeze's axes at 13, Slice's starts at 10, Pad's
// pads at 11, ...) it reads whichever form ctx.opset() prescribes. Inference
// propagates what it can: constant inputs give exact dims, otherwise the rank
// is kept with unknown dims where the rank is knowable.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

constexpr int kUnbounded = std::numeric_limits<int>::max();

std::vector<Dim> UnknownDims(int64_t rank) { return std::vector<Dim>(static_cast<size_t>(rank)); }

// Product of dims[begin, end): static when every factor is static; a single
// non-unit factor (possibly symbolic) passes through; otherwise unknown.
Dim DimProduct(const std::vector<Dim>& dims, size_t begin, size_t end) {
  int64_t product = 1;
  std::optional<Dim> non_static;
  for (size_t i = begin; i < end; ++i) {
    const Dim& d = dims[i];
    if (d.is_static()) {
      if (d.value() != 0 && product > kMaxElements / d.value()) return Dim();  // absurd: leave unknown
      product *= d.value();
    } else if (non_static.has_value()) {
      return Dim();
    } else {
      non_static = d;
    }
  }
  if (!non_static.has_value()) return Dim(product);
  if (product == 0) return Dim(0);
  return product == 1 ? *non_static : Dim();
}

// Two dims that must be equal: the most specific of them.
Dim MergeDims(const Dim& a, const Dim& b) {
  if (a.is_static()) return a;
  if (b.is_static()) return b;
  return a.is_symbolic() ? a : b;
}

// A dim multiplied by a known factor.
Dim ScaleDim(const Dim& d, int64_t factor) {
  if (d.is_static()) return Dim(d.value() * factor);
  if (factor == 1) return d;
  if (factor == 0) return Dim(0);
  return Dim();
}

// Re-issues a helper's error so that it names the node.
absl::Status NodeError(const InferenceContext& ctx, const absl::Status& status) { return ctx.Error(status.message()); }

absl::StatusOr<int64_t> Axis(const InferenceContext& ctx, int64_t axis, int64_t rank) {
  absl::StatusOr<int64_t> a = NormalizeAxis(axis, rank);
  if (!a.ok()) return NodeError(ctx, a.status());
  return *a;
}

// The contents of a constant numeric input as doubles (scales, Range bounds).
std::optional<std::vector<double>> ConstantDoubles(const InferenceContext& ctx, int i) {
  const Tensor* t = ctx.input_constant(i);
  if (t == nullptr || !(IsInteger(t->dtype()) || IsFloatingPoint(t->dtype()) || t->dtype() == DType::kBool)) {
    return std::nullopt;
  }
  std::vector<double> out(static_cast<size_t>(t->num_elements()));
  for (int64_t k = 0; k < t->num_elements(); ++k) out[static_cast<size_t>(k)] = t->GetAsDouble(k);
  return out;
}

// An integer list that an op takes as an attribute in early opsets and as an
// input later (axes, split, pads, ...). Its contents may be unknown (a
// non-constant input) while its length is known from the input's shape.
struct IntsOperand {
  bool present = false;
  std::optional<std::vector<int64_t>> values;
  std::optional<int64_t> length;
};

IntsOperand ReadIntsOperand(const InferenceContext& ctx, absl::string_view attr_name, int input_index,
                            int64_t first_input_opset) {
  IntsOperand out;
  if (ctx.opset() < first_input_opset) {
    const Attribute* a = ctx.node().FindAttribute(attr_name);
    if (a == nullptr) return out;
    out.present = true;
    out.values = ctx.node().GetInts(attr_name);
    out.length = static_cast<int64_t>(out.values->size());
    return out;
  }
  if (!ctx.has_input(input_index)) return out;
  out.present = true;
  out.values = ConstantInt64s(ctx, input_index);
  if (out.values.has_value()) {
    out.length = static_cast<int64_t>(out.values->size());
  } else {
    const Shape& s = ctx.input_type(input_index).shape;
    if (s.rank() == 1 && s.dim(0).is_static()) out.length = s.dim(0).value();
    if (s.rank() == 0) out.length = 1;
  }
  return out;
}

// Output 0 has input 0's type; for ops whose output mirrors the input
// (CumSum, Trilu, ReverseSequence, the scatters).
absl::Status InferSameAsInput(InferenceContext& ctx) {
  ctx.set_output_type(0, ctx.input_type(0));
  return absl::OkStatus();
}

absl::Status RequireInputs(const InferenceContext& ctx, int min_inputs, int max_inputs) {
  int present = ctx.num_inputs();
  if (present < min_inputs || present > max_inputs) {
    return ctx.Error(
        absl::StrCat("opset ", ctx.opset(), " takes ", min_inputs, " to ", max_inputs, " inputs, got ", present));
  }
  for (int i = 0; i < min_inputs; ++i) {
    if (!ctx.has_input(i)) return ctx.Error(absl::StrCat("required input ", i, " is missing"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Constant

absl::Status InferConstant(InferenceContext& ctx) {
  const Node& node = ctx.node();
  int found = 0;
  TensorType type;
  for (const auto& [name, attr] : node.attributes) {
    auto list_length = [&attr]() -> int64_t {
      if (attr.is<std::vector<float>>()) return static_cast<int64_t>(attr.get<std::vector<float>>().size());
      if (attr.is<std::vector<int64_t>>()) return static_cast<int64_t>(attr.get<std::vector<int64_t>>().size());
      if (attr.is<std::vector<std::string>>()) {
        return static_cast<int64_t>(attr.get<std::vector<std::string>>().size());
      }
      return -1;
    };
    if (name == "value") {
      if (!attr.is<Tensor>()) return ctx.Error("attribute 'value' must be a tensor");
      type = attr.get<Tensor>().type();
    } else if (name == "value_float") {
      if (!attr.is<float>()) return ctx.Error("attribute 'value_float' must be a float");
      type = TensorType{DType::kFloat32, Shape::Scalar()};
    } else if (name == "value_int") {
      if (!attr.is<int64_t>()) return ctx.Error("attribute 'value_int' must be an int");
      type = TensorType{DType::kInt64, Shape::Scalar()};
    } else if (name == "value_string") {
      if (!attr.is<std::string>()) return ctx.Error("attribute 'value_string' must be a string");
      type = TensorType{DType::kString, Shape::Scalar()};
    } else if (name == "value_floats" || name == "value_ints" || name == "value_strings") {
      int64_t n = list_length();
      if (n < 0) return ctx.Error(absl::StrCat("attribute '", name, "' must be a list"));
      DType dtype = name == "value_floats" ? DType::kFloat32 : name == "value_ints" ? DType::kInt64 : DType::kString;
      type = TensorType{dtype, Shape::FromStatic({n})};
    } else if (name == "sparse_value") {
      type = TensorType{};  // kept opaque: the dense type is not decoded here
    } else {
      continue;
    }
    ++found;
  }
  if (found != 1) {
    return ctx.Error(
        absl::StrCat("needs exactly one of the attributes value, value_float(s), value_int(s), "
                     "value_string(s), sparse_value; got ",
                     found));
  }
  ctx.set_output_type(0, type);
  return absl::OkStatus();
}

absl::Status InferConstantOfShape(InferenceContext& ctx) {
  DType dtype = DType::kFloat32;
  if (const Attribute* value = ctx.node().FindAttribute("value")) {
    if (!value->is<Tensor>()) return ctx.Error("attribute 'value' must be a tensor");
    if (value->get<Tensor>().num_elements() != 1) {
      return ctx.Error(
          absl::StrCat("attribute 'value' must hold one element, has ", value->get<Tensor>().num_elements()));
    }
    dtype = value->get<Tensor>().dtype();
  }
  const TensorType& shape_type = ctx.input_type(0);
  if (shape_type.dtype != DType::kUndefined && shape_type.dtype != DType::kInt64) {
    return ctx.Error(absl::StrCat("input 'input' must be int64, is ", DTypeName(shape_type.dtype)));
  }
  if (std::optional<std::vector<int64_t>> dims = ConstantInt64s(ctx, 0)) {
    for (int64_t d : *dims) {
      if (d < 0) return ctx.Error(absl::StrCat("shape has a negative dim ", d));
    }
    ctx.set_output_type(0, TensorType{dtype, Shape::FromStatic(*dims)});
    return absl::OkStatus();
  }
  Shape out;
  if (shape_type.shape.rank() == 1 && shape_type.shape.dim(0).is_static()) {
    out = Shape(UnknownDims(shape_type.shape.dim(0).value()));
  }
  ctx.set_output_type(0, TensorType{dtype, out});
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Shape, Size

absl::Status InferShapeOp(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  if (!in.rank_known()) {
    ctx.set_output_type(0, TensorType{DType::kInt64, Shape(UnknownDims(1))});
    return absl::OkStatus();
  }
  int64_t rank = in.rank();
  int64_t start = 0;
  int64_t end = rank;
  if (ctx.opset() >= 15) {
    start = ctx.node().GetInt("start", 0);
    end = ctx.node().GetInt("end", rank);
  }
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  int64_t length = std::max<int64_t>(0, clamp(end) - clamp(start));
  ctx.set_output_type(0, TensorType{DType::kInt64, Shape::FromStatic({length})});
  return absl::OkStatus();
}

absl::Status InferSize(InferenceContext& ctx) {
  ctx.set_output_type(0, TensorType{DType::kInt64, Shape::Scalar()});
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Reshape family

// The -1 entry of a Reshape target: what is left of the input's element count
// after dividing by the other output dims. Symbols that appear on both sides
// cancel, so [batch,3,4] -> [0,-1] gives [batch,12].
Dim InferMinusOneDim(const Shape& in, const std::vector<Dim>& out, size_t skip) {
  int64_t in_static = 1;
  std::map<std::string, int> symbols;
  for (const Dim& d : in.dims()) {
    if (d.is_static()) {
      in_static *= d.value();
    } else if (d.is_symbolic()) {
      ++symbols[d.symbol()];
    } else {
      return Dim();
    }
  }
  int64_t out_static = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i == skip) continue;
    const Dim& d = out[i];
    if (d.is_static()) {
      out_static *= d.value();
    } else if (d.is_symbolic() && symbols[d.symbol()] > 0) {
      --symbols[d.symbol()];
    } else {
      return Dim();
    }
  }
  std::vector<std::string> left;
  for (const auto& [symbol, count] : symbols) {
    for (int k = 0; k < count; ++k) left.push_back(symbol);
  }
  if (out_static == 0 || in_static % out_static != 0) return Dim();
  int64_t ratio = in_static / out_static;
  if (left.empty()) return Dim(ratio);
  if (left.size() == 1 && ratio == 1) return Dim::Symbol(left[0]);
  return Dim();
}

absl::Status InferReshape(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  bool allow_zero = ctx.opset() >= 14 && ctx.node().GetInt("allowzero", 0) != 0;
  std::optional<std::vector<int64_t>> target = ConstantInt64s(ctx, 1);
  if (!target.has_value()) {
    const Shape& s = ctx.input_type(1).shape;
    Shape out;
    if (s.rank() == 1 && s.dim(0).is_static()) out = Shape(UnknownDims(s.dim(0).value()));
    ctx.set_output_type(0, SameDType(ctx, out));
    return absl::OkStatus();
  }
  std::vector<Dim> dims;
  std::optional<size_t> minus_one;
  bool has_zero = false;
  for (size_t i = 0; i < target->size(); ++i) {
    int64_t v = (*target)[i];
    if (v == 0 && !allow_zero) {
      if (!in.rank_known()) {
        dims.emplace_back();
      } else if (static_cast<int64_t>(i) >= in.rank()) {
        return ctx.Error(
            absl::StrCat("shape entry ", i, " is 0 (copy the input dim) but the input has rank ", in.rank()));
      } else {
        dims.push_back(in.dim(static_cast<int64_t>(i)));
      }
    } else if (v == -1) {
      if (minus_one.has_value()) return ctx.Error("shape has more than one -1 entry");
      minus_one = i;
      dims.emplace_back();
    } else if (v < -1) {
      return ctx.Error(absl::StrCat("shape has an invalid entry ", v));
    } else {
      has_zero |= v == 0;
      dims.emplace_back(v);
    }
  }
  if (allow_zero && has_zero && minus_one.has_value()) {
    return ctx.Error("shape has both 0 and -1 entries while allowzero is set");
  }
  if (minus_one.has_value()) {
    if (in.rank_known()) dims[*minus_one] = InferMinusOneDim(in, dims, *minus_one);
    // With a static input every other target dim is static too, so an
    // unknown result means the element count does not divide.
    if (in.is_static() && !dims[*minus_one].is_static()) {
      return ctx.Error(absl::StrCat("cannot reshape ", in.ToString(), " to [", absl::StrJoin(*target, ","), "]"));
    }
  } else if (in.is_static()) {
    Shape out(dims);
    if (out.is_static() && *out.num_elements() != *in.num_elements()) {
      return ctx.Error(absl::StrCat("cannot reshape ", in.ToString(), " to ", out.ToString()));
    }
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(dims)));
  return absl::OkStatus();
}

absl::Status InferFlatten(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape(UnknownDims(2))));
    return absl::OkStatus();
  }
  int64_t rank = in.rank();
  int64_t axis = ctx.node().GetInt("axis", 1);
  if (axis < -rank || axis > rank || (ctx.opset() < 11 && axis < 0)) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  if (axis < 0) axis += rank;
  Dim outer = DimProduct(in.dims(), 0, static_cast<size_t>(axis));
  Dim inner = DimProduct(in.dims(), static_cast<size_t>(axis), static_cast<size_t>(rank));
  ctx.set_output_type(0, SameDType(ctx, Shape({outer, inner})));
  return absl::OkStatus();
}

absl::Status InferSqueeze(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  IntsOperand axes = ReadIntsOperand(ctx, "axes", 1, 13);
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  // An empty axes list means "every unit dim", like no list at all.
  if (!axes.present || (axes.values.has_value() && axes.values->empty())) {
    std::vector<Dim> out;
    for (const Dim& d : in.dims()) {
      if (!d.is_static()) {  // might be 1 at run time: the rank is not knowable
        ctx.set_output_type(0, SameDType(ctx, Shape()));
        return absl::OkStatus();
      }
      if (d.value() != 1) out.push_back(d);
    }
    ctx.set_output_type(0, SameDType(ctx, Shape(out)));
    return absl::OkStatus();
  }
  if (!axes.values.has_value()) {
    Shape out;
    if (axes.length.has_value() && *axes.length <= in.rank()) out = Shape(UnknownDims(in.rank() - *axes.length));
    ctx.set_output_type(0, SameDType(ctx, out));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<int64_t>> normalized = NormalizeAxes(*axes.values, in.rank());
  if (!normalized.ok()) return ctx.Error(normalized.status().message());
  std::vector<bool> drop(static_cast<size_t>(in.rank()), false);
  for (int64_t a : *normalized) {
    const Dim& d = in.dim(a);
    if (d.is_static() && d.value() != 1) {
      return ctx.Error(absl::StrCat("cannot squeeze axis ", a, " of size ", d.value()));
    }
    drop[static_cast<size_t>(a)] = true;
  }
  std::vector<Dim> out;
  for (int64_t i = 0; i < in.rank(); ++i) {
    if (!drop[static_cast<size_t>(i)]) out.push_back(in.dim(i));
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

absl::Status InferUnsqueeze(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  IntsOperand axes = ReadIntsOperand(ctx, "axes", 1, 13);
  if (!axes.present) return ctx.Error("axes are required");
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  if (!axes.values.has_value()) {
    Shape out;
    if (axes.length.has_value()) out = Shape(UnknownDims(in.rank() + *axes.length));
    ctx.set_output_type(0, SameDType(ctx, out));
    return absl::OkStatus();
  }
  int64_t out_rank = in.rank() + static_cast<int64_t>(axes.values->size());
  absl::StatusOr<std::vector<int64_t>> normalized = NormalizeAxes(*axes.values, out_rank);
  if (!normalized.ok()) return ctx.Error(normalized.status().message());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : *normalized) inserted[static_cast<size_t>(a)] = true;
  std::vector<Dim> out;
  int64_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) {
    out.push_back(inserted[static_cast<size_t>(i)] ? Dim(1) : in.dim(next++));
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Transpose, Concat, Split

absl::Status InferTranspose(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  const Attribute* perm_attr = ctx.node().FindAttribute("perm");
  if (!in.rank_known()) {
    Shape out;
    if (perm_attr != nullptr) out = Shape(UnknownDims(static_cast<int64_t>(ctx.node().GetInts("perm").size())));
    ctx.set_output_type(0, SameDType(ctx, out));
    return absl::OkStatus();
  }
  int64_t rank = in.rank();
  std::vector<int64_t> perm;
  if (perm_attr != nullptr) {
    perm = ctx.node().GetInts("perm");
  } else {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    return ctx.Error(absl::StrCat("perm has ", perm.size(), " entries, input has rank ", rank));
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  std::vector<Dim> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]) {
      return ctx.Error(absl::StrCat("perm [", absl::StrJoin(perm, ","), "] is not a permutation of rank ", rank));
    }
    seen[static_cast<size_t>(p)] = true;
    out.push_back(in.dim(p));
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

absl::Status InferConcat(InferenceContext& ctx) {
  const Attribute* axis_attr = ctx.node().FindAttribute("axis");
  if (axis_attr == nullptr) return ctx.Error("attribute 'axis' is required");
  DType dtype = DType::kUndefined;
  int64_t rank = -1;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const TensorType& t = ctx.input_type(i);
    if (t.dtype != DType::kUndefined) {
      if (dtype != DType::kUndefined && t.dtype != dtype) {
        return ctx.Error(absl::StrCat("inputs have different types ", DTypeName(dtype), " and ", DTypeName(t.dtype)));
      }
      dtype = t.dtype;
    }
    if (t.shape.rank_known()) {
      if (rank >= 0 && t.shape.rank() != rank) {
        return ctx.Error(absl::StrCat("inputs have different ranks ", rank, " and ", t.shape.rank()));
      }
      rank = t.shape.rank();
    }
  }
  if (rank < 0) {
    ctx.set_output_type(0, TensorType{dtype, Shape()});
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", 0), rank);
  if (!axis.ok()) return axis.status();
  std::vector<Dim> out = UnknownDims(rank);
  bool sum_known = true;
  int64_t sum = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Shape& s = ctx.input_type(i).shape;
    if (!s.rank_known()) {
      sum_known = false;
      continue;
    }
    for (int64_t d = 0; d < rank; ++d) {
      const Dim& dim = s.dim(d);
      if (d == *axis) {
        if (dim.is_static()) {
          sum += dim.value();
        } else {
          sum_known = false;
        }
        continue;
      }
      Dim& o = out[static_cast<size_t>(d)];
      if (o.is_static() && dim.is_static() && o.value() != dim.value()) {
        return ctx.Error(absl::StrCat("inputs differ in dim ", d, ": ", o.value(), " vs ", dim.value()));
      }
      o = MergeDims(o, dim);
    }
  }
  if (sum_known) out[static_cast<size_t>(*axis)] = Dim(sum);
  ctx.set_output_type(0, TensorType{dtype, Shape(out)});
  return absl::OkStatus();
}

absl::Status InferSplit(InferenceContext& ctx) {
  const TensorType& in = ctx.input_type(0);
  int n = ctx.num_outputs();
  IntsOperand split = ReadIntsOperand(ctx, "split", 1, 13);
  const Attribute* num_outputs_attr = ctx.opset() >= 18 ? ctx.node().FindAttribute("num_outputs") : nullptr;
  if (num_outputs_attr != nullptr) {
    if (split.present) return ctx.Error("'split' and 'num_outputs' cannot both be given");
    int64_t num = ctx.node().GetInt("num_outputs", n);
    if (num != n) return ctx.Error(absl::StrCat("num_outputs is ", num, " but the node has ", n, " outputs"));
  }
  if (split.values.has_value() && static_cast<int64_t>(split.values->size()) != n) {
    return ctx.Error(absl::StrCat("split has ", split.values->size(), " entries for ", n, " outputs"));
  }
  if (!in.shape.rank_known()) {
    for (int i = 0; i < n; ++i) ctx.set_output_type(i, TensorType{in.dtype, Shape()});
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", 0), in.shape.rank());
  if (!axis.ok()) return axis.status();
  const Dim& dim = in.shape.dim(*axis);
  std::vector<Dim> sizes(static_cast<size_t>(n));
  if (split.values.has_value()) {
    int64_t total = 0;
    for (int i = 0; i < n; ++i) {
      int64_t s = (*split.values)[static_cast<size_t>(i)];
      if (s < 0) return ctx.Error(absl::StrCat("split has a negative entry ", s));
      total += s;
      sizes[static_cast<size_t>(i)] = Dim(s);
    }
    if (dim.is_static() && total != dim.value()) {
      return ctx.Error(absl::StrCat("split sizes add up to ", total, ", the axis has size ", dim.value()));
    }
  } else if (!split.present && dim.is_static()) {
    int64_t d = dim.value();
    if (d % n == 0) {
      for (auto& s : sizes) s = Dim(d / n);
    } else if (ctx.opset() >= 18) {
      int64_t chunk = (d + n - 1) / n;
      int64_t last = d - chunk * (n - 1);
      if (last < 0) return ctx.Error(absl::StrCat("cannot split size ", d, " into ", n, " chunks"));
      for (auto& s : sizes) s = Dim(chunk);
      sizes.back() = Dim(last);
    } else {
      return ctx.Error(absl::StrCat("axis of size ", d, " does not split evenly into ", n, " outputs"));
    }
  }
  for (int i = 0; i < n; ++i) {
    std::vector<Dim> dims = in.shape.dims();
    dims[static_cast<size_t>(*axis)] = sizes[static_cast<size_t>(i)];
    ctx.set_output_type(i, TensorType{in.dtype, Shape(dims)});
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Slice

// Number of elements a Slice takes from an axis of size `dim`, with ONNX's
// clamping of out-of-range starts and ends.
int64_t SliceCount(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (dim == 0) return 0;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return end > start ? (end - start - 1) / step + 1 : 0;
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  // -step, written so that a step of INT64_MIN cannot overflow.
  int64_t magnitude = step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
  return start > end ? (start - end - 1) / magnitude + 1 : 0;
}

absl::Status InferSlice(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  bool from_inputs = ctx.opset() >= 10;
  if (from_inputs) {
    if (absl::Status s = RequireInputs(ctx, 3, 5); !s.ok()) return s;
  }
  IntsOperand starts = ReadIntsOperand(ctx, "starts", 1, 10);
  IntsOperand ends = ReadIntsOperand(ctx, "ends", 2, 10);
  IntsOperand axes = ReadIntsOperand(ctx, "axes", 3, 10);
  IntsOperand steps = ReadIntsOperand(ctx, "steps", 4, 10);
  if (!from_inputs && (!starts.present || !ends.present)) return ctx.Error("attributes starts and ends are required");
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  int64_t rank = in.rank();
  if (starts.length && ends.length && *starts.length != *ends.length) {
    return ctx.Error(absl::StrCat("starts has ", *starts.length, " entries, ends has ", *ends.length));
  }
  std::optional<std::vector<int64_t>> axis_list;
  if (!axes.present) {
    std::optional<int64_t> n = starts.length ? starts.length : ends.length;
    if (n.has_value()) {
      axis_list.emplace();
      for (int64_t i = 0; i < *n; ++i) axis_list->push_back(i);
    }
  } else if (axes.values.has_value()) {
    absl::StatusOr<std::vector<int64_t>> normalized = NormalizeAxes(*axes.values, rank);
    if (!normalized.ok()) return ctx.Error(normalized.status().message());
    axis_list = *normalized;
  }
  if (!axis_list.has_value()) {
    ctx.set_output_type(0, SameDType(ctx, Shape(UnknownDims(rank))));
    return absl::OkStatus();
  }
  size_t n = axis_list->size();
  if ((starts.length && static_cast<size_t>(*starts.length) != n) ||
      (steps.length && static_cast<size_t>(*steps.length) != n)) {
    return ctx.Error("starts, ends, axes and steps must have the same length");
  }
  if (steps.values.has_value()) {
    for (int64_t s : *steps.values) {
      if (s == 0) return ctx.Error("steps must not be 0");
    }
  }
  std::vector<Dim> out = in.dims();
  bool bounds_known = starts.values.has_value() && ends.values.has_value() && (!steps.present || steps.values);
  for (size_t i = 0; i < n; ++i) {
    Dim& d = out[static_cast<size_t>((*axis_list)[i])];
    if (!bounds_known) {
      d = Dim();
      continue;
    }
    int64_t start = (*starts.values)[i];
    int64_t end = (*ends.values)[i];
    int64_t step = steps.values ? (*steps.values)[i] : 1;
    if (d.is_static()) {
      d = Dim(SliceCount(d.value(), start, end, step));
    } else if (!(start == 0 && step == 1 && end == std::numeric_limits<int64_t>::max())) {
      d = Dim();  // a full slice keeps a symbolic dim; anything else is unknown
    }
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Gathers and scatters

absl::Status CheckIndexType(const InferenceContext& ctx, int i) {
  DType t = ctx.input_type(i).dtype;
  if (t != DType::kUndefined && t != DType::kInt32 && t != DType::kInt64) {
    return ctx.Error(absl::StrCat("indices must be int32 or int64, are ", DTypeName(t)));
  }
  return absl::OkStatus();
}

absl::Status InferGather(InferenceContext& ctx) {
  if (absl::Status s = CheckIndexType(ctx, 1); !s.ok()) return s;
  const Shape& data = ctx.input_type(0).shape;
  const Shape& indices = ctx.input_type(1).shape;
  if (!data.rank_known() || !indices.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  if (data.rank() == 0) return ctx.Error("data must have rank >= 1");
  absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", 0), data.rank());
  if (!axis.ok()) return axis.status();
  std::vector<Dim> out(data.dims().begin(), data.dims().begin() + *axis);
  out.insert(out.end(), indices.dims().begin(), indices.dims().end());
  out.insert(out.end(), data.dims().begin() + *axis + 1, data.dims().end());
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

absl::Status InferGatherElements(InferenceContext& ctx) {
  if (absl::Status s = CheckIndexType(ctx, 1); !s.ok()) return s;
  const Shape& data = ctx.input_type(0).shape;
  const Shape& indices = ctx.input_type(1).shape;
  if (data.rank_known() && indices.rank_known()) {
    if (data.rank() != indices.rank()) {
      return ctx.Error(absl::StrCat("data has rank ", data.rank(), ", indices rank ", indices.rank()));
    }
    if (data.rank() == 0) return ctx.Error("data must have rank >= 1");
    absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", 0), data.rank());
    if (!axis.ok()) return axis.status();
  }
  ctx.set_output_type(0, SameDType(ctx, indices));
  return absl::OkStatus();
}

absl::Status InferGatherND(InferenceContext& ctx) {
  if (ctx.input_type(1).dtype != DType::kUndefined && ctx.input_type(1).dtype != DType::kInt64) {
    return ctx.Error(absl::StrCat("indices must be int64, are ", DTypeName(ctx.input_type(1).dtype)));
  }
  const Shape& data = ctx.input_type(0).shape;
  const Shape& indices = ctx.input_type(1).shape;
  int64_t batch_dims = ctx.opset() >= 12 ? ctx.node().GetInt("batch_dims", 0) : 0;
  if (!data.rank_known() || !indices.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  int64_t r = data.rank();
  int64_t q = indices.rank();
  if (r < 1 || q < 1) return ctx.Error("data and indices must have rank >= 1");
  if (batch_dims < 0 || batch_dims >= std::min(r, q)) {
    return ctx.Error(absl::StrCat("batch_dims ", batch_dims, " must be in [0, min(rank(data), rank(indices)))"));
  }
  const Dim& last = indices.dim(q - 1);
  if (!last.is_static()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  int64_t k = last.value();
  if (k < 1 || batch_dims + k > r) {
    return ctx.Error(absl::StrCat("indices' last dim ", k, " is out of range for data of rank ", r, " with batch_dims ",
                                  batch_dims));
  }
  std::vector<Dim> out;
  for (int64_t i = 0; i < q - 1; ++i) {
    out.push_back(i < batch_dims ? MergeDims(indices.dim(i), data.dim(i)) : indices.dim(i));
  }
  for (int64_t i = batch_dims + k; i < r; ++i) out.push_back(data.dim(i));
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

absl::Status CheckReduction(const InferenceContext& ctx) {
  const Attribute* attr = ctx.node().FindAttribute("reduction");
  if (attr == nullptr) return absl::OkStatus();
  std::string r = ctx.node().GetString("reduction", "none");
  bool ok = r == "none" || (ctx.opset() >= 16 && (r == "add" || r == "mul")) ||
            (ctx.opset() >= 18 && (r == "max" || r == "min"));
  if (!ok) return ctx.Error(absl::StrCat("reduction '", r, "' is not supported at opset ", ctx.opset()));
  return absl::OkStatus();
}

absl::Status InferScatterElements(InferenceContext& ctx) {
  if (absl::Status s = CheckIndexType(ctx, 1); !s.ok()) return s;
  if (absl::Status s = CheckReduction(ctx); !s.ok()) return s;
  const Shape& data = ctx.input_type(0).shape;
  const Shape& indices = ctx.input_type(1).shape;
  const Shape& updates = ctx.input_type(2).shape;
  if (indices.rank_known() && updates.rank_known() && indices.rank() != updates.rank()) {
    return ctx.Error("indices and updates must have the same shape");
  }
  if (data.rank_known() && indices.rank_known() && data.rank() != indices.rank()) {
    return ctx.Error(absl::StrCat("data has rank ", data.rank(), ", indices rank ", indices.rank()));
  }
  if (data.rank_known()) {
    if (data.rank() == 0) return ctx.Error("data must have rank >= 1");
    absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", 0), data.rank());
    if (!axis.ok()) return axis.status();
  }
  return InferSameAsInput(ctx);
}

absl::Status InferScatterND(InferenceContext& ctx) {
  if (ctx.input_type(1).dtype != DType::kUndefined && ctx.input_type(1).dtype != DType::kInt64) {
    return ctx.Error(absl::StrCat("indices must be int64, are ", DTypeName(ctx.input_type(1).dtype)));
  }
  if (absl::Status s = CheckReduction(ctx); !s.ok()) return s;
  const Shape& data = ctx.input_type(0).shape;
  const Shape& indices = ctx.input_type(1).shape;
  const Shape& updates = ctx.input_type(2).shape;
  if (data.rank_known() && indices.rank_known() && updates.rank_known() && indices.rank() >= 1 &&
      indices.dim(indices.rank() - 1).is_static()) {
    int64_t k = indices.dim(indices.rank() - 1).value();
    int64_t expected = indices.rank() - 1 + data.rank() - k;
    if (k > data.rank() || updates.rank() != expected) {
      return ctx.Error(absl::StrCat("updates have rank ", updates.rank(), ", expected ", expected));
    }
  }
  return InferSameAsInput(ctx);
}

// ---------------------------------------------------------------- Expand, Tile, Range

absl::Status InferExpand(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  Shape target;
  if (std::optional<std::vector<int64_t>> dims = ConstantInt64s(ctx, 1)) {
    for (int64_t d : *dims) {
      if (d < 0) return ctx.Error(absl::StrCat("shape has a negative dim ", d));
    }
    target = Shape::FromStatic(*dims);
  } else {
    const Shape& s = ctx.input_type(1).shape;
    if (s.rank() == 1 && s.dim(0).is_static()) target = Shape(UnknownDims(s.dim(0).value()));
  }
  absl::StatusOr<Shape> out = BroadcastShapes(in, target);
  if (!out.ok()) return NodeError(ctx, out.status());
  ctx.set_output_type(0, SameDType(ctx, *out));
  return absl::OkStatus();
}

absl::Status InferTile(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  std::optional<std::vector<int64_t>> repeats = ConstantInt64s(ctx, 1);
  if (!in.rank_known()) {
    Shape out;
    if (repeats.has_value()) out = Shape(UnknownDims(static_cast<int64_t>(repeats->size())));
    ctx.set_output_type(0, SameDType(ctx, out));
    return absl::OkStatus();
  }
  std::vector<Dim> out = UnknownDims(in.rank());
  if (repeats.has_value()) {
    if (static_cast<int64_t>(repeats->size()) != in.rank()) {
      return ctx.Error(absl::StrCat("repeats has ", repeats->size(), " entries, input has rank ", in.rank()));
    }
    for (int64_t i = 0; i < in.rank(); ++i) {
      int64_t r = (*repeats)[static_cast<size_t>(i)];
      if (r < 0) return ctx.Error(absl::StrCat("repeats has a negative entry ", r));
      const Dim& d = in.dim(i);
      if (r > kMaxDimValue || (d.is_static() && d.value() > 0 && r > kMaxDimValue / d.value())) {
        return ctx.Error(absl::StrCat("repeats entry ", r, " makes the output too large"));
      }
      out[static_cast<size_t>(i)] = ScaleDim(in.dim(i), r);
    }
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

absl::Status InferRange(InferenceContext& ctx) {
  DType dtype = ctx.input_type(0).dtype;
  for (int i = 0; i < 3; ++i) {
    const TensorType& t = ctx.input_type(i);
    if (t.shape.rank_known() && t.shape.num_elements().value_or(1) != 1) {
      return ctx.Error(absl::StrCat("input ", i, " must be a scalar, has shape ", t.shape.ToString()));
    }
  }
  std::optional<std::vector<double>> start = ConstantDoubles(ctx, 0);
  std::optional<std::vector<double>> limit = ConstantDoubles(ctx, 1);
  std::optional<std::vector<double>> delta = ConstantDoubles(ctx, 2);
  Dim n;
  if (start && limit && delta && start->size() == 1 && limit->size() == 1 && delta->size() == 1) {
    if ((*delta)[0] == 0) return ctx.Error("delta must not be 0");
    double count = std::ceil(((*limit)[0] - (*start)[0]) / (*delta)[0]);
    if (!(count <= static_cast<double>(kMaxElements))) {
      return ctx.Error(absl::StrCat("range of ", count, " elements is too large"));
    }
    n = Dim(std::max<int64_t>(0, static_cast<int64_t>(count)));
  }
  ctx.set_output_type(0, TensorType{dtype, Shape({n})});
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Pad

absl::Status InferPad(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  std::string mode = ctx.node().GetString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && !(mode == "wrap" && ctx.opset() >= 19)) {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported at opset ", ctx.opset()));
  }
  IntsOperand pads = ReadIntsOperand(ctx, "pads", 1, 11);
  if (!pads.present) return ctx.Error("pads are required");
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  int64_t rank = in.rank();
  std::optional<std::vector<int64_t>> axes;
  if (ctx.opset() >= 18 && ctx.has_input(3)) {
    std::optional<std::vector<int64_t>> raw = ConstantInt64s(ctx, 3);
    if (raw.has_value()) {
      absl::StatusOr<std::vector<int64_t>> normalized = NormalizeAxes(*raw, rank);
      if (!normalized.ok()) return ctx.Error(normalized.status().message());
      axes = *normalized;
    }
  } else {
    axes.emplace();
    for (int64_t i = 0; i < rank; ++i) axes->push_back(i);
  }
  if (!axes.has_value() || !pads.values.has_value()) {
    std::vector<Dim> out = UnknownDims(rank);
    ctx.set_output_type(0, SameDType(ctx, Shape(out)));
    return absl::OkStatus();
  }
  size_t n = axes->size();
  if (pads.values->size() != 2 * n) {
    return ctx.Error(absl::StrCat("pads has ", pads.values->size(), " entries, expected ", 2 * n));
  }
  std::vector<Dim> out = in.dims();
  for (size_t i = 0; i < n; ++i) {
    int64_t begin = (*pads.values)[i];
    int64_t end = (*pads.values)[i + n];
    if (begin < -kMaxDimValue || begin > kMaxDimValue || end < -kMaxDimValue || end > kMaxDimValue) {
      return ctx.Error(absl::StrCat("pads ", begin, ", ", end, " are too large"));
    }
    int64_t total = begin + end;
    Dim& d = out[static_cast<size_t>((*axes)[i])];
    if (d.is_static()) {
      if (d.value() + total < 0) {
        return ctx.Error(absl::StrCat("pads shrink axis ", (*axes)[i], " of size ", d.value(), " below 0"));
      }
      d = Dim(d.value() + total);
    } else if (total != 0) {
      d = Dim();
    }
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Resize, Upsample

// Output dims of a resize from per-axis scales: floor(dim * scale), computed
// in double as the ONNX reference does.
absl::Status SetScaledShape(InferenceContext& ctx, const Shape& in, const std::vector<double>& scales) {
  if (static_cast<int64_t>(scales.size()) != in.rank()) {
    return ctx.Error(absl::StrCat("scales has ", scales.size(), " entries, input has rank ", in.rank()));
  }
  std::vector<Dim> out;
  for (int64_t i = 0; i < in.rank(); ++i) {
    double s = scales[static_cast<size_t>(i)];
    if (!(s > 0)) return ctx.Error(absl::StrCat("scale ", s, " must be positive"));
    const Dim& d = in.dim(i);
    if (d.is_static()) {
      double scaled = std::floor(static_cast<double>(d.value()) * s);
      if (!(scaled <= static_cast<double>(kMaxDimValue))) {
        return ctx.Error(absl::StrCat("scale ", s, " makes dim ", d.value(), " too large"));
      }
      out.emplace_back(static_cast<int64_t>(scaled));
    } else {
      out.push_back(s == 1.0 ? d : Dim());
    }
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

absl::Status InferUpsample(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  std::string mode = ctx.node().GetString("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "bilinear") {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported"));
  }
  std::optional<std::vector<double>> scales;
  if (ctx.opset() < 9) {
    if (ctx.node().FindAttribute("scales") == nullptr) return ctx.Error("attribute 'scales' is required");
    std::vector<float> f = ctx.node().GetFloats("scales");
    scales = std::vector<double>(f.begin(), f.end());
  } else {
    if (!ctx.has_input(1)) return ctx.Error("input 'scales' is required");
    scales = ConstantDoubles(ctx, 1);
  }
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  if (!scales.has_value()) {
    ctx.set_output_type(0, SameDType(ctx, Shape(UnknownDims(in.rank()))));
    return absl::OkStatus();
  }
  return SetScaledShape(ctx, in, *scales);
}

absl::Status InferResize(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  const Node& node = ctx.node();
  int64_t opset = ctx.opset();
  std::string mode = node.GetString("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && !(mode == "cubic" && opset >= 11)) {
    return ctx.Error(absl::StrCat("mode '", mode, "' is not supported at opset ", opset));
  }
  if (opset < 11) {
    if (absl::Status s = RequireInputs(ctx, 2, 2); !s.ok()) return s;
    std::optional<std::vector<double>> scales = ConstantDoubles(ctx, 1);
    if (!in.rank_known()) {
      ctx.set_output_type(0, SameDType(ctx, Shape()));
      return absl::OkStatus();
    }
    if (!scales.has_value()) {
      ctx.set_output_type(0, SameDType(ctx, Shape(UnknownDims(in.rank()))));
      return absl::OkStatus();
    }
    return SetScaledShape(ctx, in, *scales);
  }
  std::string coordinate_mode = node.GetString("coordinate_transformation_mode", "half_pixel");
  static const char* const kModes[] = {"half_pixel",          "pytorch_half_pixel",   "align_corners",
                                       "asymmetric",          "tf_half_pixel_for_nn", "tf_crop_and_resize",
                                       "half_pixel_symmetric"};
  if (std::find(std::begin(kModes), std::end(kModes), coordinate_mode) == std::end(kModes)) {
    return ctx.Error(absl::StrCat("coordinate_transformation_mode '", coordinate_mode, "' is not supported"));
  }
  // A present but empty scales or sizes input counts as absent.
  auto input_is_empty = [&ctx](int i) {
    if (!ctx.has_input(i)) return true;
    const Shape& s = ctx.input_type(i).shape;
    return s.rank() == 1 && s.dim(0).is_static() && s.dim(0).value() == 0;
  };
  bool has_scales = !input_is_empty(2);
  bool has_sizes = !input_is_empty(3);
  if (has_scales && has_sizes) return ctx.Error("only one of scales and sizes may be given");
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  int64_t rank = in.rank();
  std::vector<int64_t> axes;
  if (opset >= 18 && node.FindAttribute("axes") != nullptr) {
    absl::StatusOr<std::vector<int64_t>> normalized = NormalizeAxes(node.GetInts("axes"), rank);
    if (!normalized.ok()) return ctx.Error(normalized.status().message());
    axes = *normalized;
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  std::vector<Dim> out = in.dims();
  if (has_scales) {
    std::optional<std::vector<double>> scales = ConstantDoubles(ctx, 2);
    if (!scales.has_value()) {
      for (int64_t a : axes) out[static_cast<size_t>(a)] = Dim();
      ctx.set_output_type(0, SameDType(ctx, Shape(out)));
      return absl::OkStatus();
    }
    if (scales->size() != axes.size()) {
      return ctx.Error(absl::StrCat("scales has ", scales->size(), " entries, expected ", axes.size()));
    }
    std::vector<double> full(static_cast<size_t>(rank), 1.0);
    for (size_t i = 0; i < axes.size(); ++i) full[static_cast<size_t>(axes[i])] = (*scales)[i];
    return SetScaledShape(ctx, in, full);
  }
  if (!has_sizes) return ctx.Error("one of scales and sizes must be given");
  std::optional<std::vector<int64_t>> sizes = ConstantInt64s(ctx, 3);
  if (!sizes.has_value()) {
    for (int64_t a : axes) out[static_cast<size_t>(a)] = Dim();
    ctx.set_output_type(0, SameDType(ctx, Shape(out)));
    return absl::OkStatus();
  }
  if (sizes->size() != axes.size()) {
    return ctx.Error(absl::StrCat("sizes has ", sizes->size(), " entries, expected ", axes.size()));
  }
  std::string policy = opset >= 18 ? node.GetString("keep_aspect_ratio_policy", "stretch") : "stretch";
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
    return ctx.Error(absl::StrCat("keep_aspect_ratio_policy '", policy, "' is not supported"));
  }
  if (policy == "stretch") {
    for (size_t i = 0; i < axes.size(); ++i) {
      if ((*sizes)[i] < 0) return ctx.Error(absl::StrCat("sizes has a negative entry ", (*sizes)[i]));
      out[static_cast<size_t>(axes[i])] = Dim((*sizes)[i]);
    }
  } else {
    std::optional<double> scale;
    for (size_t i = 0; i < axes.size(); ++i) {
      const Dim& d = in.dim(axes[i]);
      if (!d.is_static()) {
        scale.reset();
        break;
      }
      double s = static_cast<double>((*sizes)[i]) / static_cast<double>(d.value());
      scale = !scale ? s : (policy == "not_larger" ? std::min(*scale, s) : std::max(*scale, s));
    }
    for (int64_t a : axes) {
      const Dim& d = in.dim(a);
      out[static_cast<size_t>(a)] =
          scale && d.is_static() ? Dim(static_cast<int64_t>(*scale * static_cast<double>(d.value()) + 0.5)) : Dim();
    }
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- DepthToSpace, SpaceToDepth

absl::Status InferDepthToSpace(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  int64_t block = ctx.node().GetInt("blocksize", 0);
  if (block <= 0) return ctx.Error("attribute 'blocksize' must be positive");
  std::string mode = ctx.node().GetString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return ctx.Error(absl::StrCat("mode '", mode, "' is not supported"));
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape(UnknownDims(4))));
    return absl::OkStatus();
  }
  if (in.rank() != 4) return ctx.Error(absl::StrCat("input must have rank 4, has ", in.rank()));
  const Dim& c = in.dim(1);
  if (c.is_static() && c.value() % (block * block) != 0) {
    return ctx.Error(absl::StrCat("channels ", c.value(), " are not divisible by blocksize^2 = ", block * block));
  }
  Dim out_c = c.is_static() ? Dim(c.value() / (block * block)) : Dim();
  ctx.set_output_type(
      0, SameDType(ctx, Shape({in.dim(0), out_c, ScaleDim(in.dim(2), block), ScaleDim(in.dim(3), block)})));
  return absl::OkStatus();
}

absl::Status InferSpaceToDepth(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  int64_t block = ctx.node().GetInt("blocksize", 0);
  if (block <= 0) return ctx.Error("attribute 'blocksize' must be positive");
  std::string mode = ctx.node().GetString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return ctx.Error(absl::StrCat("mode '", mode, "' is not supported"));
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape(UnknownDims(4))));
    return absl::OkStatus();
  }
  if (in.rank() != 4) return ctx.Error(absl::StrCat("input must have rank 4, has ", in.rank()));
  std::vector<Dim> out = {in.dim(0), ScaleDim(in.dim(1), block * block), Dim(), Dim()};
  for (int64_t i = 2; i < 4; ++i) {
    const Dim& d = in.dim(i);
    if (!d.is_static()) continue;
    if (d.value() % block != 0) {
      return ctx.Error(absl::StrCat("spatial dim ", d.value(), " is not divisible by blocksize ", block));
    }
    out[static_cast<size_t>(i)] = Dim(d.value() / block);
  }
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- OneHot, EyeLike, TopK, ...

absl::Status InferOneHot(InferenceContext& ctx) {
  DType dtype = ctx.input_type(2).dtype;
  const Shape& values = ctx.input_type(2).shape;
  if (values.is_static() && *values.num_elements() != 2) {
    return ctx.Error(absl::StrCat("values must hold 2 elements, has shape ", values.ToString()));
  }
  const Shape& indices = ctx.input_type(0).shape;
  if (!indices.rank_known()) {
    ctx.set_output_type(0, TensorType{dtype, Shape()});
    return absl::OkStatus();
  }
  int64_t out_rank = indices.rank() + 1;
  absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", -1), out_rank);
  if (!axis.ok()) return axis.status();
  Dim depth;
  if (std::optional<std::vector<double>> d = ConstantDoubles(ctx, 1)) {
    if (d->size() != 1) return ctx.Error("depth must hold one element");
    if (!((*d)[0] >= 1 && (*d)[0] <= static_cast<double>(kMaxDimValue))) {
      return ctx.Error(absl::StrCat("depth ", (*d)[0], " must be in [1, 2^40]"));
    }
    depth = Dim(static_cast<int64_t>((*d)[0]));
  }
  std::vector<Dim> out = indices.dims();
  out.insert(out.begin() + *axis, depth);
  ctx.set_output_type(0, TensorType{dtype, Shape(out)});
  return absl::OkStatus();
}

absl::Status InferEyeLike(InferenceContext& ctx) {
  const TensorType& in = ctx.input_type(0);
  DType dtype = in.dtype;
  if (const Attribute* attr = ctx.node().FindAttribute("dtype")) {
    std::optional<DType> d =
        attr->is<int64_t>() ? DTypeFromOnnx(static_cast<int32_t>(attr->get<int64_t>())) : std::nullopt;
    if (!d.has_value()) return ctx.Error("attribute 'dtype' is not a valid data type");
    dtype = *d;
  }
  if (in.shape.rank_known() && in.shape.rank() != 2) {
    return ctx.Error(absl::StrCat("input must have rank 2, has ", in.shape.rank()));
  }
  ctx.set_output_type(0, TensorType{dtype, in.shape.rank_known() ? in.shape : Shape(UnknownDims(2))});
  return absl::OkStatus();
}

absl::Status InferTopK(InferenceContext& ctx) {
  const TensorType& in = ctx.input_type(0);
  std::optional<int64_t> k;
  if (ctx.opset() < 10) {
    if (ctx.node().FindAttribute("k") == nullptr) return ctx.Error("attribute 'k' is required");
    k = ctx.node().GetInt("k", 0);
  } else {
    if (absl::Status s = RequireInputs(ctx, 2, 2); !s.ok()) return s;
    if (std::optional<std::vector<int64_t>> v = ConstantInt64s(ctx, 1)) {
      if (v->size() != 1) return ctx.Error("K must hold one element");
      k = (*v)[0];
    }
  }
  if (k.has_value() && *k < 0) return ctx.Error(absl::StrCat("k ", *k, " must not be negative"));
  Shape out;
  if (in.shape.rank_known()) {
    if (in.shape.rank() == 0) return ctx.Error("input must have rank >= 1");
    absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", -1), in.shape.rank());
    if (!axis.ok()) return axis.status();
    std::vector<Dim> dims = in.shape.dims();
    const Dim& d = dims[static_cast<size_t>(*axis)];
    if (k.has_value() && d.is_static() && *k > d.value()) {
      return ctx.Error(absl::StrCat("k ", *k, " exceeds the axis size ", d.value()));
    }
    dims[static_cast<size_t>(*axis)] = k.has_value() ? Dim(*k) : Dim();
    out = Shape(dims);
  }
  ctx.set_output_type(0, TensorType{in.dtype, out});
  ctx.set_output_type(1, TensorType{DType::kInt64, out});
  return absl::OkStatus();
}

absl::Status InferNonZero(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  Dim rank = in.rank_known() ? Dim(in.rank()) : Dim();
  ctx.set_output_type(0, TensorType{DType::kInt64, Shape({rank, Dim()})});
  return absl::OkStatus();
}

absl::Status InferReverseSequence(InferenceContext& ctx) {
  int64_t batch_axis = ctx.node().GetInt("batch_axis", 1);
  int64_t time_axis = ctx.node().GetInt("time_axis", 0);
  if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0))) {
    return ctx.Error(absl::StrCat("batch_axis ", batch_axis, " and time_axis ", time_axis, " must be 0 and 1"));
  }
  const Shape& in = ctx.input_type(0).shape;
  if (in.rank_known() && in.rank() < 2) return ctx.Error("input must have rank >= 2");
  return InferSameAsInput(ctx);
}

absl::Status InferCompress(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  const Tensor* condition = ctx.input_constant(1);
  const Attribute* axis_attr = ctx.node().FindAttribute("axis");
  auto count_true = [condition](int64_t limit) {
    int64_t n = 0;
    for (int64_t i = 0; i < std::min(limit, condition->num_elements()); ++i) n += condition->GetAsDouble(i) != 0;
    return n;
  };
  if (axis_attr == nullptr) {
    Dim n;
    if (condition != nullptr && in.is_static()) n = Dim(count_true(*in.num_elements()));
    ctx.set_output_type(0, SameDType(ctx, Shape({n})));
    return absl::OkStatus();
  }
  if (!in.rank_known()) {
    ctx.set_output_type(0, SameDType(ctx, Shape()));
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", 0), in.rank());
  if (!axis.ok()) return axis.status();
  std::vector<Dim> out = in.dims();
  const Dim& d = in.dim(*axis);
  out[static_cast<size_t>(*axis)] = condition != nullptr && d.is_static() ? Dim(count_true(d.value())) : Dim();
  ctx.set_output_type(0, SameDType(ctx, Shape(out)));
  return absl::OkStatus();
}

absl::Status InferUnique(InferenceContext& ctx) {
  const TensorType& in = ctx.input_type(0);
  const Attribute* axis_attr = ctx.node().FindAttribute("axis");
  Shape y;
  Dim scanned;  // how many elements or slices inverse_indices covers
  if (axis_attr == nullptr) {
    y = Shape({Dim()});
    if (std::optional<int64_t> n = in.shape.num_elements()) scanned = Dim(*n);
  } else if (in.shape.rank_known()) {
    absl::StatusOr<int64_t> axis = Axis(ctx, ctx.node().GetInt("axis", 0), in.shape.rank());
    if (!axis.ok()) return axis.status();
    std::vector<Dim> dims = in.shape.dims();
    scanned = dims[static_cast<size_t>(*axis)];
    dims[static_cast<size_t>(*axis)] = Dim();
    y = Shape(dims);
  }
  ctx.set_output_type(0, TensorType{in.dtype, y});
  ctx.set_output_type(1, TensorType{DType::kInt64, Shape({Dim()})});
  ctx.set_output_type(2, TensorType{DType::kInt64, Shape({scanned})});
  ctx.set_output_type(3, TensorType{DType::kInt64, Shape({Dim()})});
  return absl::OkStatus();
}

absl::Status InferCumSum(InferenceContext& ctx) {
  const Shape& axis = ctx.input_type(1).shape;
  if (axis.rank_known() && axis.num_elements().value_or(1) != 1) {
    return ctx.Error(absl::StrCat("axis must be a scalar, has shape ", axis.ToString()));
  }
  return InferSameAsInput(ctx);
}

// BitCast (opset 26): same shape, the dtype named by `to`, of equal bit width.
absl::Status InferBitCast(InferenceContext& ctx) {
  const TensorType& in = ctx.input_type(0);
  int64_t code = ctx.node().GetInt("to", 0);
  std::optional<DType> to = DTypeFromOnnx(static_cast<int32_t>(code));
  if (!to.has_value() || *to == DType::kUndefined || *to == DType::kString) {
    return ctx.Error(absl::StrCat("attribute 'to' (", code, ") is not a non-string data type"));
  }
  if (in.dtype == DType::kString || (in.dtype != DType::kUndefined && DTypeBits(in.dtype) != DTypeBits(*to))) {
    return ctx.Error(absl::StrCat("cannot bitcast ", DTypeName(in.dtype), " to ", DTypeName(*to),
                                  ": the bit widths differ"));
  }
  ctx.set_output_type(0, TensorType{*to, in.shape});
  return absl::OkStatus();
}

absl::Status InferTrilu(InferenceContext& ctx) {
  const Shape& in = ctx.input_type(0).shape;
  if (in.rank_known() && in.rank() < 2) return ctx.Error(absl::StrCat("input must have rank >= 2, has ", in.rank()));
  return InferSameAsInput(ctx);
}

}  // namespace

void RegisterTensorOps(OpRegistry& registry) {
  auto add = [&registry](std::string name, int min_inputs, int max_inputs, int min_outputs, int max_outputs,
                         ShapeInferenceFn fn) {
    registry.Register(OpSchema{"", std::move(name), min_inputs, max_inputs, min_outputs, max_outputs, std::move(fn)});
  };
  add("Constant", 0, 0, 1, 1, InferConstant);
  add("ConstantOfShape", 1, 1, 1, 1, InferConstantOfShape);
  add("Shape", 1, 1, 1, 1, InferShapeOp);
  add("Size", 1, 1, 1, 1, InferSize);
  add("Reshape", 2, 2, 1, 1, InferReshape);
  add("Flatten", 1, 1, 1, 1, InferFlatten);
  add("Squeeze", 1, 2, 1, 1, InferSqueeze);
  add("Unsqueeze", 1, 2, 1, 1, InferUnsqueeze);
  add("Transpose", 1, 1, 1, 1, InferTranspose);
  add("Concat", 1, kUnbounded, 1, 1, InferConcat);
  add("Split", 1, 2, 1, kUnbounded, InferSplit);
  add("Slice", 1, 5, 1, 1, InferSlice);
  add("Gather", 2, 2, 1, 1, InferGather);
  add("GatherElements", 2, 2, 1, 1, InferGatherElements);
  add("GatherND", 2, 2, 1, 1, InferGatherND);
  add("Scatter", 3, 3, 1, 1, InferScatterElements);
  add("ScatterElements", 3, 3, 1, 1, InferScatterElements);
  add("ScatterND", 3, 3, 1, 1, InferScatterND);
  add("Expand", 2, 2, 1, 1, InferExpand);
  add("Tile", 2, 2, 1, 1, InferTile);
  add("Range", 3, 3, 1, 1, InferRange);
  add("Pad", 1, 4, 1, 1, InferPad);
  add("Resize", 1, 4, 1, 1, InferResize);
  add("Upsample", 1, 2, 1, 1, InferUpsample);
  add("DepthToSpace", 1, 1, 1, 1, InferDepthToSpace);
  add("SpaceToDepth", 1, 1, 1, 1, InferSpaceToDepth);
  add("OneHot", 3, 3, 1, 1, InferOneHot);
  add("Trilu", 1, 2, 1, 1, InferTrilu);
  add("CumSum", 2, 2, 1, 1, InferCumSum);
  add("CumProd", 2, 2, 1, 1, InferCumSum);
  add("BitCast", 1, 1, 1, 1, InferBitCast);
  add("TopK", 1, 2, 2, 2, InferTopK);
  add("NonZero", 1, 1, 1, 1, InferNonZero);
  add("EyeLike", 1, 1, 1, 1, InferEyeLike);
  add("ReverseSequence", 2, 2, 1, 1, InferReverseSequence);
  add("Compress", 2, 2, 1, 1, InferCompress);
  add("Unique", 1, 1, 1, 4, InferUnique);
}

}  // namespace gsopt::ir
