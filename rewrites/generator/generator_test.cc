// Tests of the rule generator on small runs: it rediscovers known rules
// (MatMul distributes over Add, Transpose is an involution, Split undoes
// Concat, Relu commutes with Transpose), prunes renamings, common subgraphs
// and implied rules, emits only rules that validate and round-trip through
// the printer, counts what `verify` rejects, and rejects bad options.
#include "rewrites/generator/generator.h"

#include <algorithm>
#include <atomic>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/op_registry.h"
#include "rewrites/rules/rule_table.h"

namespace gsopt::rewrites::generator {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

GeneratedRules Generate(int max_ops, std::vector<std::string> ops,
                        std::function<Verdict(const rules::Rule&)> verify = {}) {
  GeneratorOptions options;
  options.max_ops = max_ops;
  options.ops = std::move(ops);
  options.threads = 2;
  options.verify = std::move(verify);
  absl::StatusOr<GeneratedRules> result = GenerateRules(options);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : GeneratedRules{};
}

std::vector<std::string> Ops(const rules::Pattern& pattern) {
  std::vector<std::string> ops;
  for (const rules::PatternNode& node : pattern.nodes) ops.push_back(node.op);
  std::sort(ops.begin(), ops.end());
  return ops;
}

// The rules whose source and target use exactly these ops (as multisets).
std::vector<const rules::Rule*> Find(const rules::RuleTable& table, std::vector<std::string> source,
                                     std::vector<std::string> target) {
  std::sort(source.begin(), source.end());
  std::sort(target.begin(), target.end());
  std::vector<const rules::Rule*> found;
  for (const rules::Rule& rule : table.rules)
    if (Ops(rule.source) == source && Ops(rule.target) == target) found.push_back(&rule);
  return found;
}

void ExpectValidAndRoundTrips(const rules::RuleTable& table) {
  absl::Status valid = rules::ValidateRuleTable(table, ir::OpRegistry::Global(), "generated.rules");
  EXPECT_TRUE(valid.ok()) << valid;
  const std::string printed = rules::PrintRuleTable(table);
  absl::StatusOr<rules::RuleTable> reparsed = rules::ParseRuleTable(printed, "generated.rules");
  ASSERT_TRUE(reparsed.ok()) << reparsed.status() << "\n" << printed;
  EXPECT_EQ(*reparsed, table) << printed;
}

TEST(GeneratorTest, TemplateNamesCoverTheOpSet) {
  const std::vector<std::string> names = OpTemplateNames();
  for (const char* name :
       {"matmul",      "conv1",   "conv3",   "add",    "sub",       "mul",     "div",     "scale",
        "concat0",     "concat1", "split0",  "split1", "transpose", "reshape", "enlarge", "avgpool",
        "reduce_mean", "relu",    "sigmoid", "tanh",   "erf",       "sqrt",    "maxpool", "batchnorm"})
    EXPECT_THAT(names, Contains(name));
}

TEST(GeneratorTest, BadOptionsAreErrors) {
  GeneratorOptions options;
  options.ops = {"matmul", "frobnicate"};
  absl::StatusOr<GeneratedRules> result = GenerateRules(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("frobnicate"));

  options.ops = {"matmul"};
  options.max_ops = 0;
  EXPECT_EQ(GenerateRules(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GeneratorTest, MatMulDistributesOverAdd) {
  GeneratedRules result = Generate(3, {"matmul", "add"});
  const std::vector<const rules::Rule*> found = Find(result.table, {"MatMul", "MatMul", "Add"}, {"Add", "MatMul"});
  ASSERT_FALSE(found.empty()) << rules::PrintRuleTable(result.table);
  const std::string text = rules::PrintRule(*found[0]);
  EXPECT_THAT(text, HasSubstr("origin=generated"));
  EXPECT_THAT(text, HasSubstr("same_shape("));
  ExpectValidAndRoundTrips(result.table);
}

TEST(GeneratorTest, TransposeOfTransposeIsTheInputAndRenamingsArePruned) {
  GeneratedRules result = Generate(2, {"transpose"});
  // Found for a, b, c ([4,6]) and d, e ([6,4]): all renamings of one rule.
  EXPECT_GT(result.stats.after_trivial, result.stats.after_renaming);
  ASSERT_EQ(result.table.rules.size(), 1u) << rules::PrintRuleTable(result.table);
  const rules::Rule& rule = result.table.rules[0];
  EXPECT_EQ(Ops(rule.source), (std::vector<std::string>{"Transpose", "Transpose"}));
  EXPECT_EQ(Ops(rule.target), (std::vector<std::string>{"Identity"}));
  EXPECT_EQ(rule.target.nodes[0].inputs, rule.source.nodes[0].inputs);
  ExpectValidAndRoundTrips(result.table);
}

TEST(GeneratorTest, SplitUndoesConcat) {
  GeneratedRules result = Generate(2, {"concat0", "split0", "concat1", "split1"});
  std::vector<const rules::Rule*> found = Find(result.table, {"Concat", "Split"}, {"Identity", "Identity"});
  ASSERT_FALSE(found.empty()) << rules::PrintRuleTable(result.table);
  // The rule is multi-output: both halves of the Split are roots.
  EXPECT_EQ(found[0]->source.nodes.back().outputs.size(), 2u);
  ExpectValidAndRoundTrips(result.table);
}

TEST(GeneratorTest, ReluCommutesWithTranspose) {
  GeneratedRules result = Generate(2, {"relu", "transpose"});
  EXPECT_FALSE(Find(result.table, {"Relu", "Transpose"}, {"Relu", "Transpose"}).empty())
      << rules::PrintRuleTable(result.table);
  ExpectValidAndRoundTrips(result.table);
}

TEST(GeneratorTest, TwoConvsOnOneInputMergeIntoOne) {
  GeneratedRules result = Generate(3, {"conv1", "concat0", "split1"});
  std::vector<const rules::Rule*> found = Find(result.table, {"Conv", "Conv"}, {"Concat", "Conv", "Split"});
  ASSERT_FALSE(found.empty()) << rules::PrintRuleTable(result.table);
  EXPECT_EQ(found[0]->source.nodes[0].inputs[0], found[0]->source.nodes[1].inputs[0]);  // one input
  ExpectValidAndRoundTrips(result.table);
}

// A source and a target node with the same op, attributes and leaf inputs.
bool SharesLeafOp(const rules::Rule& rule) {
  std::vector<std::string> defined;
  for (const rules::PatternNode& node : rule.source.nodes)
    defined.insert(defined.end(), node.outputs.begin(), node.outputs.end());
  auto reads_leaves_only = [&](const rules::PatternNode& node) {
    for (const std::string& in : node.inputs)
      if (std::find(defined.begin(), defined.end(), in) != defined.end()) return false;
    return true;
  };
  for (const rules::PatternNode& s : rule.source.nodes)
    for (const rules::PatternNode& t : rule.target.nodes)
      if (t.op != "Identity" && s.op == t.op && s.attrs == t.attrs && s.inputs == t.inputs && reads_leaves_only(s))
        return true;
  return false;
}

TEST(GeneratorTest, CommonSubgraphsAndImpliedRulesArePruned) {
  GeneratedRules result = Generate(3, {"relu", "transpose"});
  // Transpose(Transpose(Relu(a))) -> Relu(a) shares Relu(a) with its target.
  EXPECT_GT(result.stats.after_renaming, result.stats.after_common_subgraph);
  for (const rules::Rule& rule : result.table.rules) EXPECT_FALSE(SharesLeafOp(rule)) << rules::PrintRule(rule);
  // Relu(Transpose(Transpose(a))) -> Relu(a) follows from Transpose(Transpose(a)) -> a.
  EXPECT_GT(result.stats.implied, 0);
  EXPECT_EQ(result.stats.verified, static_cast<int64_t>(result.table.rules.size()));
  for (const rules::Rule& rule : result.table.rules) {
    EXPECT_THAT(rule.comment, ::testing::Not(HasSubstr("Relu(Transpose(Transpose("))) << rules::PrintRule(rule);
    EXPECT_THAT(rule.comment, ::testing::Not(HasSubstr("Transpose(Transpose(Relu("))) << rules::PrintRule(rule);
  }
  ExpectValidAndRoundTrips(result.table);
}

TEST(GeneratorTest, RejectedRulesAreRemovedAndCounted) {
  std::atomic<int> calls{0};
  GeneratedRules result = Generate(2, {"relu", "transpose", "concat0", "split0"}, [&](const rules::Rule& rule) {
    ++calls;
    Verdict verdict;
    verdict.provenance.proof = rules::ProofStatus::kProved;
    verdict.provenance.proof_seconds = 0.5;
    const std::vector<std::string> ops = Ops(rule.source);
    verdict.accepted = std::find(ops.begin(), ops.end(), "Transpose") == ops.end();
    if (!verdict.accepted) verdict.reason = "no transposes";
    return verdict;
  });
  EXPECT_EQ(calls.load(), result.stats.verified + result.stats.rejected);
  EXPECT_GT(result.stats.rejected, 0);
  EXPECT_EQ(result.stats.rejected_by_reason["no transposes"], result.stats.rejected);
  ASSERT_FALSE(result.table.rules.empty());
  for (const rules::Rule& rule : result.table.rules) {
    EXPECT_THAT(Ops(rule.source), ::testing::Not(Contains("Transpose")));
    EXPECT_EQ(rule.provenance.origin, rules::Origin::kGenerated);
    EXPECT_EQ(rule.provenance.proof, rules::ProofStatus::kProved);
  }
  EXPECT_THAT(result.stats.Summary(), HasSubstr("rejected: no transposes"));
}

TEST(GeneratorTest, EveryRuleOfAMixedRunValidatesAndRoundTrips) {
  GeneratedRules result = Generate(2, {"matmul", "conv1", "conv3", "enlarge", "add", "scale", "reshape", "concat1",
                                       "split1", "avgpool", "reduce_mean", "batchnorm", "sigmoid"});
  EXPECT_GT(result.table.rules.size(), 5u);
  ExpectValidAndRoundTrips(result.table);
  // Conv3x3(x, Enlarge(w)) == Conv1x1(x, w): TASO's kernel enlarge.
  EXPECT_FALSE(Find(result.table, {"Pad", "Conv"}, {"Conv"}).empty()) << rules::PrintRuleTable(result.table);
}

}  // namespace
}  // namespace gsopt::rewrites::generator
