#ifndef DNN_KERNELS_H
#define DNN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Products for layers with few units and many inputs (the course's first layer:
 * 20 units x 12288 inputs), where BLAS reaches a third of the machine's peak.
 * W and dW are row-major (M, K); X, Z and dZ column-major with N columns. Each
 * output element is summed in an order that depends only on K, never on N or on
 * which thread runs it. */

enum { DNN_KERNEL_MAX_UNITS = 64 };

/* Whether the AVX-512 kernels can run on this CPU and suit an (M, K) layer. */
int dnn_kernel_suits(int M, int K);

/* Z (M, N) = W (M, K) · X (K, N). */
void dnn_kernel_forward(int M, int N, int K, const double *W, const double *X, double *Z);

/* dW (M, K) = scale · dZ (M, N) · Xᵀ, for finite X: an example whose dZ is zero on a
 * whole tile of units is skipped there, which leaves the bits unchanged (see
 * kernels_impl.h) and halves the work on the course's ReLU layer. */
void dnn_kernel_weight_gradient(int M, int N, int K, double scale, const double *dZ,
                                const double *X, double *dW);

/* The most roundings any product term of dnn_kernel_forward's sums goes through for K
 * inputs: the accumulation chain, the sum of the lanes, the blocks' adds. */
int dnn_kernel_forward_roundings(int K);

/* The same products, with the same bits, for X given as 8-bit codes Q (the course's
 * pixels): X = Q / 255 exactly, widened as it streams in, an eighth of X's bytes.
 * work: dnn_kernel_codes_work(N) doubles of scratch. */
int dnn_kernel_suits_codes(int M, int N, int K);
size_t dnn_kernel_codes_work(int N);
void dnn_kernel_forward_codes(int M, int N, int K, const double *W, const uint8_t *Q, double *Z,
                              double *work);
void dnn_kernel_weight_gradient_codes(int M, int N, int K, double scale, const double *dZ,
                                      const uint8_t *Q, double *dW, double *work);
/* The same products over the inputs [k_begin, k_end) only, for threads that share a
 * layer by inputs; k_begin is a multiple of dnn_kernel_codes_block(). The forward
 * part's blocks of inputs are summed as dnn_kernel_forward_codes sums them: with
 * block_stride 0 into Z, from zero; otherwise each block's sums alone, block b at
 * Z + b · block_stride, for the caller to add to Z in block order (the same bits as
 * one call over all the inputs). dW: only its columns [k_begin, k_end) are written;
 * magnitudes (NULL, or two doubles) take the largest and the smallest non-zero
 * magnitude of the values written where those are larger and smaller (INFINITY for a
 * NaN or Inf, and when none is non-zero). */
int dnn_kernel_codes_block(void);
void dnn_kernel_forward_codes_part(int M, int N, int K, int k_begin, int k_end, const double *W,
                                   const uint8_t *Q, double *Z, size_t block_stride,
                                   double *work);
void dnn_kernel_weight_gradient_codes_part(int M, int N, int K, int k_begin, int k_end,
                                           double scale, const double *dZ, const uint8_t *Q,
                                           double *dW, double *work, double *magnitudes);
/* Tests: 0 widens the codes with AVX-512F instructions alone, 1 (the default) with
 * byte permutes where the CPU has them (the same doubles, a third faster). */
void dnn_kernel_codes_repeating(int on);

/* float twins: the same products of float arrays, with every sum kept in double and
 * each result rounded to float once. */
int dnn_kernel_suits_f32(int M, int K);
void dnn_kernel_forward_f32(int M, int N, int K, const float *W, const float *X, float *Z);
void dnn_kernel_weight_gradient_f32(int M, int N, int K, double scale, const float *dZ,
                                    const float *X, float *dW);
int dnn_kernel_forward_roundings_f32(int K);

#endif
