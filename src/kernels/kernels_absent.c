/* The kernels of kernels.h on a CPU without x86-64's AVX-512 (an aarch64 build, see
 * launch/cross-aarch64): none suits any layer, so every product goes to BLAS, and the
 * functions that run a kernel are never called (their callers ask dnn_kernel_suits*
 * first); if one were, it says so and aborts rather than compute something else.
 * The portable fixed-order kernels of issue 22 replace this file when they land. */
#include "kernels/kernels.h"

#include <stdio.h>
#include <stdlib.h>

static void no_kernels(const char *name)
{
    fprintf(stderr, "dnn: %s called in a build without kernels (a caller skipped "
                    "dnn_kernel_suits)\n", name);
    abort();
}

int dnn_kernel_suits(int M, int K)
{
    (void)M, (void)K;
    return 0;
}

int dnn_kernel_suits_codes(int M, int N, int K)
{
    (void)M, (void)N, (void)K;
    return 0;
}

int dnn_kernel_suits_f32(int M, int K)
{
    (void)M, (void)K;
    return 0;
}

size_t dnn_kernel_codes_work(int N)
{
    (void)N;
    return 1;
}

int dnn_kernel_codes_block(void)
{
    return 1;
}

void dnn_kernel_codes_repeating(int on)
{
    (void)on;
}

int dnn_kernel_forward_roundings(int K)
{
    return K + 1;
}

int dnn_kernel_forward_roundings_f32(int K)
{
    return K + 2;
}

void dnn_kernel_forward(int M, int N, int K, const double *W, const double *X, double *Z)
{
    (void)M, (void)N, (void)K, (void)W, (void)X, (void)Z;
    no_kernels(__func__);
}

void dnn_kernel_weight_gradient(int M, int N, int K, double scale, const double *dZ,
                                const double *X, double *dW)
{
    (void)M, (void)N, (void)K, (void)scale, (void)dZ, (void)X, (void)dW;
    no_kernels(__func__);
}

void dnn_kernel_forward_codes(int M, int N, int K, const double *W, const uint8_t *Q, double *Z,
                              double *work)
{
    (void)M, (void)N, (void)K, (void)W, (void)Q, (void)Z, (void)work;
    no_kernels(__func__);
}

void dnn_kernel_weight_gradient_codes(int M, int N, int K, double scale, const double *dZ,
                                      const uint8_t *Q, double *dW, double *work)
{
    (void)M, (void)N, (void)K, (void)scale, (void)dZ, (void)Q, (void)dW, (void)work;
    no_kernels(__func__);
}

void dnn_kernel_forward_codes_part(int M, int N, int K, int k_begin, int k_end, const double *W,
                                   const uint8_t *Q, double *Z, size_t block_stride,
                                   double *work)
{
    (void)M, (void)N, (void)K, (void)k_begin, (void)k_end, (void)W, (void)Q, (void)Z;
    (void)block_stride, (void)work;
    no_kernels(__func__);
}

void dnn_kernel_weight_gradient_codes_part(int M, int N, int K, int k_begin, int k_end,
                                           double scale, const double *dZ, const uint8_t *Q,
                                           double *dW, double *work, double *magnitudes)
{
    (void)M, (void)N, (void)K, (void)k_begin, (void)k_end, (void)scale, (void)dZ, (void)Q;
    (void)dW, (void)work, (void)magnitudes;
    no_kernels(__func__);
}

void dnn_kernel_forward_f32(int M, int N, int K, const float *W, const float *X, float *Z)
{
    (void)M, (void)N, (void)K, (void)W, (void)X, (void)Z;
    no_kernels(__func__);
}

void dnn_kernel_weight_gradient_f32(int M, int N, int K, double scale, const float *dZ,
                                    const float *X, float *dW)
{
    (void)M, (void)N, (void)K, (void)scale, (void)dZ, (void)X, (void)dW;
    no_kernels(__func__);
}
