/* dnn_L_model_forward_f32_checked: the float forward pass whose ReLU decisions
 * are those of double precision (see dnn/f32.h). */
#include <float.h>
#include <math.h>

#include "dnn/f32.h"
#include "core/hot_loop.h"
#include "kernels/gemm.h"
#include "kernels/kernels.h"

/* The loops below are HOT_LOOPs: they run on few elements, but on every example. */
#define HOT HOT_LOOP

/* Roundings a float pre-activation of an (n, k) layer went through, at most:
 * the product's summation chain (the kernel's, or k for any order in BLAS), the
 * bias add, and the rounding of W, b and the examples to float. */
static int roundings(int n, int k)
{
    int chain = dnn_products_system() && dnn_kernel_suits_f32(n, k)
                    ? dnn_kernel_forward_roundings_f32(k)
                    : k;
    return chain + 4;
}

HOT static double norm_f32(const float *v, int n)
{
    double lanes[8] = {0}, s = 0.0; /* independent sums, so that the loop vectorizes */
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++)
            lanes[l] += (double)v[i + l] * v[i + l];
    for (; i < n; i++)
        s += (double)v[i] * v[i];
    for (int l = 0; l < 8; l++)
        s += lanes[l];
    return sqrt(s);
}

/* Unit i's pre-activation for example j in double, from the double parameters
 * and the layer's input (double examples, or the float activations widened),
 * in independent sums so that the loop vectorizes. */
HOT static double pre_activation(const double *w, double b, int k, const double *x64,
                                  const float *x32)
{
    double lanes[8] = {0};
    int t = 0;
    if (x64) {
        for (; t + 8 <= k; t += 8)
            for (int v = 0; v < 8; v++)
                lanes[v] += w[t + v] * x64[t + v];
        for (; t < k; t++)
            lanes[0] += w[t] * x64[t];
    } else {
        for (; t + 8 <= k; t += 8)
            for (int v = 0; v < 8; v++)
                lanes[v] += w[t + v] * (double)x32[t + v];
        for (; t < k; t++)
            lanes[0] += w[t] * (double)x32[t];
    }
    double z = b;
    for (int v = 0; v < 8; v++)
        z += lanes[v];
    return z;
}

/* Whether some unit's |z| is within its bound gamma · (‖w‖·x_norm + |b|). */
HOT static int any_near_zero(const float *z, const double *w_norms, const double *b, int n,
                             double gamma, double x_norm)
{
    int near = 0;
    for (int i = 0; i < n; i++)
        near |= fabsf(z[i]) <= gamma * (w_norms[i] * x_norm + fabs(b[i]));
    return near;
}

/* Layer l's float Z within its error bound of 0 gets the double value's sign.
 * The bound: |Z32 - Z| <= γ_s · (Σ|w·x| + |b|) with s roundings and γ_s =
 * s·u/(1 - s·u), and Σ|w·x| <= ‖w‖·‖x‖ (Cauchy-Schwarz), with 1% to spare for
 * the norms' own rounding. */
static long check_layer(const dnn_params *p64, int l, const float *A_prev32, const double *X64,
                        const double *in_norms, int m, float *Z, float *A, const double *w_norms)
{
    int n = p64->dims[l], k = p64->dims[l - 1];
    const double *W = p64->W[l], *b = p64->b[l];
    double u = 0.5 * FLT_EPSILON, s = roundings(n, k);
    double gamma = 1.01 * s * u / (1.0 - s * u);
    long recomputed = 0;
    for (int j = 0; j < m; j++) {
        double x_norm = in_norms ? in_norms[j] : norm_f32(A_prev32 + (size_t)j * k, k);
        if (!any_near_zero(Z + (size_t)j * n, w_norms, b, n, gamma, x_norm))
            continue; /* most examples */
        for (int i = 0; i < n; i++) {
            size_t at = (size_t)j * n + i;
            if (fabsf(Z[at]) > gamma * (w_norms[i] * x_norm + fabs(b[i])))
                continue;
            double z = pre_activation(W + (size_t)i * k, b[i], k, X64 ? X64 + (size_t)j * k : NULL,
                                      A_prev32 + (size_t)j * k);
            float z32 = (float)z;
            if (z > 0.0 && z32 == 0.0f) /* below float's range: keep it positive */
                z32 = FLT_TRUE_MIN;
            Z[at] = z32;
            A[at] = z32 > 0.0f ? z32 : 0.0f;
            recomputed++;
        }
    }
    return recomputed;
}

dnn_status dnn_L_model_forward_f32_checked(const dnn_params_f32 *params32,
                                           const dnn_params *params64, const double *row_norms,
                                           const float *X, const double *X64, const double *x_norms,
                                           int m, dnn_cache_f32 *cache, long *recomputed)
{
    if (!params32 || !params64 || !row_norms || !X || !cache || m < 1)
        return DNN_ERR_ARG;
    int L = params32->L;
    if (params64->L != L || cache->L != L || m > cache->capacity)
        return DNN_ERR_SHAPE;
    for (int l = 0; l <= L; l++)
        if (params32->dims[l] != params64->dims[l])
            return DNN_ERR_SHAPE;
    cache->A0 = X;
    cache->m = m;
    dnn_status st = DNN_OK;
    /* layer by layer: a recomputed unit changes the next layer's input */
    for (int l = 1; st == DNN_OK && l <= L; l++) {
        const float *A_prev = l > 1 ? cache->A[l - 1] : X;
        st = dnn_linear_activation_forward_f32(
            params32->dims[l], params32->dims[l - 1], m, A_prev, params32->W[l], params32->b[l],
            l < L ? DNN_RELU : DNN_SIGMOID, cache->Z[l], cache->A[l]);
        if (st != DNN_OK || l == L)
            break;
        long r = check_layer(params64, l, A_prev, l > 1 ? NULL : X64, l > 1 ? NULL : x_norms, m,
                             cache->Z[l], cache->A[l], row_norms);
        if (recomputed)
            *recomputed += r;
        /* after the check: the next layer's input, and its check, see the mask */
        dnn_dropout_apply_f32(cache->dropout, l, params32->dims[l], m, cache->A[l]);
        row_norms += params64->dims[l];
    }
    return st;
}
