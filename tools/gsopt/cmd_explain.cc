// `gsopt explain MODEL`: lists every place a rule of the library matches the
// (cleaned-up) model and what applying it alone would do to the estimated
// cost, so a user sees what the search has to work with and a rule author
// sees whether a pattern matches at all.
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "backend/cost/cost_model.h"
#include "rewrites/pass.h"
#include "tools/gsopt/cli_cost_model.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"
#include "tools/gsopt/rule_args.h"

namespace gsopt::cli {

int ExplainCommand(const std::vector<std::string>& args) {
  ArgSpec spec("explain", "MODEL",
               "Lists where the rules match MODEL (after the cleanup passes) and the estimated cost\n"
               "change of applying each match alone.");
  AddRuleOptions(spec);
  spec.Switch("no-cleanup", "match the model as it is, without constant folding and no-op removal")
      .Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input")
      .Repeated("dim", "SYMBOL=VALUE", "value a symbolic dim is costed at (default 1)");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  const std::string& path = parsed.positional()[0];
  absl::StatusOr<LoadOptions> load_options = LoadOptionsFromArgs(parsed);
  if (!load_options.ok()) return ReportError("explain", load_options.status());
  absl::StatusOr<rewrites::RuleSet> rules = RulesFromArgs(parsed);
  if (!rules.ok()) {  // a rule table that does not parse is a file error, a bad name a usage error
    return parsed.Has("rules-file") ? ReportError("explain", rules.status())
                                    : ReportUsageError("explain", rules.status());
  }
  absl::StatusOr<ir::Graph> graph = LoadModel(path, *load_options);
  if (!graph.ok()) return ReportError("explain", graph.status());
  if (!parsed.Has("no-cleanup")) {
    rewrites::PassPipeline pipeline = rewrites::MakeCleanupPipeline();
    if (absl::Status s = pipeline.Run(*graph); !s.ok()) return ReportError("explain", s);
  }

  absl::StatusOr<verifier::RandomInputOptions> dims = RandomInputOptionsFromArgs(parsed);
  if (!dims.ok()) return ReportUsageError("explain", dims.status());
  CliCostModel cli_cost_model(dims->symbolic_dims, dims->default_symbolic_dim, parsed.GetOr("target", "ort"));
  const backend::BoundSymbolsCostModel& cost_model = cli_cost_model.model();
  backend::GraphCost base = cost_model.Estimate(*graph);
  std::vector<rewrites::Match> matches = rules->FindMatches(*graph);
  std::printf("%s: %d nodes, %d rules, %zu matches", path.c_str(), graph->num_live_nodes(), rules->size(),
              matches.size());
  if (base.known()) std::printf(", estimated cost %.3f ms", *base.total_us / 1000);
  std::printf("\n");
  std::map<std::string, int> per_rule;
  for (const rewrites::Match& match : matches) {
    const std::string& name = rules->name(match.rule);
    ++per_rule[name];
    std::string effect;
    absl::StatusOr<ir::Graph> rewritten = rules->Apply(match, *graph);
    if (!rewritten.ok()) {
      effect = absl::StrCat("cannot apply: ", rewritten.status().message());
    } else if (backend::GraphCost after = cost_model.Estimate(*rewritten); base.known() && after.known()) {
      effect = absl::StrFormat("cost %+.3f ms (%+.2f%%), nodes %+d", (*after.total_us - *base.total_us) / 1000,
                               100 * (*after.total_us / *base.total_us - 1),
                               rewritten->num_live_nodes() - graph->num_live_nodes());
    } else {
      effect = absl::StrFormat("nodes %+d (cost unknown)", rewritten->num_live_nodes() - graph->num_live_nodes());
    }
    std::printf("  %-30s at %s: %s\n", name.c_str(), rewrites::RuleSet::Describe(*graph, match).c_str(),
                effect.c_str());
  }
  if (matches.empty()) {
    std::printf("  no rule matches\n");
  } else {
    std::printf("matches per rule:\n");
    for (const auto& [name, n] : per_rule) std::printf("  %-30s %d\n", name.c_str(), n);
  }
  return kExitOk;
}

}  // namespace gsopt::cli
