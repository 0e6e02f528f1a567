// CPU kernels for the attention op family (placeholder: filled in next).
#include "backend/cpu/kernel.h"

namespace gsopt::backend::cpu {

void RegisterAttentionKernels(KernelRegistry& registry) {}

}  // namespace gsopt::backend::cpu
