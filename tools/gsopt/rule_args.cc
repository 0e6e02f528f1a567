// The --rules / --rules-file options; see rule_args.h.
#include "tools/gsopt/rule_args.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"

namespace gsopt::cli {

void AddRuleOptions(ArgSpec& spec) {
  spec.Option("rules", "A,B,..", "use only these rules (names as in the rule table)")
      .Option("rules-file", "PATH", "read rules from this rule table instead of the built-in library");
}

absl::StatusOr<rewrites::RuleSet> RulesFromArgs(const ParsedArgs& args) {
  absl::StatusOr<rewrites::RuleSet> rules;
  if (std::optional<std::string> file = args.Get("rules-file")) {
    absl::StatusOr<rewrites::rules::RuleTable> table = rewrites::rules::ReadRuleTableFile(*file);
    if (!table.ok()) return table.status();
    rules = rewrites::RuleSet::Create(*table, ir::OpRegistry::Global(), *file);
  } else {
    rules = rewrites::RuleSet::BuiltIn();
  }
  if (!rules.ok()) return rules.status();
  if (std::optional<std::string> names = args.Get("rules")) {
    std::vector<std::string> list = absl::StrSplit(*names, ',', absl::SkipEmpty());
    if (absl::Status s = rules->Restrict(list); !s.ok()) return s;
  }
  return rules;
}

}  // namespace gsopt::cli
