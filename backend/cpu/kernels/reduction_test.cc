// Tests for the reduction kernels (Reduce*, ArgMax, ArgMin). Expected values
// were computed with numpy (the ONNX reference semantics), not by the kernels.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/cpu/kernel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace gsopt::backend::cpu {
namespace {

using ir::AttributeMap;
using ir::DType;
using ir::Tensor;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Runs the registered kernel for `op_type` on `inputs` (nullptr = omitted).
absl::StatusOr<Tensor> RunOp(const std::string& op_type, std::vector<const Tensor*> inputs,
                             AttributeMap attributes, int64_t opset) {
  ir::Node node;
  node.name = "r";
  node.op_type = op_type;
  node.attributes = std::move(attributes);
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(inputs[i] ? static_cast<int>(i) : ir::kNoValue);
  node.outputs = {100};
  const KernelFn* kernel = KernelRegistry::Global().Find("", op_type);
  if (kernel == nullptr) return absl::NotFoundError(op_type);
  std::vector<Tensor> outputs(1);
  KernelContext ctx(node, opset, std::move(inputs), &outputs);
  absl::Status status = (*kernel)(ctx);
  if (!status.ok()) return status;
  return outputs[0];
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

std::vector<float> Iota(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return v;
}

Tensor Axes(std::vector<int64_t> axes) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(axes.size())}, axes);
}

TEST(ReductionKernelsTest, SumMiddleAxisKeepDims) {
  Tensor x = Tensor::FromVector<float>({2, 3, 4}, Iota(24));
  Tensor axes = Axes({1});
  absl::StatusOr<Tensor> y = RunOp("ReduceSum", {&x, &axes}, {}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(y->dims(), ElementsAre(2, 1, 4));
  EXPECT_THAT(Values<float>(*y), ElementsAre(12, 15, 18, 21, 48, 51, 54, 57));
}

TEST(ReductionKernelsTest, SumOuterAndInnerAxesWithoutKeepDims) {
  Tensor x = Tensor::FromVector<float>({2, 3, 4}, Iota(24));
  Tensor axes = Axes({0, -1});
  absl::StatusOr<Tensor> y = RunOp("ReduceSum", {&x, &axes}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(y->dims(), ElementsAre(3));
  EXPECT_THAT(Values<float>(*y), ElementsAre(60, 92, 124));
}

TEST(ReductionKernelsTest, SumReadsAxesAttributeBeforeOpset13) {
  Tensor x = Tensor::FromVector<float>({2, 3, 4}, Iota(24));
  absl::StatusOr<Tensor> y =
      RunOp("ReduceSum", {&x}, {{"axes", std::vector<int64_t>{0, 2}}, {"keepdims", 0}}, 11);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values<float>(*y), ElementsAre(60, 92, 124));
}

TEST(ReductionKernelsTest, SumWithoutAxesReducesEverything) {
  Tensor x = Tensor::FromVector<float>({2, 3, 4}, Iota(24));
  absl::StatusOr<Tensor> keep = RunOp("ReduceSum", {&x}, {}, 13);
  ASSERT_TRUE(keep.ok()) << keep.status();
  EXPECT_THAT(keep->dims(), ElementsAre(1, 1, 1));
  EXPECT_THAT(Values<float>(*keep), ElementsAre(276));
  Tensor empty_axes = Tensor::FromVector<int64_t>({0}, {});
  absl::StatusOr<Tensor> scalar = RunOp("ReduceSum", {&x, &empty_axes}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->rank(), 0);
  EXPECT_THAT(Values<float>(*scalar), ElementsAre(276));
}

TEST(ReductionKernelsTest, NoopWithEmptyAxesStillAppliesTheElementwisePart) {
  Tensor x = Tensor::FromVector<float>({2, 2}, {1, -2, 3, -4});
  Tensor empty_axes = Tensor::FromVector<int64_t>({0}, {});
  absl::StatusOr<Tensor> sum = RunOp("ReduceSum", {&x, &empty_axes}, {{"noop_with_empty_axes", 1}}, 13);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_THAT(sum->dims(), ElementsAre(2, 2));
  EXPECT_THAT(Values<float>(*sum), ElementsAre(1, -2, 3, -4));
  absl::StatusOr<Tensor> square = RunOp("ReduceSumSquare", {&x}, {{"noop_with_empty_axes", 1}}, 18);
  ASSERT_TRUE(square.ok()) << square.status();
  EXPECT_THAT(Values<float>(*square), ElementsAre(1, 4, 9, 16));
}

TEST(ReductionKernelsTest, EachReductionMatchesNumpy) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, -2, 3, -4, 5, -6});
  Tensor axis0 = Axes({0});
  Tensor axis1 = Axes({1});
  struct Case {
    const char* op;
    const Tensor* axes;
    std::vector<float> expected;
  };
  const Case cases[] = {
      {"ReduceL1", &axis1, {6, 15}},
      {"ReduceL2", &axis1, {3.7416574954986572f, 8.774964332580566f}},
      {"ReduceSumSquare", &axis0, {17, 29, 45}},
      {"ReduceProd", &axis0, {-4, -10, -18}},
      {"ReduceMax", &axis1, {3, 5}},
      {"ReduceMin", &axis0, {-4, -2, -6}},
      {"ReduceMean", &axis1, {0.6666666865348816f, -1.6666666269302368f}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Tensor> y = RunOp(c.op, {&x, c.axes}, {{"keepdims", 0}}, 18);
    ASSERT_TRUE(y.ok()) << c.op << ": " << y.status();
    std::vector<float> got = Values<float>(*y);
    ASSERT_EQ(got.size(), c.expected.size()) << c.op;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], c.expected[i]) << c.op << " [" << i << "]";
  }
}

