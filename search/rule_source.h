// The rewrite source gsopt's search runs on: every match of every rule of a
// RuleSet, each applied to its own copy of the graph (copies share weights).
// A match that cannot be applied (a constant no kernel can fold) is skipped
// and counted; a rule that would change a value's type is an error, since it
// means the rule itself is wrong. Each candidate is then canonicalized by
// common-subexpression elimination, so equal weights computed by separate
// rewrites (two merged weight matrices) become one value that later rules can
// match as "the same weight", and duplicates found by the search collapse.
#ifndef GSOPT_SEARCH_RULE_SOURCE_H_
#define GSOPT_SEARCH_RULE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "rewrites/engine/rule_engine.h"
#include "rewrites/pass.h"
#include "search/search.h"

namespace gsopt::search {

class RuleRewriteSource : public RewriteSource {
 public:
  explicit RuleRewriteSource(const rewrites::RuleSet& rules);
  ~RuleRewriteSource() override;
  absl::StatusOr<std::vector<Candidate>> Expand(const ir::Graph& graph) override;
  int64_t skipped() const { return skipped_; }  // matches that could not be applied

 private:
  const rewrites::RuleSet& rules_;
  std::unique_ptr<rewrites::Pass> canonicalize_;
  rewrites::LetCache let_cache_;
  int64_t skipped_ = 0;
};

}  // namespace gsopt::search

#endif  // GSOPT_SEARCH_RULE_SOURCE_H_
