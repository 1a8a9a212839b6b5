/* dnn-dgemm-probe: the GEMM rate this machine reaches now, the yardstick of launch/bench.
 *
 * Times C = A*B for square n x n matrices (column-major, as the library stores them)
 * with OpenBLAS on a chosen number of threads, after one untimed warm-up call, and
 * prints the best of --reps calls as one line:
 *   dgemm n=4096 threads=2 reps=3 core=Cooperlake best_s=1.0070 gflops=136.49
 * FLOPs per call: 2 n^3. --type s times sgemm (float32) instead, and --type r the
 * memory read rate: cblas_dasum over 3 n^2 doubles (far larger than the caches),
 *   read n=4096 threads=2 reps=3 core=Cooperlake best_s=0.0170 gbytes_per_s=23.61
 * --type D and S time the library's fixed-order GEMM (src/kernels/gemm.h, one thread,
 * the variant DNN_ISA or the CPU picks) on the same operands, for the issue-22 bar. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/gemm.h"
#include "programs/cli.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: dnn-dgemm-probe [--n N] [--threads T] [--reps R] [--type d|s|r]\n"
                 "  --n N        matrix order (default 4096)\n"
                 "  --threads T  OpenBLAS threads (default 1)\n"
                 "  --reps R     timed calls after one warm-up; the best is printed (default 3)\n"
                 "  --type d|s|r dgemm (float64, default), sgemm (float32), or the memory\n"
                 "               read rate (dasum over 3 n^2 doubles); D|S: the library's\n"
                 "               fixed-order GEMM (one thread), float64 or float32\n");
}

/* Fills d (or s, when d is NULL) with values in [-0.5, 0.5) from a fixed linear
 * congruential sequence: the probe needs finite, non-trivial operands, no particular ones. */
static void fill(size_t count, double *d, float *s, unsigned long long seed)
{
    for (size_t i = 0; i < count; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double v = (double)(seed >> 11) * 0x1p-53 - 0.5;
        if (d)
            d[i] = v;
        else
            s[i] = (float)v;
    }
}

static int fixed_order; /* --type D or S */

static void gemm(int single, int n, void *a, void *b, void *c)
{
    if (fixed_order && single)
        dnn_gemm_f32(n, n, n, 1.0f, dnn_gemm_values(a, n, 0), dnn_gemm_values(b, n, 0), c, n);
    else if (fixed_order)
        dnn_gemm_f64(n, n, n, 1.0, dnn_gemm_values(a, n, 0), dnn_gemm_values(b, n, 0), c, n);
    else if (single)
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
                    0.0f, c, n);
    else
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0,
                    c, n);
}

/* The best of reps timed calls of f(arg), after one untimed warm-up call (threads
 * started, pages touched). */
static double best_time(long reps, void (*f)(void *), void *arg)
{
    f(arg);
    double best = 0;
    for (long r = 0; r < reps; r++) {
        double t0 = now_seconds();
        f(arg);
        double dt = now_seconds() - t0;
        if (r == 0 || dt < best)
            best = dt;
    }
    return best;
}

typedef struct {
    int single, n;
    void *a, *b, *c;
    double sum; /* the read probe's result, kept so the call is not optimized away */
} probe_args;

static void call_gemm(void *arg)
{
    probe_args *p = arg;
    gemm(p->single, p->n, p->a, p->b, p->c);
}

static void call_read(void *arg)
{
    probe_args *p = arg;
    p->sum += cblas_dasum(3 * p->n * p->n, p->a, 1);
}

static int probe_gemm(int single, long n, long reps)
{
    size_t count = (size_t)n * (size_t)n, size = single ? sizeof(float) : sizeof(double);
    probe_args p = {single, (int)n, malloc(count * size), malloc(count * size),
                    malloc(count * size), 0};
    int ok = p.a && p.b && p.c;
    if (ok) {
        fill(count, single ? NULL : p.a, single ? p.a : NULL, 1);
        fill(count, single ? NULL : p.b, single ? p.b : NULL, 2);
        memset(p.c, 0, count * size);
        double best = best_time(reps, call_gemm, &p);
        printf("%s%s n=%ld threads=%d reps=%ld core=%s best_s=%.4f gflops=%.2f\n",
               fixed_order ? "fixed_" : "", single ? "sgemm" : "dgemm", n,
               fixed_order ? 1 : openblas_get_num_threads(), reps,
               fixed_order ? dnn_isa_name(dnn_isa_chosen()) : openblas_get_corename(), best, 2.0 * (double)n * (double)n * (double)n / best * 1e-9);
    }
    free(p.a);
    free(p.b);
    free(p.c);
    return ok ? 0 : 1;
}

static int probe_read(long n, long reps)
{
    size_t count = 3 * (size_t)n * (size_t)n;
    probe_args p = {0, (int)n, malloc(count * sizeof(double)), NULL, NULL, 0};
    if (!p.a)
        return 1;
    fill(count, p.a, NULL, 3);
    double best = best_time(reps, call_read, &p);
    printf("read n=%ld threads=%d reps=%ld core=%s best_s=%.4f gbytes_per_s=%.2f sum=%.6g\n", n,
           openblas_get_num_threads(), reps, openblas_get_corename(), best,
           (double)(count * sizeof(double)) / best * 1e-9, p.sum);
    free(p.a);
    return 0;
}

int main(int argc, char **argv)
{
    long n = 4096, threads = 1, reps = 3;
    char type = 'd';
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (!value) {
            bad = 1;
        } else if (strcmp(flag, "--n") == 0) {
            bad = dnn_parse_long(value, 1, 26754, &n); /* 3*n*n fits in an int */
        } else if (strcmp(flag, "--threads") == 0) {
            bad = dnn_parse_long(value, 1, 1024, &threads);
        } else if (strcmp(flag, "--reps") == 0) {
            bad = dnn_parse_long(value, 1, 1000, &reps);
        } else if (strcmp(flag, "--type") == 0) {
            bad = strlen(value) != 1 || !strchr("dsrDS", value[0]);
            type = value[0];
            fixed_order = type == 'D' || type == 'S';
        } else {
            fprintf(stderr, "dnn-dgemm-probe: error: unknown option '%s'\n", flag);
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "dnn-dgemm-probe: error: %s: bad or missing value\n", flag);
            return 2;
        }
        i++;
    }

    openblas_set_num_threads((int)threads);
    int rc = type == 'r' ? probe_read(n, reps) : probe_gemm(type == 's' || type == 'S', n, reps);
    if (rc == 1)
        fprintf(stderr, "dnn-dgemm-probe: error: out of memory for n = %ld\n", n);
    return rc;
}
