// Canonical form: each value is named by where it comes from — graph input
// number k, a constant's content hash, or output j of the node that computes
// it (node identified by its own canonical form). Nodes are visited in
// execution order; two graphs with the same canonical node sequence are
// equal. This is order-sensitive for independent nodes in different orders,
// which makes equality conservative (it may miss an equal pair, never claim a
// false one).
#include "ir/structural_hash.h"

#include <vector>

#include "absl/hash/hash.h"

namespace gsopt::ir {
namespace {

// Canonical reference to a value: (kind, a, b).
struct ValueRef {
  int kind = 0;  // 0 absent, 1 input, 2 constant, 3 node output, 4 dangling
  size_t a = 0;
  size_t b = 0;
  bool operator==(const ValueRef& o) const { return kind == o.kind && a == o.a && b == o.b; }
};

class Canonicalizer {
 public:
  explicit Canonicalizer(const Graph& g) : graph_(g), refs_(static_cast<size_t>(g.num_values())) {
    for (size_t i = 0; i < g.inputs().size(); ++i) refs_[static_cast<size_t>(g.inputs()[i])] = {1, i, 0};
    for (ValueId id = 0; id < g.num_values(); ++id) {
      const Value& v = g.value(id);
      if (v.initializer) refs_[static_cast<size_t>(id)] = {2, v.initializer->ContentHash(), 0};
      else if (refs_[static_cast<size_t>(id)].kind == 0) refs_[static_cast<size_t>(id)] = {4, 0, 0};
    }
    size_t position = 0;
    for (NodeId n : g.LiveNodes()) {
      order_.push_back(n);
      const Node& node = g.node(n);
      for (size_t j = 0; j < node.outputs.size(); ++j) {
        if (node.outputs[j] != kNoValue) refs_[static_cast<size_t>(node.outputs[j])] = {3, position, j};
      }
      ++position;
    }
  }

  ValueRef Ref(ValueId id) const { return id == kNoValue ? ValueRef{} : refs_[static_cast<size_t>(id)]; }
  const std::vector<NodeId>& order() const { return order_; }

 private:
  const Graph& graph_;
  std::vector<ValueRef> refs_;
  std::vector<NodeId> order_;
};

bool ConstantsEqual(const Graph& a, ValueId va, const Graph& b, ValueId vb) {
  if (va == kNoValue || vb == kNoValue) return va == vb;
  const Value& x = a.value(va);
  const Value& y = b.value(vb);
  if (x.initializer.has_value() != y.initializer.has_value()) return false;
  return !x.initializer || x.initializer->BitwiseEquals(*y.initializer);
}

}  // namespace

size_t StructuralHash(const Graph& graph) {
  Canonicalizer canon(graph);
  size_t h = absl::HashOf(graph.inputs().size(), graph.outputs().size());
  for (NodeId n : canon.order()) {
    const Node& node = graph.node(n);
    h = absl::HashOf(h, node.op_type, node.domain, node.outputs.size());
    for (ValueId in : node.inputs) {
      ValueRef r = canon.Ref(in);
      h = absl::HashOf(h, r.kind, r.a, r.b);
    }
    for (const auto& [name, attr] : node.attributes) h = absl::HashOf(h, name, attr.Hash());
  }
  for (ValueId out : graph.outputs()) {
    ValueRef r = canon.Ref(out);
    h = absl::HashOf(h, r.kind, r.a, r.b);
  }
  return h;
}

bool StructurallyEqual(const Graph& a, const Graph& b) {
  if (a.inputs().size() != b.inputs().size() || a.outputs().size() != b.outputs().size()) return false;
  Canonicalizer ca(a), cb(b);
  if (ca.order().size() != cb.order().size()) return false;
  for (size_t i = 0; i < ca.order().size(); ++i) {
    const Node& x = a.node(ca.order()[i]);
    const Node& y = b.node(cb.order()[i]);
    if (x.op_type != y.op_type || x.domain != y.domain || x.inputs.size() != y.inputs.size() ||
        x.outputs.size() != y.outputs.size() || x.attributes != y.attributes) {
      return false;
    }
    for (size_t k = 0; k < x.inputs.size(); ++k) {
      if (!(ca.Ref(x.inputs[k]) == cb.Ref(y.inputs[k]))) return false;
      if (!ConstantsEqual(a, x.inputs[k], b, y.inputs[k])) return false;  // hash collision guard
    }
    for (size_t k = 0; k < x.outputs.size(); ++k) {
      if ((x.outputs[k] == kNoValue) != (y.outputs[k] == kNoValue)) return false;
    }
  }
  for (size_t i = 0; i < a.outputs().size(); ++i) {
    if (!(ca.Ref(a.outputs()[i]) == cb.Ref(b.outputs()[i]))) return false;
    if (!ConstantsEqual(a, a.outputs()[i], b, b.outputs()[i])) return false;
  }
  for (size_t i = 0; i < a.inputs().size(); ++i) {
    if (a.value(a.inputs()[i]).type != b.value(b.inputs()[i]).type) return false;
  }
  return true;
}

}  // namespace gsopt::ir
