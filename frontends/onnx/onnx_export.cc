// ir::Graph -> ONNX ModelProto. The inverse of import: what import kept
// serialized (opaque attributes, non-tensor value types, functions, training
// info) is parsed back and written unchanged; constants become raw_data
// initializers; IR versions below 4 also list them as graph inputs, as those
// versions require.
#include <climits>

#include "absl/strings/str_cat.h"
#include "frontends/onnx/onnx_export.h"
#include "frontends/onnx/file_io.h"
#include "frontends/onnx/proto_io.h"

namespace gsopt::frontends::onnx {
namespace {

// The first IR version that lets initializers stay out of the graph inputs.
constexpr int64_t kIrVersionInitializersNotInputs = 4;
// opset_import exists from IR version 3 on; nothing older is written.
constexpr int64_t kOldestIrVersionWritten = 3;

class ModelExporter {
 public:
  explicit ModelExporter(const ir::Graph& graph) : graph_(graph) {}

  absl::Status Build(::onnx::ModelProto* model) {
    const ir::ModelMetadata& meta = graph_.metadata();
    model->set_ir_version(std::max(meta.ir_version, kOldestIrVersionWritten));
    for (const auto& [domain, version] : meta.opset_imports) {
      ::onnx::OperatorSetIdProto* opset = model->add_opset_import();
      opset->set_domain(domain);
      opset->set_version(version);
    }
    if (!meta.producer_name.empty()) model->set_producer_name(meta.producer_name);
    if (!meta.producer_version.empty()) model->set_producer_version(meta.producer_version);
    if (!meta.domain.empty()) model->set_domain(meta.domain);
    if (meta.model_version != 0) model->set_model_version(meta.model_version);
    if (!meta.doc_string.empty()) model->set_doc_string(meta.doc_string);
    for (const auto& [key, value] : meta.metadata_props) {
      ::onnx::StringStringEntryProto* prop = model->add_metadata_props();
      prop->set_key(key);
      prop->set_value(value);
    }
    for (size_t i = 0; i < meta.serialized_functions.size(); ++i) {
      if (!model->add_functions()->ParseFromString(meta.serialized_functions[i])) {
        return absl::InternalError(absl::StrCat("model-local function #", i, " does not parse back"));
      }
    }
    for (size_t i = 0; i < meta.serialized_training_info.size(); ++i) {
      if (!model->add_training_info()->ParseFromString(meta.serialized_training_info[i])) {
        return absl::InternalError(absl::StrCat("training info #", i, " does not parse back"));
      }
    }
    return BuildGraph(model->ir_version(), model->mutable_graph());
  }

