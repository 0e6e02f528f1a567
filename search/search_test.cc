// Tests for the search strategies, on tiny real graphs (chains of unary ops on
// f32[4]) with a fake rule source that rewrites one node per candidate and a
// fake cost model that charges a fixed price per op type, so every expected
// cost, trace and counter below can be worked out by hand. Covers: greedy
// reaching the optimum and converging; backtracking finding an optimum behind
// a cost-increasing step (alpha > 1) that greedy and alpha = 1 miss; budget,
// time-limit and stop-after stops; de-duplication, including under a hash
// that collides for every graph; and the errors.
#include "search/search.h"

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/op_registry.h"
#include "ir/structural_hash.h"

namespace gsopt::search {
namespace {

using ir::Graph;
using ir::NodeId;
using ir::ValueId;

// x -> ops[0] -> ops[1] -> ... -> y, nodes named n0, n1, ...
Graph Chain(const std::vector<std::string>& ops) {
  Graph g;
  ValueId v = g.AddInput("x", ir::TensorType{ir::DType::kFloat32, ir::Shape(std::vector<ir::Dim>{4})});
  for (size_t i = 0; i < ops.size(); ++i) {
    NodeId n = g.AddNode(ops[i], {v}, {absl::StrCat("v", i)}, {}, absl::StrCat("n", i));
    v = g.node(n).outputs[0];
  }
  g.AddOutput(v);
  GSOPT_CHECK_OK(ir::InferShapes(g));
  return g;
}

// Live op types in execution order, to compare graphs readably.
std::vector<std::string> Ops(const Graph& g) {
  std::vector<std::string> ops;
  for (NodeId n : g.LiveNodes()) ops.push_back(g.node(n).op_type);
  return ops;
}

// A fixed price per op type; an op not in the table has an unknown cost.
class PriceListCostModel : public backend::CostModel {
 public:
  explicit PriceListCostModel(std::map<std::string, double> prices) : prices_(std::move(prices)) {}
  std::string name() const override { return "price-list"; }
  backend::NodeCost EstimateNode(const Graph& graph, NodeId node) const override {
    backend::NodeCost cost;
    cost.node = node;
    cost.name = graph.node(node).name;
    cost.op_type = graph.node(node).op_type;
    auto it = prices_.find(cost.op_type);
    if (it == prices_.end()) {
      cost.unknown_reason = "no price for " + cost.op_type;
    } else {
      cost.time_us = it->second;
    }
    return cost;
  }

 private:
  std::map<std::string, double> prices_;
};

// Relu 10, Sigmoid 10.5 (a step up from Relu), Tanh 3, Identity 1; Gelu unknown.
PriceListCostModel Prices() {
  return PriceListCostModel({{"Relu", 10}, {"Sigmoid", 10.5}, {"Tanh", 3}, {"Identity", 1}});
}

// A rule "name": every live node of type `from` becomes `to`, one candidate
// per matching node, in execution order.
struct FakeRule {
  std::string name;
  std::string from;
  std::string to;
};

class FakeSource : public RewriteSource {
 public:
  explicit FakeSource(std::vector<FakeRule> rules) : rules_(std::move(rules)) {}
  absl::StatusOr<std::vector<Candidate>> Expand(const Graph& graph) override {
    ++expand_calls;
    std::vector<Candidate> out;
    for (const FakeRule& rule : rules_) {
      for (NodeId n : graph.LiveNodes()) {
        if (graph.node(n).op_type != rule.from) continue;
        Candidate c{graph, rule.name, graph.node(n).name};
        c.graph.mutable_node(n).op_type = rule.to;
        out.push_back(std::move(c));
      }
    }
    return out;
  }
  int expand_calls = 0;

