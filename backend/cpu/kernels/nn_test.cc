// Tests for the nn kernels. Each case runs one node through shape inference
// and the CpuExecutor, checks that the kernel's outputs have exactly the
// inferred dtype and shape, and compares values with references computed
// independently: literal outputs of onnxruntime 1.31 / numpy for inputs made
// by Ramp() (the generator script is described in the block below), and,
// for the attribute grids of Conv / ConvTranspose / MatMul, direct loop
// implementations of the ONNX definitions written here in the test.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/executor.h"
#include "backend/cpu/kernel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::backend::cpu {
namespace {

using ::testing::HasSubstr;
using ir::DType;
using ir::Tensor;

// Deterministic inputs: v_i = (((7 i + seed) mod 13) - 6) / 4, exact in every float type.
Tensor Ramp(std::vector<int64_t> dims, int seed, DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Zeros(dtype, std::move(dims));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetFromDouble(i, static_cast<double>(((i * 7 + seed) % 13) - 6) / 4.0);
  return t;
}

Tensor Floats(std::vector<int64_t> dims, std::vector<float> values) { return Tensor::FromVector(std::move(dims), values); }

// ---------------------------------------------------------------------------
// Reference outputs, computed with onnxruntime 1.31 (CPU provider) or, where
// noted by the generator, onnx.reference 1.23 / numpy, for Ramp() inputs.
// Generator: builds the single-node model with onnx.helper and runs it.
// MaxPoolCeil: shape {1, 2, 3, 3}
const std::vector<double> kMaxPoolCeil = {0.75, 1, 1.25, 1.5, 0.75, 0.25, 1, 1.25, 1.5, 0.75, 1, 0.5, 1.25, 1.5, 0.75, 1, 1.25, -0.25};
// MaxPoolCeilIndices: shape {1, 2, 3, 3}
const std::vector<double> kMaxPoolCeilIndices = {5, 7, 9, 11, 18, 14, 20, 22, 24, 31, 33, 29, 35, 37, 44, 46, 48, 49};
// MaxPoolColumnMajor: shape {1, 2, 4, 5}
const std::vector<double> kMaxPoolColumnMajor = {0.75, 1, 1, 1.25, 1.25, 1.5, 1.5, 0.5, 0.5, 0.25, 0.75, 1, 1, 1.25, 1.25, 1.5, 1.5, 1.25, 1.5, 1.5, 0.75, 0.75, 1, 1, -0.5, 1.25, 1.5, 1.5, 0.5, 0.5, 0.75, 0.75, 1, 1, 0.75, 1.25, 1.5, 1.5, 1.25, -0.25};
// MaxPoolColumnMajorIndices: shape {1, 2, 4, 5}
const std::vector<double> kMaxPoolColumnMajorIndices = {1, 11, 11, 21, 21, 7, 7, 15, 15, 22, 1, 11, 11, 21, 21, 7, 7, 14, 24, 24, 31, 31, 41, 41, 46, 27, 37, 37, 45, 45, 31, 31, 41, 41, 48, 27, 37, 37, 44, 49};
// MaxPoolU8Input: shape {1, 2, 7}
const std::vector<double> kMaxPoolU8Input = {0, 37, 74, 111, 148, 185, 222, 8, 45, 82, 119, 156, 193, 230};
// MaxPoolU8: shape {1, 2, 4}
const std::vector<double> kMaxPoolU8 = {37, 111, 185, 222, 45, 119, 193, 230};
// AvgPoolIncludePadCeil: shape {1, 2, 3, 3}
const std::vector<double> kAvgPoolIncludePadCeil = {-0.138888896, -0.0833333358, 0.027777778, 0.055555556, 0, -0.055555556, -0.027777778, 0.0833333358, 0.138888896, -0.194444448, -0.166666672, -0.027777778, -0.027777778, 0.055555556, -0.138888896, -0.0833333358, 0, 0.0833333358};
// AvgPoolExcludePadCeil: shape {1, 2, 3, 3}
const std::vector<double> kAvgPoolExcludePadCeil = {-0.3125, -0.125, 0.0625, 0.0833333358, 0, -0.0833333358, -0.0625, 0.125, 0.3125, -0.4375, -0.25, -0.0625, -0.0416666679, 0.055555556, -0.208333328, -0.1875, 0, 0.1875};
// AvgPoolSameLower: shape {1, 2, 5, 5}
const std::vector<double> kAvgPoolSameLower = {-0.625, -0.833333313, -0.166666672, -0.583333313, -0.25, -0.3125, -0.25, -0.125, 0, 0.0625, 0.3125, 0.375, -0.0416666679, 0.0833333358, -0.125, 0.125, -0.0833333358, 0.0416666679, -0.375, -0.3125, -0.0625, 0, 0.125, 0.25, 0.3125, -0.75, -0.416666657, -0.833333313, -0.166666672, -0.375, -0.4375, -0.375, -0.25, -0.125, -0.0625, 0.1875, 0.25, 0.375, -0.0416666679, -0.25, 0, 0.333333343, -0.0833333358, 0.0416666679, -0.4375, -0.1875, -0.125, 0, 0.125, 0.1875};
// AvgPool3d: shape {1, 1, 3, 2, 3}
const std::vector<double> kAvgPool3d = {-0.125, 0, -0.15625, 0.28125, -0.28125, 0.15625, -0.09375, 0.03125, 0.0625, -0.0625, -0.21875, 0.1875, 0.0625, 0.125, 0.1875, -0.21875, -0.09375, 0};
// LpPool: shape {1, 2, 5, 3}
const std::vector<double> kLpPool = {1.61781836, 1.47409213, 1.43469834, 1.61781836, 1.65096366, 1.25332451, 1.76182473, 1.68649912, 0.759147227, 1.47409213, 1.50231123, 1.56006289, 1.04004192, 1.25332451, 1.5, 1.68649912, 1.50231123, 0.629960537, 1.50231123, 1.68649912, 1.51829445, 1.57908988, 1.65096366, 1.56006289, 1.50231123, 1.47409213, 0.759147227, 1.12448537, 1.27611721, 0.25};
// GlobalLpPool: shape {1, 2, 1, 1}
const std::vector<double> kGlobalLpPool = {21, 19.5};
// BatchNormInference: shape {2, 3, 2, 2}
const std::vector<double> kBatchNormInference = {-0.524687707, 0.349875093, -0.399750203, 0.474812657, -1.61280143, 0.85960114, -1.25960112, 1.21280158, 0.653465033, 3.12772036, 1.00693011, -1.11386013, 0.224937558, -0.524687707, 0.349875093, -0.399750203, 0.506400704, -1.61280143, 0.85960114, -1.25960112, 2.77425528, 0.653465033, 3.12772036, 1.00693011};
// BatchNormTrainingY: shape {2, 3, 2, 2}
const std::vector<double> kBatchNormTrainingY = {-0.466532499, 0.590994835, -0.315457165, 0.742070138, -1.33306503, 0.781989634, -1.03091431, 1.08414018, -0.775161564, 2.76654696, -0.269203126, -3.30495334, 0.439919472, -0.466532499, 0.590994835, -0.315457165, 0.479838967, -1.33306503, 0.781989634, -1.03091431, 2.26058865, -0.775161564, 2.76654696, -0.269203126};
// BatchNormTrainingMean: shape {3}
const std::vector<double> kBatchNormTrainingMean = {-0.0624999963, 0.237499997, -0.34375};
// BatchNormTrainingVar: shape {3}
const std::vector<double> kBatchNormTrainingVar = {0.936718762, 0.536718726, 1.79511714};
// InstanceNorm: shape {2, 3, 2, 2}
const std::vector<double> kInstanceNorm = {-0.465323776, 0.523992836, -0.323992819, 0.665323734, -1.33064747, 0.647985637, -1.04798567, 0.930647552, -0.0515715778, 3.22976327, 0.417190552, -2.39538217, 0.510642469, -0.474899471, 0.674899459, -0.310642481, 0.621284962, -1.34979892, 0.949798942, -1.02128494, 1.94256997, -1.99959779, 2.59959793, -1.34256983};
// LayerNormY: shape {2, 3, 4}
const std::vector<double> kLayerNormY = {0.248925686, -0.266194463, 0.25, -2.87342834, -0.119051412, -3.17754269, 0.141771451, -2.85178256, 0.0324685685, -0.363600165, 0.553039968, -0.622274399, -0.110099398, -3.34271622, 0.25, 0.175497502, 0.24917233, -0.659767747, 0.887417555, -0.855960011, 1.16473579, -1.41307938, -1.53476918, -1.33112586};
// LayerNormMean: shape {2, 1, 1}
const std::vector<double> kLayerNormMean = {-0.0416666679, 0.104166664};
// LayerNormInvStd: shape {2, 1, 1}
const std::vector<double> kLayerNormInvStd = {1.03899419, 1.1125834};
// SkipLnY: shape {2, 3, 4}
const std::vector<double> kSkipLnY = {1.25724542, 0.528981805, 2.6219759, -0.0785030276, 1.61649561, 0.363093913, 2.40079188, 0.160997093, 2.17996359, 0.29578948, 1.3597641, 0.0609982014, 1.61649561, 0.363093913, 2.40079188, 0.160997093, 2.17996359, 0.29578948, 1.3597641, 0.0609982014, 1.84624243, -0.350663126, -0.276554942, -0.548673809};
// SkipLnSum: shape {2, 3, 4}
const std::vector<double> kSkipLnSum = {1.25, 0, 2, 0.75, 2.25, -2.25, 3, -1.5, 3.25, -1.25, 0.75, -0.5, 2.75, -1.75, 3.5, -1, 3.75, -0.75, 1.25, 0, 1.5, 0.25, -1, 1};
// GroupNorm18: shape {2, 4, 3}
const std::vector<double> kGroupNorm18 = {1.20701361, -1.66402721, 1.68552053, -1.18552053, 2.16402721, -0.707013607, 0.430995464, 1.38800907, 0.271493167, 1.2285068, 0.111990929, 1.06900454, -1.6166172, 1.28700948, -1.20181346, 1.70181346, -0.787009478, 2.1166172, 1.37220573, 0.404330164, 1.23393774, 0.2660622, 1.09566987, 0.127794266};
// GroupNorm21: shape {2, 4, 3}
const std::vector<double> kGroupNorm21 = {1.20701361, -1.66402721, 1.68552053, 1.2285068, 0.111990929, 1.06900454, 1.27601814, -2.55203629, 1.91402733, -1.95701361, 0.276018143, -1.63800907, -1.6166172, 1.28700948, -1.20181346, 0.2660622, 1.09566987, 0.127794266, -2.48882294, 1.38267934, -1.9357512, -0.0321244001, -1.69133973, 0.244411469};
// Softmax11Axis1: shape {2, 3, 4}
const std::vector<double> kSoftmax11Axis1 = {0.239707738, 0.0534860268, 0.0119343456, 0.0686774179, 0.0153240021, 0.088183552, 0.0196764097, 0.113229915, 0.0252650101, 0.145390093, 0.0324409157, 0.186684579, 0.0487209372, 0.280369639, 0.0625589266, 0.013958782, 0.0803272501, 0.0179234315, 0.103142232, 0.0230141412, 0.132437244, 0.0295507442, 0.170052782, 0.0379439034};
// Softmax13Axis1: shape {2, 3, 4}
const std::vector<double> kSoftmax13Axis1 = {0.855192661, 0.186323732, 0.186323732, 0.186323732, 0.0546706356, 0.307195902, 0.307195902, 0.307195902, 0.0901366472, 0.506480396, 0.506480396, 0.506480396, 0.186323732, 0.855192661, 0.186323732, 0.186323732, 0.307195902, 0.0546706356, 0.307195902, 0.307195902, 0.506480396, 0.0901366472, 0.506480396, 0.506480396};
// LogSoftmax13: shape {2, 3, 4}
const std::vector<double> kLogSoftmax13 = {-0.444315314, -1.94431531, -3.44431543, -1.69431531, -2.73616362, -0.986163676, -2.48616362, -0.736163676, -2.73616362, -0.986163676, -2.48616362, -0.736163676, -2.11927915, -0.369279057, -1.86927903, -3.36927915, -1.02735281, -2.52735281, -0.77735275, -2.27735281, -1.02735281, -2.52735281, -0.77735275, -2.27735281};
// Hardmax11Axis0: shape {2, 3, 4}
const std::vector<double> kHardmax11Axis0 = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
// Hardmax13Axis1: shape {2, 3, 4}
const std::vector<double> kHardmax13Axis1 = {1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1};
// Lrn: shape {1, 5, 2, 2}
const std::vector<double> kLrn = {-0.587549984, 0.780674577, -0.391895711, 0.975117326, -0.195833698, 1.16859651, 0, -1.16859651, 0.195833698, -0.974392831, 0.391374409, -0.780416369, 0.58633101, -0.58633101, 0.780416369, -0.391374409, 0.977299333, -0.19585, 1.17101192, 0};
// LrnEven: shape {1, 5, 2, 2}
const std::vector<double> kLrnEven = {-0.749990332, 0.999909775, -0.499995313, 1.24988722, -0.249994141, 1.49984885, 0, -1.49985763, 0.249989454, -1.24989601, 0.49996719, -0.99993438, 0.74996924, -0.74996924, 0.99993438, -0.499988282, 1.2499502, -0.24999707, 1.4999086, 0};
// LpNormP1: shape {2, 3, 4}
const std::vector<double> kLpNormP1 = {0.428571433, 0, -0.5, 0.111111112, -0.357142866, 0.333333343, -0.333333343, 0.333333343, -0.214285716, 0.666666687, -0.166666672, 0.555555582, -0.200000003, 0.428571433, 0, -0.5, 0.200000003, -0.357142866, 0.333333343, -0.333333343, 0.600000024, -0.214285716, 0.666666687, -0.166666672};
// Mvn: shape {2, 3, 2, 2}
const std::vector<double> kMvn = {-1.13389337, 0.98270762, -0.831521809, 1.28507912, -1.13389337, 0.98270762, -0.831521809, 1.28507912, -0.537856162, 1.23390532, -0.284747392, -1.80340016, 0.680336058, -1.13389337, 0.98270762, -0.831521809, 0.680336058, -1.13389337, 0.98270762, -0.831521809, 0.980796576, -0.537856162, 1.23390532, -0.284747392};
// MvnAxis1: shape {2, 3, 2, 2}
const std::vector<double> kMvnAxis1 = {-1.2247448, -1.2247448, -1.2247448, 0.487713128, 0, 0, 0, 0.905753016, 1.2247448, 1.2247448, 1.2247448, -1.39346611, -1.2247448, -1.2247448, -1.2247448, -1.2247448, 0, 0, 0, 0, 1.2247448, 1.2247448, 1.2247448, 1.2247448};
// ConvGrouped: shape {1, 6, 2, 5}
const std::vector<double> kConvGrouped = {-0.4375, 0.1875, -0.8125, -4.25, -0.0625, 2.0625, -2.0625, 1.125, -4.625, -2.5, -0.625, 4.75, -0.4375, 6.5625, -0.6875, -0.375, -3.0625, 4.8125, 0.5, 7.4375, -0.8125, 3.625, -0.875, 0.3125, 0.3125, 4.5, -2.4375, 4.4375, -4.125, -2.9375, 2.625, 1.25, 3.125, 0.125, 5.3125, -2.9375, 2.9375, 0.6875, 3.3125, 0.0625, 2.25, -3.3125, 2.5, 1, -2.3125, -2, 3.6875, -3.625, 3.6875, 0.3125, 1.875, 2.6875, 1.875, 1.875, 4.6875, -2.6875, 2.8125, 1, 2.4375, 0.5625};
// ConvTransposeGrouped: shape {1, 6, 6, 7}
const std::vector<double> kConvTransposeGrouped = {1.0625, 0.25, -0.125, -2.625, 1.125, 1.5, 0.25, -0.5, 0.25, 0.8125, 1, -0.3125, 1.9375, 0.25, 1, 0.25, -0.125, 1.375, 1.1875, -0.125, 0.25, -0.75, 0.25, 0.625, 0.75, -0.4375, 1.75, 0.25, 0.9375, 0.25, -0.125, 1.3125, 1.25, -0.125, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, -1.875, -1.25, -1.4375, -0.5, -1.8125, 0.375, -1.25, -1.4375, -1.25, -0.125, -2.1875, -1.25, -1.25, -1.25, -2.375, -1.25, -1.0625, 0.625, -2.1875, -3.3125, -1.25, -1.3125, -1.25, 0.0625, -2.0625, -1, -1.0625, -1.25, -2.875, -1.25, -0.6875, 0.125, -2.5625, -2.9375, -1.25, -1.25, -1.25, -1.25, -1.25, -1.25, -1.25, -1.25, 0.0625, 0.5, 1.3125, 1.625, 0.125, -2.375, 0.5, 0.875, 0.5, -0.25, -2.125, 1.0625, 1.25, 0.5, -0.0625, 0.5, 1.25, 0.6875, 0.125, 1.625, 0.5, 1.375, 0.5, -0.5, -1.625, 0.875, 1, 0.5, -0.1875, 0.5, 1.1875, 0.5625, 0.125, 1.5625, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, -1, -3.8125, -1.5, 0.25, -0.25, -1, 0.625, -1, -0.125, -0.8125, 0.75, -1.9375, -1, 0, -1, -4, -1.75, 0.125, -0.4375, -1, -3.0625, -1, 0.3125, -0.4375, -3.625, -2.3125, -1, -0.25, -1, 0.6875, -2, -0.8125, -0.625, -1, -1, -1, -1, -1, -1, -1, -1, 2, 0.75, -2.0625, 0.4375, 2, 1.6875, 0.75, -2.125, 0.75, 2, 1.5, -2, 0.375, 0.75, 2.125, 0.75, -1.875, 0.5625, 2.25, 1.875, 0.75, 1.875, 0.75, 0.375, 1.4375, 1.3125, 0.375, 0.75, -0.1875, 0.75, 0.75, 0.6875, -0.75, 2.0625, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.5, -0.75, 0.5, -0.875, -3.5625, -1.25, -0.75, 0, -0.75, 0.875, -1.875, 0.125, -0.5625, -0.75, 1, -0.75, 0.25, -0.375, -3.75, -1.5, -0.75, 1.125, -0.75, -2.8125, -2.375, 0.5625, -0.1875, -0.75, -3.375, -0.75, 0, 0.125, 0.9375, -1.75, -0.75, -0.75, -0.75, -0.75, -0.75, -0.75, -0.75, -0.75};
// ConvTransposeOutputShape: shape {1, 6, 7, 5}
const std::vector<double> kConvTransposeOutputShape = {-0.5, 0.75, 0.5625, -3, 1.125, 0.8125, -0.375, -2, 1.25, -2.75, -0.75, 0.5625, 0.1875, 1.6875, 0.1875, 0.75, -0.375, 2.0625, -0.375, 0.5625, -1, 0.375, -0.1875, 1.5, 0.0625, 0.6875, -0.375, 2.0625, -0.375, 0.625, 0, 0, 0, 0, 0, -0.3125, 0.9375, 1.125, -2.625, 1.5, -0.625, -0.1875, 0.1875, 1.625, 0.875, -0.1875, 1.125, -0.9375, 0, -1.5, -1.125, 0.1875, 0.9375, -2.0625, 1.3125, -0.0625, 1.3125, -0.5625, 0.1875, -1.25, -1.625, 0.5625, 0.0625, -1.6875, 0.9375, 0, 0, 0, 0, 0, -0.125, -0.5, 2.5, 1, -3, -0.4375, 0.8125, 0.75, -2.875, 1.25, 0.375, -0.75, -2.0625, 0.75, 1.6875, -0.5625, 0.75, -0.1875, 1.125, -0.375, 0.875, -1, -1.75, 0.5, 1.5, -0.6875, 0.6875, -0.3125, 1.0625, -0.375, 0, 0, 0, 0, 0, 1.25, 1.25, 1.0625, -0.5625, -0.125, 1.25, -2.8125, 0.75, 0.75, -0.4375, 1.625, 0.875, 1.9375, -0.9375, 0.375, 1, -3, 0.375, 0.5625, -0.5625, -2.0625, 1.3125, -2.0625, -1.3125, 0.875, 0.75, 1.6875, -0.8125, 0.375, -0.6875, 0, 0, 0, 0, 0, -2.8125, 1.25, -2, -0.375, 0.875, 1.25, -2.8125, 0.9375, 0.9375, -0.25, -2.875, 1.25, -2, -0.375, 0.9375, 1.375, -2.625, 1.3125, 1.125, 0, 1.125, -0.375, 1.25, -0.375, 1, -0.9375, 0, -1.5625, 1.3125, 0.25, 0, 0, 0, 0, 0, 1.25, 1.25, 0.625, -0.1875, -0.5625, 1.25, 1.25, -2.9375, -0.5, 0.75, 0.75, 1.625, -0.25, 0.1875, -0.9375, 1.75, 1, -2.625, -0.75, 0.5625, 1.875, -2.0625, -0.3125, 0.5625, -1.3125, -2.625, 0.75, 2.5625, -1, 0.375, 0, 0, 0, 0, 0};
// ConvTransposeOutputShapePadded: shape {1, 6, 5, 3}
const std::vector<double> kConvTransposeOutputShapePadded = {-0.375, -2, 1.25, 0.5625, 0.1875, 1.6875, -0.375, 2.0625, -0.375, 0.375, -0.1875, 1.5, -0.375, 2.0625, -0.375, -0.1875, 0.1875, 1.625, 1.125, -0.9375, 0, 0.1875, 0.9375, -2.0625, 1.3125, -0.5625, 0.1875, 0.5625, 0.0625, -1.6875, 0.8125, 0.75, -2.875, -0.75, -2.0625, 0.75, 0.75, -0.1875, 1.125, -1, -1.75, 0.5, 0.6875, -0.3125, 1.0625, -2.8125, 0.75, 0.75, 0.875, 1.9375, -0.9375, -3, 0.375, 0.5625, 1.3125, -2.0625, -1.3125, 1.6875, -0.8125, 0.375, -2.8125, 0.9375, 0.9375, 1.25, -2, -0.375, -2.625, 1.3125, 1.125, -0.375, 1.25, -0.375, 0, -1.5625, 1.3125, 1.25, -2.9375, -0.5, 1.625, -0.25, 0.1875, 1, -2.625, -0.75, -2.0625, -0.3125, 0.5625, 0.75, 2.5625, -1};
// ConvTransposeSameUpper: shape {1, 6, 6, 4}
const std::vector<double> kConvTransposeSameUpper = {-0.5, 0.75, 0.5625, -3, 0.8125, -0.375, -2, 1.25, -0.75, 0.5625, 0.1875, 1.6875, 0.75, -0.375, 2.0625, -0.375, -1, 0.375, -0.1875, 1.5, 0.6875, -0.375, 2.0625, -0.375, -0.3125, 0.9375, 1.125, -2.625, -0.625, -0.1875, 0.1875, 1.625, -0.1875, 1.125, -0.9375, 0, -1.125, 0.1875, 0.9375, -2.0625, -0.0625, 1.3125, -0.5625, 0.1875, -1.625, 0.5625, 0.0625, -1.6875, -0.125, -0.5, 2.5, 1, -0.4375, 0.8125, 0.75, -2.875, 0.375, -0.75, -2.0625, 0.75, -0.5625, 0.75, -0.1875, 1.125, 0.875, -1, -1.75, 0.5, -0.6875, 0.6875, -0.3125, 1.0625, 1.25, 1.25, 1.0625, -0.5625, 1.25, -2.8125, 0.75, 0.75, 1.625, 0.875, 1.9375, -0.9375, 1, -3, 0.375, 0.5625, -2.0625, 1.3125, -2.0625, -1.3125, 0.75, 1.6875, -0.8125, 0.375, -2.8125, 1.25, -2, -0.375, 1.25, -2.8125, 0.9375, 0.9375, -2.875, 1.25, -2, -0.375, 1.375, -2.625, 1.3125, 1.125, 1.125, -0.375, 1.25, -0.375, -0.9375, 0, -1.5625, 1.3125, 1.25, 1.25, 0.625, -0.1875, 1.25, 1.25, -2.9375, -0.5, 0.75, 1.625, -0.25, 0.1875, 1.75, 1, -2.625, -0.75, 1.875, -2.0625, -0.3125, 0.5625, -2.625, 0.75, 2.5625, -1};
// ConvTransposeSameLower: shape {1, 6, 6, 4}
const std::vector<double> kConvTransposeSameLower = {0.75, 0.5625, -3, 1.125, -0.375, -2, 1.25, -2.75, 0.5625, 0.1875, 1.6875, 0.1875, -0.375, 2.0625, -0.375, 0.5625, 0.375, -0.1875, 1.5, 0.0625, -0.375, 2.0625, -0.375, 0.625, 0.9375, 1.125, -2.625, 1.5, -0.1875, 0.1875, 1.625, 0.875, 1.125, -0.9375, 0, -1.5, 0.1875, 0.9375, -2.0625, 1.3125, 1.3125, -0.5625, 0.1875, -1.25, 0.5625, 0.0625, -1.6875, 0.9375, -0.5, 2.5, 1, -3, 0.8125, 0.75, -2.875, 1.25, -0.75, -2.0625, 0.75, 1.6875, 0.75, -0.1875, 1.125, -0.375, -1, -1.75, 0.5, 1.5, 0.6875, -0.3125, 1.0625, -0.375, 1.25, 1.0625, -0.5625, -0.125, -2.8125, 0.75, 0.75, -0.4375, 0.875, 1.9375, -0.9375, 0.375, -3, 0.375, 0.5625, -0.5625, 1.3125, -2.0625, -1.3125, 0.875, 1.6875, -0.8125, 0.375, -0.6875, 1.25, -2, -0.375, 0.875, -2.8125, 0.9375, 0.9375, -0.25, 1.25, -2, -0.375, 0.9375, -2.625, 1.3125, 1.125, 0, -0.375, 1.25, -0.375, 1, 0, -1.5625, 1.3125, 0.25, 1.25, 0.625, -0.1875, -0.5625, 1.25, -2.9375, -0.5, 0.75, 1.625, -0.25, 0.1875, -0.9375, 1, -2.625, -0.75, 0.5625, -2.0625, -0.3125, 0.5625, -1.3125, 0.75, 2.5625, -1, 0.375};
// EinsumDiag: shape {2, 3}
const std::vector<double> kEinsumDiag = {-1.25, -0.75, -0.25, 1.5, -1.25, -0.75};
// EinsumTrace: shape {2}
const std::vector<double> kEinsumTrace = {-2.25, -0.5};
// EinsumChain: shape {2, 3}
const std::vector<double> kEinsumChain = {1.09375, -3.5625, 3.765625, 9.46875, -5.34375, 1.984375};
// EinsumEllipsis: shape {2, 5, 3, 2}
const std::vector<double> kEinsumEllipsis = {0.8125, -3.8125, -0.5625, 3.1875, -0.3125, 2.0625, 2.8125, -0.1875, -3.0625, 0.6875, -0.8125, -0.0625, -1.6875, 1.8125, 2.5625, -1.8125, 0.3125, -0.5625, 0.3125, -0.25, 0.0625, -1.0625, -0.1875, -1.0625, 2.3125, -0.6875, -2.4375, 1.3125, -0.6875, 0.0625, -0.0625, 0.9375, -0.625, 3.875, 0.4375, -2.125, 1.4375, -0.8125, -0.375, -0.75, -0.5625, 0.9375, -1.9375, 0.6875, -0.9375, -0.5, 1.6875, -0.0625, -0.4375, -1.0625, -0.6875, 3.8125, 0.6875, -0.25, 1.0625, -1.1875, -0.4375, -0.8125, -0.3125, 1.1875};
// EinsumOuterSum: shape {3, 3}
const std::vector<double> kEinsumOuterSum = {0.125, -0.125, -0.375, 0.0625, -0.0625, -0.1875, 0, 0, 0};
// EinsumInt: shape {2, 3}
const std::vector<double> kEinsumInt = {0, -4, 2, 1, 1, -4};
// GemmTransAB: shape {3, 5}
const std::vector<double> kGemmTransAB = {0.34375, 3.96875, -2.5625, 1.0625, -1.8125, -2.5, 1.25, -0.28125, 3.46875, 0.71875, -1.28125, 1.78125, -0.84375, 2.21875, -1.21875};
// GemmColumnC: shape {3, 2}
const std::vector<double> kGemmColumnC = {1.6875, -0.0625, -1.3125, 0.4375, -0.25, -0.6875};
// MatMulBroadcast: shape {2, 3, 3, 2}
const std::vector<double> kMatMulBroadcast = {1.1875, -0.5625, -0.0625, 1.6875, -0.5, -0.9375, 0.1875, 1.6875, 0.9375, -0.5625, -0.75, -0.375, -3.25, 0.6875, -2.125, 0.4375, 3.875, -0.625, 0.6875, -1.9375, -0.5625, 0.3125, -1.8125, 2.5625, -0.8125, 1.4375, -0.0625, -0.8125, 0.6875, -3.0625, 0.9375, -0.0625, 2.0625, -0.3125, 3.1875, -0.5625};
// MatMulVectorLeft: shape {3, 2}
const std::vector<double> kMatMulVectorLeft = {-0.0625, 1.6875, 0.9375, -0.5625, -2.125, 0.4375};
// MatMulInt32: shape {2, 2}
const std::vector<double> kMatMulInt32 = {1, -2, -2, 4};

// ---------------------------------------------------------------------------
// Harness

struct NodeRun {
  std::string op;
  std::vector<std::optional<Tensor>> inputs;  // nullopt: omitted optional input
  ir::AttributeMap attributes;
  int num_outputs = 1;
  int64_t opset = 17;
  std::string domain;
};

// Runs the node through strict shape inference and the executor; every
// output must have exactly the inferred dtype and (static) shape.
absl::StatusOr<std::vector<Tensor>> RunNode(const NodeRun& r) {
  ir::Graph graph;
  graph.mutable_metadata().opset_imports = {{"", r.opset}, {"com.microsoft", 1}};
  std::vector<ir::ValueId> inputs;
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    if (!r.inputs[i].has_value()) {
      inputs.push_back(ir::kNoValue);
      continue;
    }
    inputs.push_back(graph.AddInput(absl::StrCat("in", i), r.inputs[i]->type()));
    feeds.push_back(*r.inputs[i]);
  }
  std::vector<std::string> names;
  for (int i = 0; i < r.num_outputs; ++i) names.push_back(absl::StrCat("out", i));
  ir::NodeId node = graph.AddNode(r.op, inputs, names, r.attributes, "n", r.domain);
  for (ir::ValueId out : graph.node(node).outputs) graph.AddOutput(out);
  if (absl::Status s = ir::InferShapes(graph); !s.ok()) return s;
  absl::StatusOr<CpuExecutor> exec = CpuExecutor::Create(graph);
  if (!exec.ok()) return exec.status();
  absl::StatusOr<std::vector<Tensor>> outs = exec->Run(feeds);
  if (!outs.ok()) return outs.status();
  for (size_t i = 0; i < outs->size(); ++i) {
    const ir::TensorType& inferred = graph.value(graph.outputs()[i]).type;
    EXPECT_EQ(inferred, (*outs)[i].type()) << r.op << " output " << i << ": inferred " << inferred.ToString()
                                           << ", kernel produced " << (*outs)[i].type().ToString();
  }
  return outs;
}

