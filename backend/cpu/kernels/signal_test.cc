// Tests for the signal kernels: DFT (opsets 17 and 20), STFT, the window
// generators and MelWeightMatrix. Each case runs one node through shape
// inference and the CpuExecutor, checks the outputs have the inferred type,
// and compares values with numpy.fft / numpy results (or onnxruntime for
// MelWeightMatrix) for the generator's ramp() inputs.
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
// Reference outputs
// DftAxis1Length6: shape {2, 6, 3, 2} (numpy.fft)
const std::vector<double> kDftAxis1Length6 = {0.75, 0.0, -0.25, 0.0, -1.25, 0.0, -2.25, 0.0, 0.125, -1.5155444145202637, 0.875, -0.21650634706020355, 0.0, -1.299038052558899, 0.875, 2.814582586288452, -3.125, -1.5155444145202637, -3.75, 0.0, 1.25, -1.1102230246251565e-16, -0.25, 0.0, 0.0, 1.299038052558899, 0.875, -2.814582586288452, -3.125, 1.5155444145202637, -2.25, 0.0, 0.125, 1.5155444145202637, 0.875, 0.21650634706020355, -1.25, 0.0, 1.0, 0.0, 0.0, 0.0, 0.875, -0.21650634706020355, 0.0, -1.7320507764816284, 0.75, -0.4330126941204071, -3.125, -1.5155444145202637, 1.0, 2.598076105117798, -3.0, -1.7320507764816284, -0.25, 0.0, 1.5, 0.0, 5.551115123125783e-17, 0.0, -3.125, 1.5155444145202637, 1.0, -2.598076105117798, -3.0, 1.7320507764816284, 0.875, 0.21650634706020355, 0.0, 1.7320507764816284, 0.75, 0.4330126941204071};
// DftInverseAxis2: shape {2, 4, 3, 2} (numpy.fft)
const std::vector<double> kDftInverseAxis2 = {-0.75, 1.0, -0.052831217646598816, -0.19716879725456238, -0.19716879725456238, -0.052831217646598816, 0.0, -0.4166666865348816, -0.052831217646598816, 0.8861646056175232, -0.19716879725456238, 1.0305020809173584, 0.75, -0.75, -0.052831217646598816, -0.19716879725456238, -0.19716879725456238, -0.052831217646598816, 0.4166666865348816, 0.0, 0.4888354539871216, 0.7410253882408142, 0.3444978892803192, -0.9910253882408142, -1.0, 0.75, -0.052831217646598816, -0.19716879725456238, -0.19716879725456238, -0.052831217646598816, -0.25, 0.4166666865348816, -0.9910253882408142, 0.3444978892803192, 0.7410253882408142, 0.4888354539871216, 0.5, -1.0, -0.052831217646598816, -0.19716879725456238, -0.19716879725456238, -0.052831217646598816, 1.25, -0.25, -0.052831217646598816, -0.19716879725456238, -0.19716879725456238, -0.052831217646598816};
// DftOnesidedAxis1: shape {2, 3, 3, 2} (numpy.fft)
const std::vector<double> kDftOnesidedAxis1 = {0.75, 0.0, -0.25, 0.0, -1.25, 0.0, -1.75, 0.7000422477722168, -1.1293052434921265, -1.2102597951889038, 0.8793052434921265, -1.2102597951889038, -1.75, -2.1960055828094482, 2.504305124282837, 0.8949280381202698, -2.754305124282837, 0.8949280381202698, -1.25, 0.0, 1.0, 0.0, 0.0, 0.0, 0.8793052434921265, -1.2102597951889038, -1.1293052434921265, -1.2102597951889038, 0.8793052434921265, -1.2102597951889038, -2.754305124282837, 0.8949280381202698, 2.504305124282837, 0.8949280381202698, -2.754305124282837, 0.8949280381202698};
// DftIrfft7: shape {1, 7, 1} (numpy.fft)
const std::vector<double> kDftIrfft7 = {-0.3214285969734192, -0.6914201974868774, -0.5083082914352417, 0.5749704241752625, -0.6209064722061157, 0.48630979657173157, 0.3307831287384033};
// StftHann: shape {1, 3, 3, 2} (numpy.fft)
const std::vector<double> kStftHann = {1.125, 0.0, -0.21137288212776184, -0.006625070236623287, -0.35112711787223816, -1.3184223175048828, 0.0, 0.0, 0.8385254740715027, -1.154131293296814, -0.8385254740715027, 0.2724534571170807, -1.125, 0.0, 0.07161862403154373, 0.19898028671741486, 0.49088138341903687, 1.2730133533477783};
// Mel: shape {9, 4} (onnxruntime)
const std::vector<double> kMel = {1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
// HannPeriodic8: shape {8} (numpy)
const std::vector<double> kHannPeriodic8 = {0.0, 0.1464466094067262, 0.49999999999999994, 0.8535533905932737, 1.0, 0.8535533905932738, 0.5000000000000001, 0.14644660940672632};
// HammingSymmetric5: shape {5} (numpy, ONNX alpha 25/46)
const std::vector<double> kHammingSymmetric5 = {0.08695652173913043, 0.5434782608695652, 1.0, 0.5434782608695653, 0.08695652173913043};
// BlackmanPeriodic6: shape {6} (numpy.blackman(7)[:6])
const std::vector<double> kBlackmanPeriodic6 = {-1.3877787807814457e-17, 0.13000000000000006, 0.6300000000000001, 0.9999999999999999, 0.6300000000000001, 0.13000000000000006};

// ---------------------------------------------------------------------------
// Harness (shared with the other reference-value kernel tests)

using kernel_test::ExpectValues;
using kernel_test::NodeRun;
using kernel_test::Ramp;
using kernel_test::RunNode;
using kernel_test::RunOk;

Tensor I64(int64_t v) { return Tensor::Scalar<int64_t>(v); }

TEST(SignalKernelsTest, DftOpset17AxisAttributeWithPaddingLength) {
  std::vector<Tensor> outs = RunOk({"DFT", {Ramp({2, 5, 3, 1}, 1), I64(6)}, {{"axis", 1}}, 1, 17});
  ExpectValues(outs[0], {2, 6, 3, 2}, kDftAxis1Length6);
}

TEST(SignalKernelsTest, DftOpset20AxisInputInverse) {
  std::vector<Tensor> outs =
      RunOk({"DFT", {Ramp({2, 4, 3, 2}, 2), std::nullopt, I64(-2)}, {{"inverse", 1}}, 1, 20});
  ExpectValues(outs[0], {2, 4, 3, 2}, kDftInverseAxis2);
}

TEST(SignalKernelsTest, DftOpset20DefaultAxisIsSecondToLast) {
  std::vector<Tensor> outs = RunOk({"DFT", {Ramp({2, 4, 3, 2}, 2)}, {{"inverse", 1}}, 1, 20});
  ExpectValues(outs[0], {2, 4, 3, 2}, kDftInverseAxis2);
}

TEST(SignalKernelsTest, DftOnesidedRealInput) {
  std::vector<Tensor> outs = RunOk({"DFT", {Ramp({2, 5, 3, 1}, 1), std::nullopt, I64(1)}, {{"onesided", 1}}, 1, 20});
  ExpectValues(outs[0], {2, 3, 3, 2}, kDftOnesidedAxis1);
}

TEST(SignalKernelsTest, DftInverseOnesidedIsIrfft) {
  std::vector<Tensor> outs =
      RunOk({"DFT", {Ramp({1, 4, 2}, 3), I64(7), I64(1)}, {{"inverse", 1}, {"onesided", 1}}, 1, 20});
  ExpectValues(outs[0], {1, 7, 1}, kDftIrfft7);
}

TEST(SignalKernelsTest, DftFloat64AndFloat16) {
  std::vector<Tensor> f64 = RunOk({"DFT", {Ramp({2, 5, 3, 1}, 1, 4.0, DType::kFloat64), I64(6)}, {{"axis", 1}}, 1, 17});
  ASSERT_EQ(f64[0].dtype(), DType::kFloat64);
  ExpectValues(f64[0], {2, 6, 3, 2}, kDftAxis1Length6, 1e-6);
  std::vector<Tensor> f16 = RunOk({"DFT", {Ramp({2, 5, 3, 1}, 1, 4.0, DType::kFloat16), I64(6)}, {{"axis", 1}}, 1, 17});
  ASSERT_EQ(f16[0].dtype(), DType::kFloat16);
  ExpectValues(ToFloat32(f16[0]), {2, 6, 3, 2}, kDftAxis1Length6, 4e-3);
}

TEST(SignalKernelsTest, DftAxisOnTheComponentDimIsAnError) {
  absl::StatusOr<std::vector<Tensor>> outs = RunNode({"DFT", {Ramp({2, 5, 1}, 1)}, {{"axis", 2}}, 1, 17});
  ASSERT_FALSE(outs.ok());
  EXPECT_THAT(outs.status().message(), HasSubstr("node 'n' (DFT)"));
}

TEST(SignalKernelsTest, StftWithWindowOnesided) {
  std::vector<float> hann = {0.0f, 0.5f, 1.0f, 0.5f, 0.0f};
  std::vector<Tensor> outs =
      RunOk({"STFT", {Ramp({1, 10, 1}, 4), I64(2), Tensor::FromVector<float>({5}, hann)}, {}, 1, 17});
  ExpectValues(outs[0], {1, 3, 3, 2}, kStftHann);
}

TEST(SignalKernelsTest, StftFrameLengthWithoutWindowIsRectangular) {
  // A rectangular window over the whole signal is one plain DFT frame.
  std::vector<Tensor> stft =
      RunOk({"STFT", {Ramp({2, 5, 1}, 1), I64(1), std::nullopt, I64(5)}, {{"onesided", 0}}, 1, 17});
  std::vector<Tensor> dft = RunOk({"DFT", {Ramp({2, 5, 1}, 1)}, {{"axis", 1}}, 1, 17});
  ASSERT_EQ(stft[0].dims(), (std::vector<int64_t>{2, 1, 5, 2}));
  for (int64_t i = 0; i < dft[0].num_elements(); ++i) EXPECT_NEAR(stft[0].GetAsDouble(i), dft[0].GetAsDouble(i), 1e-5);
}

TEST(SignalKernelsTest, Windows) {
  ExpectValues(RunOk({"HannWindow", {I64(8)}, {}, 1, 17})[0], {8}, kHannPeriodic8);
  ExpectValues(RunOk({"HammingWindow", {I64(5)}, {{"periodic", 0}}, 1, 17})[0], {5}, kHammingSymmetric5);
  std::vector<Tensor> blackman = RunOk({"BlackmanWindow", {I64(6)}, {{"output_datatype", 11}}, 1, 17});
  ASSERT_EQ(blackman[0].dtype(), DType::kFloat64);
  ExpectValues(blackman[0], {6}, kBlackmanPeriodic6, 1e-9);
}

TEST(SignalKernelsTest, MelWeightMatrix) {
  std::vector<Tensor> outs = RunOk({"MelWeightMatrix",
                                    {I64(4), I64(16), I64(8000), Tensor::Scalar<float>(100), Tensor::Scalar<float>(3500)},
                                    {},
                                    1,
                                    17});
  ExpectValues(outs[0], {9, 4}, kMel);
}

}  // namespace
}  // namespace gsopt::backend::cpu
