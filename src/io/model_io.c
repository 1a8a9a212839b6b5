#include "dnn/model_io.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/model.h"
#include "io/atomic_file.h"
#include "io/file_checks.h"
#include "io/h5_util.h"

enum { MAX_LAYERS = DNN_MODEL_MAX_LAYERS, ACTIVATIONS_MAX = MAX_LAYERS * 5 + 8 };

static dnn_status fail(dnn_error *err, dnn_status st, const char *path, const char *what)
{
    if (err) {
        snprintf(err->message, sizeof err->message, "%s: %s", path, what);
        err->bad_index = -1;
    }
    return st;
}

/* A (rows, cols) dataset from a row-major matrix, as W and b are stored. */
static int write_matrix(hid_t file, const char *name, int rows, int cols, const double *rowmajor)
{
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    return dnn_h5_write_doubles(file, name, 2, dims, H5P_DEFAULT, rowmajor);
}

static int write_model(hid_t file, const dnn_params *p, const dnn_model_info *info)
{
    int ok = 1;
    char name[32];
    for (int l = 1; ok && l <= p->L; l++) {
        snprintf(name, sizeof name, "W%d", l);
        ok = write_matrix(file, name, p->dims[l], p->dims[l - 1], p->W[l]);
        snprintf(name, sizeof name, "b%d", l);
        ok = ok && write_matrix(file, name, p->dims[l], 1, p->b[l]);
    }
    char activations[ACTIVATIONS_MAX] = "";
    for (int l = 1; l <= p->L; l++) {
        strcat(activations, l < p->L ? "relu," : "sigmoid");
    }
    long long iterations = info ? info->iterations : 0;
    unsigned seed = info ? info->seed : 0;
    double lr = info ? info->learning_rate : 0.0;
    /* numbers stored in the native types, strings as scalars (rank 0) */
    ok = ok && dnn_h5_write_attr(file, "layer_sizes", H5T_NATIVE_INT, H5T_NATIVE_INT,
                                 (hsize_t)p->L + 1, p->dims);
    ok = ok && dnn_h5_write_string(file, "activations", activations, 0);
    ok = ok && dnn_h5_write_string(file, "init", info ? info->init : "unknown", 0);
    ok = ok && dnn_h5_write_attr(file, "seed", H5T_NATIVE_UINT, H5T_NATIVE_UINT, 1, &seed);
    ok = ok && dnn_h5_write_attr(file, "iterations", H5T_NATIVE_LLONG, H5T_NATIVE_LLONG, 1,
                                 &iterations);
    ok = ok && dnn_h5_write_attr(file, "learning_rate", H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, 1,
                                 &lr);
    return ok;
}

