/* The AVX-512 kernels' body, instantiated for double (kernels_avx512.c) and float
 * (kernels_avx512_f32.c). Define REAL, FN(name), VEC, MASK, LANES, TAIL_MASK and the
 * V* operations before including it.
 *
 * Tile shapes were chosen by measurement on the course's first layer (20 units,
 * 12288 inputs, chunks of ~50-100 examples) on a Zen 5 core: see BENCHMARKS.md. */
#define INLINE static inline __attribute__((always_inline))

enum {
    F_ROWS = 5,                      /* forward: units per register tile */
    F_COLS = 4,                      /* forward: examples per register tile */
    F_KBLOCK = 4096 / sizeof(REAL),  /* forward: inputs per block; a tile's rows stay in L1 */
    G_ROWS = 10,                     /* gradient: units per register tile */
    G_VECS = 2,                      /* gradient: vectors of inputs per register tile */
    G_PREFETCH = 2 * G_VECS * LANES  /* gradient: prefetch two tiles ahead in each column */
};

static MASK TAIL_MASK(int n)
{
    return (MASK)((1u << n) - 1u);
}

/* Z tile (rows, cols) += Σ_k W[i0+r][k] · X[k][j0+c] over the kl inputs of a block.
 * Every path accumulates lane k mod LANES in k order and then sums the lanes, so an
 * element's bits depend only on K, not on the tile it falls in. */
INLINE void FN(forward_tile)(int rows, int cols, int M, int K, int kl, const REAL *W,
                             const REAL *X, REAL *Z, const REAL *next)
{
    VEC acc[F_ROWS][F_COLS];
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            acc[r][c] = VZERO();
    int k = 0;
    for (; k + LANES <= kl; k += LANES) {
        VEC w[F_ROWS];
        for (int r = 0; r < rows; r++)
            w[r] = VLOAD(W + (size_t)r * K + k);
        for (int c = 0; c < cols; c++) {
            VEC x = VLOAD(X + (size_t)c * K + k);
            if (next)
                _mm_prefetch((const char *)(next + (size_t)c * K + k), _MM_HINT_T0);
            for (int r = 0; r < rows; r++)
                acc[r][c] = VFMA(w[r], x, acc[r][c]);
        }
    }
    if (k < kl) {
        MASK m = TAIL_MASK(kl - k);
        for (int c = 0; c < cols; c++) {
            VEC x = VLOAD_MASKED(m, X + (size_t)c * K + k);
            for (int r = 0; r < rows; r++)
                acc[r][c] = VFMA(VLOAD_MASKED(m, W + (size_t)r * K + k), x, acc[r][c]);
        }
    }
    for (int c = 0; c < cols; c++)
        for (int r = 0; r < rows; r++)
            Z[r + (size_t)c * M] += VSUM(acc[r][c]);
}

/* Tiles with constant shapes, so that the accumulators stay in registers. */
#define FORWARD_SHAPE(r, c)                                                                \
    static void FN(forward_##r##x##c)(int M, int K, int kl, const REAL *W, const REAL *X,  \
                                      REAL *Z, const REAL *next)                           \
    {                                                                                      \
        FN(forward_tile)(r, c, M, K, kl, W, X, Z, next);                                   \
    }
#define FORWARD_ROWS(r)                                                                    \
    FORWARD_SHAPE(r, 1) FORWARD_SHAPE(r, 2) FORWARD_SHAPE(r, 3) FORWARD_SHAPE(r, 4)
FORWARD_ROWS(1)
FORWARD_ROWS(2)
FORWARD_ROWS(3)
FORWARD_ROWS(4)
FORWARD_ROWS(5)
_Static_assert(F_ROWS == 5 && F_COLS == 4, "one forward_RxC function per tile shape");

