#ifndef DNN_LAYERS_H
#define DNN_LAYERS_H

#include <stddef.h>

#include "dnn/status.h"

/* The course's per-layer functions. Shapes are (rows, columns); activations, Z and
 * their gradients are column-major (one example per column), W and dW row-major
 * (see dnn/params.h); m = number of examples (columns). Output buffers are caller-owned and may not
 * alias inputs unless said. */

typedef enum { DNN_RELU, DNN_SIGMOID } dnn_activation;

/* The matrix products of every layer function below (and so of every model and trainer
 * function): by default fixed-order kernels of our own (src/kernels/gemm.h) whose
 * results are the same bits on every x86-64 CPU, for every instruction-set level
 * (DNN_ISA=generic|avx2|avx512 forces one). on = 1: the system's BLAS (OpenBLAS) and the
 * AVX-512 first-layer kernels instead, faster on some shapes, with bits that are this
 * machine's and this BLAS's. Set it before any training or prediction starts. */
void dnn_use_system_blas(int on);

/* A = 1 / (1 + exp(-Z)), count elements; A may alias Z. */
dnn_status dnn_sigmoid(size_t count, const double *Z, double *A);
/* A = max(0, Z), count elements; A may alias Z. */
dnn_status dnn_relu(size_t count, const double *Z, double *A);
/* dZ = dA * s * (1 - s) with s = sigmoid(Z); dZ may alias dA. */
dnn_status dnn_sigmoid_backward(size_t count, const double *dA, const double *Z, double *dZ);
/* dZ = dA where Z > 0, else 0; dZ may alias dA. */
dnn_status dnn_relu_backward(size_t count, const double *dA, const double *Z, double *dZ);

/* Z (n, m) = W (n, n_prev) · A (n_prev, m) + b (n, 1). */
dnn_status dnn_linear_forward(int n, int n_prev, int m, const double *A, const double *W,
                              const double *b, double *Z);
/* Z as above (kept as the activation cache), A (n, m) = activation(Z). */
dnn_status dnn_linear_activation_forward(int n, int n_prev, int m, const double *A_prev,
                                         const double *W, const double *b,
                                         dnn_activation activation, double *Z, double *A);

/* dW (n, n_prev) = scale · dZ · A_prevᵀ, db (n, 1) = scale · Σ_columns dZ,
 * dA_prev (n_prev, m) = Wᵀ · dZ (skipped when dA_prev is NULL).
 * The course's linear_backward is scale = 1/m; a scale of 1 gives sums over examples. */
dnn_status dnn_linear_backward_scaled(int n, int n_prev, int m, const double *dZ,
                                      const double *A_prev, const double *W, double scale,
                                      double *dA_prev, double *dW, double *db);
/* The course's linear_backward: scale = 1/m. */
dnn_status dnn_linear_backward(int n, int n_prev, int m, const double *dZ, const double *A_prev,
                               const double *W, double *dA_prev, double *dW, double *db);
/* dZ (n, m) = activation_backward(dA, Z), then linear_backward with scale.
 * dZ is caller-provided workspace and may alias dA. */
dnn_status dnn_linear_activation_backward_scaled(int n, int n_prev, int m, const double *dA,
                                                 const double *Z, const double *A_prev,
                                                 const double *W, dnn_activation activation,
                                                 double scale, double *dZ, double *dA_prev,
                                                 double *dW, double *db);
/* The course's linear_activation_backward: scale = 1/m. */
dnn_status dnn_linear_activation_backward(int n, int n_prev, int m, const double *dA,
                                          const double *Z, const double *A_prev,
                                          const double *W, dnn_activation activation,
                                          double *dZ, double *dA_prev, double *dW, double *db);

/* Σ over m examples of the binary cross-entropy -(y log a + (1 - y) log(1 - a)).
 * Never inf or NaN for a in [0, 1] and y in [0, 1]: a term whose weight (y or 1 - y)
 * is exactly 0 is left out instead of computing 0 · log(0), and log's argument is
 * clamped below at the smallest positive double (so a certain wrong prediction costs
 * about 744.4). Wherever numpy's course formula is finite, the terms are the same. */
dnn_status dnn_cross_entropy_sum(int m, const double *AL, const double *Y, double *sum);
/* The course's compute_cost: the sum above divided by m. */
dnn_status dnn_compute_cost(int m, const double *AL, const double *Y, double *cost);
/* dAL (m) = -(Y / AL - (1 - Y) / (1 - AL)), leaving out a quotient whose
 * numerator is exactly 0 (same values as numpy's wherever numpy's are finite). */
dnn_status dnn_cost_backward(int m, const double *AL, const double *Y, double *dAL);

#endif
