/* An .npz archive (np.savez, np.savez_compressed: a zip of .npy members) to the course's
 * HDF5 layout. libzip reads the two members (the features alone for unlabelled data) side
 * by side, inflating as it goes, so
 * memory stays at one block whatever the members' sizes; it checks each member's CRC
 * when its end is read. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "io/convert.h"
#include "io/file_checks.h"
#include "io/npy.h"

__attribute__((format(printf, 3, 4))) static dnn_status fail(dnn_error *err, const char *path,
                                                             const char *fmt, ...)
{
    int used = snprintf(err->message, sizeof err->message, "%s: ", path);
    if (used >= 0 && (size_t)used < sizeof err->message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message + used, sizeof err->message - (size_t)used, fmt, ap);
        va_end(ap);
    }
    err->bad_index = -1;
    return DNN_ERR_DATA;
}

static int member_read(void *ctx, void *buf, size_t n, char *why, size_t why_size)
{
    zip_file_t *zf = ctx;
    for (size_t got = 0; got < n;) {
        zip_int64_t r = zip_fread(zf, (char *)buf + got, n - got);
        if (r <= 0) {
            snprintf(why, why_size, "%s",
                     r < 0 ? zip_error_strerror(zip_file_get_error(zf)) : "unexpected end");
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* Reads to the member's end, where libzip compares its CRC. */
static int member_finish(void *ctx, char *why, size_t why_size)
{
    zip_file_t *zf = ctx;
    char rest[4096];
    zip_int64_t r;
    while ((r = zip_fread(zf, rest, sizeof rest)) > 0)
        ;
    if (r == 0)
        return 0;
    snprintf(why, why_size, "damaged member: %s", zip_error_strerror(zip_file_get_error(zf)));
    return -1;
}

/* "NAME.npy" or "NAME" is the member of key. */
static int is_member_of(const char *name, const char *key)
{
    size_t n = strlen(key);
    return strncmp(name, key, n) == 0 && (name[n] == '\0' || strcmp(name + n, ".npy") == 0);
}

/* np.savez's key of a member: its name without ".npy"; whether it names the features
 * (X, *_x) or the labels (Y, *_y), in any case. */
static int key_is(const char *name, char axis)
{
    size_t n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".npy") == 0)
        n -= 4;
    char single[2] = {axis, 0}, suffix[3] = {'_', axis, 0};
    return (n == 1 && strncasecmp(name, single, 1) == 0) ||
           (n > 2 && strncasecmp(name + n - 2, suffix, 2) == 0);
}

/* The index of the member for key (NULL: found by name, axis 'x' or 'y'), or -1 with a
 * message. */
static zip_int64_t find_member(zip_t *za, const char *path, const char *key, char axis,
                               dnn_error *err)
{
    zip_int64_t entries = zip_get_num_entries(za, 0), found = -1;
    int matches = 0;
    char names[200] = "";
    for (zip_int64_t i = 0; i < entries; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        if (!name)
            continue;
        if (strlen(names) < 150)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s'%.40s'",
                     i ? ", " : "", name);
        if (key ? is_member_of(name, key) : key_is(name, axis))
            found = matches++ ? found : i;
    }
    /* np.savez(f, X) names its only member arr_0: the features (the labels then fail) */
    if (!key && matches == 0 && entries == 1 && axis == 'x')
        return 0;
    /* np.savez(f, X, Y) names them arr_0 and arr_1 */
    if (!key && matches == 0 && entries == 2) {
        zip_int64_t i = zip_name_locate(za, axis == 'x' ? "arr_0.npy" : "arr_1.npy", 0);
        if (i >= 0 && zip_name_locate(za, axis == 'x' ? "arr_1.npy" : "arr_0.npy", 0) >= 0)
            return i;
    }
    if (matches == 1)
        return found;
    if (key)
        return fail(err, path, "no member '%s' (members: %s%s)", key, names,
                    strlen(names) >= 150 ? ", ..." : ""), -1;
    return fail(err, path,
                "cannot tell which member holds the %s (members: %s%s); name it with --%c KEY",
                axis == 'x' ? "features (X or *_x)" : "labels (Y or *_y)", names,
                strlen(names) >= 150 ? ", ..." : "", axis), -1;
}

/* The member as a stream; name (size bytes) is its name for messages. */
static dnn_status open_member(zip_t *za, const char *path, zip_int64_t index, npy_stream *s,
                              char *name, size_t size, dnn_error *err)
{
    zip_stat_t sb;
    zip_stat_init(&sb);
    snprintf(name, size, "%s: member '%s'", path, zip_get_name(za, (zip_uint64_t)index, 0));
    *s = (npy_stream){.name = name, .read = member_read, .finish = member_finish};
    if (zip_stat_index(za, (zip_uint64_t)index, 0, &sb) != 0 || !(sb.valid & ZIP_STAT_SIZE))
        return fail(err, name, "cannot read its size: %s", zip_strerror(za));
    s->size = sb.size;
    if (!(s->ctx = zip_fopen_index(za, (zip_uint64_t)index, 0)))
        return fail(err, name, "cannot open: %s", zip_strerror(za));
    return DNN_OK;
}

static dnn_status open_archive(const char *path, zip_t **za, dnn_error *err)
{
    dnn_status st = dnn_check_input_file(path, NULL, err);
    if (st != DNN_OK)
        return st;
    int code = 0;
    *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (*za)
        return DNN_OK;
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    fail(err, path, "not a readable .npz (zip) archive: %s", zip_error_strerror(&error));
    zip_error_fini(&error);
    return code == ZIP_ER_OPEN || code == ZIP_ER_READ ? DNN_ERR_IO : DNN_ERR_DATA;
}

dnn_status dnn_convert_npz(const char *npz_path, const char *x_key, const char *y_key,
                           const dnn_convert_output *out, dnn_convert_summary *summary,
                           dnn_error *err)
{
    *summary = (dnn_convert_summary){0};
    zip_t *za = NULL;
    dnn_status st = open_archive(npz_path, &za, err);
    if (st != DNN_OK)
        return st;
    npy_stream xs = {0}, ys = {0};
    char x_name[320], y_name[320];
    zip_int64_t xi = find_member(za, npz_path, x_key, 'x', err);
    zip_int64_t yi = out->no_labels ? -2 /* none */
                     : xi >= 0      ? find_member(za, npz_path, y_key, 'y', err)
                                    : -1;
    if (out->no_labels && y_key)
        st = fail(err, npz_path, "--y and --no-labels: give one");
    else if (xi < 0 || yi == -1)
        st = DNN_ERR_DATA;
    else if (xi == yi)
        st = fail(err, npz_path, "the features and the labels are the same member");
    if (st == DNN_OK)
        st = open_member(za, npz_path, xi, &xs, x_name, sizeof x_name, err);
    if (st == DNN_OK && yi >= 0)
        st = open_member(za, npz_path, yi, &ys, y_name, sizeof y_name, err);
    if (st == DNN_OK)
        st = npy_convert_streams(&xs, yi >= 0 ? &ys : NULL, out, summary, err);
    if (xs.ctx)
        zip_fclose(xs.ctx);
    if (ys.ctx)
        zip_fclose(ys.ctx);
    zip_discard(za);
    return st;
}
