/* The order-independent sum and the chunk sharding behind bitwise reproducibility. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "exact/exact_sum.h"
#include "dnn/rng.h"
#include "dnn/shard.h"
#include "test_util.h"

enum { NVEC = 60, NSEG = 3 };
static const size_t seg_sizes[NSEG] = {50, 7, 1};
#define NELEM 58

/* Vectors whose magnitudes span many binades, with cancellation. */
static void make_vectors(double v[NVEC][NELEM])
{
    dnn_rng rng;
    dnn_rng_seed(&rng, 7);
    for (int k = 0; k < NVEC; k++)
        for (int i = 0; i < NELEM; i++)
            v[k][i] = dnn_rng_normal(&rng) * ldexp(1.0, (int)(dnn_rng_uint32(&rng) % 60) - 40);
    v[5][3] = 0.0;
    v[9][NELEM - 1] = 1e300; /* one huge value in the last segment */
    v[10][NELEM - 1] = -1e300;
}

static void add_vector(dnn_exact_sum *s, const double *v)
{
    size_t at = 0;
    for (int seg = 0; seg < NSEG; seg++) {
        ck_assert_int_eq(dnn_exact_sum_add(s, seg, v + at), DNN_OK);
        at += seg_sizes[seg];
    }
}

/* Sums the vectors split into `parts` groups added in a shuffled order, each
 * group in its own state, then merged, aligned and summed as ranks would. */
