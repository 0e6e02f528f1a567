// Identity elimination: nodes that pass their input through unchanged.
#include <string>

#include "rewrites/passes/passes.h"

namespace gsopt::rewrites {
namespace {

using ir::Graph;
using ir::kNoValue;
using ir::Node;
using ir::NodeId;
using ir::ValueId;

// Whether `node` computes output 0 = input 0 exactly (in inference).
bool IsPassThrough(const Graph& graph, const Node& node, const std::vector<std::vector<ir::Use>>& uses) {
  if (!node.domain.empty() || !node.has_input(0) || node.outputs.empty() || node.outputs[0] == kNoValue) {
    return false;
  }
  if (node.op_type == "Identity") return true;
  if (node.op_type == "Dropout") {
    // The mask output, when read, is not a pass-through; training mode is not inference.
    if (node.num_outputs() > 1 && node.outputs[1] != kNoValue && !uses[static_cast<size_t>(node.outputs[1])].empty()) {
      return false;
    }
    if (node.has_input(2)) {
      const ir::Value& training = graph.value(node.inputs[2]);
      if (!training.initializer || training.initializer->num_elements() != 1 ||
          training.initializer->GetAsInt64(0) != 0) {
        return false;
      }
    }
    return true;
  }
  if (node.op_type == "Cast") {
    ir::DType from = graph.value(node.inputs[0]).type.dtype;
    return from != ir::DType::kUndefined && static_cast<int64_t>(from) == node.GetInt("to", -1);
  }
  return false;
}

class IdentityEliminationPass : public Pass {
 public:
  std::string name() const override { return "identity-elimination"; }

  absl::StatusOr<bool> Run(Graph& graph) override {
    bool changed = false;
    std::vector<std::vector<ir::Use>> uses = graph.ComputeUses();
    for (NodeId id : graph.LiveNodes()) {
      const Node& node = graph.node(id);
      if (!IsPassThrough(graph, node, uses)) continue;
      ValueId in = node.inputs[0];
      ValueId out = node.outputs[0];
      if (graph.IsGraphOutput(out)) {
        // The output name is part of the model's interface: keep it by
        // renaming the input to it, possible only when the input is an
        // intermediate value that is not itself an interface name.
        const ir::Value& source = graph.value(in);
        bool renamable = source.producer != ir::kNoNode && !graph.IsGraphOutput(in);
        if (!renamable) continue;
        std::string out_name = graph.value(out).name;
        graph.RemoveNode(id);
        graph.RenameValue(out, graph.UniqueValueName(out_name + "_removed"));
        graph.RenameValue(in, out_name);
        if (graph.value(in).type.dtype == ir::DType::kUndefined) {
          graph.mutable_value(in).type = graph.value(out).type;
        }
      } else {
        graph.RemoveNode(id);
      }
      graph.ReplaceAllUsesWith(out, in);
      uses = graph.ComputeUses();
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateIdentityEliminationPass() { return std::make_unique<IdentityEliminationPass>(); }

}  // namespace gsopt::rewrites
