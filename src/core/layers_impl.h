/* The body of the layer functions, instantiated for double (layers.c) and float
 * (layers_f32.c). Before including it, define REAL, FN(name) (the function's name for
 * this type), EXP, LOG, REAL_TRUE_MIN, GEMM (the system BLAS's), FIXED_GEMM (gemm.h's)
 * and the KERNEL_* names of kernels.h.
 * Literals are double: float arguments are computed in double and rounded once. */

dnn_status FN(dnn_sigmoid)(size_t count, const REAL *Z, REAL *A)
{
    if (!Z || !A || count == 0)
        return DNN_ERR_ARG;
    for (size_t i = 0; i < count; i++)
        A[i] = 1.0 / (1.0 + EXP(-Z[i]));
    return DNN_OK;
}

dnn_status FN(dnn_relu)(size_t count, const REAL *Z, REAL *A)
{
    if (!Z || !A || count == 0)
        return DNN_ERR_ARG;
    for (size_t i = 0; i < count; i++) {
        REAL z = Z[i];
        A[i] = z > (REAL)0 ? z : (REAL)0;
    }
    return DNN_OK;
}

dnn_status FN(dnn_sigmoid_backward)(size_t count, const REAL *dA, const REAL *Z, REAL *dZ)
{
    if (!dA || !Z || !dZ || count == 0)
        return DNN_ERR_ARG;
    for (size_t i = 0; i < count; i++) {
        double s = 1.0 / (1.0 + EXP(-Z[i]));
        dZ[i] = dA[i] * s * (1.0 - s);
    }
    return DNN_OK;
}

dnn_status FN(dnn_relu_backward)(size_t count, const REAL *dA, const REAL *Z, REAL *dZ)
{
    if (!dA || !Z || !dZ || count == 0)
        return DNN_ERR_ARG;
    /* both loads unconditional, so that the loop compiles to vector selects */
    for (size_t i = 0; i < count; i++) {
        REAL d = dA[i];
        dZ[i] = Z[i] > (REAL)0 ? d : (REAL)0;
    }
    return DNN_OK;
}

static int sizes_ok(int n, int n_prev, int m)
{
    return n > 0 && n_prev > 0 && m > 0;
}

/* The products take the fixed-order GEMM (src/kernels/gemm.h), whose bits are the same
 * on every CPU, unless the system's BLAS was asked for (dnn_use_system_blas). Row-major W
 * (n, n_prev) is column-major Wᵀ; row-major dW is column-major dWᵀ (n_prev, n). */
static dnn_status FN(product_status)(int failed)
{
    return failed ? DNN_ERR_NOMEM : DNN_OK;
}

/* Z (n, m) = W · A without the bias. */
static dnn_status FN(linear_product)(int n, int n_prev, int m, const REAL *A, const REAL *W,
                                     REAL *Z)
{
    if (!dnn_products_system())
        return FN(product_status)(FIXED_GEMM(n, m, n_prev, 1, dnn_gemm_values(W, n_prev, 1),
                                             dnn_gemm_values(A, n_prev, 0), Z, n));
    if (KERNEL_SUITS(n, n_prev))
        KERNEL_FORWARD(n, m, n_prev, W, A, Z);
    else
        GEMM(CblasColMajor, CblasTrans, CblasNoTrans, n, m, n_prev, 1.0, W, n_prev, A,
                    n_prev, 0.0, Z, n);
    return DNN_OK;
}

/* dWᵀ (n_prev, n) = scale · A_prev · dZᵀ */
static dnn_status FN(weight_product)(int n, int n_prev, int m, double scale, const REAL *dZ,
                                     const REAL *A_prev, REAL *dW)
{
    if (!dnn_products_system())
        return FN(product_status)(FIXED_GEMM(n_prev, n, m, (REAL)scale,
                                             dnn_gemm_values(A_prev, n_prev, 0),
                                             dnn_gemm_values(dZ, n, 1), dW, n_prev));
    if (KERNEL_SUITS(n, n_prev))
        KERNEL_GRADIENT(n, m, n_prev, scale, dZ, A_prev, dW);
    else
        GEMM(CblasColMajor, CblasNoTrans, CblasTrans, n_prev, n, m, scale, A_prev,
                    n_prev, dZ, n, 0.0, dW, n_prev);
    return DNN_OK;
}

