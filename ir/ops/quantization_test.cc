// Shape-inference tests for the quantization ops: output element types per
// opset (zero point, output_dtype, scale type), scale/zero point shape checks,
// matmul and convolution shapes with symbolic dims, and the errors.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::ir {
namespace {

using ::testing::HasSubstr;

Shape Dims(std::vector<Dim> dims) { return Shape(std::move(dims)); }

// One node inferred at `opset` (and com.microsoft opset 1).
struct QuantGraph {
  explicit QuantGraph(int64_t opset) {
    graph.mutable_metadata().opset_imports[""] = opset;
    graph.mutable_metadata().opset_imports["com.microsoft"] = 1;
  }

  ValueId Input(TensorType type) { return graph.AddInput(absl::StrCat("in", graph.num_values()), type); }
  ValueId Constant(Tensor t) { return graph.AddInitializer(absl::StrCat("c", graph.num_values()), std::move(t)); }
  absl::StatusOr<std::vector<TensorType>> InferAll(const std::string& op, std::vector<ValueId> inputs,
                                                   AttributeMap attrs = {}, int num_outputs = 1,
                                                   const std::string& domain = "") {
    std::vector<std::string> names;
    for (int i = 0; i < num_outputs; ++i) names.push_back(absl::StrCat("out", graph.num_values(), "_", i));
    NodeId n = graph.AddNode(op, std::move(inputs), names, std::move(attrs), "qnode", domain);
    absl::Status status = InferShapes(graph);
    if (!status.ok()) return status;
    std::vector<TensorType> types;
    for (ValueId v : graph.node(n).outputs) types.push_back(graph.value(v).type);
    return types;
  }
  absl::StatusOr<TensorType> Infer(const std::string& op, std::vector<ValueId> inputs, AttributeMap attrs = {},
                                   const std::string& domain = "") {
    absl::StatusOr<std::vector<TensorType>> all = InferAll(op, std::move(inputs), std::move(attrs), 1, domain);
    if (!all.ok()) return all.status();
    return (*all)[0];
  }

