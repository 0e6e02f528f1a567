// The search strategies behind search.h's Search(): greedy descent and TASO's
// cost-based backtracking, sharing option checks, costing, the clock and the
// result bookkeeping. See search.h for the contract and README.md for how the
// strategies compare.
#include "search/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/check.h"
#include "ir/structural_hash.h"

namespace gsopt::search {

absl::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kGreedy:
      return "greedy";
    case Strategy::kBacktrack:
      return "backtrack";
    case Strategy::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

absl::StatusOr<Strategy> ParseStrategy(absl::string_view name) {
  if (name == "greedy") return Strategy::kGreedy;
  if (name == "backtrack") return Strategy::kBacktrack;
  if (name == "hybrid") return Strategy::kHybrid;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown search strategy '", name, "'; expected 'greedy', 'backtrack' or 'hybrid'"));
}

absl::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kConverged:
      return "converged";
    case StopReason::kBudget:
      return "budget";
    case StopReason::kTimeLimit:
      return "time-limit";
    case StopReason::kStopAfter:
      return "stop-after";
  }
  return "unknown";
}

GraphSet::GraphSet(GraphHashFunction hash) : hash_(std::move(hash)) {
  if (!hash_) hash_ = [](const ir::Graph& g) { return ir::StructuralHash(g); };
}

const std::shared_ptr<const ir::Graph>* GraphSet::Find(const ir::Graph& graph, size_t hash) const {
  auto it = buckets_.find(hash);
  if (it == buckets_.end()) return nullptr;
  for (const std::shared_ptr<const ir::Graph>& other : it->second) {
    if (ir::StructurallyEqual(*other, graph)) return &other;
    ++collisions_;  // same hash, different graph: the equality check is what saves us
  }
  return nullptr;
}

bool GraphSet::Insert(std::shared_ptr<const ir::Graph> graph) {
  GSOPT_CHECK(graph != nullptr);
  size_t hash = hash_(*graph);
  if (Find(*graph, hash) != nullptr) return false;
  buckets_[hash].push_back(std::move(graph));
  ++size_;
  return true;
}

bool GraphSet::Contains(const ir::Graph& graph) const { return Find(graph, hash_(graph)) != nullptr; }

namespace {

using Clock = std::chrono::steady_clock;

// Relative tolerance for "cheaper": costs are sums of floating-point terms, so
// two orders of the same nodes may differ in the last bits, and such noise
// must not count as an improvement (greedy would wander between equals).
constexpr double kRelativeEpsilon = 1e-9;

bool Cheaper(double a, double b) { return a < b - kRelativeEpsilon * std::abs(b); }

absl::Status ValidateOptions(const SearchOptions& options) {
  if (!(options.alpha >= 1.0) || !std::isfinite(options.alpha)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("search alpha must be a finite number >= 1 (1 keeps only improvements, TASO uses 1.05), got %g",
                        options.alpha));
  }
  if (options.budget < 0) {
    return absl::InvalidArgumentError(absl::StrCat("search budget must be >= 0 expansions, got ", options.budget));
  }
  if (!(options.time_limit_seconds >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("search time limit must be >= 0 seconds, got %g", options.time_limit_seconds));
  }
  if (options.max_queue_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("search max_queue_size must be >= 1, got ", options.max_queue_size));
  }
  return absl::OkStatus();
}

// State every strategy shares: the clock, counters and progress reports.
class Run {
 public:
  Run(const backend::CostModel& cost_model, const SearchOptions& options)
      : cost_model_(cost_model), options_(options), start_(Clock::now()) {}

  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  bool OutOfTime() const { return Elapsed() >= options_.time_limit_seconds; }
  bool OutOfBudget() const { return result.expansions >= options_.budget; }

  // The graph's total cost, or nullopt (counted) when unknown.
  std::optional<double> CandidateCost(const ir::Graph& graph) {
    backend::GraphCost cost = cost_model_.Estimate(graph);
    if (!cost.known()) {
      ++result.unknown_cost;
      return std::nullopt;
    }
    return *cost.total_us;
  }

  absl::StatusOr<std::vector<Candidate>> Expand(RewriteSource& source, const ir::Graph& graph) {
    absl::StatusOr<std::vector<Candidate>> candidates = source.Expand(graph);
    ++result.expansions;
    if (!candidates.ok()) {
      return absl::Status(candidates.status().code(), absl::StrCat("search: expansion ", result.expansions,
                                                                   " failed: ", candidates.status().message()));
    }
    result.candidates += static_cast<int64_t>(candidates->size());
    return candidates;
  }

