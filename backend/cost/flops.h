// Operation counts per node, from the node's attributes and the static
// shapes of its values: the first input to the analytical cost model and
// what `gsopt info` reports. A multiply-add counts as two FLOPs. Nodes whose
// shapes are not static count zero and are reported as unknown.
#ifndef GSOPT_BACKEND_COST_FLOPS_H_
#define GSOPT_BACKEND_COST_FLOPS_H_

#include <cstdint>
#include <optional>

#include "ir/graph.h"

namespace gsopt::backend {

// FLOPs of one node; nullopt when a shape it needs is not static.
std::optional<int64_t> NodeFlops(const ir::Graph& graph, const ir::Node& node);

struct GraphFlops {
  int64_t total = 0;
  int unknown_nodes = 0;  // nodes whose count could not be computed
};
GraphFlops CountFlops(const ir::Graph& graph);

}  // namespace gsopt::backend

#endif  // GSOPT_BACKEND_COST_FLOPS_H_