  Graph graph;
};

const Shape kImage = Dims({Dim::Symbol("n"), Dim(3), Dim(8), Dim(8)});

TEST(QuantizationShapeInferenceTest, QuantizeOutputTypeFromZeroPointOrOutputDtype) {
  QuantGraph g(21);
  ValueId x = g.Input(TensorType{DType::kFloat32, kImage});
  ValueId scale = g.Constant(Tensor::Scalar<float>(0.5f));
  absl::StatusOr<TensorType> u8 = g.Infer("QuantizeLinear", {x, scale});
  ASSERT_TRUE(u8.ok()) << u8.status();
  EXPECT_EQ(*u8, (TensorType{DType::kUInt8, kImage}));
  ValueId zp = g.Constant(Tensor::Scalar<int8_t>(0));
  absl::StatusOr<TensorType> i8 = g.Infer("QuantizeLinear", {x, scale, zp});
  ASSERT_TRUE(i8.ok()) << i8.status();
  EXPECT_EQ(i8->dtype, DType::kInt8);
  absl::StatusOr<TensorType> i4 =
      g.Infer("QuantizeLinear", {x, scale}, {{"output_dtype", static_cast<int>(DType::kInt4)}});
  ASSERT_TRUE(i4.ok()) << i4.status();
  EXPECT_EQ(i4->dtype, DType::kInt4);
  absl::StatusOr<TensorType> conflict =
      g.Infer("QuantizeLinear", {x, scale, zp}, {{"output_dtype", static_cast<int>(DType::kUInt8)}});
  EXPECT_THAT(conflict.status().message(), HasSubstr("node 'qnode"));
  EXPECT_THAT(conflict.status().message(), HasSubstr("output_dtype is u8 but the zero point has type i8"));
}

TEST(QuantizationShapeInferenceTest, PerAxisScaleMustMatchTheAxis) {
  QuantGraph g(13);
  ValueId x = g.Input(TensorType{DType::kFloat32, kImage});
  ValueId channel_scale = g.Constant(Tensor::FromVector<float>({3}, {1, 2, 3}));
  absl::StatusOr<TensorType> ok = g.Infer("QuantizeLinear", {x, channel_scale});
  ASSERT_TRUE(ok.ok()) << ok.status();
  ValueId wrong = g.Constant(Tensor::FromVector<float>({4}, {1, 2, 3, 4}));
  absl::StatusOr<TensorType> bad = g.Infer("QuantizeLinear", {x, wrong}, {{"axis", 1}});
  EXPECT_THAT(bad.status().message(), HasSubstr("scale has 4 elements but axis 1 of x has 3"));
}

TEST(QuantizationShapeInferenceTest, BlockedScaleShape) {
  QuantGraph g(21);
  ValueId x = g.Input(TensorType{DType::kFloat16, Dims({Dim(4), Dim(10)})});
  ValueId scale = g.Input(TensorType{DType::kFloat16, Dims({Dim(4), Dim(3)})});
  absl::StatusOr<TensorType> ok = g.Infer("QuantizeLinear", {x, scale}, {{"axis", 1}, {"block_size", 4}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->shape, Dims({Dim(4), Dim(10)}));
  absl::StatusOr<TensorType> bad = g.Infer("QuantizeLinear", {x, scale}, {{"axis", 1}, {"block_size", 3}});
  EXPECT_THAT(bad.status().message(), HasSubstr("expected dim 1 to be 4"));
}

TEST(QuantizationShapeInferenceTest, DequantizeOutputTypePerOpset) {
  QuantGraph g13(13);
  ValueId x = g13.Input(TensorType{DType::kInt8, kImage});
  ValueId scale = g13.Input(TensorType{DType::kFloat32, Shape::Scalar()});
  absl::StatusOr<TensorType> f32 = g13.Infer("DequantizeLinear", {x, scale});
  ASSERT_TRUE(f32.ok()) << f32.status();
  EXPECT_EQ(*f32, (TensorType{DType::kFloat32, kImage}));

  QuantGraph g23(23);
  ValueId x23 = g23.Input(TensorType{DType::kUInt8, Dims({Dim::Symbol("k")})});
  ValueId half_scale = g23.Input(TensorType{DType::kFloat16, Shape::Scalar()});
  absl::StatusOr<TensorType> f16 = g23.Infer("DequantizeLinear", {x23, half_scale});
  ASSERT_TRUE(f16.ok()) << f16.status();
  EXPECT_EQ(f16->dtype, DType::kFloat16);
  absl::StatusOr<TensorType> bf16 =
      g23.Infer("DequantizeLinear", {x23, half_scale}, {{"output_dtype", static_cast<int>(DType::kBFloat16)}});
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  EXPECT_EQ(bf16->dtype, DType::kBFloat16);
  ValueId wrong_zp = g23.Input(TensorType{DType::kInt8, Shape::Scalar()});
  absl::StatusOr<TensorType> bad = g23.Infer("DequantizeLinear", {x23, half_scale, wrong_zp});
  EXPECT_THAT(bad.status().message(), HasSubstr("zero point has type i8 but x has type u8"));
}

TEST(QuantizationShapeInferenceTest, MicrosoftDomainQuantizeAndDequantize) {
  QuantGraph g(13);
  ValueId x = g.Input(TensorType{DType::kFloat32, kImage});
  ValueId scale = g.Constant(Tensor::Scalar<float>(0.5f));
  ValueId zp = g.Constant(Tensor::Scalar<uint16_t>(7));
  absl::StatusOr<TensorType> q = g.Infer("QuantizeLinear", {x, scale, zp}, {}, "com.microsoft");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(*q, (TensorType{DType::kUInt16, kImage}));
}

TEST(QuantizationShapeInferenceTest, DynamicQuantizeLinearOutputs) {
  QuantGraph g(11);
  ValueId x = g.Input(TensorType{DType::kFloat32, Dims({Dim::Symbol("b"), Dim(16)})});
  absl::StatusOr<std::vector<TensorType>> outs = g.InferAll("DynamicQuantizeLinear", {x}, {}, 3);
  ASSERT_TRUE(outs.ok()) << outs.status();
  EXPECT_EQ((*outs)[0], (TensorType{DType::kUInt8, Dims({Dim::Symbol("b"), Dim(16)})}));
  EXPECT_EQ((*outs)[1], (TensorType{DType::kFloat32, Shape::Scalar()}));
  EXPECT_EQ((*outs)[2], (TensorType{DType::kUInt8, Shape::Scalar()}));
}

TEST(QuantizationShapeInferenceTest, MatMulIntegerShapes) {
  QuantGraph g(10);
  ValueId a = g.Input(TensorType{DType::kUInt8, Dims({Dim::Symbol("b"), Dim(1), Dim::Symbol("m"), Dim(64)})});
  ValueId b = g.Input(TensorType{DType::kInt8, Dims({Dim(12), Dim(64), Dim(32)})});
  absl::StatusOr<TensorType> y = g.Infer("MatMulInteger", {a, b});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, (TensorType{DType::kInt32, Dims({Dim::Symbol("b"), Dim(12), Dim::Symbol("m"), Dim(32)})}));
  ValueId vec = g.Input(TensorType{DType::kUInt8, Dims({Dim(64)})});
  absl::StatusOr<TensorType> dropped = g.Infer("MatMulInteger", {vec, b});
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(dropped->shape, Dims({Dim(12), Dim(32)}));
  ValueId wrong_k = g.Input(TensorType{DType::kInt8, Dims({Dim(63), Dim(32)})});
  absl::StatusOr<TensorType> bad = g.Infer("MatMulInteger", {a, wrong_k});
  EXPECT_THAT(bad.status().message(), HasSubstr("inner dims 64 and 63 differ"));
}

TEST(QuantizationShapeInferenceTest, QLinearMatMulTakesTheOutputZeroPointType) {
  QuantGraph g(10);
  ValueId a = g.Input(TensorType{DType::kUInt8, Dims({Dim(2), Dim(4)})});
  ValueId b = g.Input(TensorType{DType::kUInt8, Shape()});
  ValueId scale = g.Constant(Tensor::Scalar<float>(0.1f));
  ValueId zp = g.Constant(Tensor::Scalar<uint8_t>(0));
  ValueId y_zp = g.Constant(Tensor::Scalar<int8_t>(0));
  absl::StatusOr<TensorType> y = g.Infer("QLinearMatMul", {a, scale, zp, b, scale, zp, scale, y_zp});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype, DType::kInt8);
  EXPECT_FALSE(y->shape.rank_known());
}

