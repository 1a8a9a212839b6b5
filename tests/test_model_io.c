/* Model files: a save/load round trip is bit for bit, the file's layout is read back
 * with the HDF5 API directly, a failed save leaves no temporary file and no damaged
 * model behind, and bad files are refused with a status and a message naming them.
 * After every library call no HDF5 object may be left open and nothing may have been
 * printed to stderr. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnn/model_io.h"
#include "test_files.h"
#include "test_util.h"

static const int dims_5431[] = {5, 4, 3, 1};
static const dnn_model_info info_he3 = {
    .init = "he", .seed = 3, .iterations = 17, .learning_rate = 0.25};

/* ---- a temporary directory per test case ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    make_temp_dir(tmpdir, sizeof tmpdir, "dnn_test_model_io");
}

static void remove_tmpdir(void)
{
    remove_tree(tmpdir);
}

/* A fresh directory tmpdir/name for one test, so its listing is the test's own. */
static void test_dir(char *dir, size_t size, const char *name)
{
    join_path(dir, size, tmpdir, name);
    ck_assert_msg(mkdir(dir, 0700) == 0, "mkdir %s", dir);
}

/* ---- library calls with the checks every call gets ---- */

static dnn_params *random_params(int L, const int *dims, dnn_init init, uint32_t seed)
{
    dnn_params *p = dnn_params_new(L, dims);
    ck_assert(p != NULL);
    ck_assert_int_eq(dnn_initialize_parameters_deep(p, init, seed), DNN_OK);
    return p;
}

static dnn_status save(const char *path, const dnn_params *p, const dnn_model_info *info,
                       dnn_error *err)
{
    stderr_capture c = capture_stderr_begin(tmpdir);
    dnn_status st = dnn_model_save(path, p, info, err);
    long printed = capture_stderr_end(&c);
    ck_assert_msg(printed == 0, "saving %s: %ld bytes printed to stderr", path, printed);
    assert_no_hdf5_open(path);
    return st;
}

static dnn_status load(const char *path, dnn_params **p, dnn_model_info *info, dnn_error *err)
{
    stderr_capture c = capture_stderr_begin(tmpdir);
    dnn_status st = dnn_model_load(path, p, info, err);
    long printed = capture_stderr_end(&c);
    ck_assert_msg(printed == 0, "loading %s: %ld bytes printed to stderr", path, printed);
    assert_no_hdf5_open(path);
    return st;
}

static void save_ok(const char *path, const dnn_params *p, const dnn_model_info *info)
{
    dnn_error err = {"", -1};
    dnn_status st = save(path, p, info, &err);
    ck_assert_msg(st == DNN_OK, "saving %s: %s (%s)", path, dnn_status_string(st), err.message);
}

static dnn_params *load_ok(const char *path, dnn_model_info *info)
{
    dnn_error err = {"", -1};
    dnn_params *p = NULL;
    dnn_status st = load(path, &p, info, &err);
    ck_assert_msg(st == DNN_OK, "loading %s: %s (%s)", path, dnn_status_string(st), err.message);
    ck_assert(p != NULL);
    return p;
}

static void assert_same_params(const dnn_params *a, const dnn_params *b)
{
    ck_assert_int_eq(a->L, b->L);
    for (int l = 0; l <= a->L; l++)
        ck_assert_int_eq(a->dims[l], b->dims[l]);
    ck_assert_uint_eq(a->count, b->count);
    ck_assert_msg(memcmp(a->arena, b->arena, a->count * sizeof *a->arena) == 0,
                  "the arenas differ");
    /* the views point at the same places of their arenas */
    for (int l = 1; l <= a->L; l++) {
        ck_assert(a->W[l] - a->arena == b->W[l] - b->arena);
        ck_assert(a->b[l] - a->arena == b->b[l] - b->arena);
    }
}

/* A load that must fail: status, no parameters, a message naming the file. */
static void assert_load_fails(const char *path, dnn_status expected, const char *what)
{
    dnn_error err = {"", -1};
    static dnn_params sentinel;
    dnn_params *p = &sentinel; /* must come back NULL */
    dnn_status st = load(path, &p, NULL, &err);
    ck_assert_msg(st == expected, "%s: status %s, expected %s (%s)", what,
                  dnn_status_string(st), dnn_status_string(expected), err.message);
    ck_assert_msg(p == NULL, "%s: parameters returned on failure", what);
    ck_assert_msg(strstr(err.message, path) != NULL, "%s: message '%s' does not name %s", what,
                  err.message, path);
}

