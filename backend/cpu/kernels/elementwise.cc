// CPU kernels for the elementwise op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterElementwiseKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
