/* The AVX-512 products of the first layer (src/kernels/kernels.h), double and float:
 * error within the bound of double dot products (for float, of double dot products
 * rounded once to float), and every element's bits independent of the tile it falls
 * in (how many examples or units are computed with it), which chunked training relies
 * on for reproducibility. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/rng.h"
#include "kernels/kernels.h"
#include "test_util.h"

/* Shapes around the tile and block edges (4 x 6 forward tiles, 4-unit gradient
 * tiles, 512/1024-input forward blocks, 48-input gradient tiles). */
static const int Ms[] = {1, 3, 5, 7, 10, 11, 20, 23, 64};
static const int Ks[] = {256, 263, 512, 513, 1030, 2100};
static const int Ns[] = {1, 3, 4, 5, 9};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int have_kernels(void)
{
    if (dnn_kernel_suits(20, 12288))
        return 1;
    printf("SKIP: this CPU has no AVX-512F; the kernels are not used here\n");
    return 0;
}

/* The error of a dot product of n terms computed in double, in any order, is at most
 * gamma(n) · Σ|a·b| with gamma(n) = n·u / (1 - n·u); the gradient's scale adds one
 * rounding, and the forward kernel's lane sums log2(8) more terms. */
static double gamma_double(int n)
{
    double nu = n * (DBL_EPSILON / 2);
    return nu / (1.0 - nu);
}

/* The bound for a result rounded once to a type of unit roundoff u (0: no rounding). */
static double bound_of(double exact, double mag, int n, double u)
{
    return u * fabs(exact) + (1.0 + u) * gamma_double(n) * mag;
}

/* Checks one type of the arrays, whose unit roundoff is RESULT_ROUNDOFF (0 for
 * double, whose sums are not rounded again). */
