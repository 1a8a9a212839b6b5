#ifndef DNN_RNG_H
#define DNN_RNG_H

#include <stdint.h>

/* MT19937 reproducing numpy's legacy RandomState bit for bit:
 * dnn_rng_seed(r, n) == numpy.random.seed(n) for 0 <= n < 2^32,
 * dnn_rng_uniform == random_sample(), dnn_rng_normal == randn()
 * (polar method; the second value of each pair is kept for the next call). */
typedef struct {
    uint32_t key[624];
    int pos;
    int has_gauss;
    double gauss;
} dnn_rng;

void dnn_rng_seed(dnn_rng *rng, uint32_t seed);
uint32_t dnn_rng_uint32(dnn_rng *rng);
double dnn_rng_uniform(dnn_rng *rng);          /* [0, 1), 53 random bits */
double dnn_rng_normal(dnn_rng *rng);           /* standard normal */
/* Fills count values in numpy's order: randn(rows, cols) row by row. */
void dnn_rng_normal_fill(dnn_rng *rng, double *out, long count);

#endif
