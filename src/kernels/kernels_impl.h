/* The AVX-512 kernels' body, instantiated for double (kernels_avx512.c) and for float
 * arrays (kernels_avx512_f32.c). Before including it, define REAL (the arrays' type),
 * FN(name), NARROW (1 when REAL is float), LOAD(p) and LOAD_MASKED(mask, p) (LANES
 * REALs widened to doubles) and STORE_MASKED(p, mask, v) (doubles rounded to REAL).
 *
 * The lanes are double in both: for float arrays every product is exact, every sum
 * is kept in double, and each result is rounded to float once. The weights and the
 * output gradient, which every example or input reuses, are widened once per block
 * into scratch on the stack, so that the inner loops load doubles as in the double
 * kernels; only the examples are widened as they stream in.
 *
 * Tile shapes were chosen by measurement on the course's first layer (20 units,
 * 12288 inputs, chunks of ~50-100 examples) on a Zen 5 core: see the history of
 * BENCHMARKS.md (git log -p BENCHMARKS.md, runs 3-18). */
#define INLINE static inline __attribute__((always_inline))

typedef __m512d VEC;

enum {
    LANES = 8,                       /* doubles per vector */
    F_ROWS = 4,                      /* forward: units per register tile */
    F_COLS = 6,                      /* forward: examples per register tile (24 sums) */
    F_KBLOCK = 512,                  /* forward: inputs per block; a tile's rows stay in L1 */
    G_ROWS = 4,                      /* gradient: units per register tile */
    G_VECS = 6,                      /* gradient: vectors of inputs per register tile */
    G_PREFETCH = 2 * G_VECS * LANES, /* gradient: prefetch two tiles ahead in each column */
    SUMS_SCRATCH = 4096,             /* float: doubles of Z summed before rounding */
    DZ_SCRATCH = 8192,               /* float: doubles of dZ widened */
    ACTIVE_SCRATCH = 8192            /* gradient: example indices of the row tiles' lists */
};

_Static_assert((int)SUMS_SCRATCH >= (int)DNN_KERNEL_MAX_UNITS, "a panel holds an example");

static __mmask8 FN(tail_mask)(int n)
{
    return (__mmask8)((1u << n) - 1u);
}

/* Lanes of a and b paired across the vectors' halves: a's four sums lane i + lane i+4,
 * then b's. */
INLINE VEC FN(half_sums)(VEC a, VEC b)
{
    return _mm512_add_pd(_mm512_shuffle_f64x2(a, b, 0x44), _mm512_shuffle_f64x2(a, b, 0xEE));
}

/* u and v each hold two vectors' four half sums; adds each one's sums i and i+2. */
INLINE VEC FN(quarter_sums)(VEC u, VEC v)
{
    return _mm512_add_pd(_mm512_shuffle_f64x2(u, v, 0x88), _mm512_shuffle_f64x2(u, v, 0xDD));
}

/* Lane p: the sum of the lanes of the p-th argument, added in the tree of
 * _mm512_reduce_add_pd, ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), so its bits
 * are those of eight reductions, in a third of the instructions. */
INLINE VEC FN(lane_sums8)(VEC s0, VEC s1, VEC s2, VEC s3, VEC s4, VEC s5, VEC s6, VEC s7)
{
    VEC even = FN(quarter_sums)(FN(half_sums)(s0, s2), FN(half_sums)(s4, s6));
    VEC odd = FN(quarter_sums)(FN(half_sums)(s1, s3), FN(half_sums)(s5, s7));
    return _mm512_add_pd(_mm512_unpacklo_pd(even, odd), _mm512_unpackhi_pd(even, odd));
}

/* S tile (rows, cols) += Σ_k W[r][k] · X[k][j0+c] over the kl inputs of a block, W's
 * rows ldw apart (fresh: S = 0 + the sums, S unread). Every path accumulates lane
 * k mod LANES in k order and then sums the lanes, so an element's bits depend only on
 * K, not on the tile it falls in. */
