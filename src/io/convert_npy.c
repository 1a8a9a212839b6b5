/* numpy arrays to the course's HDF5 layout: features X (m, d1, ...) and labels Y (m),
 * (m, 1) or (1, m), read side by side in blocks of examples from two streams (two .npy
 * files here, two members of an .npz in convert_npz.c), or X alone for unlabelled data. X keeps its shape; uint8
 * features stay uint8 unless --dtype says otherwise (the loader divides them by 255,
 * as it does for the course's images). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/convert.h"
#include "io/file_checks.h"
#include "io/npy.h"

__attribute__((format(printf, 3, 4))) static dnn_status fail(const npy_stream *s,
                                                             dnn_error *err,
                                                             const char *fmt, ...)
{
    int used = snprintf(err->message, sizeof err->message, "%s: ", s->name);
    if (used >= 0 && (size_t)used < sizeof err->message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message + used, sizeof err->message - (size_t)used, fmt, ap);
        va_end(ap);
    }
    err->bad_index = -1;
    return DNN_ERR_DATA;
}

/* The examples and the shape of one example, from X's header. */
typedef struct {
    long m;
    int rank;                              /* of one example */
    uint64_t dims[DNN_CONVERT_MAX_RANK];   /* of one example */
    uint64_t features;                     /* their product */
} example_shape;

static dnn_status check_x(const npy_stream *s, const npy_array *x, example_shape *e,
                          dnn_error *err)
{
    char shape[256];
    npy_format_shape(x, shape, sizeof shape);
    if (x->rank == 0)
        return fail(s, err, "a scalar; expected an array (examples, features...)");
    if (x->dims[0] == 0)
        return fail(s, err, "shape %s has no examples", shape);
    if (x->dims[0] > LONG_MAX)
        return fail(s, err, "shape %s has too many examples", shape);
    e->m = (long)x->dims[0];
    e->rank = x->rank > 1 ? x->rank - 1 : 1;
    e->dims[0] = 1; /* (m,): one feature per example */
    e->features = 1;
    int long_dims = 0;
    for (int k = 0; k < x->rank; k++)
        long_dims += x->dims[k] > 1;
    for (int k = 1; k < x->rank; k++) {
        if (x->dims[k] == 0)
            return fail(s, err, "shape %s has no features", shape);
        e->dims[k - 1] = x->dims[k];
        e->features *= x->dims[k];
    }
    if (e->features > INT_MAX)
        return fail(s, err, "shape %s has more than %d features per example", shape, INT_MAX);
    /* in Fortran order an example's values are not next to each other */
    if (x->fortran && long_dims > 1)
        return fail(s, err, "shape %s is stored in Fortran (column-major) order; save "
                    "np.ascontiguousarray(X) instead", shape);
    return DNN_OK;
}

static dnn_status check_y(const npy_stream *s, const npy_array *y, const npy_stream *xs,
                          long m, dnn_error *err)
{
    char shape[256];
    npy_format_shape(y, shape, sizeof shape);
    uint64_t labels = y->rank == 1                       ? y->dims[0]
                      : y->rank == 2 && y->dims[1] == 1 ? y->dims[0]
                      : y->rank == 2 && y->dims[0] == 1 ? y->dims[1]
                                                        : UINT64_MAX;
    if (labels == UINT64_MAX)
        return fail(s, err, "labels of shape %s; expected (m,), (m, 1) or (1, m)", shape);
    if (labels != (uint64_t)m)
        return fail(s, err, "%llu labels, but %s has %ld examples", (unsigned long long)labels,
                    xs->name, m);
    return DNN_OK;
}

/* Buffers of one block: the raw bytes and the doubles of X and Y. */
typedef struct {
    unsigned char *x_raw, *y_raw;
    double *X, *Y;
    uint8_t *labels;
} block_buffers;

static void block_free(block_buffers *b)
{
    free(b->x_raw);
    free(b->y_raw);
    free(b->X);
    free(b->Y);
    free(b->labels);
}

static dnn_status block_alloc(block_buffers *b, const npy_stream *xs, long rows,
                              uint64_t features, int x_size, int y_size, dnn_error *err)
{
    *b = (block_buffers){0};
    uint64_t values = (uint64_t)rows * features;
    uint64_t need = values * (8 + (uint64_t)x_size) + (uint64_t)rows * (9 + (uint64_t)y_size);
    char what[128];
    snprintf(what, sizeof what, "a block of %ld examples of %llu features", rows,
             (unsigned long long)features);
    dnn_status st = dnn_check_memory(xs->name, what, need, err);
    if (st != DNN_OK)
        return st;
    b->x_raw = malloc((size_t)values * (size_t)x_size);
    b->X = malloc((size_t)values * sizeof *b->X);
    b->y_raw = malloc((size_t)rows * (size_t)(y_size ? y_size : 1)); /* 0: no labels */
    b->Y = malloc((size_t)rows * sizeof *b->Y);
    b->labels = malloc((size_t)rows);
    if (!b->x_raw || !b->X || !b->y_raw || !b->Y || !b->labels) {
        block_free(b);
        return fail(xs, err, "out of memory for %s", what);
    }
    return DNN_OK;
}

