// The f32 GEMM, delegated to oneDNN (see gemm.h for why).
#include "backend/cpu/kernels/gemm.h"

#include <dnnl.h>

#include "ir/check.h"

namespace gsopt::backend::cpu {

template <>
void Gemm<float>(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                 int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  // An empty inner dimension leaves only beta * C; no need to call oneDNN.
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    }
    return;
  }
  dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb,
                                    beta, c, ldc);
  GSOPT_CHECK(status == dnnl_success) << "dnnl_sgemm failed with status " << static_cast<int>(status);
}

}  // namespace gsopt::backend::cpu
