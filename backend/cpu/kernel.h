// The CPU kernel interface: a kernel is a function that reads a node's input
// tensors and attributes through a KernelContext and sets its outputs. The
// KernelRegistry maps (domain, op type) to a kernel; kernels consult
// ctx.opset() where an op's semantics changed between opsets (Softmax's axis,
// Squeeze's axes input, ...). Kernels are registered by plain functions, one
// per op family (backend/cpu/kernels/*.cc).
#ifndef GSOPT_BACKEND_CPU_KERNEL_H_
#define GSOPT_BACKEND_CPU_KERNEL_H_

#include "absl/strings/string_view.h"
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ir/graph.h"

namespace gsopt::backend::cpu {

class KernelContext {
 public:
  KernelContext(const ir::Node& node, int64_t opset, std::vector<const ir::Tensor*> inputs,
                std::vector<ir::Tensor>* outputs)
      : node_(node), opset_(opset), inputs_(std::move(inputs)), outputs_(outputs) {}

  const ir::Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  // nullptr when the optional input is omitted or i is past the end.
  const ir::Tensor* input(int i) const {
    return i < num_inputs() ? inputs_[static_cast<size_t>(i)] : nullptr;
  }
  int num_outputs() const { return static_cast<int>(outputs_->size()); }
  // Whether output i is wanted (an omitted optional output is not).
  bool output_requested(int i) const {
    return i < node_.num_outputs() && node_.outputs[static_cast<size_t>(i)] != ir::kNoValue;
  }
  void set_output(int i, ir::Tensor tensor) { (*outputs_)[static_cast<size_t>(i)] = std::move(tensor); }

  // "node 'x' (Op): message" as an InvalidArgument status.
  absl::Status Error(absl::string_view message) const;
  // `status` with "node 'x' (Op): " prefixed to its message, keeping its code
  // (dtype dispatch reports Unimplemented without knowing the node); OK stays OK.
  absl::Status Annotate(absl::Status status) const;
  // An error naming the first of inputs 0..count-1 that is omitted.
  absl::Status RequireInputs(int count) const;

 private:
  const ir::Node& node_;
  int64_t opset_;
  std::vector<const ir::Tensor*> inputs_;
  std::vector<ir::Tensor>* outputs_;
};

using KernelFn = std::function<absl::Status(KernelContext&)>;

class KernelRegistry {
 public:
  static const KernelRegistry& Global();

  void Register(std::string domain, std::string op_type, KernelFn kernel);
  const KernelFn* Find(absl::string_view domain, absl::string_view op_type) const;
  std::vector<std::string> RegisteredOps() const;  // "domain::op", sorted

 private:
  absl::flat_hash_map<std::string, KernelFn> kernels_;
};

void RegisterElementwiseKernels(KernelRegistry& registry);
void RegisterTensorKernels(KernelRegistry& registry);
void RegisterNnKernels(KernelRegistry& registry);
void RegisterReductionKernels(KernelRegistry& registry);
void RegisterQuantizationKernels(KernelRegistry& registry);
void RegisterAttentionKernels(KernelRegistry& registry);
void RegisterLossKernels(KernelRegistry& registry);
void RegisterVisionKernels(KernelRegistry& registry);
void RegisterSignalKernels(KernelRegistry& registry);
void RegisterRecurrentKernels(KernelRegistry& registry);
// gsopt's internal fused ops (domain "gsopt"; schemas in ir/ops/fused_ops.cc).
void RegisterFusedKernels(KernelRegistry& registry);

}  // namespace gsopt::backend::cpu

#endif  // GSOPT_BACKEND_CPU_KERNEL_H_
