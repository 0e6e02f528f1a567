// Helpers shared by the CPU kernels: dtype dispatch (call a templated functor
// with the C++ type of a tensor's elements), numpy broadcasting index maps,
// and readers for small integer inputs (shapes, axes). Every kernel family
// uses these instead of writing its own.
#ifndef GSOPT_BACKEND_CPU_KERNELS_KERNEL_UTILS_H_
#define GSOPT_BACKEND_CPU_KERNELS_KERNEL_UTILS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "ir/tensor.h"

namespace gsopt::backend::cpu {

// Tag types for the 16-bit floats, which are stored as uint16_t.
struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

// Calls fn.template operator()<T>() with T the element type of `dtype`
// among float, double, int8..int64, uint8..uint64 and bool (as bool, stored
// one byte). Returns an error naming the dtype for anything else.
template <typename Fn>
absl::Status DispatchNumeric(ir::DType dtype, Fn&& fn) {
  switch (dtype) {
    case ir::DType::kFloat32: return fn.template operator()<float>();
    case ir::DType::kFloat64: return fn.template operator()<double>();
    case ir::DType::kInt64: return fn.template operator()<int64_t>();
    case ir::DType::kInt32: return fn.template operator()<int32_t>();
    case ir::DType::kInt16: return fn.template operator()<int16_t>();
    case ir::DType::kInt8: return fn.template operator()<int8_t>();
    case ir::DType::kUInt64: return fn.template operator()<uint64_t>();
    case ir::DType::kUInt32: return fn.template operator()<uint32_t>();
    case ir::DType::kUInt16: return fn.template operator()<uint16_t>();
    case ir::DType::kUInt8: return fn.template operator()<uint8_t>();
    case ir::DType::kBool: return fn.template operator()<bool>();
    default:
      return absl::UnimplementedError(absl::StrCat("element type ", ir::DTypeName(dtype),
                                                   " is not supported by this kernel"));
  }
}

// Same, for float and double only.
template <typename Fn>
absl::Status DispatchFloat(ir::DType dtype, Fn&& fn) {
  switch (dtype) {
    case ir::DType::kFloat32: return fn.template operator()<float>();
    case ir::DType::kFloat64: return fn.template operator()<double>();
    default:
      return absl::UnimplementedError(absl::StrCat("element type ", ir::DTypeName(dtype),
                                                   " is not supported by this kernel"));
  }
}

// Half-precision inputs are computed in float: these convert a f16/bf16
// tensor to f32 and back, so a float kernel serves all three.
ir::Tensor ToFloat32(const ir::Tensor& t);                     // f16/bf16 -> f32; others as is
ir::Tensor FromFloat32(const ir::Tensor& t, ir::DType target);  // f32 -> f16/bf16

// Float kernels compute in f32 or f64. ComputeType is the type a float
// kernel computes `dtype` in (f64 stays f64, f16/bf16/f32 use f32); Widen
// converts a f16/bf16/f32/f64 tensor to that type and Narrow converts a
// result back to the node's dtype.
ir::DType ComputeType(ir::DType dtype);
ir::Tensor Widen(const ir::Tensor& t, ir::DType target);
ir::Tensor Narrow(const ir::Tensor& t, ir::DType target);

// For kernels that compute in double whatever the float dtype (signal,
// vision, recurrent, loss): a tensor's elements as doubles, and a tensor of
// `dtype` holding `values`.
std::vector<double> AsDoubles(const ir::Tensor& t);
ir::Tensor FromDoubles(const std::vector<double>& values, std::vector<int64_t> dims, ir::DType dtype);

// numpy broadcasting of several shapes; error when incompatible.
absl::StatusOr<std::vector<int64_t>> BroadcastDims(const std::vector<std::vector<int64_t>>& shapes);

// For each output element (row-major over `out_dims`), the flat index of the
// input element it reads when `in_dims` is broadcast to `out_dims`.
std::vector<int64_t> BroadcastIndexMap(const std::vector<int64_t>& in_dims,
                                       const std::vector<int64_t>& out_dims);

// Row-major strides of `dims`.
std::vector<int64_t> Strides(const std::vector<int64_t>& dims);

// Contents of an integer tensor as int64s.
std::vector<int64_t> ToInt64s(const ir::Tensor& t);

// Maps axis in [-rank, rank) to [0, rank), or an error naming the node.
absl::StatusOr<int64_t> NormalizeAxis(const KernelContext& ctx, int64_t axis, int64_t rank);

}  // namespace gsopt::backend::cpu

#endif  // GSOPT_BACKEND_CPU_KERNELS_KERNEL_UTILS_H_
