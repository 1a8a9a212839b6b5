/* Timings of single collectives (comm_timing.h): the measurements the communication
 * model is fitted to. */
#include "comm/comm_timing.h"

#include <mpi.h>
#include <stdlib.h>

#include "comm/comm.h"

const char *dnn_comm_collective_name(dnn_comm_collective which)
{
    return which == DNN_COMM_REDUCE_SCATTER ? "reduce_scatter"
           : which == DNN_COMM_ALLGATHER    ? "allgather"
                                            : "allreduce";
}

static int call(dnn_comm_collective which, double *in, double *out, int block, int n)
{
    if (which == DNN_COMM_REDUCE_SCATTER)
        return MPI_Reduce_scatter_block(in, out, block, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    if (which == DNN_COMM_ALLGATHER)
        return MPI_Allgather(in, block, MPI_DOUBLE, out, block, MPI_DOUBLE, MPI_COMM_WORLD);
    return MPI_Allreduce(in, out, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

double dnn_comm_time_collective(dnn_comm_collective which, size_t n, int repeats, int rounds)
{
    int block = (int)(n / (size_t)dnn_comm_size());
    double *in = calloc(n, sizeof *in), *out = calloc(n, sizeof *out);
    if (dnn_comm_first_failure(in && out) >= 0) {
        free(in);
        free(out);
        return -1.0;
    }
    for (size_t k = 0; k < n; k++)
        in[k] = (double)(k % 1000) * 0.5; /* sums of these stay exact: no subnormals */
    int ok = call(which, in, out, block, (int)n) == MPI_SUCCESS;
    double best = -1.0;
    for (int r = 0; r < rounds && ok; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        for (int k = 0; k < repeats && ok; k++)
            ok = call(which, in, out, block, (int)n) == MPI_SUCCESS;
        double took = dnn_comm_max_double((MPI_Wtime() - start) / repeats);
        best = best < 0 || took < best ? took : best;
    }
    free(in);
    free(out);
    if (!ok)
        dnn_comm_abort(1);
    return best;
}
