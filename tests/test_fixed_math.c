/* The project's exp and log (src/core/fixed_math.h, issue 22): special cases as C99's
 * Annex F, the error against values to 40 digits from Python's decimal module
 * (tests/data/fixed_math_ref.txt, tests/reference/fixed_math_ref.py), pinned result
 * bits, and the same bits from a vectorized loop as from one call at a time. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fixed_math.h"
#include "test_util.h"

/* The bounds src/core/fixed_math.h states, in ulps of the result: a margin above the
 * largest errors 4 x 10^7 random inputs showed (launch/fixed_math: 0.689, 0.785 for
 * subnormal results, 0.693 for log); docs/DESIGN.md adds up where they come from. */
#define EXP_BOUND 0.72
#define EXP_SUBNORMAL_BOUND 0.83
#define LOG_BOUND 0.75
/* ln 2 = LN2_HI + LN2_LO + O(2^-86): LN2_HI has 33 bits, so e * LN2_HI is exact */
#define LN2_HI 0x1.62e42feep-1
#define LN2_LO 0x1.a39ef35793c76p-33

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static uint32_t bits_f(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* hi's ulp: the subnormal ulp below DBL_MIN. */
static double ulp_of(double hi)
{
    int e;
    frexp(fabs(hi), &e); /* |hi| in [2^(e-1), 2^e) */
    return ldexp(1.0, (e < DBL_MIN_EXP ? DBL_MIN_EXP : e) - DBL_MANT_DIG);
}

/* |y - exact| in ulps of hi, where exact = hi + rest ulps (y - hi is exact: y and hi
 * are within a few ulps of each other). */
static double ulp_error(double y, double hi, double rest)
{
    return fabs((y - hi) / ulp_of(hi) - rest);
}

START_TEST(exp_special_cases)
{
    ck_assert(isnan(dnn_exp(NAN)));
    ck_assert(isnan(dnn_exp(-NAN)));
    ck_assert_uint_eq(bits(dnn_exp(INFINITY)), bits(INFINITY));
    ck_assert_uint_eq(bits(dnn_exp(-INFINITY)), bits(0.0));
    ck_assert_uint_eq(bits(dnn_exp(0.0)), bits(1.0));
    ck_assert_uint_eq(bits(dnn_exp(-0.0)), bits(1.0));
    ck_assert_uint_eq(bits(dnn_exp(DBL_TRUE_MIN)), bits(1.0));
    ck_assert_uint_eq(bits(dnn_exp(-DBL_TRUE_MIN)), bits(1.0));
    /* the largest finite result and the first overflow: ln(DBL_MAX) = 709.782712893384 */
    ck_assert(dnn_exp(709.78) < INFINITY);
    ck_assert_uint_eq(bits(dnn_exp(0x1.62e42fefa39efp+9)), bits(0x1.fffffffffff2ap+1023));
    ck_assert_uint_eq(bits(dnn_exp(709.79)), bits(INFINITY));
    ck_assert_uint_eq(bits(dnn_exp(1000.0)), bits(INFINITY));
    ck_assert_uint_eq(bits(dnn_exp(DBL_MAX)), bits(INFINITY));
    /* underflow: subnormals rounded once, then +0 below ln(2^-1075) = -745.1332 */
    ck_assert_uint_eq(bits(dnn_exp(-745.13)), bits(DBL_TRUE_MIN));
    ck_assert_uint_eq(bits(dnn_exp(-745.14)), bits(0.0));
    ck_assert_uint_eq(bits(dnn_exp(-746.0)), bits(0.0));
    ck_assert_uint_eq(bits(dnn_exp(-DBL_MAX)), bits(0.0));
    ck_assert(dnn_exp(-708.5) > 0.0 && dnn_exp(-708.5) < DBL_MIN);
    /* near k ln 2: close to 2^k */
    for (int k = -1022; k <= 1023; k += 7) {
        double ratio = dnn_exp(k * (LN2_HI + LN2_LO)) / ldexp(1.0, k);
        ck_assert_msg(fabs(ratio - 1.0) < 1e-12, "k = %d: %.17g", k, ratio);
    }
}
END_TEST

START_TEST(log_special_cases)
{
    ck_assert(isnan(dnn_log(NAN)));
    ck_assert(isnan(dnn_log(-1.0)));
    ck_assert(isnan(dnn_log(-DBL_TRUE_MIN)));
    ck_assert(isnan(dnn_log(-INFINITY)));
    ck_assert_uint_eq(bits(dnn_log(0.0)), bits(-INFINITY));
    ck_assert_uint_eq(bits(dnn_log(-0.0)), bits(-INFINITY));
    ck_assert_uint_eq(bits(dnn_log(INFINITY)), bits(INFINITY));
    ck_assert_uint_eq(bits(dnn_log(1.0)), bits(0.0));
    /* the ends of the range, to the bit: ln(2^-1074), ln(2^-1022), ln(DBL_MAX) */
    ck_assert_uint_eq(bits(dnn_log(DBL_TRUE_MIN)), bits(-0x1.74385446d71c3p+9));
    ck_assert_uint_eq(bits(dnn_log(DBL_MIN)), bits(-0x1.6232bdd7abcd2p+9));
    ck_assert_uint_eq(bits(dnn_log(DBL_MAX)), bits(0x1.62e42fefa39efp+9));
    /* powers of two: e ln 2 */
    for (int e = -1074; e <= 1023; e++) {
        double exact_hi = e * LN2_HI + e * LN2_LO; /* the nearest double, nearly always */
        double rest = ((e * LN2_HI - exact_hi) + e * LN2_LO) / ulp_of(exact_hi);
        double u = ulp_error(dnn_log(ldexp(1.0, e)), exact_hi, rest);
        ck_assert_msg(u < LOG_BOUND, "log(2^%d): %.3f ulp", e, u);
    }
    /* the neighbours of 1 */
    /* ln(1 + 2^-52) = 2^-52 - 2^-105 + ..., a double; ln(1 - 2^-53) rounds to -2^-53 */
    ck_assert_uint_eq(bits(dnn_log(nextafter(1.0, 2.0))), bits(DBL_EPSILON - 0x1p-105));
    ck_assert_uint_eq(bits(dnn_log(nextafter(1.0, 0.0))), bits(-DBL_EPSILON / 2));
}
END_TEST

START_TEST(float_special_cases)
{
    ck_assert(isnan(dnn_expf(NAN)) && isnan(dnn_logf(NAN)) && isnan(dnn_logf(-1.0f)));
    ck_assert_uint_eq(bits_f(dnn_expf(INFINITY)), bits_f(INFINITY));
    ck_assert_uint_eq(bits_f(dnn_expf(-INFINITY)), bits_f(0.0f));
    ck_assert_uint_eq(bits_f(dnn_expf(89.0f)), bits_f(INFINITY)); /* > FLT_MAX */
    ck_assert_uint_eq(bits_f(dnn_expf(-104.0f)), bits_f(0.0f));
    ck_assert_uint_eq(bits_f(dnn_expf(-103.2f)), bits_f(FLT_TRUE_MIN));
    ck_assert_uint_eq(bits_f(dnn_logf(0.0f)), bits_f(-INFINITY));
    ck_assert_uint_eq(bits_f(dnn_logf(INFINITY)), bits_f(INFINITY));
    ck_assert_uint_eq(bits_f(dnn_logf(1.0f)), bits_f(0.0f));
    ck_assert_uint_eq(bits_f(dnn_logf(FLT_TRUE_MIN)), bits_f(-0x1.9d1da0p+6f));
}
END_TEST

/* Reads tests/data/fixed_math_ref.txt and checks every line; prints the worst errors. */
START_TEST(error_against_decimal)
{
    char path[1024], line[256], name[8];
    snprintf(path, sizeof path, "%s/fixed_math_ref.txt", DNN_TEST_DATA_DIR);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    double worst_exp = 0.0, worst_sub = 0.0, worst_log = 0.0, worst_expf = 0.0;
    int n_exp = 0, n_log = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        double x, hi, rest;
        ck_assert_msg(sscanf(line, "%7s %la %la %la", name, &x, &hi, &rest) == 4,
                      "bad line %s", line);
        if (strcmp(name, "exp") == 0) {
            double u = ulp_error(dnn_exp(x), hi, rest);
            double *worst = hi < DBL_MIN ? &worst_sub : &worst_exp;
            *worst = u > *worst ? u : *worst;
            n_exp++;
            /* expf where x is a float and the result a normal float: in float ulps */
            if ((float)x == x && fabs(hi) > FLT_MIN && hi < FLT_MAX) {
                int e;
                frexp(hi, &e);
                double ulp = ldexp(1.0, e - FLT_MANT_DIG);
                double uf = fabs(((double)dnn_expf((float)x) - hi) - rest * ulp_of(hi)) / ulp;
                worst_expf = uf > worst_expf ? uf : worst_expf;
            }
        } else {
            ck_assert_str_eq(name, "log");
            double u = ulp_error(dnn_log(x), hi, rest);
            worst_log = u > worst_log ? u : worst_log;
            n_log++;
        }
    }
    fclose(f);
    printf("fixed_math: %d exp, worst %.4f ulp (normal results), %.4f ulp (subnormal); "
           "%d log, worst %.4f ulp\n", n_exp, worst_exp, worst_sub, n_log, worst_log);
    ck_assert_int_ge(n_exp, 2000);
    ck_assert_int_ge(n_log, 2000);
    ck_assert_msg(worst_exp < EXP_BOUND, "exp: %.4f ulp", worst_exp);
    ck_assert_msg(worst_sub < EXP_SUBNORMAL_BOUND, "exp, subnormal results: %.4f ulp", worst_sub);
    ck_assert_msg(worst_log < LOG_BOUND, "log: %.4f ulp", worst_log);
    ck_assert_msg(worst_expf <= 0.5 + 0x1p-28, "expf: %.6f ulp", worst_expf);
}
END_TEST

