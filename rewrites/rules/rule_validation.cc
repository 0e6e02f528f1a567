// Validation of a parsed rule table: the checks that need more than one line
// of context (variable binding across source, conditions, lets and target;
// roots of multi-output rules) or outside knowledge (the op registry's
// schemas). Run once when a table is loaded, so the matcher, generator and
// prover can assume well-formed rules.
#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rewrites/rules/rule_table.h"

namespace gsopt::rewrites::rules {
namespace {

constexpr int kMany = std::numeric_limits<int>::max();

struct Arity {
  int min_args;
  int max_args;
  bool tensor_vars_only;  // every argument must be a %variable
};

const std::map<std::string, Arity>& Predicates() {
  static const auto* predicates = new std::map<std::string, Arity>{
      {"const", {1, kMany, true}},
      {"single_use", {1, kMany, true}},
      {"not_output", {1, kMany, true}},
      {"same_shape", {2, 2, true}},
      {"same_dtype", {2, 2, true}},
      {"rank", {2, 2, false}},
      {"dtype", {2, 2, false}},
      {"eq", {2, 2, false}},
      {"ne", {2, 2, false}},
      {"lt", {2, 2, false}},
      {"min_opset", {1, 1, false}},
      {"all_eq", {2, 2, false}},
      {"le", {2, 2, false}},
      {"inverse_perm", {2, 2, false}},
  };
  return *predicates;
}

const std::map<std::string, Arity>& Functions() {
  static const auto* functions = new std::map<std::string, Arity>{
      {"add", {2, 2, false}},       {"sub", {2, 2, false}},        {"mul", {2, 2, false}},
      {"div", {2, 2, false}},       {"matmul", {2, 2, false}},     {"sqrt", {1, 1, false}},
      {"neg", {1, 1, false}},       {"reciprocal", {1, 1, false}}, {"reshape", {2, 2, false}},
      {"transpose", {2, 2, false}}, {"concat", {3, kMany, false}}, {"pad_kernel", {2, 2, false}},
      {"dim", {2, 2, false}},       {"ints", {1, kMany, false}},   {"mod", {2, 2, false}},
      {"regroup_kernel", {3, 3, false}}, {"band_kernel", {3, 3, false}}, {"full", {2, 2, false}},
      {"iota", {1, 1, false}}, {"rank_of", {1, 1, false}}, {"slice", {4, 4, false}},
      {"shape_of", {1, 1, false}}, {"compose_perm", {2, 2, false}},
  };
  return *functions;
}

std::string ArityText(const Arity& arity) {
  if (arity.min_args == arity.max_args) return absl::StrCat(arity.min_args);
  if (arity.max_args == kMany) return absl::StrCat("at least ", arity.min_args);
  return absl::StrCat(arity.min_args, " to ", arity.max_args);
}

class RuleValidator {
 public:
  RuleValidator(const Rule& rule, const ir::OpRegistry& registry, absl::string_view filename,
                std::vector<std::string>& errors)
      : rule_(rule), registry_(registry), filename_(filename), errors_(errors) {}

  void Run() {
    if (rule_.source.nodes.empty()) Error(rule_.loc, "has no 'source' node");
    if (rule_.target.nodes.empty()) Error(rule_.loc, "has no 'target' node");
    CheckSource();
    for (const Condition& cond : rule_.conditions) CheckCondition(cond);
    for (const LetBinding& let : rule_.lets) {
      CheckExpr(let.value);
      if (vars_.count(let.variable)) {
        Error(let.loc,
              absl::StrCat("'let %", let.variable, "' redefines a variable the source binds; pick a new name"));
      }
      vars_.insert(let.variable);
      let_vars_.insert(let.variable);
    }
    CheckTarget();
  }

 private:
  void Error(const SourceLoc& loc, absl::string_view message) {
    errors_.push_back(absl::StrCat(filename_, ":", loc.line, ":", loc.column, ": rule '", rule_.name, "': ", message));
  }