/* ---- reading the file with the HDF5 API ---- */

static void read_dataset_2d(hid_t file, const char *name, hsize_t rows, hsize_t cols,
                            double *rowmajor)
{
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    ck_assert_msg(set >= 0, "dataset %s missing", name);
    hid_t space = H5Dget_space(set), type = H5Dget_type(set);
    hsize_t d[2] = {0, 0};
    ck_assert_int_eq(H5Sget_simple_extent_ndims(space), 2);
    H5Sget_simple_extent_dims(space, d, NULL);
    ck_assert_msg(d[0] == rows && d[1] == cols, "%s: shape (%llu, %llu), expected (%llu, %llu)",
                  name, (unsigned long long)d[0], (unsigned long long)d[1],
                  (unsigned long long)rows, (unsigned long long)cols);
    ck_assert(H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == 8);
    ck_assert(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rowmajor) >= 0);
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(set);
}

static void read_attribute(hid_t file, const char *name, hid_t type, hssize_t points,
                           void *out)
{
    hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    ck_assert_msg(attr >= 0, "attribute %s missing", name);
    hid_t space = H5Aget_space(attr);
    ck_assert_int_eq(H5Sget_simple_extent_npoints(space), points);
    ck_assert(H5Aread(attr, type, out) >= 0);
    H5Sclose(space);
    H5Aclose(attr);
}

static void read_string_attribute(hid_t file, const char *name, char *out, size_t size)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, size);
    memset(out, 0, size);
    read_attribute(file, name, type, 1, out);
    H5Tclose(type);
    out[size - 1] = '\0';
}

/* ---- tests ---- */

START_TEST(round_trip_is_bit_for_bit)
{
    char dir[512], path[512];
    test_dir(dir, sizeof dir, "round_trip");
    join_path(path, sizeof path, dir, "model.h5");
    dnn_params *p = random_params(3, dims_5431, DNN_INIT_HE, 3);
    save_ok(path, p, &info_he3);
    ck_assert_int_eq(count_entries(dir), 1);

    dnn_model_info info;
    memset(&info, 0x5a, sizeof info);
    dnn_params *q = load_ok(path, &info);
    assert_same_params(p, q);
    ck_assert_uint_eq(dnn_params_hash(p), dnn_params_hash(q));
    ck_assert_uint_eq(info.seed, 3);
    ck_assert_int_eq(info.iterations, 17);
    ck_assert(info.learning_rate == 0.25);
    ck_assert_msg(memchr(info.init, '\0', sizeof info.init) && strcmp(info.init, "he") == 0,
                  "info.init after loading is '%.31s', saved 'he'",
                  info.init);

    /* info may be NULL on both sides */
    dnn_params_free(&q);
    save_ok(path, p, NULL);
    q = load_ok(path, NULL);
    assert_same_params(p, q);
    dnn_params_free(&q);
    dnn_params_free(&p);
}
END_TEST

START_TEST(round_trip_of_other_shapes)
{
    const int one[] = {1, 1}, deep[] = {7, 6, 5, 4, 3, 2, 1}, wide[] = {300, 1};
    const struct {
        int L;
        const int *dims;
        dnn_init init;
    } cases[] = {{1, one, DNN_INIT_NORMAL_001}, {6, deep, DNN_INIT_LECUN}, {1, wide, DNN_INIT_HE}};
    char dir[512], path[512];
    test_dir(dir, sizeof dir, "shapes");
    join_path(path, sizeof path, dir, "model.h5");
    for (int i = 0; i < (int)(sizeof cases / sizeof *cases); i++) {
        dnn_params *p = random_params(cases[i].L, cases[i].dims, cases[i].init, 1000 + i);
        /* biases are zero after initialization: make them count */
        for (int l = 1; l <= p->L; l++)
            for (int k = 0; k < p->dims[l]; k++)
                p->b[l][k] = -0.5 * (l + k) + 1e-300;
        save_ok(path, p, &info_he3);
        dnn_params *q = load_ok(path, NULL);
        assert_same_params(p, q);
        dnn_params_free(&q);
        dnn_params_free(&p);
    }
}
END_TEST

