#ifndef DNN_TRAINER_H
#define DNN_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/data.h"
#include "dnn/params.h"
#include "dnn/reducer.h"

/* The trainer: one full-batch gradient-descent step at a time over data sharded across
 * processes and threads, with the same bits for any number of either (exact mode).
 * How a step runs is docs/DESIGN.md's subject; src/train/trainer_modes.h has the
 * knobs and counters the programs and tests use. */

typedef enum {
    DNN_REDUCE_EXACT, /* order-independent sums: bitwise identical for any ranks/threads */
    DNN_REDUCE_FAST   /* plain double sums: depend on the partition in the last bits */
} dnn_reduce_mode;

/* The arithmetic of each chunk's forward and backward pass. Parameters, the exact
 * sums of the chunks' gradients and the update stay in double either way. */
typedef enum { DNN_F64, DNN_F32 } dnn_dtype;

typedef struct dnn_trainer dnn_trainer;

/* The update rule, as the course's "Improving Deep Neural Networks" writes each, with
 * g the mean gradient over the m examples of the step:
 *   GD:       W = W - lr·g
 *   MOMENTUM: v = β1·v + (1 - β1)·g;  W = W - lr·v                (no bias correction)
 *   ADAM:     v = β1·v + (1 - β1)·g;  s = β2·s + (1 - β2)·g²;  t counting steps from 1,
 *             W = W - lr·(v / (1 - β1^t)) / (sqrt(s / (1 - β2^t)) + ε)
 * l2 (λ ≥ 0) adds (λ/m)·W to the weights' gradients (not the biases') and
 * (λ/2m)·Σ‖W‖² to the cost. */
typedef enum { DNN_OPT_GD, DNN_OPT_MOMENTUM, DNN_OPT_ADAM } dnn_optimizer;
typedef struct {
    dnn_optimizer optimizer;
    double beta1, beta2, epsilon; /* the course's 0.9, 0.999, 1e-8 */
    double l2;                    /* λ, 0 for none */
} dnn_update_settings;
/* GD without L2, the course's defaults for the rest. */
dnn_update_settings dnn_update_defaults(void);

/* Full-batch gradient descent over m_total examples, of which this process holds
 * `local` (whole chunks of `chunk` examples starting at a chunk boundary; it may
 * hold none). Threads: omp_get_max_threads(), each running one chunk at a time
 * with single-threaded BLAS. params is updated in place by dnn_trainer_step and may be
 * read between steps. */
dnn_trainer *dnn_trainer_new(dnn_params *params, const dnn_dataset *local, long m_total,
                             int chunk, dnn_reduce_mode mode);
/* The same with chunks computed in float when dtype is DNN_F32 (the local examples
 * are then copied to float once). */
dnn_trainer *dnn_trainer_new_typed(dnn_params *params, const dnn_dataset *local, long m_total,
                                   int chunk, dnn_reduce_mode mode, dnn_dtype dtype);
void dnn_trainer_free(dnn_trainer **trainer);

/* Sets the update rule (before the first step; DNN_ERR_ARG for bad values: β in
 * [0, 1), ε > 0, λ >= 0). The optimizer's state starts at zero. */
dnn_status dnn_trainer_set_update(dnn_trainer *trainer, const dnn_update_settings *settings);
/* The optimizer's state, for checkpoints: v and s (params->count doubles each, NULL
 * when the rule has none) and the steps taken t. set copies them in (v, s may be NULL
 * only when the rule does not use them). */
void dnn_trainer_update_state(const dnn_trainer *trainer, const double **v, const double **s,
                              long *steps);
dnn_status dnn_trainer_set_update_state(dnn_trainer *trainer, const double *v, const double *s,
                                        long steps);

/* Mini-batches: the next steps train on the `count` local examples at columns[0 ..
 * count) of the trainer's data, in that order, cut into chunks of `chunk` examples
 * from the first (columns need not be sorted, and may repeat none); m_step is the
 * step's examples over all processes (the batch's size: the mean gradient's m and the
 * L2 term's). columns NULL: every local example and m_total, the full batch.
 * columns is borrowed until the next call. DNN_ERR_ARG for a column out of range. */
dnn_status dnn_trainer_select(dnn_trainer *trainer, const long *columns, long count,
                              long m_step);
/* Other local examples for the next steps (same features; borrowed until the next call
 * or the trainer's end), e.g. a mini-batch's read from a file: its index, when set,
 * gives the examples' global indices (dropout's masks). Selects all of them
 * (dnn_trainer_select may follow). DNN_ERR_NOMEM with DNN_F32 (its float copy). */
dnn_status dnn_trainer_set_data(dnn_trainer *trainer, const dnn_dataset *local);
/* Inverted dropout on the hidden layers in training steps (dnn/dropout.h), with masks
 * from (seed, step, layer, global example index): keep_prob in (0, 1], 1 for none
 * (DNN_ERR_ARG otherwise). The step is the update count (dnn_trainer_update_state). */
dnn_status dnn_trainer_set_dropout(dnn_trainer *trainer, double keep_prob, uint64_t seed);

/* One iteration on every process: forward and backward over all examples, gradients
 * combined across processes, then the update rule with this learning_rate (a decay
 * schedule is the caller's). cost gets the cost before the update, the L2 term
 * included. DNN_ERR_NONFINITE (on every process alike) when a cost or
 * gradient is NaN or Inf; params are then left unchanged. */
dnn_status dnn_trainer_step(dnn_trainer *trainer, const dnn_reducer *reducer,
                            double learning_rate, double *cost);

/* Examples of data (any block, or none) whose prediction (AL > 0.5) equals the
 * label, summed over processes. */
dnn_status dnn_trainer_count_correct(dnn_trainer *trainer, const dnn_dataset *data,
                                     const dnn_reducer *reducer, long *correct);
/* The same, and the cross-entropy cost over the data->m_total examples of every
 * process's blocks (cost may be NULL), with the same bits for any ranks and threads:
 * the chunks' sums are added exactly. Collective. */
dnn_status dnn_trainer_evaluate(dnn_trainer *trainer, const dnn_dataset *data,
                                const dnn_reducer *reducer, double *cost, long *correct);

#endif
