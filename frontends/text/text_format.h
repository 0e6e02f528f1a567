// gsir: the readable text form of an ir::Graph, in the spirit of MLIR's
// textual IR. Tests, bug reports and `gsopt convert model.onnx -o
// model.gsir` use it. PrintGraph writes everything the graph holds — model
// metadata, value names and types, node names, attributes and the exact bits
// of every constant — so that ParseGraph(PrintGraph(g)) prints identically
// and is ir::StructurallyEqual to g with the same value and node names.
//
//   gsir 1
//   model ir_version=8 opset_import={"": 17, "com.microsoft": 1} producer_name="pytorch"
//   graph @main(%x: f32[batch,3,224,224]) -> (%y: f32[batch,1000]) {
//     %w = const f32[64,3,7,7] dense<[0.0125, -0.5, ...]>
//     %c = Conv(%x, %w, _) {kernel_shape = [7, 7], pads = [3, 3, 3, 3]} : f32[batch,64,112,112] loc("conv1")
//     %m, _ = com.microsoft::Foo(%c) {alpha = 0.5} : f32[?,64] loc("foo")
//     ...
//     return %y
//   }
//
// Grammar. Line breaks are ordinary whitespace; `//` comments run to the end
// of the line. Statements may come in any order (the parser sorts nodes
// topologically when they are not already in execution order).
//
//   file        ::= 'gsir' '1' model? extra* graph
//   model       ::= 'model' (model-field)*
//   model-field ::= 'ir_version' '=' INT | 'model_version' '=' INT
//                 | 'opset_import' '=' '{' [STRING ':' INT (',' STRING ':' INT)*] '}'
//                 | ('producer_name' | 'producer_version' | 'domain' | 'doc'
//                    | 'graph_doc') '=' STRING
//                 | 'metadata_props' '=' '{' [STRING ':' STRING (',' ...)*] '}'
//   extra       ::= 'function' STRING          // base64 onnx::FunctionProto
//                 | 'training_info' STRING     // base64 onnx::TrainingInfoProto
//                 | 'value_type' VALUE STRING  // base64 onnx::TypeProto of a
//                                              // non-tensor value
//   graph       ::= 'graph' GRAPH '(' [VALUE ':' type (',' ...)*] ')'
//                   '->' '(' [VALUE ':' type (',' ...)*] ')' '{' stmt* return '}'
//   stmt        ::= VALUE '=' 'const' tensor [':' type]   // an initializer
//                 | VALUE '=' 'default' tensor            // initializer of a graph input
//                 | [results '='] op '(' [operand (',' operand)*] ')'
//                   [attr-dict] [':' types] ['loc' '(' STRING ')'] ['doc' '(' STRING ')']
//   return      ::= 'return' [VALUE (',' VALUE)*]     // must list the declared results
//   results     ::= result (',' result)*              result  ::= VALUE | '_'
//   operand     ::= VALUE | '_'                       // '_': omitted optional
//   op          ::= [name '::'] name                  // domain::op_type
//   types       ::= type | '(' type (',' type)* ')'   // one per present result
//   type        ::= '?' | ('?' | DTYPE) '[' ('*' | [dim (',' dim)*]) ']'
//   dim         ::= INT | '?' | name                  // static, unknown, symbolic
//   attr-dict   ::= '{' [name '=' attr (',' name '=' attr)*] '}'
//   attr        ::= attr-value [':' KIND]   // KIND: int float string tensor ints
//                                           // floats strings tensors
//   attr-value  ::= INT | FLOAT | HEX | STRING | tensor | opaque
//                 | '[' [attr-value (',' attr-value)*] ']'
//   opaque      ::= 'opaque' '<' STRING [',' 'reads' '=' '[' [VALUE (',' VALUE)*] ']'] '>'
//                   // base64 onnx::AttributeProto and the outer-scope values it reads
//   tensor      ::= (DTYPE | '?') '[' [INT (',' INT)*] ']' data
//   data        ::= 'dense' '<' (element | '[' [element (',' element)*] ']') '>'
//                 | 'bytes' '<' STRING '>'          // raw little-endian bytes in hex
//                 | 'elided' '<' ... '>'            // printed with max_inline_elements;
//                                                   // the parser rejects it
//   element     ::= INT | FLOAT | HEX | 'true' | 'false' | STRING | '(' element ',' element ')'
//   name        ::= IDENT | STRING
//
// Tokens: IDENT is [A-Za-z_][A-Za-z0-9_.]*; VALUE is '%' followed by
// [A-Za-z0-9_.]+ or a STRING (%"a/b:0"); GRAPH likewise with '@'; STRING is
// "..." with \" \\ \n \t \r \xHH escapes; FLOAT includes inf, -inf and nan;
// HEX is 0x... and always means the element's raw bit pattern (two's
// complement for integers), which is how NaN payloads print. DTYPE is an
// ir::DTypeName ("f32", "bf16", "f8e4m3fn", "i4", "c64", "string", ...).
//
// Details:
//   - `dense<x>` with a single element fills the whole tensor (a splat); a
//     list must have exactly as many elements as the shape. Complex elements
//     are (real, imaginary) pairs. Floats print in the shortest form that
//     reads back to the same bits; f16/bf16/float8 decimals must convert to
//     the intended bits (float8 only accepts exactly representable values).
//   - Attribute kinds follow from the literal: 3 is an int, 3.0 a float, and
//     a list takes the kind of its elements. An empty list needs its kind
//     (`[] : ints`), and a float given as a bit pattern needs `: float(s)`.
//   - Every node prints its name in loc(...); a node without loc gets a
//     fresh name derived from its op type.
//   - Names in an opaque attribute's `reads` need not be defined here (a
//     subgraph may read from further out); those that are count as the
//     node's inputs when ordering nodes.
//   - Only live nodes print; values nothing defines or reads do not.
//   - A result whose node gives no type takes the type declared in the
//     graph signature; where both are given they must agree.
#ifndef GSOPT_FRONTENDS_TEXT_TEXT_FORMAT_H_
#define GSOPT_FRONTENDS_TEXT_TEXT_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/graph.h"

namespace gsopt::frontends::text {

struct PrintOptions {
  // Tensors (constants and tensor attributes) with more elements than this
  // print as `elided<[first elements, ...]>` for human reading; such text
  // does not parse back. -1 prints every element.
  int64_t max_inline_elements = -1;
};

std::string PrintGraph(const ir::Graph& graph, const PrintOptions& options = {});

// Errors are InvalidArgument with "filename:line:column: message".
absl::StatusOr<ir::Graph> ParseGraph(absl::string_view text, const std::string& filename = "<text>");
absl::StatusOr<ir::Graph> ParseGraphFile(const std::string& path);

}  // namespace gsopt::frontends::text

#endif  // GSOPT_FRONTENDS_TEXT_TEXT_FORMAT_H_
