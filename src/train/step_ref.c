/* The frozen reference step (step_ref.h). Do not optimize: fast paths are allowed to
 * be clever only because a test pins them to this. */
#include "train/step_ref.h"

#include <math.h>
#include <stdlib.h>

#include "core/fixed_math.h"
#include "dnn/f32.h"
#include "dnn/model.h"
#include "exact/exact_sum.h"

/* One chunk's gradient sums (scale 1) into grads, its cost sum into *cost_sum. */
static dnn_status chunk_sums(const dnn_params *p, const double *X, const double *Y, int cols,
                             dnn_dtype dtype, const dnn_dropout *dropout, dnn_params *grads,
                             double *cost_sum)
{
    dnn_status st = DNN_ERR_NOMEM;
    if (dtype == DNN_F64) {
        dnn_cache *cache = dnn_cache_new(p, cols);
        if (cache) {
            cache->dropout = dropout;
            st = dnn_L_model_forward(p, X, cols, cache);
            if (st == DNN_OK)
                st = dnn_cross_entropy_sum(cols, cache->A[p->L], Y, cost_sum);
            if (st == DNN_OK)
                st = dnn_L_model_backward_scaled(p, cache, cache->A[p->L], Y, 1.0, grads, NULL);
        }
        dnn_cache_free(&cache);
        return st;
    }
    /* f32: the passes in float on float copies, ReLU decisions checked against double,
     * the cost from the float logits in double, the gradients widened exactly */
    size_t units = 0, nx = (size_t)cols * (size_t)p->dims[0];
    for (int l = 1; l <= p->L; l++)
        units += (size_t)p->dims[l];
    dnn_params_f32 *p32 = dnn_params_f32_new(p->L, p->dims);
    dnn_params_f32 *g32 = dnn_params_f32_new(p->L, p->dims);
    dnn_cache_f32 *cache = p32 ? dnn_cache_new_f32(p32, cols) : NULL;
    double *row_norms = malloc(units * sizeof *row_norms), *x_norms = malloc(cols * sizeof(double));
    double *AL = malloc(cols * sizeof *AL);
    float *X32 = malloc(nx * sizeof *X32), *Y32 = malloc(cols * sizeof *Y32);
    if (p32 && g32 && cache && row_norms && x_norms && AL && X32 && Y32) {
        cache->dropout = dropout;
        for (size_t i = 0; i < nx; i++)
            X32[i] = (float)X[i];
        for (int j = 0; j < cols; j++) {
            Y32[j] = (float)Y[j];
            double s = 0.0;
            for (int k = 0; k < p->dims[0]; k++)
                s += X[(size_t)j * p->dims[0] + k] * X[(size_t)j * p->dims[0] + k];
            x_norms[j] = sqrt(s);
        }
        st = dnn_params_f32_round_norms(p32, p, row_norms);
        if (st == DNN_OK)
            st = dnn_L_model_forward_f32_checked(p32, p, row_norms, X32, X, x_norms, cols, cache,
                                                 NULL);
        for (int j = 0; st == DNN_OK && j < cols; j++)
            AL[j] = 1.0 / (1.0 + dnn_exp(-(double)cache->Z[p->L][j]));
        if (st == DNN_OK)
            st = dnn_cross_entropy_sum(cols, AL, Y, cost_sum);
        if (st == DNN_OK)
            st = dnn_L_model_backward_scaled_f32(p32, cache, cache->A[p->L], Y32, 1.0, g32, NULL);
        for (size_t i = 0; st == DNN_OK && i < grads->count; i++)
            grads->arena[i] = g32->arena[i];
    }
    dnn_params_f32_free(&p32);
    dnn_params_f32_free(&g32);
    dnn_cache_free_f32(&cache);
    free(row_norms), free(x_norms), free(AL), free(X32), free(Y32);
    return st;
}

/* The local chunks' sums, exact: into sum; fast: added in order into fast. A failed
 * chunk raises the non-finite flag (or makes the cost NaN), so that every process
 * still takes part in the collectives and they all stop alike. */
