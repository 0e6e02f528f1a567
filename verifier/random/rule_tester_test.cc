// Tests of the random rule tester: every deliberately wrong rule of
// verifier/testdata/wrong.rules is refuted; correct generated-style rules and
// every instantiable rule of the built-in library pass.
#include "verifier/random/rule_tester.h"

#include <iostream>
#include <thread>

#include "gtest/gtest.h"
#include "rewrites/rules/rule_table.h"
#include "verifier/random/rule_instance.h"

namespace gsopt::verifier {
namespace {

namespace rules = rewrites::rules;

rules::RuleTable ParseOrDie(absl::string_view text) {
  auto table = rules::ParseRuleTable(text, "<test>");
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *table : rules::RuleTable{};
}

// Correct rules in the generator's op set (opset.md), one per kind of fact.
constexpr char kCorrectGenerated[] = R"(
# gen-matmul-distributes: MatMul(a, b) + MatMul(a, c) == MatMul(a, b + c)
rule gen-matmul-distributes
  provenance origin=generated proof=none
  source %t0 = MatMul(%a, %b)
  source %t1 = MatMul(%a, %c)
  source %t2 = Add(%t0, %t1)
  where rank(%a, 2), rank(%b, 2), rank(%c, 2), same_shape(%b, %c)
  target %t3 = Add(%b, %c)
  target %t2 = MatMul(%a, %t3)

# gen-transpose-of-product: (a b)^T == b^T a^T
rule gen-transpose-of-product
  provenance origin=generated proof=none
  source %p = MatMul(%a, %b)
  source %y = Transpose(%p){perm=[1, 0]}
  where rank(%a, 2), rank(%b, 2)
  target %tb = Transpose(%b){perm=[1, 0]}
  target %ta = Transpose(%a){perm=[1, 0]}
  target %y = MatMul(%tb, %ta)

# gen-concat-add: Add of two concatenations is the concatenation of the Adds
rule gen-concat-add
  provenance origin=generated proof=none
  source %c1 = Concat(%a, %b){axis=1}
  source %c2 = Concat(%c, %d){axis=1}
  source %y = Add(%c1, %c2)
  where rank(%a, 2), rank(%b, 2), rank(%c, 2), rank(%d, 2), same_shape(%a, %c), same_shape(%b, %d)
  target %s1 = Add(%a, %c)
  target %s2 = Add(%b, %d)
  target %y = Concat(%s1, %s2){axis=1}

# gen-conv-merge: two Convs of one input are one Conv on concatenated weights and a Split
rule gen-conv-merge
  provenance origin=generated proof=none
  source %y1 = Conv(%x, %w1){pads=[1, 1, 1, 1]}
  source %y2 = Conv(%x, %w2){pads=[1, 1, 1, 1]}
  where rank(%x, 4), rank(%w1, 4), rank(%w2, 4), same_shape(%w1, %w2)
  target %w = Concat(%w1, %w2){axis=0}
  target %y = Conv(%x, %w){pads=[1, 1, 1, 1]}
  target %y1, %y2 = Split(%y){axis=1}

# gen-enlarge: a 1x1 Conv is the 3x3 Conv of its zero-padded kernel with same padding
rule gen-enlarge
  provenance origin=generated proof=none
  source %y = Conv(%x, %w){pads=[0, 0, 0, 0]}
  where rank(%x, 4), rank(%w, 4), eq(dim(%w, 2), 1), eq(dim(%w, 3), 1)
  let %pads = ints(0, 0, 1, 1, 0, 0, 1, 1)
  target %w3 = Pad(%w, %pads)
  target %y = Conv(%x, %w3){pads=[1, 1, 1, 1]}

# gen-div-scale: (a * s) / b == (a / b) * s for a scalar s
rule gen-div-scale
  provenance origin=generated proof=none
  source %m = Mul(%a, %s)
  source %y = Div(%m, %b)
  where rank(%a, 2), rank(%s, 0), same_shape(%a, %b)
  target %d = Div(%a, %b)
  target %y = Mul(%d, %s)

# gen-avgpool-linear: average pooling is linear
rule gen-avgpool-linear
  provenance origin=generated proof=none
  source %pa = AveragePool(%a){kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1}
  source %pb = AveragePool(%b){kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1}
  source %y = Add(%pa, %pb)
  where rank(%a, 4), same_shape(%a, %b)
  target %s = Add(%a, %b)
  target %y = AveragePool(%s){kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1}

# gen-relu-transpose: Relu commutes with Transpose
rule gen-relu-transpose
  provenance origin=generated proof=none
  source %t = Transpose(%a){perm=[1, 0]}
  source %y = Relu(%t)
  where rank(%a, 2)
  target %r = Relu(%a)
  target %y = Transpose(%r){perm=[1, 0]}

# gen-split-concat: swapping the halves of x and tiling twice is a block matrix of the halves
rule gen-split-concat
  provenance origin=generated proof=none
  source %y1, %y2 = Split(%x){axis=0}
  source %y = Concat(%y2, %y1){axis=0}
  source %z = Concat(%y, %y){axis=1}
  where rank(%x, 2)
  target %c2 = Concat(%y2, %y2){axis=1}
  target %c1 = Concat(%y1, %y1){axis=1}
  target %z = Concat(%c2, %c1){axis=0}
)";

// Stops at the first failure with the whole result, so a broken checker is
// easy to diagnose.
std::string Explain(const rules::Rule& rule, const RuleTestResult& r) {
  return absl::StrCat(rule.name, ": ", RuleTestOutcomeName(r.outcome), " after ", r.shapes_tested,
                      " shapes: ", r.detail);
}

TEST(RuleTesterTest, RefutesEveryWrongRule) {
  auto table = rules::ReadRuleTableFile("verifier/testdata/wrong.rules");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_GE(table->rules.size(), 10u);
  for (const rules::Rule& rule : table->rules) {
    RuleTestResult r = TestRule(rule, {});
    EXPECT_EQ(r.outcome, RuleTestOutcome::kRefuted) << Explain(rule, r);
    EXPECT_FALSE(r.detail.empty());
  }
}

TEST(RuleTesterTest, PassesCorrectGeneratedRules) {
  rules::RuleTable table = ParseOrDie(kCorrectGenerated);
  ASSERT_EQ(table.rules.size(), 9u);
  for (const rules::Rule& rule : table.rules) {
    RuleTestResult r = TestRule(rule, {});
    EXPECT_EQ(r.outcome, RuleTestOutcome::kPassed) << Explain(rule, r);
    EXPECT_EQ(r.shapes_tested, 4) << rule.name;
  }
}

TEST(RuleTesterTest, FieldCheckRunsOnMultilinearRulesOnly) {
  rules::RuleTable table = ParseOrDie(kCorrectGenerated);
  RuleTestResult linear = TestRule(*table.Find("gen-matmul-distributes"), {});
  EXPECT_TRUE(linear.field_checked) << linear.detail;
  RuleTestResult relu = TestRule(*table.Find("gen-relu-transpose"), {});
  EXPECT_FALSE(relu.field_checked);
  EXPECT_EQ(relu.outcome, RuleTestOutcome::kPassed) << relu.detail;
}

TEST(RuleTesterTest, DifferentSeedsGiveDifferentShapes) {
  rules::RuleTable table = ParseOrDie(kCorrectGenerated);
  const rules::Rule& rule = *table.Find("gen-matmul-distributes");
  std::set<std::vector<int64_t>> shapes;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    InstanceOptions options;
    options.seed = seed;
    auto instance = InstantiateRule(rule, options);
    ASSERT_TRUE(instance.ok()) << instance.status();
    const auto& dims = instance->leaf_dims;
    ASSERT_EQ(dims.at("a").size(), 2u);
    EXPECT_EQ(dims.at("a")[1], dims.at("b")[0]);  // MatMul's inner dims agree
    EXPECT_EQ(dims.at("b"), dims.at("c"));        // same_shape holds
    shapes.insert(dims.at("a"));
  }
  EXPECT_GT(shapes.size(), 1u);
}

