#ifndef DNN_TRAINER_IMPL_H
#define DNN_TRAINER_IMPL_H

/* The trainer's state and its three stages, shared by the files of src/train/:
 *   gradients.c  (a) each thread's chunks: forward, backward, into its accumulator
 *   combine.c    (b) the accumulators summed across threads and processes into total
 *   update.c     (c) the update rule applied to the parameters from total
 *   step.c       a step: (a), (b), (c), or the split step where it applies
 *   split.c      the special path that shares the first layer among threads by inputs
 *   step_ref.c   the frozen reference step every path is tested against
 * The calls: step.c calls (a), (b), (c) or split.c; split.c calls (c) and the
 * combine's finiteness check; (c) calls the same check. Nothing calls step.c back, and
 * step_ref.c calls none of them (it shares no code with the paths it pins). */

#include "dnn/f32.h"
#include "dnn/model.h"
#include "dnn/trainer.h"
#include "exact/exact_sum.h"
#include "train/trainer_modes.h"

typedef struct dnn_split dnn_split;

/* Chunk gradients a thread keeps pending (see worker). */
enum { DNN_GRADIENT_SLOTS = 2 };

/* One per OpenMP thread: nothing here is shared, so no thread writes another's data. */
typedef struct {
    dnn_cache *cache;
    dnn_params *grads;       /* one chunk's gradient sums, and its cost sum after them */
    dnn_cache_f32 *cache32;  /* DNN_F32: the chunk's float activations */
    dnn_params_f32 *grads32; /* DNN_F32: its float gradient sums, widened into grads */
    float *X32;              /* DNN_F32: staging for examples not kept in float */
    double *cost_AL, *cost_Y; /* DNN_F32: a chunk's output and labels in double */
    long recomputed;         /* DNN_F32: pre-activations it recomputed in double */
    /* a selection's chunk gathered (mini-batches): its features in double (or none
     * when the first layer reads codes), codes, labels; DNN_F32 gathers into X32 */
    double *gather_X, *gather_Y, *gather_norms;
    uint8_t *gather_Q;
    float *gather_Y32;
    long *gather_index; /* the examples' global indices, when the data holds some */
    dnn_exact_sum *exact;    /* DNN_REDUCE_EXACT: this thread's chunks, summed exactly */
    /* DNN_REDUCE_EXACT: a chunk's gradient waits in a slot (pending); the slots join
     * the thread's exact sum only when a chunk finds them all taken, else the combine
     * merges them straight to doubles with the other pending ones, and no digits are
     * stored (the digits' 24 bytes an element, written and read back, cost more than
     * the products of a chunk of a few hundred examples). grads is the slot the
     * running chunk writes; slot_segments[j] points at slot j's parts in the exact
     * sum's order, the cost last. Slots past the first are allocated when needed. */
    dnn_params *slots[DNN_GRADIENT_SLOTS];
    const double **slot_segments[DNN_GRADIENT_SLOTS];
    int pending;  /* slots taken */
    int flushed;  /* this pass added slots to the exact sum: it holds digits */
    double *fast;        /* DNN_REDUCE_FAST: this thread's chunks, summed in double */
    dnn_status status;
} worker;

struct dnn_trainer {
    dnn_params *params;
    const dnn_dataset *local;
    long m_total;
    int chunk;
    dnn_reduce_mode mode;
    dnn_dtype dtype;
    dnn_params_f32 *params32; /* DNN_F32: params rounded to float at each step */
    float *X32, *Y32;         /* DNN_F32: the local examples in float */
    double *x_norms;          /* DNN_F32: their Euclidean norms, for the checked forward */
    double *row_norms;        /* DNN_F32: the weight rows' norms, set with params32 */
    int nthreads;
    worker *workers;
    size_t n;             /* gradient entries + 1: the last is the cost sum */
    dnn_exact_sum *exact; /* all threads */
    int *tops;            /* the segments' scales, agreed across processes */
    dnn_exact_sum **thread_sums; /* the workers' exact sums, for merging */
    const double **pending;      /* the pending gradients' segments, nthreads · slots · nseg */
    double *received;            /* several processes: blocks of their pending gradients */
    const double **blocks;       /* where each gradient's block is (received, or shared) */
    size_t received_len;
    double *total;        /* combined sums, n: total_own or the reducer's shared vector */
    double *total_own;
    double seconds_compute, seconds_combine;
    double seconds_collective; /* the part of seconds_combine inside the reducer */
    dnn_exchange exchange;
    dnn_split *split; /* the split first layer's state (split.c), or NULL */
    int no_split;     /* split steps never apply here, or their memory could not be had */
    long path_steps[DNN_PATHS]; /* steps so far per way through (trainer_modes.h) */
    int no_gradients_travel, no_codes; /* dnn_trainer_disable */
    int gradient_slots;                /* per thread, DNN_GRADIENT_SLOTS unless disabled */
    dnn_update_settings update;  /* the rule (dnn_trainer_set_update) */
    double *update_v, *update_s; /* its state, params->count each, or NULL */
    long update_steps;           /* steps applied so far: Adam's t - 1 */
    size_t *seg_start;           /* 2L + 1 bounds of W1, b1, ..., bL in the arena */
    long m_data;                 /* m_total given at creation: the full batch */
    const long *columns;         /* dnn_trainer_select: local columns of the step, or NULL */
    long count;                  /* the step's local examples: columns' length, or local->m */
    double keep_prob;            /* dnn_trainer_set_dropout: 1 for none */
    uint64_t dropout_seed;
};

