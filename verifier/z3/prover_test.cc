// Tests of the Z3 prover: the built-in axioms hold element-wise and a wrong
// axiom does not; correct rules of the generator's op set are proved from the
// axioms; every deliberately wrong rule of verifier/testdata/wrong.rules is
// not proved, and refuted element-wise where it can be instantiated; limits
// and unknown ops give kUnknown with a reason.
#include "verifier/z3/prover.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "verifier/random/rule_instance.h"

namespace gsopt::verifier::z3prover {
namespace {

using ::testing::HasSubstr;

rules::RuleTable ParseRulesOrDie(absl::string_view text) {
  absl::StatusOr<rules::RuleTable> table = rules::ParseRuleTable(text, "prover_test");
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *table : rules::RuleTable{};
}

TEST(AxiomParserTest, BuiltInAxiomsParseAndExpandEach) {
  const AxiomSet& axioms = BuiltInAxioms();
  EXPECT_GT(axioms.axioms().size(), 80u);
  // `each F in relu sigmoid tanh erf sqrt` makes one axiom per symbol.
  const Axiom* relu = axioms.Find("transpose-unary[relu]");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(TermToString(relu->lhs), "transpose(relu(a))");
  EXPECT_NE(axioms.Find("transpose-unary[sqrt]"), nullptr);
}

TEST(AxiomParserTest, ErrorsNameTheLineAndAxiom) {
  auto unknown_function = ParseAxioms(
      "axiom bad: uses a symbol that does not exist\n"
      "  tensors a\n"
      "  eq frobnicate(a) = a\n"
      "  check a=[2]\n",
      "bad.txt");
  ASSERT_FALSE(unknown_function.ok());
  EXPECT_THAT(unknown_function.status().message(), HasSubstr("bad.txt:1: axiom 'bad'"));
  EXPECT_THAT(unknown_function.status().message(), HasSubstr("unknown function 'frobnicate'"));

  auto unchecked = ParseAxioms(
      "axiom lonely: has no check\n"
      "  tensors a\n"
      "  eq relu(relu(a)) = relu(a)\n",
      "bad.txt");
  ASSERT_FALSE(unchecked.ok());
  EXPECT_THAT(unchecked.status().message(), HasSubstr("missing 'check'"));

  auto violating_check = ParseAxioms(
      "axiom split: needs equal shapes\n"
      "  tensors a b\n"
      "  when same_shape(a, b)\n"
      "  eq split_lo(0, concat(0, a, b)) = a\n"
      "  check a=[2, 2] b=[3, 2]\n",
      "bad.txt");
  ASSERT_FALSE(violating_check.ok());
  EXPECT_THAT(violating_check.status().message(), HasSubstr("line 5: check violates same_shape(a, b)"));
}

TEST(CheckAxiomsTest, EveryBuiltInAxiomHoldsElementwise) {
  std::vector<AxiomCheck> checks = CheckAxioms(BuiltInAxioms(), ProofOptions{});
  ASSERT_EQ(checks.size(), BuiltInAxioms().axioms().size());
  for (const AxiomCheck& check : checks) EXPECT_TRUE(check.holds) << check.axiom << ": " << check.detail;
}

TEST(CheckAxiomsTest, WrongAxiomsAreCaught) {
  auto wrong = ParseAxioms(
      "axiom transpose-of-product-keeps-order: wrong, the factors must swap\n"
      "  tensors a b\n"
      "  eq transpose(matmul(a, b)) = matmul(transpose(a), transpose(b))\n"
      "  check a=[2, 2] b=[2, 2]\n"
      "axiom relu-distributes: wrong, Relu is not additive\n"
      "  tensors a b\n"
      "  eq relu(add(a, b)) = add(relu(a), relu(b))\n"
      "  check a=[2] b=[2]\n"
      "axiom split-concat-other-axis: wrong, splits along the other axis\n"
      "  tensors a b\n"
      "  when same_shape(a, b)\n"
      "  eq split_lo(1, concat(0, a, b)) = a\n"
      "  check a=[2, 2] b=[2, 2]\n"
      "axiom enlarge-no-pad: wrong, the enlarged kernel needs input padding\n"
      "  tensors x w\n"
      "  eq conv(0, x, w) = conv(0, x, enlarge(w))\n"
      "  check x=[1, 1, 4, 4] w=[1, 1, 1, 1]\n"
      "axiom shape-split-keeps-shape: wrong, a half is smaller\n"
      "  tensors x\n"
      "  shape split_lo(0, x) = x\n"
      "  check x=[4, 2]\n",
      "wrong.txt");
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  std::vector<AxiomCheck> checks = CheckAxioms(*wrong, ProofOptions{});
  ASSERT_EQ(checks.size(), 5u);
  for (const AxiomCheck& check : checks) {
    EXPECT_FALSE(check.holds) << check.axiom;
    EXPECT_THAT(check.detail, HasSubstr("wrong.txt:")) << check.axiom;
  }
  EXPECT_THAT(checks[0].detail, HasSubstr("counterexample"));
  EXPECT_THAT(checks[4].detail, HasSubstr("shapes differ"));
}

// Correct rules over the generator's op set, written as the generator writes them.
constexpr char kCorrectRules[] = R"(
# matmul-distributes: MatMul(a, b) + MatMul(a, c) == MatMul(a, b + c)
rule matmul-distributes
  provenance origin=generated proof=none
  source %t0 = MatMul(%a, %b)
  source %t1 = MatMul(%a, %c)
  source %t2 = Add(%t0, %t1)
  where rank(%a, 2), rank(%b, 2), rank(%c, 2), same_shape(%b, %c)
  target %t3 = Add(%b, %c)
  target %t2 = MatMul(%a, %t3)

# transpose-involution: transposing twice is the identity
rule transpose-involution
  provenance origin=generated proof=none
  source %t = Transpose(%a){perm=[1, 0]}
  source %y = Transpose(%t){perm=[1, 0]}
  where rank(%a, 2)
  target %y = Identity(%a)

# concat-then-split: splitting a concatenation of equal halves gives the halves
rule concat-then-split
  provenance origin=generated proof=none
  source %c = Concat(%a, %b){axis=1}
  source %y1, %y2 = Split(%c){axis=1}
  where rank(%a, 2), rank(%b, 2), same_shape(%a, %b)
  target %y1 = Identity(%a)
  target %y2 = Identity(%b)

# conv-concat-weights: two Convs on one input are one Conv on concatenated weights and a Split
rule conv-concat-weights
  provenance origin=generated proof=none
  source %y1 = Conv(%x, %w1){pads=[1, 1, 1, 1]}
  source %y2 = Conv(%x, %w2){pads=[1, 1, 1, 1]}
  where rank(%x, 4), rank(%w1, 4), rank(%w2, 4), same_shape(%w1, %w2)
  target %w = Concat(%w1, %w2){axis=0}
  target %y = Conv(%x, %w){pads=[1, 1, 1, 1]}
  target %y1, %y2 = Split(%y){axis=1}

# relu-transpose: Relu commutes with Transpose
rule relu-transpose
  provenance origin=generated proof=none
  source %r = Relu(%a)
  source %y = Transpose(%r){perm=[1, 0]}
  where rank(%a, 2)
  target %t = Transpose(%a){perm=[1, 0]}
  target %y = Relu(%t)

# enlarge-conv: a 1x1 Conv is a 3x3 Conv of the zero-padded kernel
rule enlarge-conv
  provenance origin=generated proof=none
  source %w3 = Pad(%w, %pads)
  source %y = Conv(%x, %w3){pads=[1, 1, 1, 1]}
  where rank(%x, 4), rank(%w, 4), const(%pads), eq(%pads, [0, 0, 1, 1, 0, 0, 1, 1])
  target %y = Conv(%x, %w){pads=[0, 0, 0, 0]}

# conv-to-enlarged: the other direction, the padding a let
rule conv-to-enlarged
  provenance origin=generated proof=none
  source %y = Conv(%x, %w){pads=[0, 0, 0, 0]}
  where rank(%x, 4), rank(%w, 4)
  let %pads = ints(0, 0, 1, 1, 0, 0, 1, 1)
  target %w3 = Pad(%w, %pads)
  target %y = Conv(%x, %w3){pads=[1, 1, 1, 1]}

# scale-through-matmul: a scalar factor moves out of a product and into the other factor
rule scale-through-matmul
  provenance origin=generated proof=none
  source %m = Mul(%a, %s)
  source %y = MatMul(%m, %b)
  where rank(%a, 2), rank(%b, 2), rank(%s, 0)
  target %p = Mul(%b, %s)
  target %y = MatMul(%a, %p)

# transpose-of-product: the transpose of a product reverses the factors
rule transpose-of-product
  provenance origin=generated proof=none
  source %p = MatMul(%a, %b)
  source %y = Transpose(%p){perm=[1, 0]}
  where rank(%a, 2), rank(%b, 2)
  target %ta = Transpose(%a){perm=[1, 0]}
  target %tb = Transpose(%b){perm=[1, 0]}
  target %y = MatMul(%tb, %ta)

# add-of-concats: adding two concatenations adds the parts
rule add-of-concats
  provenance origin=generated proof=none
  source %c1 = Concat(%a, %b){axis=0}
  source %c2 = Concat(%c, %d){axis=0}
  source %y = Add(%c1, %c2)
  where rank(%a, 2), same_shape(%a, %b), same_shape(%a, %c), same_shape(%a, %d)
  target %s1 = Add(%a, %c)
  target %s2 = Add(%b, %d)
  target %y = Concat(%s1, %s2){axis=0}

# reshape-twice: two Reshapes are one
rule reshape-twice
  provenance origin=generated proof=none
  source %r = Reshape(%x, %s1)
  source %y = Reshape(%r, %s2)
  where rank(%x, 2), const(%s1), eq(%s1, [6]), const(%s2), eq(%s2, [3, 2])
  target %y = Reshape(%x, %s2)

# sigmoid-of-split: Sigmoid commutes with taking halves
rule sigmoid-of-split
  provenance origin=generated proof=none
  source %s = Sigmoid(%x)
  source %z1, %z2 = Split(%s){axis=0}
  where rank(%x, 2)
  target %y1, %y2 = Split(%x){axis=0}
  target %z1 = Sigmoid(%y1)
  target %z2 = Sigmoid(%y2)

# maxpool-relu: MaxPool and Relu commute
rule maxpool-relu
  provenance origin=generated proof=none
  source %r = Relu(%x)
  source %y = MaxPool(%r){kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  where rank(%x, 4)
  target %m = MaxPool(%x){kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  target %y = Relu(%m)
)";

TEST(ProveRuleTest, CorrectRulesAreProvedFromTheAxioms) {
  rules::RuleTable table = ParseRulesOrDie(kCorrectRules);
  ASSERT_EQ(table.rules.size(), 13u);
  double worst = 0;
  for (const rules::Rule& rule : table.rules) {
    ProofResult result = ProveRule(rule, BuiltInAxioms(), ProofOptions{});
    EXPECT_EQ(result.outcome, ProofOutcome::kProved) << rule.name << ": " << result.reason;
    EXPECT_EQ(result.method, "axioms") << rule.name;
    worst = std::max(worst, result.seconds);
    std::cout << "proved " << rule.name << " in " << result.seconds << " s\n";
  }
  std::cout << "worst proof time " << worst << " s\n";
}

TEST(ProveRuleTest, ProofsRunConcurrently) {
  rules::RuleTable table = ParseRulesOrDie(kCorrectRules);
  std::vector<ProofResult> results(table.rules.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < table.rules.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = ProveRuleFromAxioms(table.rules[i], BuiltInAxioms(), ProofOptions{}); });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].outcome, ProofOutcome::kProved) << table.rules[i].name << ": " << results[i].reason;
  }
}

