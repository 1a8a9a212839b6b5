#include <mpi.h>

#include "comm.h"

int dnn_comm_init(int *argc, char ***argv)
{
    int provided;
    /* Only the master thread of each rank calls MPI; OpenMP threads never do. */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return 1;
    /* A failed collective returns an error instead of aborting, so it can be reported. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return 0;
}

void dnn_comm_finalize(void)
{
    MPI_Finalize();
}

int dnn_comm_rank(void)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int dnn_comm_size(void)
{
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

double dnn_comm_wtime(void)
{
    return MPI_Wtime();
}

int dnn_comm_first_failure(int local_ok)
{
    int size = dnn_comm_size(), mine = local_ok ? size : dnn_comm_rank(), first;
    if (MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
        dnn_comm_abort(1);
    return first == size ? -1 : first;
}

double dnn_comm_max_double(double value)
{
    double out;
    if (MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
        dnn_comm_abort(1);
    return out;
}

long dnn_comm_sum_long(long value)
{
    long out;
    if (MPI_Allreduce(&value, &out, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        dnn_comm_abort(1);
    return out;
}

uint64_t dnn_comm_sum_uint64(uint64_t value)
{
    uint64_t out;
    if (MPI_Allreduce(&value, &out, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        dnn_comm_abort(1);
    return out;
}

static int max_int(void *ctx, int *values, int n)
{
    (void)ctx;
    return MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS;
}

/* MPI counts are int: large buffers go in pieces. */
static const size_t MAX_PIECE = (size_t)1 << 30;

static int sum_int64(void *ctx, int64_t *values, size_t n)
{
    (void)ctx;
    for (size_t at = 0; at < n; at += MAX_PIECE) {
        int count = (int)(n - at < MAX_PIECE ? n - at : MAX_PIECE);
        if (MPI_Allreduce(MPI_IN_PLACE, values + at, count, MPI_INT64_T, MPI_SUM,
                          MPI_COMM_WORLD) != MPI_SUCCESS)
            return 1;
    }
    return 0;
}

static int sum_double(void *ctx, double *values, size_t n)
{
    (void)ctx;
    for (size_t at = 0; at < n; at += MAX_PIECE) {
        int count = (int)(n - at < MAX_PIECE ? n - at : MAX_PIECE);
        if (MPI_Allreduce(MPI_IN_PLACE, values + at, count, MPI_DOUBLE, MPI_SUM,
                          MPI_COMM_WORLD) != MPI_SUCCESS)
            return 1;
    }
    return 0;
}

void dnn_comm_bcast(void *buf, size_t bytes)
{
    for (size_t at = 0; at < bytes; at += MAX_PIECE) {
        int count = (int)(bytes - at < MAX_PIECE ? bytes - at : MAX_PIECE);
        if (MPI_Bcast((char *)buf + at, count, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            dnn_comm_abort(1);
    }
}

dnn_reducer dnn_comm_reducer(void)
{
    dnn_reducer r = {max_int, sum_int64, sum_double, NULL};
    return r;
}

void dnn_comm_abort(int exit_code)
{
    MPI_Abort(MPI_COMM_WORLD, exit_code);
}