/* The float versions are the double ones rounded once: on a grid of floats. */
START_TEST(float_is_double_rounded_once)
{
    for (float x = -103.0f; x < 88.0f; x += 0.37f)
        ck_assert_uint_eq(bits_f(dnn_expf(x)), bits_f((float)dnn_exp(x)));
    for (float x = 1e-30f; x < 1e30f; x *= 1.7f)
        ck_assert_uint_eq(bits_f(dnn_logf(x)), bits_f((float)dnn_log(x)));
}
END_TEST

/* Any change of the algorithm, the constants or the order of operations changes some
 * of these bits; they are what the implementation gave when it was written (where the
 * correctly rounded value is known, it is that one). */
START_TEST(pinned_bits)
{
    static const struct {
        int is_log;
        double x;
        uint64_t bits;
    } pins[] = {
        {0, 1.0, 0x4005bf0a8b145769u},   /* e */
        {0, -1.0, 0x3fd78b56362cef38u},  /* 1/e */
        {0, 0.5, 0x3ffa61298e1e069cu},
        {0, -0.34, 0x3fe6c6d28e50ebb5u},
        {0, 100.0, 0x48f3494a9b171bf5u},
        {0, -745.1, 0x0000000000000001u}, /* the smallest subnormal */
        {0, -708.5, 0x000e6cf6d08897acu}, /* subnormal */
        {0, 709.7, 0x7fed75ae7a50ee14u},
        {1, 2.0, 0x3fe62e42fefa39efu},   /* ln 2 */
        {1, 10.0, 0x40026bb1bbb55516u},  /* ln 10 */
        {1, 0.75, 0xbfd269621134db92u},
        {1, 0.6987, 0xbfd6f237ceca90ebu},
        {1, 1e-300, 0xc085963447f87fb5u},
        {1, 0x1p-1060, 0xc086f5e359f105f9u}, /* subnormal x */
    };
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        double y = pins[i].is_log ? dnn_log(pins[i].x) : dnn_exp(pins[i].x);
        ck_assert_msg(bits(y) == pins[i].bits, "%s(%a) = %a, bits 0x%016llx, pinned 0x%016llx",
                      pins[i].is_log ? "log" : "exp", pins[i].x, y, (unsigned long long)bits(y),
                      (unsigned long long)pins[i].bits);
    }
    ck_assert_uint_eq(bits_f(dnn_expf(1.0f)), 0x402df854u);
    ck_assert_uint_eq(bits_f(dnn_logf(2.0f)), 0x3f317218u);
}
END_TEST

