/* Checkpoints: a save/load round trip is bit for bit and byte-reproducible, early
 * stopping's and the mini-batch position's fields too; files without those fields (older
 * version 2 and version 1) load with their defaults; every single-byte change and every
 * truncation of a checkpoint is refused, with nothing loaded; failed saves leave the old
 * file as it was; dnn_checkpoint_mismatch names each difference; the data fingerprint
 * does not depend on how the examples are split into blocks. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnn/checkpoint.h"
#include "dnn/model_io.h"
#include "test_files.h"
#include "test_util.h"

static char dir[64];

static void setup(void)
{
    make_temp_dir(dir, sizeof dir, "dnn_test_checkpoint");
}

static void teardown(void)
{
    remove_tree(dir);
}

/* A 5-4-3-1 network and a description of a run that could have made it. */
static const int dims[] = {5, 4, 3, 1};

static dnn_params *sample_params(void)
{
    dnn_params *p = dnn_params_new(3, dims);
    ck_assert(p != NULL);
    dnn_initialize_parameters_deep(p, DNN_INIT_HE, 7);
    p->b[2][1] = -0.0; /* signed zero and a subnormal must survive too */
    p->b[3][0] = 4.9e-324;
    return p;
}

/* Best parameters for the sample's layout (43 doubles), all different from the
 * sample's, a signed zero among them. */
enum { SAMPLE_COUNT = 5 * 4 + 4 + 4 * 3 + 3 + 3 + 1 };
static double sample_best[SAMPLE_COUNT];

static double *best_params(void)
{
    for (int i = 0; i < SAMPLE_COUNT; i++)
        sample_best[i] = 1.0 / (double)(i + 1) - 0.5;
    sample_best[7] = -0.0;
    return sample_best;
}

/* Without early stopping's fields and at the start of an epoch: what older files hold. */
static dnn_checkpoint_info sample_info_plain(void)
{
    dnn_checkpoint_info ci;
    memset(&ci, 0, sizeof ci);
    ci.L = 3;
    memcpy(ci.dims, dims, sizeof dims);
    strcpy(ci.dtype, "float64");
    ci.chunk = 64;
    ci.reduce = DNN_REDUCE_EXACT;
    ci.learning_rate = 0.0075;
    ci.m_total = 1000;
    ci.n_features = 5;
    ci.data_fingerprint = 0x0123456789abcdefu;
    strcpy(ci.init, "he");
    ci.seed = 7;
    ci.next_iteration = 120;
    return ci;
}

/* With every optional field, so that the byte-by-byte tests below cover them too. */
static dnn_checkpoint_info sample_info(void)
{
    dnn_checkpoint_info ci = sample_info_plain();
    ci.best_params = best_params();
    ci.best_cost = 0.4321;
    ci.best_iteration = 100;
    ci.prints_since_best = 2;
    ci.epoch = 7;
    ci.epoch_position = 3;
    ci.epoch_cost_sum = 1.0 / 3.0;
    ci.epoch_examples = 192;
    return ci;
}

static int same_info(const dnn_checkpoint_info *a, const dnn_checkpoint_info *b)
{
    return dnn_checkpoint_mismatch(a, b, NULL, 0) == 0 && strcmp(a->init, b->init) == 0 &&
           a->seed == b->seed && a->next_iteration == b->next_iteration;
}

/* The optional fields, bit for bit (doubles by their bits: -0.0 is not 0.0). */
static int same_extras(const dnn_checkpoint_info *a, const dnn_checkpoint_info *b,
                       size_t count)
{
    int same_best = (a->best_params == NULL) == (b->best_params == NULL) &&
                    (!a->best_params ||
                     memcmp(a->best_params, b->best_params, count * sizeof(double)) == 0);
    return same_best && memcmp(&a->best_cost, &b->best_cost, sizeof(double)) == 0 &&
           a->best_iteration == b->best_iteration &&
           a->prints_since_best == b->prints_since_best && a->epoch == b->epoch &&
           a->epoch_position == b->epoch_position &&
           memcmp(&a->epoch_cost_sum, &b->epoch_cost_sum, sizeof(double)) == 0 &&
           a->epoch_examples == b->epoch_examples;
}

