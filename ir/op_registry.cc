// Op registry and the graph-wide shape inference driver.
#include "ir/op_registry.h"

#include <algorithm>

#include "ir/check.h"
#include "absl/strings/str_cat.h"

namespace gsopt::ir {
namespace {

std::string Key(absl::string_view domain, absl::string_view name) {
  return absl::StrCat(domain == "ai.onnx" ? "" : domain, "::", name);
}

// Merges an inferred type with what the file declared: inferred facts win,
// declared facts fill in what inference could not know (a symbolic dim, say).
TensorType MergeTypes(const TensorType& inferred, const TensorType& declared) {
  TensorType out = inferred;
  if (out.dtype == DType::kUndefined) out.dtype = declared.dtype;
  if (!out.shape.rank_known()) return declared.shape.rank_known() ? TensorType{out.dtype, declared.shape} : out;
  if (declared.shape.rank() == out.shape.rank()) {
    for (int64_t i = 0; i < out.shape.rank(); ++i) {
      Dim& d = out.shape.mutable_dims()[static_cast<size_t>(i)];
      if (d.is_unknown()) d = declared.shape.dim(i);
    }
  }
  return out;
}

}  // namespace

InferenceContext::InferenceContext(const Graph& graph, const Node& node,
                                   std::vector<TensorType>* output_types)
    : graph_(graph), node_(node), opset_(graph.OpsetVersion(node.domain)), output_types_(output_types) {}

const TensorType& InferenceContext::input_type(int i) const {
  static const TensorType kNone;
  if (!has_input(i)) return kNone;
  return graph_.value(node_.inputs[static_cast<size_t>(i)]).type;
}

const Tensor* InferenceContext::input_constant(int i) const {
  if (!has_input(i)) return nullptr;
  const Value& v = graph_.value(node_.inputs[static_cast<size_t>(i)]);
  if (v.initializer) return &*v.initializer;
  // A Constant node's tensor is as good as an initializer.
  if (v.producer != kNoNode) {
    const Node& producer = graph_.node(v.producer);
    if (!producer.removed && producer.op_type == "Constant" && producer.domain.empty()) {
      const Attribute* value = producer.FindAttribute("value");
      if (value != nullptr && value->is<Tensor>()) return &value->get<Tensor>();
    }
  }
  return nullptr;
}

void InferenceContext::set_output_type(int i, TensorType type) {
  if (i < 0 || i >= static_cast<int>(output_types_->size())) return;
  (*output_types_)[static_cast<size_t>(i)] = std::move(type);
}

absl::Status InferenceContext::Error(absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat("node ", node_.Describe(), ": ", message));
}

const OpRegistry& OpRegistry::Global() {
  static const OpRegistry* registry = [] {
    auto* r = new OpRegistry();
    RegisterElementwiseOps(*r);
    RegisterTensorOps(*r);
    RegisterNnOps(*r);
    RegisterReductionOps(*r);
    RegisterQuantizationOps(*r);
    RegisterAttentionOps(*r);
    RegisterLossOps(*r);
    RegisterVisionOps(*r);
    RegisterSignalOps(*r);
    RegisterRecurrentOps(*r);
    RegisterFusedOps(*r);
    return r;
  }();
  return *registry;
}

void OpRegistry::Register(OpSchema schema) {
  std::string key = Key(schema.domain, schema.name);
  auto [it, inserted] = schemas_.emplace(key, std::move(schema));
  GSOPT_CHECK(inserted) << "op registered twice: " << key;
}

const OpSchema* OpRegistry::Find(absl::string_view domain, absl::string_view name) const {
  auto it = schemas_.find(Key(domain, name));
  return it == schemas_.end() ? nullptr : &it->second;
}

std::vector<const OpSchema*> OpRegistry::AllSchemas() const {
  std::vector<const OpSchema*> out;
  for (const auto& [key, schema] : schemas_) out.push_back(&schema);
  std::sort(out.begin(), out.end(), [](const OpSchema* a, const OpSchema* b) {
    return std::tie(a->domain, a->name) < std::tie(b->domain, b->name);
  });
  return out;
}

absl::Status InferShapes(Graph& graph, bool strict) {
  const OpRegistry& registry = OpRegistry::Global();
  for (NodeId id : graph.LiveNodes()) {
    const Node& node = graph.node(id);
    const OpSchema* schema = registry.Find(node.domain, node.op_type);
    if (schema == nullptr) continue;  // opaque op: keep declared types
    if (node.num_inputs() < schema->min_inputs || node.num_inputs() > schema->max_inputs) {
      if (!strict) continue;
      return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": has ", node.num_inputs(),
                                                     " inputs, expected ", schema->min_inputs, " to ",
                                                     schema->max_inputs));
    }
    if (node.num_outputs() < schema->min_outputs || node.num_outputs() > schema->max_outputs) {
      if (!strict) continue;
      return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": has ", node.num_outputs(),
                                                     " outputs, expected ", schema->min_outputs, " to ",
                                                     schema->max_outputs));
    }
    if (!schema->infer_shapes) continue;
    std::vector<TensorType> types(node.outputs.size());
    InferenceContext ctx(graph, node, &types);
    absl::Status status = schema->infer_shapes(ctx);
    if (!status.ok()) {
      if (strict) return status;
      continue;
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i] == kNoValue) continue;
      Value& v = graph.mutable_value(node.outputs[i]);
      v.type = MergeTypes(types[i], v.type);
    }
  }
  return absl::OkStatus();
}

}  // namespace gsopt::ir
