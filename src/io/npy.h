#ifndef DNN_NPY_H
#define DNN_NPY_H

/* numpy's .npy format, for dnn-convert (convert_npy.c, convert_npz.c): the header (magic,
 * version 1, 2 or 3, a dict of 'descr', 'fortran_order' and 'shape') and the values of
 * the dtypes we convert, read from a stream in blocks. */
#include <stddef.h>
#include <stdint.h>

#include "dnn/data.h"
#include "io/convert.h"

/* A stream of bytes: a .npy file or a member of an .npz archive. */
typedef struct {
    const char *name; /* for messages: "X.npy", "data.npz: member 'X.npy'" */
    uint64_t size;    /* the stream's length in bytes */
    void *ctx;
    /* Reads exactly n bytes into buf: 0, or -1 with the reason in why. */
    int (*read)(void *ctx, void *buf, size_t n, char *why, size_t why_size);
    /* Called once every value is read (NULL: nothing to do): 0, or -1 with the reason
     * (a member whose checksum does not match). */
    int (*finish)(void *ctx, char *why, size_t why_size);
} npy_stream;

/* An array's header. */
typedef struct {
    char descr[32];  /* as written: "<f8" */
    char kind;       /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    int size;        /* bytes per value: 1, 2, 4 or 8 */
    int swap;        /* big-endian values ('>'): bytes reversed when decoded */
    int fortran;     /* fortran_order: True */
    int rank;
    uint64_t dims[DNN_CONVERT_MAX_RANK];
    uint64_t count;  /* values: the product of dims (1 for a scalar) */
} npy_array;

/* Reads the header from s (which is left at the first value) and checks the stream
 * holds every value. DNN_ERR_DATA with "NAME: why" for anything we cannot convert. */
dnn_status npy_read_header(npy_stream *s, npy_array *a, dnn_error *err);

/* "(209, 64, 64, 3)" */
void npy_format_shape(const npy_array *a, char *buf, size_t size);

/* count values of a's type at raw, converted to double (bool: 0 or 1). */
void npy_decode(const npy_array *a, const unsigned char *raw, size_t count, double *out);

/* Features from x (m, d1, ...) and labels from y (m), (m, 1) or (1, m), headers not yet
 * read, streamed block by block into out; y is NULL with out->no_labels. */
dnn_status npy_convert_streams(npy_stream *x, npy_stream *y, const dnn_convert_output *out,
                               dnn_convert_summary *summary, dnn_error *err);

#endif
