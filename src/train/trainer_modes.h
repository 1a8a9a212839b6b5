#ifndef DNN_TRAINER_MODES_H
#define DNN_TRAINER_MODES_H

/* The trainer's knobs and counters for the programs, the tests and the benchmarks:
 * internal, not part of the installed API (include/dnn/trainer.h). */

#include "dnn/trainer.h"

/* Wall seconds of the last step: local forward/backward, and combining across
 * threads and processes (with the update). */
void dnn_trainer_last_times(const dnn_trainer *trainer, double *compute, double *combine);
/* The part of the last step's combine spent in the reducer's collectives (with any
 * wait for slower processes); the rest is merging threads' sums and converting them. */
double dnn_trainer_last_collective_time(const dnn_trainer *trainer);
/* DNN_F32: how many hidden pre-activations this process's steps have recomputed in
 * double so far (dnn_L_model_forward_f32_checked); 0 for DNN_F64. */
long dnn_trainer_recomputed(const dnn_trainer *trainer);

/* How one process's threads share a step's work (the same bits every way).
 * SHARED: each thread runs whole chunks (the three stages of src/train/step.c).
 * SPLIT: the first layer is shared by inputs instead (src/train/split.c), where that
 * applies: one process with several threads, double, exact sums, at most two local
 * chunks, and a first layer read from 8-bit codes that the AVX-512 kernels suit (the
 * course's cat model); elsewhere SPLIT acts as SHARED. AUTO (the default) is SPLIT. */
typedef enum { DNN_EXCHANGE_AUTO, DNN_EXCHANGE_SHARED, DNN_EXCHANGE_SPLIT } dnn_exchange;
void dnn_trainer_set_exchange(dnn_trainer *trainer, dnn_exchange exchange);
/* Steps so far that split the first layer among the threads (see dnn_exchange). */
long dnn_trainer_split_steps(const dnn_trainer *trainer);

/* The ways through a step, for tests that must show they covered each (the same
 * bits every way; docs/DESIGN.md). */
typedef enum {
    DNN_PATH_SPLIT,            /* split.c: the first layer shared by inputs */
    DNN_PATH_ONE_PROCESS,      /* combine.c, exact: threads' sums straight to doubles */
    DNN_PATH_GRADIENTS_TRAVEL, /* combine.c, exact, processes: the chunk gradients travel */
    DNN_PATH_DIGITS_TRAVEL,    /* combine.c, exact, processes: the digits travel */
    DNN_PATH_FAST,             /* combine.c, fast mode: double sums */
    DNN_PATHS
} dnn_step_path;
/* Steps so far that went way `path` (on this process). */
long dnn_trainer_path_steps(const dnn_trainer *trainer, dnn_step_path path);

/* Turns a special path off, for measuring what it buys against the same build
 * (launch/paths; dnn-train reads DNN_DISABLE=name,name): "split" (as
 * --thread-exchange shared), "gradients_travel" (the digits travel instead), "codes"
 * (the first layer reads the doubles, not the 8-bit codes; no split then),
 * "gradient_slots" (a thread keeps one chunk gradient pending, not
 * DNN_GRADIENT_SLOTS: a thread's second chunk then stores digits). The bits
 * stay the same. Every process must turn off the same paths. Returns 0 for an
 * unknown name. */
int dnn_trainer_disable(dnn_trainer *trainer, const char *path);

#endif
