/* The HDF5 loader (course file, a table of bad files, accepted variants, partial reads)
 * and the synthetic data set. Every HDF5 file is written here with the C API under a
 * temporary directory; after each library call no HDF5 handle may be left open and
 * nothing may have been printed to stderr. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnn/data.h"
#include "test_files.h"
#include "test_util.h"

#ifndef DNN_SHARED_DATA_DIR
#error "DNN_SHARED_DATA_DIR must name the project's data/ (set by tests/CMakeLists.txt)"
#endif

static char tmpdir[64];

static void make_tmpdir(void)
{
    make_temp_dir(tmpdir, sizeof tmpdir, "dnn_test_data");
}

static void remove_tmpdir(void)
{
    remove_tree(tmpdir);
}

/* ---- writing test files with the HDF5 C API ---- */

typedef struct {
    const char *name;
    hid_t type; /* memory and file type */
    int rank;
    hsize_t dims[3];
    const void *data; /* NULL: created but never written */
} ds_spec;

static void write_h5(const char *path, int count, const ds_spec *specs)
{
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(file, 0);
    for (int i = 0; i < count; i++) {
        hid_t space = H5Screate_simple(specs[i].rank, specs[i].dims, NULL);
        ck_assert_int_ge(space, 0);
        hid_t dset = H5Dcreate2(file, specs[i].name, specs[i].type, space, H5P_DEFAULT,
                                H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(dset, 0);
        if (specs[i].data)
            ck_assert_int_ge(H5Dwrite(dset, specs[i].type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                      specs[i].data),
                             0);
        H5Dclose(dset);
        H5Sclose(space);
    }
    ck_assert_int_ge(H5Fclose(file), 0);
}

/* The standard small file: a_x double (M, N) with x[i][k] = i + k / 10, a_y int64 (M) = i % 2. */
enum { M = 10, N = 3 };
typedef struct {
    double x[M][N];
    int64_t y[M];
} small_data;

static small_data small_standard(void)
{
    small_data d;
    for (int i = 0; i < M; i++) {
        for (int k = 0; k < N; k++)
            d.x[i][k] = i + k / 10.0;
        d.y[i] = i % 2;
    }
    return d;
}

static void write_small(const char *path, const small_data *d)
{
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d->x},
                       {"a_y", H5T_NATIVE_INT64, 1, {M}, d->y}};
    write_h5(path, 2, specs);
}

static void make_valid(const char *path)
{
    small_data d = small_standard();
    write_small(path, &d);
}

static void make_text(const char *path)
{
    const char text[] = "this is a text file, not HDF5\n";
    write_file(path, text, sizeof text - 1);
}

static void make_truncated(const char *path)
{
    static double x[200][50];
    static int64_t y[200];
    for (int i = 0; i < 200; i++) {
        for (int k = 0; k < 50; k++)
            x[i][k] = i * 50 + k;
        y[i] = i % 2;
    }
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {200, 50}, x},
                       {"a_y", H5T_NATIVE_INT64, 1, {200}, y}};
    write_h5(path, 2, specs);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
}

static void make_no_y(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x}};
    write_h5(path, 1, specs);
}

static void make_two_x(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                       {"b_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                       {"a_y", H5T_NATIVE_INT64, 1, {M}, d.y}};
    write_h5(path, 3, specs);
}

static void make_x_rank1(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 1, {M}, d.x},
                       {"a_y", H5T_NATIVE_INT64, 1, {M}, d.y}};
    write_h5(path, 2, specs);
}

static void make_counts_differ(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                       {"a_y", H5T_NATIVE_INT64, 1, {M - 1}, d.y}};
    write_h5(path, 2, specs);
}

static void make_label_2(const char *path)
{
    small_data d = small_standard();
    d.y[3] = 2;
    write_small(path, &d);
}

/* Float labels with label 3 set to y: 0.5 and NaN pass a check "y < 0 || y > 1". */
static void write_float_label(const char *path, double y)
{
    small_data d = small_standard();
    double labels[M];
    for (int i = 0; i < M; i++)
        labels[i] = (double)d.y[i];
    labels[3] = y;
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                       {"a_y", H5T_NATIVE_DOUBLE, 1, {M}, labels}};
    write_h5(path, 2, specs);
}

static void make_label_half(const char *path)
{
    write_float_label(path, 0.5);
}

static void make_label_nan(const char *path)
{
    write_float_label(path, NAN);
}

/* a_x (M, N) created and never written: HDF5 would read fill values */
static void make_unwritten_x(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, NULL},
                       {"a_y", H5T_NATIVE_INT64, 1, {M}, d.y}};
    write_h5(path, 2, specs);
}

/* A FIFO: opening it to read would block until a writer came */
static void make_fifo(const char *path)
{
    ck_assert_int_eq(mkfifo(path, 0600), 0);
}

static void make_nan(const char *path)
{
    small_data d = small_standard();
    d.x[4][1] = NAN;
    write_small(path, &d);
}

