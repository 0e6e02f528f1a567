// Shape-inference tests for the recurrent ops (RNN, GRU, LSTM): output
// shapes for both layouts and all directions, symbolic dims carried through,
// hidden size taken from R when the attribute is absent, and errors for
// certain mismatches. Expected shapes follow the ONNX operator specs.
#include <map>
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
  int64_t opset = 17;
  std::map<int, Tensor> constants;  // inputs that are initializers (their type is the tensor's)
};

// Output types as text, or the inference error.
absl::StatusOr<std::vector<std::string>> Infer(const InferCase& c) {
  Graph graph;
  graph.mutable_metadata().opset_imports = {{"", c.opset}};
  std::vector<ValueId> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    auto constant = c.constants.find(static_cast<int>(i));
    if (constant != c.constants.end()) {
      inputs.push_back(graph.AddInitializer("in" + std::to_string(i), constant->second));
    } else if (c.inputs[i].empty()) {
      inputs.push_back(kNoValue);
    } else {
      inputs.push_back(graph.AddInput("in" + std::to_string(i), ParseType(c.inputs[i])));
    }
  }
  std::vector<std::string> output_names;
  for (int i = 0; i < c.num_outputs; ++i) output_names.push_back("out" + std::to_string(i));
  NodeId node = graph.AddNode(c.op, inputs, output_names, c.attributes, "n");
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
  EXPECT_FALSE(types.ok()) << "inferred " << (types.ok() && !types->empty() ? (*types)[0] : "");
  return types.ok() ? "" : std::string(types.status().message());
}


TEST(RecurrentShapeInferenceTest, LstmLayoutZeroAllOutputs) {
  EXPECT_THAT(InferOk({"LSTM", {"f32[T,B,8]", "f32[2,20,8]", "f32[2,20,5]"}, {{"direction", "bidirectional"}}, 3}),
              ElementsAre("f32[T,2,B,5]", "f32[2,B,5]", "f32[2,B,5]"));
}

TEST(RecurrentShapeInferenceTest, GruLayoutOneIsBatchMajor) {
  EXPECT_THAT(InferOk({"GRU", {"f16[B,T,8]", "f16[1,12,8]", "f16[1,12,4]"}, {{"layout", 1}, {"hidden_size", 4}}, 2, 14}),
              ElementsAre("f16[B,T,1,4]", "f16[B,1,4]"));
}

TEST(RecurrentShapeInferenceTest, RnnHiddenSizeFromWWhenROfUnknownRank) {
  EXPECT_THAT(InferOk({"RNN", {"f32[3,2,4]", "f32[1,6,4]", "f32[*]"}, {}, 2}),
              ElementsAre("f32[3,1,2,6]", "f32[1,2,6]"));
}

TEST(RecurrentShapeInferenceTest, UnknownRankXGivesUnknownSeqAndBatch) {
  EXPECT_THAT(InferOk({"GRU", {"f32[*]", "f32[1,9,4]", "f32[1,9,3]"}, {}, 1}), ElementsAre("f32[?,1,?,3]"));
}

TEST(RecurrentShapeInferenceTest, Mismatches) {
  EXPECT_THAT(InferError({"LSTM", {"f32[T,B,8]", "f32[1,20,8]", "f32[1,20,5]"}, {{"direction", "bidirectional"}}}),
              HasSubstr("node 'n' (LSTM): W has 1 directions"));
  EXPECT_THAT(InferError({"GRU", {"f32[T,B,8]", "f32[1,10,8]", "f32[1,10,4]"}}), HasSubstr("gate rows"));
  EXPECT_THAT(InferError({"RNN", {"f32[T,B,7]", "f32[1,4,8]", "f32[1,4,4]"}}), HasSubstr("input size"));
  EXPECT_THAT(InferError({"RNN", {"f32[T,B]", "f32[1,4,8]", "f32[1,4,4]"}}), HasSubstr("X has rank 2"));
  EXPECT_THAT(InferError({"RNN", {"f32[T,B,8]", "f32[1,4,8]", "f32[1,4,4]"}, {{"direction", "sideways"}}}),
              HasSubstr("sideways"));
}

}  // namespace
}  // namespace gsopt::ir
