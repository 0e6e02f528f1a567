// Schemas and shape inference for the vision op family (placeholder: filled in next).
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {

void RegisterVisionOps(OpRegistry& registry) {}

}  // namespace gsopt::ir
