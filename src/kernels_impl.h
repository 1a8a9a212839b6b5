/* The AVX-512 kernels' body, instantiated for double (kernels_avx512.c) and float
 * (kernels_avx512_f32.c). Define REAL, FN(name), VEC, MASK, LANES, TAIL_MASK and the
 * V* operations before including it. */
enum {
    ROWS = 4,     /* units per register tile */
    COLS = 4,     /* examples (forward) or vectors of inputs (gradient) per tile */
    KBLOCK = 2048 /* inputs per block: a tile's rows and columns stay in L2 */
};

static MASK TAIL_MASK(int n)
{
    return (MASK)((1u << n) - 1u);
}

/* Z tile (rows, cols) += Σ_k W[i0+r][k] · X[k][j0+c] over k in [k0, k0+kl). */
static void FN(forward_tile)(int M, int K, int rows, int cols, int kl, const REAL *W,
                         const REAL *X, REAL *Z)
{
    VEC acc[ROWS][COLS];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
            acc[r][c] = VZERO();
    int k = 0;
    if (rows == ROWS && cols == COLS) {
        for (; k + LANES <= kl; k += LANES) {
            VEC w0 = VLOAD(W + k), w1 = VLOAD(W + K + k);
            VEC w2 = VLOAD(W + 2 * (size_t)K + k);
            VEC w3 = VLOAD(W + 3 * (size_t)K + k);
            for (int c = 0; c < COLS; c++) {
                VEC x = VLOAD(X + (size_t)c * K + k);
                acc[0][c] = VFMA(w0, x, acc[0][c]);
                acc[1][c] = VFMA(w1, x, acc[1][c]);
                acc[2][c] = VFMA(w2, x, acc[2][c]);
                acc[3][c] = VFMA(w3, x, acc[3][c]);
            }
        }
    }
    for (; k < kl; k += LANES) {
        MASK m = TAIL_MASK(kl - k < LANES ? kl - k : LANES);
        for (int c = 0; c < cols; c++) {
            VEC x = VLOAD_MASKED(m, X + (size_t)c * K + k);
            for (int r = 0; r < rows; r++) {
                VEC w = VLOAD_MASKED(m, W + (size_t)r * K + k);
                acc[r][c] = VFMA(w, x, acc[r][c]);
            }
        }
    }
    for (int c = 0; c < cols; c++)
        for (int r = 0; r < rows; r++)
            Z[r + (size_t)c * M] += VSUM(acc[r][c]);
}

void FN(dnn_kernel_forward)(int M, int N, int K, const REAL *W, const REAL *X, REAL *Z)
{
    for (size_t i = 0; i < (size_t)M * N; i++)
        Z[i] = 0.0;
    for (int k0 = 0; k0 < K; k0 += KBLOCK) {
        int kl = K - k0 < KBLOCK ? K - k0 : KBLOCK;
        for (int j0 = 0; j0 < N; j0 += COLS) {
            int cols = N - j0 < COLS ? N - j0 : COLS;
            for (int i0 = 0; i0 < M; i0 += ROWS) {
                int rows = M - i0 < ROWS ? M - i0 : ROWS;
                FN(forward_tile)(M, K, rows, cols, kl, W + (size_t)i0 * K + k0,
                             X + (size_t)j0 * K + k0, Z + i0 + (size_t)j0 * M);
            }
        }
    }
}

/* dW tile: rows units x (COLS · LANES) inputs from k0, summed over all N examples. */
static void FN(gradient_tile)(int M, int N, int K, int rows, int kl, double scale,
                          const REAL *dZ, const REAL *X, REAL *dW)
{
    VEC acc[ROWS][COLS];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < COLS; v++)
            acc[r][v] = VZERO();
    if (rows == ROWS && kl == COLS * LANES) {
        for (int j = 0; j < N; j++) {
            const REAL *x = X + (size_t)j * K, *dz = dZ + (size_t)j * M;
            /* N columns far apart are too many streams for the hardware prefetcher */
            _mm_prefetch((const char *)(x + 4 * LANES), _MM_HINT_T0);
            _mm_prefetch((const char *)(x + 5 * LANES), _MM_HINT_T0);
            _mm_prefetch((const char *)(x + 6 * LANES), _MM_HINT_T0);
            _mm_prefetch((const char *)(x + 7 * LANES), _MM_HINT_T0);
            VEC x0 = VLOAD(x), x1 = VLOAD(x + LANES);
            VEC x2 = VLOAD(x + 2 * LANES), x3 = VLOAD(x + 3 * LANES);
            for (int r = 0; r < ROWS; r++) {
                VEC d = VSET1(dz[r]);
                acc[r][0] = VFMA(d, x0, acc[r][0]);
                acc[r][1] = VFMA(d, x1, acc[r][1]);
                acc[r][2] = VFMA(d, x2, acc[r][2]);
                acc[r][3] = VFMA(d, x3, acc[r][3]);
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
    for (int r = 0; r < rows; r++) {
        for (int v = 0; v * LANES < kl; v++) {
            int n = kl - v * LANES < LANES ? kl - v * LANES : LANES;
            VSTORE_MASKED(dW + (size_t)r * K + v * LANES, TAIL_MASK(n),
                                  VMUL(s, acc[r][v]));
        }
    }
}

void FN(dnn_kernel_weight_gradient)(int M, int N, int K, double scale, const REAL *dZ,
                                const REAL *X, REAL *dW)
{
    for (int k0 = 0; k0 < K; k0 += COLS * LANES) {
        int kl = K - k0 < COLS * LANES ? K - k0 : COLS * LANES;
        for (int i0 = 0; i0 < M; i0 += ROWS) {
            int rows = M - i0 < ROWS ? M - i0 : ROWS;
            FN(gradient_tile)(M, N, K, rows, kl, scale, dZ + i0, X + k0, dW + (size_t)i0 * K + k0);
        }
    }
}
