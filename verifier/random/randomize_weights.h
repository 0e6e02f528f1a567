// Replaces a model's weights by seeded random values of a sensible scale,
// keeping the architecture. Models whose weights are all equal (the ONNX
// "light" zoo files) or zero make wrong rewrites invisible: a uniform softmax
// looks right whatever happens before it. Randomized weights make every
// output depend on every op.
//
// A weight is recognized by where it is read: the W/B of Conv, Gemm and
// MatMul, the parameters of normalizations, the constant operand of
// Add/Sub/Mul/Div, PRelu slopes, embedding tables. Other constants (shapes,
// axes, Resize scales, Pad values, epsilons, the scalars in GELU) keep their
// values, since changing them changes what the model means.
#ifndef GSOPT_VERIFIER_RANDOM_RANDOMIZE_WEIGHTS_H_
#define GSOPT_VERIFIER_RANDOM_RANDOMIZE_WEIGHTS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace gsopt::verifier {

struct RandomizeWeightsReport {
  int randomized = 0;        // constants given random values
  int64_t elements = 0;      // elements in them
  int materialized = 0;      // ConstantOfShape/Constant weights turned into initializers
  int kept = 0;              // float constants left as they were (not weights)
};

absl::StatusOr<RandomizeWeightsReport> RandomizeWeights(ir::Graph& graph, uint64_t seed);

}  // namespace gsopt::verifier

#endif  // GSOPT_VERIFIER_RANDOM_RANDOMIZE_WEIGHTS_H_
