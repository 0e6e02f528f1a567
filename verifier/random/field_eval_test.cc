// Tests of the finite-field evaluator: small cases computed by hand, and
// agreement with gsopt's float CPU kernels on small integer inputs, where
// float arithmetic is exact and so must equal the field result mod p.
#include "verifier/random/field_eval.h"

#include <random>

#include "backend/cpu/executor.h"
#include "frontends/text/text_format.h"
#include "gtest/gtest.h"
#include "ir/op_registry.h"

namespace gsopt::verifier::field {
namespace {

FieldTensor Field(std::vector<int64_t> dims, std::vector<int64_t> values) {
  FieldTensor t;
  t.dims = std::move(dims);
  for (int64_t v : values) t.values.push_back(FieldFromInt(v));
  return t;
}

FieldTensor Ints(std::vector<int64_t> dims, std::vector<int64_t> values) {
  FieldTensor t;
  t.dims = std::move(dims);
  t.ints = std::move(values);
  t.is_int = true;
  return t;
}

ir::Graph Parse(const std::string& body) {
  auto graph = frontends::text::ParseGraph("gsir 1\nmodel ir_version=8 opset_import={\"\": 17}\n" + body);
  EXPECT_TRUE(graph.ok()) << graph.status();
  return *std::move(graph);
}

TEST(FieldArithmeticTest, MulMatchesWideModulo) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    uint64_t a = rng() % kPrime, b = rng() % kPrime;
    ASSERT_EQ(FieldMul(a, b), static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) % kPrime));
  }
  EXPECT_EQ(FieldMul(kPrime - 1, kPrime - 1), 1u);
}

TEST(FieldArithmeticTest, InverseAndNegatives) {
  EXPECT_EQ(FieldFromInt(-1), kPrime - 1);
  EXPECT_EQ(FieldFromInt(static_cast<int64_t>(kPrime) + 3), 3u);
  for (uint64_t a : std::vector<uint64_t>{1, 2, 3, 12345, kPrime - 1}) EXPECT_EQ(FieldMul(a, FieldInverse(a)), 1u);
}

TEST(FieldArithmeticTest, RandomTensorIsDeterministicAndInRange) {
  FieldTensor a = RandomFieldTensor({3, 4}, 11), b = RandomFieldTensor({3, 4}, 11), c = RandomFieldTensor({3, 4}, 12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.values, c.values);
  for (uint64_t v : a.values) EXPECT_LT(v, kPrime);
  EXPECT_EQ(a.values.size(), 12u);
}

TEST(FieldEvalTest, HandComputedMatMulAndDiv) {
  ir::Graph g = Parse(R"(graph @main(%a: f32[2,2], %b: f32[2,2]) -> (%y: f32[2,2], %q: f32[2,2]) {
    %y = MatMul(%a, %b)
    %q = Div(%a, %b)
    return %y, %q
  })");
  auto out = EvalGraph(g, {{"a", Field({2, 2}, {1, 2, 3, 4})}, {"b", Field({2, 2}, {5, 6, 7, 8})}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0], Field({2, 2}, {19, 22, 43, 50}));
  // 1/5 in the field: multiplying back by 5 gives 1.
  EXPECT_EQ(FieldMul((*out)[1].values[0], 5), 1u);
  EXPECT_EQ(FieldMul((*out)[1].values[3], 8), 4u);
}

TEST(FieldEvalTest, DivisionByZeroIsAnError) {
  ir::Graph g = Parse(R"(graph @main(%a: f32[2], %b: f32[2]) -> (%q: f32[2]) {
    %q = Div(%a, %b)
    return %q
  })");
  auto out = EvalGraph(g, {{"a", Field({2}, {1, 2})}, {"b", Field({2}, {3, 0})}});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FieldEvalTest, HandComputedMeansAndPooling) {
  ir::Graph g = Parse(R"(graph @main(%x: f32[1,1,2,2]) -> (%m: f32[1,1,2,1], %p: f32[1,1,2,2]) {
    %m = ReduceMean(%x) {axes = [-1]}
    %p = AveragePool(%x) {kernel_shape = [3, 3], pads = [1, 1, 1, 1], count_include_pad = 1}
    return %m, %p
  })");
  auto out = EvalGraph(g, {{"x", Field({1, 1, 2, 2}, {2, 4, 6, 12})}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0], Field({1, 1, 2, 1}, {3, 9}));
  // Every 3x3 window covers the whole 2x2 input: (2+4+6+12)/9 each.
  uint64_t expected = FieldMul(24, FieldInverse(9));
  EXPECT_EQ((*out)[1].values, std::vector<uint64_t>(4, expected));
}

