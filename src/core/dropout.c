/* Inverted dropout masks (include/dnn/dropout.h): one hash per element, from a key
 * that absorbs (seed, step, layer) once per call and the example once per column. */
#include "dnn/dropout.h"

#include <stddef.h>

#include "dnn/counter_rng.h"

static uint64_t layer_key(const dnn_dropout *d, int layer)
{
    uint64_t k = dnn_counter_absorb(DNN_STREAM_DROPOUT, d->seed);
    k = dnn_counter_absorb(k, d->step);
    return dnn_counter_absorb(k, (uint64_t)layer);
}

static uint64_t column_key(const dnn_dropout *d, uint64_t layer, int j)
{
    long g = d->first + (d->index ? d->index[j] : j);
    return dnn_counter_absorb(layer, (uint64_t)g);
}

void dnn_dropout_apply(const dnn_dropout *d, int layer, int n, int m, double *X)
{
    if (!dnn_dropout_active(d))
        return;
    uint64_t lk = layer_key(d, layer);
    for (int j = 0; j < m; j++) {
        uint64_t ck = column_key(d, lk, j);
        double *x = X + (size_t)j * (size_t)n;
        for (int u = 0; u < n; u++)
            x[u] = dnn_counter_uniform(dnn_counter_absorb(ck, (uint64_t)u)) < d->keep_prob
                       ? x[u] / d->keep_prob
                       : 0.0;
    }
}

void dnn_dropout_apply_f32(const dnn_dropout *d, int layer, int n, int m, float *X)
{
    if (!dnn_dropout_active(d))
        return;
    uint64_t lk = layer_key(d, layer);
    for (int j = 0; j < m; j++) {
        uint64_t ck = column_key(d, lk, j);
        float *x = X + (size_t)j * (size_t)n;
        for (int u = 0; u < n; u++)
            x[u] = dnn_counter_uniform(dnn_counter_absorb(ck, (uint64_t)u)) < d->keep_prob
                       ? (float)((double)x[u] / d->keep_prob)
                       : 0.0f;
    }
}
