// Tests for the vision kernels. Each case runs one node through shape
// inference and the CpuExecutor, checks the outputs have the inferred type,
// and compares values with onnxruntime (CPU provider) outputs for the
// generator's ramp() inputs, or, for the data-moving ops and
// NonMaxSuppression, with results worked out by hand from the ONNX spec.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "backend/cpu/executor.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"
#include "backend/cpu/kernels/kernel_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::backend::cpu {
namespace {

using ::testing::HasSubstr;
using ir::DType;
using ir::Tensor;

// ---------------------------------------------------------------------------
// Reference outputs. GridSample grids are ramp(..., 5.0) * 1.3 (1.2 for the
// volumetric case) so that some points fall outside [-1, 1].
// GridLinearReflection: shape {1, 2, 2, 3} (onnxruntime)
const std::vector<double> kGridLinearReflection = {-0.25, -0.25, 0.5550000667572021, 1.2950000762939453, -0.07999992370605469, -0.9650000333786011, 1.25, 1.25, 0.559999942779541, -0.38999998569488525, -0.2049999237060547, 0.4700000286102295};
// GridCubicBorder: shape {1, 2, 2, 3} (onnx.reference; onnxruntime differs here: it follows PyTorch, which clamps each cubic tap instead of the sample point)
const std::vector<double> kGridCubicBorder = {-0.33383089303970337, 0.37669461965560913, 1.2121039628982544, 1.4901106357574463, -0.25, -0.9638607501983643, 1.1661690473556519, 0.6874262094497681, -0.05377581715583801, -0.17681576311588287, -0.375, 0.4268156886100769};
// GridNearestZeros: shape {1, 2, 2, 3} (onnxruntime)
const std::vector<double> kGridNearestZeros = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
// GridVolumetric: shape {1, 1, 2, 2, 2} (onnxruntime)
const std::vector<double> kGridVolumetric = {-0.11173988878726959, 0.0, 0.18725994229316711, 0.10405199229717255, -0.0626399889588356, 0.0, 0.0, 0.135407954454422};
// RoiAvgHalfPixel: shape {3, 2, 2, 3} (onnxruntime)
const std::vector<double> kRoiAvgHalfPixel = {0.3870052397251129, -0.7038149833679199, -0.02795564942061901, 0.4729166328907013, -0.009036310017108917, -0.27703142166137695, 0.06164059042930603, -0.20381499826908112, 0.420332133769989, -0.07927095890045166, 0.09994787722826004, 0.22296854853630066, 0.296875, -0.2812501788139343, -0.046875178813934326, 0.2578125, 0.3398438096046448, -0.38216128945350647, -0.3203125, 0.06640611588954926, 0.4531248211860657, -0.08854163438081741, -0.07421861588954926, -0.05989566072821617, 0.84375, 0.09374996274709702, -0.4322916567325592, 1.09375, 0.5468749403953552, -0.18229170143604279, 0.9375, 0.3906249403953552, 0.06770835816860199, -0.84375, -0.17187495529651642, 0.3177083134651184};
// RoiMaxOutputHalfPixel: shape {3, 2, 2, 2} (onnxruntime)
const std::vector<double> kRoiMaxOutputHalfPixel = {0.3611719012260437, 0.10359375178813934, 0.273867130279541, 0.13933594524860382, 0.29835936427116394, 0.15539062023162842, 0.45644521713256836, 0.23222656548023224, 1.078125, 0.6328125, 0.0, 1.453125, 0.0, 1.0546875, 0.2421875, 0.7421875, 0.421875, 0.140625, 0.84375, 0.28125, 0.703125, 0.234375, 0.234375, 0.28125};
// Col2ImStridedDilatedPadded: shape {1, 2, 4, 5} (onnxruntime)
const std::vector<double> kCol2ImStridedDilatedPadded = {1.5, 0.0, -1.0, 0.0, 0.75, 0.25, 0.0, -0.25, 0.0, -0.5, -1.5, 0.0, -0.5, 0.0, 1.0, 0.5, 0.0, 0.25, 0.0, -0.25, 1.25, 0.0, -1.5, 0.0, 0.5, 0.0, 0.0, -0.75, 0.0, -0.75, 1.5, 0.0, -1.0, 0.0, 0.75, 0.25, 0.0, -0.25, 0.0, -0.5};
// Det: shape {2} (onnxruntime)
const std::vector<double> kDet = {1.9531248807907104, 3.703124761581421};

// ---------------------------------------------------------------------------
// Harness (shared with the other reference-value kernel tests)

using kernel_test::ExpectValues;
using kernel_test::NodeRun;
using kernel_test::Ramp;
using kernel_test::RunNode;
using kernel_test::RunOk;

Tensor Grid(std::vector<int64_t> dims, int seed, double factor) {
  Tensor t = Ramp(std::move(dims), seed, 5.0);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.SetFromDouble(i, static_cast<double>(static_cast<float>(t.GetAsDouble(i)) * static_cast<float>(factor)));
  }
  return t;
}

