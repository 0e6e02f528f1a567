// Lowering of gsopt's internal fused ops (domain "gsopt", ir/ops/fused_ops.cc)
// back to standard ONNX ops, so an exported model never carries an op ONNX
// lacks. Each node becomes the decomposition ONNX Runtime runs best at the
// graph's default-domain opset -- the forms its own graph fusions recognize
// and fuse again for its kernels:
//
//   FusedConv{act}(x, w, b)      -> Conv(x, w, b) -> act
//   FusedMatMul{act}(a, b, c)    -> MatMul(a, b) -> Add(., c) -> act
//   gsopt::Gelu(x)               -> Gelu (opset >= 20), else
//                                   x * 0.5 * (1 + Erf(x / sqrt 2))      (GeluFusion's form)
//                                   0.5 x * (1 + Tanh(0.79788456 x * (1 + 0.044715 x^2)))
//                                                                         (FastGeluFusion's first form)
//   Attention{scale}(q, k, v)    -> MatMul(q, k^T) -> Mul(scale) -> Softmax(-1) -> MatMul(., v)
//
// The fused node's output value (its name, its place among the graph
// outputs, its readers) is kept: the last op of the decomposition writes it.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "rewrites/passes/passes.h"

namespace gsopt::rewrites {
namespace {

using ir::Graph;
using ir::kNoValue;
using ir::Node;
using ir::NodeId;
using ir::ValueId;

constexpr char kGsoptDomain[] = "gsopt";

// Builds the decomposition of one fused node: intermediate values get fresh
// names derived from the node's, and Finish() writes the original output.
class Lowering {
 public:
  Lowering(Graph& graph, NodeId id)
      : graph_(graph), node_(graph.node(id)), output_(node_.outputs[0]), opset_(graph.OpsetVersion("")) {
    graph_.RemoveNode(id);
  }

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  ir::DType dtype() const { return graph_.value(output_).type.dtype; }

  // A new intermediate value computed by `op`.
  ValueId Add(std::string op, std::vector<ValueId> inputs, ir::AttributeMap attributes = {}) {
    std::string name = graph_.UniqueNodeName(absl::StrCat(node_.name, "/", op));
    NodeId id = graph_.AddNode(op, std::move(inputs), {graph_.UniqueValueName(name)}, std::move(attributes), name);
    return graph_.node(id).outputs[0];
  }

  // The last op, writing the fused node's output.
  void Finish(std::string op, std::vector<ValueId> inputs, ir::AttributeMap attributes = {}) {
    std::string name = graph_.UniqueNodeName(absl::StrCat(node_.name, "/", op));
    graph_.AddNodeWithOutputs(op, std::move(inputs), {output_}, std::move(attributes), name);
  }

  // A scalar constant of the output's dtype.
  ValueId Scalar(double value) {
    ir::Tensor t = ir::Tensor::Zeros(dtype(), {});
    t.SetFromDouble(0, value);
    return graph_.AddInitializer(graph_.UniqueValueName(absl::StrCat(node_.name, "/const")), std::move(t));
  }

  // The rank of input i, or -1 when unknown.
  int64_t InputRank(int i) const {
    const ir::Shape& shape = graph_.value(node_.inputs[static_cast<size_t>(i)]).type.shape;
    return shape.rank_known() ? shape.rank() : -1;
  }

