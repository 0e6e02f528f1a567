// Names, strings and scalar literals of the gsir text form. Floats print in
// their shortest round-tripping decimal form (std::to_chars), half and
// float8 types as the shortest decimal that converts back to the same bits,
// and anything a decimal cannot reproduce (NaN payloads, negative NaN,
// non-0/1 bool bytes) as a hex bit pattern.
#include "frontends/text/literal_codec.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <system_error>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/check.h"

namespace gsopt::frontends::text::internal {
namespace {

using ir::DType;

bool IsIdentifierStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsIdentifierStart(c) || IsDigit(c) || c == '.'; }

// Length of the valid UTF-8 sequence starting at text[i] (2..4), or 0.
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) return 0;
  for (size_t k = i + 2; k < i + length; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
  }
  return length;
}

std::string HexBits(uint64_t bits, int64_t width_bits) {
  int digits = static_cast<int>((width_bits + 3) / 4);
  return absl::StrFormat("0x%0*x", digits, bits);
}

template <typename T>
std::string ShortestDecimal(T value) {
  std::array<char, 64> buffer;
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string DecimalWithPrecision(float value, int precision) {
  std::array<char, 64> buffer;
  auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::general, precision);
  return std::string(buffer.data(), result.ptr);
}

// ---- float8 and float4 ----

enum class SpecialValues {
  kIeee,  // all-ones exponent: inf (zero mantissa) or NaN
  kFn,    // no inf; NaN is all-ones exponent and mantissa
  kFnuz,  // no inf, no -0; NaN is the bit pattern of -0
  kNone,  // every pattern is finite (float4)
};

struct MinifloatFormat {
  int exponent_bits;
  int mantissa_bits;
  int bias;
  SpecialValues specials;
  uint8_t canonical_nan;  // what "nan" encodes to
};

const MinifloatFormat* FindMinifloat(DType dtype) {
  static constexpr MinifloatFormat kE4M3FN{4, 3, 7, SpecialValues::kFn, 0x7F};
  static constexpr MinifloatFormat kE4M3FNUZ{4, 3, 8, SpecialValues::kFnuz, 0x80};
  static constexpr MinifloatFormat kE5M2{5, 2, 15, SpecialValues::kIeee, 0x7F};
  static constexpr MinifloatFormat kE5M2FNUZ{5, 2, 16, SpecialValues::kFnuz, 0x80};
  static constexpr MinifloatFormat kE2M1{2, 1, 1, SpecialValues::kNone, 0};
  switch (dtype) {
    case DType::kFloat8E4M3FN:
      return &kE4M3FN;
    case DType::kFloat8E4M3FNUZ:
      return &kE4M3FNUZ;
    case DType::kFloat8E5M2:
      return &kE5M2;
    case DType::kFloat8E5M2FNUZ:
      return &kE5M2FNUZ;
    case DType::kFloat4E2M1:
      return &kE2M1;
    default:
      return nullptr;
  }
}

float DecodeMinifloat(const MinifloatFormat& format, uint32_t bits) {
  const int value_bits = format.exponent_bits + format.mantissa_bits;
  const uint32_t sign = (bits >> value_bits) & 1;
  const uint32_t max_exponent = (1u << format.exponent_bits) - 1;
  const uint32_t max_mantissa = (1u << format.mantissa_bits) - 1;
  const uint32_t exponent = (bits >> format.mantissa_bits) & max_exponent;
  const uint32_t mantissa = bits & max_mantissa;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  switch (format.specials) {
    case SpecialValues::kFnuz:
      if (bits == (1u << value_bits)) return nan;
      break;
    case SpecialValues::kFn:
      if (exponent == max_exponent && mantissa == max_mantissa) return nan;
      break;
    case SpecialValues::kIeee:
      if (exponent == max_exponent) {
        if (mantissa != 0) return nan;
        return sign ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
      }
      break;
    case SpecialValues::kNone:
      break;
  }
  float magnitude = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), 1 - format.bias - format.mantissa_bits)
                                  : std::ldexp(static_cast<float>(mantissa + (1u << format.mantissa_bits)),
                                               static_cast<int>(exponent) - format.bias - format.mantissa_bits);
  return sign ? -magnitude : magnitude;
}