static void grouped_sum(double v[NVEC][NELEM], int parts, uint32_t seed, double *out)
{
    dnn_exact_sum *total = dnn_exact_sum_new(NSEG, seg_sizes);
    ck_assert_ptr_nonnull(total);
    int order[NVEC];
    for (int k = 0; k < NVEC; k++)
        order[k] = k;
    dnn_rng rng;
    dnn_rng_seed(&rng, seed);
    for (int k = NVEC - 1; k > 0; k--) {
        int j = (int)(dnn_rng_uint32(&rng) % (uint32_t)(k + 1)), t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    dnn_exact_sum **part = calloc((size_t)parts, sizeof *part);
    int tops[NSEG + 1];
    for (int p = 0; p < parts; p++) {
        part[p] = dnn_exact_sum_new(NSEG, seg_sizes);
        for (int k = p * NVEC / parts; k < (p + 1) * NVEC / parts; k++)
            add_vector(part[p], v[order[k]]);
    }
    /* as the Allreduce does: agree on the largest tops, align, add the digits */
    for (int s = 0; s <= NSEG; s++) {
        tops[s] = part[0]->top[s];
        for (int p = 1; p < parts; p++)
            tops[s] = part[p]->top[s] > tops[s] ? part[p]->top[s] : tops[s];
    }
    for (int p = parts - 1; p >= 0; p--) {
        ck_assert_int_eq(dnn_exact_sum_align(part[p], tops), DNN_OK);
        ck_assert_int_eq(dnn_exact_sum_merge(total, part[p]), DNN_OK);
        dnn_exact_sum_free(&part[p]);
    }
    free(part);
    ck_assert_int_eq(dnn_exact_sum_result(total, out), DNN_OK);
    dnn_exact_sum_free(&total);
}

START_TEST(sum_does_not_depend_on_grouping_or_order)
{
    static double v[NVEC][NELEM];
    make_vectors(v);
    double first[NELEM], other[NELEM];
    grouped_sum(v, 1, 1, first);
    const int parts[] = {2, 3, 4, 7, 60};
    for (int p = 0; p < 5; p++) {
        grouped_sum(v, parts[p], 100 + (uint32_t)p, other);
        ck_assert_msg(memcmp(first, other, sizeof first) == 0, "%d groups differ", parts[p]);
    }
}
END_TEST

START_TEST(sum_is_accurate)
{
    static double v[NVEC][NELEM];
    make_vectors(v);
    double out[NELEM];
    grouped_sum(v, 3, 5, out);
    for (int i = 0; i < NELEM; i++) {
        long double ref = 0.0L, mag = 0.0L; /* reference: 64-bit mantissa, error ~NVEC·2^-64 */
        for (int k = 0; k < NVEC; k++) {
            ref += v[k][i];
            mag += fabsl((long double)v[k][i]);
        }
        double err = fabs(out[i] - (double)ref);
        ck_assert_msg(err <= 4e-16 * fabs((double)ref) + 1e-17 * (double)mag,
                      "element %d: %.17g vs %.17g", i, out[i], (double)ref);
    }
    ck_assert_double_eq(out[NELEM - 1], (double)((long double)0)); /* 1e300 - 1e300 + small */
}
END_TEST

START_TEST(non_finite_values_raise_the_flag)
{
    dnn_exact_sum *s = dnn_exact_sum_new(NSEG, seg_sizes);
    double v[NELEM] = {0};
    add_vector(s, v);
    ck_assert(!dnn_exact_sum_nonfinite(s));
    v[52] = NAN;
    add_vector(s, v);
    ck_assert(dnn_exact_sum_nonfinite(s));
    dnn_exact_sum_clear(s);
    v[52] = -INFINITY;
    add_vector(s, v);
    ck_assert(dnn_exact_sum_nonfinite(s));
    dnn_exact_sum_free(&s);
}
END_TEST

START_TEST(bad_arguments)
{
    size_t zero[] = {0};
    ck_assert_ptr_null(dnn_exact_sum_new(0, seg_sizes));
    ck_assert_ptr_null(dnn_exact_sum_new(1, zero));
    ck_assert_ptr_null(dnn_exact_sum_new(1, NULL));
    dnn_exact_sum *s = dnn_exact_sum_new(NSEG, seg_sizes), *t = dnn_exact_sum_new(1, seg_sizes);
    double v[NELEM] = {1.0};
    int tops[NSEG + 1] = {DNN_EXACT_NO_TOP, DNN_EXACT_NO_TOP, DNN_EXACT_NO_TOP, 0};
    ck_assert_int_eq(dnn_exact_sum_add(s, NSEG, v), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_exact_sum_add(s, 0, NULL), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_exact_sum_merge(s, t), DNN_ERR_SHAPE);
    ck_assert_int_eq(dnn_exact_sum_add(s, 0, v), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_align(s, tops), DNN_ERR_ARG); /* below its own top */
    ck_assert_int_eq(dnn_exact_sum_align(s, s->top), DNN_ERR_ARG); /* must not alias */
    dnn_exact_sum_free(&s);
    dnn_exact_sum_free(&t);
}
END_TEST

/* One sum of all the vectors, and its result in expected. */
static dnn_exact_sum *sum_of_all(double v[NVEC][NELEM], double *expected)
{
    dnn_exact_sum *ref = dnn_exact_sum_new(NSEG, seg_sizes);
    ck_assert_ptr_nonnull(ref);
    for (int k = 0; k < NVEC; k++)
        add_vector(ref, v[k]);
    ck_assert_int_eq(dnn_exact_sum_result(ref, expected), DNN_OK);
    return ref;
}

/* A cleared sum does not rewrite its digits: a segment's first add writes them. A sum
 * reused after clear must give the bits of a new one, and states merged with
 * merge_all (some never added to, as a thread with no chunk) those of one sum of all. */
START_TEST(reuse_after_clear_and_merge_all)
{
    static double v[NVEC][NELEM];
    make_vectors(v);
    double expected[NELEM], got[NELEM];
    dnn_exact_sum *ref = sum_of_all(v, expected);

    dnn_exact_sum *part[4], *all = dnn_exact_sum_new(NSEG, seg_sizes);
    for (int p = 0; p < 4; p++)
        part[p] = dnn_exact_sum_new(NSEG, seg_sizes);
    for (int round = 0; round < 3; round++) {
        for (int p = 0; p < 4; p++)
            dnn_exact_sum_clear(part[p]);
        /* part 3 gets nothing; the others get every third vector, in rounds that
         * start with a different part, so each round reuses digits of the last */
        for (int k = 0; k < NVEC; k++)
            add_vector(part[(k + round) % 3], v[k]);
        ck_assert_int_eq(dnn_exact_sum_merge_all(all, part, 4), DNN_OK);
        ck_assert_int_eq(dnn_exact_sum_result(all, got), DNN_OK);
        ck_assert_msg(memcmp(got, expected, sizeof got) == 0, "round %d differs", round);
    }
    /* align after a clear with no add: the digits are zeros */
    dnn_exact_sum_clear(ref);
    int tops[NSEG + 1] = {0, 38, -38, 0};
    ck_assert_int_eq(dnn_exact_sum_align(ref, tops), DNN_OK);
    for (size_t i = 0; i < ref->n * DNN_EXACT_DIGITS; i++)
        ck_assert_int_eq(ref->digits[i], 0);
    for (int p = 0; p < 4; p++)
        dnn_exact_sum_free(&part[p]);
    dnn_exact_sum_free(&all);
    dnn_exact_sum_free(&ref);
}
END_TEST

/* Vectors merged without being added first (as a thread's last chunk gradient) give
 * the bits of adding them; a NaN among them raises the flag. */
START_TEST(merge_all_with_pending_vectors)
{
    static double v[NVEC][NELEM];
    make_vectors(v);
    double expected[NELEM], got[NELEM];
    dnn_exact_sum *ref = sum_of_all(v, expected), *all = dnn_exact_sum_new(NSEG, seg_sizes);
    dnn_exact_sum *part[2] = {dnn_exact_sum_new(NSEG, seg_sizes), dnn_exact_sum_new(NSEG, seg_sizes)};
    enum { ADDED = 40, PENDING = NVEC - ADDED };
    static const double *pending[PENDING * NSEG];
    for (int k = 0; k < ADDED; k++)
        add_vector(part[k % 2], v[k]);
    for (int k = 0; k < PENDING; k++)
        for (int seg = 0, at = 0; seg < NSEG; at += (int)seg_sizes[seg], seg++)
            pending[k * NSEG + seg] = v[ADDED + k] + at;
    ck_assert_int_eq(dnn_exact_sum_merge_all_with(all, part, 2, pending, PENDING), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_result(all, got), DNN_OK);
    ck_assert(memcmp(got, expected, sizeof got) == 0);
    /* straight to doubles, as one process does */
    memset(got, 0, sizeof got);
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(all, part, 2, pending, PENDING, got), DNN_OK);
    ck_assert(memcmp(got, expected, sizeof got) == 0);
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(all, part, 2, pending, PENDING, NULL),
                     DNN_ERR_ARG);
    /* no sums at all, only vectors */
    ck_assert_int_eq(dnn_exact_sum_merge_all_with(all, NULL, 0, pending, PENDING), DNN_OK);
    ck_assert(!dnn_exact_sum_nonfinite(all));
    double nan_vector[NELEM] = {0};
    nan_vector[3] = NAN;
    pending[0] = nan_vector;
    ck_assert_int_eq(dnn_exact_sum_merge_all_with(all, part, 2, pending, PENDING), DNN_OK);
    ck_assert(dnn_exact_sum_nonfinite(all));
    ck_assert_int_eq(dnn_exact_sum_merge_all_result(all, part, 2, pending, PENDING, got), DNN_OK);
    ck_assert(dnn_exact_sum_nonfinite(all));
    ck_assert_int_eq(dnn_exact_sum_merge_all_with(all, part, -1, pending, 1), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_exact_sum_merge_all_with(all, part, 2, NULL, 1), DNN_ERR_ARG);
    dnn_exact_sum_free(&part[0]);
    dnn_exact_sum_free(&part[1]);
    dnn_exact_sum_free(&all);
    dnn_exact_sum_free(&ref);
}
END_TEST

