/* A step whose threads share the first layer by inputs (DNN_EXCHANGE_SPLIT).
 *
 * Part p of the inputs, [k_begin[p], k_begin[p + 1]) in whole blocks of the codes
 * kernels, belongs to one thread. It computes that part of the products W1 · X and
 * dW1 = dZ1 · Xᵀ for every chunk, sums its dW1 columns over the chunks and updates
 * its columns of W1, so W1 and its gradients stay in its cache from step to step.
 * The threads exchange only the forward's partial sums (part 0 starts each sum; the
 * other parts keep each block's sum apart, added in block order by the thread that
 * finishes the chunk: the bits of one pass over all the inputs) and each chunk's dZ1.
 * The chunks' other layers (a few thousand weights) run on the thread that finishes
 * them, which also sums and updates those weights.
 *
 * The sums over chunks are merge_all_result's two-vector path in pieces: once the
 * largest magnitudes the gradient kernels saw give W1's scale, plain double sums, or
 * digits in the blocks whose values are off its grid (found by a scan of the parts
 * whose smallest magnitude is); so every bit is as in the other ways. Each block of
 * sums is applied to W1 as soon as it is made.
 *
 * Across processes (two ranks of one node, one thread and one chunk each) the team is
 * the ranks. What the threads share lives in memory the ranks map together (the
 * reducer's shared_region), W1 included: each rank reads and writes only its own
 * columns there, and params' copy is brought up to date by dnn_split_sync. Each rank
 * finishes its own chunk, and every rank sums and updates the other layers from the
 * chunks' shared sums (the same bits on each). */
#include <float.h>
#include <math.h>
#include <immintrin.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "lines.h"
#include "model_split.h"
#include "train_impl.h"

enum { MAX_CHUNKS = 2, PAD = 8 /* doubles: a line between threads' values */, LINE = 64 };

typedef struct {
    _Atomic long value;
    char pad[LINE - sizeof(_Atomic long)];
} flag_line;

/* What one member of the team writes for the others, besides the buffers. */
typedef struct {
    flag_line finished[MAX_CHUNKS]; /* the last step (epoch) that finished chunk c */
    flag_line updated[MAX_CHUNKS];  /* processes: the last step rank r updated W1 in */
    flag_line arrivals;             /* processes: arrivals at barriers so far */
    int chunk_status[MAX_CHUNKS];
    int member_finite[MAX_CHUNKS];  /* processes, checked path: its sums are finite */
} split_flags;

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
    split_flags *flags;
    long epoch;            /* steps begun */
    const uint8_t *codes;  /* the examples of all the chunks, one after another */
    double *W1;            /* the first layer's weights that the steps read and update */
    /* across processes only */
    int across, me;        /* the team is the processes; this one's chunk and part */
    long first[MAX_CHUNKS], cols[MAX_CHUNKS]; /* chunk c's examples in codes */
    size_t rest_at;        /* where the other segments start in the exact sum's layout */
    double *rest[MAX_CHUNKS]; /* chunk c's sums from rest_at, the cost last */
    double *other_dW1;     /* the other chunk's W1 gradient, in this part's columns */
    long barriers;         /* barriers passed */
    int w1_fresh;          /* the region's W1 holds this part's latest columns */
    int params_stale;      /* params' W1 lags the region's */
    double waited;         /* seconds this step spent waiting for the other rank */
};

void dnn_split_free(dnn_split **split)
{
    if (!split || !*split)
        return;
    dnn_split *s = *split;
    for (int p = 0; !s->across && s->block_sums && p < s->parts; p++)
        free(s->block_sums[p]);
    if (!s->across) {
        free(s->magnitudes);
        free(s->flags);
    }
    free(s->block_sums);
    free(s->k_begin);
    free(s->block_min);
    free(s->rest_block_min);
    free(s->other_dW1);
    free(s);
    *split = NULL;
}

/* The state but the memory the team shares: parts of `team` members over examples. */
static dnn_split *split_new(const dnn_trainer *t, int team, long examples)
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
    s->block_stride = (size_t)M * (size_t)examples;
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
    if (!ok || !s->block_min || !s->rest_block_min)
        dnn_split_free(&s);
    return s;
}

