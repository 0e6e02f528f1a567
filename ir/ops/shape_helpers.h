// Helpers shared by the shape-inference functions of all op families:
// numpy-style broadcasting over possibly symbolic dims, axis normalization,
// and reading small constant int64 inputs (shapes, axes, pads).
#ifndef GSOPT_IR_OPS_SHAPE_HELPERS_H_
#define GSOPT_IR_OPS_SHAPE_HELPERS_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/op_registry.h"

namespace gsopt::ir {

// Multidirectional broadcast of two shapes. Unknown rank gives unknown rank;
// a dim pair that is certainly incompatible (two different static dims, both
// not 1) is an error.
absl::StatusOr<Shape> BroadcastShapes(const Shape& a, const Shape& b);

// Maps axis in [-rank, rank) to [0, rank); error otherwise.
absl::StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank);

// Each axis mapped to [0, rank); error if one is out of range or repeated.
// Shared by shape inference and the kernels; its errors do not name the
// node, so callers wrap them with their context's Error().
absl::StatusOr<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank);

// The contents of input `i` as int64s when it is a constant integer tensor.
std::optional<std::vector<int64_t>> ConstantInt64s(const InferenceContext& ctx, int i);

// An ints attribute (strides, dilations, pads, ...) that is either absent,
// giving `count` copies of `fill`, or has exactly `count` entries, each at
// least `minimum`. Shared by shape inference and the kernels; its errors do
// not name the node, so callers wrap them with their context's Error().
absl::StatusOr<std::vector<int64_t>> SpatialIntsAttribute(const Node& node, absl::string_view name, size_t count,
                                                          int64_t fill, int64_t minimum);

// The auto_pad attribute of Conv, ConvTranspose and the pools.
enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Reads auto_pad (absent or empty means NOTSET). Shared by shape inference
// and the kernels; like SpatialIntsAttribute, its error does not name the node.
absl::StatusOr<AutoPad> AutoPadAttribute(const Node& node);

// The dtype of the first input, copied to output 0 with `shape`.
inline TensorType SameDType(const InferenceContext& ctx, Shape shape) {
  return TensorType{ctx.input_type(0).dtype, std::move(shape)};
}

// Registers a schema whose output 0 has exactly input 0's type (unary
// elementwise ops, activations, Identity, ...).
void RegisterUnaryLike(OpRegistry& registry, std::string name, int min_inputs = 1, int max_inputs = 1,
                       std::string domain = "");

}  // namespace gsopt::ir

#endif  // GSOPT_IR_OPS_SHAPE_HELPERS_H_
