// The rewriting half of the rule engine: building a RuleSet, instantiating a
// rule's target for a match, and the fixpoint driver. See rule_engine.h.
#include <algorithm>
#include <set>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "ir/verifier.h"
#include "rewrites/engine/const_eval.h"
#include "rewrites/engine/rule_engine.h"

namespace gsopt::rewrites {

namespace internal {
CompiledRule CompileRule(const rules::Rule& rule);
extern const char kBuiltInRules[];
extern const char kGeneratedRules[];
}  // namespace internal

namespace {

using ir::Graph;
using ir::kNoNode;
using ir::kNoValue;
using ir::Node;
using ir::NodeId;
using ir::ValueId;

// Opset 13 turned Split's `split` attribute into an input; a target written
// with the input form is lowered for older models.
void LowerForOpset(const Graph& graph, Node& node) {
  if (node.domain.empty() && node.op_type == "Split" && graph.OpsetVersion("") < 13 && node.has_input(1)) {
    const ir::Value& sizes = graph.value(node.inputs[1]);
    if (!sizes.is_constant()) return;
    std::vector<int64_t> split;
    for (int64_t i = 0; i < sizes.initializer->num_elements(); ++i) split.push_back(sizes.initializer->GetAsInt64(i));
    node.attributes["split"] = split;
    node.inputs.resize(1);
  }
}

// A let used as an attribute: rank 0 becomes int/float, rank 1 ints/floats
// (so `ints(3)` stays a list); floating dtypes give float attributes.
absl::StatusOr<ir::Attribute> TensorToAttribute(const ir::Tensor& t) {
  bool integral = !ir::IsFloatingPoint(t.dtype());
  if (t.rank() == 0) {
    if (integral) return ir::Attribute(t.GetAsInt64(0));
    return ir::Attribute(static_cast<float>(t.GetAsDouble(0)));
  }
  if (t.rank() != 1) return absl::InvalidArgumentError("an attribute must be a scalar or a vector");
  if (integral) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(t.GetAsInt64(i));
    return ir::Attribute(v);
  }
  std::vector<float> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(static_cast<float>(t.GetAsDouble(i)));
  return ir::Attribute(v);
}

absl::Status InferNode(Graph& graph, NodeId id) {
  const Node& node = graph.node(id);
  const ir::OpSchema* schema = ir::OpRegistry::Global().Find(node.domain, node.op_type);
  if (schema == nullptr || !schema->infer_shapes) return absl::OkStatus();
  std::vector<ir::TensorType> types(node.outputs.size());
  ir::InferenceContext ctx(graph, node, &types);
  if (absl::Status status = schema->infer_shapes(ctx); !status.ok()) return status;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != kNoValue) graph.mutable_value(node.outputs[i]).type = types[i];
  }
  return absl::OkStatus();
}

// A rewrite must not change what a root holds: its dtype and (where both are
// known) its static shape. This catches a wrong rule before verification does.
absl::Status CheckSameType(const Graph& graph, ValueId before, ValueId after, const std::string& rule) {
  const ir::TensorType& a = graph.value(before).type;
  const ir::TensorType& b = graph.value(after).type;
  bool dtype_ok = a.dtype == ir::DType::kUndefined || b.dtype == ir::DType::kUndefined || a.dtype == b.dtype;
  bool shape_ok = !a.shape.is_static() || !b.shape.is_static() || a.shape.static_dims() == b.shape.static_dims();
  if (dtype_ok && shape_ok) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("rule '", rule, "' would change '", graph.value(before).name, "' from ",
                                          a.ToString(), " to ", b.ToString()));
}

}  // namespace

absl::StatusOr<RuleSet> RuleSet::Create(const rules::RuleTable& table, const ir::OpRegistry& registry,
                                        absl::string_view filename) {
  if (absl::Status status = rules::ValidateRuleTable(table, registry, filename); !status.ok()) return status;
  RuleSet set;
  for (const rules::Rule& rule : table.rules) set.rules_.push_back(internal::CompileRule(rule));
  return set;
}

absl::StatusOr<RuleSet> RuleSet::BuiltIn(bool hand_written_only) {
  absl::StatusOr<rules::RuleTable> table = rules::ParseRuleTable(internal::kBuiltInRules, "library.rules");
  if (!table.ok()) return table.status();
  if (absl::Status s = rules::ValidateRuleTable(*table, ir::OpRegistry::Global(), "library.rules"); !s.ok()) return s;
  if (!hand_written_only) {
    absl::StatusOr<rules::RuleTable> generated = rules::ParseRuleTable(internal::kGeneratedRules, "generated.rules");
    if (!generated.ok()) return generated.status();
    if (absl::Status s = rules::ValidateRuleTable(*generated, ir::OpRegistry::Global(), "generated.rules"); !s.ok())
      return s;
    table->rules.insert(table->rules.end(), generated->rules.begin(), generated->rules.end());
  }
  return Create(*table, ir::OpRegistry::Global(), "built-in rules");
}

