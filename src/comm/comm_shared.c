/* The ranks' shared memory on one node (see comm_shared.h): two MPI-3 shared windows,
 * one segment per rank for the exchange and one vector for the result, kept locked
 * for the whole run (passive target); MPI_Win_sync and a barrier order the accesses. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm_shared.h"

typedef struct {
    int checked, one_node, enabled;
    MPI_Comm node;
    MPI_Win segments_win, result_win;
    int have_windows;
    double **segments; /* every rank's segment */
    double *result;
    size_t segment_len, result_len;
} shared_state;

static shared_state shared = {.enabled = 1};

static void free_windows(void)
{
    if (shared.have_windows) {
        MPI_Win_unlock_all(shared.segments_win);
        MPI_Win_unlock_all(shared.result_win);
        MPI_Win_free(&shared.segments_win);
        MPI_Win_free(&shared.result_win);
    }
    free(shared.segments);
    shared.segments = NULL;
    shared.result = NULL;
    shared.have_windows = 0;
    shared.segment_len = shared.result_len = 0;
}

/* Both windows, each rank's segment of segment_len doubles and rank 0's result of
 * result_len; 0 on success, with nothing left allocated on failure. */
static int make_windows(size_t segment_len, size_t result_len)
{
    int size, made = 0, rc = 0;
    MPI_Comm_size(shared.node, &size);
    double *mine, *result;
    int rank;
    MPI_Comm_rank(shared.node, &rank);
    shared.segments = malloc((size_t)size * sizeof *shared.segments);
    rc = !shared.segments;
    rc |= MPI_Win_allocate_shared((MPI_Aint)(segment_len * sizeof(double)), sizeof(double),
                                  MPI_INFO_NULL, shared.node, &mine,
                                  &shared.segments_win) != MPI_SUCCESS;
    if (rc == 0)
        made = 1;
    if (rc == 0)
        rc = MPI_Win_allocate_shared(
                 (MPI_Aint)((rank == 0 ? result_len : 0) * sizeof(double)), sizeof(double),
                 MPI_INFO_NULL, shared.node, &result, &shared.result_win) != MPI_SUCCESS;
    if (rc == 0)
        made = 2;
    for (int r = 0; r < size && rc == 0; r++) {
        MPI_Aint bytes;
        int unit;
        rc = MPI_Win_shared_query(shared.segments_win, r, &bytes, &unit,
                                  &shared.segments[r]) != MPI_SUCCESS;
    }
    if (rc == 0) {
        MPI_Aint bytes;
        int unit;
        rc = MPI_Win_shared_query(shared.result_win, 0, &bytes, &unit, &shared.result) !=
             MPI_SUCCESS;
    }
    if (rc == 0)
        rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, shared.segments_win) != MPI_SUCCESS ||
             MPI_Win_lock_all(MPI_MODE_NOCHECK, shared.result_win) != MPI_SUCCESS;
    if (rc == 0) {
        shared.have_windows = 1;
        shared.segment_len = segment_len;
        shared.result_len = result_len;
        return 0;
    }
    if (made >= 2)
        MPI_Win_free(&shared.result_win);
    if (made >= 1)
        MPI_Win_free(&shared.segments_win);
    free(shared.segments);
    shared.segments = NULL;
    return 1;
}

/* Once: whether all the ranks run on one node and sharing is wanted (every rank
 * gets the same answer). */
static int ranks_share_a_node(void)
{
    if (!shared.checked) {
        shared.checked = 1;
        int world, node_size = 0;
        MPI_Comm_size(MPI_COMM_WORLD, &world);
        if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL,
                                &shared.node) == MPI_SUCCESS) {
            MPI_Comm_size(shared.node, &node_size);
            MPI_Comm_set_errhandler(shared.node, MPI_ERRORS_RETURN);
        } else {
            shared.node = MPI_COMM_NULL;
        }
        /* the same on every rank: the ranks of one node see all of the world, and no
         * rank was told DNN_SHARED_MEMORY=0 */
        const char *setting = getenv("DNN_SHARED_MEMORY");
        int wanted = !(setting && strcmp(setting, "0") == 0);
        int all_here = node_size == world && wanted, agreed = all_here;
        MPI_Allreduce(&all_here, &agreed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        shared.one_node = agreed;
    }
    return shared.one_node && shared.enabled;
}

int dnn_shared_reserve(size_t segment_len, size_t result_len)
{
    if (!ranks_share_a_node())
        return 0;
    if (shared.have_windows && segment_len <= shared.segment_len &&
        result_len <= shared.result_len)
        return 1;
    size_t seg = segment_len > shared.segment_len ? segment_len : shared.segment_len;
    size_t res = result_len > shared.result_len ? result_len : shared.result_len;
    free_windows();
    int failed = make_windows(seg ? seg : 1, res ? res : 1), any = failed;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !failed)
        free_windows();
    if (any)
        shared.one_node = 0; /* the transport path from now on, on every rank */
    return !any;
}

double *dnn_shared_segment(int rank)
{
    return shared.segments[rank];
}

double *dnn_shared_result(void)
{
    return shared.result;
}

int dnn_shared_sync(void)
{
    int rc = MPI_Win_sync(shared.segments_win) != MPI_SUCCESS;
    rc |= MPI_Win_sync(shared.result_win) != MPI_SUCCESS;
    rc |= MPI_Barrier(shared.node) != MPI_SUCCESS;
    rc |= MPI_Win_sync(shared.segments_win) != MPI_SUCCESS;
    rc |= MPI_Win_sync(shared.result_win) != MPI_SUCCESS;
    return rc;
}

void dnn_shared_free(void)
{
    free_windows();
    if (shared.checked && shared.node != MPI_COMM_NULL)
        MPI_Comm_free(&shared.node);
    shared.checked = shared.one_node = 0;
}

int dnn_shared_in_use(void)
{
    return shared.have_windows && shared.one_node && shared.enabled;
}

void dnn_shared_enable(int on)
{
    shared.enabled = on;
}
