// `gsopt optimize MODEL -o OUT`: runs the optimization pipeline, checks the
// optimized graph against the original on random inputs (on by default; a
// failed check means OUT is not written), writes OUT atomically and prints a
// before/after summary.
#include <chrono>
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "backend/cost/flops.h"
#include "rewrites/pass.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"
#include "verifier/random/differential.h"

namespace gsopt::cli {
namespace {

struct GraphStats {
  int nodes = 0;
  int64_t initializers = 0;
  int64_t parameters = 0;
  int64_t flops = 0;
  std::map<std::string, int> ops;
};

GraphStats StatsOf(const ir::Graph& g) {
  GraphStats s;
  s.nodes = g.num_live_nodes();
  for (ir::ValueId id : g.Initializers()) {
    ++s.initializers;
    s.parameters += g.value(id).initializer->num_elements();
  }
  s.flops = backend::CountFlops(g).total;
  for (ir::NodeId n : g.LiveNodes()) s.ops[g.node(n).op_type]++;
  return s;
}

}  // namespace

int OptimizeCommand(const std::vector<std::string>& args) {
  ArgSpec spec("optimize", "MODEL -o OUT",
               "Optimizes MODEL and writes OUT (.onnx or .gsir). OUT is checked against MODEL on\n"
               "random inputs first; if they differ, OUT is not written and the exit code is 3.\n"
               "Today's pipeline: constant folding, Identity/Dropout/no-op Cast removal, dead-code\n"
               "elimination.");
  spec.Option("output", "OUT", "output file", "o")
      .Switch("no-verify", "skip the random-input check of OUT against MODEL (not recommended)")
      .Option("trials", "N", "random input sets for the check (default 3)")
      .Option("rtol", "R", "relative tolerance of the check (default 1e-3)")
      .Option("atol", "A", "absolute tolerance of the check (default 1e-4)")
      .Option("seed", "S", "seed of the check's random inputs (default 0)")
      .Repeated("dim", "SYMBOL=VALUE", "value of a symbolic dim for the check (default 1)")
      .Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input (enables more folding)");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  std::optional<std::string> out = parsed.Get("output");
  if (!out) {
    std::fprintf(stderr, "gsopt optimize: -o OUT is required\n");
    return kExitUsage;
  }
  const std::string& path = parsed.positional()[0];
  absl::StatusOr<LoadOptions> load_options = LoadOptionsFromArgs(parsed);
  absl::StatusOr<verifier::RandomInputOptions> random_options = RandomInputOptionsFromArgs(parsed);
  absl::StatusOr<int64_t> trials = parsed.GetInt("trials", 3);
  absl::StatusOr<double> rtol = parsed.GetDouble("rtol", 1e-3);
  absl::StatusOr<double> atol = parsed.GetDouble("atol", 1e-4);
  for (const absl::Status& s : {load_options.status(), random_options.status(), trials.status(), rtol.status(), atol.status()}) {
    if (!s.ok()) return ReportError("optimize", s);
  }
  absl::StatusOr<ir::Graph> original = LoadModel(path, *load_options);
  if (!original.ok()) return ReportError("optimize", original.status());

  auto start = std::chrono::steady_clock::now();
  ir::Graph optimized = *original;  // shares the weights, copies the structure
  rewrites::PassPipeline pipeline = rewrites::MakeCleanupPipeline();
  if (absl::Status s = pipeline.Run(optimized); !s.ok()) {
    return ReportError("optimize", absl::Status(s.code(), absl::StrCat(path, ": ", s.message())));
  }
  double optimize_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  GraphStats before = StatsOf(*original), after = StatsOf(optimized);
  std::printf("optimized %s in %.1f ms\n\n", path.c_str(), optimize_ms);
  std::printf("  %-14s %12s %12s\n", "", "before", "after");
  std::printf("  %-14s %12d %12d\n", "nodes", before.nodes, after.nodes);
  std::printf("  %-14s %12lld %12lld\n", "initializers", static_cast<long long>(before.initializers),
              static_cast<long long>(after.initializers));
  std::printf("  %-14s %12s %12s\n", "parameters", HumanCount(static_cast<double>(before.parameters)).c_str(),
              HumanCount(static_cast<double>(after.parameters)).c_str());
  std::printf("  %-14s %12s %12s\n", "FLOPs", HumanCount(static_cast<double>(before.flops)).c_str(),
              HumanCount(static_cast<double>(after.flops)).c_str());
  std::map<std::string, std::pair<int, int>> op_changes;
  for (const auto& [op, n] : before.ops) op_changes[op].first = n;
  for (const auto& [op, n] : after.ops) op_changes[op].second = n;
  std::string changes;
  for (const auto& [op, counts] : op_changes) {
    if (counts.first != counts.second) absl::StrAppend(&changes, changes.empty() ? "" : ", ", op, " ", counts.first, "->", counts.second);
  }
  std::printf("  op changes: %s\n", changes.empty() ? "none" : changes.c_str());
  std::map<std::string, int> pass_counts;
  for (const rewrites::PassRecord& r : pipeline.log()) pass_counts[r.pass]++;
  std::string passes;
  for (const auto& [name, n] : pass_counts) absl::StrAppend(&passes, passes.empty() ? "" : ", ", name, " x", n);
  std::printf("  passes that changed the graph: %s\n\n", passes.empty() ? "none" : passes.c_str());

  if (parsed.Has("no-verify")) {
    std::printf("verification: skipped (--no-verify)\n");
  } else {
    verifier::DifferentialOptions options;
    options.trials = static_cast<int>(*trials);
    options.inputs = *random_options;
    options.tolerance = {*rtol, *atol};
    absl::StatusOr<verifier::DifferentialReport> report = verifier::CompareGraphs(optimized, *original, options);
    if (!report.ok()) {
      return ReportError("optimize", absl::Status(report.status().code(),
                                                  absl::StrCat(path, ": cannot verify the result (", report.status().message(),
                                                               "); nothing written. Use --no-verify to write it unchecked")));
    }
    std::printf("verification: %s\n", report->Summary().c_str());
    if (!report->matches) {
      std::fprintf(stderr, "gsopt optimize: error: %s: the optimized graph differs from the original; %s not written\n",
                   path.c_str(), out->c_str());
      return kExitCheckFailed;
    }
  }
  if (absl::Status s = SaveModel(optimized, *out, path); !s.ok()) return ReportError("optimize", s);
  std::printf("wrote %s\n", out->c_str());
  return kExitOk;
}

}  // namespace gsopt::cli
