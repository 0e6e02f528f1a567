// Shape-inference tests for the nn op family: each case builds a one-node
// graph from readable types ("f32[N,3,224,224]", "f32[*]" for unknown rank),
// runs InferShapes and compares the output types as text. Expected shapes
// follow the ONNX operator specs' output-size formulas.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"
#include "ir/ops/op_test_util.h"

namespace gsopt::ir {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Inference = op_test::DomainInference<17, op_test::WhenInferErrorSucceeds::kFailTheTest>;
using InferCase = Inference::Case;
constexpr auto InferOk = &Inference::InferOk;
constexpr auto InferError = &Inference::InferError;

// ---- MatMul / Gemm / Einsum ----

TEST(NnShapeInferenceTest, MatMulBatchedBroadcastKeepsSymbols) {
  EXPECT_THAT(InferOk({"MatMul", {"f32[B,S,768]", "f32[768,3072]"}}), ElementsAre("f32[B,S,3072]"));
  EXPECT_THAT(InferOk({"MatMul", {"f32[2,1,4,5]", "f32[3,5,6]"}}), ElementsAre("f32[2,3,4,6]"));
}

TEST(NnShapeInferenceTest, MatMulVectorOperandsDropTheirDim) {
  EXPECT_THAT(InferOk({"MatMul", {"f32[5]", "f32[3,5,6]"}}), ElementsAre("f32[3,6]"));
  EXPECT_THAT(InferOk({"MatMul", {"f32[3,4,5]", "f32[5]"}}), ElementsAre("f32[3,4]"));
  EXPECT_THAT(InferOk({"MatMul", {"f32[5]", "f32[5]"}}), ElementsAre("f32[]"));
}

TEST(NnShapeInferenceTest, MatMulUnknownRankAndErrors) {
  EXPECT_THAT(InferOk({"MatMul", {"f32[*]", "f32[5,6]"}}), ElementsAre("f32[*]"));
  EXPECT_THAT(InferError({"MatMul", {"f32[3,4]", "f32[5,6]"}}), HasSubstr("node 'n' (MatMul): inner dimensions"));
  EXPECT_THAT(InferError({"MatMul", {"f32[3,4]", "f64[4,6]"}}), HasSubstr("element types"));
  EXPECT_THAT(InferError({"MatMul", {"f32[2,3,4]", "f32[5,4,6]"}}), HasSubstr("batch dimensions"));
}

TEST(NnShapeInferenceTest, GemmTransposesAndChecksC) {
  EXPECT_THAT(InferOk({"Gemm", {"f32[M,4]", "f32[4,6]", "f32[6]"}}), ElementsAre("f32[M,6]"));
  EXPECT_THAT(InferOk({"Gemm", {"f32[4,3]", "f32[6,4]"}, {{"transA", 1}, {"transB", 1}}}), ElementsAre("f32[3,6]"));
  EXPECT_THAT(InferError({"Gemm", {"f32[3,4]", "f32[4,6]", "f32[5]"}}), HasSubstr("does not broadcast"));
  EXPECT_THAT(InferError({"Gemm", {"f32[3,4]", "f32[5,6]"}}), HasSubstr("inner dimensions"));
  EXPECT_THAT(InferError({"Gemm", {"f32[2,3,4]", "f32[4,6]"}}), HasSubstr("A has rank 3"));
}

TEST(NnShapeInferenceTest, EinsumExplicitImplicitAndEllipsis) {
  EXPECT_THAT(InferOk({"Einsum", {"f32[B,3,4]", "f32[B,4,5]"}, {{"equation", "bij,bjk->bik"}}}),
              ElementsAre("f32[B,3,5]"));
  // Implicit output: letters seen once, alphabetically.
  EXPECT_THAT(InferOk({"Einsum", {"f32[3,4]", "f32[4,5]"}, {{"equation", "ij,jk"}}}), ElementsAre("f32[3,5]"));
  EXPECT_THAT(InferOk({"Einsum", {"f32[3,4]"}, {{"equation", "ji"}}}), ElementsAre("f32[4,3]"));
  EXPECT_THAT(InferOk({"Einsum", {"f32[2,7,3,4]", "f32[7,4,5]"}, {{"equation", "...ij,...jk->...ik"}}}),
              ElementsAre("f32[2,7,3,5]"));
  EXPECT_THAT(InferOk({"Einsum", {"f32[3,3]"}, {{"equation", "ii->i"}}}), ElementsAre("f32[3]"));
  EXPECT_THAT(InferOk({"Einsum", {"f32[3,3]"}, {{"equation", "ii"}}}), ElementsAre("f32[]"));
  EXPECT_THAT(InferOk({"Einsum", {"f32[*]"}, {{"equation", "...i->...i"}}}), ElementsAre("f32[*]"));
}

TEST(NnShapeInferenceTest, EinsumErrors) {
  EXPECT_THAT(InferError({"Einsum", {"f32[3,4]", "f32[5,6]"}, {{"equation", "ij,jk->ik"}}}), HasSubstr("label 'j'"));
  EXPECT_THAT(InferError({"Einsum", {"f32[3,4,5]"}, {{"equation", "ij->i"}}}), HasSubstr("rank 3"));
  EXPECT_THAT(InferError({"Einsum", {"f32[3,4]"}, {{"equation", "ij->k"}}}), HasSubstr("appears in no operand"));
  EXPECT_THAT(InferError({"Einsum", {"f32[3,4]"}, {{"equation", "ij,jk->ik"}}}), HasSubstr("2 operands"));
}

// ---- Conv / ConvTranspose ----

TEST(NnShapeInferenceTest, ConvExplicitPadsStridesDilations) {
  // ResNet stem: (224 + 3 + 3 - 7) / 2 + 1 = 112.
  EXPECT_THAT(InferOk({"Conv", {"f32[N,3,224,224]", "f32[64,3,7,7]", "f32[64]"},
                       {{"pads", std::vector<int64_t>{3, 3, 3, 3}}, {"strides", std::vector<int64_t>{2, 2}}}}),
              ElementsAre("f32[N,64,112,112]"));
  // Dilation 2 widens a 3-kernel to 5: (10 - 5) / 1 + 1 = 6; asymmetric pads (1, 0) on width: 7 + 1 - 3 + 1 = 6.
  EXPECT_THAT(InferOk({"Conv", {"f32[1,2,10,7]", "f32[4,2,3,3]"},
                       {{"dilations", std::vector<int64_t>{2, 1}}, {"pads", std::vector<int64_t>{0, 1, 0, 0}}}}),
              ElementsAre("f32[1,4,6,6]"));
}

TEST(NnShapeInferenceTest, ConvAutoPadAndSymbolicDims) {
  EXPECT_THAT(InferOk({"Conv", {"f32[1,8,H,W]", "f32[8,8,3,3]"}, {{"auto_pad", "SAME_UPPER"}}}),
              ElementsAre("f32[1,8,H,W]"));
  EXPECT_THAT(InferOk({"Conv", {"f32[1,8,9,H]", "f32[8,8,3,3]"},
                       {{"auto_pad", "SAME_LOWER"}, {"strides", std::vector<int64_t>{2, 2}}}}),
              ElementsAre("f32[1,8,5,?]"));
  EXPECT_THAT(InferOk({"Conv", {"f32[1,8,9,9]", "f32[8,8,3,3]"}, {{"auto_pad", "VALID"}}}),
              ElementsAre("f32[1,8,7,7]"));
  // A 1x1 kernel keeps symbolic extents.
  EXPECT_THAT(InferOk({"Conv", {"f32[N,8,H,W]", "f32[16,8,1,1]"}}), ElementsAre("f32[N,16,H,W]"));
}

TEST(NnShapeInferenceTest, ConvOneAndThreeDimsAndGroups) {
  EXPECT_THAT(InferOk({"Conv", {"f32[2,4,10]", "f32[6,2,3]"}, {{"group", 2}}}), ElementsAre("f32[2,6,8]"));
  EXPECT_THAT(InferOk({"Conv", {"f32[1,1,5,6,7]", "f32[2,1,3,3,3]"}}), ElementsAre("f32[1,2,3,4,5]"));
  // Depthwise: group = channels, weight (C, 1, k, k).
  EXPECT_THAT(InferOk({"Conv", {"f32[1,32,8,8]", "f32[32,1,3,3]"}, {{"group", 32}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}}),
              ElementsAre("f32[1,32,8,8]"));
  // Unknown input rank: the weight fixes the rank and output channels.
  EXPECT_THAT(InferOk({"Conv", {"f32[*]", "f32[6,2,3,3]"}}), ElementsAre("f32[?,6,?,?]"));
}

TEST(NnShapeInferenceTest, ConvErrorsNameTheNode) {
  EXPECT_THAT(InferError({"Conv", {"f32[1,3,8,8]", "f32[4,2,3,3]"}}),
              HasSubstr("node 'n' (Conv): input has 3 channels but weight expects 2"));
  EXPECT_THAT(InferError({"Conv", {"f32[1,3,8,8]", "f32[4,3,3]"}}), HasSubstr("weight has 3 dims, expected 4"));
  EXPECT_THAT(InferError({"Conv", {"f32[1,3,2,2]", "f32[4,3,3,3]"}}), HasSubstr("smaller than the kernel"));
  EXPECT_THAT(InferError({"Conv", {"f32[1,3,8,8]", "f32[4,3,3,3]", "f32[5]"}}), HasSubstr("bias has 5 values"));
  EXPECT_THAT(InferError({"Conv", {"f32[1,3,8,8]", "f32[4,3,3,3]"}, {{"pads", std::vector<int64_t>{1, 1}}}}),
              HasSubstr("pads has 2 values, expected 4"));
  EXPECT_THAT(InferError({"Conv", {"f32[1,3,8,8]", "f32[4,3,3,3]"}, {{"auto_pad", "SAME"}}}),
              HasSubstr("unknown auto_pad"));
}

TEST(NnShapeInferenceTest, ConvTransposeOutputSizeFormulas) {
  // stride * (in - 1) + output_padding + (k - 1) * d + 1 - pads: 2*2 + 1 + 3 - 2 = 6.
  EXPECT_THAT(InferOk({"ConvTranspose", {"f32[1,1,3,3]", "f32[1,2,3,3]"},
                       {{"strides", std::vector<int64_t>{2, 2}},
                        {"output_padding", std::vector<int64_t>{1, 1}},
                        {"pads", std::vector<int64_t>{1, 1, 1, 1}}}}),
              ElementsAre("f32[1,2,6,6]"));
  EXPECT_THAT(InferOk({"ConvTranspose", {"f32[1,1,3,3]", "f32[1,2,3,3]"},
                       {{"strides", std::vector<int64_t>{3, 2}}, {"output_shape", std::vector<int64_t>{10, 8}}}}),
              ElementsAre("f32[1,2,10,8]"));
  EXPECT_THAT(InferOk({"ConvTranspose", {"f32[1,1,3,3]", "f32[1,2,3,3]"},
                       {{"strides", std::vector<int64_t>{2, 2}}, {"auto_pad", "SAME_UPPER"}}}),
              ElementsAre("f32[1,2,6,6]"));
  // SAME never pads a 1-wide kernel out to in * stride = 9: the natural 3 * 2 + 1 stays.
  EXPECT_THAT(InferOk({"ConvTranspose", {"f32[1,4,3]", "f32[4,3,1]"}, {{"strides", std::vector<int64_t>{3}},
                                                                     {"auto_pad", "SAME_LOWER"}}}),
              ElementsAre("f32[1,3,7]"));
  // group 2: output channels = W[1] * group.
  EXPECT_THAT(InferOk({"ConvTranspose", {"f32[N,4,5]", "f32[4,3,2]"}, {{"group", 2}}}), ElementsAre("f32[N,6,6]"));
  EXPECT_THAT(InferError({"ConvTranspose", {"f32[1,3,3,3]", "f32[1,2,3,3]"}}), HasSubstr("input has 3 channels"));
}

// ---- Pools ----

TEST(NnShapeInferenceTest, MaxPoolCeilModeAndIndices) {
  // floor((5 - 2) / 2) + 1 = 2; ceil gives 3.
  InferCase pool{"MaxPool", {"f32[1,1,5,5]"}, {{"kernel_shape", std::vector<int64_t>{2, 2}},
                                               {"strides", std::vector<int64_t>{2, 2}}}, 2, 12};
  EXPECT_THAT(InferOk(pool), ElementsAre("f32[1,1,2,2]", "i64[1,1,2,2]"));
  pool.attributes["ceil_mode"] = 1;
  EXPECT_THAT(InferOk(pool), ElementsAre("f32[1,1,3,3]", "i64[1,1,3,3]"));
  // With pads 1+1 on 4: (6 - 2) / 2 + 1 = 3, floor and ceil agree.
  pool.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  pool.inputs = {"f32[1,1,4,4]"};
  EXPECT_THAT(InferOk(pool), ElementsAre("f32[1,1,3,3]", "i64[1,1,3,3]"));
  // in 3, k 1, s 2, pad end 1: ceil((4-1)/2)+1 = 3, but that window would start
  // at 4, inside the end padding, so it is dropped -> 2.
  EXPECT_THAT(InferOk({"MaxPool", {"u8[1,1,3]"},
                       {{"kernel_shape", std::vector<int64_t>{1}}, {"strides", std::vector<int64_t>{2}},
                        {"pads", std::vector<int64_t>{0, 1}}, {"ceil_mode", 1}}}),
              ElementsAre("u8[1,1,2]"));
}

TEST(NnShapeInferenceTest, PoolsAutoPadDilationsAndErrors) {
  EXPECT_THAT(InferOk({"AveragePool", {"f32[1,3,32,32]"},
                       {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}},
                        {"auto_pad", "SAME_UPPER"}}}),
              ElementsAre("f32[1,3,16,16]"));
  EXPECT_THAT(InferOk({"MaxPool", {"f32[1,3,8,8]"},
                       {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"dilations", std::vector<int64_t>{2, 2}}}}),
              ElementsAre("f32[1,3,6,6]"));
  EXPECT_THAT(InferOk({"LpPool", {"f32[N,C,7]"}, {{"kernel_shape", std::vector<int64_t>{3}}}}),
              ElementsAre("f32[N,C,5]"));
  EXPECT_THAT(InferOk({"MaxPool", {"f32[*]"}, {{"kernel_shape", std::vector<int64_t>{3}}}}), ElementsAre("f32[*]"));
  EXPECT_THAT(InferError({"MaxPool", {"f32[1,3,8,8]"}}), HasSubstr("kernel_shape attribute is required"));
  EXPECT_THAT(InferError({"AveragePool", {"f32[1,3,8,8]"}, {{"kernel_shape", std::vector<int64_t>{3}}}}),
              HasSubstr("kernel_shape has 1 values, expected 2"));
  EXPECT_THAT(InferError({"MaxPool", {"f32[8,8]"}, {{"kernel_shape", std::vector<int64_t>{3}}}}),
              HasSubstr("expected at least 3"));
}

