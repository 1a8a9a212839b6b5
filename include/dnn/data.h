#ifndef DNN_DATA_H
#define DNN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/status.h"

/* A block of consecutive examples [first, first + m) of a data set of m_total.
 * X (n_features, m) column-major: example j is the contiguous column X + j * n_features.
 * Y (m): labels, 0 or 1. X_codes: NULL, or X again as 8-bit codes q with X = q / 255
 * exactly (8-bit features scaled as the course does), an eighth of X's bytes for the
 * training loop to stream. */
typedef struct {
    int n_features;
    long m_total;
    long first;
    long m;
    double *X;
    double *Y;
    uint8_t *X_codes;
    long *index; /* NULL, or example j's global index (then first is 0): examples chosen
                    from anywhere in the data set (dnn_h5_reader_load) */
} dnn_dataset;

void dnn_dataset_free(dnn_dataset *data);

/* Error details for the user: a message naming the file, the dataset and, for bad
 * values, the first bad global example index. */
typedef struct {
    char message[512];
    long bad_index; /* first bad global example index, or -1 */
} dnn_error;

/* HDF5 files in the course's layout: features X (m, d1, d2, ...) of any numeric type,
 * labels Y (m) or (1, m) or (m, 1) of any numeric type; either may also hold h5py's
 * booleans (an enum FALSE = 0, TRUE = 1 over an integer), read as 0 and 1. Example i
 * is the i-th slab of X along its first dimension, flattened in the file's own
 * (row-major) order. */
typedef struct {
    const char *x_name; /* NULL: the one dataset whose name ends in "_x" */
    const char *y_name; /* NULL: the one dataset whose name ends in "_y" */
    int scale_uint8;    /* divide uint8 features by 255, as the course does (and keep
                           the bytes as X_codes) */
    int labels;         /* DNN_LABELS_REQUIRED (0, the course's layout), _IF_PRESENT
                           (y_name NULL and no *_y dataset: features only) or _IGNORED;
                           without labels a dataset's Y is NULL */
} dnn_h5_options;

enum { DNN_LABELS_REQUIRED, DNN_LABELS_IF_PRESENT, DNN_LABELS_IGNORED };

/* Both functions: opts NULL means { NULL, NULL, 1, DNN_LABELS_REQUIRED } (the course's
 * layout); err may be
 * NULL. File-level problems give DNN_ERR_IO, bad content DNN_ERR_DATA, bad arguments
 * (first/count out of range) DNN_ERR_ARG. HDF5's own error printing is off while they
 * run and restored afterwards.
 *
 * Reads the shapes only: example count and features per example. */
dnn_status dnn_h5_probe(const char *path, const dnn_h5_options *opts, long *m_total,
                        int *n_features, dnn_error *err);

/* Reads examples [first, first + count) only (an HDF5 hyperslab), validates them
 * (labels 0 or 1, features finite) and converts them to double. *out is overwritten
 * (not freed): on success it owns X, Y and X_codes (dnn_dataset_free), on error they are
 * NULL. */
dnn_status dnn_h5_load(const char *path, const dnn_h5_options *opts, long first, long count,
                       dnn_dataset *out, dnn_error *err);

/* A file kept open to read chosen examples, e.g. a mini-batch's, as dnn_h5_load reads
 * a block: open checks the file as dnn_h5_probe does; load reads the count examples
 * index[0] < index[1] < ... (any of the file's; an HDF5 selection of their runs) into
 * *out, whose index then holds them. Not for use by two threads at once. */
typedef struct dnn_h5_reader dnn_h5_reader;
dnn_status dnn_h5_reader_open(const char *path, const dnn_h5_options *opts,
                              dnn_h5_reader **reader, dnn_error *err);
dnn_status dnn_h5_reader_load(dnn_h5_reader *reader, const long *index, long count,
                              dnn_dataset *out, dnn_error *err);
void dnn_h5_reader_close(dnn_h5_reader **reader);

/* A deterministic binary task that needs a non-linear model: example i depends only
 * on (seed, i), so any block can be generated on its own. Features uniform on [-1, 1),
 * label 1 inside the sphere sum of squares < n_features / 3 (exact definition in
 * src/io/data_synthetic.c). *out as for dnn_h5_load. */
dnn_status dnn_synthetic_load(uint64_t seed, long m_total, int n_features, long first,
                              long count, dnn_dataset *out, dnn_error *err);

#endif
