/* dnn-math-probe: the project's exp and log (src/core/fixed_math.h) against x87 long
 * double (64-bit significand, expl/logl: error < 2^-63 relative, so the measured error
 * of a double result is exact to ~0.001 ulp) and against glibc's exp and log, on
 * random and edge inputs; then the time of a sigmoid loop and a log loop with each.
 *   dnn-math-probe [--count N] [--seed S]      (default 10^7 inputs per range)
 * Prints one line per function and range:
 *   exp uniform[-745,710] n=10000000 max_ulp=0.512 vs_glibc_differ=1234 ...
 * and exits 1 if any error reaches 1 ulp or a special case is wrong. x86-64 only for the
 * long double reference (elsewhere long double may be double: then only glibc). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fixed_math.h"
#include "programs/cli.h"

static uint64_t state = 0x9e3779b97f4a7c15u;

static uint64_t next_u64(void) /* splitmix64 */
{
    uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * ((double)(next_u64() >> 11) * 0x1p-53);
}

/* A positive double with uniformly random bits: every binade alike, subnormals too. */
static double random_positive(void)
{
    uint64_t u;
    do
        u = next_u64() & 0x7fffffffffffffffu;
    while (u == 0 || u >= 0x7ff0000000000000u);
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* |y - ref| in ulps of the double nearest ref (the subnormal ulp below DBL_MIN). */
static double ulp_error(double y, long double ref)
{
    if (isinf(y) && isinf((double)ref) && (y > 0) == (ref > 0))
        return 0.0;
    long double a = fabsl(ref);
    int e;
    frexpl(a, &e); /* a in [2^(e-1), 2^e) */
    long double ulp = e - 1 < DBL_MIN_EXP - 1 ? ldexpl(1.0L, DBL_MIN_EXP - DBL_MANT_DIG)
                                              : ldexpl(1.0L, e - DBL_MANT_DIG);
    return (double)(fabsl((long double)y - ref) / ulp);
}

typedef struct {
    double max_ulp, worst_x;
    long differ_glibc, count;
} tally;

static void add(tally *t, double x, double y, long double ref, double glibc)
{
    double u = ulp_error(y, ref);
    if (u > t->max_ulp) {
        t->max_ulp = u;
        t->worst_x = x;
    }
    t->differ_glibc += memcmp(&y, &glibc, sizeof y) != 0;
    t->count++;
}

static int report(const char *name, const char *range, const tally *t)
{
    printf("%s %s n=%ld max_ulp=%.4f at x=%a differs_from_glibc=%ld (%.3f%%)\n", name, range,
           t->count, t->max_ulp, t->worst_x, t->differ_glibc, 100.0 * t->differ_glibc / t->count);
    return t->max_ulp < 1.0;
}

static int check_exp(long n)
{
    int ok = 1;
    struct { const char *name; double lo, hi; } ranges[] = {
        {"uniform[-1,1]", -1.0, 1.0},
        {"uniform[-40,40]", -40.0, 40.0},
        {"uniform[-745.2,709.8]", -745.2, 709.8},
        {"subnormal_results[-745.2,-708.4]", -745.2, -708.4},
    };
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        tally t = {0};
        for (long i = 0; i < n; i++) {
            double x = uniform(ranges[r].lo, ranges[r].hi);
            add(&t, x, dnn_exp(x), expl((long double)x), exp(x));
        }
        ok &= report("exp", ranges[r].name, &t);
    }
    tally t = {0}; /* single floats in [-104, 89], in float ulps */
    for (long i = 0; i < n; i++) {
        float x = (float)uniform(-104.0, 89.0);
        float y = dnn_expf(x), g = expf(x);
        long double ref = expl((long double)x);
        int e;
        frexpl(fabsl(ref), &e);
        long double ulp = ldexpl(1.0L, (e - 1 < FLT_MIN_EXP - 1 ? FLT_MIN_EXP : e) - FLT_MANT_DIG);
        double u = isinf(y) && ref > FLT_MAX ? 0.0 : (double)(fabsl(y - ref) / ulp);
        if (u > t.max_ulp) {
            t.max_ulp = u;
            t.worst_x = x;
        }
        t.differ_glibc += memcmp(&y, &g, sizeof y) != 0;
        t.count++;
    }
    ok &= report("expf", "uniform[-104,89]", &t);
    return ok;
}

