// Shape-inference tests for the transformer ops (Attention, RMSNormalization,
// RotaryEmbedding, Swish): each case builds a one-node graph from readable
// types ("f32[B,S,64]", "f32[*]" for unknown rank), runs InferShapes and
// compares the output types as text. Expected shapes follow the output shapes
// the ONNX operator specs give.
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

using Inference = op_test::DomainInference<23, op_test::WhenInferErrorSucceeds::kJustGiveEmpty>;
using InferCase = Inference::Case;
constexpr auto InferOk = &Inference::InferOk;
constexpr auto InferError = &Inference::InferError;

TEST(AttentionShapeInferenceTest, FourDimWithPastGivesPresentAndScores) {
  EXPECT_THAT(InferOk({"Attention",
                       {"f32[2,8,5,64]", "f32[2,2,5,64]", "f32[2,2,5,32]", "", "f32[2,2,7,64]", "f32[2,2,7,32]"},
                       {},
                       4}),
              ElementsAre("f32[2,8,5,32]", "f32[2,2,12,64]", "f32[2,2,12,32]", "f32[2,8,5,12]"));
  // A symbolic past length makes the total length unknown, other dims flow through.
  EXPECT_THAT(InferOk({"Attention",
                       {"f16[B,8,S,64]", "f16[B,8,S,64]", "f16[B,8,S,64]", "", "f16[B,8,P,64]", "f16[B,8,P,64]"},
                       {},
                       3}),
              ElementsAre("f16[B,8,S,64]", "f16[B,8,?,64]", "f16[B,8,?,64]"));
}

TEST(AttentionShapeInferenceTest, ThreeDimSplitsHiddenByHeadCounts) {
  AttributeMap heads = {{"q_num_heads", int64_t{8}}, {"kv_num_heads", int64_t{2}}};
  EXPECT_THAT(InferOk({"Attention", {"f32[B,S,512]", "f32[B,T,128]", "f32[B,T,96]"}, heads, 4}),
              ElementsAre("f32[B,S,384]", "f32[B,2,T,64]", "f32[B,2,T,48]", "f32[B,8,S,T]"));
  // Unknown hidden size of V: the output hidden size is unknown too.
  EXPECT_THAT(InferOk({"Attention", {"f32[1,4,512]", "f32[1,4,128]", "f32[1,4,?]"}, heads}),
              ElementsAre("f32[1,4,?]"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,4,512]", "f32[1,4,128]", "f32[1,4,128]"}}),
              HasSubstr("q_num_heads and kv_num_heads"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,4,500]", "f32[1,4,128]", "f32[1,4,128]"}, heads}),
              HasSubstr("not a multiple of the head count 8"));
}

TEST(AttentionShapeInferenceTest, UnknownRankAndCertainMismatches) {
  EXPECT_THAT(InferOk({"Attention", {"f32[*]", "f32[*]", "bf16[*]"}, {}, 3}),
              ElementsAre("f32[*]", "f32[*]", "bf16[*]"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,2,3,8]", "f32[1,2,4,16]", "f32[1,2,4,8]"}}),
              HasSubstr("Q head size 8 differs from K head size 16"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,3,3,8]", "f32[1,2,4,8]", "f32[1,2,4,8]"}}),
              HasSubstr("not a multiple of kv_num_heads"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,2,3,8]", "f32[1,2,4,8]", "f32[1,2,5,8]"}}), HasSubstr("K has 4 positions"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,2,3,8]", "f32[1,2,4,8]", "f32[1,2,4,8]", "", "f32[1,2,1,8]"}}),
              HasSubstr("past_key and past_value must be given together"));
  EXPECT_THAT(InferError({"Attention", {"f32[2,3]", "f32[2,3]", "f32[2,3]"}}), HasSubstr("expected 3 or 4"));
}

TEST(AttentionShapeInferenceTest, RmsNormalizationKeepsShapeAndChecksScale) {
  EXPECT_THAT(InferOk({"RMSNormalization", {"bf16[B,S,768]", "bf16[768]"}}), ElementsAre("bf16[B,S,768]"));
  EXPECT_THAT(InferOk({"RMSNormalization", {"f32[*]", "f32[8]"}}), ElementsAre("f32[*]"));
  EXPECT_THAT(InferError({"RMSNormalization", {"f32[2,8]", "f32[4]"}}), HasSubstr("does not broadcast"));
  EXPECT_THAT(InferError({"RMSNormalization", {"f32[2,8]", "f32[8]"}, {{"axis", int64_t{2}}}}), HasSubstr("axis"));
  EXPECT_THAT(InferError({"RMSNormalization", {"i32[2,8]", "f32[8]"}}), HasSubstr("float type"));
}

TEST(AttentionShapeInferenceTest, RotaryEmbeddingAndSwish) {
  EXPECT_THAT(InferOk({"RotaryEmbedding", {"f16[B,S,256]", "f16[M,32]", "f16[M,32]", "i64[B,S]"}, {{"num_heads", int64_t{4}}}}),
              ElementsAre("f16[B,S,256]"));
  EXPECT_THAT(InferOk({"RotaryEmbedding", {"f32[B,4,S,64]", "f32[B,S,32]", "f32[B,S,32]"}}), ElementsAre("f32[B,4,S,64]"));
  EXPECT_THAT(InferError({"RotaryEmbedding", {"f32[B,S,256]", "f32[M,32]", "f32[M,32]", "i64[B,S]"}}),
              HasSubstr("num_heads"));
  EXPECT_THAT(InferError({"RotaryEmbedding", {"f32[B,4,S,64]", "f32[M,32]", "f32[M,32]"}}),
              HasSubstr("without position_ids"));
  EXPECT_THAT(InferOk({"Swish", {"f64[3,N]"}, {{"alpha", 0.5f}}, 1, 24}), ElementsAre("f64[3,N]"));
}

}  // namespace
}  // namespace gsopt::ir
