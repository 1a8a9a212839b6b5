/* Training checkpoints as HDF5; the format is described in include/dnn/checkpoint.h.
 *
 * A checkpoint is sealed: its first 512 bytes (an HDF5 user block, which HDF5 skips)
 * hold the format, its version and FNV-1a 64 of every byte after them. Loading checks
 * the seal before HDF5 parses anything, so a damaged or truncated file is refused
 * whatever byte was hit; then every attribute must be there with its exact size and the
 * parameter count must follow from the layer sizes. HDF5's own error printing is off
 * while these functions run. */
#include "dnn/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic_file.h"
#include "io/file_checks.h"
#include "io/file_seal.h"
#include "io/h5_util.h"

enum { SEAL_SIZE = DNN_SEAL_SIZE };
static const char SEAL_FORMAT[] = "dnn-checkpoint";
static const uint64_t FNV_OFFSET = 0xcbf29ce484222325u, FNV_PRIME = 0x100000001b3u;

__attribute__((format(printf, 4, 5))) static dnn_status fail(dnn_error *err, dnn_status st,
                                                             const char *path, const char *fmt,
                                                             ...)
{
    if (!err)
        return st;
    int used = snprintf(err->message, sizeof err->message, "%s: ", path);
    if (used >= 0 && (size_t)used < sizeof err->message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message + used, sizeof err->message - (size_t)used, fmt, ap);
        va_end(ap);
    }
    err->bad_index = -1;
    return st;
}

/* ---- FNV-1a 64 over little-endian words ---- */

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    for (int byte = 0; byte < 8; byte++) {
        h ^= (v >> (8 * byte)) & 0xffu;
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_double(uint64_t h, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return fnv_u64(h, bits);
}

static const char *reduce_name(dnn_reduce_mode mode)
{
    return mode == DNN_REDUCE_EXACT ? "exact" : mode == DNN_REDUCE_FAST ? "fast" : "unknown";
}

/* ---- data fingerprint ---- */

uint64_t dnn_dataset_hash_sum(const dnn_dataset *block)
{
    if (!block || block->m < 1)
        return 0;
    size_t n = (size_t)block->n_features;
    uint64_t sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (long j = 0; j < block->m; j++) {
        uint64_t h = fnv_u64(FNV_OFFSET, (uint64_t)(block->first + j));
        h = fnv_double(h, block->Y[j]);
        const double *x = block->X + (size_t)j * n;
        for (size_t k = 0; k < n; k++)
            h = fnv_double(h, x[k]);
        sum += h;
    }
    return sum;
}

uint64_t dnn_data_fingerprint(long m_total, int n_features, uint64_t hash_sum)
{
    uint64_t h = fnv_u64(FNV_OFFSET, (uint64_t)m_total);
    h = fnv_u64(h, (uint64_t)n_features);
    return fnv_u64(h, hash_sum);
}

/* ---- comparing a checkpoint with a run ---- */

static void format_dims(char *buf, size_t size, const dnn_checkpoint_info *ci)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int l = 0; l <= ci->L && used < size; l++)
        used += (size_t)snprintf(buf + used, size - used, "%s%d", l ? "," : "", ci->dims[l]);
}

/* The shortest of %.15g, %.16g and %.17g that reads back as x. */
static void format_double(char *buf, size_t size, double x)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

/* Appends "; " (after the first) and the formatted text. */
__attribute__((format(printf, 4, 5))) static void add_difference(char *message, size_t size,
                                                                 int *count, const char *fmt,
                                                                 ...)
{
    size_t used = strlen(message);
    if (*count > 0 && used + 2 < size) {
        memcpy(message + used, "; ", 3);
        used += 2;
    }
    (*count)++;
    if (used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message + used, size - used, fmt, ap);
    va_end(ap);
}

static const char *const optimizer_names[] = {"gd", "momentum", "adam"};

/* Dropout's keep_prob, 0 (a zeroed info) meaning none, as 1 does. */
static double keep_prob_of(const dnn_checkpoint_info *ci)
{
    return ci->keep_prob > 0 ? ci->keep_prob : 1.0;
}

