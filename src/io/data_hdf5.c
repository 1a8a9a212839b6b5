/* HDF5 loader for the course's layout: X (m, d1, d2, ...) and Y (m), (1, m) or (m, 1).
 *
 * Every public function turns HDF5's automatic error printing off while it runs and
 * restores it before returning, so the only report of a problem is our dnn_error.
 * Every hid_t opened here is closed on every path (h5_source owns them all). */
#include "dnn/data.h"

#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file_checks.h"
#include "io/h5_util.h"

/* The X and Y datasets of one open file, with their validated shapes. */
typedef struct {
    const char *path;
    dnn_error *err;
    uint64_t file_size;         /* bytes on disk */
    hid_t file, x, y;           /* H5I_INVALID_HID when not open */
    const char *x_name, *y_name;
    char *x_found, *y_found;    /* auto-detected names (owned) */
    int x_rank;
    hsize_t x_dims[H5S_MAX_RANK];
    int y_rank;
    hsize_t y_dims[H5S_MAX_RANK];
    int y_axis;                 /* the axis of Y that runs over examples */
    int x_uint8;                /* X is stored as unsigned 8-bit integers */
    int x_bool, y_bool;         /* stored as h5py's booleans (is_h5py_bool) */
    long m_total;
    int n_features;
} h5_source;

/* Examples as runs of consecutive indices: [first[r], first[r] + length[r]). */
typedef struct {
    long n;
    long *first, *length;
} run_list;

static void runs_free(run_list *runs)
{
    free(runs->first);
    free(runs->length);
    runs->first = runs->length = NULL;
    runs->n = 0;
}

/* The runs of index (count > 0, strictly increasing); 0 when out of memory. */
static int runs_of(const long *index, long count, run_list *runs)
{
    runs->n = 0;
    runs->first = malloc((size_t)count * sizeof *runs->first);
    runs->length = malloc((size_t)count * sizeof *runs->length);
    if (!runs->first || !runs->length) {
        runs_free(runs);
        return 0;
    }
    for (long j = 0; j < count; j++) {
        if (runs->n > 0 && index[j] == runs->first[runs->n - 1] + runs->length[runs->n - 1]) {
            runs->length[runs->n - 1]++;
        } else {
            runs->first[runs->n] = index[j];
            runs->length[runs->n++] = 1;
        }
    }
    return 1;
}

/* A short list of names for messages: 'a', 'b', ... */
typedef struct {
    char text[160];
    int full;
} name_list;

typedef struct {
    const char *suffix;
    int matches;
    char *first_match; /* owned */
    int nomem;
    name_list matched; /* datasets whose name ends in suffix */
    name_list all;     /* every dataset at the root */
} name_search;

static const dnn_h5_options default_options = {NULL, NULL, 1, DNN_LABELS_REQUIRED};

static void error_reset(dnn_error *err)
{
    err->message[0] = '\0';
    err->bad_index = -1;
}

/* Writes "path: " or "path: dataset 'name': " and then the formatted text. */
__attribute__((format(printf, 6, 7))) static dnn_status
fail(dnn_error *err, dnn_status status, long bad_index, const char *path, const char *dataset,
     const char *fmt, ...)
{
    size_t size = sizeof err->message;
    int used = dataset ? snprintf(err->message, size, "%s: dataset '%s': ", path, dataset)
                       : snprintf(err->message, size, "%s: ", path);
    if (used >= 0 && (size_t)used < size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message + used, size - (size_t)used, fmt, ap);
        va_end(ap);
    }
    err->bad_index = bad_index;
    return status;
}

static char *copy_string(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static void name_list_add(name_list *list, const char *name)
{
    if (list->full)
        return;
    size_t used = strlen(list->text), room = sizeof list->text - used;
    const char *sep = used ? ", " : "";
    /* keep room for a final ", ..." */
    if (strlen(sep) + strlen(name) + 2 + 6 >= room) {
        snprintf(list->text + used, room, "%s...", sep);
        list->full = 1;
        return;
    }
    snprintf(list->text + used, room, "%s'%s'", sep, name);
}

/* "(209, 64, 64, 3)" */
static void format_dims(char *buf, size_t size, int rank, const hsize_t *dims)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < rank && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", k ? ", " : "",
                                 (unsigned long long)dims[k]);
    if (used < size)
        snprintf(buf + used, size - used, ")");
}

