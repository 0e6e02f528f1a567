// Schemas and shape inference for the signal op family (placeholder: filled in next).
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {

void RegisterSignalOps(OpRegistry& registry) {}

}  // namespace gsopt::ir
