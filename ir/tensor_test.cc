// Tests for Tensor: shared buffers, copy-on-write, reshape and equality.
#include "ir/tensor.h"

#include "gtest/gtest.h"

namespace gsopt::ir {
namespace {

TEST(TensorTest, CopiesShareTheBufferUntilWritten) {
  Tensor a = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = a;
  EXPECT_TRUE(a.SharesBufferWith(b));
  b.mutable_data<float>()[0] = 9;
  EXPECT_FALSE(a.SharesBufferWith(b));
  EXPECT_EQ(a.data<float>()[0], 1);
  EXPECT_EQ(b.data<float>()[0], 9);
}

TEST(TensorTest, ReshapeSharesAndChecksCount) {
  Tensor a = Tensor::FromVector<int64_t>({6}, {0, 1, 2, 3, 4, 5});
  absl::StatusOr<Tensor> r = a.Reshaped({2, 3});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->SharesBufferWith(a));
  EXPECT_EQ(r->dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(a.Reshaped({4}).ok());
}

TEST(TensorTest, RejectsBadSizes) {
  EXPECT_FALSE(Tensor::Create(DType::kFloat32, {-1}).ok());
  EXPECT_FALSE(Tensor::Create(DType::kFloat32, {int64_t{1} << 41}).ok());
  EXPECT_FALSE(Tensor::Create(DType::kFloat32, {1 << 20, 1 << 20, 1 << 20}).ok());
  EXPECT_FALSE(Tensor::FromBytes(DType::kFloat32, {2}, "abc").ok());
  EXPECT_TRUE(Tensor::Create(DType::kFloat32, {0, 5}).ok());
}

TEST(TensorTest, EqualityAndHashFollowContent) {
  Tensor a = Tensor::FromVector<float>({2}, {1, 2});
  Tensor b = Tensor::FromVector<float>({2}, {1, 2});
  Tensor c = Tensor::FromVector<float>({2}, {1, 3});
  EXPECT_TRUE(a.BitwiseEquals(b));
  EXPECT_EQ(a.ContentHash(), b.ContentHash());
  EXPECT_FALSE(a.BitwiseEquals(c));
  EXPECT_FALSE(a.BitwiseEquals(Tensor::FromVector<float>({1, 2}, {1, 2})));
}

TEST(TensorTest, GenericAccessors) {
  Tensor h = Tensor::Zeros(DType::kFloat16, {3});
  h.SetFromDouble(1, 0.5);
  EXPECT_EQ(h.GetAsDouble(1), 0.5);
  Tensor s = Tensor::FromStrings({2}, {"a", "b"});
  EXPECT_EQ(s.strings()[1], "b");
  EXPECT_EQ(Tensor::Scalar<int32_t>(7).GetAsInt64(0), 7);
}

}  // namespace
}  // namespace gsopt::ir
