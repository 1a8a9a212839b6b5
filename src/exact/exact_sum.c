#include "exact/exact_sum.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/hot_loop.h"

enum { K = DNN_EXACT_DIGITS, W = DNN_EXACT_DIGIT_BITS };
enum { RESULT_BLOCK = DNN_EXACT_PAIR_BLOCK }; /* elements per block of the merge straight to doubles */
_Static_assert(DNN_EXACT_DIGITS == 3, "add_digits and the result write three digits");

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
    s->unset = malloc((size_t)nseg);
    if (!s->seg_start || !s->top || !s->unset) {
        dnn_exact_sum_free(&s);
        return NULL;
    }
    s->seg_start[0] = 0;
    for (int i = 0; i < nseg; i++)
        s->seg_start[i + 1] = s->seg_start[i] + seg_sizes[i];
    s->n = s->seg_start[nseg];
    s->digits = s->n ? malloc(s->n * K * sizeof *s->digits) : NULL;
    size_t blocks = 0; /* of the longest segment */
    for (int i = 0; i < nseg; i++)
        if ((seg_sizes[i] + RESULT_BLOCK - 1) / RESULT_BLOCK > blocks)
            blocks = (seg_sizes[i] + RESULT_BLOCK - 1) / RESULT_BLOCK;
    s->block_min = malloc((blocks ? blocks : 1) * sizeof *s->block_min);
    if (s->n == 0 || !s->digits || !s->block_min) {
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
    free((*sum)->unset);
    free((*sum)->digits);
    free((*sum)->block_min);
    free(*sum);
    *sum = NULL;
}

void dnn_exact_sum_clear(dnn_exact_sum *sum)
{
    for (int i = 0; i < sum->nseg; i++) {
        sum->top[i] = DNN_EXACT_NO_TOP;
        sum->unset[i] = 1;
    }
    sum->top[sum->nseg] = 0;
}

/* Writes the zeros an unset segment stands for. */
static void define_segment(dnn_exact_sum *sum, int s)
{
    if (!sum->unset[s])
        return;
    size_t begin = sum->seg_start[s], len = sum->seg_start[s + 1] - begin;
    for (int k = 0; k < K; k++)
        memset(sum->digits + k * sum->n + begin, 0, len * sizeof *sum->digits);
    sum->unset[s] = 0;
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
    int64_t *d = sum->digits;
    for (int k = K - 1; k >= 0; k--)
        for (size_t i = sum->seg_start[s]; i < sum->seg_start[s + 1]; i++)
            d[k * sum->n + i] = k >= j ? d[(k - j) * sum->n + i] : 0;
}

/* The hot loops are HOT_LOOPs (vectorized double <-> int64 conversions on AVX-512);
 * both clones give the same integers, every operation being exact. */
#define HOT HOT_LOOP

/* Magnitudes as the bits of |x|: their integer order is the numeric order, every NaN
 * and Inf lies at or above INF_BITS, and integer maxima and minima vectorize where
 * floating-point ones (with their NaN rules) do not. NO_BITS stands for "no non-zero
 * magnitude" in minima. */
#define INF_BITS ((int64_t)0x7ff0000000000000)
#define NO_BITS INT64_MAX

static inline int64_t magnitude_bits(double x)
{
    int64_t b;
    memcpy(&b, &x, sizeof b);
    return b & INT64_MAX;
}

