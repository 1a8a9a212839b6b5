#ifndef DNN_GEMM_VARIANTS_H
#define DNN_GEMM_VARIANTS_H

#include "kernels/gemm.h"

/* The variants behind gemm.h's dispatch (gemm_dispatch.c), one per file, each compiled
 * for its instruction set. The same contract and the same bits as dnn_gemm_f64/_f32. */
#define DNN_GEMM_DECLARE(isa)                                                               \
    int dnn_gemm_f64_##isa(int M, int N, int K, double alpha, dnn_gemm_operand A,           \
                           dnn_gemm_operand B, double *C, int ldc);                         \
    int dnn_gemm_f32_##isa(int M, int N, int K, float alpha, dnn_gemm_operand A,            \
                           dnn_gemm_operand B, float *C, int ldc);
DNN_GEMM_DECLARE(generic)
DNN_GEMM_DECLARE(avx2)
DNN_GEMM_DECLARE(avx512)
#undef DNN_GEMM_DECLARE

#endif
