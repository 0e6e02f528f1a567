// Shape-inference tests for gsopt's internal fused ops (domain "gsopt"):
// FusedConv and FusedMatMul must infer exactly what Conv and MatMul do and
// reject bad activations and biases; Gelu keeps its input's type; Attention
// gives [..., S, dv] and checks that Q, K and V agree.
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

TEST(FusedOpsShapeInferenceTest, FusedConvInfersLikeConv) {
  AttributeMap attrs = {{"kernel_shape", std::vector<int64_t>{3, 3}},
                        {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                        {"strides", std::vector<int64_t>{2, 2}},
                        {"activation", std::string("Relu")}};
  EXPECT_THAT(InferOk({"FusedConv", {"f32[N,3,8,8]", "f32[16,3,3,3]", "f32[16]"}, attrs, 1, 17, "gsopt"}),
              ElementsAre("f32[N,16,4,4]"));
  attrs.erase("activation");
  EXPECT_THAT(InferOk({"FusedConv", {"f32[1,3,8,8]", "f32[16,3,3,3]"}, attrs, 1, 17, "gsopt"}),
              ElementsAre("f32[1,16,4,4]"));
  // Conv's own checks apply.
  EXPECT_THAT(InferError({"FusedConv", {"f32[1,4,8,8]", "f32[16,3,3,3]"}, {}, 1, 17, "gsopt"}), HasSubstr("channels"));
}

TEST(FusedOpsShapeInferenceTest, ActivationMustBeKnownWithFewParams) {
  EXPECT_THAT(
      InferError(
          {"FusedConv", {"f32[1,3,8,8]", "f32[16,3,3,3]"}, {{"activation", std::string("Swish")}}, 1, 17, "gsopt"}),
      HasSubstr("activation \"Swish\" is not one of"));
  EXPECT_THAT(InferError({"FusedMatMul",
                          {"f32[2,3]", "f32[3,4]"},
                          {{"activation", std::string("Relu")}, {"activation_params", std::vector<float>{1.0f}}},
                          1,
                          17,
                          "gsopt"}),
              HasSubstr("takes at most 0 activation_params"));
  EXPECT_THAT(InferOk({"FusedMatMul",
                       {"f32[2,3]", "f32[3,4]"},
                       {{"activation", std::string("Clip")}, {"activation_params", std::vector<float>{0.0f, 6.0f}}},
                       1,
                       17,
                       "gsopt"}),
              ElementsAre("f32[2,4]"));
}

TEST(FusedOpsShapeInferenceTest, FusedMatMulBiasIsOnTheLastDim) {
  EXPECT_THAT(InferOk({"FusedMatMul", {"f32[B,S,64]", "f32[64,256]", "f32[256]"}, {}, 1, 17, "gsopt"}),
              ElementsAre("f32[B,S,256]"));
  EXPECT_THAT(InferOk({"FusedMatMul", {"f32[2,3]", "f32[3,4]", "f32[1]"}, {}, 1, 17, "gsopt"}),
              ElementsAre("f32[2,4]"));
  EXPECT_THAT(InferError({"FusedMatMul", {"f32[2,3]", "f32[3,4]", "f32[5]"}, {}, 1, 17, "gsopt"}),
              HasSubstr("bias has 5 values, expected 4"));
  EXPECT_THAT(InferError({"FusedMatMul", {"f32[2,3]", "f32[3,4]", "f32[2,4]"}, {}, 1, 17, "gsopt"}),
              HasSubstr("bias has rank 2, expected 1"));
  EXPECT_THAT(InferError({"FusedMatMul", {"f32[2,3]", "f32[3,4]", "f16[4]"}, {}, 1, 17, "gsopt"}),
              HasSubstr("bias has dtype"));
}

TEST(FusedOpsShapeInferenceTest, GeluKeepsTypeAndChecksApproximate) {
  EXPECT_THAT(InferOk({"Gelu", {"f32[B,128]"}, {{"approximate", std::string("tanh")}}, 1, 17, "gsopt"}),
              ElementsAre("f32[B,128]"));
  EXPECT_THAT(InferError({"Gelu", {"f32[4]"}, {{"approximate", std::string("erf")}}, 1, 17, "gsopt"}),
              HasSubstr("approximate must be"));
}

TEST(FusedOpsShapeInferenceTest, AttentionGivesQueriesByValueDepth) {
  EXPECT_THAT(InferOk({"Attention", {"f32[B,8,S,64]", "f32[B,8,T,64]", "f32[B,8,T,32]"}, {}, 1, 17, "gsopt"}),
              ElementsAre("f32[B,8,S,32]"));
  EXPECT_THAT(InferOk({"Attention",
                       {"f32[2,4,5,16]", "f32[2,4,16,7]", "f32[2,4,7,16]"},
                       {{"k_transposed", int64_t{1}}},
                       1,
                       17,
                       "gsopt"}),
              ElementsAre("f32[2,4,5,16]"));
  EXPECT_THAT(InferOk({"Attention", {"f32[*]", "f32[2,7,16]", "f32[2,7,16]"}, {}, 1, 17, "gsopt"}),
              ElementsAre("f32[*]"));
  EXPECT_THAT(InferError({"Attention", {"f32[2,5,16]", "f32[2,7,8]", "f32[2,7,16]"}, {}, 1, 17, "gsopt"}),
              HasSubstr("Q has depth 16 but K has 8"));
  EXPECT_THAT(InferError({"Attention", {"f32[2,5,16]", "f32[2,7,16]", "f32[2,6,16]"}, {}, 1, 17, "gsopt"}),
              HasSubstr("K has 7 keys but V has 6"));
  EXPECT_THAT(InferError({"Attention", {"f32[2,5,16]", "f32[2,7,16]", "f16[2,7,16]"}, {}, 1, 17, "gsopt"}),
              HasSubstr("expected one dtype"));
  EXPECT_THAT(InferError({"Attention", {"f32[16]", "f32[2,7,16]", "f32[2,7,16]"}, {}, 1, 17, "gsopt"}),
              HasSubstr("Q has rank 1"));
}

}  // namespace
}  // namespace gsopt::ir
