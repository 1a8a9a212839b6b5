/* Stage (a) of a step: every chunk of the step's examples (all local ones, or a
 * mini-batch's selection) through the forward and backward pass, on the threads of
 * the team, each chunk's gradient sums and cost sum into its thread's accumulator. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "core/fixed_math.h"
#include "core/hot_loop.h"
#include "core/layers_codes.h"
#include "kernels/kernels.h"
#include "train/trainer_impl.h"

/* What one chunk reads: its examples in place, or gathered from a selection. */
typedef struct {
    int cols;
    const double *X;   /* NULL when the first layer reads Q alone */
    const uint8_t *Q;  /* 8-bit codes, or NULL */
    const double *Y;
    const float *X32, *Y32;  /* DNN_F32 */
    const double *norms;     /* DNN_F32: the examples' Euclidean norms */
    dnn_dropout dropout;
} chunk_view;

HOT_LOOP static void widen(double *restrict out, const float *restrict in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i];
}

/* One chunk in float: the gradient sums are widened (exactly) into w->grads. */
static dnn_status chunk_gradient_f32(dnn_trainer *t, worker *w, const chunk_view *v,
                                     double *cost_sum)
{
    const dnn_params_f32 *p = t->params32;
    int cols = v->cols;
    w->cache32->dropout = &v->dropout;
    dnn_status st = dnn_L_model_forward_f32_checked(p, t->params, t->row_norms, v->X32, v->X,
                                                    v->norms, cols, w->cache32, &w->recomputed);
    const float *AL = w->cache32->A[p->L], *ZL = w->cache32->Z[p->L];
    /* the cost from the logits in double, by the course's formula (see model_impl.h) */
    for (int j = 0; st == DNN_OK && j < cols; j++) {
        w->cost_AL[j] = 1.0 / (1.0 + dnn_exp(-(double)ZL[j]));
        w->cost_Y[j] = v->Y32[j];
    }
    if (st == DNN_OK)
        st = dnn_cross_entropy_sum(cols, w->cost_AL, w->cost_Y, cost_sum);
    if (st == DNN_OK)
        st = dnn_L_model_backward_scaled_f32(p, w->cache32, AL, v->Y32, 1.0, w->grads32, NULL);
    if (st == DNN_OK)
        widen(w->grads->arena, w->grads32->arena, w->grads->count);
    w->cache32->dropout = NULL;
    return st;
}

/* One chunk in double: the first layer reads the 8-bit codes where there are some. */
static dnn_status chunk_gradient_f64(dnn_trainer *t, worker *w, const chunk_view *v,
                                     double *cost_sum)
{
    const dnn_params *p = t->params;
    w->cache->dropout = &v->dropout;
    dnn_status st = dnn_L_model_forward_codes(p, v->X, v->Q, v->cols, w->cache);
    const double *AL = w->cache->A[p->L];
    if (st == DNN_OK)
        st = dnn_cross_entropy_sum(v->cols, AL, v->Y, cost_sum);
    if (st == DNN_OK)
        st = dnn_L_model_backward_scaled(p, w->cache, AL, v->Y, 1.0, w->grads, NULL);
    w->cache->dropout = NULL;
    return st;
}

/* Whether the first layer's products of a chunk of cols examples read the codes alone
 * (dnn_linear_activation_forward_codes decides the same way). */
static int reads_codes(const dnn_trainer *t, int cols)
{
    const dnn_params *p = t->params;
    return t->local->X_codes && !t->no_codes && dnn_first_layer_reads_codes(p->dims[1], p->dims[0], cols);
}

/* The chunk of cols examples from position `first` of the step's examples: in place,
 * or gathered into w's buffers from the selection's columns (only what the pass reads). */
