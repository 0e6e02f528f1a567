// The matching half of the rule engine: compiling rules into a matching
// order, enumerating matches by backtracking, and checking side conditions.
// See rule_engine.h for the algorithm.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rewrites/engine/attribute_defaults.h"
#include "rewrites/engine/const_eval.h"
#include "rewrites/engine/rule_engine.h"

namespace gsopt::rewrites {
namespace {

using ir::Graph;
using ir::kNoNode;
using ir::kNoValue;
using ir::Node;
using ir::NodeId;
using ir::ValueId;
using rules::PatternNode;

// Chooses the order pattern nodes are matched in: the last node first, then
// always a node connected to what is bound, producers before consumers,
// because following a value to its one producer branches less than following
// it to its many readers.
std::vector<int> MatchingOrder(const rules::Pattern& pattern) {
  const int n = static_cast<int>(pattern.nodes.size());
  std::vector<int> order;
  std::vector<bool> placed(static_cast<size_t>(n), false);
  std::set<std::string> bound;
  auto place = [&](int i) {
    order.push_back(i);
    placed[static_cast<size_t>(i)] = true;
    for (const std::string& v : pattern.nodes[static_cast<size_t>(i)].inputs) {
      if (!v.empty()) bound.insert(v);
    }
    for (const std::string& v : pattern.nodes[static_cast<size_t>(i)].outputs) bound.insert(v);
  };
  if (n > 0) place(n - 1);
  while (static_cast<int>(order.size()) < n) {
    int next = -1;
    for (int i = n - 1; i >= 0 && next < 0; --i) {  // a producer of a bound value
      if (placed[static_cast<size_t>(i)]) continue;
      for (const std::string& v : pattern.nodes[static_cast<size_t>(i)].outputs) {
        if (bound.contains(v)) next = i;
      }
    }
    for (int i = n - 1; i >= 0 && next < 0; --i) {  // a reader of a bound value
      if (placed[static_cast<size_t>(i)]) continue;
      for (const std::string& v : pattern.nodes[static_cast<size_t>(i)].inputs) {
        if (!v.empty() && bound.contains(v)) next = i;
      }
    }
    if (next < 0) {  // a disconnected component: matched by scanning the graph
      for (int i = n - 1; i >= 0 && next < 0; --i) {
        if (!placed[static_cast<size_t>(i)]) next = i;
      }
    }
    place(next);
  }
  return order;
}

// Rules spell dtypes as ONNX does (float32, int64, bfloat16) or as gsopt's
// text IR does (f32, i64, bf16); both are accepted.
std::optional<ir::DType> DTypeFromRuleName(const std::string& name) {
  if (std::optional<ir::DType> dtype = ir::DTypeFromName(name)) return dtype;
  static const std::map<std::string, std::string> kOnnxNames = {
      {"float", "f32"},     {"float32", "f32"}, {"double", "f64"}, {"float64", "f64"}, {"float16", "f16"},
      {"bfloat16", "bf16"}, {"int8", "i8"},     {"int16", "i16"},  {"int32", "i32"},   {"int64", "i64"},
      {"uint8", "u8"},      {"uint16", "u16"},  {"uint32", "u32"}, {"uint64", "u64"}};
  auto it = kOnnxNames.find(name);
  return it == kOnnxNames.end() ? std::nullopt : ir::DTypeFromName(it->second);
}

// Ops whose two operands may be matched in either order: exactly
// commutative in IEEE arithmetic (a + b and b + a round the same), unlike
// Max/Min, whose kernels may propagate a NaN operand differently by position.
bool IsCommutative(const PatternNode& pn) {
  static const char* const kCommutative[] = {"Add", "Mul", "And", "Or", "Xor", "Equal"};
  if (!pn.domain.empty() || pn.inputs.size() != 2) return false;
  for (const char* op : kCommutative) {
    if (pn.op == op) return true;
  }
  return false;
}

int PresentInputs(const Node& node) {
  int n = node.num_inputs();
  while (n > 0 && node.inputs[static_cast<size_t>(n - 1)] == kNoValue) --n;
  return n;
}

using NodesByOp = absl::flat_hash_map<std::string, std::vector<NodeId>>;

std::string OpKey(absl::string_view domain, absl::string_view op) { return absl::StrCat(domain, "::", op); }

NodesByOp IndexNodesByOp(const Graph& graph) {
  NodesByOp index;
  for (NodeId id : graph.LiveNodes()) index[OpKey(graph.node(id).domain, graph.node(id).op_type)].push_back(id);
  return index;
}

class Matcher {
 public:
  // `nodes_by_op` lists the live nodes of each op type: a pattern's first
  // node is looked for only among nodes of its op, which keeps matching a
  // table of hundreds of (generated) rules proportional to the matches.
  Matcher(const Graph& graph, const CompiledRule& rule, int rule_index, const std::vector<std::vector<ir::Use>>& uses,
          const NodesByOp& nodes_by_op)
      : graph_(graph), rule_(rule), uses_(uses), nodes_by_op_(nodes_by_op) {
    state_.rule = rule_index;
    state_.nodes.assign(rule.rule.source.nodes.size(), kNoNode);
  }

