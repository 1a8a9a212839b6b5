#include "dnn/model_io.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/atomic_file.h"
#include "dnn/model.h"

enum { MAX_LAYERS = 64, ACTIVATIONS_MAX = MAX_LAYERS * 5 + 8 };

static dnn_status fail(dnn_error *err, dnn_status st, const char *path, const char *what)
{
    if (err) {
        snprintf(err->message, sizeof err->message, "%s: %s", path, what);
        err->bad_index = -1;
    }
    return st;
}

static int write_attr(hid_t file, const char *name, hid_t type, hsize_t n, const void *value)
{
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int ok = attr >= 0 && H5Awrite(attr, type, value) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    return ok;
}

static int write_string_attr(hid_t file, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int ok = attr >= 0 && H5Awrite(attr, type, value) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    return ok;
}

/* A (rows, cols) dataset from a row-major matrix, as W and b are stored. */
static int write_matrix(hid_t file, const char *name, int rows, int cols, const double *rowmajor)
{
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t set = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                           H5P_DEFAULT);
    int ok = set >= 0 && H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  rowmajor) >= 0;
    if (set >= 0)
        H5Dclose(set);
    H5Sclose(space);
    return ok;
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
    ok = ok && write_attr(file, "layer_sizes", H5T_NATIVE_INT, (hsize_t)p->L + 1, p->dims);
    ok = ok && write_string_attr(file, "activations", activations);
    ok = ok && write_string_attr(file, "init", info ? info->init : "unknown");
    ok = ok && write_attr(file, "seed", H5T_NATIVE_UINT, 1, &seed);
    ok = ok && write_attr(file, "iterations", H5T_NATIVE_LLONG, 1, &iterations);
    ok = ok && write_attr(file, "learning_rate", H5T_NATIVE_DOUBLE, 1, &lr);
    return ok;
}

dnn_status dnn_model_save(const char *path, const dnn_params *params, const dnn_model_info *info,
                          dnn_error *err)
{
    if (!path || !*path || !params)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path or no parameters");
    if (params->L > MAX_LAYERS)
        return fail(err, DNN_ERR_ARG, path, "too many layers to save");
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
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
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    dnn_status st = ok ? dnn_write_file_atomic(path, image, (size_t)size, err)
                       : fail(err, DNN_ERR_NOMEM, path, "building the model in memory failed");
    free(image);
    return st;
}

static int read_attr(hid_t file, const char *name, hid_t type, void *out)
{
    if (H5Aexists(file, name) <= 0)
        return 0;
    hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    int ok = attr >= 0 && H5Aread(attr, type, out) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    return ok;
}

static int read_string_attr(hid_t file, const char *name, char *out, size_t size)
{
    if (H5Aexists(file, name) <= 0)
        return 0;
    hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
    size_t len = type >= 0 && H5Tget_class(type) == H5T_STRING ? H5Tget_size(type) : 0;
    char *text = len > 0 && !H5Tis_variable_str(type) ? calloc(len + 1, 1) : NULL;
    int ok = text && H5Aread(attr, type, text) >= 0;
    if (ok)
        snprintf(out, size, "%s", text);
    free(text);
    if (type >= 0)
        H5Tclose(type);
    if (attr >= 0)
        H5Aclose(attr);
    return ok;
}

static int read_layer_sizes(hid_t file, int *L, int *dims)
{
    if (H5Aexists(file, "layer_sizes") <= 0)
        return 0;
    hid_t attr = H5Aopen(file, "layer_sizes", H5P_DEFAULT);
    hid_t space = attr >= 0 ? H5Aget_space(attr) : -1;
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    int ok = n >= 2 && n <= MAX_LAYERS + 1 && H5Aread(attr, H5T_NATIVE_INT, dims) >= 0;
    if (space >= 0)
        H5Sclose(space);
    if (attr >= 0)
        H5Aclose(attr);
    *L = (int)n - 1;
    return ok;
}

static int read_matrix(hid_t file, const char *name, int rows, int cols, double *rowmajor)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = set >= 0 ? H5Dget_space(set) : -1;
    hsize_t dims[2] = {0, 0};
    int ok = space >= 0 && H5Sget_simple_extent_ndims(space) == 2 &&
             H5Sget_simple_extent_dims(space, dims, NULL) == 2 && dims[0] == (hsize_t)rows &&
             dims[1] == (hsize_t)cols;
    ok = ok && H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rowmajor) >= 0;
    if (space >= 0)
        H5Sclose(space);
    if (set >= 0)
        H5Dclose(set);
    return ok;
}

dnn_status dnn_model_load(const char *path, dnn_params **params, dnn_model_info *info,
                          dnn_error *err)
{
    if (!path || !params)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path");
    *params = NULL;
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    dnn_status st = DNN_OK;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int L = 0, dims[MAX_LAYERS + 1];
    if (file < 0) {
        st = fail(err, DNN_ERR_IO, path, "cannot open: not found or not an HDF5 file");
    } else if (!read_layer_sizes(file, &L, dims) || dims[L] != 1) {
        st = fail(err, DNN_ERR_DATA, path, "not a dnn model: attribute layer_sizes missing or bad");
    } else if (!(*params = dnn_params_new(L, dims))) {
        st = fail(err, DNN_ERR_DATA, path, "bad layer sizes or out of memory");
    } else {
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
            read_attr(file, "seed", H5T_NATIVE_UINT, &seed);
            read_attr(file, "iterations", H5T_NATIVE_LLONG, &iterations);
            read_attr(file, "learning_rate", H5T_NATIVE_DOUBLE, &info->learning_rate);
            read_string_attr(file, "init", info->init, sizeof info->init);
            info->seed = seed;
            info->iterations = (long)iterations;
        }
    }
    if (st != DNN_OK)
        dnn_params_free(params);
    if (file >= 0)
        H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    return st;
}
