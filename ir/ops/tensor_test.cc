// Shape-inference tests for the tensor ops (to be written with the ops).
#include "ir/op_registry.h"

#include "gtest/gtest.h"

namespace gsopt::ir {
namespace {

TEST(TensorShapeInferenceTest, RegistryLoads) { EXPECT_GE(OpRegistry::Global().AllSchemas().size(), 0u); }

}  // namespace
}  // namespace gsopt::ir
