// Tests of the scalar and name spellings shared by the gsir printer and
// parser: every bit pattern of the 16- and 8-bit float types prints to text
// that reads back to the same bits, known float8 values (checked against
// ml_dtypes) decode correctly, and bad literals are rejected with a reason.
#include "frontends/text/literal_codec.h"

#include <cstring>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gsopt::frontends::text::internal {
namespace {

using ir::DType;
using ::testing::HasSubstr;

LiteralKind KindOf(absl::string_view text) {
  if (text.size() > 2 && text.substr(0, 2) == "0x") return LiteralKind::kHex;
  if (text == "true") return LiteralKind::kTrue;
  if (text == "false") return LiteralKind::kFalse;
  return text.find_first_of(".ein") == absl::string_view::npos ? LiteralKind::kInteger : LiteralKind::kFloat;
}

absl::StatusOr<uint64_t> Encode(DType dtype, absl::string_view text) {
  return EncodeScalar(dtype, ScalarLiteral{KindOf(text), text});
}

void ExpectEveryPatternRoundTrips(DType dtype) {
  const uint64_t count = uint64_t{1} << ir::DTypeBits(dtype);
  for (uint64_t bits = 0; bits < count; ++bits) {
    const std::string text = FormatScalar(dtype, bits);
    absl::StatusOr<uint64_t> back = Encode(dtype, text);
    ASSERT_TRUE(back.ok()) << ir::DTypeName(dtype) << " bits " << bits << " printed as " << text << ": "
                           << back.status();
    ASSERT_EQ(*back, bits) << ir::DTypeName(dtype) << " printed as " << text;
  }
}

TEST(LiteralCodecTest, EveryHalfAndFloat8PatternRoundTrips) {
  for (DType dtype : {DType::kFloat16, DType::kBFloat16, DType::kFloat8E4M3FN, DType::kFloat8E4M3FNUZ,
                      DType::kFloat8E5M2, DType::kFloat8E5M2FNUZ, DType::kFloat4E2M1, DType::kInt4, DType::kUInt4,
                      DType::kInt8, DType::kUInt8, DType::kInt16, DType::kUInt16}) {
    ExpectEveryPatternRoundTrips(dtype);
  }
}

TEST(LiteralCodecTest, HalfPrintsShortestDecimal) {
  EXPECT_EQ(FormatScalar(DType::kFloat16, ir::FloatToHalf(0.1f)), "0.1");
  EXPECT_EQ(FormatScalar(DType::kBFloat16, ir::FloatToBFloat16(3.0f)), "3");
  EXPECT_EQ(FormatScalar(DType::kFloat16, 0x7c00), "inf");
  EXPECT_EQ(FormatScalar(DType::kFloat16, 0xfc00), "-inf");
  EXPECT_EQ(FormatScalar(DType::kFloat16, 0x7e00), "nan");
  EXPECT_EQ(FormatScalar(DType::kFloat16, 0x7e01), "0x7e01");  // a NaN payload keeps its bits
}

TEST(LiteralCodecTest, Float32UsesShortestRoundTripAndHexForPayloads) {
  auto bits_of = [](float f) {
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return uint64_t{b};
  };
  EXPECT_EQ(FormatScalar(DType::kFloat32, bits_of(0.1f)), "0.1");
  EXPECT_EQ(FormatScalar(DType::kFloat32, bits_of(-0.0f)), "-0");
  EXPECT_EQ(FormatScalar(DType::kFloat32, bits_of(std::numeric_limits<float>::denorm_min())), "1e-45");
  EXPECT_EQ(FormatScalar(DType::kFloat32, 0x7fc00000), "nan");
  EXPECT_EQ(FormatScalar(DType::kFloat32, 0xffc00000), "0xffc00000");
  EXPECT_EQ(FormatScalar(DType::kFloat32, 0x7f800001), "0x7f800001");
  for (uint64_t bits :
       {uint64_t{0x3dcccccd}, uint64_t{0x00000001}, uint64_t{0x7f7fffff}, uint64_t{0xff800000}, uint64_t{0x7fa00000}}) {
    absl::StatusOr<uint64_t> back = Encode(DType::kFloat32, FormatScalar(DType::kFloat32, bits));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, bits);
  }
  absl::StatusOr<uint64_t> f64 = Encode(DType::kFloat64, FormatScalar(DType::kFloat64, 0x0000000000000001));
  ASSERT_TRUE(f64.ok());
  EXPECT_EQ(*f64, 1u);
}

TEST(LiteralCodecTest, Float8DecodesLikeMlDtypes) {
  // Reference values from Python's ml_dtypes.
  EXPECT_EQ(FormatScalar(DType::kFloat8E4M3FN, 0x7e), "448");
  EXPECT_EQ(FormatScalar(DType::kFloat8E4M3FN, 0x80), "-0");
  EXPECT_EQ(FormatScalar(DType::kFloat8E4M3FN, 0x01), "0.001953125");
  EXPECT_EQ(FormatScalar(DType::kFloat8E4M3FN, 0x7f), "nan");
  EXPECT_EQ(FormatScalar(DType::kFloat8E4M3FNUZ, 0x7f), "240");
  EXPECT_EQ(FormatScalar(DType::kFloat8E4M3FNUZ, 0x80), "nan");
  EXPECT_EQ(FormatScalar(DType::kFloat8E4M3FNUZ, 0x01), "0.0009765625");
  EXPECT_EQ(FormatScalar(DType::kFloat8E5M2, 0x7c), "inf");
  EXPECT_EQ(FormatScalar(DType::kFloat8E5M2, 0x01), "1.5258789e-05");
  EXPECT_EQ(FormatScalar(DType::kFloat8E5M2FNUZ, 0x7f), "57344");
  EXPECT_EQ(FormatScalar(DType::kFloat8E5M2FNUZ, 0xfe), "-49152");
  EXPECT_EQ(FormatScalar(DType::kFloat4E2M1, 0x7), "6");
  EXPECT_EQ(FormatScalar(DType::kFloat4E2M1, 0x1), "0.5");
  EXPECT_EQ(FormatScalar(DType::kFloat4E2M1, 0xf), "-6");
  // Other NaN encodings than the canonical one keep their bits.
  EXPECT_EQ(FormatScalar(DType::kFloat8E5M2, 0x7d), "0x7d");
}

