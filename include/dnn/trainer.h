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

/* One iteration on every process: forward and backward over all examples, gradients
 * combined across processes, then params -= learning_rate · gradient. cost gets the
 * cost before the update. DNN_ERR_NONFINITE (on every process alike) when a cost or
 * gradient is NaN or Inf; params are then left unchanged. */
dnn_status dnn_trainer_step(dnn_trainer *trainer, const dnn_reducer *reducer,
                            double learning_rate, double *cost);

/* Examples of data (any block, or none) whose prediction (AL > 0.5) equals the
 * label, summed over processes. */
dnn_status dnn_trainer_count_correct(dnn_trainer *trainer, const dnn_dataset *data,
                                     const dnn_reducer *reducer, long *correct);

#endif