uint32_t FloatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// The bit pattern whose value is exactly `value` (the same float bits first,
// so -0 keeps its sign where the format has one), or nullopt.
std::optional<uint32_t> EncodeMinifloatExactly(const MinifloatFormat& format, float value) {
  struct Table {
    std::unordered_map<uint32_t, uint32_t> by_float_bits;
  };
  static std::array<Table, 5>* tables = [] {
    auto* built = new std::array<Table, 5>();
    const DType kTypes[5] = {DType::kFloat8E4M3FN, DType::kFloat8E4M3FNUZ, DType::kFloat8E5M2, DType::kFloat8E5M2FNUZ,
                             DType::kFloat4E2M1};
    for (int t = 0; t < 5; ++t) {
      const MinifloatFormat& f = *FindMinifloat(kTypes[t]);
      const uint32_t count = 1u << (1 + f.exponent_bits + f.mantissa_bits);
      for (uint32_t bits = 0; bits < count; ++bits) {
        float decoded = DecodeMinifloat(f, bits);
        if (std::isnan(decoded)) continue;
        (*built)[static_cast<size_t>(t)].by_float_bits.emplace(FloatBits(decoded), bits);
      }
    }
    return built;
  }();
  size_t table_index = &format == FindMinifloat(DType::kFloat8E4M3FN)     ? 0
                       : &format == FindMinifloat(DType::kFloat8E4M3FNUZ) ? 1
                       : &format == FindMinifloat(DType::kFloat8E5M2)     ? 2
                       : &format == FindMinifloat(DType::kFloat8E5M2FNUZ) ? 3
                                                                          : 4;
  const auto& table = (*tables)[table_index].by_float_bits;
  auto it = table.find(FloatBits(value));
  if (it != table.end()) return it->second;
  if (value == 0.0f) {  // -0 in a format without negative zero
    it = table.find(FloatBits(0.0f));
    if (it != table.end()) return it->second;
  }
  return std::nullopt;
}

// ---- parsing numbers ----

absl::StatusOr<uint64_t> ParseHexBits(absl::string_view text, int64_t width_bits, DType dtype) {
  absl::string_view digits = text.substr(2);  // after "0x"
  uint64_t bits = 0;
  auto result = std::from_chars(digits.data(), digits.data() + digits.size(), bits, 16);
  if (result.ec != std::errc() || result.ptr != digits.data() + digits.size()) {
    return absl::InvalidArgumentError(absl::StrCat("bit pattern ", text, " is too wide for ", ir::DTypeName(dtype)));
  }
  if (width_bits < 64 && bits >> width_bits != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bit pattern ", text, " does not fit in the ", width_bits, " bits of ", ir::DTypeName(dtype)));
  }
  return bits;
}

template <typename T>
absl::StatusOr<T> ParseFloatText(absl::string_view text, DType dtype) {
  T value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    return absl::InvalidArgumentError(absl::StrCat(text, " is out of range for ", ir::DTypeName(dtype)));
  }
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed number '", text, "'"));
  }
  return value;
}

absl::StatusOr<uint64_t> EncodeInteger(DType dtype, const ScalarLiteral& literal) {
  const int64_t width = ir::DTypeBits(dtype);
  const bool is_signed = ir::IsSignedInteger(dtype) || dtype == DType::kInt4;
  const absl::string_view name = ir::DTypeName(dtype);
  if (literal.kind == LiteralKind::kHex) return ParseHexBits(literal.text, width, dtype);
  if (literal.kind != LiteralKind::kInteger) {
    return absl::InvalidArgumentError(absl::StrCat("expected an integer for ", name, ", found '", literal.text, "'"));
  }
  const char* begin = literal.text.data();
  const char* end = begin + literal.text.size();
  if (is_signed) {
    int64_t value = 0;
    auto result = std::from_chars(begin, end, value);
    const int64_t min = width == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (width - 1));
    const int64_t max = width == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (width - 1)) - 1;
    if (result.ec != std::errc() || result.ptr != end || value < min || value > max) {
      return absl::InvalidArgumentError(absl::StrCat(literal.text, " is out of range for ", name));
    }
    uint64_t bits = static_cast<uint64_t>(value);
    return width == 64 ? bits : bits & ((uint64_t{1} << width) - 1);
  }
  uint64_t value = 0;
  auto result = std::from_chars(begin, end, value);
  if (result.ec != std::errc() || result.ptr != end || (width < 64 && value >> width != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(literal.text, " is out of range for ", name));
  }
  return value;
}

