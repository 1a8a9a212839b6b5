/* The trainer's life: its memory (one worker per OpenMP thread), the accuracy count,
 * and the counters. A step is step.c's. */
#include "dnn/trainer.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/lines.h"
#include "train/trainer_impl.h"

/* Segments of the exact sum: W1, b1, ..., WL, bL, then the cost. */
static dnn_exact_sum *new_exact_sum(const dnn_params *p)
{
    int nseg = 2 * p->L + 1;
    size_t *sizes = malloc((size_t)nseg * sizeof *sizes);
    if (!sizes)
        return NULL;
    for (int l = 1; l <= p->L; l++) {
        sizes[2 * l - 2] = (size_t)p->dims[l] * (size_t)p->dims[l - 1];
        sizes[2 * l - 1] = (size_t)p->dims[l];
    }
    sizes[nseg - 1] = 1;
    dnn_exact_sum *s = dnn_exact_sum_new(nseg, sizes);
    free(sizes);
    return s;
}

dnn_trainer *dnn_trainer_new(dnn_params *params, const dnn_dataset *local, long m_total,
                             int chunk, dnn_reduce_mode mode)
{
    return dnn_trainer_new_typed(params, local, m_total, chunk, mode, DNN_F64);
}

static float *to_float(const double *x, size_t n)
{
    float *f = dnn_zeroed_lines(n * sizeof *f);
    for (size_t i = 0; f && i < n; i++)
        f[i] = (float)x[i];
    return f;
}

/* DNN_F32: the local examples in float and their norms (again for new data). */
static int f32_examples(dnn_trainer *t)
{
    const dnn_dataset *d = t->local;
    free(t->X32);
    free(t->Y32);
    free(t->x_norms);
    t->X32 = to_float(d->X, (size_t)d->m * (size_t)d->n_features);
    t->Y32 = to_float(d->Y, (size_t)d->m);
    t->x_norms = malloc((d->m ? (size_t)d->m : 1) * sizeof *t->x_norms);
    int ok = t->X32 && t->Y32 && t->x_norms;
    for (long j = 0; ok && j < d->m; j++) {
        const double *x = d->X + (size_t)j * (size_t)d->n_features;
        double s = 0.0;
        for (int k = 0; k < d->n_features; k++)
            s += x[k] * x[k];
        t->x_norms[j] = sqrt(s);
    }
    return ok;
}

static int setup_f32(dnn_trainer *t)
{
    const dnn_dataset *d = t->local;
    t->params32 = dnn_params_f32_new(t->params->L, t->params->dims);
    int ok = t->params32 && f32_examples(t);
    size_t units = 0;
    for (int l = 1; l <= t->params->L; l++)
        units += (size_t)t->params->dims[l];
    t->row_norms = malloc(units * sizeof *t->row_norms);
    ok = ok && t->row_norms;
    for (int i = 0; ok && i < t->nthreads; i++) {
        worker *w = &t->workers[i];
        w->cache32 = dnn_cache_new_f32(t->params32, t->chunk);
        w->grads32 = dnn_params_f32_new(t->params->L, t->params->dims);
        w->X32 = malloc((size_t)t->chunk * (size_t)d->n_features * sizeof *w->X32);
        w->cost_AL = malloc((size_t)t->chunk * sizeof *w->cost_AL);
        w->cost_Y = malloc((size_t)t->chunk * sizeof *w->cost_Y);
        ok = w->cache32 && w->grads32 && w->X32 && w->cost_AL && w->cost_Y;
    }
    return ok;
}

int dnn_worker_slot_ready(const dnn_trainer *t, worker *w, int j)
{
    if (w->slots[j])
        return 1;
    const dnn_params *p = t->params;
    /* the chunk's cost after the gradient: a pending gradient is one array */
    dnn_params *g = dnn_params_new_spare(p->L, p->dims, 1);
    const double **seg = malloc(((size_t)p->L * 2 + 1) * sizeof *seg);
    if (!g || !seg) {
        dnn_params_free(&g);
        free(seg);
        return 0;
    }
    for (int l = 1; l <= p->L; l++) {
        seg[2 * l - 2] = g->W[l];
        seg[2 * l - 1] = g->b[l];
    }
    seg[2 * p->L] = g->arena + g->count;
    w->slots[j] = g;
    w->slot_segments[j] = seg;
    return 1;
}