absl::Status RuleSet::Restrict(const std::vector<std::string>& names) {
  std::vector<CompiledRule> kept;
  for (const std::string& name : names) {
    auto it = std::find_if(rules_.begin(), rules_.end(), [&](const CompiledRule& r) { return r.rule.name == name; });
    if (it == rules_.end()) return absl::NotFoundError(absl::StrCat("no rule named '", name, "'"));
    kept.push_back(*it);
  }
  rules_ = std::move(kept);
  return absl::OkStatus();
}

const LetCache::Entry* LetCache::Find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void LetCache::Insert(std::string key, Entry entry) { entries_.emplace(std::move(key), std::move(entry)); }

namespace {

// What the lets of a match can depend on: the rule, each bound constant's
// buffer (identity, dtype and dims), each other bound value's type, and the
// parameters. Two matches with equal keys compute equal lets.
std::string LetKey(const Graph& graph, const Match& match, std::vector<ir::Tensor>* inputs) {
  std::string key = absl::StrCat(match.rule);
  for (const auto& [var, id] : match.values) {
    const ir::Value& value = graph.value(id);
    if (value.is_constant()) {
      const ir::Tensor& t = *value.initializer;
      absl::StrAppend(&key, "|", var, "=c", reinterpret_cast<uintptr_t>(t.raw_data()), ":", t.type().ToString());
      inputs->push_back(t);
    } else {
      absl::StrAppend(&key, "|", var, "=v", value.type.ToString());
    }
  }
  for (const auto& [param, bound] : match.params) {
    size_t h = 0;
    if (const auto* attribute = std::get_if<ir::Attribute>(&bound)) {
      h = attribute->Hash();
    } else {
      for (const auto& [name, attribute] : std::get<ir::AttributeMap>(bound))
        h = absl::HashOf(h, name, attribute.Hash());
    }
    absl::StrAppend(&key, "|?", param, "=", h);
  }
  return key;
}

}  // namespace

