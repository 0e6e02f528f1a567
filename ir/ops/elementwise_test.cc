// Shape-inference tests for the elementwise ops: output dtypes, numpy
// broadcasting over static, symbolic and unknown dims, opset-dependent
// behaviour (legacy broadcast, Dropout's mask type) and the errors that name
// the node for inputs that can never be valid.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::ir {
namespace {

using ::testing::HasSubstr;

// A graph with typed inputs and one node under test.
class ElementwiseShapeInferenceTest : public ::testing::Test {
 protected:
  // Starts over with an empty graph (a failing node would fail every later inference).
  void Reset(int64_t opset = 17) {
    graph_ = Graph();
    SetOpset(opset);
  }
  void SetOpset(int64_t opset) { graph_.mutable_metadata().opset_imports = {{"", opset}, {"com.microsoft", 1}}; }

  ValueId Input(DType dtype, Shape shape) {
    return graph_.AddInput(absl::StrCat("in", graph_.num_values()), TensorType{dtype, std::move(shape)});
  }
  ValueId Constant(Tensor t) { return graph_.AddInitializer(absl::StrCat("c", graph_.num_values()), std::move(t)); }

  // Adds the node and infers shapes; returns the status of inference.
  absl::Status Infer(const std::string& op, std::vector<ValueId> inputs, AttributeMap attributes = {},
                     int num_outputs = 1, const std::string& domain = "") {
    std::vector<std::string> outputs;
    for (int i = 0; i < num_outputs; ++i) outputs.push_back("out" + std::to_string(next_output_++));
    node_ = graph_.AddNode(op, std::move(inputs), outputs, std::move(attributes), graph_.UniqueNodeName("n0"), domain);
    return InferShapes(graph_);
  }
  const TensorType& Out(int i = 0) const { return graph_.value(graph_.node(node_).outputs[static_cast<size_t>(i)]).type; }

  Graph graph_;
  NodeId node_ = kNoNode;
  int next_output_ = 0;

  void SetUp() override { SetOpset(17); }
};

Shape S(std::vector<Dim> dims) { return Shape(std::move(dims)); }
const Dim kN = Dim::Symbol("N");

TEST_F(ElementwiseShapeInferenceTest, UnaryKeepsTypeIncludingSymbolicDims) {
  ValueId x = Input(DType::kFloat32, S({kN, 3, Dim()}));
  ASSERT_TRUE(Infer("Sigmoid", {x}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({kN, 3, Dim()})}));
}

TEST_F(ElementwiseShapeInferenceTest, UnknownRankAndDtypePropagate) {
  ValueId x = Input(DType::kUndefined, Shape());
  ASSERT_TRUE(Infer("Exp", {x}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kUndefined, Shape()}));
}

TEST_F(ElementwiseShapeInferenceTest, UnaryRejectsTypesNoOpsetAccepts) {
  ValueId x = Input(DType::kInt32, S({2}));
  absl::Status s = Infer("Sqrt", {x});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("node 'n0' (Sqrt)"));
  EXPECT_THAT(s.message(), HasSubstr("i32"));
}

TEST_F(ElementwiseShapeInferenceTest, PredicatesAndLogicGiveBool) {
  ValueId x = Input(DType::kFloat16, S({kN, 4}));
  ASSERT_TRUE(Infer("IsNaN", {x}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kBool, S({kN, 4})}));
  ValueId b = Input(DType::kBool, S({4}));
  ValueId c = Input(DType::kBool, S({kN, 1}));
  ASSERT_TRUE(Infer("Xor", {b, c}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kBool, S({kN, 4})}));
}

TEST_F(ElementwiseShapeInferenceTest, BinaryBroadcastsStaticSymbolicAndUnknownDims) {
  ValueId a = Input(DType::kFloat32, S({kN, 3, 1}));
  ValueId b = Input(DType::kFloat32, S({5}));
  ASSERT_TRUE(Infer("Add", {a, b}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({kN, 3, 5})}));

  ValueId c = Input(DType::kFloat32, S({Dim(), 1}));
  ValueId d = Input(DType::kFloat32, S({7, 1, 4}));
  ASSERT_TRUE(Infer("Mul", {c, d}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({7, Dim(), 4})}));

  ValueId e = Input(DType::kFloat32, Shape());
  ASSERT_TRUE(Infer("Sub", {e, a}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, Shape()}));
}

TEST_F(ElementwiseShapeInferenceTest, BinaryErrorsNameTheNode) {
  ValueId a = Input(DType::kFloat32, S({2, 3}));
  ValueId b = Input(DType::kFloat32, S({4}));
  absl::Status s = Infer("Div", {a, b});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("node 'n0' (Div)"));

  Reset();
  ValueId f = Input(DType::kFloat32, S({2}));
  ValueId i = Input(DType::kInt64, S({2}));
  s = Infer("Add", {f, i});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("i64"));
}