 private:
  absl::Status BuildGraph(int64_t ir_version, ::onnx::GraphProto* out) {
    const ir::ModelMetadata& meta = graph_.metadata();
    out->set_name(meta.graph_name.empty() ? std::string("main") : meta.graph_name);
    if (!meta.graph_doc_string.empty()) out->set_doc_string(meta.graph_doc_string);

    for (ir::ValueId id : graph_.inputs()) {
      if (absl::Status s = WriteValueInfo(id, out->add_input()); !s.ok()) return s;
    }
    for (ir::ValueId id = 0; id < graph_.num_values(); ++id) {
      const ir::Value& value = graph_.value(id);
      if (!value.initializer || DefinedByLiveNode(value)) continue;
      if (absl::Status s = internal::TensorToProto(*value.initializer, value.name, out->add_initializer()); !s.ok()) {
        return s;
      }
      bool already_input = std::find(graph_.inputs().begin(), graph_.inputs().end(), id) != graph_.inputs().end();
      if (ir_version < kIrVersionInitializersNotInputs && !already_input) {
        if (absl::Status s = WriteValueInfo(id, out->add_input()); !s.ok()) return s;
      }
    }
    if (absl::Status s = CheckEveryReadIsDefined(); !s.ok()) return s;
    for (ir::NodeId id : graph_.LiveNodes()) {
      if (absl::Status s = WriteNode(graph_.node(id), out->add_node()); !s.ok()) return s;
    }
    for (ir::ValueId id : graph_.outputs()) {
      if (absl::Status s = WriteValueInfo(id, out->add_output()); !s.ok()) return s;
    }
    // Types of intermediates, so tools reading the file need not re-infer them.
    for (ir::NodeId id : graph_.LiveNodes()) {
      for (ir::ValueId value : graph_.node(id).outputs) {
        if (value == ir::kNoValue || graph_.IsGraphOutput(value) || !HasKnownType(value)) continue;
        if (absl::Status s = WriteValueInfo(value, out->add_value_info()); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  // A graph that reads a value nothing defines (or defines later) would be
  // written as an invalid file; refuse it, naming the reader, so that a bad
  // rewrite is caught here rather than by whoever loads the file.
  absl::Status CheckEveryReadIsDefined() const {
    std::vector<bool> defined(static_cast<size_t>(graph_.num_values()), false);
    for (ir::ValueId id : graph_.inputs()) defined[static_cast<size_t>(id)] = true;
    for (ir::ValueId id = 0; id < graph_.num_values(); ++id) {
      const ir::Value& value = graph_.value(id);
      if (value.initializer && !DefinedByLiveNode(value)) defined[static_cast<size_t>(id)] = true;
    }
    auto undefined = [&](ir::ValueId id) { return id != ir::kNoValue && !defined[static_cast<size_t>(id)]; };
    for (ir::NodeId id : graph_.LiveNodes()) {
      const ir::Node& node = graph_.node(id);
      std::vector<ir::ValueId> reads = node.inputs;
      std::vector<ir::ValueId> implicit = graph_.ImplicitInputs(node);
      reads.insert(reads.end(), implicit.begin(), implicit.end());
      for (ir::ValueId in : reads) {
        if (undefined(in)) {
          return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": input '", graph_.value(in).name,
                                                         "' is not defined before it is read"));
        }
      }
      for (ir::ValueId result : node.outputs) {
        if (result != ir::kNoValue) defined[static_cast<size_t>(result)] = true;
      }
    }
    for (ir::ValueId id : graph_.outputs()) {
      if (undefined(id)) {
        return absl::InvalidArgumentError(
            absl::StrCat("graph output '", graph_.value(id).name, "' is not defined by any node, input or constant"));
      }
    }
    return absl::OkStatus();
  }

  bool DefinedByLiveNode(const ir::Value& value) const {
    return value.producer != ir::kNoNode && !graph_.node(value.producer).removed;
  }

  bool HasKnownType(ir::ValueId id) const {
    const ir::Value& value = graph_.value(id);
    return graph_.metadata().opaque_value_types.contains(value.name) || value.type.dtype != ir::DType::kUndefined ||
           value.type.shape.rank_known();
  }

  absl::Status WriteValueInfo(ir::ValueId id, ::onnx::ValueInfoProto* info) {
    const ir::Value& value = graph_.value(id);
    info->set_name(value.name);
    const auto& opaque_types = graph_.metadata().opaque_value_types;
    if (auto it = opaque_types.find(value.name); it != opaque_types.end()) {
      if (!info->mutable_type()->ParseFromString(it->second)) {
        return absl::InternalError(absl::StrCat("kept type of value '", value.name, "' does not parse back"));
      }
      return absl::OkStatus();
    }
    if (value.type.dtype == ir::DType::kUndefined && !value.type.shape.rank_known()) return absl::OkStatus();
    internal::TensorTypeToProto(value.type, info->mutable_type());
    return absl::OkStatus();
  }

  absl::Status WriteNode(const ir::Node& node, ::onnx::NodeProto* out) {
    auto value_name = [&](ir::ValueId id) { return id == ir::kNoValue ? std::string() : graph_.value(id).name; };
    for (ir::ValueId in : node.inputs) out->add_input(value_name(in));
    for (ir::ValueId result : node.outputs) out->add_output(value_name(result));
    out->set_name(node.name);
    out->set_op_type(node.op_type);
    if (!node.domain.empty()) out->set_domain(node.domain);
    if (!node.doc_string.empty()) out->set_doc_string(node.doc_string);
    for (const auto& [name, attr] : node.attributes) {
      absl::Status s = WriteAttribute(name, attr, out->add_attribute());
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", node.Describe(), ": attribute '", name, "': ", s.message()));
      }
    }
    return absl::OkStatus();
  }

  static absl::Status WriteAttribute(const std::string& name, const ir::Attribute& attr,
                                     ::onnx::AttributeProto* out) {
    using ::onnx::AttributeProto;
    if (attr.is<ir::OpaqueAttribute>()) {
      if (!out->ParseFromString(attr.get<ir::OpaqueAttribute>().serialized_proto)) {
        return absl::InternalError("kept AttributeProto does not parse back");
      }
      out->set_name(name);
      return absl::OkStatus();
    }
    out->set_name(name);
    switch (attr.kind()) {
      case ir::AttributeKind::kInt:
        out->set_type(AttributeProto::INT);
        out->set_i(attr.get<int64_t>());
        break;
      case ir::AttributeKind::kFloat:
        out->set_type(AttributeProto::FLOAT);
        out->set_f(attr.get<float>());
        break;
      case ir::AttributeKind::kString:
        out->set_type(AttributeProto::STRING);
        out->set_s(attr.get<std::string>());
        break;
      case ir::AttributeKind::kTensor:
        out->set_type(AttributeProto::TENSOR);
        return internal::TensorToProto(attr.get<ir::Tensor>(), "", out->mutable_t());
      case ir::AttributeKind::kInts:
        out->set_type(AttributeProto::INTS);
        for (int64_t v : attr.get<std::vector<int64_t>>()) out->add_ints(v);
        break;
      case ir::AttributeKind::kFloats:
        out->set_type(AttributeProto::FLOATS);
        for (float v : attr.get<std::vector<float>>()) out->add_floats(v);
        break;
      case ir::AttributeKind::kStrings:
        out->set_type(AttributeProto::STRINGS);
        for (const std::string& v : attr.get<std::vector<std::string>>()) out->add_strings(v);
        break;
      case ir::AttributeKind::kTensors:
        out->set_type(AttributeProto::TENSORS);
        for (const ir::Tensor& t : attr.get<std::vector<ir::Tensor>>()) {
          if (absl::Status s = internal::TensorToProto(t, "", out->add_tensors()); !s.ok()) return s;
        }
        break;
      case ir::AttributeKind::kOpaque:
        break;  // handled above
    }
    return absl::OkStatus();
  }

  const ir::Graph& graph_;
};

}  // namespace

absl::StatusOr<std::string> ExportModelBytes(const ir::Graph& graph) {
  ::onnx::ModelProto model;
  if (absl::Status s = ModelExporter(graph).Build(&model); !s.ok()) return s;
  size_t size = model.ByteSizeLong();
  if (size > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the model is ", size, " bytes; a protobuf message cannot exceed 2 GiB (external data export is not supported)"));
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return absl::InternalError("serializing the ModelProto failed");
  return bytes;
}

absl::Status ExportModelFile(const ir::Graph& graph, const std::string& path) {
  absl::StatusOr<std::string> bytes = ExportModelBytes(graph);
  if (!bytes.ok()) return absl::Status(bytes.status().code(), absl::StrCat(path, ": ", bytes.status().message()));
  return WriteFileAtomically(path, *bytes);
}

}  // namespace gsopt::frontends::onnx