  void ReportProgress(double best_cost_us) const {
    if (!options_.progress) return;
    Progress progress;
    progress.expansions = result.expansions;
    progress.candidates = result.candidates;
    progress.best_cost_us = best_cost_us;
    progress.elapsed_seconds = Elapsed();
    double budget_fraction =
        options_.budget > 0 ? static_cast<double>(result.expansions) / static_cast<double>(options_.budget) : 1.0;
    double time_fraction =
        options_.time_limit_seconds > 0 ? progress.elapsed_seconds / options_.time_limit_seconds : 1.0;
    progress.fraction = std::clamp(std::max(budget_fraction, time_fraction), 0.0, 1.0);
    options_.progress(progress);
  }

  void Finish(StopReason reason) {
    result.stop_reason = reason;
    result.rule_counts.clear();
    for (const TraceStep& step : result.trace) ++result.rule_counts[step.rule];
    result.seconds = Elapsed();
  }

  SearchResult result;

 private:
  const backend::CostModel& cost_model_;
  const SearchOptions& options_;
  Clock::time_point start_;
};

StopReason GreedySearch(const ir::Graph& input, RewriteSource& source, const SearchOptions& options, Run& run,
                        absl::Status& error) {
  SearchResult& result = run.result;
  ir::Graph current = input;
  double current_cost = result.initial_cost_us;
  // Writes back the graph reached; every return goes through here.
  auto stop = [&](StopReason reason) {
    result.best = std::move(current);
    result.best_cost_us = current_cost;
    return reason;
  };
  while (true) {
    if (options.stop_after >= 0 && static_cast<int64_t>(result.trace.size()) >= options.stop_after) {
      return stop(StopReason::kStopAfter);
    }
    if (run.OutOfBudget()) return stop(StopReason::kBudget);
    if (run.OutOfTime()) return stop(StopReason::kTimeLimit);

    absl::StatusOr<std::vector<Candidate>> candidates = run.Expand(source, current);
    if (!candidates.ok()) {
      error = candidates.status();
      return stop(StopReason::kConverged);
    }
    std::optional<size_t> best_index;
    double best_cost = 0;
    bool timed_out = false;
    for (size_t i = 0; i < candidates->size(); ++i) {
      // Costing is the expensive part of a step, so the clock is checked per
      // candidate. A step cut short is not taken: its best so far might not be
      // the step a full look would pick, and a run must be reproducible from
      // its trace.
      if (run.OutOfTime()) {
        timed_out = true;
        break;
      }
      std::optional<double> cost = run.CandidateCost((*candidates)[i].graph);
      if (!cost.has_value()) continue;
      if (!best_index.has_value() || Cheaper(*cost, best_cost)) {
        best_index = i;
        best_cost = *cost;
      }
    }
    bool moved = !timed_out && best_index.has_value() && Cheaper(best_cost, current_cost);
    if (moved) {
      Candidate& chosen = (*candidates)[*best_index];
      current = std::move(chosen.graph);
      current_cost = best_cost;
      result.trace.push_back(TraceStep{std::move(chosen.rule), std::move(chosen.location), best_cost});
    }
    run.ReportProgress(current_cost);
    if (timed_out) return stop(StopReason::kTimeLimit);
    if (!moved) return stop(StopReason::kConverged);
  }
}

// One graph on a path from the input: the arena entry a queued graph points at.
struct PathNode {
  int64_t parent = -1;  // index into the arena; -1 for the input
  std::string rule;
  std::string location;
  double cost_us = 0;
  int64_t depth = 0;  // rewrites from the input
};

struct QueueEntry {
  std::shared_ptr<const ir::Graph> graph;
  int64_t path = 0;  // index into the arena
};