/* Threads: the shared memory from the heap. */
static dnn_split *split_new_threads(dnn_trainer *t)
{
    dnn_split *s = split_new(t, t->nthreads, (long)t->chunk * MAX_CHUNKS);
    if (!s)
        return NULL;
    s->magnitudes = malloc((size_t)s->parts * PAD * sizeof *s->magnitudes);
    s->flags = dnn_zeroed_lines(sizeof *s->flags);
    int ok = s->magnitudes && s->flags;
    for (int p = 0; ok && p < s->parts; p++)
        ok = (s->block_sums[p] = dnn_zeroed_lines((p ? s->part_sums : s->block_stride) *
                                                  sizeof(double))) != NULL;
    s->codes = t->local->X_codes;
    s->W1 = t->params->W[1];
    if (!ok)
        dnn_split_free(&s);
    return s;
}

/* Carves bytes from a region at *at (a line apart from what follows); with base NULL,
 * only counts them. */
static void *carve(char *base, size_t *at, size_t bytes)
{
    void *where = base ? base + *at : NULL;
    *at += (bytes + LINE - 1) / LINE * LINE;
    return where;
}

/* Lays out what the ranks share (base NULL: only its size, returned) */
static size_t lay_out(dnn_split *s, const dnn_trainer *t, char *base)
{
    size_t at = 0, M = (size_t)t->params->dims[1], K = (size_t)t->params->dims[0];
    s->flags = carve(base, &at, sizeof *s->flags);
    s->magnitudes = carve(base, &at, (size_t)s->parts * PAD * sizeof(double));
    for (int p = 0; p < s->parts; p++)
        s->block_sums[p] = carve(base, &at, (p ? s->part_sums : s->block_stride) * sizeof(double));
    for (int c = 0; c < MAX_CHUNKS; c++) {
        s->dZ1[c] = carve(base, &at, M * (size_t)s->cols[c] * sizeof(double));
        s->rest[c] = carve(base, &at, (t->n - s->rest_at) * sizeof(double));
    }
    s->W1 = carve(base, &at, M * K * sizeof(double));
    s->codes = carve(base, &at, (size_t)t->m_total * K);
    return at;
}

/* Waits until *flag reaches value: spins, then yields the CPU (with more threads or
 * ranks than CPUs, the one it waits for may need this one's). */
static void wait_for(dnn_split *s, _Atomic long *flag, long value)
{
    if (atomic_load_explicit(flag, memory_order_acquire) >= value)
        return;
    double t0 = s->across ? omp_get_wtime() : 0.0; /* only ranks report their waits */
    for (long spins = 0; atomic_load_explicit(flag, memory_order_acquire) < value; spins++) {
        if (spins < 4096)
            _mm_pause();
        else
            sched_yield();
    }
    if (s->across)
        s->waited += omp_get_wtime() - t0;
}

/* Every member of the team here before any goes on. */
static void team_barrier(dnn_split *s)
{
    if (!s->across) {
#pragma omp barrier
        return;
    }
    long target = ++s->barriers * MAX_CHUNKS;
    atomic_fetch_add_explicit(&s->flags->arrivals.value, 1, memory_order_acq_rel);
    wait_for(s, &s->flags->arrivals.value, target);
}

/* Two ranks of one node, one chunk and one thread each: the team is the ranks.
 * Collective (every rank calls it at the same step, with the same exchange). */
