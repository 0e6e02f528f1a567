// PrintGraph: writes an ir::Graph as gsir text (grammar in text_format.h).
// Output depends only on the graph's contents and order, never on pointer
// values or hash iteration, so printing is deterministic: graph inputs in
// order, then constants in value-id order, then live nodes in execution
// order, then the return.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontends/text/literal_codec.h"
#include "frontends/text/text_format.h"

namespace gsopt::frontends::text {
namespace {

using internal::FormatGraphName;
using internal::FormatIdentifier;
using internal::FormatValueRef;
using internal::QuoteString;

// Signatures longer than this put one parameter per line.
constexpr size_t kMaxSignatureLine = 100;

// Op types and domains that would read as a keyword where a statement or a
// node suffix starts are quoted.
std::string FormatOpName(absl::string_view name) {
  static constexpr absl::string_view kReserved[] = {"return", "_", "const", "default", "loc", "doc"};
  for (absl::string_view word : kReserved) {
    if (name == word) return QuoteString(name);
  }
  return FormatIdentifier(name);
}

std::string FormatDim(const ir::Dim& dim) {
  if (dim.is_static()) return absl::StrCat(dim.value());
  if (dim.is_symbolic()) return FormatIdentifier(dim.symbol());
  return "?";
}

std::string FormatType(const ir::TensorType& type) {
  const bool dtype_known = type.dtype != ir::DType::kUndefined;
  if (!dtype_known && !type.shape.rank_known()) return "?";
  std::string out = dtype_known ? std::string(ir::DTypeName(type.dtype)) : "?";
  if (!type.shape.rank_known()) return out + "[*]";
  out += "[";
  out += absl::StrJoin(type.shape.dims(), ",", [](std::string* s, const ir::Dim& d) { s->append(FormatDim(d)); });
  out += "]";
  return out;
}

bool IsFullyUnknown(const ir::TensorType& type) {
  return type.dtype == ir::DType::kUndefined && !type.shape.rank_known();
}

class TensorFormatter {
 public:
  TensorFormatter(const ir::Tensor& tensor, int64_t max_inline_elements)
      : tensor_(tensor), max_inline_(max_inline_elements) {}

  std::string Format() const {
    if (!tensor_.is_defined()) return "?[] dense<[]>";
    std::string out = absl::StrCat(ir::DTypeName(tensor_.dtype()), "[", absl::StrJoin(tensor_.dims(), ","), "]");
    const int64_t count = tensor_.num_elements();
    if (count >= 1 && IsSplat()) {
      absl::StrAppend(&out, " dense<", Element(0), ">");
      return out;
    }
    const bool elide = max_inline_ >= 0 && count > max_inline_;
    if (!elide && HasNonZeroPadding()) {
      absl::string_view bytes(reinterpret_cast<const char*>(tensor_.raw_data()),
                              static_cast<size_t>(tensor_.byte_size()));
      absl::StrAppend(&out, " bytes<\"", internal::BytesToHex(bytes), "\">");
      return out;
    }
    const int64_t shown = elide ? max_inline_ : count;
    out += elide ? " elided<[" : " dense<[";
    for (int64_t i = 0; i < shown; ++i) {
      if (i > 0) out += ", ";
      out += Element(i);
    }
    if (elide)
      out += shown > 0 ? ", ...]>" : "...]>";
    else
      out += "]>";
    return out;
  }

 private:
  std::string Element(int64_t index) const {
    const ir::DType dtype = tensor_.dtype();
    if (dtype == ir::DType::kString) return QuoteString(tensor_.strings()[static_cast<size_t>(index)]);
    const ir::DType component = internal::ComponentDType(dtype);
    if (internal::ComponentsPerElement(dtype) == 2) {
      return absl::StrCat("(", internal::FormatScalar(component, internal::ReadComponentBits(tensor_, 2 * index)), ", ",
                          internal::FormatScalar(component, internal::ReadComponentBits(tensor_, 2 * index + 1)), ")");
    }
    return internal::FormatScalar(component, internal::ReadComponentBits(tensor_, index));
  }

  bool IsSplat() const {
    const int64_t count = tensor_.num_elements();
    if (tensor_.dtype() == ir::DType::kString) {
      const auto& strings = tensor_.strings();
      for (int64_t i = 1; i < count; ++i) {
        if (strings[static_cast<size_t>(i)] != strings[0]) return false;
      }
      return true;
    }
    const int64_t per_element = internal::ComponentsPerElement(tensor_.dtype());
    for (int64_t i = 1; i < count; ++i) {
      for (int64_t c = 0; c < per_element; ++c) {
        if (internal::ReadComponentBits(tensor_, i * per_element + c) != internal::ReadComponentBits(tensor_, c)) {
          return false;
        }
      }
    }
    return !HasNonZeroPadding();
  }

