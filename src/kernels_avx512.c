/* AVX-512 kernels of kernels.h; the kernel files alone are compiled with -mavx512f,
 * and their kernels run only where the CPU reports AVX-512F (see dnn_kernel_suits). */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

int dnn_kernel_suits(int M, int K)
{
    return M <= DNN_KERNEL_MAX_UNITS && K >= 256 && __builtin_cpu_supports("avx512f");
}

#define REAL double
#define FN(name) name
#define NARROW 0
#define LOAD _mm512_loadu_pd
#define LOAD_MASKED _mm512_maskz_loadu_pd
#define STORE_MASKED _mm512_mask_storeu_pd
#include "kernels_impl.h"

/* --- the same products from 8-bit codes ---------------------------------------------
 * A code q stands for the double q / 255, formed as q·CODE_HI + q·CODE_LO rounded once,
 * where CODE_HI = RN(1/255) and CODE_LO = RN(1/255 - CODE_HI), so their sum is 1/255
 * to ~106 bits. For 0 < q < 255, q / 255 is not a dyadic fraction, so it lies at least
 * 2^-62 (relative) from every point where rounding changes, far beyond that error:
 * the result is the correctly rounded quotient, the very double the loader stores in
 * X (tests/test_kernels.c checks all 256). The products then run the double kernels'
 * tiles on the widened block, in the same order, so every result has their bits. */
#define CODE_HI 0x1.0101010101010p-8
#define CODE_LO 0x1.0101010101010p-64

INLINE VEC widen8(__m256i q32)
{
    VEC v = _mm512_cvtepi32_pd(q32);
    return _mm512_fmadd_pd(v, _mm512_set1_pd(CODE_HI), _mm512_mul_pd(v, _mm512_set1_pd(CODE_LO)));
}

/* out[0 .. n) = the doubles of codes q[0 .. n) */
INLINE void widen_codes(const uint8_t *q, int n, double *out)
{
    int k = 0;
    for (; k + 2 * LANES <= n; k += 2 * LANES) {
        __m512i q32 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + k)));
        _mm512_storeu_pd(out + k, widen8(_mm512_castsi512_si256(q32)));
        _mm512_storeu_pd(out + k + LANES, widen8(_mm512_extracti64x4_epi64(q32, 1)));
    }
    for (; k < n; k++)
        out[k] = fma((double)q[k], CODE_HI, (double)q[k] * CODE_LO);
}

enum {
    /* forward: examples widened per block, one column of register tiles: their 24 KB
     * stay in L1 for the five row tiles (64 examples, 256 KB in L2: 3 % slower) */
    CODE_PANEL = F_COLS,
    CODE_LINE = 64,  /* bytes of a cache line */
    G_TILE = G_VECS * LANES,
    /* gradient: inputs of each used example widened at a time, two tiles' worth: the
     * codes are read 32 bytes of an example at a time rather than 16 (-8 % on the
     * kernel: BENCHMARKS.md), and the widened span (N · 256 bytes) stays in L1 */
    G_SPAN = 2 * G_TILE,
    G_ROW_TILES = (DNN_KERNEL_MAX_UNITS + G_ROWS - 1) / G_ROWS
};

int dnn_kernel_suits_codes(int M, int N, int K)
{
    return N >= 1 && dnn_kernel_suits(M, K);
}

/* forward: one block of a panel's examples; gradient: a span of inputs of every
 * example, then the row tiles' lists and the used examples (ints) */
size_t dnn_kernel_codes_work(int N)
{
    size_t n = N > 0 ? (size_t)N : 1;
    size_t forward = (size_t)F_KBLOCK * (n < CODE_PANEL ? n : CODE_PANEL);
    size_t ints = (G_ROW_TILES + 1) * n;
    size_t gradient = G_SPAN * n + (ints * sizeof(int) + sizeof(double) - 1) / sizeof(double);
    return (forward > gradient ? forward : gradient) + LANES; /* + alignment */
}

