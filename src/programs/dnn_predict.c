/* dnn-predict: applies a model saved by dnn-train to an HDF5 data set.
 *
 * One process, no MPI: the data set is read whole and the forward pass runs in blocks
 * of --batch examples (BLAS may use threads inside each block). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnn/data.h"
#include "dnn/f32.h"
#include "dnn/layers.h"
#include "dnn/model.h"
#include "dnn/model_io.h"
#include "io/atomic_file.h"
#include "io/file_checks.h"
#include "programs/cli.h"
#include "train/standardize.h"

/* Out of memory is EXIT_USAGE: the sizes come from the files given. */
enum { EXIT_USAGE = 2, EXIT_RUNTIME = 1 };
#ifndef DNN_VERSION
#define DNN_VERSION "unknown"
#endif
/* Examples per forward pass. The fixed-order products give each example the same bits
 * in any batch; with --blas system, BLAS can round one example's result differently
 * depending on how many are multiplied together (dnn-train evaluates in blocks of its
 * chunk, so --batch set to that chunk gives exactly the probabilities it saw). */
enum { DEFAULT_BATCH = 256, MAX_BATCH = 1 << 20 };

typedef struct {
    const char *model_path, *data_path, *out_path;
    const char *x_dataset, *y_dataset; /* NULL: found automatically */
    long batch;                        /* examples per forward pass */
    int scale_uint8;                   /* 0 after --no-scale */
    int no_labels;                     /* --no-labels: score only, even with labels */
    int system_blas;                   /* --blas system */
    int help, version;
} predict_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dnn-predict --model PATH --data FILE [options]\n"
            "Applies a model written by dnn-train --save to every example of FILE, with the\n"
            "input transform the model records (none, uint8 / 255, or the training set's\n"
            "means and deviations of --standardize), in the dtype it records (a model of\n"
            "--dtype f32 runs in float, as dnn-train evaluated it). With labels it prints\n"
            "'Accuracy: A', the fraction of predictions (probability > 0.5) equal to the\n"
            "label; without them (no *_y dataset, or --no-labels) it writes the CSV below,\n"
            "to stdout when there is no --out.\n\n"
            "  --model PATH          HDF5 model from dnn-train --save (required); one whose\n"
            "                        checksum does not match is refused as damaged\n"
            "  --data FILE           HDF5 data set: *_x (m,...) and, optionally, *_y (m)\n"
            "                        (required; its width must be the model's input)\n"
            "  --out PATH            write a CSV 'index,probability,prediction', one row per\n"
            "                        example (prediction: 1 when probability > 0.5, else 0);\n"
            "                        replaced only when complete\n"
            "  --x-dataset NAME      features dataset (default: the one named *_x)\n"
            "  --y-dataset NAME      labels dataset (default: the one named *_y, if any)\n"
            "  --no-labels           score only: ignore labels, print no accuracy\n"
            "  --no-scale            keep uint8 features as 0..255: only for models that do\n"
            "                        not divide by 255 (an error with one that does); models\n"
            "                        written before the transform was recorded divide by\n"
            "                        255 unless it is given, as dnn-train did\n"
            "  --batch N             examples per forward pass, 1..1048576 (default 256);\n"
            "                        with --blas fixed any gives the same probabilities;\n"
            "                        with system, only the chunk dnn-train printed does\n"
            "  --blas WHICH          system (default) | fixed: the matrix products; system:\n"
            "                        OpenBLAS, bits that are this machine's; fixed: our own\n"
            "                        in a fixed order, the same bits on every x86-64 CPU\n"
            "  --version             the version\n"
            "  --help                this text\n\n"
            "exit status: 0 scored (and wrote --out); 1 the model gave NaN or Inf, or a\n"
            "  write failed; 2 bad flags, model (damaged, or a flag contradicting it) or\n"
            "  data (no output replaced)\n\n"
            "example: dnn-predict --model model.h5 --data data/test_catvnoncat.h5 \\\n"
            "    --out predictions.csv\n");
}

