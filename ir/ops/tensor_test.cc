// Shape-inference tests for the tensor-manipulation ops: each case builds a
// one-node graph (inputs either typed graph inputs, possibly with symbolic or
// unknown dims, or constants), runs InferShapes and reads the output types as
// text ("f32[batch,12]"), or the error a malformed node must produce.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::ir {
namespace {

using ::testing::HasSubstr;

// One node input: a graph input of some type, a constant, or omitted.
struct Operand {
  TensorType type;
  std::optional<Tensor> constant;
  bool absent = false;
};

Operand In(DType dtype, std::vector<Dim> dims) { return Operand{TensorType{dtype, Shape(std::move(dims))}}; }
Operand InUnknownRank(DType dtype) { return Operand{TensorType{dtype, Shape()}}; }
Operand Const(Tensor t) { return Operand{t.type(), std::move(t)}; }
Operand Ints(std::vector<int64_t> v) { return Const(Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v)); }
Operand Floats(std::vector<float> v) { return Const(Tensor::FromVector<float>({static_cast<int64_t>(v.size())}, v)); }
Operand Absent() { return Operand{{}, std::nullopt, true}; }
Dim Sym(const char* name) { return Dim::Symbol(name); }

struct Request {
  std::string op;
  std::vector<Operand> inputs;
  AttributeMap attributes = {};
  int num_outputs = 1;
  int64_t opset = 17;
};

// The inferred output types, joined by " ", or "error: <message>".
std::string Infer(const Request& r) {
  Graph g;
  g.mutable_metadata().opset_imports[""] = r.opset;
  std::vector<ValueId> ids;
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    const Operand& in = r.inputs[i];
    std::string name = "in" + std::to_string(i);
    if (in.absent) {
      ids.push_back(kNoValue);
    } else if (in.constant.has_value()) {
      ids.push_back(g.AddInitializer(name, *in.constant));
    } else {
      ids.push_back(g.AddInput(name, in.type));
    }
  }
  std::vector<std::string> outputs;
  for (int i = 0; i < r.num_outputs; ++i) outputs.push_back("out" + std::to_string(i));
  NodeId node = g.AddNode(r.op, ids, outputs, r.attributes, "n");
  absl::Status s = InferShapes(g);
  if (!s.ok()) return "error: " + std::string(s.message());
  std::string text;
  for (ValueId out : g.node(node).outputs) {
    if (!text.empty()) text += " ";
    text += g.value(out).type.ToString();
  }
  return text;
}

// ---------------------------------------------------------------- constants, shape queries

TEST(TensorShapeInferenceTest, ConstantTakesItsTypeFromWhicheverValueAttributeIsSet) {
  EXPECT_EQ(Infer({"Constant", {}, {{"value", Tensor::FromVector<int32_t>({2, 2}, {1, 2, 3, 4})}}}), "i32[2,2]");
  EXPECT_EQ(Infer({"Constant", {}, {{"value_float", 1.5f}}}), "f32[]");
  EXPECT_EQ(Infer({"Constant", {}, {{"value_floats", std::vector<float>{1, 2, 3}}}}), "f32[3]");
  EXPECT_EQ(Infer({"Constant", {}, {{"value_int", int64_t{4}}}}), "i64[]");
  EXPECT_EQ(Infer({"Constant", {}, {{"value_ints", std::vector<int64_t>{4, 5}}}}), "i64[2]");
  EXPECT_EQ(Infer({"Constant", {}, {{"value_string", "a"}}}), "string[]");
  EXPECT_EQ(Infer({"Constant", {}, {{"value_strings", std::vector<std::string>{"a", "b"}}}}), "string[2]");
  EXPECT_THAT(Infer({"Constant", {}, {}}), HasSubstr("node 'n' (Constant): needs exactly one"));
  EXPECT_THAT(Infer({"Constant", {}, {{"value_int", int64_t{1}}, {"value_float", 1.0f}}}), HasSubstr("got 2"));
}

TEST(TensorShapeInferenceTest, ConstantOfShapeReadsTheShapeWhenConstant) {
  Tensor one = Tensor::FromVector<int32_t>({1}, {7});
  EXPECT_EQ(Infer({"ConstantOfShape", {Ints({2, 3})}, {{"value", one}}}), "i32[2,3]");
  EXPECT_EQ(Infer({"ConstantOfShape", {Ints({})}}), "f32[]");
  EXPECT_EQ(Infer({"ConstantOfShape", {In(DType::kInt64, {3})}}), "f32[?,?,?]");
  EXPECT_EQ(Infer({"ConstantOfShape", {In(DType::kInt64, {Dim()})}}), "f32[*]");
  EXPECT_THAT(Infer({"ConstantOfShape", {Ints({2, -1})}}), HasSubstr("negative dim -1"));
}

