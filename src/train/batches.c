/* The mini-batch schedule (include/dnn/batches.h). */
#include "dnn/batches.h"

#include <stdlib.h>

#include "dnn/counter_rng.h"
#include "dnn/shard.h"

dnn_status dnn_batches_init(dnn_batches *b, long m, long batch, int drop_last, uint64_t seed)
{
    if (!b || m < 1 || batch < 0)
        return DNN_ERR_ARG;
    *b = (dnn_batches){m, batch == 0 || batch > m ? m : batch, drop_last, batch > 0, seed, 0,
                       NULL, -1};
    b->per_epoch = dnn_batches_per_epoch(m, batch, drop_last);
    if (b->per_epoch < 1)
        return DNN_ERR_ARG;
    if (batch == 0)
        b->drop_last = 0;
    b->order = malloc((size_t)m * sizeof *b->order);
    if (!b->order)
        return DNN_ERR_NOMEM;
    if (batch == 0) /* the full batch: file order, every epoch */
        for (long i = 0; i < m; i++)
            b->order[i] = i;
    return DNN_OK;
}

long dnn_batches_per_epoch(long m, long batch, int drop_last)
{
    if (m < 1 || batch < 0)
        return 0;
    if (batch == 0 || (batch >= m && !drop_last))
        return 1;
    return drop_last ? m / batch : (m + batch - 1) / batch;
}

void dnn_batches_free(dnn_batches *b)
{
    if (!b)
        return;
    free(b->order);
    b->order = NULL;
}

dnn_status dnn_batches_get(dnn_batches *b, long epoch, long index, int rank, int nranks,
                           long chunk, const long **columns, long *count, long *size)
{
    if (!b || !b->order || epoch < 0 || index < 0 || index >= b->per_epoch || chunk < 1 ||
        nranks < 1 || rank < 0 || rank >= nranks)
        return DNN_ERR_ARG;
    if (b->epoch != epoch && b->shuffle) { /* a new epoch's order */
        if (dnn_epoch_order(b->seed, (uint64_t)epoch, b->m, b->order) != 0)
            return DNN_ERR_NOMEM;
        b->epoch = epoch;
    }
    long first = index * b->batch;
    long n = b->m - first < b->batch ? b->m - first : b->batch;
    dnn_shard s = dnn_shard_of(rank, nranks, n, chunk);
    *columns = b->order + first + s.first;
    *count = s.count;
    *size = n;
    return DNN_OK;
}

long dnn_default_batch_chunk(long batch)
{
    enum { MIN_CHUNK = 32, MAX_CHUNKS = 4, MAX_CHUNK = 1024 };
    if (batch < 1)
        return 1;
    long n = batch / MIN_CHUNK;
    n = n < 1 ? 1 : n > MAX_CHUNKS ? MAX_CHUNKS : n;
    long chunk = (batch + n - 1) / n;
    return chunk > MAX_CHUNK ? MAX_CHUNK : chunk;
}
