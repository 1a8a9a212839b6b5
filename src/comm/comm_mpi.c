#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "comm/comm_shared.h"

/* The reducer's state: buffers kept from one call to the next, so that a training step
 * allocates nothing once the first one has run. */
typedef struct {
    int64_t *scratch;
    size_t scratch_len;
    int *ints; /* counts, displacements, block lengths */
    size_t ints_len;
    MPI_Datatype *types;
    size_t types_len;
    MPI_Aint *addresses;
    size_t addresses_len;
    MPI_Request *requests;
    size_t requests_len;
    /* a real array rather than MPI_STATUSES_IGNORE, which MPICH defines as
     * (MPI_Status *)1: gcc 12 then warns of an overflow (pmodels/mpich#5687) */
    MPI_Status *statuses;
    size_t statuses_len;
} reducer_state;

static reducer_state the_reducer;

static void free_reducer_state(void)
{
    free(the_reducer.scratch);
    free(the_reducer.ints);
    free(the_reducer.types);
    free(the_reducer.addresses);
    free(the_reducer.requests);
    free(the_reducer.statuses);
    the_reducer = (reducer_state){0};
}

/* Makes *buf hold at least need elements of elem bytes (its contents are not kept);
 * 0 on success. */
static int reserve(void **buf, size_t *len, size_t need, size_t elem)
{
    if (*len >= need)
        return 0;
    free(*buf);
    *len = 0;
    if (!(*buf = malloc((need ? need : 1) * elem)))
        return 1;
    *len = need;
    return 0;
}

/* state's ints, types and addresses, at least as long as asked. */
static int reserve_arrays(reducer_state *state, size_t ints, size_t types, size_t addresses)
{
    return reserve((void **)&state->ints, &state->ints_len, ints, sizeof *state->ints) ||
           reserve((void **)&state->types, &state->types_len, types, sizeof *state->types) ||
           reserve((void **)&state->addresses, &state->addresses_len, addresses,
                   sizeof *state->addresses);
}

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
    free_reducer_state();
    dnn_shared_free();
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

/* values[0..n) reduced by op over all ranks, in place; a failed collective ends the
 * run (these callers have no way to report it). */
static void allreduce_or_abort(void *values, int n, MPI_Datatype type, MPI_Op op)
{
    if (MPI_Allreduce(MPI_IN_PLACE, values, n, type, op, MPI_COMM_WORLD) != MPI_SUCCESS)
        dnn_comm_abort(1);
}

int dnn_comm_first_failure(int local_ok)
{
    int size = dnn_comm_size(), first = local_ok ? size : dnn_comm_rank();
    allreduce_or_abort(&first, 1, MPI_INT, MPI_MIN);
    return first == size ? -1 : first;
}

double dnn_comm_max_double(double value)
{
    allreduce_or_abort(&value, 1, MPI_DOUBLE, MPI_MAX);
    return value;
}

void dnn_comm_max_doubles(double *values, int n)
{
    allreduce_or_abort(values, n, MPI_DOUBLE, MPI_MAX);
}

void dnn_comm_sum_doubles(double *values, int n)
{
    allreduce_or_abort(values, n, MPI_DOUBLE, MPI_SUM);
}

long dnn_comm_sum_long(long value)
{
    allreduce_or_abort(&value, 1, MPI_LONG, MPI_SUM);
    return value;
}

uint64_t dnn_comm_sum_uint64(uint64_t value)
{
    allreduce_or_abort(&value, 1, MPI_UINT64_T, MPI_SUM);
    return value;
}

static int max_int(void *ctx, int *values, int n)
{
    (void)ctx;
    if (dnn_comm_size() == 1)
        return 0;
    return MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS;
}

/* MPI counts are int: large buffers go in pieces of at most max_piece elements. */
static size_t max_piece = (size_t)1 << 30;

void dnn_comm_set_max_piece(size_t count)
{
    max_piece = count > 0 && count < ((size_t)1 << 30) ? count : (size_t)1 << 30;
}

/* The elements of the piece of at most max_piece starting at element at of n. */
static int piece_count(size_t at, size_t n)
{
    return (int)(n - at < max_piece ? n - at : max_piece);
}

