// The one matrix-product routine the CPU kernels share (MatMul, Gemm, Conv
// and ConvTranspose via im2col/col2im, Einsum, Attention):
// C = alpha * op(A) * op(B) + beta * C, row-major, with leading dimensions.
//
// The f32 case goes through oneDNN's dnnl_sgemm: ResNet-50 and BERT spend
// nearly all their time in GEMMs, and a tuned, multi-threaded sgemm is an
// order of magnitude faster than any loop nest written here, while its fixed
// decomposition keeps results deterministic. f64 and the integer types use a
// plain loop nest, which is exact enough and rarely on a hot path.
#ifndef GSOPT_BACKEND_CPU_KERNELS_GEMM_H_
#define GSOPT_BACKEND_CPU_KERNELS_GEMM_H_

#include <cstdint>

namespace gsopt::backend::cpu {

// op(A) is m x k (A is k x m when trans_a), op(B) is k x n (B is n x k when
// trans_b), C is m x n. beta == 0 ignores C's prior contents (NaNs included).
template <typename T>
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* c_row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) c_row[j] = beta == T(0) ? T(0) : static_cast<T>(beta * c_row[j]);
    if (!trans_b) {
      for (int64_t p = 0; p < k; ++p) {
        T a_ip = trans_a ? a[p * lda + i] : a[i * lda + p];
        if (alpha != T(1)) a_ip = static_cast<T>(alpha * a_ip);
        const T* b_row = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) c_row[j] += a_ip * b_row[j];
      }
    } else {
      for (int64_t j = 0; j < n; ++j) {
        const T* b_row = b + j * ldb;
        T sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += (trans_a ? a[p * lda + i] : a[i * lda + p]) * b_row[p];
        c_row[j] += alpha == T(1) ? sum : static_cast<T>(alpha * sum);
      }
    }
  }
}

// oneDNN's sgemm (gemm.cc).
template <>
void Gemm<float>(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                 int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace gsopt::backend::cpu

#endif  // GSOPT_BACKEND_CPU_KERNELS_GEMM_H_
