/* Early stopping's bookkeeping (src/programs/early_stop.c): only a strictly lower test
 * cost is an improvement and keeps a copy of the parameters; training stops at the N-th
 * print after the best without one; the run ends with the best parameters unless its
 * last ones (a print that did not count) are strictly better; the state goes through a
 * checkpoint's fields and continues the same decisions. tests/mpi/early_stop.sh checks
 * the same on the course's data through dnn-train. */
#include <math.h>
#include <string.h>

#include "dnn/params.h"
#include "programs/early_stop.h"
#include "test_util.h"

static const int dims[] = {3, 2, 1};

/* Parameters that say which iteration left them: every value is the iteration. */
static void stamp(dnn_params *p, long iteration)
{
    for (size_t i = 0; i < p->count; i++)
        p->arena[i] = (double)iteration;
}

/* Feeds costs[k] as the print of iteration 10*k; returns the index of the print that
 * stopped training, or -1. */
static int feed(early_stop *es, dnn_params *p, const double *costs, int n)
{
    for (int k = 0; k < n; k++) {
        stamp(p, 10L * k);
        if (early_stop_observe(es, p, costs[k], 10L * k))
            return k;
    }
    return -1;
}

START_TEST(stops_at_the_nth_print_without_a_strictly_lower_cost)
{
    dnn_params *p = dnn_params_new(2, dims);
    ck_assert_ptr_nonnull(p);
    early_stop es;
    ck_assert_int_eq(early_stop_init(&es, 3, p), DNN_OK);
    /* 4.0 again is no improvement, 3.9 is (the count restarts), NaN and +Inf never are */
    const double costs[] = {5.0, 4.0, 4.0, 6.0, 3.9, 7.0, NAN, INFINITY, 1.0};
    ck_assert_int_eq(feed(&es, p, costs, 9), 7);
    ck_assert(es.best_cost == 3.9 && es.best_iteration == 40 && es.since_best == 3);
    ck_assert(early_stop_reached(&es));
    ck_assert_int_eq(early_stop_keep_best(&es, p, INFINITY), 1);
    ck_assert(p->arena[0] == 40.0 && p->arena[p->count - 1] == 40.0);
    /* last parameters strictly better than the best are kept; equal ones are not */
    stamp(p, 99);
    ck_assert_int_eq(early_stop_keep_best(&es, p, 3.8), 0);
    ck_assert(p->arena[0] == 99.0);
    ck_assert_int_eq(early_stop_keep_best(&es, p, 3.9), 1);
    ck_assert(p->arena[0] == 40.0);
    early_stop_free(&es);
    dnn_params_free(&p);
}
END_TEST

START_TEST(off_does_nothing)
{
    dnn_params *p = dnn_params_new(2, dims);
    early_stop es;
    ck_assert_int_eq(early_stop_init(&es, 0, p), DNN_OK);
    ck_assert_ptr_null(es.best);
    const double costs[] = {3.0, 4.0, 5.0, 6.0};
    ck_assert_int_eq(feed(&es, p, costs, 4), -1);
    ck_assert(!early_stop_reached(&es));
    ck_assert_int_eq(early_stop_keep_best(&es, p, INFINITY), 0);
    ck_assert(p->arena[0] == 30.0);
    dnn_checkpoint_info ci;
    memset(&ci, 0, sizeof ci);
    early_stop_to_checkpoint(&es, &ci);
    ck_assert_ptr_null(ci.best_params);
    early_stop_free(&es);
    dnn_params_free(&p);
}
END_TEST

/* Cut after any print and continued from the checkpoint's fields: the same stop and the
 * same best as without the cut. */
START_TEST(a_checkpoint_continues_the_same_decisions)
{
    /* bests at prints 0, 1, 3 and 6; the third after 6 (an equal cost) stops */
    const double costs[] = {5.0, 4.0, 4.5, 3.0, 3.5, 3.2, 2.9, 3.0, 3.0, 2.9, 2.0};
    const int n = (int)(sizeof costs / sizeof *costs);
    dnn_params *p = dnn_params_new(2, dims), *q = dnn_params_new(2, dims);
    early_stop whole;
    ck_assert_int_eq(early_stop_init(&whole, 3, p), DNN_OK);
    int stop = feed(&whole, p, costs, n);
    ck_assert_int_eq(stop, 9);
    for (int cut = 1; cut <= stop; cut++) {
        early_stop first, second;
        ck_assert_int_eq(early_stop_init(&first, 3, p), DNN_OK);
        ck_assert_int_eq(feed(&first, p, costs, cut), -1);
        dnn_checkpoint_info ci;
        memset(&ci, 0, sizeof ci);
        early_stop_to_checkpoint(&first, &ci);
        ck_assert_ptr_nonnull(ci.best_params);
        ck_assert_int_eq(early_stop_init(&second, 3, p), DNN_OK);
        early_stop_from_checkpoint(&second, &ci);
        early_stop_free(&first); /* the checkpoint's copy is what goes on */
        int k = cut;
        for (; k < n; k++) {
            stamp(p, 10L * k);
            if (early_stop_observe(&second, p, costs[k], 10L * k))
                break;
        }
        ck_assert_msg(k == stop, "cut after print %d: stopped at %d, not %d", cut - 1, k, stop);
        ck_assert(second.best_cost == whole.best_cost &&
                  second.best_iteration == whole.best_iteration);
        ck_assert(early_stop_keep_best(&second, q, INFINITY));
        ck_assert(memcmp(q->arena, whole.best->arena, q->count * sizeof *q->arena) == 0);
        early_stop_free(&second);
    }
    early_stop_free(&whole);
    dnn_params_free(&p);
    dnn_params_free(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("early_stop");
    TCase *tc = tcase_create("early_stop");
    tcase_add_test(tc, stops_at_the_nth_print_without_a_strictly_lower_cost);
    tcase_add_test(tc, off_does_nothing);
    tcase_add_test(tc, a_checkpoint_continues_the_same_decisions);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
