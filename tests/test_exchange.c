/* The ways a process's threads exchange gradients and parameters (dnn_exchange) give
 * the same bits, also when a run switches between them from step to step, as auto
 * does when the cores move: a copied step after shared ones must start every thread's
 * own copy of the parameters from the current ones. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/rng.h"
#include "dnn/train.h"
#include "test_util.h"

enum { FEATURES = 300, STEPS = 12 };

static dnn_dataset make_data(int examples)
{
    dnn_dataset d = {.n_features = FEATURES, .m_total = examples, .first = 0, .m = examples};
    d.X = malloc((size_t)FEATURES * examples * sizeof *d.X);
    d.Y = malloc((size_t)examples * sizeof *d.Y);
    ck_assert(d.X && d.Y);
    dnn_rng rng;
    dnn_rng_seed(&rng, 12);
    for (size_t i = 0; i < (size_t)FEATURES * examples; i++)
        d.X[i] = dnn_rng_uniform(&rng);
    for (int j = 0; j < examples; j++)
        d.Y[j] = d.X[(size_t)j * FEATURES] > 0.5;
    return d;
}

/* The parameters after STEPS steps with `threads` threads, step i exchanging the way
 * ways[i % strlen(ways)] says ('s' shared, 'c' copied); *copied gets the copied steps. */
static dnn_params *train(const dnn_dataset *d, int threads, int chunk, const char *ways,
                         long *copied)
{
    static const int dims[] = {FEATURES, 16, 5, 1};
    dnn_params *p = dnn_params_new(3, dims);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(dnn_initialize_parameters_deep(p, DNN_INIT_HE, 3), DNN_OK);
    omp_set_num_threads(threads);
    dnn_trainer *t = dnn_trainer_new(p, d, d->m_total, chunk, DNN_REDUCE_EXACT);
    ck_assert_ptr_nonnull(t);
    dnn_reducer local = dnn_reducer_local();
    size_t n = strlen(ways);
    for (int i = 0; i < STEPS; i++) {
        double cost;
        dnn_trainer_set_exchange(t, ways[i % n] == 'c' ? DNN_EXCHANGE_COPIED
                                                       : DNN_EXCHANGE_SHARED);
        ck_assert_int_eq(dnn_trainer_step(t, &local, 0.5, &cost), DNN_OK);
    }
    *copied = dnn_trainer_copied_steps(t);
    dnn_trainer_free(&t);
    return p;
}

/* Loop i: 2 + i threads, one chunk each. */
START_TEST(every_way_gives_the_same_bits)
{
    int threads = 2 + _i, chunk = 40;
    dnn_dataset d = make_data(threads * chunk);
    long copied;
    dnn_params *shared = train(&d, threads, chunk, "s", &copied);
    ck_assert_int_eq(copied, 0);
    static const char *const mixes[] = {"c", "scc", "ccs", "cs"};
    for (size_t k = 0; k < sizeof mixes / sizeof *mixes; k++) {
        dnn_params *other = train(&d, threads, chunk, mixes[k], &copied);
        long want = 0;
        for (int i = 0; i < STEPS; i++)
            want += mixes[k][i % strlen(mixes[k])] == 'c';
        ck_assert_msg(copied == want, "%d threads, %s: %ld copied steps, not %ld", threads,
                      mixes[k], copied, want);
        ck_assert_msg(same_params(shared, other), "%d threads, %s: not the shared run's bits",
                      threads, mixes[k]);
        dnn_params_free(&other);
    }
    dnn_params_free(&shared);
    dnn_dataset_free(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exchange");
    TCase *tc = tcase_create("exchange");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_way_gives_the_same_bits, 0, 2);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