TEST(NnShapeInferenceTest, GlobalPoolsReduceSpatialToOne) {
  EXPECT_THAT(InferOk({"GlobalAveragePool", {"f32[N,2048,7,7]"}}), ElementsAre("f32[N,2048,1,1]"));
  EXPECT_THAT(InferOk({"GlobalMaxPool", {"f16[1,3,4,5,6]"}}), ElementsAre("f16[1,3,1,1,1]"));
  EXPECT_THAT(InferOk({"GlobalLpPool", {"f32[*]"}}), ElementsAre("f32[*]"));
}

// ---- Normalizations ----

TEST(NnShapeInferenceTest, BatchNormalizationOutputsByOpset) {
  std::vector<std::string> inputs = {"f32[N,3,8,8]", "f32[3]", "f32[3]", "f32[3]", "f32[3]"};
  EXPECT_THAT(InferOk({"BatchNormalization", inputs, {}, 1, 15}), ElementsAre("f32[N,3,8,8]"));
  EXPECT_THAT(InferOk({"BatchNormalization", inputs, {{"training_mode", 1}}, 3, 15}),
              ElementsAre("f32[N,3,8,8]", "f32[3]", "f32[3]"));
  EXPECT_THAT(InferOk({"BatchNormalization", inputs, {}, 5, 9}),
              ElementsAre("f32[N,3,8,8]", "f32[3]", "f32[3]", "f32[3]", "f32[3]"));
  EXPECT_THAT(InferError({"BatchNormalization", inputs, {}, 5, 15}), HasSubstr("at most 3"));
  EXPECT_THAT(InferError({"BatchNormalization", {"f32[N,3,8,8]", "f32[4]", "f32[3]", "f32[3]", "f32[3]"}}),
              HasSubstr("scale has 4 values, expected 3"));
}

