/* The special path of a step: threads share the first layer by inputs instead of by
 * examples (DNN_EXCHANGE_SPLIT). docs/DESIGN.md says where it applies and what it buys.
 *
 * Part p of the inputs, [k_begin[p], k_begin[p + 1]) in whole blocks of the codes
 * kernels, belongs to one thread. It computes that part of the products W1 · X and
 * dW1 = dZ1 · Xᵀ for every chunk, sums its dW1 columns over the chunks and hands each
 * block of sums to the update stage (update.c), so W1 and its gradients stay in its
 * cache from step to step. The threads exchange only the forward's partial sums (part
 * 0 starts each sum; the other parts keep each block's sum apart, added in block order
 * by the thread that finishes the chunk: the bits of one pass over all the inputs) and
 * each chunk's dZ1. The chunks' other layers (a few thousand weights) run on the thread
 * that finishes them; the thread that finishes the last chunk sums the other layers'
 * gradients and hands them to the update stage.
 *
 * The sums over chunks are the exact sum's two-vector path in pieces: once the largest
 * magnitudes the gradient kernels saw give W1's scale, plain double sums, or digits in
 * the blocks whose values are off its grid (found by a scan of the parts whose smallest
 * magnitude is); so every bit is as in the three-stage step. */
#include <float.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/lines.h"
#include "core/model_first_layer.h"
#include "kernels/gemm.h"
#include "kernels/kernels.h"
#include "train/trainer_impl.h"

enum { MAX_CHUNKS = 2, PAD = 8 /* doubles: a line between threads' values */, LINE = 64 };

typedef struct {
    _Atomic long value;
    char pad[LINE - sizeof(_Atomic long)];
} flag_line;

struct dnn_split {
    int parts;
    int *k_begin;          /* parts + 1 bounds */
    /* part 0: its sums of all the chunks' examples; part p >= 1: the sums of each of
     * its blocks apart, block_stride doubles each */
    double **block_sums;
    size_t block_stride;   /* M · the examples of all the chunks */
    size_t part_sums;      /* doubles of the block sums of the widest part p >= 1 */
    double *block_min;     /* part p's pieces' blocks (dnn_exact_sum_pair) */
    double *rest_block_min; /* the other segments' */
    size_t piece_blocks;   /* block_min entries of one piece */
    double *magnitudes;    /* part p's W1 gradients: largest and smallest non-zero, PAD apart */
    double *dZ1[MAX_CHUNKS];
    flag_line *finished;   /* [MAX_CHUNKS]: the last step (epoch) that finished chunk c */
    int chunk_status[MAX_CHUNKS];
    long epoch;            /* steps begun */
};

void dnn_split_free(dnn_split **split)
{
    if (!split || !*split)
        return;
    dnn_split *s = *split;
    for (int p = 0; s->block_sums && p < s->parts; p++)
        free(s->block_sums[p]);
    free(s->block_sums);
    free(s->magnitudes);
    free(s->finished);
    free(s->k_begin);
    free(s->block_min);
    free(s->rest_block_min);
    free(s);
    *split = NULL;
}

