/* The fixed-order GEMM (src/kernels/gemm.h): every variant this CPU runs gives, bit for
 * bit, the spec's sum, written out here as a plain triple loop (fma over k in order,
 * then one multiply by alpha), on shapes around every tile and cache-block edge of
 * every variant, with both transposes, alpha != 1, K = 0 and operands given as 8-bit
 * codes (with zeros in the other operand, whose terms the codes' products may skip).
 * A variant the CPU cannot run is named in the output, not silently passed. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/rng.h"
#include "kernels/gemm.h"
#include "test_util.h"

/* 1, odd sizes, and both sides of the tiles' rows (4, 8, 16, 24, 48), columns (4, 6,
 * 8), and the k blocks (256) */
static const int Ms[] = {1, 3, 4, 5, 8, 9, 15, 16, 17, 23, 24, 25, 47, 48, 49, 70};
static const int Ns[] = {1, 2, 5, 6, 7, 8, 9, 13, 17};
static const int Ks[] = {0, 1, 2, 7, 255, 256, 257, 513};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void report_variants(void)
{
    for (int isa = 0; isa < DNN_ISA_COUNT; isa++)
        if (!dnn_isa_supported((dnn_isa)isa))
            printf("NOT RUN: variant %s (this CPU cannot run it)\n", dnn_isa_name((dnn_isa)isa));
}

/* Values of many magnitudes and both signs, so that another order of the sums or of
 * the roundings changes the last bits. */
static double random_value(dnn_rng *rng)
{
    return dnn_rng_normal(rng) * ldexp(1.0, (int)(dnn_rng_uniform(rng) * 12.0) - 6);
}

