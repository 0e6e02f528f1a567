// Tests for the transformer kernels (Attention, RMSNormalization,
// RotaryEmbedding, Swish). Each case runs one node through shape inference
// and the CpuExecutor, checks that the outputs have exactly the inferred dtype
// and shape, and compares values with the ONNX reference implementation
// (onnx.reference 1.23 ReferenceEvaluator) run on the same Ramp() inputs; the
// generator builds the single-node model with onnx.helper and prints every
// output as the literal arrays below.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "backend/cpu/executor.h"
#include "backend/cpu/kernel.h"
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

constexpr double kInf = std::numeric_limits<double>::infinity();

// Deterministic inputs: v_i = (((7 i + seed) mod 13) - 6) / 4, exact in every float type.
Tensor Ramp(std::vector<int64_t> dims, int seed, DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Zeros(dtype, std::move(dims));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetFromDouble(i, static_cast<double>(((i * 7 + seed) % 13) - 6) / 4.0);
  return t;
}

using Runner = kernel_test::StrictNodeRunner<23>;
using NodeRun = Runner::NodeRun;
constexpr auto RunNode = &Runner::RunNode;
constexpr auto RunOk = &Runner::RunOk;
using kernel_test::ExpectTensor;

// ---------------------------------------------------------------------------
// Reference outputs (onnx.reference 1.23) for Ramp() inputs.
// Gqa3dPast0: shape {1, 3, 12}
const std::vector<double> kGqa3dPast0 = {-0.528850675, 0.287139744, -0.278850764, -0.560030818, 0.278076321, -0.310030848, -0.0776066035, 0.187576383, 0.172393382, -0.134647951, 0.200434297, 0.115352057, -0.619703352, 0.241967842, -0.369703323, 0.388122916, -0.445548058, 0.638122916, -0.191158235, 0.336916715, 0.0588417798, -0.203658819, 0.357819915, 0.0463411808, 0.143415391, -0.281275541, 0.393415391, 0.0218194872, -0.205867216, 0.271819472, -0.272843063, 0.434001207, -0.0228430852, -0.309947252, 0.453502715, -0.0599472597};
// Gqa3dPast1: shape {1, 2, 5, 2}
const std::vector<double> kGqa3dPast1 = {-0.5, 1.25, -0.25, 1.5, -1, 0.75, -0.5, 1.25, 0, -1.5, 0, -1.5, 0.25, -1.25, -0.75, 1, -0.25, 1.5, 0.25, -1.25};
// Gqa3dPast2: shape {1, 2, 5, 3}
const std::vector<double> kGqa3dPast2 = {-0.25, 1.5, 0, -1.5, 0.25, -1.25, -0.75, 1, -0.5, 0, -1.5, 0.25, 0.75, -0.75, 1, 0.5, -1, 0.75, -0.75, 1, -0.5, 1.25, -0.25, 1.5, -1.25, 0.5, -1, -0.5, 1.25, -0.25};
// Gqa3dPast3: shape {1, 4, 3, 5}
const std::vector<double> kGqa3dPast3 = {0.228164002, 0.20385474, 0.280593693, 0.228164002, 0.0592235327, 0.253364772, 0.288480073, 0.18482323, 0.253364772, 0.0199671779, 0.110288106, 0.110288106, 0.110288106, 0.110288106, 0.558847547, 0.236991465, 0.228875428, 0.253550678, 0.236991465, 0.0435909368, 0.0612247139, 0.0520459227, 0.0917537138, 0.0612247139, 0.733750999, 0.132976845, 0.143619716, 0.114884444, 0.132976845, 0.475542128, 0.0556245223, 0.0575558878, 0.401242226, 0.428021431, 0.0575558878, 0.33487609, 0.296045184, 0.0411008559, 0.0319326967, 0.296045184, 0.238211557, 0.282710493, 0.0827594176, 0.11360801, 0.282710493, 0.0435076952, 0.0476676412, 0.391851604, 0.469305396, 0.0476676412, 0.317013025, 0.29588306, 0.0486858115, 0.0425350107, 0.29588306, 0.206566378, 0.268874317, 0.0969874486, 0.158697471, 0.268874317};
// BoolMaskPadded0: shape {1, 2, 2, 2}
const std::vector<double> kBoolMaskPadded0 = {-0.579208791, 1.17079127, 0, 0, 0.523369074, -0.976630926, 0, 0};
// BoolMaskPadded1: shape {1, 2, 4, 3}
const std::vector<double> kBoolMaskPadded1 = {-1, 0.75, -0.75, 1, -0.5, 1.25, -0.25, 1.5, 0, -1.5, 0.25, -1.25, 0.5, -1, 0.75, -0.75, 1, -0.5, 1.25, -0.25, 1.5, 0, -1.5, 0.25};
// BoolMaskPadded2: shape {1, 2, 4, 2}
const std::vector<double> kBoolMaskPadded2 = {-0.75, 1, -0.5, 1.25, -0.25, 1.5, 0, -1.5, 0.25, -1.25, 0.5, -1, 0.75, -0.75, 1, -0.5};
// BoolMaskPadded3: shape {1, 2, 2, 4}
const std::vector<double> kBoolMaskPadded3 = {1.1875, -kInf, 0.53125, -kInf, -kInf, -kInf, -kInf, -kInf, -0.84375, -kInf, -0.65625, -kInf, -kInf, -kInf, -kInf, -kInf};
// NonpadCausal0: shape {2, 1, 2, 2}
const std::vector<double> kNonpadCausal0 = {-0.633274257, 1.11672568, -0.507363319, 1.24263668, 0, 0, 0.25, -1.25};
// WindowFloatMask0: shape {1, 2, 3, 2}
const std::vector<double> kWindowFloatMask0 = {-0.541390359, 1.2086097, -0.494291186, 1.25570881, -0.23803997, 0.97037065, 0.716976881, -0.783023119, 0.774510205, -0.725489616, 0.990094125, -0.509905756};
// RmsAxis10: shape {2, 3, 4}
const std::vector<double> kRmsAxis10 = {1.2867409, 0.38602227, 0.772044539, 0.772044539, 0.38602227, 1.2867409, 0.12867409, 1.93011141, -0, -2.3161335, 0, 1.93011141, -0.286502779, -1.0743854, -0.429754168, -1.14601111, -0.429754168, -1.0743854, -0.286502779, -0.859508336, 0, 0.429754168, 0.429754168, -0};
// RopeInterleavedPartial0: shape {1, 2, 12}
const std::vector<double> kRopeInterleavedPartial0 = {-0.202921212, -1.33091056, -0.142560959, -1.24184394, -0.75, 1, -1.10370839, -0.770926416, -1.16860259, -0.973071456, 0, -1.5, 0.912137032, -0.89050889, 1.09413195, -0.229946524, 0.75, -0.75, 1.10765684, 0.151974678, 0.972844183, 0.823756158, 1.5, 0};
// RopeNoPositions0: shape {1, 2, 3, 4}
const std::vector<double> kRopeNoPositions0 = {-1.45854449, -0.71275264, -0.659657478, 0.55180037, -0.75, 1.31760597, -0.5, -0.909073472, -0.242228106, -0.950493395, -0.0618509911, -1.89646053, 0.36593008, 0.909073472, 0.422605217, -1.31760597, 0.75, -0.55180037, 1, 0.71275264, 0.840034604, -0.0788305923, 1.76262355, 0.237246156};
// Swish0: shape {5}
const std::vector<double> kSwish0 = {-0.435806453, 0.281088263, -0.377540678, 0.444499969, -0.30550006};