TEST(VisionKernelsTest, GridSampleLinearReflection) {
  std::vector<Tensor> outs = RunOk({"GridSample",
                                    {Ramp({1, 2, 3, 4}, 1), Grid({1, 2, 3, 2}, 2, 1.3)},
                                    {{"mode", "linear"}, {"padding_mode", "reflection"}, {"align_corners", 0}},
                                    1,
                                    20});
  ExpectValues(outs[0], {1, 2, 2, 3}, kGridLinearReflection);
}

TEST(VisionKernelsTest, GridSampleOpset16NamesCubicBorderAlignCorners) {
  std::vector<Tensor> outs = RunOk({"GridSample",
                                    {Ramp({1, 2, 3, 4}, 1), Grid({1, 2, 3, 2}, 2, 1.3)},
                                    {{"mode", "bicubic"}, {"padding_mode", "border"}, {"align_corners", 1}},
                                    1,
                                    16});
  ExpectValues(outs[0], {1, 2, 2, 3}, kGridCubicBorder);
}

TEST(VisionKernelsTest, GridSampleNearestZeros) {
  std::vector<Tensor> outs = RunOk({"GridSample",
                                    {Ramp({1, 2, 3, 4}, 1), Grid({1, 2, 3, 2}, 2, 1.3)},
                                    {{"mode", "nearest"}, {"padding_mode", "zeros"}},
                                    1,
                                    20});
  ExpectValues(outs[0], {1, 2, 2, 3}, kGridNearestZeros);
}

TEST(VisionKernelsTest, GridSampleVolumetric) {
  std::vector<Tensor> outs =
      RunOk({"GridSample", {Ramp({1, 1, 2, 3, 4}, 3), Grid({1, 2, 2, 2, 3}, 4, 1.2)}, {{"mode", "linear"}}, 1, 20});
  ExpectValues(outs[0], {1, 1, 2, 2, 2}, kGridVolumetric);
}

TEST(VisionKernelsTest, GridSampleRank5BeforeOpset20IsAnError) {
  absl::StatusOr<std::vector<Tensor>> outs =
      RunNode({"GridSample", {Ramp({1, 1, 2, 3, 4}, 3), Grid({1, 2, 2, 2, 3}, 4, 1.2)}, {}, 1, 16});
  ASSERT_FALSE(outs.ok());
  EXPECT_THAT(outs.status().message(), HasSubstr("node 'n' (GridSample)"));
}

Tensor Rois() {
  return Tensor::FromVector<float>({3, 4}, {0.5f, 1.0f, 4.2f, 3.7f, 1, 0, 5, 4.5f, 0, 0, 2, 2});
}

TEST(VisionKernelsTest, RoiAlignAvgHalfPixel) {
  std::vector<Tensor> outs = RunOk({"RoiAlign",
                                    {Ramp({2, 2, 5, 6}, 5), Rois(), Tensor::FromVector<int64_t>({3}, {1, 0, 1})},
                                    {{"mode", "avg"}, {"output_height", 2}, {"output_width", 3}, {"sampling_ratio", 2}},
                                    1,
                                    16});
  ExpectValues(outs[0], {3, 2, 2, 3}, kRoiAvgHalfPixel);
}

TEST(VisionKernelsTest, RoiAlignMaxOutputHalfPixelAdaptiveSampling) {
  std::vector<Tensor> outs = RunOk({"RoiAlign",
                                    {Ramp({2, 2, 5, 6}, 5), Rois(), Tensor::FromVector<int64_t>({3}, {1, 0, 1})},
                                    {{"mode", "max"},
                                     {"output_height", 2},
                                     {"output_width", 2},
                                     {"spatial_scale", 0.5f},
                                     {"coordinate_transformation_mode", "output_half_pixel"}},
                                    1,
                                    16});
  ExpectValues(outs[0], {3, 2, 2, 2}, kRoiMaxOutputHalfPixel);
}

TEST(VisionKernelsTest, Col2ImStridedDilatedPadded) {
  std::vector<Tensor> outs = RunOk({"Col2Im",
                                    {Ramp({1, 8, 6}, 6), Tensor::FromVector<int64_t>({2}, {4, 5}),
                                     Tensor::FromVector<int64_t>({2}, {2, 2})},
                                    {{"strides", std::vector<int64_t>{2, 2}},
                                     {"pads", std::vector<int64_t>{1, 0, 1, 1}},
                                     {"dilations", std::vector<int64_t>{1, 2}}},
                                    1,
                                    18});
  ExpectValues(outs[0], {1, 2, 4, 5}, kCol2ImStridedDilatedPadded);
}

TEST(VisionKernelsTest, DetWithPivoting) {
  Tensor x = Ramp({2, 3, 3}, 7);
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i) x.SetFromDouble(b * 9 + i * 4, x.GetAsDouble(b * 9 + i * 4) + 1.0);
  ExpectValues(RunOk({"Det", {x}, {}, 1, 11})[0], {2}, kDet);
  // A singular matrix (two equal rows) has determinant 0.
  Tensor singular = Tensor::FromVector<double>({2, 2}, {1.5, -2, 1.5, -2});
  ExpectValues(RunOk({"Det", {singular}, {}, 1, 22})[0], {}, {0.0});
}

