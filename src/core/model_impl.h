/* The body of the whole-network functions, instantiated for double (model.c) and
 * float (model_f32.c). Before including it, define REAL, PARAMS, CACHE, FN(name),
 * OUTPUT_GRADIENT_FROM_LOGITS (0: the course's formulas, 1: see the backward pass)
 * and CODES (1: the first layer may read 8-bit codes, layers_codes.h). */

static int max_width(const PARAMS *params)
{
    int w = 0;
    for (int l = 0; l <= params->L; l++)
        if (params->dims[l] > w)
            w = params->dims[l];
    return w;
}

CACHE *FN(dnn_cache_new)(const PARAMS *params, int capacity)
{
    if (!params || capacity < 1)
        return NULL;
    CACHE *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->L = params->L;
    c->capacity = capacity;
    c->Z = calloc((size_t)params->L + 1, sizeof *c->Z);
    c->A = calloc((size_t)params->L + 1, sizeof *c->A);
    size_t work = (size_t)max_width(params) * (size_t)capacity;
    c->dA = malloc(work * sizeof(REAL));
    c->dA_prev = malloc(work * sizeof(REAL));
    int ok = c->Z && c->A && c->dA && c->dA_prev;
#if CODES
    c->codes_work = malloc(dnn_kernel_codes_work(capacity) * sizeof *c->codes_work);
    ok = ok && c->codes_work;
#endif
    for (int l = 1; ok && l <= params->L; l++) {
        size_t size = (size_t)params->dims[l] * (size_t)capacity * sizeof(REAL);
        c->Z[l] = malloc(size);
        c->A[l] = malloc(size);
        ok = c->Z[l] && c->A[l];
    }
    if (!ok)
        FN(dnn_cache_free)(&c);
    return c;
}

void FN(dnn_cache_free)(CACHE **cache)
{
    if (!cache || !*cache)
        return;
    CACHE *c = *cache;
    for (int l = 1; l <= c->L; l++) {
        if (c->Z)
            free(c->Z[l]);
        if (c->A)
            free(c->A[l]);
    }
    free(c->Z);
    free(c->A);
    free(c->dA);
    free(c->dA_prev);
#if CODES
    free(c->codes_work);
#endif
    free(c);
    *cache = NULL;
}

static dnn_status check_cache(const PARAMS *params, const CACHE *cache, int m)
{
    if (!params || !cache)
        return DNN_ERR_ARG;
    if (m < 1)
        return DNN_ERR_ARG;
    if (cache->L != params->L || m > cache->capacity)
        return DNN_ERR_SHAPE;
    return DNN_OK;
}

#if CODES
#define FIRST_INPUT_CODES(cache) ((cache)->A0_codes != NULL)
#else
#define FIRST_INPUT_CODES(cache) 0
#endif

/* product_done: Z[1] already holds W1 · X (a split first layer, CODES only) */
static dnn_status FN(forward)(const PARAMS *params, const REAL *X, const uint8_t *Q, int m,
                              CACHE *cache, int product_done)
{
    dnn_status st = check_cache(params, cache, m);
    if (st != DNN_OK)
        return st;
    if (!X && !(CODES && Q)) /* with codes X may be NULL where the kernels read Q alone */
        return DNN_ERR_ARG;
    cache->A0 = X;
#if CODES
    cache->A0_codes = Q;
#endif
    cache->m = m;
    const REAL *A_prev = X;
    for (int l = 1; l <= params->L; l++) {
        dnn_activation act = l < params->L ? DNN_RELU : DNN_SIGMOID;
#if CODES
        if (l == 1 && product_done)
            st = dnn_first_layer_finish_forward(params->dims[1], m, params->b[1], act,
                                                cache->Z[1], cache->A[1]);
        else if (l == 1 && Q)
            st = dnn_linear_activation_forward_codes(params->dims[1], params->dims[0], m, X, Q,
                                                     params->W[1], params->b[1], act,
                                                     cache->Z[1], cache->A[1], cache->codes_work);
        else
#endif
            st = FN(dnn_linear_activation_forward)(params->dims[l], params->dims[l - 1], m,
                                                   A_prev, params->W[l], params->b[l], act,
                                                   cache->Z[l], cache->A[l]);
        if (st != DNN_OK)
            return st;
        if (l < params->L)
            FN(dnn_dropout_apply)(cache->dropout, l, params->dims[l], m, cache->A[l]);
        A_prev = cache->A[l];
    }
    (void)Q, (void)product_done;
    return DNN_OK;
}

dnn_status FN(dnn_L_model_forward)(const PARAMS *params, const REAL *X, int m, CACHE *cache)
{
    return FN(forward)(params, X, NULL, m, cache, 0);
}

#if CODES
dnn_status FN(dnn_L_model_forward_codes)(const PARAMS *params, const REAL *X, const uint8_t *Q,
                                         int m, CACHE *cache)
{
    return FN(forward)(params, X, Q, m, cache, 0);
}