static void save_sample(const char *path)
{
    dnn_params *p = sample_params();
    dnn_checkpoint_info ci = sample_info();
    dnn_error err;
    ck_assert_msg(dnn_checkpoint_save(path, p, &ci, &err) == DNN_OK, "%s", err.message);
    dnn_params_free(&p);
    assert_no_hdf5_open(path);
    struct stat st; /* the byte-by-byte tests below need a non-empty file */
    ck_assert(stat(path, &st) == 0 && st.st_size > 0);
}

START_TEST(round_trip_is_exact_and_reproducible)
{
    char a[128], b[128];
    join_path(a, sizeof a, dir, "a.h5");
    join_path(b, sizeof b, dir, "b.h5");
    save_sample(a);
    save_sample(b);
    ck_assert_int_eq(count_entries(dir), 2); /* no temporary file left */
    blob first = read_file(a);
    ck_assert_msg(file_equals(b, &first), "two saves of the same state differ");
    free(first.bytes);

    dnn_params *p = NULL, *expected = sample_params();
    dnn_checkpoint_info ci, want = sample_info();
    dnn_error err;
    ck_assert_msg(dnn_checkpoint_load(a, &p, &ci, &err) == DNN_OK, "%s", err.message);
    assert_no_hdf5_open(a);
    ck_assert(same_params(p, expected));
    ck_assert(same_info(&ci, &want));
    ck_assert_int_eq((int)p->count, SAMPLE_COUNT);
    ck_assert(same_extras(&ci, &want, p->count));
    ck_assert(signbit(ci.best_params[7]));
    ck_assert(signbit(p->b[2][1]) && p->b[3][0] == 4.9e-324);
    free(ci.best_params);
    dnn_params_free(&p);
    dnn_params_free(&expected);
}
END_TEST

/* Version 2: the update rule and Adam's state come back bit for bit, and a resume with
 * another rule is named. */
START_TEST(update_state_round_trips)
{
    char path[128];
    join_path(path, sizeof path, dir, "adam.h5");
    dnn_params *p = sample_params(), *loaded = NULL;
    dnn_checkpoint_info ci = sample_info(), back;
    ci.update = dnn_update_defaults();
    ci.update.optimizer = DNN_OPT_ADAM;
    ci.update.l2 = 0.25;
    ci.lr_decay = 0.5;
    ci.decay_interval = 10;
    ci.update_steps = 120;
    double *v = malloc(p->count * sizeof *v), *s = malloc(p->count * sizeof *s);
    ck_assert(v && s);
    for (size_t i = 0; i < p->count; i++) {
        v[i] = -1.0 / (double)(i + 3);
        s[i] = ldexp(1.0, -(int)i - 1000);
    }
    ci.state_v = v;
    ci.state_s = s;
    dnn_error err;
    ck_assert_msg(dnn_checkpoint_save(path, p, &ci, &err) == DNN_OK, "%s", err.message);
    ck_assert_msg(dnn_checkpoint_load(path, &loaded, &back, &err) == DNN_OK, "%s", err.message);
    ck_assert(same_info(&back, &ci));
    ck_assert_int_eq(back.update_steps, 120);
    ck_assert(back.state_v && back.state_s);
    ck_assert(memcmp(back.state_v, v, p->count * sizeof *v) == 0);
    ck_assert(memcmp(back.state_s, s, p->count * sizeof *s) == 0);
    dnn_checkpoint_info other = ci;
    other.update.optimizer = DNN_OPT_MOMENTUM;
    other.lr_decay = 0.0;
    char msg[512];
    ck_assert_int_eq(dnn_checkpoint_mismatch(&back, &other, msg, sizeof msg), 2);
    ck_assert_msg(strstr(msg, "--optimizer: checkpoint adam, this run momentum") &&
                      strstr(msg, "--lr-decay"),
                  "%s", msg);
    free(back.state_v);
    free(back.state_s);
    free(back.best_params);
    free(v);
    free(s);
    dnn_params_free(&p);
    dnn_params_free(&loaded);
}
END_TEST