TEST(ProveRuleTest, WrongRulesAreNeverProvedAndRefutedWhenInstantiable) {
  absl::StatusOr<rules::RuleTable> table = rules::ReadRuleTableFile("verifier/testdata/wrong.rules");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_GE(table->rules.size(), 10u);
  for (const rules::Rule& rule : table->rules) {
    ProofResult result = ProveRule(rule, BuiltInAxioms(), ProofOptions{});
    EXPECT_NE(result.outcome, ProofOutcome::kProved) << rule.name;
    EXPECT_FALSE(result.reason.empty()) << rule.name;
    absl::StatusOr<RuleInstance> instance = InstantiateRule(rule, InstanceOptions{});
    if (instance.ok() || absl::IsInternal(instance.status())) {
      EXPECT_EQ(result.outcome, ProofOutcome::kRefuted) << rule.name << ": " << result.reason;
    }
    std::cout << rule.name << ": " << ProofOutcomeName(result.outcome) << " (" << result.method << ", "
              << result.seconds << " s): " << result.reason << "\n";
  }
}

// A false rule between two long sums: with the commutativity and
// associativity axioms the solver can rearrange them in more ways than it can
// enumerate, so it runs until it is stopped.
rules::Rule LongSumRule(int terms) {
  std::string text = "# long-sums: the target drops the last term for a second copy of the first\nrule long-sums\n";
  absl::StrAppend(&text, "  provenance origin=hand proof=none\n");
  absl::StrAppend(&text, "  source %s1 = Add(%a0, %a1)\n");
  for (int i = 2; i < terms; ++i) absl::StrAppend(&text, "  source %s", i, " = Add(%s", i - 1, ", %a", i, ")\n");
  absl::StrAppend(&text, "  where rank(%a0, 2)");
  for (int i = 1; i < terms; ++i) absl::StrAppend(&text, ", same_shape(%a0, %a", i, ")");
  absl::StrAppend(&text, "\n  target %t1 = Add(%a", terms - 2, ", %a0)\n");
  for (int i = 2; i < terms; ++i) {
    absl::StrAppend(&text, "  target %", i == terms - 1 ? "s" : "t", i, " = Add(%t", i - 1, ", %a",
                    terms - 1 - i == 0 ? 0 : terms - 1 - i - 1, ")\n");
  }
  rules::RuleTable table = ParseRulesOrDie(text);
  EXPECT_EQ(table.rules.size(), 1u) << text;
  return table.rules.empty() ? rules::Rule{} : table.rules[0];
}

