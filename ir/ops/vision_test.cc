// Shape-inference tests for the vision ops: GridSample (2-D and N-D),
// NonMaxSuppression, RoiAlign, Col2Im, CenterCropPad, MaxUnpool and Det,
// with symbolic dims carried through, constant-input dependent shapes and
// errors for certain mismatches. Expected shapes follow the ONNX specs.
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

Tensor I64s(std::vector<int64_t> values) {
  int64_t n = static_cast<int64_t>(values.size());
  return Tensor::FromVector<int64_t>({n}, values);
}

TEST(VisionShapeInferenceTest, GridSample) {
  EXPECT_THAT(InferOk({"GridSample", {"f32[N,3,32,32]", "f32[N,7,9,2]"}, {}, 1, 16}), ElementsAre("f32[N,3,7,9]"));
  EXPECT_THAT(InferOk({"GridSample", {"f32[N,C,4,5,6]", "f32[N,2,3,4,3]"}, {}, 1, 20}), ElementsAre("f32[N,C,2,3,4]"));
  EXPECT_THAT(InferError({"GridSample", {"f32[N,C,4,5,6]", "f32[N,2,3,4,3]"}, {}, 1, 16}), HasSubstr("expected 4"));
  EXPECT_THAT(InferError({"GridSample", {"f32[1,3,8,8]", "f32[1,4,4,3]"}, {}, 1, 20}), HasSubstr("last dim is 3"));
  EXPECT_THAT(InferError({"GridSample", {"f32[1,3,8,8]", "f32[1,4,4,2]"}, {{"mode", "area"}}, 1, 20}),
              HasSubstr("node 'n' (GridSample): mode 'area'"));
}

TEST(VisionShapeInferenceTest, NonMaxSuppressionCountIsDataDependent) {
  EXPECT_THAT(InferOk({"NonMaxSuppression", {"f32[1,100,4]", "f32[1,5,100]"}, {}, 1, 11}), ElementsAre("i64[?,3]"));
  EXPECT_THAT(InferError({"NonMaxSuppression", {"f32[1,100,4]", "f32[1,5,99]"}, {}, 1, 11}), HasSubstr("box counts"));
}

TEST(VisionShapeInferenceTest, RoiAlign) {
  EXPECT_THAT(InferOk({"RoiAlign", {"f32[N,256,50,50]", "f32[R,4]", "i64[R]"}, {{"output_height", 7}, {"output_width", 5}}, 1, 16}),
              ElementsAre("f32[R,256,7,5]"));
  EXPECT_THAT(InferOk({"RoiAlign", {"f32[N,256,50,50]", "f32[*]", "i64[10]"}, {}, 1, 10}), ElementsAre("f32[10,256,1,1]"));
  EXPECT_THAT(InferError({"RoiAlign", {"f32[N,256,50,50]", "f32[10,4]", "i64[9]"}, {}, 1, 16}), HasSubstr("lengths"));
}

TEST(VisionShapeInferenceTest, Col2Im) {
  EXPECT_THAT(InferOk({"Col2Im", {"f32[N,12,6]", "i64[2]", "i64[2]"}, {}, 1, 18, {{1, I64s({4, 5})}, {2, I64s({2, 2})}}}),
              ElementsAre("f32[N,3,4,5]"));
  EXPECT_THAT(InferOk({"Col2Im", {"f32[N,12,6]", "i64[3]", "i64[3]"}, {}, 1, 18}), ElementsAre("f32[N,?,?,?,?]"));
  EXPECT_THAT(InferError({"Col2Im", {"f32[N,10,6]", "i64[2]", "i64[2]"}, {}, 1, 18, {{1, I64s({4, 5})}, {2, I64s({2, 2})}}}),
              HasSubstr("not a multiple"));
}

TEST(VisionShapeInferenceTest, CenterCropPad) {
  EXPECT_THAT(InferOk({"CenterCropPad", {"f32[H,W,3]", "i64[2]"}, {{"axes", std::vector<int64_t>{0, -2}}}, 1, 18,
                       {{1, I64s({10, 12})}}}),
              ElementsAre("f32[10,12,3]"));
  EXPECT_THAT(InferOk({"CenterCropPad", {"u8[3,H,W]", "i64[2]"}, {{"axes", std::vector<int64_t>{1, 2}}}, 1, 18}),
              ElementsAre("u8[3,?,?]"));
  EXPECT_THAT(InferError({"CenterCropPad", {"f32[4,5]", "i64[1]"}, {}, 1, 18, {{1, I64s({3})}}}), HasSubstr("1 entries for 2 axes"));
}

TEST(VisionShapeInferenceTest, MaxUnpool) {
  ir::AttributeMap attrs = {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}};
  EXPECT_THAT(InferOk({"MaxUnpool", {"f32[N,C,3,4]", "i64[N,C,3,4]"}, attrs, 1, 11}), ElementsAre("f32[N,C,6,8]"));
  EXPECT_THAT(InferOk({"MaxUnpool", {"f32[N,C,3,4]", "i64[N,C,3,4]", "i64[4]"}, attrs, 1, 11, {{2, I64s({1, 2, 7, 9})}}}),
              ElementsAre("f32[1,2,7,9]"));
  EXPECT_THAT(InferOk({"MaxUnpool", {"f32[N,C,3,4]", "i64[N,C,3,4]", "i64[4]"}, attrs, 1, 11}), ElementsAre("f32[?,?,?,?]"));
  EXPECT_THAT(InferError({"MaxUnpool", {"f32[N,C,3]", "i64[N,C,3]"}, attrs, 1, 11}), HasSubstr("X has rank 3"));
}

TEST(VisionShapeInferenceTest, Det) {
  EXPECT_THAT(InferOk({"Det", {"f32[B,3,3]"}, {}, 1, 11}), ElementsAre("f32[B]"));
  EXPECT_THAT(InferOk({"Det", {"f64[M,M]"}, {}, 1, 22}), ElementsAre("f64[]"));
  EXPECT_THAT(InferOk({"Det", {"f32[*]"}, {}, 1, 11}), ElementsAre("f32[*]"));
  EXPECT_THAT(InferError({"Det", {"f32[2,3]"}, {}, 1, 11}), HasSubstr("square"));
}

}  // namespace
}  // namespace gsopt::ir
