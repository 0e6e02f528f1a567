// Tests for the attention kernels (to be written with the kernels).
#include "backend/cpu/kernel.h"

#include "gtest/gtest.h"

namespace gsopt::backend::cpu {
namespace {

TEST(AttentionKernelsTest, RegistryLoads) { EXPECT_FALSE(KernelRegistry::Global().RegisteredOps().empty()); }

}  // namespace
}  // namespace gsopt::backend::cpu