#define DEFINE_CHECKS(REAL, SUFFIX, RESULT_ROUNDOFF)                                        \
                                                                                            \
    static REAL *random_##SUFFIX(dnn_rng *rng, size_t n)                                    \
    {                                                                                       \
        REAL *v = malloc(n * sizeof *v);                                                    \
        ck_assert_ptr_nonnull(v);                                                           \
        for (size_t i = 0; i < n; i++)                                                      \
            v[i] = (REAL)dnn_rng_normal(rng);                                               \
        return v;                                                                           \
    }                                                                                       \
                                                                                            \
    /* Returns the worst error as a fraction of its bound. */                              \
    static double forward_##SUFFIX(dnn_rng *rng, int M, int N, int K)                       \
    {                                                                                       \
        REAL *W = random_##SUFFIX(rng, (size_t)M * K), *X = random_##SUFFIX(rng, (size_t)K * N); \
        REAL *Z = malloc((size_t)M * N * sizeof *Z), one[1];                                \
        ck_assert_ptr_nonnull(Z);                                                           \
        dnn_kernel_forward##SUFFIX(M, N, K, W, X, Z);                                       \
        double worst = 0.0;                                                                 \
        for (int j = 0; j < N; j++)                                                         \
            for (int i = 0; i < M; i++) {                                                   \
                long double exact = 0.0L, mag = 0.0L;                                       \
                for (int k = 0; k < K; k++) {                                               \
                    long double p = (long double)W[(size_t)i * K + k] * X[(size_t)j * K + k]; \
                    exact += p;                                                             \
                    mag += fabsl(p);                                                        \
                }                                                                           \
                double bound = bound_of((double)exact, (double)mag, K + 4, RESULT_ROUNDOFF); \
                double err = fabs((double)((long double)Z[i + (size_t)j * M] - exact));     \
                worst = fmax(worst, err / bound);                                           \
                /* alone: one unit and one example */                                      \
                dnn_kernel_forward##SUFFIX(1, 1, K, W + (size_t)i * K, X + (size_t)j * K, one); \
                ck_assert_msg(memcmp(one, &Z[i + (size_t)j * M], sizeof one) == 0,          \
                              "forward M=%d N=%d K=%d: Z[%d,%d] depends on its tile", M, N, K, \
                              i, j);                                                        \
            }                                                                               \
        free(W), free(X), free(Z);                                                          \
        return worst;                                                                       \
    }                                                                                       \
                                                                                            \
    static double gradient_##SUFFIX(dnn_rng *rng, int M, int N, int K)                      \
    {                                                                                       \
        const double scale = 0.375;                                                         \
        REAL *dZ = random_##SUFFIX(rng, (size_t)M * N), *X = random_##SUFFIX(rng, (size_t)K * N); \
        REAL *dW = malloc((size_t)M * K * sizeof *dW), *row = malloc((size_t)K * sizeof *row); \
        REAL *dz1 = malloc((size_t)N * sizeof *dz1);                                        \
        ck_assert(dW && row && dz1);                                                        \
        dnn_kernel_weight_gradient##SUFFIX(M, N, K, scale, dZ, X, dW);                      \
        double worst = 0.0;                                                                 \
        for (int i = 0; i < M; i++) {                                                       \
            for (int k = 0; k < K; k++) {                                                   \
                long double exact = 0.0L, mag = 0.0L;                                       \
                for (int j = 0; j < N; j++) {                                               \
                    long double p = (long double)dZ[i + (size_t)j * M] * X[(size_t)j * K + k]; \
                    exact += p;                                                             \
                    mag += fabsl(p);                                                        \
                }                                                                           \
                double bound = bound_of(scale * (double)exact, scale * (double)mag, N + 1,   \
                                        RESULT_ROUNDOFF);                                   \
                double err = fabs((double)((long double)dW[(size_t)i * K + k] - scale * exact)); \
                worst = fmax(worst, bound > 0 ? err / bound : err);                         \
            }                                                                               \
            /* unit i alone */                                                              \
            for (int j = 0; j < N; j++)                                                     \
                dz1[j] = dZ[i + (size_t)j * M];                                             \
            dnn_kernel_weight_gradient##SUFFIX(1, N, K, scale, dz1, X, row);                \
            ck_assert_msg(memcmp(row, dW + (size_t)i * K, (size_t)K * sizeof *row) == 0,    \
                          "gradient M=%d N=%d K=%d: row %d depends on its tile", M, N, K, i); \
        }                                                                                   \
        free(dZ), free(X), free(dW), free(row), free(dz1);                                  \
        return worst;                                                                       \
    }                                                                                       \
                                                                                            \
    static void all_shapes_##SUFFIX(double (*check)(dnn_rng *, int, int, int),              \
                                     const char *what)                                      \
    {                                                                                       \
        dnn_rng rng;                                                                        \
        dnn_rng_seed(&rng, 11);                                                             \
        double worst = 0.0;                                                                 \
        for (int a = 0; a < COUNT(Ms); a++)                                                 \
            for (int b = 0; b < COUNT(Ks); b++)                                             \
                for (int c = 0; c < COUNT(Ns); c++)                                         \
                    worst = fmax(worst, check(&rng, Ms[a], Ns[c], Ks[b]));                  \
        printf("%s: worst error %.3g of its bound\n", what, worst);                         \
        ck_assert_msg(worst <= 1.0, "%s: error %.3g times its bound", what, worst);         \
    }

DEFINE_CHECKS(double, , 0.0)
DEFINE_CHECKS(float, _f32, FLT_EPSILON / 2)

START_TEST(forward_double)
{
    if (have_kernels())
        all_shapes_(forward_, "forward (double)");
}
END_TEST

START_TEST(gradient_double)
{
    if (have_kernels())
        all_shapes_(gradient_, "weight gradient (double)");
}
END_TEST

START_TEST(forward_float)
{
    if (have_kernels())
        all_shapes__f32(forward__f32, "forward (float)");
}
END_TEST

START_TEST(gradient_float)
{
    if (have_kernels())
        all_shapes__f32(gradient__f32, "weight gradient (float)");
}
END_TEST

/* The float gradient widens dZ into a scratch of 8192 doubles: with more units x
 * examples it goes by groups of units, and with more examples it widens as it goes. */
START_TEST(gradient_float_many_examples)
{
    if (!have_kernels())
        return;
    dnn_rng rng;
    dnn_rng_seed(&rng, 5);
    double worst = fmax(gradient__f32(&rng, 23, 500, 263), gradient__f32(&rng, 3, 8200, 256));
    printf("weight gradient (float, many examples): worst error %.3g of its bound\n", worst);
    ck_assert_msg(worst <= 1.0, "error %.3g times its bound", worst);
}
END_TEST

