/* Every way through dnn_trainer_step against the frozen reference step
 * (src/train/step_ref.c), bit for bit: for each shape below, each thread count, each
 * thread exchange, both dtypes and (with one thread) fast mode, STEPS steps of the
 * trainer and of the reference from the same parameters must print the same costs and
 * leave the same parameters. Run under mpiexec on any number of ranks
 * (tests/mpi/step_ref.sh runs 1 to 3, with and without shared memory); the ways each
 * run went are summed over the ranks and printed as "paths: ..." for the script to
 * check that every one was taken. Mini-batches with dropout are checked the same way:
 * every rank holds all the examples, the trainer steps on its chunks of each batch and
 * the reference on the same examples gathered. Exit status 0 when every rank passed.
 *
 * With "system" after MAX_THREADS the products are the system BLAS's and the AVX-512
 * kernels' (dnn_use_system_blas), the only mode where the split first layer runs.
 *
 * Usage: test_step_ref DATA_DIR [MAX_THREADS [system]] */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "dnn/batches.h"
#include "dnn/data.h"
#include "dnn/layers.h"
#include "dnn/params.h"
#include "dnn/shard.h"
#include "dnn/trainer.h"
#include "rank_check.h"
#include "train/step_ref.h"
#include "train/trainer_modes.h"

enum { STEPS = 3, MAX_DIMS = 12 };

typedef struct {
    const char *name;
    int L, dims[MAX_DIMS]; /* dims[0] = features */
    long m, chunk;         /* examples (0: the course's file), chunk (0: default) */
    int codes;             /* synthetic features as 8-bit codes, X = q / 255 */
    double learning_rate;
} shape;

/* The course's cat model; a wide layer; a deep narrow net; one example per rank (m and
 * chunk set at run time); more ranks than chunks; a first layer from 8-bit codes wide
 * enough for the split (three 512-input blocks, the last partial) with chunks not
 * dividing the examples. */
static shape shapes[] = {
    {"cat 12288,20,7,5,1", 4, {12288, 20, 7, 5, 1}, 0, 0, 0, 0.0075},
    {"wide 40,600,1", 2, {40, 600, 1}, 64, 16, 0, 0.05},
    {"deep narrow 6,3x8,1", 9, {6, 3, 3, 3, 3, 3, 3, 3, 3, 1}, 50, 8, 0, 0.05},
    {"one example per rank 10,5,1", 2, {10, 5, 1}, -1, 1, 0, 0.1},
    {"more ranks than chunks 8,4,1", 2, {8, 4, 1}, 5, 4, 0, 0.1},
    {"codes 1300,12,5,1", 3, {1300, 12, 5, 1}, 73, 40, 1, 0.05},
};

/* Synthetic features in [-1, 1) turned into codes q and q / 255. */
static int to_codes(dnn_dataset *d)
{
    size_t n = (size_t)d->m * (size_t)d->n_features;
    d->X_codes = malloc(n ? n : 1);
    if (!d->X_codes)
        return 0;
    for (size_t i = 0; i < n; i++) {
        d->X_codes[i] = (uint8_t)floor((d->X[i] + 1.0) * 127.5);
        d->X[i] = d->X_codes[i] / 255.0;
    }
    return 1;
}

/* This rank's shard of the shape's data (whole: all of it). */
static int load_shard(const shape *s, const char *data_dir, long m, long chunk, int whole,
                      dnn_dataset *d)
{
    dnn_error err;
    dnn_shard sh = whole ? (dnn_shard){0, 1, 0, m}
                         : dnn_shard_of(dnn_comm_rank(), dnn_comm_size(), m, chunk);
    if (sh.count == 0) { /* more ranks than chunks: this one holds none */
        *d = (dnn_dataset){.n_features = s->dims[0], .m_total = m, .first = sh.first};
        return 1;
    }
    if (s->m == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/train_catvnoncat.h5", data_dir);
        return dnn_h5_load(path, NULL, sh.first, sh.count, d, &err) == DNN_OK;
    }
    if (dnn_synthetic_load(7, m, s->dims[0], sh.first, sh.count, d, &err) != DNN_OK)
        return 0;
    return !s->codes || to_codes(d);
}

typedef struct {
    int threads;
    dnn_exchange exchange;
    dnn_reduce_mode mode;
    dnn_dtype dtype;
    dnn_update_settings update;
} way;