  // Packed 4-bit tensors with an odd count have a spare nibble that element
  // lists cannot express; keep it when it is not zero.
  bool HasNonZeroPadding() const {
    if (ir::DTypeBits(tensor_.dtype()) != 4 || tensor_.num_elements() % 2 == 0) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(tensor_.raw_data());
    return (raw[tensor_.byte_size() - 1] >> 4) != 0;
  }

  const ir::Tensor& tensor_;
  int64_t max_inline_;
};

class Printer {
 public:
  Printer(const ir::Graph& graph, const PrintOptions& options) : graph_(graph), options_(options) {}

  std::string Print() {
    out_ = "gsir 1\n";
    PrintModel();
    PrintExtras();
    PrintSignature();
    for (ir::ValueId id : graph_.Initializers()) PrintConstant(id);
    for (ir::NodeId id : graph_.LiveNodes()) PrintNode(graph_.node(id));
    std::vector<std::string> results;
    for (ir::ValueId id : graph_.outputs()) results.push_back(FormatValueRef(graph_.value(id).name));
    absl::StrAppend(&out_, "  return", results.empty() ? "" : " ", absl::StrJoin(results, ", "), "\n}\n");
    return std::move(out_);
  }

 private:
  void PrintModel() {
    const ir::ModelMetadata& m = graph_.metadata();
    std::vector<std::string> opsets;
    for (const auto& [domain, version] : m.opset_imports) {
      opsets.push_back(absl::StrCat(QuoteString(domain), ": ", version));
    }
    absl::StrAppend(&out_, "model ir_version=", m.ir_version, " opset_import={", absl::StrJoin(opsets, ", "), "}");
    if (!m.producer_name.empty()) absl::StrAppend(&out_, " producer_name=", QuoteString(m.producer_name));
    if (!m.producer_version.empty()) absl::StrAppend(&out_, " producer_version=", QuoteString(m.producer_version));
    out_ += "\n";
    const ir::ModelMetadata defaults;
    if (!m.domain.empty()) absl::StrAppend(&out_, "  domain=", QuoteString(m.domain), "\n");
    if (m.model_version != defaults.model_version) absl::StrAppend(&out_, "  model_version=", m.model_version, "\n");
    if (!m.doc_string.empty()) absl::StrAppend(&out_, "  doc=", QuoteString(m.doc_string), "\n");
    if (!m.graph_doc_string.empty()) absl::StrAppend(&out_, "  graph_doc=", QuoteString(m.graph_doc_string), "\n");
    if (!m.metadata_props.empty()) {
      std::vector<std::string> props;
      for (const auto& [key, value] : m.metadata_props) {
        props.push_back(absl::StrCat(QuoteString(key), ": ", QuoteString(value)));
      }
      absl::StrAppend(&out_, "  metadata_props={", absl::StrJoin(props, ", "), "}\n");
    }
  }

  void PrintExtras() {
    const ir::ModelMetadata& m = graph_.metadata();
    for (const std::string& function : m.serialized_functions) {
      absl::StrAppend(&out_, "function \"", absl::Base64Escape(function), "\"\n");
    }
    for (const std::string& info : m.serialized_training_info) {
      absl::StrAppend(&out_, "training_info \"", absl::Base64Escape(info), "\"\n");
    }
    for (const auto& [name, type_proto] : m.opaque_value_types) {
      absl::StrAppend(&out_, "value_type ", FormatValueRef(name), " \"", absl::Base64Escape(type_proto), "\"\n");
    }
  }

  std::string TypedValue(ir::ValueId id) const {
    const ir::Value& v = graph_.value(id);
    return absl::StrCat(FormatValueRef(v.name), ": ", FormatType(v.type));
  }

  void PrintSignature() {
    std::vector<std::string> params, results;
    for (ir::ValueId id : graph_.inputs()) params.push_back(TypedValue(id));
    for (ir::ValueId id : graph_.outputs()) results.push_back(TypedValue(id));
    const std::string name = FormatGraphName(graph_.metadata().graph_name);
    std::string line =
        absl::StrCat("graph ", name, "(", absl::StrJoin(params, ", "), ") -> (", absl::StrJoin(results, ", "), ") {\n");
    if (line.size() <= kMaxSignatureLine) {
      out_ += line;
      return;
    }
    auto block = [](const std::vector<std::string>& items) {
      if (items.empty()) return std::string();
      return absl::StrCat("\n    ", absl::StrJoin(items, ",\n    "), "\n");
    };
    absl::StrAppend(&out_, "graph ", name, "(", block(params), ") -> (", block(results), ") {\n");
  }

  void PrintConstant(ir::ValueId id) {
    const ir::Value& v = graph_.value(id);
    const ir::Tensor& tensor = *v.initializer;
    const bool is_input = std::find(graph_.inputs().begin(), graph_.inputs().end(), id) != graph_.inputs().end();
    absl::StrAppend(&out_, "  ", FormatValueRef(v.name), is_input ? " = default " : " = const ",
                    TensorFormatter(tensor, options_.max_inline_elements).Format());
    if (!is_input && v.type != tensor.type()) absl::StrAppend(&out_, " : ", FormatType(v.type));
    out_ += "\n";
  }

