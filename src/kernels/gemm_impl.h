/* The body of one GEMM variant for one element type (gemm.h gives the contract), the
 * usual three-level blocking: panels of op(B) (KC x NC) and blocks of op(A) (MC x KC)
 * are packed into buffers, zero-padded to whole MR x NR tiles, and a register tile
 * computes MR x NR elements of C over KC values of k at a time. Its sums run over k
 * in order; between k blocks they wait in C (or in a tile buffer at the edges) and the
 * next block resumes from them, so the blocking changes no bit. The padding only
 * feeds lanes whose results are never stored.
 *
 * Before including, define:
 *   REAL            the element type
 *   VEC, VLANES     the vector type and its lanes (REAL and 1 for scalar code)
 *   VZERO() VLOADU(p) VSTOREU(p, v) VBCAST(x) VFMA(a, b, c) VMUL(a, b)
 *                   with VFMA(a, b, c) = a·b + c rounded once, per lane
 *   MR_VECS, NR     the register tile: MR = MR_VECS · VLANES rows by NR columns
 *   KC, MC, NC      the cache blocks (MC a multiple of MR)
 *   GEMM_NAME       the function's name
 *   CODE_VALUE(q)   the value of an 8-bit code in REAL */

#include <stdlib.h>
#include <string.h>

#define MR (MR_VECS * VLANES)
#define MAX_W (MR > NR ? MR : NR)
#define JOIN2(a, b) a##_##b
#define JOIN(a, b) JOIN2(a, b)
#define LOCAL(name) JOIN(GEMM_NAME, name)

/* The register tile: c (MR x NR, leading dimension ldc) = first ? 0 : c, then the
 * sums over kc values of k (a: kc columns of MR; op(B)[k, j] is B_AT(k, j)), then
 * times alpha if last. Three of them: op(B) packed (b: kc rows of NR), or read in place
 * from NR columns of values (bv) or of codes (bq, widened through table), where op(B)'s
 * columns lie contiguous in k and packing would only transpose them. */
#define DEFINE_TILE(name, K_AT, B_AT, ...)                                                   \
    static inline void LOCAL(name)(int kc, const REAL *restrict a, __VA_ARGS__,             \
                                   REAL *restrict c, int ldc, int first, int last,          \
                                   REAL alpha)                                              \
    {                                                                                       \
        VEC acc[NR][MR_VECS];                                                               \
        for (int j = 0; j < NR; j++)                                                        \
            for (int v = 0; v < MR_VECS; v++)                                               \
                acc[j][v] = first ? VZERO() : VLOADU(c + (size_t)j * ldc + v * VLANES);     \
        for (int t = 0; t < kc; t++) {                                                      \
            int k = K_AT(t);                                                                \
            VEC av[MR_VECS];                                                                \
            for (int v = 0; v < MR_VECS; v++)                                               \
                av[v] = VLOADU(a + (size_t)k * MR + v * VLANES);                            \
            for (int j = 0; j < NR; j++) {                                                  \
                VEC bj = VBCAST(B_AT(k, j));                                                \
                for (int v = 0; v < MR_VECS; v++)                                           \
                    acc[j][v] = VFMA(av[v], bj, acc[j][v]);                                 \
            }                                                                               \
        }                                                                                   \
        if (last) {                                                                         \
            VEC al = VBCAST(alpha);                                                         \
            for (int j = 0; j < NR; j++)                                                    \
                for (int v = 0; v < MR_VECS; v++)                                           \
                    acc[j][v] = VMUL(al, acc[j][v]);                                        \
        }                                                                                   \
        for (int j = 0; j < NR; j++)                                                        \
            for (int v = 0; v < MR_VECS; v++)                                               \
                VSTOREU(c + (size_t)j * ldc + v * VLANES, acc[j][v]);                       \
    }