static herr_t visit_root_link(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    name_search *search = data;
    hid_t obj = H5Oopen(group, name, H5P_DEFAULT);
    if (obj < 0)
        return 0; /* a dangling link: no data set behind it */
    int is_dataset = H5Iget_type(obj) == H5I_DATASET;
    H5Oclose(obj);
    if (!is_dataset)
        return 0;
    name_list_add(&search->all, name);
    if (!ends_with(name, search->suffix))
        return 0;
    name_list_add(&search->matched, name);
    if (search->matches++ == 0) {
        search->first_match = copy_string(name);
        if (!search->first_match) {
            search->nomem = 1;
            return -1;
        }
    }
    return 0;
}

/* The one dataset at the root whose name ends in suffix; *found is owned by the caller.
 * With allow_none, no such dataset is no error: *found is then NULL. */
static dnn_status find_by_suffix(h5_source *s, const char *suffix, int allow_none, char **found)
{
    name_search search = {.suffix = suffix};
    hsize_t idx = 0;
    herr_t rc = H5Literate(s->file, H5_INDEX_NAME, H5_ITER_INC, &idx, visit_root_link, &search);
    if (search.nomem) {
        free(search.first_match);
        return fail(s->err, DNN_ERR_NOMEM, -1, s->path, NULL, "out of memory");
    }
    if (rc < 0) {
        free(search.first_match);
        return fail(s->err, DNN_ERR_IO, -1, s->path, NULL, "cannot list the root group");
    }
    if (search.matches == 1) {
        *found = search.first_match;
        return DNN_OK;
    }
    free(search.first_match);
    if (search.matches == 0 && allow_none) {
        *found = NULL;
        return DNN_OK;
    }
    if (search.matches == 0)
        return fail(s->err, DNN_ERR_DATA, -1, s->path, NULL,
                    "no dataset whose name ends in '%s' (datasets at the root: %s)", suffix,
                    search.all.text[0] ? search.all.text : "none");
    return fail(s->err, DNN_ERR_DATA, -1, s->path, NULL,
                "%d datasets whose names end in '%s' (%s); name the one to use", search.matches,
                suffix, search.matched.text);
}

static dnn_status open_dataset(h5_source *s, const char *name, hid_t *dset)
{
    htri_t exists = H5Lexists(s->file, name, H5P_DEFAULT);
    hid_t obj = exists > 0 ? H5Oopen(s->file, name, H5P_DEFAULT) : H5I_INVALID_HID;
    if (obj < 0)
        return fail(s->err, DNN_ERR_DATA, -1, s->path, name, "not found");
    H5I_type_t type = H5Iget_type(obj);
    if (type != H5I_DATASET) {
        H5Oclose(obj);
        return fail(s->err, DNN_ERR_DATA, -1, s->path, NULL, "'%s' is a %s, not a dataset", name,
                    type == H5I_GROUP ? "group" : type == H5I_DATATYPE ? "named datatype"
                                                                        : "non-dataset object");
    }
    *dset = obj;
    return DNN_OK;
}

static const char *class_name(H5T_class_t cls)
{
    switch (cls) {
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "variable-length";
    case H5T_OPAQUE: return "opaque";
    case H5T_BITFIELD: return "bitfield";
    case H5T_REFERENCE: return "reference";
    case H5T_TIME: return "time";
    default: return "unknown";
    }
}

/* The value of member name of an enum type as a long long; 0 when there is none. */
static int enum_value(hid_t type, const char *name, long long *value)
{
    hid_t base = H5Tget_super(type);
    unsigned char buf[16] = {0}; /* H5Tconvert works in place: room for both types */
    int ok = base >= 0 && H5Tget_class(base) == H5T_INTEGER && H5Tget_size(base) <= sizeof buf &&
             H5Tenum_valueof(type, name, buf) >= 0 &&
             H5Tconvert(base, H5T_NATIVE_LLONG, 1, buf, NULL, H5P_DEFAULT) >= 0;
    if (base >= 0)
        H5Tclose(base);
    if (ok)
        memcpy(value, buf, sizeof *value);
    return ok;
}

/* How h5py stores numpy's bool: an enum over an integer whose two members are
 * FALSE = 0 and TRUE = 1. */
