// CpuExecutor runs an ir::Graph on the CPU with the registered kernels:
// nodes in execution order, each intermediate freed after its last reader
// (liveness), deterministic results. Correct before fast: fused and tuned
// kernels come later behind the same interface.
#ifndef GSOPT_BACKEND_CPU_EXECUTOR_H_
#define GSOPT_BACKEND_CPU_EXECUTOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/cpu/kernel.h"
#include "ir/graph.h"

namespace gsopt::backend::cpu {

class CpuExecutor {
 public:
  // Fails, naming the node, when some op has no CPU kernel.
  static absl::StatusOr<CpuExecutor> Create(const ir::Graph& graph);

  // Inputs in graph.inputs() order; outputs in graph.outputs() order. Input
  // dtypes and ranks are checked against the graph's declared input types.
  absl::StatusOr<std::vector<ir::Tensor>> Run(const std::vector<ir::Tensor>& inputs) const;
  // Inputs and outputs by name; every graph input must be given.
  absl::StatusOr<std::map<std::string, ir::Tensor>> RunNamed(
      const std::map<std::string, ir::Tensor>& inputs) const;

 private:
  explicit CpuExecutor(const ir::Graph& graph) : graph_(&graph) {}

  const ir::Graph* graph_;
  std::vector<ir::NodeId> order_;
  std::vector<const KernelFn*> kernels_;  // parallel to order_
  std::vector<int> last_use_;             // per value: index in order_ of its last reader
};

// Names of ops in `graph` that have no CPU kernel (empty when all can run).
std::vector<std::string> OpsWithoutKernels(const ir::Graph& graph);

}  // namespace gsopt::backend::cpu

#endif  // GSOPT_BACKEND_CPU_EXECUTOR_H_
