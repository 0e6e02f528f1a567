// Shared harness for the kernel tests that run one node through strict shape
// inference and the CpuExecutor and compare the outputs with reference values
// (recurrent, signal and vision kernels; attention and loss use the stricter
// StrictNodeRunner). Kept in one place so every such test
// checks the inferred types against the kernel's outputs the same way.
#ifndef GSOPT_BACKEND_CPU_KERNELS_KERNEL_TEST_UTIL_H_
#define GSOPT_BACKEND_CPU_KERNELS_KERNEL_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backend/cpu/executor.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::backend::cpu::kernel_test {

using ir::DType;
using ir::Tensor;

// Deterministic inputs: v_i = (((7 i + seed) mod 13) - 6) / scale (the generator's ramp()).
inline Tensor Ramp(std::vector<int64_t> dims, int seed, double scale = 4.0, DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Zeros(dtype, std::move(dims));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.SetFromDouble(i, static_cast<double>(((i * 7 + seed) % 13) - 6) / scale);
  }
  return t;
}

struct NodeRun {
  std::string op;
  std::vector<std::optional<Tensor>> inputs;  // nullopt: omitted optional input
  ir::AttributeMap attributes;
  int num_outputs = 1;
  int64_t opset = 17;
};

// Builds the one-node graph of r, runs strict shape inference and the
// executor, and hands every output with its inferred type to check_output.
template <typename Run, typename CheckOutput>
absl::StatusOr<std::vector<Tensor>> RunThroughExecutor(const Run& r, CheckOutput check_output) {
  ir::Graph graph;
  graph.mutable_metadata().opset_imports = {{"", r.opset}};
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
  ir::NodeId node = graph.AddNode(r.op, inputs, names, r.attributes, "n");
  for (ir::ValueId out : graph.node(node).outputs) graph.AddOutput(out);
  if (absl::Status s = ir::InferShapes(graph); !s.ok()) return s;
  absl::StatusOr<CpuExecutor> exec = CpuExecutor::Create(graph);
  if (!exec.ok()) return exec.status();
  absl::StatusOr<std::vector<Tensor>> outs = exec->Run(feeds);
  if (!outs.ok()) return outs.status();
  for (size_t i = 0; i < outs->size(); ++i) {
    const ir::TensorType& inferred = graph.value(graph.outputs()[i]).type;
    check_output(i, inferred, (*outs)[i]);
  }
  return outs;
}

// Runs the node through strict shape inference and the executor; every
// output must have exactly the inferred dtype and shape.
inline absl::StatusOr<std::vector<Tensor>> RunNode(const NodeRun& r) {
  return RunThroughExecutor(r, [&r](size_t i, const ir::TensorType& inferred, const Tensor& out) {
    const bool agrees = !inferred.shape.is_static() || inferred == out.type();
    EXPECT_TRUE(agrees && inferred.dtype == out.dtype())
        << r.op << " output " << i << ": inferred " << inferred.ToString() << ", kernel produced "
        << out.type().ToString();
  });
}

inline std::vector<Tensor> RunOk(const NodeRun& r) {
  absl::StatusOr<std::vector<Tensor>> outs = RunNode(r);
  EXPECT_TRUE(outs.ok()) << outs.status();
  return outs.ok() ? *outs : std::vector<Tensor>(static_cast<size_t>(r.num_outputs));
}

inline void ExpectValues(const Tensor& t, const std::vector<int64_t>& dims, const std::vector<double>& expected,
                         double tolerance = 1e-5) {
  ASSERT_EQ(t.dims(), dims);
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(expected.size()));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    EXPECT_NEAR(t.GetAsDouble(i), expected[static_cast<size_t>(i)],
                tolerance * std::max(1.0, std::abs(expected[static_cast<size_t>(i)])))
        << "element " << i;
  }
}


// The stricter harness of the attention and loss kernel tests: every output
// must have exactly the inferred type (static shape included), and the
// default opset is the family's own.
template <int64_t kDefaultOpset>
struct StrictNodeRunner {
  struct NodeRun {
    std::string op;
    std::vector<std::optional<Tensor>> inputs;  // nullopt: omitted optional input
    ir::AttributeMap attributes;
    int num_outputs = 1;
    int64_t opset = kDefaultOpset;
  };

  // Runs the node through strict shape inference and the executor; every
  // output must have exactly the inferred dtype and (static) shape.
  static absl::StatusOr<std::vector<Tensor>> RunNode(const NodeRun& r) {
    return RunThroughExecutor(r, [&r](size_t i, const ir::TensorType& inferred, const Tensor& out) {
      EXPECT_EQ(inferred, out.type()) << r.op << " output " << i << ": inferred " << inferred.ToString()
                                      << ", kernel produced " << out.type().ToString();
    });
  }

  static std::vector<Tensor> RunOk(const NodeRun& r) {
    absl::StatusOr<std::vector<Tensor>> outs = RunNode(r);
    EXPECT_TRUE(outs.ok()) << outs.status();
    return outs.ok() ? *outs : std::vector<Tensor>(static_cast<size_t>(r.num_outputs));
  }
};

// Checks dtype, dims and values (relative-or-absolute tolerance; infinities exactly).
inline void ExpectTensor(const Tensor& t, DType dtype, std::vector<int64_t> dims, const std::vector<double>& want,
                         double tolerance = 1e-5) {
  ASSERT_EQ(t.dtype(), dtype);
  ASSERT_EQ(t.dims(), dims);
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    double got = t.GetAsDouble(i);
    double expected = want[static_cast<size_t>(i)];
    if (std::isinf(expected) || std::isnan(expected)) {
      EXPECT_TRUE(got == expected || (std::isnan(got) && std::isnan(expected))) << "element " << i << ": " << got;
    } else {
      EXPECT_NEAR(got, expected, tolerance * std::max(1.0, std::fabs(expected))) << "element " << i;
    }
  }
}

}  // namespace gsopt::backend::cpu::kernel_test

#endif  // GSOPT_BACKEND_CPU_KERNELS_KERNEL_TEST_UTIL_H_
