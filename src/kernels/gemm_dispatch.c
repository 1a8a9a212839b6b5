/* gemm.h's choice of variant: by the CPU, or by DNN_ISA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm_variants.h"

static const char *const names[DNN_ISA_COUNT] = {"generic", "avx2", "avx512"};

const char *dnn_isa_name(dnn_isa isa)
{
    return isa >= 0 && isa < DNN_ISA_COUNT ? names[isa] : "unknown";
}

int dnn_isa_supported(dnn_isa isa)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (isa == DNN_ISA_AVX2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == DNN_ISA_AVX512)
        return __builtin_cpu_supports("avx512f");
#endif
    return isa == DNN_ISA_GENERIC;
}

static dnn_isa best_supported(void)
{
    for (int isa = DNN_ISA_COUNT - 1; isa > DNN_ISA_GENERIC; isa--)
        if (dnn_isa_supported((dnn_isa)isa))
            return (dnn_isa)isa;
    return DNN_ISA_GENERIC;
}

/* DNN_ISA's variant, or the best one (with a warning when DNN_ISA names another):
 * all give the same bits, so a fallback changes only the speed. */
static dnn_isa choose(void)
{
    const char *want = getenv("DNN_ISA");
    dnn_isa best = best_supported();
    if (!want || !*want)
        return best;
    for (int isa = 0; isa < DNN_ISA_COUNT; isa++) {
        if (strcmp(want, names[isa]) != 0)
            continue;
        if (dnn_isa_supported((dnn_isa)isa))
            return (dnn_isa)isa;
        fprintf(stderr, "dnn: warning: DNN_ISA=%s: this CPU cannot run it; using %s (the same "
                        "bits, another speed)\n", want, names[best]);
        return best;
    }
    fprintf(stderr, "dnn: warning: DNN_ISA=%s is not one of generic, avx2, avx512; using %s\n",
            want, names[best]);
    return best;
}

dnn_isa dnn_isa_chosen(void)
{
    static int chosen = -1; /* threads racing here compute the same value */
    int isa = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = (int)choose();
        __atomic_store_n(&chosen, isa, __ATOMIC_RELAXED);
    }
    return (dnn_isa)isa;
}

int dnn_gemm_f64_isa(dnn_isa isa, int M, int N, int K, double alpha, dnn_gemm_operand A,
                     dnn_gemm_operand B, double *C, int ldc)
{
#if defined(__x86_64__) /* the vector variants are built on x86-64 only */
    if (isa == DNN_ISA_AVX512)
        return dnn_gemm_f64_avx512(M, N, K, alpha, A, B, C, ldc);
    if (isa == DNN_ISA_AVX2)
        return dnn_gemm_f64_avx2(M, N, K, alpha, A, B, C, ldc);
#endif
    return dnn_gemm_f64_generic(M, N, K, alpha, A, B, C, ldc);
}

int dnn_gemm_f32_isa(dnn_isa isa, int M, int N, int K, float alpha, dnn_gemm_operand A,
                     dnn_gemm_operand B, float *C, int ldc)
{
#if defined(__x86_64__) /* the vector variants are built on x86-64 only */
    if (isa == DNN_ISA_AVX512)
        return dnn_gemm_f32_avx512(M, N, K, alpha, A, B, C, ldc);
    if (isa == DNN_ISA_AVX2)
        return dnn_gemm_f32_avx2(M, N, K, alpha, A, B, C, ldc);
#endif
    return dnn_gemm_f32_generic(M, N, K, alpha, A, B, C, ldc);
}

int dnn_gemm_f64(int M, int N, int K, double alpha, dnn_gemm_operand A, dnn_gemm_operand B,
                 double *C, int ldc)
{
    return dnn_gemm_f64_isa(dnn_isa_chosen(), M, N, K, alpha, A, B, C, ldc);
}

int dnn_gemm_f32(int M, int N, int K, float alpha, dnn_gemm_operand A, dnn_gemm_operand B,
                 float *C, int ldc)
{
    return dnn_gemm_f32_isa(dnn_isa_chosen(), M, N, K, alpha, A, B, C, ldc);
}

static int system_products = 0;

void dnn_products_use_system(int on)
{
    __atomic_store_n(&system_products, on != 0, __ATOMIC_RELAXED);
}

int dnn_products_system(void)
{
    return __atomic_load_n(&system_products, __ATOMIC_RELAXED);
}