/* The chunks of data: whole chunks of t->chunk examples, the last maybe shorter. */
static inline long dnn_local_chunks(const dnn_trainer *t, const dnn_dataset *data)
{
    return (data->m + t->chunk - 1) / t->chunk;
}

/* The chunks of a step: of the selection, or of all local examples. */
static inline long dnn_step_chunks(const dnn_trainer *t)
{
    return (t->count + t->chunk - 1) / t->chunk;
}

/* (a) gradients.c: every local chunk's forward and backward pass on the threads, each
 * into its worker's accumulator. A failed chunk marks its worker's sums non-finite, so
 * that the combine still runs and every process stops alike. */
dnn_status dnn_stage_gradients(dnn_trainer *t);
/* The pending chunk gradients of w join its exact sum. */
dnn_status dnn_worker_add_pending(const dnn_trainer *t, worker *w);
/* Slot j of w's chunk gradients, allocated on first use; 0 when there is no memory. */
int dnn_worker_slot_ready(const dnn_trainer *t, worker *w, int j);

/* (b) combine.c: the workers' sums over threads, then processes, into t->total (the
 * gradient sums, the cost sum last); t->seconds_collective gets the collectives' time. */
dnn_status dnn_stage_combine(dnn_trainer *t, const dnn_reducer *reducer);
/* Whether the exact sums just combined are all finite by their scales alone. */
int dnn_combined_sums_finite(const dnn_trainer *t);

/* (c) update.c: the update rule. A rule sees a block [begin, begin + n) of the
 * parameter arena and the combined gradient sums of that block; every path applies it
 * to its blocks, in any order, and each element's new value depends only on its own
 * old value, gradient and state. */
typedef struct {
    double *params;       /* the arena being updated */
    double m;             /* the step's examples: the sums become the mean gradient */
    double inv_m;         /* 1 / m */
    double learning_rate;
    dnn_update_settings settings;
    double *v, *s;        /* momentum and Adam: the state, laid out as params */
    double bias1, bias2;  /* Adam: 1 - β1^t and 1 - β2^t of this step */
    const size_t *seg_start; /* 2L + 1 bounds of W1, b1, ..., bL in the arena */
    int nseg;                /* 2L: even segments are weights (L2 applies) */
} dnn_update_rule;
/* The rule of the trainer's next step (its state, step count and segments). */
dnn_update_rule dnn_update_rule_of(dnn_trainer *t, double learning_rate);
void dnn_update_block(const dnn_update_rule *rule, size_t begin, size_t n,
                      const double *restrict gradient_sums);
/* The whole arena from t->total on the team's threads, after checking that every new
 * value is finite (DNN_ERR_NONFINITE, nothing changed, when not). */
dnn_status dnn_stage_update(dnn_trainer *t, const dnn_update_rule *rule);
/* Whether inv_m · sums[i] is finite for all n. */
int dnn_gradients_finite(const double *sums, size_t n, double inv_m);

/* split.c: a step whose threads share the first layer's products by inputs, where it
 * applies (its state is made at the first such step). */
int dnn_split_applies(dnn_trainer *t, const dnn_reducer *reducer);
dnn_status dnn_split_step(dnn_trainer *t, const dnn_update_rule *rule, double *cost);
void dnn_split_free(dnn_split **split);

#endif
