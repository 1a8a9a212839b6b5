#ifndef DNN_H5_UTIL_H
#define DNN_H5_UTIL_H

/* Small HDF5 helpers shared by src/io's readers and writers (checkpoint.c, model_io.c,
 * data_hdf5.c). The attribute and dataset functions return 1 on success and 0 on any
 * failure, and close every handle they open on every path. */
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* HDF5's automatic error printing, saved and turned off by begin; end clears the error
 * stack and restores the printing. Between the two, the only report of a problem is the
 * caller's own dnn_error. */
typedef struct {
    H5E_auto2_t func;
    void *data;
    int saved; /* begin could read and turn off the printing: end restores it */
} dnn_h5_quiet;

dnn_h5_quiet dnn_h5_quiet_begin(void);
void dnn_h5_quiet_end(const dnn_h5_quiet *q);

/* ---- attributes of obj (a file, group or dataset) ---- */

/* A one-dimensional attribute of n values: stored as file_type, given as mem_type. */
int dnn_h5_write_attr(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, hsize_t n,
                      const void *values);

/* A fixed-length string attribute holding value and its NUL; rank 0 stores it as a
 * scalar (model files), rank 1 as an array of one string (checkpoints). */
int dnn_h5_write_string(hid_t obj, const char *name, const char *value, int rank);

/* The number of elements of attribute name, or -1 when it is missing or unreadable. */
hssize_t dnn_h5_attr_count(hid_t obj, const char *name);

/* A numeric (integer or floating-point) attribute of exactly n elements, converted to
 * mem_type into out. */
int dnn_h5_read_attr(hid_t obj, const char *name, hid_t mem_type, hssize_t n, void *out);

/* A fixed-length string attribute of one element, into out (size >= 1 bytes): the text
 * up to its first NUL, cut to size - 1 characters. Returns the stored size in bytes
 * (with its NUL, if any: the text fits whole when that is at most size), or 0 when it is
 * missing, not such a string or unreadable. */
size_t dnn_h5_read_string(hid_t obj, const char *name, char *out, size_t size);

/* ---- datasets of doubles (stored as IEEE little-endian 64-bit) ---- */

/* A dataset of shape dims[0..rank-1] from values in row-major order; dcpl is its
 * creation property list (H5P_DEFAULT for none). */
int dnn_h5_write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, hid_t dcpl,
                         const double *values);

/* A numeric dataset of exactly the shape dims[0..rank-1], converted to double into out
 * in row-major order. */
int dnn_h5_read_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, double *out);

/* Whether the values of dataset dset are all in the file: its storage is allocated in
 * full (every chunk of a chunked dataset; HDF5 makes up fill values for what is not)
 * and takes at most file_size bytes, the size of the file on disk (a damaged or crafted
 * header can claim more). A reader
 * checks it before allocating for the dataset's shape, so that a file of a few hundred
 * bytes cannot make it allocate gigabytes. */
int dnn_h5_stored_in_file(hid_t dset, uint64_t file_size);

/* dnn_h5_read_doubles's checks without reading: the dataset exists, is numeric, has
 * exactly the shape dims[0..rank-1] and is stored in the file (dnn_h5_stored_in_file). */
int dnn_h5_check_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims,
                         uint64_t file_size);

#endif