/* Each changed byte, wherever it is, is refused and nothing is loaded. */
static void check_every_byte(unsigned char mask)
{
    char good[128], bad[128];
    join_path(good, sizeof good, dir, "good.h5");
    join_path(bad, sizeof bad, dir, "bad.h5");
    save_sample(good);
    blob b = read_file(good);
    for (size_t at = 0; at < b.size; at++) {
        b.bytes[at] ^= mask;
        write_file(bad, b.bytes, b.size);
        b.bytes[at] ^= mask;
        dnn_params *p = NULL;
        dnn_checkpoint_info ci = sample_info();
        ci.next_iteration = -7; /* must stay untouched */
        dnn_error err;
        dnn_status st = dnn_checkpoint_load(bad, &p, &ci, &err);
        assert_no_hdf5_open(bad);
        ck_assert_msg(st != DNN_OK, "byte %zu ^ 0x%02x of %zu: loaded", at, mask, b.size);
        ck_assert_msg(p == NULL && ci.next_iteration == -7, "byte %zu: half loaded", at);
        ck_assert_msg(strstr(err.message, bad) != NULL, "byte %zu: %s", at, err.message);
    }
    free(b.bytes);
}

START_TEST(every_changed_byte_is_refused)
{
    check_every_byte(0x01);
    check_every_byte(0xff);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
    char good[128], bad[128];
    join_path(good, sizeof good, dir, "good.h5");
    join_path(bad, sizeof bad, dir, "short.h5");
    save_sample(good);
    blob b = read_file(good);
    for (size_t len = 0; len < b.size; len++) {
        write_file(bad, b.bytes, len);
        dnn_params *p = NULL;
        dnn_checkpoint_info ci;
        dnn_error err;
        ck_assert_msg(dnn_checkpoint_load(bad, &p, &ci, &err) != DNN_OK && p == NULL,
                      "truncated to %zu of %zu bytes: loaded", len, b.size);
        assert_no_hdf5_open(bad);
    }
    free(b.bytes);
}
END_TEST

START_TEST(failed_saves_keep_the_old_file)
{
    char path[128], missing[128], sub[128];
    join_path(path, sizeof path, dir, "ck.h5");
    join_path(missing, sizeof missing, dir, "no-such-dir/ck.h5");
    join_path(sub, sizeof sub, dir, "a-directory");
    save_sample(path);
    blob before = read_file(path);
    dnn_params *p = sample_params();
    dnn_checkpoint_info ci = sample_info();
    dnn_error err;

    p->W[2][3] = NAN; /* a diverged state is never written */
    ck_assert_int_eq(dnn_checkpoint_save(path, p, &ci, &err), DNN_ERR_NONFINITE);
    ck_assert_msg(strstr(err.message, "layer 2") != NULL, "%s", err.message);
    p->W[2][3] = 0.5;
    ci.dims[1] = 6; /* info that does not describe the parameters */
    ck_assert_int_eq(dnn_checkpoint_save(path, p, &ci, &err), DNN_ERR_ARG);
    ci.dims[1] = dims[1];
    ck_assert(file_equals(path, &before));
    ck_assert_int_eq(count_entries(dir), 1);

    ck_assert_int_eq(dnn_checkpoint_save(missing, p, &ci, &err), DNN_ERR_IO);
    ck_assert_msg(strstr(err.message, missing) != NULL, "%s", err.message);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(dnn_checkpoint_save(sub, p, &ci, &err), DNN_ERR_IO);
    ck_assert_int_eq(count_entries(dir), 2); /* ck.h5 and the directory, nothing else */
    assert_no_hdf5_open("failed saves");
    dnn_params_free(&p);
    free(before.bytes);
}
END_TEST