#define EVERY_K(t) (t)
#define LIVE_K(t) live[t]
#define PACKED_AT(k, j) b[(size_t)(k) * NR + (j)]
#define VALUES_AT(k, j) bv[j][k]
#define CODES_AT(k, j) table[bq[j][k]]
DEFINE_TILE(tile, EVERY_K, PACKED_AT, const REAL *restrict b)
DEFINE_TILE(tile_values, EVERY_K, VALUES_AT, const REAL *const *bv)
DEFINE_TILE(tile_codes, EVERY_K, CODES_AT, const uint8_t *const *bq, const REAL *restrict table)
/* kc values of k listed in live: the others' rows of op(B) are zero on the tile */
DEFINE_TILE(tile_live, LIVE_K, PACKED_AT, const REAL *restrict b, const int *restrict live)
#undef DEFINE_TILE
#undef EVERY_K
#undef LIVE_K
#undef PACKED_AT
#undef VALUES_AT
#undef CODES_AT

/* One tile over op(B) packed in b, or in place at columns j0 .. j0 + n - 1 from row k0
 * (the padding columns repeat column j0: their sums are never stored). */
static inline void LOCAL(any_tile)(int kc, const REAL *a, const REAL *b, const int *live,
                                   int n_live, const dnn_gemm_operand *B, const REAL *table,
                                   int j0, int n, int k0, REAL *c, int ldc, int first, int last,
                                   REAL alpha)
{
    if (live) {
        LOCAL(tile_live)(n_live, a, b, live, c, ldc, first, last, alpha);
    } else if (b) {
        LOCAL(tile)(kc, a, b, c, ldc, first, last, alpha);
    } else if (B->codes) {
        const uint8_t *bq[NR];
        for (int j = 0; j < NR; j++)
            bq[j] = B->codes + (size_t)k0 + (size_t)(j0 + (j < n ? j : 0)) * B->ld;
        LOCAL(tile_codes)(kc, a, bq, table, c, ldc, first, last, alpha);
    } else {
        const REAL *bv[NR];
        for (int j = 0; j < NR; j++)
            bv[j] = (const REAL *)B->values + (size_t)k0 + (size_t)(j0 + (j < n ? j : 0)) * B->ld;
        LOCAL(tile_values)(kc, a, bv, c, ldc, first, last, alpha);
    }
}

/* Packs rows [r0, r0 + rows) of op(X) over k in [k0, k0 + kc) as slivers of width w:
 * dst[s · w · kc + k · w + r] for sliver s, zero beyond the last row. Four loops, for
 * values or codes (widened through table), stored with op(X)'s rows or its columns
 * contiguous; each reads its source in memory order. */
#define PACK_LOOPS(VALUE)                                                                    \
    if (!x->trans) { /* op(X)[r, k] at r + k · ld: the sliver's rows contiguous */         \
        for (int k = 0; k < kc; k++) {                                                      \
            size_t at = (size_t)(r0 + s) + (size_t)(k0 + k) * x->ld;                        \
            REAL *d = dst + (size_t)k * w;                                                  \
            if (n == w)                                                                     \
                for (int r = 0; r < w; r++)                                                 \
                    d[r] = VALUE(at + r);                                                   \
            else                                                                            \
                for (int r = 0; r < w; r++)                                                 \
                    d[r] = r < n ? VALUE(at + r) : 0;                                       \
        }                                                                                   \
    } else { /* op(X)[r, k] at k + r · ld: w rows read side by side, k in order */   \
        size_t at[MAX_W];                                                                   \
        for (int r = 0; r < w; r++)                                                         \
            at[r] = (size_t)k0 + (size_t)(r0 + s + (r < n ? r : 0)) * x->ld;                \
        for (int k = 0; k < kc; k++) {                                                      \
            REAL *d = dst + (size_t)k * w;                                                  \
            for (int r = 0; r < w; r++)                                                     \
                d[r] = r < n ? VALUE(at[r] + k) : 0;                                        \
        }                                                                                   \
    }

static void LOCAL(pack)(const dnn_gemm_operand *x, const REAL *table, int r0, int rows,
                        int k0, int kc, int w, REAL *restrict dst)
{
    const REAL *values = x->values;
    const uint8_t *codes = x->codes;
#define FROM_VALUES(i) values[i]
#define FROM_CODES(i) table[codes[i]]
    for (int s = 0; s < rows; s += w, dst += (size_t)w * kc) {
        int n = rows - s < w ? rows - s : w;
        if (codes) {
            PACK_LOOPS(FROM_CODES)
        } else {
            PACK_LOOPS(FROM_VALUES)
        }
    }
#undef FROM_VALUES
#undef FROM_CODES
}
#undef PACK_LOOPS