/* One option (dnn_option_fn): a switch (value NULL) or a flag with its value. */
static int apply(void *ctx, const char *flag, const char *value, char *err, size_t n)
{
    predict_options *o = ctx;
    if (!value) {
        if (strcmp(flag, "--no-scale") == 0)
            o->scale_uint8 = 0;
        else if (strcmp(flag, "--no-labels") == 0)
            o->no_labels = 1;
        else if (strcmp(flag, "--version") == 0)
            o->version = 1;
        else
            o->help = 1;
        return 0;
    }
    if (!*value)
        return snprintf(err, n, "%s: expected a non-empty value", flag), 1;
    if (strcmp(flag, "--batch") == 0 && dnn_parse_long(value, 1, MAX_BATCH, &o->batch))
        return snprintf(err, n, "--batch: expected an integer from 1 to %d, got '%s'",
                        MAX_BATCH, value), 1;
    if (strcmp(flag, "--model") == 0)
        o->model_path = value;
    else if (strcmp(flag, "--data") == 0)
        o->data_path = value;
    else if (strcmp(flag, "--out") == 0)
        o->out_path = value;
    else if (strcmp(flag, "--x-dataset") == 0)
        o->x_dataset = value;
    else if (strcmp(flag, "--y-dataset") == 0)
        o->y_dataset = value;
    else if (strcmp(flag, "--blas") == 0 && strcmp(value, "fixed") == 0)
        o->system_blas = 0;
    else if (strcmp(flag, "--blas") == 0 && strcmp(value, "system") == 0)
        o->system_blas = 1;
    else if (strcmp(flag, "--blas") == 0)
        return snprintf(err, n, "--blas: expected fixed or system, got '%s'", value), 1;
    return 0;
}

/* Fills o from argv; on a bad flag or a missing value returns non-zero with a message. */
static int parse_options(int argc, char **argv, predict_options *o, char *err, size_t n)
{
    static const char *const switches[] = {"--help",      "-h",        "--no-scale",
                                           "--no-labels", "--version", NULL};
    static const char *const valued[] = {"--batch",     "--model",     "--data", "--out",
                                         "--x-dataset", "--y-dataset", "--blas", NULL};
    static const dnn_option_set options = {
        .switches = switches, .valued = valued, .name_size = 32, .apply = apply};
    memset(o, 0, sizeof *o);
    o->scale_uint8 = 1;
    o->system_blas = 1; /* as dnn-train's default */
    o->batch = DEFAULT_BATCH;
    if (dnn_parse_options(argc, argv, &options, o, err, n))
        return 1;
    if (o->help || o->version)
        return 0;
    if (!o->model_path)
        return snprintf(err, n, "--model PATH is required (see --help)"), 1;
    if (!o->data_path)
        return snprintf(err, n, "--data FILE is required (see --help)"), 1;
    return 0;
}

static int all_finite(const dnn_params *p)
{
    for (size_t i = 0; i < p->count; i++)
        if (!isfinite(p->arena[i]))
            return 0;
    return 1;
}

/* A model trained with --dtype f32 predicts as dnn-train evaluated it: parameters and
 * examples rounded to float, the checked float forward pass (hidden pre-activations
 * near 0 recomputed in double), the probability float AL widened. */