std::vector<Tensor> RunOk(const NodeRun& r) {
  absl::StatusOr<std::vector<Tensor>> outs = RunNode(r);
  EXPECT_TRUE(outs.ok()) << outs.status();
  return outs.ok() ? *outs : std::vector<Tensor>(static_cast<size_t>(r.num_outputs));
}

// Runs only the kernel (no shape inference), for inputs inference would reject.
absl::Status RunKernelOnly(const NodeRun& r) {
  ir::Node node;
  node.name = "n";
  node.op_type = r.op;
  node.domain = r.domain;
  node.attributes = r.attributes;
  std::vector<const Tensor*> inputs;
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    node.inputs.push_back(r.inputs[i].has_value() ? static_cast<ir::ValueId>(i) : ir::kNoValue);
    inputs.push_back(r.inputs[i].has_value() ? &*r.inputs[i] : nullptr);
  }
  for (int i = 0; i < r.num_outputs; ++i) node.outputs.push_back(100 + i);
  std::vector<Tensor> outputs(static_cast<size_t>(r.num_outputs));
  KernelContext ctx(node, r.opset, inputs, &outputs);
  const KernelFn* kernel = KernelRegistry::Global().Find(r.domain, r.op);
  if (kernel == nullptr) return absl::NotFoundError("no kernel");
  return (*kernel)(ctx);
}

