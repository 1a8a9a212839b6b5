/* The generator against numpy: seed(n) then randn(1000) for several seeds, and
 * random_sample(100) after seed(1), read from tests/data/ (see tests/reference/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/rng.h"
#include "test_util.h"

/* Reads up to max values written with %.17g, skipping '#' lines; returns the count. */
static int read_values(const char *name, double *values, int max)
{
    char path[1024], line[256];
    snprintf(path, sizeof path, "%s/%s", DNN_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *end;
        values[n] = strtod(line, &end);
        ck_assert_msg(end != line, "%s: bad line %d", path, n + 1);
        n++;
    }
    fclose(f);
    return n;
}

static const uint32_t seeds[] = {0, 1, 2, 3, 42, 4294967295u};

START_TEST(normals_match_numpy_bit_for_bit)
{
    enum { N = 1000 };
    double expected[N];
    char name[64];
    snprintf(name, sizeof name, "normals_seed%u.txt", seeds[_i]);
    ck_assert_int_eq(read_values(name, expected, N), N);
    dnn_rng rng;
    dnn_rng_seed(&rng, seeds[_i]);
    for (int k = 0; k < N; k++) {
        double x = dnn_rng_normal(&rng);
        ck_assert_msg(memcmp(&x, &expected[k], sizeof x) == 0,
                      "seed %u, value %d: %.17g, numpy %.17g", seeds[_i], k, x, expected[k]);
    }
}
END_TEST

START_TEST(uniforms_match_numpy_bit_for_bit)
{
    enum { N = 100 };
    double expected[N];
    ck_assert_int_eq(read_values("uniform_seed1.txt", expected, N), N);
    dnn_rng rng;
    dnn_rng_seed(&rng, 1);
    for (int k = 0; k < N; k++) {
        double x = dnn_rng_uniform(&rng);
        ck_assert_msg(memcmp(&x, &expected[k], sizeof x) == 0, "value %d: %.17g, numpy %.17g",
                      k, x, expected[k]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("numpy");
    tcase_add_loop_test(tc, normals_match_numpy_bit_for_bit, 0,
                        (int)(sizeof seeds / sizeof *seeds));
    tcase_add_test(tc, uniforms_match_numpy_bit_for_bit);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