START_TEST(file_layout_is_row_major_with_attributes)
{
    char dir[512], path[512];
    test_dir(dir, sizeof dir, "layout");
    join_path(path, sizeof path, dir, "model.h5");
    dnn_params *p = random_params(3, dims_5431, DNN_INIT_HE, 3);
    for (int l = 1; l <= p->L; l++)
        for (int k = 0; k < p->dims[l]; k++)
            p->b[l][k] = 0.125 * (k + 1) * l;
    save_ok(path, p, &info_he3);

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(file >= 0);
    char name[16];
    double buf[64];
    for (int l = 1; l <= p->L; l++) {
        int rows = p->dims[l], cols = p->dims[l - 1];
        snprintf(name, sizeof name, "W%d", l);
        read_dataset_2d(file, name, (hsize_t)rows, (hsize_t)cols, buf);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                ck_assert_msg(memcmp(&buf[i * cols + j], &p->W[l][i * cols + j],
                                     sizeof(double)) == 0,
                              "%s(%d, %d) = %.17g in the file, %.17g in memory", name, i, j,
                              buf[i * cols + j], p->W[l][i * cols + j]);
        snprintf(name, sizeof name, "b%d", l);
        read_dataset_2d(file, name, (hsize_t)rows, 1, buf);
        ck_assert(memcmp(buf, p->b[l], (size_t)rows * sizeof(double)) == 0);
    }
    /* W1 (4, 5), row-major in the file and (dnn/params.h) in memory: the file's second
     * element is W1(0, 1), its sixth W1(1, 0) */
    read_dataset_2d(file, "W1", 4, 5, buf);
    ck_assert(buf[1] == p->W[1][0 * 5 + 1] && buf[5] == p->W[1][1 * 5 + 0]);
    ck_assert(buf[1] != buf[5]); /* so a transposed layout would not pass */

    int sizes[4] = {0};
    read_attribute(file, "layer_sizes", H5T_NATIVE_INT, 4, sizes);
    ck_assert(memcmp(sizes, dims_5431, sizeof sizes) == 0);
    char text[64];
    read_string_attribute(file, "activations", text, sizeof text);
    ck_assert_str_eq(text, "relu,relu,sigmoid");
    read_string_attribute(file, "init", text, sizeof text);
    ck_assert_str_eq(text, "he");
    unsigned seed = 0;
    long long iterations = 0;
    double lr = 0;
    read_attribute(file, "seed", H5T_NATIVE_UINT, 1, &seed);
    read_attribute(file, "iterations", H5T_NATIVE_LLONG, 1, &iterations);
    read_attribute(file, "learning_rate", H5T_NATIVE_DOUBLE, 1, &lr);
    ck_assert_uint_eq(seed, 3);
    ck_assert_int_eq(iterations, 17);
    ck_assert(lr == 0.25);
    ck_assert_int_eq(H5Fget_obj_count(file, H5F_OBJ_ALL & ~H5F_OBJ_FILE), 0);
    H5Fclose(file);
    dnn_params_free(&p);
}
END_TEST

START_TEST(save_replaces_an_existing_file)
{
    char dir[512], path[512];
    test_dir(dir, sizeof dir, "replace");
    join_path(path, sizeof path, dir, "model.h5");
    dnn_params *a = random_params(3, dims_5431, DNN_INIT_HE, 3);
    const int other[] = {2, 9, 1};
    dnn_params *b = random_params(2, other, DNN_INIT_LECUN, 4);

    write_file(path, "not a model\n", 12); /* any file at the path is replaced */
    save_ok(path, a, &info_he3);
    dnn_params *q = load_ok(path, NULL);
    assert_same_params(a, q);
    dnn_params_free(&q);

    save_ok(path, b, NULL); /* a different shape over the old model */
    q = load_ok(path, NULL);
    assert_same_params(b, q);
    dnn_params_free(&q);
    ck_assert_int_eq(count_entries(dir), 1);
    dnn_params_free(&a);
    dnn_params_free(&b);
}
END_TEST

