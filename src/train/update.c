/* Stage (c) of a step: the update rule, the only place where parameters change.
 * Every way through a step (step.c, split.c) hands its blocks to dnn_update_block. */
#include <math.h>

#include "core/hot_loop.h"
#include "train/trainer_impl.h"

/* Gradient descent as the course writes it (update_parameters): g = sum / m, then
 * p = p - learning_rate · g, each product rounded (no fused multiply-add). */
HOT_LOOP static void gradient_descent(double *restrict p, const double *restrict sums, size_t n,
                                      double inv_m, double learning_rate)
{
    for (size_t i = 0; i < n; i++) {
        double g = inv_m * sums[i];
        p[i] = p[i] - learning_rate * g;
    }
}

void dnn_update_block(const dnn_update_rule *rule, size_t begin, size_t n,
                      const double *restrict gradient_sums)
{
    gradient_descent(rule->params + begin, gradient_sums, n, rule->inv_m, rule->learning_rate);
}

int dnn_gradients_finite(const double *sums, size_t n, double inv_m)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(inv_m * sums[i]))
            return 0;
    return 1;
}

enum { UPDATE_BLOCK = 4096, PARALLEL_MIN = 65536 }; /* elements */

dnn_status dnn_stage_update(dnn_trainer *t, const dnn_update_rule *rule)
{
    long count = (long)t->n - 1;
    const double *total = t->total;
    /* one pass when the exact sums' scales show that every g is finite */
    if (!dnn_combined_sums_finite(t)) {
        int finite = 1;
#pragma omp parallel for schedule(static) num_threads(t->nthreads) reduction(&& : finite) \
    if (count > PARALLEL_MIN)
        for (long at = 0; at < count; at += UPDATE_BLOCK)
            finite = finite && dnn_gradients_finite(total + at,
                                                    (size_t)(count - at < UPDATE_BLOCK
                                                                 ? count - at
                                                                 : UPDATE_BLOCK),
                                                    rule->inv_m);
        if (!finite)
            return DNN_ERR_NONFINITE;
    }
#pragma omp parallel for schedule(static) num_threads(t->nthreads) if (count > PARALLEL_MIN)
    for (long at = 0; at < count; at += UPDATE_BLOCK)
        dnn_update_block(rule, (size_t)at,
                         (size_t)(count - at < UPDATE_BLOCK ? count - at : UPDATE_BLOCK),
                         total + at);
    return DNN_OK;
}