 private:
  std::vector<FakeRule> rules_;
};

SearchOptions Options(Strategy strategy) {
  SearchOptions options;
  options.strategy = strategy;
  options.time_limit_seconds = 60;  // generous: only the time-limit test hits it
  return options;
}

TEST(SearchTest, NamesRoundTrip) {
  for (Strategy s : {Strategy::kGreedy, Strategy::kBacktrack, Strategy::kHybrid}) {
    absl::StatusOr<Strategy> parsed = ParseStrategy(StrategyName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  absl::StatusOr<Strategy> bad = ParseStrategy("beam");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'greedy', 'backtrack' or 'hybrid'"), std::string::npos);
  EXPECT_EQ(StopReasonName(StopReason::kTimeLimit), "time-limit");
}

TEST(GreedySearchTest, ReachesTheOptimumWithTheRightTrace) {
  Graph input = Chain({"Relu", "Relu", "Relu"});
  // relu-to-tanh comes first in the order but relu-to-identity is cheaper:
  // greedy must take the cheapest, not the first.
  FakeSource source({{"relu-to-tanh", "Relu", "Tanh"}, {"relu-to-identity", "Relu", "Identity"}});
  PriceListCostModel prices = Prices();
  int progress_calls = 0;
  SearchOptions options = Options(Strategy::kGreedy);
  options.progress = [&](const Progress& p) {
    ++progress_calls;
    EXPECT_EQ(p.expansions, progress_calls);
    EXPECT_GE(p.fraction, 0);
    EXPECT_LE(p.fraction, 1);
  };
  absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ops(r->best), (std::vector<std::string>{"Identity", "Identity", "Identity"}));
  EXPECT_DOUBLE_EQ(r->initial_cost_us, 30);
  EXPECT_DOUBLE_EQ(r->best_cost_us, 3);
  ASSERT_EQ(r->trace.size(), 3u);
  // Ties (one candidate per Relu, all the same cost) go to the first: n0, n1, n2.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r->trace[i].rule, "relu-to-identity");
    EXPECT_EQ(r->trace[i].location, absl::StrCat("n", i));
  }
  EXPECT_DOUBLE_EQ(r->trace[0].cost_us, 21);
  EXPECT_DOUBLE_EQ(r->trace[2].cost_us, 3);
  EXPECT_EQ(r->rule_counts, (std::map<std::string, int>{{"relu-to-identity", 3}}));
  EXPECT_EQ(r->stop_reason, StopReason::kConverged);
  // Three moves, then one expansion that finds nothing.
  EXPECT_EQ(r->expansions, 4);
  EXPECT_EQ(r->candidates, 6 + 4 + 2 + 0);
  EXPECT_EQ(progress_calls, 4);
}

TEST(GreedySearchTest, ConvergesWhenNothingImproves) {
  Graph input = Chain({"Identity", "Identity"});
  FakeSource source({{"identity-to-relu", "Identity", "Relu"}});
  PriceListCostModel prices = Prices();
  absl::StatusOr<SearchResult> r = Search(input, source, prices, Options(Strategy::kGreedy));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, StopReason::kConverged);
  EXPECT_TRUE(r->trace.empty());
  EXPECT_TRUE(r->rule_counts.empty());
  EXPECT_EQ(r->expansions, 1);
  EXPECT_EQ(r->candidates, 2);
  EXPECT_DOUBLE_EQ(r->best_cost_us, 2);
  EXPECT_TRUE(ir::StructurallyEqual(r->best, input));
}

// The key case: Relu (10) -> Sigmoid (10.5) -> Identity (1). The only way
// down starts with a step up, which greedy never takes.
TEST(BacktrackSearchTest, FindsTheOptimumBehindACostIncreasingStep) {
  Graph input = Chain({"Relu"});
  PriceListCostModel prices = Prices();
  std::vector<FakeRule> rules = {{"relu-to-sigmoid", "Relu", "Sigmoid"},
                                 {"sigmoid-to-identity", "Sigmoid", "Identity"}};

  FakeSource greedy_source(rules);
  absl::StatusOr<SearchResult> greedy = Search(input, greedy_source, prices, Options(Strategy::kGreedy));
  ASSERT_TRUE(greedy.ok()) << greedy.status();
  EXPECT_DOUBLE_EQ(greedy->best_cost_us, 10);
  EXPECT_EQ(greedy->stop_reason, StopReason::kConverged);

  FakeSource strict_source(rules);
  SearchOptions strict = Options(Strategy::kBacktrack);
  strict.alpha = 1.0;  // 10.5 < 1.0 * 10 fails: Sigmoid is never queued
  absl::StatusOr<SearchResult> no_relax = Search(input, strict_source, prices, strict);
  ASSERT_TRUE(no_relax.ok()) << no_relax.status();
  EXPECT_DOUBLE_EQ(no_relax->best_cost_us, 10);
  EXPECT_TRUE(no_relax->trace.empty());
  EXPECT_EQ(no_relax->stop_reason, StopReason::kConverged);
  EXPECT_EQ(no_relax->expansions, 1);

  FakeSource relaxed_source(rules);
  SearchOptions relaxed = Options(Strategy::kBacktrack);
  relaxed.alpha = 1.1;  // 10.5 < 11: queued, and it leads to Identity
  std::vector<double> best_seen;
  relaxed.progress = [&](const Progress& p) { best_seen.push_back(p.best_cost_us); };
  absl::StatusOr<SearchResult> r = Search(input, relaxed_source, prices, relaxed);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ops(r->best), (std::vector<std::string>{"Identity"}));
  EXPECT_DOUBLE_EQ(r->best_cost_us, 1);
  ASSERT_EQ(r->trace.size(), 2u);
  EXPECT_EQ(r->trace[0].rule, "relu-to-sigmoid");
  EXPECT_DOUBLE_EQ(r->trace[0].cost_us, 10.5);
  EXPECT_EQ(r->trace[1].rule, "sigmoid-to-identity");
  EXPECT_DOUBLE_EQ(r->trace[1].cost_us, 1);
  EXPECT_EQ(r->rule_counts, (std::map<std::string, int>{{"relu-to-sigmoid", 1}, {"sigmoid-to-identity", 1}}));
  EXPECT_EQ(r->stop_reason, StopReason::kConverged);
  EXPECT_EQ(r->expansions, 3);  // Relu, Sigmoid, Identity
  // Reported after each expansion; the best changes when Identity is popped.
  EXPECT_EQ(best_seen, (std::vector<double>{10, 10, 1}));
}