/* Parts for a team of `team` threads, and the memory they share. */
static dnn_split *split_new(const dnn_trainer *t, int team)
{
    int M = t->params->dims[1], K = t->params->dims[0], block = dnn_kernel_codes_block();
    int blocks = (K + block - 1) / block;
    dnn_split *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->parts = team < blocks ? team : blocks;
    s->k_begin = malloc(((size_t)s->parts + 1) * sizeof *s->k_begin);
    s->block_sums = calloc((size_t)s->parts, sizeof *s->block_sums);
    int ok = s->k_begin && s->block_sums;
    for (int p = 0; ok && p <= s->parts; p++) {
        long k = (long)p * blocks / s->parts * block;
        s->k_begin[p] = k < K ? (int)k : K;
    }
    int widest = 0;
    s->block_stride = (size_t)M * (size_t)t->chunk * MAX_CHUNKS;
    for (int p = 0; ok && p < s->parts; p++) {
        int width = s->k_begin[p + 1] - s->k_begin[p];
        size_t part_blocks = (size_t)(width + block - 1) / (size_t)block;
        widest = width > widest ? width : widest;
        if (p > 0 && part_blocks * s->block_stride > s->part_sums)
            s->part_sums = part_blocks * s->block_stride;
    }
    size_t rest = 0; /* the longest other segment */
    for (int g = 1; g < t->exact->nseg; g++) {
        size_t len = t->exact->seg_start[g + 1] - t->exact->seg_start[g];
        rest = len > rest ? len : rest;
    }
    s->piece_blocks = dnn_exact_sum_pair_blocks((size_t)widest);
    s->block_min = malloc((size_t)s->parts * (size_t)M * s->piece_blocks * sizeof *s->block_min);
    s->rest_block_min = malloc(dnn_exact_sum_pair_blocks(rest) * sizeof *s->rest_block_min);
    s->magnitudes = malloc((size_t)s->parts * PAD * sizeof *s->magnitudes);
    s->finished = dnn_zeroed_lines(MAX_CHUNKS * sizeof *s->finished);
    ok = ok && s->block_min && s->rest_block_min && s->magnitudes && s->finished;
    for (int p = 0; ok && p < s->parts; p++)
        ok = (s->block_sums[p] = dnn_zeroed_lines((p ? s->part_sums : s->block_stride) *
                                                  sizeof(double))) != NULL;
    if (!ok)
        dnn_split_free(&s);
    return s;
}

int dnn_split_applies(dnn_trainer *t, const dnn_reducer *reducer)
{
    const dnn_params *p = t->params;
    /* the split divides each sum of W1 · X among threads by inputs: only with the
     * system's products, whose bits are this machine's anyway */
    if (t->exchange == DNN_EXCHANGE_SHARED || !dnn_products_system())
        return 0;
    /* mini-batches and dropout take the stages' way (not measured here: the split's
     * chunks are the local examples in place, without masks) */
    if (t->no_split || t->columns || t->keep_prob < 1.0)
        return 0;
    if (t->split)
        return 1;
    long chunks = dnn_local_chunks(t, t->local);
    if (reducer->processes > 1 || t->nthreads < 2 || t->dtype != DNN_F64 ||
        t->mode != DNN_REDUCE_EXACT || chunks < 1 || chunks > MAX_CHUNKS ||
        !t->local->X_codes || !dnn_kernel_suits_codes(p->dims[1], t->chunk, p->dims[0]) ||
        p->dims[0] < 2 * dnn_kernel_codes_block())
        return 0;
    if (!(t->split = split_new(t, t->nthreads)))
        t->no_split = 1;
    return t->split != NULL;
}

/* Waits until *flag reaches value: spins, then yields the CPU (with more threads than
 * CPUs, the one it waits for may need this one's). */
static void wait_for(_Atomic long *flag, long value)
{
    for (long spins = 0; atomic_load_explicit(flag, memory_order_acquire) < value; spins++) {
        if (spins < 4096)
            CPU_RELAX();
        else
            sched_yield();
    }
}

typedef struct {
    dnn_trainer *t;
    dnn_split *s;
    const dnn_update_rule *rule;
    int M, K, chunks;
    int cols[MAX_CHUNKS];
    long first[MAX_CHUNKS];
} step_plan;

static const uint8_t *codes_of(const step_plan *plan, int c)
{
    return plan->t->local->X_codes + (size_t)plan->first[c] * (size_t)plan->K;
}

/* Chunk c's gradient sums (its W1 part in the part's columns), in the worker of the
 * thread that finishes it. */
static double *chunk_sums(const step_plan *plan, int c)
{
    return plan->t->workers[c].grads->arena;
}

/* Part p of W1 · X for all the chunks' examples at once (they follow each other in X,
 * and each example's sums are its own), so W1's part is read once for all. */