/* The sum over all ranks of n elements of type (elem bytes each), in place, in pieces. */
static int sum_in_pieces(void *values, size_t n, MPI_Datatype type, size_t elem)
{
    for (size_t at = 0; at < n; at += max_piece)
        if (MPI_Allreduce(MPI_IN_PLACE, (char *)values + at * elem, piece_count(at, n), type,
                          MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
            return 1;
    return 0;
}

/* Rank root's n elements of type (elem bytes each) sent to all ranks, in pieces. */
static int bcast_in_pieces(void *values, size_t n, MPI_Datatype type, size_t elem, int root)
{
    for (size_t at = 0; at < n; at += max_piece)
        if (MPI_Bcast((char *)values + at * elem, piece_count(at, n), type, root,
                      MPI_COMM_WORLD) != MPI_SUCCESS)
            return 1;
    return 0;
}

static int sum_int64(void *ctx, int64_t *values, size_t n)
{
    (void)ctx;
    return sum_in_pieces(values, n, MPI_INT64_T, sizeof *values);
}

static int sum_double(void *ctx, double *values, size_t n)
{
    (void)ctx;
    return sum_in_pieces(values, n, MPI_DOUBLE, sizeof *values);
}

/* Process r's block of n elements: contiguous, in rank order, sizes differing by at
 * most one. */
static void block_of(int r, int size, size_t n, size_t *begin, size_t *end)
{
    size_t q = n / (size_t)size, rem = n % (size_t)size, ur = (size_t)r;
    *begin = q * ur + (ur < rem ? ur : rem);
    *end = *begin + q + (ur < rem);
}

/* Commits *type, just made by a constructor that returned created; 0 on success, else
 * 1 with nothing left to free. */
static int commit_type(int created, MPI_Datatype *type)
{
    if (created != MPI_SUCCESS)
        return 1;
    if (MPI_Type_commit(type) != MPI_SUCCESS) {
        MPI_Type_free(type);
        return 1;
    }
    return 0;
}

/* Makes state->scratch hold at least len int64. */
static int reserve_scratch(reducer_state *state, size_t len)
{
    return reserve((void **)&state->scratch, &state->scratch_len, len, sizeof *state->scratch);
}

/* The part of each of `planes` planes of n int64 given by blocks of blen elements from
 * the byte offsets at[k]: one MPI datatype, so that a rank's share of all the planes
 * travels as one message (addresses as MPI_Aint, so no int overflows). */
static int planes_type(int planes, const MPI_Aint *at, size_t blen, MPI_Datatype *type)
{
    return commit_type(MPI_Type_create_hindexed_block(planes, (int)blen, at, MPI_INT64_T, type),
                       type);
}

/* A reduce-scatter done as one all-to-all of the blocks (each rank receives the other
 * ranks' parts of its own block of every plane), then summed here in place. Open MPI's
 * MPI_Reduce_scatter (ring) first copies the whole input and ends with another copy,
 * one call per plane: on the cat model (3 planes of 246k digits, 2 ranks on shared
 * memory) 0.62 ms against 0.3 ms for this. */
static int reduce_scatter_int64(void *ctx, int64_t *values, size_t n, int planes, size_t *begin,
                                size_t *end)
{
    reducer_state *state = ctx;
    int rank = dnn_comm_rank(), size = dnn_comm_size();
    block_of(rank, size, n, begin, end);
    if (size == 1 || planes < 1)
        return 0;
    /* a rank's message must have an int count of elements: past max_piece, a whole
     * Allreduce in pieces, which leaves every block summed as well */
    size_t count = *end - *begin, largest = n / (size_t)size + (n % (size_t)size != 0);
    if (largest * (size_t)planes > max_piece)
        return sum_int64(ctx, values, n * (size_t)planes);
    /* the other ranks' parts of our block, rank r's in slot r (r < rank) or r - 1 */
    if (reserve_scratch(state, (size_t)(size - 1) * (size_t)planes * count))
        return 1;
    if (reserve_arrays(state, 4 * (size_t)size, 2 * (size_t)size, (size_t)planes))
        return 1;
    int rc = 0, made = 0; /* made: ranks whose two types exist */
    int *ints = state->ints;
    MPI_Datatype *types = state->types;
    MPI_Aint *at = state->addresses;
    int *scounts = ints, *rcounts = ints + size, *sdispls = ints + 2 * size,
        *rdispls = ints + 3 * size;
    MPI_Datatype *stypes = types, *rtypes = types + size;
    for (int r = 0; r < size && rc == 0; r++) {
        size_t b, e, slot = (size_t)(r - (r > rank));
        block_of(r, size, n, &b, &e);
        for (int k = 0; k < planes; k++)
            at[k] = (MPI_Aint)(((size_t)k * n + b) * sizeof *values);
        /* our own part stays where it is: empty types, count 0 */
        rc = planes_type(planes, at, r == rank ? 0 : e - b, &stypes[r]);
        if (rc != 0)
            break;
        for (int k = 0; k < planes; k++)
            at[k] = (MPI_Aint)((slot * (size_t)planes + (size_t)k) * count * sizeof *values);
        if ((rc = planes_type(planes, at, r == rank ? 0 : count, &rtypes[r])) != 0) {
            MPI_Type_free(&stypes[r]);
            break;
        }
        made++;
        scounts[r] = rcounts[r] = r != rank;
        sdispls[r] = rdispls[r] = 0;
    }
    if (rc == 0)
        rc = MPI_Alltoallw(values, scounts, sdispls, stypes, state->scratch, rcounts, rdispls,
                           rtypes, MPI_COMM_WORLD) != MPI_SUCCESS;
    for (int r = 0; r < made; r++) {
        MPI_Type_free(&stypes[r]);
        MPI_Type_free(&rtypes[r]);
    }
    for (int k = 0; k < planes && rc == 0; k++) {
        int64_t *mine = values + (size_t)k * n + *begin;
        for (size_t slot = 0; slot + 1 < (size_t)size; slot++) {
            const int64_t *part = state->scratch + (slot * (size_t)planes + (size_t)k) * count;
            for (size_t i = 0; i < count; i++)
                mine[i] += part[i];
        }
    }
    return rc;
}

/* An hindexed datatype of doubles at absolute addresses (used with MPI_BOTTOM). */
static int absolute_type(int count, const int *lengths, const MPI_Aint *addresses,
                         MPI_Datatype *type)
{
    return commit_type(MPI_Type_create_hindexed(count, lengths, addresses, MPI_DOUBLE, type),
                       type);
}

/* The pieces of block [b, e) of every vector, described in place: lengths and absolute
 * addresses, at most nvec · nseg of them. */
static int vector_blocks(const double *const *vectors, int nvec, const size_t *seg_start,
                         int nseg, size_t b, size_t e, int *lengths, MPI_Aint *addresses)
{
    int count = 0;
    for (int v = 0; v < nvec; v++)
        for (int s = 0; s < nseg; s++) {
            size_t lo = seg_start[s] > b ? seg_start[s] : b;
            size_t hi = seg_start[s + 1] < e ? seg_start[s + 1] : e;
            if (lo >= hi)
                continue;
            lengths[count] = (int)(hi - lo);
            MPI_Get_address(vectors[v * nseg + s] + (lo - seg_start[s]), &addresses[count]);
            count++;
        }
    return count;
}

/* Whether each vector's pieces lie end to end in memory (one arena). */
static int end_to_end(const double *const *vectors, int nvec, const size_t *seg_start, int nseg)
{
    for (int v = 0; v < nvec; v++)
        for (int s = 0; s + 1 < nseg; s++)
            if (vectors[v * nseg + s] + (seg_start[s + 1] - seg_start[s]) !=
                vectors[v * nseg + s + 1])
                return 0;
    return 1;
}

/* The exchange of vectors whose pieces lie end to end: one message per vector and
 * peer, from and to contiguous memory, and a copy of the own block [begin, begin +
 * count) of n elements. */
static int exchange_contiguous(reducer_state *state, const double *const *vectors, int nvec,
                               int nseg, size_t n, double *recv, size_t begin, size_t count)
{
    int rank = dnn_comm_rank(), size = dnn_comm_size();
    size_t n_requests = 2 * (size_t)nvec * (size_t)(size - 1);
    if (reserve((void **)&state->requests, &state->requests_len, n_requests,
                sizeof *state->requests) ||
        reserve((void **)&state->statuses, &state->statuses_len, n_requests,
                sizeof *state->statuses))
        return 1;
    MPI_Request *requests = state->requests;
    int posted = 0, rc = 0;
    for (int p = 0; p < size && rc == 0; p++)
        for (int v = 0; v < nvec && p != rank && rc == 0; v++)
            rc = MPI_Irecv(recv + ((size_t)p * nvec + v) * count, (int)count, MPI_DOUBLE, p, v,
                           MPI_COMM_WORLD, &requests[posted++]) != MPI_SUCCESS;
    for (int p = 0; p < size && rc == 0; p++) {
        size_t b, e;
        block_of(p, size, n, &b, &e);
        for (int v = 0; v < nvec && p != rank && rc == 0; v++)
            rc = MPI_Isend(vectors[v * nseg] + b, (int)(e - b), MPI_DOUBLE, p, v,
                           MPI_COMM_WORLD, &requests[posted++]) != MPI_SUCCESS;
    }
    for (int v = 0; v < nvec && rc == 0; v++)
        memcpy(recv + ((size_t)rank * nvec + v) * count, vectors[v * nseg] + begin,
               count * sizeof *recv);
    if (MPI_Waitall(posted, requests, state->statuses) != MPI_SUCCESS)
        rc = 1;
    return rc;
}

/* Elements [lo, hi) of a vector in nseg pieces, copied to dst. */
static void copy_range(const double *const *pieces, const size_t *seg_start, int nseg,
                       size_t lo, size_t hi, double *dst)
{
    for (int s = 0; s < nseg; s++) {
        size_t a = seg_start[s] > lo ? seg_start[s] : lo;
        size_t b = seg_start[s + 1] < hi ? seg_start[s + 1] : hi;
        if (a < b)
            memcpy(dst + (a - lo), pieces[s] + (a - seg_start[s]), (b - a) * sizeof *dst);
    }
}

/* All ranks on one node: each rank copies the blocks the others need into its
 * segment of shared memory (vector v's element i at v·n + i), and each reads its
 * block of the others' in place; its own stays in its vectors when they lie end to
 * end (else it is copied to recv). */
static int exchange_shared(const double *const *vectors, int nvec, const size_t *seg_start,
                           int nseg, double *recv, const double **blocks, size_t begin,
                           size_t end)
{
    int rank = dnn_comm_rank(), size = dnn_comm_size();
    size_t n = seg_start[nseg], count = end - begin;
    double *mine = dnn_shared_segment(rank);
    for (int p = 0; p < size; p++) {
        size_t b, e;
        block_of(p, size, n, &b, &e);
        for (int v = 0; v < nvec && p != rank; v++)
            copy_range(vectors + (size_t)v * nseg, seg_start, nseg, b, e,
                       mine + (size_t)v * n + b);
    }
    int direct = end_to_end(vectors, nvec, seg_start, nseg);
    for (int v = 0; v < nvec; v++) {
        double *own = recv + (size_t)v * count;
        if (!direct)
            copy_range(vectors + (size_t)v * nseg, seg_start, nseg, begin, end, own);
        for (int p = 0; p < size; p++)
            blocks[(size_t)p * nvec + v] =
                p != rank ? dnn_shared_segment(p) + (size_t)v * n + begin
                          : direct ? vectors[(size_t)v * nseg] + begin : own;
    }
    return dnn_shared_sync();
}

/* Through shared memory when all ranks are on one host; else as one message per
 * vector and peer when the vectors lie end to end; else one all-to-all straight from
 * the vectors' pieces to recv (no packing). */
static int exchange_blocks_double(void *ctx, const double *const *vectors, int nvec,
                                  const size_t *seg_start, int nseg, double *recv,
                                  const double **blocks, size_t *begin, size_t *end)
{
    reducer_state *state = ctx;
    int rank = dnn_comm_rank(), size = dnn_comm_size();
    size_t n = seg_start[nseg];
    block_of(rank, size, n, begin, end);
    size_t count = *end - *begin;
    if (nvec < 1 || (n / (size_t)size + 1) * (size_t)nvec > max_piece)
        return 1; /* the caller checks this first: every process alike */
    for (size_t p = 0; p < (size_t)size; p++)
        for (int v = 0; v < nvec; v++)
            blocks[p * nvec + v] = recv + (p * nvec + v) * count;
    if (dnn_shared_reserve((size_t)nvec * n, n))
        return exchange_shared(vectors, nvec, seg_start, nseg, recv, blocks, *begin, *end);
    if (end_to_end(vectors, nvec, seg_start, nseg))
        return exchange_contiguous(state, vectors, nvec, nseg, n, recv, *begin, count);
    size_t pieces = (size_t)nvec * (size_t)nseg;
    if (reserve_arrays(state, 2 * (size_t)size + pieces, 2 * (size_t)size, pieces))
        return 1;
    int rc = 0, made = 0;
    int *ints = state->ints;
    MPI_Aint *addresses = state->addresses;
    MPI_Datatype *types = state->types;
    int *ones = ints, *zeros = ints + size, *lengths = ints + 2 * size;
    MPI_Datatype *stypes = types, *rtypes = types + size;
    for (int r = 0; r < size && rc == 0; r++) {
        size_t b, e;
        block_of(r, size, n, &b, &e);
        int blocks = vector_blocks(vectors, nvec, seg_start, nseg, b, e, lengths, addresses);
        if ((rc = absolute_type(blocks, lengths, addresses, &stypes[r])) != 0)
            break;
        lengths[0] = (int)((size_t)nvec * count);
        MPI_Get_address(recv + (size_t)r * (size_t)nvec * count, &addresses[0]);
        if ((rc = absolute_type(1, lengths, addresses, &rtypes[r])) != 0) {
            MPI_Type_free(&stypes[r]);
            break;
        }
        made++;
        ones[r] = 1;
        zeros[r] = 0;
    }
    if (rc == 0)
        rc = MPI_Alltoallw(MPI_BOTTOM, ones, zeros, stypes, MPI_BOTTOM, ones, zeros, rtypes,
                           MPI_COMM_WORLD) != MPI_SUCCESS;
    for (int r = 0; r < made; r++) {
        MPI_Type_free(&stypes[r]);
        MPI_Type_free(&rtypes[r]);
    }
    return rc;
}

static int allgather_double(void *ctx, double *values, size_t n)
{
    reducer_state *state = ctx;
    int size = dnn_comm_size(), rank = dnn_comm_rank();
    if (size == 1)
        return 0;
    if (dnn_shared_reserve(0, n)) { /* one copy in, one out, unless values is shared */
        double *result = dnn_shared_result();
        if (values == result)
            return dnn_shared_sync();
        size_t b, e;
        block_of(rank, size, n, &b, &e);
        memcpy(result + b, values + b, (e - b) * sizeof *values);
        if (dnn_shared_sync() != 0)
            return 1;
        memcpy(values, result, b * sizeof *values);
        memcpy(values + e, result + e, (n - e) * sizeof *values);
        return 0;
    }
    if (n <= max_piece) {
        if (reserve_arrays(state, 2 * (size_t)size, 0, 0))
            return 1;
        int *counts = state->ints, *displs = counts + size;
        for (int r = 0; r < size; r++) {
            size_t b, e;
            block_of(r, size, n, &b, &e);
            counts[r] = (int)(e - b);
            displs[r] = (int)b;
        }
        return MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, counts, displs,
                              MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS;
    }
    /* displacements past an int: each block broadcast by its owner, in pieces */
    for (int r = 0; r < size; r++) {
        size_t b, e;
        block_of(r, size, n, &b, &e);
        if (bcast_in_pieces(values + b, e - b, MPI_DOUBLE, sizeof *values, r) != 0)
            return 1;
    }
    return 0;
}

void dnn_comm_bcast(void *buf, size_t bytes)
{
    if (bcast_in_pieces(buf, bytes, MPI_BYTE, 1, 0) != 0)
        dnn_comm_abort(1);
}

/* The result vector of the shared windows, when all ranks are on one host. */
static double *shared_vector(void *ctx, size_t n)
{
    (void)ctx;
    return dnn_comm_size() > 1 && dnn_shared_reserve(0, n) ? dnn_shared_result() : NULL;
}

dnn_reducer dnn_comm_reducer(void)
{
    dnn_reducer r = {max_int,          sum_int64,       sum_double,
                     reduce_scatter_int64, allgather_double, exchange_blocks_double,
                     &the_reducer,     dnn_comm_size(), shared_vector};
    return r;
}

int dnn_comm_shared_memory(void)
{
    return dnn_shared_in_use();
}

void dnn_comm_abort(int exit_code)
{
    MPI_Abort(MPI_COMM_WORLD, exit_code);
}
