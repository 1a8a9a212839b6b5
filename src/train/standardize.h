#ifndef DNN_STANDARDIZE_H
#define DNN_STANDARDIZE_H

#include "dnn/data.h"
#include "dnn/reducer.h"
#include "dnn/status.h"

/* dnn-train --standardize: each feature scaled to zero mean and unit variance with the
 * training set's statistics, the same bits on any number of processes and threads.
 *
 * Collective (every process of r calls it, each with its own block of the training
 * set, blocks disjoint and together the whole set of m_total examples). Two passes,
 * each an exact sum per feature (src/exact/exact_sum.h) combined across processes by
 * agreeing on the scales (a max) and adding the integer digits (a sum), then rounded
 * once:
 *   mean[i]      = round(sum_j x_ij) / m_total
 *   deviation[i] = sqrt(round(sum_j (x_ij - mean[i])^2) / m_total)
 * (the population deviation; each square is one rounded double, the same on every
 * process, so the sum of them is exact whatever the layout). A feature whose deviation
 * is 0 (constant) gets deviation 1: it becomes 0 everywhere. Fewer than 2^25 examples
 * (the exact sum's capacity): more is DNN_ERR_ARG; a square that overflows is
 * DNN_ERR_NONFINITE; both are agreed by all processes. mean and deviation hold
 * n_features values. */
dnn_status dnn_feature_stats(const dnn_dataset *block, long m_total, const dnn_reducer *r,
                             double *mean, double *deviation);

/* x_ij = (x_ij - mean[i]) / deviation[i] in place, and X_codes dropped (the values are
 * no longer codes / 255). */
void dnn_standardize(dnn_dataset *data, const double *mean, const double *deviation);

#endif
