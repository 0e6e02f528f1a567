// The search over rewrites: given a graph, a source of one-step rewrites and
// a cost model, find a cheaper equivalent graph within a budget. One
// interface serves every strategy (greedy descent and TASO's cost-based
// backtracking today), so researchers compare strategies on the same models
// with the same rules and costs, and every run says why it stopped.
//
// The search never looks inside rules: a RewriteSource turns a graph into the
// graphs one rewrite away (the rule engine in gsopt, fakes in tests). Every
// strategy is bounded by expansions and by wall-clock time, and keeps the
// best graph seen, so stopping early still returns something valid.
#ifndef GSOPT_SEARCH_SEARCH_H_
#define GSOPT_SEARCH_SEARCH_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backend/cost/cost_model.h"
#include "ir/graph.h"

namespace gsopt::search {

// One rewrite applied: the resulting graph and what produced it.
struct Candidate {
  ir::Graph graph;
  std::string rule;      // rule name, e.g. "merge-parallel-matmul"
  std::string location;  // where it fired, e.g. "q_proj, k_proj"
};

// Produces the graphs one rewrite away from a graph. Must be deterministic
// (same graph in, same candidates out, same order) so searches reproduce.
class RewriteSource {
 public:
  virtual ~RewriteSource() = default;
  virtual absl::StatusOr<std::vector<Candidate>> Expand(const ir::Graph& graph) = 0;
};

enum class Strategy {
  kGreedy,     // apply the best improving rewrite until none improves
  kBacktrack,  // TASO: best-first over a priority queue, alpha-relaxed
  kHybrid,     // greedy to a local optimum, then backtracking from there with what is left of the budget
};
absl::string_view StrategyName(Strategy strategy);
absl::StatusOr<Strategy> ParseStrategy(absl::string_view name);  // "greedy" | "backtrack" | "hybrid"

enum class StopReason {
  kConverged,  // greedy: no candidate is cheaper; backtrack: queue empty
  kBudget,     // expansion budget spent
  kTimeLimit,  // wall-clock limit reached
  kStopAfter,  // the requested number of rewrites was applied (bisection)
};
absl::string_view StopReasonName(StopReason reason);

// Called after every expansion, for progress bars. `fraction` is the larger of
// the budget and time fractions used, in [0, 1].
struct Progress {
  int64_t expansions = 0;
  int64_t candidates = 0;
  double best_cost_us = 0;
  double elapsed_seconds = 0;
  double fraction = 0;
};
using ProgressCallback = std::function<void(const Progress&)>;

// Hashes a graph for de-duplication. ir::StructuralHash unless a test injects
// a weaker one (say, a constant) to show that collisions never merge graphs.
using GraphHashFunction = std::function<size_t(const ir::Graph&)>;

struct SearchOptions {
  Strategy strategy = Strategy::kBacktrack;
  // Backtracking keeps a candidate when cost < alpha * best cost (TASO's
  // relaxation; 1.0 keeps only improvements, TASO uses 1.05).
  double alpha = 1.05;
  int64_t budget = 1000;           // maximum expansions (graphs expanded)
  double time_limit_seconds = 10;  // wall clock, checked between candidates
  int64_t stop_after = -1;         // >= 0: apply at most this many rewrites
  ProgressCallback progress;       // may be empty
  // Backtracking keeps at most this many graphs waiting in its queue; past
  // it, the most expensive waiting graphs are dropped (they are the last the
  // search would have expanded). Bounds memory: a waiting graph shares its
  // weights with the input (ir::Tensor is copy-on-write) but owns its node
  // and value tables.
  int64_t max_queue_size = 10000;
  GraphHashFunction graph_hash;  // empty: ir::StructuralHash
};

// One rewrite on the path from the input graph to the best graph.
struct TraceStep {
  std::string rule;
  std::string location;
  double cost_us = 0;  // cost of the graph after this step
};

struct SearchResult {
  ir::Graph best;
  double initial_cost_us = 0;
  double best_cost_us = 0;
  std::vector<TraceStep> trace;            // input -> best, in order
  std::map<std::string, int> rule_counts;  // rule -> times it fired on the path
  StopReason stop_reason = StopReason::kConverged;
  int64_t expansions = 0;
  int64_t candidates = 0;    // candidates generated in total
  int64_t duplicates = 0;    // candidates dropped as already seen (hash + equality)
  int64_t unknown_cost = 0;  // candidates skipped because their cost is unknown
  int64_t dropped = 0;       // backtrack: waiting graphs dropped by max_queue_size
  double seconds = 0;
};

// A set of graphs up to ir::StructurallyEqual, bucketed by a hash. A hash hit
// is always confirmed by the equality check, so two different graphs with
// the same hash are both kept (and counted in collisions()). Graphs are held
// by shared pointer so the search's queue and this set share one copy.
class GraphSet {
 public:
  explicit GraphSet(GraphHashFunction hash = {});

