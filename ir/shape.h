// Tensor shapes whose dimensions may be static (an integer), symbolic (a name
// such as "batch", shared between values that must agree) or unknown.
// A TensorType pairs a shape with a dtype; it is what every ir::Value carries.
#ifndef GSOPT_IR_SHAPE_H_
#define GSOPT_IR_SHAPE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/dtype.h"

namespace gsopt::ir {

class Dim {
 public:
  Dim() = default;  // unknown
  Dim(int64_t value) : value_(value) {}  // NOLINT: a static dim reads like an int
  static Dim Symbol(std::string name) {
    Dim d;
    d.symbol_ = std::move(name);
    return d;
  }

  bool is_static() const { return value_ >= 0; }
  bool is_symbolic() const { return !symbol_.empty(); }
  bool is_unknown() const { return !is_static() && !is_symbolic(); }
  int64_t value() const { return value_; }  // -1 unless static
  const std::string& symbol() const { return symbol_; }

  std::string ToString() const;  // "8", "batch" or "?"
  bool operator==(const Dim& other) const {
    return value_ == other.value_ && symbol_ == other.symbol_;
  }
  bool operator!=(const Dim& other) const { return !(*this == other); }

 private:
  int64_t value_ = -1;
  std::string symbol_;
};

// A shape of unknown rank has no dims at all; a scalar has known rank 0.
class Shape {
 public:
  Shape() = default;  // unknown rank
  Shape(std::vector<Dim> dims) : rank_known_(true), dims_(std::move(dims)) {}  // NOLINT
  static Shape FromStatic(const std::vector<int64_t>& dims);
  static Shape Scalar() { return Shape(std::vector<Dim>{}); }

  bool rank_known() const { return rank_known_; }
  int64_t rank() const { return rank_known_ ? static_cast<int64_t>(dims_.size()) : -1; }
  const std::vector<Dim>& dims() const { return dims_; }
  std::vector<Dim>& mutable_dims() { return dims_; }
  const Dim& dim(int64_t i) const { return dims_[static_cast<size_t>(i)]; }

  bool is_static() const;  // known rank and every dim static
  // The static dims; only meaningful when is_static().
  std::vector<int64_t> static_dims() const;
  // Product of the dims, or nullopt when some dim is not static.
  std::optional<int64_t> num_elements() const;

  std::string ToString() const;  // "[1,3,batch,?]" or "[*]" for unknown rank
  bool operator==(const Shape& other) const {
    return rank_known_ == other.rank_known_ && dims_ == other.dims_;
  }
  bool operator!=(const Shape& other) const { return !(*this == other); }

 private:
  bool rank_known_ = false;
  std::vector<Dim> dims_;
};

struct TensorType {
  DType dtype = DType::kUndefined;
  Shape shape;

  std::string ToString() const;  // "f32[1,3,224,224]"
  bool operator==(const TensorType& other) const {
    return dtype == other.dtype && shape == other.shape;
  }
  bool operator!=(const TensorType& other) const { return !(*this == other); }
};

// Largest dim and element count gsopt accepts; larger is treated as corrupt input.
inline constexpr int64_t kMaxDimValue = int64_t{1} << 40;
inline constexpr int64_t kMaxElements = int64_t{1} << 40;

}  // namespace gsopt::ir

#endif  // GSOPT_IR_SHAPE_H_
