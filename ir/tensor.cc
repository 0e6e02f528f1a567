// Tensor storage, element conversion and hashing.
#include "ir/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/hash/hash.h"
#include "ir/check.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gsopt::ir {
namespace {

constexpr std::align_val_t kAlignment{64};

absl::StatusOr<int64_t> CheckedElementCount(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("negative dim ", d));
    if (d > kMaxDimValue) return absl::InvalidArgumentError(absl::StrCat("dim ", d, " is too large"));
    if (d != 0 && n > kMaxElements / d) {
      return absl::InvalidArgumentError("tensor has too many elements");
    }
    n *= d;
  }
  return n;
}

}  // namespace

int64_t ByteSizeFor(DType dtype, int64_t num_elements) {
  return (DTypeBits(dtype) * num_elements + 7) / 8;
}

Tensor::Buffer::Buffer(int64_t n) : size(n) {
  data = static_cast<std::byte*>(::operator new(static_cast<size_t>(n > 0 ? n : 1), kAlignment));
  std::memset(data, 0, static_cast<size_t>(n));
}

Tensor::Buffer::~Buffer() { ::operator delete(data, kAlignment); }

absl::StatusOr<Tensor> Tensor::Create(DType dtype, std::vector<int64_t> dims) {
  if (dtype == DType::kUndefined || (DTypeBits(dtype) == 0 && dtype != DType::kString)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create a tensor of type ", DTypeName(dtype)));
  }
  absl::StatusOr<int64_t> n = CheckedElementCount(dims);
  if (!n.ok()) return n.status();
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.num_elements_ = *n;
  if (dtype == DType::kString) {
    t.strings_ = std::make_shared<std::vector<std::string>>(static_cast<size_t>(*n));
    return t;
  }
  t.byte_size_ = ByteSizeFor(dtype, *n);
  t.buffer_ = std::make_shared<Buffer>(t.byte_size_);
  return t;
}

Tensor Tensor::Zeros(DType dtype, std::vector<int64_t> dims) {
  absl::StatusOr<Tensor> t = Create(dtype, std::move(dims));
  GSOPT_CHECK_OK(t.status());
  return *std::move(t);
}

absl::StatusOr<Tensor> Tensor::FromBytes(DType dtype, std::vector<int64_t> dims,
                                         absl::string_view bytes) {
  absl::StatusOr<Tensor> t = Create(dtype, std::move(dims));
  if (!t.ok()) return t.status();
  if (dtype == DType::kString) return absl::InvalidArgumentError("string tensors have no raw bytes");
  if (static_cast<int64_t>(bytes.size()) != t->byte_size_) {
    return absl::InvalidArgumentError(absl::StrCat("tensor data has ", bytes.size(),
                                                   " bytes, expected ", t->byte_size_));
  }
  if (!bytes.empty()) std::memcpy(t->buffer_->data, bytes.data(), bytes.size());
  return t;
}

Tensor Tensor::FromStrings(std::vector<int64_t> dims, std::vector<std::string> values) {
  Tensor t = Zeros(DType::kString, std::move(dims));
  GSOPT_CHECK(static_cast<int64_t>(values.size()) == t.num_elements_);
  *t.strings_ = std::move(values);
  return t;
}

std::byte* Tensor::mutable_raw_data() {
  if (!buffer_) return nullptr;
  if (buffer_.use_count() > 1) {  // copy on write: never change a shared weight
    auto copy = std::make_shared<Buffer>(byte_size_);
    std::memcpy(copy->data, buffer_->data, static_cast<size_t>(byte_size_));
    buffer_ = std::move(copy);
  }
  buffer_->has_bytes_hash.store(false, std::memory_order_relaxed);
  return buffer_->data;
}

const std::vector<std::string>& Tensor::strings() const {
  static const std::vector<std::string> kEmpty;
  return strings_ ? *strings_ : kEmpty;
}

std::vector<std::string>& Tensor::mutable_strings() {
  GSOPT_CHECK(strings_ != nullptr) << "not a string tensor";
  if (strings_.use_count() > 1) strings_ = std::make_shared<std::vector<std::string>>(*strings_);
  return *strings_;
}

double Tensor::GetAsDouble(int64_t i) const {
  switch (dtype_) {
    case DType::kFloat32: return data<float>()[i];
    case DType::kFloat64: return data<double>()[i];
    case DType::kFloat16: return HalfToFloat(data<uint16_t>()[i]);
    case DType::kBFloat16: return BFloat16ToFloat(data<uint16_t>()[i]);
    case DType::kInt64: return static_cast<double>(data<int64_t>()[i]);
    case DType::kInt32: return data<int32_t>()[i];
    case DType::kInt16: return data<int16_t>()[i];
    case DType::kInt8: return data<int8_t>()[i];
    case DType::kUInt64: return static_cast<double>(data<uint64_t>()[i]);
    case DType::kUInt32: return data<uint32_t>()[i];
    case DType::kUInt16: return data<uint16_t>()[i];
    case DType::kUInt8: return data<uint8_t>()[i];
    case DType::kBool: return data<uint8_t>()[i] != 0;
    default: GSOPT_FATAL() << "GetAsDouble on " << DTypeName(dtype_);
  }
}