/* A save that must fail: status, a message naming the path, no temporary file. */
static void assert_save_fails(const char *dir, const char *path, const dnn_params *p,
                              dnn_status expected, int entries)
{
    dnn_error err = {"", -1};
    dnn_status st = save(path, p, &info_he3, &err);
    ck_assert_msg(st == expected, "saving %s: status %s, expected %s (%s)", path,
                  dnn_status_string(st), dnn_status_string(expected), err.message);
    ck_assert_msg(strstr(err.message, path) != NULL, "message '%s' does not name %s",
                  err.message, path);
    ck_assert_int_eq(count_entries(dir), entries);
}

START_TEST(failed_saves_leave_nothing_behind)
{
    char dir[512], path[512], sub[512];
    test_dir(dir, sizeof dir, "failed_save");
    dnn_params *p = random_params(3, dims_5431, DNN_INIT_HE, 3);

    /* a directory that does not exist */
    join_path(path, sizeof path, dir, "missing/model.h5");
    assert_save_fails(dir, path, p, DNN_ERR_IO, 0);

    /* a path that is a directory: it stays a directory, and empty */
    join_path(sub, sizeof sub, dir, "adir");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    assert_save_fails(dir, sub, p, DNN_ERR_IO, 1);
    ck_assert_int_eq(count_entries(sub), 0);

    /* a path under a regular file */
    join_path(path, sizeof path, dir, "model.h5");
    save_ok(path, p, &info_he3);
    join_path(sub, sizeof sub, dir, "model.h5/x.h5");
    assert_save_fails(dir, sub, p, DNN_ERR_IO, 2);

    /* no path, no parameters */
    dnn_error err = {"", -1};
    ck_assert_int_eq(dnn_model_save(NULL, p, NULL, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_model_save("", p, NULL, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_model_save(path, NULL, NULL, &err), DNN_ERR_ARG);
    ck_assert_int_eq(count_entries(dir), 2);
    dnn_params_free(&p);
}
END_TEST

/* A save that fails while writing (the file size limit stands in for a full disk, and
 * stops root too) leaves the model that was there byte for byte, and no temporary file. */
START_TEST(a_save_failing_midway_keeps_the_old_model)
{
    char dir[512], path[512];
    test_dir(dir, sizeof dir, "midway");
    join_path(path, sizeof path, dir, "model.h5");
    dnn_params *small = random_params(3, dims_5431, DNN_INIT_HE, 3);
    save_ok(path, small, &info_he3);
    blob before = read_file(path);

    const int big_dims[] = {4000, 8, 1}; /* 256 KB of weights */
    dnn_params *big = random_params(2, big_dims, DNN_INIT_HE, 5);
    struct rlimit old, limit;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    limit = old;
    limit.rlim_cur = 64 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    dnn_error err = {"", -1};
    dnn_status st = save(path, big, &info_he3, &err);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);

    ck_assert_msg(st == DNN_ERR_IO, "status %s (%s)", dnn_status_string(st), err.message);
    ck_assert_msg(strstr(err.message, path) != NULL, "message '%s' does not name %s",
                  err.message, path);
    ck_assert_msg(file_equals(path, &before), "%s changed (was %zu bytes)", path, before.size);
    ck_assert_int_eq(count_entries(dir), 1);
    dnn_params *q = load_ok(path, NULL);
    assert_same_params(small, q);

    /* without the limit the same save goes through */
    save_ok(path, big, &info_he3);
    dnn_params_free(&q);
    q = load_ok(path, NULL);
    assert_same_params(big, q);
    ck_assert_int_eq(count_entries(dir), 1);
    free(before.bytes);
    dnn_params_free(&q);
    dnn_params_free(&big);
    dnn_params_free(&small);
}
END_TEST

/* Seals the model at path again after an edit with HDF5 (as include/dnn/model_io.h
 * describes the seal), so that the checks behind the seal are what the edit meets. */
static void reseal(const char *path)
{
    blob b = read_file(path);
    ck_assert(b.size > 512);
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a 64 of everything after the seal */
    for (size_t i = 512; i < b.size; i++)
        h = (h ^ b.bytes[i]) * 0x100000001b3u;
    memset(b.bytes, 0, 512);
    snprintf((char *)b.bytes, 512, "dnn-model 1\nfnv1a64 %016llx\n", (unsigned long long)h);
    write_file(path, b.bytes, b.size);
    free(b.bytes);
}

/* Rewrites one dataset of a saved model with another shape. */
static void replace_dataset(const char *path, const char *name, hsize_t rows, hsize_t cols)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(file >= 0);
    ck_assert(H5Ldelete(file, name, H5P_DEFAULT) >= 0);
    hsize_t d[2] = {rows, cols};
    double zeros[64] = {0};
    ck_assert(rows * cols <= 64);
    hid_t space = H5Screate_simple(2, d, NULL);
    hid_t set = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                           H5P_DEFAULT);
    ck_assert(set >= 0);
    ck_assert(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) >= 0);
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(file);
    reseal(path);
}

