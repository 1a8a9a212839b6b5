/* Mini-batch examples from memory or from the file, read one step ahead
 * (batch_source.h). */
#include "programs/batch_source.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "train/standardize.h"

/* One step's examples of this rank, read from the file. */
typedef struct {
    long step;
    long count, size;  /* this rank's examples, the batch's over all ranks */
    long *columns;     /* their global indices in the batch's order */
    long *sorted;      /* the same, increasing: the order they are read in */
    long *map;         /* columns[j] is data's example map[j] */
    long capacity;     /* of the three arrays */
    dnn_dataset data;
    dnn_status status;
    dnn_error err;
} slot;

struct batch_source {
    const dnn_dataset *all; /* memory: every example */
    batch_file file;
    dnn_h5_reader *reader;
    dnn_batches *batches;
    slot slots[2];
    int current;            /* the slot the trainer reads */
    pthread_t thread;
    int reading;            /* the thread reads slots[!current] for step `ahead` */
};

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Step i's examples of this rank into sl's index lists (the main thread's part). */
static dnn_status plan(batch_source *s, slot *sl, long i)
{
    const long *columns;
    long count, size, per = s->batches->per_epoch;
    dnn_status st = dnn_batches_get(s->batches, i / per, i % per, dnn_comm_rank(),
                                    dnn_comm_size(), s->file.chunk, &columns, &count, &size);
    if (st != DNN_OK)
        return st;
    if (count > sl->capacity || !sl->map) { /* map is never NULL: NULL selects everything */
        size_t n = count > 0 ? (size_t)count : 1;
        long *c = realloc(sl->columns, n * sizeof *c);
        if (c)
            sl->columns = c;
        long *o = realloc(sl->sorted, n * sizeof *o);
        if (o)
            sl->sorted = o;
        long *m = realloc(sl->map, n * sizeof *m);
        if (m)
            sl->map = m;
        if (!c || !o || !m)
            return DNN_ERR_NOMEM;
        sl->capacity = count;
    }
    sl->step = i;
    sl->count = count;
    sl->size = size;
    memcpy(sl->columns, columns, (size_t)count * sizeof *columns);
    memcpy(sl->sorted, columns, (size_t)count * sizeof *columns);
    qsort(sl->sorted, (size_t)count, sizeof *sl->sorted, by_value);
    return DNN_OK;
}

/* Synthetic examples are generated, a run of consecutive ones at a time. */
static dnn_status generate(const batch_file *f, const long *sorted, long count, dnn_dataset *out,
                           dnn_error *err)
{
    size_t n = (size_t)f->n_features;
    *out = (dnn_dataset){.n_features = f->n_features, .m_total = f->m_total, .m = count};
    out->X = malloc((size_t)count * n * sizeof *out->X);
    out->Y = malloc((size_t)count * sizeof *out->Y);
    out->index = malloc((size_t)count * sizeof *out->index);
    dnn_status st = out->X && out->Y && out->index ? DNN_OK : DNN_ERR_NOMEM;
    for (long j = 0; st == DNN_OK && j < count;) {
        long run = 1;
        while (j + run < count && sorted[j + run] == sorted[j] + run)
            run++;
        dnn_dataset part;
        st = dnn_synthetic_load(f->synthetic_seed, f->m_total, f->n_features, sorted[j], run,
                                &part, err);
        if (st == DNN_OK) {
            memcpy(out->X + (size_t)j * n, part.X, (size_t)run * n * sizeof *part.X);
            memcpy(out->Y + j, part.Y, (size_t)run * sizeof *part.Y);
            dnn_dataset_free(&part);
        }
        j += run;
    }
    if (st == DNN_OK)
        memcpy(out->index, sorted, (size_t)count * sizeof *sorted);
    else
        dnn_dataset_free(out);
    return st;
}

/* Reads sl's examples and maps the batch's order onto them (the reading thread's part:
 * no MPI, and HDF5 only here while it runs). */
static void load(batch_source *s, slot *sl)
{
    dnn_dataset_free(&sl->data);
    sl->data = (dnn_dataset){.n_features = s->file.n_features, .m_total = s->file.m_total};
    sl->status = DNN_OK;
    if (sl->count == 0)
        return;
    sl->status = s->reader ? dnn_h5_reader_load(s->reader, sl->sorted, sl->count, &sl->data,
                                                &sl->err)
                           : generate(&s->file, sl->sorted, sl->count, &sl->data, &sl->err);
    if (sl->status == DNN_OK && s->file.mean)
        dnn_standardize(&sl->data, s->file.mean, s->file.deviation);
    for (long j = 0; sl->status == DNN_OK && j < sl->count; j++) {
        const long *at = bsearch(&sl->columns[j], sl->sorted, (size_t)sl->count,
                                 sizeof *sl->sorted, by_value);
        sl->map[j] = at - sl->sorted;
    }
}

static void *read_ahead(void *arg)
{
    batch_source *s = arg;
    load(s, &s->slots[!s->current]);
    return NULL;
}

batch_source *batch_source_new(const dnn_dataset *all, const batch_file *file,
                               dnn_batches *batches, dnn_error *err)
{
    batch_source *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    s->all = all;
    s->file = *file;
    s->batches = batches;
    if (!all && file->path &&
        dnn_h5_reader_open(file->path, &s->file.h5, &s->reader, err) != DNN_OK) {
        free(s);
        return NULL;
    }
    return s;
}

void batch_source_pause(batch_source *s)
{
    if (s && s->reading) {
        pthread_join(s->thread, NULL);
        s->reading = 0;
    }
}

dnn_status batch_source_select(batch_source *s, dnn_trainer *t, long i, long steps, long *size,
                               dnn_error *err)
{
    if (s->all) { /* memory: the chunks' columns of every example */
        const long *columns;
        long count, per = s->batches->per_epoch;
        dnn_status st = dnn_batches_get(s->batches, i / per, i % per, dnn_comm_rank(),
                                        dnn_comm_size(), s->file.chunk, &columns, &count, size);
        if (st == DNN_OK)
            st = dnn_trainer_select(t, columns, count, *size);
        if (st != DNN_OK)
            snprintf(err->message, sizeof err->message, "out of memory for a batch");
        return st;
    }
    int next = !s->current;
    slot *sl = &s->slots[next];
    int ready = s->reading && sl->step == i;
    batch_source_pause(s);
    dnn_status st = DNN_OK;
    if (!ready) { /* no read ahead (the first step, or a resume): read now */
        st = plan(s, sl, i);
        if (st == DNN_OK)
            load(s, sl);
    }
    if (st == DNN_OK)
        st = sl->status;
    if (st == DNN_OK)
        st = dnn_trainer_set_data(t, &sl->data);
    if (st == DNN_OK)
        st = dnn_trainer_select(t, sl->map, sl->count, sl->size);
    if (st != DNN_OK) {
        *err = sl->status != DNN_OK ? sl->err : (dnn_error){"out of memory for a batch", -1};
        return st;
    }
    *size = sl->size;
    s->current = next;
    /* the next step's examples, read while this one trains */
    slot *ahead = &s->slots[!next];
    if (i + 1 < steps && plan(s, ahead, i + 1) == DNN_OK &&
        pthread_create(&s->thread, NULL, read_ahead, s) == 0)
        s->reading = 1;
    return DNN_OK;
}

void batch_source_free(batch_source **source)
{
    if (!source || !*source)
        return;
    batch_source *s = *source;
    batch_source_pause(s);
    for (int k = 0; k < 2; k++) {
        free(s->slots[k].columns);
        free(s->slots[k].sorted);
        free(s->slots[k].map);
        dnn_dataset_free(&s->slots[k].data);
    }
    dnn_h5_reader_close(&s->reader);
    free(s);
    *source = NULL;
}