START_TEST(other_files_are_refused)
{
    char path[128];
    dnn_params *p = NULL;
    dnn_checkpoint_info ci;
    dnn_error err;
    join_path(path, sizeof path, dir, "absent.h5");
    ck_assert_int_eq(dnn_checkpoint_load(path, &p, &ci, &err), DNN_ERR_IO);
    ck_assert(strstr(err.message, path) != NULL);

    join_path(path, sizeof path, dir, "text.h5");
    write_file(path, "hello\n", 6);
    ck_assert_int_eq(dnn_checkpoint_load(path, &p, &ci, &err), DNN_ERR_DATA);

    join_path(path, sizeof path, dir, "model.h5");
    dnn_params *model = sample_params();
    dnn_model_info info = {.init = "he", .seed = 7, .iterations = 10, .learning_rate = 0.1};
    ck_assert_int_eq(dnn_model_save(path, model, &info, &err), DNN_OK);
    ck_assert_int_eq(dnn_checkpoint_load(path, &p, &ci, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "not a dnn checkpoint") != NULL, "%s", err.message);
    dnn_params_free(&model);

    /* a newer format version is refused by name */
    join_path(path, sizeof path, dir, "v3.h5");
    save_sample(path);
    blob b = read_file(path);
    ck_assert(memcmp(b.bytes, "dnn-checkpoint 2\n", 17) == 0);
    b.bytes[15] = '3';
    write_file(path, b.bytes, b.size);
    free(b.bytes);
    ck_assert_int_eq(dnn_checkpoint_load(path, &p, &ci, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "version 3") != NULL, "%s", err.message);
    ck_assert(p == NULL);
    assert_no_hdf5_open("refused files");
}
END_TEST

START_TEST(mismatch_names_each_difference)
{
    dnn_checkpoint_info a = sample_info(), b = sample_info();
    char msg[1024];
    b.seed = 99; /* init and seed do not matter: the checkpoint replaces the start */
    strcpy(b.init, "lecun");
    b.next_iteration = 0;
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, msg, sizeof msg), 0);
    ck_assert_str_eq(msg, "");

    b = sample_info();
    b.dims[1] = 8;
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, msg, sizeof msg), 1);
    ck_assert_str_eq(msg, "layer sizes: checkpoint 5,4,3,1, this run 5,8,3,1");
    b = sample_info();
    b.L = 2;
    b.dims[2] = 1;
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, msg, sizeof msg), 1);
    ck_assert_str_eq(msg, "layer sizes: checkpoint 5,4,3,1, this run 5,4,1");
    b = sample_info();
    strcpy(b.dtype, "float32");
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, msg, sizeof msg), 1);
    ck_assert_str_eq(msg, "dtype: checkpoint float64, this run float32");
    b = sample_info();
    b.m_total = 999;
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, msg, sizeof msg), 1);
    ck_assert_msg(strstr(msg, "data: checkpoint 1000 examples") != NULL, "%s", msg);
    b = sample_info();
    b.data_fingerprint ^= 1;
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, msg, sizeof msg), 1);
    ck_assert_msg(strstr(msg, "different values") != NULL, "%s", msg);
    b = sample_info();
    b.chunk = 32;
    b.reduce = DNN_REDUCE_FAST;
    b.learning_rate = 0.1;
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, msg, sizeof msg), 3);
    ck_assert_str_eq(msg, "--chunk: checkpoint 64, this run 32; --reduce: checkpoint exact, "
                          "this run fast; --lr: checkpoint 0.0075, this run 0.1");
    /* a short buffer is cut, never overrun */
    char tiny[12];
    ck_assert_int_eq(dnn_checkpoint_mismatch(&a, &b, tiny, sizeof tiny), 3);
    ck_assert_int_eq((int)strlen(tiny), 11);
}
END_TEST