void ExpectValues(const Tensor& t, const std::vector<int64_t>& dims, const std::vector<double>& expected,
                  double tolerance = 1e-5) {
  ASSERT_EQ(t.dims(), dims);
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(expected.size()));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    double e = expected[static_cast<size_t>(i)];
    EXPECT_NEAR(t.GetAsDouble(i), e, tolerance * std::max(1.0, std::abs(e))) << "element " << i;
  }
}

using Ints = std::vector<int64_t>;

// ---------------------------------------------------------------------------
// Direct-loop references of the ONNX definitions (independent of im2col/GEMM).

int64_t Prod(const Ints& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// Row-major multi-index of flat index `flat` over `dims`.
Ints Unravel(int64_t flat, const Ints& dims) {
  Ints index(dims.size());
  for (size_t i = dims.size(); i-- > 0;) {
    index[i] = flat % dims[i];
    flat /= dims[i];
  }
  return index;
}

// y[n, m, o] = b[m] + sum_{c, k} x[n, g*Cg + c, o*s - p + k*d] * w[m, c, k].
std::vector<double> ReferenceConv(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group,
                                  const Ints& strides, const Ints& dilations, const Ints& pad_begin,
                                  const Ints& out_spatial) {
  const int64_t batch = x.dim(0), channels = x.dim(1), out_channels = w.dim(0);
  const int64_t cg = channels / group, mg = out_channels / group;
  const Ints in_spatial(x.dims().begin() + 2, x.dims().end());
  const Ints kernel(w.dims().begin() + 2, w.dims().end());
  const int64_t in_size = Prod(in_spatial), out_size = Prod(out_spatial), kernel_size = Prod(kernel);
  std::vector<double> y;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      int64_t g = m / mg;
      for (int64_t o = 0; o < out_size; ++o) {
        Ints opos = Unravel(o, out_spatial);
        double acc = b != nullptr ? b->GetAsDouble(m) : 0.0;
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t kk = 0; kk < kernel_size; ++kk) {
            Ints kpos = Unravel(kk, kernel);
            bool inside = true;
            int64_t xi = 0;
            for (size_t s = 0; s < opos.size(); ++s) {
              int64_t ip = opos[s] * strides[s] - pad_begin[s] + kpos[s] * dilations[s];
              inside &= ip >= 0 && ip < in_spatial[s];
              xi = xi * in_spatial[s] + ip;
            }
            if (!inside) continue;
            acc += x.GetAsDouble((n * channels + g * cg + c) * in_size + xi) * w.GetAsDouble((m * cg + c) * kernel_size + kk);
          }
        }
        y.push_back(acc);
      }
    }
  }
  return y;
}

