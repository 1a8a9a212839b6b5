#ifndef DNN_COMM_H
#define DNN_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/reducer.h"

/* The programs' view of MPI; src/comm/comm_mpi.c, comm_shared.c and comm_timing.c (the
 * collectives' timings, comm_timing.h) are the only files that include mpi.h. Every
 * function here except dnn_comm_abort is collective or local as said. */
int dnn_comm_init(int *argc, char ***argv); /* 0 on success */
void dnn_comm_finalize(void);
int dnn_comm_rank(void);
int dnn_comm_size(void);
double dnn_comm_wtime(void);

/* Collective: the lowest rank whose local_ok is 0, or -1 when every rank is fine.
 * Lets exactly one rank print a failure while all of them stop together. */
int dnn_comm_first_failure(int local_ok);
/* Collective max / min / sum of one value. */
double dnn_comm_max_double(double value);
/* Collective element-wise max of n values, in place. */
void dnn_comm_max_doubles(double *values, int n);
/* Collective element-wise sum of n values, in place (the order of the sum is MPI's). */
void dnn_comm_sum_doubles(double *values, int n);
long dnn_comm_sum_long(long value);
/* Collective sum of one value modulo 2^64 (any order gives the same bits). */
uint64_t dnn_comm_sum_uint64(uint64_t value);
/* Collective: every rank gets rank 0's `bytes` bytes at buf. */
void dnn_comm_bcast(void *buf, size_t bytes);
/* Collective sums and maxima for the trainer. */
dnn_reducer dnn_comm_reducer(void);
/* Local: the largest element count of one MPI call (default and upper bound 2^30, as
 * counts are int); tests lower it to run the paths for buffers larger than that. */
void dnn_comm_set_max_piece(size_t count); /* 0: the default */

/* Local: whether the reducer's exchange and gather have gone through memory shared by
 * the ranks (all on one host) rather than through MPI. */
int dnn_comm_shared_memory(void);

/* Ends every rank at once: for failures in the middle of a step. */
void dnn_comm_abort(int exit_code);

#endif