static chunk_view view_of(const dnn_trainer *t, worker *w, long first, int cols)
{
    const dnn_dataset *d = t->local;
    size_t n = (size_t)d->n_features;
    int codes = reads_codes(t, cols);
    chunk_view v = {cols, NULL, NULL, NULL, NULL, NULL, NULL,
                    {t->keep_prob, t->dropout_seed, (uint64_t)t->update_steps, d->first, NULL}};
    if (!t->columns) {
        size_t at = (size_t)first * n;
        v.X = d->X + at;
        v.Q = codes ? d->X_codes + at : NULL;
        v.Y = d->Y + first;
        if (t->dtype == DNN_F32) {
            v.X32 = t->X32 + at;
            v.Y32 = t->Y32 + first;
            v.norms = t->x_norms + first;
        }
        v.dropout.first = d->first + first;
        if (d->index) { /* examples from anywhere: their own indices */
            v.dropout.first = 0;
            v.dropout.index = d->index + first;
        }
        return v;
    }
    const long *col = t->columns + first;
    v.dropout.index = col;
    if (d->index) {
        v.dropout.first = 0;
        v.dropout.index = w->gather_index;
    }
    for (int j = 0; j < cols; j++) {
        if (d->index)
            w->gather_index[j] = d->index[col[j]];
        w->gather_Y[j] = d->Y[col[j]];
        if (codes && t->dtype == DNN_F64)
            memcpy(w->gather_Q + (size_t)j * n, d->X_codes + (size_t)col[j] * n, n);
        else
            memcpy(w->gather_X + (size_t)j * n, d->X + (size_t)col[j] * n, n * sizeof(double));
        if (t->dtype == DNN_F32) {
            memcpy(w->X32 + (size_t)j * n, t->X32 + (size_t)col[j] * n, n * sizeof(float));
            w->gather_Y32[j] = t->Y32[col[j]];
            w->gather_norms[j] = t->x_norms[col[j]];
        }
    }
    v.Y = w->gather_Y;
    if (codes && t->dtype == DNN_F64)
        v.Q = w->gather_Q;
    else
        v.X = w->gather_X;
    v.X32 = w->X32;
    v.Y32 = w->gather_Y32;
    v.norms = w->gather_norms;
    return v;
}

dnn_status dnn_worker_add_pending(const dnn_trainer *t, worker *w)
{
    dnn_status st = DNN_OK;
    for (int j = 0; j < w->pending && st == DNN_OK; j++)
        for (int s = 0; st == DNN_OK && s < t->exact->nseg; s++)
            st = dnn_exact_sum_add(w->exact, s, w->slot_segments[j][s]);
    w->flushed |= w->pending > 0;
    w->pending = 0;
    return st;
}

/* Chunk c of the step into w's accumulator: in exact mode its gradient stays pending in
 * a slot; the slots join the exact sum only when this chunk finds them all taken. */
static dnn_status run_chunk(dnn_trainer *t, worker *w, long c)
{
    long first = c * t->chunk;
    int cols = (int)(t->count - first < t->chunk ? t->count - first : t->chunk);
    double cost_sum;
    dnn_status st = DNN_OK;
    if (t->mode == DNN_REDUCE_EXACT) {
        if (w->pending == t->gradient_slots)
            st = dnn_worker_add_pending(t, w);
        if (st == DNN_OK && !dnn_worker_slot_ready(t, w, w->pending))
            st = DNN_ERR_NOMEM;
        if (st != DNN_OK)
            return st;
        w->grads = w->slots[w->pending];
    }
    chunk_view v = view_of(t, w, first, cols);
    st = t->dtype == DNN_F32 ? chunk_gradient_f32(t, w, &v, &cost_sum)
                             : chunk_gradient_f64(t, w, &v, &cost_sum);
    if (st != DNN_OK)
        return st;
    if (t->mode == DNN_REDUCE_FAST) {
        for (size_t i = 0; i + 1 < t->n; i++)
            w->fast[i] += w->grads->arena[i];
        w->fast[t->n - 1] += cost_sum;
        return DNN_OK;
    }
    w->grads->arena[w->grads->count] = cost_sum;
    w->pending++;
    return DNN_OK;
}

dnn_status dnn_stage_gradients(dnn_trainer *t)
{
    long n_chunks = dnn_step_chunks(t);
    if (t->dtype == DNN_F32)
        dnn_params_f32_round_norms(t->params32, t->params, t->row_norms);
#pragma omp parallel num_threads(t->nthreads)
    {
        worker *w = &t->workers[omp_get_thread_num()];
        w->status = DNN_OK;
        w->pending = w->flushed = 0;
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
