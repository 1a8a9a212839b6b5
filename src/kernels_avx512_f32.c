/* float twins of the AVX-512 kernels (see kernels_avx512.c). */
#include <immintrin.h>
#include <stddef.h>

#include "kernels.h"

int dnn_kernel_suits_f32(int M, int K)
{
    return dnn_kernel_suits(M, K);
}

#define REAL float
#define FN(name) name##_f32
#define VEC __m512
#define MASK __mmask16
#define LANES 16
#define TAIL_MASK tail_mask_ps
#define VZERO _mm512_setzero_ps
#define VLOAD _mm512_loadu_ps
#define VLOAD_MASKED _mm512_maskz_loadu_ps
#define VFMA _mm512_fmadd_ps
#define VSUM _mm512_reduce_add_ps
#define VSET1 _mm512_set1_ps
#define VSTORE_MASKED _mm512_mask_storeu_ps
#define VMUL _mm512_mul_ps
#include "kernels_impl.h"
