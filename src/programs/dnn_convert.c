/* dnn-convert: a CSV file, two .npy files or an .npz archive to the HDF5 layout that
 * dnn-train and dnn-predict read (PREFIX_x, PREFIX_y); with --no-labels the features
 * alone (PREFIX_x, for dnn-predict), from a CSV file, one .npy file or an .npz archive. One process; the readers of
 * src/io/convert_*.c stream in blocks, so a file larger than memory converts. The
 * output is written under a temporary name and renamed over the path only when
 * complete (io/atomic_file.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/atomic_file.h"
#include "io/convert.h"
#include "io/file_checks.h"
#include "programs/cli.h"

#ifndef DNN_VERSION
#define DNN_VERSION "unknown"
#endif

enum { EXIT_USAGE = 2, EXIT_RUNTIME = 1 };

typedef enum { INPUT_CSV, INPUT_NPY, INPUT_NPZ } input_kind; /* INPUT_NPY: 1 or 2 files */

typedef struct {
    const char *paths[3]; /* the positional arguments */
    int n_paths;
    const char *label, *x_key, *y_key, *prefix;
    char delimiter;       /* 0: by the input's name (tab for .tsv, else ',') */
    int header;           /* -1 auto, 0, 1 */
    int header_flags;     /* how many of --header, --no-header were given */
    int no_labels;        /* --no-labels: features only, no PREFIX_y */
    dnn_convert_type type;
    int help, version;
} convert_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dnn-convert DATA.csv OUT.h5 [--label NAME|N] [--delimiter C]\n"
            "                   [--header | --no-header] [--name PREFIX] [--dtype TYPE]\n"
            "       dnn-convert X.npy Y.npy OUT.h5 [--name PREFIX] [--dtype TYPE]\n"
            "       dnn-convert DATA.npz OUT.h5 [--x KEY] [--y KEY] [--name PREFIX] [--dtype TYPE]\n"
            "       dnn-convert DATA.csv|X.npy|DATA.npz OUT.h5 --no-labels [options above]\n"
            "Writes the HDF5 layout dnn-train and dnn-predict read: PREFIX_x (m, features...)\n"
            "and PREFIX_y (m,) uint8 0/1. Reads in blocks: a file larger than memory converts.\n"
            "OUT is replaced only when complete; it may not be one of the inputs.\n\n"
            "CSV: one example per row; the label column holds 0/1 or true/false, every other\n"
            "column a finite number. Fields may be quoted (\"...\") but not span lines.\n"
            "  --label NAME|N        the label column: a header name, or its number N from 1\n"
            "                        (-1 the last; an integer is always a number)\n"
            "                        (default: the last column)\n"
            "  --delimiter C         one character, or 'tab' (default ',', tab for .tsv)\n"
            "  --header, --no-header the first row is (not) column names (default: a header\n"
            "                        when the first row has a field that is no number)\n"
            "numpy: X (m, d1, ...) of float32/64, int8..64, uint8..64 or bool in C order, Y\n"
            "(m,), (m, 1) or (1, m) of 0/1 or bool; np.save, np.savez, np.savez_compressed.\n"
            "  --x KEY, --y KEY      the .npz members (default: X or *_x, Y or *_y, any case;\n"
            "                        or arr_0 and arr_1 when they are the only two)\n"
            "all\n"
            "  --no-labels           unlabelled data, for dnn-predict: PREFIX_x only; every\n"
            "                        CSV column is a feature (no --label), one .npy file, or\n"
            "                        the .npz's features member (--x; no --y)\n"
            "  --name PREFIX         dataset names PREFIX_x, PREFIX_y (default train_set)\n"
            "  --dtype TYPE          auto (default: uint8 for numpy uint8, else float64) |\n"
            "                        float64 | uint8 (integers 0..255; dnn-train divides\n"
            "                        them by 255 unless --no-scale)\n"
            "  --help, --version\n\n"
            "example:\n"
            "  dnn-convert heart.csv heart.h5 --label target\n"
            "  dnn-train --train heart.h5 --layers auto,8,1 --lr 0.1 --save heart_model.h5\n"
            "  dnn-convert new_patients.csv new.h5 --no-labels\n"
            "  dnn-predict --model heart_model.h5 --data new.h5\n\n"
            "exit status: 0 written (one summary line on stdout); 2 bad flags, an input that\n"
            "cannot be read or holds a bad value (the message names the line and column, or\n"
            "the example and feature), or an output that cannot be written (OUT is then left\n"
            "as it was); 1 the summary could not be printed (OUT is written).\n");
}

static int parse_delimiter(const char *value, char *out)
{
    if (strcmp(value, "tab") == 0 || strcmp(value, "\\t") == 0)
        return *out = '\t', 0;
    /* quotes, line ends and what a number is made of cannot separate fields */
    if (strlen(value) != 1 || strchr("\"\r\n.+-", value[0]) ||
        (value[0] >= '0' && value[0] <= '9') || (value[0] | 32) == 'e')
        return 1;
    *out = value[0];
    return 0;
}