// Hybrid: greedy walks Relu x2 down to Tanh (an improvement), converges, and
// backtracking from there takes the step up to Sigmoid that leads to Identity.
TEST(HybridSearchTest, GreedyThenBacktrackWithOneTraceAndBudget) {
  Graph input = Chain({"Relu", "Relu"});
  PriceListCostModel prices = Prices();
  std::vector<FakeRule> rules = {{"relu-to-tanh", "Relu", "Tanh"},
                                 {"tanh-to-sigmoid", "Tanh", "Sigmoid"},
                                 {"sigmoid-to-identity", "Sigmoid", "Identity"}};
  FakeSource source(rules);
  SearchOptions options = Options(Strategy::kHybrid);
  options.alpha = 3.0;  // from Tanh,Tanh (6) the way down passes Identity,Sigmoid (11.5)
  absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ops(r->best), (std::vector<std::string>{"Identity", "Identity"}));
  EXPECT_DOUBLE_EQ(r->initial_cost_us, 20);
  EXPECT_DOUBLE_EQ(r->best_cost_us, 2);
  ASSERT_EQ(r->trace.size(), 6u);  // 2 greedy steps, then 4 from backtracking
  EXPECT_EQ(r->trace[0].rule, "relu-to-tanh");
  EXPECT_EQ(r->trace[1].rule, "relu-to-tanh");
  EXPECT_EQ(r->rule_counts,
            (std::map<std::string, int>{{"relu-to-tanh", 2}, {"tanh-to-sigmoid", 2}, {"sigmoid-to-identity", 2}}));
  EXPECT_EQ(r->stop_reason, StopReason::kConverged);

  // The budget covers both phases: greedy's three expansions leave one.
  FakeSource limited_source(rules);
  options.budget = 4;
  absl::StatusOr<SearchResult> limited = Search(input, limited_source, prices, options);
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_EQ(limited->expansions, 4);
  EXPECT_EQ(limited->stop_reason, StopReason::kBudget);
  EXPECT_EQ(limited->trace.size(), 2u);  // the greedy steps; one backtracking expansion finds no cheaper graph
}

