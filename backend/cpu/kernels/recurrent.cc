// CPU kernels for the recurrent op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterRecurrentKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
