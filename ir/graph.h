// The graph IR everything in gsopt speaks: Values (typed tensors, possibly
// constant), Nodes (an op type from a domain plus attributes, reading and
// writing Values) and the Graph that owns both, with the model-level facts
// (opset imports, IR version) that export needs.
//
// Values and nodes are addressed by dense integer ids. Removing a node only
// marks it; Compact() renumbers. Nodes are kept in execution order: anything
// that adds nodes out of order calls TopologicalSort() before handing the
// graph on. Copying a Graph never copies weights (see ir::Tensor).
#ifndef GSOPT_IR_GRAPH_H_
#define GSOPT_IR_GRAPH_H_

#include "absl/strings/string_view.h"
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/attribute.h"
#include "ir/shape.h"
#include "ir/tensor.h"

namespace gsopt::ir {

using ValueId = int32_t;
using NodeId = int32_t;
inline constexpr ValueId kNoValue = -1;  // an omitted optional input or output
inline constexpr NodeId kNoNode = -1;

struct Value {
  std::string name;
  TensorType type;
  NodeId producer = kNoNode;    // kNoNode for graph inputs and initializers
  int32_t producer_output = -1;
  std::optional<Tensor> initializer;  // constant data (weights), shared not copied

  bool is_constant() const { return initializer.has_value(); }
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain (ai.onnx)
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  AttributeMap attributes;
  std::string doc_string;
  bool removed = false;

  int num_inputs() const { return static_cast<int>(inputs.size()); }
  int num_outputs() const { return static_cast<int>(outputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && inputs[i] != kNoValue; }
  const Attribute* FindAttribute(absl::string_view attr_name) const;
  // Typed attribute readers with a default for an absent attribute. An
  // attribute of the wrong kind also yields the default; the op's shape
  // inference is where kinds are checked and reported.
  int64_t GetInt(absl::string_view attr_name, int64_t default_value) const;
  float GetFloat(absl::string_view attr_name, float default_value) const;
  std::string GetString(absl::string_view attr_name, std::string default_value) const;
  std::vector<int64_t> GetInts(absl::string_view attr_name, std::vector<int64_t> default_value = {}) const;
  std::vector<float> GetFloats(absl::string_view attr_name, std::vector<float> default_value = {}) const;
  // "'conv1' (Conv)" — how errors name a node.
  std::string Describe() const;
};

// Where a value is read: node `node` input slot `input_index`, or a graph output.
struct Use {
  NodeId node = kNoNode;  // kNoNode means the value is graph output number `input_index`
  int input_index = 0;
};

struct ModelMetadata {
  int64_t ir_version = 8;
  std::map<std::string, int64_t> opset_imports = {{"", 17}};  // domain -> version
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  int64_t model_version = 0;
  std::string doc_string;
  std::string graph_name = "main";
  std::string graph_doc_string;
  std::vector<std::pair<std::string, std::string>> metadata_props;
  // Model-local functions and training info are not interpreted; they are kept
  // as serialized protos and written back unchanged.
  std::vector<std::string> serialized_functions;
  std::vector<std::string> serialized_training_info;
  // Values whose type is not a tensor (sequence, map, optional) keep their
  // serialized onnx::TypeProto here, by value name, so export restores them.
  std::map<std::string, std::string> opaque_value_types;
};

class Graph {
 public:
  Graph() = default;

  // ---- building ----
  // Each Add* that takes a name requires it to be new (check with FindValue).
  ValueId AddInput(std::string name, TensorType type);
  ValueId AddInitializer(std::string name, Tensor tensor);
  ValueId AddValue(std::string name, TensorType type = {});
  // Adds a node whose outputs are new values named `output_names` ("" gives
  // kNoValue, an omitted optional output). Inputs must already exist.
  NodeId AddNode(std::string op_type, std::vector<ValueId> inputs,
                 const std::vector<std::string>& output_names, AttributeMap attributes = {},
                 std::string node_name = "", std::string domain = "");
  // Adds a node that writes into existing, producer-less values.
  NodeId AddNodeWithOutputs(std::string op_type, std::vector<ValueId> inputs,
                            std::vector<ValueId> outputs, AttributeMap attributes = {},
                            std::string node_name = "", std::string domain = "");
  void AddOutput(ValueId value) { outputs_.push_back(value); }
  void SetOutputs(std::vector<ValueId> outputs) { outputs_ = std::move(outputs); }
  void SetInputs(std::vector<ValueId> inputs) { inputs_ = std::move(inputs); }

  // ---- queries ----
  int num_values() const { return static_cast<int>(values_.size()); }
  int num_nodes() const { return static_cast<int>(nodes_.size()); }  // includes removed
  int num_live_nodes() const;
  const Value& value(ValueId id) const { return values_[static_cast<size_t>(id)]; }
  Value& mutable_value(ValueId id) { return values_[static_cast<size_t>(id)]; }
  const Node& node(NodeId id) const { return nodes_[static_cast<size_t>(id)]; }
  Node& mutable_node(NodeId id) { return nodes_[static_cast<size_t>(id)]; }
  const std::vector<Node>& nodes() const { return nodes_; }  // includes removed
  std::vector<NodeId> LiveNodes() const;  // execution order
  std::optional<ValueId> FindValue(absl::string_view name) const;
  const std::vector<ValueId>& inputs() const { return inputs_; }    // runtime inputs only
  const std::vector<ValueId>& outputs() const { return outputs_; }
  std::vector<ValueId> Initializers() const;  // all constant values, id order
  // Uses of every value (index = ValueId), nodes in execution order, then graph outputs.
  std::vector<std::vector<Use>> ComputeUses() const;
  bool IsGraphOutput(ValueId id) const;
  // Values a node's subgraph attributes read from this graph (If/Loop/Scan
  // bodies); they count as inputs for ordering and liveness.
  std::vector<ValueId> ImplicitInputs(const Node& node) const;

  // ---- mutation ----
  void RemoveNode(NodeId id);  // outputs become producer-less and should be unused
  // Every read of `from` (node inputs and graph outputs) now reads `to`.
  void ReplaceAllUsesWith(ValueId from, ValueId to);
  // Gives a value a new name, which must not be in use.
  void RenameValue(ValueId id, std::string new_name);
  // Turns a value into a constant; its producer (if any) must be removed by the caller.
  void SetConstant(ValueId id, Tensor tensor);
  // Orders live nodes so every input is defined before it is read. A true
  // cycle is an error naming a node on it.
  absl::Status TopologicalSort();
  // Drops removed nodes and values that nothing reads, produces or lists,
  // renumbering ids. Keeps graph inputs even when unused.
  void Compact();
  // A name not yet used by any value / node, derived from `hint`.
  std::string UniqueValueName(absl::string_view hint);
  std::string UniqueNodeName(absl::string_view hint);

  // ---- model-level facts ----
  const ModelMetadata& metadata() const { return metadata_; }
  ModelMetadata& mutable_metadata() { return metadata_; }
  // Opset version imported for `domain` ("" and "ai.onnx" are the same); 0 if none.
  int64_t OpsetVersion(absl::string_view domain) const;

 private:
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  absl::flat_hash_map<std::string, ValueId> value_by_name_;
  absl::flat_hash_map<std::string, NodeId> node_by_name_;
  int name_counter_ = 0;
  ModelMetadata metadata_;
};

}  // namespace gsopt::ir

#endif  // GSOPT_IR_GRAPH_H_
