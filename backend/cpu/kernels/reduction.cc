// CPU kernels for the reduction op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterReductionKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