  std::vector<Match> Run() {
    Step(0);
    return std::move(matches_);
  }

 private:
  const PatternNode& pattern_node(int i) const { return rule_.rule.source.nodes[static_cast<size_t>(i)]; }

  void Step(size_t k) {
    if (k == rule_.order.size()) {
      Finish();
      return;
    }
    const int p = rule_.order[k];
    const PatternNode& pn = pattern_node(p);
    const bool commutative = IsCommutative(pn);
    for (NodeId candidate : Candidates(pn)) {
      const Node& node = graph_.node(candidate);
      if (node.op_type != pn.op || node.domain != pn.domain) continue;  // before copying the state
      for (bool swap : {false, true}) {
        if (swap && !commutative) break;
        Match saved = state_;
        if (Bind(p, candidate, swap)) Step(k + 1);
        state_ = std::move(saved);
      }
    }
  }

  std::vector<NodeId> Candidates(const PatternNode& pn) const {
    for (size_t o = 0; o < pn.outputs.size(); ++o) {
      auto it = state_.values.find(pn.outputs[o]);
      if (it == state_.values.end()) continue;
      const ir::Value& v = graph_.value(it->second);
      if (v.producer == kNoNode || v.producer_output != static_cast<int>(o)) return {};
      return {v.producer};
    }
    for (size_t i = 0; i < pn.inputs.size(); ++i) {
      if (pn.inputs[i].empty()) continue;
      auto it = state_.values.find(pn.inputs[i]);
      if (it == state_.values.end()) continue;
      std::vector<NodeId> out;
      const bool commutative = IsCommutative(pn);
      for (const ir::Use& use : uses_[static_cast<size_t>(it->second)]) {
        if (use.node == kNoNode) continue;
        if (use.input_index == static_cast<int>(i) || (commutative && use.input_index == 1 - static_cast<int>(i))) {
          out.push_back(use.node);
        }
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    }
    auto it = nodes_by_op_.find(OpKey(pn.domain, pn.op));
    return it == nodes_by_op_.end() ? std::vector<NodeId>{} : it->second;
  }

  bool BindValue(const std::string& var, ValueId value) {
    auto [it, inserted] = state_.values.emplace(var, value);
    return inserted || it->second == value;
  }

  bool BindParam(const std::string& param, ParamValue value) {
    auto [it, inserted] = state_.params.emplace(param, value);
    return inserted || it->second == value;
  }

  // `swap`: bind the pattern's two inputs to the node's in the other order
  // (only for commutative ops).
  bool Bind(int p, NodeId id, bool swap) {
    const PatternNode& pn = pattern_node(p);
    const Node& node = graph_.node(id);
    if (node.removed || node.op_type != pn.op || node.domain != pn.domain) return false;
    for (NodeId used : state_.nodes) {
      if (used == id) return false;
    }
    // Inputs: the pattern lists every present input ('_' for a gap).
    int pattern_inputs = static_cast<int>(pn.inputs.size());
    while (pattern_inputs > 0 && pn.inputs[static_cast<size_t>(pattern_inputs - 1)].empty()) --pattern_inputs;
    if (PresentInputs(node) != pattern_inputs) return false;
    for (int i = 0; i < pattern_inputs; ++i) {
      const std::string& var = pn.inputs[static_cast<size_t>(i)];
      ValueId in = node.inputs[static_cast<size_t>(swap ? 1 - i : i)];
      if (var.empty()) {
        if (in != kNoValue) return false;
      } else if (in == kNoValue || !BindValue(var, in)) {
        return false;
      }
    }
    // Outputs: the pattern names every output, except that a node may have
    // unread extra outputs where they are by-products (Dropout's mask,
    // training statistics, pooling indices). A Split's unread third piece is
    // still part of what it splits, so Split and the like must match exactly.
    static const char* const kByProductOutputs[] = {"Dropout", "BatchNormalization", "LayerNormalization", "MaxPool"};
    bool may_have_extra = false;
    for (const char* op : kByProductOutputs) may_have_extra |= node.domain.empty() && node.op_type == op;
    if (node.num_outputs() < static_cast<int>(pn.outputs.size())) return false;
    if (!may_have_extra && node.num_outputs() != static_cast<int>(pn.outputs.size())) return false;
    for (int o = 0; o < node.num_outputs(); ++o) {
      ValueId out = node.outputs[static_cast<size_t>(o)];
      if (o < static_cast<int>(pn.outputs.size())) {
        if (out == kNoValue || !BindValue(pn.outputs[static_cast<size_t>(o)], out)) return false;
      } else if (out != kNoValue && (!uses_[static_cast<size_t>(out)].empty())) {
        return false;
      }
    }
    // Attributes, compared with the op's defaults filled in.
    ir::AttributeMap attributes = internal::NormalizedAttributes(graph_, node);
    std::set<std::string> named;
    for (const rules::AttrBinding& binding : pn.attrs) {
      if (binding.is_rest) continue;
      named.insert(binding.name);
      auto it = attributes.find(binding.name);
      if (it == attributes.end()) return false;  // absent and no known default
      if (binding.param) {
        if (!BindParam(*binding.param, it->second)) return false;
      } else if (!(internal::LiteralToAttribute(binding.value) == it->second)) {
        return false;
      }
    }
    for (const rules::AttrBinding& binding : pn.attrs) {
      if (!binding.is_rest) continue;
      ir::AttributeMap rest;
      for (const auto& [name, value] : attributes) {
        if (!named.contains(name)) rest.emplace(name, value);
      }
      if (!BindParam(*binding.param, std::move(rest))) return false;
    }
    state_.nodes[static_cast<size_t>(p)] = id;
    return true;
  }

  void Finish() {
    std::vector<NodeId> key = state_.nodes;
    std::sort(key.begin(), key.end());
    if (!seen_.insert(key).second) return;  // the same nodes under a pattern symmetry
    if (!ConditionsHold()) {
      seen_.erase(key);  // another assignment of the same nodes may satisfy them
      return;
    }
    matches_.push_back(state_);
  }

  bool ConditionsHold() {
    internal::ExprEvaluator evaluator(graph_, rule_, state_);
    for (const rules::Condition& condition : rule_.rule.conditions) {
      if (!Holds(condition, evaluator)) return false;
    }
    return true;
  }

  const ir::Value* VariableValue(const rules::ConstExpr& expr) const {
    if (expr.kind != rules::ConstExpr::Kind::kVariable) return nullptr;
    auto it = state_.values.find(expr.name);
    return it == state_.values.end() ? nullptr : &graph_.value(it->second);
  }

  bool Holds(const rules::Condition& condition, internal::ExprEvaluator& evaluator) {
    const std::string& pred = condition.predicate;
    const auto& args = condition.args;
    if (pred == "const" || pred == "single_use" || pred == "not_output") {
      for (const rules::ConstExpr& arg : args) {
        if (evaluator.IsLet(arg.name)) continue;  // a let is a fresh constant, read once
        auto it = state_.values.find(arg.name);
        if (it == state_.values.end()) return false;
        ValueId id = it->second;
        if (pred == "const" && !graph_.value(id).is_constant()) return false;
        if (pred == "single_use" && (uses_[static_cast<size_t>(id)].size() != 1 || graph_.IsGraphOutput(id))) {
          return false;
        }
        if (pred == "not_output" && graph_.IsGraphOutput(id)) return false;
      }
      return true;
    }
    if (pred == "same_shape" || pred == "same_dtype") {
      const ir::Value* a = VariableValue(args[0]);
      const ir::Value* b = VariableValue(args[1]);
      if (a == nullptr || b == nullptr) return false;
      if (pred == "same_dtype") return a->type.dtype != ir::DType::kUndefined && a->type.dtype == b->type.dtype;
      return a->type.shape.is_static() && b->type.shape.is_static() &&
             a->type.shape.static_dims() == b->type.shape.static_dims();
    }
    if (pred == "rank" || pred == "dtype") {
      const ir::Value* v = VariableValue(args[0]);
      if (v == nullptr) return false;
      absl::StatusOr<internal::ExprValue> want = evaluator.Evaluate(args[1]);
      if (!want.ok()) return false;
      if (pred == "rank") {
        return want->tensor && want->tensor->num_elements() == 1 && v->type.shape.rank() == want->tensor->GetAsInt64(0);
      }
      std::optional<ir::DType> dtype = want->str ? DTypeFromRuleName(*want->str) : std::nullopt;
      return dtype && v->type.dtype == *dtype;
    }
    if (pred == "min_opset") {
      absl::StatusOr<internal::ExprValue> n = evaluator.Evaluate(args[0]);
      return n.ok() && n->tensor && n->tensor->num_elements() == 1 &&
             graph_.OpsetVersion("") >= n->tensor->GetAsInt64(0);
    }
    absl::StatusOr<internal::ExprValue> a = evaluator.Evaluate(args[0]);
    absl::StatusOr<internal::ExprValue> b = evaluator.Evaluate(args[1]);
    if (!a.ok() || !b.ok()) return false;  // e.g. a dim that is not static: no match
    if (pred == "eq" || pred == "ne") {
      bool equal = (a->str && b->str)         ? *a->str == *b->str
                   : (a->tensor && b->tensor) ? internal::SameNumbers(*a->tensor, *b->tensor)
                                              : false;
      return pred == "eq" ? equal : !equal;
    }
    if (pred == "all_eq") {
      if (!a->tensor || !b->tensor || b->tensor->num_elements() != 1 || a->tensor->num_elements() == 0) return false;
      const double v = b->tensor->GetAsDouble(0);
      for (int64_t i = 0; i < a->tensor->num_elements(); ++i) {
        if (a->tensor->GetAsDouble(i) != v) return false;
      }
      return true;
    }
    if (pred == "lt" || pred == "le") {
      if (!a->tensor || !b->tensor || a->tensor->num_elements() != 1 || b->tensor->num_elements() != 1) return false;
      double x = a->tensor->GetAsDouble(0), y = b->tensor->GetAsDouble(0);
      return pred == "lt" ? x < y : x <= y;
    }
    if (pred == "inverse_perm") {
      if (!a->tensor || !b->tensor || a->tensor->num_elements() != b->tensor->num_elements()) return false;
      const int64_t n = a->tensor->num_elements();
      for (int64_t i = 0; i < n; ++i) {
        int64_t q = b->tensor->GetAsInt64(i);
        if (q < 0 || q >= n || a->tensor->GetAsInt64(q) != i) return false;
      }
      return true;
    }
    return false;  // validation rejects unknown predicates before this point
  }

  const Graph& graph_;
  const CompiledRule& rule_;
  const std::vector<std::vector<ir::Use>>& uses_;
  const NodesByOp& nodes_by_op_;
  Match state_;
  std::vector<Match> matches_;
  std::set<std::vector<NodeId>> seen_;
};

}  // namespace

namespace internal {

CompiledRule CompileRule(const rules::Rule& rule) {
  CompiledRule compiled;
  compiled.rule = rule;
  compiled.order = MatchingOrder(rule.source);
  std::set<std::string> defined, read;
  for (const PatternNode& pn : rule.source.nodes) {
    for (const std::string& v : pn.inputs) {
      if (!v.empty()) read.insert(v);
    }
  }
  for (const PatternNode& pn : rule.source.nodes) {
    for (const std::string& v : pn.outputs) {
      defined.insert(v);
      if (!read.contains(v)) compiled.roots.push_back(v);
    }
  }
  for (const PatternNode& pn : rule.source.nodes) {
    for (const std::string& v : pn.inputs) {
      if (!v.empty() && !defined.contains(v) &&
          std::find(compiled.leaves.begin(), compiled.leaves.end(), v) == compiled.leaves.end()) {
        compiled.leaves.push_back(v);
      }
    }
  }
  return compiled;
}

}  // namespace internal

std::vector<Match> RuleSet::FindMatches(const Graph& graph, int rule) const {
  std::vector<std::vector<ir::Use>> uses = graph.ComputeUses();
  return Matcher(graph, rules_[static_cast<size_t>(rule)], rule, uses, IndexNodesByOp(graph)).Run();
}

std::vector<Match> RuleSet::FindMatches(const Graph& graph) const {
  std::vector<std::vector<ir::Use>> uses = graph.ComputeUses();
  NodesByOp nodes_by_op = IndexNodesByOp(graph);
  std::vector<Match> all;
  for (int r = 0; r < size(); ++r) {
    std::vector<Match> found = Matcher(graph, rules_[static_cast<size_t>(r)], r, uses, nodes_by_op).Run();
    all.insert(all.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  return all;
}

std::string RuleSet::Describe(const Graph& graph, const Match& match) {
  std::vector<std::string> names;
  for (NodeId id : match.nodes)
    names.push_back(graph.node(id).name.empty() ? absl::StrCat("#", id) : graph.node(id).name);
  return absl::StrJoin(names, ", ");
}

}  // namespace gsopt::rewrites