  // Adds `graph` unless an equal graph is already present; true when added.
  bool Insert(std::shared_ptr<const ir::Graph> graph);
  bool Contains(const ir::Graph& graph) const;
  int64_t size() const { return size_; }
  // Times an Insert/Contains found a same-hash graph that was not equal.
  int64_t collisions() const { return collisions_; }

 private:
  const std::shared_ptr<const ir::Graph>* Find(const ir::Graph& graph, size_t hash) const;

  GraphHashFunction hash_;
  absl::flat_hash_map<size_t, std::vector<std::shared_ptr<const ir::Graph>>> buckets_;
  int64_t size_ = 0;
  mutable int64_t collisions_ = 0;
};

// Runs the chosen strategy. The cost of a graph is `cost_model.Estimate`'s
// total; a graph whose cost is unknown is an error for the input graph and is
// skipped for a candidate. Errors: invalid options, an input of unknown cost,
// and any error the RewriteSource returns (passed on with context). Stopping
// on budget, time or stop_after is not an error: the result says why.
//
// Greedy: expand the current graph, move to its cheapest candidate (ties: the
// first in the source's order) when that is cheaper by more than a relative
// 1e-9, else stop kConverged. stop_after N stops kStopAfter after N moves.
//
// Backtrack (TASO, Jia et al. SOSP'19, Algorithm 2): a queue ordered by cost
// (ties: insertion order); pop the cheapest, make it the best if it is
// cheaper, expand it, and queue every candidate of known cost below
// alpha * best that is not structurally equal to a graph queued before.
// Stops kConverged when the queue is empty. stop_after N: graphs N rewrites
// from the input are not expanded (their candidates would be N+1 away); when
// the queue empties after that happened the reason is kStopAfter, since the
// search did not converge. On a budget or time stop, the cheapest graph still
// waiting in the queue is considered for best too, so no graph already costed
// is lost.
absl::StatusOr<SearchResult> Search(const ir::Graph& graph, RewriteSource& source, const backend::CostModel& cost_model,
                                    const SearchOptions& options);

// Searches in tiers: the first source from `graph`, each next one from the
// best graph so far, with what is left of the budget, the time limit and
// stop_after (a tier that stops for budget or time ends the run). Used for
// a small curated rule set followed by a large one that includes it (the
// hand-written rules, then with the generated rules added): thousands of
// generated rules multiply the candidates of every expansion, and spending
// the budget on them first can end the search before the rules that pay
// most have fired, so the large tier refines instead of crowding out. The
// result's counts and trace cover all tiers; its stop reason is the last
// tier's. With one source this is Search.
absl::StatusOr<SearchResult> SearchInTiers(const ir::Graph& graph, const std::vector<RewriteSource*>& tiers,
                                           const backend::CostModel& cost_model, const SearchOptions& options);

}  // namespace gsopt::search

#endif  // GSOPT_SEARCH_SEARCH_H_
