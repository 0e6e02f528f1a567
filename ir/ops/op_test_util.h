// Shared harness for the shape-inference tests of the op families whose
// inputs may be constant initializers (recurrent, signal, vision) and of
// those that include contrib ops (attention, loss, nn): each case
// builds a one-node graph from readable types ("f32[B,S,64]", "f32[*]" for
// unknown rank), runs InferShapes and gives the output types as text. Kept in
// one place so those tests build their graphs and report errors the same way.
#ifndef GSOPT_IR_OPS_OP_TEST_UTIL_H_
#define GSOPT_IR_OPS_OP_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::ir::op_test {

// "f32[1,N,?]" -> TensorType; "f32[*]" is unknown rank, "f32[]" a scalar.
inline TensorType ParseType(absl::string_view text) {
  size_t bracket = text.find('[');
  TensorType type;
  type.dtype = *DTypeFromName(text.substr(0, bracket));
  absl::string_view dims = text.substr(bracket + 1, text.size() - bracket - 2);
  if (dims == "*") return type;
  std::vector<Dim> out;
  if (!dims.empty()) {
    for (absl::string_view d : absl::StrSplit(dims, ',')) {
      int64_t value;
      if (d == "?") {
        out.push_back(Dim());
      } else if (absl::SimpleAtoi(d, &value)) {
        out.push_back(Dim(value));
      } else {
        out.push_back(Dim::Symbol(std::string(d)));
      }
    }
  }
  type.shape = Shape(std::move(out));
  return type;
}

struct InferCase {
  std::string op;
  std::vector<std::string> inputs;  // types; "" is an omitted optional input
  AttributeMap attributes;
  int num_outputs = 1;
  int64_t opset = 17;
  std::map<int, Tensor> constants;  // inputs that are initializers (their type is the tensor's)
};

// Builds the one-node graph (inputs listed in `constants` become initializers
// holding those tensors, "" input types omitted optional inputs), runs
// InferShapes and gives the output types as text, or the inference error.
inline absl::StatusOr<std::vector<std::string>> InferSingleNode(
    const std::string& op, const std::vector<std::string>& input_types, const std::map<int, Tensor>& constants,
    const AttributeMap& attributes, int num_outputs, std::map<std::string, int64_t> opset_imports,
    const std::string& domain) {
  Graph graph;
  graph.mutable_metadata().opset_imports = std::move(opset_imports);
  std::vector<ValueId> inputs;
  for (size_t i = 0; i < input_types.size(); ++i) {
    auto constant = constants.find(static_cast<int>(i));
    if (constant != constants.end()) {
      inputs.push_back(graph.AddInitializer("in" + std::to_string(i), constant->second));
    } else if (input_types[i].empty()) {
      inputs.push_back(kNoValue);
    } else {
      inputs.push_back(graph.AddInput("in" + std::to_string(i), ParseType(input_types[i])));
    }
  }
  std::vector<std::string> output_names;
  for (int i = 0; i < num_outputs; ++i) output_names.push_back("out" + std::to_string(i));
  NodeId node = graph.AddNode(op, inputs, output_names, attributes, "n", domain);
  absl::Status status = InferShapes(graph);
  if (!status.ok()) return status;
  std::vector<std::string> types;
  for (ValueId out : graph.node(node).outputs) types.push_back(graph.value(out).type.ToString());
  return types;
}

// Output types as text, or the inference error.
inline absl::StatusOr<std::vector<std::string>> Infer(const InferCase& c) {
  return InferSingleNode(c.op, c.inputs, c.constants, c.attributes, c.num_outputs, {{"", c.opset}}, "");
}

inline std::vector<std::string> InferOk(const InferCase& c) {
  absl::StatusOr<std::vector<std::string>> types = Infer(c);
  EXPECT_TRUE(types.ok()) << types.status();
  return types.ok() ? *types : std::vector<std::string>{};
}

inline std::string InferError(const InferCase& c) {
  absl::StatusOr<std::vector<std::string>> types = Infer(c);
  EXPECT_FALSE(types.ok()) << "inferred " << (types.ok() && !types->empty() ? (*types)[0] : "");
  return types.ok() ? "" : std::string(types.status().message());
}

// The harness for op families that include contrib ops: a case may name the
// op's domain, and every graph also imports com.microsoft version 1. The
// default opset is the family's own, and so is whether InferError itself fails
// the test when inference succeeds (it gives "" then either way).
enum class WhenInferErrorSucceeds { kFailTheTest, kJustGiveEmpty };

template <int64_t kDefaultOpset, WhenInferErrorSucceeds kWhenInferErrorSucceeds>
struct DomainInference {
  struct Case {
    std::string op;
    std::vector<std::string> inputs;  // types; "" is an omitted optional input
    AttributeMap attributes;
    int num_outputs = 1;
    int64_t opset = kDefaultOpset;
    std::string domain;
  };

  // Output types as text, or the inference error.
  static absl::StatusOr<std::vector<std::string>> Infer(const Case& c) {
    return InferSingleNode(c.op, c.inputs, /*constants=*/{}, c.attributes, c.num_outputs,
                           {{"", c.opset}, {"com.microsoft", 1}}, c.domain);
  }

  static std::vector<std::string> InferOk(const Case& c) {
    absl::StatusOr<std::vector<std::string>> types = Infer(c);
    EXPECT_TRUE(types.ok()) << types.status();
    return types.ok() ? *types : std::vector<std::string>{};
  }

  // Error text of a failing inference ("" when it succeeds).
  static std::string InferError(const Case& c) {
    absl::StatusOr<std::vector<std::string>> types = Infer(c);
    if constexpr (kWhenInferErrorSucceeds == WhenInferErrorSucceeds::kFailTheTest) {
      EXPECT_FALSE(types.ok()) << "inferred " << (types.ok() && !types->empty() ? (*types)[0] : "");
    }
    return types.ok() ? "" : std::string(types.status().message());
  }
};

}  // namespace gsopt::ir::op_test

#endif  // GSOPT_IR_OPS_OP_TEST_UTIL_H_