/* work's first 64-byte boundary: a vector load from the scratch then never spans two
 * cache lines (that cost a fifth of the forward product) */
static double *aligned(double *work)
{
    return (double *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
}

void dnn_kernel_forward_codes(int M, int N, int K, const double *W, const uint8_t *Q, double *Z,
                              double *work)
{
    double *x = aligned(work); /* one block of a panel's examples, widened */
    for (size_t i = 0; i < (size_t)M * N; i++)
        Z[i] = 0.0;
    for (int k0 = 0; k0 < K; k0 += F_KBLOCK) {
        int kl = K - k0 < F_KBLOCK ? K - k0 : F_KBLOCK;
        for (int p0 = 0; p0 < N; p0 += CODE_PANEL) {
            int width = N - p0 < CODE_PANEL ? N - p0 : CODE_PANEL;
            for (int j = 0; j < width; j++) {
                const uint8_t *q = Q + (size_t)(p0 + j) * K + k0;
                if (k0 + F_KBLOCK < K) /* the column's next block: too many streams to guess */
                    for (int b = 0; b < F_KBLOCK && k0 + F_KBLOCK + b < K; b += CODE_LINE)
                        _mm_prefetch((const char *)(q + F_KBLOCK + b), _MM_HINT_T0);
                widen_codes(q, kl, x + (size_t)j * F_KBLOCK);
            }
            for (int i0 = 0; i0 < M; i0 += F_ROWS) {
                int rows = M - i0 < F_ROWS ? M - i0 : F_ROWS;
                for (int j0 = 0; j0 < width; j0 += F_COLS) {
                    int cols = width - j0 < F_COLS ? width - j0 : F_COLS;
                    forward_tiles[0][rows][cols](M, F_KBLOCK, kl, W + (size_t)i0 * K + k0, K,
                                                 x + (size_t)j0 * F_KBLOCK,
                                                 Z + i0 + (size_t)(p0 + j0) * M, NULL);
                }
            }
        }
    }
}

void dnn_kernel_weight_gradient_codes(int M, int N, int K, double scale, const double *dZ,
                                      const uint8_t *Q, double *dW, double *work)
{
    double *x = aligned(work); /* a span of inputs of the used examples, at their index */
    int *active = (int *)(x + (size_t)G_SPAN * N); /* the row tiles' lists (gradient_rows) */
    int *used = active + (size_t)G_ROW_TILES * N, n_used = 0; /* examples any tile uses */
    int counts[G_ROW_TILES];
    active_examples(0, M, N, dZ, NULL, M, active, counts);
    for (int j = 0; j < N; j++) {
        int any = 0;
        for (int i = 0; i < M; i++)
            any |= dZ[(size_t)j * M + i] != 0.0;
        used[n_used] = j;
        n_used += any;
    }
    for (int s0 = 0; s0 < K; s0 += G_SPAN) {
        int sl = K - s0 < G_SPAN ? K - s0 : G_SPAN;
        for (int u = 0; u < n_used; u++) {
            const uint8_t *q = Q + (size_t)used[u] * K + s0;
            if (s0 % CODE_LINE == 0 && s0 + 2 * CODE_LINE < K)
                _mm_prefetch((const char *)(q + 2 * CODE_LINE), _MM_HINT_T0);
            widen_codes(q, sl, x + (size_t)used[u] * G_SPAN);
        }
        for (int k0 = s0; k0 < s0 + sl; k0 += G_TILE) {
            int kl = s0 + sl - k0 < G_TILE ? s0 + sl - k0 : G_TILE;
            for (int i = 0, t = 0; i < M; i += G_ROWS, t++) {
                int rows = M - i < G_ROWS ? M - i : G_ROWS;
                gradient_tiles[rows](active + (size_t)t * N, counts[t], G_SPAN, K, kl, scale,
                                     dZ + i, M, x + (k0 - s0), dW + (size_t)i * K + k0);
            }
        }
    }
}
