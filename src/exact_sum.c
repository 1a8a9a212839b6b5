#include "dnn/exact_sum.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { K = DNN_EXACT_DIGITS, W = DNN_EXACT_DIGIT_BITS };

dnn_exact_sum *dnn_exact_sum_new(int nseg, const size_t *seg_sizes)
{
    if (nseg < 1 || !seg_sizes)
        return NULL;
    dnn_exact_sum *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nseg = nseg;
    s->seg_start = malloc(((size_t)nseg + 1) * sizeof *s->seg_start);
    s->top = malloc(((size_t)nseg + 1) * sizeof *s->top);
    if (!s->seg_start || !s->top) {
        dnn_exact_sum_free(&s);
        return NULL;
    }
    s->seg_start[0] = 0;
    for (int i = 0; i < nseg; i++)
        s->seg_start[i + 1] = s->seg_start[i] + seg_sizes[i];
    s->n = s->seg_start[nseg];
    s->digits = s->n ? malloc(s->n * K * sizeof *s->digits) : NULL;
    if (s->n == 0 || !s->digits) {
        dnn_exact_sum_free(&s);
        return NULL;
    }
    dnn_exact_sum_clear(s);
    return s;
}

void dnn_exact_sum_free(dnn_exact_sum **sum)
{
    if (!sum || !*sum)
        return;
    free((*sum)->seg_start);
    free((*sum)->top);
    free((*sum)->digits);
    free(*sum);
    *sum = NULL;
}

void dnn_exact_sum_clear(dnn_exact_sum *sum)
{
    for (int i = 0; i < sum->nseg; i++)
        sum->top[i] = DNN_EXACT_NO_TOP;
    sum->top[sum->nseg] = 0;
    memset(sum->digits, 0, sum->n * K * sizeof *sum->digits);
}

/* The smallest multiple of W with max_abs < 2^T. */
static int top_for(double max_abs)
{
    if (max_abs == 0.0)
        return DNN_EXACT_NO_TOP;
    int e;
    frexp(max_abs, &e); /* max_abs < 2^e */
    int t = e >= 0 ? (e + W - 1) / W * W : -((-e) / W * W);
    return t > DNN_EXACT_MIN_TOP ? t : DNN_EXACT_MIN_TOP;
}

/* Raises segment s from its top to new_top by whole digits. */
static void shift_segment(dnn_exact_sum *sum, int s, int new_top)
{
    int old_top = sum->top[s];
    sum->top[s] = new_top;
    if (old_top == DNN_EXACT_NO_TOP || old_top == new_top)
        return;
    int j = (new_top - old_top) / W;
    for (size_t i = sum->seg_start[s]; i < sum->seg_start[s + 1]; i++) {
        int64_t *d = sum->digits + i * K;
        for (int k = K - 1; k >= 0; k--)
            d[k] = k >= j ? d[k - j] : 0;
    }
}

dnn_status dnn_exact_sum_add(dnn_exact_sum *sum, int s, const double *values)
{
    if (!sum || !values || s < 0 || s >= sum->nseg)
        return DNN_ERR_ARG;
    size_t begin = sum->seg_start[s], len = sum->seg_start[s + 1] - begin;
    double max_abs = 0.0;
    int finite = 1;
    for (size_t i = 0; i < len; i++) {
        double a = fabs(values[i]);
        finite &= a <= DBL_MAX;
        max_abs = a > max_abs ? a : max_abs;
    }
    if (!finite) {
        sum->top[sum->nseg] = 1;
        return DNN_OK;
    }
    int t = top_for(max_abs);
    if (t > sum->top[s])
        shift_segment(sum, s, t);
    t = sum->top[s];
    if (t == DNN_EXACT_NO_TOP)
        return DNN_OK;
    /* digit k of x: trunc(x · 2^((k+1)W - T)) after removing the digits above it;
     * every product and difference here is exact. */
    const double s0 = ldexp(1.0, W - t), s1 = ldexp(1.0, 2 * W - t), s2 = ldexp(1.0, 3 * W - t);
    const double u0 = ldexp(1.0, t - W), u1 = ldexp(1.0, t - 2 * W);
    int64_t *d = sum->digits + begin * K;
    for (size_t i = 0; i < len; i++) {
        double r = values[i];
        int64_t c0 = (int64_t)(r * s0);
        r -= (double)c0 * u0;
        int64_t c1 = (int64_t)(r * s1);
        r -= (double)c1 * u1;
        int64_t c2 = (int64_t)(r * s2);
        d[K * i] += c0;
        d[K * i + 1] += c1;
        d[K * i + 2] += c2;
    }
    return DNN_OK;
}

