#ifndef DNN_COMM_SHARED_H
#define DNN_COMM_SHARED_H

#include <stddef.h>

/* Memory every rank can read and write when all ranks run on one node (MPI-3 shared
 * windows, src/comm/comm_shared.c): the exchange and the allgather of comm_mpi.c then
 * copy each block once, where the other ranks read it in place, instead of going
 * through the MPI transport. DNN_SHARED_MEMORY=0 in any rank's environment turns it
 * off for all. Every function is collective over MPI_COMM_WORLD and must be called by
 * every rank with the same arguments. */

/* Makes each rank's segment hold at least segment_len doubles and the result at least
 * result_len; 1 when the memory is there, 0 when the ranks span several nodes, sharing
 * is off (DNN_SHARED_MEMORY=0, dnn_shared_enable) or the windows could not be made
 * (every rank gets the same answer). */
int dnn_shared_reserve(size_t segment_len, size_t result_len);
/* Rank r's segment, and the result vector every rank writes its block of. */
double *dnn_shared_segment(int rank);
double *dnn_shared_result(void);
/* Every rank's writes so far are visible to every rank after this; 0 on success. */
int dnn_shared_sync(void);
void dnn_shared_free(void);
/* Local: whether the windows are there and in use. */
int dnn_shared_in_use(void);
/* Tests: 0 turns sharing off (the transport path), 1 back on (the default). */
void dnn_shared_enable(int on);

#endif