StopReason BacktrackSearch(const ir::Graph& input, RewriteSource& source, const SearchOptions& options, Run& run,
                           absl::Status& error) {
  SearchResult& result = run.result;
  std::vector<PathNode> arena;
  // Ordered by (cost, insertion number): begin() is the cheapest, ties go to
  // the earlier graph, and end() is where the queue cap drops from.
  std::map<std::pair<double, int64_t>, QueueEntry> queue;
  int64_t pushed = 0;
  GraphSet seen(options.graph_hash);

  auto input_graph = std::make_shared<const ir::Graph>(input);
  arena.push_back(PathNode{-1, "", "", result.initial_cost_us, 0});
  seen.Insert(input_graph);
  queue.emplace(std::make_pair(result.initial_cost_us, pushed++), QueueEntry{input_graph, 0});

  std::shared_ptr<const ir::Graph> best = input_graph;
  int64_t best_path = 0;
  double best_cost = result.initial_cost_us;
  bool limited_by_stop_after = false;

  auto consider = [&](const QueueEntry& entry) {
    double cost = arena[static_cast<size_t>(entry.path)].cost_us;
    if (Cheaper(cost, best_cost)) {
      best = entry.graph;
      best_path = entry.path;
      best_cost = cost;
    }
  };
  auto stop = [&](StopReason reason) {
    // On an early stop the cheapest waiting graph was costed but never popped;
    // it may beat the best popped so far.
    if (reason == StopReason::kBudget || reason == StopReason::kTimeLimit) {
      if (!queue.empty()) consider(queue.begin()->second);
    }
    result.best = *best;
    result.best_cost_us = best_cost;
    std::vector<TraceStep> trace;
    for (int64_t p = best_path; p > 0; p = arena[static_cast<size_t>(p)].parent) {
      const PathNode& node = arena[static_cast<size_t>(p)];
      trace.push_back(TraceStep{node.rule, node.location, node.cost_us});
    }
    std::reverse(trace.begin(), trace.end());
    result.trace = std::move(trace);
    return reason;
  };

  while (!queue.empty()) {
    if (run.OutOfBudget()) return stop(StopReason::kBudget);
    if (run.OutOfTime()) return stop(StopReason::kTimeLimit);
    QueueEntry entry = std::move(queue.begin()->second);
    queue.erase(queue.begin());
    consider(entry);
    int64_t depth = arena[static_cast<size_t>(entry.path)].depth;
    if (options.stop_after >= 0 && depth >= options.stop_after) {
      // Its candidates would be stop_after + 1 rewrites away; expanding would
      // only spend budget.
      limited_by_stop_after = true;
      continue;
    }
    absl::StatusOr<std::vector<Candidate>> candidates = run.Expand(source, *entry.graph);
    if (!candidates.ok()) {
      error = candidates.status();
      return stop(StopReason::kConverged);
    }
    for (Candidate& candidate : *candidates) {
      if (run.OutOfTime()) {
        run.ReportProgress(best_cost);
        return stop(StopReason::kTimeLimit);
      }
      std::optional<double> cost = run.CandidateCost(candidate.graph);
      if (!cost.has_value()) continue;
      // TASO's relaxation: keep graphs up to alpha times worse than the best,
      // so a rewrite that costs a little now can open a cheaper one later.
      if (!(*cost < options.alpha * best_cost)) continue;
      auto graph = std::make_shared<const ir::Graph>(std::move(candidate.graph));
      if (!seen.Insert(graph)) {
        ++result.duplicates;
        continue;
      }
      arena.push_back(PathNode{entry.path, std::move(candidate.rule), std::move(candidate.location), *cost, depth + 1});
      queue.emplace(std::make_pair(*cost, pushed++),
                    QueueEntry{std::move(graph), static_cast<int64_t>(arena.size()) - 1});
      while (static_cast<int64_t>(queue.size()) > options.max_queue_size) {
        queue.erase(std::prev(queue.end()));
        ++result.dropped;
      }
    }
    run.ReportProgress(best_cost);
  }
  return stop(limited_by_stop_after ? StopReason::kStopAfter : StopReason::kConverged);
}

}  // namespace

