// ParseGraph: reads gsir text (grammar in text_format.h) into an ir::Graph.
// A recursive-descent parser over the lexer's tokens. Values are created as
// their definitions are read; node operands are resolved once the whole body
// is known, because statements may come in any order. Nodes are then added
// in a stable topological order (text order wherever the text already
// respects the data flow), so parse(print(g)) keeps g's execution order.
// Every problem is an InvalidArgument "file:line:column: message"; nothing
// in the input can make the parser abort.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "frontends/text/lexer.h"
#include "frontends/text/literal_codec.h"
#include "frontends/text/text_format.h"

namespace gsopt::frontends::text {
namespace {

using internal::LiteralKind;
using internal::ScalarLiteral;
using internal::Token;
using internal::TokenKind;

#define GSOPT_TEXT_RETURN_IF_ERROR(expr)                              \
  do {                                                                \
    if (absl::Status status_ = (expr); !status_.ok()) return status_; \
  } while (false)

#define GSOPT_TEXT_CONCAT_INNER(a, b) a##b
#define GSOPT_TEXT_CONCAT(a, b) GSOPT_TEXT_CONCAT_INNER(a, b)
#define GSOPT_TEXT_ASSIGN_OR_RETURN(lhs, expr) \
  GSOPT_TEXT_ASSIGN_OR_RETURN_IMPL(GSOPT_TEXT_CONCAT(statusor_, __LINE__), lhs, expr)
#define GSOPT_TEXT_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                     \
  if (!statusor.ok()) return statusor.status();               \
  lhs = std::move(statusor).value()

// A splat may expand to at most this many bytes; larger is treated as a
// mistake rather than an allocation to attempt.
constexpr int64_t kMaxSplatBytes = int64_t{1} << 31;

// A node read from the body, waiting for its operands to be resolved.
struct PendingNode {
  Token op_token;
  std::string op_type;
  std::string domain;
  std::string name;
  bool has_name = false;
  Token name_token;
  std::vector<std::optional<Token>> operands;  // nullopt: omitted optional
  std::vector<ir::ValueId> outputs;
  ir::AttributeMap attributes;
  std::string doc;
};

struct ResultDecl {
  Token token;
  ir::TensorType type;
};

// One attribute element before its kind is known. Numbers keep their text
// in `token`; literal.text is not used here because items move around.
struct AttrItem {
  enum class Form { kNumber, kString, kTensor, kOpaque };
  Form form = Form::kNumber;
  Token token;
  ScalarLiteral literal;
  ir::Tensor tensor;
  ir::OpaqueAttribute opaque;
};

class Parser {
 public:
  Parser(absl::string_view text, std::string filename) : lexer_(text), filename_(std::move(filename)) {}

  absl::StatusOr<ir::Graph> Parse() {
    GSOPT_TEXT_RETURN_IF_ERROR(ParseHeader());
    GSOPT_TEXT_RETURN_IF_ERROR(ParseModel());
    GSOPT_TEXT_RETURN_IF_ERROR(ParseExtras());
    GSOPT_TEXT_RETURN_IF_ERROR(ParseGraphBody());
    if (Peek().kind != TokenKind::kEof) return Expected("end of file after the graph");
    GSOPT_TEXT_RETURN_IF_ERROR(BuildNodes());
    GSOPT_TEXT_RETURN_IF_ERROR(ResolveResults());
    return std::move(graph_);
  }

 private:
  // ---- tokens and errors ----
  const Token& Peek(size_t ahead = 0) { return lexer_.Peek(ahead); }
  Token Next() { return lexer_.Next(); }

  absl::Status ErrorAt(const Token& token, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(filename_, ":", token.line, ":", token.column, ": ", message));
  }

  // "expected X, found Y" at the next token (or the lexer's own message).
  absl::Status Expected(absl::string_view what) {
    const Token& token = Peek();
    if (token.kind == TokenKind::kError) return ErrorAt(token, token.text);
    return ErrorAt(token, absl::StrCat("expected ", what, ", found ", internal::DescribeToken(token)));
  }

  bool Accept(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Next();
    return true;
  }

  absl::StatusOr<Token> Expect(TokenKind kind, absl::string_view what) {
    if (Peek().kind != kind) return Expected(what);
    return Next();
  }

  bool PeekKeyword(absl::string_view word, size_t ahead = 0) {
    const Token& token = Peek(ahead);
    return token.kind == TokenKind::kIdentifier && token.text == word;
  }

  absl::Status ExpectKeyword(absl::string_view word) {
    if (!PeekKeyword(word)) return Expected(absl::StrCat("'", word, "'"));
    Next();
    return absl::OkStatus();
  }

  // A name written as an identifier or a quoted string.
  absl::StatusOr<Token> ExpectName(absl::string_view what) {
    if (Peek().kind != TokenKind::kIdentifier && Peek().kind != TokenKind::kString) return Expected(what);
    return Next();
  }

  absl::StatusOr<int64_t> ExpectInt64(absl::string_view what) {
    GSOPT_TEXT_ASSIGN_OR_RETURN(Token token, Expect(TokenKind::kInteger, what));
    int64_t value = 0;
    auto result = std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
    if (result.ec != std::errc() || result.ptr != token.text.data() + token.text.size()) {
      return ErrorAt(token, absl::StrCat("integer ", token.text, " is out of range"));
    }
    return value;
  }

  absl::StatusOr<std::string> ExpectBase64(absl::string_view what) {
    GSOPT_TEXT_ASSIGN_OR_RETURN(Token token, Expect(TokenKind::kString, what));
    std::string bytes;
    if (!absl::Base64Unescape(token.text, &bytes)) {
      return ErrorAt(token, absl::StrCat("invalid base64 in ", what));
    }
    return bytes;
  }

