#ifndef DNN_CHECKPOINT_H
#define DNN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/data.h"
#include "dnn/params.h"
#include "dnn/trainer.h"

/* Training checkpoints: everything a full-batch gradient-descent run needs to continue
 * exactly where it stopped, plus what it must agree with to be continued.
 *
 * File format, version 1: an HDF5 file with a 512-byte user block (which HDF5 skips)
 * holding the seal, the text "dnn-checkpoint 1\nfnv1a64 HHHHHHHHHHHHHHHH\n" padded with
 * zero bytes, where H... is FNV-1a 64 of every byte after the user block in lowercase
 * hex. Every byte of the file is thus covered: the seal's own bytes must be exactly the
 * expected ones. Inside:
 *   dataset    parameters        float64 (count): the parameter arena W1, b1, ..., WL, bL,
 *                                each W row-major (dnn_params' storage order)
 *   attributes next_iteration    int64: iterations done, the first one still to run
 *              layer_sizes       int32 (L + 1)
 *              dtype             string: arithmetic of the passes, "float64" or "float32"
 *              chunk             int64
 *              reduce            string: "exact" or "fast"
 *              learning_rate     float64
 *              m_total           int64: training examples
 *              n_features        int32
 *              data_fingerprint  uint64 (dnn_data_fingerprint)
 *              init, seed        string, uint32: how the parameters were first made
 * Version 2 adds the update rule and its state:
 *   attributes optimizer         string: "gd", "momentum" or "adam"
 *              beta1, beta2, epsilon, l2, lr_decay   float64
 *              decay_interval    int64 (0: the continuous schedule)
 *              update_steps      int64: updates applied so far (Adam's t)
 *   datasets   optimizer_v       float64 (count): momentum and Adam's v, the arena's layout
 *              optimizer_s       float64 (count): Adam's s
 * Optional in version 2 (files without them load with the defaults given):
 *   attributes epoch, epoch_position, epoch_examples   int64 (default 0)
 *              epoch_cost_sum    float64 (default 0): where a mini-batch run stands
 *              batch_size        int64 (default 0: the full batch), drop_last int64 0/1
 *              keep_prob         float64 (default 1: no dropout): the schedule, which a
 *                                resumed run must repeat
 *   early stopping, all four or none (none: no early stopping):
 *   dataset    best_parameters   float64 (count): the best parameters so far, the
 *                                arena's layout
 *   attributes best_cost         float64: their test cost
 *              best_iteration    int64: the iteration that left them (< next_iteration)
 *              prints_since_best int64: prints since then without a lower test cost
 * Version 1 files stay readable (gradient descent, no decay, no state). A reader
 * refuses versions it does not know. */
enum { DNN_CHECKPOINT_VERSION = 2, DNN_CHECKPOINT_MAX_LAYERS = 64 };

typedef struct {
    /* what a resumed run must match (dnn_checkpoint_mismatch) */
    int L;                                  /* weight layers */
    int dims[DNN_CHECKPOINT_MAX_LAYERS + 1]; /* layer widths dims[0..L] */
    char dtype[16];                         /* "float64" or "float32" (--dtype) */
    long chunk;
    dnn_reduce_mode reduce;
    double learning_rate;
    long m_total;                           /* training examples */
    int n_features;
    uint64_t data_fingerprint;
    dnn_update_settings update;
    double lr_decay;     /* --lr-decay */
    long decay_interval; /* --decay-interval (0: none) */
    long batch_size;     /* --batch-size (0: the full batch) */
    int drop_last;       /* --drop-last */
    double keep_prob;    /* --dropout (1, or 0 in a zeroed info: none) */
    /* recorded only */
    char init[32];
    uint32_t seed;
    /* the state besides the parameters */
    long next_iteration;
    long update_steps;
    /* the optimizer's state, count doubles each (NULL: none): on save, read from there
     * (v for momentum and Adam, s for Adam); on load, allocated (free()) */
    double *state_v, *state_s;
    /* early stopping (dnn-train --early-stop), present when best_params is not NULL:
     * the parameters of the print with the lowest test cost so far (count doubles, the
     * arena's layout; on save read from there, on load allocated: free()), that cost,
     * the iteration that left them, and the prints since without a lower test cost */
    double *best_params;
    double best_cost;
    long best_iteration;
    long prints_since_best;
    /* where a mini-batch run stands (all 0 for full batch and in older files): the
     * epoch under way, its batches done, the sum of their costs each weighted by its
     * batch size, and their examples */
    long epoch, epoch_position;
    double epoch_cost_sum;
    long epoch_examples;
} dnn_checkpoint_info;