static int is_h5py_bool(hid_t type)
{
    long long f = -1, t = -1;
    return H5Tget_class(type) == H5T_ENUM && H5Tget_nmembers(type) == 2 &&
           enum_value(type, "FALSE", &f) && enum_value(type, "TRUE", &t) && f == 0 && t == 1;
}

/* Integers and floating point, which HDF5 converts to double, and h5py's booleans,
 * which read_slab reads as 0 and 1. */
static dnn_status check_numeric(h5_source *s, hid_t dset, const char *name, int *is_uint8,
                                int *is_bool)
{
    hid_t type = H5Dget_type(dset);
    if (type < 0)
        return fail(s->err, DNN_ERR_IO, -1, s->path, name, "cannot read its type");
    H5T_class_t cls = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    H5T_sign_t sign = cls == H5T_INTEGER ? H5Tget_sign(type) : H5T_SGN_ERROR;
    *is_bool = is_h5py_bool(type);
    H5Tclose(type);
    *is_uint8 = 0;
    if (*is_bool)
        return DNN_OK;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        return fail(s->err, DNN_ERR_DATA, -1, s->path, name,
                    "type is %s, not an integer or floating-point number", class_name(cls));
    *is_uint8 = cls == H5T_INTEGER && size == 1 && sign == H5T_SGN_NONE;
    return DNN_OK;
}

