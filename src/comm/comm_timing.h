#ifndef DNN_COMM_TIMING_H
#define DNN_COMM_TIMING_H

#include <stddef.h>

/* Timings of the collectives that combine gradients, for the communication model of
 * launch/comm_model.py (dnn-comm-probe). Like comm.h, the programs' view of MPI. */
typedef enum {
    DNN_COMM_REDUCE_SCATTER, /* MPI_Reduce_scatter_block: n doubles in, n/P out (sum) */
    DNN_COMM_ALLGATHER,      /* MPI_Allgather: n/P doubles in, n out */
    DNN_COMM_ALLREDUCE       /* MPI_Allreduce: n doubles summed in place */
} dnn_comm_collective;

const char *dnn_comm_collective_name(dnn_comm_collective which);

/* Collective: the seconds one call of `which` on a vector of n doubles (n a multiple of
 * the ranks) takes: the fastest of `rounds` rounds of `repeats` calls each (after one
 * call to warm up), each round's time the largest over ranks, divided by repeats.
 * Negative, on every rank, when a rank is out of memory. */
double dnn_comm_time_collective(dnn_comm_collective which, size_t n, int repeats, int rounds);

#endif
