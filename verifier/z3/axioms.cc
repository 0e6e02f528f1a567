// Parser for the axiom file (syntax documented at the top of axioms.txt) and
// the table of function symbols the axioms and the rule encoder share.
#include "verifier/z3/axioms.h"

#include <cctype>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ir/check.h"

namespace gsopt::verifier::z3prover {
namespace internal {
extern const char kBuiltInAxioms[];
}  // namespace internal

namespace {

constexpr ArgKind T = ArgKind::kTensor;
constexpr ArgKind I = ArgKind::kInt;
constexpr ArgKind D = ArgKind::kDims;

}  // namespace

const std::vector<FunctionSymbol>& AllFunctionSymbols() {
  static const auto* const kSymbols = new std::vector<FunctionSymbol>{
      {"matmul", {T, T}},    {"conv", {I, T, T}},  // conv(pad, x, w): uniform padding, stride 1, group 1
      {"add", {T, T}},       {"sub", {T, T}},
      {"mul", {T, T}},       {"div", {T, T}},
      {"concat", {I, T, T}}, {"split_lo", {I, T}},  // first half of a two-way Split along the axis
      {"split_hi", {I, T}},                         // second half
      {"transpose", {T}},                           // perm [1, 0]
      {"reshape", {D, T}},   {"enlarge", {T}},      // Pad of a kernel by one on each spatial side
      {"avgpool", {T}},                             // 3x3, pads 1, count_include_pad
      {"maxpool", {T}},                             // 3x3, pads 1
      {"reduce_mean", {T}},                         // axes [-1], keepdims
      {"relu", {T}},         {"sigmoid", {T}},
      {"tanh", {T}},         {"erf", {T}},
      {"sqrt", {T}},         {"batchnorm", {T, T, T, T, T}},  // x, scale, bias, mean, var; default epsilon
  };
  return *kSymbols;
}

const FunctionSymbol* FindFunctionSymbol(absl::string_view name) {
  for (const FunctionSymbol& symbol : AllFunctionSymbols()) {
    if (symbol.name == name) return &symbol;
  }
  return nullptr;
}

const Axiom* AxiomSet::Find(absl::string_view name) const {
  for (const Axiom& axiom : axioms_) {
    if (axiom.name == name) return &axiom;
  }
  return nullptr;
}

std::string TermToString(const AxiomTerm& term) {
  switch (term.kind) {
    case AxiomTerm::Kind::kVariable:
      return term.name;
    case AxiomTerm::Kind::kInt:
      return absl::StrCat(term.int_value);
    case AxiomTerm::Kind::kInts:
      return absl::StrCat("[", absl::StrJoin(term.ints_value, ", "), "]");
    case AxiomTerm::Kind::kCall: {
      std::vector<std::string> args;
      for (const AxiomTerm& arg : term.args) args.push_back(TermToString(arg));
      return absl::StrCat(term.name, "(", absl::StrJoin(args, ", "), ")");
    }
  }
  return "";
}

namespace {

// Recursive-descent reader of one term or literal on a line.
class TermReader {
 public:
  explicit TermReader(absl::string_view text) : text_(text) {}

  absl::StatusOr<AxiomTerm> ReadTerm() {
    SkipSpace();
    if (AtEnd()) return Error("expected a term");
    char c = text_[pos_];
    if (c == '[') {
      AxiomTerm term;
      term.kind = AxiomTerm::Kind::kInts;
      auto list = ReadIntList();
      if (!list.ok()) return list.status();
      term.ints_value = *std::move(list);
      return term;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      AxiomTerm term;
      term.kind = AxiomTerm::Kind::kInt;
      auto value = ReadInt();
      if (!value.ok()) return value.status();
      term.int_value = *value;
      return term;
    }
    std::string name = ReadName();
    if (name.empty()) return Error(absl::StrCat("unexpected '", std::string(1, c), "'"));
    AxiomTerm term;
    term.name = name;
    SkipSpace();
    if (AtEnd() || text_[pos_] != '(') {
      term.kind = AxiomTerm::Kind::kVariable;
      return term;
    }
    term.kind = AxiomTerm::Kind::kCall;
    ++pos_;
    SkipSpace();
    if (!AtEnd() && text_[pos_] == ')') {
      ++pos_;
      return term;
    }
    while (true) {
      auto arg = ReadTerm();
      if (!arg.ok()) return arg.status();
      term.args.push_back(*std::move(arg));
      SkipSpace();
      if (AtEnd()) return Error("expected ')'");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ')') {
        ++pos_;
        return term;
      }
      return Error("expected ',' or ')'");
    }
  }

