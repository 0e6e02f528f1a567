// The probabilistic rule tester: checks a rewrite rule (generated or
// hand-written) by instantiating it at several random shapes and comparing
// the rule's source and target graphs on random inputs, in floating point
// within tolerances and, when every op of both graphs has exact field
// semantics, exactly over Z_p (field_eval.h). A rule the Z3 prover accepts but
// this tester refutes points at a wrong axiom. Thread-safe: it shares no
// mutable state, so the generator may test rules from several threads.
#ifndef GSOPT_VERIFIER_RANDOM_RULE_TESTER_H_
#define GSOPT_VERIFIER_RANDOM_RULE_TESTER_H_

#include <cstdint>
#include <string>

#include "rewrites/rules/rule_table.h"
#include "verifier/random/differential.h"

namespace gsopt::verifier {

struct RuleTestOptions {
  int shapes = 4;            // instances at different random shapes
  int trials_per_shape = 2;  // random inputs per instance
  uint64_t seed = 0;
  Tolerance tolerance;
  std::string rule_tests_dir = "rewrites/rules/tests";  // seeds for hand-written rules
};

enum class RuleTestOutcome { kPassed, kRefuted, kUntestable };

struct RuleTestResult {
  RuleTestOutcome outcome = RuleTestOutcome::kUntestable;
  int shapes_tested = 0;
  bool field_checked = false;
  std::string detail;  // the counterexample (shapes, what differed) or why untestable
};

RuleTestResult TestRule(const rewrites::rules::Rule& rule, const RuleTestOptions& options);

// "passed", "refuted", "untestable".
const char* RuleTestOutcomeName(RuleTestOutcome outcome);

}  // namespace gsopt::verifier

#endif  // GSOPT_VERIFIER_RANDOM_RULE_TESTER_H_
