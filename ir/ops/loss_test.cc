// Shape-inference tests for the loss ops (NegativeLogLikelihoodLoss,
// SoftmaxCrossEntropyLoss): the loss has the target's shape for reduction
// "none" and is a scalar otherwise; log_prob has the scores' type.
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

using Inference = op_test::DomainInference<13, op_test::WhenInferErrorSucceeds::kJustGiveEmpty>;
using InferCase = Inference::Case;
constexpr auto InferOk = &Inference::InferOk;
constexpr auto InferError = &Inference::InferError;

TEST(LossShapeInferenceTest, ReductionDecidesTheLossShape) {
  EXPECT_THAT(InferOk({"NegativeLogLikelihoodLoss", {"f32[N,5,H,W]", "i64[N,H,W]"}, {{"reduction", "none"}}}),
              ElementsAre("f32[N,H,W]"));
  EXPECT_THAT(InferOk({"NegativeLogLikelihoodLoss", {"f16[N,5]", "i32[N]", "f16[5]"}}), ElementsAre("f16[]"));
  EXPECT_THAT(InferOk({"SoftmaxCrossEntropyLoss", {"f32[3,5,2]", "i64[3,2]"}, {{"reduction", "sum"}}, 2}),
              ElementsAre("f32[]", "f32[3,5,2]"));
  // Unknown target rank: the loss drops the class dim of the scores.
  EXPECT_THAT(InferOk({"SoftmaxCrossEntropyLoss", {"f64[3,5,2]", "i64[*]"}, {{"reduction", "none"}}}),
              ElementsAre("f64[3,2]"));
  EXPECT_THAT(InferOk({"SoftmaxCrossEntropyLoss", {"f32[*]", "i64[*]"}, {{"reduction", "none"}}, 2}),
              ElementsAre("f32[*]", "f32[*]"));
}

TEST(LossShapeInferenceTest, CertainMismatchesAreErrors) {
  EXPECT_THAT(InferError({"NegativeLogLikelihoodLoss", {"f32[3,5,2]", "i64[3]"}}), HasSubstr("target has rank 1"));
  EXPECT_THAT(InferError({"NegativeLogLikelihoodLoss", {"f32[3,5,2]", "i64[3,4]"}}), HasSubstr("does not match"));
  EXPECT_THAT(InferError({"NegativeLogLikelihoodLoss", {"f32[3,5]", "i64[3]", "f32[4]"}}), HasSubstr("weight has 4"));
  EXPECT_THAT(InferError({"SoftmaxCrossEntropyLoss", {"f32[3,5]", "f32[3]"}}), HasSubstr("i32 or i64"));
  EXPECT_THAT(InferError({"SoftmaxCrossEntropyLoss", {"f32[3,5]", "i64[3]"}, {{"reduction", "avg"}}}),
              HasSubstr("reduction 'avg'"));
}

}  // namespace
}  // namespace gsopt::ir
