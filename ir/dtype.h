// Element types of tensors. The numeric values are ONNX's TensorProto.DataType
// codes so that import/export is a cast, and every ONNX type (float8, int4,
// string, complex) can be carried through the IR even where no kernel exists.
#ifndef GSOPT_IR_DTYPE_H_
#define GSOPT_IR_DTYPE_H_

#include "absl/strings/string_view.h"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gsopt::ir {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBFloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUInt4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
};

// Short lowercase name used by the text IR: "f32", "i64", "bool", ...
absl::string_view DTypeName(DType dtype);
// Inverse of DTypeName; nullopt for an unknown name.
std::optional<DType> DTypeFromName(absl::string_view name);
// Maps an ONNX DataType code; nullopt for codes ONNX has not defined.
std::optional<DType> DTypeFromOnnx(int32_t code);

// Bytes per element for fixed-size types; 0 for string and sub-byte types
// (int4/uint4/float4 pack two per byte, see PackedBits).
int64_t DTypeSize(DType dtype);
// Bits per element (4 for the packed types, 8*size otherwise, 0 for string).
int64_t DTypeBits(DType dtype);

bool IsFloatingPoint(DType dtype);  // f16, bf16, f32, f64 (float8 excluded)
bool IsInteger(DType dtype);        // signed and unsigned, 8..64 bits
bool IsSignedInteger(DType dtype);

// IEEE half and bfloat16 conversions (round to nearest even).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToBFloat16(float f);

}  // namespace gsopt::ir

#endif  // GSOPT_IR_DTYPE_H_