typedef void (*FN(forward_fn))(int, int, int, const REAL *, const REAL *, REAL *, const REAL *);
#define FORWARD_ROW_FNS(r)                                                                 \
    {NULL, FN(forward_##r##x1), FN(forward_##r##x2), FN(forward_##r##x3), FN(forward_##r##x4)}
static const FN(forward_fn) FN(forward_tiles)[F_ROWS + 1][F_COLS + 1] = {
    {NULL},           FORWARD_ROW_FNS(1), FORWARD_ROW_FNS(2),
    FORWARD_ROW_FNS(3), FORWARD_ROW_FNS(4), FORWARD_ROW_FNS(5)};

void FN(dnn_kernel_forward)(int M, int N, int K, const REAL *W, const REAL *X, REAL *Z)
{
    for (size_t i = 0; i < (size_t)M * N; i++)
        Z[i] = 0.0;
    for (int k0 = 0; k0 < K; k0 += F_KBLOCK) {
        int kl = K - k0 < (int)F_KBLOCK ? K - k0 : (int)F_KBLOCK;
        for (int i0 = 0; i0 < M; i0 += F_ROWS) {
            int rows = M - i0 < F_ROWS ? M - i0 : F_ROWS;
            for (int j0 = 0; j0 < N; j0 += F_COLS) {
                int cols = N - j0 < F_COLS ? N - j0 : F_COLS;
                /* the first row tile reads the examples from memory: it fetches the
                 * next tile's columns ahead of their use */
                const REAL *next = i0 == 0 && j0 + F_COLS < N
                                       ? X + (size_t)(j0 + F_COLS) * K + k0
                                       : NULL;
                FN(forward_tiles)[rows][cols](M, K, kl, W + (size_t)i0 * K + k0,
                                              X + (size_t)j0 * K + k0, Z + i0 + (size_t)j0 * M,
                                              next);
            }
        }
    }
}

int FN(dnn_kernel_forward_roundings)(int K)
{
    int lane_levels = 0;
    while ((1 << lane_levels) < LANES)
        lane_levels++;
    return (int)F_KBLOCK / LANES + lane_levels + (K + (int)F_KBLOCK - 1) / (int)F_KBLOCK;
}

/* dW tile: rows units x (G_VECS · LANES) inputs, summed over the N examples in order;
 * the last tile of a row may be narrower (kl inputs). */
INLINE void FN(gradient_tile)(int rows, int M, int N, int K, int kl, double scale,
                              const REAL *dZ, const REAL *X, REAL *dW)
{
    VEC acc[G_ROWS][G_VECS];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < G_VECS; v++)
            acc[r][v] = VZERO();
    if (kl == G_VECS * LANES) {
        for (int j = 0; j < N; j++) {
            const REAL *x = X + (size_t)j * K, *dz = dZ + (size_t)j * M;
            /* the N columns lie far apart: too many streams for the hardware prefetcher */
            for (int v = 0; v < G_VECS; v++)
                _mm_prefetch((const char *)(x + G_PREFETCH + v * LANES), _MM_HINT_T0);
            VEC xv[G_VECS];
            for (int v = 0; v < G_VECS; v++)
                xv[v] = VLOAD(x + v * LANES);
            for (int r = 0; r < rows; r++) {
                VEC d = VSET1(dz[r]);
                for (int v = 0; v < G_VECS; v++)
                    acc[r][v] = VFMA(d, xv[v], acc[r][v]);
            }
        }
    } else {
        for (int j = 0; j < N; j++) {
            const REAL *x = X + (size_t)j * K, *dz = dZ + (size_t)j * M;
            for (int v = 0; v * LANES < kl; v++) {
                int n = kl - v * LANES < LANES ? kl - v * LANES : LANES;
                VEC xv = VLOAD_MASKED(TAIL_MASK(n), x + v * LANES);
                for (int r = 0; r < rows; r++)
                    acc[r][v] = VFMA(VSET1(dz[r]), xv, acc[r][v]);
            }
        }
    }
    VEC s = VSET1(scale);
    for (int r = 0; r < rows; r++)
        for (int v = 0; v * LANES < kl; v++) {
            int n = kl - v * LANES < LANES ? kl - v * LANES : LANES;
            VSTORE_MASKED(dW + (size_t)r * K + v * LANES, TAIL_MASK(n), VMUL(s, acc[r][v]));
        }
}

_Static_assert(G_ROWS == 10, "one gradient_rows_N function per row count");
#define GRADIENT_ROWS(n)                                                                   \
    static void FN(gradient_rows_##n)(int M, int N, int K, int kl, double scale,           \
                                      const REAL *dZ, const REAL *X, REAL *dW)             \
    {                                                                                      \
        FN(gradient_tile)(n, M, N, K, kl, scale, dZ, X, dW);                               \
    }
GRADIENT_ROWS(1)
GRADIENT_ROWS(2)
GRADIENT_ROWS(3)
GRADIENT_ROWS(4)
GRADIENT_ROWS(5)
GRADIENT_ROWS(6)
GRADIENT_ROWS(7)
GRADIENT_ROWS(8)
GRADIENT_ROWS(9)
GRADIENT_ROWS(10)

void FN(dnn_kernel_weight_gradient)(int M, int N, int K, double scale, const REAL *dZ,
                                    const REAL *X, REAL *dW)
{
    static void (*const tile[G_ROWS + 1])(int, int, int, int, double, const REAL *,
                                          const REAL *, REAL *) = {
        NULL, FN(gradient_rows_1), FN(gradient_rows_2), FN(gradient_rows_3),
        FN(gradient_rows_4), FN(gradient_rows_5), FN(gradient_rows_6), FN(gradient_rows_7),
        FN(gradient_rows_8), FN(gradient_rows_9), FN(gradient_rows_10)};
    for (int k0 = 0; k0 < K; k0 += G_VECS * LANES) {
        int kl = K - k0 < G_VECS * LANES ? K - k0 : G_VECS * LANES;
        for (int i0 = 0; i0 < M; i0 += G_ROWS) {
            int rows = M - i0 < G_ROWS ? M - i0 : G_ROWS;
            tile[rows](M, N, K, kl, scale, dZ + i0, X + k0, dW + (size_t)i0 * K + k0);
        }
    }
}
