// ONNX ModelProto -> ir::Graph.
//
// Import runs in passes so that files which are not topologically sorted
// still load: (1) model facts, (2) initializers and graph inputs (an input
// that is also an initializer is a weight and becomes a constant), (3) every
// node output becomes a value, typed from value_info / graph outputs, (4)
// nodes are added with their inputs resolved by name, (5) graph outputs are
// resolved, then the graph is sorted and shape inference runs. Each pass
// checks the names it reads and defines, so a bad file fails with a message
// instead of tripping a graph invariant.
#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/proto_io.h"
#include "ir/op_registry.h"

namespace gsopt::frontends::onnx {
namespace {

using ::onnx::AttributeProto;
using ::onnx::GraphProto;
using ::onnx::NodeProto;
using ::onnx::TypeProto;

std::string CanonicalDomain(const std::string& domain) { return domain == "ai.onnx" ? std::string() : domain; }

// "'conv1' (Conv)" or, for nameless nodes, "#12 (com.microsoft::Attention)".
std::string DescribeProtoNode(const NodeProto& node, int index) {
  std::string domain = CanonicalDomain(node.domain());
  std::string op = domain.empty() ? node.op_type() : absl::StrCat(domain, "::", node.op_type());
  std::string who = node.name().empty() ? absl::StrCat("#", index) : absl::StrCat("'", node.name(), "'");
  return absl::StrCat(who, " (", op, ")");
}

// Values a subgraph reads without defining them: its node inputs, its graph
// outputs and whatever its own nested subgraphs read from outside, minus its
// inputs, initializers and node outputs. Order of first read, no repeats.
std::vector<std::string> OuterScopeReads(const GraphProto& graph) {
  absl::flat_hash_set<std::string> defined;
  for (const auto& input : graph.input()) defined.insert(input.name());
  for (const auto& init : graph.initializer()) defined.insert(init.name());
  for (const auto& sparse : graph.sparse_initializer()) defined.insert(sparse.values().name());
  for (const NodeProto& node : graph.node()) {
    for (const std::string& out : node.output()) defined.insert(out);
  }
  std::vector<std::string> reads;
  absl::flat_hash_set<std::string> seen;
  auto read = [&](const std::string& name) {
    if (!name.empty() && !defined.contains(name) && seen.insert(name).second) reads.push_back(name);
  };
  for (const NodeProto& node : graph.node()) {
    for (const std::string& in : node.input()) read(in);
    for (const AttributeProto& attr : node.attribute()) {
      if (attr.has_g()) {
        for (const std::string& inner : OuterScopeReads(attr.g())) read(inner);
      }
      for (const GraphProto& g : attr.graphs()) {
        for (const std::string& inner : OuterScopeReads(g)) read(inner);
      }
    }
  }
  for (const auto& output : graph.output()) read(output.name());
  return reads;
}

// The attribute type, inferred from the field that is set when an old file
// left `type` out.
AttributeProto::AttributeType EffectiveType(const AttributeProto& attr) {
  if (attr.type() != AttributeProto::UNDEFINED) return attr.type();
  if (attr.has_f()) return AttributeProto::FLOAT;
  if (attr.has_i()) return AttributeProto::INT;
  if (attr.has_s()) return AttributeProto::STRING;
  if (attr.has_t()) return AttributeProto::TENSOR;
  if (attr.has_g()) return AttributeProto::GRAPH;
  if (attr.has_sparse_tensor()) return AttributeProto::SPARSE_TENSOR;
  if (attr.has_tp()) return AttributeProto::TYPE_PROTO;
  if (attr.floats_size() > 0) return AttributeProto::FLOATS;
  if (attr.ints_size() > 0) return AttributeProto::INTS;
  if (attr.strings_size() > 0) return AttributeProto::STRINGS;
  if (attr.tensors_size() > 0) return AttributeProto::TENSORS;
  if (attr.graphs_size() > 0) return AttributeProto::GRAPHS;
  return AttributeProto::UNDEFINED;
}

absl::StatusOr<ir::Attribute> AttributeFromProto(const AttributeProto& attr, const std::string& model_dir) {
  auto opaque = [&]() {
    ir::OpaqueAttribute kept;
    kept.serialized_proto = attr.SerializeAsString();
    if (attr.has_g()) kept.outer_scope_inputs = OuterScopeReads(attr.g());
    absl::flat_hash_set<std::string> seen(kept.outer_scope_inputs.begin(), kept.outer_scope_inputs.end());
    for (const GraphProto& g : attr.graphs()) {
      for (std::string& name : OuterScopeReads(g)) {
        if (seen.insert(name).second) kept.outer_scope_inputs.push_back(std::move(name));
      }
    }
    return ir::Attribute(std::move(kept));
  };
  // A reference to an enclosing function's attribute only has meaning inside
  // a function body; keep it as it is.
  if (!attr.ref_attr_name().empty()) return opaque();
  switch (EffectiveType(attr)) {
    case AttributeProto::FLOAT: return ir::Attribute(attr.f());
    case AttributeProto::INT: return ir::Attribute(static_cast<int64_t>(attr.i()));
    case AttributeProto::STRING: return ir::Attribute(attr.s());
    case AttributeProto::TENSOR: {
      absl::StatusOr<ir::Tensor> tensor = TensorFromProto(attr.t(), model_dir);
      if (!tensor.ok()) return tensor.status();
      return ir::Attribute(*std::move(tensor));
    }
    case AttributeProto::FLOATS:
      return ir::Attribute(std::vector<float>(attr.floats().begin(), attr.floats().end()));
    case AttributeProto::INTS:
      return ir::Attribute(std::vector<int64_t>(attr.ints().begin(), attr.ints().end()));
    case AttributeProto::STRINGS:
      return ir::Attribute(std::vector<std::string>(attr.strings().begin(), attr.strings().end()));
    case AttributeProto::TENSORS: {
      std::vector<ir::Tensor> tensors;
      for (const ::onnx::TensorProto& t : attr.tensors()) {
        absl::StatusOr<ir::Tensor> tensor = TensorFromProto(t, model_dir);
        if (!tensor.ok()) return tensor.status();
        tensors.push_back(*std::move(tensor));
      }
      return ir::Attribute(std::move(tensors));
    }
    default:  // graphs, sparse tensors, type protos, and kinds newer than this proto
      return opaque();
  }
}

// A sparse initializer claims dims it does not store; densifying one is only
// done up to this size, so that a small file cannot demand terabytes.
constexpr int64_t kMaxDensifiedBytes = int64_t{1} << 32;

// Densifies a sparse initializer: `indices` holds either linear positions
// [NNZ] or coordinates [NNZ, rank].
absl::StatusOr<ir::Tensor> DensifySparse(const ::onnx::SparseTensorProto& sparse, const std::string& model_dir) {
  const std::string& name = sparse.values().name();
  auto error = [&](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat("sparse initializer '", name, "': ", message));
  };
  absl::StatusOr<ir::Tensor> values = TensorFromProto(sparse.values(), model_dir);
  if (!values.ok()) return values.status();
  absl::StatusOr<ir::Tensor> indices = TensorFromProto(sparse.indices(), model_dir);
  if (!indices.ok()) return indices.status();
  int64_t element_size = ir::DTypeSize(values->dtype());
  if (element_size == 0) return error(absl::StrCat("dtype ", ir::DTypeName(values->dtype()), " is not supported"));
  if (!ir::IsInteger(indices->dtype())) return error("indices are not integers");
  std::vector<int64_t> dims(sparse.dims().begin(), sparse.dims().end());
  int64_t dense_elements = 1;
  for (int64_t d : dims) {
    if (d < 0 || d > ir::kMaxDimValue) return error(absl::StrCat("invalid dim ", d));
    if (d != 0 && dense_elements > kMaxDensifiedBytes / d) {
      return error(absl::StrCat("dense form would exceed ", kMaxDensifiedBytes, " bytes"));
    }
    dense_elements *= d;
  }
  if (dense_elements * element_size > kMaxDensifiedBytes) {
    return error(absl::StrCat("dense form would exceed ", kMaxDensifiedBytes, " bytes"));
  }
  absl::StatusOr<ir::Tensor> dense = ir::Tensor::Create(values->dtype(), dims);
  if (!dense.ok()) return error(dense.status().message());
  int64_t nnz = values->num_elements();
  int64_t rank = static_cast<int64_t>(dims.size());
  bool linear = indices->rank() == 1;
  if (linear ? indices->num_elements() != nnz : (indices->rank() != 2 || indices->dim(0) != nnz || indices->dim(1) != rank)) {
    return error("indices shape does not match the number of values and the rank");
  }
  std::byte* out = dense->mutable_raw_data();
  for (int64_t k = 0; k < nnz; ++k) {
    int64_t position = 0;
    if (linear) {
      position = indices->GetAsInt64(k);
    } else {
      for (int64_t axis = 0; axis < rank; ++axis) {
        int64_t coordinate = indices->GetAsInt64(k * rank + axis);
        if (coordinate < 0 || coordinate >= dims[static_cast<size_t>(axis)]) return error("index out of range");
        position = position * dims[static_cast<size_t>(axis)] + coordinate;
      }
    }
    if (position < 0 || position >= dense->num_elements()) return error("index out of range");
    std::memcpy(out + position * element_size, values->raw_data() + k * element_size,
                static_cast<size_t>(element_size));
  }
  return dense;
}

class ModelImporter {
 public:
  ModelImporter(std::string label, std::string model_dir, const ImportOptions& options)
      : label_(std::move(label)), model_dir_(std::move(model_dir)), options_(options) {}

