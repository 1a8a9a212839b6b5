/* The exact sum's rounding: every result is the exact (truncated) sum rounded to the
 * nearest double, ties to even, which is what lets one or two vectors that are exact
 * at their scale take the plain double sum. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact/exact_sum.h"
#include "dnn/rng.h"
#include "test_util.h"

enum { N = 20000, TOP = 38, GRID = TOP - 3 * DNN_EXACT_DIGIT_BITS }; /* grid: 2^-76 */

static double uniform(dnn_rng *rng)
{
    return (double)(dnn_rng_uint32(rng) >> 8) / 16777216.0;
}

/* A double with a random 53-bit significand, exponent e. */
static double random_double(dnn_rng *rng, int e)
{
    uint64_t m = ((uint64_t)dnn_rng_uint32(rng) << 21 ^ dnn_rng_uint32(rng)) | (1ull << 52);
    m &= (1ull << 53) - 1;
    return ldexp((double)m, e - 52);
}

static __int128 grid_units(double x)
{
    return (__int128)ldexp(x, -GRID); /* exact: x is a multiple of 2^GRID below 2^114 */
}

/* Three vectors on the grid of scale TOP (element 0 fixes the scale) whose sums are
 * often exactly halfway between two doubles, or one grid unit either side. */
static void make_near_ties(double *a, double *b, double *c)
{
    dnn_rng rng;
    dnn_rng_seed(&rng, 11);
    a[0] = ldexp(1.0, TOP - 1);
    b[0] = c[0] = 0.0;
    for (int i = 1; i < N; i++) {
        int e = (int)(dnn_rng_uint32(&rng) % 90) - 51; /* 2^-51 .. 2^38: ulp >= 2^-103 */
        e = e > TOP - 2 ? TOP - 2 : e;
        a[i] = random_double(&rng, e) * (uniform(&rng) < 0.5 ? -1.0 : 1.0);
        double half_ulp = ldexp(1.0, e - 53);
        b[i] = half_ulp < ldexp(1.0, GRID) ? 0.0 : half_ulp * (uniform(&rng) < 0.5 ? -1 : 1);
        double r = uniform(&rng);
        c[i] = r < 0.4 ? 0.0 : ldexp(r < 0.7 ? 1.0 : -1.0, GRID + (int)(dnn_rng_uint32(&rng) % 3));
    }
}

START_TEST(results_are_rounded_to_nearest_even)
{
    static double a[N], b[N], c[N], got[N];
    make_near_ties(a, b, c);
    size_t size = N;
    dnn_exact_sum *s = dnn_exact_sum_new(1, &size);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(dnn_exact_sum_add(s, 0, a), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_add(s, 0, b), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_add(s, 0, c), DNN_OK);
    ck_assert_int_eq(s->top[0], TOP);
    ck_assert_int_eq(dnn_exact_sum_result(s, got), DNN_OK);
    int ties = 0;
    for (int i = 0; i < N; i++) {
        __int128 exact = grid_units(a[i]) + grid_units(b[i]) + grid_units(c[i]);
        double expected = ldexp((double)exact, GRID); /* the conversion rounds correctly */
        ties += b[i] != 0.0 && c[i] == 0.0;
        ck_assert_msg(memcmp(&got[i], &expected, sizeof expected) == 0,
                      "element %d: %a + %a + %a gave %a, nearest is %a", i, a[i], b[i], c[i],
                      got[i], expected);
    }
    ck_assert_int_gt(ties, N / 8);
    dnn_exact_sum_free(&s);
}
END_TEST

/* A high digit beyond 2^53: 2^16 values of 2^38 - 1 and one of 1.5 sum to
 * 2^54 - 65535 + 0.5, just above the midpoint of two doubles 2 apart. */
