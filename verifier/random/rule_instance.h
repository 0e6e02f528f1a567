// Turns a rewrite rule into a concrete pair of graphs to compare: the rule's
// source pattern built as a graph at randomly chosen small shapes (satisfying
// the rule's own conditions, so that the rule matches it) and the graph the
// rule engine produces from it. The random rule tester runs both on random
// inputs; anything the rule gets wrong about shapes, axes or constants shows
// up as a difference between them.
//
// Shapes are found by unifying the dims the ops' typing forces equal (MatMul's
// inner dims, Conv channels, operands of elementwise ops, same_shape and
// eq(dim(..), ..) conditions), then drawing a random size for every free dim
// and keeping the first draw on which shape inference succeeds and the rule
// matches. Hand-written rules whose conditions this cannot satisfy (specific
// split sizes, inverse permutations, ...) fall back to the graphs in
// rewrites/rules/tests/NAME.fires*.gsir, from which the matched subgraph is cut.
#ifndef GSOPT_VERIFIER_RANDOM_RULE_INSTANCE_H_
#define GSOPT_VERIFIER_RANDOM_RULE_INSTANCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "rewrites/rules/rule_table.h"

namespace gsopt::verifier {

struct InstanceOptions {
  uint64_t seed = 0;
  int64_t max_dim = 5;
  int tries = 200;
  // Where NAME.fires*.gsir seeds for hand-written rules live; empty disables
  // the fallback.
  std::string rule_tests_dir = "rewrites/rules/tests";
};

struct RuleInstance {
  ir::Graph source;  // float leaves are graph inputs, constant leaves initializers; outputs = source roots
  ir::Graph target;  // the source rewritten by the rule engine, same inputs and outputs
  std::map<std::string, std::vector<int64_t>> leaf_dims;  // chosen shapes by variable name
  std::map<std::string, ir::Attribute> params;            // chosen values of ?params
  bool from_test_file = false;                            // built from a .fires.gsir seed
};

// NotFound (with the reason) when no instance could be built; Internal when
// the rule is wrong on its own source: the engine refuses the rewrite because
// it would change a root's type, or a target node does not type-check.
absl::StatusOr<RuleInstance> InstantiateRule(const rewrites::rules::Rule& rule, const InstanceOptions& options);

}  // namespace gsopt::verifier

#endif  // GSOPT_VERIFIER_RANDOM_RULE_INSTANCE_H_
