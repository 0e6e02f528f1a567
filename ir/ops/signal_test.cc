// Shape-inference tests for the signal ops: DFT at opsets 17 (axis
// attribute) and 20 (axis input), one-sided and inverse one-sided lengths,
// dft_length from constants, STFT frame counts, and the generators' output
// lengths and dtypes. Expected shapes follow the ONNX operator specs.
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

Tensor I64(int64_t value) { return Tensor::Scalar<int64_t>(value); }

TEST(SignalShapeInferenceTest, DftOpset17AxisAttribute) {
  EXPECT_THAT(InferOk({"DFT", {"f32[B,10,3,1]"}, {{"axis", 1}}}), ElementsAre("f32[B,10,3,2]"));
  EXPECT_THAT(InferOk({"DFT", {"f32[B,10,3,1]"}, {{"axis", 2}, {"onesided", 1}}}), ElementsAre("f32[B,10,2,2]"));
  EXPECT_THAT(InferOk({"DFT", {"f32[B,10,3,1]", "i64[]"}, {{"axis", 1}}, 1, 17, {{1, I64(16)}}}),
              ElementsAre("f32[B,16,3,2]"));
}

TEST(SignalShapeInferenceTest, DftOpset20AxisInput) {
  EXPECT_THAT(InferOk({"DFT", {"f32[2,10,3,2]"}, {}, 1, 20}), ElementsAre("f32[2,10,3,2]"));
  EXPECT_THAT(InferOk({"DFT", {"f32[2,10,3,2]", "", "i64[]"}, {{"onesided", 1}}, 1, 20, {{2, I64(1)}}}),
              ElementsAre("f32[2,6,3,2]"));
  // irfft: 6 bins become 2 * (6 - 1) real samples.
  EXPECT_THAT(InferOk({"DFT", {"f32[2,6,2]"}, {{"inverse", 1}, {"onesided", 1}}, 1, 20}), ElementsAre("f32[2,10,1]"));
  // An axis known only at run time leaves every transformed-axis candidate unknown.
  EXPECT_THAT(InferOk({"DFT", {"f32[2,10,3,2]", "", "i64[]"}, {}, 1, 20}), ElementsAre("f32[?,?,?,2]"));
  // A non-constant dft_length leaves the axis dim unknown.
  EXPECT_THAT(InferOk({"DFT", {"f64[2,10,1]", "i64[]"}, {}, 1, 20}), ElementsAre("f64[2,?,2]"));
}

TEST(SignalShapeInferenceTest, DftErrors) {
  EXPECT_THAT(InferError({"DFT", {"f32[2,10,3]"}, {}, 1, 20}), HasSubstr("node 'n' (DFT): last dim is 3"));
  EXPECT_THAT(InferError({"DFT", {"f32[2,10,1]"}, {{"axis", 2}}}), HasSubstr("axis 2 is out of range"));
}

TEST(SignalShapeInferenceTest, StftFrames) {
  EXPECT_THAT(InferOk({"STFT", {"f32[B,100,1]", "i64[]", "f32[16]"}, {}, 1, 17, {{1, I64(8)}}}),
              ElementsAre("f32[B,11,9,2]"));
  EXPECT_THAT(InferOk({"STFT", {"f32[1,100,2]", "i64[]", "", "i64[]"}, {{"onesided", 0}}, 1, 17, {{1, I64(10)}, {3, I64(20)}}}),
              ElementsAre("f32[1,9,20,2]"));
  EXPECT_THAT(InferOk({"STFT", {"f32[1,100,1]", "i64[]", "f32[16]"}}), ElementsAre("f32[1,?,9,2]"));
  EXPECT_THAT(InferError({"STFT", {"f32[1,100,1]", "i64[]"}}), HasSubstr("window and frame_length"));
}

TEST(SignalShapeInferenceTest, WindowsAndMelWeightMatrix) {
  EXPECT_THAT(InferOk({"HannWindow", {"i64[]"}, {}, 1, 17, {{0, I64(10)}}}), ElementsAre("f32[10]"));
  EXPECT_THAT(InferOk({"HammingWindow", {"i32[]"}, {{"output_datatype", 11}}}), ElementsAre("f64[?]"));
  EXPECT_THAT(InferOk({"BlackmanWindow", {"i64[]"}, {{"output_datatype", 10}}, 1, 17, {{0, I64(4)}}}),
              ElementsAre("f16[4]"));
  EXPECT_THAT(InferError({"HannWindow", {"i64[]"}, {{"output_datatype", 8}}}), HasSubstr("output_datatype 8"));
  EXPECT_THAT(InferOk({"MelWeightMatrix", {"i64[]", "i64[]", "i64[]", "f32[]", "f32[]"}, {}, 1, 17,
                       {{0, I64(8)}, {1, I64(512)}}}),
              ElementsAre("f32[257,8]"));
}

}  // namespace
}  // namespace gsopt::ir
