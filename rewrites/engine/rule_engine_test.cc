// Tests of the rule engine's semantics on small hand-written rules and
// graphs: multi-root matching, attribute defaults, pattern symmetries,
// conditions, let evaluation, output-name preservation and failure modes.
// The built-in library's rules are tested one by one in
// rewrites/rules/tests (text tests run by tests/rules/rule_tests.py).
#include "rewrites/engine/rule_engine.h"

#include <string>

#include "frontends/text/text_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/op_registry.h"
#include "ir/verifier.h"
#include "verifier/random/differential.h"

namespace gsopt::rewrites {
namespace {

using ::testing::HasSubstr;

RuleSet Rules(const std::string& text) {
  absl::StatusOr<rules::RuleTable> table = rules::ParseRuleTable(text, "test.rules");
  EXPECT_TRUE(table.ok()) << table.status();
  absl::StatusOr<RuleSet> set = RuleSet::Create(*table, ir::OpRegistry::Global(), "test.rules");
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

ir::Graph Parse(const std::string& text) {
  absl::StatusOr<ir::Graph> graph = frontends::text::ParseGraph(text);
  EXPECT_TRUE(graph.ok()) << graph.status();
  EXPECT_TRUE(ir::InferShapes(*graph).ok());
  return *std::move(graph);
}

int CountOps(const ir::Graph& graph, const std::string& op) {
  int n = 0;
  for (ir::NodeId id : graph.LiveNodes()) n += graph.node(id).op_type == op;
  return n;
}

void ExpectSameFunction(const ir::Graph& rewritten, const ir::Graph& original) {
  verifier::DifferentialOptions options;
  absl::StatusOr<verifier::DifferentialReport> report = verifier::CompareGraphs(rewritten, original, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->matches) << report->Summary();
}

constexpr char kMergeMatMul[] = R"(
# merge: two MatMuls on one input
rule merge
  source %y1 = MatMul(%x, %w1)
  source %y2 = MatMul(%x, %w2)
  where const(%w1, %w2), eq(dim(%w1, 0), dim(%w2, 0))
  let %w = concat(1, %w1, %w2)
  let %sizes = ints(dim(%w1, 1), dim(%w2, 1))
  target %y = MatMul(%x, %w)
  target %y1, %y2 = Split(%y, %sizes){axis=-1}
)";

constexpr char kThreeMatMuls[] = R"(gsir 1
graph @g(%x: f32[2,4]) -> (%a: f32[2,3], %b: f32[2,5], %c: f32[2,2]) {
  %w1 = const f32[4,3] dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]>
  %w2 = const f32[4,5] dense<[1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8, 9, -9, 10, -10]>
  %w3 = const f32[5,2] dense<[0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]>
  %a = MatMul(%x, %w1) loc("mm1")
  %b = MatMul(%x, %w2) loc("mm2")
  %c = MatMul(%b, %w3) loc("mm3")
  return %a, %b, %c
}
)";

TEST(RuleEngineTest, MultiRootPatternMatchesSiblingsOnceDespiteSymmetry) {
  RuleSet rules = Rules(kMergeMatMul);
  ir::Graph graph = Parse(kThreeMatMuls);
  std::vector<Match> matches = rules.FindMatches(graph);
  // mm1/mm2 share %x (in either role: reported once); mm3 reads %b, not %x.
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(RuleSet::Describe(graph, matches[0]), "mm2, mm1");
}

TEST(RuleEngineTest, ApplyKeepsOutputNamesAndFunction) {
  RuleSet rules = Rules(kMergeMatMul);
  ir::Graph graph = Parse(kThreeMatMuls);
  std::vector<Match> matches = rules.FindMatches(graph);
  ASSERT_EQ(matches.size(), 1u);
  absl::StatusOr<ir::Graph> rewritten = rules.Apply(matches[0], graph);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_TRUE(ir::VerifyGraph(*rewritten).ok());
  EXPECT_EQ(CountOps(*rewritten, "MatMul"), 2);  // merged one + mm3
  EXPECT_EQ(CountOps(*rewritten, "Split"), 1);
  // Graph outputs keep their names although new nodes define them now.
  ASSERT_EQ(rewritten->outputs().size(), 3u);
  EXPECT_EQ(rewritten->value(rewritten->outputs()[0]).name, "a");
  EXPECT_EQ(rewritten->value(rewritten->outputs()[1]).name, "b");
  EXPECT_EQ(rewritten->value(rewritten->outputs()[2]).name, "c");
  ExpectSameFunction(*rewritten, graph);
  // The input graph is untouched.
  EXPECT_EQ(CountOps(graph, "MatMul"), 3);
}