static int across_applies(dnn_trainer *t, const dnn_reducer *r)
{
    const dnn_params *p = t->params;
    const dnn_dataset *d = t->local;
    int local_ok = t->nthreads == 1 && t->dtype == DNN_F64 && t->mode == DNN_REDUCE_EXACT &&
                   r->processes == MAX_CHUNKS && r->shared_region && r->rank >= 0 &&
                   r->rank < r->processes && d->m >= 1 && dnn_train_local_chunks(t, d) == 1 &&
                   d->X_codes && dnn_kernel_suits_codes(p->dims[1], t->chunk, p->dims[0]) &&
                   p->dims[0] >= 2 * dnn_kernel_codes_block();
    dnn_split *s = local_ok ? split_new(t, MAX_CHUNKS, t->m_total) : NULL;
    if (s && !(s->other_dW1 = malloc(p->count * sizeof *s->other_dW1)))
        dnn_split_free(&s);
    int bad = s == NULL;
    int64_t shards[2 * MAX_CHUNKS] = {0};
    if (s) {
        shards[2 * r->rank] = d->first;
        shards[2 * r->rank + 1] = d->m;
    }
    /* every rank gets the same answers from here on */
    if (r->max_int(r->ctx, &bad, 1) != 0 || bad ||
        r->sum_int64(r->ctx, shards, 2 * MAX_CHUNKS) != 0 || shards[0] != 0 ||
        shards[2] != shards[1] || shards[2] + shards[3] != t->m_total) {
        dnn_split_free(&s);
        t->no_split = 1;
        return 0;
    }
    s->across = 1;
    s->me = r->rank;
    s->rest_at = t->exact->seg_start[1];
    for (int c = 0; c < MAX_CHUNKS; c++) {
        s->first[c] = shards[2 * c];
        s->cols[c] = shards[2 * c + 1];
    }
    char *base = r->shared_region(r->ctx, lay_out(s, t, NULL));
    if (!base) {
        dnn_split_free(&s);
        t->no_split = 1;
        return 0;
    }
    lay_out(s, t, base);
    memcpy((uint8_t *)s->codes + (size_t)s->first[s->me] * (size_t)p->dims[0], d->X_codes,
           (size_t)d->m * (size_t)p->dims[0]);
    team_barrier(s); /* each rank's examples there */
    t->split = s;
    return 1;
}

int dnn_split_applies(dnn_trainer *t, const dnn_reducer *reducer)
{
    const dnn_params *p = t->params;
    if (t->exchange == DNN_EXCHANGE_SHARED || t->exchange == DNN_EXCHANGE_COPIED)
        return 0;
    if (t->split || t->no_split)
        return t->split != NULL;
    if (reducer->processes > 1)
        return across_applies(t, reducer);
    long chunks = dnn_train_local_chunks(t, t->local);
    if (t->nthreads < 2 || t->dtype != DNN_F64 || t->mode != DNN_REDUCE_EXACT || chunks < 1 ||
        chunks > MAX_CHUNKS || !t->local->X_codes ||
        !dnn_kernel_suits_codes(p->dims[1], t->chunk, p->dims[0]) ||
        p->dims[0] < 2 * dnn_kernel_codes_block())
        return 0;
    if (!(t->split = split_new_threads(t)))
        t->no_split = 1;
    return t->split != NULL;
}

void dnn_split_sync(dnn_trainer *t)
{
    dnn_split *s = t->split;
    if (!s || !s->across || !s->params_stale)
        return;
    for (int r = 0; r < MAX_CHUNKS; r++)
        wait_for(s, &s->flags->updated[r].value, s->epoch);
    memcpy(t->params->W[1], s->W1,
           (size_t)t->params->dims[1] * (size_t)t->params->dims[0] * sizeof *s->W1);
    s->params_stale = 0;
}

void dnn_split_params_changed(dnn_split *s)
{
    if (s)
        s->w1_fresh = 0;
}

typedef struct {
    dnn_trainer *t;
    dnn_split *s;
    int M, K, chunks;
    int cols[MAX_CHUNKS];
    long first[MAX_CHUNKS];
} step_plan;

static const uint8_t *codes_of(const step_plan *plan, int c)
{
    return plan->s->codes + (size_t)plan->first[c] * (size_t)plan->K;
}

/* The worker that finishes chunk c, and the one member me computes with. */
static worker *chunk_worker(const step_plan *plan, int c)
{
    return &plan->t->workers[plan->s->across ? 0 : c];
}

static worker *member_worker(const step_plan *plan, int me)
{
    return &plan->t->workers[plan->s->across ? 0 : me];
}

/* Chunk c's W1 gradient (the part's columns), as the member computing it sees it. */
static double *chunk_dW1(const step_plan *plan, int c)
{
    const dnn_split *s = plan->s;
    if (s->across && c != s->me)
        return s->other_dW1;
    return chunk_worker(plan, c)->grads->arena;
}

/* Part p of W1 · X for all the chunks' examples at once (they follow each other in X,
 * and each example's sums are its own), so W1's part is read once for all. */
