// ONNX TensorProto -> ir::Tensor: every dtype, every storage form (raw_data,
// the typed repeated fields, external data files) with the sizes checked
// against the dims before anything is copied, and tensor files (.pb) in and
// out.
#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "frontends/onnx/file_io.h"
#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/proto_io.h"
#include "ir/check.h"

namespace gsopt::frontends::onnx {
namespace {

namespace fs = std::filesystem;
using ir::DType;

std::string TensorLabel(const ::onnx::TensorProto& proto) {
  return proto.name().empty() ? std::string("unnamed tensor") : absl::StrCat("tensor '", proto.name(), "'");
}

absl::Status TensorError(const ::onnx::TensorProto& proto, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(TensorLabel(proto), ": ", message));
}

// Dims from the file, refused when negative or beyond what gsopt accepts.
// Sets `element_count` to their product.
absl::StatusOr<std::vector<int64_t>> CheckedDims(const ::onnx::TensorProto& proto, int64_t* element_count) {
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  int64_t elements = 1;
  for (int64_t d : dims) {
    if (d < 0) return TensorError(proto, absl::StrCat("has negative dim ", d));
    if (d > ir::kMaxDimValue) {
      return TensorError(proto, absl::StrCat("dim ", d, " exceeds the largest accepted dim ", ir::kMaxDimValue));
    }
    if (d != 0 && elements > ir::kMaxElements / d) {
      return TensorError(proto, absl::StrCat("the product of its ", proto.dims_size(), " dims exceeds ",
                                             ir::kMaxElements, " elements"));
    }
    elements *= d;
  }
  *element_count = elements;
  return dims;
}

// True when `inner` (canonical) lies inside `outer` (canonical).
bool IsInside(const fs::path& inner, const fs::path& outer) {
  auto [outer_end, inner_it] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return outer_end == outer.end() && inner_it != inner.end();
}

// Reads the bytes of an EXTERNAL tensor: keys location (required), offset and
// length; the file must resolve to a place inside `model_dir`.
absl::StatusOr<std::string> ReadExternalData(const ::onnx::TensorProto& proto, const std::string& model_dir,
                                             int64_t expected_bytes) {
  std::optional<std::string> location;
  int64_t offset = 0;
  std::optional<int64_t> length;
  for (const ::onnx::StringStringEntryProto& entry : proto.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t number = 0;
      if (!absl::SimpleAtoi(entry.value(), &number) || number < 0) {
        return TensorError(proto, absl::StrCat("external data ", entry.key(), " '", entry.value(),
                                               "' is not a non-negative integer"));
      }
      if (entry.key() == "offset") offset = number;
      else length = number;
    }
  }
  if (!location || location->empty()) return TensorError(proto, "external data has no location");
  fs::path relative(*location);
  if (relative.is_absolute() || (*location)[0] == '/' || (*location)[0] == '\\') {
    return TensorError(proto, absl::StrCat("external data location '", *location,
                                           "' is an absolute path; only files inside the model folder are read"));
  }
  for (const fs::path& part : relative) {
    if (part == "..") {
      return TensorError(proto, absl::StrCat("external data location '", *location,
                                             "' leaves the model folder ('..' is not allowed)"));
    }
  }
  fs::path dir = model_dir.empty() ? fs::path(".") : fs::path(model_dir);
  std::error_code ec;
  fs::path real_dir = fs::canonical(dir, ec);
  if (ec) {
    return TensorError(proto, absl::StrCat("model folder '", dir.string(), "' is not accessible: ", ec.message()));
  }
  fs::path real_file = fs::canonical(dir / relative, ec);
  if (ec) {
    return TensorError(proto, absl::StrCat("cannot open external data file '", *location, "': ", ec.message()));
  }
  if (!IsInside(real_file, real_dir)) {
    return TensorError(proto, absl::StrCat("external data location '", *location, "' resolves to '",
                                           real_file.string(), "', outside the model folder"));
  }
  if (!fs::is_regular_file(real_file, ec)) {
    return TensorError(proto, absl::StrCat("external data location '", *location, "' is not a regular file"));
  }
  int64_t file_size = static_cast<int64_t>(fs::file_size(real_file, ec));
  if (ec) return TensorError(proto, absl::StrCat("cannot size '", *location, "': ", ec.message()));
  if (length && *length != expected_bytes) {
    return TensorError(proto, absl::StrCat("external data length ", *length, " does not match the ",
                                           expected_bytes, " bytes its dims and type need"));
  }
  if (offset > file_size || expected_bytes > file_size - offset) {
    return TensorError(proto, absl::StrCat("external data needs bytes [", offset, ", ", offset + expected_bytes,
                                           ") of '", *location, "', but the file has ", file_size, " bytes"));
  }
  std::string bytes(static_cast<size_t>(expected_bytes), '\0');
  std::ifstream in(real_file, std::ios::binary);
  in.seekg(offset);
  in.read(bytes.data(), expected_bytes);
  if (!in || in.gcount() != expected_bytes) {
    return TensorError(proto, absl::StrCat("reading external data from '", *location, "' failed"));
  }
  return bytes;
}

