// Tests of the rule table format: the starter library parses, validates and
// round-trips through the printer; each class of malformed text gives an
// error at the right line and column; validation catches unbound variables
// and parameters, unknown ops, predicates and functions, wrong arities and
// missing roots.
#include "rewrites/rules/rule_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace gsopt::rewrites::rules {
namespace {

using ::testing::HasSubstr;

constexpr char kLibrary[] = "rewrites/rules/library.rules";

absl::Status ParseAndValidate(const std::string& text) {
  absl::StatusOr<RuleTable> table = ParseRuleTable(text, "t.rules");
  if (!table.ok()) return table.status();
  return ValidateRuleTable(*table, ir::OpRegistry::Global(), "t.rules");
}

// A one-rule table from its body lines.
std::string OneRule(const std::string& body) { return absl::StrCat("# r: a test rule\nrule r\n", body); }

TEST(RuleTableTest, LibraryParsesValidatesAndRoundTrips) {
  absl::StatusOr<RuleTable> table = ReadRuleTableFile(kLibrary);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_GE(table->rules.size(), 10u);
  absl::Status valid = ValidateRuleTable(*table, ir::OpRegistry::Global(), kLibrary);
  EXPECT_TRUE(valid.ok()) << valid;

  std::string printed = PrintRuleTable(*table);
  absl::StatusOr<RuleTable> reparsed = ParseRuleTable(printed, "printed.rules");
  ASSERT_TRUE(reparsed.ok()) << reparsed.status() << "\n" << printed;
  EXPECT_EQ(*reparsed, *table) << printed;
  EXPECT_EQ(PrintRuleTable(*reparsed), printed);  // the printed form is a fixed point
}

TEST(RuleTableTest, ParsesStructureOfAMultiOutputRule) {
  absl::StatusOr<RuleTable> table = ReadRuleTableFile(kLibrary);
  ASSERT_TRUE(table.ok()) << table.status();
  const Rule* rule = table->Find("merge-parallel-conv");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->comment,
            "two Convs with equal attributes on one input become one Conv on concatenated weights and a Split");
  ASSERT_EQ(rule->source.nodes.size(), 2u);
  EXPECT_EQ(rule->source.nodes[0].op, "Conv");
  EXPECT_EQ(rule->source.nodes[0].inputs, (std::vector<std::string>{"x", "w1", "b1"}));
  ASSERT_EQ(rule->source.nodes[0].attrs.size(), 2u);
  EXPECT_EQ(rule->source.nodes[0].attrs[0].name, "group");
  EXPECT_EQ(std::get<int64_t>(rule->source.nodes[0].attrs[0].value), 1);
  EXPECT_TRUE(rule->source.nodes[0].attrs[1].is_rest);
  EXPECT_EQ(*rule->source.nodes[0].attrs[1].param, "a");
  ASSERT_EQ(rule->target.nodes.size(), 2u);
  EXPECT_EQ(rule->target.nodes[1].outputs, (std::vector<std::string>{"y1", "y2"}));
  ASSERT_EQ(rule->lets.size(), 3u);
  EXPECT_EQ(rule->lets[0].value.kind, ConstExpr::Kind::kCall);
  EXPECT_EQ(rule->lets[0].value.name, "concat");
  EXPECT_EQ(rule->conditions.size(), 5u);  // const, same_dtype and three eq
  EXPECT_EQ(table->Find("no-such-rule"), nullptr);
}

TEST(RuleTableTest, LiteralsAndProvenanceRoundTrip) {
  std::string text = OneRule(
      "  provenance origin=generated proof=proved time=0.42\n"
      "  source %y = Clip(%x, _, %hi){name=\"a \\\"b\\\"\", f=1e-05, fl=[0.1, 2], il=[], neg=-3}\n"
      "  where eq(?n, float32), ne(dim(%x, 0), 1.5)\n"
      "  target %y = Clip(%x, _, %hi){..?n}\n");
  absl::StatusOr<RuleTable> table = ParseRuleTable(text, "t.rules");
  ASSERT_TRUE(table.ok()) << table.status();
  const Rule& rule = table->rules[0];
  EXPECT_EQ(rule.provenance.origin, Origin::kGenerated);
  EXPECT_EQ(rule.provenance.proof, ProofStatus::kProved);
  EXPECT_DOUBLE_EQ(rule.provenance.proof_seconds, 0.42);
  EXPECT_EQ(rule.source.nodes[0].inputs, (std::vector<std::string>{"x", "", "hi"}));
  const auto& attrs = rule.source.nodes[0].attrs;
  EXPECT_EQ(std::get<std::string>(attrs[0].value), "a \"b\"");
  EXPECT_EQ(std::get<double>(attrs[1].value), 1e-05);
  EXPECT_EQ(std::get<std::vector<double>>(attrs[2].value), (std::vector<double>{0.1, 2.0}));
  EXPECT_EQ(std::get<std::vector<int64_t>>(attrs[3].value), std::vector<int64_t>{});
  EXPECT_EQ(std::get<int64_t>(attrs[4].value), -3);
  EXPECT_EQ(std::get<std::string>(rule.conditions[0].args[1].literal), "float32");

  absl::StatusOr<RuleTable> reparsed = ParseRuleTable(PrintRuleTable(*table), "p.rules");
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(*reparsed, *table) << PrintRuleTable(*table);
  // A float that looks like an int must stay a float.
  EXPECT_THAT(PrintRuleTable(*table), HasSubstr("fl=[0.1, 2.0]"));
}