TEST(SearchTest, StopsOnBudgetWithExactlyThatManyExpansions) {
  Graph input = Chain(std::vector<std::string>(10, "Relu"));
  PriceListCostModel prices = Prices();
  for (Strategy s : {Strategy::kGreedy, Strategy::kBacktrack, Strategy::kHybrid}) {
    SCOPED_TRACE(StrategyName(s));
    FakeSource source({{"relu-to-identity", "Relu", "Identity"}});
    SearchOptions options = Options(s);
    options.budget = 3;
    absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->stop_reason, StopReason::kBudget);
    EXPECT_EQ(r->expansions, 3);
    EXPECT_EQ(source.expand_calls, 3);
    EXPECT_LT(r->best_cost_us, r->initial_cost_us);
    // The best graph is consistent with its trace.
    ASSERT_FALSE(r->trace.empty());
    EXPECT_DOUBLE_EQ(r->trace.back().cost_us, r->best_cost_us);
    EXPECT_DOUBLE_EQ(r->best_cost_us, 100 - 9.0 * static_cast<double>(r->trace.size()));
  }
  // Budget 0: nothing is expanded and the input comes back.
  FakeSource source({{"relu-to-identity", "Relu", "Identity"}});
  SearchOptions options = Options(Strategy::kBacktrack);
  options.budget = 0;
  absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, StopReason::kBudget);
  EXPECT_EQ(r->expansions, 0);
  EXPECT_TRUE(ir::StructurallyEqual(r->best, input));
}

TEST(TieredSearchTest, SecondTierRefinesTheFirstsResultAndCountsAdd) {
  // Tier 1 only knows relu-to-tanh (10 -> 3); tier 2 adds tanh-to-identity
  // (3 -> 1), which only the first tier's output gives it anything to do.
  Graph input = Chain({"Relu", "Relu"});
  PriceListCostModel prices = Prices();
  FakeSource first({{"relu-to-tanh", "Relu", "Tanh"}});
  FakeSource second({{"relu-to-tanh", "Relu", "Tanh"}, {"tanh-to-identity", "Tanh", "Identity"}});
  absl::StatusOr<SearchResult> r = SearchInTiers(input, {&first, &second}, prices, Options(Strategy::kGreedy));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Ops(r->best), (std::vector<std::string>{"Identity", "Identity"}));
  EXPECT_EQ(r->stop_reason, StopReason::kConverged);
  EXPECT_EQ(r->rule_counts["relu-to-tanh"], 2);
  EXPECT_EQ(r->rule_counts["tanh-to-identity"], 2);
  ASSERT_EQ(r->trace.size(), 4u);
  EXPECT_EQ(r->trace[0].rule, "relu-to-tanh");  // the first tier's steps come first
  EXPECT_EQ(r->trace[3].rule, "tanh-to-identity");
  EXPECT_DOUBLE_EQ(r->best_cost_us, 2);
  EXPECT_EQ(r->expansions, first.expand_calls + second.expand_calls);
}

TEST(TieredSearchTest, TheBudgetIsSharedAndABudgetStopEndsTheRun) {
  Graph input = Chain(std::vector<std::string>(5, "Relu"));
  PriceListCostModel prices = Prices();
  FakeSource first({{"relu-to-tanh", "Relu", "Tanh"}});
  FakeSource second({{"tanh-to-identity", "Tanh", "Identity"}});
  SearchOptions options = Options(Strategy::kGreedy);
  options.budget = 2;
  absl::StatusOr<SearchResult> r = SearchInTiers(input, {&first, &second}, prices, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, StopReason::kBudget);
  EXPECT_EQ(r->expansions, 2);
  EXPECT_EQ(second.expand_calls, 0);
  EXPECT_FALSE(SearchInTiers(input, {}, prices, options).ok());
}

// Wraps a source and sleeps in every Expand, like a slow matcher.
class SleepySource : public RewriteSource {
 public:
  explicit SleepySource(RewriteSource& inner) : inner_(inner) {}
  absl::StatusOr<std::vector<Candidate>> Expand(const Graph& graph) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return inner_.Expand(graph);
  }

 private:
  RewriteSource& inner_;
};

TEST(SearchTest, StopsOnTheTimeLimitAndReturnsQuickly) {
  Graph input = Chain(std::vector<std::string>(50, "Relu"));
  PriceListCostModel prices = Prices();
  for (Strategy s : {Strategy::kGreedy, Strategy::kBacktrack, Strategy::kHybrid}) {
    SCOPED_TRACE(StrategyName(s));
    FakeSource inner({{"relu-to-identity", "Relu", "Identity"}});
    SleepySource source(inner);
    SearchOptions options = Options(s);
    options.time_limit_seconds = 0.05;
    options.budget = 1000;  // 50 moves would take a second at 20 ms each
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->stop_reason, StopReason::kTimeLimit);
    EXPECT_LT(r->expansions, 50);
    EXPECT_GE(r->seconds, 0.05);
    EXPECT_LT(wall, 0.5);
    EXPECT_LE(r->best_cost_us, r->initial_cost_us);
  }
}