/* dA_prev (n_prev, m) = Wᵀ · dZ */
static dnn_status FN(input_product)(int n, int n_prev, int m, const REAL *dZ, const REAL *W,
                                    REAL *dA_prev)
{
    if (!dnn_products_system())
        return FN(product_status)(FIXED_GEMM(n_prev, m, n, 1, dnn_gemm_values(W, n_prev, 0),
                                             dnn_gemm_values(dZ, n, 0), dA_prev, n_prev));
    GEMM(CblasColMajor, CblasNoTrans, CblasNoTrans, n_prev, m, n, 1.0, W, n_prev,
                dZ, n, 0.0, dA_prev, n_prev);
    return DNN_OK;
}

dnn_status FN(dnn_linear_forward)(int n, int n_prev, int m, const REAL *A, const REAL *W,
                              const REAL *b, REAL *Z)
{
    if (!A || !W || !b || !Z || !sizes_ok(n, n_prev, m))
        return DNN_ERR_ARG;
    dnn_status st = FN(linear_product)(n, n_prev, m, A, W, Z);
    if (st != DNN_OK)
        return st;
    for (int j = 0; j < m; j++) {
        REAL *z = Z + (size_t)j * (size_t)n;
        for (int i = 0; i < n; i++)
            z[i] += b[i];
    }
    return DNN_OK;
}

static void FN(add_bias_relu)(int n, const REAL *restrict b, REAL *restrict z,
                              REAL *restrict a)
{
    for (int i = 0; i < n; i++) {
        REAL v = z[i] + b[i];
        z[i] = v;
        a[i] = v > (REAL)0 ? v : (REAL)0;
    }
}

/* Z += b, A = activation(Z), in one pass over Z */
static void FN(bias_activation)(int n, int m, const REAL *b, dnn_activation activation, REAL *Z,
                                REAL *A)
{
    for (int j = 0; j < m; j++) {
        REAL *z = Z + (size_t)j * (size_t)n, *a = A + (size_t)j * (size_t)n;
        if (activation == DNN_RELU) {
            FN(add_bias_relu)(n, b, z, a);
        } else {
            for (int i = 0; i < n; i++) {
                z[i] += b[i];
                a[i] = 1.0 / (1.0 + EXP(-z[i]));
            }
        }
    }
}

/* The bias and the activation in one pass over Z: the same values as
 * dnn_linear_forward followed by dnn_relu or dnn_sigmoid, read from memory once. */
dnn_status FN(dnn_linear_activation_forward)(int n, int n_prev, int m, const REAL *A_prev,
                                         const REAL *W, const REAL *b,
                                         dnn_activation activation, REAL *Z, REAL *A)
{
    if (activation != DNN_RELU && activation != DNN_SIGMOID)
        return DNN_ERR_ARG;
    if (!A_prev || !W || !b || !Z || !A || !sizes_ok(n, n_prev, m))
        return DNN_ERR_ARG;
    dnn_status st = FN(linear_product)(n, n_prev, m, A_prev, W, Z);
    if (st != DNN_OK)
        return st;
    FN(bias_activation)(n, m, b, activation, Z, A);
    return DNN_OK;
}

/* db = scale · the sum of dZ's columns */
static void FN(bias_gradient)(int n, int m, const REAL *dZ, double scale, REAL *db)
{
    for (int i = 0; i < n; i++)
        db[i] = 0.0;
    for (int j = 0; j < m; j++) {
        const REAL *dz = dZ + (size_t)j * (size_t)n;
        for (int i = 0; i < n; i++)
            db[i] += dz[i];
    }
    for (int i = 0; i < n; i++)
        db[i] *= scale;
}

dnn_status FN(dnn_linear_backward_scaled)(int n, int n_prev, int m, const REAL *dZ,
                                      const REAL *A_prev, const REAL *W, double scale,
                                      REAL *dA_prev, REAL *dW, REAL *db)
{
    if (!dZ || !A_prev || !W || !dW || !db || !sizes_ok(n, n_prev, m))
        return DNN_ERR_ARG;
    dnn_status st = FN(weight_product)(n, n_prev, m, scale, dZ, A_prev, dW);
    if (st != DNN_OK)
        return st;
    FN(bias_gradient)(n, m, dZ, scale, db);
    return dA_prev ? FN(input_product)(n, n_prev, m, dZ, W, dA_prev) : DNN_OK;
}

