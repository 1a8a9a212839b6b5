/* AVX-512 kernels of kernels.h; the kernel files alone are compiled with -mavx512f,
 * and their kernels run only where the CPU reports AVX-512F (see dnn_kernel_suits). */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"

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
#include "kernels/kernels_impl.h"

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
INLINE void widen_by_converting(const uint8_t *q, int n, double *out)
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
    /* gradient: inputs of each used example widened at a time, one tile's worth (48
     * bytes of codes): the widened span (N · 384 bytes) stays in L1; two tiles' worth
     * made the kernel 7 % slower */
    G_SPAN = G_TILE,
    G_ROW_TILES = (DNN_KERNEL_MAX_UNITS + G_ROWS - 1) / G_ROWS
};
_Static_assert(G_SPAN <= CODE_LINE, "the gradient's prefetch asks for one line per span");

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

/* magnitudes[0] and [1] take mag's largest and smallest non-zero magnitude where they
 * are larger and smaller (INFINITY for a NaN or Inf, and for no non-zero value). */
static void fold_magnitudes_out(const magnitude_lanes *mag, double *out)
{
    uint64_t largest = (uint64_t)_mm512_reduce_max_epi64(mag->largest);
    uint64_t smallest = _mm512_reduce_min_epu64(mag->smallest_less_one) + 1; /* 0: none */
    double hi, lo;
    memcpy(&hi, &largest, sizeof hi);
    memcpy(&lo, &smallest, sizeof lo);
    hi = largest >= 0x7ff0000000000000u ? INFINITY : hi;
    lo = smallest == 0 || smallest >= 0x7ff0000000000000u ? INFINITY : lo;
    out[0] = hi > out[0] ? hi : out[0];
    out[1] = lo < out[1] ? lo : out[1];
}

#define CODES_FN(name) name##_converting
#define WIDEN widen_by_converting
#include "kernels/kernels_codes_impl.h"
#undef CODES_FN
#undef WIDEN

/* The same doubles another way, a third faster, on CPUs with AVX512-VBMI (byte
 * permutes), -BW and -DQ (64-bit integers to doubles). In base 256, q / 255 is
 * 0.qqqq..., so the 64-bit integer whose 8 bytes are all q is V = floor(2^64 q / 255),
 * short of it by q / 255 < 1. That shortfall could change V's rounding to a double
 * only if V were a tie, its dropped low bits (3 + bits of q of them, q repeated) being
 * 1 followed by zeros; no code but 0 (exact anyway) has such a pattern. So the
 * conversion of V, scaled by 2^-64, is the correctly rounded q / 255 (q = 255: V =
 * 2^64 - 1 rounds to 2^64). tests/test_kernels.c checks all 256 both ways. */
#pragma GCC push_options
#pragma GCC target("avx512bw,avx512dq,avx512vbmi")

INLINE void widen_by_repeating(const uint8_t *q, int n, double *out)
{
    static const uint8_t byte_of_lane[64] = {
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
        3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,
        6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7};
    const __m512i repeat = _mm512_loadu_si512(byte_of_lane);
    const VEC scale = _mm512_set1_pd(0x1p-64);
    int k = 0;
    if (n >= LANES * LANES) { /* 64 codes a load: a permute fewer per 8 codes */
        __m512i group[LANES]; /* group g: bytes 8g .. 8g+7 of the 64, each repeated */
        for (int g = 0; g < LANES; g++)
            group[g] = _mm512_add_epi8(repeat, _mm512_set1_epi8((char)(LANES * g)));
        for (; k + LANES * LANES <= n; k += LANES * LANES) {
            __m512i codes = _mm512_loadu_si512(q + k);
            for (int g = 0; g < LANES; g++) {
                __m512i v = _mm512_permutexvar_epi8(group[g], codes);
                _mm512_storeu_pd(out + k + LANES * g,
                                 _mm512_mul_pd(_mm512_cvtepu64_pd(v), scale));
            }
        }
    }
    for (; k + LANES <= n; k += LANES) {
        int64_t eight;
        memcpy(&eight, q + k, sizeof eight);
        __m512i v = _mm512_permutexvar_epi8(repeat, _mm512_set1_epi64(eight));
        _mm512_storeu_pd(out + k, _mm512_mul_pd(_mm512_cvtepu64_pd(v), scale));
    }
    widen_by_converting(q + k, n - k, out + k);
}

#define CODES_FN(name) name##_repeating
#define WIDEN widen_by_repeating
#include "kernels/kernels_codes_impl.h"
#undef CODES_FN
#undef WIDEN

#pragma GCC pop_options

static int repeating_allowed = 1;

void dnn_kernel_codes_repeating(int on)
{
    repeating_allowed = on;
}

static int repeating(void)
{
    return repeating_allowed && __builtin_cpu_supports("avx512vbmi") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}

void dnn_kernel_forward_codes(int M, int N, int K, const double *W, const uint8_t *Q, double *Z,
                              double *work)
{
    (repeating() ? forward_codes_repeating : forward_codes_converting)(M, N, K, 0, K, W, Q, Z, 0,
                                                                       work);
}

void dnn_kernel_weight_gradient_codes(int M, int N, int K, double scale, const double *dZ,
                                      const uint8_t *Q, double *dW, double *work)
{
    (repeating() ? weight_gradient_codes_repeating : weight_gradient_codes_converting)(
        M, N, K, 0, K, scale, dZ, Q, dW, work, NULL);
}

int dnn_kernel_codes_block(void)
{
    return F_KBLOCK;
}

void dnn_kernel_forward_codes_part(int M, int N, int K, int k_begin, int k_end, const double *W,
                                   const uint8_t *Q, double *Z, size_t block_stride,
                                   double *work)
{
    (repeating() ? forward_codes_repeating : forward_codes_converting)(
        M, N, K, k_begin, k_end, W, Q, Z, block_stride, work);
}

void dnn_kernel_weight_gradient_codes_part(int M, int N, int K, int k_begin, int k_end,
                                           double scale, const double *dZ, const uint8_t *Q,
                                           double *dW, double *work, double *magnitudes)
{
    (repeating() ? weight_gradient_codes_repeating : weight_gradient_codes_converting)(
        M, N, K, k_begin, k_end, scale, dZ, Q, dW, work, magnitudes);
}