int64_t Tensor::GetAsInt64(int64_t i) const {
  switch (dtype_) {
    case DType::kInt64: return data<int64_t>()[i];
    case DType::kInt32: return data<int32_t>()[i];
    case DType::kInt16: return data<int16_t>()[i];
    case DType::kInt8: return data<int8_t>()[i];
    case DType::kUInt64: return static_cast<int64_t>(data<uint64_t>()[i]);
    case DType::kUInt32: return data<uint32_t>()[i];
    case DType::kUInt16: return data<uint16_t>()[i];
    case DType::kUInt8: return data<uint8_t>()[i];
    case DType::kBool: return data<uint8_t>()[i] != 0;
    default: return static_cast<int64_t>(GetAsDouble(i));
  }
}

void Tensor::SetFromDouble(int64_t i, double v) {
  switch (dtype_) {
    case DType::kFloat32: mutable_data<float>()[i] = static_cast<float>(v); return;
    case DType::kFloat64: mutable_data<double>()[i] = v; return;
    case DType::kFloat16: mutable_data<uint16_t>()[i] = FloatToHalf(static_cast<float>(v)); return;
    case DType::kBFloat16: mutable_data<uint16_t>()[i] = FloatToBFloat16(static_cast<float>(v)); return;
    case DType::kInt64: mutable_data<int64_t>()[i] = static_cast<int64_t>(v); return;
    case DType::kInt32: mutable_data<int32_t>()[i] = static_cast<int32_t>(v); return;
    case DType::kInt16: mutable_data<int16_t>()[i] = static_cast<int16_t>(v); return;
    case DType::kInt8: mutable_data<int8_t>()[i] = static_cast<int8_t>(v); return;
    case DType::kUInt64: mutable_data<uint64_t>()[i] = static_cast<uint64_t>(v); return;
    case DType::kUInt32: mutable_data<uint32_t>()[i] = static_cast<uint32_t>(v); return;
    case DType::kUInt16: mutable_data<uint16_t>()[i] = static_cast<uint16_t>(v); return;
    case DType::kUInt8: mutable_data<uint8_t>()[i] = static_cast<uint8_t>(v); return;
    case DType::kBool: mutable_data<uint8_t>()[i] = v != 0; return;
    default: GSOPT_FATAL() << "SetFromDouble on " << DTypeName(dtype_);
  }
}

absl::StatusOr<Tensor> Tensor::Reshaped(std::vector<int64_t> dims) const {
  absl::StatusOr<int64_t> n = CheckedElementCount(dims);
  if (!n.ok()) return n.status();
  if (*n != num_elements_) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot reshape ", num_elements_, " elements to ", *n));
  }
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

bool Tensor::BitwiseEquals(const Tensor& other) const {
  if (dtype_ != other.dtype_ || dims_ != other.dims_) return false;
  if (dtype_ == DType::kString) return strings() == other.strings();
  if (byte_size_ == 0 || buffer_ == other.buffer_) return true;
  return std::memcmp(raw_data(), other.raw_data(), static_cast<size_t>(byte_size_)) == 0;
}

size_t Tensor::ContentHash() const {
  size_t h = absl::HashOf(static_cast<int>(dtype_), dims_);
  if (dtype_ == DType::kString) return absl::HashOf(h, strings());
  if (!buffer_) return h;
  if (!buffer_->has_bytes_hash.load(std::memory_order_acquire)) {
    // The whole buffer: a tensor covers all of its buffer (Reshaped shares it whole).
    buffer_->bytes_hash.store(
        absl::HashOf(absl::string_view(reinterpret_cast<const char*>(buffer_->data), static_cast<size_t>(buffer_->size))),
        std::memory_order_relaxed);
    buffer_->has_bytes_hash.store(true, std::memory_order_release);
  }
  return absl::HashOf(h, buffer_->bytes_hash.load(std::memory_order_relaxed));
}

std::string Tensor::DebugString(int64_t max_elements) const {
  std::string out = type().ToString();
  out += "{";
  int64_t shown = std::min(num_elements_, max_elements);
  for (int64_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    if (dtype_ == DType::kString) {
      absl::StrAppend(&out, "\"", strings()[static_cast<size_t>(i)], "\"");
    } else if (DTypeSize(dtype_) == 0 || dtype_ == DType::kComplex64 ||
               dtype_ == DType::kComplex128 || static_cast<int>(dtype_) >= 17) {
      out += "?";
    } else {
      absl::StrAppend(&out, GetAsDouble(i));
    }
  }
  if (shown < num_elements_) out += ", ...";
  out += "}";
  return out;
}

}  // namespace gsopt::ir
