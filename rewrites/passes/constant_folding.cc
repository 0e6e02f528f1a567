// Constant folding: evaluate nodes whose inputs are all known, with the CPU
// kernels that execute graphs, so folding computes exactly what running the
// graph would.
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "ir/op_registry.h"
#include "rewrites/passes/passes.h"

namespace gsopt::rewrites {
namespace {

using ir::Graph;
using ir::kNoValue;
using ir::Node;
using ir::NodeId;
using ir::Tensor;
using ir::ValueId;

bool IsNondeterministic(const Node& node) {
  static const absl::flat_hash_set<std::string> kRandomOps = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"};
  return node.domain.empty() && kRandomOps.contains(node.op_type);
}

bool HasSubgraph(const Node& node) {
  for (const auto& [name, attr] : node.attributes) {
    if (attr.is<ir::OpaqueAttribute>()) return true;
  }
  return false;
}

// Constant nodes have no inputs, so they fold into initializers before (in
// execution order) anything that reads them: initializers are the only
// constants the evaluation needs to look at.
const Tensor* ConstantOf(const Graph& graph, ValueId id) {
  const ir::Value& v = graph.value(id);
  return v.initializer ? &*v.initializer : nullptr;
}

class ConstantFoldingPass : public Pass {
 public:
  explicit ConstantFoldingPass(int64_t max_expansion_bytes) : max_expansion_bytes_(max_expansion_bytes) {}
  std::string name() const override { return "constant-folding"; }

  absl::StatusOr<bool> Run(Graph& graph) override {
    bool changed = false;
    for (NodeId id : graph.LiveNodes()) {
      const Node& node = graph.node(id);
      if (IsNondeterministic(node) || HasSubgraph(node)) continue;
      std::optional<std::vector<Tensor>> folded = FoldShapeQuery(graph, node);
      if (!folded) folded = Evaluate(graph, node);
      if (!folded) continue;
      std::vector<ValueId> outputs = node.outputs;
      graph.RemoveNode(id);
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i] != kNoValue) graph.SetConstant(outputs[i], std::move((*folded)[i]));
      }
      changed = true;
    }
    return changed;
  }

 private:
  // Shape and Size only need the input's static shape, not its data.
  std::optional<std::vector<Tensor>> FoldShapeQuery(const Graph& graph, const Node& node) {
    if (!node.domain.empty() || (node.op_type != "Shape" && node.op_type != "Size")) return std::nullopt;
    if (!node.has_input(0) || node.num_outputs() != 1 || node.outputs[0] == kNoValue) return std::nullopt;
    const ir::Shape& shape = graph.value(node.inputs[0]).type.shape;
    if (!shape.is_static()) return std::nullopt;
    std::vector<int64_t> dims = shape.static_dims();
    if (node.op_type == "Size") return std::vector<Tensor>{Tensor::Scalar<int64_t>(*shape.num_elements())};
    int64_t rank = static_cast<int64_t>(dims.size());
    int64_t start = node.GetInt("start", 0);
    int64_t end = node.GetInt("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    std::vector<int64_t> slice(dims.begin() + start, dims.begin() + end);
    return std::vector<Tensor>{Tensor::FromVector<int64_t>({static_cast<int64_t>(slice.size())}, slice)};
  }

  std::optional<std::vector<Tensor>> Evaluate(const Graph& graph, const Node& node) {
    const backend::cpu::KernelFn* kernel =
        backend::cpu::KernelRegistry::Global().Find(node.domain, node.op_type);
    if (kernel == nullptr || ir::OpRegistry::Global().Find(node.domain, node.op_type) == nullptr) {
      return std::nullopt;
    }
    std::vector<const Tensor*> inputs;
    int64_t input_bytes = 0;
    for (ValueId in : node.inputs) {
      if (in == kNoValue) {
        inputs.push_back(nullptr);
        continue;
      }
      const Tensor* t = ConstantOf(graph, in);
      if (t == nullptr) return std::nullopt;
      input_bytes += t->byte_size();
      inputs.push_back(t);
    }
    std::vector<Tensor> outputs(node.outputs.size());
    backend::cpu::KernelContext ctx(node, graph.OpsetVersion(node.domain), inputs, &outputs);
    // A kernel error here (bad constant data) is left for execution to report.
    if (!(*kernel)(ctx).ok()) return std::nullopt;
    int64_t output_bytes = 0;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (node.outputs[i] == kNoValue) continue;
      if (!outputs[i].is_defined()) return std::nullopt;
      output_bytes += outputs[i].byte_size();
    }
    if (output_bytes > max_expansion_bytes_ && output_bytes > 2 * input_bytes) return std::nullopt;
    return outputs;
  }

  int64_t max_expansion_bytes_;
};

}  // namespace

std::unique_ptr<Pass> CreateConstantFoldingPass(int64_t max_expansion_bytes) {
  return std::make_unique<ConstantFoldingPass>(max_expansion_bytes);
}

}  // namespace gsopt::rewrites