static dnn_status local_sums(const dnn_params *p, const dnn_dataset *local, int chunk,
                             dnn_dtype dtype, const dnn_dropout *dropout, dnn_exact_sum *sum,
                             double *fast)
{
    dnn_params *grads = dnn_params_new_like(p);
    dnn_status st = grads ? DNN_OK : DNN_ERR_NOMEM;
    for (long first = 0; st == DNN_OK && first < local->m; first += chunk) {
        int cols = (int)(local->m - first < chunk ? local->m - first : chunk);
        double cost_sum;
        const double *X = local->X + (size_t)first * (size_t)local->n_features;
        /* the chunk's masks: its columns' global indices */
        dnn_dropout d = dropout ? *dropout : (dnn_dropout){1.0, 0, 0, 0, NULL};
        if (d.index)
            d.index += first;
        else
            d.first += first;
        st = chunk_sums(p, X, local->Y + first, cols, dtype, &d, grads, &cost_sum);
        for (int l = 1; st == DNN_OK && sum && l <= p->L; l++) {
            st = dnn_exact_sum_add(sum, 2 * l - 2, grads->W[l]);
            if (st == DNN_OK)
                st = dnn_exact_sum_add(sum, 2 * l - 1, grads->b[l]);
        }
        if (st == DNN_OK && sum)
            st = dnn_exact_sum_add(sum, 2 * p->L, &cost_sum);
        for (size_t i = 0; st == DNN_OK && fast && i < p->count; i++)
            fast[i] += grads->arena[i];
        if (st == DNN_OK && fast)
            fast[p->count] += cost_sum;
    }
    if (st != DNN_OK && sum)
        sum->top[sum->nseg] = 1;
    if (st != DNN_OK && fast)
        fast[p->count] = NAN;
    dnn_params_free(&grads);
    return st;
}

/* total (count + 1): the sums over every process, exact. */
static dnn_status combine_exact(dnn_exact_sum *sum, const dnn_reducer *r, double *total)
{
    int nseg = sum->nseg, *tops = malloc(((size_t)nseg + 1) * sizeof *tops);
    if (!tops)
        return DNN_ERR_NOMEM;
    for (int s = 0; s <= nseg; s++)
        tops[s] = sum->top[s];
    dnn_status st = r->max_int(r->ctx, tops, nseg + 1) == 0 ? DNN_OK : DNN_ERR_IO;
    if (st == DNN_OK && tops[nseg])
        st = DNN_ERR_NONFINITE; /* agreed: every process stops here */
    if (st == DNN_OK)
        st = dnn_exact_sum_align(sum, tops);
    free(tops);
    size_t begin, end;
    if (st == DNN_OK && r->reduce_scatter_int64(r->ctx, sum->digits, sum->n, DNN_EXACT_DIGITS,
                                                &begin, &end) != 0)
        st = DNN_ERR_IO;
    if (st == DNN_OK)
        st = dnn_exact_sum_result_range(sum, begin, end, total + begin);
    if (st == DNN_OK && r->allgather_double(r->ctx, total, sum->n) != 0)
        st = DNN_ERR_IO;
    return st;
}

