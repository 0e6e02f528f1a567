// Tests for the quantization kernels. Expected values come from the ONNX
// operator docs' examples or were computed with numpy / ml_dtypes (the
// reference semantics), never by the kernels themselves.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/cpu/kernel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace gsopt::backend::cpu {
namespace {

using ir::AttributeMap;
using ir::DType;
using ir::Tensor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Runs the registered kernel on `inputs` (nullptr = omitted) and returns its
// `num_outputs` outputs.
absl::StatusOr<std::vector<Tensor>> RunOp(const std::string& op_type, std::vector<const Tensor*> inputs,
                                          AttributeMap attributes, int64_t opset, int num_outputs = 1,
                                          const std::string& domain = "") {
  ir::Node node;
  node.name = "q";
  node.op_type = op_type;
  node.domain = domain;
  node.attributes = std::move(attributes);
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(inputs[i] ? static_cast<int>(i) : ir::kNoValue);
  for (int i = 0; i < num_outputs; ++i) node.outputs.push_back(100 + i);
  const KernelFn* kernel = KernelRegistry::Global().Find(domain, op_type);
  if (kernel == nullptr) return absl::NotFoundError(op_type);
  std::vector<Tensor> outputs(static_cast<size_t>(num_outputs));
  KernelContext ctx(node, opset, std::move(inputs), &outputs);
  absl::Status status = (*kernel)(ctx);
  if (!status.ok()) return status;
  return outputs;
}

absl::StatusOr<Tensor> RunOne(const std::string& op_type, std::vector<const Tensor*> inputs,
                              AttributeMap attributes, int64_t opset, const std::string& domain = "") {
  absl::StatusOr<std::vector<Tensor>> outs = RunOp(op_type, std::move(inputs), std::move(attributes), opset, 1, domain);
  if (!outs.ok()) return outs.status();
  return (*outs)[0];
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

std::vector<int> Ints(const Tensor& t) {
  std::vector<int> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(static_cast<int>(t.GetAsInt64(i)));
  return out;
}

std::vector<int> Bytes(const Tensor& t) {
  const uint8_t* b = t.data<uint8_t>();
  return std::vector<int>(b, b + t.byte_size());
}

// ---- QuantizeLinear ----

TEST(QuantizationKernelsTest, QuantizeRoundsHalfToEvenAndSaturates) {
  Tensor x = Tensor::FromVector<float>({8}, {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 1000, -1000});
  Tensor scale = Tensor::Scalar<float>(1.0f);
  Tensor zero_point = Tensor::Scalar<uint8_t>(128);
  absl::StatusOr<Tensor> y = RunOne("QuantizeLinear", {&x, &scale, &zero_point}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kUInt8);
  EXPECT_THAT(Ints(*y), ElementsAre(126, 126, 128, 128, 130, 130, 255, 0));
}

TEST(QuantizationKernelsTest, QuantizeWithoutZeroPointGivesUint8OrOutputDtype) {
  Tensor x = Tensor::FromVector<float>({3}, {-1, 3, 300});
  Tensor scale = Tensor::Scalar<float>(1.0f);
  absl::StatusOr<Tensor> u8 = RunOne("QuantizeLinear", {&x, &scale}, {}, 13);
  ASSERT_TRUE(u8.ok()) << u8.status();
  EXPECT_EQ(u8->dtype(), DType::kUInt8);
  EXPECT_THAT(Ints(*u8), ElementsAre(0, 3, 255));
  absl::StatusOr<Tensor> i16 =
      RunOne("QuantizeLinear", {&x, &scale}, {{"output_dtype", static_cast<int>(DType::kInt16)}}, 21);
  ASSERT_TRUE(i16.ok()) << i16.status();
  EXPECT_EQ(i16->dtype(), DType::kInt16);
  EXPECT_THAT(Ints(*i16), ElementsAre(-1, 3, 300));
}

TEST(QuantizationKernelsTest, QuantizePerAxis) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, -4, 10, -7});
  Tensor scale = Tensor::FromVector<float>({3}, {1, 2, 4});
  Tensor zero_point = Tensor::FromVector<int8_t>({3}, {0, 1, -1});
  absl::StatusOr<Tensor> y = RunOne("QuantizeLinear", {&x, &scale, &zero_point}, {{"axis", -1}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt8);
  EXPECT_THAT(Ints(*y), ElementsAre(1, 2, 0, -4, 6, -3));
}

