#include "dnn/train.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/exact_sum.h"
#include "dnn/f32.h"
#include "dnn/model.h"
#include "hot_loop.h"
#include "lines.h"
#include "round_trip.h"
#include "train_impl.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { PROBE_STEPS = 256 };
#define FAR_NS 250.0 /* round trip (ns) above which the cores count as far apart */

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

static int no_sum_double(void *ctx, double *values, size_t n)
{
    (void)ctx, (void)values, (void)n;
    return 0;
}

/* One process holds every element, already summed. */
static int no_reduce_scatter_int64(void *ctx, int64_t *values, size_t n, int planes,
                                   size_t *begin, size_t *end)
{
    (void)ctx, (void)values, (void)planes;
    *begin = 0;
    *end = n;
    return 0;
}

static int no_allgather_double(void *ctx, double *values, size_t n)
{
    (void)ctx, (void)values, (void)n;
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
    dnn_reducer r = {no_max,         no_sum_int64, no_sum_double, no_reduce_scatter_int64,
                     no_allgather_double, no_exchange_blocks_double, NULL, 1, NULL,
                     NULL,           0};
    return r;
}

/* Segments of the exact sum: W1, b1, ..., WL, bL, then the cost. */
static dnn_exact_sum *new_exact_sum(const dnn_params *p)
{
    int nseg = 2 * p->L + 1;
    size_t *sizes = malloc((size_t)nseg * sizeof *sizes);
    if (!sizes)
        return NULL;
    for (int l = 1; l <= p->L; l++) {
        sizes[2 * l - 2] = (size_t)p->dims[l] * (size_t)p->dims[l - 1];
        sizes[2 * l - 1] = (size_t)p->dims[l];
    }
    sizes[nseg - 1] = 1;
    dnn_exact_sum *s = dnn_exact_sum_new(nseg, sizes);
    free(sizes);
    return s;
}

dnn_trainer *dnn_trainer_new(dnn_params *params, const dnn_dataset *local, long m_total,
                             int chunk, dnn_reduce_mode mode)
{
    return dnn_trainer_new_typed(params, local, m_total, chunk, mode, DNN_F64);
}

static float *to_float(const double *x, size_t n)
{
    float *f = dnn_zeroed_lines(n * sizeof *f);
    for (size_t i = 0; f && i < n; i++)
        f[i] = (float)x[i];
    return f;
}

static int setup_f32(dnn_trainer *t)
{
    const dnn_dataset *d = t->local;
    t->params32 = dnn_params_f32_new(t->params->L, t->params->dims);
    t->X32 = to_float(d->X, (size_t)d->m * (size_t)d->n_features);
    t->Y32 = to_float(d->Y, (size_t)d->m);
    t->x_norms = malloc((d->m ? (size_t)d->m : 1) * sizeof *t->x_norms);
    int ok = t->params32 && t->X32 && t->Y32 && t->x_norms;
    for (long j = 0; ok && j < d->m; j++) {
        const double *x = d->X + (size_t)j * (size_t)d->n_features;
        double s = 0.0;
        for (int k = 0; k < d->n_features; k++)
            s += x[k] * x[k];
        t->x_norms[j] = sqrt(s);
    }
    size_t units = 0;
    for (int l = 1; l <= t->params->L; l++)
        units += (size_t)t->params->dims[l];
    t->row_norms = malloc(units * sizeof *t->row_norms);
    ok = ok && t->row_norms;
    for (int i = 0; ok && i < t->nthreads; i++) {
        worker *w = &t->workers[i];
        w->cache32 = dnn_cache_new_f32(t->params32, t->chunk);
        w->grads32 = dnn_params_f32_new(t->params->L, t->params->dims);
        w->X32 = malloc((size_t)t->chunk * (size_t)d->n_features * sizeof *w->X32);
        w->cost_AL = malloc((size_t)t->chunk * sizeof *w->cost_AL);
        w->cost_Y = malloc((size_t)t->chunk * sizeof *w->cost_Y);
        ok = w->cache32 && w->grads32 && w->X32 && w->cost_AL && w->cost_Y;
    }
    return ok;
}

