// DType names, sizes and half-precision conversions.
#include "ir/dtype.h"

#include <array>
#include <cstring>

namespace gsopt::ir {
namespace {

struct DTypeInfo {
  DType dtype;
  absl::string_view name;
  int64_t bits;
};

constexpr std::array<DTypeInfo, 24> kDTypes = {{
    {DType::kUndefined, "undefined", 0},
    {DType::kFloat32, "f32", 32},
    {DType::kUInt8, "u8", 8},
    {DType::kInt8, "i8", 8},
    {DType::kUInt16, "u16", 16},
    {DType::kInt16, "i16", 16},
    {DType::kInt32, "i32", 32},
    {DType::kInt64, "i64", 64},
    {DType::kString, "string", 0},
    {DType::kBool, "bool", 8},
    {DType::kFloat16, "f16", 16},
    {DType::kFloat64, "f64", 64},
    {DType::kUInt32, "u32", 32},
    {DType::kUInt64, "u64", 64},
    {DType::kComplex64, "c64", 64},
    {DType::kComplex128, "c128", 128},
    {DType::kBFloat16, "bf16", 16},
    {DType::kFloat8E4M3FN, "f8e4m3fn", 8},
    {DType::kFloat8E4M3FNUZ, "f8e4m3fnuz", 8},
    {DType::kFloat8E5M2, "f8e5m2", 8},
    {DType::kFloat8E5M2FNUZ, "f8e5m2fnuz", 8},
    {DType::kUInt4, "u4", 4},
    {DType::kInt4, "i4", 4},
    {DType::kFloat4E2M1, "f4e2m1", 4},
}};

const DTypeInfo* Find(DType dtype) {
  auto index = static_cast<size_t>(dtype);
  return index < kDTypes.size() ? &kDTypes[index] : nullptr;
}

}  // namespace

absl::string_view DTypeName(DType dtype) {
  const DTypeInfo* info = Find(dtype);
  return info ? info->name : "invalid";
}

std::optional<DType> DTypeFromName(absl::string_view name) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.name == name) return info.dtype;
  }
  return std::nullopt;
}

std::optional<DType> DTypeFromOnnx(int32_t code) {
  if (code <= 0 || code >= static_cast<int32_t>(kDTypes.size())) return std::nullopt;
  return static_cast<DType>(code);
}

int64_t DTypeBits(DType dtype) {
  const DTypeInfo* info = Find(dtype);
  return info ? info->bits : 0;
}

int64_t DTypeSize(DType dtype) {
  int64_t bits = DTypeBits(dtype);
  return bits % 8 == 0 ? bits / 8 : 0;
}

bool IsFloatingPoint(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16 ||
         dtype == DType::kFloat64;
}

bool IsSignedInteger(DType dtype) {
  return dtype == DType::kInt8 || dtype == DType::kInt16 || dtype == DType::kInt32 ||
         dtype == DType::kInt64;
}

bool IsInteger(DType dtype) {
  return IsSignedInteger(dtype) || dtype == DType::kUInt8 || dtype == DType::kUInt16 ||
         dtype == DType::kUInt32 || dtype == DType::kUInt64;
}

float HalfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal half: renormalize
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      mantissa &= 0x3ff;
      bits = sign | (exponent << 23) | (mantissa << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  uint16_t sign = (bits >> 16) & 0x8000;
  uint32_t abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) {  // inf or nan
    return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);
  }
  if (abs >= 0x477ff000) return sign | 0x7c00;  // rounds to inf
  if (abs < 0x38800000) {                        // subnormal or zero in half
    // Shift with the implicit bit, then round to nearest even.
    if (abs < 0x33000000) return sign;
    uint32_t exponent = abs >> 23;
    uint32_t mantissa = (abs & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - exponent;  // half subnormal unit is 2^-24
    uint32_t half = mantissa >> shift;
    uint32_t remainder = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t rounded = abs + 0xfff + ((abs >> 13) & 1);  // round to nearest even
  return sign | static_cast<uint16_t>((rounded - (112u << 23)) >> 13);
}

float BFloat16ToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint16_t FloatToBFloat16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t rounding = 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

}  // namespace gsopt::ir
