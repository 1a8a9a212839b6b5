/* A synthetic binary task that a linear model cannot learn, and dnn_dataset_free.
 *
 * Definition (exact; any block [first, first + count) gives the same values):
 *
 *   mix(z)       = SplitMix64's output function:
 *                  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
 *                  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
 *                  z ^ (z >> 31)                              (all mod 2^64)
 *   G            = 0x9e3779b97f4a7c15
 *   key(i)       = mix((seed ^ mix(i + G)) + G)               example i's stream
 *   u(i, k)      = mix(key(i) + (k + 1) * G)                  k = 0 .. n_features - 1,
 *                  i.e. the (k + 1)-th output of a SplitMix64 generator started at key(i)
 *   x(i, k)      = (u(i, k) >> 11) * 2^-52 - 1                uniform on [-1, 1), exact
 *   y(i)         = 1 if s(i) < n_features / 3.0 else 0, where
 *   s(i)         = x(i, 0)^2 + x(i, 1)^2 + ... in that order, in double
 *
 * E[x^2] = 1/3 for uniform [-1, 1), so the threshold is the mean of s and the classes
 * are roughly balanced (slightly more 1s: s is skewed to the right); the boundary is a
 * sphere, which no linear model can represent. */
#include "dnn/data.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const uint64_t GOLDEN = 0x9e3779b97f4a7c15u;

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

__attribute__((format(printf, 2, 3))) static dnn_status arg_error(dnn_error *err,
                                                                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->bad_index = -1;
    return DNN_ERR_ARG;
}

/* Example i: n features into x, returns its label. */
static double synthetic_example(uint64_t seed, long i, int n, double *x)
{
    uint64_t state = mix((seed ^ mix((uint64_t)i + GOLDEN)) + GOLDEN);
    double sum_sq = 0.0;
    for (int k = 0; k < n; k++) {
        state += GOLDEN;
        double v = (double)(mix(state) >> 11) * 0x1p-52 - 1.0;
        x[k] = v;
        sum_sq += v * v;
    }
    return sum_sq < n / 3.0 ? 1.0 : 0.0;
}

dnn_status dnn_synthetic_load(uint64_t seed, long m_total, int n_features, long first,
                              long count, dnn_dataset *out, dnn_error *err)
{
    dnn_error scratch;
    if (!err)
        err = &scratch;
    err->message[0] = '\0';
    err->bad_index = -1;
    if (!out)
        return arg_error(err, "synthetic data: NULL output");
    *out = (dnn_dataset){0};
    if (n_features < 1)
        return arg_error(err, "synthetic data: n_features must be at least 1 (got %d)",
                         n_features);
    if (m_total < 1)
        return arg_error(err, "synthetic data: m_total must be at least 1 (got %ld)", m_total);
    if (first < 0 || count < 1 || first >= m_total || count > m_total - first)
        return arg_error(err,
                         "synthetic data: first %ld, count %ld: need first >= 0, count >= 1 "
                         "and first + count <= m_total = %ld",
                         first, count, m_total);
    size_t n = (size_t)n_features;
    if ((size_t)count > SIZE_MAX / sizeof(double) / n) {
        snprintf(err->message, sizeof err->message,
                 "synthetic data: %ld examples of %d features do not fit in memory", count,
                 n_features);
        return DNN_ERR_NOMEM;
    }
    double *X = malloc((size_t)count * n * sizeof *X);
    double *Y = malloc((size_t)count * sizeof *Y);
    if (!X || !Y) {
        free(X);
        free(Y);
        snprintf(err->message, sizeof err->message,
                 "synthetic data: out of memory for %ld examples of %d features", count,
                 n_features);
        return DNN_ERR_NOMEM;
    }
    for (long j = 0; j < count; j++)
        Y[j] = synthetic_example(seed, first + j, n_features, X + (size_t)j * n);
    *out = (dnn_dataset){.n_features = n_features, .m_total = m_total, .first = first,
                         .m = count, .X = X, .Y = Y};
    return DNN_OK;
}

void dnn_dataset_free(dnn_dataset *data)
{
    if (!data)
        return;
    free(data->X);
    free(data->Y);
    free(data->index);
    free(data->X_codes);
    *data = (dnn_dataset){0};
}
