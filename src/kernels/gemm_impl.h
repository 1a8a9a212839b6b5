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
#define JOIN2(a, b) a##_##b
#define JOIN(a, b) JOIN2(a, b)
#define LOCAL(name) JOIN(GEMM_NAME, name)

/* The register tile: c (MR x NR, leading dimension ldc) = first ? 0 : c, then the
 * sums over kc values of k (a: kc columns of MR, b: kc rows of NR), then times alpha
 * if last. */
static inline void LOCAL(tile)(int kc, const REAL *restrict a, const REAL *restrict b,
                               REAL *restrict c, int ldc, int first, int last, REAL alpha)
{
    VEC acc[NR][MR_VECS];
    for (int j = 0; j < NR; j++)
        for (int v = 0; v < MR_VECS; v++)
            acc[j][v] = first ? VZERO() : VLOADU(c + (size_t)j * ldc + v * VLANES);
    for (int k = 0; k < kc; k++) {
        VEC av[MR_VECS];
        for (int v = 0; v < MR_VECS; v++)
            av[v] = VLOADU(a + (size_t)k * MR + v * VLANES);
        for (int j = 0; j < NR; j++) {
            VEC bj = VBCAST(b[(size_t)k * NR + j]);
            for (int v = 0; v < MR_VECS; v++)
                acc[j][v] = VFMA(av[v], bj, acc[j][v]);
        }
    }
    if (last) {
        VEC al = VBCAST(alpha);
        for (int j = 0; j < NR; j++)
            for (int v = 0; v < MR_VECS; v++)
                acc[j][v] = VMUL(al, acc[j][v]);
    }
    for (int j = 0; j < NR; j++)
        for (int v = 0; v < MR_VECS; v++)
            VSTOREU(c + (size_t)j * ldc + v * VLANES, acc[j][v]);
}

/* The value op(X)[r, k] of an operand with R rows in op(X). */
static inline REAL LOCAL(at)(const dnn_gemm_operand *x, const REAL *table, int r, int k)
{
    size_t idx = x->trans ? (size_t)k + (size_t)r * x->ld : (size_t)r + (size_t)k * x->ld;
    return x->codes ? table[x->codes[idx]] : ((const REAL *)x->values)[idx];
}

/* Packs rows [r0, r0 + rows) of op(X) over k in [k0, k0 + kc) as slivers of width w:
 * dst[s · w · kc + k · w + r] for sliver s, zero beyond the last row. */
static void LOCAL(pack)(const dnn_gemm_operand *x, const REAL *table, int r0, int rows,
                        int k0, int kc, int w, REAL *restrict dst)
{
    for (int s = 0; s < rows; s += w, dst += (size_t)w * kc) {
        int n = rows - s < w ? rows - s : w;
        if (!x->trans && !x->codes) { /* the w rows are contiguous for each k */
            const REAL *src = (const REAL *)x->values + (size_t)(r0 + s) + (size_t)k0 * x->ld;
            for (int k = 0; k < kc; k++) {
                memcpy(dst + (size_t)k * w, src + (size_t)k * x->ld, (size_t)n * sizeof *dst);
                for (int r = n; r < w; r++)
                    dst[(size_t)k * w + r] = 0;
            }
            continue;
        }
        for (int r = 0; r < w; r++)
            for (int k = 0; k < kc; k++)
                dst[(size_t)k * w + r] = r < n ? LOCAL(at)(x, table, r0 + s + r, k0 + k) : 0;
    }
}

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
    REAL *Bp = aligned_alloc(64, ((size_t)nc_max * kc_max * sizeof(REAL) + 63) / 64 * 64);
    if (!Ap || !Bp) {
        free(Ap), free(Bp);
        return -1;
    }
    REAL edge[MR * NR];
    memset(edge, 0, sizeof edge);
    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC, first = pc == 0, last = pc + kc == K;
            LOCAL(pack)(&Bt, table, jc, nc, pc, kc, NR, Bp);
            for (int ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                LOCAL(pack)(&A, table, ic, mc, pc, kc, MR, Ap);
                for (int jr = 0; jr < nc; jr += NR) {
                    int n = nc - jr < NR ? nc - jr : NR;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int m = mc - ir < MR ? mc - ir : MR;
                        REAL *c = C + (size_t)(jc + jr) * ldc + (size_t)(ic + ir);
                        const REAL *a = Ap + (size_t)ir * kc, *b = Bp + (size_t)jr * kc;
                        if (m == MR && n == NR) {
                            LOCAL(tile)(kc, a, b, c, ldc, first, last, alpha);
                            continue;
                        }
                        for (int j = 0; j < n && !first; j++)
                            memcpy(edge + j * MR, c + (size_t)j * ldc, (size_t)m * sizeof *c);
                        LOCAL(tile)(kc, a, b, edge, MR, first, last, alpha);
                        for (int j = 0; j < n; j++)
                            memcpy(c + (size_t)j * ldc, edge + j * MR, (size_t)m * sizeof *c);
                    }
                }
            }
        }
    }
    free(Ap), free(Bp);
    return 0;
}

#undef MR
#undef JOIN2
#undef JOIN
#undef LOCAL