TEST(FieldEvalTest, DataMovementHandCases) {
  ir::Graph g = Parse(
      R"(graph @main(%a: f32[2,3]) -> (%t: f32[3,2], %r: f32[3,2], %s1: f32[2,1], %s2: f32[2,2], %p: f32[2,5], %c: f32[4,3]) {
    %shape = const i64[2] dense<[-1, 2]>
    %t = Transpose(%a) {perm = [1, 0]}
    %r = Reshape(%a, %shape)
    %split = const i64[2] dense<[1, 2]>
    %s1, %s2 = Split(%a, %split) {axis = 1}
    %pads = const i64[4] dense<[0, 1, 0, 1]>
    %p = Pad(%a, %pads)
    %c = Concat(%a, %a) {axis = 0}
    return %t, %r, %s1, %s2, %p, %c
  })");
  auto out = EvalGraph(g, {{"a", Field({2, 3}, {1, 2, 3, 4, 5, 6})}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0], Field({3, 2}, {1, 4, 2, 5, 3, 6}));
  EXPECT_EQ((*out)[1], Field({3, 2}, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ((*out)[2], Field({2, 1}, {1, 4}));
  EXPECT_EQ((*out)[3], Field({2, 2}, {2, 3, 5, 6}));
  EXPECT_EQ((*out)[4], Field({2, 5}, {0, 1, 2, 3, 0, 0, 4, 5, 6, 0}));
  EXPECT_EQ((*out)[5], Field({4, 3}, {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}));
}

TEST(FieldEvalTest, IntegerTensorsStayIntegers) {
  ir::Node concat;
  concat.name = "c";
  concat.op_type = "Concat";
  concat.attributes["axis"] = int64_t{0};
  FieldTensor a = Ints({2}, {3, -1}), b = Ints({1}, {4});
  std::vector<const FieldTensor*> inputs = {&a, &b};
  auto out = EvalNode(concat, 17, inputs);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0], Ints({3}, {3, -1, 4}));
}

TEST(FieldEvalTest, FieldEvaluabilityFollowsAttributes) {
  ir::Node pool;
  pool.op_type = "AveragePool";
  EXPECT_FALSE(IsFieldEvaluable(pool));  // count_include_pad defaults to 0
  pool.attributes["count_include_pad"] = int64_t{1};
  EXPECT_TRUE(IsFieldEvaluable(pool));
  ir::Node relu;
  relu.op_type = "Relu";
  EXPECT_FALSE(IsFieldEvaluable(relu));
  std::vector<const FieldTensor*> none;
  EXPECT_EQ(EvalNode(relu, 17, none).status().code(), absl::StatusCode::kUnimplemented);
}

