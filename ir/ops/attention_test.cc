// Shape-inference tests for the attention ops (to be written with the ops).
#include "ir/op_registry.h"

#include "gtest/gtest.h"

namespace gsopt::ir {
namespace {

TEST(AttentionShapeInferenceTest, RegistryLoads) { EXPECT_FALSE(OpRegistry::Global().AllSchemas().empty()); }

}  // namespace
}  // namespace gsopt::ir