START_TEST(fingerprint_ignores_the_split)
{
    const long m = 300;
    dnn_dataset all, part;
    ck_assert_int_eq(dnn_synthetic_load(3, m, 6, 0, m, &all, NULL), DNN_OK);
    uint64_t whole = dnn_dataset_hash_sum(&all);
    const long cuts[][3] = {{0, 1, m}, {0, 64, 128}, {0, 299, 300}, {0, 150, 150}};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        uint64_t sum = 0;
        for (int k = 0; k < 2; k++) {
            long first = cuts[c][k], end = k == 0 ? cuts[c][1] : m;
            if (end <= first)
                continue;
            ck_assert_int_eq(dnn_synthetic_load(3, m, 6, first, end - first, &part, NULL),
                             DNN_OK);
            sum += dnn_dataset_hash_sum(&part);
            dnn_dataset_free(&part);
        }
        ck_assert_msg(sum == whole, "split at %ld changes the sum", cuts[c][1]);
    }
    uint64_t fp = dnn_data_fingerprint(m, 6, whole);
    ck_assert(fp != dnn_data_fingerprint(m + 1, 6, whole));
    ck_assert(fp != dnn_data_fingerprint(m, 7, whole));
    /* one feature's last bit, one label, or two examples swapped */
    all.X[6 * 17 + 2] = nextafter(all.X[6 * 17 + 2], 2.0);
    ck_assert(dnn_dataset_hash_sum(&all) != whole);
    all.X[6 * 17 + 2] = nextafter(all.X[6 * 17 + 2], -2.0);
    ck_assert(dnn_dataset_hash_sum(&all) == whole);
    all.Y[40] = 1.0 - all.Y[40];
    ck_assert(dnn_dataset_hash_sum(&all) != whole);
    all.Y[40] = 1.0 - all.Y[40];
    double x[6], y = all.Y[1];
    memcpy(x, all.X + 6, sizeof x);
    memcpy(all.X + 6, all.X + 12, sizeof x);
    memcpy(all.X + 12, x, sizeof x);
    all.Y[1] = all.Y[2];
    all.Y[2] = y;
    ck_assert(dnn_dataset_hash_sum(&all) != whole);
    dnn_dataset_free(&all);
}
END_TEST

START_TEST(writable_paths_are_checked_without_touching_anything)
{
    char path[128], missing[128];
    dnn_error err;
    join_path(path, sizeof path, dir, "model.h5");
    ck_assert_int_eq(dnn_check_writable(path, &err), DNN_OK);
    ck_assert_int_eq(count_entries(dir), 0);
    save_sample(path);
    blob before = read_file(path);
    ck_assert_int_eq(dnn_check_writable(path, &err), DNN_OK);
    ck_assert(file_equals(path, &before));
    ck_assert_int_eq(count_entries(dir), 1);
    ck_assert_int_eq(dnn_check_writable(dir, &err), DNN_ERR_IO);
    ck_assert_msg(strstr(err.message, "is a directory") != NULL, "%s", err.message);
    join_path(missing, sizeof missing, dir, "no-such-dir/model.h5");
    ck_assert_int_eq(dnn_check_writable(missing, &err), DNN_ERR_IO);
    ck_assert_msg(strstr(err.message, missing) != NULL, "%s", err.message);
    free(before.bytes);
}
END_TEST

/* Issue 19: only a regular file (or nothing) at the path is ever replaced, the probe
 * does what a save does, last names of 255 bytes work, and a resume of other layer
 * sizes is refused before the parameters are read. */