dnn_trainer *dnn_trainer_new_typed(dnn_params *params, const dnn_dataset *local, long m_total,
                                   int chunk, dnn_reduce_mode mode, dnn_dtype dtype)
{
    if (!params || !local || m_total < 1 || chunk < 1 || local->m < 0 ||
        (dtype != DNN_F64 && dtype != DNN_F32) ||
        (local->m > 0 && (!local->X || !local->Y || local->first % chunk != 0)) ||
        local->n_features != params->dims[0] || params->dims[params->L] != 1 ||
        (mode != DNN_REDUCE_EXACT && mode != DNN_REDUCE_FAST))
        return NULL;
    dnn_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->params = params;
    t->local = local;
    t->m_total = t->m_data = m_total;
    t->count = local->m;
    t->keep_prob = 1.0;
    t->chunk = chunk;
    t->mode = mode;
    t->dtype = dtype;
    t->nthreads = omp_get_max_threads();
    t->n = params->count + 1;
    /* Threads come from OpenMP; a BLAS call runs on one of them, with the same kernels
     * whatever the thread count, so every chunk gives the same bits anywhere. */
    openblas_set_num_threads(1);
    t->workers = calloc((size_t)t->nthreads, sizeof *t->workers);
    t->total = t->total_own = malloc(t->n * sizeof *t->total);
    t->update = dnn_update_defaults();
    t->gradient_slots = DNN_GRADIENT_SLOTS;
    t->seg_start = malloc((2 * (size_t)params->L + 1) * sizeof *t->seg_start);
    int ok = t->workers && t->total && t->seg_start;
    for (int l = 1; ok && l <= params->L; l++) {
        t->seg_start[2 * l - 1] = (size_t)(params->b[l] - params->arena);
        t->seg_start[2 * l - 2] = (size_t)(params->W[l] - params->arena);
    }
    if (ok)
        t->seg_start[2 * params->L] = params->count;
    if (ok && mode == DNN_REDUCE_EXACT)
        ok = (t->exact = new_exact_sum(params)) != NULL &&
             (t->tops = malloc((2 * (size_t)t->exact->nseg + 4) * sizeof *t->tops)) != NULL;
    if (ok && mode == DNN_REDUCE_EXACT)
        ok = (t->thread_sums = calloc((size_t)t->nthreads, sizeof *t->thread_sums)) != NULL &&
             (t->pending = calloc((size_t)t->nthreads * DNN_GRADIENT_SLOTS *
                                      (size_t)t->exact->nseg,
                                  sizeof *t->pending)) != NULL;
    for (int i = 0; ok && i < t->nthreads; i++) {
        worker *w = &t->workers[i];
        w->cache = dtype == DNN_F64 ? dnn_cache_new(params, chunk) : NULL; /* f32: cache32 */
        if (mode == DNN_REDUCE_EXACT)
            w->exact = new_exact_sum(params);
        else
            w->fast = malloc(t->n * sizeof *w->fast);
        ok = (w->cache || dtype == DNN_F32) && dnn_worker_slot_ready(t, w, 0) &&
             (w->exact || w->fast);
        w->grads = w->slots[0];
        if (ok && t->thread_sums)
            t->thread_sums[i] = w->exact;
    }
    if (ok && dtype == DNN_F32)
        ok = setup_f32(t);
    if (!ok)
        dnn_trainer_free(&t);
    return t;
}

