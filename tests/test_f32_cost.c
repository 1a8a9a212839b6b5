/* The cost a --dtype f32 run reports (and dnn-train prints) is computed from the float
 * logits widened to double, not from the float AL (issue 19): near AL = 1 the float
 * sigmoid has no digits left for 1 - AL, and from z = 17.33 on it rounds to exactly 1.0f,
 * where log(1 - AL) of a label 0 would be clamped to log(DBL_TRUE_MIN) = -744.4 instead
 * of about -z.
 *
 * One sigmoid unit z = x1 + x2 (W = (1, 1), b = 0) on a few examples chosen so that the
 * float logits are exact (small integers: every product and partial sum is an integer
 * below 2^24), the cost of one step and of dnn_trainer_evaluate in f32 against the same
 * in f64. The tolerance is a bound, not a fit (see cost_tolerance); the test also checks
 * that the cost from the float AL would lie far outside it, so it can fail. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "dnn/layers.h"
#include "dnn/reducer.h"
#include "dnn/trainer.h"
#include "test_util.h"

enum { K = 2, M_MAX = 8 };

typedef struct {
    int m;
    double X[K * M_MAX]; /* column-major: example j at X + K j */
    double Y[M_MAX];
} problem;

/* Case 0: a label-0 example with z = 30 (float AL rounds to 1.0f), the rest ordinary.
 * Case 1: nothing saturates, but z = 15 with label 0 leaves 1 - AL = 3.06e-7, which the
 * float AL holds as 5 steps of 2^-24 (2.6% off: 0.026 on that example's cost) where a
 * double holds it to 1e-9. */
static const problem cases[] = {
    {4, {15, 15, 20, -19, -2, -1, 4, 3}, {0, 1, 0, 1}},
    {3, {8, 7, -6, -6, 3, 2}, {0, 1, 1}},
};

static const int dims[2] = {K, 1};

static dnn_params *unit(void)
{
    dnn_params *p = dnn_params_new(1, dims);
    ck_assert_ptr_nonnull(p);
    p->W[1][0] = p->W[1][1] = 1.0;
    p->b[1][0] = 0.0;
    return p;
}

/* The cost dnn_trainer_evaluate reports on the unit's parameters, then the cost a step
 * reports (that of the parameters before its update: the same ones). */
static void costs(const problem *pb, dnn_dtype dtype, double *step_cost, double *eval_cost)
{
    dnn_dataset d = {.n_features = K, .m_total = pb->m, .first = 0, .m = pb->m,
                     .X = (double *)pb->X, .Y = (double *)pb->Y, .X_codes = NULL};
    dnn_reducer one = dnn_reducer_local();
    dnn_params *p = unit();
    dnn_trainer *t = dnn_trainer_new_typed(p, &d, pb->m, pb->m, DNN_REDUCE_EXACT, dtype);
    ck_assert_ptr_nonnull(t);
    long correct;
    ck_assert_int_eq(dnn_trainer_evaluate(t, &d, &one, eval_cost, &correct), DNN_OK);
    ck_assert_int_eq(dnn_trainer_step(t, &one, 0.0, step_cost), DNN_OK);
    dnn_trainer_free(&t);
    dnn_params_free(&p);
}

/* How far the f32 cost may be from the f64 one. Each example's cost is softplus(z) or
 * softplus(-z), whose slope |sigmoid(z) - y| is at most 1, so the mean cost moves by at
 * most the mean error of the logits. A float logit of k inputs went through at most
 * s = k + 4 roundings of relative size u = 2^-24 (the product chain, the bias add, and W,
 * b and x rounded to float: the count src/core/forward_f32_checked.c uses), so
 * |z32 - z| <= gamma_s (sum_i |w_i x_i| + |b|) with gamma_s = s u / (1 - s u) [Higham,
 * 3.1]. Both runs then evaluate the sigmoid and the log in double by the same code, which
 * adds a few ulps of the cost: 16 eps |cost| covers it. (Here the float logits happen
 * to be exact, so the two costs agree to the last bit; the bound does not rely on it.) */
static double cost_tolerance(const problem *pb, double cost)
{
    const double u = ldexp(1.0, -24), s = K + 4, gamma = s * u / (1.0 - s * u);
    double sum = 0.0;
    for (int j = 0; j < pb->m; j++)
        sum += gamma * (fabs(pb->X[K * j]) + fabs(pb->X[K * j + 1])); /* w = 1, b = 0 */
    return sum / pb->m + 16.0 * DBL_EPSILON * fabs(cost);
}

/* The cost the mutation would report: the cross-entropy of the float AL, widened. */
static double cost_from_float_al(const problem *pb)
{
    double a[M_MAX];
    for (int j = 0; j < pb->m; j++) {
        float z = (float)(pb->X[K * j] + pb->X[K * j + 1]);
        a[j] = (float)(1.0 / (1.0 + expf(-z))); /* the float layer's sigmoid */
    }
    double sum;
    ck_assert_int_eq(dnn_cross_entropy_sum(pb->m, a, pb->Y, &sum), DNN_OK);
    return sum / pb->m;
}

/* Loop i: case i. */
START_TEST(f32_cost_is_the_f64_cost)
{
    const problem *pb = &cases[_i];
    double step64, eval64, step32, eval32;
    costs(pb, DNN_F64, &step64, &eval64);
    costs(pb, DNN_F32, &step32, &eval32);
    double tol = cost_tolerance(pb, step64), wrong = cost_from_float_al(pb);
    printf("case %d: f64 cost %.17g, f32 step %.17g (diff %.3g), f32 evaluate %.17g (diff "
           "%.3g), tolerance %.3g; from the float AL it would be %.17g (diff %.3g)\n",
           _i, step64, step32, fabs(step32 - step64), eval32, fabs(eval32 - step64), tol, wrong,
           fabs(wrong - step64));
    fflush(stdout);
    ck_assert_msg(eval64 == step64, "f64: evaluate %.17g, step %.17g", eval64, step64);
    ck_assert_msg(fabs(step32 - step64) <= tol,
                  "f32 step cost %.17g, f64 %.17g: off by %.3g > %.3g", step32, step64,
                  fabs(step32 - step64), tol);
    ck_assert_msg(fabs(eval32 - step64) <= tol,
                  "f32 evaluate cost %.17g, f64 %.17g: off by %.3g > %.3g", eval32, step64,
                  fabs(eval32 - step64), tol);
    /* the test can fail: the float AL's cost is far outside the tolerance */
    ck_assert_msg(fabs(wrong - step64) > 100.0 * tol, "case %d does not tell the two apart", _i);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("f32_cost");
    TCase *tc = tcase_create("logits_in_double");
    tcase_add_loop_test(tc, f32_cost_is_the_f64_cost, 0, (int)(sizeof cases / sizeof *cases));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