TEST(TensorShapeInferenceTest, ShapeHonoursStartAndEndFromOpset15) {
  Operand x = In(DType::kFloat32, {Sym("b"), 3, 4, 5});
  EXPECT_EQ(Infer({"Shape", {x}}), "i64[4]");
  EXPECT_EQ(Infer({"Shape", {x}, {{"start", int64_t{1}}}, 1, 15}), "i64[3]");
  EXPECT_EQ(Infer({"Shape", {x}, {{"start", int64_t{-1}}}, 1, 15}), "i64[1]");
  EXPECT_EQ(Infer({"Shape", {x}, {{"start", int64_t{1}}, {"end", int64_t{-1}}}, 1, 15}), "i64[2]");
  EXPECT_EQ(Infer({"Shape", {x}, {{"start", int64_t{-10}}, {"end", int64_t{10}}}, 1, 15}), "i64[4]");
  EXPECT_EQ(Infer({"Shape", {x}, {{"start", int64_t{3}}, {"end", int64_t{1}}}, 1, 15}), "i64[0]");
  // Before opset 15 the attributes do not exist.
  EXPECT_EQ(Infer({"Shape", {x}, {{"start", int64_t{1}}}, 1, 13}), "i64[4]");
  EXPECT_EQ(Infer({"Shape", {InUnknownRank(DType::kFloat32)}}), "i64[?]");
  EXPECT_EQ(Infer({"Size", {x}}), "i64[]");
}

// ---------------------------------------------------------------- Reshape family

TEST(TensorShapeInferenceTest, ReshapeCopiesZerosAndInfersMinusOne) {
  Operand x = In(DType::kFloat32, {2, 3, 4});
  EXPECT_EQ(Infer({"Reshape", {x, Ints({4, -1})}}), "f32[4,6]");
  EXPECT_EQ(Infer({"Reshape", {x, Ints({0, -1})}}), "f32[2,12]");
  EXPECT_EQ(Infer({"Reshape", {x, Ints({-1})}}), "f32[24]");
  EXPECT_THAT(Infer({"Reshape", {x, Ints({5, -1})}}), HasSubstr("cannot reshape"));
  EXPECT_THAT(Infer({"Reshape", {x, Ints({5, 5})}}), HasSubstr("cannot reshape"));
  EXPECT_THAT(Infer({"Reshape", {x, Ints({-1, -1})}}), HasSubstr("more than one -1"));
  EXPECT_THAT(Infer({"Reshape", {x, Ints({0, 0, 0, 0})}}), HasSubstr("input has rank 3"));
}

TEST(TensorShapeInferenceTest, ReshapeAllowZeroKeepsZerosFromOpset14) {
  Operand x = In(DType::kFloat32, {0, 3});
  EXPECT_EQ(Infer({"Reshape", {x, Ints({3, 0})}, {{"allowzero", int64_t{1}}}, 1, 14}), "f32[3,0]");
  // Without allowzero a 0 copies the input dim: [3,4] -> [2,4,-1] does not divide.
  EXPECT_THAT(Infer({"Reshape", {In(DType::kFloat32, {3, 4}), Ints({2, 0, -1})}}), HasSubstr("cannot reshape"));
  EXPECT_EQ(Infer({"Reshape", {In(DType::kFloat32, {3, 4}), Ints({0, -1})}}), "f32[3,4]");
  EXPECT_THAT(Infer({"Reshape", {x, Ints({0, -1})}, {{"allowzero", int64_t{1}}}, 1, 14}), HasSubstr("both 0 and -1"));
}

TEST(TensorShapeInferenceTest, ReshapeCancelsSymbolsAndKeepsRankWhenShapeIsUnknown) {
  Operand x = In(DType::kFloat16, {Sym("batch"), 3, 4});
  EXPECT_EQ(Infer({"Reshape", {x, Ints({0, -1})}}), "f16[batch,12]");
  EXPECT_EQ(Infer({"Reshape", {x, Ints({-1, 12})}}), "f16[batch,12]");
  EXPECT_EQ(Infer({"Reshape", {x, Ints({-1, 5})}}), "f16[?,5]");
  EXPECT_EQ(Infer({"Reshape", {x, In(DType::kInt64, {3})}}), "f16[?,?,?]");
  EXPECT_EQ(Infer({"Reshape", {x, In(DType::kInt64, {Dim()})}}), "f16[*]");
}