int GEMM_NAME(int M, int N, int K, REAL alpha, dnn_gemm_operand A, dnn_gemm_operand B,
              REAL *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return 0;
    if (K <= 0) {
        for (int j = 0; j < N; j++)
            for (int i = 0; i < M; i++)
                C[(size_t)j * ldc + i] = alpha * (REAL)0;
        return 0;
    }
    REAL table[256];
    for (int q = 0; q < 256; q++)
        table[q] = CODE_VALUE(q);
    /* op(B)'s rows are its columns k: pack its transpose, rows j over k */
    dnn_gemm_operand Bt = B;
    Bt.trans = !B.trans;
    int kc_max = K < KC ? K : KC;
    int mc_max = M < MC ? (M + MR - 1) / MR * MR : MC;
    int nc_max = N < NC ? (N + NR - 1) / NR * NR : NC;
    REAL *Ap = aligned_alloc(64, ((size_t)mc_max * kc_max * sizeof(REAL) + 63) / 64 * 64);
    REAL *Bp = B.trans ? aligned_alloc(64, ((size_t)nc_max * kc_max * sizeof(REAL) + 63) / 64 * 64) : NULL;
    /* Codes are finite, so a term a · (±0) changes no sum (acc is never -0: it starts
     * at +0, and an exact zero sum rounds to +0), and the k whose row of op(B) is zero
     * on a whole tile (the examples a ReLU tile of dZ has no active unit on, in the
     * first layer's dW) are skipped: live lists the others, per sliver of op(B). */
    int *live = A.codes && B.trans ? malloc((size_t)(nc_max / NR) * kc_max * sizeof *live)
                                   : NULL;
    int n_live[NC / NR];
    if (!Ap || (B.trans && !Bp) || (A.codes && B.trans && !live)) {
        free(Ap), free(Bp), free(live);
        return -1;
    }
    REAL edge[MR * NR];
    memset(edge, 0, sizeof edge);
    /* op(B)'s columns contiguous in k (B not transposed): read in place, not packed */
    int in_place = !B.trans;
    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC, first = pc == 0, last = pc + kc == K;
            if (!in_place)
                LOCAL(pack)(&Bt, table, jc, nc, pc, kc, NR, Bp);
            for (int jr = 0; live && jr < nc; jr += NR) {
                const REAL *b = Bp + (size_t)jr * kc;
                int *l = live + (size_t)(jr / NR) * kc_max, count = 0;
                for (int k = 0; k < kc; k++) {
                    int zero = 1;
                    for (int j = 0; j < NR; j++)
                        zero &= b[(size_t)k * NR + j] == 0;
                    if (!zero)
                        l[count++] = k;
                }
                n_live[jr / NR] = count;
            }
            for (int ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                LOCAL(pack)(&A, table, ic, mc, pc, kc, MR, Ap);
                for (int jr = 0; jr < nc; jr += NR) {
                    int n = nc - jr < NR ? nc - jr : NR;
                    const REAL *b = in_place ? NULL : Bp + (size_t)jr * kc;
                    const int *l = live ? live + (size_t)(jr / NR) * kc_max : NULL;
                    int count = live ? n_live[jr / NR] : 0;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int m = mc - ir < MR ? mc - ir : MR;
                        REAL *c = C + (size_t)(jc + jr) * ldc + (size_t)(ic + ir);
                        const REAL *a = Ap + (size_t)ir * kc;
                        if (m == MR && n == NR) {
                            LOCAL(any_tile)(kc, a, b, l, count, &B, table, jc + jr, n, pc, c,
                                            ldc, first, last, alpha);
                            continue;
                        }
                        for (int j = 0; j < n && !first; j++)
                            memcpy(edge + j * MR, c + (size_t)j * ldc, (size_t)m * sizeof *c);
                        LOCAL(any_tile)(kc, a, b, l, count, &B, table, jc + jr, n, pc, edge,
                                        MR, first, last, alpha);
                        for (int j = 0; j < n; j++)
                            memcpy(c + (size_t)j * ldc, edge + j * MR, (size_t)m * sizeof *c);
                    }
                }
            }
        }
    }
    free(Ap), free(Bp), free(live);
    return 0;
}

#undef MR
#undef MAX_W
#undef JOIN2
#undef JOIN
#undef LOCAL