dnn_trainer *dnn_trainer_new_typed(dnn_params *params, const dnn_dataset *local, long m_total,
                                   int chunk, dnn_reduce_mode mode, dnn_dtype dtype)
{
    if (!params || !local || m_total < 1 || chunk < 1 || local->m < 0 ||
        (dtype != DNN_F64 && dtype != DNN_F32) ||
        (local->m > 0 && (!local->X || !local->Y || local->first % chunk != 0)) ||
        local->n_features != params->dims[0] || params->dims[params->L] != 1 ||
        (mode != DNN_REDUCE_EXACT && mode != DNN_REDUCE_FAST))
        return NULL;
    dnn_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->params = params;
    t->local = local;
    t->m_total = m_total;
    t->chunk = chunk;
    t->mode = mode;
    t->dtype = dtype;
    t->nthreads = omp_get_max_threads();
    t->n = params->count + 1;
    /* Threads come from OpenMP; a BLAS call runs on one of them, with the same kernels
     * whatever the thread count, so every chunk gives the same bits anywhere. */
    openblas_set_num_threads(1);
    t->workers = calloc((size_t)t->nthreads, sizeof *t->workers);
    t->total = t->total_own = malloc(t->n * sizeof *t->total);
    int ok = t->workers && t->total;
    if (ok && mode == DNN_REDUCE_EXACT)
        ok = (t->exact = new_exact_sum(params)) != NULL &&
             (t->tops = malloc((2 * (size_t)t->exact->nseg + 4) * sizeof *t->tops)) != NULL;
    if (ok && mode == DNN_REDUCE_EXACT)
        ok = (t->thread_sums = calloc((size_t)t->nthreads, sizeof *t->thread_sums)) != NULL &&
             (t->pending = calloc((size_t)t->nthreads * (size_t)t->exact->nseg,
                                  sizeof *t->pending)) != NULL;
    for (int i = 0; ok && i < t->nthreads; i++) {
        worker *w = &t->workers[i];
        w->cache = dtype == DNN_F64 ? dnn_cache_new(params, chunk) : NULL; /* f32: cache32 */
        /* the chunk's cost after the gradient: a pending gradient is one array */
        w->grads = dnn_params_new_spare(params->L, params->dims, 1);
        if (mode == DNN_REDUCE_EXACT) {
            w->exact = new_exact_sum(params);
            w->segments = malloc(((size_t)params->L * 2 + 1) * sizeof *w->segments);
        } else {
            w->fast = malloc(t->n * sizeof *w->fast);
        }
        ok = (w->cache || dtype == DNN_F32) && w->grads &&
             ((w->exact && w->segments) || w->fast);
        for (int l = 1; ok && w->segments && l <= params->L; l++) {
            w->segments[2 * l - 2] = w->grads->W[l];
            w->segments[2 * l - 1] = w->grads->b[l];
        }
        if (ok && w->segments)
            w->segments[2 * params->L] = w->grads->arena + w->grads->count;
        if (ok && t->thread_sums)
            t->thread_sums[i] = w->exact;
    }
    if (ok && dtype == DNN_F32)
        ok = setup_f32(t);
    if (!ok)
        dnn_trainer_free(&t);
    return t;
}

void dnn_trainer_free(dnn_trainer **trainer)
{
    if (!trainer || !*trainer)
        return;
    dnn_trainer *t = *trainer;
    dnn_split_sync(t); /* params whole again */
    for (int i = 0; t->workers && i < t->nthreads; i++) {
        dnn_cache_free(&t->workers[i].cache);
        dnn_params_free(&t->workers[i].grads);
        free(t->workers[i].mail);
        dnn_params_free(&t->workers[i].own_params);
        dnn_exact_sum_free(&t->workers[i].exact);
        free(t->workers[i].segments);
        free(t->workers[i].fast);
        dnn_cache_free_f32(&t->workers[i].cache32);
        dnn_params_f32_free(&t->workers[i].grads32);
        free(t->workers[i].X32);
        free(t->workers[i].cost_AL);
        free(t->workers[i].cost_Y);
    }
    dnn_params_f32_free(&t->params32);
    free(t->X32);
    free(t->x_norms);
    free(t->row_norms);
    free(t->Y32);
    free(t->workers);
    dnn_exact_sum_free(&t->exact);
    free(t->tops);
    free(t->thread_sums);
    free(t->pending);
    free(t->received);
    free(t->blocks);
    free(t->total_own);
    dnn_split_free(&t->split);
    free(t);
    *trainer = NULL;
}

