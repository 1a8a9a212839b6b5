#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void fill_randn(dnn_rng *rng, int rows, int cols, double *colmajor)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            colmajor[i + j * rows] = dnn_rng_normal(rng);
}

void fill_randn_weights(dnn_rng *rng, int rows, int cols, double *rowmajor)
{
    dnn_rng_normal_fill(rng, rowmajor, (long)rows * cols);
}

static double relative_diff(double a, double e)
{
    return e == 0.0 ? (a == 0.0 ? 0.0 : INFINITY) : fabs(a - e) / fabs(e);
}

double worst_relative_diff_weights(int rows, int cols, const double *actual, const double *rowmajor)
{
    double worst = 0.0;
    for (int k = 0; k < rows * cols; k++) {
        double d = relative_diff(actual[k], rowmajor[k]);
        if (!(d <= worst))
            worst = d;
    }
    return worst;
}

double worst_relative_diff(int rows, int cols, const double *colmajor, const double *rowmajor)
{
    double worst = 0.0;
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            double a = colmajor[i + j * rows], e = rowmajor[i * cols + j];
            double d = relative_diff(a, e);
            if (!(d <= worst))
                worst = d;
        }
    }
    return worst;
}

int run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int same_params(const dnn_params *a, const dnn_params *b)
{
    return a->L == b->L && a->count == b->count &&
           memcmp(a->dims, b->dims, (size_t)(a->L + 1) * sizeof *a->dims) == 0 &&
           memcmp(a->arena, b->arena, a->count * sizeof *a->arena) == 0;
}
