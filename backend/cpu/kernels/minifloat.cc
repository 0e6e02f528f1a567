// The float8 / float4 codecs declared in minifloat.h (moved here from the
// quantization kernels so Cast and QuantizeLinear share one implementation).
#include "backend/cpu/kernels/minifloat.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/check.h"

namespace gsopt::backend::cpu {

using ir::DType;

std::optional<MiniFloatFormat> MiniFloatFormatOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat8E4M3FN: return MiniFloatFormat{4, 3, 7, false, true, false};
    case DType::kFloat8E4M3FNUZ: return MiniFloatFormat{4, 3, 8, false, false, true};
    case DType::kFloat8E5M2: return MiniFloatFormat{5, 2, 15, true, false, false};
    case DType::kFloat8E5M2FNUZ: return MiniFloatFormat{5, 2, 16, false, false, true};
    case DType::kFloat4E2M1: return MiniFloatFormat{2, 1, 1, false, false, false};
    default: return std::nullopt;
  }
}

bool IsMiniFloat(DType dtype) { return MiniFloatFormatOf(dtype).has_value(); }

bool IsFloat8(DType dtype) { return IsMiniFloat(dtype) && dtype != DType::kFloat4E2M1; }

MiniFloatCodec::MiniFloatCodec(MiniFloatFormat f) : format_(f) {
  bits_ = 1 + f.exponent_bits + f.mantissa_bits;
  sign_bit_ = 1 << (bits_ - 1);
  const int exp_mask = (1 << f.exponent_bits) - 1;
  const int mant_mask = (1 << f.mantissa_bits) - 1;
  for (int code = 0; code < sign_bit_; ++code) {
    const int exponent = (code >> f.mantissa_bits) & exp_mask;
    const int mantissa = code & mant_mask;
    if (f.has_inf && exponent == exp_mask) break;
    if (f.nan_is_all_ones && exponent == exp_mask && mantissa == mant_mask) break;
    const double fraction = static_cast<double>(mantissa) / (1 << f.mantissa_bits);
    positive_values_.push_back(exponent == 0 ? std::ldexp(fraction, 1 - f.bias)
                                             : std::ldexp(1.0 + fraction, exponent - f.bias));
  }
}

float MiniFloatCodec::Decode(uint8_t code) const {
  const bool negative = (code & sign_bit_) != 0;
  const int magnitude = code & (sign_bit_ - 1);
  if (format_.nan_is_negative_zero && code == sign_bit_) return std::numeric_limits<float>::quiet_NaN();
  if (magnitude >= static_cast<int>(positive_values_.size())) {
    const int mant_mask = (1 << format_.mantissa_bits) - 1;
    if (format_.has_inf && (magnitude & mant_mask) == 0) {
      return negative ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    }
    return std::numeric_limits<float>::quiet_NaN();
  }
  const float v = static_cast<float>(positive_values_[static_cast<size_t>(magnitude)]);
  return negative ? -v : v;
}

uint8_t MiniFloatCodec::Encode(double x, bool saturate) const {
  const bool is_float4 = bits_ == 4;
  if (is_float4) saturate = true;
  const int largest = static_cast<int>(positive_values_.size()) - 1;
  const bool negative = std::signbit(x);
  if (std::isnan(x)) return is_float4 ? WithSign(static_cast<uint8_t>(largest), negative) : NaNCode(negative);
  const double a = std::fabs(x);
  int code;
  if (std::isinf(x)) {
    // Saturation clamps infinities too, in every format (ONNX Cast table).
    if (!saturate) return format_.has_inf ? WithSign(InfCode(), negative) : NaNCode(negative);
    code = largest;
  } else if (a >= positive_values_.back()) {
    const double max = positive_values_.back();
    const double half_ulp = (max - positive_values_[static_cast<size_t>(largest - 1)]) / 2;
    const bool rounds_to_max = a < max + half_ulp || (a == max + half_ulp && largest % 2 == 0);
    if (saturate || rounds_to_max) {
      code = largest;
    } else {
      return format_.has_inf ? WithSign(InfCode(), negative) : NaNCode(negative);
    }
  } else {
    // The largest value <= a, and the one after it.
    const auto it = std::upper_bound(positive_values_.begin(), positive_values_.end(), a);
    const int low = static_cast<int>(it - positive_values_.begin()) - 1;
    const double below = a - positive_values_[static_cast<size_t>(low)];
    const double above = positive_values_[static_cast<size_t>(low + 1)] - a;
    code = below < above ? low : above < below ? low + 1 : (low % 2 == 0 ? low : low + 1);
  }
  if (code == 0 && format_.nan_is_negative_zero) return 0;
  return WithSign(static_cast<uint8_t>(code), negative);
}

uint8_t MiniFloatCodec::WithSign(uint8_t code, bool negative) const {
  return negative ? static_cast<uint8_t>(code | sign_bit_) : code;
}

// FNUZ formats have the single NaN 0x80; the others keep the sign. E5M2 is
// the top byte of an IEEE half, whose quiet NaN is S.11111.10 (0x7E), which
// is what the ONNX reference produces; E4M3FN's only NaN is S.1111.111.
uint8_t MiniFloatCodec::NaNCode(bool negative) const {
  if (format_.nan_is_negative_zero) return static_cast<uint8_t>(sign_bit_);
  if (format_.has_inf) return WithSign(static_cast<uint8_t>(InfCode() | (1 << (format_.mantissa_bits - 1))), negative);
  return WithSign(static_cast<uint8_t>(sign_bit_ - 1), negative);
}

uint8_t MiniFloatCodec::InfCode() const {
  return static_cast<uint8_t>(((1 << format_.exponent_bits) - 1) << format_.mantissa_bits);
}

const MiniFloatCodec& MiniFloatCodecFor(DType dtype) {
  static const MiniFloatCodec e4m3fn(*MiniFloatFormatOf(DType::kFloat8E4M3FN));
  static const MiniFloatCodec e4m3fnuz(*MiniFloatFormatOf(DType::kFloat8E4M3FNUZ));
  static const MiniFloatCodec e5m2(*MiniFloatFormatOf(DType::kFloat8E5M2));
  static const MiniFloatCodec e5m2fnuz(*MiniFloatFormatOf(DType::kFloat8E5M2FNUZ));
  static const MiniFloatCodec e2m1(*MiniFloatFormatOf(DType::kFloat4E2M1));
  switch (dtype) {
    case DType::kFloat8E4M3FN: return e4m3fn;
    case DType::kFloat8E4M3FNUZ: return e4m3fnuz;
    case DType::kFloat8E5M2: return e5m2;
    case DType::kFloat8E5M2FNUZ: return e5m2fnuz;
    case DType::kFloat4E2M1: return e2m1;
    default: GSOPT_FATAL() << "no minifloat codec for " << ir::DTypeName(dtype);
  }
}

}  // namespace gsopt::backend::cpu
