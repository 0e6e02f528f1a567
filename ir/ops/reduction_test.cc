// Shape-inference tests for the reduction ops: axes from attributes or
// constant inputs per opset, keepdims, noop_with_empty_axes, symbolic dims,
// unknown axes or rank, and the errors for bad axes.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::ir {
namespace {

using ::testing::HasSubstr;

Shape Dims(std::vector<Dim> dims) { return Shape(std::move(dims)); }

// One node reading `data` (and optional axes), inferred at `opset`.
struct ReductionGraph {
  explicit ReductionGraph(int64_t opset) { graph.mutable_metadata().opset_imports[""] = opset; }

  ValueId Input(TensorType type) { return graph.AddInput(absl::StrCat("in", graph.num_values()), type); }
  ValueId ConstantAxes(std::vector<int64_t> axes) {
    return graph.AddInitializer(absl::StrCat("axes", graph.num_values()),
                                Tensor::FromVector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
  }
  // Infers the node and returns its output type, or the error.
  absl::StatusOr<TensorType> Infer(const std::string& op, std::vector<ValueId> inputs, AttributeMap attrs = {}) {
    NodeId n = graph.AddNode(op, std::move(inputs), {absl::StrCat("out", graph.num_values())}, std::move(attrs),
                             "red");
    absl::Status status = InferShapes(graph);
    if (!status.ok()) return status;
    return graph.value(graph.node(n).outputs[0]).type;
  }

  Graph graph;
};

const TensorType kBatchSeqHidden{DType::kFloat32, Dims({Dim::Symbol("batch"), Dim::Symbol("seq"), Dim(768)})};

TEST(ReductionShapeInferenceTest, AxesAttributeBeforeOpset18) {
  ReductionGraph g(17);
  ValueId x = g.Input(kBatchSeqHidden);
  absl::StatusOr<TensorType> keep = g.Infer("ReduceMean", {x}, {{"axes", std::vector<int64_t>{-1}}});
  ASSERT_TRUE(keep.ok()) << keep.status();
  EXPECT_EQ(keep->dtype, DType::kFloat32);
  EXPECT_EQ(keep->shape, Dims({Dim::Symbol("batch"), Dim::Symbol("seq"), Dim(1)}));
  absl::StatusOr<TensorType> drop = g.Infer("ReduceMax", {x}, {{"axes", std::vector<int64_t>{0, 2}}, {"keepdims", 0}});
  ASSERT_TRUE(drop.ok()) << drop.status();
  EXPECT_EQ(drop->shape, Dims({Dim::Symbol("seq")}));
}

TEST(ReductionShapeInferenceTest, ReduceSumTakesAxesInputFromOpset13) {
  ReductionGraph g(13);
  ValueId x = g.Input(kBatchSeqHidden);
  ValueId axes = g.ConstantAxes({1});
  absl::StatusOr<TensorType> y = g.Infer("ReduceSum", {x, axes}, {{"keepdims", 0}});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape, Dims({Dim::Symbol("batch"), Dim(768)}));
  // ReduceMean still takes the attribute at opset 13.
  absl::StatusOr<TensorType> mean = g.Infer("ReduceMean", {x, axes});
  EXPECT_THAT(mean.status().message(), HasSubstr("as an attribute before opset 18"));
}

TEST(ReductionShapeInferenceTest, AxesAttributeIsRejectedOnceAxesIsAnInput) {
  ReductionGraph g(18);
  ValueId x = g.Input(kBatchSeqHidden);
  absl::StatusOr<TensorType> y = g.Infer("ReduceL2", {x}, {{"axes", std::vector<int64_t>{1}}});
  EXPECT_THAT(y.status().message(), HasSubstr("node 'red' (ReduceL2)"));
}

TEST(ReductionShapeInferenceTest, EmptyAxesReduceAllOrNothing) {
  ReductionGraph g(18);
  ValueId x = g.Input(kBatchSeqHidden);
  absl::StatusOr<TensorType> all_keep = g.Infer("ReduceProd", {x});
  ASSERT_TRUE(all_keep.ok()) << all_keep.status();
  EXPECT_EQ(all_keep->shape, Dims({Dim(1), Dim(1), Dim(1)}));
  absl::StatusOr<TensorType> scalar = g.Infer("ReduceProd", {x}, {{"keepdims", 0}});
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->shape, Shape::Scalar());
  ValueId empty = g.ConstantAxes({});
  absl::StatusOr<TensorType> noop = g.Infer("ReduceLogSum", {x, empty}, {{"noop_with_empty_axes", 1}});
  ASSERT_TRUE(noop.ok()) << noop.status();
  EXPECT_EQ(*noop, kBatchSeqHidden);
}

