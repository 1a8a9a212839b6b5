#ifndef DNN_CONVERT_H
#define DNN_CONVERT_H

/* dnn-convert's readers and writer: CSV files and numpy .npy/.npz arrays to the course's
 * HDF5 layout (PREFIX_x (m, d1, ...) and PREFIX_y (m), as include/dnn/data.h reads it),
 * or PREFIX_x alone for unlabelled data (no_labels: what dnn-predict scores).
 * Everything streams in blocks of at most DNN_CONVERT_BLOCK examples (and about
 * DNN_CONVERT_BLOCK_BYTES of features), so memory stays bounded whatever the input's
 * size. Functions return a status with a message in err naming the file and, for bad
 * values, the line and column (CSV) or the example and feature (numpy). */
#include <stdint.h>

#include "dnn/data.h"

enum {
    DNN_CONVERT_BLOCK = 4096,             /* examples per appended block, at most */
    DNN_CONVERT_BLOCK_BYTES = 8 << 20,    /* features of a block as doubles, about */
    DNN_CONVERT_MAX_RANK = 32             /* dimensions of an array (numpy's limit) */
};

/* The stored type of the features. Labels are always stored as uint8 0/1. */
typedef enum {
    DNN_CONVERT_AUTO,    /* uint8 for numpy uint8 features, else float64 */
    DNN_CONVERT_FLOAT64,
    DNN_CONVERT_UINT8    /* integers 0..255 only: dnn-train divides them by 255 */
} dnn_convert_type;

const char *dnn_convert_type_name(dnn_convert_type type); /* "float64", "uint8" */

/* Where and how to write. */
typedef struct {
    const char *h5_path;    /* the file HDF5 creates (the caller's temporary file) */
    const char *shown_path; /* the output's name in messages */
    const char *prefix;     /* datasets PREFIX_x and PREFIX_y */
    dnn_convert_type type;
    int no_labels;          /* 1: features only; no PREFIX_y, no label column or array */
} dnn_convert_output;

/* What was written, for the program's summary line. */
typedef struct {
    long examples;
    long features;          /* per example: d1 * d2 * ... */
    dnn_convert_type type;  /* the features' stored type (never AUTO) */
    char labels[160];       /* where the labels came from: "column 5 ('species')"; empty
                               with no_labels */
} dnn_convert_summary;

/* ---- the writer (convert_sink.c) ---- */

typedef struct dnn_convert_sink dnn_convert_sink;

/* Creates out->h5_path (truncated) with chunked datasets that grow along the first
 * dimension: PREFIX_x of shape (0, dims[0], ..., dims[rank-1]) and the given type (not
 * AUTO), PREFIX_y (0) uint8 unless out->no_labels. expected: the examples to come when known (chunks no
 * larger than needed), else 0. */
dnn_status dnn_convert_sink_open(dnn_convert_sink **sink, const dnn_convert_output *out,
                                 int rank, const uint64_t *dims, long expected,
                                 dnn_convert_type type, dnn_error *err);

/* Appends count examples: X (count, features) row-major, each value already checked
 * with dnn_convert_bad_feature; Y (count) 0 or 1, ignored (may be NULL) with no_labels. */
dnn_status dnn_convert_sink_append(dnn_convert_sink *sink, const double *X, const uint8_t *Y,
                                   long count, dnn_error *err);

/* Closes the file; with keep set, a failure to flush it is an error. *sink becomes NULL.
 * Safe on NULL. */
dnn_status dnn_convert_sink_close(dnn_convert_sink **sink, int keep, dnn_error *err);

/* NULL when v can be stored as type, else why not: "is NaN", "is +Inf", "is not an
 * integer from 0 to 255". */
const char *dnn_convert_bad_feature(double v, dnn_convert_type type);

/* Examples per block for features of that many values (>= 1): DNN_CONVERT_BLOCK, fewer
 * for wide examples. */
long dnn_convert_block_rows(uint64_t features);

/* ---- the readers ---- */

typedef struct {
    char delimiter;    /* ',' ';' '\t' ... */
    int header;        /* -1: a header when the first row has a field that is no number;
                          0: no header; 1: the first row is a header */
    const char *label; /* the label column: a header name, or a number N (the N-th
                          column from 1; -1 the last); NULL: the last column */
} dnn_csv_options;

/* CSV (convert_csv.c): one example per row, every column but the label a feature (with
 * out->no_labels every column; opts->label must then be NULL). */
dnn_status dnn_convert_csv(const char *csv_path, const dnn_csv_options *opts,
                           const dnn_convert_output *out, dnn_convert_summary *summary,
                           dnn_error *err);

/* Two .npy files (convert_npy.c): X (m, d1, ...) and Y (m), (m, 1) or (1, m); with
 * out->no_labels X alone (y_path NULL). */
dnn_status dnn_convert_npy_pair(const char *x_path, const char *y_path,
                                const dnn_convert_output *out, dnn_convert_summary *summary,
                                dnn_error *err);

/* An .npz archive (convert_npz.c, libzip; np.savez and np.savez_compressed): the members
 * x_key and y_key ("NAME" or "NAME.npy"); NULL keys are found by name: X or *_x and Y
 * or *_y (any case), or arr_0 and arr_1 when those are the only two. */
dnn_status dnn_convert_npz(const char *npz_path, const char *x_key, const char *y_key,
                           const dnn_convert_output *out, dnn_convert_summary *summary,
                           dnn_error *err);

#endif
