// Spelling of names and scalar literals in the gsir text form, shared by the
// printer and the parser so that the two cannot drift apart: what FormatScalar
// writes, EncodeScalar reads back to the same bits (the printer checks this
// for every element and falls back to a hex bit pattern when a decimal form
// would not reproduce the bits, e.g. NaN payloads). Internal to
// frontends/text; the public API is text_format.h.
#ifndef GSOPT_FRONTENDS_TEXT_LITERAL_CODEC_H_
#define GSOPT_FRONTENDS_TEXT_LITERAL_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/dtype.h"
#include "ir/tensor.h"

namespace gsopt::frontends::text::internal {

// ---- names ----
// [A-Za-z_][A-Za-z0-9_.]*, except the words that lex as float literals (inf, nan).
bool IsBareIdentifier(absl::string_view text);
// [A-Za-z0-9_.]+: what may follow '%' or '@' unquoted ("%0", "%x.1").
bool IsBareValueName(absl::string_view text);
// "..." with \" \\ \n \t \r and \xHH escapes; valid UTF-8 stays readable.
std::string QuoteString(absl::string_view text);
// The bare form when IsBareIdentifier, else the quoted form.
std::string FormatIdentifier(absl::string_view text);
// "%x" or %"a/b:0"; FormatGraphName gives "@main" or @"my graph".
std::string FormatValueRef(absl::string_view name);
std::string FormatGraphName(absl::string_view name);

// ---- scalar literals ----
enum class LiteralKind {
  kInteger,  // -12
  kFloat,    // 1.5, -2e-07, inf, -inf, nan
  kHex,      // 0x7fc00001: the element's raw bit pattern
  kTrue,
  kFalse,
};

struct ScalarLiteral {
  LiteralKind kind = LiteralKind::kInteger;
  absl::string_view text;
};

// Complex numbers are stored as two components of this dtype (c64 -> f32,
// c128 -> f64); every other dtype is its own component.
ir::DType ComponentDType(ir::DType dtype);
int64_t ComponentsPerElement(ir::DType dtype);

// The bits of one component of `dtype` spelled by `literal`, or a message
// (without location) saying why it does not fit: out of range, not an
// integer, not exactly representable in a float8 type, ...
absl::StatusOr<uint64_t> EncodeScalar(ir::DType component_dtype, const ScalarLiteral& literal);
// The shortest text that EncodeScalar maps back to `bits`.
std::string FormatScalar(ir::DType component_dtype, uint64_t bits);
// A float attribute: FormatScalar, plus ".0" where the text would otherwise
// read as an integer. Sets *is_hex when only a bit pattern reproduces it.
std::string FormatFloatAttribute(float value, bool* is_hex);

// Raw bits of component `index` (packed 4-bit types: one nibble).
uint64_t ReadComponentBits(const ir::Tensor& tensor, int64_t index);
// Appends component number `index` to a little-endian byte buffer in the
// tensor's raw layout (4-bit types pack two per byte, low nibble first).
void AppendComponentBits(ir::DType component_dtype, int64_t index, uint64_t bits, std::string* bytes);

// Hex helpers for the bytes<"..."> tensor form.
std::string BytesToHex(absl::string_view bytes);
bool HexToBytes(absl::string_view hex, std::string* bytes);

}  // namespace gsopt::frontends::text::internal

#endif  // GSOPT_FRONTENDS_TEXT_LITERAL_CODEC_H_
