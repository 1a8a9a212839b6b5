/* One training step, in three stages: (a) gradients of the local chunks, (b) combine
 * across threads and processes, (c) update. The split step (split.c) is the one other
 * way through, taken where it applies; it ends in the same (c). */
#include <math.h>
#include <omp.h>

#include "train/trainer_impl.h"

static int reducer_ok(const dnn_reducer *r)
{
    return r && r->max_int && r->sum_int64 && r->sum_double && r->reduce_scatter_int64 &&
           r->allgather_double && r->exchange_blocks_double && r->processes >= 1;
}

/* The L2 term of the cost, (λ/2m)·Σ‖W‖², from the parameters before the update: each
 * matrix's squares summed in order, the matrices added in order (the same bits on
 * every process, which all hold the same parameters). */
static double l2_cost_of(const dnn_trainer *t)
{
    if (!(t->update.l2 > 0.0))
        return 0.0;
    double squares = 0.0;
    for (int l = 1; l <= t->params->L; l++) {
        double layer = 0.0;
        size_t n = (size_t)t->params->dims[l] * (size_t)t->params->dims[l - 1];
        for (size_t i = 0; i < n; i++)
            layer += t->params->W[l][i] * t->params->W[l][i];
        squares += layer;
    }
    return (1.0 / (double)t->m_total) * (t->update.l2 / 2) * squares;
}

/* After an update: its step counted (Adam's t), the L2 term in the cost. */
static dnn_status finish(dnn_trainer *t, dnn_status st, double l2_cost, double *cost)
{
    if (st != DNN_OK)
        return st;
    t->update_steps++;
    *cost = *cost + l2_cost;
    return DNN_OK;
}

dnn_status dnn_trainer_step(dnn_trainer *t, const dnn_reducer *reducer, double learning_rate,
                            double *cost)
{
    if (!t || !cost || !reducer_ok(reducer))
        return DNN_ERR_ARG;
    dnn_update_rule rule = dnn_update_rule_of(t, learning_rate);
    double l2_cost = l2_cost_of(t);
    if (dnn_split_applies(t, reducer)) {
        t->path_steps[DNN_PATH_SPLIT]++;
        dnn_status st = dnn_split_step(t, &rule, cost);
        return finish(t, st, l2_cost, cost);
    }
    double t0 = omp_get_wtime();
    dnn_status st = dnn_stage_gradients(t); /* (a) */
    double t1 = omp_get_wtime();
    t->seconds_collective = 0.0;
    /* (b) runs even after a local failure, which travels as a non-finite sum */
    dnn_status combined = dnn_stage_combine(t, reducer);
    if (st == DNN_OK)
        st = combined;
    if (st == DNN_OK) {
        *cost = (-1.0 / (double)t->m_total) * -t->total[t->n - 1];
        if (!isfinite(*cost))
            st = DNN_ERR_NONFINITE;
    }
    if (st == DNN_OK)
        st = dnn_stage_update(t, &rule); /* (c) */
    t->seconds_compute = t1 - t0;
    t->seconds_combine = omp_get_wtime() - t1;
    return finish(t, st, l2_cost, cost);
}