static inline double of_bits(int64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* The largest magnitude, or -1 when a value is NaN or Inf. */
HOT static double max_abs_of(const double *values, size_t len)
{
    int64_t largest = 0;
    for (size_t i = 0; i < len; i++) {
        int64_t m = magnitude_bits(values[i]);
        largest = m > largest ? m : largest;
    }
    return largest >= INF_BITS ? -1.0 : of_bits(largest);
}

/* digit k of x: trunc(x · 2^((k+1)W - T)) after removing the digits above it;
 * every product and difference here is exact. The digits are added to d0..d2, or
 * written there (a segment's first vector) when add is 0. */
static inline __attribute__((always_inline)) void digits_of(const double *values, size_t len,
                                                            int t, int64_t *d0, int64_t *d1,
                                                            int64_t *d2, int add)
{
    const double s0 = ldexp(1.0, W - t), s1 = ldexp(1.0, 2 * W - t), s2 = ldexp(1.0, 3 * W - t);
    const double u0 = ldexp(1.0, t - W), u1 = ldexp(1.0, t - 2 * W);
    for (size_t i = 0; i < len; i++) {
        double r = values[i];
        int64_t c0 = (int64_t)(r * s0);
        r -= (double)c0 * u0;
        int64_t c1 = (int64_t)(r * s1);
        r -= (double)c1 * u1;
        int64_t c2 = (int64_t)(r * s2);
        d0[i] = add ? d0[i] + c0 : c0;
        d1[i] = add ? d1[i] + c1 : c1;
        d2[i] = add ? d2[i] + c2 : c2;
    }
}

HOT static void add_digits(const double *values, size_t len, int t, int64_t *d0, int64_t *d1,
                           int64_t *d2)
{
    digits_of(values, len, t, d0, d1, d2, 1);
}

HOT static void set_digits(const double *values, size_t len, int t, int64_t *d0, int64_t *d1,
                           int64_t *d2)
{
    digits_of(values, len, t, d0, d1, d2, 0);
}

/* The largest magnitude first: it may raise the segment's scale (a shift, the same as
 * having used the larger scale from the start), once per vector. */
dnn_status dnn_exact_sum_add(dnn_exact_sum *sum, int s, const double *values)
{
    if (!sum || !values || s < 0 || s >= sum->nseg)
        return DNN_ERR_ARG;
    size_t begin = sum->seg_start[s], len = sum->seg_start[s + 1] - begin;
    int64_t *d = sum->digits + begin;
    double max_abs = max_abs_of(values, len);
    if (max_abs < 0.0) { /* the sum is void: only the flag matters now */
        sum->top[sum->nseg] = 1;
        return DNN_OK;
    }
    int t = top_for(max_abs);
    if (sum->unset[s] && t != DNN_EXACT_NO_TOP) {
        sum->top[s] = t;
        sum->unset[s] = 0;
        set_digits(values, len, t, d, d + sum->n, d + 2 * sum->n);
        return DNN_OK;
    }
    if (t > sum->top[s])
        shift_segment(sum, s, t);
    if (sum->top[s] != DNN_EXACT_NO_TOP)
        add_digits(values, len, sum->top[s], d, d + sum->n, d + 2 * sum->n);
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
        define_segment(dst, s);
        if (src->top[s] > dst->top[s])
            shift_segment(dst, s, src->top[s]);
        int j = (dst->top[s] - src->top[s]) / W;
        for (int k = j; k < K; k++)
            for (size_t i = dst->seg_start[s]; i < dst->seg_start[s + 1]; i++)
                dst->digits[k * dst->n + i] += src->digits[(k - j) * src->n + i];
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
    for (int s = 0; s < sum->nseg; s++) {
        define_segment(sum, s);
        shift_segment(sum, s, tops[s]);
    }
    sum->top[sum->nseg] = tops[sum->nseg];
    return DNN_OK;
}

/* x + y and its rounding error e (x + y == s + e exactly), for |x| >= |y| or x == 0. */
static inline double fast_two_sum(double x, double y, double *e)
{
    double s = x + y;
    *e = y - (s - x);
    return s;
}

/* x + y rounded to odd: truncated toward zero, its last bit set when inexact. */
static inline double sum_to_odd(double x, double y)
{
    double s = x + y, yv = s - x, e = (x - (s - yv)) + (y - yv);
    int64_t bits;
    memcpy(&bits, &s, sizeof bits);
    int64_t away = (s > 0.0) == (e > 0.0) ? 1 : -1; /* toward the exact value */
    bits += e != 0.0 && !(bits & 1) ? away : 0;
    memcpy(&s, &bits, sizeof s);
    return s;
}

/* Rounds one segment's digits to the nearest doubles (ties to even). Carries first
 * make the two low digits non-negative and below 2^W (int64_t is two's complement, so
 * x & mask is x mod 2^W, and x - (x & mask) divides exactly); then the three exact
 * parts hi·u0 + lo1·u1 + lo2·u2 are summed with one rounding, by Boldo and Melquiond's
 * correctly rounded sum of three (two error-free sums, the errors added rounded to
 * odd, a last rounding to nearest). A high digit beyond 2^53 takes big_to_double.
 * Correct rounding makes the result the double sum itself whenever the inputs are
 * exact at the scale (dnn_exact_sum_merge_all_result's and blocks_result's fast
 * path for one or two vectors). Returns whether some element needs big_to_double. */
HOT static int digits_to_doubles_fast(const int64_t *d0, const int64_t *d1, const int64_t *d2,
                                      size_t len, int t, double *out)
{
    const int64_t mask = ((int64_t)1 << W) - 1, radix = (int64_t)1 << W, big = (int64_t)1 << 53;
    const double u0 = ldexp(1.0, t - W), u1 = ldexp(1.0, t - 2 * W), u2 = ldexp(1.0, t - 3 * W);
    int any_big = 0;
    for (size_t i = 0; i < len; i++) {
        int64_t lo2 = d2[i] & mask;
        int64_t mid = d1[i] + (d2[i] - lo2) / radix;
        int64_t lo1 = mid & mask;
        int64_t hi = d0[i] + (mid - lo1) / radix;
        any_big |= hi > big || hi < -big;
        double low_error, low = fast_two_sum((double)lo1 * u1, (double)lo2 * u2, &low_error);
        double high_error, high = fast_two_sum((double)hi * u0, low, &high_error);
        double sum = high + sum_to_odd(high_error, low_error);
        out[i] = high - high == 0.0 ? sum : high; /* an overflow stays Inf, not NaN */
    }
    return any_big;
}

/* |hi| > 2^53: the doubles around hi·u0 are at least 2·u0 apart, so of the low digits
 * (below u0) only whether they are zero matters: the sum rounds as hi + 1/2 does. */
static double big_to_double(int64_t hi, int64_t lo1, int64_t lo2, double u0)
{
    __int128 twice = (__int128)hi * 2 + (lo1 != 0 || lo2 != 0);
    return (double)twice * (u0 * 0.5);
}

static void digits_to_doubles(const int64_t *d0, const int64_t *d1, const int64_t *d2, size_t len,
                              int t, double *out)
{
    if (!digits_to_doubles_fast(d0, d1, d2, len, t, out))
        return;
    const int64_t mask = ((int64_t)1 << W) - 1, radix = (int64_t)1 << W, big = (int64_t)1 << 53;
    for (size_t i = 0; i < len; i++) {
        int64_t lo2 = d2[i] & mask, mid = d1[i] + (d2[i] - lo2) / radix, lo1 = mid & mask;
        int64_t hi = d0[i] + (mid - lo1) / radix;
        if (hi > big || hi < -big)
            out[i] = big_to_double(hi, lo1, lo2, ldexp(1.0, t - W));
    }
}

enum { BLOCK = 4096 }; /* elements per unit of parallel work */

/* The part [lo, hi) of segment s inside [begin, end); 0 when it is empty. */
static int segment_part(const dnn_exact_sum *sum, int s, size_t begin, size_t end, size_t *lo,
                        size_t *hi)
{
    *lo = sum->seg_start[s] > begin ? sum->seg_start[s] : begin;
    *hi = sum->seg_start[s + 1] < end ? sum->seg_start[s + 1] : end;
    return *lo < *hi;
}

dnn_status dnn_exact_sum_result_range(const dnn_exact_sum *sum, size_t begin, size_t end,
                                      double *out)
{
    if (!sum || (!out && begin != end) || begin > end || end > sum->n)
        return DNN_ERR_ARG;
    for (int s = 0; s < sum->nseg; s++) {
        size_t lo, hi;
        if (!segment_part(sum, s, begin, end, &lo, &hi))
            continue;
        size_t len = hi - lo;
        double *o = out + (lo - begin);
        int t = sum->top[s];
        if (t == DNN_EXACT_NO_TOP) {
            memset(o, 0, len * sizeof *o);
            continue;
        }
        const int64_t *d = sum->digits + lo;
#pragma omp parallel for schedule(static) if (len > 65536)
        for (size_t at = 0; at < len; at += BLOCK) {
            size_t n = len - at < BLOCK ? len - at : BLOCK;
            digits_to_doubles(d + at, d + sum->n + at, d + 2 * sum->n + at, n, t, o + at);
        }
    }
    return DNN_OK;
}

dnn_status dnn_exact_sum_result(const dnn_exact_sum *sum, double *out)
{
    if (!sum || !out)
        return DNN_ERR_ARG;
    return dnn_exact_sum_result_range(sum, 0, sum->n, out);
}

/* Block [at, at + n) of segment s of dst, whose top is set, into out[0..K-1]: digit k
 * is the sum over the sources of their digit k - j, j being how many digits the
 * source's scale lies below dst's (as if it had been shifted, which leaves the sources
 * as they are), plus the digits of each vector at dst's scale. */
static void merge_block(const dnn_exact_sum *dst, dnn_exact_sum *const *src, int count,
                        const double *const *vectors, int nvec, int s, size_t at, size_t n,
                        int64_t *const *out)
{
    size_t begin = dst->seg_start[s] + at;
    for (int k = 0; k < K; k++) {
        int written = 0;
        for (int w = 0; w < count; w++) {
            int j = (dst->top[s] - src[w]->top[s]) / W;
            if (src[w]->top[s] == DNN_EXACT_NO_TOP || k < j)
                continue;
            const int64_t *d = src[w]->digits + (size_t)(k - j) * src[w]->n + begin;
            if (written)
                for (size_t i = 0; i < n; i++)
                    out[k][i] += d[i];
            else
                memcpy(out[k], d, n * sizeof *out[k]);
            written = 1;
        }
        if (!written)
            memset(out[k], 0, n * sizeof *out[k]);
    }
    for (int v = 0; v < nvec; v++)
        add_digits(vectors[v * dst->nseg + s] + at, n, dst->top[s], out[0], out[1], out[2]);
}

/* max_abs_of on the calling thread's OpenMP team when values is long. */
static double parallel_max_abs(const double *values, size_t len)
{
    double max_abs = 0.0;
    int nonfinite = 0;
#pragma omp parallel for schedule(static) reduction(max : max_abs) reduction(| : nonfinite) \
    if (len > 65536)
    for (size_t at = 0; at < len; at += BLOCK) {
        double m = max_abs_of(values + at, len - at < BLOCK ? len - at : BLOCK);
        nonfinite |= m < 0.0;
        max_abs = m > max_abs ? m : max_abs;
    }
    return nonfinite ? -1.0 : max_abs;
}

static dnn_status check_merge(const dnn_exact_sum *dst, dnn_exact_sum *const *src, int count,
                              const double *const *vectors, int nvec)
{
    if (!dst || (!src && count > 0) || count < 0 || nvec < 0 || (!vectors && nvec > 0))
        return DNN_ERR_ARG;
    for (int w = 0; w < count; w++)
        if (!src[w] || !same_layout(dst, src[w]))
            return DNN_ERR_SHAPE;
    for (int i = 0; i < nvec * dst->nseg; i++)
        if (!vectors[i])
            return DNN_ERR_ARG;
    return DNN_OK;
}

/* The merge's scales and flag: the largest top of each segment over the sources and
 * the vectors' largest magnitudes. */
dnn_status dnn_exact_sum_merge_scales(dnn_exact_sum *dst, dnn_exact_sum *const *src, int count,
                             const double *const *vectors, int nvec)
{
    dnn_status st = check_merge(dst, src, count, vectors, nvec);
    if (st != DNN_OK)
        return st;
    dst->top[dst->nseg] = 0;
    for (int w = 0; w < count; w++)
        dst->top[dst->nseg] |= src[w]->top[src[w]->nseg];
    for (int s = 0; s < dst->nseg; s++) {
        size_t len = dst->seg_start[s + 1] - dst->seg_start[s];
        int top = DNN_EXACT_NO_TOP;
        for (int w = 0; w < count; w++)
            top = src[w]->top[s] > top ? src[w]->top[s] : top;
        for (int v = 0; v < nvec; v++) {
            double max_abs = parallel_max_abs(vectors[v * dst->nseg + s], len);
            if (max_abs < 0.0)
                dst->top[dst->nseg] = 1;
            int t = max_abs > 0.0 ? top_for(max_abs) : DNN_EXACT_NO_TOP;
            top = t > top ? t : top;
        }
        dst->top[s] = top;
    }
    return DNN_OK;
}

dnn_status dnn_exact_sum_merge_all_with(dnn_exact_sum *dst, dnn_exact_sum *const *src,
                                        int count, const double *const *vectors, int nvec)
{
    dnn_status st = dnn_exact_sum_merge_scales(dst, src, count, vectors, nvec);
    if (st != DNN_OK)
        return st;
    for (int s = 0; s < dst->nseg; s++) {
        size_t len = dst->seg_start[s + 1] - dst->seg_start[s];
        /* no digits, or digits that no longer matter: left to read as zeros */
        dst->unset[s] = dst->top[s] == DNN_EXACT_NO_TOP || dst->top[dst->nseg];
        if (dst->unset[s])
            continue;
#pragma omp parallel for schedule(static) if (len > 65536)
        for (size_t at = 0; at < len; at += BLOCK) {
            int64_t *out[K];
            for (int k = 0; k < K; k++)
                out[k] = dst->digits + (size_t)k * dst->n + dst->seg_start[s] + at;
            merge_block(dst, src, count, vectors, nvec, s, at, len - at < BLOCK ? len - at : BLOCK,
                        out);
        }
    }
    return DNN_OK;
}


/* The fast path for one or two vectors. A value x of a segment with scale T is exact
 * in the digits when |x| >= 2^(T - 3W + 52) (its last bit weighs at least the last
 * digit's), or x == 0. When all are, the digits hold a + b exactly and its correctly
 * rounded result is the double a + b, plus 0.0 so that -0 reads as the digits' +0.
 * grid_top_of gives the largest T at which a smallest non-zero magnitude min_abs
 * passes (INT_MAX when there is no non-zero value). */
static int grid_top_of(double min_abs)
{
    if (!(min_abs < INFINITY))
        return INT_MAX;
    int e;
    frexp(min_abs, &e); /* 2^(e-1) <= min_abs */
    return e - 1 + K * W - (DBL_MANT_DIG - 1);
}

static inline __attribute__((always_inline)) void pair_sum_of(const double *a, const double *b,
                                                              size_t len, double *out,
                                                              double *max_abs, double *min_abs)
{
    int64_t largest = magnitude_bits(*max_abs);
    int64_t smallest = *min_abs < INFINITY ? magnitude_bits(*min_abs) : NO_BITS;
    for (size_t i = 0; i < len; i++) {
        double x = a[i], y = b ? b[i] : 0.0;
        if (out) /* NULL: the magnitudes alone */
            out[i] = (x + y) + 0.0;
        int64_t mx = magnitude_bits(x), my = magnitude_bits(y);
        largest = mx > largest ? mx : largest;
        largest = my > largest ? my : largest;
        mx = mx ? mx : NO_BITS;
        my = my ? my : NO_BITS;
        smallest = mx < smallest ? mx : smallest;
        smallest = my < smallest ? my : smallest;
    }
    *max_abs = largest >= INF_BITS ? INFINITY : of_bits(largest);
    *min_abs = smallest == NO_BITS ? INFINITY : of_bits(smallest);
}

/* out = a + b (b NULL: out = a + 0) for len <= RESULT_BLOCK, and the extreme
 * magnitudes folded into *max_abs (INFINITY when a value is NaN or Inf) and *min_abs
 * (non-zero ones only).
 *
 * The sums go to a block on the stack, then to out in one copy: out is often memory
 * another core reads (the processes' shared result, the threads' total), and stores
 * into lines that core holds, mixed into this loop, cost 2-4 times the copy's
 * (BENCHMARKS.md, "Writing where another core reads"). */
HOT static void pair_sum(const double *a, const double *b, size_t len, double *out,
                         double *max_abs, double *min_abs)
{
    double block[RESULT_BLOCK];
    if (b)
        pair_sum_of(a, b, len, block, max_abs, min_abs);
    else
        pair_sum_of(a, NULL, len, block, max_abs, min_abs);
    memcpy(out, block, len * sizeof *out);
}

enum { PAIR_PARALLEL_MIN = 65536 }; /* smaller segments are summed by the calling thread */

/* The part [*lo, *hi) of a segment of len elements that thread `thread` of a team of
 * `threads` sums in the pair path: whole RESULT_BLOCKs, split as schedule(static) would
 * split them. */
static void pair_part(size_t len, int threads, int thread, size_t *lo, size_t *hi)
{
    size_t blocks = (len + RESULT_BLOCK - 1) / RESULT_BLOCK, t = (size_t)thread;
    size_t q = blocks / (size_t)threads, r = blocks % (size_t)threads;
    size_t first = t * q + (t < r ? t : r), count = q + (t < r);
    *lo = first * RESULT_BLOCK < len ? first * RESULT_BLOCK : len;
    *hi = (first + count) * RESULT_BLOCK < len ? (first + count) * RESULT_BLOCK : len;
}

/* pair_sum of a segment of len elements (b NULL: a alone) on the calling thread's team;
 * block_min (when not NULL) gets each RESULT_BLOCK's smallest non-zero magnitude. */
static void parallel_pair_sum(const double *a, const double *b, size_t len, double *out,
                              double *max_abs, double *min_abs, double *block_min)
{
    double largest = 0.0, smallest = INFINITY;
#pragma omp parallel reduction(max : largest) reduction(min : smallest) \
    if (len > PAIR_PARALLEL_MIN)
    {
        int threads = omp_get_num_threads(), me = omp_get_thread_num();
        size_t lo, hi;
        pair_part(len, threads, me, &lo, &hi);
        for (size_t at = lo; at < hi; at += RESULT_BLOCK) {
            double mx = 0.0, mn = INFINITY;
            pair_sum(a + at, b ? b + at : NULL, hi - at < RESULT_BLOCK ? hi - at : RESULT_BLOCK,
                     out + at, &mx, &mn);
            if (block_min)
                block_min[at / RESULT_BLOCK] = mn;
            largest = mx > largest ? mx : largest;
            smallest = mn < smallest ? mn : smallest;
        }
    }
    *max_abs = largest;
    *min_abs = smallest;
}

/* out = a + b (b NULL: a alone) for n <= RESULT_BLOCK, summed in digits at scale t. */
static void pair_in_digits(const double *a, const double *b, size_t n, int t, double *out)
{
    int64_t block[K][RESULT_BLOCK];
    set_digits(a, n, t, block[0], block[1], block[2]);
    if (b)
        add_digits(b, n, t, block[0], block[1], block[2]);
    digits_to_doubles(block[0], block[1], block[2], n, t, out);
}

/* After a pair sum of a and b (b NULL: a alone) into out[0 .. len), whose blocks'
 * smallest non-zero magnitudes are block_min: the blocks with a value off the digit
 * grid of scale t are summed again in digits. The other blocks' plain sums stand,
 * being what the digits give there. */
static void digits_off_the_grid(const double *a, const double *b, size_t len, int t,
                                const double *block_min, double *out)
{
    long blocks = (long)((len + RESULT_BLOCK - 1) / RESULT_BLOCK);
#pragma omp parallel for schedule(dynamic, 1) if (len > PAIR_PARALLEL_MIN)
    for (long k = 0; k < blocks; k++) {
        if (t <= grid_top_of(block_min[k]))
            continue;
        size_t at = (size_t)k * RESULT_BLOCK, n = len - at < RESULT_BLOCK ? len - at : RESULT_BLOCK;
        pair_in_digits(a + at, b ? b + at : NULL, n, t, out + at);
    }
}

size_t dnn_exact_sum_pair_blocks(size_t len)
{
    return (len + RESULT_BLOCK - 1) / RESULT_BLOCK;
}

/* pair_sum_of's magnitudes alone, from 0 and INFINITY */
HOT static void pair_scan(const double *a, const double *b, size_t len, double *max_abs,
                          double *min_abs)
{
    *max_abs = 0.0;
    *min_abs = INFINITY;
    if (b)
        pair_sum_of(a, b, len, NULL, max_abs, min_abs);
    else
        pair_sum_of(a, NULL, len, NULL, max_abs, min_abs);
}

void dnn_exact_sum_pair_scan(const double *a, const double *b, size_t len, double *max_abs,
                             double *block_min)
{
    for (size_t at = 0; at < len; at += RESULT_BLOCK) {
        double mx, mn;
        size_t n = len - at < RESULT_BLOCK ? len - at : RESULT_BLOCK;
        pair_scan(a + at, b ? b + at : NULL, n, &mx, &mn);
        block_min[at / RESULT_BLOCK] = mn;
        *max_abs = mx > *max_abs ? mx : *max_abs;
    }
}

int dnn_exact_sum_scale_of(double max_abs)
{
    return top_for(max_abs);
}

int dnn_exact_sum_on_grid(int top, double min_abs)
{
    return top <= grid_top_of(min_abs);
}

HOT static void plain_sums(const double *restrict a, const double *restrict b, size_t n,
                           double *restrict out)
{
    if (b)
        for (size_t i = 0; i < n; i++)
            out[i] = (a[i] + b[i]) + 0.0;
    else
        for (size_t i = 0; i < n; i++)
            out[i] = a[i] + 0.0;
}

void dnn_exact_sum_pair_result(const double *a, const double *b, size_t len, int top,
                               const double *block_min, double *out)
{
    for (size_t at = 0, k = 0; at < len; at += RESULT_BLOCK, k++) {
        size_t n = len - at < RESULT_BLOCK ? len - at : RESULT_BLOCK;
        if (!block_min || top <= grid_top_of(block_min[k])) {
            plain_sums(a + at, b ? b + at : NULL, n, out + at);
            continue;
        }
        pair_in_digits(a + at, b ? b + at : NULL, n, top, out + at);
    }
}

/* Whether blocks (nvec of them, none NULL) over [begin, end) fit sum's elements. */
static int blocks_ok(const dnn_exact_sum *sum, const double *const *blocks, int nvec,
                     size_t begin, size_t end)
{
    if (!sum || begin > end || end > sum->n || nvec < 0 || (nvec > 0 && !blocks))
        return 0;
    for (int v = 0; v < nvec; v++)
        if (!blocks[v])
            return 0;
    return 1;
}

dnn_status dnn_exact_sum_blocks_result(const dnn_exact_sum *sum, const double *const *blocks,
                                       int nvec, size_t begin, size_t end, double *out)
{
    if (!blocks_ok(sum, blocks, nvec, begin, end) || (begin < end && !out) ||
        dnn_exact_sum_nonfinite(sum))
        return DNN_ERR_ARG;
    for (int s = 0; s < sum->nseg; s++) {
        size_t lo, hi;
        if (!segment_part(sum, s, begin, end, &lo, &hi))
            continue;
        size_t len = hi - lo;
        int t = sum->top[s];
        if (t == DNN_EXACT_NO_TOP) {
            memset(out + (lo - begin), 0, len * sizeof *out);
            continue;
        }
        if (nvec == 1 || nvec == 2) {
            /* sum->block_min is scratch, not part of the sum's value */
            double max_abs, min_abs;
            size_t from = lo - begin;
            const double *b = nvec == 2 ? blocks[1] + from : NULL;
            parallel_pair_sum(blocks[0] + from, b, len, out + from, &max_abs, &min_abs,
                              sum->block_min);
            if (t > grid_top_of(min_abs))
                digits_off_the_grid(blocks[0] + from, b, len, t, sum->block_min, out + from);
            continue;
        }
#pragma omp parallel for schedule(static) if (len > 65536)
        for (size_t at = 0; at < len; at += RESULT_BLOCK) {
            size_t n = len - at < RESULT_BLOCK ? len - at : RESULT_BLOCK, from = lo - begin + at;
            int64_t block[K][RESULT_BLOCK];
            if (nvec == 0)
                memset(block, 0, sizeof block);
            for (int v = 0; v < nvec; v++)
                (v ? add_digits : set_digits)(blocks[v] + from, n, t, block[0], block[1], block[2]);
            digits_to_doubles(block[0], block[1], block[2], n, t, out + from);
        }
    }
    return DNN_OK;
}

/* The largest magnitude and the smallest non-zero one, folded into *max_abs (INFINITY
 * when a value is NaN or Inf) and *min_abs. */
HOT static void extremes_of(const double *values, size_t len, double *max_abs, double *min_abs)
{
    int64_t largest = magnitude_bits(*max_abs);
    int64_t smallest = *min_abs < INFINITY ? magnitude_bits(*min_abs) : NO_BITS;
    for (size_t i = 0; i < len; i++) {
        int64_t m = magnitude_bits(values[i]);
        largest = m > largest ? m : largest;
        m = m ? m : NO_BITS;
        smallest = m < smallest ? m : smallest;
    }
    *max_abs = largest >= INF_BITS ? INFINITY : of_bits(largest);
    *min_abs = smallest == NO_BITS ? INFINITY : of_bits(smallest);
}

dnn_status dnn_exact_sum_blocks_scales(const dnn_exact_sum *layout, const double *const *blocks,
                                       int nvec, size_t begin, size_t end, int *tops,
                                       int *grid_tops, int *nonfinite, double *out)
{
    if (!blocks_ok(layout, blocks, nvec, begin, end) || !tops || !grid_tops || !nonfinite)
        return DNN_ERR_ARG;
    *nonfinite = 0;
    for (int s = 0; s < layout->nseg; s++) {
        size_t lo, hi;
        double max_abs = 0.0, min_abs = INFINITY;
        if (segment_part(layout, s, begin, end, &lo, &hi)) {
            size_t from = lo - begin, len = hi - lo;
            if (out && (nvec == 1 || nvec == 2)) {
                parallel_pair_sum(blocks[0] + from, nvec == 2 ? blocks[1] + from : NULL, len,
                                  out + from, &max_abs, &min_abs, NULL);
            } else {
                for (int v = 0; v < nvec; v++)
                    extremes_of(blocks[v] + from, len, &max_abs, &min_abs);
            }
        }
        *nonfinite |= max_abs > DBL_MAX;
        tops[s] = max_abs > DBL_MAX ? DNN_EXACT_NO_TOP : top_for(max_abs);
        grid_tops[s] = grid_top_of(min_abs);
    }
    return DNN_OK;
}

/* merge_all_result's fast path: valid arguments, sources without digits, one or two
 * vectors and finite values. Plain sums where the values are exact at the scales
 * found on the way (dst's tops when it returns 1), digits in the blocks where they
 * are not. Returns 0 when the general path must run (out may then be partly
 * written). */
static int merge_result_of_pair(dnn_exact_sum *dst, dnn_exact_sum *const *src, int count,
                                const double *const *vectors, int nvec, double *out)
{
    if (nvec < 1 || nvec > 2 || check_merge(dst, src, count, vectors, nvec) != DNN_OK)
        return 0;
    for (int w = 0; w < count; w++)
        for (int s = 0; s <= dst->nseg; s++)
            if (src[w]->top[s] != (s < dst->nseg ? DNN_EXACT_NO_TOP : 0))
                return 0;
    for (int s = 0; s < dst->nseg; s++) {
        double max_abs, min_abs;
        size_t lo = dst->seg_start[s];
        const double *a = vectors[s], *b = nvec == 2 ? vectors[(size_t)dst->nseg + s] : NULL;
        parallel_pair_sum(a, b, dst->seg_start[s + 1] - lo, out + lo, &max_abs, &min_abs,
                          dst->block_min);
        if (max_abs > DBL_MAX)
            return 0;
        dst->top[s] = top_for(max_abs);
        if (dst->top[s] > grid_top_of(min_abs))
            digits_off_the_grid(a, b, dst->seg_start[s + 1] - lo, dst->top[s], dst->block_min,
                                out + lo);
    }
    dst->top[dst->nseg] = 0;
    for (int s = 0; s < dst->nseg; s++)
        dst->unset[s] = 1;
    return 1;
}

dnn_status dnn_exact_sum_merge_all_result(dnn_exact_sum *dst, dnn_exact_sum *const *src,
                                          int count, const double *const *vectors, int nvec,
                                          double *out)
{
    if (!out)
        return DNN_ERR_ARG;
    if (merge_result_of_pair(dst, src, count, vectors, nvec, out))
        return DNN_OK;
    dnn_status st = dnn_exact_sum_merge_scales(dst, src, count, vectors, nvec);
    if (st != DNN_OK)
        return st;
    for (int s = 0; s < dst->nseg; s++)
        dst->unset[s] = 1;
    if (dst->top[dst->nseg])
        return DNN_OK;
    for (int s = 0; s < dst->nseg; s++) {
        size_t begin = dst->seg_start[s], len = dst->seg_start[s + 1] - begin;
        int t = dst->top[s];
        if (t == DNN_EXACT_NO_TOP) {
            memset(out + begin, 0, len * sizeof *out);
            continue;
        }
#pragma omp parallel for schedule(static) if (len > 65536)
        for (size_t at = 0; at < len; at += RESULT_BLOCK) {
            size_t n = len - at < RESULT_BLOCK ? len - at : RESULT_BLOCK;
            int64_t block[K][RESULT_BLOCK];
            int64_t *planes[K] = {block[0], block[1], block[2]};
            merge_block(dst, src, count, vectors, nvec, s, at, n, planes);
            digits_to_doubles(block[0], block[1], block[2], n, t, out + begin + at);
        }
    }
    return DNN_OK;
}

dnn_status dnn_exact_sum_merge_all(dnn_exact_sum *dst, dnn_exact_sum *const *src, int count)
{
    if (count < 1)
        return DNN_ERR_ARG;
    return dnn_exact_sum_merge_all_with(dst, src, count, NULL, 0);
}

int dnn_exact_sum_nonfinite(const dnn_exact_sum *sum)
{
    return sum && sum->top[sum->nseg] != 0;
}