/* dims (H5S_MAX_RANK); rank 0 for a scalar or null dataspace. */
static dnn_status read_shape(h5_source *s, hid_t dset, const char *name, int *rank,
                             hsize_t *dims)
{
    hid_t space = H5Dget_space(dset);
    if (space < 0)
        return fail(s->err, DNN_ERR_IO, -1, s->path, name, "cannot read its shape");
    H5S_class_t cls = H5Sget_simple_extent_type(space);
    int r = cls == H5S_SIMPLE ? H5Sget_simple_extent_ndims(space) : 0;
    if (r > 0 && H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        r = -1;
    H5Sclose(space);
    if (cls == H5S_NO_CLASS || r < 0)
        return fail(s->err, DNN_ERR_IO, -1, s->path, name, "cannot read its shape");
    *rank = r;
    return DNN_OK;
}

static dnn_status check_x(h5_source *s)
{
    const char *name = s->x_name;
    dnn_status st = check_numeric(s, s->x, name, &s->x_uint8, &s->x_bool);
    if (st == DNN_OK)
        st = read_shape(s, s->x, name, &s->x_rank, s->x_dims);
    if (st != DNN_OK)
        return st;
    char shape[256];
    format_dims(shape, sizeof shape, s->x_rank, s->x_dims);
    if (s->x_rank < 2)
        return fail(s->err, DNN_ERR_DATA, -1, s->path, name,
                    "shape %s has rank %d; expected (examples, features...) of rank 2 or more",
                    shape, s->x_rank);
    if (s->x_dims[0] == 0)
        return fail(s->err, DNN_ERR_DATA, -1, s->path, name, "shape %s has no examples", shape);
    if (s->x_dims[0] > (hsize_t)LONG_MAX)
        return fail(s->err, DNN_ERR_DATA, -1, s->path, name, "shape %s has too many examples",
                    shape);
    for (int k = 1; k < s->x_rank; k++)
        if (s->x_dims[k] == 0)
            return fail(s->err, DNN_ERR_DATA, -1, s->path, name, "shape %s has no features",
                        shape);
    hsize_t n = 1;
    for (int k = 1; k < s->x_rank; k++) {
        if (s->x_dims[k] > (hsize_t)INT_MAX / n)
            return fail(s->err, DNN_ERR_DATA, -1, s->path, name,
                        "shape %s has more than %d features per example", shape, INT_MAX);
        n *= s->x_dims[k];
    }
    s->m_total = (long)s->x_dims[0];
    s->n_features = (int)n;
    return DNN_OK;
}

static dnn_status check_y(h5_source *s)
{
    const char *name = s->y_name;
    int is_uint8;
    dnn_status st = check_numeric(s, s->y, name, &is_uint8, &s->y_bool);
    if (st == DNN_OK)
        st = read_shape(s, s->y, name, &s->y_rank, s->y_dims);
    if (st != DNN_OK)
        return st;
    char shape[256];
    format_dims(shape, sizeof shape, s->y_rank, s->y_dims);
    if (s->y_rank == 1)
        s->y_axis = 0;
    else if (s->y_rank == 2 && s->y_dims[0] == 1)
        s->y_axis = 1;
    else if (s->y_rank == 2 && s->y_dims[1] == 1)
        s->y_axis = 0;
    else
        return fail(s->err, DNN_ERR_DATA, -1, s->path, name,
                    "shape %s is not (m), (1, m) or (m, 1)", shape);
    hsize_t m = s->y_dims[s->y_axis];
    if (m != (hsize_t)s->m_total)
        return fail(s->err, DNN_ERR_DATA, -1, s->path, name,
                    "%llu labels but dataset '%s' has %ld examples", (unsigned long long)m,
                    s->x_name, s->m_total);
    return DNN_OK;
}

/* A compact dataset keeps its values inside its header. HDF5 1.10 trusts the shape when
 * reading one and, in a damaged file whose stored values are shorter than the shape
 * says, copies from past its buffer or from NULL (tests/fuzz/known_issues/): the stored
 * size must be exactly the shape's. */
static dnn_status check_compact_size(h5_source *s, hid_t dset, const char *name, int rank,
                                     const hsize_t *dims)
{
    hid_t dcpl = H5Dget_create_plist(dset);
    if (dcpl < 0)
        return fail(s->err, DNN_ERR_IO, -1, s->path, name, "cannot read its storage layout");
    H5D_layout_t layout = H5Pget_layout(dcpl);
    H5Pclose(dcpl);
    if (layout != H5D_COMPACT)
        return DNN_OK;
    hid_t type = H5Dget_type(dset);
    hsize_t need = type >= 0 ? (hsize_t)H5Tget_size(type) : 0;
    if (type >= 0)
        H5Tclose(type);
    for (int k = 0; k < rank && need > 0; k++)
        need = dims[k] <= (hsize_t)-1 / need ? need * dims[k] : 0; /* 0: overflow */
    hsize_t stored = H5Dget_storage_size(dset);
    if (need == 0 || stored != need)
        return fail(s->err, DNN_ERR_IO, -1, s->path, name,
                    "damaged HDF5 file: %llu bytes of compact data for a shape of %llu bytes",
                    (unsigned long long)stored, (unsigned long long)need);
    return DNN_OK;
}

/* The dataset's values are all in the file (h5_util.h): a header claiming more than the
 * file holds, or a dataset never written, is refused before memory is spent on its
 * shape. */
static dnn_status check_stored(h5_source *s, hid_t dset, const char *name)
{
    if (dnn_h5_stored_in_file(dset, s->file_size))
        return DNN_OK;
    return fail(s->err, DNN_ERR_DATA, -1, s->path, name,
                "its values are not all stored in the file (damaged, or never written; %llu "
                "bytes stored in a file of %llu)",
                (unsigned long long)H5Dget_storage_size(dset),
                (unsigned long long)s->file_size);
}

static void source_close(h5_source *s)
{
    if (s->x >= 0)
        H5Oclose(s->x);
    if (s->y >= 0)
        H5Oclose(s->y);
    if (s->file >= 0)
        H5Fclose(s->file);
    free(s->x_found);
    free(s->y_found);
    s->x = s->y = s->file = H5I_INVALID_HID;
    s->x_found = s->y_found = NULL;
}

/* Opens the file and both datasets and validates their types and shapes.
 * The caller calls source_close whatever the result. */
static dnn_status source_open(h5_source *s, const char *path, const dnn_h5_options *opts,
                              dnn_error *err)
{
    *s = (h5_source){.path = path, .err = err};
    s->file = s->x = s->y = H5I_INVALID_HID;

    /* a FIFO, device or directory is refused before it is opened */
    dnn_status st = dnn_check_input_file(path, &s->file_size, err);
    if (st != DNN_OK)
        return st;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, DNN_ERR_IO, -1, path, NULL, "cannot open: %s", strerror(errno));
    fclose(f);
    if (H5Fis_hdf5(path) <= 0)
        return fail(err, DNN_ERR_IO, -1, path, NULL, "cannot open: not an HDF5 file");
    s->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (s->file < 0)
        return fail(err, DNN_ERR_IO, -1, path, NULL,
                    "cannot open: damaged or truncated HDF5 file");

    if (opts->x_name)
        s->x_name = opts->x_name;
    else if ((st = find_by_suffix(s, "_x", 0, &s->x_found)) == DNN_OK)
        s->x_name = s->x_found;
    if (st != DNN_OK)
        return st;
    /* y_name stays NULL when the labels are ignored, or optional and there are none */
    if (opts->labels == DNN_LABELS_IGNORED)
        ;
    else if (opts->y_name)
        s->y_name = opts->y_name;
    else if ((st = find_by_suffix(s, "_y", opts->labels == DNN_LABELS_IF_PRESENT,
                                  &s->y_found)) == DNN_OK)
        s->y_name = s->y_found;
    if (st != DNN_OK)
        return st;

    if ((st = open_dataset(s, s->x_name, &s->x)) != DNN_OK || (st = check_x(s)) != DNN_OK ||
        (st = check_compact_size(s, s->x, s->x_name, s->x_rank, s->x_dims)) != DNN_OK ||
        (st = check_stored(s, s->x, s->x_name)) != DNN_OK)
        return st;
    if (s->y_name &&
        ((st = open_dataset(s, s->y_name, &s->y)) != DNN_OK || (st = check_y(s)) != DNN_OK ||
         (st = check_compact_size(s, s->y, s->y_name, s->y_rank, s->y_dims)) != DNN_OK ||
         (st = check_stored(s, s->y, s->y_name)) != DNN_OK))
        return st;
    return DNN_OK;
}