// Evaluates `graph` in floats on random small integers and in the field on the
// same values; every output must agree exactly.
void ExpectAgreesWithFloats(const std::string& body, uint64_t seed) {
  ir::Graph graph = Parse(body);
  ASSERT_TRUE(ir::InferShapes(graph).ok());
  std::mt19937_64 rng(seed);
  std::vector<ir::Tensor> float_inputs;
  std::map<std::string, FieldTensor> field_inputs;
  for (ir::ValueId id : graph.inputs()) {
    const ir::Value& v = graph.value(id);
    std::vector<int64_t> dims = v.type.shape.static_dims();
    ir::Tensor t = ir::Tensor::Zeros(ir::DType::kFloat32, dims);
    FieldTensor f;
    f.dims = dims;
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      int64_t x = static_cast<int64_t>(rng() % 7) - 3;
      t.SetFromDouble(i, static_cast<double>(x));
      f.values.push_back(FieldFromInt(x));
    }
    float_inputs.push_back(t);
    field_inputs[v.name] = f;
  }
  auto executor = backend::cpu::CpuExecutor::Create(graph);
  ASSERT_TRUE(executor.ok()) << executor.status();
  auto float_out = executor->Run(float_inputs);
  ASSERT_TRUE(float_out.ok()) << float_out.status();
  auto field_out = EvalGraph(graph, field_inputs);
  ASSERT_TRUE(field_out.ok()) << field_out.status();
  ASSERT_EQ(float_out->size(), field_out->size());
  for (size_t o = 0; o < field_out->size(); ++o) {
    const ir::Tensor& expected = (*float_out)[o];
    const FieldTensor& actual = (*field_out)[o];
    ASSERT_EQ(actual.dims, expected.dims()) << "output " << o;
    for (int64_t i = 0; i < expected.num_elements(); ++i)
      ASSERT_EQ(actual.values[i], FieldFromInt(static_cast<int64_t>(expected.GetAsDouble(i))))
          << "output " << o << " element " << i;
  }
}

TEST(FieldEvalAgreesWithFloatTest, BatchedBroadcastMatMul) {
  ExpectAgreesWithFloats(
      R"(graph @main(%a: f32[2,1,3,4], %b: f32[3,4,5], %v: f32[4]) -> (%y: f32[2,3,3,5], %z: f32[2,1,3]) {
    %y = MatMul(%a, %b)
    %z = MatMul(%a, %v)
    return %y, %z
  })",
      1);
}

TEST(FieldEvalAgreesWithFloatTest, ConvVariants) {
  ExpectAgreesWithFloats(
      R"(graph @main(%x: f32[2,4,5,6], %w: f32[6,2,3,3], %b: f32[6], %w1: f32[3,4,1,1]) -> (%y: f32[2,6,3,3], %z: f32[2,3,5,6], %d: f32[2,6,3,4]) {
    %y = Conv(%x, %w, %b) {group = 2, strides = [2, 2], pads = [1, 0, 1, 0]}
    %z = Conv(%x, %w1)
    %d = Conv(%x, %w) {group = 2, dilations = [2, 2], pads = [2, 1, 1, 1]}
    return %y, %z, %d
  })",
      2);
}

TEST(FieldEvalAgreesWithFloatTest, BroadcastArithmetic) {
  ExpectAgreesWithFloats(R"(graph @main(%a: f32[2,3,4], %b: f32[3,1], %s: f32[]) -> (%y: f32[2,3,4], %z: f32[2,3,4]) {
    %t = Add(%a, %b)
    %u = Sub(%t, %a)
    %y = Mul(%u, %s)
    %z = Mul(%a, %b)
    return %y, %z
  })",
                         3);
}

TEST(FieldEvalAgreesWithFloatTest, ShapeOps) {
  ExpectAgreesWithFloats(
      R"(graph @main(%a: f32[2,3,4]) -> (%y: f32[4,2,3], %f: f32[6,4], %u: f32[2,1,3,4], %q: f32[2,3,4], %r: f32[3,8], %s1: f32[2,3,2], %s2: f32[2,3,2], %p: f32[2,5,4]) {
    %y = Transpose(%a) {perm = [2, 0, 1]}
    %f = Flatten(%a) {axis = 2}
    %ax = const i64[1] dense<[1]>
    %u = Unsqueeze(%a, %ax)
    %q = Squeeze(%u, %ax)
    %shape = const i64[2] dense<[0, -1]>
    %t = Transpose(%a) {perm = [1, 0, 2]}
    %r = Reshape(%t, %shape)
    %s1, %s2 = Split(%a) {axis = -1}
    %pads = const i64[6] dense<[0, 2, 0, 0, 0, 0]>
    %p = Pad(%a, %pads)
    return %y, %f, %u, %q, %r, %s1, %s2, %p
  })",
      4);
}

}  // namespace
}  // namespace gsopt::verifier::field
