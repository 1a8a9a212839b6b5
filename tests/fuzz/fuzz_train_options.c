/* Fuzz harness for dnn-train's command line (src/train_options.c, src/cli.c): the input,
 * split on NUL bytes, is argv[1..]. train_options_parse must never crash; on success the
 * options must satisfy what --help promises (train_options_usage), and on failure the
 * message must be a non-empty terminated string. The value parsers of cli.c are also fed
 * each argument directly and held to their contracts (src/cli.h). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "programs/cli.h"
#include "fuzz.h"
#include "programs/train_options.h"

enum { MAX_ARGS = 64 };

/* p is NULL or points inside one of the arguments. */
static int in_argv(const char *p, int argc, char **argv)
{
    if (!p)
        return 1;
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (p >= argv[i] && p <= argv[i] + len)
            return 1;
    }
    return 0;
}

static void check_options(const train_options *o, int argc, char **argv)
{
    FUZZ_CHECK(isfinite(o->learning_rate) && o->learning_rate > 0, "lr %g", o->learning_rate);
    FUZZ_CHECK(o->iterations >= 1 && o->iterations <= INT_MAX, "iters %ld", o->iterations);
    FUZZ_CHECK(o->print_every >= 0 && o->print_every <= INT_MAX, "print-every %ld",
               o->print_every);
    FUZZ_CHECK(o->seed >= 0 && o->seed <= 4294967295L, "seed %ld", o->seed);
    FUZZ_CHECK(o->chunk >= 0 && o->chunk <= 1 << 20, "chunk %ld", o->chunk); /* 0: auto */
    FUZZ_CHECK(o->dtype == DNN_F64 || o->dtype == DNN_F32, "dtype %d", (int)o->dtype);
    FUZZ_CHECK(o->init == DNN_INIT_NORMAL_001 || o->init == DNN_INIT_LECUN ||
                   o->init == DNN_INIT_HE,
               "init %d", (int)o->init);
    FUZZ_CHECK(o->reduce == DNN_REDUCE_EXACT || o->reduce == DNN_REDUCE_FAST, "reduce %d",
               (int)o->reduce);
    FUZZ_CHECK(o->scale_uint8 == 0 || o->scale_uint8 == 1, "scale %d", o->scale_uint8);
    FUZZ_CHECK(o->timing == 0 || o->timing == 1, "timing %d", o->timing);
    FUZZ_CHECK(o->help == 0 || o->help == 1, "help %d", o->help);

    /* --layers: at least two widths, the last 1, each >= 1 except an "auto" input. */
    FUZZ_CHECK(o->n_dims >= 2 && o->n_dims <= DNN_MAX_LAYERS + 1, "%d layer widths",
               o->n_dims);
    FUZZ_CHECK(o->auto_input == 0 || o->auto_input == 1, "auto %d", o->auto_input);
    FUZZ_CHECK(o->dims[o->n_dims - 1] == 1, "last width %d", o->dims[o->n_dims - 1]);
    for (int l = o->auto_input; l < o->n_dims; l++)
        FUZZ_CHECK(o->dims[l] >= 1 && o->dims[l] <= 1 << 24, "width %d of layer %d", o->dims[l],
                   l);

    /* Data: a file or the synthetic problem, never both; --test only with --train. */
    if (o->train_path)
        FUZZ_CHECK(o->synthetic_m == 0 && o->synthetic_n == 0, "--train with --synthetic");
    else
        FUZZ_CHECK(o->synthetic_m >= 1 && o->synthetic_m <= INT_MAX && o->synthetic_n >= 1 &&
                       o->synthetic_n <= INT_MAX,
                   "synthetic %ld,%ld", o->synthetic_m, o->synthetic_n);
    FUZZ_CHECK(!o->test_path || o->train_path, "--test without --train");
    FUZZ_CHECK(o->checkpoint_every >= 0 && o->checkpoint_every <= INT_MAX,
               "checkpoint-every %ld", o->checkpoint_every);
    FUZZ_CHECK(o->checkpoint_every == 0 || o->checkpoint_path,
               "--checkpoint-every without --checkpoint");

    /* Strings are borrowed from argv, never copied or made up. */
    const char *strings[] = {o->train_path, o->test_path,       o->x_dataset,  o->y_dataset,
                             o->save_path,  o->checkpoint_path, o->resume_path};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        FUZZ_CHECK(in_argv(strings[i], argc, argv), "string %zu not inside argv", i);
}

/* cli.c's parsers on one argument: the whole text is a value in range, or rejected
 * without touching the output. */
static void check_value_parsers(const char *text)
{
    const long sentinel = 0x5eed;
    long v = sentinel;
    if (dnn_parse_long(text, -1000, 1000, &v) == 0)
        FUZZ_CHECK(v >= -1000 && v <= 1000, "long %ld out of range", v);
    else
        FUZZ_CHECK(v == sentinel, "rejected long written");

    double d = 0.5;
    if (dnn_parse_double(text, &d) == 0)
        FUZZ_CHECK(isfinite(d), "non-finite double accepted");
    else
        FUZZ_CHECK(d == 0.5, "rejected double written");

    long list[4];
    int n = dnn_parse_long_list(text, 1, 99, list, 4);
    FUZZ_CHECK(n == -1 || (n >= 1 && n <= 4), "list count %d", n);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(list[i] >= 1 && list[i] <= 99, "list item %ld", list[i]);
    if (n > 0)
        FUZZ_CHECK(text[0] != ',' && text[strlen(text) - 1] != ',' && !strstr(text, ",,"),
                   "empty list item accepted in '%s'", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private NUL-terminated copy: the last argument ends at the input's end. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "dnn-train";
    for (size_t at = 0; at < size && argc <= MAX_ARGS; at += strlen(text + at) + 1)
        argv[argc++] = text + at;
    argv[argc] = NULL;

    for (int i = 1; i < argc; i++)
        check_value_parsers(argv[i]);

    train_options o;
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = train_options_parse(argc, argv, &o, err, sizeof err);
    if (rc == 0)
        check_options(&o, argc, argv);
    else
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0',
                   "no terminated error message for rc %d", rc);
    free(text);
    return 0;
}
