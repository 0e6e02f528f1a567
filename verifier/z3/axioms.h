// The axiom language of the Z3 prover: operator semantics written once, in a
// declarative file (verifier/z3/axioms.txt), as universally quantified
// equalities between terms over uninterpreted tensors. The function symbols
// are the generator's op templates with their parameters (Concat's axis, the
// Conv padding, Reshape's target dims) as arguments, so an axiom is
// shape-generic, as in TASO. Each axiom also lists concrete instantiations
// (shapes and parameter values) on which the element-wise evaluator checks it,
// so a wrong axiom is caught rather than trusted. The file syntax is
// documented at the top of axioms.txt.
#ifndef GSOPT_VERIFIER_Z3_AXIOMS_H_
#define GSOPT_VERIFIER_Z3_AXIOMS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gsopt::verifier::z3prover {

// What a quantified variable or a function argument ranges over.
enum class ArgKind {
  kTensor,  // an uninterpreted tensor
  kInt,     // an integer parameter (axis, padding)
  kDims,    // an integer-list parameter (Reshape's target shape)
};

// A function symbol of the axiom language: `name(params..., tensors...)`.
struct FunctionSymbol {
  absl::string_view name;
  std::vector<ArgKind> args;
};

// The fixed table of function symbols (the op templates of the generator's op
// set); nullptr for an unknown name. `shape` is not in the table: it may only
// wrap both sides of a shape axiom.
const FunctionSymbol* FindFunctionSymbol(absl::string_view name);
const std::vector<FunctionSymbol>& AllFunctionSymbols();

struct AxiomTerm {
  enum class Kind { kVariable, kInt, kInts, kCall };
  Kind kind = Kind::kVariable;
  std::string name;  // variable or function symbol
  int64_t int_value = 0;
  std::vector<int64_t> ints_value;
  std::vector<AxiomTerm> args;
};

// `same_shape(a, b)` or `scalar(s)`: the axiom holds for tensors that satisfy it.
struct AxiomCondition {
  std::string predicate;
  std::vector<std::string> variables;
};

// One concrete instantiation: tensor variables get dims, int parameters a
// value, dims parameters a list.
struct AxiomInstance {
  std::map<std::string, std::vector<int64_t>> tensor_dims;
  std::map<std::string, int64_t> ints;
  std::map<std::string, std::vector<int64_t>> dims;
  int line = 0;
};

struct Axiom {
  std::string name;
  std::string comment;
  int line = 0;
  std::map<std::string, ArgKind> variables;
  std::vector<AxiomCondition> conditions;
  // A shape axiom states shape(lhs) == shape(rhs) rather than lhs == rhs.
  bool is_shape_axiom = false;
  AxiomTerm lhs;
  AxiomTerm rhs;
  std::vector<AxiomInstance> checks;
};

class AxiomSet {
 public:
  AxiomSet() = default;
  const std::vector<Axiom>& axioms() const { return axioms_; }
  const Axiom* Find(absl::string_view name) const;
  const std::string& filename() const { return filename_; }
  // For tests that build a variant of a set (e.g. add a deliberately wrong axiom).
  void Add(Axiom axiom) { axioms_.push_back(std::move(axiom)); }

 private:
  friend absl::StatusOr<AxiomSet> ParseAxioms(absl::string_view text, absl::string_view filename);
  std::vector<Axiom> axioms_;
  std::string filename_;
};

// Parses an axiom file; errors are located ("axioms.txt:12: axiom 'x': ...").
// Every axiom must have at least one `check`, and each check must bind every
// variable and satisfy the axiom's conditions.
absl::StatusOr<AxiomSet> ParseAxioms(absl::string_view text, absl::string_view filename);

// verifier/z3/axioms.txt, embedded at configure time and parsed once.
const AxiomSet& BuiltInAxioms();

// "matmul(add(a, b), c)": for messages.
std::string TermToString(const AxiomTerm& term);

}  // namespace gsopt::verifier::z3prover

#endif  // GSOPT_VERIFIER_Z3_AXIOMS_H_