TEST(QuantizationKernelsTest, QuantizeBlocked) {
  Tensor x = Tensor::FromVector<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor scale = Tensor::FromVector<float>({2, 2}, {1, 2, 4, 8});
  absl::StatusOr<Tensor> y = RunOne("QuantizeLinear", {&x, &scale}, {{"axis", 1}, {"block_size", 2}}, 21);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Ints(*y), ElementsAre(1, 2, 2, 2, 1, 2, 1, 1));
  Tensor wrong_scale = Tensor::FromVector<float>({2, 3}, {1, 1, 1, 1, 1, 1});
  absl::StatusOr<Tensor> bad = RunOne("QuantizeLinear", {&x, &wrong_scale}, {{"axis", 1}, {"block_size", 2}}, 21);
  EXPECT_THAT(bad.status().message(), HasSubstr("expected [2,2] for block_size 2"));
}

TEST(QuantizationKernelsTest, QuantizeToPackedInt4) {
  Tensor x = Tensor::FromVector<float>({5}, {-9, -8, 7, 8, 1});
  Tensor scale = Tensor::Scalar<float>(1.0f);
  Tensor zero_point = Tensor::Zeros(DType::kInt4, {});
  absl::StatusOr<Tensor> y = RunOne("QuantizeLinear", {&x, &scale, &zero_point}, {}, 21);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt4);
  // -8, -8 | 7, 7 | 1: two nibbles per byte, the first in the low half.
  EXPECT_THAT(Bytes(*y), ElementsAre(0x88, 0x77, 0x01));
}

TEST(QuantizationKernelsTest, QuantizeToFloat8SaturatesOrOverflows) {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = Tensor::FromVector<float>({9}, {448, 500, 1e6f, -1e6f, inf, 0.3f, -0.0f, 464, 470});
  Tensor scale = Tensor::Scalar<float>(1.0f);
  Tensor e4m3 = Tensor::Zeros(DType::kFloat8E4M3FN, {});
  absl::StatusOr<Tensor> saturated = RunOne("QuantizeLinear", {&x, &scale, &e4m3}, {}, 19);
  ASSERT_TRUE(saturated.ok()) << saturated.status();
  EXPECT_THAT(Bytes(*saturated), ElementsAre(0x7e, 0x7e, 0x7e, 0xfe, 0x7e, 0x2a, 0x80, 0x7e, 0x7e));
  absl::StatusOr<Tensor> overflowing = RunOne("QuantizeLinear", {&x, &scale, &e4m3}, {{"saturate", 0}}, 19);
  ASSERT_TRUE(overflowing.ok()) << overflowing.status();
  EXPECT_THAT(Bytes(*overflowing), ElementsAre(0x7e, 0x7f, 0x7f, 0xff, 0x7f, 0x2a, 0x80, 0x7e, 0x7f));
  Tensor e5m2 = Tensor::Zeros(DType::kFloat8E5M2, {});
  absl::StatusOr<Tensor> e5m2_inf = RunOne("QuantizeLinear", {&x, &scale, &e5m2}, {{"saturate", 0}}, 19);
  ASSERT_TRUE(e5m2_inf.ok()) << e5m2_inf.status();
  EXPECT_THAT(Bytes(*e5m2_inf), ElementsAre(0x5f, 0x60, 0x7c, 0xfc, 0x7c, 0x35, 0x80, 0x5f, 0x5f));
  Tensor fnuz = Tensor::Zeros(DType::kFloat8E4M3FNUZ, {});
  absl::StatusOr<Tensor> fnuz_nan = RunOne("QuantizeLinear", {&x, &scale, &fnuz}, {{"saturate", 0}}, 19);
  ASSERT_TRUE(fnuz_nan.ok()) << fnuz_nan.status();
  EXPECT_THAT(Bytes(*fnuz_nan), ElementsAre(0x80, 0x80, 0x80, 0x80, 0x80, 0x32, 0x00, 0x80, 0x80));
}

