/* Every case of ../shared/reference/course-test-cases.md: inputs regenerated with the
 * numpy-compatible generator, outputs compared with numpy's at 1e-12 relative. */
#include "dnn.h"
#include "test_util.h"

static const double TOL = 1e-12;

START_TEST(initialize_parameters_2_2_1)
{
    dnn_params *p = dnn_initialize_parameters(2, 2, 1);
    ck_assert_ptr_nonnull(p);
    const double W1[] = {0.01624345363663242, -0.00611756413650075,
                         -0.00528171752263456, -0.01072968622156171};
    const double W2[] = {0.00865407629324678, -0.02301538696880283};
    ck_assert_weights(2, 2, p->W[1], W1, TOL);
    ck_assert_weights(1, 2, p->W[2], W2, TOL);
    for (int i = 0; i < 2; i++)
        ck_assert(p->b[1][i] == 0.0);
    ck_assert(p->b[2][0] == 0.0);
    dnn_params_free(&p);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(initialize_parameters_deep_5_4_3)
{
    int dims[] = {5, 4, 3};
    dnn_params *p = dnn_params_new(2, dims);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(dnn_initialize_parameters_deep(p, DNN_INIT_NORMAL_001, 3), DNN_OK);
    const double W1[] = {
        0.01788628473430319,  0.00436509850511989,  0.00096497468072009,  -0.01863492703364491,
        -0.00277388202514399, -0.00354758979268987, -0.00082741481482460, -0.00627000676823847,
        -0.00043818168975928, -0.00477218030359503, -0.01313864753362682, 0.00884622380499585,
        0.00881318042207530,  0.01709573063652949,  0.00050033642176860,  -0.00404677414600891,
        -0.00545359947619530, -0.01546477315582968, 0.00982367434258160,  -0.01101067630111476};
    const double W2[] = {-0.01185046527020173, -0.00205649899422541, 0.01486148355074590,
                         0.00236716267226912,  -0.01023785139926468, -0.00712993200112049,
                         0.00625244966162829,  -0.00160513363186924, -0.00768836350319230,
                         -0.00230030722277939, 0.00745056266405371,  0.01976110783126303};
    ck_assert_weights(4, 5, p->W[1], W1, TOL);
    ck_assert_weights(3, 4, p->W[2], W2, TOL);
    dnn_params_free(&p);
}
END_TEST

START_TEST(linear_forward)
{
    dnn_rng rng;
    double A[6], W[3], b[1], Z[2];
    dnn_rng_seed(&rng, 1);
    fill_randn(&rng, 3, 2, A);
    fill_randn_weights(&rng, 1, 3, W);
    fill_randn(&rng, 1, 1, b);
    ck_assert_int_eq(dnn_linear_forward(1, 3, 2, A, W, b, Z), DNN_OK);
    const double expected[] = {3.2629533746541739, -1.2342998686128757};
    ck_assert_matrix(1, 2, Z, expected, TOL);
}
END_TEST

START_TEST(linear_activation_forward)
{
    dnn_rng rng;
    double A_prev[6], W[3], b[1], Z[2], A[2];
    dnn_rng_seed(&rng, 2);
    fill_randn(&rng, 3, 2, A_prev);
    fill_randn_weights(&rng, 1, 3, W);
    fill_randn(&rng, 1, 1, b);
    ck_assert_int_eq(dnn_linear_activation_forward(1, 3, 2, A_prev, W, b, DNN_SIGMOID, Z, A),
                     DNN_OK);
    const double sigmoid_expected[] = {0.96890023278366100, 0.11013289483978989};
    ck_assert_matrix(1, 2, A, sigmoid_expected, TOL);
    ck_assert_int_eq(dnn_linear_activation_forward(1, 3, 2, A_prev, W, b, DNN_RELU, Z, A),
                     DNN_OK);
    const double relu_expected[] = {3.4389613134945427, 0.0};
    ck_assert_matrix(1, 2, A, relu_expected, TOL);
}
END_TEST

START_TEST(L_model_forward_2_layers)
{
    dnn_rng rng;
    int dims[] = {4, 3, 1};
    dnn_params *p = dnn_params_new(2, dims);
    double X[8];
    dnn_rng_seed(&rng, 1);
    fill_randn(&rng, 4, 2, X);
    fill_randn_weights(&rng, 3, 4, p->W[1]);
    fill_randn(&rng, 3, 1, p->b[1]);
    fill_randn_weights(&rng, 1, 3, p->W[2]);
    fill_randn(&rng, 1, 1, p->b[2]);
    dnn_cache *cache = dnn_cache_new(p, 2);
    ck_assert_ptr_nonnull(cache);
    ck_assert_int_eq(dnn_L_model_forward(p, X, 2, cache), DNN_OK);
    const double expected[] = {0.17007264766912281, 0.25242719787681334};
    ck_assert_matrix(1, 2, cache->A[2], expected, TOL);
    dnn_cache_free(&cache);
    dnn_params_free(&p);
}
END_TEST

START_TEST(compute_cost)
{
    const double Y[] = {1, 1, 1}, AL[] = {0.8, 0.9, 0.4};
    double cost;
    ck_assert_int_eq(dnn_compute_cost(3, AL, Y, &cost), DNN_OK);
    const double expected[] = {0.41493159961539694};
    ck_assert_matrix(1, 1, &cost, expected, TOL);
}
END_TEST

START_TEST(linear_backward)
{
    dnn_rng rng;
    double dZ[2], A_prev[6], W[3], b[1], dA_prev[6], dW[3], db[1];
    dnn_rng_seed(&rng, 1);
    fill_randn(&rng, 1, 2, dZ);
    fill_randn(&rng, 3, 2, A_prev);
    fill_randn_weights(&rng, 1, 3, W);
    fill_randn(&rng, 1, 1, b);
    ck_assert_int_eq(dnn_linear_backward(1, 3, 2, dZ, A_prev, W, dA_prev, dW, db), DNN_OK);
    const double dA_prev_expected[] = {0.51822967650765972,  -0.19517421321805253,
                                       -0.40506361324169282, 0.15255392657263311,
                                       2.37496824871423051,  -0.89445390793594359};
    const double dW_expected[] = {-0.1007689503788564, 1.4068509647263443, 1.6499250517036985};
    const double db_expected[] = {0.5062944750065832};
    ck_assert_matrix(3, 2, dA_prev, dA_prev_expected, TOL);
    ck_assert_weights(1, 3, dW, dW_expected, TOL);
    ck_assert_matrix(1, 1, db, db_expected, TOL);
}
END_TEST

START_TEST(linear_activation_backward)
{
    dnn_rng rng;
    double dA[2], A_prev[6], W[3], b[1], Z[2], dZ[2], dA_prev[6], dW[3], db[1];
    dnn_rng_seed(&rng, 2);
    fill_randn(&rng, 1, 2, dA);
    fill_randn(&rng, 3, 2, A_prev);
    fill_randn_weights(&rng, 1, 3, W);
    fill_randn(&rng, 1, 1, b);
    fill_randn(&rng, 1, 2, Z);

    ck_assert_int_eq(dnn_linear_activation_backward(1, 3, 2, dA, Z, A_prev, W, DNN_SIGMOID, dZ,
                                                    dA_prev, dW, db),
                     DNN_OK);
    const double sig_dA_prev[] = {0.11017993605984744, 0.01105339470782607,
                                  0.09466817036241483, 0.00949723416716368,
                                  -0.05743092200648364, -0.00576154490620892};
    const double sig_dW[] = {0.10266786376828207, 0.09778550500304704, -0.01968084233837878};
    const double sig_db[] = {-0.05729622217629114};
    ck_assert_matrix(3, 2, dA_prev, sig_dA_prev, TOL);
    ck_assert_weights(1, 3, dW, sig_dW, TOL);
    ck_assert_matrix(1, 1, db, sig_db, TOL);

    ck_assert_int_eq(dnn_linear_activation_backward(1, 3, 2, dA, Z, A_prev, W, DNN_RELU, dZ,
                                                    dA_prev, dW, db),
                     DNN_OK);
    const double relu_dA_prev[] = {0.44090988939090969, 0.0, 0.37883605687209465, 0.0,
                                   -0.22982280054820831, 0.0};
    const double relu_dW[] = {0.44513824323337786, 0.37371417697309084, -0.10478988845749920};
    const double relu_db[] = {-0.2083789237027353};
    ck_assert_matrix(3, 2, dA_prev, relu_dA_prev, TOL);
    ck_assert_weights(1, 3, dW, relu_dW, TOL);
    ck_assert_matrix(1, 1, db, relu_db, TOL);
}
END_TEST

/* The course's caches here are independent random arrays, not one forward pass. */
START_TEST(L_model_backward_2_layers)
{
    dnn_rng rng;
    int dims[] = {4, 3, 1};
    dnn_params *p = dnn_params_new(2, dims);
    dnn_params *grads = dnn_params_new_like(p);
    dnn_cache *cache = dnn_cache_new(p, 2);
    ck_assert(p && grads && cache);
    double AL[2], A0[8], dA0[8], b_unused;
    const double Y[] = {1, 0};
    dnn_rng_seed(&rng, 3);
    fill_randn(&rng, 1, 2, AL);
    fill_randn(&rng, 4, 2, A0);
    fill_randn_weights(&rng, 3, 4, p->W[1]);
    fill_randn(&rng, 3, 1, p->b[1]);
    fill_randn(&rng, 3, 2, cache->Z[1]);
    fill_randn(&rng, 3, 2, cache->A[1]);
    fill_randn_weights(&rng, 1, 3, p->W[2]);
    fill_randn(&rng, 1, 1, &b_unused);
    fill_randn(&rng, 1, 2, cache->Z[2]);
    cache->A0 = A0;
    cache->m = 2;

    ck_assert_int_eq(dnn_L_model_backward(p, cache, AL, Y, grads, dA0), DNN_OK);
    const double dW1[] = {0.41010002050287547, 0.07807203345047609, 0.13798443640617922,
                          0.10502167445111507, 0.0, 0.0, 0.0, 0.0,
                          0.05283651752019008, 0.01005865436969424, 0.01777765600389070,
                          0.01353079557355724};
    const double db1[] = {-0.22007063390291245, 0.0, -0.02835348774094744};
    const double dA0_expected[] = {0.0, 0.52257901226174897, 0.0, -0.32692060097785447,
                                   0.0, -0.32070403608473208, 0.0, -0.74079187183848871};
    ck_assert_weights(3, 4, grads->W[1], dW1, TOL);
    ck_assert_matrix(3, 1, grads->b[1], db1, TOL);
    ck_assert_matrix(4, 2, dA0, dA0_expected, TOL);
    dnn_cache_free(&cache);
    dnn_params_free(&grads);
    dnn_params_free(&p);
}
END_TEST

START_TEST(update_parameters)
{
    dnn_rng rng;
    int dims[] = {4, 3, 1};
    dnn_params *p = dnn_params_new(2, dims), *g = dnn_params_new(2, dims);
    ck_assert(p && g);
    dnn_rng_seed(&rng, 2);
    fill_randn_weights(&rng, 3, 4, p->W[1]);
    fill_randn(&rng, 3, 1, p->b[1]);
    fill_randn_weights(&rng, 1, 3, p->W[2]);
    fill_randn(&rng, 1, 1, p->b[2]);
    dnn_rng_seed(&rng, 3);
    fill_randn_weights(&rng, 3, 4, g->W[1]);
    fill_randn(&rng, 3, 1, g->b[1]);
    fill_randn_weights(&rng, 1, 3, g->W[2]);
    fill_randn(&rng, 1, 1, g->b[2]);
    ck_assert_int_eq(dnn_update_parameters(p, g, 0.1), DNN_OK);
    const double W1[] = {-0.59562069474850254, -0.09991781227752841, -2.14584584247565502,
                         1.82662007874143772,  -1.76569676494342320, -0.80627146772930536,
                         0.51115556530628881,  -1.18258801892484677, -1.05357040196474605,
                         -0.86128581189089903, 0.68284051988269256,  2.20374577476499889};
    const double b1[] = {-0.04659241122234953, -1.28888275147881171, 0.53405495636310285};
    const double W2[] = {-0.55569195834637786, 0.03540549824080157, 1.32964895105858782};
    const double b2[] = {-0.8461076927196785};
    ck_assert_weights(3, 4, p->W[1], W1, TOL);
    ck_assert_matrix(3, 1, p->b[1], b1, TOL);
    ck_assert_weights(1, 3, p->W[2], W2, TOL);
    ck_assert_matrix(1, 1, p->b[2], b2, TOL);
    dnn_params_free(&g);
    dnn_params_free(&p);
}
END_TEST

/* ReLU's derivative at zero: the course's relu_backward sets dZ = 0 where Z <= 0, so a
 * pre-activation of exactly +0 or -0 (a dead previous layer with zero biases makes
 * them) passes no gradient; the smallest positive one passes it whole. */
START_TEST(relu_backward_at_zero)
{
    const double Z[6] = {0.0, -0.0, 4.9e-324, -4.9e-324, 1.0, -1.0};
    const double dA[6] = {2.0, 2.0, 2.0, 2.0, 2.0, 2.0};
    const double want[6] = {0.0, 0.0, 2.0, 0.0, 2.0, 0.0};
    double dZ[6];
    ck_assert_int_eq(dnn_relu_backward(6, dA, Z, dZ), DNN_OK);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(dZ[i] == want[i], "Z = %g: dZ %g, want %g", Z[i], dZ[i], want[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("course_cases");
    TCase *tc = tcase_create("course");
    tcase_add_test(tc, initialize_parameters_2_2_1);
    tcase_add_test(tc, initialize_parameters_deep_5_4_3);
    tcase_add_test(tc, linear_forward);
    tcase_add_test(tc, linear_activation_forward);
    tcase_add_test(tc, L_model_forward_2_layers);
    tcase_add_test(tc, compute_cost);
    tcase_add_test(tc, linear_backward);
    tcase_add_test(tc, linear_activation_backward);
    tcase_add_test(tc, L_model_backward_2_layers);
    tcase_add_test(tc, relu_backward_at_zero);
    tcase_add_test(tc, update_parameters);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
