// Tests for the recurrent kernels (RNN, GRU, LSTM). Each case runs one node
// through shape inference and the CpuExecutor, checks the outputs have the
// inferred type, and compares values with onnxruntime 1.x (CPU provider)
// outputs for the same ramp() inputs; the generator builds the single-node
// model with onnx.helper and runs it. Layout 1 is checked against layout 0
// on transposed data, half precision against f32.
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
// Reference outputs (onnxruntime, hidden_size 3; inputs named in each test).
// GruBidiSeqLensY: shape {4, 2, 2, 3} (onnxruntime)
const std::vector<double> kGruBidiSeqLensY = {-0.290411114692688, 0.47161781787872314, -0.19691869616508484, -0.6973961591720581, -0.17297130823135376, -0.40212947130203247, -0.40800192952156067, 0.8018152713775635, -0.45058006048202515, -0.347138911485672, 0.8281127214431763, -0.5115156173706055, -0.4274991452693939, 0.21154870092868805, -0.2075408697128296, -0.716488242149353, -0.33581432700157166, -0.317732572555542, -0.08984304964542389, 0.6876345276832581, -0.35930299758911133, -0.16699783504009247, 0.720710813999176, -0.41798126697540283, -0.5660206079483032, 0.0036703944206237793, -0.17754174768924713, 0.0, 0.0, 0.0, 0.16715826094150543, 0.4074220061302185, -0.11638188362121582, 0.0, 0.0, 0.0, 0.22104685008525848, 0.16926774382591248, 0.5477422475814819, 0.0, 0.0, 0.0, -0.1285707801580429, -0.4741852879524231, 0.5153158903121948, 0.0, 0.0, 0.0};
// GruBidiSeqLensYh: shape {2, 2, 3} (onnxruntime)
const std::vector<double> kGruBidiSeqLensYh = {0.22104685008525848, 0.16926774382591248, 0.5477422475814819, -0.716488242149353, -0.33581432700157166, -0.317732572555542, -0.40800192952156067, 0.8018152713775635, -0.45058006048202515, -0.347138911485672, 0.8281127214431763, -0.5115156173706055};
// LstmReversePeepY: shape {4, 1, 2, 3} (onnxruntime)
const std::vector<double> kLstmReversePeepY = {-0.4284571707248688, -0.2976948022842407, 0.17969068884849548, -0.4207483232021332, -0.2513786852359772, 0.16459254920482635, -0.40671205520629883, -0.17629775404930115, 0.16272100806236267, -0.37789252400398254, -0.0984053760766983, 0.11295756697654724, -0.3223514258861542, -0.010592489503324032, 0.1125435158610344, -0.173594132065773, 0.08066707104444504, -0.017770448699593544, 0.0, 0.0, 0.0, -0.34295403957366943, 0.15639716386795044, -0.08529483526945114};
// LstmReversePeepYh: shape {1, 2, 3} (onnxruntime)
const std::vector<double> kLstmReversePeepYh = {-0.4284571707248688, -0.2976948022842407, 0.17969068884849548, -0.4207483232021332, -0.2513786852359772, 0.16459254920482635};
// LstmReversePeepYc: shape {1, 2, 3} (onnxruntime)
const std::vector<double> kLstmReversePeepYc = {-0.6973057389259338, -0.6301358342170715, 0.7277036905288696, -0.6804499626159668, -0.5809188485145569, 0.6466714143753052};
// RnnActivationsY: shape {3, 2, 1, 3} (onnxruntime)
const std::vector<double> kRnnActivationsY = {1.625, 1.4375, 1.25, 1.00244140625, -0.443359375, -0.1689453125, 1.15625, 5.046875, -0.04062500223517418, 0.36328125, 0.05078125, -0.87109375, 5.699999809265137, 1.685156226158142, -0.5955469012260437, 1.09375, -0.5, -0.46875};
// RnnActivationsYh: shape {2, 1, 3} (onnxruntime)
const std::vector<double> kRnnActivationsYh = {5.699999809265137, 1.685156226158142, -0.5955469012260437, 1.00244140625, -0.443359375, -0.1689453125};

// ---------------------------------------------------------------------------
// Harness (shared with the other reference-value kernel tests)

using kernel_test::ExpectValues;
using kernel_test::NodeRun;
using kernel_test::Ramp;
using kernel_test::RunNode;
using kernel_test::RunOk;

// [d0, d1, rest] -> [d1, d0, rest]
Tensor SwapLeading(const Tensor& t) {
  std::vector<int64_t> dims = t.dims();
  std::swap(dims[0], dims[1]);
  Tensor out = Tensor::Zeros(t.dtype(), dims);
  int64_t rest = t.num_elements() / (t.dim(0) * t.dim(1));
  for (int64_t i = 0; i < t.dim(0); ++i)
    for (int64_t j = 0; j < t.dim(1); ++j)
      for (int64_t k = 0; k < rest; ++k) out.SetFromDouble((j * t.dim(0) + i) * rest + k, t.GetAsDouble((i * t.dim(1) + j) * rest + k));
  return out;
}

NodeRun GruBidiSeqLens() {
  constexpr int64_t H = 3;
  return NodeRun{"GRU",
                 {Ramp({4, 2, 2}, 1), Ramp({2, 3 * H, 2}, 2, 8), Ramp({2, 3 * H, H}, 3, 8), Ramp({2, 6 * H}, 4, 8),
                  Tensor::FromVector<int32_t>({2}, {4, 2}), Ramp({2, 2, H}, 5, 8)},
                 {{"hidden_size", H}, {"direction", "bidirectional"}, {"linear_before_reset", 1}},
                 2,
                 14};
}