  absl::StatusOr<ir::Graph> Import(const ::onnx::ModelProto& model) {
    if (!model.has_graph()) return Error("the model has no graph (is this an ONNX model?)");
    ReadModelFacts(model);
    const GraphProto& graph = model.graph();
    if (absl::Status s = ReadInitializersAndInputs(graph); !s.ok()) return s;
    if (absl::Status s = ApplyInputShapes(); !s.ok()) return s;
    if (absl::Status s = DefineNodeOutputs(graph); !s.ok()) return s;
    if (absl::Status s = AddNodes(graph); !s.ok()) return s;
    if (absl::Status s = ReadGraphOutputs(graph); !s.ok()) return s;
    if (absl::Status s = graph_.TopologicalSort(); !s.ok()) return Error(s.message());
    if (options_.infer_shapes) {
      if (absl::Status s = ir::InferShapes(graph_, options_.strict_shapes); !s.ok()) return Error(s.message());
    }
    return std::move(graph_);
  }

 private:
  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(label_, ": ", message));
  }

  void ReadModelFacts(const ::onnx::ModelProto& model) {
    ir::ModelMetadata& meta = graph_.mutable_metadata();
    meta.ir_version = model.ir_version();
    meta.opset_imports.clear();
    for (const ::onnx::OperatorSetIdProto& opset : model.opset_import()) {
      int64_t& version = meta.opset_imports[CanonicalDomain(opset.domain())];
      version = std::max(version, static_cast<int64_t>(opset.version()));
    }
    meta.producer_name = model.producer_name();
    meta.producer_version = model.producer_version();
    meta.domain = model.domain();
    meta.model_version = model.model_version();
    meta.doc_string = model.doc_string();
    meta.graph_name = model.graph().name();
    meta.graph_doc_string = model.graph().doc_string();
    for (const auto& prop : model.metadata_props()) meta.metadata_props.emplace_back(prop.key(), prop.value());
    for (const auto& function : model.functions()) meta.serialized_functions.push_back(function.SerializeAsString());
    for (const auto& info : model.training_info()) meta.serialized_training_info.push_back(info.SerializeAsString());
  }

  // Converts a declared type. Tensor types become the value's TensorType;
  // other kinds (sequence, map, optional, sparse) are kept serialized.
  absl::StatusOr<ir::TensorType> ReadType(const std::string& value_name, const TypeProto& type) {
    ir::TensorType out;
    if (type.value_case() == TypeProto::VALUE_NOT_SET) return out;
    if (type.value_case() != TypeProto::kTensorType) {
      graph_.mutable_metadata().opaque_value_types[value_name] = type.SerializeAsString();
      return out;
    }
    const TypeProto::Tensor& tensor = type.tensor_type();
    if (tensor.elem_type() != 0) {
      std::optional<ir::DType> dtype = ir::DTypeFromOnnx(tensor.elem_type());
      if (!dtype) {
        return Error(absl::StrCat("value '", value_name, "' has unknown element type code ", tensor.elem_type()));
      }
      out.dtype = *dtype;
    }
    if (!tensor.has_shape()) return out;
    std::vector<ir::Dim> dims;
    for (const auto& dim : tensor.shape().dim()) {
      if (dim.has_dim_value()) {
        // Exporters write -1 for "unknown"; ONNX Runtime accepts it, so do we.
        if (dim.dim_value() < 0) {
          dims.emplace_back();
        } else if (dim.dim_value() > ir::kMaxDimValue) {
          return Error(absl::StrCat("value '", value_name, "' has dim ", dim.dim_value(),
                                    ", larger than the accepted maximum ", ir::kMaxDimValue));
        } else {
          dims.emplace_back(dim.dim_value());
        }
      } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
        dims.push_back(ir::Dim::Symbol(dim.dim_param()));
      } else {
        dims.emplace_back();
      }
    }
    out.shape = ir::Shape(std::move(dims));
    return out;
  }

  absl::Status ReadInitializersAndInputs(const GraphProto& graph) {
    std::vector<std::pair<std::string, ir::Tensor>> initializers;
    absl::flat_hash_set<std::string> initializer_names;
    auto add_initializer = [&](const std::string& name, absl::StatusOr<ir::Tensor> tensor) -> absl::Status {
      if (!tensor.ok()) return Error(tensor.status().message());
      if (name.empty()) return Error("an initializer has no name");
      if (!initializer_names.insert(name).second) return Error(absl::StrCat("initializer '", name, "' is defined twice"));
      initializers.emplace_back(name, *std::move(tensor));
      return absl::OkStatus();
    };
    for (const ::onnx::TensorProto& proto : graph.initializer()) {
      if (absl::Status s = add_initializer(proto.name(), TensorFromProto(proto, model_dir_)); !s.ok()) return s;
    }
    for (const ::onnx::SparseTensorProto& sparse : graph.sparse_initializer()) {
      absl::Status s = add_initializer(sparse.values().name(), DensifySparse(sparse, model_dir_));
      if (!s.ok()) return s;
    }
    absl::flat_hash_set<std::string> input_names;
    for (const ::onnx::ValueInfoProto& input : graph.input()) {
      if (input.name().empty()) return Error("a graph input has no name");
      if (!input_names.insert(input.name()).second) {
        return Error(absl::StrCat("graph input '", input.name(), "' is listed twice"));
      }
      // Old files (IR < 4) list every weight as an input too; it is a constant.
      if (initializer_names.contains(input.name())) continue;
      absl::StatusOr<ir::TensorType> type = ReadType(input.name(), input.type());
      if (!type.ok()) return type.status();
      graph_.AddInput(input.name(), *std::move(type));
    }
    for (auto& [name, tensor] : initializers) graph_.AddInitializer(name, std::move(tensor));
    return absl::OkStatus();
  }

  absl::Status ApplyInputShapes() {
    for (const auto& [name, dims] : options_.input_shapes) {
      std::optional<ir::ValueId> id = graph_.FindValue(name);
      bool is_input = id && std::find(graph_.inputs().begin(), graph_.inputs().end(), *id) != graph_.inputs().end();
      if (!is_input) {
        return Error(absl::StrCat("input shape given for '", name, "', which is not a runtime graph input"));
      }
      ir::TensorType& type = graph_.mutable_value(*id).type;
      if (type.shape.rank_known() && type.shape.rank() != static_cast<int64_t>(dims.size())) {
        return Error(absl::StrCat("input shape for '", name, "' has rank ", dims.size(), " but the model declares ",
                                  type.shape.ToString(), " (rank ", type.shape.rank(), ")"));
      }
      for (int64_t d : dims) {
        if (d < 0 || d > ir::kMaxDimValue) {
          return Error(absl::StrCat("input shape for '", name, "' has invalid dim ", d));
        }
      }
      type.shape = ir::Shape::FromStatic(dims);
    }
    return absl::OkStatus();
  }

  // Pass 3: every node output becomes a value before any node is added, so
  // that nodes may read values defined later in the file.
  absl::Status DefineNodeOutputs(const GraphProto& graph) {
    absl::flat_hash_map<std::string, const TypeProto*> declared;
    for (const auto& info : graph.value_info()) declared.emplace(info.name(), &info.type());
    for (const auto& output : graph.output()) declared.insert_or_assign(output.name(), &output.type());
    absl::flat_hash_map<std::string, int> defined_by_node;
    for (int n = 0; n < graph.node_size(); ++n) {
      const NodeProto& node = graph.node(n);
      if (node.op_type().empty()) return Error(absl::StrCat("node ", DescribeProtoNode(node, n), " has no op_type"));
      for (const std::string& out : node.output()) {
        if (out.empty()) continue;
        if (std::optional<ir::ValueId> existing = graph_.FindValue(out)) {
          std::string previous;
          if (auto it = defined_by_node.find(out); it != defined_by_node.end()) {
            previous = absl::StrCat("node ", DescribeProtoNode(graph.node(it->second), it->second));
          } else if (graph_.value(*existing).is_constant()) {
            previous = "an initializer";
          } else {
            previous = "a graph input";
          }
          return Error(absl::StrCat("node ", DescribeProtoNode(node, n), ": output '", out,
                                    "' is already defined by ", previous));
        }
        ir::TensorType type;
        if (auto it = declared.find(out); it != declared.end()) {
          absl::StatusOr<ir::TensorType> read = ReadType(out, *it->second);
          if (!read.ok()) return read.status();
          type = *std::move(read);
        }
        graph_.AddValue(out, std::move(type));
        defined_by_node.emplace(out, n);
      }
    }
    return absl::OkStatus();
  }

  absl::Status AddNodes(const GraphProto& graph) {
    for (int n = 0; n < graph.node_size(); ++n) {
      const NodeProto& node = graph.node(n);
      auto node_error = [&](absl::string_view message) {
        return Error(absl::StrCat("node ", DescribeProtoNode(node, n), ": ", message));
      };
      std::vector<ir::ValueId> inputs;
      for (const std::string& in : node.input()) {
        if (in.empty()) {
          inputs.push_back(ir::kNoValue);
          continue;
        }
        std::optional<ir::ValueId> id = graph_.FindValue(in);
        if (!id) return node_error(absl::StrCat("input '", in, "' is not defined"));
        inputs.push_back(*id);
      }
      std::vector<ir::ValueId> outputs;
      for (const std::string& out : node.output()) {
        outputs.push_back(out.empty() ? ir::kNoValue : *graph_.FindValue(out));
      }
      ir::AttributeMap attributes;
      for (const AttributeProto& attr : node.attribute()) {
        if (attr.name().empty()) return node_error("has an attribute with no name");
        absl::StatusOr<ir::Attribute> value = AttributeFromProto(attr, model_dir_);
        if (!value.ok()) return node_error(absl::StrCat("attribute '", attr.name(), "': ", value.status().message()));
        if (value->is<ir::OpaqueAttribute>()) {
          for (const std::string& outer : value->get<ir::OpaqueAttribute>().outer_scope_inputs) {
            if (!graph_.FindValue(outer)) {
              return node_error(absl::StrCat("subgraph attribute '", attr.name(), "' reads '", outer,
                                             "', which is not defined"));
            }
          }
        }
        if (!attributes.emplace(attr.name(), *std::move(value)).second) {
          return node_error(absl::StrCat("attribute '", attr.name(), "' is given twice"));
        }
      }
      ir::NodeId id = graph_.AddNodeWithOutputs(node.op_type(), std::move(inputs), std::move(outputs),
                                                std::move(attributes), node.name(), CanonicalDomain(node.domain()));
      graph_.mutable_node(id).doc_string = node.doc_string();
    }
    return absl::OkStatus();
  }

  absl::Status ReadGraphOutputs(const GraphProto& graph) {
    std::vector<ir::ValueId> outputs;
    for (const auto& output : graph.output()) {
      if (output.name().empty()) return Error("a graph output has no name");
      std::optional<ir::ValueId> id = graph_.FindValue(output.name());
      if (!id) {
        return Error(absl::StrCat("graph output '", output.name(),
                                  "' is not produced by any node and is not an input or initializer"));
      }
      // Outputs that are inputs or constants keep those types; a non-tensor
      // declaration is still recorded so export restores it.
      if (output.type().value_case() != TypeProto::kTensorType &&
          output.type().value_case() != TypeProto::VALUE_NOT_SET) {
        graph_.mutable_metadata().opaque_value_types[output.name()] = output.type().SerializeAsString();
      }
      outputs.push_back(*id);
    }
    graph_.SetOutputs(std::move(outputs));
    return absl::OkStatus();
  }

  std::string label_;
  std::string model_dir_;
  const ImportOptions& options_;
  ir::Graph graph_;
};

absl::StatusOr<ir::Graph> ImportModelProto(const ::onnx::ModelProto& model, const std::string& label,
                                           const std::string& model_dir, const ImportOptions& options) {
  return ModelImporter(label, model_dir, options).Import(model);
}

}  // namespace

absl::StatusOr<ir::Graph> ImportModelFile(const std::string& path, const ImportOptions& options) {
  ::onnx::ModelProto model;
  if (absl::Status s = internal::ParseProtoFile(path, "ONNX model", &model); !s.ok()) return s;
  return ImportModelProto(model, path, internal::DirectoryOf(path), options);
}

absl::StatusOr<ir::Graph> ImportModelBytes(absl::string_view bytes, const std::string& model_dir,
                                           const ImportOptions& options) {
  ::onnx::ModelProto model;
  const std::string label = "in-memory model";
  if (absl::Status s = internal::ParseProtoBytes(bytes, label, "ONNX model", &model); !s.ok()) return s;
  return ImportModelProto(model, label, model_dir, options);
}

}  // namespace gsopt::frontends::onnx
