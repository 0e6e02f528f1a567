// Tests for the tensor-manipulation kernels. Each case runs one node through
// the real path — a graph, shape inference, the CpuExecutor — and also checks
// that the kernel's output type agrees with what shape inference said.
// Expected values were computed independently with numpy or the ONNX
// reference evaluator (onnx.reference), the expressions noted beside them.
#include <cmath>
#include <cstdint>
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

using ir::DType;
using ir::Tensor;
using ::testing::HasSubstr;

// One node input: given to the graph as a constant (shape inference sees its
// value) or as a runtime input (it does not), or omitted.
struct Operand {
  std::optional<Tensor> tensor;
  bool constant = false;
};
Operand Runtime(Tensor t) { return Operand{std::move(t), false}; }
Operand Const(Tensor t) { return Operand{std::move(t), true}; }
Operand Absent() { return Operand{}; }
Operand ConstInts(std::vector<int64_t> v) {
  return Const(Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v));
}
Operand ConstFloats(std::vector<float> v) {
  return Const(Tensor::FromVector<float>({static_cast<int64_t>(v.size())}, v));
}

Tensor F32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::FromVector<float>(std::move(dims), v); }
Tensor I64(std::vector<int64_t> dims, std::vector<int64_t> v) {
  return Tensor::FromVector<int64_t>(std::move(dims), v);
}
// 0, 1, 2, ... as float, the usual data for data-movement cases.
Tensor Iota(std::vector<int64_t> dims, DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Zeros(dtype, std::move(dims));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetFromDouble(i, static_cast<double>(i));
  return t;
}

struct Request {
  std::string op;
  std::vector<Operand> inputs;
  ir::AttributeMap attributes = {};
  int num_outputs = 1;
  int64_t opset = 17;
};

// Runs the node; also fails when the kernel's output type contradicts the
// inferred one (a different dtype, rank or static dim).
absl::StatusOr<std::vector<Tensor>> RunNode(const Request& r) {
  ir::Graph g;
  g.mutable_metadata().opset_imports[""] = r.opset;
  std::vector<ir::ValueId> ids;
  std::vector<Tensor> runtime_inputs;
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    const Operand& in = r.inputs[i];
    std::string name = absl::StrCat("in", i);
    if (!in.tensor.has_value()) {
      ids.push_back(ir::kNoValue);
    } else if (in.constant) {
      ids.push_back(g.AddInitializer(name, *in.tensor));
    } else {
      ids.push_back(g.AddInput(name, in.tensor->type()));
      runtime_inputs.push_back(*in.tensor);
    }
  }
  std::vector<std::string> outputs;
  for (int i = 0; i < r.num_outputs; ++i) outputs.push_back(absl::StrCat("out", i));
  ir::NodeId node = g.AddNode(r.op, ids, outputs, r.attributes, "n");
  for (ir::ValueId out : g.node(node).outputs) g.AddOutput(out);
  if (absl::Status s = ir::InferShapes(g); !s.ok()) return s;
  absl::StatusOr<CpuExecutor> exec = CpuExecutor::Create(g);
  if (!exec.ok()) return exec.status();
  absl::StatusOr<std::vector<Tensor>> results = exec->Run(runtime_inputs);
  if (!results.ok()) return results.status();
  for (size_t i = 0; i < results->size(); ++i) {
    const ir::TensorType& inferred = g.value(g.node(node).outputs[i]).type;
    const Tensor& actual = (*results)[i];
    bool agrees = inferred.dtype == actual.dtype();
    if (inferred.shape.rank_known()) {
      agrees &= inferred.shape.rank() == actual.rank();
      for (int64_t d = 0; agrees && d < actual.rank(); ++d) {
        const ir::Dim& dim = inferred.shape.dim(d);
        agrees &= !dim.is_static() || dim.value() == actual.dim(d);
      }
    }
    if (!agrees) {
      return absl::InternalError(absl::StrCat("output ", i, " is ", actual.type().ToString(),
                                              " but shape inference said ", inferred.ToString()));
    }
  }
  return results;
}

// Runs a node expected to succeed and returns output `i`.
Tensor RunOk(const Request& r, int i = 0) {
  absl::StatusOr<std::vector<Tensor>> out = RunNode(r);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok() || static_cast<int>(out->size()) <= i) return Tensor();
  return (*out)[static_cast<size_t>(i)];
}

std::string RunError(const Request& r) {
  absl::StatusOr<std::vector<Tensor>> out = RunNode(r);
  return out.ok() ? "no error" : std::string(out.status().message());
}

void ExpectTensor(const Tensor& t, DType dtype, std::vector<int64_t> dims, std::vector<double> values,
                  double tolerance = 1e-5) {
  ASSERT_TRUE(t.is_defined());
  EXPECT_EQ(t.dtype(), dtype) << t.DebugString();
  ASSERT_EQ(t.dims(), dims) << t.DebugString();
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(values.size()));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    EXPECT_NEAR(t.GetAsDouble(i), values[static_cast<size_t>(i)], tolerance) << "element " << i;
  }
}

// ---------------------------------------------------------------- constants and shape queries

TEST(TensorKernelsTest, ConstantSharesItsValueAndBuildsListsFromAttributes) {
  Tensor value = F32({2}, {1.5f, -2});
  Tensor out = RunOk({"Constant", {}, {{"value", value}}});
  EXPECT_TRUE(out.SharesBufferWith(value));
  ExpectTensor(RunOk({"Constant", {}, {{"value_floats", std::vector<float>{1, 2}}}}), DType::kFloat32, {2}, {1, 2});
  ExpectTensor(RunOk({"Constant", {}, {{"value_int", int64_t{7}}}}), DType::kInt64, {}, {7});
  Tensor strings = RunOk({"Constant", {}, {{"value_strings", std::vector<std::string>{"a", "bc"}}}});
  EXPECT_EQ(strings.strings(), (std::vector<std::string>{"a", "bc"}));
}

TEST(TensorKernelsTest, ConstantOfShapeFillsWithTheValueAttribute) {
  ExpectTensor(
      RunOk({"ConstantOfShape", {Runtime(I64({2}, {2, 3}))}, {{"value", Tensor::FromVector<int32_t>({1}, {7})}}}),
      DType::kInt32, {2, 3}, {7, 7, 7, 7, 7, 7});
  ExpectTensor(RunOk({"ConstantOfShape", {ConstInts({2})}}), DType::kFloat32, {2}, {0, 0});
  ExpectTensor(RunOk({"ConstantOfShape", {ConstInts({})}, {{"value", F32({1}, {2.5f})}}}), DType::kFloat32, {}, {2.5});
  ExpectTensor(RunOk({"ConstantOfShape", {ConstInts({0, 3})}}), DType::kFloat32, {0, 3}, {});
  EXPECT_THAT(RunError({"ConstantOfShape", {Runtime(I64({1}, {-2}))}}), HasSubstr("negative dim"));
}

TEST(TensorKernelsTest, ShapeSlicesFromOpset15AndSizeCounts) {
  Operand x = Runtime(Iota({2, 3, 4, 5}));
  ExpectTensor(RunOk({"Shape", {x}}), DType::kInt64, {4}, {2, 3, 4, 5});
  ExpectTensor(RunOk({"Shape", {x}, {{"start", int64_t{1}}, {"end", int64_t{-1}}}, 1, 15}), DType::kInt64, {2}, {3, 4});
  ExpectTensor(RunOk({"Shape", {x}, {{"start", int64_t{-10}}}, 1, 15}), DType::kInt64, {4}, {2, 3, 4, 5});
  ExpectTensor(RunOk({"Shape", {x}, {{"start", int64_t{3}}, {"end", int64_t{1}}}, 1, 15}), DType::kInt64, {0}, {});
  ExpectTensor(RunOk({"Size", {x}}), DType::kInt64, {}, {120});
}