static int check_log(long n)
{
    int ok = 1;
    tally t = {0};
    for (long i = 0; i < n; i++) {
        double x = uniform(0.5, 2.0);
        add(&t, x, dnn_log(x), logl((long double)x), log(x));
    }
    ok &= report("log", "uniform[0.5,2]", &t);
    t = (tally){0};
    for (long i = 0; i < n; i++) {
        double x = uniform(0.0, 1.0);
        add(&t, x, dnn_log(x), logl((long double)x), log(x));
    }
    ok &= report("log", "uniform(0,1)", &t);
    t = (tally){0};
    for (long i = 0; i < n; i++) {
        double x = random_positive();
        add(&t, x, dnn_log(x), logl((long double)x), log(x));
    }
    ok &= report("log", "random_bits(0,inf)", &t);
    t = (tally){0};
    for (long i = 0; i < n; i++) {
        float x = (float)uniform(0.0, 1.0);
        float y = dnn_logf(x), g = logf(x);
        long double ref = logl((long double)x);
        int e;
        frexpl(fabsl(ref), &e);
        double u = x == 1.0f ? (y == 0.0f ? 0.0 : 1e9)
                             : (double)(fabsl(y - ref) / ldexpl(1.0L, e - FLT_MANT_DIG));
        if (u > t.max_ulp) {
            t.max_ulp = u;
            t.worst_x = x;
        }
        t.differ_glibc += memcmp(&y, &g, sizeof y) != 0;
        t.count++;
    }
    ok &= report("logf", "uniform(0,1)", &t);
    return ok;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The sigmoid and the cost's logs over n values as the layers compute them, timed
 * alternately with libm's and ours (best of reps). */
static void time_loops(long n, int reps)
{
    double *z = malloc(n * sizeof *z), *a = malloc(n * sizeof *a);
    if (!z || !a) {
        fprintf(stderr, "dnn-math-probe: out of memory\n");
        exit(1);
    }
    for (long i = 0; i < n; i++)
        z[i] = uniform(-8.0, 8.0);
    double best[4] = {1e30, 1e30, 1e30, 1e30}, sink = 0.0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++)
            a[i] = 1.0 / (1.0 + exp(-z[i]));
        double t1 = now();
        sink += a[n / 2];
        for (long i = 0; i < n; i++)
            a[i] = 1.0 / (1.0 + dnn_exp(-z[i]));
        double t2 = now();
        sink += a[n / 3];
        for (long i = 0; i < n; i++)
            a[i] = log(a[i]);
        double t3 = now();
        for (long i = 0; i < n; i++)
            a[i] = 1.0 / (1.0 + dnn_exp(-z[i]));
        double t4 = now();
        for (long i = 0; i < n; i++)
            a[i] = dnn_log(a[i]);
        double t5 = now();
        sink += a[n / 4];
        double d[4] = {t1 - t0, t2 - t1, t3 - t2, t5 - t4};
        for (int k = 0; k < 4; k++)
            best[k] = d[k] < best[k] ? d[k] : best[k];
    }
    printf("sigmoid n=%ld libm_ns=%.2f ours_ns=%.2f ratio=%.2f\n", n, 1e9 * best[0] / n,
           1e9 * best[1] / n, best[1] / best[0]);
    printf("log n=%ld libm_ns=%.2f ours_ns=%.2f ratio=%.2f (sink %g)\n", n, 1e9 * best[2] / n,
           1e9 * best[3] / n, best[3] / best[2], sink);
    free(z);
    free(a);
}

int main(int argc, char **argv)
{
    long n = 10000000, seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            if (dnn_parse_long(argv[++i], 1, 1000000000, &n) != 0)
                return 2;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (dnn_parse_long(argv[++i], 0, 1000000000, &seed) != 0)
                return 2;
        } else {
            fprintf(stderr, "usage: dnn-math-probe [--count N] [--seed S]\n");
            return 2;
        }
    }
    state += (uint64_t)seed;
    int ok = check_exp(n);
    ok &= check_log(n);
    time_loops(100000, 50);
    printf("%s\n", ok ? "ok: every error below 1 ulp" : "FAILED: an error of 1 ulp or more");
    return ok ? 0 : 1;
}