TEST(TensorShapeInferenceTest, FlattenMultipliesEachSideOfTheAxis) {
  Operand x = In(DType::kFloat32, {2, 3, 4, 5});
  EXPECT_EQ(Infer({"Flatten", {x}}), "f32[2,60]");
  EXPECT_EQ(Infer({"Flatten", {x}, {{"axis", int64_t{0}}}}), "f32[1,120]");
  EXPECT_EQ(Infer({"Flatten", {x}, {{"axis", int64_t{4}}}}), "f32[120,1]");
  EXPECT_EQ(Infer({"Flatten", {x}, {{"axis", int64_t{-1}}}}), "f32[24,5]");
  EXPECT_THAT(Infer({"Flatten", {x}, {{"axis", int64_t{-1}}}, 1, 9}), HasSubstr("out of range"));
  EXPECT_EQ(Infer({"Flatten", {In(DType::kFloat32, {Sym("n"), 1, 4})}, {{"axis", int64_t{2}}}}), "f32[n,4]");
  EXPECT_EQ(Infer({"Flatten", {InUnknownRank(DType::kFloat32)}}), "f32[?,?]");
}

TEST(TensorShapeInferenceTest, SqueezeReadsAxesFromAttributeBefore13AndInputAfter) {
  Operand x = In(DType::kFloat32, {1, 3, 1, 5});
  EXPECT_EQ(Infer({"Squeeze", {x}, {{"axes", std::vector<int64_t>{0, -2}}}, 1, 11}), "f32[3,5]");
  EXPECT_EQ(Infer({"Squeeze", {x, Ints({0})}, {}, 1, 13}), "f32[3,1,5]");
  EXPECT_EQ(Infer({"Squeeze", {x}}), "f32[3,5]");
  EXPECT_THAT(Infer({"Squeeze", {x, Ints({1})}}), HasSubstr("cannot squeeze axis 1 of size 3"));
  EXPECT_EQ(Infer({"Squeeze", {In(DType::kFloat32, {Sym("n"), 1})}}), "f32[*]");
  EXPECT_EQ(Infer({"Squeeze", {x, In(DType::kInt64, {2})}}), "f32[?,?]");
}

TEST(TensorShapeInferenceTest, UnsqueezeInsertsOnesAtOutputPositions) {
  Operand x = In(DType::kInt32, {3, Sym("w")});
  EXPECT_EQ(Infer({"Unsqueeze", {x, Ints({0, 3})}}), "i32[1,3,w,1]");
  EXPECT_EQ(Infer({"Unsqueeze", {x, Ints({-1})}}), "i32[3,w,1]");
  EXPECT_EQ(Infer({"Unsqueeze", {x}, {{"axes", std::vector<int64_t>{1}}}, 1, 11}), "i32[3,1,w]");
  EXPECT_THAT(Infer({"Unsqueeze", {x, Ints({0, 0})}}), HasSubstr("repeated"));
  EXPECT_THAT(Infer({"Unsqueeze", {x, Ints({4})}}), HasSubstr("out of range"));
  EXPECT_THAT(Infer({"Unsqueeze", {x}}), HasSubstr("axes are required"));
}

// ---------------------------------------------------------------- Transpose, Concat, Split

