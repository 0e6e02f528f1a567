// Common-subexpression elimination: constants with identical contents become
// one constant, and nodes computing the same op on the same inputs with the
// same attributes become one node. Besides saving work itself, it lets rules
// that require one shared operand (two MatMuls by "the same" weight) see
// weights that earlier rewrites computed separately but equally.
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "rewrites/passes/passes.h"

namespace gsopt::rewrites {
namespace {

using ir::Graph;
using ir::kNoValue;
using ir::Node;
using ir::NodeId;
using ir::ValueId;

// Ops whose two evaluations on equal inputs may differ, or that carry
// subgraphs whose outer-scope reads are not in `inputs`.
bool MayMerge(const Node& node) {
  static const char* const kNondeterministic[] = {
      "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"};
  if (node.domain.empty()) {
    for (const char* op : kNondeterministic) {
      if (node.op_type == op) return false;
    }
  }
  for (const auto& [name, attr] : node.attributes) {
    if (attr.kind() == ir::AttributeKind::kOpaque) return false;
  }
  return true;
}

class CommonSubexpressionEliminationPass : public Pass {
 public:
  std::string name() const override { return "common-subexpression-elimination"; }

  absl::StatusOr<bool> Run(Graph& graph) override {
    bool changed = MergeConstants(graph);
    changed |= MergeNodes(graph);
    if (changed) graph.Compact();
    return changed;
  }

 private:
  static bool MergeConstants(Graph& graph) {
    bool changed = false;
    absl::flat_hash_map<size_t, std::vector<ValueId>> by_hash;
    for (ValueId id : graph.Initializers()) {
      if (graph.IsGraphOutput(id)) continue;  // its name is part of the interface
      const ir::Tensor& t = *graph.value(id).initializer;
      std::vector<ValueId>& same_hash = by_hash[t.ContentHash()];
      bool merged = false;
      for (ValueId kept : same_hash) {
        if (graph.value(kept).initializer->BitwiseEquals(t)) {
          graph.ReplaceAllUsesWith(id, kept);
          merged = changed = true;
          break;
        }
      }
      if (!merged) same_hash.push_back(id);
    }
    return changed;
  }

  static bool MergeNodes(Graph& graph) {
    bool changed = false;
    absl::flat_hash_map<size_t, std::vector<NodeId>> by_hash;
    for (NodeId id : graph.LiveNodes()) {
      const Node& node = graph.node(id);
      if (!MayMerge(node)) continue;
      size_t h = absl::HashOf(node.domain, node.op_type, node.inputs, node.outputs.size());
      for (const auto& [name, attr] : node.attributes) h = absl::HashOf(h, name, attr.Hash());
      std::vector<NodeId>& same_hash = by_hash[h];
      NodeId twin = ir::kNoNode;
      for (NodeId kept : same_hash) {
        const Node& k = graph.node(kept);
        if (k.domain == node.domain && k.op_type == node.op_type && k.inputs == node.inputs &&
            k.outputs.size() == node.outputs.size() && k.attributes == node.attributes) {
          twin = kept;
          break;
        }
      }
      bool outputs_mergeable = true;
      for (size_t o = 0; o < node.outputs.size() && twin != ir::kNoNode; ++o) {
        ValueId mine = node.outputs[o], theirs = graph.node(twin).outputs[o];
        // An output only one of them produces, or a graph output, keeps the node.
        if ((mine == kNoValue) != (theirs == kNoValue) || (mine != kNoValue && graph.IsGraphOutput(mine))) {
          outputs_mergeable = false;
        }
      }
      if (twin == ir::kNoNode || !outputs_mergeable) {
        same_hash.push_back(id);
        continue;
      }
      std::vector<ValueId> outputs = node.outputs;
      std::vector<ValueId> twin_outputs = graph.node(twin).outputs;
      for (size_t o = 0; o < outputs.size(); ++o) {
        if (outputs[o] != kNoValue) graph.ReplaceAllUsesWith(outputs[o], twin_outputs[o]);
      }
      graph.RemoveNode(id);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateCommonSubexpressionEliminationPass() {
  return std::make_unique<CommonSubexpressionEliminationPass>();
}

}  // namespace gsopt::rewrites
