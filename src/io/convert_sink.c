/* dnn-convert's writer: PREFIX_x and PREFIX_y (none for unlabelled data) as chunked HDF5 datasets whose first
 * dimension grows with every appended block, so a file of any size is written with the
 * memory of one block. No timestamps: the same input gives the same bytes. */
#include "io/convert.h"

#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5_util.h"

/* Bytes of one chunk of PREFIX_x, about: big enough for fast reads, small enough that a
 * small data set does not take megabytes on disk (a chunk is stored whole). */
enum { CHUNK_BYTES = 256 << 10 };

struct dnn_convert_sink {
    const char *shown_path;
    char x_name[256], y_name[256];
    hid_t file, x, y;                          /* y: H5I_INVALID_HID without labels */
    int labels;                                /* 0: no PREFIX_y (out->no_labels) */
    int rank;                                  /* of PREFIX_x: 1 + the features' rank */
    hsize_t dims[DNN_CONVERT_MAX_RANK + 1];    /* PREFIX_x's shape now */
    hsize_t features;                          /* per example */
};

__attribute__((format(printf, 4, 5))) static dnn_status
fail(dnn_error *err, dnn_status st, const char *path, const char *fmt, ...)
{
    if (err) {
        int used = snprintf(err->message, sizeof err->message, "%s: ", path);
        if (used >= 0 && (size_t)used < sizeof err->message) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err->message + used, sizeof err->message - (size_t)used, fmt, ap);
            va_end(ap);
        }
        err->bad_index = -1;
    }
    return st;
}

const char *dnn_convert_type_name(dnn_convert_type type)
{
    return type == DNN_CONVERT_UINT8 ? "uint8" : type == DNN_CONVERT_FLOAT64 ? "float64" : "auto";
}

const char *dnn_convert_bad_feature(double v, dnn_convert_type type)
{
    if (isnan(v))
        return "is NaN";
    if (isinf(v))
        return v > 0 ? "is +Inf" : "is -Inf";
    if (type == DNN_CONVERT_UINT8 && !(v >= 0.0 && v <= 255.0 && v == floor(v)))
        return "is not an integer from 0 to 255 (--dtype uint8)";
    return NULL;
}

long dnn_convert_block_rows(uint64_t features)
{
    uint64_t rows = DNN_CONVERT_BLOCK_BYTES / (8 * (features ? features : 1));
    return rows < 1 ? 1 : rows > DNN_CONVERT_BLOCK ? DNN_CONVERT_BLOCK : (long)rows;
}

/* A chunk of about CHUNK_BYTES: up to DNN_CONVERT_BLOCK whole examples (and no more
 * than expected, when known), or a part of one example (its dimensions halved from the
 * first) when one alone is larger. */
static void chunk_shape(int rank, const hsize_t *dims, size_t item, long expected,
                        hsize_t *chunk)
{
    uint64_t bytes = item;
    for (int k = 1; k < rank; k++) {
        chunk[k] = dims[k];
        bytes *= dims[k];
    }
    for (int k = 1; k < rank && bytes > CHUNK_BYTES; k++)
        while (chunk[k] > 1 && bytes > CHUNK_BYTES) {
            bytes = bytes / chunk[k] * ((chunk[k] + 1) / 2);
            chunk[k] = (chunk[k] + 1) / 2;
        }
    uint64_t rows = CHUNK_BYTES / bytes;
    rows = rows > DNN_CONVERT_BLOCK ? DNN_CONVERT_BLOCK : rows;
    rows = expected > 0 && (uint64_t)expected < rows ? (uint64_t)expected : rows;
    chunk[0] = rows < 1 ? 1 : rows;
}

/* An empty dataset of shape (0, dims[1..rank-1]) that grows along its first dimension. */
static hid_t create_growing(hid_t file, const char *name, hid_t type, int rank,
                            const hsize_t *dims, long expected)
{
    hsize_t zero[DNN_CONVERT_MAX_RANK + 1], max[DNN_CONVERT_MAX_RANK + 1];
    hsize_t chunk[DNN_CONVERT_MAX_RANK + 1];
    for (int k = 0; k < rank; k++) {
        zero[k] = k == 0 ? 0 : dims[k];
        max[k] = k == 0 ? H5S_UNLIMITED : dims[k];
    }
    chunk_shape(rank, dims, H5Tget_size(type), expected, chunk);
    hid_t space = H5Screate_simple(rank, zero, max);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dset = H5I_INVALID_HID;
    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 &&
        H5Pset_obj_track_times(dcpl, 0) >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
        dset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return dset;
}

