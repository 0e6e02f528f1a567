// Splits gsir text into tokens. Malformed input (an unterminated string, a
// stray character, a number run into letters) becomes one kError token at
// the offending position; the parser reports it with its location.
#include "frontends/text/lexer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gsopt::frontends::text::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsIdentifierStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsIdentifierStart(c) || IsDigit(c) || c == '.'; }

std::string Printable(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) return absl::StrFormat("\\x%02x", u);
  return std::string(1, c);
}

}  // namespace

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEof:
      return "end of file";
    case TokenKind::kError:
      return "invalid text";
    case TokenKind::kString: {
      std::string shown = token.text.size() > 24 ? token.text.substr(0, 24) + "..." : token.text;
      return absl::StrCat("string \"", shown, "\"");
    }
    case TokenKind::kValueRef:
      return absl::StrCat("'%", token.text, "'");
    case TokenKind::kGraphName:
      return absl::StrCat("'@", token.text, "'");
    default: {
      std::string shown = token.text.size() > 24 ? token.text.substr(0, 24) + "..." : token.text;
      return absl::StrCat("'", shown, "'");
    }
  }
}

const Token& Lexer::Peek(size_t ahead) {
  while (lookahead_.size() <= ahead) lookahead_.push_back(Lex());
  return lookahead_[ahead];
}

Token Lexer::Next() {
  Peek();
  Token token = std::move(lookahead_.front());
  lookahead_.pop_front();
  return token;
}

void Lexer::Advance(size_t count) {
  for (size_t i = 0; i < count && pos_ < input_.size(); ++i) {
    if (input_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }
}

void Lexer::SkipWhitespaceAndComments() {
  while (!AtEnd()) {
    char c = CharAt(0);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      Advance();
    } else if (c == '/' && CharAt(1) == '/') {
      while (!AtEnd() && CharAt(0) != '\n') Advance();
    } else {
      return;
    }
  }
}

bool Lexer::LexQuoted(std::string* out) {
  out->clear();
  Advance();  // opening quote
  while (true) {
    if (AtEnd() || CharAt(0) == '\n') {
      *out = "unterminated string";
      return false;
    }
    char c = CharAt(0);
    if (c == '"') {
      Advance();
      return true;
    }
    if (c != '\\') {
      out->push_back(c);
      Advance();
      continue;
    }
    char escaped = CharAt(1);
    switch (escaped) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'x': {
        char high = CharAt(2), low = CharAt(3);
        if (!IsHexDigit(high) || !IsHexDigit(low)) {
          *out = "expected two hex digits after '\\x'";
          return false;
        }
        auto value = [](char h) { return IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10; };
        out->push_back(static_cast<char>(value(high) << 4 | value(low)));
        Advance(2);
        break;
      }
      default:
        *out = absl::StrCat("unknown escape '\\", Printable(escaped), "' in string");
        return false;
    }
    Advance(2);
  }
}

Token Lexer::LexNumber(Token token) {
  const size_t start = pos_;
  if (CharAt(0) == '-') Advance();
  if (CharAt(0) == '0' && (CharAt(1) == 'x' || CharAt(1) == 'X') && input_[start] != '-') {
    Advance(2);
    if (!IsHexDigit(CharAt(0))) {
      token.kind = TokenKind::kError;
      token.text = "expected hex digits after '0x'";
      return token;
    }
    while (IsHexDigit(CharAt(0))) Advance();
    token.kind = TokenKind::kHex;
  } else {
    token.kind = TokenKind::kInteger;
    while (IsDigit(CharAt(0))) Advance();
    if (CharAt(0) == '.') {
      token.kind = TokenKind::kFloat;
      Advance();
      while (IsDigit(CharAt(0))) Advance();
    }
    if ((CharAt(0) == 'e' || CharAt(0) == 'E') &&
        (IsDigit(CharAt(1)) || ((CharAt(1) == '+' || CharAt(1) == '-') && IsDigit(CharAt(2))))) {
      token.kind = TokenKind::kFloat;
      Advance(2);
      while (IsDigit(CharAt(0))) Advance();
    }
  }
  if (IsNameChar(CharAt(0))) {
    token.kind = TokenKind::kError;
    token.text = absl::StrCat("malformed number '", input_.substr(start, pos_ - start + 1), "'");
    return token;
  }
  token.text = std::string(input_.substr(start, pos_ - start));
  return token;
}

