#ifndef DNN_EXACT_SUM_H
#define DNN_EXACT_SUM_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/status.h"

/* Order-independent sums of double vectors, for results that are bitwise identical
 * whatever the number of ranks and threads.
 *
 * A vector of n elements is split into segments (one per weight matrix, bias vector,
 * cost ...). Each segment has a scale exponent T, a multiple of DNN_EXACT_DIGIT_BITS
 * chosen from the largest magnitude ever added to it: T = the smallest multiple with
 * max |x| < 2^T (never below DNN_EXACT_MIN_TOP). Every added value is cut into
 * DNN_EXACT_DIGITS signed integer digits, digit k weighing 2^(T - (k+1)·bits), by
 * truncation toward zero (bits below the last digit are dropped). Digits are summed
 * in int64, which is associative, and raising T only shifts whole digits, which
 * gives the same digits as if the larger T had been used from the start. So the
 * state after adding any set of vectors, in any order and grouping, depends only on
 * the set: merging per-thread states, then summing per-rank states with an integer
 * Allreduce after agreeing on T (a max), gives identical digits everywhere; so does a
 * reduce-scatter, each rank summing (and converting with dnn_exact_sum_result_range)
 * only its own block of the elements.
 *
 * Accuracy: each added value loses less than 2^(T - 114), i.e. 2^-76 of the
 * segment's largest value; a result is that (truncated) sum rounded to the nearest
 * double, ties to even. So one or two vectors whose values are all exact at their
 * segment's scale (|x| >= 2^(T - 62), or 0) sum to their double sum, which the
 * straight-to-doubles merges use to skip the digits. Capacity: fewer than 2^25
 * values added per element. */
enum {
    DNN_EXACT_DIGITS = 3,
    DNN_EXACT_DIGIT_BITS = 38,
    DNN_EXACT_MIN_TOP = -836, /* values below 2^-950 count as 0 */
    DNN_EXACT_NO_TOP = -100000 /* segment that has seen only zeros */
};

typedef struct {
    size_t n;            /* elements */
    int nseg;            /* segments */
    size_t *seg_start;   /* nseg + 1 bounds: segment s is [seg_start[s], seg_start[s+1]) */
    int *top;            /* nseg + 1: T of each segment; top[nseg] is the non-finite flag */
    int64_t *digits;     /* DNN_EXACT_DIGITS planes of n: digit k of element i at [k·n + i] */
    unsigned char *unset; /* nseg: the segment's digits are not written yet (read as 0) */
    double *block_min;   /* the two-vector merge's smallest non-zero magnitude per block */
} dnn_exact_sum;

/* Segment s has seg_sizes[s] elements. Returns NULL on bad sizes or no memory. */
dnn_exact_sum *dnn_exact_sum_new(int nseg, const size_t *seg_sizes);
void dnn_exact_sum_free(dnn_exact_sum **sum);
/* Back to zero. The digits are not touched: a segment's first add writes them. */
void dnn_exact_sum_clear(dnn_exact_sum *sum);

/* Adds values (the segment's length) to segment s. A NaN or Inf raises the
 * non-finite flag, after which the sum's digits are meaningless. */
dnn_status dnn_exact_sum_add(dnn_exact_sum *sum, int s, const double *values);
/* dst += src (same segment sizes). */
dnn_status dnn_exact_sum_merge(dnn_exact_sum *dst, const dnn_exact_sum *src);
/* dst = src[0] + ... + src[count-1], using the calling thread's OpenMP team size;
 * the sources are aligned to a common scale on the way. */
dnn_status dnn_exact_sum_merge_all(dnn_exact_sum *dst, dnn_exact_sum *const *src, int count);
/* The same plus nvec vectors added in the same pass (as if each had been added to a
 * source first), never stored as digits: vectors[v·nseg + s] is vector v's segment s.
 * count may be 0. */
dnn_status dnn_exact_sum_merge_all_with(dnn_exact_sum *dst, dnn_exact_sum *const *src,
                                        int count, const double *const *vectors, int nvec);
/* Only the scales and the flag merge_all_with would give dst (its digits untouched). */
dnn_status dnn_exact_sum_merge_scales(dnn_exact_sum *dst, dnn_exact_sum *const *src, int count,
                                      const double *const *vectors, int nvec);
