// Malformed gsir text must come back as an InvalidArgument status that names
// the file, line and column and says what was expected — never a crash. The
// table below covers syntax errors, semantic errors (undefined and duplicate
// values, unknown dtypes, element counts, cycles) and bad literals; the
// truncation and mutation sweeps check that no input makes the parser abort.
#include <random>
#include <string>
#include <vector>

#include "frontends/text/text_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gsopt::frontends::text {
namespace {

using ::testing::HasSubstr;

struct MalformedCase {
  std::string name;
  std::string text;
  std::string expected_error;  // must appear in the status message
};

// Wraps a graph body in a valid header and signature; body lines start on line 3.
std::string Body(const std::string& lines) {
  return "gsir 1\ngraph @main(%x: f32[2]) -> (%y: f32[2]) {\n" + lines + "\n  return %y\n}\n";
}

std::vector<MalformedCase> Cases() {
  return {
      {"empty file", "", "bad.gsir:1:1: expected 'gsir 1' at the start of the file, found end of file"},
      {"wrong version", "gsir 2\n", "bad.gsir:1:6: unsupported gsir version 2"},
      {"missing graph", "gsir 1\nmodel ir_version=8\n", "bad.gsir:3:1: expected 'graph', found end of file"},
      {"unknown model field", "gsir 1\nmodel colour=\"red\"\n", "bad.gsir:2:7: unknown model field 'colour'"},
      {"model field twice", "gsir 1\nmodel ir_version=8 ir_version=9\n",
       "bad.gsir:2:20: model field 'ir_version' is given twice"},
      {"bad opset map", "gsir 1\nmodel opset_import={\"\" 17}\n", "bad.gsir:2:24: expected ':', found '17'"},
      {"bad base64", "gsir 1\nfunction \"not base64!\"\n", "bad.gsir:2:10: invalid base64 in a function"},
      {"missing paren", "gsir 1\ngraph @main(%x: f32[2] -> (%x: f32[2]) {\n  return %x\n}\n",
       "bad.gsir:2:24: expected ',' or ')', found '->'"},
      {"missing graph name", "gsir 1\ngraph main() -> () {\n  return\n}\n",
       "bad.gsir:2:7: expected a graph name such as @main, found 'main'"},
      {"unknown dtype in signature", "gsir 1\ngraph @main(%x: f33[2]) -> () {\n  return\n}\n",
       "bad.gsir:2:17: unknown dtype 'f33'"},
      {"undefined dtype name", "gsir 1\ngraph @main(%x: undefined[2]) -> () {\n  return\n}\n",
       "bad.gsir:2:17: unknown dtype 'undefined'"},
      {"negative dim", "gsir 1\ngraph @main(%x: f32[-2]) -> () {\n  return\n}\n",
       "bad.gsir:2:21: dim -2 is out of range"},
      {"missing close paren in node", Body("  %y = Relu(%x loc(\"r\")"),
       "bad.gsir:3:16: expected ',' or ')', found 'loc'"},
      {"undefined operand", Body("  %y = Add(%x, %nope) loc(\"a\")"), "bad.gsir:3:16: use of undefined value %nope"},
      {"duplicate definition", Body("  %y = Relu(%x)\n  %y = Neg(%x)"),
       "bad.gsir:4:3: value %y is defined twice (first at line 3, column 3)"},
      {"redefined input", Body("  %x = Relu(%x)\n  %y = Neg(%x)"), "bad.gsir:3:3: value %x is defined twice"},
      {"duplicate node name", Body("  %a = Relu(%x) loc(\"n\")\n  %y = Neg(%a) loc(\"n\")"),
       "bad.gsir:4:20: node name \"n\" is already used at line 3"},
      {"undefined result", "gsir 1\ngraph @main(%x: f32[2]) -> (%y: f32[2]) {\n  return %y\n}\n",
       "bad.gsir:2:29: result %y is never defined"},
      {"return mismatch", "gsir 1\ngraph @main(%x: f32[2]) -> (%x: f32[2]) {\n  %z = Neg(%x)\n  return %z\n}\n",
       "bad.gsir:4:10: return value 1 is %z but the signature declares %x"},
      {"return count", "gsir 1\ngraph @main(%x: f32[2]) -> (%x: f32[2]) {\n  return\n}\n",
       "bad.gsir:3:3: return lists 0 values but the signature declares 1 results"},
      {"result type mismatch", Body("  %y = Relu(%x) : f32[3]"),
       "bad.gsir:2:29: result %y is declared as f32[2] but defined as f32[3]"},
      {"missing return", "gsir 1\ngraph @main(%x: f32[2]) -> () {\n  %y = Relu(%x)\n}\n",
       "bad.gsir:4:1: expected 'return' before '}'"},
      {"trailing text", Body("  %y = Relu(%x)") + "extra\n",
       "bad.gsir:6:1: expected end of file after the graph, found 'extra'"},
      {"too few elements", Body("  %c = const f32[2,2] dense<[1, 2, 3]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:37: f32[2,2] has 4 elements, but 3 are given"},
      {"too many elements", Body("  %c = const f32[2] dense<[1, 2, 3]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:34: f32[2] has 2 elements, but more are given"},
      {"int out of range", Body("  %c = const u8[1] dense<[256]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:27: 256 is out of range for u8"},
      {"float in int tensor", Body("  %c = const i32[1] dense<[1.5]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:28: expected an integer for i32, found '1.5'"},
      {"string in float tensor", Body("  %c = const f32[1] dense<[\"a\"]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:28: expected a f32 element, found string \"a\""},
      {"inexact float8", Body("  %c = const f8e5m2[1] dense<0.3>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:30: 0.3 is not exactly representable in f8e5m2"},
      {"symbolic dim in tensor", Body("  %c = const f32[n] dense<1>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:18: expected a static dim, found 'n'"},
      {"huge splat", Body("  %c = const f32[1099511627776] dense<0>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:39: splat to f32[1099511627776] is too large"},
      {"unterminated string", Body("  %y = Relu(%x) loc(\"oops)"), "bad.gsir:3:21: unterminated string"},
      {"bad escape", Body("  %y = Relu(%x) loc(\"a\\q\")"), "bad.gsir:3:21: unknown escape '\\q' in string"},
      {"stray character", Body("  %y = Relu(%x) $"), "bad.gsir:3:17: unexpected character '$'"},
      {"malformed number", Body("  %y = Relu(%x) {a = 12abc}"), "bad.gsir:3:22: malformed number '12a'"},
      {"empty list without kind", Body("  %y = Relu(%x) {a = []}"),
       "bad.gsir:3:22: an empty list needs its kind, e.g. '[] : ints'"},
      {"mixed list", Body("  %y = Relu(%x) {a = [1, \"s\"]}"),
       "bad.gsir:3:26: a list cannot mix numbers, strings and tensors"},
      {"nested list", Body("  %y = Relu(%x) {a = [[1]]}"), "bad.gsir:3:23: lists of lists are not attributes"},
      {"unknown attribute kind", Body("  %y = Relu(%x) {a = 1 : long}"),
       "bad.gsir:3:26: unknown attribute kind 'long'"},
      {"float given as int kind", Body("  %y = Relu(%x) {a = 1.5 : int}"),
       "bad.gsir:3:22: expected an integer, found '1.5'"},
      {"duplicate attribute", Body("  %y = Relu(%x) {a = 1, a = 2}"), "bad.gsir:3:25: attribute 'a' is given twice"},
      {"too many result types", Body("  %y = Relu(%x) : (f32[2], f32[2])"),
       "bad.gsir:3:17: 2 result types given for 1 results"},
      {"cycle", Body("  %a = Neg(%b) loc(\"first\")\n  %b = Neg(%a) loc(\"second\")\n  %y = Relu(%x)"),
       "bad.gsir:3:8: node \"first\" (Neg) depends on its own results through a cycle"},
      {"default for non-input", Body("  %c = default f32[1] dense<1>\n  %y = Relu(%x)"),
       "bad.gsir:3:3: 'default' sets the initializer of a graph input, and %c is not one"},
      {"elided data", Body("  %c = const f32[9] elided<[1, 2, ...]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:21: tensor data was elided"},
      {"bad bytes", Body("  %c = const u8[2] bytes<\"abc\">\n  %y = Add(%x, %c)"),
       "bad.gsir:3:26: expected an even number of hex digits"},
      {"wrong byte count", Body("  %c = const u8[2] bytes<\"ab\">\n  %y = Add(%x, %c)"),
       "bad.gsir:3:26: u8[2]: tensor data has 1 bytes, expected 2"},
      {"missing percent name", Body("  % = Relu(%x)"), "bad.gsir:3:3: expected a name or a quoted string after '%'"},
      {"hex too wide", Body("  %c = const f16[1] dense<[0x12345]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:28: bit pattern 0x12345 does not fit in the 16 bits of f16"},
      {"complex without pair", Body("  %c = const c64[1] dense<[1]>\n  %y = Add(%x, %c)"),
       "bad.gsir:3:28: expected '(' starting a complex element, found '1'"},
  };
}

TEST(TextParserErrorsTest, MalformedInputsGiveLocatedErrors) {
  for (const MalformedCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ir::Graph> g = ParseGraph(c.text, "bad.gsir");
    ASSERT_FALSE(g.ok()) << "parsed without error:\n" << c.text;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(g.status().message()), HasSubstr(c.expected_error)) << c.text;
  }
}

const char kValidText[] = R"(gsir 1
model ir_version=9 opset_import={"": 18, "com.microsoft": 1} producer_name="test"
  metadata_props={"k": "v"}
value_type %seq "AAEC"
graph @main(%x: f32[batch,4], %mask: bool[batch]) -> (%y: f32[batch,4], %idx: i64[?]) {
  %w = const f32[4] dense<[0.5, -1, 2, nan]>
  %s = const string[2] dense<["a\n", "\xff"]>
  %h = const f16[] dense<0.1>
  %a, _ = com.microsoft::Fused(%x, _, %w) {alpha = 1.5, axes = [0, 1], t = i64[2] dense<[1, 2]>, g = opaque<"AAEC", reads = [%x]>} : f32[batch,4] loc("fused")
  %y = Mul(%a, %h) : f32[batch,4] loc("mul") doc("scale")
  %idx = NonZero(%mask) : i64[?] loc("nz")
  return %y, %idx
}
)";

TEST(TextParserErrorsTest, ValidTextForTheSweepsParses) {
  absl::StatusOr<ir::Graph> g = ParseGraph(kValidText);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->num_live_nodes(), 3);
}

// Every proper prefix of a valid file is incomplete: it must fail cleanly.
TEST(TextParserErrorsTest, EveryTruncationFailsWithoutCrashing) {
  const std::string text = kValidText;
  const size_t complete = text.rfind('}') + 1;
  for (size_t length = 0; length < complete; ++length) {
    absl::StatusOr<ir::Graph> g = ParseGraph(absl::string_view(text).substr(0, length), "cut.gsir");
    ASSERT_FALSE(g.ok()) << "prefix of length " << length << " parsed";
    EXPECT_THAT(std::string(g.status().message()), HasSubstr("cut.gsir:")) << length;
  }
}

// Random byte edits either parse or fail with a located message; none may crash.
TEST(TextParserErrorsTest, RandomMutationsNeverCrash) {
  std::mt19937 rng(20240611);
  const std::string alphabet = "%@\"\\()[]{}<>,:=?*_-.0123456789xeabfinr \n\xff";
  int failures = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text = kValidText;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.erase(pos, 1 + rng() % 8);
          break;
        default:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
      }
    }
    absl::StatusOr<ir::Graph> g = ParseGraph(text, "fuzz.gsir");
    if (!g.ok()) {
      ++failures;
      EXPECT_THAT(std::string(g.status().message()), HasSubstr("fuzz.gsir:")) << text;
    }
  }
  EXPECT_GT(failures, 0);
}

}  // namespace
}  // namespace gsopt::frontends::text
