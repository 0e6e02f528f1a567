// Implementation of the differential tester.
#include "verifier/random/differential.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backend/cpu/executor.h"

namespace gsopt::verifier {

TensorDiff CompareTensors(const std::string& name, const ir::Tensor& actual, const ir::Tensor& expected,
                          const Tolerance& tolerance) {
  TensorDiff diff;
  diff.name = name;
  if (actual.dtype() != expected.dtype()) {
    diff.matches = false;
    diff.problem = absl::StrCat("type ", ir::DTypeName(actual.dtype()), " vs expected ",
                                ir::DTypeName(expected.dtype()));
    return diff;
  }
  if (actual.dims() != expected.dims()) {
    diff.matches = false;
    diff.problem = absl::StrCat("shape ", actual.type().shape.ToString(), " vs expected ",
                                expected.type().shape.ToString());
    return diff;
  }
  if (actual.dtype() == ir::DType::kString) {
    diff.matches = actual.strings() == expected.strings();
    if (!diff.matches) diff.problem = "string contents differ";
    return diff;
  }
  bool numeric = ir::IsFloatingPoint(actual.dtype()) || ir::IsInteger(actual.dtype()) ||
                 actual.dtype() == ir::DType::kBool;
  if (!numeric) {
    diff.matches = actual.BitwiseEquals(expected);  // packed, complex, float8: exact bits
    if (!diff.matches) diff.problem = "contents differ";
    return diff;
  }
  bool exact = !ir::IsFloatingPoint(actual.dtype());
  for (int64_t i = 0; i < actual.num_elements(); ++i) {
    double a = actual.GetAsDouble(i);
    double e = expected.GetAsDouble(i);
    bool ok;
    double abs_error = 0;
    if (exact) {
      ok = actual.GetAsInt64(i) == expected.GetAsInt64(i);
      abs_error = std::fabs(a - e);
    } else if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
      abs_error = ok ? 0 : INFINITY;
    } else if (std::isinf(e) || std::isinf(a)) {
      ok = a == e;
      abs_error = ok ? 0 : INFINITY;
    } else {
      abs_error = std::fabs(a - e);
      ok = abs_error <= tolerance.atol + tolerance.rtol * std::fabs(e);
      if (std::fabs(e) > tolerance.atol) diff.max_rel_error = std::max(diff.max_rel_error, abs_error / std::fabs(e));
    }
    diff.max_abs_error = std::max(diff.max_abs_error, abs_error);
    if (!ok) {
      if (diff.mismatched_elements == 0) {
        diff.problem = absl::StrCat("element ", i, ": got ", a, ", expected ", e);
      }
      ++diff.mismatched_elements;
      diff.matches = false;
    }
  }
  return diff;
}

std::string DifferentialReport::Summary() const {
  std::string out = absl::StrFormat("%s over %d random trial%s: max abs error %.3g, max rel error %.3g",
                                    matches ? "outputs match" : "OUTPUTS DIFFER", trials,
                                    trials == 1 ? "" : "s", max_abs_error, max_rel_error);
  for (const TensorDiff& d : outputs) {
    if (!d.matches) absl::StrAppend(&out, "; output '", d.name, "': ", d.problem);
  }
  return out;
}

absl::StatusOr<DifferentialReport> CompareGraphs(const ir::Graph& candidate, const ir::Graph& reference,
                                                 const DifferentialOptions& options) {
  if (candidate.outputs().size() != reference.outputs().size()) {
    return absl::InvalidArgumentError(absl::StrCat("graphs have ", candidate.outputs().size(), " and ",
                                                   reference.outputs().size(), " outputs"));
  }
  absl::StatusOr<backend::cpu::CpuExecutor> run_candidate = backend::cpu::CpuExecutor::Create(candidate);
  if (!run_candidate.ok()) return run_candidate.status();
  absl::StatusOr<backend::cpu::CpuExecutor> run_reference = backend::cpu::CpuExecutor::Create(reference);
  if (!run_reference.ok()) return run_reference.status();

  DifferentialReport report;
  report.outputs.resize(reference.outputs().size());
  for (int trial = 0; trial < options.trials; ++trial) {
    RandomInputOptions input_options = options.inputs;
    input_options.seed += static_cast<uint64_t>(trial);
    absl::StatusOr<std::vector<ir::Tensor>> inputs = MakeRandomInputs(reference, input_options);
    if (!inputs.ok()) return inputs.status();
    std::map<std::string, ir::Tensor> named;
    for (size_t i = 0; i < inputs->size(); ++i) named[reference.value(reference.inputs()[i]).name] = (*inputs)[i];
    std::vector<ir::Tensor> candidate_inputs;
    for (ir::ValueId id : candidate.inputs()) {
      auto it = named.find(candidate.value(id).name);
      if (it == named.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("input '", candidate.value(id).name, "' is not an input of the reference graph"));
      }
      candidate_inputs.push_back(it->second);
    }
    absl::StatusOr<std::vector<ir::Tensor>> expected = run_reference->Run(*inputs);
    if (!expected.ok()) {
      return absl::Status(expected.status().code(),
                          absl::StrCat("running the reference graph: ", expected.status().message()));
    }
    absl::StatusOr<std::vector<ir::Tensor>> actual = run_candidate->Run(candidate_inputs);
    if (!actual.ok()) {
      return absl::Status(actual.status().code(),
                          absl::StrCat("running the candidate graph: ", actual.status().message()));
    }
    ++report.trials;
    for (size_t k = 0; k < expected->size(); ++k) {
      TensorDiff d = CompareTensors(reference.value(reference.outputs()[k]).name, (*actual)[k], (*expected)[k],
                                    options.tolerance);
      report.max_abs_error = std::max(report.max_abs_error, d.max_abs_error);
      report.max_rel_error = std::max(report.max_rel_error, d.max_rel_error);
      TensorDiff& worst = report.outputs[k];
      if (trial == 0 || (!d.matches && worst.matches) || d.max_abs_error > worst.max_abs_error) worst = d;
      if (!d.matches) report.matches = false;
    }
  }
  return report;
}

}  // namespace gsopt::verifier