dnn_status dnn_model_save(const char *path, const dnn_params *params, const dnn_model_info *info,
                          dnn_error *err)
{
    if (!path || !*path || !params)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path or no parameters");
    if (params->L > MAX_LAYERS)
        return fail(err, DNN_ERR_ARG, path, "too many layers to save");
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    /* HDF5 builds the file in memory; writing it out is then ours, so a failure at any
     * point (disk full, size limit) leaves no HDF5 handle open and the old file intact. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    int ok = fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0;
    hid_t file = ok ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
    ok = file >= 0 && write_model(file, params, info) && H5Fflush(file, H5F_SCOPE_LOCAL) >= 0;
    ssize_t size = ok ? H5Fget_file_image(file, NULL, 0) : -1;
    void *image = size > 0 ? malloc((size_t)size) : NULL;
    ok = image && H5Fget_file_image(file, image, (size_t)size) == size;
    if (file >= 0)
        H5Fclose(file);
    if (fapl >= 0)
        H5Pclose(fapl);
    dnn_h5_quiet_end(&quiet);
    dnn_status st = ok ? dnn_write_file_atomic(path, image, (size_t)size, err)
                       : fail(err, DNN_ERR_NOMEM, path, "building the model in memory failed");
    free(image);
    return st;
}

static int read_layer_sizes(hid_t file, int *L, int *dims)
{
    hssize_t n = dnn_h5_attr_count(file, "layer_sizes");
    if (n < 2 || n > MAX_LAYERS + 1)
        return 0;
    *L = (int)n - 1;
    return dnn_h5_read_attr(file, "layer_sizes", H5T_NATIVE_INT, n, dims);
}

static int read_matrix(hid_t file, const char *name, int rows, int cols, double *rowmajor)
{
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    return dnn_h5_read_doubles(file, name, 2, dims, rowmajor);
}

/* Whether every W[l] and b[l] of the model has the shape of the layer sizes and its
 * values in the file (a file of file_size bytes): checked before anything is allocated. */
static int layers_stored(hid_t file, int L, const int *dims, uint64_t file_size)
{
    char name[32];
    int ok = 1;
    for (int l = 1; ok && l <= L; l++) {
        hsize_t w[2] = {(hsize_t)dims[l], (hsize_t)dims[l - 1]}, b[2] = {(hsize_t)dims[l], 1};
        snprintf(name, sizeof name, "W%d", l);
        ok = dnn_h5_check_doubles(file, name, 2, w, file_size);
        snprintf(name, sizeof name, "b%d", l);
        ok = ok && dnn_h5_check_doubles(file, name, 2, b, file_size);
    }
    return ok;
}

/* Opens the model file and checks its layer sizes against what it stores and against
 * the memory limit, allocating nothing. On success *file is open (the caller closes
 * it); on failure it is H5I_INVALID_HID. Call between dnn_h5_quiet_begin and _end. */
static dnn_status open_model(const char *path, hid_t *file, int *L, int *dims, dnn_error *err)
{
    uint64_t file_size = 0;
    *file = H5I_INVALID_HID;
    dnn_status st = dnn_check_input_file(path, &file_size, err);
    if (st != DNN_OK)
        return st;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    uint64_t bytes = 0;
    if (f < 0)
        st = fail(err, DNN_ERR_IO, path, "cannot open: not an HDF5 file");
    else if (!read_layer_sizes(f, L, dims) || dims[*L] != 1 ||
             !(bytes = dnn_params_bytes(*L, dims)))
        st = fail(err, DNN_ERR_DATA, path, "not a dnn model: attribute layer_sizes missing or bad");
    else if (!layers_stored(f, *L, dims, file_size))
        st = fail(err, DNN_ERR_DATA, path,
                  "dataset W or b missing, of the wrong shape or not all stored in the file");
    else
        st = dnn_check_memory(path, "the model's parameters", bytes, err);
    if (st != DNN_OK && f >= 0)
        H5Fclose(f);
    else
        *file = f;
    return st;
}

dnn_status dnn_model_probe(const char *path, int *L, int *dims, dnn_error *err)
{
    if (!path || !L || !dims)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path");
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    hid_t file;
    dnn_status st = open_model(path, &file, L, dims, err);
    if (file >= 0)
        H5Fclose(file);
    dnn_h5_quiet_end(&quiet);
    return st;
}

dnn_status dnn_model_load(const char *path, dnn_params **params, dnn_model_info *info,
                          dnn_error *err)
{
    if (!path || !params)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path");
    *params = NULL;
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    hid_t file;
    int L = 0, dims[MAX_LAYERS + 1];
    dnn_status st = open_model(path, &file, &L, dims, err);
    if (st == DNN_OK && !(*params = dnn_params_new(L, dims)))
        st = fail(err, DNN_ERR_NOMEM, path, "out of memory for the model's parameters");
    if (st == DNN_OK) {
        char name[32];
        for (int l = 1; st == DNN_OK && l <= L; l++) {
            snprintf(name, sizeof name, "W%d", l);
            int ok = read_matrix(file, name, dims[l], dims[l - 1], (*params)->W[l]);
            snprintf(name, sizeof name, "b%d", l);
            ok = ok && read_matrix(file, name, dims[l], 1, (*params)->b[l]);
            if (!ok)
                st = fail(err, DNN_ERR_DATA, path, "dataset W or b missing or of the wrong shape");
        }
        if (st == DNN_OK && info) {
            long long iterations = 0;
            unsigned seed = 0;
            memset(info, 0, sizeof *info);
            /* optional: what is missing or bad stays 0 or "" */
            dnn_h5_read_attr(file, "seed", H5T_NATIVE_UINT, 1, &seed);
            dnn_h5_read_attr(file, "iterations", H5T_NATIVE_LLONG, 1, &iterations);
            dnn_h5_read_attr(file, "learning_rate", H5T_NATIVE_DOUBLE, 1, &info->learning_rate);
            dnn_h5_read_string(file, "init", info->init, sizeof info->init);
            info->seed = seed;
            info->iterations = (long)iterations;
        }
    }
    if (st != DNN_OK)
        dnn_params_free(params);
    if (file >= 0)
        H5Fclose(file);
    dnn_h5_quiet_end(&quiet);
    return st;
}
