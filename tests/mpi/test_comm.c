/* The trainer's collectives over MPI (src/comm_mpi.c), run under mpiexec on any number
 * of ranks: the reduce-scatter's blocks tile the elements in rank order and hold the
 * exact int64 sums, and the allgather gives every rank every block bit for bit; both
 * also through the paths for counts past an int (forced with a small piece size). The
 * exchange of gradient blocks gives every rank its block of every rank's vectors, for
 * vectors in one arena or in scattered pieces. The allgather and the exchange run
 * through shared memory (all ranks on one node, the result also straight in the
 * shared vector) and through the MPI transport.
 * Exit status 0 when every rank passed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "comm/comm_shared.h"
#include "rank_check.h"

/* Rank p's contribution to element i of plane k: large, of both signs, so that a sum
 * done in double or with lost carries would show. */
static int64_t contribution(int p, int k, size_t i)
{
    int64_t big = (INT64_C(1) << 58) + (int64_t)(i * 7919u) + k;
    return ((p + (int)i + k) % 3 == 0 ? -big : big) + p * 1000003;
}

/* Bits that no two elements share, with -0.0 and subnormals among them. */
static double element_value(size_t i)
{
    if (i % 5 == 0)
        return -0.0;
    if (i % 5 == 1)
        return ldexp(1.0 + (double)i, -1070);
    return (i % 2 ? -1.0 : 1.0) * (1.0 / 3.0 + (double)i);
}

static void check_collectives(const dnn_reducer *r, size_t n, int planes)
{
    int rank = dnn_comm_rank(), size = dnn_comm_size();
    int64_t *v = malloc((n * (size_t)planes + 1) * sizeof *v);
    double *d = malloc((n + 1) * sizeof *d);
    if (!v || !d) {
        CHECK(0, "out of memory");
        free(v);
        free(d);
        return;
    }
    for (int k = 0; k < planes; k++)
        for (size_t i = 0; i < n; i++)
            v[(size_t)k * n + i] = contribution(rank, k, i);
    size_t begin = n + 1, end = n + 2;
    CHECK(r->reduce_scatter_int64(r->ctx, v, n, planes, &begin, &end) == 0,
          "reduce_scatter_int64 failed");
    CHECK(begin <= end && end <= n, "n %zu: block [%zu, %zu)", n, begin, end);
    if (begin > end || end > n)
        begin = end = 0;
    /* the blocks tile [0, n) in rank order */
    long count = (long)(end - begin);
    CHECK(dnn_comm_sum_long(count) == (long)n, "n %zu: the blocks do not add up", n);
    for (int q = 0; q < size; q++) {
        long before = dnn_comm_sum_long(rank < q ? count : 0);
        if (rank == q)
            CHECK((size_t)before == begin, "n %zu: block starts at %zu, not %ld", n, begin,
                  before);
    }
    for (int k = 0; k < planes; k++) {
        for (size_t i = begin; i < end; i++) {
            int64_t want = 0;
            for (int p = 0; p < size; p++)
                want += contribution(p, k, i);
            if (v[(size_t)k * n + i] != want) {
                CHECK(0, "n %zu: plane %d element %zu: %" PRId64 ", not %" PRId64, n, k, i,
                      v[(size_t)k * n + i], want);
                break;
            }
        }
    }
    /* allgather: each rank fills its block, NaN elsewhere */
    for (size_t i = 0; i < n; i++)
        d[i] = i >= begin && i < end ? element_value(i) : NAN;
    d[n] = 42.0;
    CHECK(r->allgather_double(r->ctx, d, n) == 0, "allgather_double failed");
    for (size_t i = 0; i < n; i++) {
        double want = element_value(i);
        if (memcmp(&d[i], &want, sizeof want) != 0) {
            CHECK(0, "n %zu: gathered element %zu is %a, not %a", n, i, d[i], want);
            break;
        }
    }
    CHECK(d[n] == 42.0, "n %zu: allgather wrote past the end", n);
    free(v);
    free(d);
}

/* Process p's vector v, element i: bits no two (p, v, i) share. */
static double vector_value(int p, int v, size_t i)
{
    return element_value(i) * (double)(2 * p + 1) + (double)v * 0.25;
}