static void forward_part(const step_plan *plan, int p, double *work)
{
    const dnn_split *s = plan->s;
    int N = plan->cols[0] + (plan->chunks > 1 ? plan->cols[1] : 0);
    dnn_kernel_forward_codes_part(plan->M, N, plan->K, s->k_begin[p], s->k_begin[p + 1],
                                  plan->t->params->W[1], codes_of(plan, 0), s->block_sums[p],
                                  p == 0 ? 0 : s->block_stride, work);
}

/* Chunk c's first-layer sums completed in block order, then the rest of its forward
 * and backward passes: its gradient sums (but dW1) and cost in its worker's grads. */
static dnn_status finish_chunk(const step_plan *plan, int c)
{
    dnn_split *s = plan->s;
    dnn_trainer *t = plan->t;
    const dnn_dataset *d = t->local;
    dnn_cache *cache = t->workers[c].cache;
    dnn_params *grads = t->workers[c].grads;
    size_t n = (size_t)plan->M * (size_t)plan->cols[c];
    double *Z = cache->Z[1];
    size_t from = (size_t)plan->first[c] * (size_t)plan->M; /* chunk c's columns */
    memcpy(Z, s->block_sums[0] + from, n * sizeof *Z);
    int block = dnn_kernel_codes_block();
    for (int p = 1; p < s->parts; p++) {
        int blocks = (s->k_begin[p + 1] - s->k_begin[p] + block - 1) / block;
        const double *sums = s->block_sums[p] + from;
        for (int b = 0; b < blocks; b++, sums += s->block_stride)
            for (size_t i = 0; i < n; i++)
                Z[i] += sums[i];
    }
    const double *X = d->X + (size_t)plan->first[c] * (size_t)plan->K;
    const double *Y = d->Y + plan->first[c];
    double cost_sum, *dZ1 = NULL;
    dnn_status st = dnn_L_model_forward_after_first_product(t->params, X, codes_of(plan, c),
                                                            plan->cols[c], cache);
    const double *AL = cache->A[t->params->L];
    if (st == DNN_OK)
        st = dnn_cross_entropy_sum(plan->cols[c], AL, Y, &cost_sum);
    if (st == DNN_OK)
        st = dnn_L_model_backward_but_first_product(t->params, cache, AL, Y, 1.0, grads, &dZ1);
    grads->arena[grads->count] = st == DNN_OK ? cost_sum : NAN;
    s->dZ1[c] = dZ1;
    return st;
}

/* Part p of chunk c's dW1, its magnitudes folded into the part's. */
static void gradient_part(const step_plan *plan, int p, int c, double *work)
{
    const dnn_split *s = plan->s;
    dnn_kernel_weight_gradient_codes_part(plan->M, plan->cols[c], plan->K, s->k_begin[p],
                                          s->k_begin[p + 1], 1.0, s->dZ1[c], codes_of(plan, c),
                                          chunk_sums(plan, c), work,
                                          s->magnitudes + (size_t)p * PAD);
}

/* Chunk c's sums from element at (in the exact sum's layout), or NULL when there is
 * no chunk c. */
static const double *chunk_at(const step_plan *plan, int c, size_t at)
{
    return c < plan->chunks ? chunk_sums(plan, c) + at : NULL;
}

static double *part_block_min(const step_plan *plan, int p, int r)
{
    return plan->s->block_min + ((size_t)p * (size_t)plan->M + (size_t)r) * plan->s->piece_blocks;
}

/* The smallest non-zero magnitude in each block of part p's columns of the chunks' W1
 * gradients: where some value is off the grid of W1's scale, the blocks that hold one
 * are summed in digits. */
static void scan_part(const step_plan *plan, int p)
{
    dnn_split *s = plan->s;
    size_t lo = (size_t)s->k_begin[p], len = (size_t)s->k_begin[p + 1] - lo;
    double largest = 0.0;
    for (int r = 0; r < plan->M; r++) {
        size_t at = (size_t)r * (size_t)plan->K + lo;
        dnn_exact_sum_pair_scan(chunk_at(plan, 0, at), chunk_at(plan, 1, at), len, &largest,
                                part_block_min(plan, p, r));
    }
}

