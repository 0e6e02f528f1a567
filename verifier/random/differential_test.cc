// Tests for tensor comparison and graph-vs-graph differential testing.
#include "verifier/random/differential.h"

#include "gtest/gtest.h"

namespace gsopt::verifier {
namespace {

using ir::DType;
using ir::Tensor;

TEST(CompareTensorsTest, ToleranceNanAndShape) {
  Tolerance tol{1e-3, 1e-5};
  Tensor e = Tensor::FromVector<float>({3}, {1.0f, NAN, -2.0f});
  EXPECT_TRUE(CompareTensors("y", Tensor::FromVector<float>({3}, {1.0005f, NAN, -2.0f}), e, tol).matches);
  TensorDiff bad = CompareTensors("y", Tensor::FromVector<float>({3}, {1.01f, NAN, -2.0f}), e, tol);
  EXPECT_FALSE(bad.matches);
  EXPECT_EQ(bad.mismatched_elements, 1);
  EXPECT_NEAR(bad.max_abs_error, 0.01, 1e-6);
  EXPECT_FALSE(CompareTensors("y", Tensor::FromVector<float>({3}, {1.0f, 0.0f, -2.0f}), e, tol).matches);
  EXPECT_FALSE(CompareTensors("y", Tensor::FromVector<float>({1, 3}, {1.0f, NAN, -2.0f}), e, tol).matches);
  EXPECT_FALSE(CompareTensors("y", Tensor::FromVector<double>({3}, {1.0, NAN, -2.0}), e, tol).matches);
}

TEST(CompareTensorsTest, IntegersAreExact) {
  Tensor e = Tensor::FromVector<int64_t>({2}, {5, 7});
  EXPECT_TRUE(CompareTensors("i", Tensor::FromVector<int64_t>({2}, {5, 7}), e, {}).matches);
  EXPECT_FALSE(CompareTensors("i", Tensor::FromVector<int64_t>({2}, {5, 8}), e, {}).matches);
}

TEST(RandomInputsTest, DeterministicAndShaped) {
  ir::Graph g;
  g.AddInput("x", ir::TensorType{DType::kFloat32, ir::Shape({ir::Dim::Symbol("batch"), 3})});
  g.AddInput("ids", ir::TensorType{DType::kInt64, ir::Shape::FromStatic({4})});
  RandomInputOptions options;
  options.symbolic_dims["batch"] = 2;
  auto a = MakeRandomInputs(g, options);
  auto b = MakeRandomInputs(g, options);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE((*a)[0].BitwiseEquals((*b)[0]));
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_GE((*a)[1].GetAsInt64(i), 0);
    EXPECT_LE((*a)[1].GetAsInt64(i), 1);
  }
  options.seed = 1;
  EXPECT_FALSE((*MakeRandomInputs(g, options))[0].BitwiseEquals((*a)[0]));
}

// y = relu(x) * 2 written two ways, and a wrong variant.
ir::Graph ScaledRelu(bool mul_first, float factor) {
  ir::Graph g;
  ir::ValueId x = g.AddInput("x", ir::TensorType{DType::kFloat32, ir::Shape::FromStatic({4, 5})});
  ir::ValueId two = g.AddInitializer("two", Tensor::Scalar<float>(factor));
  if (mul_first) {
    ir::NodeId m = g.AddNode("Mul", {x, two}, {"m"});
    g.AddNode("Relu", {g.node(m).outputs[0]}, {"y"});
  } else {
    ir::NodeId r = g.AddNode("Relu", {x}, {"r"});
    g.AddNode("Mul", {g.node(r).outputs[0], two}, {"y"});
  }
  g.AddOutput(*g.FindValue("y"));
  return g;
}

TEST(CompareGraphsTest, EqualGraphsMatchAndWrongOnesDont) {
  DifferentialOptions options;
  absl::StatusOr<DifferentialReport> same = CompareGraphs(ScaledRelu(true, 2), ScaledRelu(false, 2), options);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(same->matches) << same->Summary();
  EXPECT_EQ(same->trials, 3);
  // relu(-2x) != -2 relu(x): Relu does not commute with a negative scale.
  absl::StatusOr<DifferentialReport> wrong = CompareGraphs(ScaledRelu(true, -2), ScaledRelu(false, -2), options);
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_FALSE(wrong->matches);
  EXPECT_NE(wrong->Summary().find("OUTPUTS DIFFER"), std::string::npos);
}

}  // namespace
}  // namespace gsopt::verifier
