#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/f32.h"
#include "core/lines.h"

/* The same layout as dnn_params_new, in float: one arena, per-layer views. */
dnn_params_f32 *dnn_params_f32_new(int L, const int *dims)
{
    dnn_params *shape = dnn_params_new(L, dims); /* validates the sizes */
    if (!shape)
        return NULL;
    dnn_params_f32 *p = calloc(1, sizeof *p);
    if (p) {
        p->L = L;
        p->count = shape->count;
        p->dims = malloc((size_t)(L + 1) * sizeof *p->dims);
        p->W = calloc((size_t)L + 1, sizeof *p->W);
        p->b = calloc((size_t)L + 1, sizeof *p->b);
        p->arena = dnn_zeroed_lines(p->count * sizeof *p->arena);
    }
    if (p && p->dims && p->W && p->b && p->arena) {
        memcpy(p->dims, dims, (size_t)(L + 1) * sizeof *dims);
        for (int l = 1; l <= L; l++) {
            p->W[l] = p->arena + (shape->W[l] - shape->arena);
            p->b[l] = p->arena + (shape->b[l] - shape->arena);
        }
    } else {
        dnn_params_f32_free(&p);
    }
    dnn_params_free(&shape);
    return p;
}

void dnn_params_f32_free(dnn_params_f32 **params)
{
    if (!params || !*params)
        return;
    free((*params)->arena);
    free((*params)->W);
    free((*params)->b);
    free((*params)->dims);
    free(*params);
    *params = NULL;
}

dnn_status dnn_params_f32_round(dnn_params_f32 *dst, const dnn_params *src)
{
    if (!dst || !src)
        return DNN_ERR_ARG;
    if (dst->count != src->count || dst->L != src->L)
        return DNN_ERR_SHAPE;
    for (size_t i = 0; i < src->count; i++)
        dst->arena[i] = (float)src->arena[i];
    return DNN_OK;
}

dnn_status dnn_params_f32_round_norms(dnn_params_f32 *dst, const dnn_params *src,
                                      double *row_norms)
{
    if (!dst || !src || !row_norms)
        return DNN_ERR_ARG;
    if (dst->count != src->count || dst->L != src->L)
        return DNN_ERR_SHAPE;
    for (int l = 1; l <= src->L; l++) {
        int n = src->dims[l], k = src->dims[l - 1];
        for (int i = 0; i < n; i++) {
            const double *w = src->W[l] + (size_t)i * k;
            float *f = dst->W[l] + (size_t)i * k;
            double lanes[8] = {0}; /* independent sums, so that the loop vectorizes */
            int t = 0;
            for (; t + 8 <= k; t += 8)
                for (int v = 0; v < 8; v++) {
                    f[t + v] = (float)w[t + v];
                    lanes[v] += w[t + v] * w[t + v];
                }
            for (; t < k; t++) {
                f[t] = (float)w[t];
                lanes[0] += w[t] * w[t];
            }
            double sum = 0.0;
            for (int v = 0; v < 8; v++)
                sum += lanes[v];
            *row_norms++ = sqrt(sum);
            dst->b[l][i] = (float)src->b[l][i];
        }
    }
    return DNN_OK;
}
