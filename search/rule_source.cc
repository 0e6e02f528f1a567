// Expands a graph by every applicable rule match; see rule_source.h.
#include "search/rule_source.h"

#include <utility>

namespace gsopt::search {

absl::StatusOr<std::vector<Candidate>> RuleRewriteSource::Expand(const ir::Graph& graph) {
  std::vector<Candidate> candidates;
  for (const rewrites::Match& match : rules_.FindMatches(graph)) {
    absl::StatusOr<ir::Graph> rewritten = rules_.Apply(match, graph);
    if (!rewritten.ok()) {
      if (rewritten.status().code() == absl::StatusCode::kInternal) return rewritten.status();
      ++skipped_;
      continue;
    }
    candidates.push_back(
        Candidate{*std::move(rewritten), rules_.name(match.rule), rewrites::RuleSet::Describe(graph, match)});
  }
  return candidates;
}

}  // namespace gsopt::search