static int same_layout(const dnn_exact_sum *a, const dnn_exact_sum *b)
{
    return a->nseg == b->nseg &&
           memcmp(a->seg_start, b->seg_start, ((size_t)a->nseg + 1) * sizeof *a->seg_start) == 0;
}

dnn_status dnn_exact_sum_merge(dnn_exact_sum *dst, const dnn_exact_sum *src)
{
    if (!dst || !src)
        return DNN_ERR_ARG;
    if (!same_layout(dst, src))
        return DNN_ERR_SHAPE;
    for (int s = 0; s < dst->nseg; s++) {
        if (src->top[s] == DNN_EXACT_NO_TOP)
            continue;
        if (src->top[s] > dst->top[s])
            shift_segment(dst, s, src->top[s]);
        int j = (dst->top[s] - src->top[s]) / W;
        for (size_t i = dst->seg_start[s]; i < dst->seg_start[s + 1]; i++)
            for (int k = j; k < K; k++)
                dst->digits[i * K + k] += src->digits[i * K + k - j];
    }
    dst->top[dst->nseg] |= src->top[src->nseg];
    return DNN_OK;
}

dnn_status dnn_exact_sum_align(dnn_exact_sum *sum, const int *tops)
{
    if (!sum || !tops || tops == sum->top)
        return DNN_ERR_ARG;
    for (int s = 0; s < sum->nseg; s++)
        if (tops[s] < sum->top[s] || (tops[s] != DNN_EXACT_NO_TOP && tops[s] % W != 0))
            return DNN_ERR_ARG;
    for (int s = 0; s < sum->nseg; s++)
        shift_segment(sum, s, tops[s]);
    sum->top[sum->nseg] = tops[sum->nseg];
    return DNN_OK;
}

/* floor(x / 2^W) for any sign (>> on a negative value is implementation-defined). */
static int64_t floor_div_digit(int64_t x)
{
    return x >= 0 ? x / ((int64_t)1 << W) : -((-x - 1) / ((int64_t)1 << W)) - 1;
}

dnn_status dnn_exact_sum_result(const dnn_exact_sum *sum, double *out)
{
    if (!sum || !out)
        return DNN_ERR_ARG;
    for (int s = 0; s < sum->nseg; s++) {
        int t = sum->top[s];
        double u0 = 0, u1 = 0, u2 = 0;
        if (t != DNN_EXACT_NO_TOP) {
            u0 = ldexp(1.0, t - W);
            u1 = ldexp(1.0, t - 2 * W);
            u2 = ldexp(1.0, t - 3 * W);
        }
        for (size_t i = sum->seg_start[s]; i < sum->seg_start[s + 1]; i++) {
            const int64_t *d = sum->digits + i * K;
            int64_t d0 = d[0], d1 = d[1], d2 = d[2];
            int64_t carry = floor_div_digit(d2);
            d2 -= carry * ((int64_t)1 << W);
            d1 += carry;
            carry = floor_div_digit(d1);
            d1 -= carry * ((int64_t)1 << W);
            d0 += carry;
            out[i] = (double)d0 * u0 + ((double)d1 * u1 + (double)d2 * u2);
        }
    }
    return DNN_OK;
}

int dnn_exact_sum_nonfinite(const dnn_exact_sum *sum)
{
    return sum && sum->top[sum->nseg] != 0;
}