/* Replaces dataset name by one of shape (rows, cols) whose values are never written
 * (chunked: no chunk is ever stored), as a crafted file would have it. */
static void replace_by_unwritten(const char *path, const char *name, hsize_t rows,
                                 hsize_t cols)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(file >= 0);
    ck_assert(H5Ldelete(file, name, H5P_DEFAULT) >= 0);
    hsize_t d[2] = {rows, cols}, chunk[2] = {rows < 256 ? rows : 256, cols < 256 ? cols : 256};
    hid_t space = H5Screate_simple(2, d, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ck_assert(H5Pset_chunk(dcpl, 2, chunk) >= 0);
    hid_t set = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ck_assert(set >= 0);
    H5Dclose(set);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(file);
    reseal(path);
}

static void remove_object(const char *path, const char *name)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(file >= 0);
    herr_t rc = strcmp(name, "layer_sizes") == 0 ? H5Adelete(file, name)
                                                 : H5Ldelete(file, name, H5P_DEFAULT);
    ck_assert(rc >= 0);
    H5Fclose(file);
    reseal(path);
}

static void replace_layer_sizes(const char *path, int n, const int *sizes)
{
    remove_object(path, "layer_sizes");
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(file >= 0);
    hsize_t count = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &count, NULL);
    hid_t attr = H5Acreate2(file, "layer_sizes", H5T_NATIVE_INT, space, H5P_DEFAULT,
                            H5P_DEFAULT);
    ck_assert(attr >= 0 && H5Awrite(attr, H5T_NATIVE_INT, sizes) >= 0);
    H5Aclose(attr);
    H5Sclose(space);
    H5Fclose(file);
    reseal(path);
}