static const char *way_name(const way *w, char *buf, size_t size)
{
    static const char *const optimizers[] = {"gd", "momentum", "adam"};
    snprintf(buf, size, "%d thread(s), %s, %s, %s, %s, l2 %g", w->threads,
             w->exchange == DNN_EXCHANGE_SPLIT ? "split" : "shared",
             w->mode == DNN_REDUCE_EXACT ? "exact" : "fast", w->dtype == DNN_F64 ? "f64" : "f32",
             optimizers[w->update.optimizer], w->update.l2);
    return buf;
}

/* STEPS steps of the trainer going way w and of the reference, from the same start. */
static void check_way(const shape *s, const dnn_dataset *d, long m, long chunk, const way *w,
                      long paths[DNN_PATHS])
{
    char name[128];
    way_name(w, name, sizeof name);
    dnn_params *p = dnn_params_new(s->L, s->dims), *ref = dnn_params_new(s->L, s->dims);
    CHECK(p && ref, "out of memory");
    if (!p || !ref) {
        dnn_params_free(&p);
        dnn_params_free(&ref);
        return;
    }
    dnn_initialize_parameters_deep(p, DNN_INIT_LECUN, 1);
    memcpy(ref->arena, p->arena, p->count * sizeof *p->arena);
    double *v = calloc(p->count, sizeof *v), *sq = calloc(p->count, sizeof *sq);
    CHECK(v && sq, "out of memory");
    omp_set_num_threads(w->threads);
    dnn_trainer *t = dnn_trainer_new_typed(p, d, m, (int)chunk, w->mode, w->dtype);
    CHECK(t, "%s, %s: no trainer", s->name, name);
    if (t && v && sq) {
        dnn_trainer_set_exchange(t, w->exchange);
        CHECK(dnn_trainer_set_update(t, &w->update) == DNN_OK, "%s: bad update", name);
        dnn_reducer r = dnn_comm_reducer();
        for (int i = 0; i < STEPS; i++) {
            double cost = NAN, cost_ref = NAN;
            dnn_status st = dnn_trainer_step(t, &r, s->learning_rate, &cost);
            dnn_status st_ref =
                dnn_step_ref(ref, d, m, (int)chunk, w->mode, w->dtype, &r, s->learning_rate,
                             &w->update, v, sq, i + 1, NULL, &cost_ref);
            CHECK(st == DNN_OK && st_ref == DNN_OK, "%s, %s, step %d: status %d, reference %d",
                  s->name, name, i, st, st_ref);
            CHECK(memcmp(&cost, &cost_ref, sizeof cost) == 0,
                  "%s, %s, step %d: cost %.17g, reference %.17g", s->name, name, i, cost,
                  cost_ref);
        }
        for (int k = 0; k < DNN_PATHS; k++)
            paths[k] += dnn_trainer_path_steps(t, (dnn_step_path)k);
    }
    dnn_trainer_free(&t);
    free(v);
    free(sq);
    size_t differ = 0;
    for (size_t i = 0; i < p->count; i++)
        differ += memcmp(&p->arena[i], &ref->arena[i], sizeof *p->arena) != 0;
    CHECK(differ == 0, "%s, %s: %zu of %zu parameters differ from the reference step's",
          s->name, name, differ, p->count);
    dnn_params_free(&p);
    dnn_params_free(&ref);
}

static void check_shape(shape *s, const char *data_dir, int max_threads, long paths[DNN_PATHS])
{
    long m = s->m == -1 ? dnn_comm_size() : s->m;
    long chunk = s->chunk;
    if (m == 0) { /* the course's file: its size decides the default chunk */
        char path[4096];
        dnn_error err;
        int features;
        snprintf(path, sizeof path, "%s/train_catvnoncat.h5", data_dir);
        CHECK(dnn_h5_probe(path, NULL, &m, &features, &err) == DNN_OK, "%s", err.message);
    }
    if (chunk == 0)
        chunk = dnn_default_chunk(m);
    dnn_dataset d;
    int ok = load_shard(s, data_dir, m, chunk, 0, &d);
    CHECK(ok, "%s: no data", s->name);
    if (!ok)
        return;
    d.m_total = m;
    dnn_update_settings gd = dnn_update_defaults(), momentum = gd, adam = gd;
    momentum.optimizer = DNN_OPT_MOMENTUM;
    adam.optimizer = DNN_OPT_ADAM;
    adam.l2 = 0.7;
    for (int threads = 1; threads <= max_threads; threads++)
        for (int e = 0; e < 2; e++)
            for (int dt = 0; dt < 2; dt++) {
                way w = {threads, e ? DNN_EXCHANGE_SPLIT : DNN_EXCHANGE_SHARED,
                         DNN_REDUCE_EXACT, dt ? DNN_F32 : DNN_F64, gd};
                check_way(s, &d, m, chunk, &w, paths);
            }
    /* the other update rules, L2 with Adam, on the fewest and the most threads */
    for (int threads = 1; threads <= max_threads; threads += max_threads > 1 ? max_threads - 1 : 1)
        for (int e = 0; e < 2; e++)
            for (int k = 0; k < 2; k++) {
                way w = {threads, e ? DNN_EXCHANGE_SPLIT : DNN_EXCHANGE_SHARED,
                         DNN_REDUCE_EXACT, DNN_F64, k ? adam : momentum};
                check_way(s, &d, m, chunk, &w, paths);
            }
    way fast = {1, DNN_EXCHANGE_SHARED, DNN_REDUCE_FAST, DNN_F64, gd};
    check_way(s, &d, m, chunk, &fast, paths);
    dnn_dataset_free(&d);
    if (dnn_comm_rank() == 0)
        printf("checked: %s\n", s->name);
}