// Scatter form: y[n, g*Mg + m, i*s - p + k*d] += x[n, c, i] * w[c, m, k].
std::vector<double> ReferenceConvTranspose(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group,
                                           const Ints& strides, const Ints& dilations, const Ints& pad_begin,
                                           const Ints& out_spatial) {
  const int64_t batch = x.dim(0), channels = x.dim(1), mg = w.dim(1), cg = channels / group;
  const int64_t out_channels = mg * group;
  const Ints in_spatial(x.dims().begin() + 2, x.dims().end());
  const Ints kernel(w.dims().begin() + 2, w.dims().end());
  const int64_t in_size = Prod(in_spatial), out_size = Prod(out_spatial), kernel_size = Prod(kernel);
  std::vector<double> y(static_cast<size_t>(batch * out_channels * out_size), 0.0);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      int64_t g = c / cg;
      for (int64_t i = 0; i < in_size; ++i) {
        Ints ipos = Unravel(i, in_spatial);
        for (int64_t m = 0; m < mg; ++m) {
          for (int64_t kk = 0; kk < kernel_size; ++kk) {
            Ints kpos = Unravel(kk, kernel);
            bool inside = true;
            int64_t yi = 0;
            for (size_t s = 0; s < ipos.size(); ++s) {
              int64_t op = ipos[s] * strides[s] - pad_begin[s] + kpos[s] * dilations[s];
              inside &= op >= 0 && op < out_spatial[s];
              yi = yi * out_spatial[s] + op;
            }
            if (!inside) continue;
            y[static_cast<size_t>((n * out_channels + g * mg + m) * out_size + yi)] +=
                x.GetAsDouble((n * channels + c) * in_size + i) * w.GetAsDouble((c * mg + m) * kernel_size + kk);
          }
        }
      }
    }
  }
  if (b != nullptr) {
    for (size_t e = 0; e < y.size(); ++e) y[e] += b->GetAsDouble(static_cast<int64_t>(e / out_size) % out_channels);
  }
  return y;
}