static int forward_all_f32(const dnn_params *params, const dnn_dataset *data, long batch,
                           double *probability)
{
    int capacity = data->m < batch ? (int)data->m : (int)batch;
    size_t n = (size_t)data->n_features, units = 0;
    for (int l = 1; l <= params->L; l++)
        units += (size_t)params->dims[l];
    dnn_params_f32 *p32 = dnn_params_f32_new(params->L, params->dims);
    dnn_cache_f32 *cache = p32 ? dnn_cache_new_f32(p32, capacity) : NULL;
    double *row_norms = malloc(units * sizeof *row_norms);
    float *X32 = malloc((size_t)capacity * n * sizeof *X32);
    int rc = p32 && cache && row_norms && X32 &&
                     dnn_params_f32_round_norms(p32, params, row_norms) == DNN_OK
                 ? 0
                 : EXIT_USAGE;
    if (rc != 0)
        fprintf(stderr, "dnn-predict: error: out of memory for a float block of %d examples\n",
                capacity);
    for (long first = 0; rc == 0 && first < data->m; first += capacity) {
        int cols = data->m - first < capacity ? (int)(data->m - first) : capacity;
        const double *X = data->X + (size_t)first * n;
        for (size_t i = 0; i < (size_t)cols * n; i++)
            X32[i] = (float)X[i];
        dnn_status st = dnn_L_model_forward_f32_checked(p32, params, row_norms, X32, X, NULL,
                                                        cols, cache, NULL);
        if (st != DNN_OK) {
            fprintf(stderr, "dnn-predict: error: forward pass of examples [%ld, %ld): %s\n",
                    first, first + cols, dnn_status_string(st));
            rc = EXIT_RUNTIME;
            break;
        }
        const float *AL = cache->A[params->L];
        for (int j = 0; j < cols && rc == 0; j++) {
            if (!isfinite(AL[j])) {
                fprintf(stderr, "dnn-predict: error: the model's output for example %ld is %g\n",
                        first + j, (double)AL[j]);
                rc = EXIT_RUNTIME;
            }
            probability[first + j] = AL[j];
        }
    }
    free(X32);
    free(row_norms);
    dnn_cache_free_f32(&cache);
    dnn_params_f32_free(&p32);
    return rc;
}

/* probability[j] = the model's output AL for example j of data. */
static int forward_all(const dnn_params *params, const dnn_dataset *data, long batch,
                       double *probability)
{
    int capacity = data->m < batch ? (int)data->m : (int)batch;
    dnn_cache *cache = dnn_cache_new(params, capacity);
    if (!cache) {
        fprintf(stderr, "dnn-predict: error: out of memory for a block of %d examples\n",
                capacity);
        return EXIT_USAGE;
    }
    int rc = 0;
    for (long first = 0; rc == 0 && first < data->m; first += capacity) {
        int cols = data->m - first < capacity ? (int)(data->m - first) : capacity;
        const double *X = data->X + (size_t)first * (size_t)data->n_features;
        dnn_status st = dnn_L_model_forward(params, X, cols, cache);
        if (st != DNN_OK) {
            fprintf(stderr, "dnn-predict: error: forward pass of examples [%ld, %ld): %s\n",
                    first, first + cols, dnn_status_string(st));
            rc = EXIT_RUNTIME;
            break;
        }
        const double *AL = cache->A[params->L];
        for (int j = 0; j < cols; j++) {
            if (!isfinite(AL[j])) {
                fprintf(stderr, "dnn-predict: error: the model's output for example %ld is %g\n",
                        first + j, AL[j]);
                rc = EXIT_RUNTIME;
                break;
            }
            probability[first + j] = AL[j];
        }
    }
    dnn_cache_free(&cache);
    return rc;
}

/* The --out file while it is written: a temporary file next to path (io/atomic_file.h),
 * renamed over path only when complete, so path either stays as it was or holds the
 * whole table. */
typedef struct {
    dnn_atomic_file file; /* file.path is NULL when there is no --out */
    FILE *f;              /* writes through a duplicate of file.fd; NULL when closed */
} csv_output;

/* Ends the output whatever happened: closes the stream, removes the temporary file
 * unless it was renamed over the path. */
static void csv_abort(csv_output *out)
{
    if (out->f)
        fclose(out->f);
    dnn_atomic_end(&out->file);
    *out = (csv_output){.file = {.fd = -1}};
}