  absl::StatusOr<std::vector<int64_t>> ReadIntList() {
    SkipSpace();
    if (AtEnd() || text_[pos_] != '[') return Error("expected '['");
    ++pos_;
    std::vector<int64_t> values;
    SkipSpace();
    if (!AtEnd() && text_[pos_] == ']') {
      ++pos_;
      return values;
    }
    while (true) {
      auto value = ReadInt();
      if (!value.ok()) return value.status();
      values.push_back(*value);
      SkipSpace();
      if (AtEnd()) return Error("expected ']'");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return values;
      }
      return Error("expected ',' or ']'");
    }
  }

  absl::StatusOr<int64_t> ReadInt() {
    SkipSpace();
    size_t start = pos_;
    if (!AtEnd() && text_[pos_] == '-') ++pos_;
    while (!AtEnd() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    int64_t value = 0;
    if (!absl::SimpleAtoi(text_.substr(start, pos_ - start), &value)) return Error("expected an integer");
    return value;
  }

  std::string ReadName() {
    SkipSpace();
    size_t start = pos_;
    while (!AtEnd() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  bool Consume(char c) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool AtEndAfterSpace() {
    SkipSpace();
    return AtEnd();
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipSpace() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(message, " at column ", pos_ + 1));
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// An axiom while its lines are read; `each` expands it into several.
struct PendingAxiom {
  Axiom axiom;
  std::string each_placeholder;
  std::vector<std::string> each_values;
  std::string eq_text;  // parsed after `each` is known, so F(x) can name a symbol
  int eq_line = 0;
};

AxiomTerm SubstituteSymbol(const AxiomTerm& term, const std::string& placeholder, const std::string& value) {
  AxiomTerm result = term;
  if (result.kind == AxiomTerm::Kind::kCall && result.name == placeholder) result.name = value;
  for (AxiomTerm& arg : result.args) arg = SubstituteSymbol(arg, placeholder, value);
  return result;
}

// Checks that `term` is well formed and returns its kind.
absl::StatusOr<ArgKind> CheckTerm(const AxiomTerm& term, const Axiom& axiom) {
  switch (term.kind) {
    case AxiomTerm::Kind::kVariable: {
      auto it = axiom.variables.find(term.name);
      if (it == axiom.variables.end()) {
        return absl::InvalidArgumentError(absl::StrCat("undeclared variable '", term.name, "'"));
      }
      return it->second;
    }
    case AxiomTerm::Kind::kInt:
      return ArgKind::kInt;
    case AxiomTerm::Kind::kInts:
      return ArgKind::kDims;
    case AxiomTerm::Kind::kCall: {
      const FunctionSymbol* symbol = FindFunctionSymbol(term.name);
      if (symbol == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown function '", term.name, "'"));
      if (symbol->args.size() != term.args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", term.name, "' takes ", symbol->args.size(), " arguments, got ", term.args.size()));
      }
      for (size_t i = 0; i < term.args.size(); ++i) {
        auto kind = CheckTerm(term.args[i], axiom);
        if (!kind.ok()) return kind.status();
        if (*kind != symbol->args[i]) {
          return absl::InvalidArgumentError(
              absl::StrCat("argument ", i + 1, " of '", term.name, "' has the wrong kind"));
        }
      }
      return ArgKind::kTensor;
    }
  }
  return ArgKind::kTensor;
}

absl::Status CheckInstance(const AxiomInstance& check, const Axiom& axiom) {
  for (const auto& [name, kind] : axiom.variables) {
    bool bound = (kind == ArgKind::kTensor && check.tensor_dims.contains(name)) ||
                 (kind == ArgKind::kInt && check.ints.contains(name)) ||
                 (kind == ArgKind::kDims && check.dims.contains(name));
    if (!bound) return absl::InvalidArgumentError(absl::StrCat("check does not bind '", name, "'"));
  }
  for (const AxiomCondition& condition : axiom.conditions) {
    if (condition.predicate == "same_shape" &&
        check.tensor_dims.at(condition.variables[0]) != check.tensor_dims.at(condition.variables[1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("check violates same_shape(", condition.variables[0], ", ", condition.variables[1], ")"));
    }
    if (condition.predicate == "scalar" && !check.tensor_dims.at(condition.variables[0]).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("check violates scalar(", condition.variables[0], ")"));
    }
  }
  return absl::OkStatus();
}

// Reads `same_shape(a, b), scalar(s)`.
absl::Status ParseConditions(absl::string_view text, Axiom& axiom) {
  TermReader reader(text);
  while (true) {
    auto term = reader.ReadTerm();
    if (!term.ok()) return term.status();
    if (term->kind != AxiomTerm::Kind::kCall) return absl::InvalidArgumentError("expected a condition");
    AxiomCondition condition;
    condition.predicate = term->name;
    size_t arity = condition.predicate == "same_shape" ? 2 : condition.predicate == "scalar" ? 1 : 0;
    if (arity == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown condition '", term->name, "' (same_shape, scalar)"));
    }
    if (term->args.size() != arity) {
      return absl::InvalidArgumentError(absl::StrCat("'", term->name, "' takes ", arity, " arguments"));
    }
    for (const AxiomTerm& arg : term->args) {
      auto it = axiom.variables.find(arg.name);
      if (arg.kind != AxiomTerm::Kind::kVariable || it == axiom.variables.end() || it->second != ArgKind::kTensor) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", term->name, "' takes declared tensor variables, got '", TermToString(arg), "'"));
      }
      condition.variables.push_back(arg.name);
    }
    axiom.conditions.push_back(std::move(condition));
    if (reader.AtEndAfterSpace()) return absl::OkStatus();
    if (!reader.Consume(',')) return absl::InvalidArgumentError("expected ',' between conditions");
  }
}

// Reads `a=[2, 3] ax=1 d=[6]` (values may contain spaces inside brackets).
absl::StatusOr<AxiomInstance> ParseCheck(absl::string_view text, const Axiom& axiom) {
  AxiomInstance check;
  TermReader reader(text);
  while (!reader.AtEndAfterSpace()) {
    std::string name = reader.ReadName();
    if (name.empty() || !reader.Consume('=')) return absl::InvalidArgumentError("expected NAME=VALUE");
    auto it = axiom.variables.find(name);
    if (it == axiom.variables.end()) {
      return absl::InvalidArgumentError(absl::StrCat("check binds undeclared variable '", name, "'"));
    }
    if (it->second == ArgKind::kInt) {
      auto value = reader.ReadInt();
      if (!value.ok()) return value.status();
      check.ints[name] = *value;
    } else {
      auto list = reader.ReadIntList();
      if (!list.ok()) return list.status();
      (it->second == ArgKind::kTensor ? check.tensor_dims : check.dims)[name] = *std::move(list);
    }
  }
  return check;
}

absl::Status FinishAxiom(PendingAxiom& pending, std::vector<Axiom>& out) {
  Axiom& base = pending.axiom;
  if (pending.eq_text.empty()) return absl::InvalidArgumentError("missing 'eq' or 'shape' line");
  if (base.checks.empty()) return absl::InvalidArgumentError("missing 'check' line (every axiom is checked)");
  TermReader reader(pending.eq_text);
  auto lhs = reader.ReadTerm();
  if (!lhs.ok()) return lhs.status();
  if (!reader.Consume('=')) return absl::InvalidArgumentError("expected '=' between the two sides");
  auto rhs = reader.ReadTerm();
  if (!rhs.ok()) return rhs.status();
  if (!reader.AtEndAfterSpace()) return absl::InvalidArgumentError("unexpected text after the right side");
  std::vector<std::string> values = pending.each_values;
  if (values.empty()) values.push_back("");
  for (const std::string& value : values) {
    Axiom axiom = base;
    if (!value.empty()) {
      axiom.name = absl::StrCat(base.name, "[", value, "]");
      axiom.lhs = SubstituteSymbol(*lhs, pending.each_placeholder, value);
      axiom.rhs = SubstituteSymbol(*rhs, pending.each_placeholder, value);
    } else {
      axiom.lhs = *lhs;
      axiom.rhs = *rhs;
    }
    for (const AxiomTerm* side : {&axiom.lhs, &axiom.rhs}) {
      auto kind = CheckTerm(*side, axiom);
      if (!kind.ok())
        return absl::InvalidArgumentError(absl::StrCat("in '", axiom.name, "': ", kind.status().message()));
      if (*kind != ArgKind::kTensor) return absl::InvalidArgumentError("both sides must be tensors");
    }
    if (axiom.lhs.kind == AxiomTerm::Kind::kVariable && axiom.rhs.kind == AxiomTerm::Kind::kVariable) {
      return absl::InvalidArgumentError("one side must be a function application (it triggers the axiom)");
    }
    for (const AxiomInstance& check : axiom.checks) {
      if (absl::Status status = CheckInstance(check, axiom); !status.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("line ", check.line, ": ", status.message()));
      }
    }
    out.push_back(std::move(axiom));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AxiomSet> ParseAxioms(absl::string_view text, absl::string_view filename) {
  AxiomSet set;
  set.filename_ = std::string(filename);
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  std::optional<PendingAxiom> pending;
  std::set<std::string> names;
  auto located = [&](int line, absl::string_view axiom_name, absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(
        filename, ":", line, ": ", axiom_name.empty() ? "" : absl::StrCat("axiom '", axiom_name, "': "), message));
  };
  auto finish = [&]() -> absl::Status {
    if (!pending) return absl::OkStatus();
    size_t before = set.axioms_.size();
    if (absl::Status status = FinishAxiom(*pending, set.axioms_); !status.ok()) {
      return located(pending->axiom.line, pending->axiom.name, status.message());
    }
    for (size_t i = before; i < set.axioms_.size(); ++i) {
      if (!names.insert(set.axioms_[i].name).second) {
        return located(pending->axiom.line, set.axioms_[i].name, "defined twice");
      }
    }
    pending.reset();
    return absl::OkStatus();
  };
  for (size_t index = 0; index < lines.size(); ++index) {
    int line_number = static_cast<int>(index) + 1;
    absl::string_view line = lines[index];
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    size_t space = line.find_first_of(" \t");
    absl::string_view keyword = line.substr(0, space);
    absl::string_view rest = space == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(line.substr(space));
    if (keyword == "axiom") {
      if (absl::Status status = finish(); !status.ok()) return status;
      pending.emplace();
      pending->axiom.line = line_number;
      size_t colon = rest.find(':');
      pending->axiom.name = std::string(absl::StripAsciiWhitespace(rest.substr(0, colon)));
      if (colon != absl::string_view::npos) {
        pending->axiom.comment = std::string(absl::StripAsciiWhitespace(rest.substr(colon + 1)));
      }
      if (pending->axiom.name.empty()) return located(line_number, "", "axiom without a name");
      continue;
    }
    if (!pending) return located(line_number, "", absl::StrCat("'", keyword, "' outside an axiom"));
    Axiom& axiom = pending->axiom;
    if (keyword == "tensors" || keyword == "ints" || keyword == "dims") {
      ArgKind kind = keyword == "tensors" ? ArgKind::kTensor : keyword == "ints" ? ArgKind::kInt : ArgKind::kDims;
      for (absl::string_view name : absl::StrSplit(rest, ' ', absl::SkipWhitespace())) {
        if (!axiom.variables.emplace(std::string(name), kind).second) {
          return located(line_number, axiom.name, absl::StrCat("variable '", name, "' declared twice"));
        }
      }
    } else if (keyword == "when") {
      if (absl::Status status = ParseConditions(rest, axiom); !status.ok()) {
        return located(line_number, axiom.name, status.message());
      }
    } else if (keyword == "each") {
      std::vector<std::string> words = absl::StrSplit(rest, ' ', absl::SkipWhitespace());
      if (words.size() < 3 || words[1] != "in") return located(line_number, axiom.name, "expected 'each F in f g ...'");
      pending->each_placeholder = words[0];
      pending->each_values.assign(words.begin() + 2, words.end());
    } else if (keyword == "eq" || keyword == "shape") {
      if (!pending->eq_text.empty()) return located(line_number, axiom.name, "a second 'eq' or 'shape' line");
      axiom.is_shape_axiom = keyword == "shape";
      pending->eq_text = std::string(rest);
      pending->eq_line = line_number;
    } else if (keyword == "check") {
      auto check = ParseCheck(rest, axiom);
      if (!check.ok()) return located(line_number, axiom.name, check.status().message());
      check->line = line_number;
      axiom.checks.push_back(*std::move(check));
    } else {
      return located(line_number, axiom.name, absl::StrCat("unknown keyword '", keyword, "'"));
    }
  }
  if (absl::Status status = finish(); !status.ok()) return status;
  return set;
}

const AxiomSet& BuiltInAxioms() {
  static const AxiomSet* const kAxioms = [] {
    absl::StatusOr<AxiomSet> parsed = ParseAxioms(internal::kBuiltInAxioms, "verifier/z3/axioms.txt");
    GSOPT_CHECK_OK(parsed.status());
    return new AxiomSet(*std::move(parsed));
  }();
  return *kAxioms;
}

}  // namespace gsopt::verifier::z3prover