START_TEST(a_high_digit_beyond_2_to_53_rounds_correctly)
{
    size_t size = 2;
    dnn_exact_sum *s = dnn_exact_sum_new(1, &size);
    ck_assert_ptr_nonnull(s);
    const double big[2] = {ldexp(1.0, 38) - 1.0, -(ldexp(1.0, 38) - 1.0)};
    const double last[2] = {1.5, -1.5};
    for (int k = 0; k < 1 << 16; k++)
        ck_assert_int_eq(dnn_exact_sum_add(s, 0, big), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_add(s, 0, last), DNN_OK);
    double got[2];
    ck_assert_int_eq(dnn_exact_sum_result(s, got), DNN_OK);
    ck_assert_double_eq(got[0], ldexp(1.0, 54) - 65534.0);
    ck_assert_double_eq(got[1], -(ldexp(1.0, 54) - 65534.0));
    dnn_exact_sum_free(&s);
}
END_TEST

enum { NSEG = 3, LEN = 3 * 70000 };
static const size_t seg_sizes[NSEG] = {70000, 139999, 1}; /* long ones run threaded */

/* The sum of nvec vectors by adding them, merged straight to doubles, and as blocks of
 * P processes: all three must give the same bits. */
/* The trainer's protocol for blocks of nvec vectors over P processes: each finds the
 * scales its block calls for (and the plain sums, with one or two vectors), the scales
 * are agreed (max of tops, min of grid tops), and each block is summed exactly at them
 * unless the plain sums already are exact. Returns whether they were. */
static int agreed_blocks_result(double *const *v, int nvec, int P, double *out)
{
    int tops[NSEG], grid[NSEG], agreed[NSEG], lowest[NSEG], nonfinite;
    for (int seg = 0; seg < NSEG; seg++) {
        agreed[seg] = DNN_EXACT_NO_TOP;
        lowest[seg] = INT_MAX;
    }
    dnn_exact_sum *layout = dnn_exact_sum_new(NSEG, seg_sizes);
    ck_assert_ptr_nonnull(layout);
    const double *blocks[3];
    for (int p = 0; p < P; p++) {
        size_t begin = (size_t)LEN * (size_t)p / (size_t)P;
        size_t end = (size_t)LEN * (size_t)(p + 1) / (size_t)P;
        for (int k = 0; k < nvec; k++)
            blocks[k] = v[k] + begin;
        ck_assert_int_eq(dnn_exact_sum_blocks_scales(layout, blocks, nvec, begin, end, tops, grid,
                                                     &nonfinite, out + begin),
                         DNN_OK);
        ck_assert(!nonfinite);
        for (int seg = 0; seg < NSEG; seg++) {
            agreed[seg] = tops[seg] > agreed[seg] ? tops[seg] : agreed[seg];
            lowest[seg] = grid[seg] < lowest[seg] ? grid[seg] : lowest[seg];
        }
    }
    int plain = nvec <= 2;
    for (int seg = 0; seg < NSEG; seg++) {
        layout->top[seg] = agreed[seg];
        plain &= agreed[seg] <= lowest[seg];
    }
    for (int p = 0; !plain && p < P; p++) {
        size_t begin = (size_t)LEN * (size_t)p / (size_t)P;
        size_t end = (size_t)LEN * (size_t)(p + 1) / (size_t)P;
        for (int k = 0; k < nvec; k++)
            blocks[k] = v[k] + begin;
        ck_assert_int_eq(dnn_exact_sum_blocks_result(layout, blocks, nvec, begin, end, out + begin),
                         DNN_OK);
    }
    dnn_exact_sum_free(&layout);
    return plain;
}

static int last_plain; /* whether agreed_blocks_result's last call kept the plain sums */