/* Two vectors with a few values too small for the digits' grid: those values' blocks
 * are summed in digits, the others are plain sums, and together they must give the
 * digits' bits (a tiny value with no partner keeps all its bits in a plain sum, and
 * loses the ones below the grid in the digits). */
START_TEST(pair_merge_sums_off_grid_blocks_in_digits)
{
    enum { LONG = 70001, N = LONG + 11 }; /* the long segment is split among threads */
    static const size_t sizes[3] = {LONG, 10, 1};
    static double a[N], b[N], expected[N], got[N];
    static const size_t tiny_at[] = {2100, 2101, 40000, LONG - 3, LONG + 4};
    dnn_rng rng;
    dnn_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) {
        a[i] = 1e-3 * dnn_rng_normal(&rng);
        b[i] = 1e-3 * dnn_rng_normal(&rng);
    }
    for (int i = 0; i < (int)(sizeof tiny_at / sizeof *tiny_at); i++) {
        a[tiny_at[i]] = ldexp(1.0 + 0x1.23456789abcdep-1, -90 - i);
        b[tiny_at[i]] = i % 2 ? 0.0 : ldexp(-1.0 - 0x1.fedcba987654p-3, -95);
    }
    dnn_exact_sum *all = dnn_exact_sum_new(3, sizes);
    ck_assert_ptr_nonnull(all);
    const double *pending[6] = {a, a + LONG, a + LONG + 10, b, b + LONG, b + LONG + 10};
    ck_assert_int_eq(dnn_exact_sum_merge_all_with(all, NULL, 0, pending, 2), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_result(all, expected), DNN_OK);
    ck_assert(expected[2101] != a[2101]); /* the digits did drop bits there */
    for (int threads = 1; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        memset(got, 0, sizeof got);
        ck_assert_int_eq(dnn_exact_sum_merge_all_result(all, NULL, 0, pending, 2, got), DNN_OK);
        for (int i = 0; i < N; i++)
            ck_assert_msg(memcmp(&got[i], &expected[i], sizeof got[i]) == 0,
                          "%d threads: element %d is %a, the digits give %a", threads, i, got[i],
                          expected[i]);
        /* as two processes, each summing its half of the elements at the agreed scales */
        memset(got, 0, sizeof got);
        for (int p = 0; p < 2; p++) {
            size_t begin = p ? N / 2 : 0, end = p ? N : N / 2;
            const double *blocks[2] = {a + begin, b + begin};
            ck_assert_int_eq(dnn_exact_sum_blocks_result(all, blocks, 2, begin, end, got + begin),
                             DNN_OK);
        }
        for (int i = 0; i < N; i++)
            ck_assert_msg(memcmp(&got[i], &expected[i], sizeof got[i]) == 0,
                          "%d threads, blocks: element %d is %a, the digits give %a", threads, i,
                          got[i], expected[i]);
    }
    /* in pieces of uneven lengths, as the split step sums a weight matrix's columns:
     * each segment's scale from all its pieces' magnitudes, then the sums; the first
     * piece in two calls */
    static const size_t piece[] = {3000, 777, 1500, 2048, 1, 999};
    memset(got, 0, sizeof got);
    for (int g = 0; g < 3; g++) {
        size_t lo = all->seg_start[g], hi = all->seg_start[g + 1];
        static double block_min[N];
        double largest = 0.0;
        size_t at = lo, k = 0, used = 0;
        for (; at < hi; k++) {
            size_t len = hi - at < piece[k % 6] ? hi - at : piece[k % 6];
            dnn_exact_sum_pair_scan(a + at, b + at, len, &largest, block_min + used);
            used += dnn_exact_sum_pair_blocks(len);
            at += len;
        }
        int top = dnn_exact_sum_scale_of(largest);
        ck_assert_int_eq(top, all->top[g]);
        for (at = lo, k = 0, used = 0; at < hi; k++) {
            size_t len = hi - at < piece[k % 6] ? hi - at : piece[k % 6];
            size_t cut = k == 0 && len > DNN_EXACT_PAIR_BLOCK ? DNN_EXACT_PAIR_BLOCK : 0;
            if (cut)
                dnn_exact_sum_pair_result(a + at, b + at, cut, top, block_min + used, got + at);
            dnn_exact_sum_pair_result(a + at + cut, b + at + cut, len - cut, top,
                                      block_min + used + cut / DNN_EXACT_PAIR_BLOCK,
                                      got + at + cut);
            used += dnn_exact_sum_pair_blocks(len);
            at += len;
        }
    }
    for (int i = 0; i < N; i++)
        ck_assert_msg(memcmp(&got[i], &expected[i], sizeof got[i]) == 0,
                      "pieces: element %d is %a, the digits give %a", i, got[i], expected[i]);
    dnn_exact_sum_free(&all);
}
END_TEST