TEST(RuleTesterTest, IsThreadSafe) {
  rules::RuleTable table = ParseOrDie(kCorrectGenerated);
  std::vector<RuleTestOutcome> outcomes(table.rules.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < table.rules.size(); ++i)
    threads.emplace_back([&, i] { outcomes[i] = TestRule(table.rules[i], {}).outcome; });
  for (std::thread& t : threads) t.join();
  for (RuleTestOutcome o : outcomes) EXPECT_EQ(o, RuleTestOutcome::kPassed);
}

TEST(RuleTesterTest, BuiltInLibraryRulesPassWhenInstantiable) {
  auto table = rules::ReadRuleTableFile("rewrites/rules/library.rules");
  ASSERT_TRUE(table.ok()) << table.status();
  int passed = 0, untestable = 0;
  for (const rules::Rule& rule : table->rules) {
    RuleTestResult r = TestRule(rule, {});
    EXPECT_NE(r.outcome, RuleTestOutcome::kRefuted) << Explain(rule, r);
    if (r.outcome == RuleTestOutcome::kPassed) ++passed;
    if (r.outcome == RuleTestOutcome::kUntestable) ++untestable;
    std::cout << Explain(rule, r) << "\n";
  }
  std::cout << "library rules: " << passed << " passed, " << untestable << " untestable of " << table->rules.size()
            << "\n";
  EXPECT_GE(passed, 40);
}

}  // namespace
}  // namespace gsopt::verifier
