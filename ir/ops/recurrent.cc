// Schemas and shape inference for the recurrent op family (placeholder: filled in next).
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {

void RegisterRecurrentOps(OpRegistry& registry) {}

}  // namespace gsopt::ir
