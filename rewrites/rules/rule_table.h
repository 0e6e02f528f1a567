// The rule table: gsopt's one textual format for rewrite rules, its data
// structures, parser, printer and validation. Everything that reads rules
// (the matcher, the rule generator, the Z3 prover, the random tester) reads
// this format, so a rule written by hand and one emitted by the generator are
// the same kind of data. parse(print(t)) == t holds for every table.
//
// Grammar (line oriented; one statement per line, indentation is free):
//
//   table      := { blank | '#' comment | rule }
//   rule       := '# ' NAME ': ' one-line comment      (required, line above)
//                 'rule' NAME
//                 { provenance | source | where | let | target }
//   provenance := 'provenance' { KEY '=' VALUE }      origin=hand|generated
//                                                     proof=none|proved|bounded|failed|timeout
//                                                     time=SECONDS (proof time)
//   source     := 'source' node                       one node of the source pattern
//   target     := 'target' node                       one node of the target pattern
//   node       := VAR {',' VAR} '=' OP '(' [input {',' input}] ')' ['{' [attr {',' attr}] '}']
//   input      := VAR | '_'                           '_' is an absent optional input
//   attr       := NAME '=' (PARAM | literal)          bind an attribute to ?p or require a value
//               | NAME '=' VAR                        target only: the value of a let (group=%g2)
//               | '..' PARAM                          all other attributes, as one parameter
//   where      := 'where' cond {',' cond}            side conditions, all must hold
//   cond       := PRED '(' [expr {',' expr}] ')'
//   let        := 'let' VAR '=' expr                  a constant computed when the rule fires
//   expr       := VAR | PARAM | literal | NAME | FN '(' [expr {',' expr}] ')'
//   literal    := INT | FLOAT | "string" | '[' [number {',' number}] ']'
//   VAR := '%' name    PARAM := '?' name    OP := Name | domain::Name
//
// '#' outside a string starts a comment to the end of the line. Statements of
// a rule may come in any order; lets are evaluated in order and may read
// earlier lets; conditions see source bindings and lets; the target reads
// source variables, lets and outputs of earlier target nodes. A bare NAME as
// an expression is a string (dtype(%x, float32)).
//
// A pattern is a small DAG written in SSA order: each node names its outputs
// and reads variables defined by earlier nodes or free ("leaf") variables.
// Naming a variable or parameter twice in the source means both occurrences
// must match the same value (as in egg). A literal attribute binding matches
// when the node carries that value (or lacks the attribute and the ONNX
// default equals it). The rule's roots are the source's final outputs (those
// no source node reads); the target must define every one of them, and it may
// define several (multi-output rules, e.g. two Convs -> one Conv + Split).
//
// Side conditions (PRED):      const(%v...)   single_use(%v...)   not_output(%v...)
//   same_shape(%a,%b)  same_dtype(%a,%b)  rank(%v,N)  dtype(%v,float32)
//   eq(e1,e2)  ne(e1,e2)  lt(e1,e2)  le(e1,e2)  inverse_perm(e1,e2)
//   min_opset(N) (the model imports the default domain at opset N or later,
//   so a target may use an op that opset introduced)
//   all_eq(e,v) (every element of e equals the scalar v; false for no elements)
// Constant functions (FN), evaluated by the engine on constant tensors:
//   add sub mul div matmul (2 args)  sqrt neg reciprocal (1)  reshape(t,[dims])
//   transpose(t,[perm])  concat(axis,t1,t2,...)  pad_kernel(w,[pads])
//   dim(%v,axis) (a scalar int)  ints(e1,...) (a 1-D int64 tensor of scalars)
//   mod(a,b) (integers)  regroup_kernel(w,groups,k) (the block-diagonal kernel
//   of a Conv with groups/k groups computing what `groups` groups did)
//   band_kernel(C,size,v) (the [C,C,1,1] kernel summing LRN's channel window,
//   times v)  full(dims,v) (a tensor of dims filled with v; float32 for a
//   literal or parameter v)  iota(n) ([0, 1, .., n-1])  rank_of(%v) (a
//   variable's rank, from its type: need not be constant)
//   slice(t,axis,start,end) (elements start..end-1 of t along axis)
//   shape_of(%v) (a variable's static dims, 1-D int64)  compose_perm(p,q)
//   (r with r[i] = p[q[i]]: Transpose by p, then by q, is Transpose by r)
#ifndef GSOPT_REWRITES_RULES_RULE_TABLE_H_
#define GSOPT_REWRITES_RULES_RULE_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/op_registry.h"

