// `gsopt optimize MODEL -o OUT`: cleans the graph up (constant folding,
// no-op removal, dead code), searches for a cheaper equivalent graph with the
// rule library and the cost model, checks the result against the original on
// random inputs (on by default; a failed check means OUT is not written),
// writes OUT atomically and prints a report: cost before and after, the rules
// that fired, where the time went and the verification result.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backend/cost/cost_model.h"
#include "backend/cost/flops.h"
#include "ir/structural_hash.h"
#include "rewrites/pass.h"
#include "rewrites/passes/passes.h"
#include "search/rule_source.h"
#include "search/search.h"
#include "tools/gsopt/cli_cost_model.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"
#include "tools/gsopt/progress_line.h"
#include "tools/gsopt/rule_args.h"
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

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int OptimizeCommand(const std::vector<std::string>& args) {
  ArgSpec spec("optimize", "MODEL -o OUT",
               "Optimizes MODEL and writes OUT (.onnx or .gsir): cleanup passes (constant folding,\n"
               "Identity/Dropout/no-op Cast removal, dead code), then a search over the rule library\n"
               "guided by the analytical cost model. OUT is checked against MODEL on random inputs\n"
               "first; if they differ, OUT is not written and the exit code is 3.");
  spec.Option("output", "OUT", "output file", "o")
      .Option("search", "S",
              "search strategy: hybrid (greedy, then TASO backtracking; default), greedy, backtrack,\n"
              "or none (cleanup only)")
      .Option("alpha", "A",
              "backtracking relaxation: keep candidates cheaper than A x best (default 1.0; TASO uses\n"
              "1.05, which here mostly explores cost-neutral rewrites: seconds on BERT, no measured gain)")
      .Option("budget", "N", "maximum graphs expanded by the search (default 60)")
      .Option("time-limit", "S", "wall-clock limit of the search in seconds (default 3)")
      .Option("stop-after", "N", "apply at most N rewrites (to bisect a bad rewrite)");
  AddRuleOptions(spec);
  spec.Switch("no-verify", "skip the random-input check of OUT against MODEL (not recommended)")
      .Switch("progress", "draw the search progress bar even when stderr is not a terminal")
      .Option("trials", "N", "random input sets for the check (default 3; 1 above 5 GFLOPs per run)")
      .Option("rtol", "R", "relative tolerance of the check (default 1e-3)")
      .Option("atol", "A", "absolute tolerance of the check (default 1e-4)")
      .Option("seed", "S", "seed of the check's random inputs (default 0)")
      .Repeated("dim", "SYMBOL=VALUE", "value of a symbolic dim for the check (default 1)")
      .Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input (enables folding and costing)");
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
  absl::StatusOr<int64_t> trials = parsed.GetInt("trials", -1);
  absl::StatusOr<double> rtol = parsed.GetDouble("rtol", 1e-3);
  absl::StatusOr<double> atol = parsed.GetDouble("atol", 1e-4);
  absl::StatusOr<double> alpha = parsed.GetDouble("alpha", 1.0);
  absl::StatusOr<int64_t> budget = parsed.GetInt("budget", 60);
  absl::StatusOr<double> time_limit = parsed.GetDouble("time-limit", 3.0);
  absl::StatusOr<int64_t> stop_after = parsed.GetInt("stop-after", -1);
  std::string strategy_name = parsed.GetOr("search", "hybrid");
  absl::StatusOr<search::Strategy> strategy =
      strategy_name == "none" ? search::Strategy::kGreedy : search::ParseStrategy(strategy_name);
  for (const absl::Status& s :
       {load_options.status(), random_options.status(), trials.status(), rtol.status(), atol.status(), alpha.status(),
        budget.status(), time_limit.status(), stop_after.status(), strategy.status()}) {
    if (!s.ok()) return ReportUsageError("optimize", s);
  }
  absl::StatusOr<rewrites::RuleSet> rules = RulesFromArgs(parsed);
  if (!rules.ok()) {  // a rule table that does not parse is a file error, a bad name a usage error
    return parsed.Has("rules-file") ? ReportError("optimize", rules.status())
                                    : ReportUsageError("optimize", rules.status());
  }
  absl::StatusOr<ir::Graph> original = LoadModel(path, *load_options);
  if (!original.ok()) return ReportError("optimize", original.status());

  auto start = std::chrono::steady_clock::now();
  ir::Graph optimized = *original;  // shares the weights, copies the structure
  rewrites::PassPipeline pipeline = rewrites::MakeCleanupPipeline();
  if (absl::Status s = pipeline.Run(optimized); !s.ok()) {
    return ReportError("optimize", absl::Status(s.code(), absl::StrCat(path, ": ", s.message())));
  }
  double cleanup_seconds = Seconds(start);

  CliCostModel cli_cost_model(random_options->symbolic_dims, random_options->default_symbolic_dim,
                              parsed.GetOr("target", "ort"));
  const backend::BoundSymbolsCostModel& cost_model = cli_cost_model.model();
  backend::GraphCost original_cost = cost_model.Estimate(*original);
  std::optional<search::SearchResult> result;
  std::string search_note;
  auto search_start = std::chrono::steady_clock::now();
  if (strategy_name == "none") {
    search_note = "skipped (--search none)";
  } else if (backend::GraphCost cost = cost_model.Estimate(optimized); !cost.known()) {
    std::string reason;
    for (const backend::NodeCost& n : cost.nodes) {
      if (!n.known()) {
        reason = absl::StrCat(n.name, " (", n.op_type, "): ", n.unknown_reason);
        break;
      }
    }
    search_note = absl::StrCat("skipped: the cost of ", reason);
  } else {
    search::SearchOptions options;
    options.strategy = *strategy;
    options.alpha = *alpha;
    options.budget = *budget;
    options.time_limit_seconds = *time_limit;
    options.stop_after = *stop_after;
    ProgressLine bar(parsed.Has("progress") || isatty(fileno(stderr)));
    double initial = *cost.total_us;
    options.progress = [&](const search::Progress& p) {
      bar.Draw("search", p.fraction,
               absl::StrFormat("%lld expansions, %lld candidates, best %.3f ms (%+.1f%%)",
                               static_cast<long long>(p.expansions), static_cast<long long>(p.candidates),
                               p.best_cost_us / 1000, initial > 0 ? 100 * (p.best_cost_us / initial - 1) : 0.0));
    };
    // With generated rules in the set, the hand-written ones search first and
    // the whole set refines their result (see search::SearchInTiers).
    std::vector<std::string> hand_written;
    for (int i = 0; i < rules->size(); ++i) {
      if (rules->rule(i).rule.provenance.origin == rewrites::rules::Origin::kHandWritten)
        hand_written.push_back(rules->name(i));
    }
    std::optional<rewrites::RuleSet> hand_written_rules;
    std::optional<search::RuleRewriteSource> hand_written_source;
    search::RuleRewriteSource source(*rules);
    std::vector<search::RewriteSource*> tiers = {&source};
    if (!hand_written.empty() && static_cast<int>(hand_written.size()) < rules->size()) {
      hand_written_rules = *rules;
      if (absl::Status s = hand_written_rules->Restrict(hand_written); !s.ok()) return ReportError("optimize", s);
      hand_written_source.emplace(*hand_written_rules);
      tiers.insert(tiers.begin(), &*hand_written_source);
    }
    absl::StatusOr<search::SearchResult> searched = search::SearchInTiers(optimized, tiers, cost_model, options);
    bar.Finish();
    if (!searched.ok()) {
      return ReportError(
          "optimize",
          absl::Status(searched.status().code(), absl::StrCat(path, ": search failed: ", searched.status().message())));
    }
    result = *std::move(searched);
    optimized = result->best;
    if (absl::Status s = pipeline.Run(optimized); !s.ok()) {  // rewrites can leave Identities and dead constants
      return ReportError("optimize", absl::Status(s.code(), absl::StrCat(path, ": ", s.message())));
    }
  }
  // ONNX files hold only standard ops: gsopt's fused ops (from fuse-* rules,
  // --target gsopt) are lowered, and the check below runs on what is written.
  int lowered = 0;
  if (!absl::EndsWith(*out, ".gsir")) {
    int before_lowering = optimized.num_live_nodes();
    std::unique_ptr<rewrites::Pass> lower = rewrites::CreateLowerInternalOpsPass();
    absl::StatusOr<bool> changed = lower->Run(optimized);
    if (!changed.ok()) return ReportError("optimize", changed.status());
    if (*changed) lowered = optimized.num_live_nodes() - before_lowering;
  }
  double search_seconds = Seconds(search_start);
  double optimize_seconds = Seconds(start);
  backend::GraphCost final_cost = cost_model.Estimate(optimized);

  GraphStats before = StatsOf(*original), after = StatsOf(optimized);
  // FLOPs of symbolic dims are counted at their bound values, like the cost.
  before.flops = backend::CountFlops(cost_model.Bind(*original)).total;
  after.flops = backend::CountFlops(cost_model.Bind(optimized)).total;
  std::printf("optimized %s in %.2f s (cleanup %.2f s, search %.2f s)\n\n", path.c_str(), optimize_seconds,
              cleanup_seconds, search_seconds);
  if (result) {
    std::printf("search: %s, alpha %.3g, budget %lld, time limit %.3g s, %d rules\n",
                std::string(search::StrategyName(*strategy)).c_str(), *alpha, static_cast<long long>(*budget),
                *time_limit, rules->size());
    std::printf("  stopped: %s after %lld expansions (%lld candidates, %lld duplicates) in %.2f s\n",
                std::string(search::StopReasonName(result->stop_reason)).c_str(),
                static_cast<long long>(result->expansions), static_cast<long long>(result->candidates),
                static_cast<long long>(result->duplicates), result->seconds);
    if (result->rule_counts.empty()) {
      std::printf("  rules fired: none\n");
    } else {
      std::printf("  rules fired (%zu rewrites):\n", result->trace.size());
      for (const auto& [rule, count] : result->rule_counts) std::printf("    %-34s x%d\n", rule.c_str(), count);
    }
  } else {
    std::printf("search: %s\n", search_note.c_str());
  }
  if (original_cost.known() && final_cost.known()) {
    std::printf("  cost (%s model): %.3f ms -> %.3f ms (%+.1f%%)\n\n", cost_model.name().c_str(),
                *original_cost.total_us / 1000, *final_cost.total_us / 1000,
                100 * (*final_cost.total_us / *original_cost.total_us - 1));
  } else {
    std::printf("  cost: unknown (symbolic or unknown dims)\n\n");
  }
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
    if (counts.first != counts.second) {
      absl::StrAppend(&changes, changes.empty() ? "" : ", ", op, " ", counts.first, "->", counts.second);
    }
  }
  std::printf("  op changes: %s\n", changes.empty() ? "none" : changes.c_str());
  std::map<std::string, int> pass_counts;
  for (const rewrites::PassRecord& r : pipeline.log()) pass_counts[r.pass]++;
  std::string passes;
  for (const auto& [name, n] : pass_counts) absl::StrAppend(&passes, passes.empty() ? "" : ", ", name, " x", n);
  std::printf("  passes that changed the graph: %s\n\n", passes.empty() ? "none" : passes.c_str());
  if (lowered != 0)
    std::printf("lowered gsopt's fused ops to standard ONNX for %s (%+d nodes)\n\n", out->c_str(), lowered);

  if (parsed.Has("no-verify")) {
    std::printf("verification: skipped (--no-verify)\n");
  } else {
    auto verify_start = std::chrono::steady_clock::now();
    verifier::DifferentialOptions options;
    // Each trial runs both graphs on the executor; for a model the size of
    // BERT-large that is seconds, so big models get one trial by default.
    constexpr int64_t kBigModelFlops = 5'000'000'000;
    options.trials = static_cast<int>(*trials >= 0 ? *trials : before.flops > kBigModelFlops ? 1 : 3);
    options.inputs = *random_options;
    options.tolerance = {*rtol, *atol};
    // A graph the rewrites left structurally identical computes the same by
    // construction; running both would only cost time (seconds for BERT).
    if (ir::StructurallyEqual(optimized, *original)) {
      std::printf("verification: the optimized graph is structurally identical to the original\n");
    } else {
      absl::StatusOr<verifier::DifferentialReport> report = verifier::CompareGraphs(optimized, *original, options);
      if (!report.ok()) {
        return ReportError("optimize",
                           absl::Status(report.status().code(),
                                        absl::StrCat(path, ": cannot verify the result (", report.status().message(),
                                                     "); nothing written. Use --no-verify to write it unchecked")));
      }
      std::printf("verification: %s (%.2f s)\n", report->Summary().c_str(), Seconds(verify_start));
      if (!report->matches) {
        std::fprintf(stderr,
                     "gsopt optimize: error: %s: the optimized graph differs from the original; %s not written\n",
                     path.c_str(), out->c_str());
        return kExitCheckFailed;
      }
    }
  }
  if (absl::Status s = SaveModel(optimized, *out, path); !s.ok()) return ReportError("optimize", s);
  std::printf("wrote %s (total %.2f s)\n", out->c_str(), Seconds(start));
  return kExitOk;
}

}  // namespace gsopt::cli
