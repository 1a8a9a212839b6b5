/* Stage (b) of a step: the threads' accumulators summed, then the processes', into
 * t->total. Exact mode has three ways, with the same bits (docs/DESIGN.md):
 *   one process: the threads' sums straight to doubles (no digits stored);
 *   several, no thread with more chunks than its slots: the chunk gradients themselves
 *     travel (8 bytes an element), each process sums its block of them exactly;
 *   otherwise the digits travel (a reduce-scatter of the integer planes).
 * Fast mode adds doubles in thread order, then MPI's sum. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "train/trainer_impl.h"

/* Several processes, each with nvec pending gradients and no other sums: the
 * gradients travel instead of digits (8 bytes an element instead of 24). Each process
 * receives its block of every process's gradients and finds the scales they call for
 * (with one or two gradients in all, summing them on the way); the scales are agreed,
 * the block is summed exactly at them unless the plain sums already are exact, and the
 * doubles go to everyone. */
static dnn_status combine_gradients(dnn_trainer *t, const dnn_reducer *r, int nvec)
{
    dnn_exact_sum *s = t->exact;
    int nseg = s->nseg;
    size_t vectors = (size_t)r->processes * (size_t)nvec;
    size_t need = vectors * (t->n / (size_t)r->processes + 1);
    if (need > t->received_len) { /* the first step only: the sizes do not change */
        free(t->received);
        free(t->blocks);
        t->received = malloc(need * sizeof *t->received);
        t->blocks = malloc(vectors * sizeof *t->blocks);
        t->received_len = t->received && t->blocks ? need : 0;
    }
    if (!t->received_len) /* the program ends every process (dnn_comm_abort) */
        return DNN_ERR_NOMEM;
    size_t begin, end;
    double t0 = omp_get_wtime();
    int rc = r->exchange_blocks_double(r->ctx, t->pending, nvec, s->seg_start, nseg,
                                       t->received, t->blocks, &begin, &end);
    /* where the processes share memory, each writes its block of the result straight
     * into the vector they all read, and the allgather copies nothing (asked after
     * the exchange, which sizes the shared memory for both) */
    double *shared = rc == 0 && r->shared_vector ? r->shared_vector(r->ctx, t->n) : NULL;
    t->seconds_collective += omp_get_wtime() - t0;
    if (rc != 0)
        return DNN_ERR_IO;
    if (shared)
        t->total = shared;
    /* tops[0..nseg-1]: the scales; tops[nseg..2nseg-1]: -(the largest scales at which
     * the values are exact); tops[2nseg]: a NaN or Inf somewhere */
    int *tops = t->tops, *grid = t->tops + nseg, nonfinite;
    int pair = vectors <= 2;
    dnn_status st = dnn_exact_sum_blocks_scales(s, t->blocks, (int)vectors, begin, end, tops, grid,
                                                &nonfinite, pair ? t->total + begin : NULL);
    for (int k = 0; k < nseg; k++)
        grid[k] = -grid[k];
    tops[2 * nseg] = nonfinite || st != DNN_OK;
    t0 = omp_get_wtime();
    rc = r->max_int(r->ctx, tops, 2 * nseg + 1);
    t->seconds_collective += omp_get_wtime() - t0;
    if (rc != 0)
        return DNN_ERR_IO;
    if (tops[2 * nseg]) /* agreed: every process stops here alike */
        return st != DNN_OK ? st : DNN_ERR_NONFINITE;
    memcpy(s->top, tops, (size_t)nseg * sizeof *s->top);
    s->top[nseg] = 0;
    int exact = pair;
    for (int k = 0; k < nseg; k++)
        exact &= tops[k] <= -grid[k];
    if (!exact)
        st = dnn_exact_sum_blocks_result(s, t->blocks, (int)vectors, begin, end, t->total + begin);
    /* taken part in even after a local failure, so that no process is left waiting */
    t0 = omp_get_wtime();
    rc = r->allgather_double(r->ctx, t->total, t->n);
    t->seconds_collective += omp_get_wtime() - t0;
    return rc != 0 ? DNN_ERR_IO : st;
}

