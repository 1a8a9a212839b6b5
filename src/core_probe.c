/* dnn-core-probe: how far apart the machine has put two cores right now, as the round
 * trip of one cache line between two threads, each pinned to its own CPU. Prints the
 * median of --batches batches of --trips round trips:
 *   core round_trip_ns=82.4 cpus=0,1 batches=9 trips=20000
 * On the benchmark's virtual machine it reads ~80-100 ns or ~400 ns, and training with
 * threads that share data is slower in the second state (BENCHMARKS.md): launch/bench
 * runs it before each cat run and reports the cat medians per state. */
#define _GNU_SOURCE
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

/* Thread 0 writes 2t + 1 and waits for 2t + 2, which thread 1 writes on seeing 2t + 1;
 * the line crosses between the cores twice per trip. */
static _Alignas(64) atomic_long line;

static double batch_ns(long trips)
{
    double seconds = 0;
    atomic_store(&line, 0);
#pragma omp parallel num_threads(2)
    {
        int me = omp_get_thread_num();
#pragma omp barrier
        double t0 = omp_get_wtime();
        for (long t = 0; t < trips; t++) {
            if (me == 0) {
                atomic_store_explicit(&line, 2 * t + 1, memory_order_release);
                while (atomic_load_explicit(&line, memory_order_acquire) != 2 * t + 2)
                    ;
            } else {
                while (atomic_load_explicit(&line, memory_order_acquire) != 2 * t + 1)
                    ;
                atomic_store_explicit(&line, 2 * t + 2, memory_order_release);
            }
        }
        if (me == 0)
            seconds = omp_get_wtime() - t0;
    }
    return seconds / (double)trips * 1e9;
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
            ok = dnn_parse_long(value, 1, 1000, &batches) == 0;
        else if (ok && strcmp(flag, "--trips") == 0)
            ok = dnn_parse_long(value, 1, 100000000, &trips) == 0;
        else
            ok = 0;
        if (!ok) {
            fprintf(help ? stdout : stderr, "usage: dnn-core-probe [--cpus A,B] [--batches N] [--trips N]\n"
                            "  --cpus A,B    the two CPUs (default 0,1)\n"
                            "  --batches N   batches; the median is printed (default 9)\n"
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
    double *ns = malloc((size_t)batches * sizeof *ns);
    if (!ns)
        return 1;
    batch_ns(trips); /* warm-up */
    for (long b = 0; b < batches; b++)
        ns[b] = batch_ns(trips);
    qsort(ns, (size_t)batches, sizeof *ns, compare);
    printf("core round_trip_ns=%.1f cpus=%ld,%ld batches=%ld trips=%ld\n", ns[batches / 2],
           cpus[0], cpus[1], batches, trips);
    free(ns);
    return 0;
}
