/* NULL pointers, zero sizes and mismatched shapes give an error status, never a crash. */
#include <math.h>

#include "dnn.h"
#include "test_util.h"

START_TEST(params_constructors_reject_bad_sizes)
{
    int dims[] = {3, 0, 1}, neg[] = {3, -2, 1}, ok[] = {3, 2, 1};
    ck_assert_ptr_null(dnn_params_new(2, NULL));
    ck_assert_ptr_null(dnn_params_new(0, ok));
    ck_assert_ptr_null(dnn_params_new(-1, ok));
    ck_assert_ptr_null(dnn_params_new(2, dims));
    ck_assert_ptr_null(dnn_params_new(2, neg));
    ck_assert_ptr_null(dnn_params_new_like(NULL));
    ck_assert_ptr_null(dnn_initialize_parameters(0, 2, 1));
    ck_assert_ptr_null(dnn_cache_new(NULL, 4));
    dnn_params *p = dnn_params_new(2, ok);
    ck_assert_ptr_null(dnn_cache_new(p, 0));
    dnn_params_free(&p);
    dnn_params_free(&p); /* freeing twice through the pointer is harmless */
    dnn_params_free(NULL);
    dnn_cache_free(NULL);
}
END_TEST

START_TEST(init_and_update_reject_bad_arguments)
{
    int a[] = {3, 2, 1}, b[] = {3, 4, 1};
    dnn_params *p = dnn_params_new(2, a), *q = dnn_params_new(2, b);
    dnn_init init;
    ck_assert_int_eq(dnn_init_from_name("xavier", &init), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_init_from_name(NULL, &init), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_init_from_name("lecun", NULL), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_initialize_parameters_deep(NULL, DNN_INIT_HE, 1), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_initialize_parameters_deep(p, (dnn_init)42, 1), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_update_parameters(NULL, p, 0.1), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_update_parameters(p, NULL, 0.1), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_update_parameters(p, q, 0.1), DNN_ERR_SHAPE);
    dnn_params_free(&p);
    dnn_params_free(&q);
}
END_TEST

START_TEST(layer_functions_reject_bad_arguments)
{
    double x[4] = {0}, y[4] = {0}, z[4] = {0};
    ck_assert_int_eq(dnn_sigmoid(0, x, y), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_sigmoid(4, NULL, y), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_relu(4, x, NULL), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_sigmoid_backward(4, x, NULL, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_relu_backward(0, x, y, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_linear_forward(0, 2, 2, x, y, z, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_linear_forward(1, -2, 2, x, y, z, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_linear_forward(1, 2, 2, NULL, y, z, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_linear_activation_forward(1, 2, 2, x, y, z, (dnn_activation)7, z, z),
                     DNN_ERR_ARG);
    ck_assert_int_eq(dnn_linear_backward(1, 2, 0, x, y, z, NULL, z, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_linear_backward(1, 2, 2, x, y, z, NULL, NULL, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_linear_activation_backward(1, 2, 2, x, y, z, x, (dnn_activation)7, z,
                                                    NULL, z, z),
                     DNN_ERR_ARG);
    ck_assert_int_eq(dnn_compute_cost(0, x, y, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_compute_cost(2, x, NULL, z), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_cost_backward(2, NULL, y, z), DNN_ERR_ARG);
}
END_TEST

START_TEST(model_functions_reject_mismatched_shapes)
{
    int dims[] = {3, 2, 1}, other[] = {3, 2, 2, 1}, wide_out[] = {3, 2, 2};
    dnn_params *p = dnn_params_new(2, dims), *q = dnn_params_new(3, other);
    dnn_params *g = dnn_params_new_like(p), *wide = dnn_params_new(2, wide_out);
    dnn_params *wide_g = dnn_params_new_like(wide);
    dnn_cache *c = dnn_cache_new(p, 4), *cq = dnn_cache_new(q, 4);
    dnn_cache *cw = dnn_cache_new(wide, 4);
    double X[12] = {0}, Y[4] = {0}, pred[4];
    ck_assert_int_eq(dnn_L_model_forward(p, X, 5, c), DNN_ERR_SHAPE); /* over capacity */
    ck_assert_int_eq(dnn_L_model_forward(p, X, 0, c), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_L_model_forward(p, NULL, 4, c), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_L_model_forward(p, X, 4, cq), DNN_ERR_SHAPE);
    ck_assert_int_eq(dnn_L_model_forward(NULL, X, 4, c), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_L_model_backward(p, c, Y, Y, g, NULL), DNN_ERR_ARG); /* no forward yet */
    ck_assert_int_eq(dnn_L_model_forward(p, X, 4, c), DNN_OK);
    ck_assert_int_eq(dnn_L_model_backward(p, c, c->A[2], Y, q, NULL), DNN_ERR_SHAPE);
    ck_assert_int_eq(dnn_L_model_backward(p, c, NULL, Y, g, NULL), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_L_model_backward(p, c, c->A[2], Y, g, NULL), DNN_OK);
    ck_assert_int_eq(dnn_L_model_forward(wide, X, 4, cw), DNN_OK);
    ck_assert_int_eq(dnn_L_model_backward(wide, cw, cw->A[2], Y, wide_g, NULL), DNN_ERR_SHAPE);
    ck_assert_int_eq(dnn_predict(p, X, 4, c, NULL), DNN_ERR_ARG);
    ck_assert_int_eq(dnn_predict(p, X, 4, NULL, pred), DNN_ERR_ARG);
    dnn_cache_free(&c);
    dnn_cache_free(&cq);
    dnn_cache_free(&cw);
    dnn_params_free(&p);
    dnn_params_free(&q);
    dnn_params_free(&g);
    dnn_params_free(&wide);
    dnn_params_free(&wide_g);
}
END_TEST

START_TEST(cost_is_finite_when_predictions_saturate)
{
    const double AL[] = {0.0, 1.0, 1.0, 0.0}, Y[] = {1.0, 0.0, 1.0, 0.0};
    double cost, dAL[4];
    ck_assert_int_eq(dnn_compute_cost(4, AL, Y, &cost), DNN_OK);
    ck_assert(isfinite(cost));
    ck_assert_double_gt(cost, 300.0); /* two certain, wrong predictions */
    ck_assert_int_eq(dnn_cost_backward(2, AL + 2, Y + 2, dAL), DNN_OK);
    ck_assert(isfinite(dAL[0]) && isfinite(dAL[1]));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bad_args");
    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, params_constructors_reject_bad_sizes);
    tcase_add_test(tc, init_and_update_reject_bad_arguments);
    tcase_add_test(tc, layer_functions_reject_bad_arguments);
    tcase_add_test(tc, model_functions_reject_mismatched_shapes);
    tcase_add_test(tc, cost_is_finite_when_predictions_saturate);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
