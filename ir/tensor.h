// Tensor: a dtype, static dims and an immutable, shared, 64-byte aligned
// buffer. Copying a Tensor copies a pointer, never the data, so graphs that
// are copied during search share their weights; mutable_data() detaches
// (copy-on-write) only when the buffer is shared. Strings live in their own
// vector; packed 4-bit types keep ONNX's packed bytes.
#ifndef GSOPT_IR_TENSOR_H_
#define GSOPT_IR_TENSOR_H_

#include "absl/strings/string_view.h"
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/dtype.h"
#include "ir/shape.h"

namespace gsopt::ir {

// Maps a C++ element type to its DType (float16/bfloat16 are carried as uint16_t
// and need the DType spelled out).
template <typename T>
constexpr DType DTypeOf();
template <> constexpr DType DTypeOf<float>() { return DType::kFloat32; }
template <> constexpr DType DTypeOf<double>() { return DType::kFloat64; }
template <> constexpr DType DTypeOf<int64_t>() { return DType::kInt64; }
template <> constexpr DType DTypeOf<int32_t>() { return DType::kInt32; }
template <> constexpr DType DTypeOf<int16_t>() { return DType::kInt16; }
template <> constexpr DType DTypeOf<int8_t>() { return DType::kInt8; }
template <> constexpr DType DTypeOf<uint64_t>() { return DType::kUInt64; }
template <> constexpr DType DTypeOf<uint32_t>() { return DType::kUInt32; }
template <> constexpr DType DTypeOf<uint16_t>() { return DType::kUInt16; }
template <> constexpr DType DTypeOf<uint8_t>() { return DType::kUInt8; }
template <> constexpr DType DTypeOf<bool>() { return DType::kBool; }

class Tensor {
 public:
  Tensor() = default;  // an empty, undefined tensor (is_defined() == false)

  // Zero-filled tensor. Fails on negative dims or absurd sizes.
  static absl::StatusOr<Tensor> Create(DType dtype, std::vector<int64_t> dims);
  // Like Create but aborts on invalid arguments: for callers that computed the
  // dims themselves (kernels), never for dims read from a file.
  static Tensor Zeros(DType dtype, std::vector<int64_t> dims);
  // Copies raw little-endian bytes (ONNX raw_data layout).
  static absl::StatusOr<Tensor> FromBytes(DType dtype, std::vector<int64_t> dims,
                                          absl::string_view bytes);
  static Tensor FromStrings(std::vector<int64_t> dims, std::vector<std::string> values);

  template <typename T>
  static Tensor FromVector(std::vector<int64_t> dims, const std::vector<T>& values,
                           DType dtype = DTypeOf<T>()) {
    Tensor t = Zeros(dtype, std::move(dims));
    if constexpr (std::is_same_v<T, bool>) {
      for (size_t i = 0; i < values.size(); ++i) t.mutable_data<uint8_t>()[i] = values[i];
    } else {
      std::copy(values.begin(), values.end(), t.mutable_data<T>());
    }
    return t;
  }
  template <typename T>
  static Tensor Scalar(T value, DType dtype = DTypeOf<T>()) {
    return FromVector<T>({}, std::vector<T>{value}, dtype);
  }

  bool is_defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t dim(int64_t i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t num_elements() const { return num_elements_; }
  int64_t byte_size() const { return byte_size_; }
  TensorType type() const { return TensorType{dtype_, Shape::FromStatic(dims_)}; }

  const std::byte* raw_data() const { return buffer_ ? buffer_->data : nullptr; }
  std::byte* mutable_raw_data();

  // Typed element access; T must have the size of an element (bool as uint8_t
  // or bool, f16/bf16 as uint16_t).
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(raw_data());
  }
  template <typename T>
  T* mutable_data() {
    return reinterpret_cast<T*>(mutable_raw_data());
  }
  const std::vector<std::string>& strings() const;
  std::vector<std::string>& mutable_strings();

  // Element i converted to double / int64 (any numeric dtype). For kernels and
  // tests that are generic over dtype; slow, never in a hot loop.
  double GetAsDouble(int64_t i) const;
  int64_t GetAsInt64(int64_t i) const;
  void SetFromDouble(int64_t i, double value);

  // Same data viewed with other dims (element count must match); shares the buffer.
  absl::StatusOr<Tensor> Reshaped(std::vector<int64_t> dims) const;
  // Whether the two tensors share one buffer (no copy was made).
  bool SharesBufferWith(const Tensor& other) const {
    return buffer_ != nullptr && buffer_ == other.buffer_;
  }
  // Exact equality of dtype, dims and bytes.
  bool BitwiseEquals(const Tensor& other) const;
  // Hash of dtype, dims and contents (used by CSE and structural hashing).
  size_t ContentHash() const;
  // "f32[2,3]{0.5, 1, ...}" with at most max_elements values.
  std::string DebugString(int64_t max_elements = 8) const;

 private:
  struct Buffer {
    explicit Buffer(int64_t size);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    std::byte* data = nullptr;
    int64_t size = 0;
    // Hash of the bytes, computed on first use: search hashes every candidate
    // graph, and the candidates share their weights, so each weight buffer is
    // hashed once rather than once per graph. mutable_raw_data() clears it,
    // which is why a writer must not hash a tensor while still filling it.
    mutable std::atomic<bool> has_bytes_hash{false};
    mutable std::atomic<size_t> bytes_hash{0};
  };

  DType dtype_ = DType::kUndefined;
  std::vector<int64_t> dims_;
  int64_t num_elements_ = 0;
  int64_t byte_size_ = 0;
  std::shared_ptr<Buffer> buffer_;
  std::shared_ptr<std::vector<std::string>> strings_;
};

// Number of bytes `num_elements` elements of `dtype` occupy (packed types round up).
int64_t ByteSizeFor(DType dtype, int64_t num_elements);

}  // namespace gsopt::ir

#endif  // GSOPT_IR_TENSOR_H_