// ---------------------------------------------------------------------------
// Attention

TEST(AttentionKernelsTest, GroupedQueryThreeDimWithCacheSoftcapAndProbabilities) {
  std::vector<Tensor> out = RunOk({"Attention",
                                   {Ramp({1, 3, 8}, 1), Ramp({1, 3, 4}, 2), Ramp({1, 3, 6}, 3), std::nullopt,
                                    Ramp({1, 2, 2, 2}, 4), Ramp({1, 2, 2, 3}, 5)},
                                   {{"q_num_heads", int64_t{4}},
                                    {"kv_num_heads", int64_t{2}},
                                    {"softcap", 2.0f},
                                    {"qk_matmul_output_mode", int64_t{3}}},
                                   4});
  ExpectTensor(out[0], DType::kFloat32, {1, 3, 12}, kGqa3dPast0);
  ExpectTensor(out[1], DType::kFloat32, {1, 2, 5, 2}, kGqa3dPast1);
  ExpectTensor(out[2], DType::kFloat32, {1, 2, 5, 3}, kGqa3dPast2);
  ExpectTensor(out[3], DType::kFloat32, {1, 4, 3, 5}, kGqa3dPast3);
}

TEST(AttentionKernelsTest, ShortBooleanMaskIsPaddedAndFullyMaskedRowsAreZero) {
  Tensor mask = Tensor::FromVector<bool>({2, 3}, {true, false, true, false, false, false});
  std::vector<Tensor> out = RunOk({"Attention",
                                   {Ramp({1, 2, 2, 3}, 1), Ramp({1, 2, 4, 3}, 2), Ramp({1, 2, 4, 2}, 3), mask},
                                   {{"qk_matmul_output_mode", int64_t{2}}, {"scale", 0.5f}},
                                   4});
  ExpectTensor(out[0], DType::kFloat32, {1, 2, 2, 2}, kBoolMaskPadded0);
  ExpectTensor(out[3], DType::kFloat32, {1, 2, 2, 4}, kBoolMaskPadded3);
}

