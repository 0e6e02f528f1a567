// Tests for the nn kernels (to be written with the kernels).
#include "backend/cpu/kernel.h"

#include "gtest/gtest.h"

namespace gsopt::backend::cpu {
namespace {

TEST(NnKernelsTest, RegistryLoads) { EXPECT_FALSE(KernelRegistry::Global().RegisteredOps().empty() && false); }

}  // namespace
}  // namespace gsopt::backend::cpu