/* FNV-1a over the bits of exp and log on grids that cross every binade of the results:
 * any change of the bits anywhere shows here. */
START_TEST(pinned_hash_of_a_grid)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (int i = 0; i < 200000; i++) {
        double x = -746.0 + 1457.0 * i / 199999.0;
        uint64_t b = bits(dnn_exp(x));
        for (int k = 0; k < 8; k++)
            h = (h ^ ((b >> (8 * k)) & 0xff)) * 0x100000001b3u;
        b = bits(dnn_log(ldexp(1.0 + i / 200000.0, i % 2098 - 1074)));
        for (int k = 0; k < 8; k++)
            h = (h ^ ((b >> (8 * k)) & 0xff)) * 0x100000001b3u;
    }
    ck_assert_msg(h == 0xbdb885f9e26bc17fu, "hash 0x%016llx", (unsigned long long)h);
}
END_TEST

/* One call at a time through a function the compiler cannot inline. */
__attribute__((noinline)) static double exp_one(double x)
{
    return dnn_exp(x);
}

__attribute__((noinline)) static double log_one(double x)
{
    return dnn_log(x);
}

/* The loops the layers run, for the ISA level of the build. */
static void loops(int n, const double *x, const double *z, double *sig, double *lg)
{
    for (int i = 0; i < n; i++)
        sig[i] = 1.0 / (1.0 + dnn_exp(-x[i]));
    for (int i = 0; i < n; i++)
        lg[i] = dnn_log(z[i]);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* The same loops vectorized with AVX2 (gcc does not vectorize them for SSE2). */
__attribute__((target("avx2"), optimize("O3"))) static void loops_avx2(int n, const double *x,
                                                                    const double *z,
                                                                    double *sig, double *lg)
{
    for (int i = 0; i < n; i++)
        sig[i] = 1.0 / (1.0 + dnn_exp(-x[i]));
    for (int i = 0; i < n; i++)
        lg[i] = dnn_log(z[i]);
}
#endif

/* Loops (vector code where the CPU has AVX2) give the bits of single calls. */
START_TEST(loop_gives_single_call_bits)
{
    enum { N = 4099 };
    static double x[N], z[N], sig[N], lg[N];
    for (int i = 0; i < N; i++) {
        x[i] = -800.0 + 1510.0 * i / (N - 1) + 1e-3 * sin(i);
        z[i] = ldexp(1.0 + i / (double)N, i % 2100 - 1100);
    }
    z[7] = 0.0, z[8] = -1.0, z[9] = INFINITY, z[10] = 0x1p-1070, x[11] = INFINITY;
    for (int variant = 0; variant < 2; variant++) {
        if (variant == 0) {
            loops(N, x, z, sig, lg);
        } else {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
            if (!__builtin_cpu_supports("avx2")) {
                printf("fixed_math: no AVX2 on this CPU, vector loops not checked\n");
                break;
            }
            loops_avx2(N, x, z, sig, lg);
#else
            break;
#endif
        }
        for (int i = 0; i < N; i++) {
            ck_assert_uint_eq(bits(sig[i]), bits(1.0 / (1.0 + exp_one(-x[i]))));
            double l = log_one(z[i]);
            ck_assert_msg(bits(lg[i]) == bits(l) || (isnan(lg[i]) && isnan(l)), "log(%a)", z[i]);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fixed_math");
    TCase *tc = tcase_create("fixed_math");
    tcase_add_test(tc, exp_special_cases);
    tcase_add_test(tc, log_special_cases);
    tcase_add_test(tc, float_special_cases);
    tcase_add_test(tc, error_against_decimal);
    tcase_add_test(tc, float_is_double_rounded_once);
    tcase_add_test(tc, pinned_bits);
    tcase_add_test(tc, pinned_hash_of_a_grid);
    tcase_add_test(tc, loop_gives_single_call_bits);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
