#include "programs/round_trip.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>

enum { MAX_BATCHES = 64 };

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The line: thread 0 writes 2t + 1 and waits for 2t + 2, which the partner writes on
 * seeing 2t + 1, so it crosses between the cores twice per trip; STOP ends a batch. */
static _Alignas(64) atomic_long line;
#define STOP (-1L)

/* Thread 0's side of one batch: ns per trip, or INFINITY past max_seconds. */
static double ping(long trips, double max_seconds)
{
    double t0 = omp_get_wtime(), deadline = t0 + max_seconds;
    for (long t = 0; t < trips; t++) {
        atomic_store_explicit(&line, 2 * t + 1, memory_order_release);
        for (long spins = 1; atomic_load_explicit(&line, memory_order_acquire) != 2 * t + 2;
             spins++)
            if (spins % 1024 == 0 && omp_get_wtime() > deadline) {
                atomic_store(&line, STOP);
                return INFINITY;
            }
    }
    double ns = (omp_get_wtime() - t0) / (double)trips * 1e9;
    atomic_store(&line, STOP);
    return ns;
}

/* The partner's side: answers until STOP. */
static void pong(void)
{
    for (;;) {
        long v = atomic_load_explicit(&line, memory_order_acquire);
        if (v == STOP)
            return;
        if (v % 2 == 1)
            atomic_store_explicit(&line, v + 1, memory_order_release);
    }
}

double dnn_team_round_trip_ns(int threads, int batches, long trips, double max_seconds)
{
    if (threads < 2 || batches < 1 || trips < 1)
        return 0.0;
    batches = batches < MAX_BATCHES ? batches : MAX_BATCHES;
    double worst = 0.0;
    int stop = 0; /* thread 0: the partner did not answer a batch, so no more batches */
#pragma omp parallel num_threads(threads)
    {
        int me = omp_get_thread_num(), team = omp_get_num_threads();
        for (int partner = 1; partner < team; partner++) {
            double ns[MAX_BATCHES];
            int done = 0;
            for (int b = 0; b < batches; b++) {
                if (me == 0)
                    atomic_store(&line, 0);
#pragma omp barrier
                if (me == 0) {
                    ns[done] = ping(trips, max_seconds);
                    stop = !isfinite(ns[done++]);
                } else if (me == partner) {
                    pong();
                }
#pragma omp barrier
                int quit = stop;
#pragma omp barrier /* all have read stop before thread 0 may change it */
                if (quit)
                    break;
            }
            if (me == 0) {
                qsort(ns, (size_t)done, sizeof *ns, compare);
                double median = stop ? INFINITY : ns[done / 2];
                worst = median > worst ? median : worst;
                stop = 0;
            }
        }
        if (me == 0 && team < threads)
            worst = INFINITY; /* not the team asked for: no measure of it */
    }
    return worst;
}