TEST(NnShapeInferenceTest, InstanceAndGroupNormalization) {
  EXPECT_THAT(InferOk({"InstanceNormalization", {"f32[N,3,H,W]", "f32[3]", "f32[3]"}}), ElementsAre("f32[N,3,H,W]"));
  EXPECT_THAT(InferError({"InstanceNormalization", {"f32[N,3,H,W]", "f32[2]", "f32[3]"}}), HasSubstr("scale"));
  // Opset 18: scale per group; opset 21: per channel.
  EXPECT_THAT(InferOk({"GroupNormalization", {"f32[2,6,4]", "f32[3]", "f32[3]"}, {{"num_groups", 3}}, 1, 18}),
              ElementsAre("f32[2,6,4]"));
  EXPECT_THAT(InferOk({"GroupNormalization", {"f32[2,6,4]", "f32[6]", "f32[6]"}, {{"num_groups", 3}}, 1, 21}),
              ElementsAre("f32[2,6,4]"));
  EXPECT_THAT(InferError({"GroupNormalization", {"f32[2,6,4]", "f32[3]", "f32[3]"}, {{"num_groups", 3}}, 1, 21}),
              HasSubstr("scale has 3 values, expected 6"));
  EXPECT_THAT(InferError({"GroupNormalization", {"f32[2,6,4]", "f32[4]", "f32[4]"}, {{"num_groups", 4}}, 1, 18}),
              HasSubstr("not divisible"));
  EXPECT_THAT(InferError({"GroupNormalization", {"f32[2,6,4]", "f32[3]", "f32[3]"}, {}, 1, 18}),
              HasSubstr("num_groups"));
}

