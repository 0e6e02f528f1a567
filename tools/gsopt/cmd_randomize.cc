// `gsopt randomize-weights MODEL -o OUT`: the same architecture with seeded
// random weights of a realistic scale (see verifier/random/randomize_weights.h).
#include <cstdio>

#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"
#include "verifier/random/randomize_weights.h"

namespace gsopt::cli {

int RandomizeWeightsCommand(const std::vector<std::string>& args) {
  ArgSpec spec("randomize-weights", "MODEL -o OUT",
               "Replaces the weights of MODEL (Conv/Gemm/MatMul weights and biases, normalization\n"
               "parameters, embedding tables, constant Add/Mul operands) by seeded random values,\n"
               "keeping every other constant, and writes OUT.");
  spec.Option("output", "OUT", "output file", "o").Option("seed", "S", "random seed (default 0)");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  std::optional<std::string> out = parsed.Get("output");
  if (!out) {
    std::fprintf(stderr, "gsopt randomize-weights: -o OUT is required\n");
    return kExitUsage;
  }
  absl::StatusOr<int64_t> seed = parsed.GetInt("seed", 0);
  if (!seed.ok()) return ReportError("randomize-weights", seed.status());
  absl::StatusOr<ir::Graph> graph = LoadModel(parsed.positional()[0]);
  if (!graph.ok()) return ReportError("randomize-weights", graph.status());
  absl::StatusOr<verifier::RandomizeWeightsReport> report = verifier::RandomizeWeights(*graph, static_cast<uint64_t>(*seed));
  if (!report.ok()) return ReportError("randomize-weights", report.status());
  if (absl::Status s = SaveModel(*graph, *out, parsed.positional()[0]); !s.ok()) return ReportError("randomize-weights", s);
  std::printf("randomized %d weights (%s values, %d made from ConstantOfShape/Constant), kept %d other float constants; wrote %s\n",
              report->randomized, HumanCount(static_cast<double>(report->elements)).c_str(), report->materialized,
              report->kept, out->c_str());
  return kExitOk;
}

}  // namespace gsopt::cli
