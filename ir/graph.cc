// Graph construction, use lists, topological sorting and compaction.
#include "ir/graph.h"

#include <algorithm>
#include <functional>
#include <queue>

#include "ir/check.h"
#include "absl/strings/str_cat.h"

namespace gsopt::ir {

const Attribute* Node::FindAttribute(absl::string_view attr_name) const {
  auto it = attributes.find(attr_name);
  return it == attributes.end() ? nullptr : &it->second;
}

int64_t Node::GetInt(absl::string_view attr_name, int64_t default_value) const {
  const Attribute* a = FindAttribute(attr_name);
  return a && a->is<int64_t>() ? a->get<int64_t>() : default_value;
}

float Node::GetFloat(absl::string_view attr_name, float default_value) const {
  const Attribute* a = FindAttribute(attr_name);
  return a && a->is<float>() ? a->get<float>() : default_value;
}

std::string Node::GetString(absl::string_view attr_name, std::string default_value) const {
  const Attribute* a = FindAttribute(attr_name);
  return a && a->is<std::string>() ? a->get<std::string>() : default_value;
}

std::vector<int64_t> Node::GetInts(absl::string_view attr_name,
                                   std::vector<int64_t> default_value) const {
  const Attribute* a = FindAttribute(attr_name);
  return a && a->is<std::vector<int64_t>>() ? a->get<std::vector<int64_t>>() : default_value;
}

std::vector<float> Node::GetFloats(absl::string_view attr_name,
                                   std::vector<float> default_value) const {
  const Attribute* a = FindAttribute(attr_name);
  return a && a->is<std::vector<float>>() ? a->get<std::vector<float>>() : default_value;
}

std::string Node::Describe() const {
  std::string op = domain.empty() ? op_type : absl::StrCat(domain, "::", op_type);
  return absl::StrCat("'", name, "' (", op, ")");
}

ValueId Graph::AddValue(std::string name, TensorType type) {
  ValueId id = static_cast<ValueId>(values_.size());
  auto [it, inserted] = value_by_name_.emplace(name, id);
  GSOPT_CHECK(inserted) << "duplicate value name '" << name << "'";
  values_.push_back(Value{std::move(name), std::move(type)});
  return id;
}

ValueId Graph::AddInput(std::string name, TensorType type) {
  ValueId id = AddValue(std::move(name), std::move(type));
  inputs_.push_back(id);
  return id;
}

ValueId Graph::AddInitializer(std::string name, Tensor tensor) {
  ValueId id = AddValue(std::move(name), tensor.type());
  values_[static_cast<size_t>(id)].initializer = std::move(tensor);
  return id;
}

NodeId Graph::AddNode(std::string op_type, std::vector<ValueId> inputs,
                      const std::vector<std::string>& output_names, AttributeMap attributes,
                      std::string node_name, std::string domain) {
  std::vector<ValueId> outputs;
  outputs.reserve(output_names.size());
  for (const std::string& out : output_names) {
    outputs.push_back(out.empty() ? kNoValue : AddValue(out));
  }
  return AddNodeWithOutputs(std::move(op_type), std::move(inputs), std::move(outputs),
                            std::move(attributes), std::move(node_name), std::move(domain));
}

NodeId Graph::AddNodeWithOutputs(std::string op_type, std::vector<ValueId> inputs,
                                 std::vector<ValueId> outputs, AttributeMap attributes,
                                 std::string node_name, std::string domain) {
  NodeId id = static_cast<NodeId>(nodes_.size());
  if (node_name.empty() || node_by_name_.contains(node_name)) {
    node_name = UniqueNodeName(node_name.empty() ? op_type : node_name);
  }
  node_by_name_.emplace(node_name, id);
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i] == kNoValue) continue;
    Value& v = values_[static_cast<size_t>(outputs[i])];
    GSOPT_CHECK(v.producer == kNoNode && !v.initializer) << "value '" << v.name << "' already defined";
    v.producer = id;
    v.producer_output = static_cast<int32_t>(i);
  }
  for (ValueId in : inputs) GSOPT_CHECK(in == kNoValue || (in >= 0 && in < num_values()));
  nodes_.push_back(Node{std::move(node_name), std::move(op_type), std::move(domain),
                        std::move(inputs), std::move(outputs), std::move(attributes)});
  return id;
}

int Graph::num_live_nodes() const {
  return static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(),
                                        [](const Node& n) { return !n.removed; }));
}

