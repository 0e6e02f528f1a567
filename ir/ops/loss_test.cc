// Shape-inference tests for the loss ops (NegativeLogLikelihoodLoss,
// SoftmaxCrossEntropyLoss): the loss has the target's shape for reduction
// "none" and is a scalar otherwise; log_prob has the scores' type.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace gsopt::ir {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// "f32[1,N,?]" -> TensorType; "f32[*]" is unknown rank, "f32[]" a scalar.
TensorType ParseType(absl::string_view text) {
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
  int64_t opset = 13;
  std::string domain;
};

// Output types as text, or the inference error.
absl::StatusOr<std::vector<std::string>> Infer(const InferCase& c) {
  Graph graph;
  graph.mutable_metadata().opset_imports = {{"", c.opset}, {"com.microsoft", 1}};
  std::vector<ValueId> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (c.inputs[i].empty()) {
      inputs.push_back(kNoValue);
      continue;
    }
    inputs.push_back(graph.AddInput("in" + std::to_string(i), ParseType(c.inputs[i])));
  }
  std::vector<std::string> output_names;
  for (int i = 0; i < c.num_outputs; ++i) output_names.push_back("out" + std::to_string(i));
  NodeId node = graph.AddNode(c.op, inputs, output_names, c.attributes, "n", c.domain);
  absl::Status status = InferShapes(graph);
  if (!status.ok()) return status;
  std::vector<std::string> types;
  for (ValueId out : graph.node(node).outputs) types.push_back(graph.value(out).type.ToString());
  return types;
}

std::vector<std::string> InferOk(const InferCase& c) {
  absl::StatusOr<std::vector<std::string>> types = Infer(c);
  EXPECT_TRUE(types.ok()) << types.status();
  return types.ok() ? *types : std::vector<std::string>{};
}

std::string InferError(const InferCase& c) {
  absl::StatusOr<std::vector<std::string>> types = Infer(c);
  return types.ok() ? "" : std::string(types.status().message());
}

TEST(LossShapeInferenceTest, ReductionDecidesTheLossShape) {
  EXPECT_THAT(InferOk({"NegativeLogLikelihoodLoss", {"f32[N,5,H,W]", "i64[N,H,W]"}, {{"reduction", "none"}}}),
              ElementsAre("f32[N,H,W]"));
  EXPECT_THAT(InferOk({"NegativeLogLikelihoodLoss", {"f16[N,5]", "i32[N]", "f16[5]"}}), ElementsAre("f16[]"));
  EXPECT_THAT(InferOk({"SoftmaxCrossEntropyLoss", {"f32[3,5,2]", "i64[3,2]"}, {{"reduction", "sum"}}, 2}),
              ElementsAre("f32[]", "f32[3,5,2]"));
  // Unknown target rank: the loss drops the class dim of the scores.
  EXPECT_THAT(InferOk({"SoftmaxCrossEntropyLoss", {"f64[3,5,2]", "i64[*]"}, {{"reduction", "none"}}}),
              ElementsAre("f64[3,2]"));
  EXPECT_THAT(InferOk({"SoftmaxCrossEntropyLoss", {"f32[*]", "i64[*]"}, {{"reduction", "none"}}, 2}),
              ElementsAre("f32[*]", "f32[*]"));
}

TEST(LossShapeInferenceTest, CertainMismatchesAreErrors) {
  EXPECT_THAT(InferError({"NegativeLogLikelihoodLoss", {"f32[3,5,2]", "i64[3]"}}), HasSubstr("target has rank 1"));
  EXPECT_THAT(InferError({"NegativeLogLikelihoodLoss", {"f32[3,5,2]", "i64[3,4]"}}), HasSubstr("does not match"));
  EXPECT_THAT(InferError({"NegativeLogLikelihoodLoss", {"f32[3,5]", "i64[3]", "f32[4]"}}), HasSubstr("weight has 4"));
  EXPECT_THAT(InferError({"SoftmaxCrossEntropyLoss", {"f32[3,5]", "f32[3]"}}), HasSubstr("i32 or i64"));
  EXPECT_THAT(InferError({"SoftmaxCrossEntropyLoss", {"f32[3,5]", "i64[3]"}, {{"reduction", "avg"}}}),
              HasSubstr("reduction 'avg'"));
}

}  // namespace
}  // namespace gsopt::ir
