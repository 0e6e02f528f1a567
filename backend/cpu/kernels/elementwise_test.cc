// Tests for the elementwise CPU kernels. Expected values come from the ONNX
// spec's formulas, numpy (np.mod, np.round, astype) and ONNX's reference
// evaluator, computed outside gsopt and written here as literals, or from the
// C library function an op is defined by (std::exp for Exp). The broadcast
// fast paths are checked against a naive index-map computation, and every
// op's kernel output type is checked against its shape inference.
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backend/cpu/executor.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::backend::cpu {
namespace {

using ir::AttributeMap;
using ir::DType;
using ir::Tensor;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct OpCall {
  std::string op;
  std::vector<Tensor> inputs;  // an undefined Tensor is an omitted optional input
  AttributeMap attributes = {};
  int64_t opset = 17;
  int num_outputs = 1;
  std::string domain = "";
};

// Runs one kernel directly through the registry.
absl::StatusOr<std::vector<Tensor>> RunKernel(const OpCall& call) {
  const KernelFn* kernel = KernelRegistry::Global().Find(call.domain, call.op);
  if (kernel == nullptr) return absl::NotFoundError("no kernel for " + call.op);
  ir::Node node;
  node.name = "n0";
  node.op_type = call.op;
  node.domain = call.domain;
  node.attributes = call.attributes;
  std::vector<const Tensor*> inputs;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    bool present = call.inputs[i].is_defined();
    node.inputs.push_back(present ? static_cast<ir::ValueId>(i) : ir::kNoValue);
    inputs.push_back(present ? &call.inputs[i] : nullptr);
  }
  for (int i = 0; i < call.num_outputs; ++i) node.outputs.push_back(100 + i);
  std::vector<Tensor> outputs(static_cast<size_t>(call.num_outputs));
  KernelContext ctx(node, call.opset, inputs, &outputs);
  absl::Status status = (*kernel)(ctx);
  if (!status.ok()) return status;
  return outputs;
}

Tensor RunOk(const OpCall& call) {
  absl::StatusOr<std::vector<Tensor>> out = RunKernel(call);
  EXPECT_TRUE(out.ok()) << call.op << ": " << out.status();
  return out.ok() ? (*out)[0] : Tensor();
}

Tensor F32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::FromVector<float>(std::move(dims), v); }
Tensor F32(std::vector<float> v) {
  int64_t n = static_cast<int64_t>(v.size());
  return F32({n}, std::move(v));
}
template <typename T>
Tensor Vec(std::vector<T> v, std::vector<int64_t> dims = {}) {
  if (dims.empty()) dims = {static_cast<int64_t>(v.size())};
  return Tensor::FromVector<T>(std::move(dims), v);
}
Tensor Bools(std::vector<bool> v, std::vector<int64_t> dims = {}) { return Vec<bool>(std::move(v), std::move(dims)); }

std::vector<int64_t> Ints(const Tensor& t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(t.GetAsInt64(i));
  return out;
}

void ExpectNear(const Tensor& t, const std::vector<double>& expected, double tol = 1e-5) {
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(expected.size())) << t.DebugString();
  for (size_t i = 0; i < expected.size(); ++i) {
    double got = t.GetAsDouble(static_cast<int64_t>(i));
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got)) << "element " << i;
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(got, expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(got, expected[i], tol * std::max(1.0, std::fabs(expected[i]))) << "element " << i;
    }
  }
}

// ---- unary math -------------------------------------------------------------

TEST(ElementwiseKernelsTest, UnaryMathMatchesLibm) {
  struct Case {
    const char* op;
    double (*fn)(double);
    std::vector<float> inputs;
  };
  const std::vector<float> any = {-2.5f, -1.0f, -0.3f, 0.0f, 0.7f, 2.0f};
  const std::vector<float> unit = {-0.9f, -0.5f, 0.0f, 0.3f, 0.99f};
  const std::vector<float> positive = {0.1f, 0.5f, 1.0f, 2.0f, 10.0f};
  const std::vector<Case> cases = {
      {"Exp", [](double x) { return std::exp(x); }, any},
      {"Log", [](double x) { return std::log(x); }, positive},
      {"Sqrt", [](double x) { return std::sqrt(x); }, positive},
      {"Reciprocal", [](double x) { return 1.0 / x; }, positive},
      {"Floor", [](double x) { return std::floor(x); }, any},
      {"Ceil", [](double x) { return std::ceil(x); }, any},
      {"Sin", [](double x) { return std::sin(x); }, any},
      {"Cos", [](double x) { return std::cos(x); }, any},
      {"Tan", [](double x) { return std::tan(x); }, any},
      {"Asin", [](double x) { return std::asin(x); }, unit},
      {"Acos", [](double x) { return std::acos(x); }, unit},
      {"Atan", [](double x) { return std::atan(x); }, any},
      {"Sinh", [](double x) { return std::sinh(x); }, any},
      {"Cosh", [](double x) { return std::cosh(x); }, any},
      {"Asinh", [](double x) { return std::asinh(x); }, any},
      {"Acosh", [](double x) { return std::acosh(x); }, {1.0f, 1.5f, 3.0f, 10.0f}},
      {"Atanh", [](double x) { return std::atanh(x); }, unit},
      {"Erf", [](double x) { return std::erf(x); }, any},
      {"Tanh", [](double x) { return std::tanh(x); }, any},
      {"Abs", [](double x) { return std::fabs(x); }, any},
      {"Neg", [](double x) { return -x; }, any},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    std::vector<double> expected;
    for (float v : c.inputs) expected.push_back(c.fn(v));
    ExpectNear(RunOk({c.op, {F32(c.inputs)}}), expected);
    // f64 is computed in double precision.
    std::vector<double> in64(c.inputs.begin(), c.inputs.end());
    Tensor out64 = RunOk({c.op, {Vec<double>(in64)}});
    EXPECT_EQ(out64.dtype(), DType::kFloat64);
    ExpectNear(out64, expected, 1e-12);
  }
}

TEST(ElementwiseKernelsTest, HalfTypesComputeInFloatAndRoundBack) {
  std::vector<uint16_t> half_in, bf16_in;
  for (float v : {-1.0f, 0.5f, 2.0f}) {
    half_in.push_back(ir::FloatToHalf(v));
    bf16_in.push_back(ir::FloatToBFloat16(v));
  }
  Tensor h = RunOk({"Exp", {Tensor::FromVector<uint16_t>({3}, half_in, DType::kFloat16)}});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  ExpectNear(h, {std::exp(-1.0), std::exp(0.5), std::exp(2.0)}, 1e-3);
  Tensor b = RunOk({"Sigmoid", {Tensor::FromVector<uint16_t>({3}, bf16_in, DType::kBFloat16)}});
  EXPECT_EQ(b.dtype(), DType::kBFloat16);
  ExpectNear(b, {0.26894142, 0.62245933, 0.88079708}, 1e-2);
}

