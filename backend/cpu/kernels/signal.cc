// CPU kernels for the signal op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterSignalKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
