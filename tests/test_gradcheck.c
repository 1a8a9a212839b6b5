/* Finite-difference check of L_model_backward on random networks of several
 * depths and widths: relative error ||g - g_fd|| / (||g|| + ||g_fd||) < 1e-7. The
 * trainer's gradient with L2 (dnn_update_settings.l2) is checked the same way against
 * the cost it reports, cross-entropy plus (λ/2m)·Σ‖W‖². */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnn.h"
#include "dnn/trainer.h"
#include "test_util.h"

static const double STEP = 1e-6;      /* centred differences: error ~ STEP^2 + eps/STEP */
static const double MAX_REL_ERR = 1e-7;

typedef struct {
    dnn_params *params, *grads;
    dnn_cache *cache;
    double *X, *Y;
    int m;
} problem;

static problem make_problem(int L, const int *dims, int m, uint32_t seed)
{
    problem pb = {.m = m};
    pb.params = dnn_params_new(L, dims);
    pb.grads = dnn_params_new_like(pb.params);
    pb.cache = dnn_cache_new(pb.params, m);
    pb.X = malloc((size_t)dims[0] * m * sizeof(double));
    pb.Y = malloc((size_t)m * sizeof(double));
    ck_assert(pb.params && pb.grads && pb.cache && pb.X && pb.Y);
    ck_assert_int_eq(dnn_initialize_parameters_deep(pb.params, DNN_INIT_HE, seed), DNN_OK);
    dnn_rng rng;
    dnn_rng_seed(&rng, seed + 1000);
    for (int l = 1; l <= L; l++) /* non-zero biases, so every term of the gradient matters */
        for (int i = 0; i < dims[l]; i++)
            pb.params->b[l][i] = 0.1 * dnn_rng_normal(&rng);
    dnn_rng_normal_fill(&rng, pb.X, (long)dims[0] * m);
    for (int j = 0; j < m; j++)
        pb.Y[j] = dnn_rng_uniform(&rng) < 0.5 ? 0.0 : 1.0;
    return pb;
}

static void free_problem(problem *pb)
{
    dnn_params_free(&pb->params);
    dnn_params_free(&pb->grads);
    dnn_cache_free(&pb->cache);
    free(pb->X);
    free(pb->Y);
}

static double cost_at(problem *pb)
{
    double cost;
    ck_assert_int_eq(dnn_L_model_forward(pb->params, pb->X, pb->m, pb->cache), DNN_OK);
    ck_assert_int_eq(dnn_compute_cost(pb->m, pb->cache->A[pb->params->L], pb->Y, &cost), DNN_OK);
    return cost;
}

static void analytic_gradient(problem *pb)
{
    cost_at(pb);
    const double *AL = pb->cache->A[pb->params->L];
    ck_assert_int_eq(dnn_L_model_backward(pb->params, pb->cache, AL, pb->Y, pb->grads, NULL),
                     DNN_OK);
}

static double gradient_error(problem *pb)
{
    double diff2 = 0.0, g2 = 0.0, fd2 = 0.0;
    for (size_t i = 0; i < pb->params->count; i++) {
        double *theta = &pb->params->arena[i], saved = *theta;
        *theta = saved + STEP;
        double plus = cost_at(pb);
        *theta = saved - STEP;
        double minus = cost_at(pb);
        *theta = saved;
        double fd = (plus - minus) / (2.0 * STEP), g = pb->grads->arena[i];
        diff2 += (g - fd) * (g - fd);
        g2 += g * g;
        fd2 += fd * fd;
    }
    return sqrt(diff2) / (sqrt(g2) + sqrt(fd2));
}

static const struct {
    int L;
    int dims[6];
    int m;
} shapes[] = {
    {1, {4, 1}, 5},
    {2, {3, 4, 1}, 7},
    {2, {10, 1, 1}, 3},
    {3, {5, 7, 3, 1}, 11},
    {4, {6, 9, 5, 4, 1}, 8},
    {5, {3, 12, 8, 6, 2, 1}, 16},
};