int dnn_checkpoint_mismatch(const dnn_checkpoint_info *saved, const dnn_checkpoint_info *run,
                            char *message, size_t size)
{
    char scratch[8];
    if (!message || size == 0) {
        message = scratch;
        size = sizeof scratch;
    }
    message[0] = '\0';
    int n = 0;
    int same_dims = saved->L == run->L;
    for (int l = 0; same_dims && l <= run->L; l++)
        same_dims = saved->dims[l] == run->dims[l];
    if (!same_dims) {
        char a[256], b[256];
        format_dims(a, sizeof a, saved);
        format_dims(b, sizeof b, run);
        add_difference(message, size, &n, "layer sizes: checkpoint %s, this run %s", a, b);
    }
    if (strcmp(saved->dtype, run->dtype) != 0)
        add_difference(message, size, &n, "dtype: checkpoint %s, this run %s", saved->dtype,
                       run->dtype);
    if (saved->m_total != run->m_total || saved->n_features != run->n_features)
        add_difference(message, size, &n,
                       "data: checkpoint %ld examples of %d features, this run %ld of %d",
                       saved->m_total, saved->n_features, run->m_total, run->n_features);
    else if (saved->data_fingerprint != run->data_fingerprint)
        add_difference(message, size, &n,
                       "data: same shape but different values (fingerprint checkpoint "
                       "0x%016llx, this run 0x%016llx)",
                       (unsigned long long)saved->data_fingerprint,
                       (unsigned long long)run->data_fingerprint);
    if (saved->chunk != run->chunk)
        add_difference(message, size, &n, "--chunk: checkpoint %ld, this run %ld", saved->chunk,
                       run->chunk);
    if (saved->reduce != run->reduce)
        add_difference(message, size, &n, "--reduce: checkpoint %s, this run %s",
                       reduce_name(saved->reduce), reduce_name(run->reduce));
    if (saved->learning_rate != run->learning_rate) {
        char a[32], b[32];
        format_double(a, sizeof a, saved->learning_rate);
        format_double(b, sizeof b, run->learning_rate);
        add_difference(message, size, &n, "--lr: checkpoint %s, this run %s", a, b);
    }
    if (saved->update.optimizer != run->update.optimizer)
        add_difference(message, size, &n, "--optimizer: checkpoint %s, this run %s",
                       optimizer_names[saved->update.optimizer],
                       optimizer_names[run->update.optimizer]);
    const double a[6] = {saved->update.beta1, saved->update.beta2, saved->update.epsilon,
                         saved->update.l2, saved->lr_decay, (double)saved->decay_interval};
    const double b[6] = {run->update.beta1, run->update.beta2, run->update.epsilon,
                         run->update.l2, run->lr_decay, (double)run->decay_interval};
    static const char *const flags[6] = {"--beta1", "--beta2", "--epsilon", "--l2", "--lr-decay",
                                         "--decay-interval"};
    if (saved->batch_size != run->batch_size)
        add_difference(message, size, &n, "--batch-size: checkpoint %ld, this run %ld",
                       saved->batch_size, run->batch_size);
    if (saved->drop_last != run->drop_last)
        add_difference(message, size, &n, "--drop-last: checkpoint %s, this run %s",
                       saved->drop_last ? "on" : "off", run->drop_last ? "on" : "off");
    if (keep_prob_of(saved) != keep_prob_of(run)) {
        char x[32], y[32];
        format_double(x, sizeof x, keep_prob_of(saved));
        format_double(y, sizeof y, keep_prob_of(run));
        add_difference(message, size, &n, "--dropout: checkpoint %s, this run %s", x, y);
    }
    for (int k = 0; k < 6; k++)
        if (a[k] != b[k]) {
            char x[32], y[32];
            format_double(x, sizeof x, a[k]);
            format_double(y, sizeof y, b[k]);
            add_difference(message, size, &n, "%s: checkpoint %s, this run %s", flags[k], x, y);
        }
    return n;
}

/* ---- writing ---- */