static void forward_part(const step_plan *plan, int p, double *work)
{
    const dnn_split *s = plan->s;
    int N = plan->cols[0] + (plan->chunks > 1 ? plan->cols[1] : 0);
    dnn_kernel_forward_codes_part(plan->M, N, plan->K, s->k_begin[p], s->k_begin[p + 1], s->W1,
                                  codes_of(plan, 0), s->block_sums[p],
                                  p == 0 ? 0 : s->block_stride, work);
}

/* Chunk c's first-layer sums completed in block order, then the rest of its forward
 * and backward passes: its gradient sums (but dW1) and cost in its worker's grads
 * (and, across processes, with its dZ1, in the shared memory). */
static dnn_status finish_chunk(const step_plan *plan, int c)
{
    dnn_split *s = plan->s;
    dnn_trainer *t = plan->t;
    const dnn_dataset *d = t->local;
    long local_first = s->across ? 0 : plan->first[c];
    dnn_cache *cache = chunk_worker(plan, c)->cache;
    dnn_params *grads = chunk_worker(plan, c)->grads;
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
    const double *X = d->X + (size_t)local_first * (size_t)plan->K;
    const double *Y = d->Y + local_first;
    double cost_sum, *dZ1 = NULL;
    dnn_status st = dnn_L_model_forward_after_first_product(t->params, X, codes_of(plan, c),
                                                            plan->cols[c], cache);
    const double *AL = cache->A[t->params->L];
    if (st == DNN_OK)
        st = dnn_cross_entropy_sum(plan->cols[c], AL, Y, &cost_sum);
    if (st == DNN_OK)
        st = dnn_L_model_backward_but_first_product(t->params, cache, AL, Y, 1.0, grads, &dZ1);
    grads->arena[grads->count] = st == DNN_OK ? cost_sum : NAN;
    if (!s->across) {
        s->dZ1[c] = dZ1;
    } else {
        if (st == DNN_OK)
            memcpy(s->dZ1[c], dZ1, n * sizeof *dZ1);
        memcpy(s->rest[c], grads->arena + s->rest_at, (t->n - s->rest_at) * sizeof *s->rest[c]);
    }
    return st;
}

/* Part p of chunk c's dW1, its magnitudes folded into the part's. */
static void gradient_part(const step_plan *plan, int p, int c, double *work)
{
    const dnn_split *s = plan->s;
    dnn_kernel_weight_gradient_codes_part(plan->M, plan->cols[c], plan->K, s->k_begin[p],
                                          s->k_begin[p + 1], 1.0, s->dZ1[c], codes_of(plan, c),
                                          chunk_dW1(plan, c), work,
                                          s->magnitudes + (size_t)p * PAD);
}

/* Chunk c finished in this step (epoch): its dZ1, gradient sums and status are
 * written. A release by the finisher, an acquire by the others: a member starts its
 * gradient on a chunk as soon as that chunk is ready, not when all are. */
static void mark_finished(dnn_split *s, int c, long epoch)
{
    atomic_store_explicit(&s->flags->finished[c].value, epoch, memory_order_release);
}

/* Chunk c's W1 gradient from element at (in the exact sum's layout), or NULL when
 * there is no chunk c. */
static const double *chunk_gradient(const step_plan *plan, int c, size_t at)
{
    return c < plan->chunks ? chunk_dW1(plan, c) + at : NULL;
}

/* Chunk c's other gradient sums, the same way. */
static const double *chunk_rest(const step_plan *plan, int c, size_t at)
{
    const dnn_split *s = plan->s;
    if (c >= plan->chunks)
        return NULL;
    return s->across ? s->rest[c] + (at - s->rest_at) : chunk_worker(plan, c)->grads->arena + at;
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
        dnn_exact_sum_pair_scan(chunk_gradient(plan, 0, at), chunk_gradient(plan, 1, at), len,
                                &largest, part_block_min(plan, p, r));
    }
}

/* Then its sums at W1's scale, a block at a time: applied to W1's part at once when
 * learning_rate is not NULL, else written to total. */