  std::string FormatAttribute(const ir::Attribute& attribute) const {
    auto list = [](const std::vector<std::string>& items, absl::string_view kind) {
      if (items.empty()) return absl::StrCat("[] : ", kind);
      return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
    };
    switch (attribute.kind()) {
      case ir::AttributeKind::kInt:
        return absl::StrCat(attribute.get<int64_t>());
      case ir::AttributeKind::kFloat: {
        bool is_hex = false;
        std::string text = internal::FormatFloatAttribute(attribute.get<float>(), &is_hex);
        return is_hex ? text + " : float" : text;
      }
      case ir::AttributeKind::kString:
        return QuoteString(attribute.get<std::string>());
      case ir::AttributeKind::kTensor:
        return TensorFormatter(attribute.get<ir::Tensor>(), options_.max_inline_elements).Format();
      case ir::AttributeKind::kInts: {
        std::vector<std::string> items;
        for (int64_t v : attribute.get<std::vector<int64_t>>()) items.push_back(absl::StrCat(v));
        return list(items, "ints");
      }
      case ir::AttributeKind::kFloats: {
        std::vector<std::string> items;
        bool any_hex = false;
        for (float v : attribute.get<std::vector<float>>()) {
          bool is_hex = false;
          items.push_back(internal::FormatFloatAttribute(v, &is_hex));
          any_hex |= is_hex;
        }
        std::string text = list(items, "floats");
        return any_hex ? text + " : floats" : text;
      }
      case ir::AttributeKind::kStrings: {
        std::vector<std::string> items;
        for (const std::string& v : attribute.get<std::vector<std::string>>()) items.push_back(QuoteString(v));
        return list(items, "strings");
      }
      case ir::AttributeKind::kTensors: {
        std::vector<std::string> items;
        for (const ir::Tensor& t : attribute.get<std::vector<ir::Tensor>>()) {
          items.push_back(TensorFormatter(t, options_.max_inline_elements).Format());
        }
        return list(items, "tensors");
      }
      case ir::AttributeKind::kOpaque: {
        const auto& opaque = attribute.get<ir::OpaqueAttribute>();
        std::string text = absl::StrCat("opaque<\"", absl::Base64Escape(opaque.serialized_proto), "\"");
        if (!opaque.outer_scope_inputs.empty()) {
          std::vector<std::string> reads;
          for (const std::string& name : opaque.outer_scope_inputs) reads.push_back(FormatValueRef(name));
          absl::StrAppend(&text, ", reads = [", absl::StrJoin(reads, ", "), "]");
        }
        return text + ">";
      }
    }
    return "?";
  }

  void PrintNode(const ir::Node& node) {
    out_ += "  ";
    if (!node.outputs.empty()) {
      std::vector<std::string> results;
      for (ir::ValueId id : node.outputs) {
        results.push_back(id == ir::kNoValue ? "_" : FormatValueRef(graph_.value(id).name));
      }
      absl::StrAppend(&out_, absl::StrJoin(results, ", "), " = ");
    }
    if (!node.domain.empty()) absl::StrAppend(&out_, FormatOpName(node.domain), "::");
    out_ += FormatOpName(node.op_type);
    std::vector<std::string> operands;
    for (ir::ValueId id : node.inputs) {
      operands.push_back(id == ir::kNoValue ? "_" : FormatValueRef(graph_.value(id).name));
    }
    absl::StrAppend(&out_, "(", absl::StrJoin(operands, ", "), ")");
    if (!node.attributes.empty()) {
      std::vector<std::string> attributes;
      for (const auto& [name, attribute] : node.attributes) {
        attributes.push_back(absl::StrCat(FormatIdentifier(name), " = ", FormatAttribute(attribute)));
      }
      absl::StrAppend(&out_, " {", absl::StrJoin(attributes, ", "), "}");
    }
    std::vector<std::string> types;
    bool any_known = false;
    for (ir::ValueId id : node.outputs) {
      if (id == ir::kNoValue) continue;
      types.push_back(FormatType(graph_.value(id).type));
      any_known |= !IsFullyUnknown(graph_.value(id).type);
    }
    if (any_known) {
      absl::StrAppend(&out_, " : ", types.size() == 1 ? types[0] : absl::StrCat("(", absl::StrJoin(types, ", "), ")"));
    }
    absl::StrAppend(&out_, " loc(", QuoteString(node.name), ")");
    if (!node.doc_string.empty()) absl::StrAppend(&out_, " doc(", QuoteString(node.doc_string), ")");
    out_ += "\n";
  }

  const ir::Graph& graph_;
  const PrintOptions& options_;
  std::string out_;
};

}  // namespace

std::string PrintGraph(const ir::Graph& graph, const PrintOptions& options) { return Printer(graph, options).Print(); }

}  // namespace gsopt::frontends::text