TEST(RuleTableTest, EqualityNoticesDifferences) {
  absl::StatusOr<RuleTable> a = ParseRuleTable(OneRule("  source %y = Relu(%x)\n  target %y = Relu(%x)\n"), "a");
  absl::StatusOr<RuleTable> b = ParseRuleTable(OneRule("  source %y = Relu(%x)\n  target %y = Sigmoid(%x)\n"), "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(*a == *b);
}

struct MalformedCase {
  std::string text;
  std::string location;  // "t.rules:LINE:COL:"
  std::string message;
};

TEST(RuleTableTest, MalformedInputGivesLocatedErrors) {
  const std::vector<MalformedCase> cases = {
      {"rule r\n  source %y = Relu(%x)\n", "t.rules:1:1:", "needs a one-line comment"},
      {"# other: wrong name\nrule r\n", "t.rules:2:1:", "'# r: what it does'"},
      {"source %y = Relu(%x)\n", "t.rules:1:1:", "'source' outside a rule"},
      {OneRule("  sorce %y = Relu(%x)\n"), "t.rules:3:3:", "unknown keyword 'sorce'"},
      {OneRule("  source %y = Relu(%x\n"), "t.rules:3:22:", "expected ')', found end of line"},
      {OneRule("  source %y = Relu(%x){a=1\n"), "t.rules:3:27:", "expected '}'"},
      {OneRule("  source %y Relu(%x)\n"), "t.rules:3:13:", "expected '='"},
      {OneRule("  source %y = Relu(Sigmoid(%x))\n"), "t.rules:3:20:", "patterns are flat"},
      {OneRule("  source y = Relu(%x)\n"), "t.rules:3:10:", "expected an output variable"},
      {OneRule("  source %y = Relu(%x){a=1.2.3}\n"), "t.rules:3:26:", "invalid number '1.2.3'"},
      {OneRule("  source %y = Relu(%x){a=\"abc}\n"), "t.rules:3:26:", "unterminated string"},
      {OneRule("  source %y = Relu(%x){a=[1, \"s\"]}\n"), "t.rules:3:30:", "expected a number in the list"},
      {OneRule("  source %y = Relu(%x) $\n"), "t.rules:3:24:", "unexpected character '$'"},
      {OneRule("  source %y = Relu(%x) %z\n"), "t.rules:3:24:", "at end of statement"},
      {OneRule("  source % = Relu(%x)\n"), "t.rules:3:10:", "expected a name after '%'"},
      {OneRule("  where const(%x\n"), "t.rules:3:17:", "expected ')'"},
      {OneRule("  let w = sqrt(%x)\n"), "t.rules:3:7:", "expected a variable"},
      {OneRule("  provenance origin=robot\n"), "t.rules:3:21:", "expected one of hand|generated"},
      {OneRule("  provenance colour=red\n"), "t.rules:3:14:", "unknown provenance key"},
      {OneRule("  provenance time=fast\n"), "t.rules:3:19:", "expected seconds"},
  };
  for (const MalformedCase& c : cases) {
    absl::StatusOr<RuleTable> table = ParseRuleTable(c.text, "t.rules");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(table.status().message()), HasSubstr(c.location)) << c.text;
    EXPECT_THAT(std::string(table.status().message()), HasSubstr(c.message)) << c.text;
  }
}

TEST(RuleTableTest, ValidTablePassesValidation) {
  EXPECT_TRUE(ParseAndValidate(OneRule("  source %t = Relu(%x)\n"
                                       "  source %y = Relu(%t)\n"
                                       "  where single_use(%t)\n"
                                       "  target %y = Relu(%x)\n"))
                  .ok());
}

struct InvalidCase {
  std::string body;
  std::string message;
};

