/* The products of kernels.h from 8-bit codes, instantiated in kernels_avx512.c once
 * for each way of widening the codes: define CODES_FN(name) and WIDEN(q, n, out)
 * (out[0 .. n) = the doubles of codes q[0 .. n)) before including it. Both cover the
 * inputs [k_begin, k_end) of K (see dnn_kernel_forward_codes_part). */

static void CODES_FN(forward_codes)(int M, int N, int K, int k_begin, int k_end,
                                    const double *W, const uint8_t *Q, double *Z,
                                    size_t block_stride, double *work)
{
    double *x = aligned(work); /* one block of a panel's examples, widened */
    double *sums = Z;
    for (int k0 = k_begin; k0 < k_end; k0 += F_KBLOCK) {
        int kl = k_end - k0 < F_KBLOCK ? k_end - k0 : F_KBLOCK;
        /* a block that starts its sums writes them (0 + its sums) without reading */
        int fresh = k0 == k_begin || block_stride;
        if (fresh)
            sums = Z + (size_t)(k0 - k_begin) / F_KBLOCK * block_stride;
        for (int p0 = 0; p0 < N; p0 += CODE_PANEL) {
            int width = N - p0 < CODE_PANEL ? N - p0 : CODE_PANEL;
            for (int j = 0; j < width; j++) {
                const uint8_t *q = Q + (size_t)(p0 + j) * K + k0;
                if (k0 + F_KBLOCK < k_end) /* the column's next block: too many streams to guess */
                    for (int b = 0; b < F_KBLOCK && k0 + F_KBLOCK + b < k_end; b += CODE_LINE)
                        _mm_prefetch((const char *)(q + F_KBLOCK + b), _MM_HINT_T0);
                WIDEN(q, kl, x + (size_t)j * F_KBLOCK);
            }
            for (int i0 = 0; i0 < M; i0 += F_ROWS) {
                int rows = M - i0 < F_ROWS ? M - i0 : F_ROWS;
                for (int j0 = 0; j0 < width; j0 += F_COLS) {
                    int cols = width - j0 < F_COLS ? width - j0 : F_COLS;
                    forward_tiles[0][rows][cols](M, F_KBLOCK, kl, W + (size_t)i0 * K + k0, K,
                                                 x + (size_t)j0 * F_KBLOCK,
                                                 sums + i0 + (size_t)(p0 + j0) * M, NULL,
                                                 fresh);
                }
            }
        }
    }
}

static void CODES_FN(weight_gradient_codes)(int M, int N, int K, int k_begin, int k_end,
                                            double scale, const double *dZ, const uint8_t *Q,
                                            double *dW, double *work, double *magnitudes)
{
    magnitude_lanes mag = {_mm512_setzero_si512(), _mm512_set1_epi64(-1)};
    double *x = aligned(work); /* a span of inputs of the used examples, at their index */
    int *active = (int *)(x + (size_t)G_SPAN * N); /* the row tiles' lists (gradient_rows) */
    int *used = active + (size_t)G_ROW_TILES * N, n_used = 0; /* examples any tile uses */
    int counts[G_ROW_TILES], unit[DNN_KERNEL_MAX_UNITS];
    units_by_activity(0, M, N, dZ, NULL, M, unit);
    active_examples(M, unit, N, dZ, NULL, M, active, counts);
    for (int j = 0; j < N; j++) {
        int any = 0;
        for (int i = 0; i < M; i++)
            any |= dZ[(size_t)j * M + i] != 0.0;
        used[n_used] = j;
        n_used += any;
    }
    for (int s0 = k_begin; s0 < k_end; s0 += G_SPAN) {
        int sl = k_end - s0 < G_SPAN ? k_end - s0 : G_SPAN;
        for (int u = 0; u < n_used; u++) {
            const uint8_t *q = Q + (size_t)used[u] * K + s0;
            /* two lines ahead, at every span: a span is shorter than a line, so no line
             * is skipped (the columns are too many streams for the hardware) */
            if (s0 + 2 * CODE_LINE < k_end)
                _mm_prefetch((const char *)(q + 2 * CODE_LINE), _MM_HINT_T0);
            WIDEN(q, sl, x + (size_t)used[u] * G_SPAN);
        }
        for (int k0 = s0; k0 < s0 + sl; k0 += G_TILE) {
            int kl = s0 + sl - k0 < G_TILE ? s0 + sl - k0 : G_TILE;
            for (int i = 0, t = 0; i < M; i += G_ROWS, t++) {
                int rows = M - i < G_ROWS ? M - i : G_ROWS;
                gradient_tiles[rows](unit + i, active + (size_t)t * N, counts[t], G_SPAN, K, kl,
                                     scale, dZ, M, x + (k0 - s0), dW + k0,
                                     magnitudes ? &mag : NULL);
            }
        }
    }
    if (magnitudes)
        fold_magnitudes_out(&mag, magnitudes);
}