/* Then its sums at W1's scale, a block at a time: handed to the update stage at once
 * when update is set, else written to total. */
static void sum_part(const step_plan *plan, int p, int top, int update)
{
    dnn_trainer *t = plan->t;
    size_t lo = (size_t)plan->s->k_begin[p], len = (size_t)plan->s->k_begin[p + 1] - lo;
    int on_grid = dnn_exact_sum_on_grid(top, plan->s->magnitudes[(size_t)p * PAD + 1]);
    if (!on_grid)
        scan_part(plan, p);
    double g[DNN_EXACT_PAIR_BLOCK];
    for (int r = 0; r < plan->M; r++) {
        size_t row = (size_t)r * (size_t)plan->K + lo;
        const double *block_min = on_grid ? NULL : part_block_min(plan, p, r);
        for (size_t at = row, k = 0; at < row + len; at += DNN_EXACT_PAIR_BLOCK, k++) {
            size_t n = row + len - at < DNN_EXACT_PAIR_BLOCK ? row + len - at
                                                              : DNN_EXACT_PAIR_BLOCK;
            double *out = update ? g : t->total + at;
            dnn_exact_sum_pair_result(chunk_at(plan, 0, at), chunk_at(plan, 1, at), n, top,
                                      block_min ? block_min + k : NULL, out);
            if (update)
                dnn_update_block(plan->rule, at, n, g);
        }
    }
}

/* The other segments (b1, W2, ..., bL, the cost) summed whole into total, their
 * scales set; returns 0 when a value is NaN or Inf. */
static int sum_rest(const step_plan *plan)
{
    dnn_exact_sum *e = plan->t->exact;
    double *block_min = plan->s->rest_block_min, *total = plan->t->total;
    for (int g = 1; g < e->nseg; g++) {
        size_t at = e->seg_start[g], len = e->seg_start[g + 1] - at;
        const double *a = chunk_at(plan, 0, at), *b = chunk_at(plan, 1, at);
        double largest = 0.0;
        dnn_exact_sum_pair_scan(a, b, len, &largest, block_min);
        if (!(largest <= DBL_MAX))
            return 0;
        e->top[g] = dnn_exact_sum_scale_of(largest);
        dnn_exact_sum_pair_result(a, b, len, e->top[g], block_min, total + at);
    }
    return 1;
}

/* Part p's columns of W1 from total. */
static void update_part(const step_plan *plan, int p)
{
    size_t lo = (size_t)plan->s->k_begin[p], len = (size_t)plan->s->k_begin[p + 1] - lo;
    for (int r = 0; r < plan->M; r++) {
        size_t at = (size_t)r * (size_t)plan->K + lo;
        dnn_update_block(plan->rule, at, len, plan->t->total + at);
    }
}

/* The other parameters (b1, W2, ..., bL) from total. */
static void update_rest(const step_plan *plan)
{
    size_t at = plan->t->exact->seg_start[1];
    dnn_update_block(plan->rule, at, plan->t->params->count - at, plan->t->total + at);
}

typedef struct {
    int rest_finite, failed, fused;
    double cost, t1;
} step_outcome;

/* W1's scale from the parts' magnitudes, and whether the step fails or fuses. */
static void decide(const step_plan *plan, int ok, step_outcome *out)
{
    dnn_trainer *t = plan->t;
    dnn_split *s = plan->s;
    dnn_exact_sum *e = t->exact;
    double largest = 0.0;
    for (int p = 0; p < s->parts; p++)
        largest = s->magnitudes[p * PAD] > largest ? s->magnitudes[p * PAD] : largest;
    e->top[0] = dnn_exact_sum_scale_of(largest);
    e->top[e->nseg] = !ok || !out->rest_finite || !(largest <= DBL_MAX);
    for (int g = 0; g < e->nseg; g++)
        e->unset[g] = 1;
    out->cost = (-1.0 / (double)t->m_total) * -t->total[t->n - 1];
    out->failed = e->top[e->nseg] || !isfinite(out->cost);
    /* every new parameter finite by the scales: W1's are made and applied a block at a
     * time; else all are checked first (as the update stage does) */
    out->fused = !out->failed && dnn_combined_sums_finite(t);
}