absl::StatusOr<Graph> RuleSet::Apply(const Match& match, const Graph& input, LetCache* cache) const {
  const CompiledRule& compiled = rules_[static_cast<size_t>(match.rule)];
  const rules::Rule& rule = compiled.rule;
  internal::ExprEvaluator evaluator(input, compiled, match);
  // Evaluate every let first: it is the step that can fail on real data.
  std::map<std::string, ir::Tensor> lets;
  std::string cache_key;
  std::vector<ir::Tensor> key_inputs;
  bool cached = false;
  if (cache != nullptr && !rule.lets.empty()) {
    cache_key = LetKey(input, match, &key_inputs);
    if (const LetCache::Entry* hit = cache->Find(cache_key)) {
      lets = hit->lets;
      cached = true;
    }
  }
  for (const rules::LetBinding& let : rule.lets) {
    if (lets.contains(let.variable)) continue;  // from the cache
    absl::StatusOr<ir::Tensor> value = evaluator.LetValue(let.variable);
    if (!value.ok()) {
      return absl::Status(value.status().code(),
                          absl::StrCat("rule '", rule.name, "': let %", let.variable, ": ", value.status().message()));
    }
    lets.emplace(let.variable, *std::move(value));
  }
  if (cache != nullptr && !cache_key.empty() && !cached) {
    cache->Insert(std::move(cache_key), LetCache::Entry{std::move(key_inputs), lets});
  }

  Graph graph = input;
  std::map<std::string, ValueId> env = match.values;  // source vars; target outputs replace roots below
  std::map<std::string, ValueId> target_defined;
  auto resolve = [&](const std::string& var) -> absl::StatusOr<ValueId> {
    if (auto it = target_defined.find(var); it != target_defined.end()) return it->second;
    if (auto it = lets.find(var); it != lets.end()) {
      ValueId id = graph.AddInitializer(graph.UniqueValueName(absl::StrCat(rule.name, "_", var)), it->second);
      target_defined.emplace(var, id);
      return id;
    }
    if (auto it = env.find(var); it != env.end()) return it->second;
    return absl::InternalError(absl::StrCat("rule '", rule.name, "': %", var, " is unbound"));
  };

  std::vector<NodeId> created;
  for (const rules::PatternNode& pn : rule.target.nodes) {
    std::vector<ValueId> inputs;
    for (const std::string& var : pn.inputs) {
      if (var.empty()) {
        inputs.push_back(kNoValue);
        continue;
      }
      absl::StatusOr<ValueId> id = resolve(var);
      if (!id.ok()) return id.status();
      inputs.push_back(*id);
    }
    // An Identity onto a root that is not a graph output is just an alias.
    if (pn.domain.empty() && pn.op == "Identity" && pn.outputs.size() == 1 && inputs.size() == 1) {
      auto root = match.values.find(pn.outputs[0]);
      if (root != match.values.end() && !graph.IsGraphOutput(root->second)) {
        target_defined[pn.outputs[0]] = inputs[0];
        continue;
      }
    }
    ir::AttributeMap attributes;
    for (const rules::AttrBinding& binding : pn.attrs) {
      if (binding.is_rest) {
        const ParamValue& rest = match.params.at(*binding.param);
        for (const auto& [name, value] : std::get<ir::AttributeMap>(rest)) attributes.emplace(name, value);
      } else if (binding.param) {
        attributes[binding.name] = std::get<ir::Attribute>(match.params.at(*binding.param));
      } else if (binding.variable) {
        absl::StatusOr<ir::Attribute> attribute = TensorToAttribute(lets.at(*binding.variable));
        if (!attribute.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("rule '", rule.name, "': attribute ", binding.name, "=%",
                                                         *binding.variable, ": ", attribute.status().message()));
        }
        attributes[binding.name] = *std::move(attribute);
      } else {
        attributes[binding.name] = internal::LiteralToAttribute(binding.value);
      }
    }
    std::vector<std::string> output_names;
    for (const std::string& var : pn.outputs)
      output_names.push_back(graph.UniqueValueName(absl::StrCat(rule.name, "_", var)));
    NodeId id =
        graph.AddNode(pn.op, inputs, output_names, std::move(attributes), graph.UniqueNodeName(rule.name), pn.domain);
    LowerForOpset(graph, graph.mutable_node(id));
    if (absl::Status status = InferNode(graph, id); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("rule '", rule.name, "': ", status.message()));
    }
    for (size_t o = 0; o < pn.outputs.size(); ++o) target_defined[pn.outputs[o]] = graph.node(id).outputs[o];
    created.push_back(id);
  }

  // Rewire every reader of each root to its new definition, keeping graph
  // output names: a model's interface never changes.
  for (const std::string& root : compiled.roots) {
    ValueId before = match.values.at(root);
    ValueId after = target_defined.at(root);
    if (before == after) continue;
    if (absl::Status status = CheckSameType(graph, before, after, rule.name); !status.ok()) return status;
    bool is_output = graph.IsGraphOutput(before);
    graph.ReplaceAllUsesWith(before, after);
    if (is_output) {
      std::string name = graph.value(before).name;
      graph.RenameValue(before, graph.UniqueValueName(absl::StrCat(name, "_replaced")));
      graph.RenameValue(after, name);
    }
  }

  // Drop the matched nodes nothing reads any more (a matched node whose
  // output is still read outside the match stays, so the rewrite is sound
  // even without single_use conditions).
  bool removed = true;
  while (removed) {
    removed = false;
    std::vector<std::vector<ir::Use>> uses = graph.ComputeUses();
    for (NodeId id : match.nodes) {
      const Node& node = graph.node(id);
      if (node.removed) continue;
      bool dead = true;
      for (ValueId out : node.outputs) {
        if (out != kNoValue && !uses[static_cast<size_t>(out)].empty()) dead = false;
      }
      if (dead) {
        graph.RemoveNode(id);
        removed = true;
      }
    }
  }
  if (absl::Status status = graph.TopologicalSort(); !status.ok()) {
    // Merging two nodes where one feeds the other (a recurrent cell's steps)
    // would make the merged node read its own output: not applicable here.
    return absl::FailedPreconditionError(absl::StrCat("rule '", rule.name, "' would make a cycle here"));
  }
  // Removed nodes and dead values are tombstones until compaction renumbers
  // everything; a search applies thousands of rewrites to near-identical
  // copies, so tombstones are swept only once they are a real fraction.
  if (graph.num_nodes() - graph.num_live_nodes() > graph.num_live_nodes() / 4) graph.Compact();
#ifndef NDEBUG
  if (absl::Status status = ir::VerifyGraph(graph); !status.ok()) {
    return absl::InternalError(absl::StrCat("rule '", rule.name, "' broke the graph: ", status.message()));
  }
#endif
  return graph;
}

absl::StatusOr<RewriteLog> RunToFixpoint(const RuleSet& rules, Graph& graph, int max_rewrites, int stop_after) {
  RewriteLog log;
  while (log.total < max_rewrites && (stop_after < 0 || log.total < stop_after)) {
    bool applied = false;
    for (const Match& match : rules.FindMatches(graph)) {
      absl::StatusOr<Graph> next = rules.Apply(match, graph);
      if (!next.ok()) {
        if (next.status().code() == absl::StatusCode::kInternal) return next.status();
        continue;  // this match cannot be applied (say, a dtype no kernel folds); try the next
      }
      log.applied.push_back(absl::StrCat(rules.name(match.rule), " @ ", RuleSet::Describe(graph, match)));
      ++log.counts[rules.name(match.rule)];
      ++log.total;
      graph = *std::move(next);
      applied = true;
      break;
    }
    if (!applied) break;
  }
  graph.Compact();  // drop what the rewrites left dead (Apply sweeps only now and then)
  return log;
}

}  // namespace gsopt::rewrites