TEST(TensorShapeInferenceTest, TransposePermutesDimsAndReversesByDefault) {
  Operand x = In(DType::kFloat32, {Sym("n"), 3, 4});
  EXPECT_EQ(Infer({"Transpose", {x}}), "f32[4,3,n]");
  EXPECT_EQ(Infer({"Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1}}}}), "f32[n,4,3]");
  EXPECT_THAT(Infer({"Transpose", {x}, {{"perm", std::vector<int64_t>{0, 0, 1}}}}), HasSubstr("not a permutation"));
  EXPECT_EQ(Infer({"Transpose", {InUnknownRank(DType::kFloat32)}, {{"perm", std::vector<int64_t>{1, 0}}}}), "f32[?,?]");
}

TEST(TensorShapeInferenceTest, ConcatSumsTheAxisAndMergesOtherDims) {
  EXPECT_EQ(Infer({"Concat", {In(DType::kFloat32, {2, 3}), In(DType::kFloat32, {2, 5})}, {{"axis", int64_t{-1}}}}),
            "f32[2,8]");
  EXPECT_EQ(
      Infer({"Concat", {In(DType::kFloat32, {Sym("n"), 3}), In(DType::kFloat32, {2, 3})}, {{"axis", int64_t{1}}}}),
      "f32[2,6]");
  EXPECT_EQ(
      Infer({"Concat", {In(DType::kFloat32, {Sym("n"), 3}), In(DType::kFloat32, {2, 3})}, {{"axis", int64_t{0}}}}),
      "f32[?,3]");
  EXPECT_THAT(Infer({"Concat", {In(DType::kFloat32, {2, 3}), In(DType::kFloat32, {4, 3})}, {{"axis", int64_t{1}}}}),
              HasSubstr("differ in dim 0"));
  EXPECT_THAT(Infer({"Concat", {In(DType::kFloat32, {2}), In(DType::kInt32, {2})}, {{"axis", int64_t{0}}}}),
              HasSubstr("different types"));
  EXPECT_THAT(Infer({"Concat", {In(DType::kFloat32, {2})}}), HasSubstr("'axis' is required"));
}

TEST(TensorShapeInferenceTest, SplitHandlesEveryOpsetsWayOfGivingSizes) {
  Operand x = In(DType::kFloat32, {6, 4});
  EXPECT_EQ(Infer({"Split", {x}, {}, 3}), "f32[2,4] f32[2,4] f32[2,4]");
  EXPECT_EQ(Infer({"Split", {x}, {{"split", std::vector<int64_t>{1, 5}}}, 2, 11}), "f32[1,4] f32[5,4]");
  EXPECT_EQ(Infer({"Split", {x, Ints({2, 2})}, {{"axis", int64_t{1}}}, 2, 13}), "f32[6,2] f32[6,2]");
  EXPECT_EQ(Infer({"Split", {In(DType::kFloat32, {7})}, {{"num_outputs", int64_t{3}}}, 3, 18}), "f32[3] f32[3] f32[1]");
  EXPECT_THAT(Infer({"Split", {In(DType::kFloat32, {7})}, {}, 3, 13}), HasSubstr("does not split evenly"));
  EXPECT_THAT(Infer({"Split", {x, Ints({2, 3})}, {}, 2, 13}), HasSubstr("add up to 5"));
  EXPECT_EQ(Infer({"Split", {In(DType::kFloat32, {Sym("n"), 4})}, {}, 2}), "f32[?,4] f32[?,4]");
}

// ---------------------------------------------------------------- Slice

TEST(TensorShapeInferenceTest, SliceClampsAndHandlesNegativeSteps) {
  Operand x = In(DType::kFloat32, {20, 10, 5});
  EXPECT_EQ(Infer({"Slice", {x, Ints({0, 0}), Ints({3, 10}), Ints({0, 1}), Ints({1, 1})}}), "f32[3,10,5]");
  EXPECT_EQ(Infer({"Slice", {x, Ints({1}), Ints({1000}), Ints({1})}}), "f32[20,9,5]");
  EXPECT_EQ(Infer({"Slice", {x, Ints({-1}), Ints({-1000}), Ints({1}), Ints({-2})}}), "f32[20,5,5]");
  EXPECT_EQ(Infer({"Slice", {x, Ints({1000}), Ints({1000}), Ints({1})}}), "f32[20,0,5]");
  EXPECT_EQ(Infer({"Slice", {x, Ints({0, 0}), Ints({3, 10})}}), "f32[3,10,5]");
  EXPECT_EQ(Infer({"Slice", {x, Ints({1}), Ints({4}), Absent(), Ints({2})}}), "f32[2,10,5]");
  EXPECT_THAT(Infer({"Slice", {x, Ints({1}), Ints({4}), Ints({0}), Ints({0})}}), HasSubstr("steps must not be 0"));
  EXPECT_THAT(Infer({"Slice", {x, Ints({1}), Ints({4}), Ints({3})}}), HasSubstr("out of range"));
}

TEST(TensorShapeInferenceTest, SliceUsesAttributesBeforeOpset10) {
  Operand x = In(DType::kFloat32, {20, 10});
  AttributeMap attrs = {
      {"starts", std::vector<int64_t>{2}}, {"ends", std::vector<int64_t>{-1}}, {"axes", std::vector<int64_t>{1}}};
  EXPECT_EQ(Infer({"Slice", {x}, attrs, 1, 9}), "f32[20,7]");
  EXPECT_THAT(Infer({"Slice", {x}, {}, 1, 9}), HasSubstr("starts and ends are required"));
}

TEST(TensorShapeInferenceTest, SliceWithoutConstantsKeepsRankAndUntouchedDims) {
  Operand x = In(DType::kFloat32, {Sym("n"), 10, 5});
  Operand starts = In(DType::kInt64, {1});
  EXPECT_EQ(Infer({"Slice", {x, starts, In(DType::kInt64, {1}), Ints({1})}}), "f32[n,?,5]");
  EXPECT_EQ(Infer({"Slice", {x, starts, In(DType::kInt64, {1}), In(DType::kInt64, {1})}}), "f32[?,?,?]");
  // A full slice keeps a symbolic dim.
  EXPECT_EQ(Infer({"Slice", {x, Ints({0}), Ints({INT64_MAX}), Ints({0})}}), "f32[n,10,5]");
}

// ---------------------------------------------------------------- gathers and scatters

TEST(TensorShapeInferenceTest, GatherReplacesTheAxisByTheIndicesShape) {
  Operand data = In(DType::kFloat32, {5, 4, 3});
  EXPECT_EQ(Infer({"Gather", {data, In(DType::kInt64, {2, 7})}}), "f32[2,7,4,3]");
  EXPECT_EQ(Infer({"Gather", {data, In(DType::kInt32, {})}, {{"axis", int64_t{1}}}}), "f32[5,3]");
  EXPECT_EQ(Infer({"Gather", {data, In(DType::kInt64, {Sym("k")})}, {{"axis", int64_t{-1}}}}), "f32[5,4,k]");
  EXPECT_THAT(Infer({"Gather", {data, In(DType::kFloat32, {2})}}), HasSubstr("indices must be int32 or int64"));
  EXPECT_THAT(Infer({"Gather", {data, In(DType::kInt64, {2})}, {{"axis", int64_t{3}}}}), HasSubstr("out of range"));
}

TEST(TensorShapeInferenceTest, GatherElementsAndGatherNDShapes) {
  EXPECT_EQ(Infer({"GatherElements", {In(DType::kFloat32, {3, 3}), In(DType::kInt64, {2, 3})}}), "f32[2,3]");
  EXPECT_THAT(Infer({"GatherElements", {In(DType::kFloat32, {3, 3}), In(DType::kInt64, {2})}}), HasSubstr("rank"));
  EXPECT_EQ(Infer({"GatherND", {In(DType::kInt32, {2, 2}), In(DType::kInt64, {2, 2})}}), "i32[2]");
  EXPECT_EQ(Infer({"GatherND", {In(DType::kInt32, {2, 2}), In(DType::kInt64, {2, 1})}}), "i32[2,2]");
  EXPECT_EQ(
      Infer({"GatherND", {In(DType::kFloat32, {2, 2, 2}), In(DType::kInt64, {2, 1})}, {{"batch_dims", int64_t{1}}}}),
      "f32[2,2]");
  EXPECT_EQ(Infer({"GatherND", {In(DType::kFloat32, {2, 3}), In(DType::kInt64, {4, Dim()})}}), "f32[*]");
  EXPECT_THAT(Infer({"GatherND", {In(DType::kFloat32, {2, 3}), In(DType::kInt64, {4, 3})}}), HasSubstr("out of range"));
}

TEST(TensorShapeInferenceTest, ScattersKeepTheDataTypeAndCheckReductionByOpset) {
  Operand data = In(DType::kFloat32, {4, 4});
  EXPECT_EQ(Infer({"ScatterElements", {data, In(DType::kInt64, {1, 2}), In(DType::kFloat32, {1, 2})}}), "f32[4,4]");
  EXPECT_EQ(
      Infer(
          {"ScatterND", {data, In(DType::kInt64, {3, 1}), In(DType::kFloat32, {3, 4})}, {{"reduction", "add"}}, 1, 16}),
      "f32[4,4]");
  EXPECT_THAT(
      Infer(
          {"ScatterND", {data, In(DType::kInt64, {3, 1}), In(DType::kFloat32, {3, 4})}, {{"reduction", "max"}}, 1, 16}),
      HasSubstr("reduction 'max' is not supported at opset 16"));
  EXPECT_THAT(Infer({"ScatterND", {data, In(DType::kInt64, {3, 1}), In(DType::kFloat32, {3})}}),
              HasSubstr("updates have rank 1, expected 2"));
  EXPECT_EQ(Infer({"Scatter", {data, In(DType::kInt64, {1, 2}), In(DType::kFloat32, {1, 2})}, {}, 1, 9}), "f32[4,4]");
}

// ---------------------------------------------------------------- Expand, Tile, Range

TEST(TensorShapeInferenceTest, ExpandBroadcastsBothWays) {
  EXPECT_EQ(Infer({"Expand", {In(DType::kFloat32, {3, 1}), Ints({2, 1, 6})}}), "f32[2,3,6]");
  EXPECT_EQ(Infer({"Expand", {In(DType::kFloat32, {3, 4}), Ints({1})}}), "f32[3,4]");
  EXPECT_EQ(Infer({"Expand", {In(DType::kFloat32, {3, 1}), In(DType::kInt64, {3})}}), "f32[?,3,?]");
  EXPECT_THAT(Infer({"Expand", {In(DType::kFloat32, {3, 2}), Ints({4, 2})}}), HasSubstr("cannot broadcast"));
}

TEST(TensorShapeInferenceTest, TileMultipliesDims) {
  EXPECT_EQ(Infer({"Tile", {In(DType::kInt8, {2, Sym("n")}), Ints({3, 1})}}), "i8[6,n]");
  EXPECT_EQ(Infer({"Tile", {In(DType::kInt8, {2, 3}), In(DType::kInt64, {2})}}), "i8[?,?]");
  EXPECT_THAT(Infer({"Tile", {In(DType::kInt8, {2, 3}), Ints({2})}}), HasSubstr("repeats has 1 entries"));
}

TEST(TensorShapeInferenceTest, RangeCountsElementsFromConstantBounds) {
  auto scalar = [](float v) { return Const(Tensor::Scalar<float>(v)); };
  EXPECT_EQ(Infer({"Range", {scalar(1), scalar(5), scalar(2)}}), "f32[2]");
  EXPECT_EQ(Infer({"Range",
                   {Const(Tensor::Scalar<int32_t>(10)), Const(Tensor::Scalar<int32_t>(6)),
                    Const(Tensor::Scalar<int32_t>(-3))}}),
            "i32[2]");
  EXPECT_EQ(Infer({"Range", {scalar(5), scalar(1), scalar(2)}}), "f32[0]");
  EXPECT_EQ(Infer({"Range", {In(DType::kInt64, {}), In(DType::kInt64, {}), In(DType::kInt64, {})}}), "i64[?]");
  EXPECT_THAT(Infer({"Range", {scalar(1), scalar(5), scalar(0)}}), HasSubstr("delta must not be 0"));
}

// ---------------------------------------------------------------- Pad

TEST(TensorShapeInferenceTest, PadReadsPadsFromAttributeBefore11AndInputAfter) {
  Operand x = In(DType::kFloat32, {1, 3, 4, 5});
  EXPECT_EQ(Infer({"Pad", {x}, {{"pads", std::vector<int64_t>{0, 0, 1, 2, 0, 0, 3, 4}}}, 1, 2}), "f32[1,3,8,11]");
  EXPECT_EQ(Infer({"Pad", {x, Ints({0, 0, 1, 2, 0, 0, 3, -4})}, {{"mode", "reflect"}}, 1, 13}), "f32[1,3,8,3]");
  EXPECT_EQ(Infer({"Pad", {x, Ints({1, 1}), Absent(), Ints({-1})}, {}, 1, 18}), "f32[1,3,4,7]");
  EXPECT_EQ(Infer({"Pad", {x, In(DType::kInt64, {8})}}), "f32[?,?,?,?]");
  EXPECT_THAT(Infer({"Pad", {x, Ints({1, 1})}}), HasSubstr("pads has 2 entries, expected 8"));
  EXPECT_THAT(Infer({"Pad", {x, Ints({0, 0, 0, 0, 0, 0, 0, 0})}, {{"mode", "wrap"}}, 1, 18}),
              HasSubstr("mode 'wrap' is not supported at opset 18"));
  EXPECT_EQ(Infer({"Pad", {x, Ints({0, 0, 0, 1, 0, 0, 0, 1})}, {{"mode", "wrap"}}, 1, 19}), "f32[1,3,4,7]");
}

// ---------------------------------------------------------------- Resize, Upsample

TEST(TensorShapeInferenceTest, ResizeFromScalesFloorsAndFromSizesCopies) {
  Operand x = In(DType::kFloat32, {1, 1, 4, 4});
  EXPECT_EQ(Infer({"Resize", {x, Absent(), Floats({1, 1, 0.6f, 0.6f})}, {}, 1, 13}), "f32[1,1,2,2]");
  EXPECT_EQ(Infer({"Resize", {x, Floats({}), Floats({1, 1, 2, 3})}, {}, 1, 11}), "f32[1,1,8,12]");
  EXPECT_EQ(Infer({"Resize", {x, Floats({}), Floats({}), Ints({1, 1, 3, 5})}, {}, 1, 11}), "f32[1,1,3,5]");
  EXPECT_EQ(Infer({"Resize", {x, Floats({1, 1, 2, 2})}, {}, 1, 10}), "f32[1,1,8,8]");
  EXPECT_EQ(Infer({"Resize", {In(DType::kFloat32, {Sym("n"), 3, 4, 4}), Absent(), Floats({1, 1, 2, 2})}}),
            "f32[n,3,8,8]");
  EXPECT_EQ(Infer({"Resize", {x, Absent(), In(DType::kFloat32, {4})}}), "f32[?,?,?,?]");
  EXPECT_THAT(Infer({"Resize", {x, Absent(), Floats({2, 2})}}), HasSubstr("scales has 2 entries, expected 4"));
  EXPECT_THAT(Infer({"Resize", {x, Absent(), Absent(), Absent()}}), HasSubstr("one of scales and sizes"));
}

TEST(TensorShapeInferenceTest, ResizeAxesAndAspectRatioPolicyFromOpset18) {
  Operand x = In(DType::kFloat32, {1, 1, 2, 4});
  AttributeMap axes = {{"axes", std::vector<int64_t>{2, 3}}};
  EXPECT_EQ(Infer({"Resize", {x, Absent(), Floats({2, 0.5f})}, axes, 1, 18}), "f32[1,1,4,2]");
  AttributeMap not_larger = {{"keep_aspect_ratio_policy", "not_larger"}, {"axes", std::vector<int64_t>{2, 3}}};
  EXPECT_EQ(Infer({"Resize", {x, Absent(), Absent(), Ints({7, 8})}, not_larger, 1, 18}), "f32[1,1,4,8]");
  AttributeMap not_smaller = {{"keep_aspect_ratio_policy", "not_smaller"}, {"axes", std::vector<int64_t>{2, 3}}};
  EXPECT_EQ(Infer({"Resize", {x, Absent(), Absent(), Ints({7, 8})}, not_smaller, 1, 18}), "f32[1,1,7,14]");
}

TEST(TensorShapeInferenceTest, UpsampleReadsScalesFromAttributeBefore9) {
  Operand x = In(DType::kFloat32, {1, 1, 2, 2});
  EXPECT_EQ(Infer({"Upsample", {x}, {{"scales", std::vector<float>{1, 1, 2, 3}}}, 1, 7}), "f32[1,1,4,6]");
  EXPECT_EQ(Infer({"Upsample", {x, Floats({1, 1, 2, 2})}, {}, 1, 9}), "f32[1,1,4,4]");
  EXPECT_THAT(Infer({"Upsample", {x}, {}, 1, 7}), HasSubstr("'scales' is required"));
}

// ---------------------------------------------------------------- DepthToSpace .. Unique

TEST(TensorShapeInferenceTest, DepthToSpaceAndSpaceToDepthMoveBlocks) {
  AttributeMap block2 = {{"blocksize", int64_t{2}}};
  EXPECT_EQ(Infer({"DepthToSpace", {In(DType::kFloat32, {1, 8, 2, 3})}, block2}), "f32[1,2,4,6]");
  EXPECT_THAT(Infer({"DepthToSpace", {In(DType::kFloat32, {1, 6, 2, 3})}, block2}), HasSubstr("not divisible"));
  EXPECT_EQ(Infer({"SpaceToDepth", {In(DType::kFloat32, {Sym("n"), 2, 4, 6})}, block2}), "f32[n,8,2,3]");
  EXPECT_THAT(Infer({"SpaceToDepth", {In(DType::kFloat32, {1, 2, 3, 6})}, block2}), HasSubstr("not divisible"));
  EXPECT_THAT(Infer({"SpaceToDepth", {In(DType::kFloat32, {2, 4, 6})}, block2}), HasSubstr("rank 4"));
}

TEST(TensorShapeInferenceTest, OneHotInsertsTheDepthAtTheAxis) {
  Operand indices = In(DType::kInt64, {2, 3});
  Operand depth = Const(Tensor::Scalar<float>(10));
  Operand values = In(DType::kInt32, {2});
  EXPECT_EQ(Infer({"OneHot", {indices, depth, values}}), "i32[2,3,10]");
  EXPECT_EQ(Infer({"OneHot", {indices, depth, values}, {{"axis", int64_t{0}}}}), "i32[10,2,3]");
  EXPECT_EQ(Infer({"OneHot", {indices, In(DType::kInt64, {}), values}, {{"axis", int64_t{1}}}}), "i32[2,?,3]");
  EXPECT_THAT(Infer({"OneHot", {indices, depth, values}, {{"axis", int64_t{3}}}}), HasSubstr("out of range"));
}

TEST(TensorShapeInferenceTest, TopKSetsTheAxisToKAndIndicesToInt64) {
  Operand x = In(DType::kFloat32, {3, 4});
  EXPECT_EQ(Infer({"TopK", {x, Ints({2})}, {}, 2}), "f32[3,2] i64[3,2]");
  EXPECT_EQ(Infer({"TopK", {x}, {{"k", int64_t{3}}, {"axis", int64_t{0}}}, 2, 9}), "f32[3,4] i64[3,4]");
  EXPECT_EQ(Infer({"TopK", {x, In(DType::kInt64, {1})}, {}, 2}), "f32[3,?] i64[3,?]");
  EXPECT_THAT(Infer({"TopK", {x, Ints({5})}, {}, 2}), HasSubstr("exceeds the axis size 4"));
}

TEST(TensorShapeInferenceTest, IndexProducingOpsHaveDataDependentDims) {
  EXPECT_EQ(Infer({"NonZero", {In(DType::kFloat32, {3, 4})}}), "i64[2,?]");
  EXPECT_EQ(Infer({"Compress", {In(DType::kFloat32, {3, 2}), In(DType::kBool, {3})}, {{"axis", int64_t{0}}}}),
            "f32[?,2]");
  EXPECT_EQ(Infer({"Compress",
                   {In(DType::kFloat32, {3, 2}), Const(Tensor::FromVector<bool>({3}, {true, false, true}))},
                   {{"axis", int64_t{0}}}}),
            "f32[2,2]");
  EXPECT_EQ(Infer({"Compress", {In(DType::kFloat32, {3, 2}), In(DType::kBool, {3})}}), "f32[?]");
  EXPECT_EQ(Infer({"Unique", {In(DType::kFloat32, {6})}, {}, 4}), "f32[?] i64[?] i64[6] i64[?]");
  EXPECT_EQ(Infer({"Unique", {In(DType::kFloat32, {2, 3})}, {{"axis", int64_t{1}}}, 4}),
            "f32[2,?] i64[?] i64[3] i64[?]");
}

TEST(TensorShapeInferenceTest, ShapePreservingOpsCheckTheirInputs) {
  EXPECT_EQ(Infer({"EyeLike", {In(DType::kInt32, {3, 4})}}), "i32[3,4]");
  EXPECT_EQ(Infer({"EyeLike", {In(DType::kInt32, {3, 4})}, {{"dtype", int64_t{1}}}}), "f32[3,4]");
  EXPECT_THAT(Infer({"EyeLike", {In(DType::kInt32, {3})}}), HasSubstr("rank 2"));
  EXPECT_EQ(Infer({"Trilu", {In(DType::kFloat32, {2, 3, 4})}}), "f32[2,3,4]");
  EXPECT_THAT(Infer({"Trilu", {In(DType::kFloat32, {4})}}), HasSubstr("rank >= 2"));
  EXPECT_EQ(Infer({"CumSum", {In(DType::kFloat64, {5}), Const(Tensor::Scalar<int32_t>(0))}}), "f64[5]");
  EXPECT_EQ(Infer({"ReverseSequence", {In(DType::kFloat32, {4, 2}), In(DType::kInt64, {2})}}), "f32[4,2]");
  EXPECT_THAT(
      Infer({"ReverseSequence", {In(DType::kFloat32, {4, 2}), In(DType::kInt64, {2})}, {{"batch_axis", int64_t{2}}}}),
      HasSubstr("must be 0 and 1"));
}

TEST(TensorShapeInferenceTest, SchemasRejectWrongInputCounts) {
  EXPECT_THAT(Infer({"Reshape", {In(DType::kFloat32, {2})}}), HasSubstr("has 1 inputs, expected 2 to 2"));
  EXPECT_THAT(Infer({"Slice", {In(DType::kFloat32, {2}), Ints({0})}, {}, 1, 13}), HasSubstr("takes 3 to 5 inputs"));
  EXPECT_THAT(Infer({"TopK", {In(DType::kFloat32, {2})}, {}, 1}), HasSubstr("outputs, expected 2 to 2"));
}


TEST(TensorShapeInferenceTest, CumProdAndBitCast) {
  EXPECT_EQ(Infer({"CumProd", {In(DType::kInt64, {Dim::Symbol("N"), 3}), Const(Tensor::Scalar<int32_t>(1))}, {}, 1, 26}),
            "i64[N,3]");
  EXPECT_EQ(Infer({"BitCast", {In(DType::kFloat32, {2, Dim()})}, {{"to", int64_t{6}}}, 1, 26}), "i32[2,?]");
  EXPECT_EQ(Infer({"BitCast", {In(DType::kFloat16, {4})}, {{"to", int64_t{16}}}, 1, 26}), "bf16[4]");
  EXPECT_THAT(Infer({"BitCast", {In(DType::kFloat32, {4})}, {{"to", int64_t{11}}}, 1, 26}), HasSubstr("bit widths differ"));
  EXPECT_THAT(Infer({"BitCast", {In(DType::kFloat32, {4})}, {{"to", int64_t{8}}}, 1, 26}), HasSubstr("non-string"));
}

}  // namespace
}  // namespace gsopt::ir