/* Several processes exchanging blocks of their gradients instead of digits: each
 * finds its scales (merge_scales), the scales are maxed over processes, and each sums
 * the blocks of its own range of every process's vectors (blocks_result). The ranges
 * together must give the bits of adding all vectors to one sum. */
START_TEST(blocks_result_equals_the_full_result)
{
    static double v[NVEC][NELEM];
    make_vectors(v);
    double expected[NELEM], got[NELEM];
    dnn_exact_sum *ref = sum_of_all(v, expected);
    static const double *segments[NVEC * NSEG];
    for (int k = 0; k < NVEC; k++)
        for (int seg = 0, at = 0; seg < NSEG; at += (int)seg_sizes[seg], seg++)
            segments[k * NSEG + seg] = v[k] + at;
    for (int P = 1; P <= 6; P++) {
        if (NVEC % P != 0)
            continue;
        int nvec = NVEC / P; /* as many vectors on every process */
        dnn_exact_sum *proc = dnn_exact_sum_new(NSEG, seg_sizes);
        int tops[NSEG + 1];
        for (int s = 0; s <= NSEG; s++)
            tops[s] = s < NSEG ? DNN_EXACT_NO_TOP : 0;
        for (int p = 0; p < P; p++) {
            ck_assert_int_eq(dnn_exact_sum_merge_scales(proc, NULL, 0, segments + p * nvec * NSEG,
                                                        nvec), DNN_OK);
            for (int s = 0; s <= NSEG; s++)
                tops[s] = proc->top[s] > tops[s] ? proc->top[s] : tops[s];
        }
        memcpy(proc->top, tops, sizeof tops);
        memset(got, 0, sizeof got);
        for (int p = 0; p < P; p++) {
            size_t begin = (size_t)NELEM * (size_t)p / (size_t)P;
            size_t end = (size_t)NELEM * (size_t)(p + 1) / (size_t)P;
            const double *blocks[NVEC];
            for (int k = 0; k < NVEC; k++)
                blocks[k] = v[k] + begin;
            ck_assert_int_eq(dnn_exact_sum_blocks_result(proc, blocks, NVEC, begin, end,
                                                         got + begin), DNN_OK);
        }
        ck_assert_msg(memcmp(got, expected, sizeof got) == 0, "%d processes differ", P);
        dnn_exact_sum_free(&proc);
    }
    dnn_exact_sum_free(&ref);
}
END_TEST

