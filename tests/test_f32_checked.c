/* The float forward pass whose ReLU decisions follow double precision. */
#include <math.h>
#include <string.h>

#include "dnn/f32.h"
#include "dnn/params.h"
#include "test_util.h"

enum { L = 2, K = 3, M = 4 };
static const int dims[L + 1] = {K, 1, 1};

/* One hidden unit z = x0 - x1 + x2 (w = (1, -1, 1), b = 0) and an output unit.
 * Example 0's x0 = 1 + 2^-30 rounds to 1 in float, so its float z is 0 where
 * the double z is 2^-30 > 0; example 1's x0 = 1 - 2^-30 gives -2^-30 in double;
 * example 2's z = 0.5 is far from 0; in example 3, x1 rounds up to x0 in float,
 * leaving z = x2 = -2^-30 where the double z is 2^-24 - 2^-30 - 2^-40 > 0. */
typedef struct {
    dnn_params *p64;
    dnn_params_f32 *p32;
    dnn_cache_f32 *cache;
    double X64[K * M], norms[M], row_norms[2];
    float X32[K * M];
} network;

static void make(network *n)
{
    n->p64 = dnn_params_new(L, dims);
    n->p32 = dnn_params_f32_new(L, dims);
    ck_assert(n->p64 && n->p32);
    n->p64->W[1][0] = 1.0;
    n->p64->W[1][1] = -1.0;
    n->p64->W[1][2] = 1.0;
    n->p64->W[2][0] = 2.0;
    n->p64->b[1][0] = n->p64->b[2][0] = 0.0;
    ck_assert_int_eq(dnn_params_f32_round_norms(n->p32, n->p64, n->row_norms), DNN_OK);
    ck_assert(n->row_norms[0] == sqrt(3.0) && n->row_norms[1] == 2.0);
    n->cache = dnn_cache_new_f32(n->p32, M);
    ck_assert_ptr_nonnull(n->cache);
    const double p30 = ldexp(1.0, -30);
    const double x[K * M] = {1.0 + p30,
                             1.0,
                             0.0,
                             1.0 - p30,
                             1.0,
                             0.0,
                             1.5,
                             1.0,
                             0.0,
                             1.0 + ldexp(1.0, -22),
                             1.0 + ldexp(1.0, -23) + ldexp(1.0, -24) + ldexp(1.0, -40),
                             -p30};
    memcpy(n->X64, x, sizeof x);
    for (int i = 0; i < K * M; i++)
        n->X32[i] = (float)x[i];
    for (int j = 0; j < M; j++)
        n->norms[j] =
            sqrt(x[K * j] * x[K * j] + x[K * j + 1] * x[K * j + 1] + x[K * j + 2] * x[K * j + 2]);
}

static void release(network *n)
{
    dnn_params_free(&n->p64);
    dnn_params_f32_free(&n->p32);
    dnn_cache_free_f32(&n->cache);
}

START_TEST(near_zero_pre_activations_take_the_double_sign)
{
    network n;
    make(&n);
    /* unchecked: float rounding makes both near-zero units exactly 0 */
    ck_assert_int_eq(dnn_L_model_forward_f32(n.p32, n.X32, M, n.cache), DNN_OK);
    ck_assert(n.cache->Z[1][0] == 0.0f && n.cache->Z[1][1] == 0.0f);
    ck_assert(n.cache->Z[1][3] == -ldexpf(1.0f, -30));
    long recomputed = 0;
    ck_assert_int_eq(dnn_L_model_forward_f32_checked(n.p32, n.p64, n.row_norms, n.X32, n.X64,
                                                     n.norms, M, n.cache, &recomputed),
                     DNN_OK);
    ck_assert_int_eq(recomputed, 3);
    ck_assert(n.cache->Z[1][0] == ldexpf(1.0f, -30) && n.cache->A[1][0] == ldexpf(1.0f, -30));
    float z3 = (float)(ldexp(1.0, -24) - ldexp(1.0, -30) - ldexp(1.0, -40));
    ck_assert(n.cache->Z[1][3] == z3 && n.cache->A[1][3] == z3);
    ck_assert(n.cache->Z[1][1] == -ldexpf(1.0f, -30) && n.cache->A[1][1] == 0.0f);
    ck_assert(n.cache->Z[1][2] == 0.5f && n.cache->A[1][2] == 0.5f);
    /* the output layer reads the checked activations */
    ck_assert(n.cache->Z[2][0] == 2.0f * ldexpf(1.0f, -30));
    ck_assert(n.cache->Z[2][2] == 1.0f);
    /* without the double examples, from the float ones: example 0 is exactly 0
     * there */
    recomputed = 0;
    ck_assert_int_eq(dnn_L_model_forward_f32_checked(n.p32, n.p64, n.row_norms, n.X32, NULL, NULL,
                                                     M, n.cache, &recomputed),
                     DNN_OK);
    ck_assert_int_eq(recomputed, 3);
    ck_assert(n.cache->Z[1][0] == 0.0f && n.cache->A[1][0] == 0.0f);
    ck_assert(n.cache->Z[1][3] == -ldexpf(1.0f, -30) && n.cache->A[1][3] == 0.0f);
    release(&n);
}
END_TEST

START_TEST(bad_arguments)
{
    network n;
    make(&n);
    ck_assert_int_eq(dnn_L_model_forward_f32_checked(n.p32, NULL, n.row_norms, n.X32, n.X64,
                                                     n.norms, M, n.cache, NULL),
                     DNN_ERR_ARG);
    ck_assert_int_eq(dnn_L_model_forward_f32_checked(n.p32, n.p64, NULL, n.X32, n.X64, n.norms, M,
                                                     n.cache, NULL),
                     DNN_ERR_ARG);
    ck_assert_int_eq(dnn_L_model_forward_f32_checked(n.p32, n.p64, n.row_norms, n.X32, n.X64,
                                                     n.norms, M + 1, n.cache, NULL),
                     DNN_ERR_SHAPE);
    const int other[L + 1] = {K, 2, 1};
    dnn_params *wide = dnn_params_new(L, other);
    ck_assert_int_eq(dnn_L_model_forward_f32_checked(n.p32, wide, n.row_norms, n.X32, n.X64,
                                                     n.norms, M, n.cache, NULL),
                     DNN_ERR_SHAPE);
    dnn_params_free(&wide);
    release(&n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("f32_checked");
    TCase *tc = tcase_create("relu_decisions");
    tcase_add_test(tc, near_zero_pre_activations_take_the_double_sign);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