INLINE void FN(forward_tile)(int rows, int cols, int M, int K, int kl, const double *W,
                             int ldw, const REAL *X, double *S, const REAL *next, int fresh)
{
    VEC acc[F_ROWS][F_COLS];
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            acc[r][c] = _mm512_setzero_pd();
    int k = 0;
    for (; k + LANES <= kl; k += LANES) {
        VEC w[F_ROWS];
        for (int r = 0; r < rows; r++)
            w[r] = _mm512_loadu_pd(W + (size_t)r * ldw + k);
        for (int c = 0; c < cols; c++) {
            VEC x = LOAD(X + (size_t)c * K + k);
            if (next)
                _mm_prefetch((const char *)(next + (size_t)c * K + k), _MM_HINT_T0);
            for (int r = 0; r < rows; r++)
                acc[r][c] = _mm512_fmadd_pd(w[r], x, acc[r][c]);
        }
    }
    if (k < kl) {
        __mmask8 m = FN(tail_mask)(kl - k);
        for (int c = 0; c < cols; c++) {
            VEC x = LOAD_MASKED(m, X + (size_t)c * K + k);
            for (int r = 0; r < rows; r++)
                acc[r][c] = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(m, W + (size_t)r * ldw + k), x,
                                            acc[r][c]);
        }
    }
    int c = 0;
    if (rows == F_ROWS)
        for (; c + 2 <= cols; c += 2) {
            VEC sums = FN(lane_sums8)(acc[0][c], acc[1][c], acc[2][c], acc[3][c], acc[0][c + 1],
                                      acc[1][c + 1], acc[2][c + 1], acc[3][c + 1]);
            double *s0 = S + (size_t)c * M, *s1 = s0 + M;
            __m256d old0 = fresh ? _mm256_setzero_pd() : _mm256_loadu_pd(s0);
            __m256d old1 = fresh ? _mm256_setzero_pd() : _mm256_loadu_pd(s1);
            _mm256_storeu_pd(s0, _mm256_add_pd(old0, _mm512_castpd512_pd256(sums)));
            _mm256_storeu_pd(s1, _mm256_add_pd(old1, _mm512_extractf64x4_pd(sums, 1)));
        }
    for (; c < cols; c++)
        for (int r = 0; r < rows; r++) {
            double old = fresh ? 0.0 : S[r + (size_t)c * M];
            S[r + (size_t)c * M] = old + _mm512_reduce_add_pd(acc[r][c]);
        }
}

/* Tiles with constant shapes, so that the accumulators stay in registers, each with
 * and without the prefetch, so that the loop has no branch. */
#define FORWARD_SHAPE(r, c)                                                                \
    static void FN(forward_##r##x##c)(int M, int K, int kl, const double *W, int ldw,      \
                                      const REAL *X, double *S, const REAL *next,          \
                                      int fresh)                                           \
    {                                                                                      \
        FN(forward_tile)(r, c, M, K, kl, W, ldw, X, S, next, fresh);                       \
    }                                                                                      \
    static void FN(forward_##r##x##c##_cached)(int M, int K, int kl, const double *W,      \
                                               int ldw, const REAL *X, double *S,          \
                                               const REAL *next, int fresh)                \
    {                                                                                      \
        (void)next;                                                                        \
        FN(forward_tile)(r, c, M, K, kl, W, ldw, X, S, NULL, fresh);                       \
    }
#define FORWARD_ROWS(r)                                                                    \
    FORWARD_SHAPE(r, 1) FORWARD_SHAPE(r, 2) FORWARD_SHAPE(r, 3) FORWARD_SHAPE(r, 4)        \
    FORWARD_SHAPE(r, 5) FORWARD_SHAPE(r, 6)
FORWARD_ROWS(1)
FORWARD_ROWS(2)
FORWARD_ROWS(3)
FORWARD_ROWS(4)
_Static_assert(F_ROWS == 4 && F_COLS == 6, "one forward_RxC function per tile shape");

typedef void (*FN(forward_fn))(int, int, int, const double *, int, const REAL *, double *,
                               const REAL *, int);