dnn_status dnn_convert_sink_open(dnn_convert_sink **sink, const dnn_convert_output *out,
                                 int rank, const uint64_t *dims, long expected,
                                 dnn_convert_type type, dnn_error *err)
{
    *sink = NULL;
    const char *path = out->shown_path;
    if (rank < 1 || rank > DNN_CONVERT_MAX_RANK || type == DNN_CONVERT_AUTO)
        return fail(err, DNN_ERR_ARG, path, "dnn_convert_sink_open: bad rank or type");
    dnn_convert_sink *s = calloc(1, sizeof *s);
    if (!s)
        return fail(err, DNN_ERR_NOMEM, path, "out of memory");
    s->shown_path = path;
    s->file = s->x = s->y = H5I_INVALID_HID;
    s->rank = rank + 1;
    s->labels = !out->no_labels;
    s->features = 1;
    for (int k = 0; k < rank; k++) {
        s->dims[k + 1] = dims[k];
        s->features *= dims[k];
    }
    snprintf(s->x_name, sizeof s->x_name, "%s_x", out->prefix);
    snprintf(s->y_name, sizeof s->y_name, "%s_y", out->prefix);

    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    hid_t x_type = type == DNN_CONVERT_UINT8 ? H5T_STD_U8LE : H5T_IEEE_F64LE;
    hsize_t y_dims[1] = {0};
    s->file = H5Fcreate(out->h5_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (s->file >= 0)
        s->x = create_growing(s->file, s->x_name, x_type, s->rank, s->dims, expected);
    if (s->x >= 0 && s->labels)
        s->y = create_growing(s->file, s->y_name, H5T_STD_U8LE, 1, y_dims, expected);
    dnn_h5_quiet_end(&quiet);
    if (s->x < 0 || (s->labels && s->y < 0)) {
        dnn_convert_sink_close(&s, 0, NULL);
        return fail(err, DNN_ERR_IO, path, "cannot create the HDF5 file or its datasets");
    }
    *sink = s;
    return DNN_OK;
}

/* Writes count rows of values (mem_type) at rows [first, first + count) of dset, whose
 * shape grows to new_dims first. */
static int write_rows(hid_t dset, int rank, const hsize_t *new_dims, hsize_t first,
                      hsize_t count, hid_t mem_type, const void *values)
{
    hsize_t start[DNN_CONVERT_MAX_RANK + 1] = {0}, block[DNN_CONVERT_MAX_RANK + 1];
    hsize_t total = 1;
    for (int k = 0; k < rank; k++) {
        block[k] = k == 0 ? count : new_dims[k];
        total *= block[k];
    }
    start[0] = first;
    if (H5Dset_extent(dset, new_dims) < 0)
        return 0;
    hid_t file_space = H5Dget_space(dset);
    hid_t mem_space = H5Screate_simple(1, &total, NULL);
    int ok = file_space >= 0 && mem_space >= 0 &&
             H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, block, NULL) >= 0 &&
             H5Dwrite(dset, mem_type, mem_space, file_space, H5P_DEFAULT, values) >= 0;
    if (mem_space >= 0)
        H5Sclose(mem_space);
    if (file_space >= 0)
        H5Sclose(file_space);
    return ok;
}

dnn_status dnn_convert_sink_append(dnn_convert_sink *s, const double *X, const uint8_t *Y,
                                   long count, dnn_error *err)
{
    if (count <= 0)
        return DNN_OK;
    hsize_t first = s->dims[0];
    s->dims[0] = first + (hsize_t)count;
    hsize_t y_dims[1] = {s->dims[0]};
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    /* HDF5 converts the doubles to the stored type (exact: values were checked) */
    int ok = write_rows(s->x, s->rank, s->dims, first, (hsize_t)count, H5T_NATIVE_DOUBLE, X) &&
             (!s->labels ||
              write_rows(s->y, 1, y_dims, first, (hsize_t)count, H5T_NATIVE_UINT8, Y));
    dnn_h5_quiet_end(&quiet);
    if (!ok)
        return fail(err, DNN_ERR_IO, s->shown_path,
                    "writing examples [%llu, %llu) failed (disk full?)",
                    (unsigned long long)first, (unsigned long long)s->dims[0]);
    return DNN_OK;
}

dnn_status dnn_convert_sink_close(dnn_convert_sink **sink, int keep, dnn_error *err)
{
    dnn_convert_sink *s = sink ? *sink : NULL;
    if (!s)
        return DNN_OK;
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    int ok = 1;
    if (s->y >= 0)
        ok = H5Dclose(s->y) >= 0 && ok;
    if (s->x >= 0)
        ok = H5Dclose(s->x) >= 0 && ok;
    if (s->file >= 0)
        ok = H5Fclose(s->file) >= 0 && ok;
    dnn_h5_quiet_end(&quiet);
    const char *path = s->shown_path;
    free(s);
    *sink = NULL;
    if (keep && !ok)
        return fail(err, DNN_ERR_IO, path, "writing the HDF5 file failed (disk full?)");
    return DNN_OK;
}