TEST_F(ElementwiseShapeInferenceTest, ComparisonOutputsBool) {
  ValueId a = Input(DType::kInt64, S({2, 1}));
  ValueId b = Input(DType::kInt64, S({3}));
  ASSERT_TRUE(Infer("GreaterOrEqual", {a, b}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kBool, S({2, 3})}));
  ValueId s1 = Input(DType::kString, S({3}));
  ASSERT_TRUE(Infer("Equal", {s1, s1}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kBool, S({3})}));
  EXPECT_FALSE(Infer("Less", {s1, s1}).ok());
}

TEST_F(ElementwiseShapeInferenceTest, LegacyBroadcastKeepsFirstInputShape) {
  SetOpset(6);
  ValueId a = Input(DType::kFloat32, S({2, 3, 4}));
  ValueId b = Input(DType::kFloat32, S({3}));
  ASSERT_TRUE(Infer("Add", {a, b}, {{"broadcast", 1}, {"axis", 1}}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({2, 3, 4})}));
}

TEST_F(ElementwiseShapeInferenceTest, PowTakesTheBaseType) {
  ValueId x = Input(DType::kInt32, S({3}));
  ValueId y = Input(DType::kFloat32, S({1}));
  ASSERT_TRUE(Infer("Pow", {x, y}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kInt32, S({3})}));
}

TEST_F(ElementwiseShapeInferenceTest, ModAndBitShiftCheckAttributes) {
  ValueId a = Input(DType::kUInt8, S({3}));
  ASSERT_TRUE(Infer("BitShift", {a, a}, {{"direction", "LEFT"}}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kUInt8, S({3})}));
  absl::Status s = Infer("BitShift", {a, a}, {{"direction", "left"}});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("direction"));
}

TEST_F(ElementwiseShapeInferenceTest, ModRejectsBadFmod) {
  ValueId a = Input(DType::kInt32, S({3}));
  EXPECT_FALSE(Infer("Mod", {a, a}, {{"fmod", 2}}).ok());
}

TEST_F(ElementwiseShapeInferenceTest, VariadicBroadcastsAllInputs) {
  ValueId a = Input(DType::kFloat32, S({kN, 1, 1}));
  ValueId b = Input(DType::kFloat32, S({3, 1}));
  ValueId c = Input(DType::kFloat32, S({4}));
  ASSERT_TRUE(Infer("Max", {a, b, c}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({kN, 3, 4})}));
  ASSERT_TRUE(Infer("Sum", {a}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({kN, 1, 1})}));
  ValueId d = Input(DType::kFloat64, S({4}));
  EXPECT_FALSE(Infer("Mean", {a, d}).ok());
}

TEST_F(ElementwiseShapeInferenceTest, WhereBroadcastsThreeInputs) {
  ValueId cond = Input(DType::kBool, S({kN, 1}));
  ValueId x = Input(DType::kInt64, S({5}));
  ValueId y = Input(DType::kInt64, Shape::Scalar());
  ASSERT_TRUE(Infer("Where", {cond, x, y}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kInt64, S({kN, 5})}));
  absl::Status s = Infer("Where", {x, x, y});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("expected bool"));
}

TEST_F(ElementwiseShapeInferenceTest, PReluBroadcastsSlope) {
  ValueId x = Input(DType::kFloat32, S({kN, 3, 8, 8}));
  ValueId slope = Input(DType::kFloat32, S({3, 1, 1}));
  ASSERT_TRUE(Infer("PRelu", {x, slope}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({kN, 3, 8, 8})}));
  // Two-way broadcasting, as ONNX Runtime accepts it.
  ValueId col = Input(DType::kFloat32, S({4, 1}));
  ValueId row = Input(DType::kFloat32, S({5}));
  ASSERT_TRUE(Infer("PRelu", {col, row}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({4, 5})}));
  ValueId wrong = Input(DType::kFloat32, S({2}));
  EXPECT_FALSE(Infer("PRelu", {row, wrong}).ok());
}

TEST_F(ElementwiseShapeInferenceTest, ClipChecksBoundTypes) {
  ValueId x = Input(DType::kFloat32, S({kN}));
  ValueId lo = Constant(Tensor::Scalar<float>(0));
  ASSERT_TRUE(Infer("Clip", {x, lo, kNoValue}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({kN})}));
  Reset();
  x = Input(DType::kFloat32, S({kN}));
  ValueId wrong = Constant(Tensor::Scalar<int32_t>(0));
  EXPECT_FALSE(Infer("Clip", {x, wrong}).ok());
  Reset();
  x = Input(DType::kFloat32, S({kN}));
  ValueId vector = Input(DType::kFloat32, S({2}));
  absl::Status s = Infer("Clip", {x, vector});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("scalar"));
}

