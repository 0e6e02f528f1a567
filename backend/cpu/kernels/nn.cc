// CPU kernels for the nn op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterNnKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
