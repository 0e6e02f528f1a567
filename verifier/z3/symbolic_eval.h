// Element-wise symbolic evaluation in Z3: a tensor of concrete shape whose
// elements are Z3 Real terms, and the ops of the generator's op set computed
// element by element (MatMul, Conv and AveragePool as sums of products, Relu
// and MaxPool via ite, Div as real division, Sigmoid/Tanh/Erf/Sqrt as
// uninterpreted real functions shared by everything one evaluator computes).
// Two evaluations of one evaluator over the same input elements can then be
// compared by a solver: this checks the axioms on their concrete
// instantiations and gives bounded proofs or counterexamples for rules.
#ifndef GSOPT_VERIFIER_Z3_SYMBOLIC_EVAL_H_
#define GSOPT_VERIFIER_Z3_SYMBOLIC_EVAL_H_

#include <z3++.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "verifier/z3/axioms.h"

namespace gsopt::verifier::z3prover {

// A tensor of Real terms (row-major), or an integer tensor (shapes, pads)
// carried as plain int64 because its values index and size.
struct SymTensor {
  std::vector<int64_t> dims;
  std::vector<z3::expr> elements;  // when !is_int
  std::vector<int64_t> ints;       // when is_int
  bool is_int = false;
  int64_t num_elements() const;
};

std::string DimsToString(const std::vector<int64_t>& dims);

class SymbolicEvaluator {
 public:
  explicit SymbolicEvaluator(z3::context& ctx);

  z3::context& ctx() { return ctx_; }
  // A tensor of fresh Real constants named "name[i]".
  SymTensor Fresh(const std::string& name, const std::vector<int64_t>& dims);
  // An exact Real for a double (binary fractions are exact rationals).
  z3::expr RealFromDouble(double value);

  // What the evaluations so far assumed: every divisor element is non-zero.
  const std::vector<z3::expr>& assumptions() const { return assumptions_; }

  absl::StatusOr<SymTensor> MatMul(const SymTensor& a, const SymTensor& b);
  // x [N,C,H,W], w [M,C/group,kh,kw]; pads [top, left, bottom, right].
  absl::StatusOr<SymTensor> Conv(const SymTensor& x, const SymTensor& w, const SymTensor* bias,
                                 const std::vector<int64_t>& pads, const std::vector<int64_t>& strides,
                                 const std::vector<int64_t>& dilations, int64_t group);
  // op is one of Add, Sub, Mul, Div; numpy broadcasting.
  absl::StatusOr<SymTensor> Binary(absl::string_view op, const SymTensor& a, const SymTensor& b);
  // op is one of Relu, Sigmoid, Tanh, Erf, Sqrt, Neg, Identity.
  absl::StatusOr<SymTensor> Unary(absl::string_view op, const SymTensor& x);
  absl::StatusOr<SymTensor> Concat(int64_t axis, const std::vector<const SymTensor*>& inputs);
  absl::StatusOr<std::vector<SymTensor>> Split(int64_t axis, const SymTensor& x, const std::vector<int64_t>& sizes);
  absl::StatusOr<SymTensor> Transpose(const SymTensor& x, std::vector<int64_t> perm);
  // ONNX Reshape semantics: 0 copies a dim, -1 is inferred.
  absl::StatusOr<SymTensor> Reshape(const SymTensor& x, const std::vector<int64_t>& shape);
  // ONNX Pad (constant mode, zero value): pads are [begins..., ends...], non-negative.
  absl::StatusOr<SymTensor> Pad(const SymTensor& x, const std::vector<int64_t>& pads);
  absl::StatusOr<SymTensor> Pool(const SymTensor& x, bool is_max, const std::vector<int64_t>& kernel,
                                 const std::vector<int64_t>& pads, const std::vector<int64_t>& strides,
                                 bool count_include_pad);
  absl::StatusOr<SymTensor> ReduceMean(const SymTensor& x, std::vector<int64_t> axes, bool keepdims);
  absl::StatusOr<SymTensor> BatchNorm(const SymTensor& x, const SymTensor& scale, const SymTensor& bias,
                                      const SymTensor& mean, const SymTensor& var, double epsilon);

  // Evaluates a term of the axiom language under concrete bindings.
  absl::StatusOr<SymTensor> EvalTerm(const AxiomTerm& term, const std::map<std::string, SymTensor>& tensors,
                                     const std::map<std::string, int64_t>& ints,
                                     const std::map<std::string, std::vector<int64_t>>& dims);

  // Evaluates one node of a graph (ONNX semantics of the supported ops; the
  // others give Unimplemented naming the node).
  absl::StatusOr<std::vector<SymTensor>> EvalNode(const ir::Node& node, const std::vector<const SymTensor*>& inputs);
  // Evaluates a graph; runtime inputs come from `inputs` by name, float
  // initializers become exact Real constants, integer ones stay integers.
  absl::StatusOr<std::vector<SymTensor>> EvalGraph(const ir::Graph& graph,
                                                   const std::map<std::string, SymTensor>& inputs);

 private:
  z3::expr Divide(const z3::expr& numerator, const z3::expr& denominator);

  z3::context& ctx_;
  z3::func_decl sigmoid_;
  z3::func_decl tanh_;
  z3::func_decl erf_;
  z3::func_decl sqrt_;
  std::vector<z3::expr> assumptions_;
};

}  // namespace gsopt::verifier::z3prover

#endif  // GSOPT_VERIFIER_Z3_SYMBOLIC_EVAL_H_