TEST(QuantizationShapeInferenceTest, QLinearMatMulAcceptsFloat8FromOpset21) {
  QuantGraph g21(21);
  ValueId a = g21.Input(TensorType{DType::kFloat8E4M3FN, Dims({Dim(2), Dim(4)})});
  ValueId b = g21.Input(TensorType{DType::kFloat8E4M3FN, Dims({Dim(4), Dim(3)})});
  ValueId scale = g21.Input(TensorType{DType::kFloat16, Shape::Scalar()});
  ValueId zp = g21.Input(TensorType{DType::kFloat8E4M3FN, Shape::Scalar()});
  absl::StatusOr<TensorType> y = g21.Infer("QLinearMatMul", {a, scale, zp, b, scale, zp, scale, zp});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, (TensorType{DType::kFloat8E4M3FN, Dims({Dim(2), Dim(3)})}));
  QuantGraph g10(10);
  ValueId a10 = g10.Input(TensorType{DType::kFloat8E4M3FN, Dims({Dim(2), Dim(4)})});
  ValueId b10 = g10.Input(TensorType{DType::kUInt8, Dims({Dim(4), Dim(3)})});
  ValueId s10 = g10.Input(TensorType{DType::kFloat32, Shape::Scalar()});
  ValueId z10 = g10.Input(TensorType{DType::kUInt8, Shape::Scalar()});
  absl::StatusOr<TensorType> bad = g10.Infer("QLinearMatMul", {a10, s10, z10, b10, s10, z10, s10, z10});
  EXPECT_THAT(bad.status().message(), HasSubstr("a has type f8e4m3fn, expected i8 or u8"));
}

