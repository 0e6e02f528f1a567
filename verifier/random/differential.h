// Differential testing: run two graphs that claim to compute the same
// function on the same seeded random inputs and compare every output within
// tolerances. This is the check `gsopt optimize` applies to its own result
// before writing it, and what `gsopt verify` reports.
#ifndef GSOPT_VERIFIER_RANDOM_DIFFERENTIAL_H_
#define GSOPT_VERIFIER_RANDOM_DIFFERENTIAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "verifier/random/random_tensors.h"

namespace gsopt::verifier {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-5;
};

struct TensorDiff {
  std::string name;
  bool matches = true;
  double max_abs_error = 0;
  double max_rel_error = 0;     // over elements with |expected| > atol
  int64_t mismatched_elements = 0;
  std::string problem;          // dtype/shape mismatch or first bad element
};

// Elementwise |actual - expected| <= atol + rtol * |expected|; NaN matches NaN
// and infinities must match exactly; integer and bool types compare exactly.
TensorDiff CompareTensors(const std::string& name, const ir::Tensor& actual, const ir::Tensor& expected,
                          const Tolerance& tolerance);

struct DifferentialReport {
  bool matches = true;
  int trials = 0;
  double max_abs_error = 0;
  double max_rel_error = 0;
  std::vector<TensorDiff> outputs;  // worst trial per output, in output order
  std::string Summary() const;      // one line for CLIs
};

struct DifferentialOptions {
  int trials = 3;
  RandomInputOptions inputs;  // seed of trial k is inputs.seed + k
  Tolerance tolerance;
};

// Runs `candidate` and `reference` on the same random inputs. The graphs must
// have the same runtime inputs (matched by name) and outputs (by position).
absl::StatusOr<DifferentialReport> CompareGraphs(const ir::Graph& candidate, const ir::Graph& reference,
                                                 const DifferentialOptions& options);

}  // namespace gsopt::verifier

#endif  // GSOPT_VERIFIER_RANDOM_DIFFERENTIAL_H_
