// Tokens of the gsir text form, with the line and column where each starts so
// that every parse error can point at the text. Whitespace (including line
// breaks) only separates tokens, and `//` starts a comment that runs to the
// end of the line. Internal to frontends/text.
#ifndef GSOPT_FRONTENDS_TEXT_LEXER_H_
#define GSOPT_FRONTENDS_TEXT_LEXER_H_

#include <cstddef>
#include <deque>
#include <string>

#include "absl/strings/string_view.h"

namespace gsopt::frontends::text::internal {

enum class TokenKind {
  kEof,
  kError,       // text holds the message
  kIdentifier,  // f32, Conv, com.microsoft, true
  kInteger,     // 12, -3
  kFloat,       // 1.5, -2e-07, inf, -inf, nan
  kHex,         // 0x7fc00000
  kString,      // text holds the unescaped bytes
  kValueRef,    // %x or %"a/b": text holds the name
  kGraphName,   // @main
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kLess,
  kGreater,
  kComma,
  kEqual,
  kColon,
  kDoubleColon,
  kArrow,
  kQuestion,
  kStar,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;
  int line = 1;
  int column = 1;
};

// How a token reads in an error message: "'%x'", "end of file", ...
std::string DescribeToken(const Token& token);

class Lexer {
 public:
  explicit Lexer(absl::string_view input) : input_(input) {}

  // The token `ahead` positions after the current one, without consuming it.
  const Token& Peek(size_t ahead = 0);
  Token Next();

 private:
  Token Lex();
  char CharAt(size_t offset) const { return pos_ + offset < input_.size() ? input_[pos_ + offset] : '\0'; }
  bool AtEnd() const { return pos_ >= input_.size(); }
  void Advance(size_t count = 1);
  void SkipWhitespaceAndComments();
  // Reads a quoted string starting at the opening quote into *out; false
  // with *out holding the message when it is malformed.
  bool LexQuoted(std::string* out);
  Token LexNumber(Token token);
  Token LexName(Token token, TokenKind kind, absl::string_view sigil);

  absl::string_view input_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::deque<Token> lookahead_;
};

}  // namespace gsopt::frontends::text::internal

#endif  // GSOPT_FRONTENDS_TEXT_LEXER_H_