TEST(QuantizationKernelsTest, QuantizeInt32Input) {
  Tensor x = Tensor::FromVector<int32_t>({3}, {-300, 5, 21});
  Tensor scale = Tensor::Scalar<float>(2.0f);
  Tensor zero_point = Tensor::Scalar<int8_t>(1);
  absl::StatusOr<Tensor> y = RunOne("QuantizeLinear", {&x, &scale, &zero_point}, {}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  // -150 -> -128 after saturation; 2.5 -> 2 and 10.5 -> 10 (half to even), plus 1.
  EXPECT_THAT(Ints(*y), ElementsAre(-128, 3, 11));
}

TEST(QuantizationKernelsTest, QuantizeRejectsMismatchedParameters) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor scale = Tensor::FromVector<float>({2}, {1, 2});
  absl::StatusOr<Tensor> y = RunOne("QuantizeLinear", {&x, &scale}, {{"axis", 1}}, 13);
  EXPECT_THAT(y.status().message(), HasSubstr("node 'q' (QuantizeLinear)"));
  EXPECT_THAT(y.status().message(), HasSubstr("expected a scalar or [3]"));
  Tensor one = Tensor::Scalar<float>(1.0f);
  Tensor zero_point = Tensor::Scalar<int8_t>(0);
  absl::StatusOr<Tensor> conflict = RunOne("QuantizeLinear", {&x, &one, &zero_point},
                                           {{"output_dtype", static_cast<int>(DType::kUInt8)}}, 21);
  EXPECT_THAT(conflict.status().message(), HasSubstr("output_dtype is u8"));
}

// ---- DequantizeLinear ----

TEST(QuantizationKernelsTest, DequantizePerAxisInt8) {
  Tensor x = Tensor::FromVector<int8_t>({2, 2}, {-128, 0, 10, 127});
  Tensor scale = Tensor::FromVector<float>({2}, {0.5f, 2.0f});
  Tensor zero_point = Tensor::FromVector<int8_t>({2}, {-1, 3});
  absl::StatusOr<Tensor> y = RunOne("DequantizeLinear", {&x, &scale, &zero_point}, {{"axis", 0}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kFloat32);
  EXPECT_THAT(Values<float>(*y), ElementsAre(-63.5f, 0.5f, 14.0f, 248.0f));
}

TEST(QuantizationKernelsTest, DequantizeInt32AndPackedUint4) {
  Tensor x = Tensor::FromVector<int32_t>({3}, {-1000000, 0, 7});
  Tensor scale = Tensor::Scalar<float>(0.25f);
  absl::StatusOr<Tensor> y = RunOne("DequantizeLinear", {&x, &scale}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values<float>(*y), ElementsAre(-250000.0f, 0.0f, 1.75f));
  // uint4 elements 1, 15, 3 packed as 0xF1, 0x03.
  absl::StatusOr<Tensor> packed = Tensor::FromBytes(DType::kUInt4, {3}, std::string("\xF1\x03", 2));
  ASSERT_TRUE(packed.ok()) << packed.status();
  Tensor zero_point = Tensor::Zeros(DType::kUInt4, {});
  Tensor one = Tensor::Scalar<float>(1.0f);
  absl::StatusOr<Tensor> unpacked = RunOne("DequantizeLinear", {&*packed, &one, &zero_point}, {}, 21);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_THAT(Values<float>(*unpacked), ElementsAre(1.0f, 15.0f, 3.0f));
}

TEST(QuantizationKernelsTest, DequantizeOutputTypeFollowsScaleOrOutputDtype) {
  Tensor x = Tensor::FromVector<uint8_t>({2}, {130, 126});
  Tensor zero_point = Tensor::Scalar<uint8_t>(128);
  Tensor half_scale = Tensor::Scalar<uint16_t>(ir::FloatToHalf(0.5f), DType::kFloat16);
  absl::StatusOr<Tensor> half = RunOne("DequantizeLinear", {&x, &half_scale, &zero_point}, {}, 19);
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_EQ(half->dtype(), DType::kFloat16);
  EXPECT_EQ(ir::HalfToFloat(half->data<uint16_t>()[0]), 1.0f);
  EXPECT_EQ(ir::HalfToFloat(half->data<uint16_t>()[1]), -1.0f);
  Tensor scale = Tensor::Scalar<float>(0.5f);
  absl::StatusOr<Tensor> bf16 = RunOne("DequantizeLinear", {&x, &scale, &zero_point},
                                       {{"output_dtype", static_cast<int>(DType::kBFloat16)}}, 23);
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  EXPECT_EQ(bf16->dtype(), DType::kBFloat16);
  EXPECT_EQ(ir::BFloat16ToFloat(bf16->data<uint16_t>()[1]), -1.0f);
}

TEST(QuantizationKernelsTest, DequantizeFloat8) {
  Tensor x = Tensor::FromVector<uint8_t>({4}, {0x7e, 0x01, 0x80, 0xfe}, DType::kFloat8E4M3FN);
  Tensor scale = Tensor::Scalar<float>(2.0f);
  absl::StatusOr<Tensor> y = RunOne("DequantizeLinear", {&x, &scale}, {}, 19);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values<float>(*y), ElementsAre(896.0f, 0.00390625f, -0.0f, -896.0f));
}