TEST(NnShapeInferenceTest, LayerNormalizationStatisticsShapesAndStashType) {
  EXPECT_THAT(InferOk({"LayerNormalization", {"f16[B,S,768]", "f16[768]", "f16[768]"}, {}, 3}),
              ElementsAre("f16[B,S,768]", "f32[B,S,1]", "f32[B,S,1]"));
  EXPECT_THAT(InferOk({"LayerNormalization", {"f64[2,3,4,5]", "f64[4,5]"}, {{"axis", -2}, {"stash_type", 11}}, 3}),
              ElementsAre("f64[2,3,4,5]", "f64[2,3,1,1]", "f64[2,3,1,1]"));
  EXPECT_THAT(InferOk({"LayerNormalization", {"f32[*]", "f32[8]"}, {}, 2}), ElementsAre("f32[*]", "f32[*]"));
  EXPECT_THAT(InferError({"LayerNormalization", {"f32[2,8]", "f32[8]"}, {{"axis", 2}}}), HasSubstr("out of range"));
  EXPECT_THAT(InferError({"LayerNormalization", {"f32[2,8]", "f32[7]"}}), HasSubstr("Scale of shape [7]"));
  EXPECT_THAT(InferOk({"LayerNormalization", {"f32[2,8]", "f32[8]", ""}, {}, 1, 1, "com.microsoft"}),
              ElementsAre("f32[2,8]"));
}

