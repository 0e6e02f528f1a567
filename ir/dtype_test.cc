// Tests for dtype names and half/bfloat16 conversion.
#include "ir/dtype.h"

#include <cmath>

#include "gtest/gtest.h"

namespace gsopt::ir {
namespace {

TEST(DTypeTest, NamesRoundTrip) {
  for (int code = 1; code <= 23; ++code) {
    DType d = *DTypeFromOnnx(code);
    EXPECT_EQ(DTypeFromName(DTypeName(d)), d) << code;
  }
  EXPECT_FALSE(DTypeFromOnnx(99).has_value());
  EXPECT_FALSE(DTypeFromName("f33").has_value());
}

TEST(DTypeTest, Sizes) {
  EXPECT_EQ(DTypeSize(DType::kFloat32), 4);
  EXPECT_EQ(DTypeSize(DType::kBFloat16), 2);
  EXPECT_EQ(DTypeSize(DType::kBool), 1);
  EXPECT_EQ(DTypeBits(DType::kInt4), 4);
  EXPECT_EQ(DTypeSize(DType::kInt4), 0);
}

TEST(DTypeTest, HalfConversionIsExactForRepresentableValues) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f}) {
    EXPECT_EQ(HalfToFloat(FloatToHalf(f)), f) << f;
  }
  EXPECT_TRUE(std::isinf(HalfToFloat(FloatToHalf(1e6f))));
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  // Every half value survives half -> float -> half.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;  // nan payloads
    ASSERT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

TEST(DTypeTest, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(BFloat16ToFloat(FloatToBFloat16(1.0f)), 1.0f);
  EXPECT_EQ(BFloat16ToFloat(FloatToBFloat16(3.140625f)), 3.140625f);
  EXPECT_NEAR(BFloat16ToFloat(FloatToBFloat16(3.14159f)), 3.14159f, 0.01f);
}

}  // namespace
}  // namespace gsopt::ir