dnn_status dnn_L_model_forward_after_first_product(const dnn_params *params, const double *X,
                                                   const uint8_t *Q, int m, dnn_cache *cache)
{
    return FN(forward)(params, X, Q, m, cache, 1);
}
#endif

/* dZ1: (CODES only) when not NULL, the first layer's dW is left out and *dZ1 points at
 * its dZ */
static dnn_status FN(backward)(const PARAMS *params, CACHE *cache, const REAL *AL, const REAL *Y,
                               double scale, PARAMS *grads, REAL *dA0, REAL **dZ1)
{
    dnn_status st = check_cache(params, cache, cache ? cache->m : 0);
    if (st != DNN_OK)
        return st;
    if (!AL || !Y || !grads || (!cache->A0 && !FIRST_INPUT_CODES(cache)))
        return DNN_ERR_ARG;
    if (grads->L != params->L || grads->count != params->count || params->dims[params->L] != 1)
        return DNN_ERR_SHAPE;
    int m = cache->m, L = params->L;
    REAL *dA = cache->dA, *dA_prev = cache->dA_prev;
#if OUTPUT_GRADIENT_FROM_LOGITS
    /* dZ_L = sigmoid(Z_L) - Y in double: the course's -(Y/AL - (1-Y)/(1-AL)) · s(1-s)
     * equals it, but computed in float its 1 - AL cancels when AL rounds near 1. */
    for (int j = 0; j < m; j++)
        dA[j] = (REAL)(1.0 / (1.0 + dnn_exp(-(double)cache->Z[L][j])) - (double)Y[j]);
    (void)AL;
#else
    st = FN(dnn_cost_backward)(m, AL, Y, dA);
#endif
    for (int l = L; l >= 1 && st == DNN_OK; l--) {
        const REAL *A_prev = l > 1 ? cache->A[l - 1] : cache->A0;
        REAL *dA_out = l > 1 ? dA_prev : dA0;
        dnn_activation act = l < L ? DNN_RELU : DNN_SIGMOID;
#if CODES
        if (l == 1 && dZ1) {
            st = dnn_first_layer_backward_without_dW(params->dims[1], m, dA, cache->Z[1], act,
                                                     scale, dA, grads->b[1]);
            *dZ1 = dA;
        } else if (l == 1 && cache->A0_codes && !dA_out)
            st = dnn_linear_activation_backward_codes(params->dims[1], params->dims[0], m, dA,
                                                      cache->Z[1], A_prev, cache->A0_codes,
                                                      params->W[1], act, scale, dA,
                                                      grads->W[1], grads->b[1], cache->codes_work);
        else
#endif
        if (OUTPUT_GRADIENT_FROM_LOGITS && l == L)
            st = FN(dnn_linear_backward_scaled)(params->dims[l], params->dims[l - 1], m, dA,
                                                A_prev, params->W[l], scale, dA_out,
                                                grads->W[l], grads->b[l]);
        else
            st = FN(dnn_linear_activation_backward_scaled)(params->dims[l], params->dims[l - 1],
                                                           m, dA, cache->Z[l], A_prev,
                                                           params->W[l], act, scale, dA, dA_out,
                                                           grads->W[l], grads->b[l]);
        if (st == DNN_OK && l > 1) /* the mask of layer l - 1 on its dA */
            FN(dnn_dropout_apply)(cache->dropout, l - 1, params->dims[l - 1], m, dA_out);
        REAL *t = dA;
        dA = dA_prev;
        dA_prev = t;
    }
    (void)dZ1;
    return st;
}

dnn_status FN(dnn_L_model_backward_scaled)(const PARAMS *params, CACHE *cache,
                                       const REAL *AL, const REAL *Y, double scale,
                                       PARAMS *grads, REAL *dA0)
{
    return FN(backward)(params, cache, AL, Y, scale, grads, dA0, NULL);
}

#if CODES
dnn_status dnn_L_model_backward_but_first_product(const dnn_params *params, dnn_cache *cache,
                                                  const double *AL, const double *Y,
                                                  double scale, dnn_params *grads, double **dZ1)
{
    if (!dZ1)
        return DNN_ERR_ARG;
    return FN(backward)(params, cache, AL, Y, scale, grads, NULL, dZ1);
}
#endif

dnn_status FN(dnn_L_model_backward)(const PARAMS *params, CACHE *cache, const REAL *AL,
                                const REAL *Y, PARAMS *grads, REAL *dA0)
{
    if (!cache || cache->m < 1)
        return DNN_ERR_ARG;
    return FN(dnn_L_model_backward_scaled)(params, cache, AL, Y, 1.0 / cache->m, grads, dA0);
}

dnn_status FN(dnn_predict)(const PARAMS *params, const REAL *X, int m, CACHE *cache,
                       REAL *predictions)
{
    if (!predictions)
        return DNN_ERR_ARG;
    dnn_status st = FN(dnn_L_model_forward)(params, X, m, cache);
    if (st != DNN_OK)
        return st;
    const REAL *AL = cache->A[params->L];
    for (int j = 0; j < m; j++)
        predictions[j] = AL[j] > 0.5 ? 1.0 : 0.0;
    return DNN_OK;
}
