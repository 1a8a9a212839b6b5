/* Stage (c) of a step: the update rule, the only place where parameters change.
 * Every way through a step (step.c, split.c) hands its blocks to dnn_update_block.
 * The arithmetic is the course's, term by term in its order, with each product and
 * quotient rounded (no fused multiply-add), so that a numpy reference written as the
 * course writes it agrees to rounding (tests/reference/course_model.py). */
#include <math.h>

#include "core/hot_loop.h"
#include "train/trainer_impl.h"

/* g = sums / m, plus (λ·W) / m on weights. Each rule is written out twice, without
 * and with L2 (RULES below), so that no loop holds a branch: the loops then vectorize
 * (the square root too: this file is compiled with -fno-math-errno, see CMakeLists.txt). The rule's fields are read into locals before
 * the loops: read through r inside them they would be read again at every element, a
 * store to p being allowed to change them, and the loops would not vectorize. */
#define GRADIENT_PLAIN(sum, w) (inv_m * (sum))
#define GRADIENT_L2(sum, w) (inv_m * (sum) + (l2 * (w)) / m)

#define RULES(SUFFIX, GRADIENT)                                                            \
    HOT_LOOP static void gradient_descent##SUFFIX(const dnn_update_rule *r, size_t at,     \
                                                  size_t n, const double *restrict sums)    \
    {                                                                                      \
        double *restrict p = r->params + at;                                               \
        const double lr = r->learning_rate, inv_m = r->inv_m, m = r->m,                    \
                     l2 = r->settings.l2;                                                  \
        (void)m, (void)l2;                                                                 \
        for (size_t i = 0; i < n; i++)                                                     \
            p[i] = p[i] - lr * GRADIENT(sums[i], p[i]);                                    \
    }                                                                                      \
                                                                                           \
    HOT_LOOP static void momentum##SUFFIX(const dnn_update_rule *r, size_t at, size_t n,   \
                                          const double *restrict sums)                      \
    {                                                                                      \
        double *restrict p = r->params + at, *restrict v = r->v + at;                      \
        const double lr = r->learning_rate, inv_m = r->inv_m, m = r->m,                    \
                     l2 = r->settings.l2, b1 = r->settings.beta1;                          \
        (void)m, (void)l2;                                                                 \
        for (size_t i = 0; i < n; i++) {                                                   \
            v[i] = b1 * v[i] + (1 - b1) * GRADIENT(sums[i], p[i]);                         \
            p[i] = p[i] - lr * v[i];                                                       \
        }                                                                                  \
    }                                                                                      \
                                                                                           \
    HOT_LOOP static void adam##SUFFIX(const dnn_update_rule *r, size_t at, size_t n,       \
                                      const double *restrict sums)                          \
    {                                                                                      \
        double *restrict p = r->params + at, *restrict v = r->v + at,                      \
                         *restrict s = r->s + at;                                          \
        const double lr = r->learning_rate, inv_m = r->inv_m, m = r->m,                    \
                     l2 = r->settings.l2, b1 = r->settings.beta1, b2 = r->settings.beta2,  \
                     eps = r->settings.epsilon, bias1 = r->bias1, bias2 = r->bias2;        \
        (void)m, (void)l2;                                                                 \
        for (size_t i = 0; i < n; i++) {                                                   \
            double g = GRADIENT(sums[i], p[i]);                                            \
            v[i] = b1 * v[i] + (1 - b1) * g;                                               \
            double v_corrected = v[i] / bias1;                                             \
            s[i] = b2 * s[i] + (1 - b2) * (g * g);                                         \
            double s_corrected = s[i] / bias2;                                             \
            p[i] = p[i] - lr * v_corrected / (sqrt(s_corrected) + eps);                    \
        }                                                                                  \
    }

RULES(_plain, GRADIENT_PLAIN)
RULES(_l2, GRADIENT_L2)

void dnn_update_block(const dnn_update_rule *rule, size_t begin, size_t n,
                      const double *restrict gradient_sums)
{
    /* the block in pieces of one segment each: weights or biases */
    int k = 0;
    while (k + 1 < rule->nseg && rule->seg_start[k + 1] <= begin)
        k++;
    for (size_t at = begin, end = begin + n; at < end; k++) {
        size_t stop = rule->seg_start[k + 1] < end ? rule->seg_start[k + 1] : end;
        const double *sums = gradient_sums + (at - begin);
        int l2 = k % 2 == 0 && rule->settings.l2 > 0.0; /* weights, not biases */
        switch (rule->settings.optimizer) {
        case DNN_OPT_MOMENTUM:
            (l2 ? momentum_l2 : momentum_plain)(rule, at, stop - at, sums);
            break;
        case DNN_OPT_ADAM:
            (l2 ? adam_l2 : adam_plain)(rule, at, stop - at, sums);
            break;
        default:
            (l2 ? gradient_descent_l2 : gradient_descent_plain)(rule, at, stop - at, sums);
        }
        at = stop;
    }
}

dnn_update_rule dnn_update_rule_of(dnn_trainer *t, double learning_rate)
{
    long step = t->update_steps + 1; /* Adam's t */
    dnn_update_rule r = {t->params->arena,
                         (double)t->m_total,
                         1.0 / (double)t->m_total,
                         learning_rate,
                         t->update,
                         t->update_v,
                         t->update_s,
                         1 - pow(t->update.beta1, (double)step),
                         1 - pow(t->update.beta2, (double)step),
                         t->seg_start,
                         2 * t->params->L};
    return r;
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
