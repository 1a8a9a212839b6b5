#include "dnn/model_io.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/model.h"
#include "io/atomic_file.h"
#include "io/file_checks.h"
#include "io/file_seal.h"
#include "io/h5_util.h"
#include <unistd.h>

enum { MAX_LAYERS = DNN_MODEL_MAX_LAYERS, ACTIVATIONS_MAX = MAX_LAYERS * 5 + 8 };
enum { MODEL_VERSION = 1 };
static const char SEAL_FORMAT[] = "dnn-model";
static const char *const TRANSFORM_NAMES[] = {"unrecorded", "none", "scale255", "standardize"};

const char *dnn_input_transform_name(dnn_input_transform t)
{
    return t >= DNN_INPUT_UNRECORDED && t <= DNN_INPUT_STANDARDIZE ? TRANSFORM_NAMES[t]
                                                                   : "unknown";
}

void dnn_model_info_free(dnn_model_info *info)
{
    if (!info)
        return;
    free(info->mean);
    free(info->deviation);
    info->mean = info->deviation = NULL;
}

static dnn_status fail(dnn_error *err, dnn_status st, const char *path, const char *what)
{
    if (err) {
        snprintf(err->message, sizeof err->message, "%s: %s", path, what);
        err->bad_index = -1;
    }
    return st;
}

/* A (rows, cols) dataset from a row-major matrix, as W and b are stored; dcpl without
 * timestamps. */
static int write_matrix(hid_t file, const char *name, int rows, int cols, hid_t dcpl,
                        const double *rowmajor)
{
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    return dnn_h5_write_doubles(file, name, 2, dims, dcpl, rowmajor);
}

/* The model's datasets and attributes; dcpl: no timestamps, so that the same model
 * always gives the same bytes. */
static int write_model(hid_t file, const dnn_params *p, const dnn_model_info *info, hid_t dcpl)
{
    int ok = 1;
    char name[32];
    for (int l = 1; ok && l <= p->L; l++) {
        snprintf(name, sizeof name, "W%d", l);
        ok = write_matrix(file, name, p->dims[l], p->dims[l - 1], dcpl, p->W[l]);
        snprintf(name, sizeof name, "b%d", l);
        ok = ok && write_matrix(file, name, p->dims[l], 1, dcpl, p->b[l]);
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
    if (info && info->dtype[0])
        ok = ok && dnn_h5_write_string(file, "dtype", info->dtype, 0);
    if (info && info->transform != DNN_INPUT_UNRECORDED)
        ok = ok && dnn_h5_write_string(file, "input_transform",
                                       dnn_input_transform_name(info->transform), 0);
    if (info && info->transform == DNN_INPUT_STANDARDIZE) {
        hsize_t n = (hsize_t)p->dims[0];
        ok = ok && dnn_h5_write_doubles(file, "input_mean", 1, &n, dcpl, info->mean);
        ok = ok && dnn_h5_write_doubles(file, "input_deviation", 1, &n, dcpl, info->deviation);
    }
    return ok;
}

/* Whether info is one dnn_model_save can write. */
static int info_valid(const dnn_model_info *info)
{
    if (!info)
        return 1;
    if (info->dtype[0] && strcmp(info->dtype, "float64") != 0 &&
        strcmp(info->dtype, "float32") != 0)
        return 0;
    if (info->transform < DNN_INPUT_UNRECORDED || info->transform > DNN_INPUT_STANDARDIZE)
        return 0;
    return info->transform != DNN_INPUT_STANDARDIZE || (info->mean && info->deviation);
}

dnn_status dnn_model_save(const char *path, const dnn_params *params, const dnn_model_info *info,
                          dnn_error *err)
{
    if (!path || !*path || !params)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path or no parameters");
    if (params->L > MAX_LAYERS)
        return fail(err, DNN_ERR_ARG, path, "too many layers to save");
    if (!info_valid(info))
        return fail(err, DNN_ERR_ARG, path, "bad dtype or input transform to save");
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    /* HDF5 builds the file in memory, after room for the seal and without timestamps (the
     * same model gives the same bytes); writing it out is then ours, so a failure at any
     * point (disk full, size limit) leaves no HDF5 handle open and the old file intact. */
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS),
          dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int ok = fcpl >= 0 && fapl >= 0 && dcpl >= 0 && H5Pset_userblock(fcpl, DNN_SEAL_SIZE) >= 0 &&
             H5Pset_obj_track_times(fcpl, 0) >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0 &&
             H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0;
    hid_t file = ok ? H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl) : -1;
    ok = file >= 0 && write_model(file, params, info, dcpl) &&
         H5Fflush(file, H5F_SCOPE_LOCAL) >= 0;
    /* the image is what HDF5 would write after the user block */
    ssize_t size = ok ? H5Fget_file_image(file, NULL, 0) : -1;
    unsigned char *bytes = size > 0 ? malloc(DNN_SEAL_SIZE + (size_t)size) : NULL;
    ok = bytes && H5Fget_file_image(file, bytes + DNN_SEAL_SIZE, (size_t)size) == size;
    if (file >= 0)
        H5Fclose(file);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    dnn_h5_quiet_end(&quiet);
    if (ok)
        dnn_seal_text(bytes, SEAL_FORMAT, MODEL_VERSION,
                      dnn_seal_fnv(DNN_SEAL_FNV_OFFSET, bytes + DNN_SEAL_SIZE, (size_t)size));
    dnn_status st = ok ? dnn_write_file_atomic(path, bytes, DNN_SEAL_SIZE + (size_t)size, err)
                       : fail(err, DNN_ERR_NOMEM, path, "building the model in memory failed");
    free(bytes);
    return st;
}