static void make_inf(const char *path)
{
    small_data d = small_standard();
    d.x[6][2] = INFINITY;
    write_small(path, &d);
}

static void make_empty(const char *path)
{
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {0, N}, NULL},
                       {"a_y", H5T_NATIVE_INT64, 1, {0}, NULL}};
    write_h5(path, 2, specs);
}

static void make_no_features(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, 0}, NULL},
                       {"a_y", H5T_NATIVE_INT64, 1, {M}, d.y}};
    write_h5(path, 2, specs);
}

static void make_string_y(const char *path)
{
    small_data d = small_standard();
    char labels[M][4];
    for (int i = 0; i < M; i++)
        snprintf(labels[i], sizeof labels[i], "%d", i % 2);
    hid_t str = H5Tcopy(H5T_C_S1);
    ck_assert_int_ge(H5Tset_size(str, sizeof labels[0]), 0);
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                       {"a_y", str, 1, {M}, labels}};
    write_h5(path, 2, specs);
    H5Tclose(str);
}

static void make_compound_x(const char *path)
{
    small_data d = small_standard();
    typedef struct {
        double a, b;
    } pair;
    pair x[M][N];
    for (int i = 0; i < M; i++)
        for (int k = 0; k < N; k++)
            x[i][k] = (pair){d.x[i][k], -d.x[i][k]};
    hid_t type = H5Tcreate(H5T_COMPOUND, sizeof(pair));
    H5Tinsert(type, "a", 0, H5T_NATIVE_DOUBLE);
    H5Tinsert(type, "b", sizeof(double), H5T_NATIVE_DOUBLE);
    ds_spec specs[] = {{"a_x", type, 2, {M, N}, x}, {"a_y", H5T_NATIVE_INT64, 1, {M}, d.y}};
    write_h5(path, 2, specs);
    H5Tclose(type);
}

static void make_y_bad_shape(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                       {"a_y", H5T_NATIVE_INT64, 2, {2, M / 2}, d.y}};
    write_h5(path, 2, specs);
}

static void make_y_rank3(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                       {"a_y", H5T_NATIVE_INT64, 3, {1, M, 1}, d.y}};
    write_h5(path, 2, specs);
}

/* 2^32 features per example: never written, so HDF5 allocates no storage for it. */
static void make_huge_features(const char *path)
{
    int64_t y[1] = {0};
    ds_spec specs[] = {{"a_x", H5T_NATIVE_UCHAR, 3, {1, 65536, 65536}, NULL},
                       {"a_y", H5T_NATIVE_INT64, 1, {1}, y}};
    write_h5(path, 2, specs);
}