START_TEST(outputs_are_regular_files_and_names_may_be_long)
{
    char fifo[128], path[512], leftover[600];
    dnn_error err;
    dnn_params *p = sample_params();
    dnn_checkpoint_info ci = sample_info();
    join_path(fifo, sizeof fifo, dir, "fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(dnn_check_writable(fifo, &err), DNN_ERR_IO);
    ck_assert_msg(strstr(err.message, "is a FIFO, not a regular file"), "%s", err.message);
    ck_assert_int_eq(dnn_checkpoint_save(fifo, p, &ci, &err), DNN_ERR_IO);
    ck_assert_msg(strstr(err.message, fifo) && strstr(err.message, "FIFO"), "%s", err.message);
    struct stat st;
    ck_assert(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    ck_assert_int_eq(count_entries(dir), 1); /* no temporary file left */

    /* a directory left where the first temporary name would be: probe and save agree */
    join_path(path, sizeof path, dir, "ck.h5");
    snprintf(leftover, sizeof leftover, "%s.tmp.%ld", path, (long)getpid());
    ck_assert_int_eq(mkdir(leftover, 0700), 0);
    ck_assert_int_eq(dnn_check_writable(path, &err), DNN_OK);
    ck_assert_msg(dnn_checkpoint_save(path, p, &ci, &err) == DNN_OK, "%s", err.message);
    ck_assert_int_eq(rmdir(leftover), 0);

    /* a last name of 255 bytes: the temporary file takes a shorter one */
    char name[256];
    memset(name, 'c', 255);
    name[255] = '\0';
    join_path(path, sizeof path, dir, name);
    ck_assert_int_eq(dnn_check_writable(path, &err), DNN_OK);
    ck_assert_msg(dnn_checkpoint_save(path, p, &ci, &err) == DNN_OK, "%s", err.message);
    dnn_params *q = NULL;
    dnn_checkpoint_info found;
    ck_assert_msg(dnn_checkpoint_load(path, &q, &found, &err) == DNN_OK, "%s", err.message);
    ck_assert(memcmp(p->arena, q->arena, p->count * sizeof *p->arena) == 0);
    dnn_params_free(&q);
    free(found.state_v);
    free(found.state_s);
    free(found.best_params);
    ck_assert_int_eq(count_entries(dir), 3); /* fifo, ck.h5 and the long name */

    /* a resume of other layer sizes: refused before the parameters are allocated */
    dnn_checkpoint_info run = sample_info();
    run.dims[1] = 8;
    ck_assert_int_eq(dnn_checkpoint_load_for(path, &run, &q, &found, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "made by a different run: layer sizes: checkpoint "
                                      "5,4,3,1, this run 5,8,3,1"),
                  "%s", err.message);
    ck_assert(q == NULL);
    run = sample_info();
    ck_assert_msg(dnn_checkpoint_load_for(path, &run, &q, &found, &err) == DNN_OK, "%s",
                  err.message);
    dnn_params_free(&q);
    free(found.state_v);
    free(found.state_s);
    free(found.best_params);
    ck_assert_int_eq(dnn_checkpoint_load(fifo, &q, &found, &err), DNN_ERR_IO);
    ck_assert_msg(strstr(err.message, "is a FIFO"), "%s", err.message);
    dnn_params_free(&p);
}
END_TEST

/* ---- files as older writers made them ---- */

/* Edits the checkpoint at path with HDF5 (read-write) and seals it again as `version`:
 * the file an older writer, or a damaged writer, would have left. */
static void rewrite_sealed(const char *path, void (*edit)(hid_t file), int version)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_msg(file >= 0, "%s: cannot open with HDF5", path);
    edit(file);
    ck_assert(H5Fclose(file) >= 0);
    blob b = read_file(path);
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a 64 of everything after the seal */
    for (size_t i = 512; i < b.size; i++)
        h = (h ^ b.bytes[i]) * 0x100000001b3u;
    memset(b.bytes, 0, 512);
    snprintf((char *)b.bytes, 512, "dnn-checkpoint %d\nfnv1a64 %016llx\n", version,
             (unsigned long long)h);
    write_file(path, b.bytes, b.size);
    free(b.bytes);
}

static void delete_attributes(hid_t file, const char *const *names)
{
    for (int k = 0; names[k]; k++)
        ck_assert_msg(H5Adelete(file, names[k]) >= 0, "cannot delete attribute %s", names[k]);
}

static const char *const epoch_names[] = {"epoch", "epoch_position", "epoch_cost_sum",
                                          "epoch_examples", NULL};

/* Version 2 before early stopping and mini-batches. */
static void strip_to_old_v2(hid_t file)
{
    delete_attributes(file, epoch_names);
}

/* Version 1: no update rule either. */
static void strip_to_v1(hid_t file)
{
    static const char *const update_names[] = {"optimizer", "beta1", "beta2", "epsilon",
                                               "l2", "lr_decay", "decay_interval",
                                               "update_steps", NULL};
    delete_attributes(file, epoch_names);
    delete_attributes(file, update_names);
}

static void drop_best_cost(hid_t file)
{
    static const char *const names[] = {"best_cost", NULL};
    delete_attributes(file, names);
}

/* best_parameters one value short: refused before it is read. */
static void shorten_best(hid_t file)
{
    ck_assert(H5Ldelete(file, "best_parameters", H5P_DEFAULT) >= 0);
    hsize_t n = SAMPLE_COUNT - 1;
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t set = H5Dcreate2(file, "best_parameters", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                           H5P_DEFAULT, H5P_DEFAULT);
    ck_assert(space >= 0 && set >= 0);
    ck_assert(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sample_best) >= 0);
    H5Dclose(set);
    H5Sclose(space);
}