/* The seal, when the file has one: DNN_OK for a matching checksum (*sealed 1) or for a
 * model of the format before the seal (*sealed 0): no user block, the HDF5 signature at
 * the file's first byte. HDF5 data after anything else is a damaged seal; a file that is
 * no HDF5 at all is left for H5Fopen to refuse. */
static dnn_status check_seal(const char *path, int *sealed, dnn_error *err)
{
    static const unsigned char hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return fail(err, DNN_ERR_IO, path, "cannot open");
    int version = 0;
    unsigned char start[8] = {0};
    dnn_seal_result seal = dnn_seal_check(fd, SEAL_FORMAT, MODEL_VERSION, &version);
    int unsealed = seal == DNN_SEAL_NONE && pread(fd, start, sizeof start, 0) == sizeof start &&
                   memcmp(start, hdf5_signature, sizeof start) == 0;
    close(fd);
    *sealed = seal == DNN_SEAL_OK;
    if (seal == DNN_SEAL_VERSION) {
        char what[160];
        snprintf(what, sizeof what, "model format version %d; this program reads version %d",
                 version, MODEL_VERSION);
        return fail(err, DNN_ERR_DATA, path, what);
    }
    if (seal == DNN_SEAL_MISMATCH)
        return fail(err, DNN_ERR_DATA, path,
                    "checksum mismatch: the model file is damaged or truncated");
    /* HDF5 behind a user block that is no seal: a damaged seal */
    if (seal == DNN_SEAL_NONE && !unsealed && H5Fis_hdf5(path) > 0)
        return fail(err, DNN_ERR_DATA, path,
                    "no seal 'dnn-model' before the HDF5 data: the model file is damaged");
    return DNN_OK;
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

/* The recorded transform (DNN_INPUT_UNRECORDED when there is no input_transform
 * attribute), or -1 when the attribute is not one of the names. */
static int read_transform(hid_t file)
{
    if (H5Aexists(file, "input_transform") <= 0)
        return DNN_INPUT_UNRECORDED;
    char name[32] = "";
    size_t stored = dnn_h5_read_string(file, "input_transform", name, sizeof name);
    for (int t = DNN_INPUT_NONE; stored > 0 && stored <= sizeof name && t <= DNN_INPUT_STANDARDIZE;
         t++)
        if (strcmp(name, TRANSFORM_NAMES[t]) == 0)
            return t;
    return -1;
}

/* The recorded dtype ("" when there is none), or 0 when it is neither float64 nor
 * float32. */
static int read_dtype(hid_t file, char *dtype, size_t size)
{
    dtype[0] = '\0';
    if (H5Aexists(file, "dtype") <= 0)
        return 1;
    size_t stored = dnn_h5_read_string(file, "dtype", dtype, size);
    return stored > 0 && stored <= size &&
           (strcmp(dtype, "float64") == 0 || strcmp(dtype, "float32") == 0);
}

/* The transform's attributes and datasets: a known name and dtype, and with
 * "standardize" input_mean and input_deviation of n0 values stored in the file. */
static dnn_status check_transform(hid_t file, const char *path, int n0, uint64_t file_size,
                                  dnn_error *err)
{
    char dtype[16];
    int t = read_transform(file);
    if (t < 0)
        return fail(err, DNN_ERR_DATA, path,
                    "attribute input_transform is not none, scale255 or standardize");
    if (!read_dtype(file, dtype, sizeof dtype))
        return fail(err, DNN_ERR_DATA, path, "attribute dtype is not float64 or float32");
    hsize_t n = (hsize_t)n0;
    if (t == DNN_INPUT_STANDARDIZE &&
        (!dnn_h5_check_doubles(file, "input_mean", 1, &n, file_size) ||
         !dnn_h5_check_doubles(file, "input_deviation", 1, &n, file_size)))
        return fail(err, DNN_ERR_DATA, path,
                    "dataset input_mean or input_deviation missing, not of the input width or "
                    "not all stored in the file");
    return DNN_OK;
}

/* info's transform, dtype, means and deviations from the file (checked by
 * check_transform); on failure info holds no arrays. */
static dnn_status read_transform_into(hid_t file, const char *path, int n0, dnn_model_info *info,
                                      dnn_error *err)
{
    info->transform = (dnn_input_transform)read_transform(file);
    read_dtype(file, info->dtype, sizeof info->dtype);
    if (info->transform != DNN_INPUT_STANDARDIZE)
        return DNN_OK;
    hsize_t n = (hsize_t)n0;
    info->mean = malloc((size_t)n0 * sizeof *info->mean);
    info->deviation = malloc((size_t)n0 * sizeof *info->deviation);
    int ok = info->mean && info->deviation;
    if (!ok) {
        dnn_model_info_free(info);
        return fail(err, DNN_ERR_NOMEM, path, "out of memory for the input means");
    }
    ok = dnn_h5_read_doubles(file, "input_mean", 1, &n, info->mean) &&
         dnn_h5_read_doubles(file, "input_deviation", 1, &n, info->deviation);
    for (int i = 0; ok && i < n0; i++)
        ok = isfinite(info->mean[i]) && isfinite(info->deviation[i]) && info->deviation[i] > 0;
    if (!ok) {
        dnn_model_info_free(info);
        return fail(err, DNN_ERR_DATA, path,
                    "input_mean or input_deviation unreadable, not finite or a deviation <= 0");
    }
    return DNN_OK;
}

/* Opens the model file and checks its layer sizes against what it stores and against
 * the memory limit, allocating nothing. On success *file is open (the caller closes
 * it); on failure it is H5I_INVALID_HID. Call between dnn_h5_quiet_begin and _end. */
static dnn_status open_model(const char *path, hid_t *file, int *L, int *dims, int *sealed,
                             dnn_error *err)
{
    uint64_t file_size = 0;
    *file = H5I_INVALID_HID;
    dnn_status st = dnn_check_input_file(path, &file_size, err);
    if (st == DNN_OK)
        st = check_seal(path, sealed, err);
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
    else if ((st = check_transform(f, path, dims[0], file_size, err)) == DNN_OK)
        /* the parameters, and the means and deviations a standardizing model adds */
        st = dnn_check_memory(path, "the model's parameters", bytes + 16 * (uint64_t)dims[0],
                              err);
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
    int sealed;
    dnn_status st = open_model(path, &file, L, dims, &sealed, err);
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
    int L = 0, dims[MAX_LAYERS + 1], sealed = 0;
    dnn_model_info found;
    memset(&found, 0, sizeof found);
    dnn_status st = open_model(path, &file, &L, dims, &sealed, err);
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
        if (st == DNN_OK) {
            long long iterations = 0;
            unsigned seed = 0;
            /* optional: what is missing or bad stays 0 or "" */
            dnn_h5_read_attr(file, "seed", H5T_NATIVE_UINT, 1, &seed);
            dnn_h5_read_attr(file, "iterations", H5T_NATIVE_LLONG, 1, &iterations);
            dnn_h5_read_attr(file, "learning_rate", H5T_NATIVE_DOUBLE, 1, &found.learning_rate);
            dnn_h5_read_string(file, "init", found.init, sizeof found.init);
            found.seed = seed;
            found.iterations = (long)iterations;
            found.sealed = sealed;
            st = read_transform_into(file, path, dims[0], &found, err);
        }
    }
    if (st == DNN_OK && info)
        *info = found;
    else
        dnn_model_info_free(&found);
    if (st != DNN_OK)
        dnn_params_free(params);
    if (file >= 0)
        H5Fclose(file);
    dnn_h5_quiet_end(&quiet);
    return st;
}
