// Schemas and shape inference for the attention op family (placeholder: filled in next).
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {

void RegisterAttentionOps(OpRegistry& registry) {}

}  // namespace gsopt::ir