long dnn_train_local_chunks(const dnn_trainer *t, const dnn_dataset *data)
{
    return (data->m + t->chunk - 1) / t->chunk;
}

HOT_LOOP static void widen(double *restrict out, const float *restrict in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i];
}

/* One chunk in float: the gradient sums are widened (exactly) into w->grads. */
static dnn_status chunk_gradient_f32(dnn_trainer *t, worker *w, long first, int cols,
                                     double *cost_sum)
{
    const dnn_params_f32 *p = t->params32;
    size_t at = (size_t)first * (size_t)t->local->n_features;
    const float *X = t->X32 + at, *Y = t->Y32 + first;
    dnn_status st = dnn_L_model_forward_f32_checked(p, t->params, t->row_norms, X,
                                                    t->local->X + at, t->x_norms + first, cols,
                                                    w->cache32, &w->recomputed);
    const float *AL = w->cache32->A[p->L], *ZL = w->cache32->Z[p->L];
    /* the cost from the logits in double, by the course's formula (see model_impl.h) */
    for (int j = 0; st == DNN_OK && j < cols; j++) {
        w->cost_AL[j] = 1.0 / (1.0 + exp(-(double)ZL[j]));
        w->cost_Y[j] = Y[j];
    }
    if (st == DNN_OK)
        st = dnn_cross_entropy_sum(cols, w->cost_AL, w->cost_Y, cost_sum);
    if (st == DNN_OK)
        st = dnn_L_model_backward_scaled_f32(p, w->cache32, AL, Y, 1.0, w->grads32, NULL);
    if (st == DNN_OK)
        widen(w->grads->arena, w->grads32->arena, w->grads->count);
    return st;
}

/* Adds w's pending chunk gradient to its exact sum. */
static dnn_status add_pending(const dnn_trainer *t, worker *w)
{
    dnn_status st = DNN_OK;
    for (int s = 0; w->pending && st == DNN_OK && s < t->exact->nseg; s++)
        st = dnn_exact_sum_add(w->exact, s, w->segments[s]);
    w->pending = 0;
    return st;
}

/* Forward and backward of local chunk c; its sums go into w's accumulator. */
static dnn_status run_chunk(dnn_trainer *t, worker *w, long c)
{
    const dnn_dataset *d = t->local;
    const dnn_params *p = t->copied && w->own_params ? w->own_params : t->params;
    long first = c * t->chunk;
    int cols = (int)(d->m - first < t->chunk ? d->m - first : t->chunk);
    double cost_sum;
    dnn_status st = t->mode == DNN_REDUCE_EXACT ? add_pending(t, w) : DNN_OK;
    if (st != DNN_OK)
        return st;
    if (t->dtype == DNN_F32) {
        st = chunk_gradient_f32(t, w, first, cols, &cost_sum);
    } else {
        size_t at = (size_t)first * (size_t)d->n_features;
        const double *X = d->X + at, *Y = d->Y + first;
        st = dnn_L_model_forward_codes(p, X, d->X_codes ? d->X_codes + at : NULL, cols, w->cache);
        const double *AL = w->cache->A[p->L];
        if (st == DNN_OK)
            st = dnn_cross_entropy_sum(cols, AL, Y, &cost_sum);
        if (st == DNN_OK)
            st = dnn_L_model_backward_scaled(p, w->cache, AL, Y, 1.0, w->grads, NULL);
    }
    if (st != DNN_OK)
        return st;
    if (t->mode == DNN_REDUCE_FAST) {
        for (size_t i = 0; i + 1 < t->n; i++)
            w->fast[i] += w->grads->arena[i];
        w->fast[t->n - 1] += cost_sum;
        return DNN_OK;
    }
    w->pending = 1;
    w->chunks++;
    w->grads->arena[w->grads->count] = cost_sum;
    return DNN_OK;
}