/* Mini-batches: the shape, the batch, its chunk, dropout's keep_prob. The steps go
 * past the end of the first epoch, so that a new order is dealt. */
typedef struct {
    int shape;
    long batch, chunk;
    double keep_prob;
} batch_case;
static const batch_case batch_cases[] = {
    {0, 64, 0, 0.8},  /* cat: batches 64, 64, 64, 17 of 2 chunks */
    {2, 12, 5, 0.7},  /* deep narrow: 5 batches, the last of 2 examples */
    {5, 20, 7, 0.9},  /* codes: the first layer reads gathered codes */
};

/* The examples at columns gathered into a data set of their own. */
static int gather(const dnn_dataset *all, const long *columns, long count, dnn_dataset *g)
{
    size_t n = (size_t)all->n_features;
    *g = (dnn_dataset){.n_features = all->n_features, .m_total = count, .m = count};
    g->X = malloc((count ? (size_t)count : 1) * n * sizeof *g->X);
    g->Y = malloc((count ? (size_t)count : 1) * sizeof *g->Y);
    g->X_codes = all->X_codes ? malloc((count ? (size_t)count : 1) * n) : NULL;
    if (!g->X || !g->Y || (all->X_codes && !g->X_codes))
        return 0;
    for (long j = 0; j < count; j++) {
        memcpy(g->X + (size_t)j * n, all->X + (size_t)columns[j] * n, n * sizeof *g->X);
        g->Y[j] = all->Y[columns[j]];
        if (g->X_codes)
            memcpy(g->X_codes + (size_t)j * n, all->X_codes + (size_t)columns[j] * n, n);
    }
    return 1;
}

static void check_batch_way(const shape *s, const batch_case *c, const dnn_dataset *all,
                            long chunk, const way *w)
{
    char name[128];
    way_name(w, name, sizeof name);
    dnn_params *p = dnn_params_new(s->L, s->dims), *ref = dnn_params_new(s->L, s->dims);
    double *v = p ? calloc(p->count, sizeof *v) : NULL, *sq = p ? calloc(p->count, sizeof *sq) : NULL;
    dnn_batches b = {0};
    int ok = p && ref && v && sq && dnn_batches_init(&b, all->m, c->batch, 0, 3) == DNN_OK;
    CHECK(ok, "%s: out of memory", s->name);
    dnn_trainer *t = NULL;
    if (ok) {
        dnn_initialize_parameters_deep(p, DNN_INIT_LECUN, 1);
        memcpy(ref->arena, p->arena, p->count * sizeof *p->arena);
        omp_set_num_threads(w->threads);
        t = dnn_trainer_new_typed(p, all, all->m, (int)chunk, w->mode, w->dtype);
        ok = t && dnn_trainer_set_update(t, &w->update) == DNN_OK &&
             dnn_trainer_set_dropout(t, c->keep_prob, 5) == DNN_OK;
        CHECK(ok, "%s, %s: no trainer", s->name, name);
    }
    dnn_reducer r = dnn_comm_reducer();
    long steps = b.per_epoch + 2;
    for (long i = 0; ok && i < steps; i++) {
        const long *columns;
        long count, size;
        double cost = NAN, cost_ref = NAN;
        ok = dnn_batches_get(&b, i / b.per_epoch, i % b.per_epoch, dnn_comm_rank(),
                             dnn_comm_size(), chunk, &columns, &count, &size) == DNN_OK &&
             dnn_trainer_select(t, columns, count, size) == DNN_OK;
        CHECK(ok, "%s, %s, step %ld: no batch", s->name, name, i);
        dnn_dataset g;
        if (ok && !(ok = gather(all, columns, count, &g)))
            CHECK(0, "out of memory");
        if (!ok)
            break;
        dnn_dropout drop = {c->keep_prob, 5, (uint64_t)i, 0, columns};
        dnn_status st = dnn_trainer_step(t, &r, s->learning_rate, &cost);
        dnn_status st_ref = dnn_step_ref(ref, &g, size, (int)chunk, w->mode, w->dtype, &r,
                                         s->learning_rate, &w->update, v, sq, i + 1, &drop,
                                         &cost_ref);
        dnn_dataset_free(&g);
        CHECK(st == DNN_OK && st_ref == DNN_OK, "%s, batch %ld, %s, step %ld: status %d, reference %d",
              s->name, c->batch, name, i, st, st_ref);
        CHECK(memcmp(&cost, &cost_ref, sizeof cost) == 0,
              "%s, batch %ld, %s, step %ld: cost %.17g, reference %.17g", s->name, c->batch,
              name, i, cost, cost_ref);
    }
    size_t differ = 0;
    for (size_t i = 0; ok && i < p->count; i++)
        differ += memcmp(&p->arena[i], &ref->arena[i], sizeof *p->arena) != 0;
    CHECK(differ == 0, "%s, batch %ld, %s: %zu of %zu parameters differ from the reference step's",
          s->name, c->batch, name, differ, p ? p->count : 0);
    dnn_trainer_free(&t);
    dnn_batches_free(&b);
    free(v);
    free(sq);
    dnn_params_free(&p);
    dnn_params_free(&ref);
}

