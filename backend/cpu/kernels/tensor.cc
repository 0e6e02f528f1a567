// CPU kernels for the tensor op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterTensorKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