/* Version 2: the update rule, its decay and its state. */
static int write_update(hid_t file, const dnn_params *p, const dnn_checkpoint_info *ci)
{
    const dnn_update_settings *u = &ci->update;
    int64_t interval = ci->decay_interval, steps = ci->update_steps;
    double values[5] = {u->beta1, u->beta2, u->epsilon, u->l2, ci->lr_decay};
    static const char *const names[5] = {"beta1", "beta2", "epsilon", "l2", "lr_decay"};
    int ok = u->optimizer >= DNN_OPT_GD && u->optimizer <= DNN_OPT_ADAM &&
             dnn_h5_write_string(file, "optimizer", optimizer_names[u->optimizer], 1);
    for (int k = 0; ok && k < 5; k++)
        ok = dnn_h5_write_attr(file, names[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &values[k]);
    ok = ok && dnn_h5_write_attr(file, "decay_interval", H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                                 &interval);
    ok = ok && dnn_h5_write_attr(file, "update_steps", H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                                 &steps);
    hsize_t count = p->count;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ok = ok && dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0;
    if (ok && u->optimizer != DNN_OPT_GD)
        ok = ci->state_v && dnn_h5_write_doubles(file, "optimizer_v", 1, &count, dcpl, ci->state_v);
    if (ok && u->optimizer == DNN_OPT_ADAM)
        ok = ci->state_s && dnn_h5_write_doubles(file, "optimizer_s", 1, &count, dcpl, ci->state_s);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return ok;
}

/* Version 2's optional fields: where a mini-batch run stands (always written), and
 * early stopping's best state (only when there is one). */
static int write_extras(hid_t file, const dnn_params *p, const dnn_checkpoint_info *ci)
{
    int64_t counts[5] = {ci->epoch, ci->epoch_position, ci->epoch_examples, ci->batch_size,
                         ci->drop_last};
    static const char *const names[5] = {"epoch", "epoch_position", "epoch_examples",
                                         "batch_size", "drop_last"};
    int ok = 1;
    for (int k = 0; ok && k < 5; k++)
        ok = dnn_h5_write_attr(file, names[k], H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &counts[k]);
    ok = ok && dnn_h5_write_attr(file, "epoch_cost_sum", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                 &ci->epoch_cost_sum);
    double keep_prob = keep_prob_of(ci);
    ok = ok && dnn_h5_write_attr(file, "keep_prob", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                 &keep_prob);
    if (!ok || !ci->best_params)
        return ok;
    int64_t best_iteration = ci->best_iteration, since = ci->prints_since_best;
    hsize_t count = p->count;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ok = dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0 &&
         dnn_h5_write_doubles(file, "best_parameters", 1, &count, dcpl, ci->best_params);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    ok = ok && dnn_h5_write_attr(file, "best_cost", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                 &ci->best_cost);
    ok = ok && dnn_h5_write_attr(file, "best_iteration", H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                                 &best_iteration);
    return ok && dnn_h5_write_attr(file, "prints_since_best", H5T_STD_I64LE, H5T_NATIVE_INT64,
                                   1, &since);
}

static int write_checkpoint(hid_t file, const dnn_params *p, const dnn_checkpoint_info *ci)
{
    int64_t next = ci->next_iteration, chunk = ci->chunk, m_total = ci->m_total;
    hsize_t count = p->count;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int ok = dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0 &&
             dnn_h5_write_doubles(file, "parameters", 1, &count, dcpl, p->arena);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    /* strings as arrays of one string (rank 1), as format version 1 has them */
    ok = ok && dnn_h5_write_attr(file, "next_iteration", H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                                 &next);
    ok = ok && dnn_h5_write_attr(file, "layer_sizes", H5T_STD_I32LE, H5T_NATIVE_INT,
                                 (hsize_t)p->L + 1, p->dims);
    ok = ok && dnn_h5_write_string(file, "dtype", ci->dtype, 1);
    ok = ok && dnn_h5_write_attr(file, "chunk", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &chunk);
    ok = ok && dnn_h5_write_string(file, "reduce", reduce_name(ci->reduce), 1);
    ok = ok && dnn_h5_write_attr(file, "learning_rate", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                 &ci->learning_rate);
    ok = ok && dnn_h5_write_attr(file, "m_total", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &m_total);
    ok = ok && dnn_h5_write_attr(file, "n_features", H5T_STD_I32LE, H5T_NATIVE_INT, 1,
                                 &ci->n_features);
    ok = ok && dnn_h5_write_attr(file, "data_fingerprint", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1,
                                 &ci->data_fingerprint);
    ok = ok && dnn_h5_write_string(file, "init", ci->init, 1);
    ok = ok && dnn_h5_write_attr(file, "seed", H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, &ci->seed);
    return ok && write_update(file, p, ci) && write_extras(file, p, ci);
}

/* DNN_OK when the seal matches the rest of the file byte for byte. Only a regular file
 * is opened (a FIFO would block, /dev/zero never end); *file_size is its size. */
static dnn_status check_seal(const char *path, int *version_out, uint64_t *file_size,
                             dnn_error *err)
{
    dnn_status st = dnn_check_input_file(path, file_size, err);
    if (st != DNN_OK)
        return st;
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return fail(err, DNN_ERR_IO, path, "cannot open: %s", strerror(errno));
    int version = 0;
    dnn_seal_result seal = dnn_seal_check(fd, SEAL_FORMAT, DNN_CHECKPOINT_VERSION, &version);
    close(fd);
    if (seal == DNN_SEAL_NONE)
        return fail(err, DNN_ERR_DATA, path, "not a dnn checkpoint");
    if (seal == DNN_SEAL_VERSION)
        return fail(err, DNN_ERR_DATA, path,
                    "checkpoint format version %d; this program reads versions 1 to %d",
                    version, DNN_CHECKPOINT_VERSION);
    if (seal == DNN_SEAL_MISMATCH)
        return fail(err, DNN_ERR_DATA, path, "checksum mismatch: damaged or truncated");
    *version_out = version;
    return DNN_OK;
}

/* The first layer (1..L) whose W or b in arena (the layout of p) holds a NaN or Inf,
 * or 0. */
static int first_nonfinite_layer_of(const dnn_params *p, const double *arena)
{
    for (int l = 1; l <= p->L; l++) {
        const double *w = arena + (p->W[l] - p->arena);
        size_t n = (size_t)p->dims[l] * ((size_t)p->dims[l - 1] + 1); /* W[l] and b[l] */
        for (size_t i = 0; i < n; i++)
            if (!isfinite(w[i]))
                return l;
    }
    return 0;
}

static int first_nonfinite_layer(const dnn_params *p)
{
    return first_nonfinite_layer_of(p, p->arena);
}

/* Writes size bytes at offset at of fd; 1 on success. */
static int pwrite_all(int fd, const unsigned char *bytes, size_t size, off_t at)
{
    while (size > 0) {
        ssize_t n = pwrite(fd, bytes, size, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        bytes += n;
        size -= (size_t)n;
        at += n;
    }
    return 1;
}

/* The checkpoint as HDF5 built in memory, so that HDF5 never opens a file by name (the
 * temporary file is ours alone: created with O_EXCL | O_NOFOLLOW), written into out's
 * temporary file after the room for the seal, then the seal. The in-memory image is
 * byte for byte what HDF5 would write after the user block. */
static dnn_status write_sealed(const dnn_atomic_file *out, const dnn_params *params,
                               const dnn_checkpoint_info *info, dnn_error *err)
{
    const char *path = out->path;
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    dnn_status st = DNN_OK;
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* room for the seal; no timestamps, so the same state always gives the same bytes */
    if (fcpl < 0 || fapl < 0 || H5Pset_userblock(fcpl, SEAL_SIZE) < 0 ||
        H5Pset_obj_track_times(fcpl, 0) < 0 || H5Pset_fapl_core(fapl, 1 << 20, 0) < 0)
        st = fail(err, DNN_ERR_IO, path, "cannot set up HDF5 file properties");
    hid_t file = st == DNN_OK ? H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl) : H5I_INVALID_HID;
    unsigned char *image = NULL;
    ssize_t size = -1;
    if (st == DNN_OK && file >= 0) {
        int ok = write_checkpoint(file, params, info) && H5Fflush(file, H5F_SCOPE_LOCAL) >= 0;
        size = ok ? H5Fget_file_image(file, NULL, 0) : -1;
        image = size > 0 ? malloc((size_t)size) : NULL;
        ok = image && H5Fget_file_image(file, image, (size_t)size) == size;
        ok = H5Fclose(file) >= 0 && ok;
        if (!ok)
            st = fail(err, DNN_ERR_NOMEM, path,
                      "out of memory building the checkpoint in memory");
        else if (!pwrite_all(out->fd, image, (size_t)size, SEAL_SIZE) ||
                 !dnn_seal_write(out->fd, SEAL_FORMAT, DNN_CHECKPOINT_VERSION))
            st = fail(err, DNN_ERR_IO, path, "writing the checkpoint failed (disk full?)");
    } else if (st == DNN_OK) {
        st = fail(err, DNN_ERR_NOMEM, path, "out of memory creating the checkpoint in memory");
    }
    free(image);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    dnn_h5_quiet_end(&quiet);
    return st;
}

/* Puts the written file in place of out->path (atomic_file.h). */
static dnn_status commit(dnn_atomic_file *out, dnn_error *err)
{
    int code;
    switch (dnn_atomic_commit(out, &code)) {
    case DNN_ATOMIC_DONE:
        return DNN_OK;
    case DNN_ATOMIC_NOT_WRITTEN:
        return fail(err, DNN_ERR_IO, out->path, "writing the checkpoint failed (disk full?)");
    case DNN_ATOMIC_NOT_RENAMED:
        return fail(err, DNN_ERR_IO, out->path, "cannot replace the checkpoint: %s",
                    dnn_atomic_strerror(out, code));
    case DNN_ATOMIC_DIR_NOT_FLUSHED:
        break;
    }
    return fail(err, DNN_ERR_IO, out->path, "cannot flush its directory to disk");
}

dnn_status dnn_checkpoint_save(const char *path, const dnn_params *params,
                               const dnn_checkpoint_info *info, dnn_error *err)
{
    if (!path || !*path || !params || !info)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path, parameters or info");
    int same = params->L == info->L && params->L <= DNN_CHECKPOINT_MAX_LAYERS;
    for (int l = 0; same && l <= params->L; l++)
        same = params->dims[l] == info->dims[l];
    if (!same)
        return fail(err, DNN_ERR_ARG, path, "the layer sizes of the parameters and info differ");
    int bad_layer = first_nonfinite_layer(params);
    if (bad_layer)
        return fail(err, DNN_ERR_NONFINITE, path,
                    "not written: parameters of layer %d are NaN or Inf", bad_layer);
    bad_layer = info->best_params ? first_nonfinite_layer_of(params, info->best_params) : 0;
    if (bad_layer)
        return fail(err, DNN_ERR_NONFINITE, path,
                    "not written: best parameters of layer %d are NaN or Inf", bad_layer);
    dnn_atomic_file out;
    int code = dnn_atomic_begin(&out, path, 0666); /* the mode HDF5 creates files with */
    dnn_status st = DNN_OK;
    if (code == ENOMEM)
        st = fail(err, DNN_ERR_NOMEM, path, "out of memory");
    else if (code == DNN_ATOMIC_NOT_REGULAR)
        st = fail(err, DNN_ERR_IO, path, "%s", dnn_atomic_strerror(&out, code));
    else if (code != 0)
        st = fail(err, DNN_ERR_IO, path, "cannot create a file in its directory: %s",
                  dnn_atomic_strerror(&out, code));
    else
        st = write_sealed(&out, params, info, err);
    if (st == DNN_OK)
        st = commit(&out, err);
    dnn_atomic_end(&out);
    return st;
}

/* ---- loading ---- */

/* An attribute of exactly one number, converted to mem_type. */
static int read_value(hid_t file, const char *name, hid_t mem_type, void *out)
{
    return dnn_h5_read_attr(file, name, mem_type, 1, out);
}

/* A fixed-length string attribute that fits in out (size bytes with its NUL). */
static int read_string(hid_t file, const char *name, char *out, size_t size)
{
    size_t len = dnn_h5_read_string(file, name, out, size);
    return len >= 1 && len <= size;
}

static int read_layer_sizes(hid_t file, dnn_checkpoint_info *ci)
{
    hssize_t n = dnn_h5_attr_count(file, "layer_sizes");
    if (n < 2 || n > DNN_CHECKPOINT_MAX_LAYERS + 1)
        return 0;
    ci->L = (int)n - 1;
    return dnn_h5_read_attr(file, "layer_sizes", H5T_NATIVE_INT, n, ci->dims);
}

static int read_parameters(hid_t file, dnn_params *p)
{
    hsize_t count = p->count;
    return dnn_h5_read_doubles(file, "parameters", 1, &count, p->arena);
}

/* What the layer sizes of ci ask for, checked before any memory is spent on them: the
 * run's sizes when run is not NULL, the dataset 'parameters' of the count they give with
 * its values in the file (so that a small file cannot make the reader allocate
 * gigabytes), and the memory limit. */
static dnn_status check_parameter_sizes(hid_t file, const char *path, uint64_t file_size,
                                        const dnn_checkpoint_info *run,
                                        const dnn_checkpoint_info *ci, dnn_error *err)
{
    int same = !run || run->L == ci->L;
    for (int l = 0; run && same && l <= ci->L; l++)
        same = run->dims[l] == ci->dims[l];
    if (!same) {
        dnn_checkpoint_info sizes = *run; /* differs from run in its layer sizes only */
        sizes.L = ci->L;
        memcpy(sizes.dims, ci->dims, sizeof sizes.dims);
        char diff[600];
        dnn_checkpoint_mismatch(&sizes, run, diff, sizeof diff);
        return fail(err, DNN_ERR_DATA, path, "made by a different run: %s", diff);
    }
    uint64_t bytes = dnn_params_bytes(ci->L, ci->dims);
    hsize_t count = (hsize_t)(bytes / 8);
    if (bytes == 0)
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: bad layer sizes");
    if (!dnn_h5_check_doubles(file, "parameters", 1, &count, file_size))
        return fail(err, DNN_ERR_DATA, path,
                    "bad checkpoint: dataset 'parameters' missing, of the wrong size or not "
                    "all stored in the file");
    return dnn_check_memory(path, "the checkpoint's parameters", bytes, err);
}

/* Reads everything into ci and *params (allocated here); see check_parameter_sizes. */
static dnn_status read_checkpoint(hid_t file, const char *path, uint64_t file_size,
                                  const dnn_checkpoint_info *run, dnn_checkpoint_info *ci,
                                  dnn_params **params, dnn_error *err)
{
    char reduce[16];
    int64_t next, chunk, m_total;
    int ok = read_value(file, "next_iteration", H5T_NATIVE_INT64, &next) &&
             read_layer_sizes(file, ci) &&
             read_string(file, "dtype", ci->dtype, sizeof ci->dtype) &&
             read_value(file, "chunk", H5T_NATIVE_INT64, &chunk) &&
             read_string(file, "reduce", reduce, sizeof reduce) &&
             read_value(file, "learning_rate", H5T_NATIVE_DOUBLE, &ci->learning_rate) &&
             read_value(file, "m_total", H5T_NATIVE_INT64, &m_total) &&
             read_value(file, "n_features", H5T_NATIVE_INT, &ci->n_features) &&
             read_value(file, "data_fingerprint", H5T_NATIVE_UINT64, &ci->data_fingerprint) &&
             read_string(file, "init", ci->init, sizeof ci->init) &&
             read_value(file, "seed", H5T_NATIVE_UINT32, &ci->seed);
    if (!ok)
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: an attribute is missing or bad");
    if (strcmp(reduce, "exact") == 0)
        ci->reduce = DNN_REDUCE_EXACT;
    else if (strcmp(reduce, "fast") == 0)
        ci->reduce = DNN_REDUCE_FAST;
    else
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: reduce mode '%s'", reduce);
    if (next < 0 || chunk < 1 || m_total < 1 || ci->n_features < 1)
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: a value is out of range");
    ci->next_iteration = (long)next;
    ci->chunk = (long)chunk;
    ci->m_total = (long)m_total;
    dnn_status st = check_parameter_sizes(file, path, file_size, run, ci, err);
    if (st != DNN_OK)
        return st;
    *params = dnn_params_new(ci->L, ci->dims);
    if (!*params)
        return fail(err, DNN_ERR_NOMEM, path, "out of memory for the checkpoint's parameters");
    if (!read_parameters(file, *params))
        return fail(err, DNN_ERR_DATA, path,
                    "bad checkpoint: dataset 'parameters' missing, unreadable or of the wrong "
                    "size");
    int bad_layer = first_nonfinite_layer(*params);
    if (bad_layer)
        return fail(err, DNN_ERR_DATA, path, "parameters of layer %d are NaN or Inf", bad_layer);
    return DNN_OK;
}

/* The state of n doubles in dataset name, allocated into *out; 0 on failure. */
static int read_state(hid_t file, const char *name, size_t n, double **out)
{
    hsize_t count = n;
    *out = malloc((n ? n : 1) * sizeof **out);
    return *out && dnn_h5_read_doubles(file, name, 1, &count, *out);
}

/* Version 2's update rule and state into ci; version 1: gradient descent, no decay. */
static dnn_status read_update(hid_t file, const char *path, int version, size_t count,
                              dnn_checkpoint_info *ci, dnn_error *err)
{
    ci->update = dnn_update_defaults();
    if (version < 2)
        return DNN_OK;
    char name[16];
    int64_t interval, steps;
    double *values[5] = {&ci->update.beta1, &ci->update.beta2, &ci->update.epsilon,
                         &ci->update.l2, &ci->lr_decay};
    static const char *const names[5] = {"beta1", "beta2", "epsilon", "l2", "lr_decay"};
    int ok = read_string(file, "optimizer", name, sizeof name) &&
             read_value(file, "decay_interval", H5T_NATIVE_INT64, &interval) &&
             read_value(file, "update_steps", H5T_NATIVE_INT64, &steps);
    for (int k = 0; ok && k < 5; k++)
        ok = read_value(file, names[k], H5T_NATIVE_DOUBLE, values[k]);
    if (!ok)
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: an update attribute is missing");
    int kind = -1;
    for (int k = 0; k < 3; k++)
        if (strcmp(name, optimizer_names[k]) == 0)
            kind = k;
    if (kind < 0 || interval < 0 || steps < 0)
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: optimizer '%s' or a value out of range",
                    name);
    ci->update.optimizer = (dnn_optimizer)kind;
    ci->decay_interval = (long)interval;
    ci->update_steps = (long)steps;
    if (kind != DNN_OPT_GD && !read_state(file, "optimizer_v", count, &ci->state_v))
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: dataset 'optimizer_v' missing or bad");
    if (kind == DNN_OPT_ADAM && !read_state(file, "optimizer_s", count, &ci->state_s))
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: dataset 'optimizer_s' missing or bad");
    return DNN_OK;
}