  void CheckOp(const PatternNode& node) {
    std::string shown = node.domain.empty() ? node.op : absl::StrCat(node.domain, "::", node.op);
    const ir::OpSchema* schema = registry_.Find(node.domain, node.op);
    if (schema == nullptr) {
      Error(node.loc, absl::StrCat("unknown op '", shown, "' (not in gsopt's op registry)"));
      return;
    }
    int inputs = static_cast<int>(node.inputs.size());
    if (inputs < schema->min_inputs || inputs > schema->max_inputs) {
      Error(node.loc, absl::StrCat(shown, " takes ", ArityText({schema->min_inputs, schema->max_inputs, false}),
                                   " inputs, the pattern gives ", inputs));
    }
    int outputs = static_cast<int>(node.outputs.size());
    if (outputs < schema->min_outputs || outputs > schema->max_outputs) {
      Error(node.loc, absl::StrCat(shown, " has ", ArityText({schema->min_outputs, schema->max_outputs, false}),
                                   " outputs, the pattern names ", outputs));
    }
  }

  void CheckSource() {
    std::set<std::string> defined_later;
    for (const PatternNode& node : rule_.source.nodes) {
      for (const std::string& out : node.outputs) defined_later.insert(out);
    }
    for (const PatternNode& node : rule_.source.nodes) {
      CheckOp(node);
      for (const std::string& in : node.inputs) {
        if (in.empty()) continue;
        if (!vars_.count(in) && defined_later.count(in)) {
          Error(node.loc,
                absl::StrCat("'%", in, "' is read before the source node that defines it; list nodes in order"));
        }
        vars_.insert(in);
        consumed_.insert(in);
      }
      for (const std::string& out : node.outputs) {
        if (source_outputs_.count(out) || vars_.count(out)) {
          Error(node.loc, absl::StrCat("'%", out, "' is defined twice in the source"));
        }
        vars_.insert(out);
        source_outputs_.insert(out);
      }
      for (const AttrBinding& attr : node.attrs) {
        if (attr.variable) {
          Error(node.loc, absl::StrCat("attribute '", attr.name, "=%", *attr.variable,
                                       "': a source attribute is matched by a ?parameter or a literal"));
        }
        if (!attr.param) continue;
        if (attr.is_rest) {
          if (params_.count(*attr.param) && !rest_params_.count(*attr.param)) {
            Error(node.loc,
                  absl::StrCat("'?", *attr.param, "' is bound both to one attribute and to '..' (all others)"));
          }
          rest_params_.insert(*attr.param);
        } else if (rest_params_.count(*attr.param)) {
          Error(node.loc, absl::StrCat("'?", *attr.param, "' is bound both to one attribute and to '..' (all others)"));
        }
        params_.insert(*attr.param);
      }
    }
  }

  void CheckExpr(const ConstExpr& expr) {
    switch (expr.kind) {
      case ConstExpr::Kind::kVariable:
        if (!vars_.count(expr.name))
          Error(expr.loc, absl::StrCat("'%", expr.name, "' is not bound by the source or an earlier let"));
        break;
      case ConstExpr::Kind::kParameter:
        if (!params_.count(expr.name))
          Error(expr.loc, absl::StrCat("'?", expr.name, "' is not bound by a source attribute"));
        break;
      case ConstExpr::Kind::kLiteral:
        break;
      case ConstExpr::Kind::kCall: {
        auto it = Functions().find(expr.name);
        if (it == Functions().end()) {
          std::vector<std::string> names;
          for (const auto& [name, arity] : Functions()) names.push_back(name);
          Error(expr.loc, absl::StrCat("unknown function '", expr.name, "'; known: ", absl::StrJoin(names, ", ")));
        } else if (int n = static_cast<int>(expr.args.size()); n < it->second.min_args || n > it->second.max_args) {
          Error(expr.loc, absl::StrCat(expr.name, " takes ", ArityText(it->second), " arguments, given ", n));
        }
        for (const ConstExpr& arg : expr.args) CheckExpr(arg);
        break;
      }
    }
  }