TEST(NnShapeInferenceTest, SkipLayerNormalizationOutputs) {
  EXPECT_THAT(InferOk({"SkipLayerNormalization",
                       {"f32[B,S,64]", "f32[B,S,64]", "f32[64]", "f32[64]", "f32[64]"}, {}, 4, 1, "com.microsoft"}),
              ElementsAre("f32[B,S,64]", "f32[B,S,1]", "f32[B,S,1]", "f32[B,S,64]"));
  EXPECT_THAT(InferOk({"SkipLayerNormalization", {"f16[2,5,64]", "f16[5,64]", "f16[64]"}, {}, 1, 1, "com.microsoft"}),
              ElementsAre("f16[2,5,64]"));
  EXPECT_THAT(InferError({"SkipLayerNormalization", {"f32[2,5,64]", "f32[2,5,64]", "f32[32]"}, {}, 1, 1,
                          "com.microsoft"}),
              HasSubstr("gamma has 32 values"));
}

TEST(NnShapeInferenceTest, SoftmaxFamilyAxisRangeByOpset) {
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    EXPECT_THAT(InferOk({op, {"f32[N,10]"}}), ElementsAre("f32[N,10]")) << op;
    EXPECT_THAT(InferOk({op, {"f32[2,3,4]"}, {{"axis", -3}}, 1, 11}), ElementsAre("f32[2,3,4]")) << op;
    EXPECT_THAT(InferError({op, {"f32[2,3,4]"}, {{"axis", 3}}, 1, 13}), HasSubstr("axis 3")) << op;
  }
}

