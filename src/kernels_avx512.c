/* AVX-512 kernels of kernels.h; the kernel files alone are compiled with -mavx512f,
 * and their kernels run only where the CPU reports AVX-512F (see dnn_kernel_suits). */
#include <immintrin.h>
#include <stddef.h>

#include "kernels.h"

int dnn_kernel_suits(int M, int K)
{
    return M <= DNN_KERNEL_MAX_UNITS && K >= 256 && __builtin_cpu_supports("avx512f");
}

#define REAL double
#define FN(name) name
#define NARROW 0
#define LOAD _mm512_loadu_pd
#define LOAD_MASKED _mm512_maskz_loadu_pd
#define STORE_MASKED _mm512_mask_storeu_pd
#include "kernels_impl.h"
