#ifndef DNN_MODEL_IO_H
#define DNN_MODEL_IO_H

#include <stdint.h>

#include "dnn/data.h"
#include "dnn/params.h"

/* How the features are transformed on their way in, as dnn-train did it. */
typedef enum {
    DNN_INPUT_UNRECORDED, /* a model written before the transform was recorded: the
                             reader decides (dnn-predict: divides uint8 by 255 unless
                             --no-scale, as before) */
    DNN_INPUT_NONE,        /* the values as stored */
    DNN_INPUT_SCALE255,    /* uint8 features divided by 255 (others as stored) */
    DNN_INPUT_STANDARDIZE, /* (x - mean[i]) / deviation[i], x as stored (uint8 as 0..255) */
} dnn_input_transform;

/* What a saved model records besides its parameters. */
typedef struct {
    char init[32];         /* initializer name */
    uint32_t seed;
    long iterations;
    double learning_rate;
    char dtype[16];        /* "float64" or "float32"; "" when not recorded */
    dnn_input_transform transform;
    /* DNN_INPUT_STANDARDIZE: layer_sizes[0] values each (finite, deviations > 0), else
     * NULL. dnn_model_load allocates them (free with dnn_model_info_free). */
    double *mean, *deviation;
    int sealed; /* set by dnn_model_load: the file carried a checksum (1) or is of the
                   older, unsealed format (0) */
} dnn_model_info;

void dnn_model_info_free(dnn_model_info *info);
/* "unrecorded", "none", "scale255", "standardize" */
const char *dnn_input_transform_name(dnn_input_transform t);

/* HDF5 model, sealed like a checkpoint (io/file_seal.h: the first 512 bytes hold
 * "dnn-model 1\nfnv1a64 H...\n", FNV-1a 64 of every later byte): datasets W1, b1, ...,
 * WL, bL as plain float64 arrays with the course's shapes (W_l (n_l, n_{l-1}), b_l
 * (n_l, 1)) and root attributes layer_sizes, activations, init, seed, iterations,
 * learning_rate, dtype, input_transform (a name above; not written for
 * DNN_INPUT_UNRECORDED) and with "standardize" the datasets input_mean and
 * input_deviation (n_0). Written to a temporary name in the same directory, flushed to
 * disk, then renamed over path: an existing file is replaced only by a complete model. */
dnn_status dnn_model_save(const char *path, const dnn_params *params, const dnn_model_info *info,
                          dnn_error *err);
/* Reads a model written by dnn_model_save; *params is allocated (free with
 * dnn_params_free), and info's mean and deviation (dnn_model_info_free; info may be
 * NULL). A sealed file whose checksum does not match its bytes is DNN_ERR_DATA
 * ("checksum mismatch"); a file without a seal (written before models had one: the HDF5
 * signature at its first byte) is read as before, with info->sealed 0; a file with
 * neither is DNN_ERR_DATA. Before allocating anything, the file must be a
 * regular file (a FIFO, device or directory is DNN_ERR_IO), every W and b must have the
 * shape of layer_sizes and its values in the file (DNN_ERR_DATA), and the parameters
 * must fit under the memory limit (DNN_ERR_NOMEM, "out of memory: ..."); an unknown
 * input_transform or dtype, missing or misshapen input_mean/input_deviation, or
 * deviations not finite and > 0 are DNN_ERR_DATA. */
dnn_status dnn_model_load(const char *path, dnn_params **params, dnn_model_info *info,
                          dnn_error *err);

enum { DNN_MODEL_MAX_LAYERS = 64 };

/* dnn_model_load's checks of the seal and the shapes alone, allocating nothing: *L and
 * dims[0..*L] (room for DNN_MODEL_MAX_LAYERS + 1) get the model's layer sizes. */
dnn_status dnn_model_probe(const char *path, int *L, int *dims, dnn_error *err);

#endif
