// Shape-inference tests for the vision ops (to be written with the ops).
#include "ir/op_registry.h"

#include "gtest/gtest.h"

namespace gsopt::ir {
namespace {

TEST(VisionShapeInferenceTest, RegistryLoads) { EXPECT_FALSE(OpRegistry::Global().AllSchemas().empty()); }

}  // namespace
}  // namespace gsopt::ir
