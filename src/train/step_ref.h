#ifndef DNN_STEP_REF_H
#define DNN_STEP_REF_H

/* The frozen reference step: the specification every way through dnn_trainer_step is
 * tested against bit for bit (tests/mpi/test_step_ref.c). It is written to be read,
 * never to be fast, and is not to be optimized: one thread, the course's functions on
 * each chunk, the exact sum's digits added chunk by chunk, a max of the scales, a
 * reduce-scatter of the digits and an allgather of the doubles across processes, then
 * the course's update rule (dnn_update_settings). Arguments as dnn_trainer_new_typed's
 * and dnn_trainer_step's; update NULL is plain gradient descent; v and s are the
 * optimizer's state (params->count each, as the rule needs them) and step its t
 * (from 1). dropout: NULL, or the hidden layers' masks, the global index of local
 * column j being dropout->first + (dropout->index ? dropout->index[j] : j). Fast mode sums the chunks in order in double, then across processes (the
 * trainer's bits with one thread). */

#include "dnn/dropout.h"
#include "dnn/trainer.h"

dnn_status dnn_step_ref(dnn_params *params, const dnn_dataset *local, long m_total, int chunk,
                        dnn_reduce_mode mode, dnn_dtype dtype, const dnn_reducer *reducer,
                        double learning_rate, const dnn_update_settings *update, double *v,
                        double *s, long step, const dnn_dropout *dropout, double *cost);

#endif