TEST(QuantizationKernelsTest, DequantizeRejectsZeroPointOfAnotherType) {
  Tensor x = Tensor::FromVector<uint8_t>({2}, {1, 2});
  Tensor scale = Tensor::Scalar<float>(1.0f);
  Tensor zero_point = Tensor::Scalar<int8_t>(0);
  absl::StatusOr<Tensor> y = RunOne("DequantizeLinear", {&x, &scale, &zero_point}, {}, 13);
  EXPECT_THAT(y.status().message(), HasSubstr("zero point has type i8 but x has type u8"));
}

TEST(QuantizationKernelsTest, MicrosoftDomainMatchesOnnx) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, -4, 10, -7});
  Tensor scale = Tensor::FromVector<float>({3}, {1, 2, 4});
  Tensor zero_point = Tensor::FromVector<uint16_t>({3}, {100, 200, 300});
  absl::StatusOr<Tensor> q = RunOne("QuantizeLinear", {&x, &scale, &zero_point}, {{"axis", 1}}, 1, "com.microsoft");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->dtype(), DType::kUInt16);
  EXPECT_THAT(Ints(*q), ElementsAre(101, 201, 301, 96, 205, 298));
  absl::StatusOr<Tensor> dq = RunOne("DequantizeLinear", {&*q, &scale, &zero_point}, {{"axis", 1}}, 1, "com.microsoft");
  ASSERT_TRUE(dq.ok()) << dq.status();
  EXPECT_THAT(Values<float>(*dq), ElementsAre(1, 2, 4, -4, 10, -8));
}

// ---- DynamicQuantizeLinear ----

TEST(QuantizationKernelsTest, DynamicQuantizeLinearDocExample) {
  Tensor x = Tensor::FromVector<float>({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f});
  absl::StatusOr<std::vector<Tensor>> outs = RunOp("DynamicQuantizeLinear", {&x}, {}, 11, 3);
  ASSERT_TRUE(outs.ok()) << outs.status();
  EXPECT_THAT(Ints((*outs)[0]), ElementsAre(153, 255, 0, 26, 221, 179));
  EXPECT_FLOAT_EQ((*outs)[1].data<float>()[0], 0.019607844f);
  EXPECT_EQ((*outs)[1].rank(), 0);
  EXPECT_EQ((*outs)[2].dtype(), DType::kUInt8);
  EXPECT_EQ((*outs)[2].data<uint8_t>()[0], 153);
}

// ---- MatMulInteger / QLinearMatMul ----

