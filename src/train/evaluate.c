/* The model on data it does not train on (or on the training data after training):
 * the cost and the correct predictions over every process's block, with the same bits
 * for any ranks and threads. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "core/fixed_math.h"
#include "train/trainer_impl.h"

/* Chunk c of data: its cost sum and correct predictions; 0 when its forward failed. */
static int evaluate_chunk(dnn_trainer *t, worker *w, const dnn_dataset *data, long c,
                          double *cost_sum, long *correct)
{
    const dnn_params *p = t->params;
    long first = c * t->chunk;
    int cols = (int)(data->m - first < t->chunk ? data->m - first : t->chunk);
    const double *X = data->X + (size_t)first * (size_t)data->n_features;
    const double *Y = data->Y + first;
    const double *AL;
    if (t->dtype == DNN_F32) {
        for (size_t i = 0; i < (size_t)cols * (size_t)data->n_features; i++)
            w->X32[i] = (float)X[i];
        if (dnn_L_model_forward_f32_checked(t->params32, p, t->row_norms, w->X32, X, NULL, cols,
                                            w->cache32, NULL) != DNN_OK)
            return 0;
        /* the prediction from float AL, the cost from the logits in double (as a step) */
        const float *AL32 = w->cache32->A[p->L], *ZL = w->cache32->Z[p->L];
        for (int j = 0; j < cols; j++) {
            *correct += (AL32[j] > 0.5f ? 1.0 : 0.0) == Y[j];
            w->cost_AL[j] = 1.0 / (1.0 + dnn_exp(-(double)ZL[j]));
        }
        AL = w->cost_AL;
    } else {
        if (dnn_L_model_forward(p, X, cols, w->cache) != DNN_OK)
            return 0;
        AL = w->cache->A[p->L];
        for (int j = 0; j < cols; j++)
            *correct += (AL[j] > 0.5 ? 1.0 : 0.0) == Y[j];
    }
    return dnn_cross_entropy_sum(cols, AL, Y, cost_sum) == DNN_OK;
}

/* The chunks' cost sums added exactly over every process (the reference step's way):
 * the same bits whoever held which chunk. */
static dnn_status total_cost(const double *sums, long n, const dnn_reducer *r, double *total)
{
    size_t one = 1;
    dnn_exact_sum *sum = dnn_exact_sum_new(1, &one);
    if (!sum)
        return DNN_ERR_NOMEM;
    dnn_status st = DNN_OK;
    for (long c = 0; c < n && st == DNN_OK; c++)
        st = dnn_exact_sum_add(sum, 0, &sums[c]);
    int tops[2] = {sum->top[0], sum->top[1] || st != DNN_OK};
    if (r->max_int(r->ctx, tops, 2) != 0)
        st = DNN_ERR_IO;
    else if (tops[1])
        st = DNN_ERR_NONFINITE;
    if (st == DNN_OK)
        st = dnn_exact_sum_align(sum, tops);
    size_t begin = 0, end = 0;
    if (st == DNN_OK &&
        r->reduce_scatter_int64(r->ctx, sum->digits, 1, DNN_EXACT_DIGITS, &begin, &end) != 0)
        st = DNN_ERR_IO;
    if (st == DNN_OK)
        st = dnn_exact_sum_result_range(sum, begin, end, total + begin);
    if (st == DNN_OK && r->allgather_double(r->ctx, total, 1) != 0)
        st = DNN_ERR_IO;
    dnn_exact_sum_free(&sum);
    return st;
}

dnn_status dnn_trainer_evaluate(dnn_trainer *t, const dnn_dataset *data,
                                const dnn_reducer *reducer, double *cost, long *correct)
{
    if (!t || !data || !reducer || !correct || data->n_features != t->params->dims[0] ||
        data->m_total < 1)
        return DNN_ERR_ARG;
    long n_chunks = dnn_local_chunks(t, data), right = 0;
    double *sums = malloc((n_chunks ? (size_t)n_chunks : 1) * sizeof *sums);
    int failed = sums == NULL;
    if (t->dtype == DNN_F32)
        dnn_params_f32_round_norms(t->params32, t->params, t->row_norms);
#pragma omp parallel num_threads(t->nthreads) reduction(+ : right) reduction(| : failed)
    {
        worker *w = &t->workers[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (long c = 0; c < n_chunks; c++)
            if (sums && !evaluate_chunk(t, w, data, c, &sums[c], &right))
                failed = 1;
    }
    int64_t counts[2] = {right, failed};
    dnn_status st = reducer->sum_int64(reducer->ctx, counts, 2) == 0 ? DNN_OK : DNN_ERR_IO;
    double total = 0.0;
    /* every process takes part in the cost's collectives, failed or not */
    dnn_status cost_st = total_cost(sums ? sums : &total, sums ? n_chunks : 0, reducer, &total);
    free(sums);
    if (st == DNN_OK && counts[1] != 0)
        st = DNN_ERR_ARG;
    if (st == DNN_OK && cost)
        st = cost_st;
    if (st != DNN_OK)
        return st;
    *correct = (long)counts[0];
    if (cost)
        *cost = (-1.0 / (double)data->m_total) * -total;
    return DNN_OK;
}

dnn_status dnn_trainer_count_correct(dnn_trainer *t, const dnn_dataset *data,
                                     const dnn_reducer *reducer, long *correct)
{
    return dnn_trainer_evaluate(t, data, reducer, NULL, correct);
}