// ---------------------------------------------------------------------------
// MatMul / Gemm

TEST(NnKernelsTest, MatMulSmallLiteral) {
  // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] = [[4,5],[10,11]].
  std::vector<Tensor> y = RunOk({"MatMul", {Floats({2, 3}, {1, 2, 3, 4, 5, 6}), Floats({3, 2}, {1, 0, 0, 1, 1, 1})}});
  ExpectValues(y[0], {2, 2}, {4, 5, 10, 11});
}

TEST(NnKernelsTest, MatMulBroadcastsBatchAndVectors) {
  ExpectValues(RunOk({"MatMul", {Ramp({2, 1, 3, 4}, 1), Ramp({3, 4, 2}, 2)}})[0], {2, 3, 3, 2}, kMatMulBroadcast);
  ExpectValues(RunOk({"MatMul", {Ramp({4}, 3), Ramp({3, 4, 2}, 2)}})[0], {3, 2}, kMatMulVectorLeft);
  // Vector . vector is a scalar: sum of squares of Ramp({4}, 0) = 2.25 + 0.0625 + 1.5625 + 0.25.
  ExpectValues(RunOk({"MatMul", {Ramp({4}, 0), Ramp({4}, 0)}})[0], {}, {4.125});
}

TEST(NnKernelsTest, MatMulTallStackMatchesLoops) {
  // A stack of matrices times one matrix takes the single-GEMM path.
  Tensor a = Ramp({2, 3, 17, 33}, 4);
  Tensor b = Ramp({33, 9}, 5);
  std::vector<double> expected;
  for (int64_t batch = 0; batch < 6; ++batch) {
    for (int64_t i = 0; i < 17; ++i) {
      for (int64_t j = 0; j < 9; ++j) {
        double sum = 0;
        for (int64_t k = 0; k < 33; ++k) sum += a.GetAsDouble((batch * 17 + i) * 33 + k) * b.GetAsDouble(k * 9 + j);
        expected.push_back(sum);
      }
    }
  }
  ExpectValues(RunOk({"MatMul", {a, b}})[0], {2, 3, 17, 9}, expected, 1e-5);
  ExpectValues(RunOk({"MatMul", {Ramp({2, 3, 17, 33}, 4, DType::kFloat64), Ramp({33, 9}, 5, DType::kFloat64)}})[0],
               {2, 3, 17, 9}, expected, 1e-12);
}

TEST(NnKernelsTest, MatMulIntegerAndHalfTypes) {
  Tensor a = Tensor::FromVector<int32_t>({2, 3}, {-2, -1, 0, 1, 2, 3});
  Tensor b = Tensor::FromVector<int32_t>({3, 2}, {-1, 0, 1, 2, -1, 0});
  std::vector<Tensor> y = RunOk({"MatMul", {a, b}});
  EXPECT_EQ(y[0].dtype(), DType::kInt32);
  ExpectValues(y[0], {2, 2}, kMatMulInt32);
  for (DType half : {DType::kFloat16, DType::kBFloat16}) {
    std::vector<Tensor> h = RunOk({"MatMul", {Ramp({2, 1, 3, 4}, 1, half), Ramp({3, 4, 2}, 2, half)}});
    EXPECT_EQ(h[0].dtype(), half);
    ExpectValues(h[0], {2, 3, 3, 2}, kMatMulBroadcast, 1e-2);
  }
}