/* Each dW element is one chain of fused multiply-adds over the examples in order,
 * scaled at the end. The kernel skips the examples whose dZ is zero on all of a row
 * tile's units; that must leave the bits of the full chain. dZ here is sparse the way
 * ReLU makes it: zeros (of both signs) by unit, by example, by tile and all over. */
#define DEFINE_CHAIN_CHECK(REAL, SUFFIX)                                                    \
    static void sparse_chain##SUFFIX(dnn_rng *rng, int M, int N, int K)                     \
    {                                                                                       \
        const double scale = 1.0 / 3.0;                                                     \
        REAL *dZ = random_##SUFFIX(rng, (size_t)M * N), *X = random_##SUFFIX(rng, (size_t)K * N); \
        REAL *dW = malloc((size_t)M * K * sizeof *dW);                                      \
        ck_assert(dW);                                                                      \
        for (int j = 0; j < N; j++)                                                         \
            for (int i = 0; i < M; i++) {                                                   \
                int zero = j % 5 == 1 || (j % 5 == 2 && i < 10) || (j % 5 == 3 && i >= 10) || \
                           i % 7 == 6 || dnn_rng_uniform(rng) < 0.5;                        \
                if (zero)                                                                   \
                    dZ[i + (size_t)j * M] = (i + j) % 2 ? (REAL)-0.0 : (REAL)0.0;           \
            }                                                                               \
        dnn_kernel_weight_gradient##SUFFIX(M, N, K, scale, dZ, X, dW);                      \
        for (int i = 0; i < M; i++)                                                         \
            for (int k = 0; k < K; k++) {                                                   \
                double acc = 0.0;                                                           \
                for (int j = 0; j < N; j++)                                                 \
                    acc = fma(dZ[i + (size_t)j * M], X[(size_t)j * K + k], acc);            \
                REAL want = (REAL)(scale * acc);                                            \
                ck_assert_msg(memcmp(&want, &dW[(size_t)i * K + k], sizeof want) == 0,      \
                              "M=%d N=%d K=%d: dW[%d,%d] %a, the chain gives %a", M, N, K, i, \
                              k, (double)dW[(size_t)i * K + k], (double)want);              \
            }                                                                               \
        free(dZ), free(X), free(dW);                                                        \
    }
DEFINE_CHAIN_CHECK(double, )
DEFINE_CHAIN_CHECK(float, _f32)

START_TEST(gradient_skips_zero_examples)
{
    if (!have_kernels())
        return;
    dnn_rng rng;
    dnn_rng_seed(&rng, 17);
    static const int M[] = {1, 10, 20, 23}, N[] = {1, 7, 105, 900, 3000};
    for (int a = 0; a < COUNT(M); a++)
        for (int c = 0; c < COUNT(N); c++) {
            sparse_chain(&rng, M[a], N[c], 263);
            sparse_chain_f32(&rng, M[a], N[c], 263);
        }
}
END_TEST

/* Every code q in 0..255 becomes exactly q / 255.0, at the start, in the middle
 * and in the tail of a block: a forward product with the weights e_k returns input k.
 * Loop 0 widens by converting, loop 1 by repeating bytes (where the CPU can). */
START_TEST(codes_widen_exactly)
{
    if (!have_kernels())
        return;
    dnn_kernel_codes_repeating(_i);
    enum { N = 256, K = 300 };
    static const int at[] = {0, 13, K - 1};
    uint8_t *Q = malloc((size_t)N * K);
    double *W = calloc(K, sizeof *W), Z[N], *work = malloc(dnn_kernel_codes_work(N) * sizeof *work);
    ck_assert(Q && W && work);
    for (int j = 0; j < N; j++)
        memset(Q + (size_t)j * K, j, K);
    ck_assert(dnn_kernel_suits_codes(1, N, K));
    for (int a = 0; a < COUNT(at); a++) {
        memset(W, 0, K * sizeof *W);
        W[at[a]] = 1.0;
        dnn_kernel_forward_codes(1, N, K, W, Q, Z, work);
        for (int j = 0; j < N; j++) {
            double want = j / 255.0;
            ck_assert_msg(memcmp(&Z[j], &want, sizeof want) == 0, "code %d at %d: %a, not %a", j,
                          at[a], Z[j], want);
        }
    }
    free(Q), free(W), free(work);
}
END_TEST