TEST(RuleEngineTest, ConditionOnDimsRejectsMismatchedWeights) {
  RuleSet rules = Rules(kMergeMatMul);
  ir::Graph graph = Parse(R"(gsir 1
graph @g(%x: f32[2,4], %w2: f32[4,5]) -> (%a: f32[2,3], %b: f32[2,5]) {
  %w1 = const f32[4,3] dense<1>
  %a = MatMul(%x, %w1)
  %b = MatMul(%x, %w2)
  return %a, %b
}
)");
  EXPECT_TRUE(rules.FindMatches(graph).empty()) << "w2 is a runtime input, not a constant";
}

TEST(RuleEngineTest, LiteralAttributeMatchesOmittedDefault) {
  RuleSet rules = Rules(R"(
# g1: a Conv with group 1
rule g1
  source %y = Conv(%x, %w){group=1, strides=[1, 1], ..?a}
  target %y = Conv(%x, %w){group=1, strides=[1, 1], ..?a}
)");
  ir::Graph omitted = Parse(R"(gsir 1
graph @g(%x: f32[1,2,4,4]) -> (%y: f32[1,3,4,4]) {
  %w = const f32[3,2,1,1] dense<1>
  %y = Conv(%x, %w)
  return %y
}
)");
  EXPECT_EQ(rules.FindMatches(omitted).size(), 1u);
  ir::Graph grouped = Parse(R"(gsir 1
graph @g(%x: f32[1,2,4,4]) -> (%y: f32[1,2,4,4]) {
  %w = const f32[2,1,1,1] dense<1>
  %y = Conv(%x, %w) {group = 2}
  return %y
}
)");
  EXPECT_TRUE(rules.FindMatches(grouped).empty());
}

TEST(RuleEngineTest, RestParameterMustAgreeAcrossNodes) {
  RuleSet rules = Rules(R"(
# pair: two Convs with the same other attributes
rule pair
  source %y1 = Conv(%x, %w1){..?a}
  source %y2 = Conv(%x, %w2){..?a}
  target %y1 = Conv(%x, %w1){..?a}
  target %y2 = Conv(%x, %w2){..?a}
)");
  // Explicit default strides on one and none on the other still agree.
  ir::Graph same = Parse(R"(gsir 1
graph @g(%x: f32[1,2,4,4]) -> (%a: f32[1,3,4,4], %b: f32[1,3,4,4]) {
  %w = const f32[3,2,1,1] dense<1>
  %a = Conv(%x, %w) {strides = [1, 1]}
  %b = Conv(%x, %w)
  return %a, %b
}
)");
  EXPECT_EQ(rules.FindMatches(same).size(), 1u);
  ir::Graph different = Parse(R"(gsir 1
graph @g(%x: f32[1,2,4,4]) -> (%a: f32[1,3,2,2], %b: f32[1,3,4,4]) {
  %w = const f32[3,2,1,1] dense<1>
  %a = Conv(%x, %w) {strides = [2, 2]}
  %b = Conv(%x, %w)
  return %a, %b
}
)");
  EXPECT_TRUE(rules.FindMatches(different).empty());
}

TEST(RuleEngineTest, SingleUseGuardsSharedIntermediate) {
  RuleSet rules = Rules(R"(
# fold: two constant multiplications
rule fold
  source %t = Mul(%x, %c1)
  source %y = Mul(%t, %c2)
  where const(%c1, %c2), single_use(%t)
  let %c = mul(%c1, %c2)
  target %y = Mul(%x, %c)
)");
  ir::Graph shared = Parse(R"(gsir 1
graph @g(%x: f32[3]) -> (%y: f32[3], %t: f32[3]) {
  %c1 = const f32[3] dense<[1, 2, 3]>
  %c2 = const f32[] dense<2>
  %t = Mul(%x, %c1)
  %y = Mul(%t, %c2)
  return %y, %t
}
)");
  EXPECT_TRUE(rules.FindMatches(shared).empty());
  ir::Graph single = Parse(R"(gsir 1
graph @g(%x: f32[3]) -> (%y: f32[3]) {
  %c1 = const f32[3] dense<[1, 2, 3]>
  %c2 = const f32[] dense<2>
  %t = Mul(%x, %c1)
  %y = Mul(%t, %c2)
  return %y
}
)");
  std::vector<Match> matches = rules.FindMatches(single);
  ASSERT_EQ(matches.size(), 1u);
  absl::StatusOr<ir::Graph> rewritten = rules.Apply(matches[0], single);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(CountOps(*rewritten, "Mul"), 1);
  ExpectSameFunction(*rewritten, single);
}