static void check_exchange(const dnn_reducer *r, size_t n, int nvec, int end_to_end)
{
    enum { NSEG = 3 };
    int rank = dnn_comm_rank(), size = dnn_comm_size();
    size_t seg_start[NSEG + 1] = {0, n / 3, 2 * n / 3, n}, stride = n + NSEG;
    size_t per = n / (size_t)size + 1;
    double *store = malloc((size_t)nvec * stride * sizeof *store);
    double *recv = malloc((size_t)size * nvec * per * sizeof *recv);
    const double **blocks = malloc((size_t)size * nvec * sizeof *blocks);
    const double *pieces[2 * NSEG];
    double *gathered = malloc((n + 1) * sizeof *gathered);
    if (!store || !recv || !blocks || !gathered || nvec > 2) {
        CHECK(0, "out of memory");
        free(store), free(recv), free(blocks), free(gathered);
        return;
    }
    for (int v = 0; v < nvec; v++)
        for (int s = 0; s < NSEG; s++) {
            /* end to end, or one element apart */
            double *piece = store + (size_t)v * stride + seg_start[s] + (end_to_end ? 0 : s);
            pieces[v * NSEG + s] = piece;
            for (size_t i = seg_start[s]; i < seg_start[s + 1]; i++)
                piece[i - seg_start[s]] = vector_value(rank, v, i);
        }
    size_t begin = n + 1, end = n + 2;
    CHECK(r->exchange_blocks_double(r->ctx, pieces, nvec, seg_start, NSEG, recv, blocks,
                                    &begin, &end) == 0,
          "exchange_blocks_double failed");
    CHECK(begin <= end && end <= n, "n %zu: block [%zu, %zu)", n, begin, end);
    for (int p = 0; p < size && begin <= end && end <= n; p++)
        for (int v = 0; v < nvec; v++)
            for (size_t i = begin; i < end; i++) {
                double want = vector_value(p, v, i);
                if (memcmp(&blocks[(size_t)p * nvec + v][i - begin], &want, sizeof want) != 0) {
                    CHECK(0, "n %zu, %d vectors%s: rank %d's vector %d element %zu is %a, not %a",
                          n, nvec, end_to_end ? "" : " in pieces", p, v, i,
                          blocks[(size_t)p * nvec + v][i - begin], want);
                    p = size, v = nvec;
                    break;
                }
            }
    /* the blocks are read until the allgather, as the trainer does, whose result goes
     * to the shared vector when there is one: each rank writes only its block there */
    double *shared = r->shared_vector(r->ctx, n);
    CHECK((shared != NULL) == (dnn_shared_in_use() && dnn_comm_size() > 1),
          "n %zu: a shared vector %s", n, shared ? "without sharing" : "missing");
    double *out = shared ? shared : gathered;
    for (size_t i = 0; i < n; i++)
        if (!shared || (i >= begin && i < end))
            out[i] = i >= begin && i < end ? element_value(i) : NAN;
    CHECK(r->allgather_double(r->ctx, out, n) == 0, "allgather_double failed");
    for (size_t i = 0; i < n; i++) {
        double want = element_value(i);
        if (memcmp(&out[i], &want, sizeof want) != 0) {
            CHECK(0, "n %zu: gathered element %zu is %a, not %a%s", n, i, out[i], want,
                  shared ? " (shared vector)" : "");
            break;
        }
    }
    free(store), free(recv), free(blocks), free(gathered);
}

int main(int argc, char **argv)
{
    if (dnn_comm_init(&argc, &argv) != 0)
        return 1;
    dnn_reducer r = dnn_comm_reducer();
    const size_t ns[] = {0, 1, 2, 3, 5, 64, 1001, 245974};
    const size_t pieces[] = {0, 7, 1000}; /* 0: the default; small ones force pieces */
    for (int shared = 1; shared >= 0; shared--) {
        dnn_shared_enable(shared);
        for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++) {
            dnn_comm_set_max_piece(pieces[p]);
            for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
                if (pieces[p] && ns[i] > 20000)
                    continue; /* pieces of 7 would take long: 1001 elements cover them */
                check_collectives(&r, ns[i], 3);
                check_collectives(&r, ns[i], 1);
            }
        }
        dnn_comm_set_max_piece(0);
        const size_t sizes[] = {1, 5, 1001, 245974};
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            for (int nvec = 1; nvec <= 2; nvec++)
                for (int end_to_end = 0; end_to_end <= 1; end_to_end++)
                    check_exchange(&r, sizes[i], nvec, end_to_end);
    }
    int first = dnn_comm_first_failure(failures == 0);
    if (dnn_comm_rank() == 0)
        printf("%s: %d ranks\n", first < 0 ? "ok" : "FAILED", dnn_comm_size());
    dnn_comm_finalize();
    return first < 0 ? 0 : 1;
}