/* Every range [begin, end) of the sum of v, converted alone, against the full result:
 * the same bits, and nothing written past out[end - begin - 1]. */
static void check_every_range(const dnn_exact_sum *s)
{
    size_t n = s->n;
    double *full = malloc(n * sizeof *full), *part = malloc((n + 1) * sizeof *part);
    ck_assert(full && part);
    ck_assert_int_eq(dnn_exact_sum_result(s, full), DNN_OK);
    for (size_t begin = 0; begin <= n; begin++) {
        for (size_t end = begin; end <= n; end++) {
            for (size_t i = 0; i <= n; i++)
                part[i] = -7.0; /* a value no sum here has */
            ck_assert_int_eq(dnn_exact_sum_result_range(s, begin, end, part), DNN_OK);
            ck_assert_msg(memcmp(part, full + begin, (end - begin) * sizeof *part) == 0,
                          "range [%zu, %zu) differs from the full result", begin, end);
            ck_assert_msg(part[end - begin] == -7.0, "range [%zu, %zu) wrote past its end",
                          begin, end);
        }
    }
    free(full);
    free(part);
}

START_TEST(result_range_is_the_full_results_slice)
{
    static double v[NVEC][NELEM];
    make_vectors(v);
    dnn_exact_sum *s = dnn_exact_sum_new(NSEG, seg_sizes);
    ck_assert_ptr_nonnull(s);
    for (int k = 0; k < NVEC; k++)
        add_vector(s, v[k]);
    check_every_range(s);
    /* a segment that saw only zeros (no scale) in the middle */
    dnn_exact_sum_clear(s);
    double zeros[NELEM] = {0};
    ck_assert_int_eq(dnn_exact_sum_add(s, 0, v[0]), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_add(s, 1, zeros), DNN_OK);
    ck_assert_int_eq(dnn_exact_sum_add(s, 2, v[1] + 57), DNN_OK);
    ck_assert_int_eq(s->top[1], DNN_EXACT_NO_TOP);
    check_every_range(s);
    /* bad ranges, and an empty one needs no output */
    double out[NELEM];
    ck_assert_int_eq(dnn_exact_sum_result_range(s, 3, 2, out), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_exact_sum_result_range(s, 0, NELEM + 1, out), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_exact_sum_result_range(s, 1, 2, NULL), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_exact_sum_result_range(NULL, 0, 0, out), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_exact_sum_result_range(s, NELEM, NELEM, NULL), DNN_OK);
    dnn_exact_sum_free(&s);
}
END_TEST