TEST_F(ElementwiseShapeInferenceTest, CastUsesTheToAttribute) {
  ValueId x = Input(DType::kFloat32, S({kN, 2}));
  ASSERT_TRUE(Infer("Cast", {x}, {{"to", static_cast<int64_t>(DType::kFloat16)}}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat16, S({kN, 2})}));
  ASSERT_TRUE(Infer("Cast", {x}, {{"to", static_cast<int64_t>(DType::kString)}}).ok());
  EXPECT_EQ(Out().dtype, DType::kString);
  Reset();
  x = Input(DType::kFloat32, S({kN, 2}));
  absl::Status s = Infer("Cast", {x});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("'to'"));
  Reset();
  x = Input(DType::kFloat32, S({kN, 2}));
  EXPECT_FALSE(Infer("Cast", {x}, {{"to", int64_t{999}}}).ok());
}

TEST_F(ElementwiseShapeInferenceTest, CastLikeTakesTargetDtype) {
  ValueId x = Input(DType::kFloat32, S({kN, 2}));
  ValueId like = Input(DType::kBFloat16, S({1}));
  ASSERT_TRUE(Infer("CastLike", {x, like}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kBFloat16, S({kN, 2})}));
}

TEST_F(ElementwiseShapeInferenceTest, DropoutMaskIsBoolFromOpset10) {
  ValueId x = Input(DType::kFloat32, S({kN, 8}));
  ASSERT_TRUE(Infer("Dropout", {x}, {}, 2).ok());
  EXPECT_EQ(Out(0), (TensorType{DType::kFloat32, S({kN, 8})}));
  EXPECT_EQ(Out(1), (TensorType{DType::kBool, S({kN, 8})}));
  // Before opset 10 the schema types the mask like the data.
  Reset(9);
  ValueId y = Input(DType::kFloat16, S({3}));
  ASSERT_TRUE(Infer("Dropout", {y}, {{"ratio", 0.2f}}, 2).ok());
  EXPECT_EQ(Out(1), (TensorType{DType::kFloat16, S({3})}));
  Reset(13);
  ValueId z = Input(DType::kFloat32, S({3}));
  ValueId ratio = Input(DType::kFloat32, S({2}));
  EXPECT_FALSE(Infer("Dropout", {z, ratio}, {}, 2).ok());
}

TEST_F(ElementwiseShapeInferenceTest, GeluChecksApproximate) {
  SetOpset(20);
  ValueId x = Input(DType::kFloat32, S({kN}));
  ASSERT_TRUE(Infer("Gelu", {x}, {{"approximate", "tanh"}}).ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat32, S({kN})}));
  EXPECT_FALSE(Infer("Gelu", {x}, {{"approximate", "fast"}}).ok());
}

TEST_F(ElementwiseShapeInferenceTest, MicrosoftGeluOps) {
  ValueId x = Input(DType::kFloat16, S({kN, 16, 64}));
  ValueId bias = Input(DType::kFloat16, S({64}));
  ASSERT_TRUE(Infer("FastGelu", {x, bias}, {}, 1, "com.microsoft").ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat16, S({kN, 16, 64})}));
  ASSERT_TRUE(Infer("BiasGelu", {x, bias}, {}, 1, "com.microsoft").ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat16, S({kN, 16, 64})}));
  ASSERT_TRUE(Infer("QuickGelu", {x}, {{"alpha", 1.0f}}, 1, "com.microsoft").ok());
  EXPECT_EQ(Out(), (TensorType{DType::kFloat16, S({kN, 16, 64})}));
  ASSERT_NE(OpRegistry::Global().Find("com.microsoft", "Gelu"), nullptr);
}

TEST_F(ElementwiseShapeInferenceTest, SchemasDeclareInputAndOutputCounts) {
  const OpRegistry& registry = OpRegistry::Global();
  const OpSchema* clip = registry.Find("", "Clip");
  ASSERT_NE(clip, nullptr);
  EXPECT_EQ(clip->min_inputs, 1);
  EXPECT_EQ(clip->max_inputs, 3);
  const OpSchema* dropout = registry.Find("", "Dropout");
  ASSERT_NE(dropout, nullptr);
  EXPECT_EQ(dropout->max_inputs, 3);
  EXPECT_EQ(dropout->max_outputs, 2);
  const OpSchema* sum = registry.Find("", "Sum");
  ASSERT_NE(sum, nullptr);
  EXPECT_EQ(sum->min_inputs, 1);
  EXPECT_GT(sum->max_inputs, 100);
  for (const char* op : {"Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin",
                         "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf",
                         "IsNaN", "IsInf", "Not", "BitwiseNot", "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu",
                         "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Gelu", "Mish",
                         "ThresholdedRelu", "Shrink", "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Mean",
                         "And", "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "BitShift",
                         "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Where", "Cast", "CastLike", "Identity"}) {
    EXPECT_NE(registry.Find("", op), nullptr) << op;
  }
  // The importer may spell the default domain out.
  EXPECT_NE(registry.Find("ai.onnx", "Add"), nullptr);
}

TEST_F(ElementwiseShapeInferenceTest, WrongInputCountIsAnError) {
  ValueId a = Input(DType::kFloat32, S({2}));
  absl::Status s = Infer("Add", {a});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("inputs"));
}

}  // namespace
}  // namespace gsopt::ir