static void sum_part(const step_plan *plan, int p, int top, const double *learning_rate)
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
            double *out = learning_rate ? g : t->total + at;
            dnn_exact_sum_pair_result(chunk_gradient(plan, 0, at), chunk_gradient(plan, 1, at),
                                      n, top, block_min ? block_min + k : NULL, out);
            if (learning_rate)
                dnn_train_update_block(plan->s->W1 + at, g, (long)n, 1.0 / (double)t->m_total,
                                       *learning_rate);
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
        const double *a = chunk_rest(plan, 0, at), *b = chunk_rest(plan, 1, at);
        double largest = 0.0;
        dnn_exact_sum_pair_scan(a, b, len, &largest, block_min);
        if (!(largest <= DBL_MAX))
            return 0;
        e->top[g] = dnn_exact_sum_scale_of(largest);
        dnn_exact_sum_pair_result(a, b, len, e->top[g], block_min, total + at);
    }
    return 1;
}

/* Part p's columns of W1, or (p < 0) the other parameters, updated. */
static void update_part(const step_plan *plan, int p, double learning_rate)
{
    dnn_trainer *t = plan->t;
    double inv_m = 1.0 / (double)t->m_total;
    if (p < 0) {
        size_t at = t->exact->seg_start[1];
        dnn_train_update_block(t->params->arena + at, t->total + at,
                               (long)(t->params->count - at), inv_m, learning_rate);
        return;
    }
    size_t lo = (size_t)plan->s->k_begin[p], len = (size_t)plan->s->k_begin[p + 1] - lo;
    for (int r = 0; r < plan->M; r++) {
        size_t at = (size_t)r * (size_t)plan->K + lo;
        dnn_train_update_block(plan->s->W1 + at, t->total + at, (long)len, inv_m, learning_rate);
    }
}

/* The member that finishes chunk c: across processes, the rank that holds it. */
static int finisher_of(const step_plan *plan, int c, int team)
{
    return plan->s->across ? c : c % team;
}

static int finite_times(const double *v, size_t n, double inv_m)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(inv_m * v[i]))
            return 0;
    return 1;
}

/* Whether every gradient is finite, with the cost: the scales say so, or each is
 * checked (as train.c's step does). */
static int all_finite(const dnn_trainer *t, double cost)
{
    if (!isfinite(cost))
        return 0;
    return dnn_train_sums_finite(t) || finite_times(t->total, t->n - 1, 1.0 / (double)t->m_total);
}