TEST(NnShapeInferenceTest, LrnLpNormalizationAndMeanVarianceNormalization) {
  EXPECT_THAT(InferOk({"LRN", {"f32[1,5,H,W]"}, {{"size", 3}}}), ElementsAre("f32[1,5,H,W]"));
  EXPECT_THAT(InferError({"LRN", {"f32[1,5,4,4]"}}), HasSubstr("size"));
  EXPECT_THAT(InferOk({"LpNormalization", {"f32[3,4]"}, {{"axis", 0}}}), ElementsAre("f32[3,4]"));
  EXPECT_THAT(InferError({"LpNormalization", {"f32[3,4]"}, {{"axis", 2}}}), HasSubstr("axis 2"));
  EXPECT_THAT(InferOk({"MeanVarianceNormalization", {"f32[1,3,4,4]"}}), ElementsAre("f32[1,3,4,4]"));
  EXPECT_THAT(InferError({"MeanVarianceNormalization", {"f32[3,4]"}}), HasSubstr("axis 2"));
}

TEST(NnShapeInferenceTest, SchemasAcceptOnlyValidArity) {
  EXPECT_THAT(InferError({"Conv", {"f32[1,3,8,8]"}}), HasSubstr("expected 2 to 3"));
  EXPECT_THAT(InferError({"MaxPool", {"f32[1,3,8,8]"}, {{"kernel_shape", std::vector<int64_t>{2, 2}}}, 3}),
              HasSubstr("outputs"));
  EXPECT_NE(OpRegistry::Global().Find("com.microsoft", "SkipLayerNormalization"), nullptr);
}

}  // namespace
}  // namespace gsopt::ir
