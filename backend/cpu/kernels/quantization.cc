// CPU kernels for the quantization op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterQuantizationKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