TEST(RecurrentKernelsTest, GruBidirectionalLinearBeforeResetWithSequenceLengths) {
  std::vector<Tensor> outs = RunOk(GruBidiSeqLens());
  ExpectValues(outs[0], {4, 2, 2, 3}, kGruBidiSeqLensY);
  ExpectValues(outs[1], {2, 2, 3}, kGruBidiSeqLensYh);
}

TEST(RecurrentKernelsTest, GruLayoutOneIsLayoutZeroTransposed) {
  NodeRun batch_major = GruBidiSeqLens();
  batch_major.inputs[0] = SwapLeading(*batch_major.inputs[0]);
  batch_major.inputs[5] = SwapLeading(*batch_major.inputs[5]);
  batch_major.attributes["layout"] = 1;
  std::vector<Tensor> outs = RunOk(batch_major);
  // Y [batch, seq, dirs, H] from reference [seq, dirs, batch, H]; Y_h [batch, dirs, H].
  std::vector<double> y(kGruBidiSeqLensY.size());
  for (int t = 0; t < 4; ++t)
    for (int d = 0; d < 2; ++d)
      for (int b = 0; b < 2; ++b)
        for (int k = 0; k < 3; ++k) y[((b * 4 + t) * 2 + d) * 3 + k] = kGruBidiSeqLensY[((t * 2 + d) * 2 + b) * 3 + k];
  std::vector<double> yh(kGruBidiSeqLensYh.size());
  for (int d = 0; d < 2; ++d)
    for (int b = 0; b < 2; ++b)
      for (int k = 0; k < 3; ++k) yh[(b * 2 + d) * 3 + k] = kGruBidiSeqLensYh[(d * 2 + b) * 3 + k];
  ExpectValues(outs[0], {2, 4, 2, 3}, y);
  ExpectValues(outs[1], {2, 2, 3}, yh);
}

TEST(RecurrentKernelsTest, LstmReverseWithPeepholesClipAndSequenceLengths) {
  constexpr int64_t H = 3;
  std::vector<Tensor> outs =
      RunOk({"LSTM",
             {Ramp({4, 2, 2}, 1), Ramp({1, 4 * H, 2}, 2, 8), Ramp({1, 4 * H, H}, 3, 8), Ramp({1, 8 * H}, 4, 8),
              Tensor::FromVector<int32_t>({2}, {3, 4}), Ramp({1, 2, H}, 5, 8), Ramp({1, 2, H}, 6, 8), Ramp({1, 3 * H}, 7, 8)},
             {{"hidden_size", H}, {"direction", "reverse"}, {"clip", 0.9f}},
             3,
             14});
  ExpectValues(outs[0], {4, 1, 2, 3}, kLstmReversePeepY);
  ExpectValues(outs[1], {1, 2, 3}, kLstmReversePeepYh);
  ExpectValues(outs[2], {1, 2, 3}, kLstmReversePeepYc);
}

TEST(RecurrentKernelsTest, RnnActivationsConsumeAlphaAndBetaInOrder) {
  constexpr int64_t H = 3;
  std::vector<Tensor> outs = RunOk({"RNN",
                                    {Ramp({3, 1, 2}, 1), Ramp({2, H, 2}, 2), Ramp({2, H, H}, 3)},
                                    {{"hidden_size", H},
                                     {"direction", "bidirectional"},
                                     {"activations", std::vector<std::string>{"LeakyRelu", "Affine"}},
                                     {"activation_alpha", std::vector<float>{0.1f, 0.5f}},
                                     {"activation_beta", std::vector<float>{0.25f}}},
                                    2,
                                    14});
  ExpectValues(outs[0], {3, 2, 1, 3}, kRnnActivationsY);
  ExpectValues(outs[1], {2, 1, 3}, kRnnActivationsYh);
}

TEST(RecurrentKernelsTest, Float16MatchesFloat32WithinHalfPrecision) {
  NodeRun half = GruBidiSeqLens();
  for (int i : {0, 1, 2, 3, 5}) half.inputs[i] = FromFloat32(*half.inputs[i], DType::kFloat16);
  std::vector<Tensor> outs = RunOk(half);
  ASSERT_EQ(outs[0].dtype(), DType::kFloat16);
  ExpectValues(ToFloat32(outs[0]), {4, 2, 2, 3}, kGruBidiSeqLensY, 5e-3);
}

TEST(RecurrentKernelsTest, OnlyYRequested) {
  NodeRun run = GruBidiSeqLens();
  run.num_outputs = 1;
  std::vector<Tensor> outs = RunOk(run);
  ASSERT_EQ(outs.size(), 1u);
  ExpectValues(outs[0], {4, 2, 2, 3}, kGruBidiSeqLensY);
}

TEST(RecurrentKernelsTest, BadSequenceLengthIsAnErrorNamingTheNode) {
  NodeRun run = GruBidiSeqLens();
  run.inputs[4] = Tensor::FromVector<int32_t>({2}, {5, 1});
  absl::StatusOr<std::vector<Tensor>> outs = RunNode(run);
  ASSERT_FALSE(outs.ok());
  EXPECT_THAT(outs.status().message(), HasSubstr("node 'n' (GRU)"));
  EXPECT_THAT(outs.status().message(), HasSubstr("sequence length 5"));
}

TEST(RecurrentKernelsTest, UnknownActivationIsAnError) {
  NodeRun run = GruBidiSeqLens();
  run.attributes["activations"] = std::vector<std::string>{"Sigmoid", "Bogus"};
  absl::StatusOr<std::vector<Tensor>> outs = RunNode(run);
  ASSERT_FALSE(outs.ok());
  EXPECT_THAT(outs.status().message(), HasSubstr("Bogus"));
}

}  // namespace
}  // namespace gsopt::backend::cpu
