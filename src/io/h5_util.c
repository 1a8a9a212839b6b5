#include "io/h5_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dnn_h5_quiet dnn_h5_quiet_begin(void)
{
    dnn_h5_quiet q = {NULL, NULL, 0};
    if (H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data) >= 0 &&
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL) >= 0)
        q.saved = 1;
    return q;
}

void dnn_h5_quiet_end(const dnn_h5_quiet *q)
{
    if (!q->saved)
        return;
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* ---- attributes ---- */

/* Creates attribute name over space and writes value; closes space. */
static int write_attr_in(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                         hid_t space, const void *value)
{
    hid_t attr = space >= 0 ? H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT)
                            : H5I_INVALID_HID;
    int ok = attr >= 0 && H5Awrite(attr, mem_type, value) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    return ok;
}

int dnn_h5_write_attr(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, hsize_t n,
                      const void *values)
{
    return write_attr_in(obj, name, file_type, mem_type, H5Screate_simple(1, &n, NULL), values);
}

int dnn_h5_write_string(hid_t obj, const char *name, const char *value, int rank)
{
    hsize_t one = 1;
    hid_t type = H5Tcopy(H5T_C_S1);
    int ok = type >= 0 && H5Tset_size(type, strlen(value) + 1) >= 0;
    hid_t space = !ok ? H5I_INVALID_HID
                  : rank == 0 ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(1, &one, NULL);
    ok = ok && write_attr_in(obj, name, type, type, space, value);
    if (type >= 0)
        H5Tclose(type);
    return ok;
}

/* The attribute, or H5I_INVALID_HID when it is missing or cannot be opened. */
static hid_t open_attr(hid_t obj, const char *name)
{
    return H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : H5I_INVALID_HID;
}

static hssize_t attr_count(hid_t attr)
{
    hid_t space = H5Aget_space(attr);
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0)
        H5Sclose(space);
    return n;
}

hssize_t dnn_h5_attr_count(hid_t obj, const char *name)
{
    hid_t attr = open_attr(obj, name);
    if (attr < 0)
        return -1;
    hssize_t n = attr_count(attr);
    H5Aclose(attr);
    return n;
}

int dnn_h5_read_attr(hid_t obj, const char *name, hid_t mem_type, hssize_t n, void *out)
{
    hid_t attr = open_attr(obj, name);
    if (attr < 0)
        return 0;
    hid_t type = H5Aget_type(attr);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int ok = attr_count(attr) == n && (cls == H5T_INTEGER || cls == H5T_FLOAT) &&
             H5Aread(attr, mem_type, out) >= 0;
    if (type >= 0)
        H5Tclose(type);
    H5Aclose(attr);
    return ok;
}

size_t dnn_h5_read_string(hid_t obj, const char *name, char *out, size_t size)
{
    hid_t attr = open_attr(obj, name);
    if (attr < 0)
        return 0;
    hid_t type = H5Aget_type(attr);
    int ok = type >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0 &&
             attr_count(attr) == 1;
    size_t len = ok ? H5Tget_size(type) : 0;
    /* read as stored (no conversion), with a NUL after it in case it has none */
    char *text = len > 0 ? calloc(len + 1, 1) : NULL;
    ok = text && H5Aread(attr, type, text) >= 0;
    if (ok)
        snprintf(out, size, "%s", text);
    free(text);
    if (type >= 0)
        H5Tclose(type);
    H5Aclose(attr);
    return ok ? len : 0;
}

/* ---- datasets of doubles ---- */

int dnn_h5_write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, hid_t dcpl,
                         const double *values)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t set = space >= 0 ? H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                                        H5P_DEFAULT)
                           : H5I_INVALID_HID;
    int ok = set >= 0 &&
             H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0;
    if (set >= 0)
        H5Dclose(set);
    if (space >= 0)
        H5Sclose(space);
    return ok;
}

/* Whether space is simple with exactly the shape dims[0..rank-1]. */
static int has_shape(hid_t space, int rank, const hsize_t *dims)
{
    hsize_t found[H5S_MAX_RANK];
    if (rank < 1 || rank > H5S_MAX_RANK || H5Sget_simple_extent_ndims(space) != rank ||
        H5Sget_simple_extent_dims(space, found, NULL) != rank)
        return 0;
    for (int k = 0; k < rank; k++)
        if (found[k] != dims[k])
            return 0;
    return 1;
}

