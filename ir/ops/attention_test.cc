// Shape-inference tests for the transformer ops (Attention, RMSNormalization,
// RotaryEmbedding, Swish): each case builds a one-node graph from readable
// types ("f32[B,S,64]", "f32[*]" for unknown rank), runs InferShapes and
// compares the output types as text. Expected shapes follow the output shapes
// the ONNX operator specs give.
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
  int64_t opset = 23;
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

// Error text of a failing inference ("" when it succeeds).
std::string InferError(const InferCase& c) {
  absl::StatusOr<std::vector<std::string>> types = Infer(c);
  return types.ok() ? "" : std::string(types.status().message());
}

TEST(AttentionShapeInferenceTest, FourDimWithPastGivesPresentAndScores) {
  EXPECT_THAT(InferOk({"Attention",
                       {"f32[2,8,5,64]", "f32[2,2,5,64]", "f32[2,2,5,32]", "", "f32[2,2,7,64]", "f32[2,2,7,32]"},
                       {},
                       4}),
              ElementsAre("f32[2,8,5,32]", "f32[2,2,12,64]", "f32[2,2,12,32]", "f32[2,8,5,12]"));
  // A symbolic past length makes the total length unknown, other dims flow through.
  EXPECT_THAT(InferOk({"Attention",
                       {"f16[B,8,S,64]", "f16[B,8,S,64]", "f16[B,8,S,64]", "", "f16[B,8,P,64]", "f16[B,8,P,64]"},
                       {},
                       3}),
              ElementsAre("f16[B,8,S,64]", "f16[B,8,?,64]", "f16[B,8,?,64]"));
}

TEST(AttentionShapeInferenceTest, ThreeDimSplitsHiddenByHeadCounts) {
  AttributeMap heads = {{"q_num_heads", int64_t{8}}, {"kv_num_heads", int64_t{2}}};
  EXPECT_THAT(InferOk({"Attention", {"f32[B,S,512]", "f32[B,T,128]", "f32[B,T,96]"}, heads, 4}),
              ElementsAre("f32[B,S,384]", "f32[B,2,T,64]", "f32[B,2,T,48]", "f32[B,8,S,T]"));
  // Unknown hidden size of V: the output hidden size is unknown too.
  EXPECT_THAT(InferOk({"Attention", {"f32[1,4,512]", "f32[1,4,128]", "f32[1,4,?]"}, heads}),
              ElementsAre("f32[1,4,?]"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,4,512]", "f32[1,4,128]", "f32[1,4,128]"}}),
              HasSubstr("q_num_heads and kv_num_heads"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,4,500]", "f32[1,4,128]", "f32[1,4,128]"}, heads}),
              HasSubstr("not a multiple of the head count 8"));
}

TEST(AttentionShapeInferenceTest, UnknownRankAndCertainMismatches) {
  EXPECT_THAT(InferOk({"Attention", {"f32[*]", "f32[*]", "bf16[*]"}, {}, 3}),
              ElementsAre("f32[*]", "f32[*]", "bf16[*]"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,2,3,8]", "f32[1,2,4,16]", "f32[1,2,4,8]"}}),
              HasSubstr("Q head size 8 differs from K head size 16"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,3,3,8]", "f32[1,2,4,8]", "f32[1,2,4,8]"}}),
              HasSubstr("not a multiple of kv_num_heads"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,2,3,8]", "f32[1,2,4,8]", "f32[1,2,5,8]"}}), HasSubstr("K has 4 positions"));
  EXPECT_THAT(InferError({"Attention", {"f32[1,2,3,8]", "f32[1,2,4,8]", "f32[1,2,4,8]", "", "f32[1,2,1,8]"}}),
              HasSubstr("past_key and past_value must be given together"));
  EXPECT_THAT(InferError({"Attention", {"f32[2,3]", "f32[2,3]", "f32[2,3]"}}), HasSubstr("expected 3 or 4"));
}

TEST(AttentionShapeInferenceTest, RmsNormalizationKeepsShapeAndChecksScale) {
  EXPECT_THAT(InferOk({"RMSNormalization", {"bf16[B,S,768]", "bf16[768]"}}), ElementsAre("bf16[B,S,768]"));
  EXPECT_THAT(InferOk({"RMSNormalization", {"f32[*]", "f32[8]"}}), ElementsAre("f32[*]"));
  EXPECT_THAT(InferError({"RMSNormalization", {"f32[2,8]", "f32[4]"}}), HasSubstr("does not broadcast"));
  EXPECT_THAT(InferError({"RMSNormalization", {"f32[2,8]", "f32[8]"}, {{"axis", int64_t{2}}}}), HasSubstr("axis"));
  EXPECT_THAT(InferError({"RMSNormalization", {"i32[2,8]", "f32[8]"}}), HasSubstr("float type"));
}

TEST(AttentionShapeInferenceTest, RotaryEmbeddingAndSwish) {
  EXPECT_THAT(InferOk({"RotaryEmbedding", {"f16[B,S,256]", "f16[M,32]", "f16[M,32]", "i64[B,S]"}, {{"num_heads", int64_t{4}}}}),
              ElementsAre("f16[B,S,256]"));
  EXPECT_THAT(InferOk({"RotaryEmbedding", {"f32[B,4,S,64]", "f32[B,S,32]", "f32[B,S,32]"}}), ElementsAre("f32[B,4,S,64]"));
  EXPECT_THAT(InferError({"RotaryEmbedding", {"f32[B,S,256]", "f32[M,32]", "f32[M,32]", "i64[B,S]"}}),
              HasSubstr("num_heads"));
  EXPECT_THAT(InferError({"RotaryEmbedding", {"f32[B,4,S,64]", "f32[M,32]", "f32[M,32]"}}),
              HasSubstr("without position_ids"));
  EXPECT_THAT(InferOk({"Swish", {"f64[3,N]"}, {{"alpha", 0.5f}}, 1, 24}), ElementsAre("f64[3,N]"));
}

}  // namespace
}  // namespace gsopt::ir
