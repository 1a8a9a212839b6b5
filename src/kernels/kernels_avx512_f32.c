/* The AVX-512 kernels (see kernels_avx512.c) on float arrays, in double lanes: a
 * float's widening is exact, and so is the product of two; the sums are double's,
 * and each result is rounded to float once. Float lanes ran the course's cat run
 * about 1.6 times as fast, but their rounding moved its float32 training off double's
 * trajectory (run 7 in the history of BENCHMARKS.md: git log -p BENCHMARKS.md). */
#include <immintrin.h>
#include <stddef.h>

#include "kernels/kernels.h"

int dnn_kernel_suits_f32(int M, int K)
{
    return dnn_kernel_suits(M, K);
}

#define REAL float
#define FN(name) name##_f32
#define NARROW 1
#define LOAD(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define LOAD_MASKED(m, p)                                                                  \
    _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)(m), (p))))
#define STORE_MASKED(p, m, v)                                                              \
    _mm512_mask_storeu_ps((p), (__mmask16)(m), _mm512_castps256_ps512(_mm512_cvtpd_ps(v)))
#include "kernels/kernels_impl.h"
