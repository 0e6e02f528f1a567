// Dead-code elimination: nodes whose results nobody reads, and unread constants.
#include <string>

#include "rewrites/passes/passes.h"

namespace gsopt::rewrites {
namespace {

using ir::Graph;
using ir::kNoValue;
using ir::Node;
using ir::NodeId;
using ir::ValueId;

class DeadCodeEliminationPass : public Pass {
 public:
  std::string name() const override { return "dead-code-elimination"; }

  absl::StatusOr<bool> Run(Graph& graph) override {
    std::vector<std::vector<ir::Use>> uses = graph.ComputeUses();
    std::vector<int> live_uses(uses.size());
    for (size_t v = 0; v < uses.size(); ++v) live_uses[v] = static_cast<int>(uses[v].size());
    bool changed = false;
    std::vector<NodeId> order = graph.LiveNodes();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const Node& node = graph.node(*it);
      bool dead = true;
      for (ValueId out : node.outputs) {
        if (out != kNoValue && live_uses[static_cast<size_t>(out)] > 0) dead = false;
      }
      if (!dead) continue;
      for (ValueId in : node.inputs) {
        if (in != kNoValue) --live_uses[static_cast<size_t>(in)];
      }
      for (ValueId in : graph.ImplicitInputs(node)) --live_uses[static_cast<size_t>(in)];
      graph.RemoveNode(*it);
      changed = true;
    }
    int values_before = graph.num_values();
    graph.Compact();  // also drops initializers nothing reads
    return changed || graph.num_values() != values_before;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateDeadCodeEliminationPass() { return std::make_unique<DeadCodeEliminationPass>(); }

}  // namespace gsopt::rewrites