void dnn_trainer_free(dnn_trainer **trainer)
{
    if (!trainer || !*trainer)
        return;
    dnn_trainer *t = *trainer;
    for (int i = 0; t->workers && i < t->nthreads; i++) {
        dnn_cache_free(&t->workers[i].cache);
        for (int j = 0; j < DNN_GRADIENT_SLOTS; j++) {
            dnn_params_free(&t->workers[i].slots[j]);
            free(t->workers[i].slot_segments[j]);
        }
        dnn_exact_sum_free(&t->workers[i].exact);
        free(t->workers[i].fast);
        dnn_cache_free_f32(&t->workers[i].cache32);
        dnn_params_f32_free(&t->workers[i].grads32);
        free(t->workers[i].X32);
        free(t->workers[i].cost_AL);
        free(t->workers[i].cost_Y);
        free(t->workers[i].gather_X);
        free(t->workers[i].gather_Y);
        free(t->workers[i].gather_norms);
        free(t->workers[i].gather_Q);
        free(t->workers[i].gather_Y32);
        free(t->workers[i].gather_index);
    }
    dnn_params_f32_free(&t->params32);
    free(t->X32);
    free(t->x_norms);
    free(t->row_norms);
    free(t->Y32);
    free(t->workers);
    dnn_exact_sum_free(&t->exact);
    free(t->tops);
    free(t->thread_sums);
    free(t->pending);
    free(t->received);
    free(t->blocks);
    free(t->total_own);
    free(t->seg_start);
    free(t->update_v);
    free(t->update_s);
    dnn_split_free(&t->split);
    free(t);
    *trainer = NULL;
}

void dnn_trainer_last_times(const dnn_trainer *t, double *compute, double *combine_seconds)
{
    if (compute)
        *compute = t ? t->seconds_compute : 0.0;
    if (combine_seconds)
        *combine_seconds = t ? t->seconds_combine : 0.0;
}

double dnn_trainer_last_collective_time(const dnn_trainer *t)
{
    return t ? t->seconds_collective : 0.0;
}

void dnn_trainer_set_exchange(dnn_trainer *t, dnn_exchange exchange)
{
    if (!t || (exchange != DNN_EXCHANGE_AUTO && exchange != DNN_EXCHANGE_SHARED &&
               exchange != DNN_EXCHANGE_SPLIT))
        return;
    t->exchange = exchange;
}

long dnn_trainer_split_steps(const dnn_trainer *t)
{
    return dnn_trainer_path_steps(t, DNN_PATH_SPLIT);
}

dnn_update_settings dnn_update_defaults(void)
{
    dnn_update_settings s = {DNN_OPT_GD, 0.9, 0.999, 1e-8, 0.0};
    return s;
}

dnn_status dnn_trainer_set_update(dnn_trainer *t, const dnn_update_settings *u)
{
    if (!t || !u || (u->optimizer != DNN_OPT_GD && u->optimizer != DNN_OPT_MOMENTUM &&
                     u->optimizer != DNN_OPT_ADAM) ||
        !(u->beta1 >= 0 && u->beta1 < 1) || !(u->beta2 >= 0 && u->beta2 < 1) ||
        !(u->epsilon > 0 && u->epsilon < INFINITY) || !(u->l2 >= 0 && u->l2 < INFINITY))
        return DNN_ERR_ARG;
    free(t->update_v);
    free(t->update_s);
    t->update_v = t->update_s = NULL;
    size_t count = t->params->count;
    if (u->optimizer != DNN_OPT_GD && !(t->update_v = calloc(count, sizeof *t->update_v)))
        return DNN_ERR_NOMEM;
    if (u->optimizer == DNN_OPT_ADAM && !(t->update_s = calloc(count, sizeof *t->update_s)))
        return DNN_ERR_NOMEM;
    t->update = *u;
    t->update_steps = 0;
    return DNN_OK;
}

void dnn_trainer_update_state(const dnn_trainer *t, const double **v, const double **s,
                              long *steps)
{
    if (v)
        *v = t ? t->update_v : NULL;
    if (s)
        *s = t ? t->update_s : NULL;
    if (steps)
        *steps = t ? t->update_steps : 0;
}

dnn_status dnn_trainer_set_update_state(dnn_trainer *t, const double *v, const double *s,
                                        long steps)
{
    if (!t || steps < 0 || (t->update_v && !v) || (t->update_s && !s))
        return DNN_ERR_ARG;
    size_t bytes = t->params->count * sizeof(double);
    if (t->update_v)
        memcpy(t->update_v, v, bytes);
    if (t->update_s)
        memcpy(t->update_s, s, bytes);
    t->update_steps = steps;
    return DNN_OK;
}