TEST(RuleTableTest, ValidationCatchesMistakes) {
  const std::vector<InvalidCase> cases = {
      // Unbound variables and parameters.
      {"  source %y = Relu(%x)\n  target %y = Add(%x, %z)\n", "t.rules:4:10: rule 'r': '%z' is not bound"},
      {"  source %y = Relu(%x)\n  let %c = sqrt(%q)\n  target %y = Add(%x, %c)\n",
       "t.rules:4:17: rule 'r': '%q' is not bound"},
      {"  source %y = Relu(%x)\n  where rank(%u, 2)\n  target %y = Relu(%x)\n", "'%u' is not bound"},
      {"  source %y = Relu(%x)\n  target %y = Elu(%x){alpha=?a}\n", "'?a' is not bound by an attribute"},
      {"  source %y = Elu(%x){alpha=?a}\n  target %y = Elu(%x){..?a}\n", "'..?a' is not bound by a '..' binding"},
      {"  source %y = Relu(%x)\n  where eq(?p, 1)\n  target %y = Relu(%x)\n", "'?p' is not bound"},
      // Unknown ops and wrong arities.
      {"  source %y = Frobnicate(%x)\n  target %y = Relu(%x)\n", "t.rules:3:10: rule 'r': unknown op 'Frobnicate'"},
      {"  source %y = Relu(%x)\n  target %y = Foo::Relu(%x)\n", "unknown op 'Foo::Relu'"},
      {"  source %y = Relu(%x, %z)\n  target %y = Relu(%x)\n", "Relu takes 1 inputs, the pattern gives 2"},
      {"  source %y = Relu(%x)\n  target %y = Conv(%x)\n", "Conv takes 2 to 3 inputs, the pattern gives 1"},
      {"  source %y = Relu(%x)\n  target %y, %z = Relu(%x)\n", "Relu has 1 outputs, the pattern names 2"},
      // Unknown predicates and functions, wrong argument counts and kinds.
      {"  source %y = Relu(%x)\n  where shiny(%x)\n  target %y = Relu(%x)\n", "unknown condition 'shiny'"},
      {"  source %y = Relu(%x)\n  where rank(%x)\n  target %y = Relu(%x)\n", "rank takes 2 arguments, given 1"},
      {"  source %y = Relu(%x)\n  where const(1)\n  target %y = Relu(%x)\n", "const expects a tensor variable"},
      {"  source %y = Relu(%x)\n  let %c = cube(%x)\n  target %y = Add(%x, %c)\n", "unknown function 'cube'"},
      {"  source %y = Relu(%x)\n  let %c = add(%x)\n  target %y = Add(%x, %c)\n", "add takes 2 arguments, given 1"},
      // Structure of the source and target.
      {"  source %y = Relu(%x)\n", "has no 'target' node"},
      {"  target %y = Relu(%x)\n", "has no 'source' node"},
      {"  source %y = Relu(%t)\n  source %t = Relu(%x)\n  target %y = Relu(%x)\n", "is read before the source node"},
      {"  source %y = Relu(%x)\n  source %y = Relu(%x)\n  target %y = Relu(%x)\n",
       "'%y' is defined twice in the source"},
      {"  source %y1 = Relu(%x)\n  source %y2 = Sigmoid(%x)\n  target %y1 = Relu(%x)\n",
       "source output '%y2' is never defined by the target"},
      {"  source %t = Relu(%x)\n  source %y = Relu(%t)\n  target %t = Relu(%x)\n  target %y = Relu(%t)\n",
       "'%t' is consumed inside the source"},
      {"  source %y = Relu(%x)\n  target %x = Relu(%y)\n  target %y = Relu(%x)\n", "'%x' is a source input"},
      {"  source %y = Relu(%x)\n  target %z = Relu(%x)\n  target %y = Relu(%x)\n", "'%z' is neither read"},
      {"  source %y = Relu(%x)\n  let %x = sqrt(%x)\n  target %y = Relu(%x)\n", "redefines a variable"},
      {"  source %y = Relu(%x)\n  let %c = sqrt(%x)\n  target %c = Relu(%x)\n  target %y = Relu(%c)\n",
       "'%c' is a let constant"},
  };
  for (const InvalidCase& c : cases) {
    absl::Status status = ParseAndValidate(OneRule(c.body));
    ASSERT_FALSE(status.ok()) << c.body;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.body << "\n" << status;
  }
}

TEST(RuleTableTest, DuplicateRuleNamesAndAllErrorsReported) {
  std::string text = OneRule("  source %y = Relu(%x)\n  target %y = Nope(%z)\n") + "\n" +
                     OneRule("  source %y = Relu(%x)\n  target %y = Relu(%x)\n");
  absl::Status status = ParseAndValidate(text);
  ASSERT_FALSE(status.ok());
  std::string message(status.message());
  EXPECT_THAT(message, HasSubstr("t.rules:7:1: rule 'r' is already defined on line 2"));
  EXPECT_THAT(message, HasSubstr("unknown op 'Nope'"));
  EXPECT_THAT(message, HasSubstr("'%z' is not bound"));
}

TEST(RuleTableTest, MissingFileIsNotFound) {
  absl::StatusOr<RuleTable> table = ReadRuleTableFile("rewrites/rules/no_such.rules");
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gsopt::rewrites::rules
