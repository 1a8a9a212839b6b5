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

dnn_status dnn_trainer_step(dnn_trainer *t, const dnn_reducer *reducer, double learning_rate,
                            double *cost)
{
    if (!t || !cost || !reducer_ok(reducer))
        return DNN_ERR_ARG;
    dnn_update_rule rule = {t->params->arena, 1.0 / (double)t->m_total, learning_rate};
    if (dnn_split_applies(t, reducer)) {
        t->path_steps[DNN_PATH_SPLIT]++;
        return dnn_split_step(t, &rule, cost);
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
    return st;
}