/* Thread me of the team's step. */
static void member_step(const step_plan *plan, int me, int team, step_outcome *out)
{
    dnn_split *s = plan->s;
    dnn_trainer *t = plan->t;
    long epoch = s->epoch;
    int rest = (plan->chunks - 1) % team; /* finishes the last chunk, sums the other layers */
    double *work = t->workers[me].cache->codes_work;
    for (int p = me; p < s->parts; p += team)
        forward_part(plan, p, work);
#pragma omp barrier
    for (int c = me; c < plan->chunks; c += team) {
        s->chunk_status[c] = finish_chunk(plan, c);
        /* a release by the finisher, an acquire by the others: a thread starts its
         * gradient on a chunk as soon as that chunk is ready, not when all are */
        atomic_store_explicit(&s->finished[c].value, epoch, memory_order_release);
    }
    /* every thread waits for every chunk, so all reach the same ok */
    int ok = 1;
    for (int p = me; p < s->parts; p += team) {
        s->magnitudes[(size_t)p * PAD] = 0.0;
        s->magnitudes[(size_t)p * PAD + 1] = INFINITY;
    }
    for (int k = 0; k < plan->chunks; k++) {
        int c = (me + k) % plan->chunks; /* its own chunk first */
        wait_for(&s->finished[c].value, epoch);
        ok = ok && s->chunk_status[c] == DNN_OK;
        for (int p = me; ok && p < s->parts; p += team)
            gradient_part(plan, p, c, work);
    }
#pragma omp barrier
    if (me == 0)
        out->t1 = omp_get_wtime();
    if (ok && me == rest)
        out->rest_finite = sum_rest(plan);
#pragma omp barrier
#pragma omp single
    decide(plan, ok, out);
    if (out->fused) {
        for (int p = me; p < s->parts; p += team)
            sum_part(plan, p, t->exact->top[0], 1);
        if (me == rest)
            update_rest(plan);
        return;
    }
    if (out->failed)
        return;
    for (int p = me; p < s->parts; p += team)
        sum_part(plan, p, t->exact->top[0], 0);
#pragma omp barrier
#pragma omp single
    out->failed = !isfinite(out->cost) ||
                  !dnn_gradients_finite(t->total, t->n - 1, plan->rule->inv_m);
    for (int p = me; !out->failed && p < s->parts; p += team)
        update_part(plan, p);
    if (!out->failed && me == rest)
        update_rest(plan);
}

dnn_status dnn_split_step(dnn_trainer *t, const dnn_update_rule *rule, double *cost)
{
    double t0 = omp_get_wtime();
    dnn_split *s = t->split;
    step_plan plan = {t, s, rule, t->params->dims[1], t->params->dims[0], 0, {0}, {0}};
    plan.chunks = (int)dnn_local_chunks(t, t->local);
    for (int c = 0; c < plan.chunks; c++) {
        plan.first[c] = (long)c * t->chunk;
        long left = t->local->m - plan.first[c];
        plan.cols[c] = (int)(left < t->chunk ? left : t->chunk);
    }
    step_outcome out = {1, 0, 0, 0.0, t0};
    s->epoch++;
    t->total = t->total_own;
#pragma omp parallel num_threads(t->nthreads)
    member_step(&plan, omp_get_thread_num(), omp_get_num_threads(), &out);
    *cost = out.cost;
    t->seconds_compute = out.t1 - t0;
    t->seconds_combine = omp_get_wtime() - out.t1;
    t->seconds_collective = 0.0;
    for (int c = 0; c < plan.chunks; c++)
        if (s->chunk_status[c] != DNN_OK)
            return s->chunk_status[c];
    return out.failed ? DNN_ERR_NONFINITE : DNN_OK;
}
