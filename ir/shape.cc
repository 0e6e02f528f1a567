// Printing and static queries on shapes.
#include "ir/shape.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gsopt::ir {

std::string Dim::ToString() const {
  if (is_static()) return std::to_string(value_);
  if (is_symbolic()) return symbol_;
  return "?";
}

Shape Shape::FromStatic(const std::vector<int64_t>& dims) {
  std::vector<Dim> out(dims.begin(), dims.end());
  return Shape(std::move(out));
}

bool Shape::is_static() const {
  if (!rank_known_) return false;
  for (const Dim& d : dims_) {
    if (!d.is_static()) return false;
  }
  return true;
}

std::vector<int64_t> Shape::static_dims() const {
  std::vector<int64_t> out;
  out.reserve(dims_.size());
  for (const Dim& d : dims_) out.push_back(d.value());
  return out;
}

std::optional<int64_t> Shape::num_elements() const {
  if (!is_static()) return std::nullopt;
  int64_t n = 1;
  for (const Dim& d : dims_) n *= d.value();
  return n;
}

std::string Shape::ToString() const {
  if (!rank_known_) return "[*]";
  return absl::StrCat("[", absl::StrJoin(dims_, ",", [](std::string* out, const Dim& d) {
                        out->append(d.ToString());
                      }),
                      "]");
}

std::string TensorType::ToString() const {
  return absl::StrCat(DTypeName(dtype), shape.ToString());
}

}  // namespace gsopt::ir
