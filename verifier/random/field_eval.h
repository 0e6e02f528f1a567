// Exact evaluation over the finite field Z_p (p = 2^31 - 1) of the ops whose
// semantics are polynomial or rational in their float inputs: MatMul, Conv,
// Add, Sub, Mul, Div (by the field inverse), ReduceMean and AveragePool with
// count_include_pad (division by a count is multiplication by its inverse),
// and pure data movement (Concat, Split, Transpose, Reshape, Pad with zeros,
// Identity). Two such graphs that compute different functions disagree on
// random field inputs with probability at most degree/p (Schwartz-Zippel), and
// no rounding can hide or fake a difference, which floating point cannot
// promise. The rule generator fingerprints its multilinear graphs with this
// and the random rule tester checks rules with it (Mirage does the same).
#ifndef GSOPT_VERIFIER_RANDOM_FIELD_EVAL_H_
#define GSOPT_VERIFIER_RANDOM_FIELD_EVAL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/graph.h"

namespace gsopt::verifier::field {

inline constexpr uint64_t kPrime = 2147483647;  // 2^31 - 1: products fit in 64 bits

// A tensor over Z_p, or an integer tensor (shapes, pads, axes), which is
// carried as plain int64 because its values index and size, not compute.
struct FieldTensor {
  std::vector<int64_t> dims;
  std::vector<uint64_t> values;  // residues in [0, kPrime), row-major; when !is_int
  std::vector<int64_t> ints;     // when is_int
  bool is_int = false;
  int64_t num_elements() const;
  friend bool operator==(const FieldTensor&, const FieldTensor&) = default;
};

// Whether `node` has exact field semantics here (op and attributes: e.g.
// AveragePool only with count_include_pad=1, Pad only in constant mode with a
// zero value).
bool IsFieldEvaluable(const ir::Node& node);

// Evaluates one node. `inputs` are parallel to node.inputs (nullptr for an
// omitted optional input). Ops outside the field set give Unimplemented;
// shape errors give InvalidArgument naming the node.
absl::StatusOr<std::vector<FieldTensor>> EvalNode(const ir::Node& node, int64_t opset,
                                                  absl::Span<const FieldTensor* const> inputs);

// Evaluates a whole graph on `inputs` (by graph input name); initializers are
// converted: integer tensors as ints, float tensors must hold integral values
// (taken mod p) or the call fails. Returns the outputs in graph output order.
absl::StatusOr<std::vector<FieldTensor>> EvalGraph(const ir::Graph& graph,
                                                   const std::map<std::string, FieldTensor>& inputs);

// A tensor of uniform random residues, deterministic in `seed`.
FieldTensor RandomFieldTensor(const std::vector<int64_t>& dims, uint64_t seed);

// Field arithmetic.
inline uint64_t FieldAdd(uint64_t a, uint64_t b) {
  uint64_t s = a + b;
  return s >= kPrime ? s - kPrime : s;
}
inline uint64_t FieldSub(uint64_t a, uint64_t b) { return a >= b ? a - b : a + kPrime - b; }
// a, b < 2^31 so a*b < 2^62; since 2^31 = 1 (mod p), folding the high bits
// onto the low ones twice reduces without a division.
inline uint64_t FieldMul(uint64_t a, uint64_t b) {
  uint64_t x = a * b;
  x = (x & kPrime) + (x >> 31);
  x = (x & kPrime) + (x >> 31);
  return x >= kPrime ? x - kPrime : x;
}
uint64_t FieldInverse(uint64_t a);  // a != 0
uint64_t FieldFromInt(int64_t v);   // v mod p, for negative v too

}  // namespace gsopt::verifier::field

#endif  // GSOPT_VERIFIER_RANDOM_FIELD_EVAL_H_