static void make_x_is_group(const char *path)
{
    small_data d = small_standard();
    ds_spec specs[] = {{"a_y", H5T_NATIVE_INT64, 1, {M}, d.y}};
    write_h5(path, 1, specs);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(file, 0);
    hid_t group = H5Gcreate2(file, "a_x", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(group, 0);
    H5Gclose(group);
    H5Fclose(file);
}

/* ---- the course's file ---- */

static const char course_train[] = DNN_SHARED_DATA_DIR "/train_catvnoncat.h5";
static const char course_test[] = DNN_SHARED_DATA_DIR "/test_catvnoncat.h5";

/* Example i of train_set_x as bytes, read without the library. */
static void read_course_example(long i, unsigned char *bytes)
{
    hid_t file = H5Fopen(course_train, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t dset = H5Dopen2(file, "train_set_x", H5P_DEFAULT);
    hid_t space = H5Dget_space(dset);
    hsize_t start[4] = {(hsize_t)i, 0, 0, 0}, count[4] = {1, 64, 64, 3}, n = 12288;
    hid_t mem = H5Screate_simple(1, &n, NULL);
    ck_assert_int_ge(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL), 0);
    ck_assert_int_ge(H5Dread(dset, H5T_NATIVE_UCHAR, mem, space, H5P_DEFAULT, bytes), 0);
    H5Sclose(mem);
    H5Sclose(space);
    H5Dclose(dset);
    H5Fclose(file);
}

static void read_course_labels(int64_t *labels)
{
    hid_t file = H5Fopen(course_train, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t dset = H5Dopen2(file, "train_set_y", H5P_DEFAULT);
    ck_assert_int_ge(H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels), 0);
    H5Dclose(dset);
    H5Fclose(file);
}

START_TEST(course_file_loads_like_numpy)
{
    if (access(course_train, R_OK) != 0 || access(course_test, R_OK) != 0) {
        printf("skipped: course data not found at %s\n", DNN_SHARED_DATA_DIR);
        return;
    }
    dnn_error err;
    long m;
    int n;
    ck_assert_int_eq(dnn_h5_probe(course_train, NULL, &m, &n, &err), DNN_OK);
    ck_assert_int_eq(m, 209);
    ck_assert_int_eq(n, 12288);
    ck_assert_int_eq(dnn_h5_probe(course_test, NULL, &m, &n, &err), DNN_OK);
    ck_assert_int_eq(m, 50);
    ck_assert_int_eq(n, 12288);

    dnn_h5_options opts = {NULL, NULL, 1, DNN_LABELS_REQUIRED};
    dnn_dataset all, part;
    ck_assert_int_eq(dnn_h5_load(course_train, &opts, 0, 209, &all, &err), DNN_OK);
    ck_assert_int_eq(dnn_h5_load(course_train, &opts, 5, 3, &part, &err), DNN_OK);
    ck_assert(all.m == 209 && all.m_total == 209 && all.first == 0 && all.n_features == 12288);
    ck_assert(part.m == 3 && part.m_total == 209 && part.first == 5);
    ck_assert_msg(memcmp(part.X, all.X + 5 * 12288, 3 * 12288 * sizeof(double)) == 0,
                  "examples 5..7 differ from columns 5..7 of the whole file");
    ck_assert(memcmp(part.Y, all.Y + 5, 3 * sizeof(double)) == 0);

    /* pixels read independently, divided as numpy's x / 255. does */
    unsigned char bytes[12288];
    read_course_example(0, bytes);
    ck_assert(all.X[0] == (double)bytes[0] / 255.0);
    read_course_example(7, bytes);
    for (int k = 0; k < 12288; k++)
        ck_assert_msg(part.X[2 * 12288 + k] == (double)bytes[k] / 255.0,
                      "example 7 feature %d: %.17g, file byte %d", k, part.X[2 * 12288 + k],
                      bytes[k]);

    int64_t labels[209];
    read_course_labels(labels);
    int cats = 0;
    for (int j = 0; j < 209; j++) {
        ck_assert(all.Y[j] == 0.0 || all.Y[j] == 1.0);
        ck_assert(all.Y[j] == (double)labels[j]);
        cats += all.Y[j] == 1.0;
    }
    ck_assert(cats > 0 && cats < 209);

    /* the same data with explicit names; unscaled gives the raw bytes */
    dnn_h5_options raw = {"train_set_x", "train_set_y", 0, DNN_LABELS_REQUIRED};
    dnn_dataset unscaled;
    ck_assert_int_eq(dnn_h5_load(course_train, &raw, 7, 1, &unscaled, &err), DNN_OK);
    for (int k = 0; k < 12288; k++)
        ck_assert(unscaled.X[k] == (double)bytes[k]);
    dnn_dataset_free(&unscaled);
    dnn_dataset_free(&part);
    dnn_dataset_free(&all);
    ck_assert_ptr_null(all.X);
}
END_TEST

/* ---- bad files ---- */

typedef struct {
    const char *file;
    void (*make)(const char *path); /* NULL: no file is created */
    dnn_h5_options opts;
    long first, count;
    dnn_status status;
    int probe_ok;       /* the shapes are fine: dnn_h5_probe succeeds */
    const char *needle; /* must appear in the message, besides the path */
    long bad_index;
} bad_case;

static const bad_case bad_cases[] = {
    {"missing.h5", NULL, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_IO, 0, "cannot open", -1},
    {"text.h5", make_text, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_IO, 0, "not an HDF5 file", -1},
    {"truncated.h5", make_truncated, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_IO, 0, "cannot open", -1},
    {"no_y.h5", make_no_y, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'_y'", -1},
    {"two_x.h5", make_two_x, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_x', 'b_x'", -1},
    {"x_rank1.h5", make_x_rank1, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_x'", -1},
    {"counts.h5", make_counts_differ, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_y'", -1},
    {"label2.h5", make_label_2, {NULL, NULL, 1, 0}, 0, M, DNN_ERR_DATA, 1,
     "'a_y': label 2 at example 3 is not 0 or 1", 3},
    {"label2.h5", make_label_2, {NULL, NULL, 1, 0}, 2, 4, DNN_ERR_DATA, 1, "example 3", 3},
    {"label_half.h5", make_label_half, {NULL, NULL, 1, 0}, 0, M, DNN_ERR_DATA, 1,
     "'a_y': label 0.5 at example 3 is not 0 or 1", 3},
    {"label_nan.h5", make_label_nan, {NULL, NULL, 1, 0}, 0, M, DNN_ERR_DATA, 1,
     "'a_y': label nan at example 3 is not 0 or 1", 3},
    {"unwritten.h5", make_unwritten_x, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0,
     "'a_x': its values are not all stored in the file", -1},
    {"fifo.h5", make_fifo, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_IO, 0, "is a FIFO", -1},
    {"nan.h5", make_nan, {NULL, NULL, 1, 0}, 1, M - 1, DNN_ERR_DATA, 1,
     "'a_x': feature 1 of example 4 is NaN", 4},
    {"inf.h5", make_inf, {NULL, NULL, 1, 0}, 0, M, DNN_ERR_DATA, 1,
     "'a_x': feature 2 of example 6 is +Inf", 6},
    {"empty.h5", make_empty, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_x'", -1},
    {"no_features.h5", make_no_features, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_x'", -1},
    {"string_y.h5", make_string_y, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_y'", -1},
    {"compound_x.h5", make_compound_x, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_x'", -1},
    {"y_shape.h5", make_y_bad_shape, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_y'", -1},
    {"y_rank3.h5", make_y_rank3, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_y'", -1},
    {"huge.h5", make_huge_features, {NULL, NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_x'", -1},
    {"x_group.h5", make_x_is_group, {"a_x", NULL, 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'a_x'", -1},
    {"valid.h5", make_valid, {NULL, "labels", 1, 0}, 0, 1, DNN_ERR_DATA, 0, "'labels'", -1},
    {"valid.h5", make_valid, {NULL, NULL, 1, 0}, -1, 1, DNN_ERR_ARG, 1, "'a_x'", -1},
    {"valid.h5", make_valid, {NULL, NULL, 1, 0}, 0, 0, DNN_ERR_ARG, 1, "'a_x'", -1},
    {"valid.h5", make_valid, {NULL, NULL, 1, 0}, M - 2, 3, DNN_ERR_ARG, 1, "'a_x'", -1},
    {"valid.h5", make_valid, {NULL, NULL, 1, 0}, M, 1, DNN_ERR_ARG, 1, "'a_x'", -1},
    {"valid.h5", make_valid, {NULL, NULL, 1, 0}, 1, LONG_MAX, DNN_ERR_ARG, 1, "'a_x'", -1},
    {"valid.h5", make_valid, {NULL, NULL, 1, 0}, LONG_MAX, LONG_MAX, DNN_ERR_ARG, 1, "'a_x'", -1},
};
enum { N_BAD_CASES = sizeof bad_cases / sizeof *bad_cases };

START_TEST(bad_files_give_status_message_and_index)
{
    const bad_case *c = &bad_cases[_i];
    char path[512];
    join_path(path, sizeof path, tmpdir, c->file);
    if (c->make)
        c->make(path);

    H5E_auto2_t func_before, func_after;
    void *data_before, *data_after;
    H5Eget_auto2(H5E_DEFAULT, &func_before, &data_before);
    assert_no_hdf5_open("before the call");
    stderr_capture cap = capture_stderr_begin(tmpdir);

    double sentinel = 42.0;
    dnn_dataset out = {.X = &sentinel, .Y = &sentinel};
    dnn_error err;
    dnn_status st = dnn_h5_load(path, &c->opts, c->first, c->count, &out, &err);
    long m = -7;
    int n = -7;
    dnn_error probe_err;
    dnn_status probe_st = dnn_h5_probe(path, &c->opts, &m, &n, &probe_err);

    long printed = capture_stderr_end(&cap);
    ck_assert_msg(printed == 0, "%s: %ld bytes printed to stderr", c->file, printed);
    assert_no_hdf5_open(c->file);
    H5Eget_auto2(H5E_DEFAULT, &func_after, &data_after);
    ck_assert_msg(func_after == func_before && data_after == data_before,
                  "HDF5's error printing was not restored");

    ck_assert_msg(st == c->status, "%s: status %d (%s), expected %d; message: %s", c->file,
                  (int)st, dnn_status_string(st), (int)c->status, err.message);
    ck_assert_msg(strstr(err.message, path), "%s: message lacks the path: %s", c->file,
                  err.message);
    ck_assert_msg(strstr(err.message, c->needle), "%s: message lacks \"%s\": %s", c->file,
                  c->needle, err.message);
    ck_assert_msg(err.bad_index == c->bad_index, "%s: bad_index %ld, expected %ld", c->file,
                  err.bad_index, c->bad_index);
    ck_assert(out.X == NULL && out.Y == NULL && out.m == 0);
    if (c->probe_ok) {
        ck_assert_msg(probe_st == DNN_OK, "%s: probe: %s", c->file, probe_err.message);
        ck_assert(m == M && n == N);
    } else {
        ck_assert_int_eq(probe_st, c->status);
        ck_assert_str_eq(probe_err.message, err.message);
        ck_assert(m == -7 && n == -7);
    }
}
END_TEST

/* ---- accepted variants and partial reads ---- */

/* Loads [first, first + count) and checks it against the expected column-major values. */
static void assert_loads(const char *path, const dnn_h5_options *opts, long first, long count,
                         int n, long m_total, const double *X, const double *Y)
{
    dnn_dataset d;
    dnn_error err;
    dnn_status st = dnn_h5_load(path, opts, first, count, &d, &err);
    assert_no_hdf5_open(path);
    ck_assert_msg(st == DNN_OK, "%s [%ld, +%ld): %s", path, first, count, err.message);
    ck_assert(d.n_features == n && d.m_total == m_total && d.first == first && d.m == count);
    ck_assert_int_eq(err.bad_index, -1);
    for (long i = 0; i < count * n; i++)
        ck_assert_msg(d.X[i] == X[first * n + i], "%s: X[%ld] = %.17g, expected %.17g", path,
                      i, d.X[i], X[first * n + i]);
    for (long j = 0; j < count; j++)
        ck_assert_msg(d.Y[j] == Y[first + j], "%s: Y[%ld] = %g, expected %g", path, j, d.Y[j],
                      Y[first + j]);
    for (long i = 0; d.X_codes && i < count * n; i++) /* the codes stand for X exactly */
        ck_assert_msg(d.X_codes[i] / 255.0 == d.X[i], "%s: code %ld is %d for %.17g", path, i,
                      d.X_codes[i], d.X[i]);
    dnn_dataset_free(&d);
    ck_assert(d.X == NULL && d.Y == NULL && d.X_codes == NULL && d.m == 0);
}

/* Whether loading examples [first, first + count) keeps the 8-bit codes. */
static int keeps_codes(const char *path, const dnn_h5_options *opts, long first, long count)
{
    dnn_dataset d;
    ck_assert_int_eq(dnn_h5_load(path, opts, first, count, &d, NULL), DNN_OK);
    int kept = d.X_codes != NULL;
    dnn_dataset_free(&d);
    return kept;
}

START_TEST(float_x_loads_unchanged)
{
    float x[M][N];
    double X[M * N], Y[M];
    int64_t y[M];
    /* float arithmetic, not (float) of a double: GCC 12.2 at -O2 drops the rounding in
     * (double)(float)d when its SLP vectorizer pairs two of them */
    for (int i = 0; i < M; i++) {
        for (int k = 0; k < N; k++) {
            x[i][k] = (float)i / 7.0f - (float)k * 0.37f;
            X[i * N + k] = x[i][k];
        }
        y[i] = i % 3 == 0;
        Y[i] = (double)y[i];
    }
    ck_assert(X[1] != -0.37 && X[1] == (double)-0.37f); /* a float, not the decimal */
    char path[512];
    join_path(path, sizeof path, tmpdir, "float_x.h5");
    ds_spec specs[] = {{"f_x", H5T_NATIVE_FLOAT, 2, {M, N}, x},
                       {"f_y", H5T_NATIVE_INT64, 1, {M}, y}};
    write_h5(path, 2, specs);
    dnn_h5_options opts = {NULL, NULL, 1, DNN_LABELS_REQUIRED}; /* scaling applies to uint8 only */
    assert_loads(path, &opts, 0, M, N, M, X, Y);
    ck_assert(!keeps_codes(path, &opts, 0, M));
}
END_TEST

START_TEST(label_shapes_and_integer_types_are_accepted)
{
    /* X int16 (M, 2, 3), flattened row-major; Y int32 (1, M), (M, 1) or uint8 (M) */
    int16_t x[M][2][3];
    int32_t y[M];
    uint8_t y8[M];
    double X[M * 6], Y[M];
    for (int i = 0; i < M; i++) {
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++) {
                x[i][a][b] = (int16_t)(100 * i - 10 * a - b - 300);
                X[i * 6 + a * 3 + b] = x[i][a][b];
            }
        y8[i] = (uint8_t)(y[i] = (i * 7) % 3 == 1);
        Y[i] = y[i];
    }
    char row[512], col[512], flat[512];
    join_path(row, sizeof row, tmpdir, "y_row.h5");
    join_path(col, sizeof col, tmpdir, "y_col.h5");
    join_path(flat, sizeof flat, tmpdir, "y_flat.h5");
    ds_spec row_specs[] = {{"a_x", H5T_NATIVE_INT16, 3, {M, 2, 3}, x},
                           {"a_y", H5T_NATIVE_INT32, 2, {1, M}, y}};
    ds_spec col_specs[] = {{"a_x", H5T_NATIVE_INT16, 3, {M, 2, 3}, x},
                           {"a_y", H5T_NATIVE_INT32, 2, {M, 1}, y}};
    ds_spec flat_specs[] = {{"a_x", H5T_NATIVE_INT16, 3, {M, 2, 3}, x},
                            {"a_y", H5T_NATIVE_UINT8, 1, {M}, y8},
                            {"notes", H5T_NATIVE_INT32, 1, {M}, y}};
    write_h5(row, 2, row_specs);
    write_h5(col, 2, col_specs);
    write_h5(flat, 3, flat_specs);
    dnn_h5_options opts = {NULL, NULL, 1, DNN_LABELS_REQUIRED};
    for (long first = 0; first < M; first++) {
        for (long count = 1; first + count <= M; count++) {
            assert_loads(row, &opts, first, count, 6, M, X, Y);
            assert_loads(col, &opts, first, count, 6, M, X, Y);
        }
    }
    assert_loads(flat, &opts, 0, M, 6, M, X, Y);
}
END_TEST

START_TEST(uint8_is_scaled_only_when_asked)
{
    uint8_t x[M][N];
    int64_t y[M];
    double raw[M * N], scaled[M * N], Y[M];
    for (int i = 0; i < M; i++) {
        for (int k = 0; k < N; k++) {
            x[i][k] = (uint8_t)(i * 29 + k * 83 + (i == 9 ? 255 : 0));
            raw[i * N + k] = x[i][k];
            scaled[i * N + k] = (double)x[i][k] / 255.0;
        }
        y[i] = Y[i] = i < 5;
    }
    char path[512];
    join_path(path, sizeof path, tmpdir, "u8.h5");
    ds_spec specs[] = {{"img_x", H5T_NATIVE_UINT8, 2, {M, N}, x},
                       {"img_y", H5T_NATIVE_INT64, 1, {M}, y}};
    write_h5(path, 2, specs);
    dnn_h5_options scale = {NULL, NULL, 1, DNN_LABELS_REQUIRED},
                   keep = {"img_x", "img_y", 0, DNN_LABELS_REQUIRED};
    assert_loads(path, &scale, 0, M, N, M, scaled, Y);
    assert_loads(path, NULL, 3, 4, N, M, scaled, Y); /* NULL options: the course's */
    assert_loads(path, &keep, 0, M, N, M, raw, Y);
    ck_assert(keeps_codes(path, &scale, 0, M) && keeps_codes(path, NULL, 3, 4));
    ck_assert(!keeps_codes(path, &keep, 0, M));
}
END_TEST

/* An enum over int8 with the given members (values 0, 1, ...), as h5py writes numpy's
 * bool when the names are FALSE and TRUE. */
static hid_t enum_int8(int count, const char *const *names)
{
    hid_t type = H5Tenum_create(H5T_NATIVE_INT8);
    ck_assert_int_ge(type, 0);
    for (int i = 0; i < count; i++) {
        int8_t v = (int8_t)i;
        ck_assert_int_ge(H5Tenum_insert(type, names[i], &v), 0);
    }
    return type;
}

START_TEST(h5py_booleans_load_as_0_and_1)
{
    static const char *const bool_names[] = {"FALSE", "TRUE"};
    static const char *const other_names[] = {"NO", "YES"};
    static const char *const three_names[] = {"FALSE", "TRUE", "MAYBE"};
    hid_t boolean = enum_int8(2, bool_names), other = enum_int8(2, other_names);
    hid_t three = enum_int8(3, three_names);
    small_data d = small_standard();
    int8_t y[M], xb[M][N];
    double X[M * N], Y[M], Xb[M * N];
    for (int i = 0; i < M; i++) {
        Y[i] = y[i] = (int8_t)(i % 3 == 1);
        for (int k = 0; k < N; k++) {
            X[i * N + k] = d.x[i][k];
            Xb[i * N + k] = xb[i][k] = (int8_t)((i + k) % 2);
        }
    }
    char labels[512], features[512], not_bool[512], three_path[512];
    join_path(labels, sizeof labels, tmpdir, "bool_y.h5");
    join_path(features, sizeof features, tmpdir, "bool_x.h5");
    join_path(not_bool, sizeof not_bool, tmpdir, "enum_y.h5");
    join_path(three_path, sizeof three_path, tmpdir, "enum3_y.h5");
    ds_spec y_specs[] = {{"b_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x}, {"b_y", boolean, 1, {M}, y}};
    ds_spec x_specs[] = {{"b_x", boolean, 2, {M, N}, xb}, {"b_y", boolean, 2, {1, M}, y}};
    ds_spec other_specs[] = {{"b_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                             {"b_y", other, 1, {M}, y}};
    ds_spec three_specs[] = {{"b_x", H5T_NATIVE_DOUBLE, 2, {M, N}, d.x},
                             {"b_y", three, 1, {M}, y}};
    write_h5(labels, 2, y_specs);
    write_h5(features, 2, x_specs);
    write_h5(not_bool, 2, other_specs);
    write_h5(three_path, 2, three_specs);
    H5Tclose(boolean);
    H5Tclose(other);
    H5Tclose(three);
    for (long first = 0; first < M; first += 3) {
        long count = M - first < 4 ? M - first : 4;
        assert_loads(labels, NULL, first, count, N, M, X, Y);
        assert_loads(features, NULL, first, count, N, M, Xb, Y);
    }
    /* other enums are no booleans: still refused, naming the type */
    const char *refused[] = {not_bool, three_path};
    for (int i = 0; i < 2; i++) {
        dnn_dataset out;
        dnn_error err;
        ck_assert_int_eq(dnn_h5_load(refused[i], NULL, 0, M, &out, &err), DNN_ERR_DATA);
        ck_assert_msg(strstr(err.message, "'b_y'") && strstr(err.message, "enum"), "%s",
                      err.message);
        assert_no_hdf5_open(refused[i]);
    }
}
END_TEST

START_TEST(only_the_requested_examples_are_validated)
{
    char path[512];
    join_path(path, sizeof path, tmpdir, "label2_ok.h5");
    make_label_2(path);
    small_data d = small_standard();
    double X[M * N], Y[M];
    for (int i = 0; i < M; i++) {
        for (int k = 0; k < N; k++)
            X[i * N + k] = d.x[i][k];
        Y[i] = (double)d.y[i];
    }
    /* example 3 has label 2; blocks without it load */
    assert_loads(path, NULL, 0, 3, N, M, X, Y);
    assert_loads(path, NULL, 4, 6, N, M, X, Y);
}
END_TEST

/* Issue 20: labels are optional for dnn-predict: a file of features only loads with Y
 * NULL when they may be absent, labels present are read or, ignored, left out (even bad
 * ones), and a named labels dataset stays required. */
START_TEST(labels_if_present_or_ignored)
{
    char no_y[512], bad_y[512];
    join_path(no_y, sizeof no_y, tmpdir, "features_only.h5");
    join_path(bad_y, sizeof bad_y, tmpdir, "label2_ignored.h5");
    make_no_y(no_y);
    make_label_2(bad_y);
    dnn_h5_options required = {NULL, NULL, 1, DNN_LABELS_REQUIRED},
                   optional = {NULL, NULL, 1, DNN_LABELS_IF_PRESENT},
                   ignored = {NULL, NULL, 1, DNN_LABELS_IGNORED},
                   named = {NULL, "a_y", 1, DNN_LABELS_IF_PRESENT};
    dnn_error err;
    dnn_dataset out;
    long m = 0;
    int n = 0;
    ck_assert_int_eq(dnn_h5_load(no_y, &required, 0, M, &out, &err), DNN_ERR_DATA);
    ck_assert_int_eq(dnn_h5_load(no_y, &named, 0, M, &out, &err), DNN_ERR_DATA);
    ck_assert_int_eq(dnn_h5_probe(no_y, &optional, &m, &n, &err), DNN_OK);
    ck_assert(m == M && n == N);
    small_data d = small_standard();
    for (int k = 0; k < 2; k++) {
        const char *path = k == 0 ? no_y : bad_y;
        const dnn_h5_options *opts = k == 0 ? &optional : &ignored;
        ck_assert_int_eq(dnn_h5_load(path, opts, 0, M, &out, &err), DNN_OK);
        ck_assert(out.m == M && out.Y == NULL && out.X != NULL);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                ck_assert(out.X[i * N + j] == d.x[i][j]);
        dnn_dataset_free(&out);
    }
    /* with labels present, optional reads (and checks) them */
    ck_assert_int_eq(dnn_h5_load(bad_y, &optional, 0, M, &out, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "example 3"), "%s", err.message);
}
END_TEST

START_TEST(null_arguments_are_rejected)
{
    char path[512];
    join_path(path, sizeof path, tmpdir, "valid_null.h5");
    make_valid(path);
    dnn_dataset d;
    dnn_error err;
    long m;
    int n;
    ck_assert_int_eq(dnn_h5_load(NULL, NULL, 0, 1, &d, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_h5_load(path, NULL, 0, 1, NULL, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_h5_probe(NULL, NULL, &m, &n, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_h5_probe(path, NULL, NULL, &n, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_h5_probe(path, NULL, &m, NULL, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_synthetic_load(1, 10, 2, 0, 1, NULL, &err), DNN_ERR_ARG);
    /* err may be NULL */
    ck_assert_int_eq(dnn_h5_probe(path, NULL, &m, &n, NULL), DNN_OK);
    ck_assert_int_eq(dnn_h5_load(path, NULL, M, 1, &d, NULL), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_h5_load(path, NULL, 0, M, &d, NULL), DNN_OK);
    dnn_dataset_free(&d);
    dnn_dataset_free(&d);
    dnn_dataset_free(NULL);
}
END_TEST

/* ---- synthetic data ---- */

static dnn_dataset synthetic(uint64_t seed, long m_total, int n, long first, long count)
{
    dnn_dataset d;
    dnn_error err;
    ck_assert_msg(dnn_synthetic_load(seed, m_total, n, first, count, &d, &err) == DNN_OK, "%s",
                  err.message);
    ck_assert(d.n_features == n && d.m_total == m_total && d.first == first && d.m == count);
    return d;
}

START_TEST(synthetic_blocks_are_bit_identical)
{
    const int n = 7;
    dnn_dataset all = synthetic(123, 100, n, 0, 100);
    dnn_dataset a = synthetic(123, 100, n, 0, 40), b = synthetic(123, 100, n, 40, 60);
    ck_assert(memcmp(all.X, a.X, 40 * n * sizeof(double)) == 0);
    ck_assert(memcmp(all.X + 40 * n, b.X, 60 * n * sizeof(double)) == 0);
    ck_assert(memcmp(all.Y, a.Y, 40 * sizeof(double)) == 0);
    ck_assert(memcmp(all.Y + 40, b.Y, 60 * sizeof(double)) == 0);
    /* m_total does not change the examples either */
    dnn_dataset other = synthetic(123, 5000, n, 0, 100);
    ck_assert(memcmp(all.X, other.X, 100 * n * sizeof(double)) == 0);
    dnn_dataset_free(&all);
    dnn_dataset_free(&a);
    dnn_dataset_free(&b);
    dnn_dataset_free(&other);
}
END_TEST

START_TEST(synthetic_values_labels_and_balance)
{
    const int widths[] = {1, 2, 5, 20, 100};
    for (int w = 0; w < (int)(sizeof widths / sizeof *widths); w++) {
        int n = widths[w];
        dnn_dataset d = synthetic(2024, 1000, n, 0, 1000);
        long ones = 0;
        for (long j = 0; j < 1000; j++) {
            double sum_sq = 0.0;
            for (int k = 0; k < n; k++) {
                double v = d.X[j * n + k];
                ck_assert_msg(v >= -1.0 && v < 1.0, "n=%d example %ld feature %d: %g", n, j, k,
                              v);
                sum_sq += v * v;
            }
            ck_assert(d.Y[j] == (sum_sq < n / 3.0 ? 1.0 : 0.0));
            ones += d.Y[j] == 1.0;
        }
        ck_assert_msg(ones >= 350 && ones <= 650, "n=%d: %ld of 1000 labels are 1", n, ones);
        dnn_dataset_free(&d);
    }
}
END_TEST

START_TEST(synthetic_seed_changes_the_data)
{
    const int n = 4;
    dnn_dataset a = synthetic(1, 200, n, 0, 200), b = synthetic(2, 200, n, 0, 200);
    dnn_dataset again = synthetic(1, 200, n, 0, 200);
    ck_assert(memcmp(a.X, again.X, 200 * n * sizeof(double)) == 0);
    long same = 0, same_labels = 0;
    for (long i = 0; i < 200 * n; i++)
        same += a.X[i] == b.X[i];
    for (long j = 0; j < 200; j++)
        same_labels += a.Y[j] == b.Y[j];
    ck_assert_msg(same == 0, "%ld features equal across seeds", same);
    ck_assert_msg(same_labels < 150, "%ld of 200 labels equal across seeds", same_labels);
    dnn_dataset_free(&a);
    dnn_dataset_free(&b);
    dnn_dataset_free(&again);
}
END_TEST

START_TEST(synthetic_rejects_bad_arguments)
{
    const struct {
        long m_total;
        int n;
        long first, count;
    } bad[] = {{10, 0, 0, 1},  {10, -3, 0, 1}, {0, 2, 0, 1},         {-5, 2, 0, 1},
               {10, 2, -1, 1}, {10, 2, 0, 0},  {10, 2, 8, 3},        {10, 2, 10, 1},
               {10, 2, 1, LONG_MAX}, {10, 2, 0, -1}};
    for (int i = 0; i < (int)(sizeof bad / sizeof *bad); i++) {
        double sentinel = 1.0;
        dnn_dataset d = {.X = &sentinel, .Y = &sentinel};
        dnn_error err;
        ck_assert_int_eq(dnn_synthetic_load(9, bad[i].m_total, bad[i].n, bad[i].first,
                                            bad[i].count, &d, &err),
                         DNN_ERR_ARG);
        ck_assert_msg(strstr(err.message, "synthetic"), "case %d: %s", i, err.message);
        ck_assert(d.X == NULL && d.Y == NULL);
        ck_assert_int_eq(err.bad_index, -1);
    }
    dnn_dataset d = synthetic(9, 10, 2, 9, 1); /* the last example alone */
    dnn_dataset_free(&d);
}
END_TEST

int main(void)
{
    H5open();
    Suite *s = suite_create("data");
    TCase *h5 = tcase_create("hdf5");
    tcase_add_unchecked_fixture(h5, make_tmpdir, remove_tmpdir);
    tcase_set_timeout(h5, 30);
    tcase_add_test(h5, course_file_loads_like_numpy);
    tcase_add_loop_test(h5, bad_files_give_status_message_and_index, 0, N_BAD_CASES);
    tcase_add_test(h5, float_x_loads_unchanged);
    tcase_add_test(h5, label_shapes_and_integer_types_are_accepted);
    tcase_add_test(h5, uint8_is_scaled_only_when_asked);
    tcase_add_test(h5, h5py_booleans_load_as_0_and_1);
    tcase_add_test(h5, labels_if_present_or_ignored);
    tcase_add_test(h5, only_the_requested_examples_are_validated);
    tcase_add_test(h5, null_arguments_are_rejected);
    suite_add_tcase(s, h5);
    TCase *syn = tcase_create("synthetic");
    tcase_add_test(syn, synthetic_blocks_are_bit_identical);
    tcase_add_test(syn, synthetic_values_labels_and_balance);
    tcase_add_test(syn, synthetic_seed_changes_the_data);
    tcase_add_test(syn, synthetic_rejects_bad_arguments);
    suite_add_tcase(s, syn);
    return run_suite(s);
}