TEST(ElementwiseKernelsTest, RoundIsHalfToEven) {
  // np.round
  ExpectNear(RunOk({"Round", {F32({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, 2.6f, -2.6f})}}),
             {0, 2, 2, -0.0, -2, 2, 3, -3});
}

TEST(ElementwiseKernelsTest, SignAbsNegOnIntegers) {
  EXPECT_EQ(Ints(RunOk({"Sign", {Vec<int32_t>({-7, 0, 3})}})), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(Ints(RunOk({"Sign", {Vec<uint8_t>({0, 200})}})), (std::vector<int64_t>{0, 1}));
  ExpectNear(RunOk({"Sign", {F32({-0.5f, 0.0f, 4.0f, kNaN})}}), {-1, 0, 1, NAN});
  // The most negative value wraps (as numpy's int arithmetic does) instead of overflowing.
  constexpr int8_t kMin8 = std::numeric_limits<int8_t>::min();
  EXPECT_EQ(Ints(RunOk({"Abs", {Vec<int8_t>({-5, 5, kMin8})}})), (std::vector<int64_t>{5, 5, kMin8}));
  EXPECT_EQ(Ints(RunOk({"Neg", {Vec<int64_t>({-5, 7, std::numeric_limits<int64_t>::min()})}})),
            (std::vector<int64_t>{5, -7, std::numeric_limits<int64_t>::min()}));
  EXPECT_EQ(Ints(RunOk({"Abs", {Vec<uint16_t>({0, 65535})}})), (std::vector<int64_t>{0, 65535}));
}

TEST(ElementwiseKernelsTest, IsNaNAndIsInf) {
  Tensor x = F32({1.0f, kNaN, kInf, -kInf});
  Tensor nan = RunOk({"IsNaN", {x}});
  EXPECT_EQ(nan.dtype(), DType::kBool);
  EXPECT_EQ(Ints(nan), (std::vector<int64_t>{0, 1, 0, 0}));
  EXPECT_EQ(Ints(RunOk({"IsInf", {x}})), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(Ints(RunOk({"IsInf", {x}, {{"detect_negative", 0}}})), (std::vector<int64_t>{0, 0, 1, 0}));
  EXPECT_EQ(Ints(RunOk({"IsInf", {x}, {{"detect_positive", 0}}})), (std::vector<int64_t>{0, 0, 0, 1}));
  Tensor half = Tensor::FromVector<uint16_t>({2}, {ir::FloatToHalf(kInf), ir::FloatToHalf(1.0f)}, DType::kFloat16);
  EXPECT_EQ(Ints(RunOk({"IsInf", {half}})), (std::vector<int64_t>{1, 0}));
}

TEST(ElementwiseKernelsTest, NotAndBitwiseNot) {
  EXPECT_EQ(Ints(RunOk({"Not", {Bools({true, false})}})), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(Ints(RunOk({"BitwiseNot", {Vec<uint8_t>({0, 0x0f})}})), (std::vector<int64_t>{255, 0xf0}));
  EXPECT_EQ(Ints(RunOk({"BitwiseNot", {Vec<int32_t>({0, 5})}})), (std::vector<int64_t>{-1, -6}));
  absl::StatusOr<std::vector<Tensor>> bad = RunKernel({"Not", {F32({1.0f})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'n0' (Not)"));
}

// ---- activations ------------------------------------------------------------

TEST(ElementwiseKernelsTest, ActivationsMatchOnnxReference) {
  // x = [-3, -1, -0.5, 0, 0.5, 1, 3]; expected values from onnx.reference.ReferenceEvaluator.
  const Tensor x = F32({-3, -1, -0.5f, 0, 0.5f, 1, 3});
  struct Case {
    std::string op;
    AttributeMap attributes;
    std::vector<double> expected;
    int64_t opset = 17;
  };
  const std::vector<Case> cases = {
      {"Relu", {}, {0, 0, 0, 0, 0.5, 1, 3}},
      {"Elu", {}, {-0.9502128958702087, -0.6321205496788025, -0.39346933364868164, 0.0, 0.5, 1.0, 3.0}},
      {"Elu", {{"alpha", 0.5f}}, {-0.47510644793510437, -0.31606027483940125, -0.19673466682434082, 0.0, 0.5, 1.0, 3.0}},
      {"Selu", {}, {-1.6705687046051025, -1.1113307476043701, -0.6917582154273987, 0.0, 0.5253505110740662,
                    1.0507010221481323, 3.1521029472351074}},
      {"Celu", {}, {-0.9502128958702087, -0.6321205496788025, -0.39346933364868164, 0.0, 0.5, 1.0, 3.0}},
      {"Celu", {{"alpha", 2.0f}}, {-1.5537396669387817, -0.7869386672973633, -0.44239842891693115, 0.0, 0.5, 1.0, 3.0}},
      {"HardSigmoid", {}, {0.0, 0.30000001192092896, 0.4000000059604645, 0.5, 0.6000000238418579, 0.699999988079071, 1.0}},
      {"HardSwish", {}, {-0.0, -0.3333333134651184, -0.2083333283662796, 0.0, 0.2916666567325592, 0.6666666865348816, 3.0}},
      {"Softplus", {}, {0.04858735203742981, 0.3132616877555847, 0.4740769863128662, 0.6931471824645996,
                        0.9740769863128662, 1.3132617473602295, 3.0485873222351074}},
      {"Softsign", {}, {-0.75, -0.5, -0.3333333432674408, 0.0, 0.3333333432674408, 0.5, 0.75}},
      {"Mish", {}, {-0.14564746618270874, -0.30340147018432617, -0.22074377536773682, 0.0, 0.37524518370628357,
                    0.8650984168052673, 2.98653507232666}, 18},
      {"Sigmoid", {}, {0.04742587357759476, 0.26894140243530273, 0.3775406777858734, 0.5, 0.622459352016449,
                       0.7310585975646973, 0.9525741338729858}},
      {"LeakyRelu", {}, {-0.03, -0.01, -0.005, 0.0, 0.5, 1.0, 3.0}},
      {"LeakyRelu", {{"alpha", 0.2f}}, {-0.6, -0.2, -0.1, 0.0, 0.5, 1.0, 3.0}},
      {"ThresholdedRelu", {}, {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0}},
      {"Shrink", {{"lambd", 1.0f}, {"bias", 0.5f}}, {-2.5, 0.0, 0.0, 0.0, 0.0, 0.0, 2.5}},
      {"Gelu", {}, {-0.0040496885776519775, -0.15865525603294373, -0.1542687714099884, 0.0, 0.3457312285900116,
                    0.8413447141647339, 2.995950222015381}, 20},
      {"Gelu", {{"approximate", "tanh"}}, {-0.003637343645095825, -0.15880799293518066, -0.1542859971523285, 0.0,
                                           0.3457140028476715, 0.8411920070648193, 2.9963626861572266}, 20},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    ExpectNear(RunOk({c.op, {x}, c.attributes, c.opset}), c.expected, 2e-6);
  }
  absl::StatusOr<std::vector<Tensor>> bad = RunKernel({"Gelu", {x}, {{"approximate", "erf"}}, 20});
  EXPECT_FALSE(bad.ok());
}

TEST(ElementwiseKernelsTest, ActivationsAreStableForLargeInputs) {
  Tensor x = F32({-100.0f, 100.0f});
  ExpectNear(RunOk({"Sigmoid", {x}}), {0.0, 1.0});
  ExpectNear(RunOk({"Softplus", {x}}), {0.0, 100.0});
  ExpectNear(RunOk({"Mish", {x}, {}, 18}), {0.0, 100.0});
}

TEST(ElementwiseKernelsTest, ReluAndShrinkOnIntegers) {
  EXPECT_EQ(Ints(RunOk({"Relu", {Vec<int8_t>({-3, 0, 4})}, {}, 14})), (std::vector<int64_t>{0, 0, 4}));
  // Shrink on integers: lambd 1.5, bias 1 -> -3 -> -2, 3 -> 2, |x| <= 1.5 -> 0.
  EXPECT_EQ(Ints(RunOk({"Shrink", {Vec<int32_t>({-3, -1, 0, 1, 3})}, {{"lambd", 1.5f}, {"bias", 1.0f}}})),
            (std::vector<int64_t>{-2, 0, 0, 0, 2}));
}

TEST(ElementwiseKernelsTest, PReluBroadcastsSlopeOverChannels) {
  // x [1,2,2,1], slope per channel [2,1,1].
  Tensor x = F32({1, 2, 2, 1}, {-1, 2, -3, 4});
  Tensor slope = F32({2, 1, 1}, {0.5f, 0.25f});
  ExpectNear(RunOk({"PRelu", {x, slope}}), {-0.5, 2, -0.75, 4});
  // ONNX Runtime also broadcasts X against the slope: [2,1] with [3] -> [2,3].
  Tensor grown = RunOk({"PRelu", {F32({2, 1}, {-2, 2}), F32({3}, {1, 2, 3})}});
  EXPECT_EQ(grown.dims(), (std::vector<int64_t>{2, 3}));
  ExpectNear(grown, {-2, -4, -6, 2, 2, 2});
  absl::StatusOr<std::vector<Tensor>> bad = RunKernel({"PRelu", {F32({2}, {1, 2}), F32({3}, {1, 1, 1})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("PRelu"));
  EXPECT_EQ(Ints(RunOk({"PRelu", {Vec<int64_t>({-4, 5}), Vec<int64_t>({3})}, {}, 16})),
            (std::vector<int64_t>{-12, 5}));
}

TEST(ElementwiseKernelsTest, ClipAttributesBeforeOpset11) {
  Tensor x = F32({-2, -0.5f, 0.5f, 2});
  ExpectNear(RunOk({"Clip", {x}, {{"min", -1.0f}, {"max", 1.0f}}, 6}), {-1, -0.5, 0.5, 1});
  ExpectNear(RunOk({"Clip", {x}, {{"max", 0.0f}}, 6}), {-2, -0.5, 0, 0});
}

TEST(ElementwiseKernelsTest, ClipInputsFromOpset11) {
  Tensor x = F32({-2, -0.5f, 0.5f, 2});
  ExpectNear(RunOk({"Clip", {x, Tensor::Scalar<float>(-1), Tensor::Scalar<float>(1)}, {}, 13}), {-1, -0.5, 0.5, 1});
  // Omitted min: only the max applies.
  ExpectNear(RunOk({"Clip", {x, Tensor(), Tensor::Scalar<float>(0)}, {}, 13}), {-2, -0.5, 0, 0});
  ExpectNear(RunOk({"Clip", {x}, {}, 13}), {-2, -0.5, 0.5, 2});
  // min > max: every element becomes max.
  ExpectNear(RunOk({"Clip", {x, Tensor::Scalar<float>(2), Tensor::Scalar<float>(1)}, {}, 13}), {1, 1, 1, 1});
  // Integer clip (opset 12+), default bounds are the type's range.
  EXPECT_EQ(Ints(RunOk({"Clip", {Vec<int8_t>({-128, 0, 127}), Tensor::Scalar<int8_t>(-5)}, {}, 13})),
            (std::vector<int64_t>{-5, 0, 127}));
  // A NaN stays NaN.
  ExpectNear(RunOk({"Clip", {F32({kNaN}), Tensor::Scalar<float>(0), Tensor::Scalar<float>(1)}, {}, 13}), {NAN});
  absl::StatusOr<std::vector<Tensor>> bad = RunKernel({"Clip", {x, Tensor::Scalar<double>(0)}, {}, 13});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("min has type f64"));
}

// ---- binary -----------------------------------------------------------------

TEST(ElementwiseKernelsTest, ArithmeticBroadcasts) {
  Tensor a = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectNear(RunOk({"Add", {a, F32({3}, {10, 20, 30})}}), {11, 22, 33, 14, 25, 36});
  ExpectNear(RunOk({"Sub", {a, Tensor::Scalar<float>(1)}}), {0, 1, 2, 3, 4, 5});
  ExpectNear(RunOk({"Sub", {Tensor::Scalar<float>(1), a}}), {0, -1, -2, -3, -4, -5});
  ExpectNear(RunOk({"Mul", {a, F32({2, 1}, {2, 3})}}), {2, 4, 6, 12, 15, 18});
  ExpectNear(RunOk({"Div", {a, a}}), {1, 1, 1, 1, 1, 1});
  // Both operands broadcast: [3,1] x [1,2] -> [3,2].
  Tensor outer = RunOk({"Mul", {F32({3, 1}, {1, 2, 3}), F32({1, 2}, {10, 100})}});
  EXPECT_EQ(outer.dims(), (std::vector<int64_t>{3, 2}));
  ExpectNear(outer, {10, 100, 20, 200, 30, 300});
  absl::StatusOr<std::vector<Tensor>> bad = RunKernel({"Add", {a, F32({2}, {1, 2})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'n0' (Add)"));
  absl::StatusOr<std::vector<Tensor>> mixed = RunKernel({"Add", {a, Vec<double>({1.0})}});
  ASSERT_FALSE(mixed.ok());
  EXPECT_THAT(mixed.status().message(), HasSubstr("different types"));
}

TEST(ElementwiseKernelsTest, EmptyTensorsBroadcastToEmpty) {
  Tensor out = RunOk({"Add", {F32({0, 3}, {}), F32({3}, {1, 2, 3})}});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(out.num_elements(), 0);
}

TEST(ElementwiseKernelsTest, IntegerArithmeticWrapsAndTruncates) {
  // C-style truncating division (numpy's fmod-like sign), not floor division.
  EXPECT_EQ(Ints(RunOk({"Div", {Vec<int32_t>({7, -7, 7, -7}), Vec<int32_t>({2, 2, -2, -2})}})),
            (std::vector<int64_t>{3, -3, -3, 3}));
  // Division by zero and INT_MIN / -1 do not trap.
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(Ints(RunOk({"Div", {Vec<int32_t>({5, kMin}), Vec<int32_t>({0, -1})}})), (std::vector<int64_t>{0, kMin}));
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(Ints(RunOk({"Add", {Vec<int32_t>({kMax}), Vec<int32_t>({1})}})), (std::vector<int64_t>{kMin}));
  EXPECT_EQ(Ints(RunOk({"Mul", {Vec<uint16_t>({65535}), Vec<uint16_t>({65535})}})), (std::vector<int64_t>{1}));
  EXPECT_EQ(Ints(RunOk({"Sub", {Vec<uint8_t>({1}), Vec<uint8_t>({2})}, {}, 14})), (std::vector<int64_t>{255}));
  EXPECT_EQ(Ints(RunOk({"Mul", {Vec<int64_t>({int64_t{1} << 62}), Vec<int64_t>({4})}})), (std::vector<int64_t>{0}));
}

TEST(ElementwiseKernelsTest, HalfArithmetic) {
  auto half = [](std::vector<float> v) {
    std::vector<uint16_t> bits;
    for (float f : v) bits.push_back(ir::FloatToHalf(f));
    return Tensor::FromVector<uint16_t>({static_cast<int64_t>(v.size())}, bits, DType::kFloat16);
  };
  Tensor sum = RunOk({"Add", {half({1.5f, 2.0f}), half({0.25f, -4.0f})}});
  EXPECT_EQ(sum.dtype(), DType::kFloat16);
  ExpectNear(sum, {1.75, -2.0});
  Tensor less = RunOk({"Less", {half({1.5f, 2.0f}), half({2.0f, 2.0f})}});
  EXPECT_EQ(less.dtype(), DType::kBool);
  EXPECT_EQ(Ints(less), (std::vector<int64_t>{1, 0}));
}

// The planned broadcast (merged axes, contiguous runs) must agree with the
// naive per-element index map for arbitrary shapes.
TEST(ElementwiseKernelsTest, BroadcastPlanMatchesNaiveIndexMap) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> rank_dist(0, 4), dim_dist(1, 4), coin(0, 2);
  for (int trial = 0; trial < 300; ++trial) {
    int rank = rank_dist(rng);
    std::vector<int64_t> out_dims;
    for (int i = 0; i < rank; ++i) out_dims.push_back(dim_dist(rng));
    auto derive = [&]() {
      std::vector<int64_t> dims;
      int drop = std::uniform_int_distribution<int>(0, rank)(rng);
      for (int i = drop; i < rank; ++i) dims.push_back(coin(rng) == 0 ? 1 : out_dims[static_cast<size_t>(i)]);
      return dims;
    };
    std::vector<int64_t> a_dims = derive(), b_dims = derive();
    auto fill = [&](const std::vector<int64_t>& dims, float scale) {
      Tensor t = Tensor::Zeros(DType::kFloat32, dims);
      for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data<float>()[i] = scale * static_cast<float>(i + 1);
      return t;
    };
    Tensor a = fill(a_dims, 1.0f), b = fill(b_dims, 1000.0f);
    Tensor out = RunOk({"Sub", {a, b}});
    absl::StatusOr<std::vector<int64_t>> expected_dims = BroadcastDims({a_dims, b_dims});
    ASSERT_TRUE(expected_dims.ok());
    ASSERT_EQ(out.dims(), *expected_dims);
    std::vector<int64_t> map_a = BroadcastIndexMap(a_dims, *expected_dims);
    std::vector<int64_t> map_b = BroadcastIndexMap(b_dims, *expected_dims);
    for (int64_t i = 0; i < out.num_elements(); ++i) {
      float want = a.data<float>()[map_a[static_cast<size_t>(i)]] - b.data<float>()[map_b[static_cast<size_t>(i)]];
      ASSERT_EQ(out.data<float>()[i], want) << "trial " << trial << " element " << i;
    }
  }
}

TEST(ElementwiseKernelsTest, LegacyBroadcastAttributeBeforeOpset7) {
  // Opset 6: B [3] aligned to A [2,3,2] at axis 1 (numpy would misalign it).
  Tensor a = F32({2, 3, 2}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  Tensor b = F32({3}, {1, 2, 3});
  ExpectNear(RunOk({"Add", {a, b}, {{"broadcast", 1}, {"axis", 1}}, 6}), {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  absl::StatusOr<std::vector<Tensor>> bad = RunKernel({"Add", {a, b}, {{"broadcast", 1}, {"axis", 2}}, 6});
  EXPECT_FALSE(bad.ok());
}

TEST(ElementwiseKernelsTest, PowMixedTypes) {
  // onnx reference: int32 ^ float32 -> int32 [1, 32, 729]; float32 ^ int64.
  EXPECT_EQ(Ints(RunOk({"Pow", {Vec<int32_t>({1, 2, 3}), F32({4, 5, 6})}, {}, 15})),
            (std::vector<int64_t>{1, 32, 729}));
  Tensor f = RunOk({"Pow", {F32({1.5f, 2, 3}), Vec<int64_t>({2, -1, 3})}, {}, 15});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  ExpectNear(f, {2.25, 0.5, 27});
  EXPECT_EQ(Ints(RunOk({"Pow", {Vec<int64_t>({2, -3, 2, 1, -1}), Vec<int64_t>({10, 3, -1, -5, -3})}, {}, 15})),
            (std::vector<int64_t>{1024, -27, 0, 1, -1}));
  ExpectNear(RunOk({"Pow", {F32({4, 9}), Tensor::Scalar<float>(0.5f)}}), {2, 3});
  ExpectNear(RunOk({"Pow", {F32({-3, 1.5f}), Tensor::Scalar<float>(2)}}), {9, 2.25});
  ExpectNear(RunOk({"Pow", {F32({2, 4}), F32({3, -0.5f})}}), {8, 0.5});
  ExpectNear(RunOk({"Pow", {Vec<double>({2.0}), Vec<int32_t>({10})}, {}, 15}), {1024});
}

TEST(ElementwiseKernelsTest, ModSignConventions) {
  // np.mod / onnx reference (fmod=0): result takes the divisor's sign.
  Tensor a = Vec<int32_t>({-4, 7, 5, 4, -7, 8});
  Tensor b = Vec<int32_t>({2, -3, 8, -2, 3, 5});
  EXPECT_EQ(Ints(RunOk({"Mod", {a, b}, {}, 13})), (std::vector<int64_t>{0, -2, 5, 0, 2, 3}));
  // fmod=1: result takes the dividend's sign.
  EXPECT_EQ(Ints(RunOk({"Mod", {a, b}, {{"fmod", 1}}, 13})), (std::vector<int64_t>{0, 1, 5, 0, -1, 3}));
  Tensor af = F32({-4.3f, 7.2f, 5.0f, 4.3f, -7.2f, 8.0f});
  Tensor bf = F32({2.1f, -3.4f, 8.0f, -2.1f, 3.4f, 5.0f});
  ExpectNear(RunOk({"Mod", {af, bf}, {{"fmod", 1}}, 13}),
             {-0.10000038146972656, 0.39999961853027344, 5.0, 0.10000038146972656, -0.39999961853027344, 3.0});
  ExpectNear(RunOk({"Mod", {af, bf}, {}, 13}),
             {1.9999995231628418, -3.000000476837158, 5.0, -1.9999995231628418, 3.000000476837158, 3.0});
  EXPECT_EQ(Ints(RunOk({"Mod", {Vec<uint8_t>({7, 200}), Vec<uint8_t>({3, 0})}, {}, 13})),
            (std::vector<int64_t>{1, 0}));
}

TEST(ElementwiseKernelsTest, ComparisonsAndLogic) {
  Tensor a = Vec<int64_t>({1, 2, 3});
  Tensor b = Vec<int64_t>({2}, {1});
  EXPECT_EQ(Ints(RunOk({"Equal", {a, b}})), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(Ints(RunOk({"Less", {a, b}})), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(Ints(RunOk({"Greater", {a, b}})), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(Ints(RunOk({"LessOrEqual", {a, b}})), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(Ints(RunOk({"GreaterOrEqual", {a, b}})), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(Ints(RunOk({"Equal", {F32({kNaN, 1}), F32({kNaN, 1})}})), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(Ints(RunOk({"Equal", {Bools({true, false}), Bools({true, true})}})), (std::vector<int64_t>{1, 0}));
  Tensor s1 = Tensor::FromStrings({3}, {"a", "bb", "c"});
  Tensor s2 = Tensor::FromStrings({1}, {"bb"});
  EXPECT_EQ(Ints(RunOk({"Equal", {s1, s2}, {}, 19})), (std::vector<int64_t>{0, 1, 0}));

  Tensor p = Bools({true, true, false, false}, {2, 2});
  Tensor q = Bools({true, false}, {2});
  EXPECT_EQ(Ints(RunOk({"And", {p, q}})), (std::vector<int64_t>{1, 0, 0, 0}));
  EXPECT_EQ(Ints(RunOk({"Or", {p, q}})), (std::vector<int64_t>{1, 1, 1, 0}));
  EXPECT_EQ(Ints(RunOk({"Xor", {p, q}})), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_FALSE(RunKernel({"And", {F32({1}), F32({1})}}).ok());
}

TEST(ElementwiseKernelsTest, BitShiftAndBitwise) {
  EXPECT_EQ(Ints(RunOk({"BitShift", {Vec<uint8_t>({1, 4, 255}), Vec<uint8_t>({1, 1, 8})}, {{"direction", "RIGHT"}}})),
            (std::vector<int64_t>{0, 2, 0}));
  EXPECT_EQ(Ints(RunOk({"BitShift", {Vec<uint8_t>({1, 2, 128}), Vec<uint8_t>({1, 2, 1})}, {{"direction", "LEFT"}}})),
            (std::vector<int64_t>{2, 8, 0}));
  EXPECT_EQ(Ints(RunOk({"BitShift", {Vec<uint64_t>({1}), Vec<uint64_t>({63})}, {{"direction", "LEFT"}}})),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min()}));
  // Opset 28 signed shifts are arithmetic; out-of-range amounts give the sign fill.
  EXPECT_EQ(Ints(RunOk({"BitShift", {Vec<int8_t>({-8, -8, 8, -1}), Vec<int8_t>({1, 9, 9, -1})},
                        {{"direction", "RIGHT"}}, 28})),
            (std::vector<int64_t>{-4, -1, 0, -1}));
  EXPECT_FALSE(RunKernel({"BitShift", {Vec<uint8_t>({1}), Vec<uint8_t>({1})}, {{"direction", "UP"}}}).ok());
  EXPECT_EQ(Ints(RunOk({"BitwiseAnd", {Vec<int32_t>({12, -1}), Vec<int32_t>({10, 6})}, {}, 18})),
            (std::vector<int64_t>{8, 6}));
  EXPECT_EQ(Ints(RunOk({"BitwiseOr", {Vec<int32_t>({12, -1}), Vec<int32_t>({10, 6})}, {}, 18})),
            (std::vector<int64_t>{14, -1}));
  EXPECT_EQ(Ints(RunOk({"BitwiseXor", {Vec<uint16_t>({12}), Vec<uint16_t>({10})}, {}, 18})),
            (std::vector<int64_t>{6}));
}

TEST(ElementwiseKernelsTest, VariadicOps) {
  Tensor a = F32({2, 2}, {1, 5, 3, kNaN});
  Tensor b = F32({2}, {4, 2});
  Tensor c = Tensor::Scalar<float>(3);
  ExpectNear(RunOk({"Max", {a, b, c}}), {4, 5, 4, NAN});
  ExpectNear(RunOk({"Min", {a, b, c}}), {1, 2, 3, NAN});
  ExpectNear(RunOk({"Sum", {a, b, c}}), {8, 10, 10, NAN});
  ExpectNear(RunOk({"Mean", {F32({2, 4}), F32({4, 8})}}), {3, 6});
  ExpectNear(RunOk({"Mean", {F32({2, 4}), F32({4, 8}), F32({0, 0})}}), {2, 4});
  ExpectNear(RunOk({"Sum", {F32({7, 8})}}), {7, 8});
  EXPECT_EQ(Ints(RunOk({"Max", {Vec<int32_t>({-3, 9}), Vec<int32_t>({2, 1})}})), (std::vector<int64_t>{2, 9}));
  EXPECT_EQ(Ints(RunOk({"Min", {Vec<uint64_t>({7})}})), (std::vector<int64_t>{7}));
  EXPECT_FALSE(RunKernel({"Sum", {Vec<int32_t>({1}), Vec<int32_t>({1})}}).ok());  // Sum is float-only
}

TEST(ElementwiseKernelsTest, WhereBroadcastsThreeWays) {
  Tensor cond = Bools({true, false}, {2, 1});
  Tensor x = F32({3}, {1, 2, 3});
  Tensor y = Tensor::Scalar<float>(-1);
  Tensor out = RunOk({"Where", {cond, x, y}});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  ExpectNear(out, {1, 2, 3, -1, -1, -1});
  Tensor sx = Tensor::FromStrings({2}, {"a", "b"});
  Tensor sy = Tensor::FromStrings({2}, {"c", "d"});
  Tensor s = RunOk({"Where", {Bools({false, true}), sx, sy}});
  EXPECT_EQ(s.strings(), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(Ints(RunOk({"Where", {Bools({true, false}), Vec<int64_t>({5, 6}), Vec<int64_t>({7, 8})}})),
            (std::vector<int64_t>{5, 8}));
  EXPECT_FALSE(RunKernel({"Where", {F32({1}), x, x}}).ok());
}

// ---- Cast -------------------------------------------------------------------

Tensor CastTo(const Tensor& x, DType to, int64_t opset = 13) {
  return RunOk({"Cast", {x}, {{"to", static_cast<int64_t>(to)}}, opset});
}

TEST(ElementwiseKernelsTest, CastBetweenNumericTypes) {
  EXPECT_EQ(Ints(CastTo(F32({2.7f, -2.7f, 0.0f}), DType::kInt32)), (std::vector<int64_t>{2, -2, 0}));
  // numpy: np.float32(-1).astype(np.uint8) == 255 (through int64, keeping the low bits).
  EXPECT_EQ(Ints(CastTo(F32({-1.0f, 300.0f}), DType::kUInt8)), (std::vector<int64_t>{255, 44}));
  EXPECT_EQ(Ints(CastTo(F32({0.0f, -0.0f, 0.1f, kNaN}), DType::kBool)), (std::vector<int64_t>{0, 0, 1, 1}));
  ExpectNear(CastTo(Bools({true, false}), DType::kFloat64), {1, 0});
  // Spec example: 200 (int16) -> -56 (int8).
  EXPECT_EQ(Ints(CastTo(Vec<int16_t>({200}), DType::kInt8)), (std::vector<int64_t>{-56}));
  EXPECT_EQ(Ints(CastTo(Vec<int64_t>({-1}), DType::kUInt64)), (std::vector<int64_t>{-1}));
  // NaN and out-of-range values are undefined in ONNX; gsopt gives what
  // ONNX Runtime's Cast (and numpy's astype) give on x86-64 for
  // [nan, 1e30, 3e9, -3e9] as f32.
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMin32 = std::numeric_limits<int32_t>::min();
  Tensor odd = F32({kNaN, 1e30f, 3e9f, -3e9f});
  EXPECT_EQ(Ints(CastTo(odd, DType::kInt64)), (std::vector<int64_t>{kMin64, kMin64, 3000000000, -3000000000}));
  EXPECT_EQ(Ints(CastTo(odd, DType::kInt32)), (std::vector<int64_t>{kMin32, kMin32, kMin32, kMin32}));
  EXPECT_EQ(Ints(CastTo(odd, DType::kInt16)), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(Ints(CastTo(odd, DType::kUInt8)), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(Ints(CastTo(odd, DType::kUInt32)), (std::vector<int64_t>{2147483648, 0, 3000000000, 2147483648}));
  Tensor u64 = CastTo(odd, DType::kUInt64);
  EXPECT_EQ(u64.data<uint64_t>()[0], 9223372036854775808ull);
  EXPECT_EQ(u64.data<uint64_t>()[1], 0u);
  EXPECT_EQ(u64.data<uint64_t>()[2], 3000000000u);
  EXPECT_EQ(u64.data<uint64_t>()[3], 18446744070709551616ull);
  EXPECT_EQ(CastTo(F32({1e19f}), DType::kUInt64).data<uint64_t>()[0], 9999999980506447872ull);
  Tensor big = CastTo(Vec<int64_t>({(int64_t{1} << 53) + 1}), DType::kFloat64);
  EXPECT_EQ(big.data<double>()[0], 9007199254740992.0);
  Tensor same = F32({1});
  EXPECT_TRUE(CastTo(same, DType::kFloat32).SharesBufferWith(same));
}

TEST(ElementwiseKernelsTest, CastHalfTypesRoundCorrectly) {
  // 1 + 2^-11 + 2^-40 in f64 rounds up to 0x3C01 in f16 (numpy); rounding
  // through f32 first would give 0x3C00.
  Tensor h = CastTo(Vec<double>({1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)}), DType::kFloat16);
  EXPECT_EQ(h.data<uint16_t>()[0], 0x3C01);
  Tensor bf = CastTo(F32({1.0f, 3.14159f}), DType::kBFloat16);
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  // f32 bits 0x40490FD0 round to nearest even in the top 16 bits: 0x4049.
  EXPECT_EQ(bf.data<uint16_t>()[0], 0x3F80);
  EXPECT_EQ(bf.data<uint16_t>()[1], 0x4049);
  ExpectNear(CastTo(bf, DType::kFloat32), {1.0, 3.140625});
  ExpectNear(CastTo(CastTo(Vec<int32_t>({-3, 2048}), DType::kFloat16), DType::kFloat32), {-3, 2048});
  EXPECT_EQ(Ints(CastTo(h, DType::kInt32)), (std::vector<int64_t>{1}));
}

TEST(ElementwiseKernelsTest, CastStrings) {
  // Expected text from onnx.reference (numpy's str of float32).
  Tensor s = CastTo(F32({0.1f, 1e-5f, 1.5e16f, 100.0f, -2.5f, 123456.79f, 1e16f, 0.0001f}), DType::kString);
  EXPECT_EQ(s.strings(),
            (std::vector<std::string>{"0.1", "1e-05", "1.5e+16", "100.0", "-2.5", "123456.79", "1e+16", "1e-04"}));
  EXPECT_EQ(CastTo(F32({kNaN, kInf, -kInf}), DType::kString).strings(),
            (std::vector<std::string>{"NaN", "INF", "-INF"}));
  EXPECT_EQ(CastTo(Vec<int64_t>({-5, 7}), DType::kString).strings(), (std::vector<std::string>{"-5", "7"}));
  EXPECT_EQ(CastTo(Bools({true, false}), DType::kString).strings(), (std::vector<std::string>{"True", "False"}));
  Tensor text = Tensor::FromStrings({6}, {"0.5", "NaN", "INF", "+INF", "-inf", "1e-5"});
  ExpectNear(CastTo(text, DType::kFloat32), {0.5, NAN, INFINITY, INFINITY, -INFINITY, 1e-5});
  EXPECT_EQ(Ints(CastTo(Tensor::FromStrings({3}, {"-12", "9007199254740993", "2.5"}), DType::kInt64)),
            (std::vector<int64_t>{-12, 9007199254740993, 2}));
}

TEST(ElementwiseKernelsTest, CastToFloat4IsUnimplemented) {
  absl::StatusOr<std::vector<Tensor>> out =
      RunKernel({"Cast", {F32({1})}, {{"to", static_cast<int64_t>(DType::kFloat4E2M1)}}, 23});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_FALSE(RunKernel({"Cast", {F32({1})}, {}, 13}).ok());  // 'to' is required
}

TEST(ElementwiseKernelsTest, CastLikeTakesTheSecondInputsType) {
  Tensor out = RunOk({"CastLike", {F32({1.9f, -1.9f}), Vec<int64_t>({0})}, {}, 15});
  EXPECT_EQ(out.dtype(), DType::kInt64);
  EXPECT_EQ(Ints(out), (std::vector<int64_t>{1, -1}));
}

// ---- pass-through and contrib ----------------------------------------------

TEST(ElementwiseKernelsTest, IdentitySharesTheBuffer) {
  Tensor x = F32({1, 2});
  Tensor y = RunOk({"Identity", {x}});
  EXPECT_TRUE(y.SharesBufferWith(x));
}

TEST(ElementwiseKernelsTest, DropoutAtInference) {
  Tensor x = F32({2}, {1, -2});
  absl::StatusOr<std::vector<Tensor>> out = RunKernel({"Dropout", {x}, {}, 13, 2});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear((*out)[0], {1, -2});
  EXPECT_EQ((*out)[1].dtype(), DType::kBool);
  EXPECT_EQ(Ints((*out)[1]), (std::vector<int64_t>{1, 1}));
  // Opsets 7-9 type the mask like the data (ONNX Runtime insists on it).
  out = RunKernel({"Dropout", {x}, {{"ratio", 0.3f}}, 7, 2});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[1].dtype(), DType::kFloat32);
  EXPECT_EQ(Ints((*out)[1]), (std::vector<int64_t>{1, 1}));
  // training_mode = false with a ratio is still the identity.
  out = RunKernel({"Dropout", {x, Tensor::Scalar<float>(0.5f), Tensor::Scalar<bool>(false)}, {}, 13, 1});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear((*out)[0], {1, -2});
  out = RunKernel({"Dropout", {x, Tensor::Scalar<float>(0.5f), Tensor::Scalar<bool>(true)}, {}, 13, 1});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(ElementwiseKernelsTest, MicrosoftGeluVariants) {
  // Reference values from the formulas in ONNX Runtime's contrib op docs, evaluated with numpy in f64.
  const Tensor x = F32({-3, -1, -0.5f, 0, 0.5f, 1, 3});
  const std::string ms = "com.microsoft";
  ExpectNear(RunOk({"Gelu", {x}, {}, 1, 1, ms}), {-0.0040496885776519775, -0.15865525603294373, -0.1542687714099884,
                                                  0.0, 0.3457312285900116, 0.8413447141647339, 2.995950222015381},
             2e-6);
  ExpectNear(RunOk({"QuickGelu", {x}, {}, 1, 1, ms}),
             {-0.01807130970778597, -0.1542042340671787, -0.1496115633936199, 0.0, 0.35038843660638014,
              0.8457957659328212, 2.981928690292214},
             2e-6);
  ExpectNear(RunOk({"FastGelu", {x, F32({1}, {0.25f})}, {}, 1, 1, ms}),
             {-0.007723144073617988, -0.17003944483437972, -0.100324649298315, 0.149675350701685, 0.5799605551656203,
              1.1177142029697147, 3.2484313728552525},
             2e-6);
  ExpectNear(RunOk({"BiasGelu", {x, F32({1}, {0.25f})}, {}, 1, 1, ms}),
             {-0.008194348896400028, -0.16997051428265114, -0.10032341857926907, 0.14967658142073093,
              0.5800294857173488, 1.1179377829164308, 3.24812466861223},
             2e-6);
  ExpectNear(RunOk({"FastGelu", {F32({0.0f, 1.0f})}, {}, 1, 1, ms}), {0.0, 0.8411920070648193}, 2e-6);
}

// ---- kernels agree with shape inference ------------------------------------

// Builds a one-node graph, infers shapes and runs it: the kernel's output
// dtype and dims must equal the inferred type.
void ExpectKernelMatchesInference(const OpCall& call) {
  SCOPED_TRACE(call.op);
  ir::Graph graph;
  graph.mutable_metadata().opset_imports = {{"", call.opset}, {"com.microsoft", 1}};
  std::vector<ir::ValueId> inputs;
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    if (!call.inputs[i].is_defined()) {
      inputs.push_back(ir::kNoValue);
      continue;
    }
    inputs.push_back(graph.AddInput("in" + std::to_string(i), call.inputs[i].type()));
    feeds.push_back(call.inputs[i]);
  }
  std::vector<std::string> outputs;
  for (int i = 0; i < call.num_outputs; ++i) outputs.push_back("out" + std::to_string(i));
  ir::NodeId node = graph.AddNode(call.op, inputs, outputs, call.attributes, "n0", call.domain);
  for (ir::ValueId out : graph.node(node).outputs) graph.AddOutput(out);
  ASSERT_TRUE(ir::InferShapes(graph).ok()) << ir::InferShapes(graph);
  absl::StatusOr<CpuExecutor> exec = CpuExecutor::Create(graph);
  ASSERT_TRUE(exec.ok()) << exec.status();
  absl::StatusOr<std::vector<Tensor>> results = exec->Run(feeds);
  ASSERT_TRUE(results.ok()) << results.status();
  for (int i = 0; i < call.num_outputs; ++i) {
    EXPECT_EQ(graph.value(graph.outputs()[static_cast<size_t>(i)]).type, (*results)[static_cast<size_t>(i)].type())
        << "output " << i;
  }
}

TEST(ElementwiseKernelsTest, OutputTypesMatchShapeInference) {
  const Tensor x = F32({2, 3}, {-1, 0, 1, 2, 3, 4});
  const Tensor row = F32({3}, {1, 2, 3});
  const Tensor col = F32({2, 1}, {1, 2});
  const Tensor half = Tensor::Zeros(DType::kFloat16, {3});
  const std::vector<OpCall> calls = {
      {"Abs", {x}}, {"Sqrt", {x}}, {"Round", {x}}, {"Erf", {x}}, {"IsNaN", {x}}, {"IsInf", {x}},
      {"Not", {Bools({true})}}, {"BitwiseNot", {Vec<int8_t>({1})}, {}, 18}, {"Relu", {Vec<int32_t>({1})}, {}, 14},
      {"Selu", {x}}, {"HardSwish", {half}}, {"Gelu", {x}, {}, 20}, {"Mish", {x}, {}, 18}, {"Shrink", {x}},
      {"PRelu", {x, row}}, {"Clip", {x}, {{"min", 0.0f}}, 6}, {"Clip", {x, Tensor(), Tensor::Scalar<float>(1)}, {}, 13},
      {"Add", {x, row}}, {"Sub", {col, row}}, {"Mul", {x, Tensor::Scalar<float>(2)}}, {"Div", {x, col}},
      {"Pow", {x, Vec<int64_t>({2})}, {}, 15}, {"Mod", {Vec<int32_t>({5, 6}), Vec<int32_t>({4})}, {}, 13},
      {"And", {Bools({true}), Bools({false, true})}}, {"Equal", {x, row}}, {"Less", {x, col}},
      {"GreaterOrEqual", {half, half}}, {"BitShift", {Vec<uint32_t>({1}), Vec<uint32_t>({2})}, {{"direction", "LEFT"}}},
      {"BitwiseXor", {Vec<int64_t>({1}), Vec<int64_t>({2, 3})}, {}, 18}, {"Max", {x, row, col}}, {"Mean", {x, col}},
      {"Where", {Bools({true, false}, {2, 1}), row, Tensor::Scalar<float>(0)}},
      {"Cast", {x}, {{"to", static_cast<int64_t>(DType::kFloat16)}}},
      {"Cast", {x}, {{"to", static_cast<int64_t>(DType::kString)}}},
      {"CastLike", {x, Vec<uint8_t>({0})}, {}, 15}, {"Identity", {x}},
      {"Dropout", {x}, {}, 13, 2}, {"Dropout", {x}, {}, 9, 2},
      {"FastGelu", {x, row}, {}, 17, 1, "com.microsoft"}, {"QuickGelu", {x}, {}, 17, 1, "com.microsoft"},
      {"Add", {x, row}, {{"broadcast", 1}}, 6},
  };
  for (const OpCall& call : calls) ExpectKernelMatchesInference(call);
}


// ---- Cast to and from float8 -------------------------------------------------

// Codes and decoded values from onnx.reference 1.23 Cast (opset 21) of
// kFloat8Inputs to each float8 type, with saturate = 1 and 0.
struct Float8Case {
  DType type;
  int64_t saturate;
  std::vector<uint8_t> codes;
  std::vector<float> decoded;
};

TEST(ElementwiseKernelsTest, CastToAndFromFloat8FollowsTheOnnxTable) {
  const Tensor inputs = F32({0.4789f, 1e6f, kNaN, kInf, -kInf, -1e-7f, 3.3f, -300.0f, 0.0009765625f});
  const std::vector<Float8Case> cases = {
      {DType::kFloat8E4M3FN, 1, {47, 126, 127, 126, 254, 128, 69, 249, 0}, {0.46875f, 448, kNaN, 448, -448, -0.0f, 3.25f, -288, 0}},
      {DType::kFloat8E4M3FN, 0, {47, 127, 127, 127, 255, 128, 69, 249, 0}, {0.46875f, kNaN, kNaN, kNaN, kNaN, -0.0f, 3.25f, -288, 0}},
      {DType::kFloat8E4M3FNUZ, 1, {55, 127, 128, 127, 255, 0, 77, 255, 1}, {0.46875f, 240, kNaN, 240, -240, 0, 3.25f, -240, 0.0009765625f}},
      {DType::kFloat8E4M3FNUZ, 0, {55, 128, 128, 128, 128, 0, 77, 128, 1}, {0.46875f, kNaN, kNaN, kNaN, kNaN, 0, 3.25f, kNaN, 0.0009765625f}},
      {DType::kFloat8E5M2, 1, {56, 123, 126, 123, 251, 128, 67, 221, 20}, {0.5f, 57344, kNaN, 57344, -57344, -0.0f, 3.5f, -320, 0.0009765625f}},
      {DType::kFloat8E5M2, 0, {56, 124, 126, 124, 252, 128, 67, 221, 20}, {0.5f, kInf, kNaN, kInf, -kInf, -0.0f, 3.5f, -320, 0.0009765625f}},
      {DType::kFloat8E5M2FNUZ, 1, {60, 127, 128, 127, 255, 0, 71, 225, 24}, {0.5f, 57344, kNaN, 57344, -57344, 0, 3.5f, -320, 0.0009765625f}},
      {DType::kFloat8E5M2FNUZ, 0, {60, 128, 128, 128, 128, 0, 71, 225, 24}, {0.5f, kNaN, kNaN, kNaN, kNaN, 0, 3.5f, -320, 0.0009765625f}},
  };
  for (const Float8Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(ir::DTypeName(c.type), " saturate=", c.saturate));
    Tensor encoded = RunOk({"Cast", {inputs}, {{"to", static_cast<int64_t>(c.type)}, {"saturate", c.saturate}}, 21});
    ASSERT_EQ(encoded.dtype(), c.type);
    EXPECT_EQ(std::vector<uint8_t>(encoded.data<uint8_t>(), encoded.data<uint8_t>() + encoded.num_elements()), c.codes);
    Tensor decoded = CastTo(encoded, DType::kFloat32, 21);
    ASSERT_EQ(decoded.dtype(), DType::kFloat32);
    for (size_t i = 0; i < c.decoded.size(); ++i) {
      const float got = decoded.data<float>()[i];
      if (std::isnan(c.decoded[i])) {
        EXPECT_TRUE(std::isnan(got)) << "element " << i;
      } else {
        EXPECT_EQ(got, c.decoded[i]) << "element " << i;
        EXPECT_EQ(std::signbit(got), std::signbit(c.decoded[i])) << "element " << i;
      }
    }
  }
  // CastLike takes the float8 type from its second input, and f16 sources
  // round the same way as f32 ones.
  Tensor like = Tensor::FromVector<uint8_t>({1}, {0}, DType::kFloat8E5M2);
  Tensor half = RunOk({"Cast", {F32({3.3f, -300.0f})}, {{"to", static_cast<int64_t>(DType::kFloat16)}}, 21});
  Tensor from_half = RunOk({"CastLike", {half, like}, {}, 21});
  ASSERT_EQ(from_half.dtype(), DType::kFloat8E5M2);
  EXPECT_EQ(from_half.data<uint8_t>()[0], 67);
  EXPECT_EQ(from_half.data<uint8_t>()[1], 221);
}

}  // namespace
}  // namespace gsopt::backend::cpu