TEST(SearchTest, StopAfterGivesExactlyThatManySteps) {
  Graph input = Chain(std::vector<std::string>(5, "Relu"));
  PriceListCostModel prices = Prices();
  for (Strategy s : {Strategy::kGreedy, Strategy::kBacktrack, Strategy::kHybrid}) {
    for (int n : {0, 1, 2, 4}) {
      SCOPED_TRACE(testing::Message() << StrategyName(s) << " stop_after=" << n);
      FakeSource source({{"relu-to-identity", "Relu", "Identity"}});
      SearchOptions options = Options(s);
      options.stop_after = n;
      absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->stop_reason, StopReason::kStopAfter);
      EXPECT_EQ(r->trace.size(), static_cast<size_t>(n));
      EXPECT_DOUBLE_EQ(r->best_cost_us, 50 - 9.0 * n);
      if (n == 0) {
        EXPECT_EQ(r->expansions, 0);
        EXPECT_TRUE(ir::StructurallyEqual(r->best, input));
      }
    }
  }
  // A limit the search never reaches changes nothing: it converges.
  FakeSource source({{"relu-to-identity", "Relu", "Identity"}});
  SearchOptions options = Options(Strategy::kGreedy);
  options.stop_after = 9;
  absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, StopReason::kConverged);
  EXPECT_EQ(r->trace.size(), 5u);
}

TEST(BacktrackSearchTest, TwoRulesProducingTheSameGraphCountOnce) {
  Graph input = Chain({"Relu"});
  FakeSource source({{"relu-to-identity", "Relu", "Identity"}, {"relu-to-identity-again", "Relu", "Identity"}});
  PriceListCostModel prices = Prices();
  absl::StatusOr<SearchResult> r = Search(input, source, prices, Options(Strategy::kBacktrack));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->candidates, 2);
  EXPECT_EQ(r->duplicates, 1);
  EXPECT_EQ(r->expansions, 2);  // the input and the one Identity graph
  ASSERT_EQ(r->trace.size(), 1u);
  EXPECT_EQ(r->trace[0].rule, "relu-to-identity");  // the first one wins
}

// Two Relus: both orders of rewriting them reach [Identity, Identity]; the
// second arrival is a duplicate. With the real hash and with a hash that maps
// every graph to 0 (so every lookup collides) the search must do exactly the
// same, because equality, not the hash, decides.
TEST(BacktrackSearchTest, DuplicatesAreFoundAndCollisionsDoNotMerge) {
  Graph input = Chain({"Relu", "Relu"});
  PriceListCostModel prices = Prices();
  for (bool collide : {false, true}) {
    SCOPED_TRACE(collide ? "constant hash" : "structural hash");
    FakeSource source({{"relu-to-identity", "Relu", "Identity"}});
    SearchOptions options = Options(Strategy::kBacktrack);
    if (collide) options.graph_hash = [](const Graph&) { return size_t{0}; };
    absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_DOUBLE_EQ(r->best_cost_us, 2);
    EXPECT_EQ(r->trace.size(), 2u);
    EXPECT_EQ(r->duplicates, 1);
    // input; [Id,Relu]; [Id,Id] (cheapest, so popped next); [Relu,Id].
    EXPECT_EQ(r->expansions, 4);
    EXPECT_EQ(r->stop_reason, StopReason::kConverged);
  }
}

