// Small float formats shared by the kernels that read or write them (Cast,
// CastLike, the quantization ops): float8 E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ
// and float4 E2M1. Each format is described by its bit layout and how it
// spells NaN and infinity; conversions go through a table of its
// non-negative finite values, rounding to nearest even as ONNX's Cast does.
#ifndef GSOPT_BACKEND_CPU_KERNELS_MINIFLOAT_H_
#define GSOPT_BACKEND_CPU_KERNELS_MINIFLOAT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/dtype.h"

namespace gsopt::backend::cpu {

struct MiniFloatFormat {
  int exponent_bits;
  int mantissa_bits;
  int bias;
  bool has_inf;               // E5M2: exponent all ones with mantissa 0
  bool nan_is_all_ones;       // E4M3FN: S.1111.111 only
  bool nan_is_negative_zero;  // the FNUZ formats: 0x80, and no -0
};

// The layout of a float8 / float4 dtype; nullopt for every other dtype.
std::optional<MiniFloatFormat> MiniFloatFormatOf(ir::DType dtype);

bool IsMiniFloat(ir::DType dtype);  // the float8 types and float4e2m1
bool IsFloat8(ir::DType dtype);     // the four float8 types only

class MiniFloatCodec {
 public:
  explicit MiniFloatCodec(MiniFloatFormat format);

  float Decode(uint8_t code) const;
  // Round to nearest even; beyond the largest finite value, saturate or
  // give infinity (E5M2) / NaN (the others), as the ONNX Cast table says.
  // float4 has neither NaN nor infinity and always saturates.
  uint8_t Encode(double x, bool saturate) const;

 private:
  uint8_t WithSign(uint8_t code, bool negative) const;
  uint8_t NaNCode(bool negative) const;
  uint8_t InfCode() const;

  MiniFloatFormat format_;
  int bits_ = 8;
  int sign_bit_ = 0x80;
  std::vector<double> positive_values_;  // by code, ascending
};

// The codec of a dtype for which IsMiniFloat() holds.
const MiniFloatCodec& MiniFloatCodecFor(ir::DType dtype);

}  // namespace gsopt::backend::cpu

#endif  // GSOPT_BACKEND_CPU_KERNELS_MINIFLOAT_H_