static void check_batches(const batch_case *c, const char *data_dir, int max_threads)
{
    shape *s = &shapes[c->shape];
    long m = s->m;
    if (m == 0) {
        char path[4096];
        dnn_error err;
        int features;
        snprintf(path, sizeof path, "%s/train_catvnoncat.h5", data_dir);
        CHECK(dnn_h5_probe(path, NULL, &m, &features, &err) == DNN_OK, "%s", err.message);
    }
    long chunk = c->chunk ? c->chunk : dnn_default_batch_chunk(c->batch);
    dnn_dataset all;
    int ok = load_shard(s, data_dir, m, m, 1, &all); /* every example, on every rank */
    CHECK(ok, "%s: no data", s->name);
    if (!ok)
        return;
    all.m_total = m;
    dnn_update_settings gd = dnn_update_defaults(), adam = gd;
    adam.optimizer = DNN_OPT_ADAM;
    adam.l2 = 0.7;
    for (int threads = 1; threads <= max_threads; threads++)
        for (int dt = 0; dt < 2; dt++)
            for (int k = 0; k < 2; k++) {
                way w = {threads, DNN_EXCHANGE_AUTO, DNN_REDUCE_EXACT, dt ? DNN_F32 : DNN_F64,
                         k ? adam : gd};
                check_batch_way(s, c, &all, chunk, &w);
            }
    dnn_dataset_free(&all);
    if (dnn_comm_rank() == 0)
        printf("checked: %s, batches of %ld, dropout keep %g\n", s->name, c->batch, c->keep_prob);
}

int main(int argc, char **argv)
{
    if (dnn_comm_init(&argc, &argv) != 0)
        return 2;
    if (argc < 2) {
        fprintf(stderr, "usage: test_step_ref DATA_DIR [MAX_THREADS]\n");
        dnn_comm_finalize();
        return 2;
    }
    int max_threads = argc > 2 ? atoi(argv[2]) : 3;
    dnn_use_system_blas(argc > 3 && strcmp(argv[3], "system") == 0);
    long paths[DNN_PATHS] = {0};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
        check_shape(&shapes[k], argv[1], max_threads, paths);
    for (size_t k = 0; k < sizeof batch_cases / sizeof *batch_cases; k++)
        check_batches(&batch_cases[k], argv[1], max_threads);
    long total[DNN_PATHS];
    for (int k = 0; k < DNN_PATHS; k++)
        total[k] = dnn_comm_sum_long(paths[k]);
    int failed = dnn_comm_sum_long(failures) != 0;
    if (dnn_comm_rank() == 0)
        printf("paths: split=%ld one_process=%ld gradients_travel=%ld digits_travel=%ld "
               "fast=%ld\n",
               total[DNN_PATH_SPLIT], total[DNN_PATH_ONE_PROCESS],
               total[DNN_PATH_GRADIENTS_TRAVEL], total[DNN_PATH_DIGITS_TRAVEL],
               total[DNN_PATH_FAST]);
    dnn_comm_finalize();
    return failed;
}
