#ifndef DNN_DROPOUT_H
#define DNN_DROPOUT_H

#include <stdint.h>

/* Inverted dropout on the hidden layers, as the course writes it: A = A · D / keep_prob
 * in the forward pass, dA = dA · D / keep_prob in the backward pass, D the mask of
 * units kept. The mask is counter-based (dnn/counter_rng.h): unit u of hidden layer l
 * for the example of global index g at step t is kept when
 * uniform(absorb(... (DROPOUT, seed), t), l), g), u)) < keep_prob, so it depends on the
 * example, never on where it is computed (rank, thread, chunk, position in a batch).
 * A cache whose dropout is NULL, or keep_prob 1, drops nothing. */
typedef struct {
    double keep_prob; /* (0, 1] */
    uint64_t seed;
    uint64_t step;      /* t: updates made before this one */
    long first;         /* the global index of the pass's column 0 when index is NULL */
    const long *index;  /* NULL, or each column's global index is first + index[j] */
} dnn_dropout;

/* Whether d drops anything. */
static inline int dnn_dropout_active(const dnn_dropout *d)
{
    return d && d->keep_prob < 1.0;
}

/* The mask of hidden layer `layer` on X (n units, m columns, column-major):
 * x = keep ? x / keep_prob : 0. */
void dnn_dropout_apply(const dnn_dropout *d, int layer, int n, int m, double *X);
void dnn_dropout_apply_f32(const dnn_dropout *d, int layer, int n, int m, float *X);

#endif
