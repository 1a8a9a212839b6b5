/* Per-feature statistics from exact sums, and the standardization they define
 * (train/standardize.h). */
#include "train/standardize.h"

#include <math.h>
#include <stdlib.h>

#include "exact/exact_sum.h"

enum { MAX_EXAMPLES = 1 << 25 }; /* the exact sum's capacity per element */

/* One segment of one element per feature, so that each feature has its own scale. */
static dnn_exact_sum *per_feature_sum(int n)
{
    size_t *sizes = malloc((size_t)n * sizeof *sizes);
    if (!sizes)
        return NULL;
    for (int i = 0; i < n; i++)
        sizes[i] = 1;
    dnn_exact_sum *sum = dnn_exact_sum_new(n, sizes);
    free(sizes);
    return sum;
}

/* Adds every example's value of each feature (minus center[i] and squared when center
 * is not NULL) to the feature's segment: each thread owns whole features. */
static void add_block(dnn_exact_sum *sum, const dnn_dataset *block, const double *center)
{
    int n = block->n_features;
    long m = block->m;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            double x = block->X[(size_t)j * (size_t)n + (size_t)i];
            if (center) {
                double d = x - center[i];
                x = d * d;
            }
            dnn_exact_sum_add(sum, i, &x);
        }
}

/* The sums over every process, rounded to doubles in out: the scales agreed (with the
 * non-finite flag), then the digits added. Collective. */
static dnn_status combine(dnn_exact_sum *sum, const dnn_reducer *r, double *out)
{
    int n = sum->nseg;
    int *tops = malloc(((size_t)n + 1) * sizeof *tops);
    int ok = tops != NULL;
    if (ok)
        for (int s = 0; s <= n; s++)
            tops[s] = sum->top[s];
    /* a process out of memory still takes part, with a flag that stops everyone */
    int failed = !ok, flag = failed;
    if (r->max_int(r->ctx, &flag, 1) != 0 || flag) {
        free(tops);
        return failed || flag ? DNN_ERR_NOMEM : DNN_ERR_IO;
    }
    if (r->max_int(r->ctx, tops, n + 1) != 0) {
        free(tops);
        return DNN_ERR_IO;
    }
    dnn_status st = tops[n] ? DNN_ERR_NONFINITE : dnn_exact_sum_align(sum, tops);
    free(tops);
    if (st != DNN_OK)
        return st;
    if (r->sum_int64(r->ctx, sum->digits, (size_t)DNN_EXACT_DIGITS * (size_t)n) != 0)
        return DNN_ERR_IO;
    return dnn_exact_sum_result(sum, out);
}

dnn_status dnn_feature_stats(const dnn_dataset *block, long m_total, const dnn_reducer *r,
                             double *mean, double *deviation)
{
    if (!block || !r || !mean || !deviation || block->n_features < 1 || m_total < 1 ||
        (block->m > 0 && !block->X))
        return DNN_ERR_ARG;
    if (m_total >= MAX_EXAMPLES)
        return DNN_ERR_ARG; /* every process alike: m_total is the same everywhere */
    int n = block->n_features;
    dnn_exact_sum *sum = per_feature_sum(n);
    /* every process takes part in the collectives even without memory */
    if (sum) {
        dnn_exact_sum_clear(sum);
        add_block(sum, block, NULL);
    }
    dnn_status st = sum ? combine(sum, r, mean) : DNN_ERR_NOMEM;
    if (!sum) { /* the others wait in combine's first max: answer it */
        int flag = 1;
        r->max_int(r->ctx, &flag, 1);
    }
    for (int i = 0; st == DNN_OK && i < n; i++)
        mean[i] /= (double)m_total;
    if (st == DNN_OK) {
        dnn_exact_sum_clear(sum);
        add_block(sum, block, mean);
        st = combine(sum, r, deviation);
    }
    for (int i = 0; st == DNN_OK && i < n; i++) {
        deviation[i] = sqrt(deviation[i] / (double)m_total);
        if (deviation[i] == 0.0)
            deviation[i] = 1.0;
    }
    dnn_exact_sum_free(&sum);
    return st;
}

void dnn_standardize(dnn_dataset *data, const double *mean, const double *deviation)
{
    int n = data->n_features;
    for (long j = 0; j < data->m; j++) {
        double *x = data->X + (size_t)j * (size_t)n;
        for (int i = 0; i < n; i++)
            x[i] = (x[i] - mean[i]) / deviation[i];
    }
    free(data->X_codes);
    data->X_codes = NULL;
}