TEST(QuantizationShapeInferenceTest, ConvIntegerShapes) {
  QuantGraph g(10);
  ValueId x = g.Input(TensorType{DType::kUInt8, kImage});
  ValueId w = g.Input(TensorType{DType::kUInt8, Dims({Dim(16), Dim(3), Dim(3), Dim(3)})});
  absl::StatusOr<TensorType> y = g.Infer("ConvInteger", {x, w},
                                         {{"pads", std::vector<int64_t>{1, 1, 1, 1}},
                                          {"strides", std::vector<int64_t>{2, 2}}});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, (TensorType{DType::kInt32, Dims({Dim::Symbol("n"), Dim(16), Dim(4), Dim(4)})}));
  absl::StatusOr<TensorType> same = g.Infer("ConvInteger", {x, w},
                                            {{"auto_pad", "SAME_LOWER"}, {"strides", std::vector<int64_t>{3, 3}}});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->shape, Dims({Dim::Symbol("n"), Dim(16), Dim(3), Dim(3)}));
  ValueId symbolic = g.Input(TensorType{DType::kInt8, Dims({Dim(1), Dim(3), Dim::Symbol("h"), Dim(9)})});
  absl::StatusOr<TensorType> partly = g.Infer("ConvInteger", {symbolic, w}, {{"dilations", std::vector<int64_t>{2, 2}}});
  ASSERT_TRUE(partly.ok()) << partly.status();
  EXPECT_EQ(partly->shape, Dims({Dim(1), Dim(16), Dim(), Dim(5)}));
}

TEST(QuantizationShapeInferenceTest, ConvShapeErrors) {
  QuantGraph g(10);
  ValueId x = g.Input(TensorType{DType::kUInt8, kImage});
  ValueId w = g.Input(TensorType{DType::kUInt8, Dims({Dim(16), Dim(2), Dim(3), Dim(3)})});
  absl::StatusOr<TensorType> channels = g.Infer("ConvInteger", {x, w});
  EXPECT_THAT(channels.status().message(), HasSubstr("input has 3 channels, but weight expects 2 x group 1"));
  QuantGraph g2(10);
  ValueId x2 = g2.Input(TensorType{DType::kUInt8, kImage});
  ValueId big = g2.Input(TensorType{DType::kUInt8, Dims({Dim(4), Dim(3), Dim(9), Dim(9)})});
  absl::StatusOr<TensorType> kernel = g2.Infer("ConvInteger", {x2, big});
  EXPECT_THAT(kernel.status().message(), HasSubstr("smaller than the kernel"));
}

TEST(QuantizationShapeInferenceTest, QLinearConvOutputType) {
  QuantGraph g(10);
  ValueId x = g.Input(TensorType{DType::kUInt8, kImage});
  ValueId w = g.Input(TensorType{DType::kInt8, Dims({Dim(6), Dim(1), Dim(1), Dim(1)})});
  ValueId scale = g.Constant(Tensor::Scalar<float>(0.1f));
  ValueId x_zp = g.Constant(Tensor::Scalar<uint8_t>(0));
  ValueId w_zp = g.Constant(Tensor::Scalar<int8_t>(0));
  ValueId bias = g.Input(TensorType{DType::kInt32, Dims({Dim(6)})});
  absl::StatusOr<TensorType> y =
      g.Infer("QLinearConv", {x, scale, x_zp, w, scale, w_zp, scale, x_zp, bias}, {{"group", 3}});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, (TensorType{DType::kUInt8, Dims({Dim::Symbol("n"), Dim(6), Dim(8), Dim(8)})}));
}

}  // namespace
}  // namespace gsopt::ir