// ---------------------------------------------------------------- views

TEST(TensorKernelsTest, ReshapeSharesTheBufferAndResolvesZeroAndMinusOne) {
  Tensor x = Iota({2, 3, 4});
  absl::StatusOr<std::vector<Tensor>> out = RunNode({"Reshape", {Runtime(x), Runtime(I64({2}, {0, -1}))}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 12}));
  EXPECT_TRUE((*out)[0].SharesBufferWith(x));
  EXPECT_EQ(RunOk({"Reshape", {Runtime(Iota({0, 3})), ConstInts({3, 0})}, {{"allowzero", int64_t{1}}}, 1, 14}).dims(),
            (std::vector<int64_t>{3, 0}));
  EXPECT_THAT(RunError({"Reshape", {Runtime(x), Runtime(I64({2}, {5, -1}))}}), HasSubstr("node 'n' (Reshape)"));
  EXPECT_THAT(RunError({"Reshape", {Runtime(x), Runtime(I64({2}, {-1, -1}))}}), HasSubstr("more than one -1"));
  EXPECT_THAT(RunError({"Reshape", {Runtime(x), Runtime(I64({2}, {7, 7}))}}), HasSubstr("cannot view"));
}

TEST(TensorKernelsTest, FlattenSqueezeUnsqueezeAreViews) {
  Tensor x = Iota({1, 3, 1, 2});
  Tensor flat = RunOk({"Flatten", {Runtime(x)}, {{"axis", int64_t{-2}}}});
  EXPECT_EQ(flat.dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE(flat.SharesBufferWith(x));
  Tensor squeezed = RunOk({"Squeeze", {Runtime(x)}, {{"axes", std::vector<int64_t>{0, 2}}}, 1, 11});
  EXPECT_EQ(squeezed.dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE(squeezed.SharesBufferWith(x));
  EXPECT_EQ(RunOk({"Squeeze", {Runtime(x), ConstInts({-2})}, {}, 1, 13}).dims(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(RunOk({"Squeeze", {Runtime(x)}}).dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_THAT(RunError({"Squeeze", {Runtime(x), Runtime(I64({1}, {1}))}}),
              HasSubstr("cannot squeeze axis 1 of size 3"));
  Tensor unsqueezed = RunOk({"Unsqueeze", {Runtime(F32({2}, {1, 2})), Runtime(I64({2}, {-1, 0}))}});
  EXPECT_EQ(unsqueezed.dims(), (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(RunOk({"Unsqueeze", {Runtime(F32({2}, {1, 2}))}, {{"axes", std::vector<int64_t>{1}}}, 1, 11}).dims(),
            (std::vector<int64_t>{2, 1}));
}

// ---------------------------------------------------------------- Transpose, Concat, Split

TEST(TensorKernelsTest, TransposeMovesElementsForEveryWidth) {
  // np.arange(24).reshape(2,3,4).transpose(1,2,0)
  std::vector<double> expected = {0, 12, 1, 13, 2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19, 8, 20, 9, 21, 10, 22, 11, 23};
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt8, DType::kInt64}) {
    ExpectTensor(RunOk({"Transpose", {Runtime(Iota({2, 3, 4}, dtype))}, {{"perm", std::vector<int64_t>{1, 2, 0}}}}),
                 dtype, {3, 4, 2}, expected);
  }
  // Default perm reverses the axes.
  ExpectTensor(RunOk({"Transpose", {Runtime(Iota({2, 3}))}}), DType::kFloat32, {3, 2}, {0, 3, 1, 4, 2, 5});
  Tensor strings = RunOk({"Transpose", {Runtime(Tensor::FromStrings({2, 2}, {"a", "b", "c", "d"}))}});
  EXPECT_EQ(strings.strings(), (std::vector<std::string>{"a", "c", "b", "d"}));
  Tensor x = Iota({2, 3});
  EXPECT_TRUE(RunOk({"Transpose", {Runtime(x)}, {{"perm", std::vector<int64_t>{0, 1}}}}).SharesBufferWith(x));
  EXPECT_THAT(RunError({"Transpose", {Runtime(x)}, {{"perm", std::vector<int64_t>{0, 0}}}}),
              HasSubstr("not a permutation"));
}

TEST(TensorKernelsTest, ConcatJoinsAlongTheAxisIncludingEmptyInputs) {
  Tensor a = F32({2, 1}, {1, 2});
  Tensor b = F32({2, 2}, {3, 4, 5, 6});
  Tensor empty = Tensor::Zeros(DType::kFloat32, {2, 0});
  ExpectTensor(RunOk({"Concat", {Runtime(a), Runtime(empty), Runtime(b)}, {{"axis", int64_t{-1}}}}), DType::kFloat32,
               {2, 3}, {1, 3, 4, 2, 5, 6});
  ExpectTensor(RunOk({"Concat", {Runtime(F32({1, 2}, {1, 2})), Runtime(b)}, {{"axis", int64_t{0}}}}), DType::kFloat32,
               {3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor s = RunOk({"Concat",
                    {Runtime(Tensor::FromStrings({1}, {"x"})), Runtime(Tensor::FromStrings({2}, {"y", "z"}))},
                    {{"axis", int64_t{0}}}});
  EXPECT_EQ(s.strings(), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_THAT(RunError({"Concat", {Runtime(a), Runtime(F32({3, 1}, {1, 2, 3}))}, {{"axis", int64_t{1}}}}),
              HasSubstr("differ"));
}

TEST(TensorKernelsTest, SplitBySizesEvenlyAndUnevenlyFromOpset18) {
  Operand x = Runtime(Iota({7}));
  absl::StatusOr<std::vector<Tensor>> parts = RunNode({"Split", {x}, {{"num_outputs", int64_t{3}}}, 3, 18});
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectTensor((*parts)[0], DType::kFloat32, {3}, {0, 1, 2});
  ExpectTensor((*parts)[1], DType::kFloat32, {3}, {3, 4, 5});
  ExpectTensor((*parts)[2], DType::kFloat32, {1}, {6});
  parts = RunNode({"Split", {Runtime(Iota({2, 4})), Runtime(I64({2}, {1, 3}))}, {{"axis", int64_t{1}}}, 2, 13});
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectTensor((*parts)[0], DType::kFloat32, {2, 1}, {0, 4});
  ExpectTensor((*parts)[1], DType::kFloat32, {2, 3}, {1, 2, 3, 5, 6, 7});
  parts = RunNode({"Split", {Runtime(Iota({4}))}, {{"split", std::vector<int64_t>{0, 4}}}, 2, 11});
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectTensor((*parts)[0], DType::kFloat32, {0}, {});
  ExpectTensor((*parts)[1], DType::kFloat32, {4}, {0, 1, 2, 3});
  EXPECT_THAT(RunError({"Split", {x}, {}, 3, 13}), HasSubstr("does not split evenly"));
}

// ---------------------------------------------------------------- Slice

TEST(TensorKernelsTest, SliceWithNegativeStepsAndClamping) {
  Operand x = Runtime(Iota({2, 3, 4}));
  // a[:, ::-2, 1:100]
  ExpectTensor(RunOk({"Slice",
                      {x, Runtime(I64({2}, {-1, 1})), Runtime(I64({2}, {INT64_MIN, 100})), Runtime(I64({2}, {1, 2})),
                       Runtime(I64({2}, {-2, 1}))}}),
               DType::kFloat32, {2, 2, 3}, {9, 10, 11, 1, 2, 3, 21, 22, 23, 13, 14, 15});
  // a[-1:, -10:2, ::-3]
  ExpectTensor(
      RunOk({"Slice", {x, ConstInts({-1, -10, -1}), ConstInts({1000, 2, INT64_MIN}), Absent(), ConstInts({1, 1, -3})}}),
      DType::kFloat32, {1, 2, 2}, {15, 12, 19, 16});
  ExpectTensor(RunOk({"Slice", {x, ConstInts({5}), ConstInts({10}), ConstInts({2})}}), DType::kFloat32, {2, 3, 0}, {});
  EXPECT_THAT(
      RunError({"Slice",
                {x, Runtime(I64({1}, {0})), Runtime(I64({1}, {1})), Runtime(I64({1}, {0})), Runtime(I64({1}, {0}))}}),
      HasSubstr("steps must not be 0"));
}

TEST(TensorKernelsTest, SliceReadsAttributesBeforeOpset10) {
  ir::AttributeMap attrs = {{"starts", std::vector<int64_t>{1, 0}},
                            {"ends", std::vector<int64_t>{2, -1}},
                            {"axes", std::vector<int64_t>{0, 2}}};
  // np.arange(24).reshape(2,3,4)[1:2, :, 0:-1]
  ExpectTensor(RunOk({"Slice", {Runtime(Iota({2, 3, 4}, DType::kInt32))}, attrs, 1, 9}), DType::kInt32, {1, 3, 3},
               {12, 13, 14, 16, 17, 18, 20, 21, 22});
}

// ---------------------------------------------------------------- gathers

TEST(TensorKernelsTest, GatherWrapsNegativeIndicesAndChecksRange) {
  // np.arange(12).reshape(3,4)[:, [[-1,0],[1,1]]]
  ExpectTensor(RunOk({"Gather", {Runtime(Iota({3, 4})), Runtime(I64({2, 2}, {-1, 0, 1, 1}))}, {{"axis", int64_t{1}}}}),
               DType::kFloat32, {3, 2, 2}, {3, 0, 1, 1, 7, 4, 5, 5, 11, 8, 9, 9});
  ExpectTensor(RunOk({"Gather", {Runtime(Iota({3, 2})), Runtime(Tensor::Scalar<int32_t>(2))}}), DType::kFloat32, {2},
               {4, 5});
  EXPECT_THAT(RunError({"Gather", {Runtime(Iota({3})), Runtime(I64({1}, {3}))}}),
              HasSubstr("index 3 is out of range for an axis of size 3"));
}

TEST(TensorKernelsTest, GatherElementsAndGatherND) {
  // np.take_along_axis([[1,2],[3,4]], [[0,0],[1,0]], 1)
  ExpectTensor(RunOk({"GatherElements",
                      {Runtime(F32({2, 2}, {1, 2, 3, 4})), Runtime(I64({2, 2}, {0, 0, 1, 0}))},
                      {{"axis", int64_t{1}}}}),
               DType::kFloat32, {2, 2}, {1, 1, 4, 3});
  // np.take_along_axis(arange(1,10).reshape(3,3), [[-1,-2,0],[-2,0,0]], 0)
  ExpectTensor(RunOk({"GatherElements", {Runtime(Iota({3, 3})), Runtime(I64({2, 3}, {-1, -2, 0, -2, 0, 0}))}}),
               DType::kFloat32, {2, 3}, {6, 4, 2, 3, 1, 2});
  ExpectTensor(
      RunOk({"GatherND",
             {Runtime(Tensor::FromVector<int32_t>({2, 2}, {0, 1, 2, 3})), Runtime(I64({2, 2}, {0, 0, 1, 1}))}}),
      DType::kInt32, {2}, {0, 3});
  ExpectTensor(
      RunOk({"GatherND", {Runtime(Tensor::FromVector<int32_t>({2, 2}, {0, 1, 2, 3})), Runtime(I64({2, 1}, {1, 0}))}}),
      DType::kInt32, {2, 2}, {2, 3, 0, 1});
  // onnx.reference GatherND(batch_dims=1) on [[[0,1],[2,3]],[[4,5],[6,7]]] with [[1],[0]]
  ExpectTensor(
      RunOk({"GatherND", {Runtime(Iota({2, 2, 2})), Runtime(I64({2, 1}, {1, 0}))}, {{"batch_dims", int64_t{1}}}}),
      DType::kFloat32, {2, 2}, {2, 3, 4, 5});
  EXPECT_THAT(RunError({"GatherND", {Runtime(Iota({2, 2})), Runtime(I64({1, 2}, {0, 2}))}}), HasSubstr("out of range"));
}

// ---------------------------------------------------------------- scatters

TEST(TensorKernelsTest, ScatterNDReplacesOrReduces) {
  // The ONNX spec example: data arange(1,17).reshape(4,2,2), indices [[0],[2]].
  Tensor data = F32({4, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  Tensor updates = F32({2, 2, 2}, {5, 5, 6, 6, 7, 7, 8, 8});
  ExpectTensor(RunOk({"ScatterND", {Runtime(data), Runtime(I64({2, 1}, {0, 2})), Runtime(updates)}}), DType::kFloat32,
               {4, 2, 2}, {5, 5, 6, 6, 5, 6, 7, 8, 7, 7, 8, 8, 13, 14, 15, 16});
  // onnx.reference ScatterND(reduction='mul') with a duplicate index 0.
  Tensor updates3 = F32({3, 2, 2}, {5, 5, 6, 6, 7, 7, 8, 8, 1, 2, 3, 4});
  ExpectTensor(RunOk({"ScatterND",
                      {Runtime(data), Runtime(I64({3, 1}, {0, 2, 0})), Runtime(updates3)},
                      {{"reduction", "mul"}},
                      1,
                      18}),
               DType::kFloat32, {4, 2, 2}, {5, 20, 54, 96, 5, 6, 7, 8, 63, 70, 88, 96, 13, 14, 15, 16});
  EXPECT_THAT(RunError({"ScatterND", {Runtime(data), Runtime(I64({2, 1}, {0, 2})), Runtime(F32({2}, {1, 2}))}}),
              HasSubstr("updates have"));
}

TEST(TensorKernelsTest, ScatterElementsWithReductionsAndHalfPrecision) {
  auto half = [](std::vector<float> v, std::vector<int64_t> dims) {
    Tensor t = Tensor::Zeros(DType::kFloat16, std::move(dims));
    for (size_t i = 0; i < v.size(); ++i) t.SetFromDouble(static_cast<int64_t>(i), v[i]);
    return t;
  };
  // onnx.reference ScatterElements(axis=1, reduction='add') on ones((3,3), f16)
  ExpectTensor(RunOk({"ScatterElements",
                      {Runtime(half({1, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3})), Runtime(I64({2, 3}, {1, 0, 2, 0, 2, 1})),
                       Runtime(half({1.5f, 2, 3, 4, 5, 6}, {2, 3}))},
                      {{"axis", int64_t{1}}, {"reduction", "add"}},
                      1,
                      18}),
               DType::kFloat16, {3, 3}, {3, 2.5, 4, 5, 7, 6, 1, 1, 1});
  // onnx.reference ScatterElements(axis=0, reduction='max') with a negative index
  ExpectTensor(RunOk({"ScatterElements",
                      {Runtime(Iota({2, 3}, DType::kInt32)), Runtime(I64({2, 1}, {1, -1})),
                       Runtime(Tensor::FromVector<int32_t>({2, 1}, {10, 20}))},
                      {{"reduction", "max"}},
                      1,
                      18}),
               DType::kInt32, {2, 3}, {0, 1, 2, 20, 4, 5});
  // The deprecated Scatter (opset 9) is ScatterElements without reduction.
  ExpectTensor(RunOk({"Scatter",
                      {Runtime(Iota({1, 5})), Runtime(I64({1, 2}, {1, 3})), Runtime(F32({1, 2}, {-1, -2}))},
                      {{"axis", int64_t{1}}},
                      1,
                      9}),
               DType::kFloat32, {1, 5}, {0, -1, 2, -2, 4});
  EXPECT_THAT(RunError({"ScatterElements", {Runtime(Iota({2})), Runtime(I64({1}, {2})), Runtime(F32({1}, {1}))}}),
              HasSubstr("out of range"));
}

// ---------------------------------------------------------------- Expand, Tile, Range

TEST(TensorKernelsTest, ExpandAndTileReplicate) {
  // np.broadcast_to([[1],[2],[3]], (2,3,4))
  ExpectTensor(RunOk({"Expand", {Runtime(F32({3, 1}, {1, 2, 3})), Runtime(I64({3}, {2, 1, 4}))}}), DType::kFloat32,
               {2, 3, 4}, {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
  ExpectTensor(RunOk({"Expand", {Runtime(F32({2, 2}, {1, 2, 3, 4})), ConstInts({1})}}), DType::kFloat32, {2, 2},
               {1, 2, 3, 4});
  EXPECT_THAT(RunError({"Expand", {Runtime(F32({2}, {1, 2})), Runtime(I64({1}, {3}))}}),
              HasSubstr("cannot be broadcast"));
  // np.tile([[1,2],[3,4]], (2,3))
  ExpectTensor(RunOk({"Tile", {Runtime(Tensor::FromVector<int64_t>({2, 2}, {1, 2, 3, 4})), Runtime(I64({2}, {2, 3}))}}),
               DType::kInt64, {4, 6}, {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  ExpectTensor(RunOk({"Tile", {Runtime(F32({2}, {1, 2})), ConstInts({0})}}), DType::kFloat32, {0}, {});
}

TEST(TensorKernelsTest, RangeCountsUpAndDown) {
  ExpectTensor(RunOk({"Range",
                      {Runtime(Tensor::Scalar<float>(1)), Runtime(Tensor::Scalar<float>(5)),
                       Runtime(Tensor::Scalar<float>(1.5f))}}),
               DType::kFloat32, {3}, {1, 2.5, 4});
  ExpectTensor(RunOk({"Range",
                      {Const(Tensor::Scalar<int32_t>(10)), Const(Tensor::Scalar<int32_t>(6)),
                       Const(Tensor::Scalar<int32_t>(-3))}}),
               DType::kInt32, {2}, {10, 7});
  ExpectTensor(RunOk({"Range",
                      {Runtime(Tensor::Scalar<int64_t>(5)), Runtime(Tensor::Scalar<int64_t>(1)),
                       Runtime(Tensor::Scalar<int64_t>(2))}}),
               DType::kInt64, {0}, {});
  // f16 (opset 27): onnx.reference Range(stash_type=1) on f16 0.5, 3.0, 0.7
  auto half = [](float v) {
    Tensor t = Tensor::Zeros(DType::kFloat16, {});
    t.SetFromDouble(0, v);
    return Runtime(t);
  };
  ExpectTensor(RunOk({"Range", {half(0.5f), half(3.0f), half(0.7f)}, {}, 1, 27}), DType::kFloat16, {4},
               {0.5, 1.2001953125, 1.900390625, 2.6015625});
  EXPECT_THAT(RunError({"Range",
                        {Runtime(Tensor::Scalar<int64_t>(5)), Runtime(Tensor::Scalar<int64_t>(1)),
                         Runtime(Tensor::Scalar<int64_t>(0))}}),
              HasSubstr("delta must not be 0"));
}

// ---------------------------------------------------------------- Pad

TEST(TensorKernelsTest, PadModesMatchNumpy) {
  Tensor x = F32({3, 2}, {1, 2, 3, 4, 5, 6});
  // np.pad(x, ((0,0),(3,1)), mode='reflect')
  ExpectTensor(RunOk({"Pad", {Runtime(x), Runtime(I64({4}, {0, 3, 0, 1}))}, {{"mode", "reflect"}}}), DType::kFloat32,
               {3, 6}, {2, 1, 2, 1, 2, 1, 4, 3, 4, 3, 4, 3, 6, 5, 6, 5, 6, 5});
  // np.pad(x, ((1,1),(0,1)), mode='edge')
  ExpectTensor(RunOk({"Pad", {Runtime(x), ConstInts({1, 0, 1, 1})}, {{"mode", "edge"}}}), DType::kFloat32, {5, 3},
               {1, 2, 2, 1, 2, 2, 3, 4, 4, 5, 6, 6, 5, 6, 6});
  // np.pad(x, ((2,0),(1,2)), mode='wrap')
  ExpectTensor(RunOk({"Pad", {Runtime(x), ConstInts({2, 1, 0, 2})}, {{"mode", "wrap"}}, 1, 19}), DType::kFloat32,
               {5, 5}, {4, 3, 4, 3, 4, 6, 5, 6, 5, 6, 2, 1, 2, 1, 2, 4, 3, 4, 3, 4, 6, 5, 6, 5, 6});
  // np.pad(x, ((1,0),(0,0)), constant_values=9)[:, 1:] — a negative pad crops.
  ExpectTensor(RunOk({"Pad", {Runtime(x), ConstInts({1, -1, 0, 0}), Runtime(F32({}, {9}))}}), DType::kFloat32, {4, 1},
               {9, 2, 4, 6});
}

TEST(TensorKernelsTest, PadAttributesBeforeOpset11AndAxesFromOpset18) {
  Tensor x = Iota({2, 2}, DType::kInt32);
  ExpectTensor(RunOk({"Pad", {Runtime(x)}, {{"pads", std::vector<int64_t>{0, 1, 0, 0}}, {"value", 7.0f}}, 1, 2}),
               DType::kInt32, {2, 3}, {7, 0, 1, 7, 2, 3});
  ExpectTensor(RunOk({"Pad", {Runtime(x), ConstInts({1, 0}), Absent(), ConstInts({0})}, {}, 1, 18}), DType::kInt32,
               {3, 2}, {0, 0, 0, 1, 2, 3});
  EXPECT_THAT(RunError({"Pad", {Runtime(x), Runtime(I64({2}, {1, 1}))}}), HasSubstr("pads has 2 entries, expected 4"));
}

// ---------------------------------------------------------------- Resize, Upsample

struct ResizeCase {
  const char* name;
  ir::AttributeMap attributes;
  std::optional<std::vector<float>> scales;
  std::optional<std::vector<int64_t>> sizes;
  std::vector<int64_t> dims;
  std::vector<double> expected;  // onnx.reference Resize (opset 19) on arange(1,17).reshape(1,1,4,4)
};

TEST(TensorKernelsTest, ResizeMatchesTheOnnxReference) {
  std::vector<ResizeCase> cases = {
      {"nearest round_prefer_ceil",
       {{"mode", "nearest"}, {"nearest_mode", "round_prefer_ceil"}},
       std::vector<float>{1, 1, 1.5f, 1.5f},
       std::nullopt,
       {1, 1, 6, 6},
       {1, 2,  2,  3,  4,  4,  5,  6,  6,  7,  8,  8,  5,  6,  6,  7,  8,  8,
        9, 10, 10, 11, 12, 12, 13, 14, 14, 15, 16, 16, 13, 14, 14, 15, 16, 16}},
      {"nearest asymmetric floor",
       {{"mode", "nearest"}, {"coordinate_transformation_mode", "asymmetric"}, {"nearest_mode", "floor"}},
       std::vector<float>{1, 1, 0.6f, 0.6f},
       std::nullopt,
       {1, 1, 2, 2},
       {1, 2, 5, 6}},
      {"nearest align_corners ceil by sizes",
       {{"mode", "nearest"}, {"coordinate_transformation_mode", "align_corners"}, {"nearest_mode", "ceil"}},
       std::nullopt,
       std::vector<int64_t>{1, 1, 3, 5},
       {1, 1, 3, 5},
       {1, 2, 3, 4, 4, 9, 10, 11, 12, 12, 13, 14, 15, 16, 16}},
      {"linear align_corners",
       {{"mode", "linear"}, {"coordinate_transformation_mode", "align_corners"}},
       std::vector<float>{1, 1, 0.75f, 1.5f},
       std::nullopt,
       {1, 1, 3, 6},
       {1, 1.6, 2.2, 2.8, 3.4, 4, 7, 7.6, 8.2, 8.8, 9.4, 10, 13, 13.6, 14.2, 14.8, 15.4, 16}},
      {"linear pytorch_half_pixel",
       {{"mode", "linear"}, {"coordinate_transformation_mode", "pytorch_half_pixel"}},
       std::nullopt,
       std::vector<int64_t>{1, 1, 3, 1},
       {1, 1, 3, 1},
       {1.6666666, 7, 12.333333}},
      {"cubic exclude_outside",
       {{"mode", "cubic"}, {"cubic_coeff_a", -0.5f}, {"exclude_outside", int64_t{1}}},
       std::vector<float>{1, 1, 1.25f, 0.8f},
       std::nullopt,
       {1, 1, 5, 3},
       {0.9005476832389832, 2.2019224166870117, 3.545757532119751, 3.6659669876098633, 4.967341899871826,
        6.311176776885986, 7.073625564575195, 8.375, 9.71883487701416, 10.481283187866211, 11.782658576965332,
        13.126493453979492, 13.246703147888184, 14.548077583312988, 15.891912460327148}},
      {"cubic half_pixel_symmetric",
       {{"mode", "cubic"}, {"coordinate_transformation_mode", "half_pixel_symmetric"}},
       std::vector<float>{1, 1, 0.7f, 1.3f},
       std::nullopt,
       {1, 1, 2, 5},
       {3.815535068511963, 4.487842082977295, 5.342203140258789, 6.196564197540283, 6.8688764572143555,
        10.131131172180176, 10.803435325622559, 11.657795906066895, 12.512157440185547, 13.184473037719727}},
      {"linear antialias",
       {{"mode", "linear"}, {"antialias", int64_t{1}}},
       std::vector<float>{1, 1, 0.6f, 0.5f},
       std::nullopt,
       {1, 1, 2, 2},
       {3.125, 4.875, 9.625, 11.375}},
      {"cubic antialias",
       {{"mode", "cubic"}, {"antialias", int64_t{1}}},
       std::vector<float>{1, 1, 0.5f, 0.75f},
       std::nullopt,
       {1, 1, 2, 3},
       {3.1159393787384033, 4.4609375, 5.805935859680176, 11.194064140319824, 12.539063453674316, 13.884060859680176}},
  };
  Tensor x = F32({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  for (const ResizeCase& c : cases) {
    SCOPED_TRACE(c.name);
    Operand scales = c.scales ? Runtime(F32({4}, *c.scales)) : Absent();
    Operand sizes = c.sizes ? Runtime(I64({4}, *c.sizes)) : Absent();
    ExpectTensor(RunOk({"Resize", {Runtime(x), Absent(), scales, sizes}, c.attributes, 1, 19}), DType::kFloat32, c.dims,
                 c.expected, 1e-4);
  }
}

TEST(TensorKernelsTest, ResizeCropAndResizeAspectRatioAndIntegerRounding) {
  Tensor x = F32({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  // onnx.reference: tf_crop_and_resize, roi [0,0,0.4,0.6, 1,1,1.2,1.7], sizes 3x3, extrapolation 10
  ExpectTensor(RunOk({"Resize",
                      {Runtime(x), Runtime(F32({8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f})), Absent(),
                       Runtime(I64({4}, {1, 1, 3, 3}))},
                      {{"mode", "linear"},
                       {"coordinate_transformation_mode", "tf_crop_and_resize"},
                       {"extrapolation_value", 10.0f}},
                      1,
                      13}),
               DType::kFloat32, {1, 1, 3, 3}, {7.6, 10, 10, 12.4, 10, 10, 10, 10, 10}, 1e-4);
  // onnx.reference: sizes [7,8] on axes [2,3] with not_larger gives 7x7.
  Tensor not_larger =
      RunOk({"Resize",
             {Runtime(x), Absent(), Absent(), ConstInts({7, 8})},
             {{"mode", "nearest"}, {"keep_aspect_ratio_policy", "not_larger"}, {"axes", std::vector<int64_t>{2, 3}}},
             1,
             18});
  ASSERT_EQ(not_larger.dims(), (std::vector<int64_t>{1, 1, 7, 7}));
  ExpectTensor(not_larger, DType::kFloat32, {1, 1, 7, 7},
               {1, 1, 2, 2, 3, 4,  4,  1,  1,  2,  2,  3,  4,  4,  5,  5,  6,  6,  7,  8,  8,  5,  5,  6, 6,
                7, 8, 8, 9, 9, 10, 10, 11, 12, 12, 13, 13, 14, 14, 15, 16, 16, 13, 13, 14, 14, 15, 16, 16});
  // onnx.reference: uint8 linear, scales [1,1,2,1.5]; results are rounded.
  Tensor u8 = Tensor::FromVector<uint8_t>({1, 1, 2, 3}, {0, 50, 255, 100, 200, 10});
  ExpectTensor(RunOk({"Resize", {Runtime(u8), Absent(), ConstFloats({1, 1, 2, 1.5f})}, {{"mode", "linear"}}, 1, 13}),
               DType::kUInt8, {1, 1, 4, 4}, {0, 25, 84, 221, 25, 56, 105, 176, 75, 119, 147, 86, 100, 150, 168, 42});
}

TEST(TensorKernelsTest, ResizeLeavesUnscaledAxesAlone) {
  // onnxruntime Resize-11, linear, tf_half_pixel_for_nn, scales [1,1,1,2]: the
  // channel axis (scale 1) is not shifted by half a pixel, so channels never mix.
  ExpectTensor(RunOk({"Resize",
                      {Runtime(Iota({1, 2, 1, 2})), ConstFloats({}), ConstFloats({1, 1, 1, 2})},
                      {{"mode", "linear"}, {"coordinate_transformation_mode", "tf_half_pixel_for_nn"}},
                      1,
                      11}),
               DType::kFloat32, {1, 2, 1, 4}, {0.25, 0.75, 1, 1, 2.25, 2.75, 3, 3});
}

TEST(TensorKernelsTest, LegacyResizeAndUpsampleUseAsymmetricFloor) {
  Tensor x = F32({1, 1, 2, 2}, {1, 2, 3, 4});
  // onnx.reference Upsample(nearest), scales [1,1,2,3] (np.repeat per axis)
  std::vector<double> repeated = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
  ExpectTensor(RunOk({"Upsample", {Runtime(x), ConstFloats({1, 1, 2, 3})}, {}, 1, 9}), DType::kFloat32, {1, 1, 4, 6},
               repeated);
  ExpectTensor(RunOk({"Upsample", {Runtime(x)}, {{"scales", std::vector<float>{1, 1, 2, 3}}}, 1, 7}), DType::kFloat32,
               {1, 1, 4, 6}, repeated);
  ExpectTensor(RunOk({"Resize", {Runtime(x), ConstFloats({1, 1, 2, 3})}, {}, 1, 10}), DType::kFloat32, {1, 1, 4, 6},
               repeated);
  // onnxruntime Resize-10 when downsampling by 0.6: nearest rounds up, linear
  // samples at x / 0.6.
  Tensor big = F32({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  ExpectTensor(RunOk({"Resize", {Runtime(big), ConstFloats({1, 1, 0.6f, 0.6f})}, {}, 1, 10}), DType::kFloat32,
               {1, 1, 2, 2}, {1, 3, 9, 11});
  ExpectTensor(RunOk({"Resize", {Runtime(big), ConstFloats({1, 1, 0.6f, 0.6f})}, {{"mode", "linear"}}, 1, 10}),
               DType::kFloat32, {1, 1, 2, 2}, {1, 2.6666665, 7.6666665, 9.333333}, 1e-4);
  // Linear upsampling at asymmetric coordinates clamps at the far edge
  // (onnxruntime Upsample-9 bilinear): x/2 over [1, 2] -> 1, 1.5, 2, 2.
  ExpectTensor(RunOk({"Upsample", {Runtime(F32({1, 2}, {1, 2})), ConstFloats({1, 2})}, {{"mode", "linear"}}, 1, 9}),
               DType::kFloat32, {1, 4}, {1, 1.5, 2, 2});
}

// ---------------------------------------------------------------- DepthToSpace, SpaceToDepth

TEST(TensorKernelsTest, DepthToSpaceAndSpaceToDepthRearrangeBlocks) {
  // x = arange(48).reshape(1,8,2,3); DCR: reshape(1,2,2,2,2,3).transpose(0,3,4,1,5,2)
  ExpectTensor(RunOk({"DepthToSpace", {Runtime(Iota({1, 8, 2, 3}))}, {{"blocksize", int64_t{2}}}}), DType::kFloat32,
               {1, 2, 4, 6},
               {0, 12, 1, 13, 2, 14, 24, 36, 25, 37, 26, 38, 3, 15, 4,  16, 5,  17, 27, 39, 28, 40, 29, 41,
                6, 18, 7, 19, 8, 20, 30, 42, 31, 43, 32, 44, 9, 21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47});
  // CRD: reshape(1,2,2,2,2,3).transpose(0,1,4,2,5,3)
  ExpectTensor(RunOk({"DepthToSpace", {Runtime(Iota({1, 8, 2, 3}))}, {{"blocksize", int64_t{2}}, {"mode", "CRD"}}}),
               DType::kFloat32, {1, 2, 4, 6},
               {0,  6,  1,  7,  2,  8,  12, 18, 13, 19, 14, 20, 3,  9,  4,  10, 5,  11, 15, 21, 16, 22, 17, 23,
                24, 30, 25, 31, 26, 32, 36, 42, 37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47});
  // y = arange(48).reshape(1,2,4,6); reshape(1,2,2,2,3,2).transpose(0,3,5,1,2,4)
  ExpectTensor(RunOk({"SpaceToDepth", {Runtime(Iota({1, 2, 4, 6}))}, {{"blocksize", int64_t{2}}}}), DType::kFloat32,
               {1, 8, 2, 3},
               {0, 2, 4,  12, 14, 16, 24, 26, 28, 36, 38, 40, 1, 3, 5,  13, 15, 17, 25, 27, 29, 37, 39, 41,
                6, 8, 10, 18, 20, 22, 30, 32, 34, 42, 44, 46, 7, 9, 11, 19, 21, 23, 31, 33, 35, 43, 45, 47});
  // CRD (opset 28): reshape(1,2,2,2,3,2).transpose(0,1,3,5,2,4)
  ExpectTensor(
      RunOk({"SpaceToDepth", {Runtime(Iota({1, 2, 4, 6}))}, {{"blocksize", int64_t{2}}, {"mode", "CRD"}}, 1, 28}),
      DType::kFloat32, {1, 8, 2, 3},
      {0,  2,  4,  12, 14, 16, 1,  3,  5,  13, 15, 17, 6,  8,  10, 18, 20, 22, 7,  9,  11, 19, 21, 23,
       24, 26, 28, 36, 38, 40, 25, 27, 29, 37, 39, 41, 30, 32, 34, 42, 44, 46, 31, 33, 35, 43, 45, 47});
  EXPECT_THAT(RunError({"SpaceToDepth", {Runtime(Iota({1, 1, 3, 2}))}, {{"blocksize", int64_t{2}}}}),
              HasSubstr("not divisible"));
}

// ---------------------------------------------------------------- OneHot, EyeLike, Trilu

TEST(TensorKernelsTest, OneHotWrapsNegativeIndicesAndIgnoresOutOfRange) {
  // onnx.reference OneHot(axis=1), indices [[1,-1],[7,0]], depth 3.0, values [-2,5]
  ExpectTensor(RunOk({"OneHot",
                      {Runtime(I64({2, 2}, {1, -1, 7, 0})), Runtime(Tensor::Scalar<float>(3)),
                       Runtime(Tensor::FromVector<int32_t>({2}, {-2, 5}))},
                      {{"axis", int64_t{1}}},
                      1,
                      11}),
               DType::kInt32, {2, 3, 2}, {-2, -2, 5, -2, -2, 5, -2, 5, -2, -2, -2, -2});
  ExpectTensor(
      RunOk({"OneHot", {Runtime(F32({2}, {0, 2.7f})), Const(Tensor::Scalar<int64_t>(3)), Runtime(F32({2}, {0, 1}))}}),
      DType::kFloat32, {2, 3}, {1, 0, 0, 0, 0, 1});
}

TEST(TensorKernelsTest, EyeLikeHonoursKAndDtype) {
  // np.eye(3, 4, k=1) and np.eye(3, 4, k=-2)
  ExpectTensor(RunOk({"EyeLike", {Runtime(Iota({3, 4}, DType::kInt32))}, {{"k", int64_t{1}}}}), DType::kInt32, {3, 4},
               {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  ExpectTensor(RunOk({"EyeLike", {Runtime(Iota({3, 4}))}, {{"k", int64_t{-2}}, {"dtype", int64_t{11}}}}),
               DType::kFloat64, {3, 4}, {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0});
}

TEST(TensorKernelsTest, TriluKeepsTheBandOnBatchedMatrices) {
  Tensor x = F32({2, 3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24});
  // np.triu(x, 1)
  ExpectTensor(RunOk({"Trilu", {Runtime(x), Runtime(Tensor::Scalar<int64_t>(1))}}), DType::kFloat32, {2, 3, 4},
               {0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12, 0, 14, 15, 16, 0, 0, 19, 20, 0, 0, 0, 24});
  // np.tril(x, -1)
  ExpectTensor(RunOk({"Trilu", {Runtime(x), Const(Tensor::Scalar<int64_t>(-1))}, {{"upper", int64_t{0}}}}),
               DType::kFloat32, {2, 3, 4},
               {0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 21, 22, 0, 0});
  ExpectTensor(RunOk({"Trilu", {Runtime(F32({2, 2}, {1, 2, 3, 4}))}, {{"upper", int64_t{0}}}}), DType::kFloat32, {2, 2},
               {1, 0, 3, 4});
}

// ---------------------------------------------------------------- CumSum, TopK, NonZero

TEST(TensorKernelsTest, CumSumExclusiveAndReverse) {
  Tensor x = Tensor::FromVector<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  // onnx.reference CumSum(exclusive=1, reverse=1) along axis 1
  ExpectTensor(RunOk({"CumSum",
                      {Runtime(x), Runtime(Tensor::Scalar<int32_t>(1))},
                      {{"exclusive", int64_t{1}}, {"reverse", int64_t{1}}}}),
               DType::kFloat64, {2, 3}, {5, 3, 0, 11, 6, 0});
  // np.cumsum(x, 0)
  ExpectTensor(RunOk({"CumSum", {Runtime(x), Runtime(Tensor::Scalar<int64_t>(-2))}}), DType::kFloat64, {2, 3},
               {1, 2, 3, 5, 7, 9});
  ExpectTensor(RunOk({"CumSum",
                      {Runtime(Tensor::FromVector<int32_t>({4}, {1, 2, 3, 4})), Runtime(Tensor::Scalar<int32_t>(0))},
                      {{"exclusive", int64_t{1}}}}),
               DType::kInt32, {4}, {0, 1, 3, 6});
}

TEST(TensorKernelsTest, TopKIsStableOnTiesAndSupportsSmallest) {
  Tensor x = F32({2, 4}, {3, 1, 3, 2, 0, 5, 5, -1});
  // onnx.reference TopK(k=3)
  absl::StatusOr<std::vector<Tensor>> out = RunNode({"TopK", {Runtime(x), Runtime(I64({1}, {3}))}, {}, 2});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor((*out)[0], DType::kFloat32, {2, 3}, {3, 3, 2, 5, 5, 0});
  ExpectTensor((*out)[1], DType::kInt64, {2, 3}, {0, 2, 3, 1, 2, 0});
  // onnx.reference TopK(k=2, largest=0, axis=0)
  out = RunNode({"TopK", {Runtime(x), ConstInts({2})}, {{"largest", int64_t{0}}, {"axis", int64_t{0}}}, 2});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor((*out)[0], DType::kFloat32, {2, 4}, {0, 1, 3, -1, 3, 5, 5, 2});
  ExpectTensor((*out)[1], DType::kInt64, {2, 4}, {1, 0, 0, 1, 0, 1, 1, 0});
  out = RunNode({"TopK", {Runtime(x)}, {{"k", int64_t{1}}}, 2, 9});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor((*out)[0], DType::kFloat32, {2, 1}, {3, 5});
  EXPECT_THAT(RunError({"TopK", {Runtime(x), Runtime(I64({1}, {5}))}, {}, 2}), HasSubstr("out of range"));
}

TEST(TensorKernelsTest, NonZeroListsCoordinatesRowMajor) {
  // np.array(np.nonzero([[1,0,2],[0,0,3]]))
  ExpectTensor(RunOk({"NonZero", {Runtime(F32({2, 3}, {1, 0, 2, 0, 0, 3}))}}), DType::kInt64, {2, 3},
               {0, 0, 1, 0, 2, 2});
  ExpectTensor(RunOk({"NonZero", {Runtime(F32({2}, {0, -0.0f}))}}), DType::kInt64, {1, 0}, {});
}

// ---------------------------------------------------------------- ReverseSequence, Compress, Unique

TEST(TensorKernelsTest, ReverseSequenceInBothLayouts) {
  Tensor x = Iota({4, 4});
  // onnx.reference ReverseSequence(time_axis=0, batch_axis=1), lens [4,3,2,1]
  ExpectTensor(RunOk({"ReverseSequence", {Runtime(x), Runtime(I64({4}, {4, 3, 2, 1}))}}), DType::kFloat32, {4, 4},
               {12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15});
  // onnx.reference ReverseSequence(time_axis=1, batch_axis=0), lens [1,2,3,4]
  ExpectTensor(RunOk({"ReverseSequence",
                      {Runtime(x), Runtime(I64({4}, {1, 2, 3, 4}))},
                      {{"time_axis", int64_t{1}}, {"batch_axis", int64_t{0}}}}),
               DType::kFloat32, {4, 4}, {0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12});
  EXPECT_THAT(RunError({"ReverseSequence", {Runtime(x), Runtime(I64({4}, {5, 1, 1, 1}))}}), HasSubstr("out of range"));
}

TEST(TensorKernelsTest, CompressSelectsSlicesOrFlattenedElements) {
  Tensor x = F32({3, 2}, {1, 2, 3, 4, 5, 6});
  // np.compress([False,True,True], x, axis=0), axis=1 with [False,True], and flattened
  ExpectTensor(RunOk({"Compress",
                      {Runtime(x), Runtime(Tensor::FromVector<bool>({3}, {false, true, true}))},
                      {{"axis", int64_t{0}}}}),
               DType::kFloat32, {2, 2}, {3, 4, 5, 6});
  ExpectTensor(
      RunOk({"Compress", {Runtime(x), Const(Tensor::FromVector<bool>({2}, {false, true}))}, {{"axis", int64_t{-1}}}}),
      DType::kFloat32, {3, 1}, {2, 4, 6});
  ExpectTensor(
      RunOk({"Compress", {Runtime(x), Runtime(Tensor::FromVector<bool>({5}, {false, true, true, false, true}))}}),
      DType::kFloat32, {3}, {2, 3, 5});
  EXPECT_THAT(RunError({"Compress",
                        {Runtime(x), Runtime(Tensor::FromVector<bool>({4}, {false, false, false, true}))},
                        {{"axis", int64_t{0}}}}),
              HasSubstr("condition selects index 3"));
}

TEST(TensorKernelsTest, UniqueSortedUnsortedAndAlongAnAxis) {
  Tensor x = F32({6}, {2, 1, 1, 3, 4, 3});
  // onnx.reference Unique(sorted=0)
  absl::StatusOr<std::vector<Tensor>> out = RunNode({"Unique", {Runtime(x)}, {{"sorted", int64_t{0}}}, 4, 11});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor((*out)[0], DType::kFloat32, {4}, {2, 1, 3, 4});
  ExpectTensor((*out)[1], DType::kInt64, {4}, {0, 1, 3, 4});
  ExpectTensor((*out)[2], DType::kInt64, {6}, {0, 1, 1, 2, 3, 2});
  ExpectTensor((*out)[3], DType::kInt64, {4}, {1, 2, 2, 1});
  // onnx.reference Unique(sorted=1)
  out = RunNode({"Unique", {Runtime(x)}, {}, 4, 11});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor((*out)[0], DType::kFloat32, {4}, {1, 2, 3, 4});
  ExpectTensor((*out)[1], DType::kInt64, {4}, {1, 0, 3, 4});
  ExpectTensor((*out)[2], DType::kInt64, {6}, {1, 0, 0, 2, 3, 2});
  ExpectTensor((*out)[3], DType::kInt64, {4}, {2, 1, 2, 1});
  // onnx.reference Unique(sorted=1, axis=1) on a [2,4,2] tensor
  Tensor y = F32({2, 4, 2}, {1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1});
  out = RunNode({"Unique", {Runtime(y)}, {{"axis", int64_t{1}}}, 4, 11});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor((*out)[0], DType::kFloat32, {2, 3, 2}, {0, 1, 1, 1, 2, 1, 0, 1, 1, 1, 2, 1});
  ExpectTensor((*out)[1], DType::kInt64, {3}, {1, 0, 2});
  ExpectTensor((*out)[2], DType::kInt64, {4}, {1, 0, 2, 0});
  ExpectTensor((*out)[3], DType::kInt64, {3}, {2, 1, 1});
  // Only Y requested.
  ExpectTensor(RunOk({"Unique", {Runtime(Tensor::FromVector<int32_t>({3}, {5, 5, 4}))}, {}, 1, 11}), DType::kInt32, {2},
               {4, 5});
}

// ---------------------------------------------------------------- dtypes and sizes

TEST(TensorKernelsTest, DataMovementHandlesStringsBoolsAndHalfs) {
  Tensor strings = Tensor::FromStrings({3}, {"a", "b", "c"});
  Tensor gathered = RunOk({"Gather", {Runtime(strings), Runtime(I64({2}, {2, 0}))}});
  EXPECT_EQ(gathered.strings(), (std::vector<std::string>{"c", "a"}));
  Tensor sliced =
      RunOk({"Slice", {Runtime(strings), ConstInts({-1}), ConstInts({INT64_MIN}), ConstInts({0}), ConstInts({-1})}});
  EXPECT_EQ(sliced.strings(), (std::vector<std::string>{"c", "b", "a"}));
  Tensor bools = Tensor::FromVector<bool>({2, 2}, {true, false, false, true});
  ExpectTensor(RunOk({"Tile", {Runtime(bools), ConstInts({1, 2})}}), DType::kBool, {2, 4}, {1, 0, 1, 0, 0, 1, 0, 1});
  Tensor half = Iota({2, 3}, DType::kBFloat16);
  ExpectTensor(RunOk({"Transpose", {Runtime(half)}}), DType::kBFloat16, {3, 2}, {0, 3, 1, 4, 2, 5});
  Tensor f16 = Iota({5}, DType::kFloat16);
  absl::StatusOr<std::vector<Tensor>> top = RunNode({"TopK", {Runtime(f16), ConstInts({2})}, {}, 2});
  ASSERT_TRUE(top.ok()) << top.status();
  ExpectTensor((*top)[0], DType::kFloat16, {2}, {4, 3});
}

TEST(TensorKernelsTest, LargeTransposeAndSliceMatchAnIndexFormula) {
  // A transpose big enough to exercise the run-merging paths: out[i,j,k] = in[k,i,j].
  const int64_t a = 7, b = 33, c = 65;
  Tensor x = Iota({a, b, c});
  Tensor t = RunOk({"Transpose", {Runtime(x)}, {{"perm", std::vector<int64_t>{1, 2, 0}}}});
  ASSERT_EQ(t.dims(), (std::vector<int64_t>{b, c, a}));
  bool all_match = true;
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      for (int64_t k = 0; k < a; ++k) {
        all_match &= t.data<float>()[(i * c + j) * a + k] == static_cast<float>((k * b + i) * c + j);
      }
    }
  }
  EXPECT_TRUE(all_match);
  // A reversal of [40,3,70] takes the tiled path (edges not multiples of the tile).
  Tensor r = RunOk({"Transpose", {Runtime(Iota({40, 3, 70}, DType::kInt32))}});
  ASSERT_EQ(r.dims(), (std::vector<int64_t>{70, 3, 40}));
  all_match = true;
  for (int64_t i = 0; i < 70; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      for (int64_t k = 0; k < 40; ++k) all_match &= r.data<int32_t>()[(i * 3 + j) * 40 + k] == (k * 3 + j) * 70 + i;
    }
  }
  EXPECT_TRUE(all_match);
  // x[:, 3:30:3, 1:] — the innermost run of 64 is copied as a block.
  Tensor s =
      RunOk({"Slice", {Runtime(x), ConstInts({3, 1}), ConstInts({30, 1000}), ConstInts({1, 2}), ConstInts({3, 1})}});
  ASSERT_EQ(s.dims(), (std::vector<int64_t>{a, 9, c - 1}));
  all_match = true;
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < 9; ++j) {
      for (int64_t k = 0; k < c - 1; ++k) {
        all_match &= s.data<float>()[(i * 9 + j) * (c - 1) + k] == static_cast<float>((i * b + 3 + 3 * j) * c + 1 + k);
      }
    }
  }
  EXPECT_TRUE(all_match);
}


// ---------------------------------------------------------------- CumProd, BitCast (opset 26)

TEST(TensorKernelsTest, CumProdInclusiveExclusiveAndReverse) {
  Tensor x = Tensor::FromVector<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  // np.cumprod(x, 1)
  ExpectTensor(RunOk({"CumProd", {Runtime(x), Runtime(Tensor::Scalar<int64_t>(1))}, {}, 1, 26}), DType::kFloat64,
               {2, 3}, {1, 2, 6, 4, 20, 120});
  // onnx.reference CumProd(exclusive=1, reverse=1) along axis -1
  ExpectTensor(RunOk({"CumProd",
                      {Runtime(x), Runtime(Tensor::Scalar<int32_t>(-1))},
                      {{"exclusive", int64_t{1}}, {"reverse", int64_t{1}}},
                      1,
                      26}),
               DType::kFloat64, {2, 3}, {6, 3, 1, 30, 6, 1});
  // Integers wrap instead of overflowing: 2^16 * 2^16 = 2^32 is 0 in int32.
  ExpectTensor(RunOk({"CumProd",
                      {Runtime(Tensor::FromVector<int32_t>({3}, {65536, 65536, 3})), Runtime(Tensor::Scalar<int32_t>(0))},
                      {},
                      1,
                      26}),
               DType::kInt32, {3}, {65536, 0, 0});
}

TEST(TensorKernelsTest, BitCastKeepsTheBits) {
  // 1.0f is 0x3F800000 = 1065353216; -2.0f is 0xC0000000 = -1073741824 as int32.
  ExpectTensor(RunOk({"BitCast", {Runtime(F32({2}, {1.0f, -2.0f}))}, {{"to", int64_t{6}}}, 1, 26}), DType::kInt32, {2},
               {1065353216, -1073741824});
  ExpectTensor(RunOk({"BitCast", {Runtime(Tensor::FromVector<int8_t>({3}, {-1, 127, -128}))}, {{"to", int64_t{2}}}, 1, 26}),
               DType::kUInt8, {3}, {255, 127, 128});
  EXPECT_THAT(RunError({"BitCast", {Runtime(F32({1}, {1.0f}))}, {{"to", int64_t{7}}}, 1, 26}),
              HasSubstr("bit widths differ"));
}

}  // namespace
}  // namespace gsopt::backend::cpu
