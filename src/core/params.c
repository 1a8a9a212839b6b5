#include "dnn/params.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/rng.h"
#include "core/lines.h"

/* Largest layer width accepted; keeps every size product well inside size_t and int. */
enum { DNN_MAX_WIDTH = 1 << 24 };

void *dnn_zeroed_lines(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 1) != 0)
        return NULL;
    memset(p, 0, bytes ? bytes : 1);
    return p;
}

dnn_params *dnn_params_new(int L, const int *dims)
{
    return dnn_params_new_spare(L, dims, 0);
}

dnn_params *dnn_params_new_spare(int L, const int *dims, size_t spare)
{
    if (L < 1 || !dims || spare > ((size_t)1 << 30))
        return NULL;
    size_t count = 0;
    for (int l = 0; l <= L; l++) {
        if (dims[l] < 1 || dims[l] > DNN_MAX_WIDTH)
            return NULL;
        if (l > 0)
            count += (size_t)dims[l] * (size_t)dims[l - 1] + (size_t)dims[l];
    }
    dnn_params *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->L = L;
    p->count = count;
    p->dims = malloc((size_t)(L + 1) * sizeof *p->dims);
    p->W = calloc((size_t)L + 1, sizeof *p->W);
    p->b = calloc((size_t)L + 1, sizeof *p->b);
    p->arena = dnn_zeroed_lines((count + spare) * sizeof *p->arena);
    if (!p->dims || !p->W || !p->b || !p->arena) {
        dnn_params_free(&p);
        return NULL;
    }
    memcpy(p->dims, dims, (size_t)(L + 1) * sizeof *dims);
    double *next = p->arena;
    for (int l = 1; l <= L; l++) {
        p->W[l] = next;
        next += (size_t)dims[l] * (size_t)dims[l - 1];
        p->b[l] = next;
        next += dims[l];
    }
    return p;
}

dnn_params *dnn_params_new_like(const dnn_params *src)
{
    return src ? dnn_params_new(src->L, src->dims) : NULL;
}

void dnn_params_free(dnn_params **params)
{
    if (!params || !*params)
        return;
    dnn_params *p = *params;
    free(p->arena);
    free(p->W);
    free(p->b);
    free(p->dims);
    free(p);
    *params = NULL;
}

static const char *const init_names[] = {
    [DNN_INIT_NORMAL_001] = "normal-0.01",
    [DNN_INIT_LECUN] = "lecun",
    [DNN_INIT_HE] = "he",
};

dnn_status dnn_init_from_name(const char *name, dnn_init *init)
{
    if (!name || !init)
        return DNN_ERR_ARG;
    for (int i = 0; i < (int)(sizeof init_names / sizeof *init_names); i++) {
        if (strcmp(name, init_names[i]) == 0) {
            *init = (dnn_init)i;
            return DNN_OK;
        }
    }
    return DNN_ERR_ARG;
}

const char *dnn_init_name(dnn_init init)
{
    if ((int)init < 0 || (int)init >= (int)(sizeof init_names / sizeof *init_names))
        return "unknown";
    return init_names[init];
}

/* The course writes randn(rows, cols) row by row, as W is stored. */
static void fill_weights(dnn_rng *rng, dnn_init init, int rows, int cols, double *W)
{
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            double x = dnn_rng_normal(rng);
            switch (init) {
            case DNN_INIT_NORMAL_001: x = x * 0.01; break;
            case DNN_INIT_LECUN: x = x / sqrt((double)cols); break;
            case DNN_INIT_HE: x = x * sqrt(2.0 / (double)cols); break;
            }
            W[(size_t)i * (size_t)cols + (size_t)j] = x;
        }
    }
}

dnn_status dnn_initialize_parameters_deep(dnn_params *params, dnn_init init, uint32_t seed)
{
    if (!params || (int)init < DNN_INIT_NORMAL_001 || init > DNN_INIT_HE)
        return DNN_ERR_ARG;
    dnn_rng rng;
    dnn_rng_seed(&rng, seed);
    for (int l = 1; l <= params->L; l++) {
        fill_weights(&rng, init, params->dims[l], params->dims[l - 1], params->W[l]);
        memset(params->b[l], 0, (size_t)params->dims[l] * sizeof(double));
    }
    return DNN_OK;
}

dnn_params *dnn_initialize_parameters(int n_x, int n_h, int n_y)
{
    int dims[3] = {n_x, n_h, n_y};
    dnn_params *p = dnn_params_new(2, dims);
    if (p && dnn_initialize_parameters_deep(p, DNN_INIT_NORMAL_001, 1) != DNN_OK)
        dnn_params_free(&p);
    return p;
}

dnn_status dnn_update_parameters(dnn_params *params, const dnn_params *grads,
                                 double learning_rate)
{
    if (!params || !grads)
        return DNN_ERR_ARG;
    if (params->L != grads->L || params->count != grads->count ||
        memcmp(params->dims, grads->dims, (size_t)(params->L + 1) * sizeof(int)) != 0)
        return DNN_ERR_SHAPE;
    double *p = params->arena;
    const double *g = grads->arena;
    for (size_t i = 0; i < params->count; i++)
        p[i] = p[i] - learning_rate * g[i];
    return DNN_OK;
}

uint64_t dnn_params_hash(const dnn_params *params)
{
    uint64_t h = 0xcbf29ce484222325ull;
    if (!params)
        return h;
    for (size_t i = 0; i < params->count; i++) {
        uint64_t bits;
        memcpy(&bits, &params->arena[i], sizeof bits);
        for (int byte = 0; byte < 8; byte++) {
            h ^= (bits >> (8 * byte)) & 0xffu;
            h *= 0x100000001b3ull;
        }
    }
    return h;
}
