// CPU kernels for the loss op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterLossKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
