#ifndef DNN_TRAIN_OPTIONS_H
#define DNN_TRAIN_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dnn/params.h"
#include "dnn/trainer.h"
#include "train/trainer_modes.h"

enum { DNN_MAX_LAYERS = 64 };
enum { BATCH_READ_AUTO, BATCH_READ_MEMORY, BATCH_READ_FILE };

typedef struct {
    const char *train_path, *test_path; /* NULL: synthetic data */
    const char *x_dataset, *y_dataset;  /* NULL: found automatically */
    const char *save_path;
    const char *checkpoint_path;        /* NULL: no checkpoints */
    long checkpoint_every;              /* 0: only at the end */
    const char *resume_path;            /* NULL: start from the initial parameters */
    long synthetic_m, synthetic_n;      /* examples, features */
    int n_dims;                         /* entries of --layers */
    int auto_input;                     /* first entry was "auto" */
    int dims[DNN_MAX_LAYERS + 1];
    double learning_rate;
    dnn_update_settings update;         /* --optimizer, --beta1/2, --epsilon, --l2 */
    double lr_decay;                    /* --lr-decay (0: none) */
    long decay_interval;                /* --decay-interval (0: continuous decay) */
    long iterations, print_every, seed, chunk; /* iterations: epochs with --batch-size
                                                  (--epochs sets the same) */
    long early_stop;                    /* --early-stop N: prints without a lower test
                                           cost that stop training (0: never) */
    long batch_size;                    /* --batch-size (0: the full batch) */
    int drop_last;                      /* --drop-last: no smaller last batch */
    double keep_prob;                   /* --dropout KEEP_PROB (1: none) */
    int batch_read;                     /* --batch-read: BATCH_READ_AUTO, _MEMORY, _FILE */
    dnn_init init;
    dnn_reduce_mode reduce;
    dnn_dtype dtype;
    dnn_exchange exchange;
    int system_blas;                    /* --blas system: OpenBLAS's products */
    int scale_uint8;
    int standardize;                    /* --standardize: features to zero mean, unit
                                           variance with the training set's statistics */
    int timing;
    const char *metrics_path;           /* --metrics FILE.jsonl (NULL: none) */
    int help;
    int version;
} train_options;

/* Fills o from argv; on a bad flag or value returns non-zero with a message in err. */
int train_options_parse(int argc, char **argv, train_options *o, char *err, size_t err_size);
void train_options_usage(FILE *out);

/* One parsed option as a hash (FNV-1a 64 of its value), for checking that every rank
 * was given the same settings. */
typedef struct {
    const char *flag; /* "--iters" */
    uint64_t hash;
} train_setting;

enum { TRAIN_MAX_SETTINGS = 64 };

/* Every parsed option that must be equal on all ranks, in a fixed order: all of them
 * (even those only rank 0 acts on, as --save, decide which collectives run). Fills
 * out[0..n) and returns n <= max. A new option must be added here; tests/
 * test_train_options.c fails until it is. */
int train_options_settings(const train_options *o, train_setting *out, int max);

#endif