namespace gsopt::rewrites::rules {

// Where a piece of a rule was written (1-based), for located errors.
// Locations do not take part in equality: a printed and re-parsed table sits
// on different lines but is the same table.
struct SourceLoc {
  int line = 0;
  int column = 0;
  friend bool operator==(const SourceLoc&, const SourceLoc&) { return true; }
};

// A literal: int, float, string, int list or float list.
using Literal = std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

// An attribute of a pattern node: `name=?param`, `name=literal`, or (with
// is_rest) `..?param`, which stands for every attribute not named otherwise.
struct AttrBinding {
  std::string name;                     // empty for a rest binding
  std::optional<std::string> param;     // parameter name, without '?'
  std::optional<std::string> variable;  // target only: a let variable, without '%'
  Literal value;                        // when !param && !variable
  bool is_rest = false;
  friend bool operator==(const AttrBinding&, const AttrBinding&) = default;
};

struct PatternNode {
  std::string domain;  // "" for ai.onnx
  std::string op;
  std::vector<std::string> inputs;   // variable names without '%'; "" = absent
  std::vector<std::string> outputs;  // variable names without '%'
  std::vector<AttrBinding> attrs;
  SourceLoc loc;
  friend bool operator==(const PatternNode&, const PatternNode&) = default;
};

// A small DAG of pattern nodes in definition order.
struct Pattern {
  std::vector<PatternNode> nodes;
  friend bool operator==(const Pattern&, const Pattern&) = default;
};

// A declarative expression over constant tensors, parameters and literals.
struct ConstExpr {
  enum class Kind { kVariable, kParameter, kLiteral, kCall };
  Kind kind = Kind::kLiteral;
  std::string name;  // variable / parameter (no sigil) or function name
  Literal literal;   // for kLiteral
  std::vector<ConstExpr> args;
  SourceLoc loc;
  friend bool operator==(const ConstExpr&, const ConstExpr&) = default;
};

struct Condition {
  std::string predicate;
  std::vector<ConstExpr> args;
  SourceLoc loc;
  friend bool operator==(const Condition&, const Condition&) = default;
};

// `let %v = expr`: a new constant the target may read.
struct LetBinding {
  std::string variable;
  ConstExpr value;
  SourceLoc loc;
  friend bool operator==(const LetBinding&, const LetBinding&) = default;
};

enum class Origin { kHandWritten, kGenerated };
enum class ProofStatus { kNone, kProved, kBounded, kFailed, kTimeout };

struct Provenance {
  Origin origin = Origin::kHandWritten;
  ProofStatus proof = ProofStatus::kNone;
  double proof_seconds = 0;  // 0 when not timed
  friend bool operator==(const Provenance&, const Provenance&) = default;
};

struct Rule {
  std::string name;
  std::string comment;  // the one-line comment, without "# name: "
  Provenance provenance;
  Pattern source;
  std::vector<Condition> conditions;
  std::vector<LetBinding> lets;
  Pattern target;
  SourceLoc loc;
  friend bool operator==(const Rule&, const Rule&) = default;
};

struct RuleTable {
  std::vector<Rule> rules;
  const Rule* Find(absl::string_view name) const;
  friend bool operator==(const RuleTable&, const RuleTable&) = default;
};

// Parses a table. `filename` prefixes errors: "rules.txt:12:7: expected ')'".
absl::StatusOr<RuleTable> ParseRuleTable(absl::string_view text, absl::string_view filename);
absl::StatusOr<RuleTable> ReadRuleTableFile(const std::string& path);

// The canonical text of a table (one statement per line, one condition per
// `where`), which parses back to an equal table.
std::string PrintRuleTable(const RuleTable& table);
std::string PrintRule(const Rule& rule);

// Checks what the parser cannot: every variable and parameter the conditions,
// lets and target use is bound; ops exist in `registry` with arities within
// their schema; predicates and functions are known with the right arity; the
// target defines every root of the source. Errors are located
// ("library.rules:12:3: rule 'x': ...") and all of them are reported at once.
absl::Status ValidateRuleTable(const RuleTable& table, const ir::OpRegistry& registry, absl::string_view filename);

}  // namespace gsopt::rewrites::rules

#endif  // GSOPT_REWRITES_RULES_RULE_TABLE_H_
