/* The AVX-512 variant of gemm.h (compiled with -mavx512f, run only where the CPU has
 * it): tiles of 3 zmm rows (24 doubles, 48 floats) by 8 columns, 24 independent
 * accumulators for the FMA latency, 28 of the 32 registers. */
#include <immintrin.h>

#include "kernels/gemm_variants.h"

#define MR_VECS 3
#define NR 8
#define KC 256
#define NC 1024

#define REAL double
#define VEC __m512d
#define VLANES 8
#define VZERO() _mm512_setzero_pd()
#define VLOADU(p) _mm512_loadu_pd(p)
#define VSTOREU(p, v) _mm512_storeu_pd(p, v)
#define VBCAST(x) _mm512_set1_pd(x)
#define VFMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define VMUL(a, b) _mm512_mul_pd(a, b)
#define MC 96
#define CODE_VALUE(q) ((double)(q) / 255.0)
#define GEMM_NAME dnn_gemm_f64_avx512
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
#define VEC __m512
#define VLANES 16
#define VZERO() _mm512_setzero_ps()
#define VLOADU(p) _mm512_loadu_ps(p)
#define VSTOREU(p, v) _mm512_storeu_ps(p, v)
#define VBCAST(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VMUL(a, b) _mm512_mul_ps(a, b)
#define MC 192
#define CODE_VALUE(q) ((float)((double)(q) / 255.0))
#define GEMM_NAME dnn_gemm_f32_avx512
#include "kernels/gemm_impl.h"
