/* dnn-comm-probe: times the collectives that combine gradients (reduce-scatter,
 * allgather, allreduce of doubles) over vector sizes, for launch/comm_model.py. Rank 0
 * prints CSV: collective,ranks,bytes,seconds (bytes: the whole vector, n doubles).
 *
 *   mpiexec -np P dnn-comm-probe [--bytes 8,1024,...] [--repeats N] [--rounds R]
 *
 * The default sizes run from 8 bytes per rank to 8 MiB, by powers of 4. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "comm/comm.h"
#include "comm/comm_timing.h"
#include "programs/cli.h"

enum { MAX_SIZES = 32 };

static int usage(const char *message)
{
    if (dnn_comm_rank() == 0)
        fprintf(stderr, "dnn-comm-probe: %s\nusage: dnn-comm-probe [--bytes B,B,...] "
                        "[--repeats N] [--rounds R]\n", message);
    return 2;
}

int main(int argc, char **argv)
{
    if (dnn_comm_init(&argc, &argv) != 0)
        return 1;
    long sizes[MAX_SIZES], repeats = 0, rounds = 5;
    int n_sizes = 0, rc = 0;
    for (int k = 1; k < argc && rc == 0; k += 2) {
        const char *value = k + 1 < argc ? argv[k + 1] : NULL;
        if (value && strcmp(argv[k], "--bytes") == 0)
            rc = (n_sizes = dnn_parse_long_list(value, 8, 1L << 30, sizes, MAX_SIZES)) < 1
                     ? usage("--bytes: sizes from 8 to 2^30, separated by commas") : 0;
        else if (value && strcmp(argv[k], "--repeats") == 0)
            rc = dnn_parse_long(value, 1, 1000000, &repeats) ? usage("--repeats: 1..10^6") : 0;
        else if (value && strcmp(argv[k], "--rounds") == 0)
            rc = dnn_parse_long(value, 1, 1000, &rounds) ? usage("--rounds: 1..1000") : 0;
        else
            rc = usage("unknown option or missing value");
    }
    int P = dnn_comm_size();
    if (rc == 0 && n_sizes == 0)
        for (long b = 8L * P; b <= (8L << 20) * P && n_sizes < MAX_SIZES; b *= 4)
            sizes[n_sizes++] = b;
    if (rc == 0 && dnn_comm_rank() == 0)
        printf("collective,ranks,bytes,seconds\n");
    for (int s = 0; s < n_sizes && rc == 0; s++) {
        size_t n = (size_t)sizes[s] / 8 / (size_t)P * (size_t)P; /* a multiple of P */
        n = n < (size_t)P ? (size_t)P : n;
        /* about 20 ms of calls a round, at 1 GB/s, and no fewer than 5 */
        long reps = repeats ? repeats : 5 + (long)(2e7 / (8.0 * (double)n + 2e4));
        for (int c = DNN_COMM_REDUCE_SCATTER; c <= DNN_COMM_ALLREDUCE && rc == 0; c++) {
            double t = dnn_comm_time_collective((dnn_comm_collective)c, n, (int)reps, (int)rounds);
            if (t < 0)
                rc = usage("out of memory");
            else if (dnn_comm_rank() == 0)
                printf("%s,%d,%zu,%.9g\n", dnn_comm_collective_name((dnn_comm_collective)c), P,
                       8 * n, t);
            fflush(stdout);
        }
    }
    dnn_comm_finalize();
    return rc;
}