START_TEST(bad_files_are_refused)
{
    char dir[512], path[512], good[512];
    test_dir(dir, sizeof dir, "bad_files");
    dnn_params *p = random_params(3, dims_5431, DNN_INIT_HE, 3);
    join_path(good, sizeof good, dir, "good.h5");
    save_ok(good, p, &info_he3);
    blob model = read_file(good);

    join_path(path, sizeof path, dir, "missing.h5");
    assert_load_fails(path, DNN_ERR_IO, "a missing file");

    join_path(path, sizeof path, dir, "text.h5");
    write_file(path, "W1,b1\n1,2\n", 10);
    assert_load_fails(path, DNN_ERR_IO, "a text file");

    join_path(path, sizeof path, dir, "empty.h5");
    write_file(path, "", 0);
    assert_load_fails(path, DNN_ERR_IO, "an empty file");

    join_path(path, sizeof path, dir, "truncated.h5");
    write_file(path, model.bytes, model.size / 2);
    dnn_error err = {"", -1};
    dnn_params *q = NULL;
    dnn_status st = load(path, &q, NULL, &err);
    ck_assert_msg(st == DNN_ERR_IO || st == DNN_ERR_DATA, "a truncated model: %s",
                  dnn_status_string(st));
    ck_assert(q == NULL && strstr(err.message, path) != NULL);

    join_path(path, sizeof path, dir, "a_directory.h5");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    assert_load_fails(path, DNN_ERR_IO, "a directory");

    /* HDF5, but not a model: a data file with no layer_sizes */
    join_path(path, sizeof path, dir, "no_sizes.h5");
    write_file(path, model.bytes, model.size);
    remove_object(path, "layer_sizes");
    assert_load_fails(path, DNN_ERR_DATA, "no layer_sizes");

    const int not_one[] = {5, 4, 3, 2}, zero[] = {5, 0, 3, 1}, single[] = {5};
    const struct {
        const char *name;
        int n;
        const int *sizes;
    } bad_sizes[] = {{"last_not_1.h5", 4, not_one}, {"zero_width.h5", 4, zero},
                     {"one_size.h5", 1, single}};
    for (int i = 0; i < (int)(sizeof bad_sizes / sizeof *bad_sizes); i++) {
        join_path(path, sizeof path, dir, bad_sizes[i].name);
        write_file(path, model.bytes, model.size);
        replace_layer_sizes(path, bad_sizes[i].n, bad_sizes[i].sizes);
        assert_load_fails(path, DNN_ERR_DATA, bad_sizes[i].name);
    }

    const struct {
        const char *file, *dataset;
        hsize_t rows, cols;
    } bad_shapes[] = {{"w2_transposed.h5", "W2", 4, 3}, {"w2_rows.h5", "W2", 2, 4},
                      {"w2_cols.h5", "W2", 3, 3},       {"b1_row.h5", "b1", 1, 4},
                      {"b2_rows.h5", "b2", 4, 1},       {"w3_wide.h5", "W3", 1, 4}};
    for (int i = 0; i < (int)(sizeof bad_shapes / sizeof *bad_shapes); i++) {
        join_path(path, sizeof path, dir, bad_shapes[i].file);
        write_file(path, model.bytes, model.size);
        replace_dataset(path, bad_shapes[i].dataset, bad_shapes[i].rows, bad_shapes[i].cols);
        assert_load_fails(path, DNN_ERR_DATA, bad_shapes[i].file);
    }

    join_path(path, sizeof path, dir, "no_b3.h5");
    write_file(path, model.bytes, model.size);
    remove_object(path, "b3");
    assert_load_fails(path, DNN_ERR_DATA, "no b3");

    /* the course's data file is HDF5 but no model */
    const char course[] = DNN_SHARED_DATA_DIR "/test_catvnoncat.h5";
    if (access(course, R_OK) == 0)
        assert_load_fails(course, DNN_ERR_DATA, "the course's test set");
    else
        printf("skipped: %s not found\n", course);

    ck_assert_int_eq(dnn_model_load(NULL, &q, NULL, &err), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_model_load(good, NULL, NULL, &err), DNN_ERR_ARG);
    /* the good copy still loads */
    q = load_ok(good, NULL);
    assert_same_params(p, q);
    dnn_params_free(&q);
    free(model.bytes);
    dnn_params_free(&p);
}
END_TEST

/* Issue 19: what a file's sizes ask for is checked before anything is allocated; only
 * regular files are opened. */
START_TEST(sizes_are_checked_before_allocation)
{
    char dir[512], path[512], good[512];
    test_dir(dir, sizeof dir, "sizes");
    dnn_params *p = random_params(3, dims_5431, DNN_INIT_HE, 3);
    join_path(good, sizeof good, dir, "good.h5");
    save_ok(good, p, &info_he3);
    blob model = read_file(good);
    dnn_error err = {"", -1};
    int L = 0, dims[DNN_MODEL_MAX_LAYERS + 1];
    ck_assert_int_eq(dnn_model_probe(good, &L, dims, &err), DNN_OK);
    ck_assert(L == 3 && dims[0] == 5 && dims[1] == 4 && dims[2] == 3 && dims[3] == 1);

    /* W2, b2 and W3 never written: layer sizes 5,4,30000,1 in a file of a few KB would
     * make the reader allocate for them and read made-up zeros */
    const int big[] = {5, 4, 30000, 1};
    join_path(path, sizeof path, dir, "unwritten.h5");
    write_file(path, model.bytes, model.size);
    replace_layer_sizes(path, 4, big);
    replace_by_unwritten(path, "W2", 30000, 4);
    replace_by_unwritten(path, "b2", 30000, 1);
    replace_by_unwritten(path, "W3", 1, 30000);
    assert_load_fails(path, DNN_ERR_DATA, "datasets never written");
    ck_assert_int_eq(dnn_model_probe(path, &L, dims, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "not all stored in the file"), "%s", err.message);

    /* the parameters must fit under the memory limit */
    setenv("DNN_MEMORY_LIMIT", "100", 1);
    assert_load_fails(good, DNN_ERR_NOMEM, "a memory limit of 100 bytes");
    ck_assert_int_eq(dnn_model_probe(good, &L, dims, &err), DNN_ERR_NOMEM);
    ck_assert_msg(strstr(err.message, "out of memory") && strstr(err.message, "DNN_MEMORY_LIMIT"),
                  "%s", err.message);
    unsetenv("DNN_MEMORY_LIMIT");

    /* a FIFO is never opened (that would block), nor /dev/zero read */
    join_path(path, sizeof path, dir, "fifo.h5");
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    assert_load_fails(path, DNN_ERR_IO, "a FIFO");
    ck_assert_int_eq(dnn_model_probe(path, &L, dims, &err), DNN_ERR_IO);
    ck_assert_msg(strstr(err.message, "is a FIFO, not a regular file"), "%s", err.message);
    if (access("/dev/zero", R_OK) == 0)
        assert_load_fails("/dev/zero", DNN_ERR_IO, "/dev/zero");
    free(model.bytes);
    dnn_params_free(&p);
}
END_TEST


