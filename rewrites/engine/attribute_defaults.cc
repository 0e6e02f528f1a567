// ONNX attribute defaults for the ops rules match on; see attribute_defaults.h.
#include "rewrites/engine/attribute_defaults.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gsopt::rewrites::internal {
namespace {

void Default(ir::AttributeMap& attributes, const std::string& name, ir::Attribute value) {
  attributes.emplace(name, std::move(value));  // keeps an explicit value
}

// Spatial attributes of Conv, ConvTranspose and pooling. `spatial` is the
// number of spatial dims, from kernel_shape or the weight's rank.
void SpatialDefaults(ir::AttributeMap& attributes, int64_t spatial) {
  if (spatial <= 0) return;
  auto pad = attributes.find("auto_pad");
  bool explicit_pads =
      pad == attributes.end() || (pad->second.is<std::string>() && pad->second.get<std::string>() == "NOTSET");
  if (pad != attributes.end() && explicit_pads) attributes.erase(pad);  // NOTSET is the default
  const std::vector<int64_t> ones(static_cast<size_t>(spatial), 1);
  Default(attributes, "strides", ones);
  Default(attributes, "dilations", ones);
  if (explicit_pads) Default(attributes, "pads", std::vector<int64_t>(static_cast<size_t>(2 * spatial), 0));
}

}  // namespace

ir::AttributeMap NormalizedAttributes(const ir::Graph& graph, const ir::Node& node) {
  ir::AttributeMap attributes = node.attributes;
  if (!node.domain.empty()) return attributes;
  const std::string& op = node.op_type;
  if (op == "Conv" || op == "ConvTranspose") {
    int64_t spatial = -1;
    if (const ir::Attribute* ks = node.FindAttribute("kernel_shape"); ks != nullptr && ks->is<std::vector<int64_t>>()) {
      spatial = static_cast<int64_t>(ks->get<std::vector<int64_t>>().size());
    } else if (node.has_input(1)) {
      const ir::Shape& w = graph.value(node.inputs[1]).type.shape;
      if (w.is_static() && w.rank() >= 3) {
        std::vector<int64_t> dims = w.static_dims();
        attributes.emplace("kernel_shape", std::vector<int64_t>(dims.begin() + 2, dims.end()));
        spatial = w.rank() - 2;
      }
    }
    Default(attributes, "group", int64_t{1});
    SpatialDefaults(attributes, spatial);
  } else if (op == "MaxPool" || op == "AveragePool") {
    if (const ir::Attribute* ks = node.FindAttribute("kernel_shape"); ks != nullptr && ks->is<std::vector<int64_t>>()) {
      SpatialDefaults(attributes, static_cast<int64_t>(ks->get<std::vector<int64_t>>().size()));
    }
    Default(attributes, "ceil_mode", int64_t{0});
  } else if (op == "Gemm") {
    Default(attributes, "alpha", 1.0f);
    Default(attributes, "beta", 1.0f);
    Default(attributes, "transA", int64_t{0});
    Default(attributes, "transB", int64_t{0});
  } else if (op == "Split") {
    Default(attributes, "axis", int64_t{0});
  } else if (op == "Softmax" || op == "LogSoftmax") {
    Default(attributes, "axis", int64_t{graph.OpsetVersion("") >= 13 ? -1 : 1});
  } else if (op == "LayerNormalization") {
    Default(attributes, "axis", int64_t{-1});
    Default(attributes, "epsilon", 1e-5f);
  } else if (op == "BatchNormalization") {
    Default(attributes, "epsilon", 1e-5f);
    Default(attributes, "training_mode", int64_t{0});
  } else if (op == "Transpose" && node.has_input(0)) {
    int64_t rank = graph.value(node.inputs[0]).type.shape.rank();
    if (rank >= 0) {
      std::vector<int64_t> reversed;
      for (int64_t i = rank - 1; i >= 0; --i) reversed.push_back(i);
      Default(attributes, "perm", reversed);
    }
  } else if (op == "LRN") {
    Default(attributes, "alpha", 0.0001f);
    Default(attributes, "beta", 0.75f);
    Default(attributes, "bias", 1.0f);
  } else if (op.rfind("Reduce", 0) == 0 || op == "ArgMax" || op == "ArgMin") {
    Default(attributes, "keepdims", int64_t{1});
  } else if (op == "LeakyRelu") {
    Default(attributes, "alpha", 0.01f);
  } else if (op == "Gelu") {
    Default(attributes, "approximate", std::string("none"));
  }
  return attributes;
}

}  // namespace gsopt::rewrites::internal
