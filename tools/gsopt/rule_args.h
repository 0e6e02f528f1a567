// Command-line options that choose the rules a command uses (shared by
// optimize, explain and rewrite): the built-in library by default, another
// rule table with --rules-file, and a subset with --rules.
#ifndef GSOPT_TOOLS_GSOPT_RULE_ARGS_H_
#define GSOPT_TOOLS_GSOPT_RULE_ARGS_H_

#include "absl/status/statusor.h"
#include "rewrites/engine/rule_engine.h"
#include "tools/gsopt/cli_args.h"

namespace gsopt::cli {

void AddRuleOptions(ArgSpec& spec);
absl::StatusOr<rewrites::RuleSet> RulesFromArgs(const ParsedArgs& args);

}  // namespace gsopt::cli

#endif  // GSOPT_TOOLS_GSOPT_RULE_ARGS_H_
