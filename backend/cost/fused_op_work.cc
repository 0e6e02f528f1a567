// Work functions for gsopt's fused ops (see fused_op_work.h). The FLOPs of
// each part are counted by NodeFlops on a temporary default-domain node that
// reads and writes the fused node's own values (the part's count depends only
// on the shapes, and the parts share them: Conv's output is the activation's
// input and output); Attention's score matrix has no value of its own, so its
// parts are counted from Q, K and V's dims here.
#include "backend/cost/fused_op_work.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cost/flops.h"

namespace gsopt::backend {
namespace {

constexpr char kGsoptDomain[] = "gsopt";

absl::Status UnknownShapes(const ir::Node& node) {
  return absl::FailedPreconditionError(absl::StrCat("node '", node.name, "' (", node.op_type,
                                                    "): FLOPs need static shapes; fix the input shapes "
                                                    "(--input-shape) so every dim is known"));
}

// FLOPs of default-domain `op` reading `inputs` and writing `outputs`.
std::optional<int64_t> PartFlops(const ir::Graph& graph, const ir::Node& fused, std::string op,
                                 std::vector<ir::ValueId> inputs, std::vector<ir::ValueId> outputs,
                                 ir::AttributeMap attributes = {}) {
  ir::Node part;
  part.name = fused.name;
  part.op_type = std::move(op);
  part.inputs = std::move(inputs);
  part.outputs = std::move(outputs);
  part.attributes = std::move(attributes);
  return NodeFlops(graph, part);
}

// Adds the activation's FLOPs (applied to the node's output in place).
std::optional<int64_t> ActivationFlops(const ir::Graph& graph, const ir::Node& node) {
  std::string activation = node.GetString("activation", "");
  if (activation.empty()) return 0;
  ir::ValueId y = node.outputs[0];
  return PartFlops(graph, node, activation, {y}, {y});
}

// The one node's bytes; FLOPs filled in by the caller.
absl::StatusOr<OpWork> WorkOf(const ir::Graph& graph, const ir::Node& node, OpClass op_class,
                              std::optional<int64_t> flops) {
  if (!flops) return UnknownShapes(node);
  absl::StatusOr<BytesMoved> bytes = NodeBytesMoved(graph, node);
  if (!bytes.ok()) return bytes.status();
  OpWork work;
  work.op_class = op_class;
  work.flops = *flops;
  work.bytes = *bytes;
  return work;
}

std::optional<int64_t> Sum(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a || !b) return std::nullopt;
  return *a + *b;
}

absl::StatusOr<OpWork> FusedConvWork(const ir::Graph& graph, const ir::Node& node) {
  ir::AttributeMap attributes = node.attributes;
  attributes.erase("activation");
  attributes.erase("activation_params");
  std::optional<int64_t> conv = PartFlops(graph, node, "Conv", node.inputs, node.outputs, std::move(attributes));
  return WorkOf(graph, node, OpClass::kConv, Sum(conv, ActivationFlops(graph, node)));
}

absl::StatusOr<OpWork> FusedMatMulWork(const ir::Graph& graph, const ir::Node& node) {
  const ir::ValueId y = node.outputs[0];
  std::optional<int64_t> flops = PartFlops(graph, node, "MatMul", {node.inputs[0], node.inputs[1]}, {y});
  if (node.has_input(2)) flops = Sum(flops, PartFlops(graph, node, "Add", {y, node.inputs[2]}, {y}));
  return WorkOf(graph, node, OpClass::kGemm, Sum(flops, ActivationFlops(graph, node)));
}

absl::StatusOr<OpWork> GeluWork(const ir::Graph& graph, const ir::Node& node) {
  return WorkOf(graph, node, OpClass::kElementwise, PartFlops(graph, node, "Gelu", node.inputs, node.outputs));
}

// The static dims of value `id`, or nullopt.
std::optional<std::vector<int64_t>> StaticDims(const ir::Graph& graph, ir::ValueId id) {
  const ir::Shape& shape = graph.value(id).type.shape;
  if (!shape.rank_known()) return std::nullopt;
  std::vector<int64_t> dims;
  for (const ir::Dim& d : shape.dims()) {
    if (!d.is_static()) return std::nullopt;
    dims.push_back(d.value());
  }
  return dims;
}

// Q K^T (2 B S T d) + scale (B S T) + Softmax (5 per score, as NodeFlops
// counts it) + P V (2 B S T dv), with B the output's batch dims.
absl::StatusOr<OpWork> AttentionWork(const ir::Graph& graph, const ir::Node& node) {
  std::optional<std::vector<int64_t>> q = StaticDims(graph, node.inputs[0]);
  std::optional<std::vector<int64_t>> v = StaticDims(graph, node.inputs[2]);
  std::optional<std::vector<int64_t>> y = StaticDims(graph, node.outputs[0]);
  if (!q || !v || !y || q->size() < 2 || v->size() < 2 || y->size() < 2) return UnknownShapes(node);
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < y->size(); ++i) batch *= (*y)[i];
  const int64_t s = (*y)[y->size() - 2];
  const int64_t dv = y->back();
  const int64_t d = q->back();
  const int64_t t = (*v)[v->size() - 2];
  const int64_t scores = batch * s * t;
  const int64_t flops = 2 * scores * d + scores + 5 * scores + 2 * scores * dv;
  return WorkOf(graph, node, OpClass::kGemm, flops);
}

}  // namespace

void RegisterFusedOpWork(AnalyticalCostModel& model) {
  model.RegisterWork(kGsoptDomain, "FusedConv", FusedConvWork);
  model.RegisterWork(kGsoptDomain, "FusedMatMul", FusedMatMulWork);
  model.RegisterWork(kGsoptDomain, "Gelu", GeluWork);
  model.RegisterWork(kGsoptDomain, "Attention", AttentionWork);
}

}  // namespace gsopt::backend