TEST(ReductionShapeInferenceTest, NonConstantAxesKeepWhatIsKnowable) {
  ReductionGraph g(18);
  ValueId x = g.Input(TensorType{DType::kFloat16, Dims({Dim(1), Dim::Symbol("n"), Dim(4)})});
  ValueId axes = g.Input(TensorType{DType::kInt64, Dims({Dim(2)})});
  absl::StatusOr<TensorType> keep = g.Infer("ReduceMin", {x, axes});
  ASSERT_TRUE(keep.ok()) << keep.status();
  EXPECT_EQ(keep->dtype, DType::kFloat16);
  EXPECT_EQ(keep->shape, Dims({Dim(1), Dim(), Dim()}));
  absl::StatusOr<TensorType> drop = g.Infer("ReduceMin", {x, axes}, {{"keepdims", 0}});
  ASSERT_TRUE(drop.ok()) << drop.status();
  EXPECT_EQ(drop->shape, Dims({Dim()}));
  ValueId unknown_count = g.Input(TensorType{DType::kInt64, Dims({Dim::Symbol("k")})});
  absl::StatusOr<TensorType> unknown = g.Infer("ReduceMin", {x, unknown_count}, {{"keepdims", 0}});
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_FALSE(unknown->shape.rank_known());
}

TEST(ReductionShapeInferenceTest, UnknownRank) {
  ReductionGraph g(13);
  ValueId x = g.Input(TensorType{DType::kInt32, Shape()});
  absl::StatusOr<TensorType> axes = g.Infer("ReduceSumSquare", {x}, {{"axes", std::vector<int64_t>{0}}});
  ASSERT_TRUE(axes.ok()) << axes.status();
  EXPECT_EQ(axes->dtype, DType::kInt32);
  EXPECT_FALSE(axes->shape.rank_known());
  absl::StatusOr<TensorType> all = g.Infer("ReduceSumSquare", {x}, {{"keepdims", 0}});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->shape, Shape::Scalar());
}

TEST(ReductionShapeInferenceTest, RejectsBadAxes) {
  ReductionGraph g(13);
  ValueId x = g.Input(kBatchSeqHidden);
  absl::StatusOr<TensorType> range = g.Infer("ReduceSum", {x, g.ConstantAxes({3})});
  EXPECT_THAT(range.status().message(), HasSubstr("out of range"));
  ReductionGraph g2(13);
  ValueId x2 = g2.Input(kBatchSeqHidden);
  absl::StatusOr<TensorType> dup = g2.Infer("ReduceSum", {x2, g2.ConstantAxes({0, -3})});
  EXPECT_THAT(dup.status().message(), HasSubstr("more than once"));
  ReductionGraph g3(18);
  ValueId x3 = g3.Input(kBatchSeqHidden);
  ValueId float_axes = g3.Input(TensorType{DType::kFloat32, Dims({Dim(1)})});
  absl::StatusOr<TensorType> dtype = g3.Infer("ReduceMax", {x3, float_axes});
  EXPECT_THAT(dtype.status().message(), HasSubstr("expected i64"));
}

TEST(ReductionShapeInferenceTest, BoolOnlyForMaxAndMin) {
  ReductionGraph g(20);
  ValueId flags = g.Input(TensorType{DType::kBool, Dims({Dim(4), Dim(2)})});
  absl::StatusOr<TensorType> any = g.Infer("ReduceMax", {flags}, {{"keepdims", 0}});
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(*any, (TensorType{DType::kBool, Shape::Scalar()}));
  absl::StatusOr<TensorType> sum = g.Infer("ReduceSum", {flags});
  EXPECT_THAT(sum.status().message(), HasSubstr("input has type bool"));
}

TEST(ReductionShapeInferenceTest, ArgMaxAndArgMin) {
  ReductionGraph g(13);
  ValueId x = g.Input(kBatchSeqHidden);
  absl::StatusOr<TensorType> keep = g.Infer("ArgMax", {x}, {{"axis", -1}});
  ASSERT_TRUE(keep.ok()) << keep.status();
  EXPECT_EQ(keep->dtype, DType::kInt64);
  EXPECT_EQ(keep->shape, Dims({Dim::Symbol("batch"), Dim::Symbol("seq"), Dim(1)}));
  absl::StatusOr<TensorType> drop = g.Infer("ArgMin", {x}, {{"keepdims", 0}});
  ASSERT_TRUE(drop.ok()) << drop.status();
  EXPECT_EQ(drop->shape, Dims({Dim::Symbol("seq"), Dim(768)}));
  ValueId unknown = g.Input(TensorType{DType::kFloat32, Shape()});
  absl::StatusOr<TensorType> unknown_rank = g.Infer("ArgMax", {unknown});
  ASSERT_TRUE(unknown_rank.ok()) << unknown_rank.status();
  EXPECT_EQ(unknown_rank->dtype, DType::kInt64);
  EXPECT_FALSE(unknown_rank->shape.rank_known());
  absl::StatusOr<TensorType> bad = g.Infer("ArgMax", {x}, {{"axis", 3}});
  EXPECT_THAT(bad.status().message(), HasSubstr("(ArgMax): axis 3 is out of range"));
}

}  // namespace
}  // namespace gsopt::ir