/* From codes, both products give the double kernels' bits on X = Q / 255. */
static void codes_match(dnn_rng *rng, int M, int N, int K)
{
    uint8_t *Q = malloc((size_t)K * N);
    double *X = malloc((size_t)K * N * sizeof *X), *W = random_(rng, (size_t)M * K);
    double *dZ = random_(rng, (size_t)M * N);
    double *Z = malloc((size_t)M * N * sizeof *Z), *Zq = malloc((size_t)M * N * sizeof *Zq);
    double *dW = malloc((size_t)M * K * sizeof *dW), *dWq = malloc((size_t)M * K * sizeof *dWq);
    /* the workspace for exactly N examples: a kernel reading past it shows under ASan */
    double *work = malloc(dnn_kernel_codes_work(N) * sizeof *work);
    ck_assert(Q && X && Z && Zq && dW && dWq && work);
    for (size_t i = 0; i < (size_t)K * N; i++) {
        Q[i] = (uint8_t)(dnn_rng_uniform(rng) * 256);
        X[i] = Q[i] / 255.0;
    }
    for (int j = 0; j < N; j++) /* ReLU-like zeros: whole examples and single units */
        for (int i = 0; i < M; i++)
            if (j % 3 == 1 || dnn_rng_uniform(rng) < 0.3)
                dZ[i + (size_t)j * M] = 0.0;
    ck_assert(dnn_kernel_suits_codes(M, N, K));
    dnn_kernel_forward(M, N, K, W, X, Z);
    dnn_kernel_forward_codes(M, N, K, W, Q, Zq, work);
    ck_assert_msg(memcmp(Z, Zq, (size_t)M * N * sizeof *Z) == 0, "forward M=%d N=%d K=%d", M,
                  N, K);
    dnn_kernel_weight_gradient(M, N, K, 0.25, dZ, X, dW);
    dnn_kernel_weight_gradient_codes(M, N, K, 0.25, dZ, Q, dWq, work);
    ck_assert_msg(memcmp(dW, dWq, (size_t)M * K * sizeof *dW) == 0, "gradient M=%d N=%d K=%d",
                  M, N, K);
    free(Q), free(X), free(W), free(dZ), free(Z), free(Zq), free(dW), free(dWq), free(work);
}

START_TEST(codes_match_doubles)
{
    if (!have_kernels())
        return;
    dnn_kernel_codes_repeating(_i); /* as in codes_widen_exactly */
    dnn_rng rng;
    dnn_rng_seed(&rng, 23);
    static const int N[] = {1, 5, 17, 64, 65, 105, 1500};
    for (int a = 0; a < COUNT(Ms); a++)
        for (int b = 0; b < COUNT(Ks); b++)
            for (int c = 0; c < COUNT(N); c++)
                if ((size_t)Ms[a] * Ks[b] * N[c] <= 20u << 20)
                    codes_match(&rng, Ms[a], N[c], Ks[b]);
}
END_TEST

/* The products in parts of the inputs, as threads sharing a layer run them: the
 * forward's parts (the first from zero, the others a sum per block, added in block
 * order) and the gradient's columns give the whole products' bits, and the gradient
 * reports the largest and smallest non-zero magnitude it wrote (a tiny one included;
 * NaN as INFINITY). */