/* A segment long enough for the conversion's OpenMP loop, cut at awkward places. */
START_TEST(result_range_of_a_long_segment)
{
    const size_t sizes[3] = {3, 70001, 2};
    size_t n = sizes[0] + sizes[1] + sizes[2];
    dnn_exact_sum *s = dnn_exact_sum_new(3, sizes);
    double *v = malloc(n * sizeof *v), *full = malloc(n * sizeof *full),
           *part = malloc(n * sizeof *part);
    ck_assert(s && v && full && part);
    dnn_rng rng;
    dnn_rng_seed(&rng, 11);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++)
            v[i] = dnn_rng_normal(&rng) * ldexp(1.0, (int)(dnn_rng_uint32(&rng) % 40) - 20);
        for (int seg = 0, at = 0; seg < 3; at += (int)sizes[seg], seg++)
            ck_assert_int_eq(dnn_exact_sum_add(s, seg, v + at), DNN_OK);
    }
    ck_assert_int_eq(dnn_exact_sum_result(s, full), DNN_OK);
    const size_t cuts[][2] = {{0, 70006}, {1, 70005}, {4, 70004}, {2, 257}, {300, 65837},
                              {35003, 70006}, {70003, 70006}, {65536, 65537}};
    for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
        size_t begin = cuts[c][0], end = cuts[c][1];
        ck_assert_int_eq(dnn_exact_sum_result_range(s, begin, end, part), DNN_OK);
        ck_assert_msg(memcmp(part, full + begin, (end - begin) * sizeof *part) == 0,
                      "range [%zu, %zu) differs from the full result", begin, end);
    }
    free(v);
    free(full);
    free(part);
    dnn_exact_sum_free(&s);
}
END_TEST

/* What the trainer does across P processes, simulated in one: every "process" sums its
 * own vectors, the tops are agreed (max) and aligned, each process adds up only its
 * block of the digits (a reduce-scatter) and converts that block, and the blocks are
 * put together (an allgather). The result must be the one-process result, bit for bit. */
