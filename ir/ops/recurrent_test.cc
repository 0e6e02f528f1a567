// Shape-inference tests for the recurrent ops (RNN, GRU, LSTM): output
// shapes for both layouts and all directions, symbolic dims carried through,
// hidden size taken from R when the attribute is absent, and errors for
// certain mismatches. Expected shapes follow the ONNX operator specs.
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

using op_test::InferCase;
using op_test::InferError;
using op_test::InferOk;

TEST(RecurrentShapeInferenceTest, LstmLayoutZeroAllOutputs) {
  EXPECT_THAT(InferOk({"LSTM", {"f32[T,B,8]", "f32[2,20,8]", "f32[2,20,5]"}, {{"direction", "bidirectional"}}, 3}),
              ElementsAre("f32[T,2,B,5]", "f32[2,B,5]", "f32[2,B,5]"));
}

TEST(RecurrentShapeInferenceTest, GruLayoutOneIsBatchMajor) {
  EXPECT_THAT(InferOk({"GRU", {"f16[B,T,8]", "f16[1,12,8]", "f16[1,12,4]"}, {{"layout", 1}, {"hidden_size", 4}}, 2, 14}),
              ElementsAre("f16[B,T,1,4]", "f16[B,1,4]"));
}

TEST(RecurrentShapeInferenceTest, RnnHiddenSizeFromWWhenROfUnknownRank) {
  EXPECT_THAT(InferOk({"RNN", {"f32[3,2,4]", "f32[1,6,4]", "f32[*]"}, {}, 2}),
              ElementsAre("f32[3,1,2,6]", "f32[1,2,6]"));
}

TEST(RecurrentShapeInferenceTest, UnknownRankXGivesUnknownSeqAndBatch) {
  EXPECT_THAT(InferOk({"GRU", {"f32[*]", "f32[1,9,4]", "f32[1,9,3]"}, {}, 1}), ElementsAre("f32[?,1,?,3]"));
}

TEST(RecurrentShapeInferenceTest, Mismatches) {
  EXPECT_THAT(InferError({"LSTM", {"f32[T,B,8]", "f32[1,20,8]", "f32[1,20,5]"}, {{"direction", "bidirectional"}}}),
              HasSubstr("node 'n' (LSTM): W has 1 directions"));
  EXPECT_THAT(InferError({"GRU", {"f32[T,B,8]", "f32[1,10,8]", "f32[1,10,4]"}}), HasSubstr("gate rows"));
  EXPECT_THAT(InferError({"RNN", {"f32[T,B,7]", "f32[1,4,8]", "f32[1,4,4]"}}), HasSubstr("input size"));
  EXPECT_THAT(InferError({"RNN", {"f32[T,B]", "f32[1,4,8]", "f32[1,4,4]"}}), HasSubstr("X has rank 2"));
  EXPECT_THAT(InferError({"RNN", {"f32[T,B,8]", "f32[1,4,8]", "f32[1,4,4]"}, {{"direction", "sideways"}}}),
              HasSubstr("sideways"));
}

}  // namespace
}  // namespace gsopt::ir