 private:
  Graph& graph_;
  const Node node_;  // a copy: the graph's node is removed
  const ValueId output_;
  const int64_t opset_;
};

bool HasActivation(const Node& node) { return !node.GetString("activation", "").empty(); }

// Ends the decomposition with the node's activation (which it has) applied to `x`.
absl::Status FinishWithActivation(Lowering& l, ValueId x) {
  const std::string activation = l.node().GetString("activation", "");
  const std::vector<float> params = l.node().GetFloats("activation_params");
  if (activation == "Relu" || activation == "Sigmoid" || activation == "Tanh") {
    l.Finish(activation, {x});
  } else if (activation == "LeakyRelu") {
    l.Finish("LeakyRelu", {x}, {{"alpha", params.empty() ? 0.01f : params[0]}});
  } else if (activation == "Clip") {
    if (l.opset() < 11) {
      // Clip-6 takes its bounds as attributes.
      ir::AttributeMap bounds;
      if (!params.empty()) bounds["min"] = params[0];
      if (params.size() > 1) bounds["max"] = params[1];
      l.Finish("Clip", {x}, std::move(bounds));
    } else {
      ValueId lo = params.empty() ? kNoValue : l.Scalar(params[0]);
      ValueId hi = params.size() < 2 ? kNoValue : l.Scalar(params[1]);
      l.Finish("Clip", {x, lo, hi});
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("node '", l.node().name, "' (", l.node().op_type,
                                                   "): cannot lower activation \"", activation, "\""));
  }
  return absl::OkStatus();
}

absl::Status LowerFusedConv(Lowering& l) {
  ir::AttributeMap attributes = l.node().attributes;
  attributes.erase("activation");
  attributes.erase("activation_params");
  if (!HasActivation(l.node())) {
    l.Finish("Conv", l.node().inputs, std::move(attributes));
    return absl::OkStatus();
  }
  ValueId y = l.Add("Conv", l.node().inputs, std::move(attributes));
  return FinishWithActivation(l, y);
}

absl::Status LowerFusedMatMul(Lowering& l) {
  const std::vector<ValueId>& in = l.node().inputs;
  const bool bias = l.node().has_input(2);
  if (!HasActivation(l.node()) && !bias) {
    l.Finish("MatMul", {in[0], in[1]});
    return absl::OkStatus();
  }
  ValueId y = l.Add("MatMul", {in[0], in[1]});
  if (!HasActivation(l.node())) {
    l.Finish("Add", {y, in[2]});
    return absl::OkStatus();
  }
  if (bias) y = l.Add("Add", {y, in[2]});
  return FinishWithActivation(l, y);
}

absl::Status LowerGelu(Lowering& l) {
  const ValueId x = l.node().inputs[0];
  const std::string approximate = l.node().GetString("approximate", "none");
  if (l.opset() >= 20) {
    l.Finish("Gelu", {x}, {{"approximate", approximate}});
    return absl::OkStatus();
  }
  if (approximate == "none") {
    if (l.opset() < 9) {
      return absl::FailedPreconditionError(absl::StrCat("node '", l.node().name,
                                                        "' (Gelu): lowering needs Erf, which opset ", l.opset(),
                                                        " lacks (it came in opset 9); import opset 9 or later"));
    }
    // x * 0.5 * (1 + erf(x / sqrt(2))), as PyTorch's exporter writes it.
    ValueId t = l.Add("Div", {x, l.Scalar(std::sqrt(2.0))});
    t = l.Add("Erf", {t});
    t = l.Add("Add", {t, l.Scalar(1.0)});
    t = l.Add("Mul", {x, t});
    l.Finish("Mul", {t, l.Scalar(0.5)});
    return absl::OkStatus();
  }
  // 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))) in the exact node
  // order of the first formula ONNX Runtime's FastGeluFusion matches (its
  // second formula needs Pow, which its CPU kernel runs slowly):
  //   ((x * 0.044715) * x + 1) * (x * 0.7978845834732056) -> Tanh -> + 1 -> * (x * 0.5)
  ValueId t = l.Add("Mul", {x, l.Scalar(0.044715)});
  t = l.Add("Mul", {t, x});
  t = l.Add("Add", {t, l.Scalar(1.0)});
  ValueId scaled_x = l.Add("Mul", {x, l.Scalar(std::sqrt(2.0 / std::numbers::pi))});
  t = l.Add("Mul", {t, scaled_x});
  t = l.Add("Tanh", {t});
  t = l.Add("Add", {t, l.Scalar(1.0)});
  ValueId half_x = l.Add("Mul", {x, l.Scalar(0.5)});
  l.Finish("Mul", {half_x, t});
  return absl::OkStatus();
}

absl::Status LowerAttention(Lowering& l) {
  const std::vector<ValueId>& in = l.node().inputs;
  ValueId k = in[1];
  const int64_t q_rank = l.InputRank(0);
  if (l.node().GetInt("k_transposed", 0) == 0) {
    const int64_t rank = l.InputRank(1);
    if (rank < 2) {
      return absl::FailedPreconditionError(absl::StrCat("node '", l.node().name,
                                                        "' (Attention): K's rank must be known (and >= 2) to "
                                                        "transpose it; run shape inference first"));
    }
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < rank; ++i) perm.push_back(i);
    std::swap(perm[static_cast<size_t>(rank - 1)], perm[static_cast<size_t>(rank - 2)]);
    k = l.Add("Transpose", {k}, {{"perm", perm}});
  }
  ValueId scores = l.Add("MatMul", {in[0], k});
  const float scale = l.node().GetFloat("scale", 1.0f);
  if (scale != 1.0f) scores = l.Add("Mul", {scores, l.Scalar(scale)});
  // Before opset 13 Softmax flattens at `axis`; at the last axis that is the
  // same row-wise softmax, but negative axes came only in opset 11.
  int64_t axis = -1;
  if (l.opset() < 11) {
    if (q_rank < 2) {
      return absl::FailedPreconditionError(absl::StrCat("node '", l.node().name,
                                                        "' (Attention): Q's rank must be known to lower it "
                                                        "at opset ",
                                                        l.opset()));
    }
    axis = q_rank - 1;
  }
  ValueId probs = l.Add("Softmax", {scores}, {{"axis", axis}});
  l.Finish("MatMul", {probs, in[2]});
  return absl::OkStatus();
}

class LowerInternalOpsPass : public Pass {
 public:
  std::string name() const override { return "lower-internal-ops"; }