/* h5py's boolean type in memory: HDF5 converts one enum to another by member names. */
static hid_t bool_memory_type(void)
{
    signed char no = 0, yes = 1;
    hid_t type = H5Tenum_create(H5T_NATIVE_SCHAR);
    if (type >= 0 && (H5Tenum_insert(type, "FALSE", &no) < 0 ||
                      H5Tenum_insert(type, "TRUE", &yes) < 0)) {
        H5Tclose(type);
        type = H5I_INVALID_HID;
    }
    return type;
}

/* Selects in space the examples of runs (sorted, disjoint): axis `axis` of the
 * dataset runs over examples, the other axes are taken whole (dims). */
static int select_runs(hid_t space, int rank, const hsize_t *dims, int axis, const run_list *runs)
{
    hsize_t start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++)
        count[k] = dims[k];
    for (long r = 0; r < runs->n; r++) {
        start[axis] = (hsize_t)runs->first[r];
        count[axis] = (hsize_t)runs->length[r];
        if (H5Sselect_hyperslab(space, r == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, start, NULL,
                                count, NULL) < 0)
            return 0;
    }
    return 1;
}

/* Reads the examples of runs from dset (whose axis `axis` runs over examples) into
 * count_all doubles, in the file's row-major order; is_bool: dset holds h5py's
 * booleans. */
static dnn_status read_slab(h5_source *s, hid_t dset, const char *name, int rank,
                            const hsize_t *dims, int axis, const run_list *runs,
                            hsize_t count_all, int is_bool, double *buf)
{
    hid_t file_space = H5Dget_space(dset);
    hid_t mem_space = H5Screate_simple(1, &count_all, NULL);
    hid_t mem_type = is_bool ? bool_memory_type() : H5T_NATIVE_DOUBLE;
    herr_t rc = -1;
    if (file_space >= 0 && mem_space >= 0 && mem_type >= 0 &&
        select_runs(file_space, rank, dims, axis, runs))
        rc = H5Dread(dset, mem_type, mem_space, file_space, H5P_DEFAULT, buf);
    if (rc >= 0 && is_bool) {
        /* one byte each at the front of buf, widened from the last: double i covers
         * bytes [8i, 8i + 8), none of the bytes 0..i-1 still to be read */
        const signed char *bytes = (const signed char *)buf;
        for (hsize_t i = count_all; i-- > 0;)
            buf[i] = bytes[i];
    }
    if (is_bool && mem_type >= 0)
        H5Tclose(mem_type);
    if (mem_space >= 0)
        H5Sclose(mem_space);
    if (file_space >= 0)
        H5Sclose(file_space);
    if (rc < 0)
        return fail(s->err, DNN_ERR_IO, -1, s->path, name,
                    "cannot read examples [%ld, %ld)", runs->first[0],
                    runs->first[runs->n - 1] + runs->length[runs->n - 1]);
    return DNN_OK;
}

/* Labels exactly 0 or 1 and features finite; reports the first bad example, example j
 * being first + j, or index[j]. */