/* The course's update rules, element by element, in the course's order of operations. */
static void update(dnn_params *p, const double *total, double m, double lr,
                   const dnn_update_settings *u, double *v, double *s, long step)
{
    double b1 = u->beta1, b2 = u->beta2;
    for (int l = 1; l <= p->L; l++)
        for (int weights = 1; weights >= 0; weights--) {
            double *w = weights ? p->W[l] : p->b[l];
            size_t at = (size_t)(w - p->arena);
            size_t n = weights ? (size_t)p->dims[l] * (size_t)p->dims[l - 1] : (size_t)p->dims[l];
            for (size_t i = at; i < at + n; i++) {
                double g = 1.0 / m * total[i];
                if (weights && u->l2 > 0.0)
                    g = g + (u->l2 * p->arena[i]) / m; /* dW + (λ·W) / m */
                if (u->optimizer == DNN_OPT_GD) {
                    p->arena[i] = p->arena[i] - lr * g;
                } else if (u->optimizer == DNN_OPT_MOMENTUM) {
                    v[i] = b1 * v[i] + (1 - b1) * g;
                    p->arena[i] = p->arena[i] - lr * v[i];
                } else {
                    v[i] = b1 * v[i] + (1 - b1) * g;
                    double v_corrected = v[i] / (1 - pow(b1, (double)step));
                    s[i] = b2 * s[i] + (1 - b2) * (g * g);
                    double s_corrected = s[i] / (1 - pow(b2, (double)step));
                    p->arena[i] = p->arena[i] - lr * v_corrected / (sqrt(s_corrected) + u->epsilon);
                }
            }
        }
}

/* (1/m)·(λ/2)·Σ‖W‖², each matrix's squares in order. */
static double l2_cost(const dnn_params *p, double m, double l2)
{
    double squares = 0.0;
    for (int l = 1; l <= p->L; l++) {
        double layer = 0.0;
        for (size_t i = 0; i < (size_t)p->dims[l] * (size_t)p->dims[l - 1]; i++)
            layer += p->W[l][i] * p->W[l][i];
        squares += layer;
    }
    return (1.0 / m) * (l2 / 2) * squares;
}

dnn_status dnn_step_ref(dnn_params *params, const dnn_dataset *local, long m_total, int chunk,
                        dnn_reduce_mode mode, dnn_dtype dtype, const dnn_reducer *r,
                        double learning_rate, const dnn_update_settings *settings, double *v,
                        double *s, long step, const dnn_dropout *dropout, double *cost)
{
    const dnn_update_settings gd = {DNN_OPT_GD, 0.9, 0.999, 1e-8, 0.0};
    const dnn_update_settings *u = settings ? settings : &gd;
    size_t n = params->count + 1, *sizes = malloc((2 * (size_t)params->L + 1) * sizeof *sizes);
    double *total = calloc(n, sizeof *total);
    dnn_exact_sum *sum = NULL;
    dnn_status st = sizes && total ? DNN_OK : DNN_ERR_NOMEM;
    for (int l = 1; st == DNN_OK && l <= params->L; l++) {
        sizes[2 * l - 2] = (size_t)params->dims[l] * (size_t)params->dims[l - 1];
        sizes[2 * l - 1] = (size_t)params->dims[l];
    }
    if (st == DNN_OK && mode == DNN_REDUCE_EXACT) {
        sizes[2 * params->L] = 1;
        if (!(sum = dnn_exact_sum_new(2 * params->L + 1, sizes)))
            st = DNN_ERR_NOMEM;
    }
    if (st == DNN_OK) {
        dnn_status local_st = local_sums(params, local, chunk, dtype, dropout, sum,
                                         mode == DNN_REDUCE_FAST ? total : NULL);
        st = mode == DNN_REDUCE_EXACT
                 ? combine_exact(sum, r, total)
                 : (r->sum_double(r->ctx, total, n) == 0 ? DNN_OK : DNN_ERR_IO);
        st = local_st != DNN_OK ? local_st : st;
    }
    double inv_m = 1.0 / (double)m_total;
    if (st == DNN_OK) {
        *cost = (-1.0 / (double)m_total) * -total[n - 1];
        for (size_t i = 0; i < n; i++) /* the gradients and the cost */
            if (!isfinite(i + 1 < n ? inv_m * total[i] : *cost))
                st = DNN_ERR_NONFINITE;
    }
    if (st == DNN_OK) {
        *cost = *cost + (u->l2 > 0.0 ? l2_cost(params, (double)m_total, u->l2) : 0.0);
        update(params, total, (double)m_total, learning_rate, u, v, s, step);
    }
    dnn_exact_sum_free(&sum);
    free(sizes);
    free(total);
    return st;
}