START_TEST(scattered_conversion_equals_the_full_result)
{
    static double v[NVEC][NELEM];
    make_vectors(v);
    double first[NELEM], other[NELEM];
    grouped_sum(v, 1, 1, first);
    for (int P = 1; P <= 9; P++) {
        dnn_exact_sum *part[9];
        int tops[NSEG + 1];
        for (int p = 0; p < P; p++) {
            part[p] = dnn_exact_sum_new(NSEG, seg_sizes);
            ck_assert_ptr_nonnull(part[p]);
            for (int k = p * NVEC / P; k < (p + 1) * NVEC / P; k++)
                add_vector(part[p], v[k]);
        }
        for (int s = 0; s <= NSEG; s++) {
            tops[s] = part[0]->top[s];
            for (int p = 1; p < P; p++)
                tops[s] = part[p]->top[s] > tops[s] ? part[p]->top[s] : tops[s];
        }
        for (int p = 0; p < P; p++)
            ck_assert_int_eq(dnn_exact_sum_align(part[p], tops), DNN_OK);
        for (int p = 0; p < P; p++) {
            size_t begin = (size_t)NELEM * (size_t)p / (size_t)P;
            size_t end = (size_t)NELEM * (size_t)(p + 1) / (size_t)P;
            /* process p's block of every digit plane, summed over the processes */
            for (int k = 0; k < DNN_EXACT_DIGITS; k++)
                for (size_t i = begin; i < end; i++)
                    for (int q = 0; q < P; q++)
                        if (q != p)
                            part[p]->digits[k * NELEM + i] += part[q]->digits[k * NELEM + i];
            ck_assert_int_eq(dnn_exact_sum_result_range(part[p], begin, end, other + begin),
                             DNN_OK);
        }
        ck_assert_msg(memcmp(first, other, sizeof first) == 0, "%d processes differ", P);
        for (int p = 0; p < P; p++)
            dnn_exact_sum_free(&part[p]);
    }
}
END_TEST

START_TEST(shards_partition_the_examples_into_whole_chunks)
{
    const long ms[] = {1, 2, 17, 209, 1000, 65536};
    const long chunks[] = {1, 3, 16, 64, 1000};
    for (size_t a = 0; a < sizeof ms / sizeof *ms; a++) {
        for (size_t b = 0; b < sizeof chunks / sizeof *chunks; b++) {
            long m = ms[a], c = chunks[b], n = dnn_chunk_count(m, c);
            for (int P = 1; P <= 9; P++) {
                long next = 0, next_chunk = 0, most = 0, least = n;
                for (int r = 0; r < P; r++) {
                    dnn_shard s = dnn_shard_of(r, P, m, c);
                    ck_assert_int_eq(s.first_chunk, next_chunk);
                    ck_assert_int_eq(s.first, next);
                    ck_assert(s.count == 0 || s.first % c == 0);
                    next += s.count;
                    next_chunk += s.n_chunks;
                    most = s.n_chunks > most ? s.n_chunks : most;
                    least = s.n_chunks < least ? s.n_chunks : least;
                }
                ck_assert_int_eq(next, m);
                ck_assert_int_eq(next_chunk, n);
                ck_assert_int_le(most - least, 1);
            }
        }
    }
    dnn_shard none = dnn_shard_of(3, 2, 100, 10);
    ck_assert_int_eq(none.count, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exact_sum");
    TCase *tc = tcase_create("reproducible");
    tcase_set_timeout(tc, 60); /* under the sanitizers, beside other tests: ~4 s a case */
    tcase_add_test(tc, sum_does_not_depend_on_grouping_or_order);
    tcase_add_test(tc, sum_is_accurate);
    tcase_add_test(tc, non_finite_values_raise_the_flag);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, reuse_after_clear_and_merge_all);
    tcase_add_test(tc, merge_all_with_pending_vectors);
    tcase_add_test(tc, pair_merge_sums_off_grid_blocks_in_digits);
    tcase_add_test(tc, blocks_result_equals_the_full_result);
    tcase_add_test(tc, result_range_is_the_full_results_slice);
    tcase_add_test(tc, result_range_of_a_long_segment);
    tcase_add_test(tc, scattered_conversion_equals_the_full_result);
    tcase_add_test(tc, shards_partition_the_examples_into_whole_chunks);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