static dnn_status validate(h5_source *s, long first, const long *index, long count, double *X,
                           double *Y)
{
    size_t n = (size_t)s->n_features;
    for (long j = 0; j < count; j++) {
        long at = index ? index[j] : first + j;
        double y = Y ? Y[j] : 0.0;
        if (y != 0.0 && y != 1.0)
            return fail(s->err, DNN_ERR_DATA, at, s->path, s->y_name,
                        "label %.17g at example %ld is not 0 or 1", y, at);
        if (Y)
            Y[j] = y == 0.0 ? 0.0 : 1.0; /* no -0.0 */
        const double *x = X + (size_t)j * n;
        for (size_t k = 0; k < n; k++) {
            if (!isfinite(x[k]))
                return fail(s->err, DNN_ERR_DATA, at, s->path, s->x_name,
                            "feature %zu of example %ld is %s", k, at,
                            isnan(x[k]) ? "NaN" : x[k] > 0 ? "+Inf" : "-Inf");
        }
    }
    return DNN_OK;
}

/* Examples [first, first + count), or (index not NULL) the count examples index[j]. */
static dnn_status read_examples(h5_source *s, const dnn_h5_options *opts, long first,
                                const long *index, long count, dnn_dataset *out)
{
    size_t n = (size_t)s->n_features;
    /* X and Y in double, and the 8-bit codes; 0: more than can be allocated */
    uint64_t per_example = 8 * (uint64_t)n + 8 + (s->x_uint8 && opts->scale_uint8 ? n : 0);
    uint64_t need = (uint64_t)count <= UINT64_MAX / per_example ? (uint64_t)count * per_example
                                                                 : 0;
    if (need > SIZE_MAX)
        need = 0;
    char what[96];
    snprintf(what, sizeof what, "%ld examples of %zu features", count, n);
    dnn_status st = dnn_check_memory(s->path, what, need, s->err);
    if (st != DNN_OK)
        return st;
    int labels = s->y >= 0;
    double *X = malloc((size_t)count * n * sizeof *X);
    double *Y = labels ? malloc((size_t)count * sizeof *Y) : NULL;
    if (!X || (labels && !Y)) {
        free(X);
        free(Y);
        return fail(s->err, DNN_ERR_NOMEM, -1, s->path, s->x_name,
                    "out of memory for %ld examples of %zu features", count, n);
    }

    run_list runs = {1, &first, &count};
    if (index && !runs_of(index, count, &runs))
        st = fail(s->err, DNN_ERR_NOMEM, -1, s->path, s->x_name, "out of memory");
    if (st == DNN_OK)
        st = read_slab(s, s->x, s->x_name, s->x_rank, s->x_dims, 0, &runs,
                       (hsize_t)count * (hsize_t)n, s->x_bool, X);
    if (st == DNN_OK && labels)
        st = read_slab(s, s->y, s->y_name, s->y_rank, s->y_dims, s->y_axis, &runs,
                       (hsize_t)count, s->y_bool, Y);
    if (index)
        runs_free(&runs);
    uint8_t *codes = NULL;
    if (st == DNN_OK && s->x_uint8 && opts->scale_uint8) {
        size_t total = (size_t)count * n;
        /* without memory for the codes, the doubles alone serve */
        codes = malloc(total);
        for (size_t i = 0; i < total; i++) {
            if (codes)
                codes[i] = (uint8_t)X[i];
            X[i] = X[i] / 255.0; /* X[i] holds (double)v exactly: numpy's v / 255. */
        }
    }
    if (st == DNN_OK)
        st = validate(s, first, index, count, X, Y);
    long *owned_index = index ? malloc((size_t)count * sizeof *owned_index) : NULL;
    if (st == DNN_OK && index && !owned_index)
        st = fail(s->err, DNN_ERR_NOMEM, -1, s->path, s->x_name, "out of memory");
    if (st != DNN_OK) {
        free(X);
        free(Y);
        free(codes);
        free(owned_index);
        return st;
    }
    if (index)
        memcpy(owned_index, index, (size_t)count * sizeof *owned_index);
    *out = (dnn_dataset){.n_features = s->n_features, .m_total = s->m_total,
                         .first = index ? 0 : first, .m = count, .X = X, .Y = Y,
                         .X_codes = codes, .index = owned_index};
    return DNN_OK;
}