Token Lexer::LexName(Token token, TokenKind kind, absl::string_view sigil) {
  Advance();  // the sigil
  if (CharAt(0) == '"') {
    std::string name;
    if (!LexQuoted(&name)) {
      token.kind = TokenKind::kError;
      token.text = std::move(name);
      return token;
    }
    token.kind = kind;
    token.text = std::move(name);
    return token;
  }
  const size_t start = pos_;
  while (IsNameChar(CharAt(0))) Advance();
  if (pos_ == start) {
    token.kind = TokenKind::kError;
    token.text = absl::StrCat("expected a name or a quoted string after '", sigil, "'");
    return token;
  }
  token.kind = kind;
  token.text = std::string(input_.substr(start, pos_ - start));
  return token;
}

Token Lexer::Lex() {
  SkipWhitespaceAndComments();
  Token token;
  token.line = line_;
  token.column = column_;
  if (AtEnd()) {
    token.kind = TokenKind::kEof;
    return token;
  }
  const char c = CharAt(0);
  if (IsDigit(c) || (c == '-' && IsDigit(CharAt(1)))) return LexNumber(std::move(token));
  if (c == '-' && CharAt(1) == '>') {
    Advance(2);
    token.kind = TokenKind::kArrow;
    token.text = "->";
    return token;
  }
  if (c == '-' && CharAt(1) == 'i' && CharAt(2) == 'n' && CharAt(3) == 'f' && !IsNameChar(CharAt(4))) {
    Advance(4);
    token.kind = TokenKind::kFloat;
    token.text = "-inf";
    return token;
  }
  if (IsIdentifierStart(c)) {
    const size_t start = pos_;
    while (IsNameChar(CharAt(0))) Advance();
    token.text = std::string(input_.substr(start, pos_ - start));
    token.kind = token.text == "inf" || token.text == "nan" ? TokenKind::kFloat : TokenKind::kIdentifier;
    return token;
  }
  if (c == '%') return LexName(std::move(token), TokenKind::kValueRef, "%");
  if (c == '@') return LexName(std::move(token), TokenKind::kGraphName, "@");
  if (c == '"') {
    std::string text;
    token.kind = LexQuoted(&text) ? TokenKind::kString : TokenKind::kError;
    token.text = std::move(text);
    return token;
  }
  if (c == ':' && CharAt(1) == ':') {
    Advance(2);
    token.kind = TokenKind::kDoubleColon;
    token.text = "::";
    return token;
  }
  TokenKind kind;
  switch (c) {
    case '(':
      kind = TokenKind::kLParen;
      break;
    case ')':
      kind = TokenKind::kRParen;
      break;
    case '{':
      kind = TokenKind::kLBrace;
      break;
    case '}':
      kind = TokenKind::kRBrace;
      break;
    case '[':
      kind = TokenKind::kLBracket;
      break;
    case ']':
      kind = TokenKind::kRBracket;
      break;
    case '<':
      kind = TokenKind::kLess;
      break;
    case '>':
      kind = TokenKind::kGreater;
      break;
    case ',':
      kind = TokenKind::kComma;
      break;
    case '=':
      kind = TokenKind::kEqual;
      break;
    case ':':
      kind = TokenKind::kColon;
      break;
    case '?':
      kind = TokenKind::kQuestion;
      break;
    case '*':
      kind = TokenKind::kStar;
      break;
    default:
      token.kind = TokenKind::kError;
      token.text = absl::StrCat("unexpected character '", Printable(c), "'");
      return token;
  }
  Advance();
  token.kind = kind;
  token.text = std::string(1, c);
  return token;
}

}  // namespace gsopt::frontends::text::internal
