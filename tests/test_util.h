#ifndef DNN_TEST_UTIL_H
#define DNN_TEST_UTIL_H

#include <check.h>
#include <stdio.h>

#include "dnn/params.h"
#include "dnn/rng.h"

/* Runs the suite with Check's normal output; returns the process exit status. */
int run_suite(Suite *suite);

/* Whether two parameter sets have the same shape and bits. */
int same_params(const dnn_params *a, const dnn_params *b);

/* numpy's randn(rows, cols) fills row by row. Activations and data are stored
 * column-major (fill_randn), weights row-major like numpy (fill_randn_weights). */
void fill_randn(dnn_rng *rng, int rows, int cols, double *colmajor);
void fill_randn_weights(dnn_rng *rng, int rows, int cols, double *rowmajor);

/* Worst relative difference |a - e| / |e| of a column-major matrix against a
 * row-major expected one (an exact 0 expected must be an exact 0). */
double worst_relative_diff(int rows, int cols, const double *colmajor, const double *rowmajor);

/* Same for a row-major (weight) matrix. */
double worst_relative_diff_weights(int rows, int cols, const double *actual, const double *rowmajor);

/* Fails the current Check test, printing the worst difference, when it exceeds tol. */
#define ck_assert_matrix(rows, cols, actual, expected, tol)                                   \
    do {                                                                                      \
        double worst_ = worst_relative_diff((rows), (cols), (actual), (expected));            \
        printf("%s: worst relative difference %.3g\n", #actual, worst_);                      \
        ck_assert_msg(worst_ <= (tol), "%s: worst relative difference %.3g > %.3g", #actual, \
                      worst_, (double)(tol));                                                 \
    } while (0)
#define ck_assert_weights(rows, cols, actual, expected, tol)                                  \
    do {                                                                                      \
        double worst_ = worst_relative_diff_weights((rows), (cols), (actual), (expected));    \
        printf("%s: worst relative difference %.3g\n", #actual, worst_);                      \
        ck_assert_msg(worst_ <= (tol), "%s: worst relative difference %.3g > %.3g", #actual, \
                      worst_, (double)(tol));                                                 \
    } while (0)

#endif
