/* The ways a process's threads share a step (dnn_exchange) give the same bits, also
 * when a run switches between them from step to step: a split step updates the
 * parameters alone, and a shared step after it must see them. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/params.h"
#include "dnn/rng.h"
#include "dnn/trainer.h"
#include "train/trainer_modes.h"
#include "kernels/kernels.h"
#include "dnn/layers.h"
#include "split_cases.h"
#include "test_util.h"

/* CODED: inputs of the split way's cases, three blocks of the codes kernels' 512
 * inputs, the last partial */
enum { CODED = 1300, STEPS = 12 };

/* Random features, or with codes (8-bit features, X = q / 255: what the split way
 * needs) over `features` inputs. */
static dnn_dataset make_data_of(int examples, int features, int codes)
{
    dnn_dataset d = {.n_features = features, .m_total = examples, .first = 0, .m = examples};
    size_t n = (size_t)features * (size_t)examples;
    d.X = malloc(n * sizeof *d.X);
    d.Y = malloc((size_t)examples * sizeof *d.Y);
    d.X_codes = codes ? malloc(n) : NULL;
    ck_assert(d.X && d.Y && (d.X_codes || !codes));
    dnn_rng rng;
    dnn_rng_seed(&rng, 12);
    for (size_t i = 0; i < n; i++) {
        double u = dnn_rng_uniform(&rng);
        if (codes) {
            d.X_codes[i] = (uint8_t)(u * 256.0);
            d.X[i] = d.X_codes[i] / 255.0;
        } else {
            d.X[i] = u;
        }
    }
    for (int j = 0; j < examples; j++)
        d.Y[j] = d.X[(size_t)j * features] > 0.5;
    return d;
}

static dnn_exchange way_of(char c)
{
    return c == 'p' ? DNN_EXCHANGE_SPLIT : DNN_EXCHANGE_SHARED;
}

/* How a run starts and steps: prepare changes the initial parameters (or is NULL). */
typedef struct {
    void (*prepare)(dnn_params *);
    double learning_rate;
    int steps;
} run_setup;

static const run_setup usual = {NULL, 0.5, STEPS};

/* The parameters after run->steps steps of a dims network with `threads` threads,
 * step i going the way ways[i % strlen(ways)] says ('s' shared, 'p' split); *split
 * gets the steps that split. A failed step
 * (*status) ends the run; *before (when not NULL) gets the parameters before the last
 * step. */
static dnn_params *train_net(const dnn_dataset *d, const int *dims, int L, int threads,
                             int chunk, const char *ways, const run_setup *run, long *split, dnn_status *status, dnn_params **before)
{
    dnn_params *p = dnn_params_new(L, dims);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(dnn_initialize_parameters_deep(p, DNN_INIT_HE, 3), DNN_OK);
    if (run->prepare)
        run->prepare(p);
    omp_set_num_threads(threads);
    dnn_trainer *t = dnn_trainer_new(p, d, d->m_total, chunk, DNN_REDUCE_EXACT);
    ck_assert_ptr_nonnull(t);
    dnn_reducer local = dnn_reducer_local();
    size_t n = strlen(ways);
    *status = DNN_OK;
    for (int i = 0; i < run->steps && *status == DNN_OK; i++) {
        double cost;
        if (before) {
            dnn_params_free(before);
            *before = dnn_params_new_like(p);
            ck_assert_ptr_nonnull(*before);
            memcpy((*before)->arena, p->arena, p->count * sizeof *p->arena);
        }
        dnn_trainer_set_exchange(t, way_of(ways[i % n]));
        *status = dnn_trainer_step(t, &local, run->learning_rate, &cost);
    }
    *split = dnn_trainer_split_steps(t);
    dnn_trainer_free(&t);
    return p;
}

/* A run that mixed the ways `mix` says and ended with the shared run's bits; frees it. */
static void check_mix(const dnn_params *shared, dnn_params *other, int threads, const char *mix)
{
    ck_assert_msg(same_params(shared, other), "%d threads, %s: not the shared run's bits",
                  threads, mix);
    dnn_params_free(&other);
}

/* Loop i: 2 threads and two chunks, the last shorter; 3 threads (three parts of the
 * inputs) and two chunks; 2 threads and one chunk; two chunks and huge gradients. */
START_TEST(split_steps_give_the_same_bits)
{
    static const int dims[] = {CODED, 12, 5, 1};
    static const struct {
        int threads, chunk, examples;
        run_setup run;
    } cases[] = {{2, 40, 73, {NULL, 0.5, STEPS}},
                 {3, 40, 80, {NULL, 0.5, STEPS}},
                 {2, 64, 50, {NULL, 0.5, STEPS}},
                 {2, 40, 80, {huge_first_gradients, 1e-300, 1}}};
    int threads = cases[_i].threads, chunk = cases[_i].chunk, steps = cases[_i].run.steps;
    int splits = dnn_kernel_suits_codes(dims[1], chunk, CODED); /* AVX-512 */
    dnn_dataset d = make_data_of(cases[_i].examples, CODED, 1);
    long split;
    dnn_status st;
    dnn_params *shared =
        train_net(&d, dims, 3, threads, chunk, "s", &cases[_i].run, &split, &st, NULL);
    ck_assert_int_eq(st, DNN_OK);
    ck_assert_int_eq(split, 0);
    static const char *const mixes[] = {"p", "sp", "pps", "ps"};
    for (size_t k = 0; k < sizeof mixes / sizeof *mixes; k++) {
        dnn_params *other = train_net(&d, dims, 3, threads, chunk, mixes[k], &cases[_i].run,
                                      &split, &st, NULL);
        ck_assert_int_eq(st, DNN_OK);
        long want = splits ? steps_going(mixes[k], steps, 'p') : 0;
        ck_assert_msg(split == want, "%d threads, %s: %ld split steps, not %ld", threads,
                      mixes[k], split, want);
        check_mix(shared, other, threads, mixes[k]);
    }
    dnn_params_free(&shared);
    dnn_dataset_free(&d);
}
END_TEST

/* A label that is NaN makes every gradient NaN: the split step says so and leaves the
 * parameters as they were, as the other ways do. */
START_TEST(a_failed_split_step_changes_nothing)
{
    static const int dims[] = {CODED, 12, 5, 1};
    dnn_dataset d = make_data_of(80, CODED, 1);
    int splits = dnn_kernel_suits_codes(dims[1], 40, CODED);
    d.Y[77] = NAN;
    for (int k = 0; k < 2; k++) {
        long split;
        dnn_status st;
        dnn_params *before = NULL;
        dnn_params *p = train_net(&d, dims, 3, 2, 40, k ? "p" : "s", &usual, &split, &st, &before);
        ck_assert_int_eq(st, DNN_ERR_NONFINITE);
        ck_assert_int_eq(split, k ? splits : 0);
        ck_assert_msg(same_params(p, before), "%s step: the parameters changed",
                      k ? "split" : "shared");
        dnn_params_free(&p);
        dnn_params_free(&before);
    }
    dnn_dataset_free(&d);
}
END_TEST

int main(void)
{
    /* the split way runs with the system BLAS's products only (dnn_use_system_blas) */
    dnn_use_system_blas(1);
    Suite *s = suite_create("exchange");
    TCase *tc = tcase_create("exchange");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, split_steps_give_the_same_bits, 0, 4);
    tcase_add_test(tc, a_failed_split_step_changes_nothing);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