TEST(VisionKernelsTest, NonMaxSuppressionCornersAndThresholds) {
  // Boxes (y1, x1, y2, x2): box 1 is box 0 shifted down by 0.1 (IoU 0.9 / 1.1 = 0.82); box 3 is box 0
  // given by its other two corners.
  Tensor boxes = Tensor::FromVector<float>({1, 4, 4}, {0, 0, 1, 1,  0.1f, 0, 1.1f, 1,  2, 2, 3, 3,  1, 1, 0, 0});
  Tensor scores = Tensor::FromVector<float>({1, 2, 4}, {0.9f, 0.95f, 0.5f, 0.3f,  0.1f, 0.2f, 0.6f, 0.7f});
  std::vector<Tensor> outs = RunOk({"NonMaxSuppression",
                                    {boxes, scores, Tensor::FromVector<int64_t>({1}, {3}),
                                     Tensor::FromVector<float>({1}, {0.5f}), Tensor::FromVector<float>({1}, {0.25f})},
                                    {},
                                    1,
                                    11});
  // Class 0: box 1 (0.95) wins; boxes 0 and 3 overlap it with IoU 0.82 > 0.5 and are suppressed;
  // box 2 is kept. Class 1: scores above 0.25 are boxes 2, 3;
  // they do not overlap.
  ASSERT_EQ(outs[0].dtype(), DType::kInt64);
  ExpectValues(outs[0], {4, 3}, {0, 0, 1, 0, 0, 2, 0, 1, 3, 0, 1, 2});
}

TEST(VisionKernelsTest, NonMaxSuppressionCenterPointAndLimit) {
  // Center format (x, y, w, h): boxes 0 and 1 coincide, box 2 is far away.
  Tensor boxes = Tensor::FromVector<float>({1, 3, 4}, {0.5f, 0.5f, 1, 1,  0.5f, 0.5f, 1, 1,  5, 5, 1, 1});
  Tensor scores = Tensor::FromVector<float>({1, 1, 3}, {0.4f, 0.4f, 0.3f});
  std::vector<Tensor> outs = RunOk({"NonMaxSuppression",
                                    {boxes, scores, Tensor::FromVector<int64_t>({1}, {1})},
                                    {{"center_point_box", 1}},
                                    1,
                                    11});
  // Ties keep the lower index; the limit of one box per class stops after it.
  ExpectValues(outs[0], {1, 3}, {0, 0, 0});
}

TEST(VisionKernelsTest, CenterCropPadCropsOneAxisAndPadsAnother) {
  // [2, 5] int32 -> shape (4, 2) on axes (1, 0): axis 1 crops 5 -> 2 from offset 1, axis 0 pads 2 -> 4
  // with one zero row on each side.
  Tensor x = Tensor::FromVector<int32_t>({2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  std::vector<Tensor> outs = RunOk({"CenterCropPad",
                                    {x, Tensor::FromVector<int64_t>({2}, {2, 4})},
                                    {{"axes", std::vector<int64_t>{1, 0}}},
                                    1,
                                    18});
  ASSERT_EQ(outs[0].dtype(), DType::kInt32);
  ExpectValues(outs[0], {4, 2}, {0, 0, 2, 3, 7, 8, 0, 0});
}

TEST(VisionKernelsTest, MaxUnpoolDefaultAndExplicitShape) {
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 2}, {5, 6, 7, 8});
  Tensor indices = Tensor::FromVector<int64_t>({1, 1, 2, 2}, {0, 3, 9, 14});
  ir::AttributeMap attrs = {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}};
  ExpectValues(RunOk({"MaxUnpool", {x, indices}, attrs, 1, 11})[0], {1, 1, 4, 4},
               {5, 0, 0, 6, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 8, 0});
  // With a 5x5 output the indices keep addressing the 4x4 unpooled grid.
  ExpectValues(RunOk({"MaxUnpool", {x, indices, Tensor::FromVector<int64_t>({4}, {1, 1, 5, 5})}, attrs, 1, 11})[0],
               {1, 1, 5, 5}, {5, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0});
}

TEST(VisionKernelsTest, MaxUnpoolIndexOutOfRangeIsAnError) {
  absl::StatusOr<std::vector<Tensor>> outs =
      RunNode({"MaxUnpool",
               {Tensor::FromVector<float>({1, 1, 1, 1}, {1}), Tensor::FromVector<int64_t>({1, 1, 1, 1}, {4})},
               {{"kernel_shape", std::vector<int64_t>{2, 2}}},
               1,
               11});
  ASSERT_FALSE(outs.ok());
  EXPECT_THAT(outs.status().message(), HasSubstr("node 'n' (MaxUnpool)"));
}

}  // namespace
}  // namespace gsopt::backend::cpu