absl::StatusOr<uint64_t> EncodeFloat(DType dtype, const ScalarLiteral& literal) {
  const int64_t width = ir::DTypeBits(dtype);
  const absl::string_view name = ir::DTypeName(dtype);
  if (literal.kind == LiteralKind::kHex) return ParseHexBits(literal.text, width, dtype);
  if (literal.kind != LiteralKind::kInteger && literal.kind != LiteralKind::kFloat) {
    return absl::InvalidArgumentError(absl::StrCat("expected a number for ", name, ", found '", literal.text, "'"));
  }
  if (dtype == DType::kFloat64) {
    absl::StatusOr<double> value = ParseFloatText<double>(literal.text, dtype);
    if (!value.ok()) return value.status();
    uint64_t bits;
    std::memcpy(&bits, &*value, sizeof bits);
    return bits;
  }
  absl::StatusOr<float> value = ParseFloatText<float>(literal.text, dtype);
  if (!value.ok()) return value.status();
  const float f = *value;
  auto overflow = [&]() {
    return absl::InvalidArgumentError(absl::StrCat(literal.text, " is out of range for ", name));
  };
  switch (dtype) {
    case DType::kFloat32:
      return uint64_t{FloatBits(f)};
    case DType::kFloat16: {
      uint16_t h = ir::FloatToHalf(f);
      if (std::isfinite(f) && (h & 0x7fff) == 0x7c00) return overflow();
      return uint64_t{h};
    }
    case DType::kBFloat16: {
      uint16_t b = ir::FloatToBFloat16(f);
      if (std::isfinite(f) && (b & 0x7fff) == 0x7f80) return overflow();
      return uint64_t{b};
    }
    default:
      break;
  }
  const MinifloatFormat* format = FindMinifloat(dtype);
  GSOPT_CHECK(format != nullptr) << "EncodeFloat on " << name;
  if (std::isnan(f)) {
    if (format->specials == SpecialValues::kNone) {
      return absl::InvalidArgumentError(absl::StrCat(name, " has no NaN"));
    }
    return uint64_t{format->canonical_nan};
  }
  std::optional<uint32_t> bits = EncodeMinifloatExactly(*format, f);
  if (!bits) {
    return absl::InvalidArgumentError(absl::StrCat(literal.text, " is not exactly representable in ", name,
                                                   " (write a representable value or a hex bit pattern)"));
  }
  return uint64_t{*bits};
}

}  // namespace

bool IsBareIdentifier(absl::string_view text) {
  if (text.empty() || !IsIdentifierStart(text[0])) return false;
  for (char c : text) {
    if (!IsNameChar(c)) return false;
  }
  return text != "inf" && text != "nan";
}