TEST(ProveRuleTest, TimeoutGivesUnknownWithinAboutTheLimit) {
  rules::Rule rule = LongSumRule(12);
  ProofOptions options;
  options.timeout_seconds = 0.5;
  auto start = std::chrono::steady_clock::now();
  ProofResult result = ProveRuleFromAxioms(rule, BuiltInAxioms(), options);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.outcome, ProofOutcome::kUnknown);
  // Which limit stops it first, the clock or the quantifier-instance cap,
  // depends on the machine's speed; either way it ends with a reason.
  EXPECT_THAT(result.reason, testing::AnyOf(HasSubstr("timeout after 0.5 s"), HasSubstr("Z3 gave up")));
  EXPECT_LT(wall, 2 * options.timeout_seconds + 0.5);
  std::cout << "unknown after " << wall << " s (solver " << result.seconds << " s): " << result.reason << "\n";

  // The whole ProveRule (axioms, then the element-wise check) also ends, and
  // the element-wise check finds the counterexample.
  ProofResult full = ProveRule(rule, BuiltInAxioms(), options);
  EXPECT_EQ(full.outcome, ProofOutcome::kRefuted) << full.reason;
}

TEST(ProveRuleTest, UnknownOpsAreNamed) {
  rules::RuleTable table = ParseRulesOrDie(R"(
# softmax-of-transpose: Softmax is outside the op set
rule softmax-of-transpose
  provenance origin=hand proof=none
  source %t = Transpose(%a){perm=[1, 0]}
  source %y = Softmax(%t){axis=-1}
  where rank(%a, 2)
  target %y = Softmax(%t){axis=-1}

# transpose-3d: a permutation the axioms do not know
rule transpose-3d
  provenance origin=hand proof=none
  source %t = Transpose(%x){perm=[2, 0, 1]}
  source %y = Transpose(%t){perm=[1, 2, 0]}
  where rank(%x, 3)
  target %y = Identity(%x)
)");
  ASSERT_EQ(table.rules.size(), 2u);
  ProofResult softmax = ProveRuleFromAxioms(table.rules[0], BuiltInAxioms(), ProofOptions{});
  EXPECT_EQ(softmax.outcome, ProofOutcome::kUnknown);
  EXPECT_THAT(softmax.reason, HasSubstr("op Softmax{axis=-1} is not in the axioms"));
  ProofResult transpose = ProveRuleFromAxioms(table.rules[1], BuiltInAxioms(), ProofOptions{});
  EXPECT_EQ(transpose.outcome, ProofOutcome::kUnknown);
  EXPECT_THAT(transpose.reason, HasSubstr("Transpose{perm=[2, 0, 1]}"));
  // The element-wise check still covers the rule at concrete shapes: it is
  // true, so it stays unknown (equal at those shapes is not a proof).
  ProofResult bounded = ProveRule(table.rules[1], BuiltInAxioms(), ProofOptions{});
  EXPECT_EQ(bounded.outcome, ProofOutcome::kUnknown) << bounded.reason;
  EXPECT_THAT(bounded.reason, HasSubstr("equal element-wise at shapes"));
}

TEST(ProveRuleTest, AxiomsWithoutAnAxiomDoNotProveWhatNeedsIt) {
  // Without transpose-involution the involution rule is not provable: the
  // prover really uses the axiom file, it does not know transposes itself.
  AxiomSet reduced;
  for (const Axiom& axiom : BuiltInAxioms().axioms()) {
    if (axiom.name != "transpose-involution") reduced.Add(axiom);
  }
  rules::RuleTable table = ParseRulesOrDie(kCorrectRules);
  ProofOptions options;
  options.timeout_seconds = 2;
  ProofResult result = ProveRuleFromAxioms(*table.Find("transpose-involution"), reduced, options);
  EXPECT_NE(result.outcome, ProofOutcome::kProved);
}

}  // namespace
}  // namespace gsopt::verifier::z3prover
