// Implementation of the shared shape-inference helpers.
#include "ir/ops/shape_helpers.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace gsopt::ir {

absl::StatusOr<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  if (!a.rank_known() || !b.rank_known()) return Shape();
  int64_t rank = std::max(a.rank(), b.rank());
  std::vector<Dim> dims(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) {
    int64_t ia = i - (rank - a.rank());
    int64_t ib = i - (rank - b.rank());
    Dim da = ia >= 0 ? a.dim(ia) : Dim(1);
    Dim db = ib >= 0 ? b.dim(ib) : Dim(1);
    Dim& out = dims[static_cast<size_t>(i)];
    if (da.is_static() && da.value() == 1) {
      out = db;
    } else if (db.is_static() && db.value() == 1) {
      out = da;
    } else if (da.is_static() && db.is_static()) {
      if (da.value() != db.value()) {
        return absl::InvalidArgumentError(absl::StrCat("cannot broadcast ", a.ToString(), " with ",
                                                       b.ToString()));
      }
      out = da;
    } else if (da == db) {
      out = da;
    } else if (da.is_static()) {
      out = da;  // the other dim is symbolic or unknown and must equal it (or be 1)
    } else if (db.is_static()) {
      out = db;
    } else {
      out = Dim();  // two different symbols: either may be 1
    }
  }
  return Shape(std::move(dims));
}

absl::StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

absl::StatusOr<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    absl::StatusOr<int64_t> n = NormalizeAxis(a, rank);
    if (!n.ok()) return n.status();
    if (seen[static_cast<size_t>(*n)]) return absl::InvalidArgumentError(absl::StrCat("axis ", a, " is repeated"));
    seen[static_cast<size_t>(*n)] = true;
    out.push_back(*n);
  }
  return out;
}

absl::StatusOr<AutoPad> AutoPadAttribute(const Node& node) {
  std::string s = node.GetString("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  return absl::InvalidArgumentError(absl::StrCat("unknown auto_pad '", s, "'"));
}

std::optional<std::vector<int64_t>> ConstantInt64s(const InferenceContext& ctx, int i) {
  const Tensor* t = ctx.input_constant(i);
  if (t == nullptr || !IsInteger(t->dtype())) return std::nullopt;
  std::vector<int64_t> out(static_cast<size_t>(t->num_elements()));
  for (int64_t k = 0; k < t->num_elements(); ++k) out[static_cast<size_t>(k)] = t->GetAsInt64(k);
  return out;
}

absl::StatusOr<std::vector<int64_t>> SpatialIntsAttribute(const Node& node, absl::string_view name, size_t count,
                                                          int64_t fill, int64_t minimum) {
  std::vector<int64_t> values = node.GetInts(name);
  if (values.empty()) return std::vector<int64_t>(count, fill);
  if (values.size() != count) {
    return absl::InvalidArgumentError(absl::StrCat(name, " has ", values.size(), " values, expected ", count));
  }
  for (int64_t v : values) {
    if (v < minimum) return absl::InvalidArgumentError(absl::StrCat(name, " has value ", v, ", expected >= ", minimum));
  }
  return values;
}

void RegisterUnaryLike(OpRegistry& registry, std::string name, int min_inputs, int max_inputs,
                       std::string domain) {
  registry.Register(OpSchema{std::move(domain), std::move(name), min_inputs, max_inputs, 1, 1,
                             [](InferenceContext& ctx) {
                               ctx.set_output_type(0, ctx.input_type(0));
                               return absl::OkStatus();
                             }});
}

}  // namespace gsopt::ir