TEST(GraphSetTest, EqualityDecidesUnderACollidingHash) {
  GraphSet set([](const Graph&) { return size_t{42}; });
  auto a = std::make_shared<const Graph>(Chain({"Relu", "Identity"}));
  auto b = std::make_shared<const Graph>(Chain({"Identity", "Relu"}));
  EXPECT_TRUE(set.Insert(a));
  EXPECT_TRUE(set.Insert(b));  // same hash, different graph: kept
  EXPECT_EQ(set.size(), 2);
  EXPECT_GE(set.collisions(), 1);
  EXPECT_FALSE(set.Insert(std::make_shared<const Graph>(Chain({"Identity", "Relu"}))));
  EXPECT_TRUE(set.Contains(Chain({"Relu", "Identity"})));
  EXPECT_FALSE(set.Contains(Chain({"Relu", "Relu"})));
  EXPECT_EQ(set.size(), 2);

  GraphSet real;  // ir::StructuralHash
  EXPECT_TRUE(real.Insert(a));
  EXPECT_FALSE(real.Insert(std::make_shared<const Graph>(Chain({"Relu", "Identity"}))));
  EXPECT_TRUE(real.Insert(b));
}

TEST(BacktrackSearchTest, QueueCapDropsTheMostExpensive) {
  // Three Relus; relu-to-tanh and relu-to-sigmoid give six candidates, three
  // at 23 (Tanh) and three at 30.5 (Sigmoid). alpha 1.1 keeps 30.5 < 33.
  Graph input = Chain({"Relu", "Relu", "Relu"});
  PriceListCostModel prices = Prices();
  FakeSource source({{"relu-to-tanh", "Relu", "Tanh"}, {"relu-to-sigmoid", "Relu", "Sigmoid"}});
  SearchOptions options = Options(Strategy::kBacktrack);
  options.alpha = 1.1;
  options.budget = 1;
  options.max_queue_size = 4;
  absl::StatusOr<SearchResult> r = Search(input, source, prices, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dropped, 2);
  EXPECT_EQ(r->stop_reason, StopReason::kBudget);
  // The budget stop still reports the cheapest queued graph as the best.
  EXPECT_DOUBLE_EQ(r->best_cost_us, 23);
  ASSERT_EQ(r->trace.size(), 1u);
  EXPECT_EQ(r->trace[0].rule, "relu-to-tanh");
  EXPECT_EQ(r->trace[0].location, "n0");
}

TEST(SearchTest, CandidatesOfUnknownCostAreSkipped) {
  Graph input = Chain({"Relu"});
  PriceListCostModel prices = Prices();
  for (Strategy s : {Strategy::kGreedy, Strategy::kBacktrack, Strategy::kHybrid}) {
    SCOPED_TRACE(StrategyName(s));
    FakeSource source({{"relu-to-gelu", "Relu", "Gelu"}, {"relu-to-tanh", "Relu", "Tanh"}});
    absl::StatusOr<SearchResult> r = Search(input, source, prices, Options(s));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(Ops(r->best), (std::vector<std::string>{"Tanh"}));
    EXPECT_EQ(r->unknown_cost, 1);
  }
}

TEST(SearchTest, InputOfUnknownCostIsAnError) {
  Graph input = Chain({"Relu", "Gelu"});
  PriceListCostModel prices = Prices();
  FakeSource source({});
  absl::StatusOr<SearchResult> r = Search(input, source, prices, Options(Strategy::kBacktrack));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'n1' (Gelu): no price for Gelu"), std::string::npos) << r.status();
}

class FailingSource : public RewriteSource {
 public:
  absl::StatusOr<std::vector<Candidate>> Expand(const Graph&) override {
    return absl::InternalError("rule 'x' produced an invalid graph");
  }
};

TEST(SearchTest, SourceErrorsAndBadOptionsAreReported) {
  Graph input = Chain({"Relu"});
  PriceListCostModel prices = Prices();
  FailingSource failing;
  for (Strategy s : {Strategy::kGreedy, Strategy::kBacktrack, Strategy::kHybrid}) {
    absl::StatusOr<SearchResult> r = Search(input, failing, prices, Options(s));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
    EXPECT_NE(r.status().message().find("expansion 1 failed: rule 'x'"), std::string::npos) << r.status();
  }
  FakeSource source({});
  SearchOptions options = Options(Strategy::kBacktrack);
  options.alpha = 0.5;
  EXPECT_EQ(Search(input, source, prices, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options(Strategy::kGreedy);
  options.budget = -1;
  EXPECT_EQ(Search(input, source, prices, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options(Strategy::kGreedy);
  options.time_limit_seconds = -1;
  EXPECT_EQ(Search(input, source, prices, options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gsopt::search
