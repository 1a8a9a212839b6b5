#ifndef DNN_F32_H
#define DNN_F32_H

#include <stddef.h>

#include "dnn/dropout.h"
#include "dnn/layers.h"
#include "dnn/params.h"

/* float32 twins of the layer and network functions, for dnn-train --dtype f32:
 * same shapes, layouts and semantics as their double originals (dnn/layers.h,
 * dnn/model.h), named with an _f32 suffix. Costs are returned as double sums. */
typedef struct {
    int L;
    int *dims;
    size_t count;
    float *arena;
    float **W;
    float **b;
} dnn_params_f32;

typedef struct {
    int L, capacity, m;
    const float *A0;
    float **Z, **A;
    float *dA, *dA_prev;
    const dnn_dropout *dropout; /* as dnn_cache's */
} dnn_cache_f32;

dnn_params_f32 *dnn_params_f32_new(int L, const int *dims);
void dnn_params_f32_free(dnn_params_f32 **params);
/* dst = (float)src, element by element; same layer sizes. */
dnn_status dnn_params_f32_round(dnn_params_f32 *dst, const dnn_params *src);
/* The same, and the Euclidean norm of each row of src's weights (one per unit, layer
 * by layer: dims[1] + ... + dims[L] doubles) into row_norms, in the same pass. */
dnn_status dnn_params_f32_round_norms(dnn_params_f32 *dst, const dnn_params *src,
                                      double *row_norms);

/* dnn_L_model_forward_f32 (m examples X in float) whose ReLU decisions are those of
 * double precision: a hidden pre-activation whose float value lies within its
 * rounding-error bound of 0 is recomputed in double from params64 and the layer's
 * input (X64, the examples in double, for the first layer; the float activations for
 * the others) and its sign and value taken from there. A float run then follows the
 * double run's ReLU derivatives instead of flipping one where rounding crosses 0.
 * row_norms: params64's weight row norms (dnn_params_f32_round_norms); x_norms:
 * each example's Euclidean norm (of X64, or of X when X64 is NULL, which then stands
 * for it), or NULL to compute them; recomputed (or NULL) is increased by the number
 * of recomputed pre-activations. */
dnn_status dnn_L_model_forward_f32_checked(const dnn_params_f32 *params32,
                                           const dnn_params *params64, const double *row_norms,
                                           const float *X, const double *X64,
                                           const double *x_norms, int m, dnn_cache_f32 *cache,
                                           long *recomputed);

dnn_status dnn_sigmoid_f32(size_t count, const float *Z, float *A);
dnn_status dnn_relu_f32(size_t count, const float *Z, float *A);
dnn_status dnn_sigmoid_backward_f32(size_t count, const float *dA, const float *Z, float *dZ);
dnn_status dnn_relu_backward_f32(size_t count, const float *dA, const float *Z, float *dZ);
dnn_status dnn_linear_forward_f32(int n, int n_prev, int m, const float *A, const float *W,
                                  const float *b, float *Z);
dnn_status dnn_linear_activation_forward_f32(int n, int n_prev, int m, const float *A_prev,
                                             const float *W, const float *b,
                                             dnn_activation activation, float *Z, float *A);
dnn_status dnn_linear_backward_scaled_f32(int n, int n_prev, int m, const float *dZ,
                                          const float *A_prev, const float *W, double scale,
                                          float *dA_prev, float *dW, float *db);
dnn_status dnn_linear_backward_f32(int n, int n_prev, int m, const float *dZ,
                                   const float *A_prev, const float *W, float *dA_prev,
                                   float *dW, float *db);
dnn_status dnn_linear_activation_backward_scaled_f32(int n, int n_prev, int m, const float *dA,
                                                     const float *Z, const float *A_prev,
                                                     const float *W, dnn_activation activation,
                                                     double scale, float *dZ, float *dA_prev,
                                                     float *dW, float *db);
dnn_status dnn_linear_activation_backward_f32(int n, int n_prev, int m, const float *dA,
                                              const float *Z, const float *A_prev,
                                              const float *W, dnn_activation activation,
                                              float *dZ, float *dA_prev, float *dW, float *db);
dnn_status dnn_cross_entropy_sum_f32(int m, const float *AL, const float *Y, double *sum);
dnn_status dnn_compute_cost_f32(int m, const float *AL, const float *Y, double *cost);
dnn_status dnn_cost_backward_f32(int m, const float *AL, const float *Y, float *dAL);

dnn_cache_f32 *dnn_cache_new_f32(const dnn_params_f32 *params, int capacity);
void dnn_cache_free_f32(dnn_cache_f32 **cache);
dnn_status dnn_L_model_forward_f32(const dnn_params_f32 *params, const float *X, int m,
                                   dnn_cache_f32 *cache);
dnn_status dnn_L_model_backward_scaled_f32(const dnn_params_f32 *params, dnn_cache_f32 *cache,
                                           const float *AL, const float *Y, double scale,
                                           dnn_params_f32 *grads, float *dA0);
dnn_status dnn_L_model_backward_f32(const dnn_params_f32 *params, dnn_cache_f32 *cache,
                                    const float *AL, const float *Y, dnn_params_f32 *grads,
                                    float *dA0);
dnn_status dnn_predict_f32(const dnn_params_f32 *params, const float *X, int m,
                           dnn_cache_f32 *cache, float *predictions);

#endif