/* Elements [begin, end) of the sum of nvec vectors given as blocks (block v holds the
 * vector's elements begin .. end-1), at the scales of sum (set, e.g., by
 * merge_scales and a max over processes), rounded to doubles in out: the bits
 * dnn_exact_sum_result gives after adding the whole vectors. */
dnn_status dnn_exact_sum_blocks_result(const dnn_exact_sum *sum, const double *const *blocks,
                                       int nvec, size_t begin, size_t end, double *out);
/* What blocks (as in blocks_result, for elements [begin, end) of layout's segments)
 * call for before any scale is agreed: tops[s], the scale of segment s's largest
 * magnitude there (DNN_EXACT_NO_TOP for none); grid_tops[s], the largest scale at which
 * all its values there are exact in the digits (INT_MAX when all are 0); *nonfinite,
 * whether one is NaN or Inf. With one or two blocks and out not NULL, out also gets
 * their double sums: blocks_result's bits at agreed scales T_s (the max of tops over
 * processes) whenever every T_s <= the min of grid_tops over processes. */
dnn_status dnn_exact_sum_blocks_scales(const dnn_exact_sum *layout, const double *const *blocks,
                                       int nvec, size_t begin, size_t end, int *tops,
                                       int *grid_tops, int *nonfinite, double *out);
/* The same, straight to dnn_exact_sum_result's n doubles in out, for a sum that needs
 * no alignment with other processes: the merged digits are never stored (dst keeps the
 * scales and the non-finite flag; when the flag is raised, out's contents are
 * unspecified). */
dnn_status dnn_exact_sum_merge_all_result(dnn_exact_sum *dst, dnn_exact_sum *const *src,
                                          int count, const double *const *vectors, int nvec,
                                          double *out);
/* The two-vector merge in pieces, for callers that share a segment's elements among
 * threads themselves. dnn_exact_sum_pair_scan folds a piece's largest magnitude (of a
 * and of b, b NULL standing for zeros) into *max_abs (from 0; INFINITY for a NaN or
 * Inf), and writes the smallest non-zero magnitude of each of its blocks of
 * DNN_EXACT_PAIR_BLOCK elements to block_min (dnn_exact_sum_pair_blocks(len) entries).
 * Once the whole segment's max_abs is known (and finite), its scale is
 * dnn_exact_sum_scale_of(max_abs), and dnn_exact_sum_pair_result writes the piece's
 * sums: the bits merge_all_result gives for the sum of the two vectors (plain double
 * sums where the values are on the scale's grid, digits in the blocks where not). A
 * piece may be cut in several calls at block boundaries, with block_min to match.
 * Where dnn_exact_sum_on_grid(top, the piece's smallest non-zero magnitude) says that
 * all its values are on the grid (as the codes kernels can report them), the scan may
 * be skipped and block_min be NULL: plain sums throughout. */
enum { DNN_EXACT_PAIR_BLOCK = 1024 };
size_t dnn_exact_sum_pair_blocks(size_t len);
void dnn_exact_sum_pair_scan(const double *a, const double *b, size_t len, double *max_abs,
                             double *block_min);
int dnn_exact_sum_scale_of(double max_abs);
int dnn_exact_sum_on_grid(int top, double min_abs);
void dnn_exact_sum_pair_result(const double *a, const double *b, size_t len, int top,
                               const double *block_min, double *out);
/* Shifts every segment to tops[0..nseg-1] (each >= the segment's own) and takes the
 * non-finite flag tops[nseg]: a max over every process's top[0..nseg] taken into a
 * separate array (not sum->top itself). */
dnn_status dnn_exact_sum_align(dnn_exact_sum *sum, const int *tops);
/* Writes the n sums, each rounded deterministically from its digits. */
dnn_status dnn_exact_sum_result(const dnn_exact_sum *sum, double *out);
/* Sums begin .. end-1 only (0 <= begin <= end <= n), to out[0 .. end-begin-1]: the same
 * bits as dnn_exact_sum_result gives them, reading only those elements' digits (so a
 * process may convert just the elements it holds the totals of). */
dnn_status dnn_exact_sum_result_range(const dnn_exact_sum *sum, size_t begin, size_t end,
                                      double *out);
/* True when a NaN or Inf was added (top[nseg] != 0). */
int dnn_exact_sum_nonfinite(const dnn_exact_sum *sum);

#endif
