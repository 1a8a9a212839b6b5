#ifndef DNN_TRAIN_IMPL_H
#define DNN_TRAIN_IMPL_H

/* The trainer's state, shared by train.c and train_split.c. */

#include "dnn/exact_sum.h"
#include "dnn/f32.h"
#include "dnn/model.h"
#include "dnn/train.h"

typedef struct dnn_split dnn_split;

/* One per OpenMP thread: nothing here is shared, so no thread writes another's data. */
typedef struct {
    dnn_cache *cache;
    dnn_params *grads;    /* one chunk's gradient sums */
    dnn_cache_f32 *cache32;   /* DNN_F32: the chunk's float activations */
    dnn_params_f32 *grads32;  /* DNN_F32: its float gradient sums, widened into grads */
    float *X32;               /* DNN_F32: staging for examples not kept in float */
    double *cost_AL, *cost_Y; /* DNN_F32: a chunk's output and labels in double */
    long recomputed;          /* DNN_F32: pre-activations it recomputed in double */
    dnn_exact_sum *exact; /* DNN_REDUCE_EXACT: this thread's chunks, summed exactly */
    /* DNN_REDUCE_EXACT: the last chunk's gradient is left in grads (pending) and added
     * only when the next chunk needs grads, or in the combine's merge pass; segments
     * points at its parts in the exact sum's order, the cost last. */
    int pending, chunks; /* chunks: run by this thread in this pass */
    const double **segments;
    double *fast;         /* DNN_REDUCE_FAST: this thread's chunks, summed in double */
    /* copied steps: the parts of the pending gradient that other threads sum
     * (dnn_exact_sum_publish), laid out as the exact sum; allocated at the first one */
    double *mail;
    /* copied steps in double, threads other than 0: this thread's own copy of the
     * parameters, read by its chunks and updated whole by it (thread 0 uses params) */
    dnn_params *own_params;
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
    const double **pending;      /* the pending gradients' segments, nthreads · nseg */
    double *received;            /* several processes: blocks of their pending gradients */
    const double **blocks;       /* where each gradient's block is (received, or shared) */
    size_t received_len;
    double *total;        /* combined sums, n: total_own or the reducer's shared vector */
    double *total_own;
    double seconds_compute, seconds_combine;
    double seconds_collective; /* the part of seconds_combine inside the reducer */
    /* Several threads: how each step exchanges their gradients and parameters
     * (dnn_exchange). Shared: read where their threads wrote them. Copied: other
     * threads' gradient parts are read from copies made in one sequential pass, and
     * in double each thread keeps its own copy of the parameters and updates all of
     * it (in float the new parameters are written with streaming stores); the faster
     * way when the cores are far apart, which auto checks every PROBE_STEPS steps. */
    dnn_exchange exchange;
    long steps, copied_steps;
    int far;       /* auto: the last probe found the cores far apart */
    int copied;    /* this step exchanges through copies */
    int own_params_current; /* own_params equal params: the last step was copied */
    int no_copies; /* the copies' memory could not be had: shared only */
    dnn_split *split; /* the split first layer's state (train_split.c), or NULL */
    int no_split;     /* split steps never apply here, or their memory could not be had */
    long split_steps;
};

/* The chunks of data (whole chunks of t->chunk examples, the last maybe shorter). */
long dnn_train_local_chunks(const dnn_trainer *t, const dnn_dataset *data);
/* p -= learning_rate · (inv_m · total), element by element (train.c) */
void dnn_train_update_block(double *restrict p, const double *restrict total, long n,
                            double inv_m, double learning_rate);
/* Whether the exact sums just combined are all finite by their scales (train.c). */
int dnn_train_sums_finite(const dnn_trainer *t);

/* train_split.c: a step whose threads share the first layer's products by inputs,
 * where it applies (its state is made at the first such step). */
int dnn_split_applies(dnn_trainer *t, const dnn_reducer *reducer);
dnn_status dnn_split_step(dnn_trainer *t, double learning_rate, double *cost);
void dnn_split_free(dnn_split **split);
/* Across processes: params' W1 brought up to date after split steps (waits for the
 * other rank to finish its last update; no collective), and told that params changed
 * in a step of another way. Nothing otherwise. */
void dnn_split_sync(dnn_trainer *t);
void dnn_split_params_changed(dnn_split *split);

#endif
