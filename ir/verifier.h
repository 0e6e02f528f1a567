// Graph invariants checked between passes and after import: ids in range,
// every read defined before it (execution order is a topological order),
// graph outputs defined, registered ops with a legal number of inputs and
// outputs, and — when asked — declared types that agree with shape inference.
#ifndef GSOPT_IR_VERIFIER_H_
#define GSOPT_IR_VERIFIER_H_

#include "absl/status/status.h"
#include "ir/graph.h"

namespace gsopt::ir {

struct VerifyOptions {
  // Re-run shape inference on each registered node and require the result to
  // agree with the recorded output types (dtype and every static dim).
  bool check_types = true;
};

absl::Status VerifyGraph(const Graph& graph, const VerifyOptions& options = {});

}  // namespace gsopt::ir

#endif  // GSOPT_IR_VERIFIER_H_
