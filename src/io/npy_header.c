/* The header of a .npy file (numpy's format.py: "\x93NUMPY", a version byte pair, the
 * header's length, then a Python dict literal such as
 * {'descr': '<f8', 'fortran_order': False, 'shape': (209, 12288), }) and the decoding
 * of the dtypes dnn-convert takes: little- or big-endian f4 f8 i1 i2 i4 i8 u1 u2 u4 u8
 * and bool. */
#include "io/npy.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy_decode assumes a little-endian host ('<' and '=' are taken as native)"
#endif

/* Longer headers are refused before they are read (numpy writes under 100 bytes of
 * dict, padded to 64 bytes; it reads up to 10000 by default). */
enum { MAX_HEADER = 1 << 20 };

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

/* ---- the dict literal ---- */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

/* The next non-blank character is ch: 1, and it is consumed. */
static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string without escapes, into buf. */
static int take_string(cursor *c, char *buf, size_t size)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char quote = *c->p++;
    const char *start = c->p;
    while (c->p < c->end && *c->p != quote && *c->p != '\\')
        c->p++;
    size_t len = (size_t)(c->p - start);
    if (c->p >= c->end || *c->p != quote || len >= size)
        return 0;
    memcpy(buf, start, len);
    buf[len] = '\0';
    c->p++;
    return 1;
}

static int take_word(cursor *c, const char *word)
{
    skip_space(c);
    size_t len = strlen(word);
    if ((size_t)(c->end - c->p) < len || strncmp(c->p, word, len) != 0)
        return 0;
    c->p += len;
    return 1;
}

/* (), (m,) or (m, n, ...): non-negative integers (a Python 2 'L' suffix allowed). */
static int take_shape(cursor *c, npy_array *a)
{
    if (!take(c, '('))
        return 0;
    a->rank = 0;
    while (!take(c, ')')) {
        skip_space(c);
        if (a->rank == DNN_CONVERT_MAX_RANK || c->p >= c->end || !isdigit((unsigned char)*c->p))
            return 0;
        uint64_t v = 0;
        for (; c->p < c->end && isdigit((unsigned char)*c->p); c->p++) {
            if (v > (UINT64_MAX - 9) / 10)
                return 0;
            v = 10 * v + (uint64_t)(*c->p - '0');
        }
        if (c->p < c->end && *c->p == 'L')
            c->p++;
        a->dims[a->rank++] = v;
        if (!take(c, ',')) {
            if (!take(c, ')'))
                return 0;
            break;
        }
    }
    return 1;
}

/* 'descr': "<f8" and the like; 0 for a type we do not convert. */
static int parse_descr(npy_array *a)
{
    const char *d = a->descr;
    char order = d[0], kind = d[1];
    char *end;
    long size = strtol(d + 2, &end, 10);
    if (!strchr("<>|=", order) || !strchr("fiub", kind) || *end != '\0' || end == d + 2)
        return 0;
    int ok = kind == 'f' ? size == 4 || size == 8
             : kind == 'b' ? size == 1
                           : size == 1 || size == 2 || size == 4 || size == 8;
    if (!ok || (order == '|' && size != 1))
        return 0;
    a->kind = kind;
    a->size = (int)size;
    a->swap = size > 1 && order == '>';
    return 1;
}

/* The dict: exactly the keys descr, fortran_order and shape. */
static dnn_status parse_dict(const npy_stream *s, const char *text, size_t len, npy_array *a,
                             dnn_error *err)
{
    cursor c = {text, text + len};
    int seen = 0; /* bits: 1 descr, 2 fortran_order, 4 shape */
    char key[32];
    if (!take(&c, '{'))
        return fail(s, err, "damaged .npy header: no dict");
    while (!take(&c, '}')) {
        if (!take_string(&c, key, sizeof key) || !take(&c, ':'))
            return fail(s, err, "damaged .npy header: expected 'key': value");
        if (strcmp(key, "descr") == 0) {
            skip_space(&c);
            if (c.p < c.end && *c.p == '[')
                return fail(s, err, "a structured dtype (fields) is not supported: save a "
                            "plain numeric array");
            if (!take_string(&c, a->descr, sizeof a->descr))
                return fail(s, err, "damaged .npy header: bad 'descr'");
            seen |= 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            a->fortran = take_word(&c, "True");
            if (!a->fortran && !take_word(&c, "False"))
                return fail(s, err, "damaged .npy header: bad 'fortran_order'");
            seen |= 2;
        } else if (strcmp(key, "shape") == 0) {
            if (!take_shape(&c, a))
                return fail(s, err, "damaged .npy header: bad 'shape' (or more than %d "
                            "dimensions)", DNN_CONVERT_MAX_RANK);
            seen |= 4;
        } else {
            return fail(s, err, "unexpected key '%s' in the .npy header", key);
        }
        if (!take(&c, ',') && !take(&c, '}'))
            return fail(s, err, "damaged .npy header: expected ',' or '}'");
        else if (c.p[-1] == '}')
            break;
    }
    if (seen != 7)
        return fail(s, err, "damaged .npy header: 'descr', 'fortran_order' or 'shape' missing");
    return DNN_OK;
}