/* Reads, decodes and checks examples [first, first + count) into b. */
static dnn_status read_block(npy_stream *xs, const npy_array *x, npy_stream *ys,
                             const npy_array *y, uint64_t features, dnn_convert_type type,
                             long first, long count, block_buffers *b, dnn_error *err)
{
    char why[160] = "";
    size_t values = (size_t)count * (size_t)features;
    if (xs->read(xs->ctx, b->x_raw, values * (size_t)x->size, why, sizeof why) != 0)
        return fail(xs, err, "cannot read examples [%ld, %ld): %s", first, first + count, why);
    if (ys && ys->read(ys->ctx, b->y_raw, (size_t)count * (size_t)y->size, why, sizeof why) != 0)
        return fail(ys, err, "cannot read labels [%ld, %ld): %s", first, first + count, why);
    npy_decode(x, b->x_raw, values, b->X);
    if (ys)
        npy_decode(y, b->y_raw, (size_t)count, b->Y);
    for (size_t i = 0; i < values; i++) {
        const char *bad = dnn_convert_bad_feature(b->X[i], type);
        if (bad)
            return fail(xs, err, "example %ld, feature %llu %s", first + (long)(i / features),
                        (unsigned long long)(i % features), bad);
    }
    for (long j = 0; ys && j < count; j++) {
        if (b->Y[j] != 0.0 && b->Y[j] != 1.0)
            return fail(ys, err, "label %.17g of example %ld is not 0 or 1", b->Y[j],
                        first + j);
        b->labels[j] = b->Y[j] == 1.0;
    }
    return DNN_OK;
}

/* Every block of the two arrays into the sink. */
static dnn_status convert_blocks(npy_stream *xs, const npy_array *x, npy_stream *ys,
                                 const npy_array *y, const example_shape *e,
                                 dnn_convert_sink *sink, dnn_convert_type type, dnn_error *err)
{
    long rows = dnn_convert_block_rows(e->features);
    rows = rows < e->m ? rows : e->m;
    block_buffers b;
    dnn_status st = block_alloc(&b, xs, rows, e->features, x->size, ys ? y->size : 0, err);
    for (long first = 0; st == DNN_OK && first < e->m; first += rows) {
        long count = e->m - first < rows ? e->m - first : rows;
        st = read_block(xs, x, ys, y, e->features, type, first, count, &b, err);
        if (st == DNN_OK)
            st = dnn_convert_sink_append(sink, b.X, b.labels, count, err);
    }
    block_free(&b); /* all NULL when block_alloc failed */
    char why[160] = "";
    if (st == DNN_OK && xs->finish && xs->finish(xs->ctx, why, sizeof why) != 0)
        st = fail(xs, err, "%s", why);
    if (st == DNN_OK && ys && ys->finish && ys->finish(ys->ctx, why, sizeof why) != 0)
        st = fail(ys, err, "%s", why);
    return st;
}

dnn_status npy_convert_streams(npy_stream *xs, npy_stream *ys, const dnn_convert_output *out,
                               dnn_convert_summary *summary, dnn_error *err)
{
    npy_array x, y = {0};
    example_shape e;
    dnn_status st = npy_read_header(xs, &x, err);
    if (st == DNN_OK)
        st = check_x(xs, &x, &e, err);
    if (st == DNN_OK && ys)
        st = npy_read_header(ys, &y, err);
    if (st == DNN_OK && ys)
        st = check_y(ys, &y, xs, e.m, err);
    if (st != DNN_OK)
        return st;
    dnn_convert_type type = out->type;
    if (type == DNN_CONVERT_AUTO)
        type = x.kind == 'u' && x.size == 1 ? DNN_CONVERT_UINT8 : DNN_CONVERT_FLOAT64;
    dnn_convert_sink *sink = NULL;
    st = dnn_convert_sink_open(&sink, out, e.rank, e.dims, e.m, type, err);
    if (st == DNN_OK)
        st = convert_blocks(xs, &x, ys, &y, &e, sink, type, err);
    dnn_status closed = dnn_convert_sink_close(&sink, st == DNN_OK, err);
    *summary = (dnn_convert_summary){.examples = e.m, .features = (long)e.features,
                                     .type = type};
    if (ys)
        snprintf(summary->labels, sizeof summary->labels, "%s", ys->name);
    return st == DNN_OK ? closed : st;
}

/* ---- two .npy files ---- */

static int file_read(void *ctx, void *buf, size_t n, char *why, size_t why_size)
{
    FILE *f = ctx;
    if (fread(buf, 1, n, f) == n)
        return 0;
    snprintf(why, why_size, "%s", ferror(f) ? strerror(errno) : "unexpected end of file");
    return -1;
}

/* Opens path as a stream; DNN_OK or a message. */
static dnn_status open_file_stream(const char *path, npy_stream *s, dnn_error *err)
{
    *s = (npy_stream){.name = path, .read = file_read};
    dnn_status st = dnn_check_input_file(path, &s->size, err);
    if (st != DNN_OK)
        return st;
    if (!(s->ctx = fopen(path, "rb"))) {
        snprintf(err->message, sizeof err->message, "%s: cannot open: %s", path,
                 strerror(errno));
        err->bad_index = -1;
        return DNN_ERR_IO;
    }
    return DNN_OK;
}

dnn_status dnn_convert_npy_pair(const char *x_path, const char *y_path,
                                const dnn_convert_output *out, dnn_convert_summary *summary,
                                dnn_error *err)
{
    npy_stream xs = {0}, ys = {0};
    *summary = (dnn_convert_summary){0};
    if (out->no_labels != !y_path) {
        snprintf(err->message, sizeof err->message, "%s: %s", x_path,
                 y_path ? "a labels file with --no-labels" : "no labels file");
        err->bad_index = -1;
        return DNN_ERR_ARG;
    }
    dnn_status st = open_file_stream(x_path, &xs, err);
    if (st == DNN_OK && y_path)
        st = open_file_stream(y_path, &ys, err);
    if (st == DNN_OK)
        st = npy_convert_streams(&xs, y_path ? &ys : NULL, out, summary, err);
    if (xs.ctx)
        fclose(xs.ctx);
    if (ys.ctx)
        fclose(ys.ctx);
    return st;
}
