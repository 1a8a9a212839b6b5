#ifndef DNN_BATCH_SOURCE_H
#define DNN_BATCH_SOURCE_H

#include "dnn/batches.h"
#include "dnn/data.h"
#include "dnn/trainer.h"

/* Where a rank's mini-batch examples come from (dnn-train --batch-read):
 *   memory: the rank holds the whole training set (loaded before), and each step
 *           selects its chunks' columns;
 *   file:   each step's examples of this rank are read from the file (an HDF5
 *           selection; synthetic data is generated), and the next step's are read by
 *           a second thread while the current one trains. Memory: two batches' worth.
 * Either way the trainer sees the same examples with the same global indices, so the
 * results are the same bits. */
typedef struct batch_source batch_source;

typedef struct {
    const char *path;      /* HDF5 file, or NULL for synthetic data */
    dnn_h5_options h5;
    uint64_t synthetic_seed;
    long m_total;
    int n_features;
    long chunk;
    const double *mean, *deviation; /* --standardize: applied to what is read; NULL: none */
} batch_file;

/* all: the whole training set in memory, or NULL to read from file. */
batch_source *batch_source_new(const dnn_dataset *all, const batch_file *file,
                               dnn_batches *batches, dnn_error *err);
/* Hands the trainer step i's examples of this rank (*size: the batch's examples over
 * all ranks). Reading from a file, the status is agreed by all ranks (collective). */
dnn_status batch_source_select(batch_source *s, dnn_trainer *t, long i, long steps, long *size,
                               dnn_error *err);
/* Waits for the read ahead, so that the caller may use HDF5 itself. */
void batch_source_pause(batch_source *s);
void batch_source_free(batch_source **s);

#endif