dnn_status dnn_stage_combine(dnn_trainer *t, const dnn_reducer *r)
{
    double t0;
    t->total = t->total_own;
    if (t->mode == DNN_REDUCE_FAST) { /* each element summed in thread order */
        t->path_steps[DNN_PATH_FAST]++;
        long n = (long)t->n;
#pragma omp parallel for schedule(static) num_threads(t->nthreads) if (n > 65536)
        for (long k = 0; k < n; k++) {
            double sum = 0.0;
            for (int i = 0; i < t->nthreads; i++)
                sum += t->workers[i].fast[k];
            t->total[k] = sum;
        }
        t0 = omp_get_wtime();
        int rc = r->sum_double(r->ctx, t->total, t->n);
        t->seconds_collective = omp_get_wtime() - t0;
        return rc == 0 ? DNN_OK : DNN_ERR_IO;
    }
    /* the threads' sums and pending gradients, in one pass */
    dnn_exact_sum *s = t->exact;
    int nvec = 0;
    for (int i = 0; i < t->nthreads; i++)
        for (int j = 0; j < t->workers[i].pending; j++)
            memcpy(&t->pending[(size_t)nvec++ * (size_t)s->nseg], t->workers[i].slot_segments[j],
                   (size_t)s->nseg * sizeof *t->pending);
    if (r->processes == 1) { /* nothing to agree on: straight to doubles, no digits kept */
        t->path_steps[DNN_PATH_ONE_PROCESS]++;
        dnn_status st = dnn_exact_sum_merge_all_result(s, t->thread_sums, t->nthreads,
                                                       t->pending, nvec, t->total);
        return st == DNN_OK && dnn_exact_sum_nonfinite(s) ? DNN_ERR_NONFINITE : st;
    }
    /* Several processes agree first on a failure flag, a flag for digits (some thread
     * ran more chunks than it has slots) and how many pending gradients each holds (max and
     * -min): that decides what travels. */
    int nseg = s->nseg, agree[4] = {0, 0, nvec, -nvec};
    for (int i = 0; i < t->nthreads; i++) {
        agree[0] |= dnn_exact_sum_nonfinite(t->thread_sums[i]);
        agree[1] |= t->workers[i].flushed;
    }
    t0 = omp_get_wtime();
    int rc = r->max_int(r->ctx, agree, 4);
    t->seconds_collective = omp_get_wtime() - t0;
    if (rc != 0)
        return DNN_ERR_IO;
    if (agree[0])
        return DNN_ERR_NONFINITE;
    size_t per_process = t->n / (size_t)r->processes + 1;
    if (!agree[1] && nvec > 0 && agree[2] == -agree[3] && !t->no_gradients_travel &&
        per_process * (size_t)nvec <= (size_t)1 << 30) {
        t->path_steps[DNN_PATH_GRADIENTS_TRAVEL]++;
        return combine_gradients(t, r, nvec);
    }
    t->path_steps[DNN_PATH_DIGITS_TRAVEL]++;
    dnn_status st = dnn_exact_sum_merge_scales(s, t->thread_sums, t->nthreads, t->pending, nvec);
    if (st != DNN_OK)
        return st;
    memcpy(t->tops, s->top, ((size_t)nseg + 1) * sizeof *t->tops);
    t0 = omp_get_wtime();
    rc = r->max_int(r->ctx, t->tops, nseg + 1);
    t->seconds_collective += omp_get_wtime() - t0;
    if (rc != 0)
        return DNN_ERR_IO;
    /* the flag is part of the agreed tops: every process stops here alike */
    if (t->tops[nseg])
        return DNN_ERR_NONFINITE;
    /* The digits travel. The pending gradients join their threads' sums; with one
     * thread its sum is the process's (it is cleared before the next pass), so no
     * second copy of the digits is held. */
    for (int i = 0; i < t->nthreads && st == DNN_OK; i++)
        st = dnn_worker_add_pending(t, &t->workers[i]);
    if (st == DNN_OK && t->nthreads > 1)
        st = dnn_exact_sum_merge_all(s, t->thread_sums, t->nthreads);
    else
        s = t->thread_sums[0];
    if (st != DNN_OK)
        return st;
    st = dnn_exact_sum_align(s, t->tops);
    if (st != DNN_OK)
        return st;
    /* Each process gets the integer totals of its block of elements, rounds just those
     * to doubles, and the doubles (a third of the digits' bytes) go to everyone. */
    size_t begin, end;
    t0 = omp_get_wtime();
    rc = r->reduce_scatter_int64(r->ctx, s->digits, s->n, DNN_EXACT_DIGITS, &begin, &end);
    t->seconds_collective += omp_get_wtime() - t0;
    if (rc != 0)
        return DNN_ERR_IO;
    st = dnn_exact_sum_result_range(s, begin, end, t->total + begin);
    /* taken part in even after a local failure, so that no process is left waiting */
    t0 = omp_get_wtime();
    rc = r->allgather_double(r->ctx, t->total, t->n);
    t->seconds_collective += omp_get_wtime() - t0;
    return rc != 0 ? DNN_ERR_IO : st;
}

/* Whether the exact sums just combined are all finite by their scales: a sum of fewer
 * than 2^25 values below 2^T in magnitude is below 2^(T+25), far from DBL_MAX when T
 * is at most 960. */
int dnn_combined_sums_finite(const dnn_trainer *t)
{
    if (t->mode != DNN_REDUCE_EXACT || dnn_exact_sum_nonfinite(t->exact))
        return 0;
    for (int s = 0; s < t->exact->nseg; s++)
        if (t->exact->top[s] > 960)
            return 0;
    return 1;
}
