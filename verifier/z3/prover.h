// The Z3 prover for rewrite rules (issue 4, item 2). A rule is proved
// shape-generically, as TASO does: its source and target patterns become
// terms over uninterpreted tensors whose function symbols are the generator's
// op templates (verifier/z3/axioms.h), the axiom file supplies the operators'
// semantics as quantified equalities, and the rule holds when "axioms and
// source != target" is unsat. A rule the axioms do not prove in time is then
// checked element-wise at concrete shapes (symbolic tensor elements), which
// finds a counterexample for a wrong rule (kRefuted) or leaves it kUnknown
// with the reason; it is never waited on forever. The axioms themselves are
// checked element-wise on the instantiations the file lists (CheckAxioms), so
// a wrong axiom cannot silently prove a wrong rule.
//
// Every proof builds its own z3::context, so proofs may run concurrently on
// several threads.
#ifndef GSOPT_VERIFIER_Z3_PROVER_H_
#define GSOPT_VERIFIER_Z3_PROVER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "rewrites/rules/rule_table.h"
#include "verifier/z3/axioms.h"

namespace gsopt::verifier::z3prover {

namespace rules = ::gsopt::rewrites::rules;

enum class ProofOutcome { kProved, kRefuted, kUnknown };

struct ProofResult {
  ProofOutcome outcome = ProofOutcome::kUnknown;
  double seconds = 0;
  // Why the outcome is kUnknown (timeout after S s, op X not in the axioms, ...)
  // or kRefuted (the counterexample).
  std::string reason;
  // "axioms" (shape-generic) or "elementwise" (bounded, at concrete shapes).
  std::string method;
};

struct ProofOptions {
  // The limit of each Z3 call: the axiom proof and then, when it fails, the
  // element-wise check each get this much.
  double timeout_seconds = 10;
};

// Proved iff (axioms and source != target) is unsat within the timeout. When
// not proved, the bounded element-wise check runs (when the rule can be
// instantiated at concrete shapes) to find a counterexample.
ProofResult ProveRule(const rules::Rule& rule, const AxiomSet& axioms, const ProofOptions& options);

// The shape-generic proof alone, without the element-wise fallback.
ProofResult ProveRuleFromAxioms(const rules::Rule& rule, const AxiomSet& axioms, const ProofOptions& options);

// Bounded check of two graphs with the same inputs and outputs (by position):
// inputs become symbolic Real elements, float initializers exact constants.
// kProved here means "equal at these shapes" (method "elementwise"), kRefuted
// carries a counterexample. Divisors are assumed non-zero; Sigmoid, Tanh, Erf
// and Sqrt are uninterpreted functions, so a refutation through them means the
// graphs differ for some interpretation of those functions.
ProofResult CompareGraphsElementwise(const ir::Graph& source, const ir::Graph& target, const ProofOptions& options);

struct AxiomCheck {
  std::string axiom;
  bool holds = false;
  std::string detail;  // which instantiation failed and how, or what was checked
};

// Every axiom evaluated element-wise with Z3 on each of its concrete
// instantiations (symbolic tensor elements): catches a wrong axiom.
std::vector<AxiomCheck> CheckAxioms(const AxiomSet& axioms, const ProofOptions& options);

std::string ProofOutcomeName(ProofOutcome outcome);  // "proved", "refuted", "unknown"

}  // namespace gsopt::verifier::z3prover

#endif  // GSOPT_VERIFIER_Z3_PROVER_H_
