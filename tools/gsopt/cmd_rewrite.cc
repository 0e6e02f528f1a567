// `gsopt rewrite MODEL -o OUT --rules A,B`: applies rules wherever they match,
// whatever the cost, until none matches (or --stop-after N rewrites), then
// checks OUT against MODEL on random inputs like optimize does. It is how a
// rule is tested (tests/rules) and how a bad rewrite is bisected: the search
// decides whether a rewrite pays, this command only whether it is sound.
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rewrites/passes/passes.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"
#include "tools/gsopt/rule_args.h"
#include "verifier/random/differential.h"

namespace gsopt::cli {

int RewriteCommand(const std::vector<std::string>& args) {
  ArgSpec spec("rewrite", "MODEL -o OUT",
               "Applies the chosen rules to MODEL until none matches, checks the result against\n"
               "MODEL on random inputs and writes OUT (not written if they differ: exit code 3).");
  spec.Option("output", "OUT", "output file", "o").Option("stop-after", "N", "apply at most N rewrites");
  AddRuleOptions(spec);
  spec.Switch("no-verify", "skip the random-input check")
      .Option("trials", "N", "random input sets for the check (default 3)")
      .Option("seed", "S", "seed of the check's random inputs (default 0)")
      .Repeated("dim", "SYMBOL=VALUE", "value of a symbolic dim for the check (default 1)")
      .Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  std::optional<std::string> out = parsed.Get("output");
  if (!out) {
    std::fprintf(stderr, "gsopt rewrite: -o OUT is required\n");
    return kExitUsage;
  }
  const std::string& path = parsed.positional()[0];
  absl::StatusOr<LoadOptions> load_options = LoadOptionsFromArgs(parsed);
  absl::StatusOr<verifier::RandomInputOptions> random_options = RandomInputOptionsFromArgs(parsed);
  absl::StatusOr<int64_t> stop_after = parsed.GetInt("stop-after", -1);
  absl::StatusOr<int64_t> trials = parsed.GetInt("trials", 3);
  for (const absl::Status& s : {load_options.status(), random_options.status(), stop_after.status(), trials.status()}) {
    if (!s.ok()) return ReportUsageError("rewrite", s);
  }
  absl::StatusOr<rewrites::RuleSet> rules = RulesFromArgs(parsed);
  if (!rules.ok()) {  // a rule table that does not parse is a file error, a bad name a usage error
    return parsed.Has("rules-file") ? ReportError("rewrite", rules.status())
                                    : ReportUsageError("rewrite", rules.status());
  }
  absl::StatusOr<ir::Graph> original = LoadModel(path, *load_options);
  if (!original.ok()) return ReportError("rewrite", original.status());

  ir::Graph rewritten = *original;
  absl::StatusOr<rewrites::RewriteLog> log =
      rewrites::RunToFixpoint(*rules, rewritten, 10000, static_cast<int>(*stop_after));
  if (!log.ok())
    return ReportError("rewrite", absl::Status(log.status().code(), absl::StrCat(path, ": ", log.status().message())));
  std::printf("applied %d rewrite%s\n", log->total, log->total == 1 ? "" : "s");
  for (const std::string& step : log->applied) std::printf("  %s\n", step.c_str());

  if (!absl::EndsWith(*out, ".gsir")) {  // ONNX files hold only standard ops
    absl::StatusOr<bool> lowered = rewrites::CreateLowerInternalOpsPass()->Run(rewritten);
    if (!lowered.ok()) return ReportError("rewrite", lowered.status());
    if (*lowered) std::printf("lowered gsopt's fused ops to standard ONNX\n");
  }
  if (parsed.Has("no-verify")) {
    std::printf("verification: skipped (--no-verify)\n");
  } else {
    verifier::DifferentialOptions options;
    options.trials = static_cast<int>(*trials);
    options.inputs = *random_options;
    absl::StatusOr<verifier::DifferentialReport> report = verifier::CompareGraphs(rewritten, *original, options);
    if (!report.ok()) {
      return ReportError("rewrite",
                         absl::Status(report.status().code(),
                                      absl::StrCat(path, ": cannot verify the result: ", report.status().message())));
    }
    std::printf("verification: %s\n", report->Summary().c_str());
    if (!report->matches) {
      std::fprintf(stderr, "gsopt rewrite: error: %s: the rewritten graph differs from the original; %s not written\n",
                   path.c_str(), out->c_str());
      return kExitCheckFailed;
    }
  }
  if (absl::Status s = SaveModel(rewritten, *out, path); !s.ok()) return ReportError("rewrite", s);
  std::printf("wrote %s\n", out->c_str());
  return kExitOk;
}

}  // namespace gsopt::cli