// Which typed repeated field holds elements of `dtype`.
enum class TypedField { kFloat, kInt32, kInt64, kDouble, kUInt64, kString, kNone };

TypedField FieldFor(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kComplex64: return TypedField::kFloat;
    case DType::kFloat64:
    case DType::kComplex128: return TypedField::kDouble;
    case DType::kInt64: return TypedField::kInt64;
    case DType::kUInt32:
    case DType::kUInt64: return TypedField::kUInt64;
    case DType::kString: return TypedField::kString;
    case DType::kUndefined: return TypedField::kNone;
    default: return TypedField::kInt32;  // 8/16-bit ints, bool, f16, bf16, float8, packed 4-bit
  }
}

absl::string_view FieldName(TypedField field) {
  switch (field) {
    case TypedField::kFloat: return "float_data";
    case TypedField::kInt32: return "int32_data";
    case TypedField::kInt64: return "int64_data";
    case TypedField::kDouble: return "double_data";
    case TypedField::kUInt64: return "uint64_data";
    case TypedField::kString: return "string_data";
    case TypedField::kNone: return "(none)";
  }
  return "(none)";
}

int64_t FieldSize(const ::onnx::TensorProto& proto, TypedField field) {
  switch (field) {
    case TypedField::kFloat: return proto.float_data_size();
    case TypedField::kInt32: return proto.int32_data_size();
    case TypedField::kInt64: return proto.int64_data_size();
    case TypedField::kDouble: return proto.double_data_size();
    case TypedField::kUInt64: return proto.uint64_data_size();
    case TypedField::kString: return proto.string_data_size();
    case TypedField::kNone: return 0;
  }
  return 0;
}

// Entries the typed field must hold: complex types store two numbers per
// element, packed 4-bit types one byte (two elements) per int32 entry.
int64_t EntriesNeeded(DType dtype, int64_t elements) {
  if (dtype == DType::kComplex64 || dtype == DType::kComplex128) return 2 * elements;
  if (ir::DTypeBits(dtype) == 4) return (elements + 1) / 2;
  return elements;
}

bool HasAnyTypedData(const ::onnx::TensorProto& proto) {
  return proto.float_data_size() + proto.int32_data_size() + proto.int64_data_size() +
             proto.double_data_size() + proto.uint64_data_size() + proto.string_data_size() > 0;
}

template <typename Narrow>
void NarrowInt32Data(const ::onnx::TensorProto& proto, std::byte* out) {
  Narrow* typed = reinterpret_cast<Narrow*>(out);
  for (int i = 0; i < proto.int32_data_size(); ++i) typed[i] = static_cast<Narrow>(proto.int32_data(i));
}

// Checked before the tensor is allocated, so that dims claiming far more
// elements than the file holds fail without reserving memory for them.
absl::Status CheckTypedFieldSize(const ::onnx::TensorProto& proto, DType dtype, int64_t elements) {
  TypedField field = FieldFor(dtype);
  int64_t have = FieldSize(proto, field);
  int64_t need = EntriesNeeded(dtype, elements);
  if (have == need) return absl::OkStatus();
  if (have == 0 && HasAnyTypedData(proto)) {
    return TensorError(proto, absl::StrCat("data of type ", ir::DTypeName(dtype), " must be in ", FieldName(field),
                                           ", which is empty"));
  }
  return TensorError(proto, absl::StrCat("has ", have, " values in ", FieldName(field), ", expected ", need, " for ",
                                         ir::DTypeName(dtype), " dims of ", elements, " elements"));
}

