/* dnn-core-probe: how far apart the machine has put two cores right now, as the round
 * trip of one cache line between two threads, each pinned to its own CPU. Prints the
 * median of --batches batches of --trips round trips:
 *   core round_trip_ns=82.4 cpus=0,1 batches=9 trips=20000
 * On the benchmark's virtual machine it reads ~80-100 ns or ~400 ns, and training with
 * threads that share data is slower in the second state (BENCHMARKS.md): launch/bench
 * runs it before each cat run and reports the cat medians per state. */
#define _GNU_SOURCE
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "programs/cli.h"
#include "programs/round_trip.h"

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int main(int argc, char **argv)
{
    long cpus[2] = {0, 1}, batches = 9, trips = 20000;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = value != NULL, help = strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0;
        if (help)
            ok = 0;
        else if (ok && strcmp(flag, "--cpus") == 0)
            ok = dnn_parse_long_list(value, 0, CPU_SETSIZE - 1, cpus, 2) == 2 && cpus[0] != cpus[1];
        else if (ok && strcmp(flag, "--batches") == 0)
            ok = dnn_parse_long(value, 1, 64, &batches) == 0;
        else if (ok && strcmp(flag, "--trips") == 0)
            ok = dnn_parse_long(value, 1, 100000000, &trips) == 0;
        else
            ok = 0;
        if (!ok) {
            fprintf(help ? stdout : stderr, "usage: dnn-core-probe [--cpus A,B] [--batches N] [--trips N]\n"
                            "  --cpus A,B    the two CPUs (default 0,1)\n"
                            "  --batches N   batches, at most 64; the median is printed (default 9)\n"
                            "  --trips N     round trips per batch (default 20000)\n");
            return help ? 0 : 2;
        }
        i++;
    }
    int failed = 0;
#pragma omp parallel num_threads(2) reduction(| : failed)
    failed |= omp_get_num_threads() != 2 || pin((int)cpus[omp_get_thread_num()]) != 0;
    if (failed) {
        fprintf(stderr, "dnn-core-probe: cannot run two threads on CPUs %ld and %ld\n", cpus[0],
                cpus[1]);
        return 1;
    }
    /* a warm-up batch, then the measure (a second's patience per batch) */
    dnn_team_round_trip_ns(2, 1, trips, 1.0);
    double ns = dnn_team_round_trip_ns(2, (int)batches, trips, 1.0);
    if (!isfinite(ns)) {
        fprintf(stderr, "dnn-core-probe: the second thread did not answer\n");
        return 1;
    }
    printf("core round_trip_ns=%.1f cpus=%ld,%ld batches=%ld trips=%ld\n", ns, cpus[0], cpus[1],
           batches, trips);
    return 0;
}
