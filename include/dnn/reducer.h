#ifndef DNN_REDUCER_H
#define DNN_REDUCER_H

#include <stddef.h>
#include <stdint.h>

/* Collective sums and maxima across processes, called by every process in the same
 * order. Each returns 0 on success. The library never calls MPI itself: the program
 * passes these in (src/comm/comm_mpi.c), and a single process passes
 * dnn_reducer_local(), whose operations do nothing.
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
} dnn_reducer;

/* One process: every operation leaves its values as they are (src/comm/reducer_local.c). */
dnn_reducer dnn_reducer_local(void);

#endif