TEST(AttentionKernelsTest, NonpadKvSeqlenShiftsTheCausalFrontierPerBatch) {
  std::vector<Tensor> out =
      RunOk({"Attention",
             {Ramp({2, 1, 2, 2}, 1), Ramp({2, 1, 4, 2}, 2), Ramp({2, 1, 4, 2}, 3), std::nullopt, std::nullopt,
              std::nullopt, Tensor::FromVector<int64_t>({2}, {3, 1})},
             {{"is_causal", int64_t{1}}},
             1,
             24});
  ExpectTensor(out[0], DType::kFloat32, {2, 1, 2, 2}, kNonpadCausal0);
}

TEST(AttentionKernelsTest, SlidingWindowComposesWithFloatMask) {
  std::vector<Tensor> out = RunOk({"Attention",
                                   {Ramp({1, 2, 3, 2}, 1), Ramp({1, 2, 5, 2}, 2), Ramp({1, 2, 5, 2}, 3),
                                    Ramp({2, 3, 5}, 4)},
                                   {{"left_window_size", int64_t{1}}, {"right_window_size", int64_t{1}}},
                                   1,
                                   25});
  ExpectTensor(out[0], DType::kFloat32, {1, 2, 3, 2}, kWindowFloatMask0);
}

TEST(AttentionKernelsTest, HalfPrecisionAndDoubleMatchFloat) {
  // The same causal 4-D problem in f16 (inputs exact in f16) and f64 agrees
  // with the f32 result within each type's precision.
  auto run = [](DType dtype) {
    return RunOk({"Attention",
                  {Ramp({1, 2, 3, 4}, 1, dtype), Ramp({1, 2, 3, 4}, 2, dtype), Ramp({1, 2, 3, 4}, 3, dtype)},
                  {{"is_causal", int64_t{1}}}})[0];
  };
  Tensor f32 = run(DType::kFloat32);
  Tensor f16 = run(DType::kFloat16);
  Tensor f64 = run(DType::kFloat64);
  std::vector<double> want;
  for (int64_t i = 0; i < f32.num_elements(); ++i) want.push_back(f32.GetAsDouble(i));
  ExpectTensor(f16, DType::kFloat16, {1, 2, 3, 4}, want, 2e-3);
  ExpectTensor(f64, DType::kFloat64, {1, 2, 3, 4}, want, 1e-6);
  // Causal row 0 attends only key 0, so it is exactly V's first row.
  for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(f32.GetAsDouble(c), Ramp({1, 2, 3, 4}, 3).GetAsDouble(c));
}

TEST(AttentionKernelsTest, RejectsInconsistentInputs) {
  absl::StatusOr<std::vector<Tensor>> bad_heads = RunNode(
      {"Attention", {Ramp({1, 3, 6}, 1), Ramp({1, 3, 6}, 2), Ramp({1, 3, 6}, 3)}, {{"q_num_heads", int64_t{4}}, {"kv_num_heads", int64_t{2}}}});
  ASSERT_FALSE(bad_heads.ok());
  EXPECT_THAT(bad_heads.status().message(), HasSubstr("'n' (Attention)"));
  absl::StatusOr<std::vector<Tensor>> bad_mask = RunNode(
      {"Attention", {Ramp({1, 2, 2, 3}, 1), Ramp({1, 2, 4, 3}, 2), Ramp({1, 2, 4, 2}, 3), Ramp({3, 2, 4}, 4)}});
  ASSERT_FALSE(bad_mask.ok());
  EXPECT_THAT(bad_mask.status().message(), HasSubstr("attn_mask"));
}