dnn_status dnn_h5_probe(const char *path, const dnn_h5_options *opts, long *m_total,
                        int *n_features, dnn_error *err)
{
    dnn_error scratch;
    if (!err)
        err = &scratch;
    error_reset(err);
    if (!path || !m_total || !n_features)
        return fail(err, DNN_ERR_ARG, -1, path ? path : "(null)", NULL,
                    "dnn_h5_probe: NULL argument");
    if (!opts)
        opts = &default_options;

    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    h5_source s;
    dnn_status st = source_open(&s, path, opts, err);
    if (st == DNN_OK) {
        *m_total = s.m_total;
        *n_features = s.n_features;
    }
    source_close(&s);
    dnn_h5_quiet_end(&quiet);
    return st;
}

dnn_status dnn_h5_load(const char *path, const dnn_h5_options *opts, long first, long count,
                       dnn_dataset *out, dnn_error *err)
{
    dnn_error scratch;
    if (!err)
        err = &scratch;
    error_reset(err);
    if (out)
        *out = (dnn_dataset){0};
    if (!path || !out)
        return fail(err, DNN_ERR_ARG, -1, path ? path : "(null)", NULL,
                    "dnn_h5_load: NULL argument");
    if (!opts)
        opts = &default_options;

    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    h5_source s;
    dnn_status st = source_open(&s, path, opts, err);
    if (st == DNN_OK && (first < 0 || count < 1 || first >= s.m_total ||
                         count > s.m_total - first))
        st = fail(err, DNN_ERR_ARG, -1, path, s.x_name,
                  "first %ld, count %ld: need first >= 0, count >= 1 and first + count <= %ld "
                  "(the example count)",
                  first, count, s.m_total);
    if (st == DNN_OK)
        st = read_examples(&s, opts, first, NULL, count, out);
    source_close(&s);
    dnn_h5_quiet_end(&quiet);
    return st;
}

/* ---- a file kept open for reading chosen examples (mini-batches) ---- */

struct dnn_h5_reader {
    h5_source source;
    dnn_h5_options opts;
    char *path;
    dnn_error open_err; /* the source's err while no call is under way */
};

dnn_status dnn_h5_reader_open(const char *path, const dnn_h5_options *opts,
                              dnn_h5_reader **reader, dnn_error *err)
{
    dnn_error scratch;
    if (!err)
        err = &scratch;
    error_reset(err);
    if (!path || !reader)
        return fail(err, DNN_ERR_ARG, -1, path ? path : "(null)", NULL,
                    "dnn_h5_reader_open: NULL argument");
    *reader = NULL;
    dnn_h5_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return fail(err, DNN_ERR_NOMEM, -1, path, NULL, "out of memory");
    }
    r->opts = opts ? *opts : default_options;
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    dnn_status st = source_open(&r->source, r->path, &r->opts, err);
    dnn_h5_quiet_end(&quiet);
    r->source.err = &r->open_err;
    if (st != DNN_OK) {
        dnn_h5_reader_close(&r);
        return st;
    }
    *reader = r;
    return DNN_OK;
}

dnn_status dnn_h5_reader_load(dnn_h5_reader *r, const long *index, long count,
                              dnn_dataset *out, dnn_error *err)
{
    dnn_error scratch;
    if (!err)
        err = &scratch;
    error_reset(err);
    if (out)
        *out = (dnn_dataset){0};
    if (!r || !index || !out || count < 1)
        return fail(err, DNN_ERR_ARG, -1, r ? r->path : "(null)", NULL,
                    "dnn_h5_reader_load: bad argument");
    for (long j = 0; j < count; j++)
        if (index[j] < 0 || index[j] >= r->source.m_total || (j > 0 && index[j] <= index[j - 1]))
            return fail(err, DNN_ERR_ARG, -1, r->path, r->source.x_name,
                        "example indices must increase within [0, %ld)", r->source.m_total);
    r->source.err = err;
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    dnn_status st = read_examples(&r->source, &r->opts, 0, index, count, out);
    dnn_h5_quiet_end(&quiet);
    r->source.err = &r->open_err;
    return st;
}

void dnn_h5_reader_close(dnn_h5_reader **reader)
{
    if (!reader || !*reader)
        return;
    dnn_h5_reader *r = *reader;
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    source_close(&r->source);
    dnn_h5_quiet_end(&quiet);
    free(r->path);
    free(r);
    *reader = NULL;
}