static dnn_status local_pass(dnn_trainer *t)
{
    long n_chunks = dnn_train_local_chunks(t, t->local);
#pragma omp parallel num_threads(t->nthreads)
    {
        worker *w = &t->workers[omp_get_thread_num()];
        w->status = DNN_OK;
        w->pending = w->chunks = 0;
        if (w->exact)
            dnn_exact_sum_clear(w->exact);
        else
            memset(w->fast, 0, t->n * sizeof *w->fast);
#pragma omp for schedule(dynamic, 1)
        for (long c = 0; c < n_chunks; c++)
            if (w->status == DNN_OK)
                w->status = run_chunk(t, w, c);
        if (t->copied && w->status == DNN_OK && w->pending)
            dnn_exact_sum_publish(t->exact, w->segments, t->nthreads, omp_get_thread_num(),
                                  w->mail);
    }
    for (int i = 0; i < t->nthreads; i++)
        if (t->workers[i].status != DNN_OK)
            return t->workers[i].status;
    return DNN_OK;
}

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

/* Sums over threads, then over processes, into t->total; t->seconds_collective gets
 * the time spent in the reducer's collectives. */
static dnn_status combine(dnn_trainer *t, const dnn_reducer *r)
{
    double t0;
    t->total = t->total_own;
    if (t->mode == DNN_REDUCE_FAST) { /* each element summed in thread order, as before */
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
        if (t->workers[i].pending)
            memcpy(&t->pending[(size_t)nvec++ * (size_t)s->nseg], t->workers[i].segments,
                   (size_t)s->nseg * sizeof *t->pending);
    if (r->processes == 1) { /* nothing to agree on: straight to doubles, no digits kept */
        const double *copy[2];
        int owner[2], n = 0;
        for (int i = 0; t->copied && i < t->nthreads && n < 2; i++)
            if (t->workers[i].pending) {
                copy[n] = t->workers[i].mail;
                owner[n++] = i;
            }
        dnn_exact_sum_copies copies = {copy, owner, t->nthreads};
        dnn_status st = dnn_exact_sum_merge_all_result_copies(
            s, t->thread_sums, t->nthreads, t->pending, nvec,
            t->copied && nvec == n ? &copies : NULL, t->total);
        return st == DNN_OK && dnn_exact_sum_nonfinite(s) ? DNN_ERR_NONFINITE : st;
    }
    /* Several processes agree first on a failure flag, a flag for digits (some thread
     * summed more than one chunk) and how many pending gradients each holds (max and
     * -min): that decides what travels. */
    int nseg = s->nseg, agree[4] = {0, 0, nvec, -nvec};
    for (int i = 0; i < t->nthreads; i++) {
        agree[0] |= dnn_exact_sum_nonfinite(t->thread_sums[i]);
        agree[1] |= t->workers[i].chunks > 1;
    }
    t0 = omp_get_wtime();
    int rc = r->max_int(r->ctx, agree, 4);
    t->seconds_collective = omp_get_wtime() - t0;
    if (rc != 0)
        return DNN_ERR_IO;
    if (agree[0])
        return DNN_ERR_NONFINITE;
    size_t per_process = t->n / (size_t)r->processes + 1;
    if (!agree[1] && nvec > 0 && agree[2] == -agree[3] &&
        per_process * (size_t)nvec <= (size_t)1 << 30)
        return combine_gradients(t, r, nvec);
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
        st = add_pending(t, &t->workers[i]);
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

/* p -= learning_rate · (inv_m · total), element by element: dnn_update_parameters'
 * arithmetic (each product rounded, no fused multiply-add). */
HOT_LOOP static void update_block(double *restrict p, const double *restrict total, long n,
                                  double inv_m, double learning_rate)
{
    for (long i = 0; i < n; i++) {
        double g = inv_m * total[i];
        p[i] = p[i] - learning_rate * g;
    }
}

/* update_block with streaming stores, for parameters that other threads read: the new
 * values go to memory without this core first taking the lines from their caches. */
HOT_LOOP static void update_block_streaming(double *restrict p, const double *restrict total,
                                            long n, double inv_m, double learning_rate)
{
#if defined(__SSE2__)
    long i = 0;
    if ((uintptr_t)p % 16 != 0) {
        update_block(p, total, 1, inv_m, learning_rate);
        i = 1;
    }
    const __m128d scale = _mm_set1_pd(inv_m), rate = _mm_set1_pd(learning_rate);
    for (; i + 2 <= n; i += 2) {
        __m128d g = _mm_mul_pd(scale, _mm_loadu_pd(total + i));
        _mm_stream_pd(p + i, _mm_sub_pd(_mm_load_pd(p + i), _mm_mul_pd(rate, g)));
    }
    _mm_sfence();
    update_block(p + i, total + i, n - i, inv_m, learning_rate);
#else
    update_block(p, total, n, inv_m, learning_rate);
#endif
}

void dnn_train_update_block(double *restrict p, const double *restrict total, long n,
                            double inv_m, double learning_rate)
{
    update_block(p, total, n, inv_m, learning_rate);
}

enum { UPDATE_BLOCK = 4096 }; /* elements per unit of parallel work */

/* Whether the exact sums just combined are all finite by their scales: a sum of fewer
 * than 2^25 values below 2^T in magnitude is below 2^(T+25), far from DBL_MAX when T
 * is at most 960. */
static int exact_sums_finite(const dnn_trainer *t)
{
    if (t->mode != DNN_REDUCE_EXACT || dnn_exact_sum_nonfinite(t->exact))
        return 0;
    for (int s = 0; s < t->exact->nseg; s++)
        if (t->exact->top[s] > 960)
            return 0;
    return 1;
}

int dnn_train_sums_finite(const dnn_trainer *t)
{
    return exact_sums_finite(t);
}

/* Whether this step exchanges through copies: several threads in one process, each
 * with at most one chunk, summed exactly (merge_all_result's pair path), and copied
 * asked for or, with auto, the cores far apart; the copies' memory is taken at the
 * first such step. */
static int use_copies(dnn_trainer *t, const dnn_reducer *reducer)
{
    if (t->exchange == DNN_EXCHANGE_SHARED || t->nthreads < 2 ||
        t->mode != DNN_REDUCE_EXACT || reducer->processes != 1 ||
        dnn_train_local_chunks(t, t->local) > t->nthreads || t->no_copies)
        return 0;
    int automatic = t->exchange == DNN_EXCHANGE_AUTO || t->exchange == DNN_EXCHANGE_SPLIT;
    if (automatic && t->steps % PROBE_STEPS == 0) {
        /* no answer (threads sharing a core): no measure, so no change of way */
        double ns = dnn_team_round_trip_ns(t->nthreads, 3, 100, 1e-3);
        t->far = isfinite(ns) && ns > FAR_NS;
    }
    if (automatic && !t->far)
        return 0;
    for (int i = 0; i < t->nthreads; i++) {
        worker *w = &t->workers[i];
        if (!w->mail && !(w->mail = dnn_zeroed_lines(t->exact->n * sizeof(double)))) {
            t->no_copies = 1;
            return 0;
        }
        if (i > 0 && t->dtype == DNN_F64 && !w->own_params &&
            !(w->own_params = dnn_params_new_like(t->params))) {
            t->no_copies = 1;
            return 0;
        }
    }
    return 1;
}

static dnn_status step(dnn_trainer *t, const dnn_reducer *reducer, double learning_rate,
                       double *cost);

dnn_status dnn_trainer_step(dnn_trainer *t, const dnn_reducer *reducer, double learning_rate,
                            double *cost)
{
    if (!t || !reducer || !cost || !reducer->max_int || !reducer->sum_double ||
        !reducer->reduce_scatter_int64 || !reducer->allgather_double ||
        !reducer->exchange_blocks_double || reducer->processes < 1)
        return DNN_ERR_ARG;
    if (dnn_split_applies(t, reducer)) {
        dnn_status st = dnn_split_step(t, learning_rate, cost);
        t->own_params_current = 0; /* params changed alone */
        t->steps++;
        t->split_steps++;
        return st;
    }
    dnn_split_sync(t); /* a step of another way reads and writes params whole */
    dnn_split_params_changed(t->split);
    t->copied = use_copies(t, reducer);
    /* the first copied step after others: the threads' copies start from params */
    for (int i = 1; t->copied && !t->own_params_current && i < t->nthreads; i++)
        if (t->workers[i].own_params)
            memcpy(t->workers[i].own_params->arena, t->params->arena,
                   t->params->count * sizeof *t->params->arena);
    dnn_status st = step(t, reducer, learning_rate, cost);
    /* a failed step leaves params and the copies as they were */
    t->own_params_current = t->copied;
    t->steps++;
    t->copied_steps += t->copied;
    t->copied = 0;
    return st;
}

static dnn_status step(dnn_trainer *t, const dnn_reducer *reducer, double learning_rate,
                       double *cost)
{
    double t0 = omp_get_wtime();
    if (t->dtype == DNN_F32)
        dnn_params_f32_round_norms(t->params32, t->params, t->row_norms);
    dnn_status st = local_pass(t);
    /* A failed thread must still take part in the collectives below; its status
     * travels as a non-finite cost so that every process stops together. */
    if (st != DNN_OK) {
        for (int i = 0; i < t->nthreads; i++) {
            if (t->workers[i].exact)
                t->workers[i].exact->top[t->workers[i].exact->nseg] = 1;
            else
                t->workers[i].fast[t->n - 1] = NAN;
        }
    }
    double t1 = omp_get_wtime();
    t->seconds_collective = 0.0;
    dnn_status combined = combine(t, reducer);
    t->seconds_compute = t1 - t0;
    t->seconds_combine = omp_get_wtime() - t1;
    if (st == DNN_OK)
        st = combined;
    if (st != DNN_OK)
        return st;
    const double m = (double)t->m_total;
    double *p = t->params->arena;
    const double *total = t->total;
    long count = (long)t->n - 1;
    *cost = (-1.0 / m) * -t->total[t->n - 1];
    if (!isfinite(*cost))
        return DNN_ERR_NONFINITE;
    /* dnn_update_parameters' arithmetic (g = total / m, p -= lr·g) on every thread; in
     * one pass when the exact sums' scales show that every g is finite */
    if (!exact_sums_finite(t)) {
        int finite = 1;
#pragma omp parallel for schedule(static) num_threads(t->nthreads) reduction(&& : finite) \
    if (count > 65536)
        for (long i = 0; i < count; i++)
            finite = finite && isfinite((1.0 / m) * total[i]);
        if (!finite)
            return DNN_ERR_NONFINITE;
    }
    if (t->copied && t->dtype == DNN_F64) {
        /* thread i updates all of copy i (every copy, whatever the team OpenMP gives) */
#pragma omp parallel for schedule(static, 1) num_threads(t->nthreads)
        for (int i = 0; i < t->nthreads; i++) {
            const worker *w = &t->workers[i];
            double *own = w->own_params ? w->own_params->arena : p;
            for (long at = 0; at < count; at += UPDATE_BLOCK)
                update_block(own + at, total + at,
                             count - at < UPDATE_BLOCK ? count - at : UPDATE_BLOCK, 1.0 / m,
                             learning_rate);
        }
        return DNN_OK;
    }
    int streaming = t->copied && count > 65536;
#pragma omp parallel for schedule(static) num_threads(t->nthreads) if (count > 65536)
    for (long at = 0; at < count; at += UPDATE_BLOCK)
        (streaming ? update_block_streaming : update_block)(
            p + at, total + at, count - at < UPDATE_BLOCK ? count - at : UPDATE_BLOCK, 1.0 / m,
            learning_rate);
    return DNN_OK;
}

dnn_status dnn_trainer_count_correct(dnn_trainer *t, const dnn_dataset *data,
                                     const dnn_reducer *reducer, long *correct)
{
    if (!t || !data || !reducer || !correct || data->n_features != t->params->dims[0])
        return DNN_ERR_ARG;
    long n_chunks = dnn_train_local_chunks(t, data), total = 0;
    int failed = 0;
    dnn_split_sync(t);
    if (t->dtype == DNN_F32)
        dnn_params_f32_round_norms(t->params32, t->params, t->row_norms);
#pragma omp parallel num_threads(t->nthreads) reduction(+ : total) reduction(| : failed)
    {
        worker *w = &t->workers[omp_get_thread_num()];
        const dnn_params *p = t->params;
#pragma omp for schedule(dynamic, 1)
        for (long c = 0; c < n_chunks; c++) {
            long first = c * t->chunk;
            int cols = (int)(data->m - first < t->chunk ? data->m - first : t->chunk);
            const double *X = data->X + (size_t)first * (size_t)data->n_features;
            if (t->dtype == DNN_F32) {
                for (size_t i = 0; i < (size_t)cols * (size_t)data->n_features; i++)
                    w->X32[i] = (float)X[i];
                if (dnn_L_model_forward_f32_checked(t->params32, p, t->row_norms, w->X32, X,
                                                    NULL, cols, w->cache32, NULL) != DNN_OK) {
                    failed = 1;
                    continue;
                }
                const float *AL = w->cache32->A[p->L];
                for (int j = 0; j < cols; j++)
                    total += (AL[j] > 0.5f ? 1.0 : 0.0) == data->Y[first + j];
                continue;
            }
            if (dnn_L_model_forward(p, X, cols, w->cache) != DNN_OK) {
                failed = 1;
                continue;
            }
            const double *AL = w->cache->A[p->L];
            for (int j = 0; j < cols; j++)
                total += (AL[j] > 0.5 ? 1.0 : 0.0) == data->Y[first + j];
        }
    }
    int64_t sums[2] = {total, failed};
    if (reducer->sum_int64(reducer->ctx, sums, 2) != 0)
        return DNN_ERR_IO;
    if (sums[1] != 0)
        return DNN_ERR_ARG;
    *correct = (long)sums[0];
    return DNN_OK;
}

void dnn_trainer_last_times(const dnn_trainer *t, double *compute, double *combine_seconds)
{
    if (compute)
        *compute = t ? t->seconds_compute : 0.0;
    if (combine_seconds)
        *combine_seconds = t ? t->seconds_combine : 0.0;
}

double dnn_trainer_last_collective_time(const dnn_trainer *t)
{
    return t ? t->seconds_collective : 0.0;
}

void dnn_trainer_set_exchange(dnn_trainer *t, dnn_exchange exchange)
{
    if (!t || (exchange != DNN_EXCHANGE_AUTO && exchange != DNN_EXCHANGE_SHARED &&
               exchange != DNN_EXCHANGE_COPIED && exchange != DNN_EXCHANGE_SPLIT))
        return;
    t->exchange = exchange;
}

long dnn_trainer_copied_steps(const dnn_trainer *t)
{
    return t ? t->copied_steps : 0;
}

void dnn_trainer_sync(dnn_trainer *t)
{
    if (t)
        dnn_split_sync(t);
}

long dnn_trainer_split_steps(const dnn_trainer *t)
{
    return t ? t->split_steps : 0;
}

long dnn_trainer_recomputed(const dnn_trainer *t)
{
    long n = 0;
    for (int i = 0; t && i < t->nthreads; i++)
        n += t->workers[i].recomputed;
    return n;
}