  void CheckCondition(const Condition& cond) {
    auto it = Predicates().find(cond.predicate);
    if (it == Predicates().end()) {
      std::vector<std::string> names;
      for (const auto& [name, arity] : Predicates()) names.push_back(name);
      Error(cond.loc, absl::StrCat("unknown condition '", cond.predicate, "'; known: ", absl::StrJoin(names, ", ")));
      return;
    }
    const Arity& arity = it->second;
    int n = static_cast<int>(cond.args.size());
    if (n < arity.min_args || n > arity.max_args) {
      Error(cond.loc, absl::StrCat(cond.predicate, " takes ", ArityText(arity), " arguments, given ", n));
    }
    for (size_t i = 0; i < cond.args.size(); ++i) {
      const ConstExpr& arg = cond.args[i];
      // rank and dtype look at a tensor in their first argument.
      bool needs_var = arity.tensor_vars_only || (i == 0 && (cond.predicate == "rank" || cond.predicate == "dtype"));
      if (needs_var && arg.kind != ConstExpr::Kind::kVariable) {
        Error(arg.loc, absl::StrCat(cond.predicate, " expects a tensor variable (%name) here"));
      }
      CheckExpr(arg);
    }
  }

  void CheckTarget() {
    std::set<std::string> target_defined;
    std::set<std::string> target_read;
    for (const PatternNode& node : rule_.target.nodes) {
      CheckOp(node);
      for (const std::string& in : node.inputs) {
        if (in.empty()) continue;
        if (!vars_.count(in) && !target_defined.count(in)) {
          Error(node.loc, absl::StrCat("'%", in, "' is not bound by the source, a let or an earlier target node"));
        }
        target_read.insert(in);
      }
      for (const std::string& out : node.outputs) {
        if (target_defined.count(out)) {
          Error(node.loc, absl::StrCat("'%", out, "' is defined twice in the target"));
        } else if (let_vars_.count(out)) {
          Error(node.loc, absl::StrCat("'%", out, "' is a let constant; the target cannot redefine it"));
        } else if (vars_.count(out) && !source_outputs_.count(out)) {
          Error(node.loc, absl::StrCat("'%", out, "' is a source input; the target can only replace source outputs"));
        } else if (source_outputs_.count(out) && consumed_.count(out)) {
          Error(node.loc,
                absl::StrCat("'%", out,
                             "' is consumed inside the source; the target can only replace its final outputs"));
        }
        target_defined.insert(out);
      }
      for (const AttrBinding& attr : node.attrs) {
        if (attr.variable && !let_vars_.count(*attr.variable)) {
          Error(node.loc, absl::StrCat("attribute '", attr.name, "=%", *attr.variable, "' must name a let"));
        }
        if (!attr.param) continue;
        if (attr.is_rest ? !rest_params_.count(*attr.param) : !params_.count(*attr.param)) {
          Error(node.loc, absl::StrCat("'", attr.is_rest ? ".." : "", "?", *attr.param, "' is not bound by ",
                                       attr.is_rest ? "a '..' binding" : "an attribute", " in the source"));
        }
      }
    }
    // Every final output of the source must get a replacement.
    for (const PatternNode& node : rule_.source.nodes) {
      for (const std::string& out : node.outputs) {
        if (!consumed_.count(out) && !target_defined.count(out)) {
          Error(rule_.loc, absl::StrCat("source output '%", out, "' is never defined by the target"));
        }
      }
    }
    // A target value nobody reads and that replaces nothing is a mistake.
    for (const PatternNode& node : rule_.target.nodes) {
      for (const std::string& out : node.outputs) {
        if (!source_outputs_.count(out) && !target_read.count(out)) {
          Error(node.loc, absl::StrCat("target value '%", out, "' is neither read nor a source output it replaces"));
        }
      }
    }
  }

  const Rule& rule_;
  const ir::OpRegistry& registry_;
  absl::string_view filename_;
  std::vector<std::string>& errors_;
  std::set<std::string> vars_;            // bound tensor variables
  std::set<std::string> source_outputs_;  // defined by source nodes
  std::set<std::string> consumed_;        // read by source nodes
  std::set<std::string> let_vars_;
  std::set<std::string> params_;
  std::set<std::string> rest_params_;
};

}  // namespace

absl::Status ValidateRuleTable(const RuleTable& table, const ir::OpRegistry& registry, absl::string_view filename) {
  std::vector<std::string> errors;
  std::map<std::string, int> first_line;
  for (const Rule& rule : table.rules) {
    if (auto [it, inserted] = first_line.emplace(rule.name, rule.loc.line); !inserted) {
      errors.push_back(absl::StrCat(filename, ":", rule.loc.line, ":", rule.loc.column, ": rule '", rule.name,
                                    "' is already defined on line ", it->second));
    }
    RuleValidator(rule, registry, filename, errors).Run();
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

}  // namespace gsopt::rewrites::rules
