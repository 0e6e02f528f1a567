// The --rules / --rules-file options; see rule_args.h.
#include "tools/gsopt/rule_args.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gsopt::cli {

namespace {

// Library rules the built-in default leaves out, because measurement showed
// they make ONNX Runtime (the runtime optimized models are for) slower even
// where the cost model sees a saving: moving attention's 1/sqrt(d) scale
// toward the query weights defeats ORT's Attention fusion, which looks for the
// Div after QK^T (bert_toy_optimized: 0.88x with them, 1.00x without). They
// stay in the library, tested, for other targets: name them with --rules.
// softmax-plain turns exp(x)/sum(exp(x)) into Softmax, which stays finite
// where the original overflows to NaN: better, but not the same function,
// so it is only applied when asked for.
constexpr const char* kOffByDefault[] = {"div-scale-through-matmul",
                                         "scale-through-matmul",
                                         "scale-through-transpose",
                                         "scale-through-reshape",
                                         "scale-into-bias-add",
                                         "scale-into-matmul-weight",
                                         "softmax-plain"};

}  // namespace

void AddRuleOptions(ArgSpec& spec) {
  spec.Option("rules", "A,B,..",
              "use only these rules (names as in the rule table), or 'all'; by default every rule of\n"
              "the built-in library suited to --target")
      .Option("target", "T",
              "ort (default): the model will run in ONNX Runtime, which fuses activations, GELU and\n"
              "attention itself, so the fuse-* rules and the attention-scale rules (they defeat ORT's\n"
              "Attention fusion) are off; gsopt: the model runs on gsopt's executor, all rules on")
      .Option("rules-file", "PATH", "read rules from this rule table instead of the built-in rules")
      .Switch("hand-written-only",
              "leave out the generated rules (rewrites/rules/generated.rules): the hand-written library\n"
              "alone, to compare what the generated rules add");
}

absl::StatusOr<rewrites::RuleSet> RulesFromArgs(const ParsedArgs& args) {
  absl::StatusOr<rewrites::RuleSet> rules;
  if (std::optional<std::string> file = args.Get("rules-file")) {
    absl::StatusOr<rewrites::rules::RuleTable> table = rewrites::rules::ReadRuleTableFile(*file);
    if (!table.ok()) return table.status();
    rules = rewrites::RuleSet::Create(*table, ir::OpRegistry::Global(), *file);
  } else {
    rules = rewrites::RuleSet::BuiltIn(args.Has("hand-written-only"));
  }
  if (!rules.ok()) return rules.status();
  std::optional<std::string> names = args.Get("rules");
  if (names && *names == "all") return rules;
  if (names) {
    std::vector<std::string> list = absl::StrSplit(*names, ',', absl::SkipEmpty());
    if (absl::Status s = rules->Restrict(list); !s.ok()) return s;
    return rules;
  }
  if (args.Has("rules-file")) return rules;  // a user's own table is used whole
  std::string target = args.GetOr("target", "ort");
  if (target == "gsopt") return rules;
  if (target != "ort")
    return absl::InvalidArgumentError(absl::StrCat("unknown --target '", target, "'; expected ort or gsopt"));
  std::vector<std::string> defaults;
  for (int i = 0; i < rules->size(); ++i) {
    // ORT runs its own fusions; a gsopt fused op would only be lowered back
    // on export, after hiding its parts from the rules that pay off in ORT.
    bool off = absl::StartsWith(rules->name(i), "fuse-");
    for (const char* name : kOffByDefault) off |= rules->name(i) == name;
    if (!off) defaults.push_back(rules->name(i));
  }
  if (absl::Status s = rules->Restrict(defaults); !s.ok()) return s;
  return rules;
}

}  // namespace gsopt::cli
