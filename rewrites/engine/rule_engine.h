// The rule engine: finds where the rules of a rule table match a graph and
// applies them. A RuleSet compiles each rule once (ops resolved, a matching
// order chosen); FindMatches enumerates every match with its side conditions
// checked; Apply instantiates the target pattern, evaluating the rule's `let`
// constants (folded weights, concatenated weights) with gsopt's own CPU
// kernels, rewires the readers of the source's roots and drops the nodes and
// constants left dead. Weights are never copied unless a rule computes new
// ones: graphs share tensor buffers.
//
// Matching is a backtracking walk over the pattern nodes in an order chosen
// at compile time: from the last source node (a root) it follows producers of
// bound values first (a DAG walk up the graph, one candidate each) and
// consumers of bound values second (the way to a sibling of a multi-root
// pattern, e.g. the second Conv reading the same input). Distinct pattern
// nodes match distinct graph nodes, and a set of graph nodes is reported
// once, whatever the pattern's symmetries.
#ifndef GSOPT_REWRITES_ENGINE_RULE_ENGINE_H_
#define GSOPT_REWRITES_ENGINE_RULE_ENGINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/graph.h"
#include "ir/op_registry.h"
#include "rewrites/rules/rule_table.h"

namespace gsopt::rewrites {

// What a rule parameter (`?p`) is bound to: one attribute value, or for a
// rest binding (`..?a`) the set of remaining attributes.
using ParamValue = std::variant<ir::Attribute, ir::AttributeMap>;

// One place a rule matches.
struct Match {
  int rule = -1;                              // index into the RuleSet
  std::vector<ir::NodeId> nodes;              // graph node per source pattern node
  std::map<std::string, ir::ValueId> values;  // pattern variable -> graph value
  std::map<std::string, ParamValue> params;   // parameter -> attribute(s)
};

// A rule prepared for matching.
struct CompiledRule {
  rules::Rule rule;
  std::vector<int> order;           // pattern node indices in matching order
  std::vector<std::string> roots;   // source variables the target must define
  std::vector<std::string> leaves;  // source variables no source node defines
};

// Remembers the constants `let`s computed, keyed by the rule and the exact
// constant buffers and shapes the match bound. A search meets the same match
// in many graphs (every graph derived from one where it matched), and the
// lets (concatenated or folded weights) are most of the cost of a candidate;
// with the cache each is computed once and later candidates share the buffer,
// whose hash is then also computed once. Entries hold the input tensors, so a
// buffer address in a key can never be reused by other data while cached.
class LetCache {
 public:
  struct Entry {
    std::vector<ir::Tensor> inputs;  // keeps the keyed buffers alive
    std::map<std::string, ir::Tensor> lets;
  };
  const Entry* Find(const std::string& key) const;
  void Insert(std::string key, Entry entry);
  int64_t size() const { return static_cast<int64_t>(entries_.size()); }

 private:
  std::map<std::string, Entry> entries_;
};

class RuleSet {
 public:
  // Compiles every rule of `table`, validating it against `registry` first.
  static absl::StatusOr<RuleSet> Create(const rules::RuleTable& table, const ir::OpRegistry& registry,
                                        absl::string_view filename = "<rules>");
  // The rules built into gsopt: the hand-written library
  // (rewrites/rules/library.rules) followed, unless `hand_written_only`, by
  // the rules `gsopt rules generate` found and proved
  // (rewrites/rules/generated.rules).
  static absl::StatusOr<RuleSet> BuiltIn(bool hand_written_only = false);
  // Keeps only the rules whose names are listed; an unknown name is an error.
  absl::Status Restrict(const std::vector<std::string>& names);

  int size() const { return static_cast<int>(rules_.size()); }
  const CompiledRule& rule(int i) const { return rules_[static_cast<size_t>(i)]; }
  const std::string& name(int i) const { return rules_[static_cast<size_t>(i)].rule.name; }

  // Every match of every rule (in rule order, then graph order), conditions
  // checked. Shapes must have been inferred: conditions read them.
  std::vector<Match> FindMatches(const ir::Graph& graph) const;
  std::vector<Match> FindMatches(const ir::Graph& graph, int rule) const;

  // Applies a match found on `graph`, returning the rewritten graph
  // (topologically sorted, new nodes' shapes inferred, compacted once
  // removed nodes pile up; weights
  // shared with `graph`). An error means this match cannot be applied: a
  // `let` cannot be evaluated (say, a weight dtype no kernel folds), or, as
  // an Internal error, the rule is wrong (it would change a root's type).
  // With `cache`, let values are reused across calls (see LetCache).
  absl::StatusOr<ir::Graph> Apply(const Match& match, const ir::Graph& graph, LetCache* cache = nullptr) const;

  // "conv1, bn1": the graph nodes a match covers, for reports.
  static std::string Describe(const ir::Graph& graph, const Match& match);

 private:
  std::vector<CompiledRule> rules_;
};

// The number of rewrites `RunToFixpoint` applied, by rule.
struct RewriteLog {
  std::map<std::string, int> counts;
  std::vector<std::string> applied;  // "rule @ nodes", in order
  int total = 0;
};

// Applies the first match of any rule until none matches, `max_rewrites` is
// reached, or (with `stop_after` >= 0) that many rewrites were applied. For
// rules that always improve (cleanups); the search decides the others.
absl::StatusOr<RewriteLog> RunToFixpoint(const RuleSet& rules, ir::Graph& graph, int max_rewrites = 10000,
                                         int stop_after = -1);

}  // namespace gsopt::rewrites

#endif  // GSOPT_REWRITES_ENGINE_RULE_ENGINE_H_