/* Creates the temporary file before any work, so a bad --out fails early. */
static int csv_begin(csv_output *out, const char *path)
{
    *out = (csv_output){.file = {.fd = -1}};
    if (!path)
        return 0;
    /* begin refuses a directory, device, FIFO or socket at path */
    int code = dnn_atomic_begin(&out->file, path, 0666), rc = 0;
    if (code == ENOMEM) {
        fprintf(stderr, "dnn-predict: error: out of memory\n");
        rc = EXIT_USAGE;
    } else if (code == DNN_ATOMIC_NOT_REGULAR) {
        fprintf(stderr, "dnn-predict: error: --out: %s %s\n", path,
                dnn_atomic_strerror(&out->file, code));
        rc = EXIT_USAGE;
    } else if (code != 0) {
        fprintf(stderr, "dnn-predict: error: --out: cannot create a file next to %s: %s\n",
                path, dnn_atomic_strerror(&out->file, code));
        rc = EXIT_USAGE;
    } else {
        int fd = dup(out->file.fd);
        if (fd < 0 || !(out->f = fdopen(fd, "w"))) {
            fprintf(stderr, "dnn-predict: error: --out: %s: %s\n", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            rc = EXIT_USAGE;
        }
    }
    if (rc != 0)
        csv_abort(out);
    return rc;
}

/* The table: a header and one row per example. 1 when every write succeeded. */
static int write_table(FILE *f, const double *probability, long m)
{
    int ok = fprintf(f, "index,probability,prediction\n") > 0;
    for (long j = 0; ok && j < m; j++)
        ok = fprintf(f, "%ld,%.17g,%d\n", j, probability[j], probability[j] > 0.5) > 0;
    return fflush(f) == 0 && ok;
}

/* Writes the table and puts it in place of the path, flushed to disk. */
static int csv_finish(csv_output *out, const double *probability, long m)
{
    if (!out->f)
        return 0;
    int ok = write_table(out->f, probability, m);
    ok = fclose(out->f) == 0 && ok;
    out->f = NULL;
    int code = 0;
    dnn_atomic_result result = ok ? dnn_atomic_commit(&out->file, &code) : DNN_ATOMIC_NOT_WRITTEN;
    /* an unflushed directory is no failure: not all file systems allow it */
    ok = result == DNN_ATOMIC_DONE || result == DNN_ATOMIC_DIR_NOT_FLUSHED;
    if (!ok)
        fprintf(stderr, "dnn-predict: error: --out: %s: %s\n", out->file.path,
                result == DNN_ATOMIC_NOT_RENAMED ? dnn_atomic_strerror(&out->file, code)
                                                 : "writing it failed (disk full?)");
    csv_abort(out);
    return ok ? 0 : EXIT_USAGE;
}

/* Loads the model and checks it; info gets what it records. */
static int load_model(const predict_options *o, dnn_params **params, dnn_model_info *info)
{
    dnn_error err = {"", -1};
    dnn_status st = dnn_model_load(o->model_path, params, info, &err);
    if (st != DNN_OK) {
        fprintf(stderr, "dnn-predict: error: %s\n", err.message);
        return EXIT_USAGE;
    }
    if (!all_finite(*params)) {
        fprintf(stderr, "dnn-predict: error: %s: the model has NaN or Inf parameters\n",
                o->model_path);
        dnn_params_free(params);
        dnn_model_info_free(info);
        return EXIT_USAGE;
    }
    if (!info->sealed)
        fprintf(stderr,
                "dnn-predict: note: %s has no checksum (a model written before models were "
                "sealed): it is used unverified\n",
                o->model_path);
    return 0;
}

/* Whether uint8 features are divided by 255, as the model says; 0 with a message when
 * a flag contradicts it. */
static int input_scaling(const predict_options *o, const dnn_model_info *info, int *scale)
{
    switch (info->transform) {
    case DNN_INPUT_UNRECORDED: /* an older model: the flag decides, as before */
        fprintf(stderr,
                "dnn-predict: note: %s does not record its input transform (an older "
                "model): uint8 features are %s\n",
                o->model_path, o->scale_uint8 ? "divided by 255 (--no-scale keeps them)"
                                              : "kept as 0..255 (--no-scale)");
        *scale = o->scale_uint8;
        return 1;
    case DNN_INPUT_SCALE255:
        if (!o->scale_uint8) {
            fprintf(stderr,
                    "dnn-predict: error: --no-scale contradicts the model %s, trained on uint8 "
                    "features divided by 255 (input_transform scale255): leave it out\n",
                    o->model_path);
            return 0;
        }
        *scale = 1;
        return 1;
    default: /* none, standardize: the values as stored (uint8 as 0..255) */
        *scale = 0;
        return 1;
    }
}

/* The data file's reading options: the model's scaling, labels only if present. */
static dnn_h5_options h5_options(const predict_options *o, int scale)
{
    return (dnn_h5_options){o->x_dataset, o->y_dataset, scale,
                            o->no_labels ? DNN_LABELS_IGNORED : DNN_LABELS_IF_PRESENT};
}

/* Loads every example of the data file, whose width must be the model's input width,
 * and transforms it as the model says. */
static int load_data(const predict_options *o, const dnn_params *params,
                     const dnn_model_info *info, int scale, dnn_dataset *data)
{
    dnn_error err = {"", -1};
    dnn_h5_options h5 = h5_options(o, scale);
    long m = 0;
    int n = 0;
    dnn_status st = dnn_h5_probe(o->data_path, &h5, &m, &n, &err);
    if (st == DNN_OK && n != params->dims[0]) {
        fprintf(stderr,
                "dnn-predict: error: %s has %d features per example, but the model %s takes "
                "%d inputs\n",
                o->data_path, n, o->model_path, params->dims[0]);
        return EXIT_USAGE;
    }
    if (st == DNN_OK)
        st = dnn_h5_load(o->data_path, &h5, 0, m, data, &err);
    if (st != DNN_OK) {
        fprintf(stderr, "dnn-predict: error: %s\n", err.message);
        return EXIT_USAGE;
    }
    if (info->transform == DNN_INPUT_STANDARDIZE) /* the training set's statistics */
        dnn_standardize(data, info->mean, info->deviation);
    return 0;
}

/* a * b + c, or UINT64_MAX when that overflows */
static uint64_t mul_add(uint64_t a, uint64_t b, uint64_t c)
{
    if (b != 0 && a > (UINT64_MAX - c) / b)
        return UINT64_MAX;
    return a * b + c;
}

/* Before anything is allocated: the model's and the data's sizes (read without loading
 * them), the model's input width against the data's, and the memory of the whole run
 * (parameters, examples as doubles and 8-bit codes, predictions, a block's activations)
 * against the limit (io/file_checks.h). */
static int check_sizes(const predict_options *o)
{
    dnn_error err = {"", -1};
    int L = 0, dims[DNN_MODEL_MAX_LAYERS + 1], n = 0;
    long m = 0;
    dnn_h5_options h5 = h5_options(o, o->scale_uint8);
    dnn_status st = dnn_model_probe(o->model_path, &L, dims, &err);
    if (st == DNN_OK)
        st = dnn_h5_probe(o->data_path, &h5, &m, &n, &err);
    if (st != DNN_OK) {
        fprintf(stderr, "dnn-predict: error: %s\n", err.message);
        return EXIT_USAGE;
    }
    if (n != dims[0]) {
        fprintf(stderr,
                "dnn-predict: error: %s has %d features per example, but the model %s takes "
                "%d inputs\n",
                o->data_path, n, o->model_path, dims[0]);
        return EXIT_USAGE;
    }
    uint64_t columns = (uint64_t)(m < o->batch ? m : o->batch), widths = 0, widest = 0;
    for (int l = 0; l <= L; l++) {
        widths += l > 0 ? (uint64_t)dims[l] : 0;
        widest = (uint64_t)dims[l] > widest ? (uint64_t)dims[l] : widest;
    }
    /* dnn_cache_new: Z and A of every layer, two work arrays of the widest */
    uint64_t need = mul_add(columns, 16 * (widths + widest), dnn_params_bytes(L, dims));
    need = mul_add((uint64_t)m, 9 * (uint64_t)n + 16, need); /* X, codes, Y, predictions */
    char what[600];
    snprintf(what, sizeof what, "the model and %ld examples of %d features", m, n);
    if (dnn_check_memory(o->data_path, what, need == UINT64_MAX ? 0 : need, &err) != DNN_OK) {
        fprintf(stderr, "dnn-predict: error: %s\n", err.message);
        return EXIT_USAGE;
    }
    return 0;
}

/* The names of --out and of the file it is the same as (dev and inode), or NULL. */
static const char *same_as_out(const predict_options *o, const char **flag)
{
    if (!o->out_path)
        return NULL;
    if (dnn_same_file(o->out_path, o->model_path))
        return *flag = "--model", o->model_path;
    if (dnn_same_file(o->out_path, o->data_path))
        return *flag = "--data", o->data_path;
    return NULL;
}

static int run(const predict_options *o)
{
    const char *flag = NULL, *input = same_as_out(o, &flag);
    if (input) {
        fprintf(stderr,
                "dnn-predict: error: --out %s is the same file as %s %s: an output never "
                "replaces an input\n",
                o->out_path, flag, input);
        return EXIT_USAGE;
    }
    csv_output out;
    int rc = csv_begin(&out, o->out_path);
    if (rc != 0)
        return rc;
    dnn_params *params = NULL;
    dnn_model_info info = {.transform = DNN_INPUT_UNRECORDED};
    dnn_dataset data = {0};
    double *probability = NULL;
    int scale = 1;
    rc = check_sizes(o);
    if (rc == 0)
        rc = load_model(o, &params, &info);
    if (rc == 0 && !input_scaling(o, &info, &scale))
        rc = EXIT_USAGE;
    if (rc == 0)
        rc = load_data(o, params, &info, scale, &data);
    if (rc == 0 && !(probability = malloc((size_t)data.m * sizeof *probability))) {
        fprintf(stderr, "dnn-predict: error: out of memory for %ld predictions\n", data.m);
        rc = EXIT_USAGE;
    }
    if (rc == 0 && strcmp(info.dtype, "float32") == 0)
        rc = forward_all_f32(params, &data, o->batch, probability);
    else if (rc == 0)
        rc = forward_all(params, &data, o->batch, probability);
    if (rc == 0)
        rc = csv_finish(&out, probability, data.m);
    csv_abort(&out);
    /* printed last: on any failure stdout stays empty */
    int ok = 1;
    if (rc == 0 && data.Y) {
        long correct = 0;
        for (long j = 0; j < data.m; j++)
            correct += (probability[j] > 0.5 ? 1.0 : 0.0) == data.Y[j];
        ok = printf("Accuracy: %.17g\n", (double)correct / (double)data.m) >= 0 &&
             fflush(stdout) == 0;
    } else if (rc == 0 && !o->out_path) { /* no labels and no --out: the table to stdout */
        ok = write_table(stdout, probability, data.m);
    }
    if (!ok) {
        fprintf(stderr, "dnn-predict: error: writing to stdout failed\n");
        rc = EXIT_RUNTIME;
    }
    free(probability);
    dnn_dataset_free(&data);
    dnn_params_free(&params);
    dnn_model_info_free(&info);
    return rc;
}

int main(int argc, char **argv)
{
    predict_options o;
    char err[512];
    if (parse_options(argc, argv, &o, err, sizeof err) != 0) {
        fprintf(stderr, "dnn-predict: error: %s\n", err);
        return EXIT_USAGE;
    }
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("dnn-predict %s\n", DNN_VERSION);
        return 0;
    }
    dnn_use_system_blas(o.system_blas);
    return run(&o);
}