START_TEST(codes_parts_match_whole)
{
    if (!have_kernels())
        return;
    enum { M = 20, N = 37, K = 1300, PARTS = 3 };
    int block = dnn_kernel_codes_block(), begin[PARTS + 1] = {0, block, 2 * block, K};
    dnn_rng rng;
    dnn_rng_seed(&rng, 31);
    uint8_t *Q = malloc((size_t)K * N);
    double *W = random_(&rng, (size_t)M * K), *dZ = random_(&rng, (size_t)M * N);
    double *Z = malloc((size_t)M * N * sizeof *Z), *Zp = malloc((size_t)M * N * sizeof *Zp);
    double *sums = malloc((size_t)M * N * sizeof *sums);
    double *dW = malloc((size_t)M * K * sizeof *dW), *dWp = malloc((size_t)M * K * sizeof *dWp);
    double *work = malloc(dnn_kernel_codes_work(N) * sizeof *work);
    ck_assert(Q && Z && Zp && sums && dW && dWp && work);
    for (size_t i = 0; i < (size_t)K * N; i++)
        Q[i] = (uint8_t)(dnn_rng_uniform(&rng) * 256);
    for (int j = 0; j < N; j++)
        for (int i = 0; i < M; i++)
            if (j % 4 == 1 || dnn_rng_uniform(&rng) < 0.3)
                dZ[i + (size_t)j * M] = 0.0;
    for (int j = 0; j < N; j++) /* unit 3: active on example 2 alone, tiny: dW's row 3 tiny */
        dZ[3 + (size_t)j * M] = j == 2 ? 0x1p-900 : 0.0;
    dnn_kernel_forward_codes(M, N, K, W, Q, Z, work);
    dnn_kernel_weight_gradient_codes(M, N, K, 0.5, dZ, Q, dW, work);
    dnn_kernel_forward_codes_part(M, N, K, 0, begin[1], W, Q, Zp, 0, work);
    for (int p = 1; p < PARTS; p++) {
        dnn_kernel_forward_codes_part(M, N, K, begin[p], begin[p + 1], W, Q, sums,
                                      (size_t)M * N, work);
        for (size_t i = 0; i < (size_t)M * N; i++)
            Zp[i] += sums[i];
    }
    ck_assert(memcmp(Z, Zp, (size_t)M * N * sizeof *Z) == 0);
    for (int p = 0; p < PARTS; p++) {
        double magnitudes[2] = {0.0, INFINITY}, largest = 0.0, smallest = INFINITY;
        memset(dWp, 0, (size_t)M * K * sizeof *dWp);
        dnn_kernel_weight_gradient_codes_part(M, N, K, begin[p], begin[p + 1], 0.5, dZ, Q, dWp,
                                              work, magnitudes);
        for (int i = 0; i < M; i++)
            for (int k = begin[p]; k < begin[p + 1]; k++) {
                double g = dWp[(size_t)i * K + k];
                ck_assert(memcmp(&g, &dW[(size_t)i * K + k], sizeof g) == 0);
                largest = fabs(g) > largest ? fabs(g) : largest;
                smallest = g != 0.0 && fabs(g) < smallest ? fabs(g) : smallest;
            }
        ck_assert_msg(magnitudes[0] == largest && magnitudes[1] == smallest,
                      "part %d: magnitudes %a %a, not %a %a", p, magnitudes[0], magnitudes[1],
                      largest, smallest);
        ck_assert(smallest < 0x1p-890); /* the tiny row is in every part */
    }
    dZ[5] = NAN;
    double magnitudes[2] = {0.0, INFINITY};
    dnn_kernel_weight_gradient_codes_part(M, N, K, 0, K, 0.5, dZ, Q, dWp, work, magnitudes);
    ck_assert(magnitudes[0] == INFINITY);
    free(Q), free(W), free(dZ), free(Z), free(Zp), free(sums), free(dW), free(dWp), free(work);
}
END_TEST

/* The course's first layer, with chunks of different sizes: a column's bits do not
 * depend on how many examples share its chunk. */
START_TEST(course_layer_chunks)
{
    if (!have_kernels())
        return;
    enum { M = 20, K = 12288, N = 13 };
    dnn_rng rng;
    dnn_rng_seed(&rng, 3);
    double *W = random_(&rng, (size_t)M * K), *X = random_(&rng, (size_t)K * N);
    double *Z = malloc((size_t)M * N * sizeof *Z), *part = malloc((size_t)M * N * sizeof *part);
    ck_assert(Z && part);
    dnn_kernel_forward(M, N, K, W, X, Z);
    for (int first = 0; first < N; first += 6) {
        int cols = N - first < 6 ? N - first : 6;
        dnn_kernel_forward(M, cols, K, W, X + (size_t)first * K, part);
        ck_assert(memcmp(part, Z + (size_t)first * M, (size_t)M * cols * sizeof *Z) == 0);
    }
    free(W), free(X), free(Z), free(part);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, forward_double);
    tcase_add_test(tc, gradient_double);
    tcase_add_test(tc, forward_float);
    tcase_add_test(tc, gradient_float);
    tcase_add_test(tc, gradient_float_many_examples);
    tcase_add_test(tc, gradient_skips_zero_examples);
    tcase_add_loop_test(tc, codes_widen_exactly, 0, 2);
    tcase_add_loop_test(tc, codes_match_doubles, 0, 2);
    tcase_add_test(tc, codes_parts_match_whole);
    tcase_add_test(tc, course_layer_chunks);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