std::vector<NodeId> Graph::LiveNodes() const {
  std::vector<NodeId> out;
  out.reserve(nodes_.size());
  for (NodeId i = 0; i < num_nodes(); ++i) {
    if (!nodes_[static_cast<size_t>(i)].removed) out.push_back(i);
  }
  return out;
}

std::optional<ValueId> Graph::FindValue(absl::string_view name) const {
  auto it = value_by_name_.find(name);
  if (it == value_by_name_.end()) return std::nullopt;
  return it->second;
}

std::vector<ValueId> Graph::Initializers() const {
  std::vector<ValueId> out;
  for (ValueId i = 0; i < num_values(); ++i) {
    if (values_[static_cast<size_t>(i)].initializer) out.push_back(i);
  }
  return out;
}

std::vector<ValueId> Graph::ImplicitInputs(const Node& node) const {
  std::vector<ValueId> out;
  for (const auto& [name, attr] : node.attributes) {
    if (!attr.is<OpaqueAttribute>()) continue;
    for (const std::string& outer : attr.get<OpaqueAttribute>().outer_scope_inputs) {
      if (std::optional<ValueId> id = FindValue(outer)) out.push_back(*id);
    }
  }
  return out;
}

std::vector<std::vector<Use>> Graph::ComputeUses() const {
  std::vector<std::vector<Use>> uses(values_.size());
  for (NodeId n = 0; n < num_nodes(); ++n) {
    const Node& node = nodes_[static_cast<size_t>(n)];
    if (node.removed) continue;
    for (int i = 0; i < node.num_inputs(); ++i) {
      if (node.inputs[i] != kNoValue) uses[static_cast<size_t>(node.inputs[i])].push_back({n, i});
    }
    for (ValueId implicit : ImplicitInputs(node)) {
      uses[static_cast<size_t>(implicit)].push_back({n, -1});
    }
  }
  for (int i = 0; i < static_cast<int>(outputs_.size()); ++i) {
    uses[static_cast<size_t>(outputs_[i])].push_back({kNoNode, i});
  }
  return uses;
}

bool Graph::IsGraphOutput(ValueId id) const {
  return std::find(outputs_.begin(), outputs_.end(), id) != outputs_.end();
}

void Graph::RemoveNode(NodeId id) {
  Node& node = nodes_[static_cast<size_t>(id)];
  node.removed = true;
  for (ValueId out : node.outputs) {
    if (out == kNoValue) continue;
    values_[static_cast<size_t>(out)].producer = kNoNode;
    values_[static_cast<size_t>(out)].producer_output = -1;
  }
}

void Graph::ReplaceAllUsesWith(ValueId from, ValueId to) {
  for (Node& node : nodes_) {
    if (node.removed) continue;
    for (ValueId& in : node.inputs) {
      if (in == from) in = to;
    }
  }
  for (ValueId& out : outputs_) {
    if (out == from) out = to;
  }
}

void Graph::RenameValue(ValueId id, std::string new_name) {
  Value& v = values_[static_cast<size_t>(id)];
  GSOPT_CHECK(!value_by_name_.contains(new_name)) << "value name in use: " << new_name;
  value_by_name_.erase(v.name);
  value_by_name_.emplace(new_name, id);
  v.name = std::move(new_name);
}

void Graph::SetConstant(ValueId id, Tensor tensor) {
  Value& v = values_[static_cast<size_t>(id)];
  v.type = tensor.type();
  v.initializer = std::move(tensor);
}