START_TEST(gradient_matches_finite_differences)
{
    problem pb = make_problem(shapes[_i].L, shapes[_i].dims, shapes[_i].m, 10u + (uint32_t)_i);
    analytic_gradient(&pb);
    double err = gradient_error(&pb);
    ck_assert_msg(err < MAX_REL_ERR, "network %d: relative gradient error %.3g", _i, err);
    free_problem(&pb);
}
END_TEST

/* The checker itself must see a wrong gradient: spoil one entry and expect a failure. */
START_TEST(checker_detects_a_wrong_gradient)
{
    problem pb = make_problem(shapes[3].L, shapes[3].dims, shapes[3].m, 13u);
    analytic_gradient(&pb);
    pb.grads->W[1][0] += 1e-4;
    ck_assert_double_gt(gradient_error(&pb), MAX_REL_ERR);
    free_problem(&pb);
}
END_TEST

/* One trainer step from pb's parameters with L2 lambda and this learning rate, on a
 * copy: the cost it reports (before the update) and the copy after it in *after. */
static double trainer_step(const problem *pb, double lambda, double learning_rate,
                           dnn_params **after)
{
    dnn_dataset d = {.n_features = pb->params->dims[0], .m_total = pb->m, .first = 0,
                     .m = pb->m, .X = pb->X, .Y = pb->Y, .X_codes = NULL};
    dnn_params *p = dnn_params_new_like(pb->params);
    ck_assert_ptr_nonnull(p);
    memcpy(p->arena, pb->params->arena, p->count * sizeof *p->arena);
    dnn_trainer *t = dnn_trainer_new(p, &d, pb->m, pb->m, DNN_REDUCE_EXACT);
    ck_assert_ptr_nonnull(t);
    dnn_update_settings u = dnn_update_defaults();
    u.l2 = lambda;
    ck_assert_int_eq(dnn_trainer_set_update(t, &u), DNN_OK);
    dnn_reducer one = dnn_reducer_local();
    double cost;
    ck_assert_int_eq(dnn_trainer_step(t, &one, learning_rate, &cost), DNN_OK);
    dnn_trainer_free(&t);
    if (after)
        *after = p;
    else
        dnn_params_free(&p);
    return cost;
}

/* Loop i: shape i with L2. The gradient is what a step of learning rate 1 subtracts. */
START_TEST(l2_gradient_matches_finite_differences)
{
    const double lambda = 0.5;
    problem pb = make_problem(shapes[_i].L, shapes[_i].dims, shapes[_i].m, 40u + (uint32_t)_i);
    dnn_params *after;
    trainer_step(&pb, lambda, 1.0, &after);
    double diff2 = 0.0, g2 = 0.0, fd2 = 0.0;
    for (size_t i = 0; i < pb.params->count; i++) {
        double *theta = &pb.params->arena[i], saved = *theta;
        double g = saved - after->arena[i];
        *theta = saved + STEP;
        double plus = trainer_step(&pb, lambda, 0.0, NULL);
        *theta = saved - STEP;
        double minus = trainer_step(&pb, lambda, 0.0, NULL);
        *theta = saved;
        double fd = (plus - minus) / (2.0 * STEP);
        diff2 += (g - fd) * (g - fd);
        g2 += g * g;
        fd2 += fd * fd;
    }
    double err = sqrt(diff2) / (sqrt(g2) + sqrt(fd2));
    ck_assert_msg(err < MAX_REL_ERR, "network %d with L2: relative gradient error %.3g", _i, err);
    dnn_params_free(&after);
    free_problem(&pb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tcase_create("finite_differences");
    tcase_add_loop_test(tc, gradient_matches_finite_differences, 0,
                        (int)(sizeof shapes / sizeof *shapes));
    tcase_add_test(tc, checker_detects_a_wrong_gradient);
    tcase_add_loop_test(tc, l2_gradient_matches_finite_differences, 0,
                        (int)(sizeof shapes / sizeof *shapes));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