/* Across processes, the same for this rank's sums: its parts' and the others. */
static int own_finite(const step_plan *plan, int me, int team, double cost)
{
    const dnn_trainer *t = plan->t;
    const dnn_split *s = plan->s;
    double inv_m = 1.0 / (double)t->m_total;
    int ok = isfinite(cost) && finite_times(t->total + s->rest_at, t->n - 1 - s->rest_at, inv_m);
    for (int p = me; ok && p < s->parts; p += team)
        for (int r = 0; ok && r < plan->M; r++)
            ok = finite_times(t->total + (size_t)r * (size_t)plan->K + (size_t)s->k_begin[p],
                              (size_t)(s->k_begin[p + 1] - s->k_begin[p]), inv_m);
    return ok;
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
     * time; else all are checked first (as train.c's step does) */
    out->fused = !out->failed && dnn_train_sums_finite(t);
}

/* Member me of the team's step: a thread, or across processes this rank (then out
 * is its own, and the OpenMP constructs bind to a team of one). */
static void member_step(const step_plan *plan, int me, int team, double learning_rate,
                        step_outcome *out)
{
    dnn_split *s = plan->s;
    dnn_trainer *t = plan->t;
    split_flags *f = s->flags;
    long epoch = s->epoch;
    int rest = finisher_of(plan, plan->chunks - 1, team); /* sums the other layers */
    int sums_rest = s->across || me == rest;
    double *work = member_worker(plan, me)->cache->codes_work;
    for (int p = me; p < s->parts; p += team)
        forward_part(plan, p, work);
    team_barrier(s);
    for (int c = 0; c < plan->chunks; c++)
        if (finisher_of(plan, c, team) == me) {
            f->chunk_status[c] = finish_chunk(plan, c);
            mark_finished(s, c, epoch);
        }
    /* every member waits for every chunk (the finishers wait on nothing), so all
     * reach the same ok */
    int ok = 1;
    for (int p = me; p < s->parts; p += team) {
        s->magnitudes[(size_t)p * PAD] = 0.0;
        s->magnitudes[(size_t)p * PAD + 1] = INFINITY;
    }
    for (int k = 0; k < plan->chunks; k++) {
        int c = (me + k) % plan->chunks; /* its own chunk first */
        wait_for(s, &f->finished[c].value, epoch);
        ok = ok && f->chunk_status[c] == DNN_OK;
        for (int p = me; ok && p < s->parts; p += team)
            gradient_part(plan, p, c, work);
    }
    team_barrier(s);
    if (me == 0 || s->across)
        out->t1 = omp_get_wtime();
    if (ok && sums_rest)
        out->rest_finite = sum_rest(plan);
    if (!s->across) {
#pragma omp barrier
    }
#pragma omp single
    decide(plan, ok, out);
    if (out->fused) {
        for (int p = me; p < s->parts; p += team)
            sum_part(plan, p, t->exact->top[0], &learning_rate);
        if (sums_rest)
            update_part(plan, -1, learning_rate);
    } else if (!out->failed) {
        for (int p = me; p < s->parts; p += team)
            sum_part(plan, p, t->exact->top[0], NULL);
        if (s->across) {
            f->member_finite[me] = own_finite(plan, me, team, out->cost);
            team_barrier(s);
            for (int r = 0; r < team; r++)
                out->failed = out->failed || !f->member_finite[r];
        } else {
#pragma omp barrier
#pragma omp single
            out->failed = !all_finite(t, out->cost);
        }
        for (int p = me; !out->failed && p < s->parts; p += team)
            update_part(plan, p, learning_rate);
        if (!out->failed && sums_rest)
            update_part(plan, -1, learning_rate);
    }
    if (s->across)
        atomic_store_explicit(&f->updated[me].value, epoch, memory_order_release);
}

dnn_status dnn_split_step(dnn_trainer *t, double learning_rate, double *cost)
{
    double t0 = omp_get_wtime();
    dnn_split *s = t->split;
    step_plan plan = {t, s, t->params->dims[1], t->params->dims[0], 0, {0}, {0}};
    if (s->across) {
        plan.chunks = MAX_CHUNKS;
        for (int c = 0; c < MAX_CHUNKS; c++) {
            plan.first[c] = s->first[c];
            plan.cols[c] = (int)s->cols[c];
        }
    } else {
        plan.chunks = (int)dnn_train_local_chunks(t, t->local);
        for (int c = 0; c < plan.chunks; c++) {
            plan.first[c] = (long)c * t->chunk;
            long left = t->local->m - plan.first[c];
            plan.cols[c] = (int)(left < t->chunk ? left : t->chunk);
        }
    }
    step_outcome out = {1, 0, 0, 0.0, t0};
    s->epoch++;
    s->waited = 0.0;
    t->total = t->total_own;
    if (s->across) {
        if (!s->w1_fresh) { /* params changed since: this part's columns from there */
            size_t lo = (size_t)s->k_begin[s->me], len = (size_t)s->k_begin[s->me + 1] - lo;
            for (int r = 0; r < plan.M; r++)
                memcpy(s->W1 + (size_t)r * (size_t)plan.K + lo,
                       t->params->W[1] + (size_t)r * (size_t)plan.K + lo, len * sizeof *s->W1);
            s->w1_fresh = 1;
        }
        member_step(&plan, s->me, MAX_CHUNKS, learning_rate, &out);
        s->params_stale = 1;
    } else {
#pragma omp parallel num_threads(t->nthreads)
        member_step(&plan, omp_get_thread_num(), omp_get_num_threads(), learning_rate, &out);
    }
    *cost = out.cost;
    t->seconds_compute = out.t1 - t0;
    t->seconds_combine = omp_get_wtime() - out.t1;
    t->seconds_collective = s->waited;
    for (int c = 0; c < plan.chunks; c++)
        if (s->flags->chunk_status[c] != DNN_OK)
            return s->flags->chunk_status[c];
    return out.failed ? DNN_ERR_NONFINITE : DNN_OK;
}
