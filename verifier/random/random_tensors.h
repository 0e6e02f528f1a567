// Seeded random tensors for testing: graph inputs for differential checks and
// weights of a realistic scale for `gsopt randomize-weights`. Everything is
// deterministic for a given seed so a failing check can be reproduced.
#ifndef GSOPT_VERIFIER_RANDOM_RANDOM_TENSORS_H_
#define GSOPT_VERIFIER_RANDOM_RANDOM_TENSORS_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace gsopt::verifier {

struct RandomInputOptions {
  uint64_t seed = 0;
  // Value for each symbolic dim by name; symbolic dims not listed take
  // `default_symbolic_dim`, unknown dims take 1.
  std::map<std::string, int64_t> symbolic_dims;
  int64_t default_symbolic_dim = 1;
  // Integer inputs are drawn from [int_low, int_high]: small non-negative
  // values are valid indices, masks and segment ids for almost every model.
  int64_t int_low = 0;
  int64_t int_high = 1;
};

// The concrete dims a graph input gets under `options`.
std::vector<int64_t> ConcreteDims(const ir::Shape& shape, const RandomInputOptions& options);

// One random tensor per runtime graph input, in graph.inputs() order.
// Floats are uniform in [-1, 1]; bools are fair coins.
absl::StatusOr<std::vector<ir::Tensor>> MakeRandomInputs(const ir::Graph& graph,
                                                         const RandomInputOptions& options);

// A tensor of `dtype` and `dims` with floats uniform in [low, high] (integers
// rounded). Fails for dtypes that have no numeric meaning (string, float8).
absl::StatusOr<ir::Tensor> RandomUniform(ir::DType dtype, const std::vector<int64_t>& dims, double low,
                                         double high, std::mt19937_64& rng);

}  // namespace gsopt::verifier

#endif  // GSOPT_VERIFIER_RANDOM_RANDOM_TENSORS_H_