/* Early stopping's state and where a mini-batch run stands: written, then read back bit
 * for bit; without early stopping none of its fields is written. */
START_TEST(early_stop_and_epoch_fields_round_trip)
{
    char path[128];
    join_path(path, sizeof path, dir, "full.h5");
    dnn_params *p = sample_params(), *q = NULL;
    dnn_checkpoint_info ci = sample_info(), back;
    dnn_error err;
    ck_assert_msg(dnn_checkpoint_save(path, p, &ci, &err) == DNN_OK, "%s", err.message);
    ck_assert_msg(dnn_checkpoint_load(path, &q, &back, &err) == DNN_OK, "%s", err.message);
    ck_assert(same_extras(&back, &ci, p->count));
    free(back.best_params);
    dnn_params_free(&q);

    ci.best_params = NULL; /* early stopping off: no best state, whatever the other fields */
    ci.epoch_cost_sum = 0x1p-1074;
    ck_assert_msg(dnn_checkpoint_save(path, p, &ci, &err) == DNN_OK, "%s", err.message);
    ck_assert_msg(dnn_checkpoint_load(path, &q, &back, &err) == DNN_OK, "%s", err.message);
    ck_assert(back.best_params == NULL);
    ck_assert(back.best_cost == 0 && back.best_iteration == 0 && back.prints_since_best == 0);
    ck_assert(back.epoch == 7 && back.epoch_position == 3 && back.epoch_examples == 192);
    ck_assert(back.epoch_cost_sum == 0x1p-1074);
    dnn_params_free(&q);

    /* best parameters that are not finite are never written */
    ci = sample_info();
    sample_best[40] = INFINITY;
    ck_assert_int_eq(dnn_checkpoint_save(path, p, &ci, &err), DNN_ERR_NONFINITE);
    ck_assert_msg(strstr(err.message, "best parameters of layer 3"), "%s", err.message);
    dnn_params_free(&p);
    assert_no_hdf5_open(path);
}
END_TEST

/* Older files: version 2 without the new fields, and version 1, load with the defaults
 * (no early stopping, epoch 0); early stopping's fields are all there or refused. */