static void check_paths_agree(double *const *v, int nvec, const char *what)
{
    static double expected[LEN], got[LEN];
    dnn_exact_sum *ref = dnn_exact_sum_new(NSEG, seg_sizes), *s = dnn_exact_sum_new(NSEG, seg_sizes);
    ck_assert(ref && s);
    const double *segments[2 * NSEG];
    for (int k = 0; k < nvec; k++)
        for (int seg = 0, at = 0; seg < NSEG; at += (int)seg_sizes[seg], seg++) {
            ck_assert_int_eq(dnn_exact_sum_add(ref, seg, v[k] + at), DNN_OK);
            segments[k * NSEG + seg] = v[k] + at;
        }
    ck_assert_int_eq(dnn_exact_sum_result(ref, expected), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(s, &ref, 0, segments, nvec, got), DNN_OK);
    ck_assert_msg(memcmp(got, expected, sizeof got) == 0, "%s: merge_all_result differs", what);
    for (int seg = 0; seg < NSEG; seg++)
        ck_assert_int_eq(s->top[seg], ref->top[seg]);
    for (int P = 1; P <= 3; P++) {
        memset(got, 0, sizeof got);
        for (int p = 0; p < P; p++) {
            size_t begin = (size_t)LEN * (size_t)p / (size_t)P;
            size_t end = (size_t)LEN * (size_t)(p + 1) / (size_t)P;
            const double *blocks[2] = {v[0] + begin, nvec > 1 ? v[1] + begin : NULL};
            ck_assert_int_eq(dnn_exact_sum_blocks_result(ref, blocks, nvec, begin, end,
                                                         got + begin), DNN_OK);
        }
        ck_assert_msg(memcmp(got, expected, sizeof got) == 0, "%s: blocks of %d differ", what, P);
        memset(got, 0, sizeof got);
        last_plain = agreed_blocks_result(v, nvec, P, got);
        ck_assert_msg(memcmp(got, expected, sizeof got) == 0,
                      "%s: blocks of %d with agreed scales differ", what, P);
    }
    dnn_exact_sum_free(&ref);
    dnn_exact_sum_free(&s);
}

static void fill(double *v, uint32_t seed, int binades)
{
    dnn_rng rng;
    dnn_rng_seed(&rng, seed);
    for (int i = 0; i < LEN; i++)
        v[i] = dnn_rng_normal(&rng) * ldexp(1.0, -(int)(dnn_rng_uint32(&rng) % (uint32_t)binades));
}

/* Values in [2^-20, 2): every segment's scale is 2^38, and all of them are exact in
 * its digits (at least 2^(38 - 62)). */
static void fill_on_grid(double *v, uint32_t seed)
{
    dnn_rng rng;
    dnn_rng_seed(&rng, seed);
    for (int i = 0; i < LEN; i++) {
        double x = (1.0 + uniform(&rng)) * ldexp(1.0, -(int)(dnn_rng_uint32(&rng) % 21));
        v[i] = uniform(&rng) < 0.5 ? -x : x;
    }
}

/* One or two vectors: the double sum when every value is exact at its scale, the
 * digits when one is not (a value 2^70 below its segment's largest loses its low
 * bits), -0 read as +0, zero segments. */
START_TEST(one_or_two_vectors_give_the_digits_bits)
{
    static double a[LEN], b[LEN];
    double *v[2] = {a, b};
    fill_on_grid(a, 1);
    fill_on_grid(b, 2);
    a[5] = b[5] = -0.0;
    a[6] = -0.0;
    for (int i = 0; i < 1000; i++) /* cancellation */
        b[100 + i] = -a[100 + i] * (1.0 + ldexp(1.0, -40));
    check_paths_agree(v, 2, "on the grid");
    ck_assert(last_plain);
    check_paths_agree(v, 1, "one vector on the grid");
    ck_assert(last_plain);
    /* 2^-25 + 2^-77: one bit below the grid of scale 2^38 (its last digit weighs 2^-76) */
    a[200] = ldexp(1.0 + DBL_EPSILON, -25);
    b[200] = 0.0;
    check_paths_agree(v, 2, "one bit off the grid");
    ck_assert(!last_plain);
    a[200] = ldexp(1.0 + DBL_EPSILON, -24); /* its last bit weighs 2^-76: on the grid */
    check_paths_agree(v, 2, "at the grid's edge");
    ck_assert(last_plain);
    a[70000 + 77] = ldexp(a[70000 + 77], -70) + ldexp(1.0, -200);
    b[12] = ldexp(b[12], -70) * (1.0 + DBL_EPSILON);
    check_paths_agree(v, 2, "off the grid");
    ck_assert(!last_plain);
    check_paths_agree(v, 1, "one vector off the grid");
    ck_assert(!last_plain);
    memset(a, 0, sizeof a);
    for (int i = 0; i < LEN; i++)
        b[i] = -0.0;
    check_paths_agree(v, 2, "zeros");
    double got = 1.0, expected = 0.0;
    dnn_exact_sum *s = dnn_exact_sum_new(NSEG, seg_sizes);
    const double *segments[NSEG] = {b, b + 70000, b + LEN - 1};
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(s, NULL, 0, segments, 1, a), DNN_OK);
    got = a[LEN - 1];
    ck_assert(memcmp(&got, &expected, sizeof got) == 0); /* +0, not -0 */
    dnn_exact_sum_free(&s);
}
END_TEST

