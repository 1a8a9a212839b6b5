/* The epoch's order of the examples (include/dnn/counter_rng.h). */
#include "dnn/counter_rng.h"

#include <stdlib.h>

typedef struct {
    uint64_t key;
    long index;
} keyed;

static int by_key_then_index(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

int dnn_epoch_order(uint64_t seed, uint64_t epoch, long m, long *order)
{
    if (m <= 0)
        return 0;
    keyed *k = malloc((size_t)m * sizeof *k);
    if (!k)
        return -1;
    uint64_t base = dnn_counter_absorb(dnn_counter_absorb(DNN_STREAM_ORDER, seed), epoch);
    for (long i = 0; i < m; i++) {
        k[i].key = dnn_counter_absorb(base, (uint64_t)i);
        k[i].index = i;
    }
    qsort(k, (size_t)m, sizeof *k, by_key_then_index);
    for (long i = 0; i < m; i++)
        order[i] = k[i].index;
    free(k);
    return 0;
}