dnn_status dnn_trainer_select(dnn_trainer *t, const long *columns, long count, long m_step)
{
    if (!t)
        return DNN_ERR_ARG;
    if (!columns) {
        t->columns = NULL;
        t->count = t->local->m;
        t->m_total = t->m_data;
        return DNN_OK;
    }
    if (count < 0 || count > t->local->m || m_step < 1 || m_step < count)
        return DNN_ERR_ARG;
    for (long i = 0; i < count; i++)
        if (columns[i] < 0 || columns[i] >= t->local->m)
            return DNN_ERR_ARG;
    /* the gathering buffers, once per worker (f32 gathers its floats into X32) */
    size_t cols = (size_t)t->chunk, n = (size_t)t->local->n_features;
    for (int i = 0; i < t->nthreads; i++) {
        worker *w = &t->workers[i];
        if (w->gather_Y)
            continue;
        w->gather_X = malloc(cols * n * sizeof *w->gather_X);
        w->gather_Y = malloc(cols * sizeof *w->gather_Y);
        w->gather_norms = malloc(cols * sizeof *w->gather_norms);
        w->gather_Y32 = malloc(cols * sizeof *w->gather_Y32);
        w->gather_index = malloc(cols * sizeof *w->gather_index);
        /* codes for every data set to come (dnn_trainer_set_data may bring some) */
        w->gather_Q = malloc(cols * n);
        if (!w->gather_X || !w->gather_Y || !w->gather_norms || !w->gather_Y32 ||
            !w->gather_index || !w->gather_Q) {
            free(w->gather_X);
            free(w->gather_Y);
            free(w->gather_norms);
            free(w->gather_Q);
            free(w->gather_Y32);
            free(w->gather_index);
            w->gather_X = w->gather_Y = w->gather_norms = NULL;
            w->gather_Q = NULL;
            w->gather_Y32 = NULL;
            w->gather_index = NULL;
            return DNN_ERR_NOMEM;
        }
    }
    t->columns = columns;
    t->count = count;
    t->m_total = m_step;
    return DNN_OK;
}

dnn_status dnn_trainer_set_data(dnn_trainer *t, const dnn_dataset *local)
{
    if (!t || !local || local->m < 0 || local->n_features != t->local->n_features ||
        (local->m > 0 && (!local->X || !local->Y)))
        return DNN_ERR_ARG;
    t->local = local;
    t->columns = NULL;
    t->count = local->m;
    t->m_total = t->m_data;
    t->no_split = 1; /* the split's state is made for one data set */
    if (t->dtype == DNN_F32 && !f32_examples(t))
        return DNN_ERR_NOMEM;
    return DNN_OK;
}

dnn_status dnn_trainer_set_dropout(dnn_trainer *t, double keep_prob, uint64_t seed)
{
    if (!t || !(keep_prob > 0.0 && keep_prob <= 1.0))
        return DNN_ERR_ARG;
    t->keep_prob = keep_prob;
    t->dropout_seed = seed;
    return DNN_OK;
}

int dnn_trainer_disable(dnn_trainer *t, const char *path)
{
    if (!t || !path)
        return 0;
    if (strcmp(path, "split") == 0)
        t->no_split = 1;
    else if (strcmp(path, "gradients_travel") == 0)
        t->no_gradients_travel = 1;
    else if (strcmp(path, "codes") == 0)
        t->no_codes = t->no_split = 1;
    else if (strcmp(path, "gradient_slots") == 0)
        t->gradient_slots = 1;
    else
        return 0;
    return 1;
}

long dnn_trainer_path_steps(const dnn_trainer *t, dnn_step_path path)
{
    return t && path >= 0 && path < DNN_PATHS ? t->path_steps[path] : 0;
}

long dnn_trainer_recomputed(const dnn_trainer *t)
{
    long n = 0;
    for (int i = 0; t && i < t->nthreads; i++)
        n += t->workers[i].recomputed;
    return n;
}
