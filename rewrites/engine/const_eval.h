// Evaluation of a rule's declarative expressions (`let` bodies and condition
// arguments) against a match. Arithmetic on constants runs through gsopt's own
// CPU kernels (Add, MatMul, Concat, Pad, ...), so a folded weight is computed
// exactly as the executor would compute the unfolded graph, and no second
// implementation of broadcasting or dtype dispatch exists to disagree with it.
//
// Literals and attribute parameters are "weak" scalars or lists (as numpy
// scalars are): in `add(%v, ?eps)` the epsilon takes %v's dtype.
#ifndef GSOPT_REWRITES_ENGINE_CONST_EVAL_H_
#define GSOPT_REWRITES_ENGINE_CONST_EVAL_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/tensor.h"
#include "rewrites/engine/rule_engine.h"
#include "rewrites/rules/rule_table.h"

namespace gsopt::rewrites::internal {

// The value of an expression: a tensor (possibly weakly typed) or a string.
struct ExprValue {
  std::optional<ir::Tensor> tensor;
  std::optional<std::string> str;
  bool weak = false;  // from a literal or a parameter: adopts the other operand's dtype
};

// Evaluates expressions for one match. Values of `let` variables are
// computed on first use and cached, so conditions that read them and the
// target that instantiates them share one evaluation.
class ExprEvaluator {
 public:
  ExprEvaluator(const ir::Graph& graph, const CompiledRule& rule, const Match& match)
      : graph_(graph), rule_(rule), match_(match) {}

  absl::StatusOr<ExprValue> Evaluate(const rules::ConstExpr& expr);
  // The tensor a `let` variable names (evaluating it and earlier lets as needed).
  absl::StatusOr<ir::Tensor> LetValue(const std::string& variable);
  bool IsLet(const std::string& variable) const;

 private:
  absl::StatusOr<ExprValue> Call(const rules::ConstExpr& expr);
  // The graph value a source variable is bound to, for the functions that
  // read a type (dim, rank_of, shape_of) rather than constant data.
  absl::StatusOr<const ir::Value*> BoundValue(const rules::ConstExpr& var, absl::string_view fn) const;

  const ir::Graph& graph_;
  const CompiledRule& rule_;
  const Match& match_;
  std::map<std::string, ir::Tensor> lets_;
};

// Converts a parameter's attribute to an expression value.
absl::StatusOr<ExprValue> AttributeToValue(const ir::Attribute& attribute);
// Converts a literal to an attribute (ints stay int64, floats become float).
ir::Attribute LiteralToAttribute(const rules::Literal& literal);
// Whether `a` and `b` hold the same numbers (same element count, equal values).
bool SameNumbers(const ir::Tensor& a, const ir::Tensor& b);

}  // namespace gsopt::rewrites::internal

#endif  // GSOPT_REWRITES_ENGINE_CONST_EVAL_H_
