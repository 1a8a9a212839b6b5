#ifndef DNN_BATCHES_H
#define DNN_BATCHES_H

#include <stdint.h>

#include "dnn/status.h"

/* Mini-batches. Epoch e visits the m examples in the order dnn_epoch_order(seed, e)
 * (dnn/counter_rng.h); its batches are consecutive slices of `batch` examples of that
 * order, the last one smaller (dropped when drop_last). A batch is cut into chunks of
 * `chunk` examples from its first, and the chunks are dealt to ranks as dnn_shard_of
 * deals a data set's: every boundary depends on m, batch and chunk alone, never on
 * ranks or threads. The step of batch b of epoch e is e · per_epoch + b. */
typedef struct {
    long m, batch;     /* batch: 1 .. m */
    int drop_last;
    int shuffle;       /* 0 for the full batch: file order */
    uint64_t seed;
    long per_epoch;    /* batches in an epoch */
    long *order;       /* the order of epoch `epoch` (m longs) */
    long epoch;        /* -1 before the first */
} dnn_batches;

/* batch 0 means the full batch (one batch of m, in file order). DNN_ERR_ARG for m < 1,
 * batch < 0 or a drop_last that leaves no batch; DNN_ERR_NOMEM. */
dnn_status dnn_batches_init(dnn_batches *b, long m, long batch, int drop_last, uint64_t seed);
void dnn_batches_free(dnn_batches *b);
/* Batches in an epoch (0 when drop_last leaves none). */
long dnn_batches_per_epoch(long m, long batch, int drop_last);

/* Batch `index` of epoch `epoch`: its size, and the examples (indices into the data
 * set) of rank's chunks: *columns (borrowed until the next call) of *count. */
dnn_status dnn_batches_get(dnn_batches *b, long epoch, long index, int rank, int nranks,
                           long chunk, const long **columns, long *count, long *size);

/* The default chunk of a batch: up to 4 equal chunks of at least 32 examples, so that
 * 2 or 4 workers share a small batch (the full batch keeps dnn_default_chunk). */
long dnn_default_batch_chunk(long batch);

#endif