// Greedy descent reaches a local optimum in few expansions when rewrites
// improve one at a time (batching an RNN's steps takes dozens of them);
// backtracking then looks past it with what is left of the budget and time.
absl::StatusOr<SearchResult> HybridSearch(const ir::Graph& graph, RewriteSource& source,
                                          const backend::CostModel& cost_model, const SearchOptions& options) {
  SearchOptions greedy_options = options;
  greedy_options.strategy = Strategy::kGreedy;
  absl::StatusOr<SearchResult> greedy = Search(graph, source, cost_model, greedy_options);
  if (!greedy.ok()) return greedy.status();
  bool exhausted = greedy->stop_reason != StopReason::kConverged;
  int64_t steps = static_cast<int64_t>(greedy->trace.size());
  if (exhausted || (options.stop_after >= 0 && steps >= options.stop_after)) return greedy;

  SearchOptions backtrack_options = options;
  backtrack_options.strategy = Strategy::kBacktrack;
  backtrack_options.budget = std::max<int64_t>(0, options.budget - greedy->expansions);
  backtrack_options.time_limit_seconds = std::max(0.0, options.time_limit_seconds - greedy->seconds);
  if (options.stop_after >= 0) backtrack_options.stop_after = options.stop_after - steps;
  absl::StatusOr<SearchResult> backtrack = Search(greedy->best, source, cost_model, backtrack_options);
  if (!backtrack.ok()) return backtrack.status();

  SearchResult result = *std::move(backtrack);
  result.initial_cost_us = greedy->initial_cost_us;
  std::vector<TraceStep> trace = std::move(greedy->trace);
  trace.insert(trace.end(), result.trace.begin(), result.trace.end());
  result.trace = std::move(trace);
  result.rule_counts.clear();
  for (const TraceStep& step : result.trace) ++result.rule_counts[step.rule];
  result.expansions += greedy->expansions;
  result.candidates += greedy->candidates;
  result.duplicates += greedy->duplicates;
  result.unknown_cost += greedy->unknown_cost;
  result.seconds += greedy->seconds;
  return result;
}

absl::StatusOr<SearchResult> Search(const ir::Graph& graph, RewriteSource& source, const backend::CostModel& cost_model,
                                    const SearchOptions& options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) return status;
  backend::GraphCost initial = cost_model.Estimate(graph);
  if (!initial.known()) {
    std::string why;
    for (const backend::NodeCost& node : initial.nodes) {
      if (node.known()) continue;
      why = absl::StrCat(": node '", node.name, "' (", node.op_type, "): ", node.unknown_reason);
      break;
    }
    return absl::InvalidArgumentError(absl::StrCat("search: the input graph's cost is unknown to the ",
                                                   cost_model.name(), " cost model (", initial.unknown_nodes,
                                                   " node(s) unknown)", why));
  }

  if (options.strategy == Strategy::kHybrid) return HybridSearch(graph, source, cost_model, options);
  Run run(cost_model, options);
  run.result.initial_cost_us = *initial.total_us;
  absl::Status error;
  StopReason reason = options.strategy == Strategy::kGreedy ? GreedySearch(graph, source, options, run, error)
                                                            : BacktrackSearch(graph, source, options, run, error);
  if (!error.ok()) return error;
  run.Finish(reason);
  return std::move(run.result);
}

absl::StatusOr<SearchResult> SearchInTiers(const ir::Graph& graph, const std::vector<RewriteSource*>& tiers,
                                           const backend::CostModel& cost_model, const SearchOptions& options) {
  if (tiers.empty()) return absl::InvalidArgumentError("SearchInTiers needs at least one rewrite source");
  auto start = std::chrono::steady_clock::now();
  std::optional<SearchResult> total;
  for (RewriteSource* tier : tiers) {
    SearchOptions remaining = options;
    if (total) {
      remaining.budget = options.budget - total->expansions;
      remaining.time_limit_seconds =
          options.time_limit_seconds - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (options.stop_after >= 0)
        remaining.stop_after = options.stop_after - static_cast<int64_t>(total->trace.size());
      if (remaining.budget <= 0 || remaining.time_limit_seconds <= 0 || remaining.stop_after == 0) break;
    }
    absl::StatusOr<SearchResult> result = Search(total ? total->best : graph, *tier, cost_model, remaining);
    if (!result.ok()) return result.status();
    if (!total) {
      total = *std::move(result);
    } else {
      total->best = std::move(result->best);
      total->best_cost_us = result->best_cost_us;
      total->trace.insert(total->trace.end(), result->trace.begin(), result->trace.end());
      for (const auto& [rule, count] : result->rule_counts) total->rule_counts[rule] += count;
      total->stop_reason = result->stop_reason;
      total->expansions += result->expansions;
      total->candidates += result->candidates;
      total->duplicates += result->duplicates;
      total->unknown_cost += result->unknown_cost;
      total->dropped += result->dropped;
    }
    if (total->stop_reason == StopReason::kBudget || total->stop_reason == StopReason::kTimeLimit) break;
  }
  total->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return *std::move(total);
}

}  // namespace gsopt::search