void FillFromTypedField(const ::onnx::TensorProto& proto, ir::Tensor& tensor) {
  DType dtype = tensor.dtype();
  TypedField field = FieldFor(dtype);
  int64_t need = EntriesNeeded(dtype, tensor.num_elements());
  if (need == 0) return;
  if (field == TypedField::kString) {
    std::vector<std::string>& strings = tensor.mutable_strings();
    for (int64_t i = 0; i < need; ++i) strings[static_cast<size_t>(i)] = proto.string_data(static_cast<int>(i));
    return;
  }
  std::byte* out = tensor.mutable_raw_data();
  switch (field) {
    case TypedField::kFloat:
      std::memcpy(out, proto.float_data().data(), static_cast<size_t>(need) * sizeof(float));
      break;
    case TypedField::kDouble:
      std::memcpy(out, proto.double_data().data(), static_cast<size_t>(need) * sizeof(double));
      break;
    case TypedField::kInt64:
      std::memcpy(out, proto.int64_data().data(), static_cast<size_t>(need) * sizeof(int64_t));
      break;
    case TypedField::kUInt64:
      if (dtype == DType::kUInt64) {
        std::memcpy(out, proto.uint64_data().data(), static_cast<size_t>(need) * sizeof(uint64_t));
      } else {
        uint32_t* typed = reinterpret_cast<uint32_t*>(out);
        for (int64_t i = 0; i < need; ++i) typed[i] = static_cast<uint32_t>(proto.uint64_data(static_cast<int>(i)));
      }
      break;
    case TypedField::kInt32:
      switch (ir::DTypeBits(dtype)) {
        case 32: std::memcpy(out, proto.int32_data().data(), static_cast<size_t>(need) * sizeof(int32_t)); break;
        case 16: NarrowInt32Data<uint16_t>(proto, out); break;  // f16/bf16 are bit patterns
        case 8:
          if (dtype == DType::kBool) {
            uint8_t* typed = reinterpret_cast<uint8_t*>(out);
            for (int64_t i = 0; i < need; ++i) typed[i] = proto.int32_data(static_cast<int>(i)) != 0;
          } else {
            NarrowInt32Data<uint8_t>(proto, out);
          }
          break;
        case 4: NarrowInt32Data<uint8_t>(proto, out); break;  // already two elements per byte
        default: GSOPT_FATAL() << "int32_data for " << ir::DTypeName(dtype);
      }
      break;
    default: GSOPT_FATAL() << "no typed field for " << ir::DTypeName(dtype);
  }
}

}  // namespace

absl::StatusOr<ir::Tensor> TensorFromProto(const ::onnx::TensorProto& proto, const std::string& model_dir) {
  std::optional<DType> dtype = ir::DTypeFromOnnx(proto.data_type());
  if (!dtype) {
    return TensorError(proto, absl::StrCat("unknown data type code ", proto.data_type()));
  }
  if (proto.has_segment()) return TensorError(proto, "segmented tensors are not supported");
  int64_t elements = 0;
  absl::StatusOr<std::vector<int64_t>> dims = CheckedDims(proto, &elements);
  if (!dims.ok()) return dims.status();
  const bool is_string = *dtype == DType::kString;
  const int64_t byte_size = is_string ? 0 : ir::ByteSizeFor(*dtype, elements);

  // Every size is checked against what the file holds before allocating.
  std::string external_bytes;
  if (proto.data_location() == ::onnx::TensorProto::EXTERNAL) {
    if (is_string) return TensorError(proto, "string tensors cannot be stored as external data");
    absl::StatusOr<std::string> bytes = ReadExternalData(proto, model_dir, byte_size);
    if (!bytes.ok()) return bytes.status();
    external_bytes = *std::move(bytes);
  } else if (proto.has_raw_data()) {
    if (is_string) return TensorError(proto, "string tensors cannot use raw_data");
    if (static_cast<int64_t>(proto.raw_data().size()) != byte_size) {
      return TensorError(proto, absl::StrCat("raw_data has ", proto.raw_data().size(), " bytes, expected ",
                                             byte_size, " for ", ir::DTypeName(*dtype), " with ", elements,
                                             " elements"));
    }
  } else if (absl::Status s = CheckTypedFieldSize(proto, *dtype, elements); !s.ok()) {
    return s;
  }

  absl::StatusOr<ir::Tensor> created = ir::Tensor::Create(*dtype, *std::move(dims));
  if (!created.ok()) return TensorError(proto, created.status().message());
  ir::Tensor tensor = *std::move(created);
  if (proto.data_location() == ::onnx::TensorProto::EXTERNAL) {
    if (byte_size > 0) std::memcpy(tensor.mutable_raw_data(), external_bytes.data(), external_bytes.size());
  } else if (proto.has_raw_data()) {
    if (byte_size > 0) std::memcpy(tensor.mutable_raw_data(), proto.raw_data().data(), proto.raw_data().size());
  } else {
    FillFromTypedField(proto, tensor);
  }
  return tensor;
}

absl::StatusOr<ir::Tensor> LoadTensorFile(const std::string& path) {
  ::onnx::TensorProto proto;
  absl::Status parsed = internal::ParseProtoFile(path, "ONNX TensorProto", &proto);
  if (!parsed.ok()) return parsed;
  absl::StatusOr<ir::Tensor> tensor = TensorFromProto(proto, internal::DirectoryOf(path));
  if (!tensor.ok()) {
    return absl::Status(tensor.status().code(), absl::StrCat(path, ": ", tensor.status().message()));
  }
  return tensor;
}

absl::Status SaveTensorFile(const ir::Tensor& tensor, const std::string& name, const std::string& path) {
  ::onnx::TensorProto proto;
  absl::Status converted = internal::TensorToProto(tensor, name, &proto);
  if (!converted.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", converted.message()));
  if (proto.ByteSizeLong() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": tensor '", name, "' is over protobuf's 2 GiB message limit"));
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat(path, ": serializing tensor '", name, "' failed"));
  }
  return WriteFileAtomically(path, bytes);
}

}  // namespace gsopt::frontends::onnx