/* The values' byte count, checked against what the stream holds after the header. */
static dnn_status check_size(const npy_stream *s, npy_array *a, uint64_t header_end,
                             dnn_error *err)
{
    char shape[256];
    npy_format_shape(a, shape, sizeof shape);
    a->count = 1;
    for (int k = 0; k < a->rank; k++) {
        if (a->dims[k] != 0 && a->count > UINT64_MAX / 8 / a->dims[k])
            return fail(s, err, "shape %s is too large", shape);
        a->count *= a->dims[k];
    }
    uint64_t need = a->count * (uint64_t)a->size;
    uint64_t have = s->size > header_end ? s->size - header_end : 0;
    if (have < need)
        return fail(s, err,
                    "truncated: shape %s of '%s' needs %llu bytes of values, the file has "
                    "%llu",
                    shape, a->descr, (unsigned long long)need, (unsigned long long)have);
    return DNN_OK;
}

dnn_status npy_read_header(npy_stream *s, npy_array *a, dnn_error *err)
{
    *a = (npy_array){0};
    unsigned char pre[12];
    char why[160] = "";
    if (s->size < 10 || s->read(s->ctx, pre, 10, why, sizeof why) != 0 ||
        memcmp(pre, "\x93NUMPY", 6) != 0)
        return fail(s, err, "not a .npy file (no \\x93NUMPY at its start%s%s)", *why ? ": " : "",
                    why);
    int major = pre[6], minor = pre[7];
    uint64_t len = (uint64_t)pre[8] | (uint64_t)pre[9] << 8, start = 10;
    if (major == 2 || major == 3) {
        if (s->read(s->ctx, pre + 10, 2, why, sizeof why) != 0)
            return fail(s, err, "truncated header: %s", why);
        len |= (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
        start = 12;
    } else if (major != 1) {
        return fail(s, err, ".npy format version %d.%d is not supported (1, 2 and 3 are)", major,
                    minor);
    }
    if (len > MAX_HEADER)
        return fail(s, err, "damaged .npy header: %llu bytes long", (unsigned long long)len);
    if (start + len > s->size)
        return fail(s, err, "truncated: a header of %llu bytes in a file of %llu",
                    (unsigned long long)len, (unsigned long long)s->size);
    char *text = malloc((size_t)len + 1);
    if (!text)
        return fail(s, err, "out of memory for the header");
    dnn_status st = DNN_OK;
    if (s->read(s->ctx, text, (size_t)len, why, sizeof why) != 0)
        st = fail(s, err, "truncated header: %s", why);
    if (st == DNN_OK)
        st = parse_dict(s, text, (size_t)len, a, err);
    free(text);
    if (st == DNN_OK && !parse_descr(a))
        st = fail(s, err,
                  "dtype '%s' is not supported (float32/64, int8..64, uint8..64 or bool; "
                  "convert with X.astype(np.float64))",
                  a->descr);
    return st == DNN_OK ? check_size(s, a, start + len, err) : st;
}

void npy_format_shape(const npy_array *a, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < a->rank && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", k ? ", " : "",
                                 (unsigned long long)a->dims[k]);
    if (used < size)
        snprintf(buf + used, size - used, a->rank == 1 ? ",)" : ")");
}

void npy_decode(const npy_array *a, const unsigned char *raw, size_t count, double *out)
{
    size_t size = (size_t)a->size;
    for (size_t i = 0; i < count; i++) {
        unsigned char b[8];
        for (size_t j = 0; j < size; j++)
            b[j] = raw[i * size + (a->swap ? size - 1 - j : j)];
        double v = 0.0;
        if (a->kind == 'f' && size == 8) {
            memcpy(&v, b, 8);
        } else if (a->kind == 'f') {
            float f;
            memcpy(&f, b, 4);
            v = f;
        } else if (a->kind == 'b') {
            v = b[0] != 0;
        } else if (a->kind == 'u') {
            uint64_t u = 0;
            memcpy(&u, b, size); /* little-endian host: the low bytes */
            v = (double)u;
        } else {
            uint64_t u = 0;
            memcpy(&u, b, size);
            if (size < 8 && (u >> (8 * size - 1)) != 0)
                u |= ~(uint64_t)0 << (8 * size); /* sign-extend */
            v = (double)(int64_t)u;
        }
        out[i] = v;
    }
}