/* Three vectors: the scales are agreed and every block is summed in digits. */
START_TEST(three_vectors_take_the_digits_at_agreed_scales)
{
    static double a[LEN], b[LEN], c[LEN], expected[LEN], got[LEN];
    fill(a, 5, 30);
    fill(b, 6, 30);
    fill(c, 7, 30);
    double *v[3] = {a, b, c};
    dnn_exact_sum *ref = dnn_exact_sum_new(NSEG, seg_sizes);
    for (int k = 0; k < 3; k++)
        for (int seg = 0, at = 0; seg < NSEG; at += (int)seg_sizes[seg], seg++)
            ck_assert_int_eq(dnn_exact_sum_add(ref, seg, v[k] + at), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_result(ref, expected), DNN_OK);
    for (int P = 1; P <= 3; P++) {
        memset(got, 0, sizeof got);
        ck_assert(!agreed_blocks_result(v, 3, P, got));
        ck_assert_msg(memcmp(got, expected, sizeof got) == 0, "%d processes differ", P);
    }
    /* a NaN in one block raises that process's flag */
    b[70000 + 5] = NAN;
    const double *blocks[3] = {a, b, c};
    int tops[NSEG], grid[NSEG], nonfinite;
    ck_assert_int_eq(dnn_exact_sum_blocks_scales(ref, blocks, 3, 0, LEN, tops, grid, &nonfinite,
                                                 NULL),
                     DNN_OK);
    ck_assert(nonfinite);
    ck_assert_int_eq(dnn_exact_sum_blocks_scales(ref, blocks, 3, 0, 70000, tops, grid, &nonfinite,
                                                 NULL),
                     DNN_OK);
    ck_assert(!nonfinite);
    ck_assert_int_eq(dnn_exact_sum_blocks_scales(ref, blocks, 3, 0, LEN + 1, tops, grid,
                                                 &nonfinite, NULL),
                     DNN_ERR_ARG);
    dnn_exact_sum_free(&ref);
}
END_TEST

/* A NaN among two vectors raises the flag, as it does in the digits. */
START_TEST(a_nan_among_two_vectors_raises_the_flag)
{
    static double a[LEN], b[LEN], out[LEN];
    fill(a, 3, 10);
    fill(b, 4, 10);
    b[LEN - 2] = NAN;
    const double *segments[2 * NSEG] = {a, a + 70000, a + LEN - 1, b, b + 70000, b + LEN - 1};
    dnn_exact_sum *s = dnn_exact_sum_new(NSEG, seg_sizes);
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(s, NULL, 0, segments, 2, out), DNN_OK);
    ck_assert(dnn_exact_sum_nonfinite(s));
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(s, NULL, 0, segments, 2, NULL), DNN_ERR_ARG);
    segments[4] = NULL;
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(s, NULL, 0, segments, 2, out), DNN_ERR_ARG);
    dnn_exact_sum_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exact_rounding");
    TCase *tc = tcase_create("rounding");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, results_are_rounded_to_nearest_even);
    tcase_add_test(tc, a_high_digit_beyond_2_to_53_rounds_correctly);
    tcase_add_test(tc, one_or_two_vectors_give_the_digits_bits);
    tcase_add_test(tc, three_vectors_take_the_digits_at_agreed_scales);
    tcase_add_test(tc, a_nan_among_two_vectors_raises_the_flag);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
