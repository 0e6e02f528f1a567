// Implementation of VerifyGraph.
#include "ir/verifier.h"

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"

namespace gsopt::ir {
namespace {

bool TypesConflict(const TensorType& inferred, const TensorType& recorded) {
  if (inferred.dtype != DType::kUndefined && recorded.dtype != DType::kUndefined &&
      inferred.dtype != recorded.dtype) {
    return true;
  }
  if (!inferred.shape.rank_known() || !recorded.shape.rank_known()) return false;
  if (inferred.shape.rank() != recorded.shape.rank()) return true;
  for (int64_t i = 0; i < inferred.shape.rank(); ++i) {
    const Dim& a = inferred.shape.dim(i);
    const Dim& b = recorded.shape.dim(i);
    if (a.is_static() && b.is_static() && a.value() != b.value()) return true;
  }
  return false;
}

}  // namespace

absl::Status VerifyGraph(const Graph& graph, const VerifyOptions& options) {
  std::vector<bool> defined(static_cast<size_t>(graph.num_values()), false);
  for (ValueId in : graph.inputs()) {
    if (in < 0 || in >= graph.num_values()) return absl::InternalError("graph input id out of range");
    defined[static_cast<size_t>(in)] = true;
  }
  for (ValueId id = 0; id < graph.num_values(); ++id) {
    if (graph.value(id).initializer) defined[static_cast<size_t>(id)] = true;
  }
  const OpRegistry& registry = OpRegistry::Global();
  for (NodeId n : graph.LiveNodes()) {
    const Node& node = graph.node(n);
    for (int i = 0; i < node.num_inputs(); ++i) {
      ValueId in = node.inputs[static_cast<size_t>(i)];
      if (in == kNoValue) continue;
      if (in < 0 || in >= graph.num_values()) {
        return absl::InternalError(absl::StrCat("node ", node.Describe(), ": input ", i, " id out of range"));
      }
      if (!defined[static_cast<size_t>(in)]) {
        return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": input '",
                                                       graph.value(in).name,
                                                       "' is not defined before it is read"));
      }
    }
    for (ValueId in : graph.ImplicitInputs(node)) {
      if (!defined[static_cast<size_t>(in)]) {
        return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": subgraph reads '",
                                                       graph.value(in).name, "' before it is defined"));
      }
    }
    for (ValueId out : node.outputs) {
      if (out == kNoValue) continue;
      if (out < 0 || out >= graph.num_values()) {
        return absl::InternalError(absl::StrCat("node ", node.Describe(), ": output id out of range"));
      }
      const Value& v = graph.value(out);
      if (v.producer != n || defined[static_cast<size_t>(out)]) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", node.Describe(), ": output '", v.name, "' is defined more than once"));
      }
      defined[static_cast<size_t>(out)] = true;
    }
    const OpSchema* schema = registry.Find(node.domain, node.op_type);
    if (schema == nullptr) continue;
    if (node.num_inputs() < schema->min_inputs || node.num_inputs() > schema->max_inputs) {
      return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": has ", node.num_inputs(),
                                                     " inputs, expected ", schema->min_inputs, " to ",
                                                     schema->max_inputs));
    }
    if (node.num_outputs() < schema->min_outputs || node.num_outputs() > schema->max_outputs) {
      return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": has ", node.num_outputs(),
                                                     " outputs, expected ", schema->min_outputs, " to ",
                                                     schema->max_outputs));
    }
    if (!options.check_types || !schema->infer_shapes) continue;
    std::vector<TensorType> inferred(node.outputs.size());
    InferenceContext ctx(graph, node, &inferred);
    if (absl::Status s = schema->infer_shapes(ctx); !s.ok()) return s;
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i] == kNoValue) continue;
      const Value& v = graph.value(node.outputs[i]);
      if (TypesConflict(inferred[i], v.type)) {
        return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": output '", v.name,
                                                       "' is recorded as ", v.type.ToString(),
                                                       " but its inputs give ", inferred[i].ToString()));
      }
    }
  }
  for (ValueId out : graph.outputs()) {
    if (out < 0 || out >= graph.num_values() || !defined[static_cast<size_t>(out)]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "graph output '", out >= 0 && out < graph.num_values() ? graph.value(out).name : "?",
          "' is never defined"));
    }
  }
  return absl::OkStatus();
}

}  // namespace gsopt::ir