/* One option (see cli.h's dnn_option_fn). */
static int apply(void *ctx, const char *flag, const char *value, char *err, size_t n)
{
    convert_options *o = ctx;
    if (!value) {
        if (strcmp(flag, "--no-labels") == 0) {
            o->no_labels = 1;
        } else if (strcmp(flag, "--header") == 0 || strcmp(flag, "--no-header") == 0) {
            o->header = flag[2] == 'h';
            o->header_flags++;
        } else if (strcmp(flag, "--version") == 0) {
            o->version = 1;
        } else {
            o->help = 1;
        }
        return 0;
    }
    if (!*value)
        return snprintf(err, n, "%s: expected a non-empty value", flag), 1;
    if (strcmp(flag, "--delimiter") == 0 && parse_delimiter(value, &o->delimiter))
        return snprintf(err, n, "--delimiter: expected one character (not a quote, digit, "
                        "'.', '+', '-' or 'e') or 'tab', got '%s'", value), 1;
    if (strcmp(flag, "--dtype") == 0) {
        if (strcmp(value, "auto") == 0)
            o->type = DNN_CONVERT_AUTO;
        else if (strcmp(value, "float64") == 0)
            o->type = DNN_CONVERT_FLOAT64;
        else if (strcmp(value, "uint8") == 0)
            o->type = DNN_CONVERT_UINT8;
        else
            return snprintf(err, n, "--dtype: expected auto, float64 or uint8, got '%s'",
                            value), 1;
    }
    if (strcmp(flag, "--name") == 0 && (strchr(value, '/') || strlen(value) > 200))
        return snprintf(err, n, "--name: expected a dataset name without '/', got '%.60s'",
                        value), 1;
    if (strcmp(flag, "--label") == 0)
        o->label = value;
    else if (strcmp(flag, "--x") == 0)
        o->x_key = value;
    else if (strcmp(flag, "--y") == 0)
        o->y_key = value;
    else if (strcmp(flag, "--name") == 0)
        o->prefix = value;
    return 0;
}

/* Options anywhere, positional paths in order; "--" ends the options. */
static int parse_options(int argc, char **argv, convert_options *o, char *err, size_t n)
{
    static const char *const switches[] = {"--help",      "-h",          "--version",
                                           "--header",    "--no-header", "--no-labels",
                                           NULL};
    static const char *const valued[] = {"--label", "--delimiter", "--x",    "--y",
                                         "--name",  "--dtype",     NULL};
    *o = (convert_options){.prefix = "train_set", .header = -1, .type = DNN_CONVERT_AUTO};
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value;
        char name[32];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            int rc = dnn_read_option(argc, argv, &i, switches, valued, name, sizeof name,
                                     &value, err, n);
            if (rc == 0)
                rc = apply(o, name, value, err, n);
            if (rc != 0)
                return rc;
        } else if (o->n_paths == 3) {
            return snprintf(err, n, "too many files: '%s' (see --help)", arg), 1;
        } else {
            o->paths[o->n_paths++] = arg;
        }
    }
    if (o->header_flags > 1)
        return snprintf(err, n, "--header and --no-header: give one"), 1;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

/* What the paths are, and whether the options fit them. */
static int check_usage(convert_options *o, input_kind *kind, char *err, size_t n)
{
    if (o->n_paths < 2)
        return snprintf(err, n, "expected DATA.csv OUT.h5, X.npy Y.npy OUT.h5 or DATA.npz "
                        "OUT.h5 (see --help)"), 1;
    const char *in = o->paths[0], *out = o->paths[o->n_paths - 1];
    *kind = o->n_paths == 3 || ends_with(in, ".npy") ? INPUT_NPY
            : ends_with(in, ".npz")                  ? INPUT_NPZ
                                                     : INPUT_CSV;
    if (o->no_labels && o->n_paths == 3)
        return snprintf(err, n, "--no-labels takes one .npy file, the features: X.npy OUT.h5 "
                        "--no-labels"), 1;
    if (*kind == INPUT_NPY && o->n_paths == 2 && !o->no_labels)
        return snprintf(err, n, "%s: an .npy file holds one array; give the features and "
                        "the labels: X.npy Y.npy OUT.h5 (or X.npy OUT.h5 --no-labels)", in), 1;
    if (o->no_labels && o->label)
        return snprintf(err, n, "--label and --no-labels: give one (without labels every "
                        "column is a feature)"), 1;
    if (o->no_labels && o->y_key)
        return snprintf(err, n, "--y and --no-labels: give one (without labels only the "
                        "features, --x, are read)"), 1;
    static const char *const input_like[] = {".csv", ".tsv", ".txt", ".npy", ".npz", NULL};
    for (int k = 0; input_like[k]; k++)
        if (ends_with(out, input_like[k]))
            return snprintf(err, n, "the output %s looks like an input (%s); the output is an "
                            "HDF5 file such as out.h5 (is a file missing?)", out,
                            input_like[k]), 1;
    int csv_flags = o->label || o->delimiter || o->header_flags;
    if (*kind != INPUT_CSV && csv_flags)
        return snprintf(err, n, "--label, --delimiter, --header and --no-header apply to CSV "
                        "input only"), 1;
    if (*kind != INPUT_NPZ && (o->x_key || o->y_key))
        return snprintf(err, n, "--x and --y apply to .npz input only"), 1;
    if (!o->delimiter)
        o->delimiter = ends_with(in, ".tsv") ? '\t' : ',';
    return 0;
}

