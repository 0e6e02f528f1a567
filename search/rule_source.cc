// Expands a graph by every applicable rule match; see rule_source.h.
#include "search/rule_source.h"

#include <utility>

#include "rewrites/passes/passes.h"

namespace gsopt::search {

RuleRewriteSource::RuleRewriteSource(const rewrites::RuleSet& rules)
    : rules_(rules), canonicalize_(rewrites::CreateCommonSubexpressionEliminationPass()) {}

RuleRewriteSource::~RuleRewriteSource() = default;

absl::StatusOr<std::vector<Candidate>> RuleRewriteSource::Expand(const ir::Graph& graph) {
  std::vector<Candidate> candidates;
  for (const rewrites::Match& match : rules_.FindMatches(graph)) {
    absl::StatusOr<ir::Graph> rewritten = rules_.Apply(match, graph, &let_cache_);
    if (!rewritten.ok()) {
      if (rewritten.status().code() == absl::StatusCode::kInternal) return rewritten.status();
      ++skipped_;
      continue;
    }
    if (absl::StatusOr<bool> cse = canonicalize_->Run(*rewritten); !cse.ok()) return cse.status();
    candidates.push_back(
        Candidate{*std::move(rewritten), rules_.name(match.rule), rewrites::RuleSet::Describe(graph, match)});
  }
  return candidates;
}

}  // namespace gsopt::search
