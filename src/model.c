#include "dnn/model.h"

#include <stdlib.h>

static int max_width(const dnn_params *params)
{
    int w = 0;
    for (int l = 0; l <= params->L; l++)
        if (params->dims[l] > w)
            w = params->dims[l];
    return w;
}

dnn_cache *dnn_cache_new(const dnn_params *params, int capacity)
{
    if (!params || capacity < 1)
        return NULL;
    dnn_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->L = params->L;
    c->capacity = capacity;
    c->Z = calloc((size_t)params->L + 1, sizeof *c->Z);
    c->A = calloc((size_t)params->L + 1, sizeof *c->A);
    size_t work = (size_t)max_width(params) * (size_t)capacity;
    c->dA = malloc(work * sizeof(double));
    c->dA_prev = malloc(work * sizeof(double));
    int ok = c->Z && c->A && c->dA && c->dA_prev;
    for (int l = 1; ok && l <= params->L; l++) {
        size_t size = (size_t)params->dims[l] * (size_t)capacity * sizeof(double);
        c->Z[l] = malloc(size);
        c->A[l] = malloc(size);
        ok = c->Z[l] && c->A[l];
    }
    if (!ok)
        dnn_cache_free(&c);
    return c;
}

void dnn_cache_free(dnn_cache **cache)
{
    if (!cache || !*cache)
        return;
    dnn_cache *c = *cache;
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
    free(c);
    *cache = NULL;
}

static dnn_status check_cache(const dnn_params *params, const dnn_cache *cache, int m)
{
    if (!params || !cache)
        return DNN_ERR_ARG;
    if (m < 1)
        return DNN_ERR_ARG;
    if (cache->L != params->L || m > cache->capacity)
        return DNN_ERR_SHAPE;
    return DNN_OK;
}

dnn_status dnn_L_model_forward(const dnn_params *params, const double *X, int m,
                               dnn_cache *cache)
{
    dnn_status st = check_cache(params, cache, m);
    if (st != DNN_OK)
        return st;
    if (!X)
        return DNN_ERR_ARG;
    cache->A0 = X;
    cache->m = m;
    const double *A_prev = X;
    for (int l = 1; l <= params->L; l++) {
        dnn_activation act = l < params->L ? DNN_RELU : DNN_SIGMOID;
        st = dnn_linear_activation_forward(params->dims[l], params->dims[l - 1], m, A_prev,
                                           params->W[l], params->b[l], act, cache->Z[l],
                                           cache->A[l]);
        if (st != DNN_OK)
            return st;
        A_prev = cache->A[l];
    }
    return DNN_OK;
}

dnn_status dnn_L_model_backward_scaled(const dnn_params *params, dnn_cache *cache,
                                       const double *AL, const double *Y, double scale,
                                       dnn_params *grads, double *dA0)
{
    dnn_status st = check_cache(params, cache, cache ? cache->m : 0);
    if (st != DNN_OK)
        return st;
    if (!AL || !Y || !grads || !cache->A0)
        return DNN_ERR_ARG;
    if (grads->L != params->L || grads->count != params->count || params->dims[params->L] != 1)
        return DNN_ERR_SHAPE;
    int m = cache->m, L = params->L;
    double *dA = cache->dA, *dA_prev = cache->dA_prev;
    st = dnn_cost_backward(m, AL, Y, dA);
    for (int l = L; l >= 1 && st == DNN_OK; l--) {
        const double *A_prev = l > 1 ? cache->A[l - 1] : cache->A0;
        double *dA_out = l > 1 ? dA_prev : dA0;
        dnn_activation act = l < L ? DNN_RELU : DNN_SIGMOID;
        st = dnn_linear_activation_backward_scaled(params->dims[l], params->dims[l - 1], m, dA,
                                                   cache->Z[l], A_prev, params->W[l], act,
                                                   scale, dA, dA_out, grads->W[l], grads->b[l]);
        double *t = dA;
        dA = dA_prev;
        dA_prev = t;
    }
    return st;
}

dnn_status dnn_L_model_backward(const dnn_params *params, dnn_cache *cache, const double *AL,
                                const double *Y, dnn_params *grads, double *dA0)
{
    if (!cache || cache->m < 1)
        return DNN_ERR_ARG;
    return dnn_L_model_backward_scaled(params, cache, AL, Y, 1.0 / cache->m, grads, dA0);
}

dnn_status dnn_predict(const dnn_params *params, const double *X, int m, dnn_cache *cache,
                       double *predictions)
{
    if (!predictions)
        return DNN_ERR_ARG;
    dnn_status st = dnn_L_model_forward(params, X, m, cache);
    if (st != DNN_OK)
        return st;
    const double *AL = cache->A[params->L];
    for (int j = 0; j < m; j++)
        predictions[j] = AL[j] > 0.5 ? 1.0 : 0.0;
    return DNN_OK;
}