TEST(NnKernelsTest, MatMulErrorsNameTheNode) {
  absl::Status s = RunKernelOnly({"MatMul", {Ramp({2, 3}, 0), Ramp({4, 2}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("node 'n' (MatMul): inner dimensions differ"));
  s = RunKernelOnly({"MatMul", {Tensor::Scalar<float>(1), Ramp({4, 2}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("rank >= 1"));
}

TEST(NnKernelsTest, GemmTransposesAlphaBetaAndBroadcastC) {
  std::vector<Tensor> y = RunOk({"Gemm",
                                 {Ramp({4, 3}, 1), Ramp({5, 4}, 2), Ramp({5}, 3)},
                                 {{"transA", 1}, {"transB", 1}, {"alpha", 0.5f}, {"beta", 2.0f}}});
  ExpectValues(y[0], {3, 5}, kGemmTransAB);
  // C of shape (M, 1) broadcasts along columns.
  y = RunOk({"Gemm", {Ramp({3, 4}, 1), Ramp({4, 2}, 2), Ramp({3, 1}, 4)}, {{"beta", -1.0f}}});
  ExpectValues(y[0], {3, 2}, kGemmColumnC);
  // No C at all (optional from opset 11).
  y = RunOk({"Gemm", {Floats({1, 2}, {1, 2}), Floats({2, 2}, {3, 4, 5, 6})}, {}, 1, 13});
  ExpectValues(y[0], {1, 2}, {13, 16});
}

TEST(NnKernelsTest, GemmIntegerAndErrors) {
  Tensor a = Tensor::FromVector<int64_t>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::FromVector<int64_t>({2, 2}, {5, 6, 7, 8});
  Tensor c = Tensor::FromVector<int64_t>({1}, {100});
  std::vector<Tensor> y = RunOk({"Gemm", {a, b, c}});
  EXPECT_EQ(y[0].dtype(), DType::kInt64);
  ExpectValues(y[0], {2, 2}, {119, 122, 143, 150});
  absl::Status s = RunKernelOnly({"Gemm", {Ramp({2, 3}, 0), Ramp({2, 3}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("node 'n' (Gemm): inner dimensions differ"));
  s = RunKernelOnly({"Gemm", {Ramp({2, 3}, 0), Ramp({3, 4}, 0), Ramp({3}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("does not broadcast"));
}

// ---------------------------------------------------------------------------
// Conv

struct ConvCase {
  Ints x_dims, w_dims;
  int64_t group = 1;
  Ints strides, dilations, pads;
  std::string auto_pad = "NOTSET";
};

// Expected output extents and leading pads by the ONNX formulas.
void ConvGeometry(const ConvCase& c, Ints* out_spatial, Ints* pad_begin) {
  size_t spatial = c.x_dims.size() - 2;
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = c.x_dims[i + 2], k = c.w_dims[i + 2], s = c.strides[i], d = c.dilations[i];
    int64_t eff = (k - 1) * d + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      int64_t out = (in + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - in);
      out_spatial->push_back(out);
      pad_begin->push_back(c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2);
    } else if (c.auto_pad == "VALID") {
      out_spatial->push_back((in - eff) / s + 1);
      pad_begin->push_back(0);
    } else {
      out_spatial->push_back((in + c.pads[i] + c.pads[i + spatial] - eff) / s + 1);
      pad_begin->push_back(c.pads[i]);
    }
  }
}

void CheckConvAgainstReference(const ConvCase& c, DType dtype, bool with_bias, double tolerance) {
  Tensor x = Ramp(c.x_dims, 1, dtype);
  Tensor w = Ramp(c.w_dims, 2, dtype);
  Tensor b = Ramp({c.w_dims[0]}, 3, dtype);
  Ints out_spatial, pad_begin;
  ConvGeometry(c, &out_spatial, &pad_begin);
  ir::AttributeMap attrs = {{"group", c.group}, {"strides", c.strides}, {"dilations", c.dilations},
                            {"auto_pad", c.auto_pad}};
  if (c.auto_pad == "NOTSET") attrs["pads"] = c.pads;
  std::vector<std::optional<Tensor>> inputs = {x, w};
  if (with_bias) inputs.push_back(b);
  std::vector<Tensor> y = RunOk({"Conv", inputs, attrs});
  Ints out_dims = {c.x_dims[0], c.w_dims[0]};
  out_dims.insert(out_dims.end(), out_spatial.begin(), out_spatial.end());
  SCOPED_TRACE(absl::StrCat("group ", c.group, " strides ", c.strides[0], " dilations ", c.dilations[0], " pads ",
                            c.pads.empty() ? 0 : c.pads[0], " auto_pad ", c.auto_pad));
  ExpectValues(y[0], out_dims,
               ReferenceConv(x, w, with_bias ? &b : nullptr, c.group, c.strides, c.dilations, pad_begin, out_spatial),
               tolerance);
}

TEST(NnKernelsTest, Conv2dAttributeGridMatchesDirectLoops) {
  for (int64_t group : {1, 2}) {
    for (Ints strides : {Ints{1, 1}, Ints{2, 1}}) {
      for (Ints dilations : {Ints{1, 1}, Ints{1, 2}}) {
        for (const char* auto_pad : {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}) {
          for (Ints pads : {Ints{0, 0, 0, 0}, Ints{1, 0, 2, 1}}) {
            ConvCase c{{2, 4, 7, 6}, {6, 4 / group, 3, 2}, group, strides, dilations, pads, auto_pad};
            CheckConvAgainstReference(c, DType::kFloat32, group == 1, 1e-5);
          }
        }
      }
    }
  }
}

TEST(NnKernelsTest, Conv1d3dDepthwisePointwiseAndTypes) {
  CheckConvAgainstReference({{2, 3, 11}, {4, 3, 3}, 1, {2}, {2}, {1, 2}}, DType::kFloat32, true, 1e-5);
  CheckConvAgainstReference({{1, 2, 5, 4, 6}, {4, 1, 2, 3, 2}, 2, {1, 2, 1}, {2, 1, 1}, {1, 0, 1, 0, 1, 1}},
                            DType::kFloat32, true, 1e-5);
  // Depthwise (group = channels) and a 1x1 pointwise conv that skips im2col.
  CheckConvAgainstReference({{1, 8, 6, 6}, {8, 1, 3, 3}, 8, {1, 1}, {1, 1}, {1, 1, 1, 1}}, DType::kFloat32, true, 1e-5);
  CheckConvAgainstReference({{2, 8, 5, 7}, {16, 8, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}}, DType::kFloat32, true, 1e-5);
  // A conv big enough for the GEMM to block and thread.
  CheckConvAgainstReference({{1, 16, 20, 20}, {32, 16, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}}, DType::kFloat32, true,
                            1e-4);
  CheckConvAgainstReference({{1, 4, 7, 6}, {6, 2, 3, 2}, 2, {2, 1}, {1, 2}, {1, 0, 0, 1}}, DType::kFloat64, true, 1e-12);
  CheckConvAgainstReference({{1, 4, 7, 6}, {6, 2, 3, 2}, 2, {2, 1}, {1, 2}, {1, 0, 0, 1}}, DType::kFloat16, true, 1e-2);
}

TEST(NnKernelsTest, ConvMatchesOnnxRuntimeLiteral) {
  std::vector<Tensor> y = RunOk({"Conv",
                                 {Ramp({1, 4, 5, 6}, 1), Ramp({6, 2, 3, 2}, 2), Ramp({6}, 3)},
                                 {{"group", 2}, {"strides", Ints{2, 1}}, {"pads", Ints{1, 0, 0, 1}},
                                  {"dilations", Ints{1, 2}}}});
  ExpectValues(y[0], {1, 6, 2, 5}, kConvGrouped);
}

TEST(NnKernelsTest, ConvErrorsNameTheNode) {
  absl::Status unsupported = RunKernelOnly({"Conv", {Ramp({1, 1, 2, 2, 2, 2}, 0), Ramp({1, 1, 1, 1, 1, 1}, 0)}});
  EXPECT_EQ(unsupported.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(unsupported.message(), HasSubstr("node 'n' (Conv): 4 spatial dims"));
  absl::Status s = RunKernelOnly({"Conv", {Ramp({1, 3, 5, 5}, 0), Ramp({4, 2, 3, 3}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("node 'n' (Conv): input has 3 channels"));
  s = RunKernelOnly({"Conv", {Ramp({1, 3, 5, 5}, 0), Ramp({4, 3, 3}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("weight has 3 dims, expected 4"));
  s = RunKernelOnly({"Conv", {Ramp({1, 3, 5, 5}, 0), Ramp({4, 3, 3, 3}, 0)}, {{"kernel_shape", Ints{2, 2}}}});
  EXPECT_THAT(s.message(), HasSubstr("does not match the weight"));
  s = RunKernelOnly({"Conv", {Ramp({1, 3, 5, 5}, 0, DType::kInt32), Ramp({4, 3, 3, 3}, 0, DType::kInt32)}});
  EXPECT_THAT(s.message(), HasSubstr("node 'n' (Conv): element type i32"));
}

// ---------------------------------------------------------------------------
// ConvTranspose

TEST(NnKernelsTest, ConvTransposeGridMatchesScatterLoops) {
  for (int64_t group : {1, 2}) {
    for (Ints strides : {Ints{1, 1}, Ints{2, 3}}) {
      for (Ints dilations : {Ints{1, 1}, Ints{2, 1}}) {
        for (Ints pads : {Ints{0, 0, 0, 0}, Ints{1, 0, 0, 2}}) {
          for (Ints output_padding : {Ints{0, 0}, Ints{1, 0}}) {
            Tensor x = Ramp({2, 4, 3, 4}, 1);
            Tensor w = Ramp({4, 3, 2, 3}, 2);
            Tensor b = Ramp({3 * group}, 3);
            Ints out_spatial, pad_begin = {pads[0], pads[1]};
            for (size_t i = 0; i < 2; ++i) {
              out_spatial.push_back(strides[i] * (x.dim(2 + i) - 1) + output_padding[i] +
                                    (w.dim(2 + i) - 1) * dilations[i] + 1 - pads[i] - pads[i + 2]);
            }
            std::vector<Tensor> y = RunOk({"ConvTranspose",
                                           {x, w, b},
                                           {{"group", group}, {"strides", strides}, {"dilations", dilations},
                                            {"pads", pads}, {"output_padding", output_padding}}});
            SCOPED_TRACE(absl::StrCat("group ", group, " stride ", strides[0], " dilation ", dilations[0], " pad ",
                                      pads[0], " output_padding ", output_padding[0]));
            ExpectValues(y[0], {2, 3 * group, out_spatial[0], out_spatial[1]},
                         ReferenceConvTranspose(x, w, &b, group, strides, dilations, pad_begin, out_spatial));
          }
        }
      }
    }
  }
}

TEST(NnKernelsTest, ConvTransposeOutputShapeAndAutoPadMatchOnnxRuntime) {
  Tensor x = Ramp({1, 4, 3, 2}, 5);
  Tensor w = Ramp({4, 3, 2, 3}, 6);
  ExpectValues(RunOk({"ConvTranspose", {x, w, Ramp({6}, 7)},
                      {{"group", 2}, {"strides", Ints{2, 3}}, {"pads", Ints{1, 0, 0, 1}},
                       {"output_padding", Ints{1, 0}}, {"dilations", Ints{1, 2}}}})[0],
               {1, 6, 6, 7}, kConvTransposeGrouped);
  ExpectValues(RunOk({"ConvTranspose", {x, w}, {{"group", 2}, {"strides", Ints{2, 2}}, {"output_shape", Ints{7, 5}}}})[0],
               {1, 6, 7, 5}, kConvTransposeOutputShape);
  // Shorter than natural: the odd padding goes first (NOTSET / SAME_LOWER).
  ExpectValues(RunOk({"ConvTranspose", {x, w}, {{"group", 2}, {"strides", Ints{2, 2}}, {"output_shape", Ints{5, 3}}}})[0],
               {1, 6, 5, 3}, kConvTransposeOutputShapePadded);
  ExpectValues(RunOk({"ConvTranspose", {x, w}, {{"group", 2}, {"strides", Ints{2, 2}}, {"auto_pad", "SAME_UPPER"}}})[0],
               {1, 6, 6, 4}, kConvTransposeSameUpper);
  ExpectValues(RunOk({"ConvTranspose", {x, w}, {{"group", 2}, {"strides", Ints{2, 2}}, {"auto_pad", "SAME_LOWER"}}})[0],
               {1, 6, 6, 4}, kConvTransposeSameLower);
}

TEST(NnKernelsTest, ConvTranspose1dAnd3dMatchScatterLoops) {
  Tensor x1 = Ramp({1, 2, 5}, 1), w1 = Ramp({2, 3, 3}, 2);
  ExpectValues(RunOk({"ConvTranspose", {x1, w1}, {{"strides", Ints{2}}}})[0], {1, 3, 11},
               ReferenceConvTranspose(x1, w1, nullptr, 1, {2}, {1}, {0}, {11}));
  Tensor x3 = Ramp({1, 2, 2, 3, 2}, 3), w3 = Ramp({2, 1, 2, 2, 3}, 4);
  ExpectValues(RunOk({"ConvTranspose", {x3, w3}, {{"strides", Ints{1, 2, 1}}}})[0], {1, 1, 3, 6, 4},
               ReferenceConvTranspose(x3, w3, nullptr, 1, {1, 2, 1}, {1, 1, 1}, {0, 0, 0}, {3, 6, 4}));
}

// ---------------------------------------------------------------------------
// Pools

TEST(NnKernelsTest, MaxPoolCeilModeWithIndices) {
  std::vector<Tensor> y = RunOk({"MaxPool", {Ramp({1, 2, 5, 5}, 0)},
                                 {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", 1}}, 2, 12});
  ExpectValues(y[0], {1, 2, 3, 3}, kMaxPoolCeil);
  ExpectValues(y[1], {1, 2, 3, 3}, kMaxPoolCeilIndices);
}

TEST(NnKernelsTest, MaxPoolDilationsPadsAndColumnMajorIndices) {
  std::vector<Tensor> y = RunOk({"MaxPool", {Ramp({1, 2, 5, 5}, 0)},
                                 {{"kernel_shape", Ints{2, 2}}, {"pads", Ints{1, 0, 0, 1}}, {"storage_order", 1},
                                  {"dilations", Ints{2, 1}}},
                                 2, 12});
  ExpectValues(y[0], {1, 2, 4, 5}, kMaxPoolColumnMajor);
  ExpectValues(y[1], {1, 2, 4, 5}, kMaxPoolColumnMajorIndices);
}

TEST(NnKernelsTest, MaxPoolUint8SameUpper) {
  std::vector<uint8_t> input;
  for (double v : kMaxPoolU8Input) input.push_back(static_cast<uint8_t>(v));
  std::vector<Tensor> y = RunOk({"MaxPool", {Tensor::FromVector<uint8_t>({1, 2, 7}, input)},
                                 {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}, {"auto_pad", "SAME_UPPER"}}, 1, 12});
  EXPECT_EQ(y[0].dtype(), DType::kUInt8);
  ExpectValues(y[0], {1, 2, 4}, kMaxPoolU8);
}

TEST(NnKernelsTest, AveragePoolCountIncludePadCeilAndSame) {
  ir::AttributeMap attrs = {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}},
                            {"ceil_mode", 1}, {"count_include_pad", 1}};
  ExpectValues(RunOk({"AveragePool", {Ramp({1, 2, 5, 5}, 0)}, attrs, 1, 19})[0], {1, 2, 3, 3},
               kAvgPoolIncludePadCeil);
  attrs["count_include_pad"] = 0;
  ExpectValues(RunOk({"AveragePool", {Ramp({1, 2, 5, 5}, 0)}, attrs, 1, 19})[0], {1, 2, 3, 3},
               kAvgPoolExcludePadCeil);
  ExpectValues(RunOk({"AveragePool", {Ramp({1, 2, 5, 5}, 0)},
                      {{"kernel_shape", Ints{2, 3}}, {"auto_pad", "SAME_LOWER"}}, 1, 19})[0],
               {1, 2, 5, 5}, kAvgPoolSameLower);
  ExpectValues(RunOk({"AveragePool", {Ramp({1, 1, 3, 4, 5}, 3)},
                      {{"kernel_shape", Ints{2, 2, 2}}, {"strides", Ints{1, 2, 2}}, {"pads", Ints{0, 1, 0, 1, 0, 1}},
                       {"count_include_pad", 1}},
                      1, 19})[0],
               {1, 1, 3, 2, 3}, kAvgPool3d);
}

TEST(NnKernelsTest, LpPoolAndGlobalPools) {
  ExpectValues(RunOk({"LpPool", {Ramp({1, 2, 5, 5}, 0)},
                      {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{1, 2}}, {"pads", Ints{0, 0, 1, 1}}, {"p", 3}},
                      1, 18})[0],
               {1, 2, 5, 3}, kLpPool);
  ExpectValues(RunOk({"GlobalLpPool", {Ramp({1, 2, 5, 5}, 0)}, {{"p", 1}}})[0], {1, 2, 1, 1}, kGlobalLpPool);
  Tensor x = Floats({1, 2, 2, 2}, {1, -2, 3, 0.5f, -1, -4, -0.5f, -3});
  ExpectValues(RunOk({"GlobalAveragePool", {x}})[0], {1, 2, 1, 1}, {0.625, -2.125});
  ExpectValues(RunOk({"GlobalMaxPool", {x}})[0], {1, 2, 1, 1}, {3, -0.5});
}

TEST(NnKernelsTest, PoolErrorsNameTheNode) {
  absl::Status s = RunKernelOnly({"MaxPool", {Ramp({1, 1, 4, 4}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("node 'n' (MaxPool): kernel_shape attribute is required"));
  s = RunKernelOnly({"AveragePool", {Ramp({1, 1, 2, 2}, 0)}, {{"kernel_shape", Ints{3, 3}}}});
  EXPECT_THAT(s.message(), HasSubstr("smaller than the kernel window"));
  s = RunKernelOnly({"MaxPool", {Ramp({1, 1, 4, 4}, 0, DType::kInt32)}, {{"kernel_shape", Ints{2, 2}}}});
  EXPECT_THAT(s.message(), HasSubstr("element type i32"));
}

// ---------------------------------------------------------------------------
// Normalizations

std::vector<std::optional<Tensor>> BatchNormInputs() {
  return {Ramp({2, 3, 2, 2}, 1), Floats({3}, {0.5f, 1.0f, 2.0f}), Floats({3}, {0.1f, -0.2f, 0.3f}),
          Floats({3}, {0.0f, 0.25f, -0.5f}), Floats({3}, {1.0f, 0.5f, 2.0f})};
}

TEST(NnKernelsTest, BatchNormalizationInferenceAcrossOpsets) {
  for (int64_t opset : {7, 9, 14, 15}) {
    SCOPED_TRACE(opset);
    ExpectValues(RunOk({"BatchNormalization", BatchNormInputs(), {{"epsilon", 1e-3f}}, 1, opset})[0], {2, 3, 2, 2},
                 kBatchNormInference);
  }
  std::vector<std::optional<Tensor>> half = BatchNormInputs();
  half[0] = Ramp({2, 3, 2, 2}, 1, DType::kFloat16);
  std::vector<Tensor> y = RunOk({"BatchNormalization", half, {{"epsilon", 1e-3f}}, 1, 15});
  EXPECT_EQ(y[0].dtype(), DType::kFloat16);
  ExpectValues(y[0], {2, 3, 2, 2}, kBatchNormInference, 3e-3);
}

TEST(NnKernelsTest, BatchNormalizationOpset7PerActivation) {
  // spatial = 0: statistics per (C, D) position. var + eps = 1, so y = scale * (x - mean) + B.
  Tensor x = Floats({1, 2, 2}, {1, 2, 3, 4});
  std::vector<Tensor> y = RunOk({"BatchNormalization",
                                 {x, Floats({2, 2}, {1, 2, 3, 4}), Floats({2, 2}, {0, 0, 1, 1}),
                                  Floats({2, 2}, {0, 1, 1, 0}), Floats({2, 2}, {0.75f, 0.75f, 0.75f, 0.75f})},
                                 {{"epsilon", 0.25f}, {"spatial", 0}}, 1, 7});
  ExpectValues(y[0], {1, 2, 2}, {1, 2, 7, 17});
}

TEST(NnKernelsTest, BatchNormalizationTrainingMode) {
  std::vector<Tensor> y = RunOk({"BatchNormalization", BatchNormInputs(),
                                 {{"epsilon", 1e-3f}, {"momentum", 0.8f}, {"training_mode", 1}}, 3, 15});
  ExpectValues(y[0], {2, 3, 2, 2}, kBatchNormTrainingY, 1e-4);
  ExpectValues(y[1], {3}, kBatchNormTrainingMean);
  ExpectValues(y[2], {3}, kBatchNormTrainingVar);
}

TEST(NnKernelsTest, InstanceNormalization) {
  ExpectValues(RunOk({"InstanceNormalization",
                      {Ramp({2, 3, 2, 2}, 1), Floats({3}, {0.5f, 1.0f, 2.0f}), Floats({3}, {0.1f, -0.2f, 0.3f})},
                      {{"epsilon", 1e-3f}}})[0],
               {2, 3, 2, 2}, kInstanceNorm, 1e-4);
}

TEST(NnKernelsTest, LayerNormalizationWithStatistics) {
  for (const char* domain : {"", "com.microsoft"}) {
    std::vector<Tensor> y = RunOk({"LayerNormalization", {Ramp({2, 3, 4}, 2), Ramp({3, 4}, 5), Ramp({4}, 6)},
                                   {{"axis", 1}, {"epsilon", 1e-3f}}, 3, 17, domain});
    ExpectValues(y[0], {2, 3, 4}, kLayerNormY, 1e-4);
    ExpectValues(y[1], {2, 1, 1}, kLayerNormMean);
    ExpectValues(y[2], {2, 1, 1}, kLayerNormInvStd, 1e-4);
  }
  // bf16 input, default (f32) stash type for the statistics.
  std::vector<Tensor> y = RunOk({"LayerNormalization",
                                 {Ramp({2, 3, 4}, 2, DType::kBFloat16), Ramp({3, 4}, 5, DType::kBFloat16),
                                  Ramp({4}, 6, DType::kBFloat16)},
                                 {{"axis", 1}, {"epsilon", 1e-3f}}, 2});
  EXPECT_EQ(y[0].dtype(), DType::kBFloat16);
  EXPECT_EQ(y[1].dtype(), DType::kFloat32);
  ExpectValues(y[0], {2, 3, 4}, kLayerNormY, 2e-2);
}

TEST(NnKernelsTest, SkipLayerNormalizationMatchesOnnxRuntime) {
  std::vector<Tensor> y = RunOk({"SkipLayerNormalization",
                                 {Ramp({2, 3, 4}, 4), Ramp({3, 4}, 8), Ramp({4}, 9), Ramp({4}, 10), Ramp({4}, 11)},
                                 {{"epsilon", 1e-5f}}, 4, 1, "com.microsoft"});
  ExpectValues(y[0], {2, 3, 4}, kSkipLnY, 1e-4);
  ExpectValues(y[3], {2, 3, 4}, kSkipLnSum);
  EXPECT_EQ(y[1].dims(), (Ints{2, 3, 1}));
}

TEST(NnKernelsTest, GroupNormalizationOpset18And21) {
  Tensor x = Ramp({2, 4, 3}, 7);
  ExpectValues(RunOk({"GroupNormalization", {x, Floats({2}, {1.5f, -0.5f}), Floats({2}, {0.25f, 0.75f})},
                      {{"num_groups", 2}, {"epsilon", 1e-2f}}, 1, 18})[0],
               {2, 4, 3}, kGroupNorm18, 1e-4);
  ExpectValues(RunOk({"GroupNormalization", {x, Floats({4}, {1.5f, -0.5f, 2, 1}), Floats({4}, {0.25f, 0.75f, 0, -1})},
                      {{"num_groups", 2}, {"epsilon", 1e-2f}}, 1, 21})[0],
               {2, 4, 3}, kGroupNorm21, 1e-4);
}

TEST(NnKernelsTest, SoftmaxFamilyAxisSemanticsChangeAtOpset13) {
  Tensor x = Ramp({2, 3, 4}, 12);
  // Opset 11 coerces to 2-D at axis 1 (normalizes over 12 values); 13 uses axis 1 alone.
  ExpectValues(RunOk({"Softmax", {x}, {{"axis", 1}}, 1, 11})[0], {2, 3, 4}, kSoftmax11Axis1);
  ExpectValues(RunOk({"Softmax", {x}, {{"axis", 1}}, 1, 13})[0], {2, 3, 4}, kSoftmax13Axis1);
  ExpectValues(RunOk({"LogSoftmax", {x}, {}, 1, 13})[0], {2, 3, 4}, kLogSoftmax13);
  ExpectValues(RunOk({"Hardmax", {x}, {{"axis", 0}}, 1, 11})[0], {2, 3, 4}, kHardmax11Axis0);
  ExpectValues(RunOk({"Hardmax", {x}, {{"axis", 1}}, 1, 13})[0], {2, 3, 4}, kHardmax13Axis1);
  // Large inputs must not overflow; masked (-inf, -1e9) entries get exactly 0.
  ExpectValues(RunOk({"Softmax", {Floats({1, 3}, {1000, 1000, 1000})}, {}, 1, 13})[0], {1, 3}, {1. / 3, 1. / 3, 1. / 3});
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<Tensor> masked = RunOk({"Softmax", {Floats({1, 6}, {0, -inf, std::log(3.0f), -1e9f, 0, -100})}, {}, 1, 13});
  ExpectValues(masked[0], {1, 6}, {0.2, 0, 0.6, 0, 0.2, 0});
  // A row long enough for the vector path, spanning exp's whole useful range.
  std::vector<float> wide;
  for (int i = 0; i < 37; ++i) wide.push_back(-85.0f + 2.5f * static_cast<float>(i));
  double denominator = 0;
  for (float v : wide) denominator += std::exp(static_cast<double>(v) - 5.0);
  std::vector<double> expected;
  for (float v : wide) expected.push_back(std::exp(static_cast<double>(v) - 5.0) / denominator);
  Tensor probabilities = RunOk({"Softmax", {Floats({1, 37}, wide)}, {}, 1, 13})[0];
  ExpectValues(probabilities, {1, 37}, expected, 1e-5);
  for (int64_t i = 0; i < 37; ++i) {  // relative accuracy holds for tiny (but normal) probabilities too
    if (expected[static_cast<size_t>(i)] < 1e-37) continue;
    EXPECT_NEAR(probabilities.GetAsDouble(i) / expected[static_cast<size_t>(i)], 1.0, 1e-5) << "element " << i;
  }
  std::vector<double> expected_log;
  for (float v : wide) expected_log.push_back(static_cast<double>(v) - 5.0 - std::log(denominator));
  ExpectValues(RunOk({"LogSoftmax", {Floats({1, 37}, wide)}, {}, 1, 13})[0], {1, 37}, expected_log, 1e-5);
  ExpectValues(RunOk({"Softmax", {Ramp({2, 3, 4}, 12, DType::kFloat64)}, {{"axis", 1}}, 1, 13})[0], {2, 3, 4},
               kSoftmax13Axis1, 1e-6);
}

TEST(NnKernelsTest, LrnOddAndEvenSizes) {
  ExpectValues(RunOk({"LRN", {Ramp({1, 5, 2, 2}, 3)}, {{"size", 3}, {"alpha", 0.01f}, {"beta", 0.6f}, {"bias", 1.5f}}})[0],
               {1, 5, 2, 2}, kLrn);
  ExpectValues(RunOk({"LRN", {Ramp({1, 5, 2, 2}, 3)}, {{"size", 4}}})[0], {1, 5, 2, 2}, kLrnEven);
}

TEST(NnKernelsTest, LpNormalizationAndMeanVarianceNormalization) {
  ExpectValues(RunOk({"LpNormalization", {Ramp({2, 3, 4}, 12)}, {{"axis", 1}, {"p", 1}}})[0], {2, 3, 4}, kLpNormP1);
  // p = 2 of (3, 4) is (0.6, 0.8); an all-zero row stays zero.
  ExpectValues(RunOk({"LpNormalization", {Floats({2, 2}, {3, 4, 0, 0})}})[0], {2, 2}, {0.6, 0.8, 0, 0});
  ExpectValues(RunOk({"MeanVarianceNormalization", {Ramp({2, 3, 2, 2}, 1)}, {}, 1, 13})[0], {2, 3, 2, 2}, kMvn, 1e-4);
  ExpectValues(RunOk({"MeanVarianceNormalization", {Ramp({2, 3, 2, 2}, 1)}, {{"axes", Ints{1}}}, 1, 13})[0],
               {2, 3, 2, 2}, kMvnAxis1, 1e-4);
}

TEST(NnKernelsTest, NormalizationErrorsNameTheNode) {
  absl::Status s = RunKernelOnly({"LayerNormalization", {Ramp({2, 4}, 0), Ramp({3}, 0)}});
  EXPECT_THAT(s.message(), HasSubstr("node 'n' (LayerNormalization): Scale of shape [3]"));
  s = RunKernelOnly({"GroupNormalization", {Ramp({2, 4, 3}, 0), Ramp({3}, 0), Ramp({3}, 0)}, {{"num_groups", 3}}, 1, 18});
  EXPECT_THAT(s.message(), HasSubstr("not divisible"));
  std::vector<std::optional<Tensor>> bn = BatchNormInputs();
  bn[1] = Ramp({4}, 0);
  s = RunKernelOnly({"BatchNormalization", bn});
  EXPECT_THAT(s.message(), HasSubstr("scale has shape [4]"));
}

// ---------------------------------------------------------------------------
// Einsum

TEST(NnKernelsTest, EinsumDiagonalTraceAndChains) {
  Tensor a = Ramp({2, 3, 3}, 1);
  ExpectValues(RunOk({"Einsum", {a}, {{"equation", "bii->bi"}}, 1, 12})[0], {2, 3}, kEinsumDiag);
  ExpectValues(RunOk({"Einsum", {a}, {{"equation", "bii"}}, 1, 12})[0], {2}, kEinsumTrace);
  ExpectValues(RunOk({"Einsum", {a, Ramp({3, 4}, 2), Ramp({4}, 3)}, {{"equation", "bij, jk, k -> bi"}}, 1, 12})[0],
               {2, 3}, kEinsumChain);
  ExpectValues(RunOk({"Einsum", {Ramp({2, 3}, 1), Ramp({3, 2}, 2)}, {{"equation", "ij,kl->jk"}}, 1, 12})[0], {3, 3},
               kEinsumOuterSum);
}

TEST(NnKernelsTest, EinsumBroadcastEllipsisAndIntegers) {
  ExpectValues(RunOk({"Einsum", {Ramp({2, 1, 3, 4}, 4), Ramp({5, 4, 2}, 5)}, {{"equation", "...ij,...jk"}}, 1, 12})[0],
               {2, 5, 3, 2}, kEinsumEllipsis);
  Tensor a = Tensor::FromVector<int64_t>({3, 4}, {-2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -2, -1});
  Tensor b = Tensor::FromVector<int64_t>({4, 2}, {-1, 0, 1, -1, 0, 1, -1, 0});
  std::vector<Tensor> y = RunOk({"Einsum", {a, b}, {{"equation", "ij,jk->ki"}}, 1, 12});
  EXPECT_EQ(y[0].dtype(), DType::kInt64);
  ExpectValues(y[0], {2, 3}, kEinsumInt);
}

TEST(NnKernelsTest, EinsumErrorsNameTheNode) {
  absl::Status s = RunKernelOnly({"Einsum", {Ramp({2, 3}, 0), Ramp({4, 2}, 0)}, {{"equation", "ij,jk->ik"}}});
  EXPECT_THAT(s.message(), HasSubstr("node 'n' (Einsum)"));
  s = RunKernelOnly({"Einsum", {Ramp({2, 3}, 0)}, {{"equation", "i->i"}}});
  EXPECT_THAT(s.message(), HasSubstr("rank 2"));
}

}  // namespace
}  // namespace gsopt::backend::cpu
