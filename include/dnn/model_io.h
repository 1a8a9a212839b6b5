#ifndef DNN_MODEL_IO_H
#define DNN_MODEL_IO_H

#include <stdint.h>

#include "dnn/data.h"
#include "dnn/params.h"

/* What a saved model records besides its parameters. */
typedef struct {
    char init[32];         /* initializer name */
    uint32_t seed;
    long iterations;
    double learning_rate;
} dnn_model_info;

/* HDF5 model: datasets W1, b1, ..., WL, bL as plain float64 arrays with the course's
 * shapes (W_l (n_l, n_{l-1}), b_l (n_l, 1)) and root attributes layer_sizes,
 * activations, init, seed, iterations, learning_rate. Written to a temporary name in
 * the same directory, flushed to disk, then renamed over path: an existing file is
 * replaced only by a complete model. */
dnn_status dnn_model_save(const char *path, const dnn_params *params, const dnn_model_info *info,
                          dnn_error *err);
/* Reads a model written by dnn_model_save; *params is allocated (free with
 * dnn_params_free). info may be NULL. Before allocating anything, the file must be a
 * regular file (a FIFO, device or directory is DNN_ERR_IO), every W and b must have the
 * shape of layer_sizes and its values in the file (DNN_ERR_DATA), and the parameters
 * must fit under the memory limit (DNN_ERR_NOMEM, "out of memory: ..."). */
dnn_status dnn_model_load(const char *path, dnn_params **params, dnn_model_info *info,
                          dnn_error *err);

enum { DNN_MODEL_MAX_LAYERS = 64 };

/* dnn_model_load's checks alone, allocating nothing: *L and dims[0..*L] (room for
 * DNN_MODEL_MAX_LAYERS + 1) get the model's layer sizes. */
dnn_status dnn_model_probe(const char *path, int *L, int *dims, dnn_error *err);

#endif
