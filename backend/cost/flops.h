// Operation counts per node, from the node's attributes and the static
// shapes of its values: the first input to the analytical cost model and
// what `gsopt info` reports. A multiply-add counts as two FLOPs. Nodes whose
// shapes are not static count zero and are reported as unknown. Bytes moved
// (what a node reads and writes) are counted here too, for the same model.
#ifndef GSOPT_BACKEND_COST_FLOPS_H_
#define GSOPT_BACKEND_COST_FLOPS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace gsopt::backend {

// FLOPs of one node; nullopt when a shape it needs is not static.
std::optional<int64_t> NodeFlops(const ir::Graph& graph, const ir::Node& node);

struct GraphFlops {
  int64_t total = 0;
  int unknown_nodes = 0;  // nodes whose count could not be computed
};
GraphFlops CountFlops(const ir::Graph& graph);

// Bytes a node reads and writes when it runs once: every distinct input value
// (weights included; an input read twice, as in Mul(x, x), counts once) and
// every output value, at their dtype's storage size.
struct BytesMoved {
  int64_t read = 0;
  int64_t written = 0;
  int64_t total() const { return read + written; }
};
// Fails (with the value named) when a value's shape is not static or its
// dtype has no fixed size; a made-up byte count would mislead the cost model.
absl::StatusOr<BytesMoved> NodeBytesMoved(const ir::Graph& graph, const ir::Node& node);

}  // namespace gsopt::backend

#endif  // GSOPT_BACKEND_COST_FLOPS_H_