START_TEST(older_files_load_with_defaults)
{
    char path[128];
    join_path(path, sizeof path, dir, "old.h5");
    dnn_params *p = sample_params(), *q = NULL;
    dnn_checkpoint_info plain = sample_info_plain(), back;
    plain.update = dnn_update_defaults(); /* what version 1 stands for */
    dnn_error err;
    void (*strips[2])(hid_t) = {strip_to_old_v2, strip_to_v1};
    for (int version = 2; version >= 1; version--) {
        ck_assert_msg(dnn_checkpoint_save(path, p, &plain, &err) == DNN_OK, "%s", err.message);
        rewrite_sealed(path, strips[2 - version], version);
        memset(&back, 0x55, sizeof back); /* every field must be set by the load */
        ck_assert_msg(dnn_checkpoint_load(path, &q, &back, &err) == DNN_OK, "version %d: %s",
                      version, err.message);
        ck_assert(same_info(&back, &plain));
        ck_assert(same_extras(&back, &plain, p->count));
        ck_assert(back.state_v == NULL && back.state_s == NULL);
        ck_assert(same_params(p, q));
        dnn_params_free(&q);
        assert_no_hdf5_open(path);
    }

    /* the epoch's fields and early stopping's are independent */
    dnn_checkpoint_info full = sample_info();
    ck_assert(dnn_checkpoint_save(path, p, &full, &err) == DNN_OK);
    rewrite_sealed(path, strip_to_old_v2, 2);
    ck_assert_msg(dnn_checkpoint_load(path, &q, &back, &err) == DNN_OK, "%s", err.message);
    ck_assert(back.best_params && back.epoch == 0 && back.best_iteration == 100);
    free(back.best_params);
    dnn_params_free(&q);

    /* early stopping's fields: one missing, one out of range, one of the wrong size */
    ck_assert(dnn_checkpoint_save(path, p, &full, &err) == DNN_OK);
    rewrite_sealed(path, drop_best_cost, 2);
    ck_assert_int_eq(dnn_checkpoint_load(path, &q, &back, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "early stopping's fields are incomplete"), "%s",
                  err.message);
    full.best_iteration = full.next_iteration; /* the best cannot come after the state */
    ck_assert(dnn_checkpoint_save(path, p, &full, &err) == DNN_OK);
    ck_assert_int_eq(dnn_checkpoint_load(path, &q, &back, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "early stopping value"), "%s", err.message);
    full = sample_info();
    full.epoch_position = -1;
    ck_assert(dnn_checkpoint_save(path, p, &full, &err) == DNN_OK);
    ck_assert_int_eq(dnn_checkpoint_load(path, &q, &back, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "epoch value"), "%s", err.message);
    full = sample_info();
    ck_assert(dnn_checkpoint_save(path, p, &full, &err) == DNN_OK);
    rewrite_sealed(path, shorten_best, 2);
    ck_assert_int_eq(dnn_checkpoint_load(path, &q, &back, &err), DNN_ERR_DATA);
    ck_assert_msg(strstr(err.message, "'best_parameters' of the wrong size"), "%s",
                  err.message);
    ck_assert(q == NULL);
    dnn_params_free(&p);
    assert_no_hdf5_open(path);
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip_is_exact_and_reproducible);
    tcase_add_test(tc, update_state_round_trips);
    tcase_add_test(tc, early_stop_and_epoch_fields_round_trip);
    tcase_add_test(tc, older_files_load_with_defaults);
    tcase_add_test(tc, every_changed_byte_is_refused);
    tcase_add_test(tc, every_truncation_is_refused);
    tcase_add_test(tc, failed_saves_keep_the_old_file);
    tcase_add_test(tc, other_files_are_refused);
    tcase_add_test(tc, mismatch_names_each_difference);
    tcase_add_test(tc, fingerprint_ignores_the_split);
    tcase_add_test(tc, writable_paths_are_checked_without_touching_anything);
    tcase_add_test(tc, outputs_are_regular_files_and_names_may_be_long);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(checkpoint_suite());
}