/* An optional attribute of one number: absent, *out keeps its default; present, it
 * must be one readable value. */
static int read_optional(hid_t file, const char *name, hid_t mem_type, void *out)
{
    htri_t exists = H5Aexists(file, name);
    return exists == 0 || (exists > 0 && read_value(file, name, mem_type, out));
}

/* Where a mini-batch run stands; 0 in files without it. */
static dnn_status read_epoch(hid_t file, const char *path, dnn_checkpoint_info *ci,
                             dnn_error *err)
{
    int64_t counts[5] = {0, 0, 0, 0, 0};
    static const char *const names[5] = {"epoch", "epoch_position", "epoch_examples",
                                         "batch_size", "drop_last"};
    double cost_sum = 0.0, keep_prob = 1.0;
    int ok = read_optional(file, "epoch_cost_sum", H5T_NATIVE_DOUBLE, &cost_sum) &&
             read_optional(file, "keep_prob", H5T_NATIVE_DOUBLE, &keep_prob);
    for (int k = 0; ok && k < 5; k++)
        ok = read_optional(file, names[k], H5T_NATIVE_INT64, &counts[k]);
    if (!ok)
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: an epoch attribute is bad");
    if (counts[0] < 0 || counts[1] < 0 || counts[2] < 0 || counts[3] < 0 || counts[3] > INT64_C(1) << 40 ||
        (counts[4] != 0 && counts[4] != 1) || !isfinite(cost_sum) || cost_sum < 0 ||
        !(keep_prob > 0 && keep_prob <= 1))
        return fail(err, DNN_ERR_DATA, path, "bad checkpoint: an epoch value is out of range");
    ci->batch_size = (long)counts[3];
    ci->drop_last = (int)counts[4];
    ci->keep_prob = keep_prob;
    ci->epoch = (long)counts[0];
    ci->epoch_position = (long)counts[1];
    ci->epoch_examples = (long)counts[2];
    ci->epoch_cost_sum = cost_sum;
    return DNN_OK;
}

