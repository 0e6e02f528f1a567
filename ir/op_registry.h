// The op registry: what gsopt knows about each operator — its domain, the
// number of inputs and outputs it takes, and its shape inference. Ops absent
// from the registry are still carried (opaque nodes); they just cannot be
// shape-inferred, executed or rewritten.
//
// Ops are registered by plain functions (RegisterMathOps, ...) that the
// registry calls when first used, so nothing depends on static initializers
// surviving the linker.
#ifndef GSOPT_IR_OP_REGISTRY_H_
#define GSOPT_IR_OP_REGISTRY_H_

#include "absl/strings/string_view.h"
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ir/graph.h"

namespace gsopt::ir {

// What shape inference sees of one node: input types, the constant value of
// inputs that are constants (needed for Reshape, Slice, ...), attributes and
// the opset version in force. It writes output types.
class InferenceContext {
 public:
  InferenceContext(const Graph& graph, const Node& node, std::vector<TensorType>* output_types);

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  int num_inputs() const { return node_.num_inputs(); }
  int num_outputs() const { return node_.num_outputs(); }
  bool has_input(int i) const { return node_.has_input(i); }
  const TensorType& input_type(int i) const;
  // Constant data of input i when it is an initializer, else nullptr.
  const Tensor* input_constant(int i) const;
  void set_output_type(int i, TensorType type);

  // An error that names the node: "node 'conv1' (Conv): <message>".
  absl::Status Error(absl::string_view message) const;

 private:
  const Graph& graph_;
  const Node& node_;
  int64_t opset_;
  std::vector<TensorType>* output_types_;
};

using ShapeInferenceFn = std::function<absl::Status(InferenceContext&)>;

struct OpSchema {
  std::string domain;  // "" for ai.onnx
  std::string name;
  int min_inputs = 0;
  int max_inputs = std::numeric_limits<int>::max();
  int min_outputs = 1;
  int max_outputs = 1;
  ShapeInferenceFn infer_shapes;  // may be empty: outputs stay of unknown type
};

class OpRegistry {
 public:
  // The registry with every op gsopt implements.
  static const OpRegistry& Global();

  void Register(OpSchema schema);
  const OpSchema* Find(absl::string_view domain, absl::string_view name) const;
  std::vector<const OpSchema*> AllSchemas() const;  // sorted by domain, name

 private:
  absl::flat_hash_map<std::string, OpSchema> schemas_;  // key "domain::name"
};

// Registration functions, one per op family (ir/ops/*.cc).
void RegisterElementwiseOps(OpRegistry& registry);
void RegisterTensorOps(OpRegistry& registry);
void RegisterNnOps(OpRegistry& registry);
void RegisterReductionOps(OpRegistry& registry);
void RegisterQuantizationOps(OpRegistry& registry);
void RegisterAttentionOps(OpRegistry& registry);
void RegisterLossOps(OpRegistry& registry);
void RegisterVisionOps(OpRegistry& registry);
void RegisterSignalOps(OpRegistry& registry);
void RegisterRecurrentOps(OpRegistry& registry);
// gsopt's internal fused ops (domain "gsopt"; lowered to ONNX before export).
void RegisterFusedOps(OpRegistry& registry);

// Runs shape inference over the graph in execution order, writing each
// node's output types. Nodes of unknown ops keep whatever types their outputs
// already had (from the file's value_info). With `strict`, a node whose
// inference fails is an error; otherwise its outputs are left as they were.
absl::Status InferShapes(Graph& graph, bool strict = true);

}  // namespace gsopt::ir

#endif  // GSOPT_IR_OP_REGISTRY_H_
