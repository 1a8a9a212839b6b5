/* Stage (a) of a step: every local chunk's forward and backward pass, on the threads
 * of the team, each chunk's gradient sums and cost sum into its thread's accumulator. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "core/hot_loop.h"
#include "train/trainer_impl.h"

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

/* One chunk in double: the first layer reads the 8-bit codes where there are some. */
static dnn_status chunk_gradient_f64(dnn_trainer *t, worker *w, long first, int cols,
                                     double *cost_sum)
{
    const dnn_dataset *d = t->local;
    const dnn_params *p = t->params;
    size_t at = (size_t)first * (size_t)d->n_features;
    const double *X = d->X + at, *Y = d->Y + first;
    const uint8_t *Q = d->X_codes && !t->no_codes ? d->X_codes + at : NULL;
    dnn_status st = dnn_L_model_forward_codes(p, X, Q, cols, w->cache);
    const double *AL = w->cache->A[p->L];
    if (st == DNN_OK)
        st = dnn_cross_entropy_sum(cols, AL, Y, cost_sum);
    if (st == DNN_OK)
        st = dnn_L_model_backward_scaled(p, w->cache, AL, Y, 1.0, w->grads, NULL);
    return st;
}

dnn_status dnn_worker_add_pending(const dnn_trainer *t, worker *w)
{
    dnn_status st = DNN_OK;
    for (int s = 0; w->pending && st == DNN_OK && s < t->exact->nseg; s++)
        st = dnn_exact_sum_add(w->exact, s, w->segments[s]);
    w->pending = 0;
    return st;
}

/* Local chunk c into w's accumulator: in exact mode its gradient stays pending in
 * w->grads until the next chunk needs them (one exact-sum add fewer per thread). */
static dnn_status run_chunk(dnn_trainer *t, worker *w, long c)
{
    long first = c * t->chunk;
    int cols = (int)(t->local->m - first < t->chunk ? t->local->m - first : t->chunk);
    double cost_sum;
    dnn_status st = t->mode == DNN_REDUCE_EXACT ? dnn_worker_add_pending(t, w) : DNN_OK;
    if (st == DNN_OK)
        st = t->dtype == DNN_F32 ? chunk_gradient_f32(t, w, first, cols, &cost_sum)
                                 : chunk_gradient_f64(t, w, first, cols, &cost_sum);
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

dnn_status dnn_stage_gradients(dnn_trainer *t)
{
    long n_chunks = dnn_local_chunks(t, t->local);
    if (t->dtype == DNN_F32)
        dnn_params_f32_round_norms(t->params32, t->params, t->row_norms);
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
    }
    dnn_status st = DNN_OK;
    for (int i = 0; i < t->nthreads; i++)
        if (t->workers[i].status != DNN_OK && st == DNN_OK)
            st = t->workers[i].status;
    /* A failed thread must still take part in the combine's collectives; its failure
     * travels as a non-finite sum so that every process stops together. */
    for (int i = 0; st != DNN_OK && i < t->nthreads; i++) {
        worker *w = &t->workers[i];
        if (w->exact)
            w->exact->top[w->exact->nseg] = 1;
        else
            w->fast[t->n - 1] = NAN;
    }
    return st;
}