  // ---- header and model ----
  absl::Status ParseHeader() {
    if (!PeekKeyword("gsir")) return Expected("'gsir 1' at the start of the file");
    Next();
    GSOPT_TEXT_ASSIGN_OR_RETURN(Token version, Expect(TokenKind::kInteger, "the gsir version"));
    if (version.text != "1") {
      return ErrorAt(version,
                     absl::StrCat("unsupported gsir version ", version.text, " (this parser reads version 1)"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseModel() {
    if (!PeekKeyword("model")) return absl::OkStatus();
    Next();
    ir::ModelMetadata& m = graph_.mutable_metadata();
    std::set<std::string> seen;
    while (Peek().kind == TokenKind::kIdentifier && Peek(1).kind == TokenKind::kEqual) {
      Token field = Next();
      Next();  // '='
      if (!seen.insert(field.text).second) {
        return ErrorAt(field, absl::StrCat("model field '", field.text, "' is given twice"));
      }
      if (field.text == "ir_version") {
        GSOPT_TEXT_ASSIGN_OR_RETURN(m.ir_version, ExpectInt64("an integer ir_version"));
      } else if (field.text == "model_version") {
        GSOPT_TEXT_ASSIGN_OR_RETURN(m.model_version, ExpectInt64("an integer model_version"));
      } else if (field.text == "opset_import") {
        m.opset_imports.clear();
        GSOPT_TEXT_RETURN_IF_ERROR(ParseOpsetImports(&m.opset_imports));
      } else if (field.text == "metadata_props") {
        GSOPT_TEXT_RETURN_IF_ERROR(ParseMetadataProps(&m.metadata_props));
      } else {
        std::string* target = field.text == "producer_name"      ? &m.producer_name
                              : field.text == "producer_version" ? &m.producer_version
                              : field.text == "domain"           ? &m.domain
                              : field.text == "doc"              ? &m.doc_string
                              : field.text == "graph_doc"        ? &m.graph_doc_string
                                                                 : nullptr;
        if (target == nullptr) return ErrorAt(field, absl::StrCat("unknown model field '", field.text, "'"));
        GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kString, "a quoted string"));
        *target = std::move(value.text);
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseOpsetImports(std::map<std::string, int64_t>* opsets) {
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLBrace, "'{'").status());
    if (Accept(TokenKind::kRBrace)) return absl::OkStatus();
    do {
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token domain, Expect(TokenKind::kString, "a quoted domain"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kColon, "':'").status());
      GSOPT_TEXT_ASSIGN_OR_RETURN(int64_t version, ExpectInt64("an opset version"));
      if (!opsets->emplace(domain.text, version).second) {
        return ErrorAt(domain, absl::StrCat("opset for domain \"", domain.text, "\" is given twice"));
      }
    } while (Accept(TokenKind::kComma));
    return Expect(TokenKind::kRBrace, "',' or '}'").status();
  }

  absl::Status ParseMetadataProps(std::vector<std::pair<std::string, std::string>>* props) {
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLBrace, "'{'").status());
    if (Accept(TokenKind::kRBrace)) return absl::OkStatus();
    do {
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token key, Expect(TokenKind::kString, "a quoted key"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kColon, "':'").status());
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kString, "a quoted value"));
      props->emplace_back(std::move(key.text), std::move(value.text));
    } while (Accept(TokenKind::kComma));
    return Expect(TokenKind::kRBrace, "',' or '}'").status();
  }

  absl::Status ParseExtras() {
    ir::ModelMetadata& m = graph_.mutable_metadata();
    while (true) {
      if (PeekKeyword("function")) {
        Next();
        GSOPT_TEXT_ASSIGN_OR_RETURN(std::string bytes, ExpectBase64("a function (base64 FunctionProto)"));
        m.serialized_functions.push_back(std::move(bytes));
      } else if (PeekKeyword("training_info")) {
        Next();
        GSOPT_TEXT_ASSIGN_OR_RETURN(std::string bytes, ExpectBase64("training_info (base64 TrainingInfoProto)"));
        m.serialized_training_info.push_back(std::move(bytes));
      } else if (PeekKeyword("value_type")) {
        Next();
        GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kValueRef, "a value name"));
        GSOPT_TEXT_ASSIGN_OR_RETURN(std::string bytes, ExpectBase64("a value_type (base64 TypeProto)"));
        if (!m.opaque_value_types.emplace(value.text, std::move(bytes)).second) {
          return ErrorAt(value, absl::StrCat("value_type of %", value.text, " is given twice"));
        }
      } else {
        return absl::OkStatus();
      }
    }
  }

  // ---- types ----
  absl::StatusOr<ir::DType> ParseDTypeName(const Token& token) {
    std::optional<ir::DType> dtype = ir::DTypeFromName(token.text);
    if (!dtype || *dtype == ir::DType::kUndefined) {
      return ErrorAt(token, absl::StrCat("unknown dtype '", token.text, "'"));
    }
    return *dtype;
  }

  absl::StatusOr<ir::Dim> ParseDim() {
    const Token& token = Peek();
    switch (token.kind) {
      case TokenKind::kQuestion:
        Next();
        return ir::Dim();
      case TokenKind::kInteger: {
        Token t = Next();
        int64_t value = -1;
        auto result = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
        if (result.ec != std::errc() || result.ptr != t.text.data() + t.text.size() || value < 0 ||
            value > ir::kMaxDimValue) {
          return ErrorAt(t, absl::StrCat("dim ", t.text, " is out of range"));
        }
        return ir::Dim(value);
      }
      case TokenKind::kIdentifier:
      case TokenKind::kString:
        return ir::Dim::Symbol(Next().text);
      default:
        return Expected("a dim (integer, '?' or a symbol)");
    }
  }

  absl::StatusOr<ir::Shape> ParseShape() {
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLBracket, "'['").status());
    if (Accept(TokenKind::kStar)) {
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "']'").status());
      return ir::Shape();
    }
    std::vector<ir::Dim> dims;
    if (!Accept(TokenKind::kRBracket)) {
      do {
        GSOPT_TEXT_ASSIGN_OR_RETURN(ir::Dim dim, ParseDim());
        dims.push_back(std::move(dim));
      } while (Accept(TokenKind::kComma));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "',' or ']'").status());
    }
    return ir::Shape(std::move(dims));
  }

  absl::StatusOr<ir::TensorType> ParseType() {
    ir::TensorType type;
    if (Accept(TokenKind::kQuestion)) {
      if (Peek().kind != TokenKind::kLBracket) return type;
    } else {
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token token, Expect(TokenKind::kIdentifier, "a type"));
      GSOPT_TEXT_ASSIGN_OR_RETURN(type.dtype, ParseDTypeName(token));
    }
    GSOPT_TEXT_ASSIGN_OR_RETURN(type.shape, ParseShape());
    return type;
  }

  // ---- tensors ----
  absl::StatusOr<ScalarLiteral> ExpectScalar(ir::DType dtype) {
    const Token& token = Peek();
    ScalarLiteral literal;
    literal.text = token.text;
    switch (token.kind) {
      case TokenKind::kInteger:
        literal.kind = LiteralKind::kInteger;
        return literal;
      case TokenKind::kFloat:
        literal.kind = LiteralKind::kFloat;
        return literal;
      case TokenKind::kHex:
        literal.kind = LiteralKind::kHex;
        return literal;
      case TokenKind::kIdentifier:
        if (token.text == "true") {
          literal.kind = LiteralKind::kTrue;
          return literal;
        }
        if (token.text == "false") {
          literal.kind = LiteralKind::kFalse;
          return literal;
        }
        break;
      default:
        break;
    }
    return Expected(absl::StrCat("a ", ir::DTypeName(dtype), " element"));
  }

  // Reads one element (a (re, im) pair for complex) and appends its
  // components to *bytes as element number `index`.
  absl::Status ParseElement(ir::DType dtype, int64_t index, std::string* bytes) {
    const ir::DType component = internal::ComponentDType(dtype);
    const int64_t per_element = internal::ComponentsPerElement(dtype);
    if (per_element == 2)
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' starting a complex element").status());
    for (int64_t c = 0; c < per_element; ++c) {
      if (c > 0) GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kComma, "',' between real and imaginary parts").status());
      GSOPT_TEXT_ASSIGN_OR_RETURN(ScalarLiteral literal, ExpectScalar(component));
      absl::StatusOr<uint64_t> bits = internal::EncodeScalar(component, literal);
      if (!bits.ok()) return ErrorAt(Peek(), bits.status().message());
      Next();
      internal::AppendComponentBits(component, index * per_element + c, *bits, bytes);
    }
    if (per_element == 2)
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')' closing a complex element").status());
    return absl::OkStatus();
  }

  absl::StatusOr<ir::Tensor> ParseTensor() {
    const Token start = Peek();
    ir::DType dtype = ir::DType::kUndefined;
    if (!Accept(TokenKind::kQuestion)) {
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token token, Expect(TokenKind::kIdentifier, "a tensor type"));
      GSOPT_TEXT_ASSIGN_OR_RETURN(dtype, ParseDTypeName(token));
    }
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLBracket, "'[' starting the tensor's dims").status());
    std::vector<int64_t> dims;
    int64_t count = 1;
    if (!Accept(TokenKind::kRBracket)) {
      do {
        const Token dim_token = Peek();
        GSOPT_TEXT_ASSIGN_OR_RETURN(int64_t dim, ExpectInt64("a static dim"));
        if (dim < 0 || dim > ir::kMaxDimValue || (dim != 0 && count > ir::kMaxElements / dim)) {
          return ErrorAt(dim_token, absl::StrCat("dim ", dim, " is out of range for a tensor"));
        }
        count *= dim;
        dims.push_back(dim);
      } while (Accept(TokenKind::kComma));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "',' or ']'").status());
    }
    const Token data_token = Peek();
    if (PeekKeyword("elided")) {
      return ErrorAt(data_token,
                     "tensor data was elided when printing (PrintOptions::max_inline_elements); "
                     "elided text cannot be parsed back");
    }
    if (dtype == ir::DType::kUndefined) {
      // Only the empty, undefined tensor: "?[] dense<[]>".
      if (!dims.empty()) return ErrorAt(start, "a tensor of unknown dtype must be written '?[] dense<[]>'");
      GSOPT_TEXT_RETURN_IF_ERROR(ExpectKeyword("dense"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLess, "'<'").status());
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLBracket, "'['").status());
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "']' (a tensor of unknown dtype has no data)").status());
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kGreater, "'>'").status());
      return ir::Tensor();
    }
    const std::string type_text = ir::TensorType{dtype, ir::Shape::FromStatic(dims)}.ToString();
    if (PeekKeyword("bytes")) {
      Next();
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLess, "'<'").status());
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token hex, Expect(TokenKind::kString, "a quoted hex string"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kGreater, "'>'").status());
      std::string bytes;
      if (dtype == ir::DType::kString) return ErrorAt(data_token, "string tensors cannot be given as bytes<...>");
      if (!internal::HexToBytes(hex.text, &bytes)) return ErrorAt(hex, "expected an even number of hex digits");
      absl::StatusOr<ir::Tensor> tensor = ir::Tensor::FromBytes(dtype, dims, bytes);
      if (!tensor.ok()) return ErrorAt(hex, absl::StrCat(type_text, ": ", tensor.status().message()));
      return tensor;
    }
    GSOPT_TEXT_RETURN_IF_ERROR(ExpectKeyword("dense"));
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLess, "'<'").status());
    absl::StatusOr<ir::Tensor> tensor = Peek().kind == TokenKind::kLBracket
                                            ? ParseElementList(dtype, dims, count, type_text)
                                            : ParseSplat(dtype, dims, count, type_text);
    if (!tensor.ok()) return tensor.status();
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kGreater, "'>' closing the tensor data").status());
    return tensor;
  }

  absl::StatusOr<ir::Tensor> ParseElementList(ir::DType dtype, const std::vector<int64_t>& dims, int64_t count,
                                              const std::string& type_text) {
    Next();  // '['
    std::vector<std::string> strings;
    std::string bytes;
    bytes.reserve(static_cast<size_t>(std::min<int64_t>(ir::ByteSizeFor(dtype, count), int64_t{1} << 24)));
    int64_t parsed = 0;
    if (Peek().kind != TokenKind::kRBracket) {
      do {
        if (parsed == count) {
          return ErrorAt(Peek(), absl::StrCat(type_text, " has ", count, " elements, but more are given"));
        }
        if (dtype == ir::DType::kString) {
          GSOPT_TEXT_ASSIGN_OR_RETURN(Token s, Expect(TokenKind::kString, "a quoted string element"));
          strings.push_back(std::move(s.text));
        } else {
          GSOPT_TEXT_RETURN_IF_ERROR(ParseElement(dtype, parsed, &bytes));
        }
        ++parsed;
      } while (Accept(TokenKind::kComma));
    }
    const Token close = Peek();
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "',' or ']'").status());
    if (parsed != count) {
      return ErrorAt(close, absl::StrCat(type_text, " has ", count, " elements, but ", parsed, " are given"));
    }
    if (dtype == ir::DType::kString) return ir::Tensor::FromStrings(dims, std::move(strings));
    absl::StatusOr<ir::Tensor> tensor = ir::Tensor::FromBytes(dtype, dims, bytes);
    if (!tensor.ok()) return ErrorAt(close, tensor.status().message());
    return tensor;
  }

  absl::StatusOr<ir::Tensor> ParseSplat(ir::DType dtype, const std::vector<int64_t>& dims, int64_t count,
                                        const std::string& type_text) {
    const Token token = Peek();
    if (dtype == ir::DType::kString) {
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token s, Expect(TokenKind::kString, "a quoted string element"));
      if (count > (int64_t{1} << 24) || count * static_cast<int64_t>(s.text.size() + 32) > kMaxSplatBytes) {
        return ErrorAt(token, absl::StrCat("splat to ", type_text, " is too large"));
      }
      return ir::Tensor::FromStrings(dims, std::vector<std::string>(static_cast<size_t>(count), s.text));
    }
    std::string element;
    GSOPT_TEXT_RETURN_IF_ERROR(ParseElement(dtype, 0, &element));
    if (ir::ByteSizeFor(dtype, count) > kMaxSplatBytes) {
      return ErrorAt(token, absl::StrCat("splat to ", type_text, " is too large"));
    }
    absl::StatusOr<ir::Tensor> created = ir::Tensor::Create(dtype, dims);
    if (!created.ok()) return ErrorAt(token, created.status().message());
    ir::Tensor tensor = *std::move(created);
    auto* raw = reinterpret_cast<unsigned char*>(tensor.mutable_raw_data());
    if (ir::DTypeBits(dtype) == 4) {
      const unsigned char nibble = static_cast<unsigned char>(element[0]) & 0xf;
      std::memset(raw, nibble | nibble << 4, static_cast<size_t>(tensor.byte_size()));
      if (count % 2 == 1) raw[tensor.byte_size() - 1] &= 0x0f;  // the spare nibble stays zero
    } else {
      for (int64_t offset = 0; offset < tensor.byte_size(); offset += static_cast<int64_t>(element.size())) {
        std::memcpy(raw + offset, element.data(), element.size());
      }
    }
    return tensor;
  }

  // ---- attributes ----
  absl::StatusOr<AttrItem> ParseAttrItem() {
    AttrItem item;
    item.token = Peek();
    switch (item.token.kind) {
      case TokenKind::kInteger:
      case TokenKind::kFloat:
      case TokenKind::kHex:
        item.form = AttrItem::Form::kNumber;
        item.literal.kind = item.token.kind == TokenKind::kInteger ? LiteralKind::kInteger
                            : item.token.kind == TokenKind::kFloat ? LiteralKind::kFloat
                                                                   : LiteralKind::kHex;
        Next();
        return item;
      case TokenKind::kString:
        item.form = AttrItem::Form::kString;
        Next();
        return item;
      case TokenKind::kQuestion: {
        item.form = AttrItem::Form::kTensor;
        GSOPT_TEXT_ASSIGN_OR_RETURN(item.tensor, ParseTensor());
        return item;
      }
      case TokenKind::kIdentifier: {
        if (item.token.text == "opaque" && Peek(1).kind == TokenKind::kLess) {
          item.form = AttrItem::Form::kOpaque;
          GSOPT_TEXT_ASSIGN_OR_RETURN(item.opaque, ParseOpaque());
          return item;
        }
        if (Peek(1).kind == TokenKind::kLBracket) {
          item.form = AttrItem::Form::kTensor;
          GSOPT_TEXT_ASSIGN_OR_RETURN(item.tensor, ParseTensor());
          return item;
        }
        break;
      }
      case TokenKind::kLBracket:
        return ErrorAt(item.token, "lists of lists are not attributes");
      default:
        break;
    }
    return Expected("an attribute value");
  }

  absl::StatusOr<ir::OpaqueAttribute> ParseOpaque() {
    Next();  // opaque
    Next();  // '<'
    ir::OpaqueAttribute opaque;
    GSOPT_TEXT_ASSIGN_OR_RETURN(opaque.serialized_proto, ExpectBase64("an opaque attribute (base64 AttributeProto)"));
    if (Accept(TokenKind::kComma)) {
      GSOPT_TEXT_RETURN_IF_ERROR(ExpectKeyword("reads"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kEqual, "'='").status());
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLBracket, "'['").status());
      if (!Accept(TokenKind::kRBracket)) {
        do {
          GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kValueRef, "a value name"));
          opaque.outer_scope_inputs.push_back(std::move(value.text));
        } while (Accept(TokenKind::kComma));
        GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "',' or ']'").status());
      }
    }
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kGreater, "'>'").status());
    return opaque;
  }

  absl::StatusOr<int64_t> ItemAsInt(const AttrItem& item) {
    if (item.form != AttrItem::Form::kNumber || item.literal.kind == LiteralKind::kFloat) {
      return ErrorAt(item.token, absl::StrCat("expected an integer, found ", internal::DescribeToken(item.token)));
    }
    ScalarLiteral literal{item.literal.kind, item.token.text};
    absl::StatusOr<uint64_t> bits = internal::EncodeScalar(ir::DType::kInt64, literal);
    if (!bits.ok()) return ErrorAt(item.token, bits.status().message());
    return static_cast<int64_t>(*bits);
  }

  absl::StatusOr<float> ItemAsFloat(const AttrItem& item) {
    if (item.form != AttrItem::Form::kNumber) {
      return ErrorAt(item.token, absl::StrCat("expected a number, found ", internal::DescribeToken(item.token)));
    }
    ScalarLiteral literal{item.literal.kind, item.token.text};
    absl::StatusOr<uint64_t> bits = internal::EncodeScalar(ir::DType::kFloat32, literal);
    if (!bits.ok()) return ErrorAt(item.token, bits.status().message());
    const uint32_t narrow = static_cast<uint32_t>(*bits);
    float value;
    std::memcpy(&value, &narrow, sizeof value);
    return value;
  }

  absl::StatusOr<std::string> ItemAsString(const AttrItem& item) {
    if (item.form != AttrItem::Form::kString) {
      return ErrorAt(item.token, absl::StrCat("expected a quoted string, found ", internal::DescribeToken(item.token)));
    }
    return item.token.text;
  }

  absl::StatusOr<ir::Tensor> ItemAsTensor(const AttrItem& item) {
    if (item.form != AttrItem::Form::kTensor) {
      return ErrorAt(item.token, absl::StrCat("expected a tensor, found ", internal::DescribeToken(item.token)));
    }
    return item.tensor;
  }

  template <typename T, typename Convert>
  absl::StatusOr<ir::Attribute> ConvertList(const std::vector<AttrItem>& items, Convert convert) {
    std::vector<T> values;
    values.reserve(items.size());
    for (const AttrItem& item : items) {
      GSOPT_TEXT_ASSIGN_OR_RETURN(T value, convert(item));
      values.push_back(std::move(value));
    }
    return ir::Attribute(std::move(values));
  }

  absl::StatusOr<ir::Attribute> ParseAttribute() {
    const Token start = Peek();
    std::vector<AttrItem> items;
    const bool is_list = Accept(TokenKind::kLBracket);
    if (is_list) {
      if (!Accept(TokenKind::kRBracket)) {
        do {
          GSOPT_TEXT_ASSIGN_OR_RETURN(AttrItem item, ParseAttrItem());
          if (item.form == AttrItem::Form::kOpaque) {
            return ErrorAt(item.token, "opaque attributes cannot be list elements");
          }
          items.push_back(std::move(item));
        } while (Accept(TokenKind::kComma));
        GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "',' or ']'").status());
      }
    } else {
      GSOPT_TEXT_ASSIGN_OR_RETURN(AttrItem item, ParseAttrItem());
      items.push_back(std::move(item));
    }
    std::string kind;
    Token kind_token;
    if (Accept(TokenKind::kColon)) {
      GSOPT_TEXT_ASSIGN_OR_RETURN(kind_token, Expect(TokenKind::kIdentifier, "an attribute kind"));
      kind = kind_token.text;
      static const std::set<std::string> kKinds = {"int",  "float",  "string",  "tensor",
                                                   "ints", "floats", "strings", "tensors"};
      if (!kKinds.contains(kind)) {
        return ErrorAt(kind_token, absl::StrCat("unknown attribute kind '", kind,
                                                "' (int, float, string, tensor, ints, floats, strings, tensors)"));
      }
      const bool list_kind = kind == "ints" || kind == "floats" || kind == "strings" || kind == "tensors";
      if (list_kind != is_list) {
        return ErrorAt(kind_token, is_list ? absl::StrCat("a list cannot have the kind '", kind, "'")
                                           : absl::StrCat("kind '", kind, "' needs a list in [...]"));
      }
    }
    if (!is_list) {
      const AttrItem& item = items[0];
      if (kind.empty()) {
        switch (item.form) {
          case AttrItem::Form::kNumber:
            kind = item.literal.kind == LiteralKind::kFloat ? "float" : "int";
            break;
          case AttrItem::Form::kString:
            kind = "string";
            break;
          case AttrItem::Form::kTensor:
            kind = "tensor";
            break;
          case AttrItem::Form::kOpaque:
            return ir::Attribute(item.opaque);
        }
      }
      if (item.form == AttrItem::Form::kOpaque) return ErrorAt(kind_token, "opaque attributes take no kind");
      if (kind == "int") {
        GSOPT_TEXT_ASSIGN_OR_RETURN(int64_t v, ItemAsInt(item));
        return ir::Attribute(v);
      }
      if (kind == "float") {
        GSOPT_TEXT_ASSIGN_OR_RETURN(float v, ItemAsFloat(item));
        return ir::Attribute(v);
      }
      if (kind == "string") {
        GSOPT_TEXT_ASSIGN_OR_RETURN(std::string v, ItemAsString(item));
        return ir::Attribute(std::move(v));
      }
      GSOPT_TEXT_ASSIGN_OR_RETURN(ir::Tensor v, ItemAsTensor(item));
      return ir::Attribute(std::move(v));
    }
    if (kind.empty()) {
      if (items.empty()) return ErrorAt(start, "an empty list needs its kind, e.g. '[] : ints'");
      const AttrItem::Form form = items[0].form;
      bool any_float = false;
      for (const AttrItem& item : items) {
        if (item.form != form) return ErrorAt(item.token, "a list cannot mix numbers, strings and tensors");
        any_float |= item.form == AttrItem::Form::kNumber && item.literal.kind == LiteralKind::kFloat;
      }
      kind = form == AttrItem::Form::kString   ? "strings"
             : form == AttrItem::Form::kTensor ? "tensors"
             : any_float                       ? "floats"
                                               : "ints";
    }
    if (kind == "ints") return ConvertList<int64_t>(items, [&](const AttrItem& i) { return ItemAsInt(i); });
    if (kind == "floats") return ConvertList<float>(items, [&](const AttrItem& i) { return ItemAsFloat(i); });
    if (kind == "strings") {
      return ConvertList<std::string>(items, [&](const AttrItem& i) { return ItemAsString(i); });
    }
    return ConvertList<ir::Tensor>(items, [&](const AttrItem& i) { return ItemAsTensor(i); });
  }

  absl::StatusOr<ir::AttributeMap> ParseAttributeDict() {
    ir::AttributeMap attributes;
    Next();  // '{'
    if (Accept(TokenKind::kRBrace)) return attributes;
    do {
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token name, ExpectName("an attribute name"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kEqual, "'='").status());
      GSOPT_TEXT_ASSIGN_OR_RETURN(ir::Attribute value, ParseAttribute());
      if (!attributes.emplace(name.text, std::move(value)).second) {
        return ErrorAt(name, absl::StrCat("attribute '", name.text, "' is given twice"));
      }
    } while (Accept(TokenKind::kComma));
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRBrace, "',' or '}'").status());
    return attributes;
  }

  // ---- graph ----
  // A second definition of a name is an error; checked before the value is
  // added because ir::Graph treats a duplicate name as a programming error.
  absl::Status CheckNewValue(const Token& token) const {
    auto it = definitions_.find(token.text);
    if (it == definitions_.end()) return absl::OkStatus();
    return ErrorAt(token, absl::StrCat("value %", token.text, " is defined twice (first at line ", it->second.line,
                                       ", column ", it->second.column, ")"));
  }

  void RecordDefinition(const Token& token, ir::ValueId id) {
    definitions_.emplace(token.text, Definition{id, token.line, token.column});
  }

  absl::StatusOr<std::vector<std::pair<Token, ir::TensorType>>> ParseTypedValueList() {
    std::vector<std::pair<Token, ir::TensorType>> out;
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'('").status());
    if (Accept(TokenKind::kRParen)) return out;
    do {
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kValueRef, "a value name such as %x"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kColon, "':' and a type").status());
      GSOPT_TEXT_ASSIGN_OR_RETURN(ir::TensorType type, ParseType());
      out.emplace_back(std::move(value), std::move(type));
    } while (Accept(TokenKind::kComma));
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "',' or ')'").status());
    return out;
  }

  absl::Status ParseGraphBody() {
    GSOPT_TEXT_RETURN_IF_ERROR(ExpectKeyword("graph"));
    GSOPT_TEXT_ASSIGN_OR_RETURN(Token name, Expect(TokenKind::kGraphName, "a graph name such as @main"));
    graph_.mutable_metadata().graph_name = name.text;
    GSOPT_TEXT_ASSIGN_OR_RETURN(auto params, ParseTypedValueList());
    for (auto& [token, type] : params) {
      GSOPT_TEXT_RETURN_IF_ERROR(CheckNewValue(token));
      ir::ValueId id = graph_.AddInput(token.text, std::move(type));
      RecordDefinition(token, id);
    }
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kArrow, "'->'").status());
    GSOPT_TEXT_ASSIGN_OR_RETURN(auto results, ParseTypedValueList());
    for (auto& [token, type] : results) results_.push_back(ResultDecl{std::move(token), std::move(type)});
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLBrace, "'{' starting the graph body").status());
    while (!PeekKeyword("return")) {
      GSOPT_TEXT_RETURN_IF_ERROR(ParseStatement());
    }
    return_token_ = Next();
    if (Peek().kind == TokenKind::kValueRef) {
      do {
        GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kValueRef, "a value name"));
        returned_.push_back(std::move(value));
      } while (Accept(TokenKind::kComma));
    }
    return Expect(TokenKind::kRBrace, "'}' closing the graph").status();
  }

  absl::Status ParseStatement() {
    const Token& first = Peek();
    if (first.kind == TokenKind::kValueRef && Peek(1).kind == TokenKind::kEqual &&
        (PeekKeyword("const", 2) || PeekKeyword("default", 2))) {
      return ParseConstant();
    }
    if (first.kind == TokenKind::kValueRef || first.kind == TokenKind::kIdentifier ||
        first.kind == TokenKind::kString) {
      return ParseNode();
    }
    if (first.kind == TokenKind::kRBrace) return ErrorAt(first, "expected 'return' before '}'");
    return Expected("a statement or 'return'");
  }

  absl::Status ParseConstant() {
    Token name = Next();
    Next();  // '='
    const bool is_default = Next().text == "default";
    GSOPT_TEXT_ASSIGN_OR_RETURN(ir::Tensor tensor, ParseTensor());
    if (is_default) {
      auto input = definitions_.find(name.text);
      const auto& inputs = graph_.inputs();
      if (input == definitions_.end() || std::find(inputs.begin(), inputs.end(), input->second.id) == inputs.end()) {
        return ErrorAt(
            name, absl::StrCat("'default' sets the initializer of a graph input, and %", name.text, " is not one"));
      }
      ir::Value& value = graph_.mutable_value(input->second.id);
      if (value.initializer) return ErrorAt(name, absl::StrCat("graph input %", name.text, " has two defaults"));
      value.initializer = std::move(tensor);
      return absl::OkStatus();
    }
    GSOPT_TEXT_RETURN_IF_ERROR(CheckNewValue(name));
    ir::ValueId id = graph_.AddInitializer(name.text, std::move(tensor));
    RecordDefinition(name, id);
    if (Accept(TokenKind::kColon)) {
      GSOPT_TEXT_ASSIGN_OR_RETURN(graph_.mutable_value(id).type, ParseType());
    }
    return absl::OkStatus();
  }

  absl::Status ParseNode() {
    PendingNode node;
    std::vector<Token> result_tokens;  // kIdentifier "_" marks an omitted result
    if (Peek().kind == TokenKind::kValueRef || (PeekKeyword("_") && Peek(1).kind != TokenKind::kLParen)) {
      do {
        if (PeekKeyword("_")) {
          result_tokens.push_back(Next());
        } else {
          GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kValueRef, "a result name or '_'"));
          result_tokens.push_back(std::move(value));
        }
      } while (Accept(TokenKind::kComma));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kEqual, "'=' after the results").status());
    }
    GSOPT_TEXT_ASSIGN_OR_RETURN(node.op_token, ExpectName("an op name"));
    node.op_type = node.op_token.text;
    if (Accept(TokenKind::kDoubleColon)) {
      node.domain = std::move(node.op_type);
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token op, ExpectName("an op name after '::'"));
      node.op_type = std::move(op.text);
    }
    GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' starting the operands").status());
    if (!Accept(TokenKind::kRParen)) {
      do {
        if (PeekKeyword("_")) {
          Next();
          node.operands.push_back(std::nullopt);
        } else {
          GSOPT_TEXT_ASSIGN_OR_RETURN(Token value, Expect(TokenKind::kValueRef, "an operand (%value or '_')"));
          node.operands.push_back(std::move(value));
        }
      } while (Accept(TokenKind::kComma));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "',' or ')'").status());
    }
    if (Peek().kind == TokenKind::kLBrace) {
      GSOPT_TEXT_ASSIGN_OR_RETURN(node.attributes, ParseAttributeDict());
    }
    // Results become values now so that later statements may read them.
    for (const Token& token : result_tokens) {
      if (token.kind == TokenKind::kIdentifier) {
        node.outputs.push_back(ir::kNoValue);
        continue;
      }
      GSOPT_TEXT_RETURN_IF_ERROR(CheckNewValue(token));
      ir::ValueId id = graph_.AddValue(token.text);
      RecordDefinition(token, id);
      producer_index_[id] = static_cast<int>(pending_.size());
      node.outputs.push_back(id);
    }
    if (Peek().kind == TokenKind::kColon) {
      const Token colon = Next();
      std::vector<ir::TensorType> types;
      if (Accept(TokenKind::kLParen)) {
        do {
          GSOPT_TEXT_ASSIGN_OR_RETURN(ir::TensorType type, ParseType());
          types.push_back(std::move(type));
        } while (Accept(TokenKind::kComma));
        GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "',' or ')'").status());
      } else {
        GSOPT_TEXT_ASSIGN_OR_RETURN(ir::TensorType type, ParseType());
        types.push_back(std::move(type));
      }
      std::vector<ir::ValueId> present;
      for (ir::ValueId id : node.outputs) {
        if (id != ir::kNoValue) present.push_back(id);
      }
      if (types.size() != present.size()) {
        return ErrorAt(colon, absl::StrCat(types.size(), " result types given for ", present.size(),
                                           " results (omitted '_' results take no type)"));
      }
      for (size_t i = 0; i < present.size(); ++i) graph_.mutable_value(present[i]).type = std::move(types[i]);
    }
    if (PeekKeyword("loc") && Peek(1).kind == TokenKind::kLParen) {
      Next();
      Next();
      GSOPT_TEXT_ASSIGN_OR_RETURN(node.name_token, Expect(TokenKind::kString, "a quoted node name"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')'").status());
      node.name = node.name_token.text;
      node.has_name = !node.name.empty();  // loc("") asks for a fresh name
    }
    if (PeekKeyword("doc") && Peek(1).kind == TokenKind::kLParen) {
      Next();
      Next();
      GSOPT_TEXT_ASSIGN_OR_RETURN(Token doc, Expect(TokenKind::kString, "a quoted doc string"));
      GSOPT_TEXT_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')'").status());
      node.doc = std::move(doc.text);
    }
    pending_.push_back(std::move(node));
    return absl::OkStatus();
  }

  // ---- resolution ----
  absl::Status AssignNodeNames() {
    absl::flat_hash_map<std::string, const Token*> named;
    for (const PendingNode& node : pending_) {
      if (!node.has_name) continue;
      auto [it, inserted] = named.emplace(node.name, &node.name_token);
      if (!inserted) {
        return ErrorAt(node.name_token,
                       absl::StrCat("node name \"", node.name, "\" is already used at line ", it->second->line));
      }
    }
    for (PendingNode& node : pending_) {
      if (node.has_name) continue;
      const std::string base = node.op_type.empty() ? "node" : node.op_type;
      std::string candidate = base;
      for (int suffix = 1; named.contains(candidate); ++suffix) candidate = absl::StrCat(base, "_", suffix);
      node.name = candidate;
      named.emplace(candidate, nullptr);
    }
    return absl::OkStatus();
  }

  // Indices of the pending nodes whose results node `index` reads.
  std::vector<int> Dependencies(int index, const std::vector<ir::ValueId>& operands) const {
    std::vector<int> deps;
    auto add = [&](ir::ValueId id) {
      auto it = producer_index_.find(id);
      if (it != producer_index_.end()) deps.push_back(it->second);
    };
    for (ir::ValueId id : operands) {
      if (id != ir::kNoValue) add(id);
    }
    for (const auto& [name, attribute] : pending_[static_cast<size_t>(index)].attributes) {
      if (!attribute.is<ir::OpaqueAttribute>()) continue;
      for (const std::string& outer : attribute.get<ir::OpaqueAttribute>().outer_scope_inputs) {
        auto it = definitions_.find(outer);
        if (it != definitions_.end()) add(it->second.id);
      }
    }
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    return deps;
  }

  absl::Status BuildNodes() {
    GSOPT_TEXT_RETURN_IF_ERROR(AssignNodeNames());
    const int count = static_cast<int>(pending_.size());
    std::vector<std::vector<ir::ValueId>> operands(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      for (const std::optional<Token>& operand : pending_[static_cast<size_t>(i)].operands) {
        if (!operand) {
          operands[static_cast<size_t>(i)].push_back(ir::kNoValue);
          continue;
        }
        auto it = definitions_.find(operand->text);
        if (it == definitions_.end()) {
          return ErrorAt(*operand, absl::StrCat("use of undefined value %", operand->text));
        }
        operands[static_cast<size_t>(i)].push_back(it->second.id);
      }
    }
    // Kahn's algorithm taking the earliest ready node in text order, so that
    // text already in execution order keeps its order.
    std::vector<std::vector<int>> readers(static_cast<size_t>(count));
    std::vector<std::vector<int>> deps(static_cast<size_t>(count));
    std::vector<int> waiting(static_cast<size_t>(count), 0);
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < count; ++i) {
      deps[static_cast<size_t>(i)] = Dependencies(i, operands[static_cast<size_t>(i)]);
      waiting[static_cast<size_t>(i)] = static_cast<int>(deps[static_cast<size_t>(i)].size());
      for (int dep : deps[static_cast<size_t>(i)]) readers[static_cast<size_t>(dep)].push_back(i);
      if (waiting[static_cast<size_t>(i)] == 0) ready.push(i);
    }
    std::vector<int> order;
    order.reserve(static_cast<size_t>(count));
    while (!ready.empty()) {
      const int i = ready.top();
      ready.pop();
      order.push_back(i);
      for (int reader : readers[static_cast<size_t>(i)]) {
        if (--waiting[static_cast<size_t>(reader)] == 0) ready.push(reader);
      }
    }
    if (static_cast<int>(order.size()) != count) return CycleError(deps, waiting);
    for (int i : order) {
      PendingNode& node = pending_[static_cast<size_t>(i)];
      ir::NodeId id = graph_.AddNodeWithOutputs(node.op_type, operands[static_cast<size_t>(i)], node.outputs,
                                                std::move(node.attributes), node.name, node.domain);
      graph_.mutable_node(id).doc_string = std::move(node.doc);
    }
    return absl::OkStatus();
  }

  // Every node still waiting reads a result of another waiting node, so
  // walking those edges from any of them must come back to a node on a cycle.
  absl::Status CycleError(const std::vector<std::vector<int>>& deps, const std::vector<int>& waiting) {
    int current =
        static_cast<int>(std::find_if(waiting.begin(), waiting.end(), [](int w) { return w > 0; }) - waiting.begin());
    std::vector<bool> visited(waiting.size(), false);
    while (!visited[static_cast<size_t>(current)]) {
      visited[static_cast<size_t>(current)] = true;
      for (int dep : deps[static_cast<size_t>(current)]) {
        if (waiting[static_cast<size_t>(dep)] > 0) {
          current = dep;
          break;
        }
      }
    }
    const PendingNode& node = pending_[static_cast<size_t>(current)];
    return ErrorAt(node.op_token, absl::StrCat("node \"", node.name, "\" (", node.op_type,
                                               ") depends on its own results through a cycle"));
  }

  absl::Status ResolveResults() {
    std::vector<ir::ValueId> outputs;
    for (const ResultDecl& result : results_) {
      auto it = definitions_.find(result.token.text);
      if (it == definitions_.end()) {
        return ErrorAt(result.token, absl::StrCat("result %", result.token.text, " is never defined"));
      }
      ir::Value& value = graph_.mutable_value(it->second.id);
      if (value.type.dtype == ir::DType::kUndefined && !value.type.shape.rank_known()) {
        value.type = result.type;
      } else if (value.type != result.type) {
        return ErrorAt(result.token, absl::StrCat("result %", result.token.text, " is declared as ",
                                                  result.type.ToString(), " but defined as ", value.type.ToString()));
      }
      outputs.push_back(it->second.id);
    }
    if (returned_.size() != results_.size()) {
      return ErrorAt(return_token_, absl::StrCat("return lists ", returned_.size(),
                                                 " values but the signature declares ", results_.size(), " results"));
    }
    for (size_t i = 0; i < returned_.size(); ++i) {
      if (returned_[i].text != results_[i].token.text) {
        return ErrorAt(returned_[i], absl::StrCat("return value ", i + 1, " is %", returned_[i].text,
                                                  " but the signature declares %", results_[i].token.text));
      }
    }
    graph_.SetOutputs(std::move(outputs));
    return absl::OkStatus();
  }

  struct Definition {
    ir::ValueId id = ir::kNoValue;
    int line = 0;
    int column = 0;
  };

  internal::Lexer lexer_;
  std::string filename_;
  ir::Graph graph_;
  absl::flat_hash_map<std::string, Definition> definitions_;
  absl::flat_hash_map<ir::ValueId, int> producer_index_;  // node results -> index in pending_
  std::vector<PendingNode> pending_;
  std::vector<ResultDecl> results_;
  Token return_token_;
  std::vector<Token> returned_;
};

}  // namespace

absl::StatusOr<ir::Graph> ParseGraph(absl::string_view text, const std::string& filename) {
  return Parser(text, filename).Parse();
}

absl::StatusOr<ir::Graph> ParseGraphFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) return absl::DataLossError(absl::StrCat("error reading '", path, "'"));
  return ParseGraph(contents.str(), path);
}

}  // namespace gsopt::frontends::text