  absl::StatusOr<bool> Run(Graph& original) override {
    // Lowered on a copy (weights are shared, not copied), so a node that
    // cannot be lowered leaves the caller's graph as it was.
    Graph graph = original;
    bool changed = false;
    for (NodeId id : graph.LiveNodes()) {
      const Node& node = graph.node(id);
      if (node.domain != kGsoptDomain) continue;
      if (node.num_outputs() != 1 || node.outputs[0] == kNoValue) {
        return absl::InvalidArgumentError(
            absl::StrCat("node '", node.name, "' (", node.op_type, "): expected exactly one output"));
      }
      const std::string op = node.op_type;
      Lowering lowering(graph, id);
      absl::Status status;
      if (op == "FusedConv") {
        status = LowerFusedConv(lowering);
      } else if (op == "FusedMatMul") {
        status = LowerFusedMatMul(lowering);
      } else if (op == "Gelu") {
        status = LowerGelu(lowering);
      } else if (op == "Attention") {
        status = LowerAttention(lowering);
      } else {
        status =
            absl::UnimplementedError(absl::StrCat("node '", lowering.node().name, "': no lowering for gsopt op ", op));
      }
      if (!status.ok()) return status;
      changed = true;
    }
    // Nothing of the domain is left, so the model does not import it.
    if (graph.mutable_metadata().opset_imports.erase(kGsoptDomain) > 0) changed = true;
    if (!changed) return false;
    if (absl::Status s = graph.TopologicalSort(); !s.ok()) return s;
    // Types for the new intermediates (non-strict: other nodes keep theirs).
    if (absl::Status s = ir::InferShapes(graph, /*strict=*/false); !s.ok()) return s;
    original = std::move(graph);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateLowerInternalOpsPass() { return std::make_unique<LowerInternalOpsPass>(); }

}  // namespace gsopt::rewrites
