#ifndef DNN_MODEL_H
#define DNN_MODEL_H

#include <stdint.h>

#include "dnn/dropout.h"
#include "dnn/layers.h"
#include "dnn/params.h"

/* The whole network: [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID.
 *
 * A cache holds what the backward pass needs for up to capacity examples:
 * Z[l] and A[l] (dims[l], m) for l = 1..L, and A[0], which points at the
 * caller's input X (not owned). Backward workspace lives here too, so a
 * forward/backward pair allocates nothing. */
typedef struct {
    int L;
    int capacity;     /* most examples (columns) it can hold */
    int m;            /* examples in the last forward pass */
    const double *A0; /* the input of the last forward pass */
    const uint8_t *A0_codes; /* the same as 8-bit codes (dnn_L_model_forward_codes), or NULL */
    double **Z;       /* Z[l] (dims[l], capacity), l = 1..L */
    double **A;       /* A[l] (dims[l], capacity), l = 1..L; A[0] unused */
    double *dA;       /* workspace: (max width, capacity) */
    double *dA_prev;  /* workspace: (max width, capacity) */
    double *codes_work; /* workspace of the first layer's kernels on 8-bit codes */
    const dnn_dropout *dropout; /* NULL, or the hidden layers' dropout in both passes */
} dnn_cache;

dnn_cache *dnn_cache_new(const dnn_params *params, int capacity);
void dnn_cache_free(dnn_cache **cache);

/* Forward pass of m examples X (dims[0], m); AL = cache->A[L] (1, m). */
dnn_status dnn_L_model_forward(const dnn_params *params, const double *X, int m,
                               dnn_cache *cache);

/* The same, with X also given as 8-bit codes Q, X = Q / 255 (dnn_dataset's X_codes):
 * the first layer's products read Q, in this pass and the backward pass after it,
 * where the AVX-512 kernels suit it. The same bits as dnn_L_model_forward. */
dnn_status dnn_L_model_forward_codes(const dnn_params *params, const double *X,
                                     const uint8_t *Q, int m, dnn_cache *cache);

/* Backward pass from the output AL (1, m) and labels Y (1, m), using cache->Z,
 * cache->A and cache->A0 as the course's caches. grads gets dW[l] and db[l] times
 * scale (the course: scale = 1/m; 1 gives sums over the examples). When dA0 is not
 * NULL, it receives the gradient with respect to the input (dims[0], m); when NULL,
 * that product is skipped. */
dnn_status dnn_L_model_backward_scaled(const dnn_params *params, dnn_cache *cache,
                                       const double *AL, const double *Y, double scale,
                                       dnn_params *grads, double *dA0);
/* The course's L_model_backward: scale = 1/m. */
dnn_status dnn_L_model_backward(const dnn_params *params, dnn_cache *cache, const double *AL,
                                const double *Y, dnn_params *grads, double *dA0);

/* predictions[j] = 1 when AL[j] > 0.5 else 0 (the course's predict). */
dnn_status dnn_predict(const dnn_params *params, const double *X, int m, dnn_cache *cache,
                       double *predictions);

#endif
