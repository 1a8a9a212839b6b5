/* Training from 8-bit codes (dnn_dataset's X_codes, the course's pixels): the first
 * layer's products read the codes instead of X, and the parameters must come out
 * bitwise as from X alone, over chunks, threads and the ReLU zeros of real training;
 * with the fixed-order products (they read the codes on any CPU) and with the system
 * BLAS's (the AVX-512 codes kernels, where the CPU has them). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/rng.h"
#include "dnn/trainer.h"
#include "core/layers_codes.h"
#include "dnn/layers.h"
#include "test_util.h"

enum { FEATURES = 700, EXAMPLES = 150, CHUNK = 40, STEPS = 40 };

/* Codes with a few smooth "images" in them, so that the units fire differently, and
 * labels from their mean brightness. */
static dnn_dataset make_codes(void)
{
    dnn_dataset d = {.n_features = FEATURES, .m_total = EXAMPLES, .first = 0, .m = EXAMPLES};
    d.X = malloc((size_t)FEATURES * EXAMPLES * sizeof *d.X);
    d.Y = malloc(EXAMPLES * sizeof *d.Y);
    d.X_codes = malloc((size_t)FEATURES * EXAMPLES);
    ck_assert(d.X && d.Y && d.X_codes);
    dnn_rng rng;
    dnn_rng_seed(&rng, 8);
    for (int j = 0; j < EXAMPLES; j++) {
        double level = dnn_rng_uniform(&rng), sum = 0.0;
        for (int k = 0; k < FEATURES; k++) {
            double v = level * 200.0 + 55.0 * dnn_rng_uniform(&rng);
            uint8_t q = (uint8_t)v;
            d.X_codes[(size_t)j * FEATURES + k] = q;
            d.X[(size_t)j * FEATURES + k] = q / 255.0;
            sum += q;
        }
        d.Y[j] = sum / FEATURES > 127.0;
    }
    return d;
}

/* The parameters after STEPS steps on d with `threads` threads. */
static dnn_params *train(const dnn_dataset *d, int threads)
{
    static const int dims[] = {FEATURES, 20, 7, 1};
    dnn_params *p = dnn_params_new(3, dims);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(dnn_initialize_parameters_deep(p, DNN_INIT_HE, 5), DNN_OK);
    omp_set_num_threads(threads);
    dnn_trainer *t = dnn_trainer_new(p, d, d->m_total, CHUNK, DNN_REDUCE_EXACT);
    ck_assert_ptr_nonnull(t);
    dnn_reducer local = dnn_reducer_local();
    for (int i = 0; i < STEPS; i++) {
        double cost;
        ck_assert_int_eq(dnn_trainer_step(t, &local, 0.05, &cost), DNN_OK);
    }
    dnn_trainer_free(&t);
    return p;
}

START_TEST(codes_give_the_bits_of_X)
{
    dnn_use_system_blas(_i);
    printf("products: %s\n", _i ? "system BLAS" : "fixed order");
    dnn_dataset d = make_codes();
    uint8_t *codes = d.X_codes;
    d.X_codes = NULL;
    dnn_params *from_x = train(&d, 1);
    d.X_codes = codes;
    for (int threads = 1; threads <= 2; threads++) {
        dnn_params *from_codes = train(&d, threads);
        ck_assert_msg(same_params(from_x, from_codes), "%d thread(s): codes and X differ",
                      threads);
        dnn_params_free(&from_codes);
    }
    if (dnn_first_layer_reads_codes(20, FEATURES, CHUNK)) {
        /* the codes are what is read: codes that disagree with X change the result */
        codes[3 * FEATURES + 11] ^= 1;
        dnn_params *other = train(&d, 2);
        ck_assert_msg(!same_params(from_x, other), "the codes were not read");
        dnn_params_free(&other);
    } else {
        printf("SKIP: no AVX-512F; the codes are not read on this CPU\n");
    }
    dnn_params_free(&from_x);
    dnn_dataset_free(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("codes");
    TCase *tc = tcase_create("codes");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, codes_give_the_bits_of_X, 0, 2);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
