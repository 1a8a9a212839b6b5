#ifndef DNN_TRAIN_H
#define DNN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/data.h"
#include "dnn/params.h"

/* Collective sums and maxima across processes, called by every process in the same
 * order. Each returns 0 on success. The library never calls MPI itself: the program
 * passes these in (src/comm_mpi.c), and a single process passes dnn_reducer_local(),
 * whose operations do nothing.
 *
 * reduce_scatter_int64 and allgather_double work on a split of n elements into one
 * contiguous block per process, in process order, that depends only on n and the
 * number of processes (blocks may be empty): *begin and *end tell a process its own. */
typedef struct {
    int (*max_int)(void *ctx, int *values, int n);
    int (*sum_int64)(void *ctx, int64_t *values, size_t n);
    int (*sum_double)(void *ctx, double *values, size_t n);
    /* planes arrays of n int64 (plane k at values[k·n]) summed over processes, in place,
     * but only this process's block [*begin, *end) of each plane is written: the rest
     * is left unspecified. */
    int (*reduce_scatter_int64)(void *ctx, int64_t *values, size_t n, int planes,
                                size_t *begin, size_t *end);
    /* values[0..n-1], of which each process holds its own block: on return every
     * process holds all of them. */
    int (*allgather_double)(void *ctx, double *values, size_t n);
    /* nvec vectors of n doubles, each in nseg pieces (vector v's elements
     * [seg_start[s], seg_start[s+1]) at vectors[v·nseg + s]), every process holding as
     * many: each process gets its block [*begin, *end) (the split of
     * reduce_scatter_int64) of every process's vectors, process p's vector v at
     * blocks[p·nvec + v], readable until the next allgather_double. The blocks are
     * copied to recv, which holds processes · nvec · (n / processes + 1) doubles, or
     * read where they are (memory shared by the processes of one node). */
    int (*exchange_blocks_double)(void *ctx, const double *const *vectors, int nvec,
                                  const size_t *seg_start, int nseg, double *recv,
                                  const double **blocks, size_t *begin, size_t *end);
    void *ctx;
    int processes; /* how many take part; with 1 the trainer skips the collectives */
    /* Optional (NULL: none). Collective: n doubles that every process can read and
     * write, or NULL (every process alike). Each process writes only its own block
     * there, and allgather_double on it then only orders the writes; its contents stay
     * until the next call of any of these operations. */
    double *(*shared_vector)(void *ctx, size_t n);
    /* Optional (NULL: none). Collective: bytes of zeroed memory that every process maps
     * (all on one node), or NULL on every process; the last one given is freed by the
     * next call. The processes order their accesses with C11 atomics in it. */
    void *(*shared_region)(void *ctx, size_t bytes);
    int rank; /* this process's place among the processes, 0 .. processes - 1 */
} dnn_reducer;

dnn_reducer dnn_reducer_local(void);

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
 * with single-threaded BLAS. params is updated in place, and belongs to the trainer
 * until dnn_trainer_free: change it only through dnn_trainer_step (threads may keep
 * their own copies of it between steps, see dnn_exchange; ranks that split the first
 * layer keep it in shared memory, see dnn_trainer_sync). */
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

/* Wall seconds of the last step: local forward/backward, and combining across
 * threads and processes. */
void dnn_trainer_last_times(const dnn_trainer *trainer, double *compute, double *combine);
/* The part of the last step's combine spent in the reducer's collectives (with any
 * wait for slower processes); the rest is merging threads' sums and converting them. */
double dnn_trainer_last_collective_time(const dnn_trainer *trainer);
/* DNN_F32: how many hidden pre-activations this process's steps have recomputed in
 * double so far (dnn_L_model_forward_f32_checked); 0 for DNN_F64. */
long dnn_trainer_recomputed(const dnn_trainer *trainer);
/* How a process's threads exchange their gradients and parameters each step (the
 * same bits every way). SHARED reads them where their threads wrote them. COPIED
 * reads other threads' gradient parts from copies made in one sequential pass; in
 * double each thread then keeps its own copy of the parameters and updates all of
 * it, in float the parameters are written with streaming stores. That is faster when
 * the cores are far apart (on different dies, or as a virtual machine's host placed
 * them). Copies apply to one process with several threads and at most one chunk
 * each, in exact mode. SPLIT shares the first layer among the threads by inputs
 * instead of by examples: each thread computes, sums and updates the first layer's
 * weights of its own range of inputs for all the examples, so those weights and
 * their gradients never leave its cache, and the threads do equal work whatever
 * ReLU leaves active. It applies in double and exact mode to one process with
 * several threads, at most two chunks and a first layer read from 8-bit codes that
 * the AVX-512 kernels suit (the course's cat model), and in the same way to two
 * processes of one node with one thread and one chunk each, whose reducer gives
 * shared_region (see dnn_trainer_sync); elsewhere SPLIT acts as AUTO. Every process
 * must set the same exchange. AUTO (the default) splits where that applies;
 * otherwise it measures how far apart the team's cores are every few hundred steps
 * and copies when the cache-line round trip exceeds 250 ns. */
typedef enum {
    DNN_EXCHANGE_AUTO,
    DNN_EXCHANGE_SHARED,
    DNN_EXCHANGE_COPIED,
    DNN_EXCHANGE_SPLIT
} dnn_exchange;
void dnn_trainer_set_exchange(dnn_trainer *trainer, dnn_exchange exchange);
/* Steps so far whose threads exchanged through copies (see dnn_exchange). */
long dnn_trainer_copied_steps(const dnn_trainer *trainer);
/* Steps so far that split the first layer among the threads or ranks (see
 * dnn_exchange). */
long dnn_trainer_split_steps(const dnn_trainer *trainer);
/* After steps that split the first layer across processes, params' first layer lags
 * the memory the processes share (each process keeps only its own inputs' weights up
 * to date there): this brings params up to date. Call it before reading params
 * between steps; dnn_trainer_count_correct, dnn_trainer_free and a step of another
 * way call it themselves. Local (no collective); nothing to do in other cases. */
void dnn_trainer_sync(dnn_trainer *trainer);

#endif