/* Early stopping's state, all of it or none (then ci->best_params stays NULL). The
 * best parameters' dataset is checked like 'parameters' before memory is spent on it. */
static dnn_status read_best(hid_t file, const char *path, uint64_t file_size,
                            const dnn_params *p, dnn_checkpoint_info *ci, dnn_error *err)
{
    static const char *const names[3] = {"best_cost", "best_iteration", "prints_since_best"};
    htri_t has_dataset = H5Lexists(file, "best_parameters", H5P_DEFAULT);
    int present = has_dataset > 0, ok = has_dataset >= 0;
    for (int k = 0; k < 3; k++) {
        htri_t exists = H5Aexists(file, names[k]);
        present += exists > 0;
        ok = ok && exists >= 0;
    }
    if (ok && present == 0)
        return DNN_OK;
    if (!ok || present != 4)
        return fail(err, DNN_ERR_DATA, path,
                    "bad checkpoint: early stopping's fields are incomplete or bad");
    double cost;
    int64_t best_iteration, since;
    ok = read_value(file, names[0], H5T_NATIVE_DOUBLE, &cost) &&
         read_value(file, names[1], H5T_NATIVE_INT64, &best_iteration) &&
         read_value(file, names[2], H5T_NATIVE_INT64, &since);
    if (!ok || !isfinite(cost) || cost < 0 || best_iteration < 0 ||
        best_iteration >= ci->next_iteration || since < 0)
        return fail(err, DNN_ERR_DATA, path,
                    "bad checkpoint: an early stopping value is bad or out of range");
    hsize_t count = p->count;
    if (!dnn_h5_check_doubles(file, "best_parameters", 1, &count, file_size))
        return fail(err, DNN_ERR_DATA, path,
                    "bad checkpoint: dataset 'best_parameters' of the wrong size or not all "
                    "stored in the file");
    dnn_status st = dnn_check_memory(path, "the checkpoint's best parameters",
                                     (uint64_t)p->count * sizeof *p->arena, err);
    if (st != DNN_OK)
        return st;
    if (!read_state(file, "best_parameters", p->count, &ci->best_params))
        return fail(err, ci->best_params ? DNN_ERR_DATA : DNN_ERR_NOMEM, path,
                    "bad checkpoint: cannot read dataset 'best_parameters'");
    int bad_layer = first_nonfinite_layer_of(p, ci->best_params);
    if (bad_layer)
        return fail(err, DNN_ERR_DATA, path, "best parameters of layer %d are NaN or Inf",
                    bad_layer);
    ci->best_cost = cost;
    ci->best_iteration = (long)best_iteration;
    ci->prints_since_best = (long)since;
    return DNN_OK;
}