/* Whether every chunk of a chunked dataset is in the file. H5Dget_space_status does not
 * tell: it compares the bytes stored with the shape's, which compressed chunks never
 * reach. Without H5Dget_num_chunks (HDF5 before 1.10.5) only the size is checked. */
static int all_chunks_allocated(hid_t dset, hid_t dcpl)
{
#if H5_VERSION_GE(1, 10, 5)
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], expected = 1, found = 0;
    hid_t space = H5Dget_space(dset);
    int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
    int ok = rank >= 0 && H5Pget_chunk(dcpl, rank, chunk) == rank &&
             H5Dget_num_chunks(dset, space, &found) >= 0;
    for (int k = 0; ok && k < rank; k++) {
        hsize_t n = chunk[k] ? (dims[k] + chunk[k] - 1) / chunk[k] : 0;
        ok = n > 0 && expected <= (hsize_t)-1 / n;
        expected = ok ? expected * n : 0;
    }
    if (space >= 0)
        H5Sclose(space);
    return ok && found == expected;
#else
    (void)dset;
    (void)dcpl;
    return 1;
#endif
}

/* A compact dataset keeps its values in its header; libhdf5 1.10 reads one whose stored
 * bytes are fewer than its shape's from past its buffer, or from NULL when there are
 * none (H5VM_memcpyvv under H5Dread): found by the fuzzers of the model and checkpoint
 * readers (tests/fuzz/regressions/). Its stored bytes must be exactly its shape's. */
static int compact_holds_its_shape(hid_t dset)
{
    hid_t type = H5Dget_type(dset), space = H5Dget_space(dset);
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    size_t size = type >= 0 ? H5Tget_size(type) : 0;
    int ok = n >= 0 && size > 0 && (hsize_t)n <= (hsize_t)-1 / size &&
             H5Dget_storage_size(dset) == (hsize_t)n * size;
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return ok;
}

int dnn_h5_stored_in_file(hid_t dset, uint64_t file_size)
{
    hid_t dcpl = H5Dget_create_plist(dset);
    H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    H5D_space_status_t status;
    int ok = 1;
    if (layout == H5D_CHUNKED)
        ok = all_chunks_allocated(dset, dcpl);
    else if (layout == H5D_CONTIGUOUS)
        ok = H5Dget_space_status(dset, &status) >= 0 && status == H5D_SPACE_STATUS_ALLOCATED;
    else if (layout == H5D_COMPACT)
        ok = compact_holds_its_shape(dset);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    /* compact values live in the header; virtual ones in other files */
    return ok && (uint64_t)H5Dget_storage_size(dset) <= file_size;
}

/* The dataset name of loc when it is numeric, of exactly the shape dims[0..rank-1] and
 * (when stored is not NULL) stored in a file of *stored bytes; else H5I_INVALID_HID. */
static hid_t open_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims,
                          const uint64_t *stored)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return H5I_INVALID_HID;
    hid_t set = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = set >= 0 ? H5Dget_space(set) : H5I_INVALID_HID;
    hid_t type = set >= 0 ? H5Dget_type(set) : H5I_INVALID_HID;
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int ok = space >= 0 && (cls == H5T_INTEGER || cls == H5T_FLOAT) &&
             has_shape(space, rank, dims) &&
             (!stored || dnn_h5_stored_in_file(set, *stored));
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (!ok && set >= 0)
        H5Dclose(set);
    return ok ? set : H5I_INVALID_HID;
}

int dnn_h5_check_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims,
                         uint64_t file_size)
{
    hid_t set = open_doubles(loc, name, rank, dims, &file_size);
    if (set < 0)
        return 0;
    H5Dclose(set);
    return 1;
}

int dnn_h5_read_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, double *out)
{
    hid_t set = open_doubles(loc, name, rank, dims, NULL);
    int ok = set >= 0 && H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
    if (set >= 0)
        H5Dclose(set);
    return ok;
}