TEST(LiteralCodecTest, RejectsValuesThatDoNotFit) {
  EXPECT_THAT(std::string(Encode(DType::kUInt8, "256").status().message()), HasSubstr("out of range for u8"));
  EXPECT_THAT(std::string(Encode(DType::kUInt8, "-1").status().message()), HasSubstr("out of range for u8"));
  EXPECT_THAT(std::string(Encode(DType::kInt4, "8").status().message()), HasSubstr("out of range for i4"));
  EXPECT_THAT(std::string(Encode(DType::kInt64, "9223372036854775808").status().message()), HasSubstr("out of range"));
  EXPECT_THAT(std::string(Encode(DType::kInt32, "1.5").status().message()), HasSubstr("expected an integer"));
  EXPECT_THAT(std::string(Encode(DType::kFloat16, "70000").status().message()), HasSubstr("out of range for f16"));
  EXPECT_THAT(std::string(Encode(DType::kFloat32, "1e39").status().message()), HasSubstr("out of range for f32"));
  EXPECT_THAT(std::string(Encode(DType::kFloat8E4M3FN, "0.3").status().message()),
              HasSubstr("not exactly representable"));
  EXPECT_THAT(std::string(Encode(DType::kFloat8E4M3FN, "inf").status().message()),
              HasSubstr("not exactly representable"));
  EXPECT_THAT(std::string(Encode(DType::kFloat4E2M1, "nan").status().message()), HasSubstr("has no NaN"));
  EXPECT_THAT(std::string(Encode(DType::kFloat16, "0x10000").status().message()), HasSubstr("does not fit"));
  EXPECT_THAT(std::string(Encode(DType::kBool, "2").status().message()), HasSubstr("expected true or false"));
  EXPECT_EQ(*Encode(DType::kInt8, "0xff"), 0xffu);  // a hex literal is the two's complement bit pattern
  EXPECT_EQ(FormatScalar(DType::kInt8, 0xff), "-1");
}

TEST(LiteralCodecTest, FloatAttributesAlwaysReadAsFloats) {
  bool is_hex = true;
  EXPECT_EQ(FormatFloatAttribute(1.0f, &is_hex), "1.0");
  EXPECT_FALSE(is_hex);
  EXPECT_EQ(FormatFloatAttribute(1e10f, &is_hex), "1e+10");
  EXPECT_EQ(FormatFloatAttribute(std::numeric_limits<float>::infinity(), &is_hex), "inf");
  uint32_t payload = 0x7fc00123;
  float nan_payload;
  std::memcpy(&nan_payload, &payload, sizeof nan_payload);
  EXPECT_EQ(FormatFloatAttribute(nan_payload, &is_hex), "0x7fc00123");
  EXPECT_TRUE(is_hex);
}

TEST(LiteralCodecTest, NamesAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(FormatValueRef("x"), "%x");
  EXPECT_EQ(FormatValueRef("0"), "%0");
  EXPECT_EQ(FormatValueRef("input.1"), "%input.1");
  EXPECT_EQ(FormatValueRef("a/b:0"), "%\"a/b:0\"");
  EXPECT_EQ(FormatValueRef(""), "%\"\"");
  EXPECT_EQ(FormatIdentifier("com.microsoft"), "com.microsoft");
  EXPECT_EQ(FormatIdentifier("nan"), "\"nan\"");
  EXPECT_EQ(FormatIdentifier("2x"), "\"2x\"");
  EXPECT_EQ(FormatGraphName("torch-jit-export"), "@\"torch-jit-export\"");
}

TEST(LiteralCodecTest, StringsEscapeControlBytesAndKeepUtf8) {
  EXPECT_EQ(QuoteString("a\"b\\c\n\t\r"), "\"a\\\"b\\\\c\\n\\t\\r\"");
  EXPECT_EQ(QuoteString(std::string("\0\x01\x7f", 3)), "\"\\x00\\x01\\x7f\"");
  EXPECT_EQ(QuoteString("h\xc3\xa9llo \xe2\x9c\x93"), "\"h\xc3\xa9llo \xe2\x9c\x93\"");
  EXPECT_EQ(QuoteString("\xff\xc3"), "\"\\xff\\xc3\"");  // invalid UTF-8 is escaped byte by byte
}

TEST(LiteralCodecTest, PackedNibblesAppendLowFirst) {
  std::string bytes;
  AppendComponentBits(DType::kInt4, 0, 0x3, &bytes);
  AppendComponentBits(DType::kInt4, 1, 0xa, &bytes);
  AppendComponentBits(DType::kInt4, 2, 0x7, &bytes);
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0xa3);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x07);
  std::string decoded;
  ASSERT_TRUE(HexToBytes(BytesToHex(bytes), &decoded));
  EXPECT_EQ(decoded, bytes);
  EXPECT_FALSE(HexToBytes("abc", &decoded));
  EXPECT_FALSE(HexToBytes("zz", &decoded));
}

}  // namespace
}  // namespace gsopt::frontends::text::internal
