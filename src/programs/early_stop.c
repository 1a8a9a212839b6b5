/* Early stopping's bookkeeping; see early_stop.h. */
#include "programs/early_stop.h"

#include <math.h>
#include <string.h>

dnn_status early_stop_init(early_stop *es, long patience, const dnn_params *like)
{
    memset(es, 0, sizeof *es);
    if (patience <= 0)
        return DNN_OK;
    es->best = dnn_params_new_like(like);
    if (!es->best)
        return DNN_ERR_NOMEM;
    es->patience = patience;
    es->best_cost = INFINITY; /* the first finite cost is lower */
    return DNN_OK;
}

void early_stop_free(early_stop *es)
{
    dnn_params_free(&es->best);
    memset(es, 0, sizeof *es);
}

int early_stop_observe(early_stop *es, const dnn_params *params, double test_cost,
                       long iteration)
{
    if (es->patience <= 0)
        return 0;
    if (test_cost < es->best_cost) {
        memcpy(es->best->arena, params->arena, params->count * sizeof *params->arena);
        es->have_best = 1;
        es->best_cost = test_cost;
        es->best_iteration = iteration;
        es->since_best = 0;
        return 0;
    }
    es->since_best++;
    return early_stop_reached(es);
}

int early_stop_reached(const early_stop *es)
{
    return es->patience > 0 && es->have_best && es->since_best >= es->patience;
}

int early_stop_keep_best(const early_stop *es, dnn_params *params, double final_cost)
{
    if (es->patience <= 0 || !es->have_best || final_cost < es->best_cost)
        return 0;
    memcpy(params->arena, es->best->arena, params->count * sizeof *params->arena);
    return 1;
}

void early_stop_to_checkpoint(const early_stop *es, dnn_checkpoint_info *ci)
{
    int have = es->patience > 0 && es->have_best;
    ci->best_params = have ? es->best->arena : NULL;
    ci->best_cost = have ? es->best_cost : 0.0;
    ci->best_iteration = have ? es->best_iteration : 0;
    ci->prints_since_best = have ? es->since_best : 0;
}

void early_stop_from_checkpoint(early_stop *es, const dnn_checkpoint_info *ci)
{
    if (es->patience <= 0 || !ci->best_params)
        return;
    memcpy(es->best->arena, ci->best_params, es->best->count * sizeof *es->best->arena);
    es->have_best = 1;
    es->best_cost = ci->best_cost;
    es->best_iteration = ci->best_iteration;
    es->since_best = ci->prints_since_best;
}
