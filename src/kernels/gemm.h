#ifndef DNN_GEMM_H
#define DNN_GEMM_H

#include <stddef.h>
#include <stdint.h>

/* Matrix products whose bits depend on the operands alone: not on the CPU, the
 * instruction set, the tile sizes or the threads.
 *
 * C (M, N) = alpha · op(A) · op(B), column-major like BLAS, op(X) = X or Xᵀ:
 * op(A) is (M, K), op(B) is (K, N); C is overwritten (BLAS's beta = 0).
 *
 * THE ORDER IS THE SPEC. Every element is computed as
 *     acc = 0
 *     for k = 0, 1, ..., K-1:  acc = fma(op(A)[i,k], op(B)[k,j], acc)
 *     C[i,j] = alpha · acc     (one rounded multiply, always applied, also for alpha = 1)
 * where fma rounds once (IEEE 754 fusedMultiplyAdd) and all arithmetic is in the
 * element type (double, or float with fmaf). K = 0 gives alpha · 0. Every variant
 * below computes exactly this: SIMD lanes hold different elements of C (never parts
 * of one sum), and the blocking over k stores the running acc in C and resumes from it,
 * which changes no bit. So each element's value is a function of its row of op(A), its
 * column of op(B) and alpha only: a chunk, a thread or a CPU that computes it gets the
 * same bits. (The sequential chain costs accuracy against a pairwise tree only for
 * very long K: its error bound is gamma(K) · Σ|a·b|, the same as BLAS's.)
 *
 * Variants: generic (plain C with fma() from <math.h>, correctly rounded on any CPU),
 * avx2 (AVX2 + FMA) and avx512 (AVX-512F). The default is the best the CPU runs; the
 * environment variable DNN_ISA=generic|avx2|avx512 asks for one. Since all give the
 * same bits, a request the CPU cannot run (or a misspelt one) is not fatal: it falls
 * back to the best supported variant with one warning on stderr.
 *
 * 8-bit codes: an operand may be given as codes q with the value q / 255 (rounded to the
 * element type: in float, the double q / 255.0 rounded to float, as the loaders make
 * it), widened while packing; the result is the same as with the values themselves.
 * Codes are finite, so with codes in A a term whose op(B) value is ±0 changes no sum
 * (acc is never -0: it starts at +0 and an exact zero sum rounds to +0); such terms
 * may be skipped (the first layer's dW on the examples a ReLU leaves inactive).
 *
 * Returns 0, or -1 when the packing buffers cannot be allocated (C is then undefined). */

typedef enum { DNN_ISA_GENERIC, DNN_ISA_AVX2, DNN_ISA_AVX512, DNN_ISA_COUNT } dnn_isa;

/* One operand: values (f64 or f32, by the product's type) or 8-bit codes, leading
 * dimension ld, transposed or not. */
typedef struct {
    const void *values;
    const uint8_t *codes;
    int ld;
    int trans;
} dnn_gemm_operand;

static inline dnn_gemm_operand dnn_gemm_values(const void *values, int ld, int trans)
{
    dnn_gemm_operand o = {values, NULL, ld, trans};
    return o;
}

static inline dnn_gemm_operand dnn_gemm_codes(const uint8_t *codes, int ld, int trans)
{
    dnn_gemm_operand o = {NULL, codes, ld, trans};
    return o;
}

int dnn_gemm_f64(int M, int N, int K, double alpha, dnn_gemm_operand A, dnn_gemm_operand B,
                 double *C, int ldc);
int dnn_gemm_f32(int M, int N, int K, float alpha, dnn_gemm_operand A, dnn_gemm_operand B,
                 float *C, int ldc);

/* The variant the products use: DNN_ISA if set and runnable, else the best. */
dnn_isa dnn_isa_chosen(void);
const char *dnn_isa_name(dnn_isa isa);
/* Whether this build and this CPU run a variant. */
int dnn_isa_supported(dnn_isa isa);

/* One given variant, for the tests (isa must be supported). */
int dnn_gemm_f64_isa(dnn_isa isa, int M, int N, int K, double alpha, dnn_gemm_operand A,
                     dnn_gemm_operand B, double *C, int ldc);
int dnn_gemm_f32_isa(dnn_isa isa, int M, int N, int K, float alpha, dnn_gemm_operand A,
                     dnn_gemm_operand B, float *C, int ldc);

/* The products of the layers: 0 (the default) these fixed-order ones; 1 the system BLAS
 * and the AVX-512 kernels of kernels.h, faster on some layers but with bits that are
 * this machine's (the summation order of OpenBLAS depends on its CPU kernel). */
void dnn_products_use_system(int on);
int dnn_products_system(void);

#endif
