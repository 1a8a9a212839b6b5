#include "dnn/layers.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/gemm.h"
#include "kernels/kernels.h"
#include "core/fixed_math.h"
#include "core/layers_codes.h"

#define REAL double
#define FN(name) name
#define EXP dnn_exp
#define LOG dnn_log
#define REAL_TRUE_MIN DBL_TRUE_MIN
#define GEMM cblas_dgemm
#define FIXED_GEMM dnn_gemm_f64
#define KERNEL_SUITS dnn_kernel_suits
#define KERNEL_FORWARD dnn_kernel_forward
#define KERNEL_GRADIENT dnn_kernel_weight_gradient
#include "core/layers_impl.h"

void dnn_use_system_blas(int on)
{
    dnn_products_use_system(on);
}

int dnn_first_layer_reads_codes(int n, int n_prev, int m)
{
    return dnn_products_system() ? dnn_kernel_suits_codes(n, m, n_prev) : n > 0 && n_prev > 0 && m > 0;
}

dnn_status dnn_linear_activation_forward_codes(int n, int n_prev, int m, const double *X,
                                               const uint8_t *Q, const double *W,
                                               const double *b, dnn_activation activation,
                                               double *Z, double *A, double *work)
{
    if (!Q || !work || !dnn_first_layer_reads_codes(n, n_prev, m))
        return dnn_linear_activation_forward(n, n_prev, m, X, W, b, activation, Z, A);
    if (activation != DNN_RELU && activation != DNN_SIGMOID)
        return DNN_ERR_ARG;
    if (!W || !b || !Z || !A || !sizes_ok(n, n_prev, m))
        return DNN_ERR_ARG;
    if (!dnn_products_system()) {
        if (dnn_gemm_f64(n, m, n_prev, 1, dnn_gemm_values(W, n_prev, 1),
                         dnn_gemm_codes(Q, n_prev, 0), Z, n) != 0)
            return DNN_ERR_NOMEM;
    } else {
        dnn_kernel_forward_codes(n, m, n_prev, W, Q, Z, work);
    }
    bias_activation(n, m, b, activation, Z, A);
    return DNN_OK;
}

dnn_status dnn_linear_activation_backward_codes(int n, int n_prev, int m, const double *dA,
                                                const double *Z, const double *X,
                                                const uint8_t *Q, const double *W,
                                                dnn_activation activation, double scale,
                                                double *dZ, double *dW, double *db,
                                                double *work)
{
    if (!Q || !work || !dnn_first_layer_reads_codes(n, n_prev, m))
        return dnn_linear_activation_backward_scaled(n, n_prev, m, dA, Z, X, W, activation,
                                                     scale, dZ, NULL, dW, db);
    if (!dW || !db || !sizes_ok(n, n_prev, m))
        return DNN_ERR_ARG;
    dnn_status st = activation_backward(n, m, dA, Z, activation, dZ);
    if (st != DNN_OK)
        return st;
    if (!dnn_products_system()) {
        if (dnn_gemm_f64(n_prev, n, m, scale, dnn_gemm_codes(Q, n_prev, 0),
                         dnn_gemm_values(dZ, n, 1), dW, n_prev) != 0)
            return DNN_ERR_NOMEM;
    } else {
        dnn_kernel_weight_gradient_codes(n, m, n_prev, scale, dZ, Q, dW, work);
    }
    bias_gradient(n, m, dZ, scale, db);
    return DNN_OK;
}

dnn_status dnn_first_layer_finish_forward(int n, int m, const double *b,
                                          dnn_activation activation, double *Z, double *A)
{
    if (activation != DNN_RELU && activation != DNN_SIGMOID)
        return DNN_ERR_ARG;
    if (!b || !Z || !A || n < 1 || m < 1)
        return DNN_ERR_ARG;
    bias_activation(n, m, b, activation, Z, A);
    return DNN_OK;
}

dnn_status dnn_first_layer_backward_without_dW(int n, int m, const double *dA, const double *Z,
                                               dnn_activation activation, double scale,
                                               double *dZ, double *db)
{
    if (!dA || !Z || !dZ || !db || n < 1 || m < 1)
        return DNN_ERR_ARG;
    dnn_status st = activation_backward(n, m, dA, Z, activation, dZ);
    if (st == DNN_OK)
        bias_gradient(n, m, dZ, scale, db);
    return st;
}