absl::Status Graph::TopologicalSort() {
  // Kahn's algorithm, preferring the existing order so sorted graphs are untouched.
  std::vector<NodeId> live = LiveNodes();
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<NodeId>> readers(values_.size());
  for (NodeId n : live) {
    const Node& node = nodes_[static_cast<size_t>(n)];
    std::vector<ValueId> deps = node.inputs;
    std::vector<ValueId> implicit = ImplicitInputs(node);
    deps.insert(deps.end(), implicit.begin(), implicit.end());
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    for (ValueId in : deps) {
      if (in == kNoValue) continue;
      NodeId producer = values_[static_cast<size_t>(in)].producer;
      if (producer == kNoNode || producer == n) {
        if (producer == n) ++pending[static_cast<size_t>(n)];  // self loop never resolves
        continue;
      }
      ++pending[static_cast<size_t>(n)];
      readers[static_cast<size_t>(in)].push_back(n);
    }
  }
  // Among ready nodes, always take the one that came first, so a graph that
  // is already sorted keeps its order exactly.
  std::vector<NodeId> order;
  order.reserve(live.size());
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<NodeId>> ready;
  for (NodeId n : live) {
    if (pending[static_cast<size_t>(n)] == 0) ready.push(n);
  }
  while (!ready.empty()) {
    NodeId n = ready.top();
    ready.pop();
    order.push_back(n);
    for (ValueId out : nodes_[static_cast<size_t>(n)].outputs) {
      if (out == kNoValue) continue;
      for (NodeId reader : readers[static_cast<size_t>(out)]) {
        if (--pending[static_cast<size_t>(reader)] == 0) ready.push(reader);
      }
    }
  }
  if (order.size() != live.size()) {
    for (NodeId n : live) {
      if (pending[static_cast<size_t>(n)] > 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("graph has a cycle through node ", nodes_[static_cast<size_t>(n)].Describe()));
      }
    }
  }
  // Rebuild nodes_ in the new order (removed nodes dropped), fixing producer ids.
  std::vector<Node> sorted;
  sorted.reserve(order.size());
  node_by_name_.clear();
  for (NodeId old_id : order) {
    NodeId new_id = static_cast<NodeId>(sorted.size());
    sorted.push_back(std::move(nodes_[static_cast<size_t>(old_id)]));
    node_by_name_.emplace(sorted.back().name, new_id);
    for (ValueId out : sorted.back().outputs) {
      if (out != kNoValue) values_[static_cast<size_t>(out)].producer = new_id;
    }
  }
  nodes_ = std::move(sorted);
  return absl::OkStatus();
}

void Graph::Compact() {
  std::vector<bool> keep(values_.size(), false);
  for (ValueId in : inputs_) keep[static_cast<size_t>(in)] = true;
  for (ValueId out : outputs_) keep[static_cast<size_t>(out)] = true;
  for (const Node& node : nodes_) {
    if (node.removed) continue;
    for (ValueId v : node.inputs) {
      if (v != kNoValue) keep[static_cast<size_t>(v)] = true;
    }
    for (ValueId v : node.outputs) {
      if (v != kNoValue) keep[static_cast<size_t>(v)] = true;
    }
    for (ValueId v : ImplicitInputs(node)) keep[static_cast<size_t>(v)] = true;
  }
  std::vector<ValueId> remap(values_.size(), kNoValue);
  std::vector<Value> kept_values;
  value_by_name_.clear();
  for (size_t i = 0; i < values_.size(); ++i) {
    if (!keep[i]) continue;
    remap[i] = static_cast<ValueId>(kept_values.size());
    value_by_name_.emplace(values_[i].name, remap[i]);
    kept_values.push_back(std::move(values_[i]));
  }
  values_ = std::move(kept_values);
  auto fix = [&](std::vector<ValueId>& ids) {
    for (ValueId& id : ids) {
      if (id != kNoValue) id = remap[static_cast<size_t>(id)];
    }
  };
  std::vector<Node> kept_nodes;
  node_by_name_.clear();
  for (Node& node : nodes_) {
    if (node.removed) continue;
    fix(node.inputs);
    fix(node.outputs);
    NodeId new_id = static_cast<NodeId>(kept_nodes.size());
    node_by_name_.emplace(node.name, new_id);
    for (ValueId out : node.outputs) {
      if (out != kNoValue) values_[static_cast<size_t>(out)].producer = new_id;
    }
    kept_nodes.push_back(std::move(node));
  }
  nodes_ = std::move(kept_nodes);
  fix(inputs_);
  fix(outputs_);
}

std::string Graph::UniqueValueName(absl::string_view hint) {
  std::string base(hint.empty() ? "v" : hint);
  if (!value_by_name_.contains(base)) return base;
  while (true) {
    std::string candidate = absl::StrCat(base, "_", ++name_counter_);
    if (!value_by_name_.contains(candidate)) return candidate;
  }
}

std::string Graph::UniqueNodeName(absl::string_view hint) {
  std::string base(hint.empty() ? "node" : hint);
  if (!node_by_name_.contains(base)) return base;
  while (true) {
    std::string candidate = absl::StrCat(base, "_", ++name_counter_);
    if (!node_by_name_.contains(candidate)) return candidate;
  }
}

int64_t Graph::OpsetVersion(absl::string_view domain) const {
  std::string key(domain == "ai.onnx" ? "" : domain);
  auto it = metadata_.opset_imports.find(key);
  return it == metadata_.opset_imports.end() ? 0 : it->second;
}

}  // namespace gsopt::ir
