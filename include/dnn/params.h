#ifndef DNN_PARAMS_H
#define DNN_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/status.h"

/* Storage convention: activations and data (n, m) are column-major, one example per
 * contiguous column. Weights are row-major, numpy's own order: W[l] (dims[l], dims[l-1])
 * has element (i, j) at W[l][i * dims[l-1] + j], so row i (one unit's weights) is
 * contiguous and the arena holds exactly W1.tobytes(), b1.tobytes(), ... of numpy.
 *
 * All parameters live in one arena in the order W1, b1, W2, b2, ..., WL, bL;
 * W[l] and b[l] (l = 1..L; index 0 unused) are views into it. Gradients use
 * a second dnn_params of the same layout, so one loop updates everything. */
typedef struct {
    int L;          /* number of weight layers */
    int *dims;      /* L + 1 layer widths; dims[0] is the input width */
    size_t count;   /* doubles in the arena */
    double *arena;
    double **W;     /* W[l]: (dims[l], dims[l-1]) */
    double **b;     /* b[l]: (dims[l], 1) */
} dnn_params;

typedef enum {
    DNN_INIT_NORMAL_001, /* randn * 0.01               (the course's step-by-step) */
    DNN_INIT_LECUN,      /* randn / sqrt(dims[l-1])    (the course's application) */
    DNN_INIT_HE          /* randn * sqrt(2 / dims[l-1]) */
} dnn_init;

/* Zero-filled parameters for layer widths dims[0..L]; NULL on bad sizes or no memory. */
dnn_params *dnn_params_new(int L, const int *dims);
/* The same with `spare` more zero-filled doubles after the last bias, at arena + count:
 * a value that travels with the arena (the trainer keeps a chunk's cost there). */
dnn_params *dnn_params_new_spare(int L, const int *dims, size_t spare);
void dnn_params_free(dnn_params **params);
/* Same layout as src (for gradients or a copy); zero-filled. */
dnn_params *dnn_params_new_like(const dnn_params *src);

/* Parses "normal-0.01", "lecun" or "he". */
dnn_status dnn_init_from_name(const char *name, dnn_init *init);
const char *dnn_init_name(dnn_init init);

/* numpy.random.seed(seed), then for l = 1..L: W[l] = randn(dims[l], dims[l-1]) scaled
 * per init; b[l] = 0. */
dnn_status dnn_initialize_parameters_deep(dnn_params *params, dnn_init init, uint32_t seed);
/* The course's two-layer initializer (n_x, n_h, n_y), randn * 0.01 after seed(1). */
dnn_params *dnn_initialize_parameters(int n_x, int n_h, int n_y);

/* params -= learning_rate * grads over the whole arena. */
dnn_status dnn_update_parameters(dnn_params *params, const dnn_params *grads,
                                 double learning_rate);

/* 64-bit FNV-1a over the arena as little-endian IEEE doubles, in arena order. */
uint64_t dnn_params_hash(const dnn_params *params);

#endif
