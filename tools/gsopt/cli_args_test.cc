// Tests for the subcommand argument parser.
#include "tools/gsopt/cli_args.h"

#include "gtest/gtest.h"

namespace gsopt::cli {
namespace {

ArgSpec Spec() {
  ArgSpec spec("demo", "IN", "A demo.");
  spec.Option("output", "OUT", "output", "o").Repeated("dim", "S=V", "dims").Switch("verbose", "talk");
  return spec;
}

TEST(CliArgsTest, ParsesOptionsSwitchesAndPositionals) {
  absl::StatusOr<ParsedArgs> p = Parse(Spec(), {"in.onnx", "-o", "out.onnx", "--dim=a=1", "--dim", "b=2", "--verbose"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->positional(), std::vector<std::string>{"in.onnx"});
  EXPECT_EQ(p->Get("output"), "out.onnx");
  EXPECT_EQ(p->GetAll("dim"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_TRUE(p->Has("verbose"));
  EXPECT_FALSE(p->help());
}

TEST(CliArgsTest, RejectsUnknownOptionsAndMissingValues) {
  absl::StatusOr<ParsedArgs> unknown = Parse(Spec(), {"--bogus"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("--bogus"), absl::string_view::npos);
  EXPECT_FALSE(Parse(Spec(), {"-o"}).ok());
  EXPECT_FALSE(Parse(Spec(), {"--verbose=yes"}).ok());
}

TEST(CliArgsTest, NumbersAndHelp) {
  absl::StatusOr<ParsedArgs> p = Parse(Spec(), {"-o", "x", "--help"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->help());
  EXPECT_FALSE(p->GetInt("output", 0).ok());
  EXPECT_EQ(*p->GetInt("missing", 7), 7);
  EXPECT_NE(Spec().Help().find("--output OUT"), std::string::npos);
}

TEST(CliArgsTest, NameAndInts) {
  auto ok = ParseNameAndInts("input_ids=1,128");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, "input_ids");
  EXPECT_EQ(ok->second, (std::vector<int64_t>{1, 128}));
  auto scalar = ParseNameAndInts("x=");
  ASSERT_TRUE(scalar.ok());
  EXPECT_TRUE(scalar->second.empty());
  EXPECT_FALSE(ParseNameAndInts("x=1,a").ok());
  EXPECT_FALSE(ParseNameAndInts("x=-1").ok());
  EXPECT_FALSE(ParseNameAndInts("noequals").ok());
}

}  // namespace
}  // namespace gsopt::cli