TEST(ReductionKernelsTest, LogSumAndLogSumExp) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<Tensor> log_sum =
      RunOp("ReduceLogSum", {&x}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", 0}}, 13);
  ASSERT_TRUE(log_sum.ok()) << log_sum.status();
  EXPECT_THAT(Values<float>(*log_sum),
              ElementsAre(::testing::FloatEq(1.7917594909667969f), ::testing::FloatEq(2.70805025100708f)));
  Tensor axis0 = Axes({0});
  absl::StatusOr<Tensor> lse = RunOp("ReduceLogSumExp", {&x, &axis0}, {{"keepdims", 0}}, 18);
  ASSERT_TRUE(lse.ok()) << lse.status();
  EXPECT_THAT(Values<float>(*lse), ElementsAre(::testing::FloatEq(4.048587322235107f),
                                               ::testing::FloatEq(5.048587322235107f),
                                               ::testing::FloatEq(6.048587322235107f)));
}

TEST(ReductionKernelsTest, LogSumExpDoesNotOverflow) {
  Tensor x = Tensor::FromVector<float>({2}, {1000, 1000});
  absl::StatusOr<Tensor> y = RunOp("ReduceLogSumExp", {&x}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_FLOAT_EQ(y->data<float>()[0], 1000.6931471805599f);
}

TEST(ReductionKernelsTest, InnerAxisMeanIsExactForLayerNormRows) {
  Tensor x = Tensor::FromVector<float>({2, 5}, {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 1, 1, 1, 1, 6});
  absl::StatusOr<Tensor> y = RunOp("ReduceMean", {&x}, {{"axes", std::vector<int64_t>{-1}}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(y->dims(), ElementsAre(2, 1));
  EXPECT_THAT(Values<float>(*y), ElementsAre(2.5f, 2.0f));
}

TEST(ReductionKernelsTest, LongRowSumAccumulatesPrecisely) {
  // 100000 copies of float(0.1): numpy's float64 sum is 10000.000149011612.
  Tensor x = Tensor::FromVector<float>({100000}, std::vector<float>(100000, 0.1f));
  absl::StatusOr<Tensor> y = RunOp("ReduceSum", {&x}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_FLOAT_EQ(y->data<float>()[0], 10000.000149011612f);
}

TEST(ReductionKernelsTest, EmptySetGivesTheIdentity) {
  Tensor x = Tensor::FromVector<float>({2, 0, 3}, {});
  Tensor axis1 = Axes({1});
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    const char* op;
    float expected;
  };
  const Case cases[] = {{"ReduceSum", 0},         {"ReduceProd", 1},      {"ReduceMax", -inf},
                        {"ReduceMin", inf},       {"ReduceL1", 0},        {"ReduceL2", 0},
                        {"ReduceSumSquare", 0},   {"ReduceLogSum", -inf}, {"ReduceLogSumExp", -inf}};
  for (const Case& c : cases) {
    absl::StatusOr<Tensor> y = RunOp(c.op, {&x, &axis1}, {}, 18);
    ASSERT_TRUE(y.ok()) << c.op << ": " << y.status();
    EXPECT_THAT(y->dims(), ElementsAre(2, 1, 3)) << c.op;
    EXPECT_THAT(Values<float>(*y), ::testing::Each(c.expected)) << c.op;
  }
  absl::StatusOr<Tensor> mean = RunOp("ReduceMean", {&x, &axis1}, {}, 18);
  ASSERT_TRUE(mean.ok()) << mean.status();
  EXPECT_TRUE(std::isnan(mean->data<float>()[0]));
}

TEST(ReductionKernelsTest, EmptySetOfIntegersUsesTheTypeLimits) {
  Tensor x = Tensor::FromVector<int32_t>({0, 2}, {});
  Tensor axis0 = Axes({0});
  absl::StatusOr<Tensor> max = RunOp("ReduceMax", {&x, &axis0}, {{"keepdims", 0}}, 18);
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_THAT(Values<int32_t>(*max), ElementsAre(std::numeric_limits<int32_t>::lowest(),
                                                 std::numeric_limits<int32_t>::lowest()));
  absl::StatusOr<Tensor> min = RunOp("ReduceMin", {&x, &axis0}, {{"keepdims", 0}}, 18);
  ASSERT_TRUE(min.ok()) << min.status();
  EXPECT_THAT(Values<int32_t>(*min), ElementsAre(std::numeric_limits<int32_t>::max(),
                                                 std::numeric_limits<int32_t>::max()));
}

TEST(ReductionKernelsTest, IntegerMeanTruncatesTowardZero) {
  Tensor x = Tensor::FromVector<int32_t>({3, 2}, {1, 2, -3, -4, 3, 5});
  absl::StatusOr<Tensor> y = RunOp("ReduceMean", {&x}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", 0}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt32);
  EXPECT_THAT(Values<int32_t>(*y), ElementsAre(1, -3, 4));
}

TEST(ReductionKernelsTest, IntegerTypesReduce) {
  Tensor x = Tensor::FromVector<int8_t>({2, 2}, {-7, 3, 100, -1});
  absl::StatusOr<Tensor> max = RunOp("ReduceMax", {&x}, {{"axes", std::vector<int64_t>{0}}}, 13);
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_THAT(Values<int8_t>(*max), ElementsAre(100, 3));
  Tensor big = Tensor::FromVector<int64_t>({3}, {int64_t{1} << 40, -(int64_t{1} << 41), 5});
  absl::StatusOr<Tensor> sum = RunOp("ReduceSum", {&big}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(sum->data<int64_t>()[0], -(int64_t{1} << 40) + 5);
  Tensor u = Tensor::FromVector<uint32_t>({3}, {4, 5, 6});
  absl::StatusOr<Tensor> prod = RunOp("ReduceProd", {&u}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(prod.ok()) << prod.status();
  EXPECT_EQ(prod->data<uint32_t>()[0], 120u);
}

TEST(ReductionKernelsTest, HalfPrecisionComputesInFloat) {
  std::vector<uint16_t> bits;
  for (float v : {0.5f, 0.25f, 1.0f, 2.0f}) bits.push_back(ir::FloatToHalf(v));
  Tensor x = Tensor::FromVector<uint16_t>({4}, bits, DType::kFloat16);
  absl::StatusOr<Tensor> y = RunOp("ReduceSum", {&x}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kFloat16);
  EXPECT_EQ(ir::HalfToFloat(y->data<uint16_t>()[0]), 3.75f);
}

TEST(ReductionKernelsTest, BoolMaxIsAnyAndMinIsAll) {
  Tensor x = Tensor::FromVector<bool>({2, 2}, {true, false, false, false});
  absl::StatusOr<Tensor> any = RunOp("ReduceMax", {&x}, {{"keepdims", 0}}, 20);
  Tensor axes = Axes({1});
  absl::StatusOr<Tensor> all = RunOp("ReduceMin", {&x, &axes}, {{"keepdims", 0}}, 20);
  ASSERT_TRUE(any.ok() && all.ok());
  EXPECT_THAT(Values<uint8_t>(*any), ElementsAre(1));
  EXPECT_THAT(Values<uint8_t>(*all), ElementsAre(0, 0));
  Tensor empty = Tensor::FromVector<bool>({0}, {});
  absl::StatusOr<Tensor> empty_min = RunOp("ReduceMin", {&empty}, {{"keepdims", 0}}, 20);
  ASSERT_TRUE(empty_min.ok()) << empty_min.status();
  EXPECT_THAT(Values<uint8_t>(*empty_min), ElementsAre(1));
  EXPECT_FALSE(RunOp("ReduceSum", {&x}, {}, 13).ok());
}

TEST(ReductionKernelsTest, MaxPropagatesNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, nan, 3, 4, 5, 6});
  absl::StatusOr<Tensor> y = RunOp("ReduceMax", {&x}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", 0}}, 13);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(std::isnan(y->data<float>()[0]));
  EXPECT_EQ(y->data<float>()[1], 6);
}

TEST(ReductionKernelsTest, RejectsBadAxes) {
  Tensor x = Tensor::FromVector<float>({2, 3}, Iota(6));
  Tensor duplicate = Axes({1, -1});
  absl::StatusOr<Tensor> dup = RunOp("ReduceSum", {&x, &duplicate}, {}, 13);
  EXPECT_THAT(dup.status().message(), HasSubstr("more than once"));
  Tensor out_of_range = Axes({2});
  absl::StatusOr<Tensor> range = RunOp("ReduceMax", {&x, &out_of_range}, {}, 18);
  EXPECT_THAT(range.status().message(), HasSubstr("node 'r' (ReduceMax)"));
  EXPECT_THAT(range.status().message(), HasSubstr("out of range"));
}

// Every combination of reduced axes over shapes with 1s and odd sizes,
// against a plain loop over multi-indices written here.
TEST(ReductionKernelsTest, MatchesNaiveLoopForEveryAxisSubset) {
  std::mt19937 rng(7);
  const std::vector<std::vector<int64_t>> shapes = {{3}, {2, 3}, {1, 4, 1}, {3, 1, 2, 5}, {2, 3, 4, 2}, {4, 2, 1, 3, 2}};
  for (const std::vector<int64_t>& dims : shapes) {
    const int64_t rank = static_cast<int64_t>(dims.size());
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    std::vector<int32_t> values(static_cast<size_t>(count));
    for (int32_t& v : values) v = static_cast<int32_t>(rng() % 201) - 100;
    Tensor x = Tensor::FromVector<int32_t>(dims, values);
    for (int mask = 1; mask < (1 << rank); ++mask) {
      std::vector<int64_t> axes;
      for (int64_t a = 0; a < rank; ++a) {
        if (mask & (1 << a)) axes.push_back(a);
      }
      // Naive: each input element's output index with the reduced axes dropped.
      std::vector<int64_t> out_dims;
      for (int64_t a = 0; a < rank; ++a) {
        if (!(mask & (1 << a))) out_dims.push_back(dims[static_cast<size_t>(a)]);
      }
      int64_t out_count = 1;
      for (int64_t d : out_dims) out_count *= d;
      std::vector<int32_t> sum(static_cast<size_t>(out_count), 0);
      std::vector<int32_t> max(static_cast<size_t>(out_count), std::numeric_limits<int32_t>::lowest());
      std::vector<int64_t> index(static_cast<size_t>(rank), 0);
      for (int64_t flat = 0; flat < count; ++flat) {
        int64_t out = 0;
        for (int64_t a = 0; a < rank; ++a) {
          if (!(mask & (1 << a))) out = out * dims[static_cast<size_t>(a)] + index[static_cast<size_t>(a)];
        }
        sum[static_cast<size_t>(out)] += values[static_cast<size_t>(flat)];
        max[static_cast<size_t>(out)] = std::max(max[static_cast<size_t>(out)], values[static_cast<size_t>(flat)]);
        for (int64_t a = rank; a-- > 0;) {
          if (++index[static_cast<size_t>(a)] < dims[static_cast<size_t>(a)]) break;
          index[static_cast<size_t>(a)] = 0;
        }
      }
      Tensor axes_tensor = Axes(axes);
      absl::StatusOr<Tensor> got_sum = RunOp("ReduceSum", {&x, &axes_tensor}, {{"keepdims", 0}}, 13);
      absl::StatusOr<Tensor> got_max = RunOp("ReduceMax", {&x, &axes_tensor}, {{"keepdims", 0}}, 18);
      ASSERT_TRUE(got_sum.ok() && got_max.ok());
      EXPECT_EQ(got_sum->dims(), out_dims);
      EXPECT_EQ(Values<int32_t>(*got_sum), sum) << "mask " << mask << " rank " << rank;
      EXPECT_EQ(Values<int32_t>(*got_max), max) << "mask " << mask << " rank " << rank;
    }
  }
}

TEST(ReductionKernelsTest, ArgMaxAndArgMinPickFirstOrLastIndex) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {2, 7, 7, 1, 1, 0});
  absl::StatusOr<Tensor> first = RunOp("ArgMax", {&x}, {{"axis", 1}}, 13);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->dtype(), DType::kInt64);
  EXPECT_THAT(first->dims(), ElementsAre(2, 1));
  EXPECT_THAT(Values<int64_t>(*first), ElementsAre(1, 0));
  absl::StatusOr<Tensor> last = RunOp("ArgMax", {&x}, {{"axis", -1}, {"select_last_index", 1}, {"keepdims", 0}}, 13);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_THAT(last->dims(), ElementsAre(2));
  EXPECT_THAT(Values<int64_t>(*last), ElementsAre(2, 1));
  absl::StatusOr<Tensor> argmin = RunOp("ArgMin", {&x}, {{"keepdims", 0}}, 13);
  ASSERT_TRUE(argmin.ok()) << argmin.status();
  EXPECT_THAT(Values<int64_t>(*argmin), ElementsAre(1, 1, 1));
  absl::StatusOr<Tensor> argmin_last = RunOp("ArgMin", {&x}, {{"axis", 1}, {"select_last_index", 1}}, 12);
  ASSERT_TRUE(argmin_last.ok()) << argmin_last.status();
  EXPECT_THAT(Values<int64_t>(*argmin_last), ElementsAre(0, 2));
}

TEST(ReductionKernelsTest, ArgMaxOfIntegersAndEmptyAxis) {
  Tensor x = Tensor::FromVector<int32_t>({3}, {-5, 9, 9});
  absl::StatusOr<Tensor> y = RunOp("ArgMax", {&x}, {{"keepdims", 0}}, 11);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->rank(), 0);
  EXPECT_EQ(y->data<int64_t>()[0], 1);
  Tensor empty = Tensor::FromVector<float>({2, 0}, {});
  EXPECT_FALSE(RunOp("ArgMax", {&empty}, {{"axis", 1}}, 13).ok());
}

}  // namespace
}  // namespace gsopt::backend::cpu
