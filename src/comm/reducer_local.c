/* The reducer of a single process: there is nobody to sum with, so every operation
 * leaves its values as they are (and the exchange hands back the process's own). */
#include "dnn/reducer.h"

#include <string.h>

static int no_max(void *ctx, int *values, int n)
{
    (void)ctx, (void)values, (void)n;
    return 0;
}

static int no_sum_int64(void *ctx, int64_t *values, size_t n)
{
    (void)ctx, (void)values, (void)n;
    return 0;
}

/* sum_double and allgather_double: one process already holds the result */
static int keep_doubles(void *ctx, double *values, size_t n)
{
    (void)ctx, (void)values, (void)n;
    return 0;
}

static int no_reduce_scatter_int64(void *ctx, int64_t *values, size_t n, int planes,
                                   size_t *begin, size_t *end)
{
    (void)ctx, (void)values, (void)planes;
    *begin = 0;
    *end = n;
    return 0;
}

/* One process: its own vectors, copied to recv in the layout of the exchange. */
static int no_exchange_blocks_double(void *ctx, const double *const *vectors, int nvec,
                                     const size_t *seg_start, int nseg, double *recv,
                                     const double **blocks, size_t *begin, size_t *end)
{
    (void)ctx;
    size_t n = seg_start[nseg];
    *begin = 0;
    *end = n;
    for (int v = 0; v < nvec; v++) {
        for (int s = 0; s < nseg; s++)
            memcpy(recv + (size_t)v * n + seg_start[s], vectors[v * nseg + s],
                   (seg_start[s + 1] - seg_start[s]) * sizeof *recv);
        blocks[v] = recv + (size_t)v * n;
    }
    return 0;
}

dnn_reducer dnn_reducer_local(void)
{
    dnn_reducer r = {no_max,       no_sum_int64, keep_doubles, no_reduce_scatter_int64,
                     keep_doubles, no_exchange_blocks_double, NULL, 1, NULL};
    return r;
}
