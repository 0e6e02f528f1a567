// Runs a rule's source and target on random inputs at several random shapes
// (see rule_tester.h). The float check catches every rule, including the
// non-polynomial ones (Relu, Sigmoid, pooling by max); the field check adds
// an exact verdict for the multilinear ones, where rounding can neither hide
// nor fake a difference.
#include "verifier/random/rule_tester.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backend/cpu/executor.h"
#include "verifier/random/field_eval.h"
#include "verifier/random/rule_instance.h"

namespace gsopt::verifier {
namespace {

std::string DescribeShapes(const RuleInstance& instance) {
  std::vector<std::string> parts;
  for (const auto& [name, dims] : instance.leaf_dims)
    parts.push_back(absl::StrCat("%", name, "[", absl::StrJoin(dims, ","), "]"));
  for (const auto& [name, value] : instance.params) {
    std::string text = "?";
    if (value.is<int64_t>()) text = absl::StrCat(value.get<int64_t>());
    if (value.is<std::vector<int64_t>>())
      text = absl::StrCat("[", absl::StrJoin(value.get<std::vector<int64_t>>(), ","), "]");
    parts.push_back(absl::StrCat("?", name, "=", text));
  }
  return absl::StrJoin(parts, " ");
}

bool AllFieldEvaluable(const ir::Graph& graph) {
  for (ir::NodeId id : graph.LiveNodes())
    if (!field::IsFieldEvaluable(graph.node(id))) return false;
  return true;
}

enum class FieldVerdict { kEqual, kDifferent, kNotApplicable };

// Exact comparison over Z_p on random field inputs. Not applicable when a
// constant is not an integer (a folded reciprocal, say) or an input draw hits
// a zero divisor.
FieldVerdict CompareInField(const RuleInstance& instance, uint64_t seed, std::string& detail) {
  std::map<std::string, field::FieldTensor> inputs;
  uint64_t k = 0;
  for (ir::ValueId id : instance.source.inputs()) {
    const ir::Value& v = instance.source.value(id);
    if (!v.type.shape.is_static()) return FieldVerdict::kNotApplicable;
    inputs[v.name] = field::RandomFieldTensor(v.type.shape.static_dims(), seed * 1000003 + ++k);
  }
  auto source = field::EvalGraph(instance.source, inputs);
  auto target = field::EvalGraph(instance.target, inputs);
  if (!source.ok() || !target.ok()) return FieldVerdict::kNotApplicable;
  if (source->size() != target->size()) {
    detail = "source and target have different output counts";
    return FieldVerdict::kDifferent;
  }
  for (size_t o = 0; o < source->size(); ++o) {
    const field::FieldTensor &s = (*source)[o], &t = (*target)[o];
    if (s.dims != t.dims) {
      detail = absl::StrCat("output ", o, " has dims [", absl::StrJoin(t.dims, ","), "] instead of [",
                            absl::StrJoin(s.dims, ","), "] (field check)");
      return FieldVerdict::kDifferent;
    }
    if (s.values != t.values || s.ints != t.ints) {
      int64_t first = 0;
      while (first < static_cast<int64_t>(s.values.size()) && s.values[first] == t.values[first]) ++first;
      detail = absl::StrCat("output ", o, " differs over Z_p at element ", first, " (field check)");
      return FieldVerdict::kDifferent;
    }
  }
  return FieldVerdict::kEqual;
}

bool CanRunInFloat(const ir::Graph& graph) { return backend::cpu::OpsWithoutKernels(graph).empty(); }

}  // namespace

const char* RuleTestOutcomeName(RuleTestOutcome outcome) {
  switch (outcome) {
    case RuleTestOutcome::kPassed:
      return "passed";
    case RuleTestOutcome::kRefuted:
      return "refuted";
    case RuleTestOutcome::kUntestable:
      return "untestable";
  }
  return "?";
}

RuleTestResult TestRule(const rewrites::rules::Rule& rule, const RuleTestOptions& options) {
  RuleTestResult result;
  std::string untestable_reason;
  bool any_check = false;
  bool seeded_from_file = false;  // a fallback instance has the test file's fixed shapes
  for (int shape = 0; shape < options.shapes; ++shape) {
    InstanceOptions instance_options;
    instance_options.seed = options.seed * 7919 + static_cast<uint64_t>(shape) + 1;
    instance_options.rule_tests_dir = options.rule_tests_dir;
    auto instance = InstantiateRule(rule, instance_options);
    if (!instance.ok()) {
      if (instance.status().code() == absl::StatusCode::kInternal) {
        result.outcome = RuleTestOutcome::kRefuted;
        result.detail = absl::StrCat("the engine refused the rewrite: ", instance.status().message());
        return result;
      }
      untestable_reason = std::string(instance.status().message());
      continue;
    }
    ++result.shapes_tested;
    seeded_from_file = seeded_from_file || instance->from_test_file;
    std::string where = DescribeShapes(*instance);

    bool float_runs = CanRunInFloat(instance->source) && CanRunInFloat(instance->target);
    if (float_runs) {
      DifferentialOptions diff;
      diff.trials = options.trials_per_shape;
      diff.inputs.seed = options.seed * 104729 + static_cast<uint64_t>(shape) * 31;
      diff.tolerance = options.tolerance;
      auto report = CompareGraphs(instance->target, instance->source, diff);
      if (!report.ok()) {
        result.outcome = RuleTestOutcome::kRefuted;
        result.detail =
            absl::StrCat("at ", where, ": the target does not run like the source: ", report.status().message());
        return result;
      }
      if (!report->matches) {
        result.outcome = RuleTestOutcome::kRefuted;
        result.detail = absl::StrCat("at ", where, ": ", report->Summary());
        return result;
      }
      any_check = true;
    }
    if (AllFieldEvaluable(instance->source) && AllFieldEvaluable(instance->target)) {
      for (int trial = 0; trial < options.trials_per_shape; ++trial) {
        std::string detail;
        FieldVerdict verdict = CompareInField(*instance, options.seed * 15485863 + shape * 97 + trial, detail);
        if (verdict == FieldVerdict::kDifferent) {
          result.outcome = RuleTestOutcome::kRefuted;
          result.field_checked = true;
          result.detail = absl::StrCat("at ", where, ": ", detail);
          return result;
        }
        if (verdict == FieldVerdict::kEqual) {
          result.field_checked = true;
          any_check = true;
        }
      }
    }
    if (!float_runs && !result.field_checked)
      untestable_reason = "some op has neither a CPU kernel nor field semantics";
  }
  if (!any_check) {
    result.outcome = RuleTestOutcome::kUntestable;
    result.detail = untestable_reason.empty() ? "no instance could be checked" : untestable_reason;
    return result;
  }
  result.outcome = RuleTestOutcome::kPassed;
  result.detail = absl::StrCat("equal at ", result.shapes_tested, " instances",
                               result.field_checked ? " (float and field)" : " (float)",
                               seeded_from_file ? ", built from the rule's .fires test graph" : ", at random shapes");
  return result;
}

}  // namespace gsopt::verifier