dnn_status FN(dnn_linear_backward)(int n, int n_prev, int m, const REAL *dZ, const REAL *A_prev,
                               const REAL *W, REAL *dA_prev, REAL *dW, REAL *db)
{
    if (m <= 0)
        return DNN_ERR_ARG;
    return FN(dnn_linear_backward_scaled)(n, n_prev, m, dZ, A_prev, W, 1.0 / m, dA_prev, dW, db);
}

static dnn_status FN(activation_backward)(int n, int m, const REAL *dA, const REAL *Z,
                                         dnn_activation activation, REAL *dZ)
{
    size_t count = (size_t)n * (size_t)m;
    if (activation == DNN_RELU)
        return FN(dnn_relu_backward)(count, dA, Z, dZ);
    if (activation == DNN_SIGMOID)
        return FN(dnn_sigmoid_backward)(count, dA, Z, dZ);
    return DNN_ERR_ARG;
}

dnn_status FN(dnn_linear_activation_backward_scaled)(int n, int n_prev, int m, const REAL *dA,
                                                 const REAL *Z, const REAL *A_prev,
                                                 const REAL *W, dnn_activation activation,
                                                 double scale, REAL *dZ, REAL *dA_prev,
                                                 REAL *dW, REAL *db)
{
    if (!sizes_ok(n, n_prev, m))
        return DNN_ERR_ARG;
    dnn_status st = FN(activation_backward)(n, m, dA, Z, activation, dZ);
    if (st != DNN_OK)
        return st;
    return FN(dnn_linear_backward_scaled)(n, n_prev, m, dZ, A_prev, W, scale, dA_prev, dW, db);
}

dnn_status FN(dnn_linear_activation_backward)(int n, int n_prev, int m, const REAL *dA,
                                          const REAL *Z, const REAL *A_prev,
                                          const REAL *W, dnn_activation activation,
                                          REAL *dZ, REAL *dA_prev, REAL *dW, REAL *db)
{
    if (m <= 0)
        return DNN_ERR_ARG;
    return FN(dnn_linear_activation_backward_scaled)(n, n_prev, m, dA, Z, A_prev, W, activation,
                                                 1.0 / m, dZ, dA_prev, dW, db);
}

static REAL safe_log(REAL x)
{
    return LOG(x > REAL_TRUE_MIN ? x : REAL_TRUE_MIN);
}

dnn_status FN(dnn_cross_entropy_sum)(int m, const REAL *AL, const REAL *Y, double *sum)
{
    if (!AL || !Y || !sum || m <= 0)
        return DNN_ERR_ARG;
    double total = 0.0;
    for (int j = 0; j < m; j++) {
        double y = Y[j], a = AL[j];
        double term_pos = y != 0.0 ? y * safe_log(a) : 0.0;
        double term_neg = y != 1.0 ? (1.0 - y) * safe_log(1.0 - a) : 0.0;
        total += term_pos + term_neg;
    }
    *sum = -total;
    return DNN_OK;
}

dnn_status FN(dnn_compute_cost)(int m, const REAL *AL, const REAL *Y, double *cost)
{
    double sum;
    dnn_status st = FN(dnn_cross_entropy_sum)(m, AL, Y, &sum);
    if (st != DNN_OK)
        return st;
    *cost = (-1.0 / m) * -sum;
    return DNN_OK;
}

dnn_status FN(dnn_cost_backward)(int m, const REAL *AL, const REAL *Y, REAL *dAL)
{
    if (!AL || !Y || !dAL || m <= 0)
        return DNN_ERR_ARG;
    for (int j = 0; j < m; j++) {
        double y = Y[j], a = AL[j];
        double pos = y != 0.0 ? y / a : 0.0;
        double neg = y != 1.0 ? (1.0 - y) / (1.0 - a) : 0.0;
        dAL[j] = -(pos - neg);
    }
    return DNN_OK;
}
