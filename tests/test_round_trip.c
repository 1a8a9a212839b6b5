/* The probe of how far apart a team's cores are (src/round_trip.c): it measures when
 * the threads have cores of their own, and returns, never hangs, when they share one. */
#define _GNU_SOURCE
#include <math.h>
#include <omp.h>
#include <sched.h>

#include "programs/round_trip.h"
#include "test_util.h"

START_TEST(no_partner_no_measure)
{
    ck_assert(dnn_team_round_trip_ns(1, 3, 100, 1e-3) == 0.0);
    ck_assert(dnn_team_round_trip_ns(2, 0, 100, 1e-3) == 0.0);
    ck_assert(dnn_team_round_trip_ns(2, 3, 0, 1e-3) == 0.0);
}
END_TEST

START_TEST(two_cores_give_a_time)
{
    cpu_set_t set;
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    if (CPU_COUNT(&set) < 2 || omp_get_thread_limit() < 2) {
        printf("skipped: fewer than 2 CPUs\n");
        return;
    }
    double ns = dnn_team_round_trip_ns(2, 3, 1000, 1.0);
    printf("round trip between threads 0 and 1: %.1f ns\n", ns);
    ck_assert(ns > 0.0);
}
END_TEST

/* Both threads on one CPU: each trip waits for the scheduler, so a batch runs past its
 * deadline; the probe must give up (INFINITY) or finish, and return either way. */
START_TEST(threads_sharing_a_core_return)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    double t0 = omp_get_wtime();
    double ns = dnn_team_round_trip_ns(3, 3, 100000, 1e-3);
    printf("three threads on one CPU: %g ns after %.3f s\n", ns, omp_get_wtime() - t0);
    ck_assert(ns > 0.0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("round_trip");
    TCase *tc = tcase_create("probe");
    tcase_add_test(tc, no_partner_no_measure);
    tcase_add_test(tc, two_cores_give_a_time);
    tcase_add_test(tc, threads_sharing_a_core_return);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
