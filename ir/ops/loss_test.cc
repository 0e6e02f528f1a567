// Shape-inference tests for the loss ops (to be written with the ops).
#include "ir/op_registry.h"

#include "gtest/gtest.h"

namespace gsopt::ir {
namespace {

TEST(LossShapeInferenceTest, RegistryLoads) { EXPECT_FALSE(OpRegistry::Global().AllSchemas().empty()); }

}  // namespace
}  // namespace gsopt::ir