bool IsBareValueName(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string QuoteString(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (size_t length = Utf8SequenceLength(text, i); length > 0) {
        out.append(text.data() + i, length);
        i += length;
      } else {
        absl::StrAppendFormat(&out, "\\x%02x", c);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string FormatIdentifier(absl::string_view text) {
  return IsBareIdentifier(text) ? std::string(text) : QuoteString(text);
}

std::string FormatValueRef(absl::string_view name) {
  return absl::StrCat("%", IsBareValueName(name) ? std::string(name) : QuoteString(name));
}

std::string FormatGraphName(absl::string_view name) {
  return absl::StrCat("@", IsBareValueName(name) ? std::string(name) : QuoteString(name));
}

DType ComponentDType(DType dtype) {
  if (dtype == DType::kComplex64) return DType::kFloat32;
  if (dtype == DType::kComplex128) return DType::kFloat64;
  return dtype;
}

int64_t ComponentsPerElement(DType dtype) { return dtype == DType::kComplex64 || dtype == DType::kComplex128 ? 2 : 1; }

absl::StatusOr<uint64_t> EncodeScalar(DType dtype, const ScalarLiteral& literal) {
  switch (dtype) {
    case DType::kBool:
      if (literal.kind == LiteralKind::kTrue) return uint64_t{1};
      if (literal.kind == LiteralKind::kFalse) return uint64_t{0};
      if (literal.kind == LiteralKind::kHex) return ParseHexBits(literal.text, 8, dtype);
      if (literal.kind == LiteralKind::kInteger && (literal.text == "0" || literal.text == "1")) {
        return uint64_t{literal.text == "1" ? 1u : 0u};
      }
      return absl::InvalidArgumentError(absl::StrCat("expected true or false for bool, found '", literal.text, "'"));
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32:
    case DType::kUInt64:
    case DType::kInt4:
    case DType::kUInt4:
      return EncodeInteger(dtype, literal);
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E4M3FNUZ:
    case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ:
    case DType::kFloat4E2M1:
      return EncodeFloat(dtype, literal);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("a scalar literal cannot be a ", ir::DTypeName(dtype), " element"));
  }
}

std::string FormatScalar(DType dtype, uint64_t bits) {
  const int64_t width = ir::DTypeBits(dtype);
  std::string candidate;
  switch (dtype) {
    case DType::kBool:
      if (bits <= 1) return bits ? "true" : "false";
      return HexBits(bits, width);
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kInt4: {
      const uint64_t sign_bit = uint64_t{1} << (width - 1);
      int64_t value = width == 64 ? static_cast<int64_t>(bits)
                                  : static_cast<int64_t>((bits ^ sign_bit)) - static_cast<int64_t>(sign_bit);
      return absl::StrCat(value);
    }
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32:
    case DType::kUInt64:
    case DType::kUInt4:
      return absl::StrCat(bits);
    case DType::kFloat64: {
      double value;
      std::memcpy(&value, &bits, sizeof value);
      // std::to_chars guarantees that its shortest form reads back exactly.
      if (!std::isnan(value)) return ShortestDecimal(value);
      candidate = "nan";
      break;
    }
    case DType::kFloat32: {
      float value;
      uint32_t narrow = static_cast<uint32_t>(bits);
      std::memcpy(&value, &narrow, sizeof value);
      if (!std::isnan(value)) return ShortestDecimal(value);
      candidate = "nan";
      break;
    }
    case DType::kFloat16:
    case DType::kBFloat16: {
      const uint16_t narrow = static_cast<uint16_t>(bits);
      const float value = dtype == DType::kFloat16 ? ir::HalfToFloat(narrow) : ir::BFloat16ToFloat(narrow);
      if (std::isnan(value)) {
        candidate = "nan";
        break;
      }
      if (std::isinf(value)) {
        candidate = value > 0 ? "inf" : "-inf";
        break;
      }
      // The value is exact in float, so 9 digits always suffice; fewer
      // usually do because only the half-precision bits must come back.
      for (int precision = 1; precision <= 9; ++precision) {
        candidate = DecimalWithPrecision(value, precision);
        absl::StatusOr<uint64_t> back = EncodeScalar(dtype, {LiteralKind::kFloat, candidate});
        if (back.ok() && *back == bits) return candidate;
      }
      break;
    }
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E4M3FNUZ:
    case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ:
    case DType::kFloat4E2M1: {
      const float value = DecodeMinifloat(*FindMinifloat(dtype), static_cast<uint32_t>(bits));
      candidate = std::isnan(value) ? "nan" : ShortestDecimal(value);
      break;
    }
    default:
      GSOPT_FATAL() << "FormatScalar on " << ir::DTypeName(dtype);
  }
  // "-nan" would not lex; any other mismatch (NaN payloads) needs the bits.
  if (candidate != "-nan") {
    absl::StatusOr<uint64_t> back = EncodeScalar(dtype, {LiteralKind::kFloat, candidate});
    if (back.ok() && *back == bits) return candidate;
  }
  return HexBits(bits, width);
}

std::string FormatFloatAttribute(float value, bool* is_hex) {
  std::string text = FormatScalar(DType::kFloat32, FloatBits(value));
  *is_hex = text.size() > 2 && text[0] == '0' && text[1] == 'x';
  if (!*is_hex && text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

uint64_t ReadComponentBits(const ir::Tensor& tensor, int64_t index) {
  const DType component = ComponentDType(tensor.dtype());
  const int64_t width = ir::DTypeBits(component);
  const auto* raw = reinterpret_cast<const unsigned char*>(tensor.raw_data());
  if (width == 4) {
    const unsigned char byte = raw[index / 2];
    return index % 2 ? byte >> 4 : byte & 0xf;
  }
  uint64_t bits = 0;
  std::memcpy(&bits, raw + index * (width / 8), static_cast<size_t>(width / 8));  // little-endian host
  return bits;
}

void AppendComponentBits(DType component_dtype, int64_t index, uint64_t bits, std::string* bytes) {
  const int64_t width = ir::DTypeBits(component_dtype);
  if (width == 4) {
    if (index % 2 == 0) {
      bytes->push_back(static_cast<char>(bits & 0xf));
    } else {
      bytes->back() = static_cast<char>(static_cast<unsigned char>(bytes->back()) | ((bits & 0xf) << 4));
    }
    return;
  }
  char buffer[8];
  std::memcpy(buffer, &bits, sizeof buffer);
  bytes->append(buffer, static_cast<size_t>(width / 8));
}

std::string BytesToHex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const unsigned char b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

bool HexToBytes(absl::string_view hex, std::string* bytes) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bytes->clear();
  bytes->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = nibble(hex[i]), low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes->push_back(static_cast<char>(high << 4 | low));
  }
  return true;
}

}  // namespace gsopt::frontends::text::internal
