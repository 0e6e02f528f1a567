// CPU kernels for the vision op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterVisionKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