/* Writes params (whose layer sizes must equal info's) and info to a new temporary file
 * "path.tmp.PID" in the same directory, flushes it to disk, renames it over path and
 * flushes the directory:
 * path always holds either its old content or the complete new checkpoint.
 * DNN_ERR_NONFINITE, writing nothing, when a parameter (or a best parameter) is NaN or
 * Inf. */
dnn_status dnn_checkpoint_save(const char *path, const dnn_params *params,
                               const dnn_checkpoint_info *info, dnn_error *err);

/* Reads and verifies a checkpoint (seal, version, attributes, shapes, finite values).
 * Only a regular file is opened (a FIFO, device or directory is DNN_ERR_IO).
 * On success *params is allocated (dnn_params_free) and *info filled; on any failure
 * *params is NULL, *info is untouched and err says why. */
dnn_status dnn_checkpoint_load(const char *path, dnn_params **params, dnn_checkpoint_info *info,
                               dnn_error *err);

/* dnn_checkpoint_load for a resume of the run described by run: a checkpoint whose layer
 * sizes differ from run's is refused ("PATH: made by a different run: layer sizes:
 * ...", DNN_ERR_DATA) before any memory is spent on its parameters (run NULL: no
 * comparison). Either way the parameters' sizes are checked before they are allocated:
 * the dataset must hold them in the file, and they must fit under the memory limit
 * (DNN_ERR_NOMEM, "out of memory: ..."). The other settings are for
 * dnn_checkpoint_mismatch to compare. */
dnn_status dnn_checkpoint_load_for(const char *path, const dnn_checkpoint_info *run,
                                   dnn_params **params, dnn_checkpoint_info *info,
                                   dnn_error *err);

/* Compares what a resume must match: layer sizes, dtype, chunk, reduce mode, learning
 * rate, update rule, decay, batches, dropout and data (example count, feature count, fingerprint). Returns how many differ
 * and describes each in message ("layer sizes: checkpoint 16,8,1, this run 16,4,1; ...").
 * init and seed are not compared: the checkpoint's parameters replace the initial ones. */
int dnn_checkpoint_mismatch(const dnn_checkpoint_info *saved, const dnn_checkpoint_info *run,
                            char *message, size_t size);

/* The data fingerprint, computed piecewise so that any partition gives the same value:
 * each example i contributes FNV-1a 64 of (i as uint64, its label, its features), all
 * as little-endian 64-bit words, the values as the trainer sees them (after scaling);
 * contributions are added mod 2^64. dnn_dataset_hash_sum does one block; the program
 * adds the blocks of all ranks (an integer sum, so any order gives the same bits) and
 * dnn_data_fingerprint mixes in the shape. */
uint64_t dnn_dataset_hash_sum(const dnn_dataset *block);
uint64_t dnn_data_fingerprint(long m_total, int n_features, uint64_t hash_sum);

/* DNN_OK when a file can be written at path the way dnn_checkpoint_save and
 * dnn_model_save do it: path is absent or a regular file (a directory, device, FIFO or
 * socket is DNN_ERR_IO, never replaced), and the temporary file a save would create
 * next to it can be created (checked by creating and removing it, with the same code
 * as a save, so it works for root too). Nothing that exists is touched. */
dnn_status dnn_check_writable(const char *path, dnn_error *err);

#endif