/* Issue 20: the transform and dtype are recorded and read back; the file is sealed. */
START_TEST(transform_and_dtype_round_trip)
{
    char dir[512], path[512];
    test_dir(dir, sizeof dir, "transform");
    join_path(path, sizeof path, dir, "model.h5");
    dnn_params *p = random_params(3, dims_5431, DNN_INIT_HE, 3);
    double mean[5] = {1e3, -0.01, 0.0, 7.5, 1e-300}, dev[5] = {250.0, 0.003, 1.0, 2.0, 1e-300};
    dnn_model_info info = info_he3, back;
    info.transform = DNN_INPUT_STANDARDIZE;
    info.mean = mean;
    info.deviation = dev;
    snprintf(info.dtype, sizeof info.dtype, "float32");
    save_ok(path, p, &info);
    dnn_params *q = load_ok(path, &back);
    assert_same_params(p, q);
    ck_assert_int_eq(back.transform, DNN_INPUT_STANDARDIZE);
    ck_assert_str_eq(back.dtype, "float32");
    ck_assert_int_eq(back.sealed, 1);
    ck_assert(back.mean && back.deviation);
    ck_assert(memcmp(back.mean, mean, sizeof mean) == 0);
    ck_assert(memcmp(back.deviation, dev, sizeof dev) == 0);
    dnn_model_info_free(&back);
    ck_assert(!back.mean && !back.deviation);
    dnn_params_free(&q);

    /* /255 and none carry no arrays; an unrecorded transform writes no attribute */
    const dnn_input_transform kinds[] = {DNN_INPUT_SCALE255, DNN_INPUT_NONE, DNN_INPUT_UNRECORDED};
    for (int k = 0; k < 3; k++) {
        info = info_he3;
        info.transform = kinds[k];
        save_ok(path, p, &info);
        q = load_ok(path, &back);
        ck_assert_int_eq(back.transform, kinds[k]);
        ck_assert(!back.mean && !back.deviation && back.dtype[0] == '\0');
        dnn_params_free(&q);
    }
    /* the same model gives the same bytes (no timestamps) */
    blob first = read_file(path);
    save_ok(path, p, &info);
    ck_assert(file_equals(path, &first));
    free(first.bytes);
    dnn_params_free(&p);
}
END_TEST

static void set_string_attribute(const char *path, const char *name, const char *value)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(file >= 0);
    if (H5Aexists(file, name) > 0)
        ck_assert(H5Adelete(file, name) >= 0);
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR);
    H5Tset_size(type, strlen(value) + 1);
    hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert(attr >= 0 && H5Awrite(attr, type, value) >= 0);
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(file);
    reseal(path);
}

/* Issue 20: one flipped byte anywhere is refused as damage; a file without a seal (the
 * format before) is read; a transform that makes no sense is refused. */