/* Creates the temporary file next to path; 0 or an exit status after a message. */
static int output_begin(dnn_atomic_file *f, const char *path)
{
    int code = dnn_atomic_begin(f, path, 0666); /* the mode HDF5 creates files with */
    if (code == 0)
        return 0;
    if (code == ENOMEM)
        fprintf(stderr, "dnn-convert: error: out of memory\n");
    else if (code == DNN_ATOMIC_NOT_REGULAR)
        fprintf(stderr, "dnn-convert: error: %s %s\n", path, dnn_atomic_strerror(f, code));
    else
        fprintf(stderr, "dnn-convert: error: cannot create a file next to %s: %s\n", path,
                dnn_atomic_strerror(f, code));
    return EXIT_USAGE;
}

/* Puts the written file in place of the path, flushed to disk. */
static int output_commit(dnn_atomic_file *f)
{
    int code = 0;
    dnn_atomic_result result = dnn_atomic_commit(f, &code);
    /* an unflushed directory is no failure: not all file systems allow it */
    if (result == DNN_ATOMIC_DONE || result == DNN_ATOMIC_DIR_NOT_FLUSHED)
        return 0;
    fprintf(stderr, "dnn-convert: error: %s: %s\n", f->path,
            result == DNN_ATOMIC_NOT_RENAMED ? dnn_atomic_strerror(f, code)
                                             : "writing it failed (disk full?)");
    return EXIT_USAGE;
}

static dnn_status convert(const convert_options *o, input_kind kind,
                          const dnn_convert_output *out, dnn_convert_summary *summary,
                          dnn_error *err)
{
    if (kind == INPUT_NPY)
        return dnn_convert_npy_pair(o->paths[0], o->no_labels ? NULL : o->paths[1], out,
                                    summary, err);
    if (kind == INPUT_NPZ)
        return dnn_convert_npz(o->paths[0], o->x_key, o->y_key, out, summary, err);
    dnn_csv_options csv = {o->delimiter, o->header, o->label};
    return dnn_convert_csv(o->paths[0], &csv, out, summary, err);
}

static int run(const convert_options *o, input_kind kind)
{
    const char *out_path = o->paths[o->n_paths - 1];
    for (int k = 0; k < o->n_paths - 1; k++)
        if (dnn_same_file(out_path, o->paths[k])) {
            fprintf(stderr, "dnn-convert: error: the output %s is the input %s: an output "
                    "never replaces an input\n", out_path, o->paths[k]);
            return EXIT_USAGE;
        }
    dnn_atomic_file f;
    int rc = output_begin(&f, out_path);
    dnn_convert_summary summary = {0};
    if (rc == 0) {
        dnn_convert_output out = {f.tmp, out_path, o->prefix, o->type, o->no_labels};
        dnn_error err = {"", -1};
        if (convert(o, kind, &out, &summary, &err) != DNN_OK) {
            fprintf(stderr, "dnn-convert: error: %s\n", err.message);
            rc = EXIT_USAGE;
        }
    }
    if (rc == 0)
        rc = output_commit(&f);
    dnn_atomic_end(&f); /* removes the temporary file unless renamed */
    char labels[300] = ", no labels (--no-labels)";
    if (!o->no_labels)
        snprintf(labels, sizeof labels, ", %s_y uint8 (labels from %s)", o->prefix,
                 summary.labels);
    if (rc == 0 && (printf("dnn-convert: wrote %s: %s_x %s (%ld examples of %ld features)%s\n",
                           out_path, o->prefix, dnn_convert_type_name(summary.type),
                           summary.examples, summary.features, labels) < 0 ||
                    fflush(stdout) != 0)) {
        fprintf(stderr, "dnn-convert: error: writing to stdout failed\n");
        rc = EXIT_RUNTIME;
    }
    return rc;
}

int main(int argc, char **argv)
{
    convert_options o;
    input_kind kind = INPUT_CSV;
    char err[512];
    if (parse_options(argc, argv, &o, err, sizeof err) != 0 ||
        (!o.help && !o.version && check_usage(&o, &kind, err, sizeof err) != 0)) {
        fprintf(stderr, "dnn-convert: error: %s\n", err);
        return EXIT_USAGE;
    }
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("dnn-convert %s\n", DNN_VERSION);
        return 0;
    }
    return run(&o, kind);
}