TEST(RuleEngineTest, WrongRuleIsAnInternalErrorNotASilentChange) {
  // Claims Relu(x) == x reshaped to another shape: the type check refuses it.
  RuleSet rules = Rules(R"(
# bad: changes a shape
rule bad
  source %y = Relu(%x)
  let %s = ints(6)
  target %y = Reshape(%x, %s)
)");
  ir::Graph graph = Parse(R"(gsir 1
graph @g(%x: f32[2,3]) -> (%y: f32[2,3]) {
  %y = Relu(%x)
  return %y
}
)");
  std::vector<Match> matches = rules.FindMatches(graph);
  ASSERT_EQ(matches.size(), 1u);
  absl::StatusOr<ir::Graph> rewritten = rules.Apply(matches[0], graph);
  ASSERT_FALSE(rewritten.ok());
  EXPECT_EQ(rewritten.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(rewritten.status().message(), HasSubstr("would change 'y'"));
}

TEST(RuleEngineTest, FixpointStopsAfterRequestedRewrites) {
  RuleSet rules = Rules(R"(
# drop-relu-relu: Relu is idempotent
rule drop-relu-relu
  source %t = Relu(%x)
  source %y = Relu(%t)
  where single_use(%t)
  target %y = Relu(%x)
)");
  const std::string chain = R"(gsir 1
graph @g(%x: f32[4]) -> (%y: f32[4]) {
  %a = Relu(%x)
  %b = Relu(%a)
  %c = Relu(%b)
  %d = Relu(%c)
  %y = Relu(%d)
  return %y
}
)";
  ir::Graph limited = Parse(chain);
  absl::StatusOr<RewriteLog> log = RunToFixpoint(rules, limited, 100, /*stop_after=*/2);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->total, 2);
  EXPECT_EQ(CountOps(limited, "Relu"), 3);
  ir::Graph full = Parse(chain);
  log = RunToFixpoint(rules, full);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->total, 4);
  EXPECT_EQ(CountOps(full, "Relu"), 1);
  EXPECT_EQ(full.value(full.outputs()[0]).name, "y");
}

TEST(RuleEngineTest, CommutativeOperandsMatchInEitherOrderOthersDoNot) {
  RuleSet rules = Rules(R"(
# bias: a MatMul plus a constant
rule bias
  source %m = MatMul(%x, %w)
  source %y = Add(%m, %b)
  where const(%b)
  target %y = Gemm(%x, %w, %b)
# biggest: a MatMul maxed with a constant
rule biggest
  source %m = MatMul(%x, %w)
  source %y = Max(%m, %b)
  target %y = Max(%m, %b)
)");
  ir::Graph graph = Parse(R"(gsir 1
graph @g(%x: f32[2,3]) -> (%y: f32[2,4], %z: f32[2,4]) {
  %w = const f32[3,4] dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]>
  %b = const f32[4] dense<[0.5, -0.5, 1, -1]>
  %m = MatMul(%x, %w) loc("mm")
  %y = Add(%b, %m) loc("add")
  %z = Max(%b, %m) loc("max")
  return %y, %z
}
)");
  std::vector<Match> matches = rules.FindMatches(graph);
  ASSERT_EQ(matches.size(), 1u) << "Add commutes; Max is not matched with its operands swapped";
  EXPECT_EQ(rules.name(matches[0].rule), "bias");
  EXPECT_EQ(matches[0].values.at("b"), *graph.FindValue("b"));
  absl::StatusOr<ir::Graph> rewritten = rules.Apply(matches[0], graph);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  ExpectSameFunction(*rewritten, graph);
}

TEST(RuleEngineTest, BuiltInLibraryCompiles) {
  absl::StatusOr<RuleSet> rules = RuleSet::BuiltIn();
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_GT(rules->size(), 10);
  EXPECT_FALSE(rules->Restrict({"no-such-rule"}).ok());
}

}  // namespace
}  // namespace gsopt::rewrites