START_TEST(damaged_and_unsealed_models)
{
    char dir[512], path[512], good[512];
    test_dir(dir, sizeof dir, "damaged");
    join_path(good, sizeof good, dir, "good.h5");
    join_path(path, sizeof path, dir, "bad.h5");
    dnn_params *p = random_params(3, dims_5431, DNN_INIT_HE, 3);
    double mean[5] = {0}, dev[5] = {1, 1, 1, 1, 1};
    dnn_model_info info = info_he3, back;
    info.transform = DNN_INPUT_STANDARDIZE;
    info.mean = mean;
    info.deviation = dev;
    save_ok(good, p, &info);
    blob model = read_file(good);
    dnn_error err = {"", -1};
    int L = 0, dims[DNN_MODEL_MAX_LAYERS + 1];
    /* every 97th byte, seal included, flipped alone */
    for (size_t at = 0; at < model.size; at += 97) {
        model.bytes[at] ^= 0x10;
        write_file(path, model.bytes, model.size);
        model.bytes[at] ^= 0x10;
        dnn_params *q = NULL;
        dnn_status st = dnn_model_load(path, &q, NULL, &err);
        ck_assert_msg(st == DNN_ERR_DATA && !q, "byte %zu flipped: status %d", at, st);
        ck_assert_msg(at < 512 || strstr(err.message, "checksum mismatch"), "%s", err.message);
        ck_assert_int_eq(dnn_model_probe(path, &L, dims, &err), DNN_ERR_DATA);
    }
    /* cut short */
    write_file(path, model.bytes, model.size - 1);
    assert_load_fails(path, DNN_ERR_DATA, "a model one byte short");

    /* a blank user block is no model: damage, not the older format */
    unsigned char seal[512];
    memcpy(seal, model.bytes, 512);
    memset(model.bytes, 0, 512);
    write_file(path, model.bytes, model.size);
    assert_load_fails(path, DNN_ERR_DATA, "a blank seal");
    memcpy(model.bytes, seal, 512);

    /* no seal, the HDF5 superblock first: a model as dnn-train wrote them before the
     * seal, read as it was, the transform unrecorded */
    dnn_params *q = load_ok(DNN_TEST_DATA_DIR "/model_unsealed_8_4_1.h5", &back);
    ck_assert(q->L == 2 && q->dims[0] == 8 && q->dims[1] == 4 && q->dims[2] == 1);
    ck_assert_int_eq(back.sealed, 0);
    ck_assert_int_eq(back.transform, DNN_INPUT_UNRECORDED);
    ck_assert(back.dtype[0] == '\0' && !back.mean && !back.deviation);
    dnn_params_free(&q);

    /* a transform or dtype of another name, deviations <= 0 */
    write_file(path, model.bytes, model.size);
    set_string_attribute(path, "input_transform", "log");
    assert_load_fails(path, DNN_ERR_DATA, "input_transform 'log'");
    write_file(path, model.bytes, model.size);
    set_string_attribute(path, "dtype", "float16");
    assert_load_fails(path, DNN_ERR_DATA, "dtype 'float16'");
    dev[2] = 0.0;
    save_ok(good, p, &info);
    assert_load_fails(good, DNN_ERR_DATA, "a deviation of 0");
    dev[2] = 1.0;
    save_ok(good, p, &info);
    remove_object(good, "input_deviation");
    assert_load_fails(good, DNN_ERR_DATA, "no input_deviation");
    ck_assert_int_eq(dnn_model_probe(good, &L, dims, &err), DNN_ERR_DATA);
    free(model.bytes);
    dnn_params_free(&p);
}
END_TEST

int main(void)
{
    H5open();
    Suite *s = suite_create("model_io");
    TCase *tc = tcase_create("model_io");
    tcase_add_unchecked_fixture(tc, make_tmpdir, remove_tmpdir);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, round_trip_is_bit_for_bit);
    tcase_add_test(tc, round_trip_of_other_shapes);
    tcase_add_test(tc, file_layout_is_row_major_with_attributes);
    tcase_add_test(tc, save_replaces_an_existing_file);
    tcase_add_test(tc, failed_saves_leave_nothing_behind);
    tcase_add_test(tc, a_save_failing_midway_keeps_the_old_model);
    tcase_add_test(tc, bad_files_are_refused);
    tcase_add_test(tc, sizes_are_checked_before_allocation);
    tcase_add_test(tc, transform_and_dtype_round_trip);
    tcase_add_test(tc, damaged_and_unsealed_models);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