dnn_status dnn_checkpoint_load(const char *path, dnn_params **params, dnn_checkpoint_info *info,
                               dnn_error *err)
{
    return dnn_checkpoint_load_for(path, NULL, params, info, err);
}

dnn_status dnn_checkpoint_load_for(const char *path, const dnn_checkpoint_info *run,
                                   dnn_params **params, dnn_checkpoint_info *info,
                                   dnn_error *err)
{
    if (!path || !params || !info)
        return fail(err, DNN_ERR_ARG, path ? path : "(null)", "no path, parameters or info");
    *params = NULL;
    int version = 0;
    uint64_t file_size = 0;
    dnn_status st = check_seal(path, &version, &file_size, err);
    if (st != DNN_OK)
        return st;
    dnn_h5_quiet quiet = dnn_h5_quiet_begin();
    dnn_checkpoint_info ci;
    memset(&ci, 0, sizeof ci);
    dnn_params *p = NULL;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        st = fail(err, DNN_ERR_DATA, path, "cannot open as HDF5");
    else
        st = read_checkpoint(file, path, file_size, run, &ci, &p, err);
    if (st == DNN_OK)
        st = read_update(file, path, version, p->count, &ci, err);
    if (st == DNN_OK)
        st = read_epoch(file, path, &ci, err);
    if (st == DNN_OK)
        st = read_best(file, path, file_size, p, &ci, err);
    if (file >= 0)
        H5Fclose(file);
    dnn_h5_quiet_end(&quiet);
    if (st != DNN_OK) {
        dnn_params_free(&p);
        free(ci.state_v);
        free(ci.state_s);
        free(ci.best_params);
        return st;
    }
    *params = p;
    *info = ci;
    return DNN_OK;
}

/* The probe is what a save does first: dnn_atomic_begin checks the path and creates
 * the temporary file next to it (the name a save would take, or the next free one, as a
 * save would); dnn_atomic_end removes it. */
dnn_status dnn_check_writable(const char *path, dnn_error *err)
{
    if (!path || !*path)
        return fail(err, DNN_ERR_ARG, "(null)", "no path");
    dnn_atomic_file probe;
    int code = dnn_atomic_begin(&probe, path, 0600);
    dnn_status status = DNN_OK;
    if (code == ENOMEM)
        status = fail(err, DNN_ERR_NOMEM, path, "out of memory");
    else if (code == DNN_ATOMIC_NOT_REGULAR)
        status = fail(err, DNN_ERR_IO, path, "%s", dnn_atomic_strerror(&probe, code));
    else if (code != 0)
        status = fail(err, DNN_ERR_IO, path, "cannot create a file there: %s",
                      dnn_atomic_strerror(&probe, code));
    dnn_atomic_end(&probe); /* removes the probe */
    return status;
}
