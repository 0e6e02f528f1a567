// Parser and printer of the rule table format (grammar in rule_table.h).
// The parser is line oriented: each line is lexed into tokens that carry
// their column, so every error points at the exact place in the file. The
// printer writes the canonical form, chosen so that it parses back to an
// equal table (floats are printed with the fewest digits that round-trip).
#include "rewrites/rules/rule_table.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gsopt::rewrites::rules {

const Rule* RuleTable::Find(absl::string_view name) const {
  for (const Rule& rule : rules) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

namespace {

// ---------------------------------------------------------------- printing

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }

// Shortest decimal form that reads back to the same double, always with a
// '.' or exponent so it reads back as a float rather than an int.
std::string FormatDouble(double v) {
  std::string s;
  for (int precision = 1; precision <= 17; ++precision) {
    s = absl::StrFormat("%.*g", precision, v);
    double back = 0;
    if (absl::SimpleAtod(s, &back) && back == v) break;
  }
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string QuoteString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string PrintLiteral(const Literal& literal) {
  struct Visitor {
    std::string operator()(int64_t v) const { return absl::StrCat(v); }
    std::string operator()(double v) const { return FormatDouble(v); }
    std::string operator()(const std::string& v) const { return QuoteString(v); }
    std::string operator()(const std::vector<int64_t>& v) const {
      return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
    }
    std::string operator()(const std::vector<double>& v) const {
      std::vector<std::string> parts;
      for (double d : v) parts.push_back(FormatDouble(d));
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
  };
  return std::visit(Visitor{}, literal);
}

std::string PrintExpr(const ConstExpr& expr) {
  switch (expr.kind) {
    case ConstExpr::Kind::kVariable:
      return "%" + expr.name;
    case ConstExpr::Kind::kParameter:
      return "?" + expr.name;
    case ConstExpr::Kind::kLiteral:
      return PrintLiteral(expr.literal);
    case ConstExpr::Kind::kCall: {
      std::vector<std::string> args;
      for (const ConstExpr& arg : expr.args) args.push_back(PrintExpr(arg));
      return absl::StrCat(expr.name, "(", absl::StrJoin(args, ", "), ")");
    }
  }
  return "";
}

std::string PrintNode(const PatternNode& node) {
  std::vector<std::string> outputs, inputs, attrs;
  for (const std::string& out : node.outputs) outputs.push_back("%" + out);
  for (const std::string& in : node.inputs) inputs.push_back(in.empty() ? "_" : "%" + in);
  for (const AttrBinding& attr : node.attrs) {
    if (attr.is_rest) {
      attrs.push_back("..?" + *attr.param);
    } else {
      attrs.push_back(absl::StrCat(attr.name, "=",
                                   attr.param      ? "?" + *attr.param
                                   : attr.variable ? "%" + *attr.variable
                                                   : PrintLiteral(attr.value)));
    }
  }
  std::string op = node.domain.empty() ? node.op : absl::StrCat(node.domain, "::", node.op);
  std::string out = absl::StrCat(absl::StrJoin(outputs, ", "), " = ", op, "(", absl::StrJoin(inputs, ", "), ")");
  if (!attrs.empty()) absl::StrAppend(&out, "{", absl::StrJoin(attrs, ", "), "}");
  return out;
}

constexpr const char* kOriginNames[] = {"hand", "generated"};
constexpr const char* kProofNames[] = {"none", "proved", "bounded", "failed", "timeout"};

}  // namespace

std::string PrintRule(const Rule& rule) {
  std::string out = absl::StrCat("# ", rule.name, ": ", rule.comment, "\nrule ", rule.name, "\n");
  absl::StrAppend(&out, "  provenance origin=", kOriginNames[static_cast<int>(rule.provenance.origin)],
                  " proof=", kProofNames[static_cast<int>(rule.provenance.proof)]);
  if (rule.provenance.proof_seconds != 0) absl::StrAppend(&out, " time=", FormatDouble(rule.provenance.proof_seconds));
  out += "\n";
  for (const PatternNode& node : rule.source.nodes) absl::StrAppend(&out, "  source ", PrintNode(node), "\n");
  for (const Condition& cond : rule.conditions) {
    std::vector<std::string> args;
    for (const ConstExpr& arg : cond.args) args.push_back(PrintExpr(arg));
    absl::StrAppend(&out, "  where ", cond.predicate, "(", absl::StrJoin(args, ", "), ")\n");
  }
  for (const LetBinding& let : rule.lets)
    absl::StrAppend(&out, "  let %", let.variable, " = ", PrintExpr(let.value), "\n");
  for (const PatternNode& node : rule.target.nodes) absl::StrAppend(&out, "  target ", PrintNode(node), "\n");
  return out;
}

std::string PrintRuleTable(const RuleTable& table) {
  std::vector<std::string> rules;
  for (const Rule& rule : table.rules) rules.push_back(PrintRule(rule));
  return absl::StrJoin(rules, "\n");
}

namespace {

// ----------------------------------------------------------------- parsing

enum class TokenKind { kIdent, kVar, kParam, kInt, kFloat, kString, kPunct, kEnd };

struct Token {
  TokenKind kind;
  std::string text;  // name without sigil, string contents, or the punctuation
  int64_t int_value = 0;
  double float_value = 0;
  int column = 0;  // 1-based
};

class Parser {
 public:
  Parser(absl::string_view filename) : filename_(filename) {}

  absl::StatusOr<RuleTable> Parse(absl::string_view text) {
    RuleTable table;
    std::optional<std::pair<int, std::string>> comment_above;  // line, text
    int line_number = 0;
    for (absl::string_view raw : absl::StrSplit(text, '\n')) {
      ++line_number;
      line_ = line_number;
      absl::string_view line = absl::StripSuffix(raw, "\r");
      absl::string_view stripped = absl::StripAsciiWhitespace(line);
      if (stripped.empty()) {
        comment_above.reset();
        continue;
      }
      if (stripped.front() == '#') {
        comment_above = std::make_pair(line_number, std::string(stripped));
        continue;
      }
      if (absl::Status s = Lex(line); !s.ok()) return s;
      pos_ = 0;
      const Token& keyword = Peek();
      if (keyword.kind != TokenKind::kIdent)
        return Error(keyword, "expected a keyword (rule, provenance, source, where, let, target)");
      Next();
      if (keyword.text == "rule") {
        Rule rule;
        rule.loc = {line_, keyword.column};
        const Token& name = Peek();
        if (name.kind != TokenKind::kIdent) return Error(name, "expected a rule name after 'rule'");
        rule.name = Next().text;
        if (absl::Status s = ExpectEnd(); !s.ok()) return s;
        std::string prefix = absl::StrCat("# ", rule.name, ":");
        if (!comment_above || !absl::StartsWith(comment_above->second, prefix)) {
          return Error(keyword, absl::StrCat("rule '", rule.name, "' needs a one-line comment on the line above: '",
                                             prefix, " what it does'"));
        }
        rule.comment =
            std::string(absl::StripAsciiWhitespace(absl::string_view(comment_above->second).substr(prefix.size())));
        table.rules.push_back(std::move(rule));
        comment_above.reset();
        continue;
      }
      comment_above.reset();
      if (table.rules.empty()) {
        return Error(keyword, absl::StrCat("'", keyword.text, "' outside a rule; start one with 'rule NAME'"));
      }
      Rule& rule = table.rules.back();
      absl::Status s;
      if (keyword.text == "provenance") {
        s = ParseProvenance(rule.provenance);
      } else if (keyword.text == "source" || keyword.text == "target") {
        PatternNode node;
        s = ParseNode(node);
        (keyword.text == "source" ? rule.source : rule.target).nodes.push_back(std::move(node));
      } else if (keyword.text == "where") {
        s = ParseConditions(rule.conditions);
      } else if (keyword.text == "let") {
        s = ParseLet(rule.lets);
      } else {
        return Error(keyword, absl::StrCat("unknown keyword '", keyword.text,
                                           "'; expected rule, provenance, source, where, let or target"));
      }
      if (!s.ok()) return s;
      if (absl::Status e = ExpectEnd(); !e.ok()) return e;
    }
    return table;
  }

 private:
  absl::Status ErrorAt(int column, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(filename_, ":", line_, ":", column, ": ", message));
  }
  absl::Status Error(const Token& token, absl::string_view message) const { return ErrorAt(token.column, message); }

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool IsPunct(absl::string_view p) const { return Peek().kind == TokenKind::kPunct && Peek().text == p; }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::kEnd:
        return "end of line";
      case TokenKind::kVar:
        return "'%" + t.text + "'";
      case TokenKind::kParam:
        return "'?" + t.text + "'";
      case TokenKind::kString:
        return "a string";
      default:
        return "'" + t.text + "'";
    }
  }
  absl::Status Expect(absl::string_view punct) {
    if (!IsPunct(punct)) return Error(Peek(), absl::StrCat("expected '", punct, "', found ", Describe(Peek())));
    Next();
    return absl::OkStatus();
  }
  absl::Status ExpectEnd() {
    if (Peek().kind != TokenKind::kEnd)
      return Error(Peek(), absl::StrCat("unexpected ", Describe(Peek()), " at end of statement"));
    return absl::OkStatus();
  }

  absl::Status Lex(absl::string_view line) {
    tokens_.clear();
    size_t i = 0;
    while (i < line.size()) {
      char c = line[i];
      int column = static_cast<int>(i) + 1;
      if (c == ' ' || c == '\t') {
        ++i;
        continue;
      }
      if (c == '#') break;  // trailing comment
      Token token{TokenKind::kPunct, "", 0, 0, column};
      if (c == '%' || c == '?') {
        size_t j = i + 1;
        if (j >= line.size() || !IsIdentStart(line[j])) {
          return ErrorAt(column, absl::StrCat("expected a name after '", std::string(1, c), "'"));
        }
        while (j < line.size() && IsIdentChar(line[j])) ++j;
        token.kind = c == '%' ? TokenKind::kVar : TokenKind::kParam;
        token.text = std::string(line.substr(i + 1, j - i - 1));
        i = j;
      } else if (IsIdentStart(c)) {
        size_t j = i;
        while (j < line.size() && IsIdentChar(line[j])) ++j;
        // A domain-qualified op: com.microsoft::FusedConv.
        if (j + 2 < line.size() && line[j] == ':' && line[j + 1] == ':' && IsIdentStart(line[j + 2])) {
          j += 2;
          while (j < line.size() && IsIdentChar(line[j])) ++j;
        }
        token.kind = TokenKind::kIdent;
        token.text = std::string(line.substr(i, j - i));
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '-' && i + 1 < line.size() &&
                  (std::isdigit(static_cast<unsigned char>(line[i + 1])) || line[i + 1] == '.'))) {
        size_t j = i + 1;
        while (j < line.size() &&
               (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '.' ||
                ((line[j] == '-' || line[j] == '+') && (line[j - 1] == 'e' || line[j - 1] == 'E')))) {
          ++j;
        }
        std::string text(line.substr(i, j - i));
        token.text = text;
        if (absl::SimpleAtoi(text, &token.int_value)) {
          token.kind = TokenKind::kInt;
        } else if (text.find_first_of("xX") == std::string::npos && absl::SimpleAtod(text, &token.float_value)) {
          token.kind = TokenKind::kFloat;
        } else {
          return ErrorAt(column, absl::StrCat("invalid number '", text, "'"));
        }
        i = j;
      } else if (c == '"') {
        size_t j = i + 1;
        std::string value;
        while (j < line.size() && line[j] != '"') {
          if (line[j] == '\\' && j + 1 < line.size()) ++j;
          value += line[j++];
        }
        if (j >= line.size()) return ErrorAt(column, "unterminated string (missing closing '\"')");
        token.kind = TokenKind::kString;
        token.text = std::move(value);
        i = j + 1;
      } else if (c == '.' && i + 1 < line.size() && line[i + 1] == '.') {
        token.text = "..";
        i += 2;
      } else if (absl::string_view("(){}[],=").find(c) != absl::string_view::npos) {
        token.text = std::string(1, c);
        ++i;
      } else {
        return ErrorAt(column, absl::StrCat("unexpected character '", std::string(1, c), "'"));
      }
      tokens_.push_back(std::move(token));
    }
    tokens_.push_back(Token{TokenKind::kEnd, "", 0, 0, static_cast<int>(line.size()) + 1});
    return absl::OkStatus();
  }

  absl::Status ParseProvenance(Provenance& provenance) {
    while (Peek().kind != TokenKind::kEnd) {
      const Token& key = Peek();
      if (key.kind != TokenKind::kIdent) return Error(key, "expected origin=, proof= or time=");
      Next();
      if (absl::Status s = Expect("="); !s.ok()) return s;
      const Token& value = Peek();
      if (key.text == "time") {
        if (value.kind != TokenKind::kInt && value.kind != TokenKind::kFloat)
          return Error(value, "expected seconds after 'time='");
        provenance.proof_seconds =
            value.kind == TokenKind::kInt ? static_cast<double>(value.int_value) : value.float_value;
        Next();
        continue;
      }
      bool is_origin = key.text == "origin";
      if (!is_origin && key.text != "proof")
        return Error(key, absl::StrCat("unknown provenance key '", key.text, "'; expected origin, proof or time"));
      absl::Span<const char* const> names =
          is_origin ? absl::Span<const char* const>(kOriginNames) : absl::Span<const char* const>(kProofNames);
      int found = -1;
      for (size_t n = 0; n < names.size(); ++n) {
        if (value.kind == TokenKind::kIdent && value.text == names[n]) found = static_cast<int>(n);
      }
      if (found < 0)
        return Error(value, absl::StrCat("expected one of ", absl::StrJoin(names, "|"), " after '", key.text, "='"));
      if (is_origin) {
        provenance.origin = static_cast<Origin>(found);
      } else {
        provenance.proof = static_cast<ProofStatus>(found);
      }
      Next();
    }
    return absl::OkStatus();
  }

  absl::Status ParseNode(PatternNode& node) {
    node.loc = {line_, Peek().column};
    while (true) {
      if (Peek().kind != TokenKind::kVar)
        return Error(Peek(), absl::StrCat("expected an output variable (%name), found ", Describe(Peek())));
      node.outputs.push_back(Next().text);
      if (!IsPunct(",")) break;
      Next();
    }
    if (absl::Status s = Expect("="); !s.ok()) return s;
    if (Peek().kind != TokenKind::kIdent)
      return Error(Peek(), absl::StrCat("expected an op name, found ", Describe(Peek())));
    std::string op = Next().text;
    if (size_t sep = op.rfind("::"); sep != std::string::npos) {
      node.domain = op.substr(0, sep);
      op = op.substr(sep + 2);
    }
    node.op = std::move(op);
    if (absl::Status s = Expect("("); !s.ok()) return s;
    if (!IsPunct(")")) {
      while (true) {
        const Token& input = Peek();
        if (input.kind == TokenKind::kVar) {
          node.inputs.push_back(input.text);
        } else if (input.kind == TokenKind::kIdent && input.text == "_") {
          node.inputs.push_back("");
        } else {
          return Error(input, absl::StrCat("expected an input variable (%name) or '_', found ", Describe(input),
                                           " (patterns are flat: name inner nodes with their own 'source' line)"));
        }
        Next();
        if (!IsPunct(",")) break;
        Next();
      }
    }
    if (absl::Status s = Expect(")"); !s.ok()) return s;
    if (!IsPunct("{")) return absl::OkStatus();
    Next();
    if (!IsPunct("}")) {
      while (true) {
        AttrBinding attr;
        if (IsPunct("..")) {
          Next();
          if (Peek().kind != TokenKind::kParam) return Error(Peek(), "expected a parameter (?name) after '..'");
          attr.is_rest = true;
          attr.param = Next().text;
        } else {
          if (Peek().kind != TokenKind::kIdent)
            return Error(Peek(), absl::StrCat("expected an attribute name, found ", Describe(Peek())));
          attr.name = Next().text;
          if (absl::Status s = Expect("="); !s.ok()) return s;
          if (Peek().kind == TokenKind::kParam) {
            attr.param = Next().text;
          } else if (Peek().kind == TokenKind::kVar) {
            attr.variable = Next().text;
          } else if (absl::Status s = ParseLiteral(attr.value); !s.ok()) {
            return s;
          }
        }
        node.attrs.push_back(std::move(attr));
        if (!IsPunct(",")) break;
        Next();
      }
    }
    return Expect("}");
  }

  absl::Status ParseLiteral(Literal& literal) {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kInt:
        literal = t.int_value;
        break;
      case TokenKind::kFloat:
        literal = t.float_value;
        break;
      case TokenKind::kString:
        literal = t.text;
        break;
      case TokenKind::kPunct:
        if (t.text == "[") return ParseList(literal);
        [[fallthrough]];
      default:
        return Error(t, absl::StrCat("expected a value (number, \"string\", [list] or ?param), found ", Describe(t)));
    }
    Next();
    return absl::OkStatus();
  }

  // A list is of ints unless one element is a float, then of floats.
  absl::Status ParseList(Literal& literal) {
    Next();  // '['
    std::vector<Token> elements;
    if (!IsPunct("]")) {
      while (true) {
        if (Peek().kind != TokenKind::kInt && Peek().kind != TokenKind::kFloat) {
          return Error(Peek(), absl::StrCat("expected a number in the list, found ", Describe(Peek())));
        }
        elements.push_back(Next());
        if (!IsPunct(",")) break;
        Next();
      }
    }
    if (absl::Status s = Expect("]"); !s.ok()) return s;
    bool any_float = false;
    for (const Token& e : elements) any_float |= e.kind == TokenKind::kFloat;
    if (any_float) {
      std::vector<double> values;
      for (const Token& e : elements)
        values.push_back(e.kind == TokenKind::kFloat ? e.float_value : static_cast<double>(e.int_value));
      literal = std::move(values);
    } else {
      std::vector<int64_t> values;
      for (const Token& e : elements) values.push_back(e.int_value);
      literal = std::move(values);
    }
    return absl::OkStatus();
  }

  absl::Status ParseCallArgs(std::vector<ConstExpr>& args) {
    if (absl::Status s = Expect("("); !s.ok()) return s;
    if (!IsPunct(")")) {
      while (true) {
        ConstExpr arg;
        if (absl::Status s = ParseExpr(arg); !s.ok()) return s;
        args.push_back(std::move(arg));
        if (!IsPunct(",")) break;
        Next();
      }
    }
    return Expect(")");
  }

  absl::Status ParseExpr(ConstExpr& expr) {
    const Token& t = Peek();
    expr.loc = {line_, t.column};
    if (t.kind == TokenKind::kVar || t.kind == TokenKind::kParam) {
      expr.kind = t.kind == TokenKind::kVar ? ConstExpr::Kind::kVariable : ConstExpr::Kind::kParameter;
      expr.name = Next().text;
      return absl::OkStatus();
    }
    if (t.kind == TokenKind::kIdent) {
      std::string name = Next().text;
      if (!IsPunct("(")) {  // a bare name is a string: dtype(%x, float32)
        expr.kind = ConstExpr::Kind::kLiteral;
        expr.literal = std::move(name);
        return absl::OkStatus();
      }
      expr.kind = ConstExpr::Kind::kCall;
      expr.name = std::move(name);
      return ParseCallArgs(expr.args);
    }
    expr.kind = ConstExpr::Kind::kLiteral;
    return ParseLiteral(expr.literal);
  }

  absl::Status ParseConditions(std::vector<Condition>& conditions) {
    while (true) {
      Condition cond;
      cond.loc = {line_, Peek().column};
      if (Peek().kind != TokenKind::kIdent)
        return Error(Peek(), absl::StrCat("expected a condition such as const(%w), found ", Describe(Peek())));
      cond.predicate = Next().text;
      if (absl::Status s = ParseCallArgs(cond.args); !s.ok()) return s;
      conditions.push_back(std::move(cond));
      if (!IsPunct(",")) return absl::OkStatus();
      Next();
    }
  }

  absl::Status ParseLet(std::vector<LetBinding>& lets) {
    LetBinding let;
    let.loc = {line_, Peek().column};
    if (Peek().kind != TokenKind::kVar)
      return Error(Peek(), absl::StrCat("expected a variable (%name) after 'let', found ", Describe(Peek())));
    let.variable = Next().text;
    if (absl::Status s = Expect("="); !s.ok()) return s;
    if (absl::Status s = ParseExpr(let.value); !s.ok()) return s;
    lets.push_back(std::move(let));
    return absl::OkStatus();
  }

  std::string filename_;
  int line_ = 0;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<RuleTable> ParseRuleTable(absl::string_view text, absl::string_view filename) {
  return Parser(filename).Parse(text);
}

absl::StatusOr<RuleTable> ReadRuleTableFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open rule table '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseRuleTable(buffer.str(), path);
}

}  // namespace gsopt::rewrites::rules
