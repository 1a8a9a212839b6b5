/* AVX-512 kernels of kernels.h; the kernel files alone are compiled with -mavx512f,
 * and their kernels run only where the CPU reports AVX-512F (see dnn_kernel_suits). */
#include <immintrin.h>
#include <stddef.h>

#include "kernels.h"

int dnn_kernel_suits(int M, int K)
{
    return M <= 64 && K >= 256 && __builtin_cpu_supports("avx512f");
}

#define REAL double
#define FN(name) name
#define VEC __m512d
#define MASK __mmask8
#define LANES 8
#define TAIL_MASK tail_mask_pd
#define VZERO _mm512_setzero_pd
#define VLOAD _mm512_loadu_pd
#define VLOAD_MASKED _mm512_maskz_loadu_pd
#define VFMA _mm512_fmadd_pd
#define VSUM _mm512_reduce_add_pd
#define VSET1 _mm512_set1_pd
#define VSTORE_MASKED _mm512_mask_storeu_pd
#define VMUL _mm512_mul_pd
#include "kernels_impl.h"