// ---------------------------------------------------------------------------
// RMSNormalization, RotaryEmbedding, Swish

TEST(AttentionKernelsTest, RmsNormalizationOverTrailingAxes) {
  std::vector<Tensor> out =
      RunOk({"RMSNormalization", {Ramp({2, 3, 4}, 1), Ramp({3, 4}, 2)}, {{"axis", int64_t{1}}, {"epsilon", 1e-3f}}});
  ExpectTensor(out[0], DType::kFloat32, {2, 3, 4}, kRmsAxis10);
  // In bf16 the result is the f32 one to bf16 precision.
  std::vector<Tensor> half = RunOk({"RMSNormalization", {Ramp({2, 3, 4}, 1, DType::kBFloat16), Ramp({3, 4}, 2, DType::kBFloat16)},
                                    {{"axis", int64_t{1}}, {"epsilon", 1e-3f}}});
  ExpectTensor(half[0], DType::kBFloat16, {2, 3, 4}, kRmsAxis10, 1e-2);
}

TEST(AttentionKernelsTest, RotaryEmbeddingInterleavedPartialWithPositionIds) {
  std::vector<float> cos_values, sin_values;
  for (int i = 0; i < 8; ++i) {
    cos_values.push_back(static_cast<float>(std::cos(i * 0.3)));
    sin_values.push_back(static_cast<float>(std::sin(i * 0.3)));
  }
  std::vector<Tensor> out = RunOk({"RotaryEmbedding",
                                   {Ramp({1, 2, 12}, 1), Tensor::FromVector<float>({4, 2}, cos_values),
                                    Tensor::FromVector<float>({4, 2}, sin_values),
                                    Tensor::FromVector<int64_t>({1, 2}, {3, 1})},
                                   {{"num_heads", int64_t{2}}, {"interleaved", int64_t{1}}, {"rotary_embedding_dim", int64_t{4}}}});
  ExpectTensor(out[0], DType::kFloat32, {1, 2, 12}, kRopeInterleavedPartial0);
  absl::StatusOr<std::vector<Tensor>> out_of_range =
      RunNode({"RotaryEmbedding",
               {Ramp({1, 2, 12}, 1), Tensor::FromVector<float>({4, 2}, cos_values),
                Tensor::FromVector<float>({4, 2}, sin_values), Tensor::FromVector<int64_t>({1, 2}, {4, 1})},
               {{"num_heads", int64_t{2}}, {"rotary_embedding_dim", int64_t{4}}}});
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_THAT(out_of_range.status().message(), HasSubstr("position id 4"));
}

TEST(AttentionKernelsTest, RotaryEmbeddingFourDimWithoutPositionIds) {
  Tensor angles = Ramp({1, 3, 2}, 5);
  Tensor cos_cache = Tensor::Zeros(DType::kFloat32, {1, 3, 2});
  Tensor sin_cache = Tensor::Zeros(DType::kFloat32, {1, 3, 2});
  for (int64_t i = 0; i < 6; ++i) {
    cos_cache.SetFromDouble(i, std::cos(static_cast<float>(angles.GetAsDouble(i))));
    sin_cache.SetFromDouble(i, std::sin(static_cast<float>(angles.GetAsDouble(i))));
  }
  std::vector<Tensor> out = RunOk({"RotaryEmbedding", {Ramp({1, 2, 3, 4}, 1), cos_cache, sin_cache}});
  ExpectTensor(out[0], DType::kFloat32, {1, 2, 3, 4}, kRopeNoPositions0);
}

TEST(AttentionKernelsTest, SwishWithAlpha) {
  std::vector<Tensor> out = RunOk({"Swish", {Ramp({5}, 1)}, {{"alpha", 0.5f}}, 1, 24});
  ExpectTensor(out[0], DType::kFloat32, {5}, kSwish0);
}

}  // namespace
}  // namespace gsopt::backend::cpu