TEST(QuantizationKernelsTest, MatMulIntegerDocExample) {
  Tensor a = Tensor::FromVector<uint8_t>({4, 3}, {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0});
  Tensor b = Tensor::FromVector<uint8_t>({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor a_zero_point = Tensor::Scalar<uint8_t>(12);
  Tensor b_zero_point = Tensor::Scalar<uint8_t>(0);
  absl::StatusOr<Tensor> y = RunOne("MatMulInteger", {&a, &b, &a_zero_point, &b_zero_point}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt32);
  EXPECT_THAT(y->dims(), ElementsAre(4, 2));
  EXPECT_THAT(Values<int32_t>(*y), ElementsAre(-38, -83, -44, -98, -50, -113, -56, -128));
}

TEST(QuantizationKernelsTest, MatMulIntegerPerRowAndPerColumnZeroPoints) {
  Tensor a = Tensor::FromVector<uint8_t>({4, 3}, {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0});
  Tensor b = Tensor::FromVector<int8_t>({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor a_zero_point = Tensor::FromVector<uint8_t>({4}, {1, 2, 3, 4});
  Tensor b_zero_point = Tensor::FromVector<int8_t>({2}, {1, -1});
  absl::StatusOr<Tensor> y = RunOne("MatMulInteger", {&a, &b, &a_zero_point, &b_zero_point}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values<int32_t>(*y), ElementsAre(10, 100, 4, 64, -2, 28, -8, -8));
}

TEST(QuantizationKernelsTest, MatMulIntegerBroadcastsBatchAndVector) {
  Tensor a = Tensor::FromVector<uint8_t>({2, 2, 2}, {1, 2, 3, 4, 2, 4, 6, 8});
  Tensor b = Tensor::FromVector<uint8_t>({2}, {5, 6});
  absl::StatusOr<Tensor> y = RunOne("MatMulInteger", {&a, &b}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(y->dims(), ElementsAre(2, 2));
  EXPECT_THAT(Values<int32_t>(*y), ElementsAre(17, 39, 34, 78));
  Tensor wrong = Tensor::FromVector<uint8_t>({3}, {1, 2, 3});
  absl::StatusOr<Tensor> bad = RunOne("MatMulInteger", {&a, &wrong}, {}, 10);
  EXPECT_THAT(bad.status().message(), HasSubstr("inner dims differ"));
  Tensor int32_zero_point = Tensor::Scalar<int32_t>(100000);
  absl::StatusOr<Tensor> zp = RunOne("MatMulInteger", {&a, &b, &int32_zero_point}, {}, 10);
  EXPECT_THAT(zp.status().message(), HasSubstr("a zero point has type i32, expected u8"));
}

// K well past the 256-deep blocks the exact float product works in, with
// extreme values (255 * -255 per term), against a plain integer loop.
TEST(QuantizationKernelsTest, MatMulIntegerIsExactForDeepProducts) {
  const int64_t m = 3, k = 700, n = 5;
  std::vector<uint8_t> a_values(static_cast<size_t>(m * k));
  std::vector<int8_t> b_values(static_cast<size_t>(k * n));
  for (int64_t i = 0; i < m * k; ++i) a_values[static_cast<size_t>(i)] = i < k ? 255 : static_cast<uint8_t>((i * 37) % 256);
  for (int64_t i = 0; i < k * n; ++i) b_values[static_cast<size_t>(i)] = i % n == 0 ? -128 : static_cast<int8_t>((i * 53) % 256 - 128);
  Tensor a = Tensor::FromVector<uint8_t>({m, k}, a_values);
  Tensor b = Tensor::FromVector<int8_t>({k, n}, b_values);
  Tensor a_zero_point = Tensor::Scalar<uint8_t>(0);
  Tensor b_zero_point = Tensor::Scalar<int8_t>(127);
  absl::StatusOr<Tensor> y = RunOne("MatMulInteger", {&a, &b, &a_zero_point, &b_zero_point}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->data<int32_t>()[0], -65025 * 700);  // row of 255s times a column of (-128 - 127)
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t expected = 0;
      for (int64_t kk = 0; kk < k; ++kk) {
        expected += int64_t{a_values[static_cast<size_t>(i * k + kk)]} * (b_values[static_cast<size_t>(kk * n + j)] - 127);
      }
      EXPECT_EQ(y->data<int32_t>()[i * n + j], expected) << i << "," << j;
    }
  }
}

TEST(QuantizationKernelsTest, QLinearMatMulDocExample) {
  Tensor a = Tensor::FromVector<uint8_t>({2, 4}, {208, 236, 0, 238, 3, 214, 255, 29});
  Tensor a_scale = Tensor::Scalar<float>(0.0066f);
  Tensor a_zero_point = Tensor::Scalar<uint8_t>(113);
  Tensor b = Tensor::FromVector<uint8_t>({4, 3}, {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247});
  Tensor b_scale = Tensor::Scalar<float>(0.00705f);
  Tensor b_zero_point = Tensor::Scalar<uint8_t>(114);
  Tensor y_scale = Tensor::Scalar<float>(0.0107f);
  Tensor y_zero_point = Tensor::Scalar<uint8_t>(118);
  absl::StatusOr<Tensor> y = RunOne(
      "QLinearMatMul", {&a, &a_scale, &a_zero_point, &b, &b_scale, &b_zero_point, &y_scale, &y_zero_point}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kUInt8);
  EXPECT_THAT(Ints(*y), ElementsAre(168, 115, 255, 1, 66, 151));
}

// ---- ConvInteger / QLinearConv ----

TEST(QuantizationKernelsTest, ConvIntegerDocExamples) {
  Tensor x = Tensor::FromVector<uint8_t>({1, 1, 3, 3}, {2, 3, 4, 5, 6, 7, 8, 9, 10});
  Tensor w = Tensor::FromVector<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor x_zero_point = Tensor::Scalar<uint8_t>(1);
  absl::StatusOr<Tensor> y = RunOne("ConvInteger", {&x, &w, &x_zero_point}, {}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt32);
  EXPECT_THAT(y->dims(), ElementsAre(1, 1, 2, 2));
  EXPECT_THAT(Values<int32_t>(*y), ElementsAre(12, 16, 24, 28));
  absl::StatusOr<Tensor> padded =
      RunOne("ConvInteger", {&x, &w, &x_zero_point}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, 10);
  ASSERT_TRUE(padded.ok()) << padded.status();
  EXPECT_THAT(padded->dims(), ElementsAre(1, 1, 4, 4));
  EXPECT_THAT(Values<int32_t>(*padded), ElementsAre(1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9));
}

TEST(QuantizationKernelsTest, QLinearConvGroupedPerChannelWithBias) {
  std::vector<uint8_t> pixels;
  for (int i = 0; i < 32; ++i) pixels.push_back(static_cast<uint8_t>(i % 7 * 10));
  Tensor x = Tensor::FromVector<uint8_t>({1, 2, 4, 4}, pixels);
  Tensor x_scale = Tensor::Scalar<float>(0.1f);
  Tensor x_zero_point = Tensor::Scalar<uint8_t>(5);
  Tensor w = Tensor::FromVector<int8_t>({2, 1, 2, 2}, {1, -2, 3, 0, 2, 2, -1, 1});
  Tensor w_scale = Tensor::FromVector<float>({2}, {0.5f, 0.25f});
  Tensor w_zero_point = Tensor::FromVector<int8_t>({2}, {0, 1});
  Tensor y_scale = Tensor::Scalar<float>(0.2f);
  Tensor y_zero_point = Tensor::Scalar<int8_t>(10);
  Tensor bias = Tensor::FromVector<int32_t>({2}, {7, -3});
  AttributeMap attrs = {{"group", 2},
                        {"strides", std::vector<int64_t>{2, 2}},
                        {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                        {"kernel_shape", std::vector<int64_t>{2, 2}}};
  absl::StatusOr<Tensor> y = RunOne("QLinearConv",
                                    {&x, &x_scale, &x_zero_point, &w, &w_scale, &w_zero_point, &y_scale,
                                     &y_zero_point, &bias},
                                    attrs, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt8);
  EXPECT_THAT(y->dims(), ElementsAre(1, 2, 3, 3));
  EXPECT_THAT(Ints(*y), ElementsAre(12, 16, 30, -6, 7, 37, -11, 28, 13, 10, 3, -2, 16, 1, -2, 9, 12, 13));
}

TEST(QuantizationKernelsTest, ConvIntegerOneDimensionalDilated) {
  Tensor x = Tensor::FromVector<int8_t>({1, 1, 6}, {1, 2, 3, 4, 5, 6});
  Tensor w = Tensor::FromVector<int8_t>({1, 1, 2}, {1, 2});
  absl::StatusOr<Tensor> y = RunOne("ConvInteger", {&x, &w}, {{"dilations", std::vector<int64_t>{2}}}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(y->dims(), ElementsAre(1, 1, 4));
  EXPECT_THAT(Values<int32_t>(*y), ElementsAre(7, 10, 13, 16));
}

// 40 channels x 3x3 taps = 360 products per output, past one exact block.
TEST(QuantizationKernelsTest, ConvIntegerIsExactForDeepKernels) {
  const int64_t c = 40, h = 4, w = 4, m = 2;
  std::vector<uint8_t> x_values(static_cast<size_t>(c * h * w));
  std::vector<uint8_t> w_values(static_cast<size_t>(m * c * 9));
  for (size_t i = 0; i < x_values.size(); ++i) x_values[i] = static_cast<uint8_t>((i * 101 + 7) % 256);
  for (size_t i = 0; i < w_values.size(); ++i) w_values[i] = i % 3 == 0 ? 255 : static_cast<uint8_t>((i * 29) % 256);
  Tensor x = Tensor::FromVector<uint8_t>({1, c, h, w}, x_values);
  Tensor weights = Tensor::FromVector<uint8_t>({m, c, 3, 3}, w_values);
  Tensor x_zero_point = Tensor::Scalar<uint8_t>(3);
  Tensor w_zero_point = Tensor::FromVector<uint8_t>({2}, {0, 200});
  absl::StatusOr<Tensor> y = RunOne("ConvInteger", {&x, &weights, &x_zero_point, &w_zero_point},
                                    {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, 10);
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_THAT(y->dims(), ElementsAre(1, m, h, w));
  const int w_zp[2] = {0, 200};
  for (int64_t oc = 0; oc < m; ++oc) {
    for (int64_t oy = 0; oy < h; ++oy) {
      for (int64_t ox = 0; ox < w; ++ox) {
        int64_t expected = 0;
        for (int64_t ic = 0; ic < c; ++ic) {
          for (int64_t ky = 0; ky < 3; ++ky) {
            for (int64_t kx = 0; kx < 3; ++kx) {
              const int64_t iy = oy + ky - 1, ix = ox + kx - 1;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const int64_t xv = x_values[static_cast<size_t>((ic * h + iy) * w + ix)] - 3;
              const int64_t wv = w_values[static_cast<size_t>(((oc * c + ic) * 3 + ky) * 3 + kx)] - w_zp[oc];
              expected += xv * wv;
            }
          }
        }
        EXPECT_EQ(y->data<int32_t>()[(oc * h + oy) * w + ox], expected) << oc << "," << oy << "," << ox;
      }
    }
  }
}

TEST(QuantizationKernelsTest, ConvIntegerSameUpperAndErrors) {
  Tensor x = Tensor::FromVector<uint8_t>({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor w = Tensor::FromVector<uint8_t>({1, 1, 1, 2}, {1, 1});
  absl::StatusOr<Tensor> same =
      RunOne("ConvInteger", {&x, &w}, {{"auto_pad", "SAME_UPPER"}, {"strides", std::vector<int64_t>{1, 2}}}, 10);
  ASSERT_TRUE(same.ok()) << same.status();
  // ceil(5 / 2) = 3 outputs; the one padding column goes at the end.
  EXPECT_THAT(same->dims(), ElementsAre(1, 1, 1, 3));
  EXPECT_THAT(Values<int32_t>(*same), ElementsAre(3, 7, 5));
  Tensor w3 = Tensor::FromVector<uint8_t>({1, 2, 1, 2}, {1, 1, 1, 1});
  absl::StatusOr<Tensor> channels = RunOne("ConvInteger", {&x, &w3}, {}, 10);
  EXPECT_THAT(channels.status().message(), HasSubstr("inconsistent with group 1"));
  Tensor x_zero_point = Tensor::FromVector<uint8_t>({2}, {1, 2});
  absl::StatusOr<Tensor> zp = RunOne("ConvInteger", {&x, &w, &x_zero_point}, {}, 10);
  EXPECT_THAT(zp.status().message(), HasSubstr("x zero point has shape [2], expected a scalar"));
}

}  // namespace
}  // namespace gsopt::backend::cpu