#define DEFINE_CHECKS(REAL, SUFFIX, FMA, CODE_VALUE)                                        \
                                                                                            \
    /* An operand of R rows and K columns in op(X), stored with its transposes and a      \
     * leading dimension larger than needed; codes: 8-bit codes, values their values. */  \
    static REAL *operand_##SUFFIX(dnn_rng *rng, int R, int K, int trans, int codes,         \
                                  uint8_t **q, int *ld)                                     \
    {                                                                                       \
        int rows = trans ? K : R, cols = trans ? R : K;                                     \
        *ld = rows + 3;                                                                     \
        size_t n = (size_t)*ld * (size_t)(cols > 0 ? cols : 1);                             \
        REAL *v = malloc(n * sizeof *v);                                                    \
        *q = malloc(n);                                                                     \
        ck_assert(v && *q);                                                                 \
        for (size_t i = 0; i < n; i++) {                                                    \
            (*q)[i] = (uint8_t)(dnn_rng_uniform(rng) * 256.0);                              \
            v[i] = codes ? CODE_VALUE((*q)[i]) : (REAL)random_value(rng);                   \
        }                                                                                   \
        return v;                                                                           \
    }                                                                                       \
                                                                                            \
    static REAL op_##SUFFIX(const REAL *x, int ld, int trans, int r, int k)                 \
    {                                                                                       \
        return trans ? x[k + (size_t)r * ld] : x[r + (size_t)k * ld];                       \
    }                                                                                       \
                                                                                            \
    /* The spec, element by element. */                                                    \
    static void naive_##SUFFIX(int M, int N, int K, REAL alpha, const REAL *A, int lda,     \
                               int ta, const REAL *B, int ldb, int tb, REAL *C, int ldc)    \
    {                                                                                       \
        for (int i = 0; i < M; i++)                                                         \
            for (int j = 0; j < N; j++) {                                                   \
                REAL acc = 0;                                                               \
                for (int k = 0; k < K; k++)                                                 \
                    acc = FMA(op_##SUFFIX(A, lda, ta, i, k), op_##SUFFIX(B, ldb, !tb, j, k), \
                              acc);                                                         \
                C[i + (size_t)j * ldc] = alpha * acc;                                       \
            }                                                                               \
    }                                                                                       \
                                                                                            \
    /* One shape through every variant; returns how many variants ran. */                  \
    static int check_##SUFFIX(dnn_rng *rng, int M, int N, int K, int ta, int tb,            \
                              REAL alpha, int codes_a, int codes_b)                         \
    {                                                                                       \
        int lda, ldb, ldc = M + 2;                                                          \
        uint8_t *qa, *qb;                                                                   \
        REAL *A = operand_##SUFFIX(rng, M, K, ta, codes_a, &qa, &lda);                      \
        REAL *B = operand_##SUFFIX(rng, N, K, !tb, codes_b, &qb, &ldb);                     \
        if (codes_a) /* zeros (+0, -0) in op(B), whole rows of it too: skipped terms */    \
            for (int k = 0; k < K; k++)                                                     \
                for (int j = 0; j < N; j++)                                                 \
                    if (k % 3 == 0 || dnn_rng_uniform(rng) < 0.3)                           \
                        B[tb ? j + (size_t)k * ldb : k + (size_t)j * ldb] =                 \
                            dnn_rng_uniform(rng) < 0.5 ? (REAL)0 : -(REAL)0;                \
        size_t nc = (size_t)ldc * N;                                                        \
        REAL *want = malloc(nc * sizeof *want), *got = malloc(nc * sizeof *got);            \
        ck_assert(want && got);                                                             \
        naive_##SUFFIX(M, N, K, alpha, A, lda, ta, B, ldb, tb, want, ldc);                  \
        dnn_gemm_operand a = codes_a ? dnn_gemm_codes(qa, lda, ta)                          \
                                     : dnn_gemm_values(A, lda, ta);                         \
        dnn_gemm_operand b = codes_b ? dnn_gemm_codes(qb, ldb, tb)                          \
                                     : dnn_gemm_values(B, ldb, tb);                         \
        int ran = 0;                                                                        \
        for (int isa = 0; isa < DNN_ISA_COUNT; isa++) {                                     \
            if (!dnn_isa_supported((dnn_isa)isa))                                           \
                continue;                                                                   \
            for (size_t e = 0; e < nc; e++)                                                 \
                got[e] = (REAL)-7.25; /* the padding rows must keep it */                  \
            ck_assert_int_eq(                                                               \
                dnn_gemm_##SUFFIX##_isa((dnn_isa)isa, M, N, K, alpha, a, b, got, ldc), 0);  \
            for (int j = 0; j < N; j++)                                                     \
                for (int i = 0; i < ldc; i++) {                                             \
                    size_t e = i + (size_t)j * ldc;                                         \
                    REAL w = i < M ? want[e] : (REAL)-7.25;                                 \
                    ck_assert_msg(memcmp(&got[e], &w, sizeof w) == 0,                       \
                                  #SUFFIX " %s: M %d N %d K %d trans %d%d codes %d%d: "     \
                                  "C[%d,%d] = %a, the spec gives %a",                       \
                                  dnn_isa_name((dnn_isa)isa), M, N, K, ta, tb, codes_a,     \
                                  codes_b, i, j, (double)got[e], (double)w);                \
                }                                                                           \
            ran++;                                                                          \
        }                                                                                   \
        free(A), free(B), free(qa), free(qb), free(want), free(got);                        \
        return ran;                                                                         \
    }                                                                                       \
                                                                                            \
    START_TEST(shapes_##SUFFIX)                                                             \
    {                                                                                       \
        report_variants();                                                                  \
        dnn_rng rng_, *rng = &rng_;                                                \
        dnn_rng_seed(rng, 22);                                                     \
        int shapes = 0;                                                                     \
        for (int m = 0; m < COUNT(Ms); m++)                                                 \
            for (int n = 0; n < COUNT(Ns); n++)                                             \
                for (int k = 0; k < COUNT(Ks); k++) {                                       \
                    int t = (m + n + k) % 4; /* each transpose pair in turn */              \
                    REAL alpha = (m + k) % 3 == 0 ? (REAL)1 : (REAL)(-0.3 - 0.1 * n);       \
                    ck_assert_int_gt(check_##SUFFIX(rng, Ms[m], Ns[n], Ks[k], t & 1, t >> 1, \
                                                    alpha, 0, 0), 0);                       \
                    shapes++;                                                               \
                }                                                                           \
        printf(#SUFFIX ": %d shapes bitwise equal to the spec\n", shapes);                  \
    }                                                                                       \
    END_TEST                                                                                \
                                                                                            \
    /* every transpose pair and codes on either side, around the blocks */                 \
    START_TEST(transposes_and_codes_##SUFFIX)                                               \
    {                                                                                       \
        dnn_rng rng_, *rng = &rng_;                                                \
        dnn_rng_seed(rng, 23);                                                     \
        static const int shapes[][3] = {{20, 209, 1030}, {49, 25, 600}, {7, 13, 257}};      \
        for (int s = 0; s < 3; s++)                                                         \
            for (int t = 0; t < 4; t++)                                                     \
                for (int c = 0; c < 3; c++)                                                 \
                    check_##SUFFIX(rng, shapes[s][0], shapes[s][1], shapes[s][2], t & 1,    \
                                   t >> 1, (REAL)0.125, c == 1, c == 2);                    \
    }                                                                                       \
    END_TEST                                                                                \
                                                                                            \
    /* more columns than the widest column block (1024), more rows than the row blocks */ \
    START_TEST(large_##SUFFIX)                                                              \
    {                                                                                       \
        dnn_rng rng_, *rng = &rng_;                                                \
        dnn_rng_seed(rng, 24);                                                     \
        check_##SUFFIX(rng, 200, 1030, 300, 1, 0, (REAL)1, 0, 0);                           \
        check_##SUFFIX(rng, 97, 1031, 40, 0, 1, (REAL)0.5, 0, 0);                           \
    }                                                                                       \
    END_TEST

#define CODE_F64(q) ((double)(q) / 255.0)
#define CODE_F32(q) ((float)((double)(q) / 255.0))
DEFINE_CHECKS(double, f64, fma, CODE_F64)
DEFINE_CHECKS(float, f32, fmaf, CODE_F32)

/* The codes' values are the loaders' (X = q / 255 in double; in float that rounded). */
START_TEST(codes_are_the_loaders_values)
{
    for (int q = 0; q < 256; q++) {
        uint8_t code = (uint8_t)q;
        double one = 1.0, x;
        float onef = 1.0f, xf;
        dnn_gemm_f64(1, 1, 1, 1.0, dnn_gemm_codes(&code, 1, 0), dnn_gemm_values(&one, 1, 0), &x,
                     1);
        dnn_gemm_f32(1, 1, 1, 1.0f, dnn_gemm_codes(&code, 1, 0), dnn_gemm_values(&onef, 1, 0),
                     &xf, 1);
        ck_assert(x == (double)q / 255.0);
        ck_assert(xf == (float)((double)q / 255.0));
    }
}
END_TEST

/* DNN_ISA picks the variant; one the CPU cannot run, or an unknown name, falls back to
 * the best (each test runs in a forked child, so the choice is made afresh). */
START_TEST(isa_from_environment)
{
    static const char *const asks[] = {"generic", "avx2", "avx512", "sse9"};
    setenv("DNN_ISA", asks[_i], 1);
    dnn_isa best = DNN_ISA_GENERIC;
    for (int isa = 0; isa < DNN_ISA_COUNT; isa++)
        if (dnn_isa_supported((dnn_isa)isa))
            best = (dnn_isa)isa;
    dnn_isa want = _i < DNN_ISA_COUNT && dnn_isa_supported((dnn_isa)_i) ? (dnn_isa)_i : best;
    printf("DNN_ISA=%s: %s\n", asks[_i], dnn_isa_name(dnn_isa_chosen()));
    ck_assert_int_eq(dnn_isa_chosen(), want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gemm");
    TCase *tc = tcase_create("gemm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shapes_f64);
    tcase_add_test(tc, shapes_f32);
    tcase_add_test(tc, transposes_and_codes_f64);
    tcase_add_test(tc, transposes_and_codes_f32);
    tcase_add_test(tc, large_f64);
    tcase_add_test(tc, large_f32);
    tcase_add_test(tc, codes_are_the_loaders_values);
    tcase_add_loop_test(tc, isa_from_environment, 0, 4);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