#define FORWARD_ROW_FNS(r, suffix)                                                         \
    {NULL,                                                                                 \
     FN(forward_##r##x1##suffix),                                                          \
     FN(forward_##r##x2##suffix),                                                          \
     FN(forward_##r##x3##suffix),                                                          \
     FN(forward_##r##x4##suffix),                                                          \
     FN(forward_##r##x5##suffix),                                                          \
     FN(forward_##r##x6##suffix)}
#define FORWARD_TABLE(suffix)                                                              \
    {{NULL}, FORWARD_ROW_FNS(1, suffix), FORWARD_ROW_FNS(2, suffix),                       \
     FORWARD_ROW_FNS(3, suffix), FORWARD_ROW_FNS(4, suffix)}
/* [1]: the tile streams the examples from memory and prefetches the next tile's */
static const FN(forward_fn) FN(forward_tiles)[2][F_ROWS + 1][F_COLS + 1] = {
    FORWARD_TABLE(_cached), FORWARD_TABLE()};

/* S (M, N) = W · X in double: the blocks' sums added in k order. */
static void FN(forward_sums)(int M, int N, int K, const REAL *W, const REAL *X, double *S)
{
#if NARROW
    double wide[F_ROWS * F_KBLOCK];
#endif
    for (size_t i = 0; i < (size_t)M * N; i++)
        S[i] = 0.0;
    for (int k0 = 0; k0 < K; k0 += F_KBLOCK) {
        int kl = K - k0 < F_KBLOCK ? K - k0 : F_KBLOCK;
        for (int i0 = 0; i0 < M; i0 += F_ROWS) {
            int rows = M - i0 < F_ROWS ? M - i0 : F_ROWS;
#if NARROW
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < kl; k++)
                    wide[r * F_KBLOCK + k] = W[(size_t)(i0 + r) * K + k0 + k];
            const double *w = wide;
            int ldw = F_KBLOCK;
#else
            const double *w = W + (size_t)i0 * K + k0;
            int ldw = K;
#endif
            for (int j0 = 0; j0 < N; j0 += F_COLS) {
                int cols = N - j0 < F_COLS ? N - j0 : F_COLS;
                /* the first row tile reads the examples from memory: it fetches the
                 * next tile's columns ahead of their use */
                const REAL *next = i0 == 0 && j0 + F_COLS < N
                                       ? X + (size_t)(j0 + F_COLS) * K + k0
                                       : NULL;
                FN(forward_tiles)[next != NULL][rows][cols](
                    M, K, kl, w, ldw, X + (size_t)j0 * K + k0, S + i0 + (size_t)j0 * M, next, 0);
            }
        }
    }
}

void FN(dnn_kernel_forward)(int M, int N, int K, const REAL *W, const REAL *X, REAL *Z)
{
#if NARROW
    /* panels of examples whose sums fit the scratch (M <= DNN_KERNEL_MAX_UNITS) */
    double S[SUMS_SCRATCH];
    int panel = SUMS_SCRATCH / M;
    for (int p0 = 0; p0 < N; p0 += panel) {
        int cols = N - p0 < panel ? N - p0 : panel;
        FN(forward_sums)(M, cols, K, W, X + (size_t)p0 * K, S);
        for (size_t i = 0; i < (size_t)M * cols; i++)
            Z[(size_t)p0 * M + i] = (REAL)S[i];
    }
#else
    FN(forward_sums)(M, N, K, W, X, Z);
#endif
}

int FN(dnn_kernel_forward_roundings)(int K)
{
    int lane_levels = 3; /* log2(LANES) */
    int chain = F_KBLOCK / LANES + lane_levels + (K + F_KBLOCK - 1) / F_KBLOCK;
    /* float: the double chain's error is below one float rounding while chain · 2^-53
     * <= 2^-24; then comes the rounding to float */
    if (NARROW)
        return chain <= (1 << 29) ? 2 : 1 + chain;
    return chain;
}

/* The largest and the smallest non-zero magnitude of the values a kernel writes, as
 * the bits of |x| (their integer order is the numeric one, and a NaN's lie above
 * Inf's): lane-wise maxima of the bits, and minima of the bits less one taken
 * unsigned, where a 0 wraps to the largest value and so never counts. */
typedef struct {
    __m512i largest, smallest_less_one;
} FN(magnitude_lanes);

INLINE void FN(fold_magnitudes)(FN(magnitude_lanes) *mag, __mmask8 lanes, VEC g)
{
    __m512i bits = _mm512_maskz_and_epi64(lanes, _mm512_castpd_si512(g),
                                          _mm512_set1_epi64(INT64_MAX));
    mag->largest = _mm512_max_epi64(mag->largest, bits);
    mag->smallest_less_one = _mm512_min_epu64(mag->smallest_less_one,
                                              _mm512_sub_epi64(bits, _mm512_set1_epi64(1)));
}

/* dW tile: the rows units listed in unit x (G_VECS · LANES) inputs, summed in order
 * over the n examples listed in active (or over the first n when active is NULL), from
 * dZ in double or, when dZ is NULL, from dZ_narrow (column j at j · ldz in either), X's
 * columns ldx apart and dW's rows K apart; the last tile of a row may be narrower (kl
 * inputs). */
INLINE void FN(gradient_tile)(int rows, const int *unit, const int *active, int n, int ldx,
                              int K, int kl, double scale, const double *dZ,
                              const REAL *dZ_narrow, int ldz, const REAL *X, REAL *dW,
                              FN(magnitude_lanes) *mag)
{
#define DZ(j, r)                                                                           \
    (dZ ? dZ[(size_t)(j) * ldz + unit[r]] : (double)dZ_narrow[(size_t)(j) * ldz + unit[r]])
    VEC acc[G_ROWS][G_VECS];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < G_VECS; v++)
            acc[r][v] = _mm512_setzero_pd();
    if (kl == G_VECS * LANES) {
        for (int a = 0; a < n; a++) {
            int j = active ? active[a] : a;
            const REAL *x = X + (size_t)j * ldx;
            /* the columns lie far apart: too many streams for the hardware prefetcher */
            for (int v = 0; v < G_VECS; v++)
                _mm_prefetch((const char *)(x + G_PREFETCH + v * LANES), _MM_HINT_T0);
            VEC xv[G_VECS];
            for (int v = 0; v < G_VECS; v++)
                xv[v] = LOAD(x + v * LANES);
            for (int r = 0; r < rows; r++) {
                VEC d = _mm512_set1_pd(DZ(j, r));
                for (int v = 0; v < G_VECS; v++)
                    acc[r][v] = _mm512_fmadd_pd(d, xv[v], acc[r][v]);
            }
        }
    } else {
        for (int a = 0; a < n; a++) {
            int j = active ? active[a] : a;
            const REAL *x = X + (size_t)j * ldx;
            for (int v = 0; v * LANES < kl; v++) {
                int n = kl - v * LANES < LANES ? kl - v * LANES : LANES;
                VEC xv = LOAD_MASKED(FN(tail_mask)(n), x + v * LANES);
                for (int r = 0; r < rows; r++)
                    acc[r][v] = _mm512_fmadd_pd(_mm512_set1_pd(DZ(j, r)), xv, acc[r][v]);
            }
        }
    }
#undef DZ
    VEC s = _mm512_set1_pd(scale);
    FN(magnitude_lanes) seen = {_mm512_setzero_si512(), _mm512_set1_epi64(-1)};
    for (int r = 0; r < rows; r++)
        for (int v = 0; v * LANES < kl; v++) {
            int n = kl - v * LANES < LANES ? kl - v * LANES : LANES;
            VEC g = _mm512_mul_pd(s, acc[r][v]);
            STORE_MASKED(dW + (size_t)unit[r] * K + v * LANES, FN(tail_mask)(n), g);
            if (mag)
                FN(fold_magnitudes)(&seen, FN(tail_mask)(n), g);
        }
    if (mag) { /* folded here, once: in the loop, mag's stores would wait on dW's */
        mag->largest = _mm512_max_epi64(mag->largest, seen.largest);
        mag->smallest_less_one = _mm512_min_epu64(mag->smallest_less_one, seen.smallest_less_one);
    }
}

typedef void (*FN(gradient_fn))(const int *, const int *, int, int, int, int, double,
                                const double *, int, const REAL *, REAL *, FN(magnitude_lanes) *);
_Static_assert(G_ROWS == 4, "one gradient_rows_N function per row count");
#define GRADIENT_ROWS(r)                                                                   \
    static void FN(gradient_rows_##r)(const int *unit, const int *active, int n, int ldx,    \
                                      int K, int kl, double scale, const double *dZ,       \
                                      int ldz, const REAL *X, REAL *dW,                    \
                                      FN(magnitude_lanes) *mag)                                 \
    {                                                                                      \
        FN(gradient_tile)(r, unit, active, n, ldx, K, kl, scale, dZ, NULL, ldz, X, dW, mag);  \
    }
GRADIENT_ROWS(1)
GRADIENT_ROWS(2)
GRADIENT_ROWS(3)
GRADIENT_ROWS(4)
static const FN(gradient_fn) FN(gradient_tiles)[G_ROWS + 1] = {
    NULL, FN(gradient_rows_1), FN(gradient_rows_2), FN(gradient_rows_3), FN(gradient_rows_4)};

/* unit[0 .. i1 - i0): the units of [i0, i1), counted from i0, ordered by the number of
 * examples on which their dZ is not zero, most first (ties by index). Row tiles of
 * consecutive entries then group units active on the same examples: on the course's
 * cat run tiles of 4 units sorted so do 40 % of the dense work, against 47.5 % in
 * index order (launch/relu_sparsity.py). */
static void FN(units_by_activity)(int i0, int i1, int N, const double *dZ, const REAL *dZ_narrow,
                                  int ldz, int *unit)
{
    int count[DNN_KERNEL_MAX_UNITS];
    int units = i1 - i0;
    for (int u = 0; u < units; u++) {
        count[u] = 0;
        for (int j = 0; j < N; j++) {
            size_t at = (size_t)j * ldz + u;
            count[u] += (dZ ? dZ[at] : (double)dZ_narrow[at]) != 0.0;
        }
    }
    for (int u = 0; u < units; u++) { /* insertion sort: stable, at most 64 units */
        int v = u;
        for (; v > 0 && count[unit[v - 1]] < count[u]; v--)
            unit[v] = unit[v - 1];
        unit[v] = u;
    }
}

/* Lists, for each row tile (G_ROWS consecutive entries of unit), the examples whose dZ
 * is not zero on every unit of the tile, into active (a list of N per tile);
 * counts[t]: tile t's length. */
static void FN(active_examples)(int units, const int *unit, int N, const double *dZ,
                                const REAL *dZ_narrow, int ldz, int *active, int *counts)
{
    for (int i = 0, t = 0; i < units; i += G_ROWS, t++) {
        int rows = units - i < G_ROWS ? units - i : G_ROWS, n = 0;
        int *list = active + (size_t)t * N;
        for (int j = 0; j < N; j++) {
            int any = 0;
            for (int r = 0; r < rows; r++) {
                size_t at = (size_t)j * ldz + unit[i + r];
                any |= (dZ ? dZ[at] : (double)dZ_narrow[at]) != 0.0;
            }
            list[n] = j;
            n += any;
        }
        counts[t] = n;
    }
}

/* dW rows [i0, i1) from dZ in double or, when dZ is NULL, from dZ_narrow (widened as
 * it is used: slower, same bits); column j at j · ldz in either.
 *
 * An example whose dZ is zero on all of a row tile's units is skipped there: its
 * terms are ±0 (X is finite), and adding ±0 leaves a sum unchanged unless the sum is
 * -0, which a sum started at +0 never is. So the bits are those of the full sum,
 * with less work where ReLU left units inactive. */
static void FN(gradient_rows)(int i0, int i1, int N, int K, double scale, const double *dZ,
                              const REAL *dZ_narrow, int ldz, const REAL *X, REAL *dW)
{
    int units = i1 - i0, tiles = (units + G_ROWS - 1) / G_ROWS;
    int unit[DNN_KERNEL_MAX_UNITS], active[ACTIVE_SCRATCH];
    int counts[(DNN_KERNEL_MAX_UNITS + G_ROWS - 1) / G_ROWS];
    int skip = (size_t)tiles * N <= ACTIVE_SCRATCH; /* else every example, in order */
    for (int u = 0; u < units; u++)
        unit[u] = u;
    if (skip) {
        FN(units_by_activity)(i0, i1, N, dZ, dZ_narrow, ldz, unit);
        FN(active_examples)(units, unit, N, dZ, dZ_narrow, ldz, active, counts);
    }
    REAL *rows_out = dW + (size_t)i0 * K;
    for (int k0 = 0; k0 < K; k0 += G_VECS * LANES) {
        int kl = K - k0 < G_VECS * LANES ? K - k0 : G_VECS * LANES;
        for (int i = 0, t = 0; i < units; i += G_ROWS, t++) {
            int rows = units - i < G_ROWS ? units - i : G_ROWS;
            const int *list = skip ? active + (size_t)t * N : NULL;
            int n = skip ? counts[t] : N;
            if (dZ)
                FN(gradient_tiles)[rows](unit + i, list, n, K, K, kl, scale, dZ, ldz, X + k0,
                                         rows_out + k0, NULL);
            else
                FN(gradient_tile)(rows, unit + i, list, n, K, K, kl, scale, NULL, dZ_narrow, ldz,
                                  X + k0, rows_out + k0, NULL);
        }
    }
}

void FN(dnn_kernel_weight_gradient)(int M, int N, int K, double scale, const REAL *dZ,
                                    const REAL *X, REAL *dW)
{
#if NARROW
    if (N > DZ_SCRATCH) { /* more examples than the scratch holds */
        FN(gradient_rows)(0, M, N, K, scale, NULL, dZ, M, X, dW);
        return;
    }
    /* groups of units whose dZ rows fit the scratch in double: all of them unless
     * M · N > DZ_SCRATCH, and then X streams once per group */
    double wide[DZ_SCRATCH];
    int group = DZ_SCRATCH / N < M ? DZ_SCRATCH / N : M;
    for (int i0 = 0; i0 < M; i0 += group) {
        int rows = M - i0 < group ? M - i0 : group;
        for (int j = 0; j < N; j++)
            for (int r = 0; r < rows; r++)
                wide[(size_t)j * rows + r] = dZ[(size_t)j * M + i0 + r];
        FN(gradient_rows)(i0, i0 + rows, N, K, scale, wide, NULL, rows, X, dW);
    }
#else
    FN(gradient_rows)(0, M, N, K, scale, dZ, NULL, M, X, dW);
#endif
}
