/* The AVX2 + FMA variant of gemm.h (compiled with -mavx2 -mfma, run only where the CPU
 * has both): tiles of 2 ymm rows (8 doubles, 16 floats) by 6 columns, 12 independent
 * accumulators for the FMA latency, 15 of the 16 registers. */
#include <immintrin.h>

#include "kernels/gemm_variants.h"

#define MR_VECS 2
#define NR 6
#define KC 256
#define NC 1020

#define REAL double
#define VEC __m256d
#define VLANES 4
#define VZERO() _mm256_setzero_pd()
#define VLOADU(p) _mm256_loadu_pd(p)
#define VSTOREU(p, v) _mm256_storeu_pd(p, v)
#define VBCAST(x) _mm256_set1_pd(x)
#define VFMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define VMUL(a, b) _mm256_mul_pd(a, b)
#define MC 96
#define CODE_VALUE(q) ((double)(q) / 255.0)
#define GEMM_NAME dnn_gemm_f64_avx2
#include "kernels/gemm_impl.h"
#undef REAL
#undef VEC
#undef VLANES
#undef VZERO
#undef VLOADU
#undef VSTOREU
#undef VBCAST
#undef VFMA
#undef VMUL
#undef MC
#undef CODE_VALUE
#undef GEMM_NAME

#define REAL float
#define VEC __m256
#define VLANES 8
#define VZERO() _mm256_setzero_ps()
#define VLOADU(p) _mm256_loadu_ps(p)
#define VSTOREU(p, v) _mm256_storeu_ps(p, v)
#define VBCAST(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define MC 192
#define CODE_VALUE(q) ((float)((double)(q) / 255.0))
#define GEMM_NAME dnn_gemm_f32_avx2
#include "kernels/gemm_impl.h"
