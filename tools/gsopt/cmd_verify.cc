// `gsopt verify A B`: do two models compute the same function? Runs both on
// the same seeded random inputs and reports the largest error.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"
#include "verifier/random/differential.h"

namespace gsopt::cli {

int VerifyCommand(const std::vector<std::string>& args) {
  ArgSpec spec("verify", "A B",
               "Runs models A and B on the same random inputs and compares every output.\n"
               "Exits 0 when they agree within tolerance, 3 when they differ.");
  spec.Option("trials", "N", "number of random input sets (default 3)")
      .Option("rtol", "R", "relative tolerance (default 1e-3)")
      .Option("atol", "A", "absolute tolerance (default 1e-4)")
      .Option("seed", "S", "seed of the first trial (default 0)")
      .Repeated("dim", "SYMBOL=VALUE", "value of a symbolic dim (default 1)")
      .Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input (both models)");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 2, 2, &parsed)) return *exit;
  absl::StatusOr<LoadOptions> load_options = LoadOptionsFromArgs(parsed);
  absl::StatusOr<verifier::RandomInputOptions> random_options = RandomInputOptionsFromArgs(parsed);
  absl::StatusOr<int64_t> trials = parsed.GetInt("trials", 3);
  absl::StatusOr<double> rtol = parsed.GetDouble("rtol", 1e-3);
  absl::StatusOr<double> atol = parsed.GetDouble("atol", 1e-4);
  for (const absl::Status& s : {load_options.status(), random_options.status(), trials.status(), rtol.status(), atol.status()}) {
    if (!s.ok()) return ReportError("verify", s);
  }
  absl::StatusOr<ir::Graph> a = LoadModel(parsed.positional()[0], *load_options);
  if (!a.ok()) return ReportError("verify", a.status());
  absl::StatusOr<ir::Graph> b = LoadModel(parsed.positional()[1], *load_options);
  if (!b.ok()) return ReportError("verify", b.status());
  verifier::DifferentialOptions options;
  options.trials = static_cast<int>(*trials);
  options.inputs = *random_options;
  options.tolerance = {*rtol, *atol};
  absl::StatusOr<verifier::DifferentialReport> report = verifier::CompareGraphs(*a, *b, options);
  if (!report.ok()) return ReportError("verify", report.status());
  std::printf("%s vs %s: %s\n", parsed.positional()[0].c_str(), parsed.positional()[1].c_str(), report->Summary().c_str());
  return report->matches ? kExitOk : kExitCheckFailed;
}

}  // namespace gsopt::cli
