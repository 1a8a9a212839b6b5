#include "programs/train_options.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "programs/cli.h"

/* The default problem: a fresh clone trains something without any data file. */
#define DEFAULT_SYNTHETIC "2000,16"
#define DEFAULT_LAYERS "auto,20,7,5,1"

void train_options_usage(FILE *out)
{
    fprintf(out,
            "usage: [mpirun -np P] dnn-train [options]\n"
            "Trains [LINEAR->RELU]x(L-1)->LINEAR->SIGMOID by gradient descent, full batch\n"
            "or mini-batches;\n"
            "examples are split over MPI ranks, and over OpenMP threads (OMP_NUM_THREADS) in "
            "each.\n\n"
            "data (default: --synthetic " DEFAULT_SYNTHETIC ")\n"
            "  --train FILE          HDF5 training set (course layout: *_x (m,...), *_y (m))\n"
            "  --test FILE           HDF5 test set: every printed line adds its cost (plain\n"
            "                        cross-entropy, no L2 term) and accuracy with the\n"
            "                        parameters after that iteration's update; the run\n"
            "                        ends with its accuracy\n"
            "  --x-dataset NAME      features dataset (default: the one named *_x)\n"
            "  --y-dataset NAME      labels dataset (default: the one named *_y)\n"
            "  --no-scale            keep uint8 features as 0..255 (default: divide by 255)\n"
            "  --standardize         scale each feature to zero mean and unit variance with\n"
            "                        the training set's mean and population deviation\n"
            "                        (exact sums: the same bits on any ranks and threads;\n"
            "                        uint8 taken as 0..255, a constant feature becomes 0);\n"
            "                        --test and --save's model use the same statistics\n"
            "  --synthetic M,N       M generated examples of N features (radial task)\n"
            "model and training\n"
            "  --layers L0,L1,...,1  layer widths; L0 may be 'auto' (default " DEFAULT_LAYERS ")\n"
            "  --init NAME           normal-0.01 | lecun | he (default lecun)\n"
            "  --seed N              initialization and synthetic-data seed, 0..2^32-1 "
            "(default 1)\n"
            "  --lr X                learning rate > 0 (default 0.0075)\n"
            "  --optimizer NAME      gd (default) | momentum | adam, as the course writes\n"
            "                        them: momentum v = b1*v + (1-b1)*g, W -= lr*v; adam\n"
            "                        with bias correction, t counting steps from 1\n"
            "  --beta1 B             momentum's and adam's beta1 in [0, 1) (default 0.9)\n"
            "  --beta2 B             adam's beta2 in [0, 1) (default 0.999)\n"
            "  --epsilon E           adam's epsilon > 0 (default 1e-8)\n"
            "  --l2 LAMBDA           L2 regularization >= 0: the cost adds\n"
            "                        (LAMBDA/2m)*sum(W^2), the weights' gradients (LAMBDA/m)*W\n"
            "  --lr-decay RATE       learning rate at iteration (epoch) e: lr / (1 + RATE*e)\n"
            "  --decay-interval N    the stepped schedule: lr / (1 + RATE*floor(e/N))\n"
            "  --iters N             iterations >= 1 (default 2500): epochs, each one step\n"
            "                        with the full batch\n"
            "  --epochs N            the same as --iters N\n"
            "  --batch-size B        mini-batches of B examples, 0 = the full batch (default);\n"
            "                        each epoch visits the examples in an order drawn from\n"
            "                        (--seed, epoch), the same on any ranks and threads; the\n"
            "                        printed cost is then the epoch's mean of its batches'\n"
            "                        costs (each before its update), and --print-every,\n"
            "                        --checkpoint-every and the decay count epochs\n"
            "  --drop-last           skip the last, smaller batch of each epoch\n"
            "  --batch-read WHERE    memory | file | auto (default): where a rank takes its\n"
            "                        batches' examples from: memory holds the training set\n"
            "                        on every rank; file reads each batch's examples (the\n"
            "                        next while the current trains), holding two batches\n"
            "                        and the rank's share; auto takes memory when the set\n"
            "                        needs at most a quarter of the memory per rank\n"
            "  --dropout KEEP        inverted dropout on the hidden layers, keeping each unit\n"
            "                        with probability KEEP in (0, 1] (default 1: none); masks\n"
            "                        drawn from (--seed, step, layer, example); never when\n"
            "                        predicting\n"
            "  --print-every N       print the cost every N iterations and at the last, 0 =\n"
            "                        only at the last (default 100); the cost printed is the\n"
            "                        training set's before the iteration's update\n"
            "  --early-stop N        with --test: stop once N prints in a row (of iterations\n"
            "                        0, P, 2P, ... for --print-every P) bring no test cost\n"
            "                        below the lowest, N >= 1; the run ends with the\n"
            "                        parameters of the lowest (accuracies, hash, --save),\n"
            "                        and checkpoints carry them\n"
            "  --save PATH           write the trained model as HDF5\n"
            "checkpoints\n"
            "  --checkpoint PATH     write the training state to PATH (HDF5, replaced\n"
            "                        atomically) at the end and every --checkpoint-every\n"
            "  --checkpoint-every N  iterations, N >= 1 (default: only at the end)\n"
            "  --resume PATH         continue from a checkpoint made with the same layers, data,\n"
            "                        --chunk, --reduce and --lr; --iters counts from the start\n"
            "parallel\n"
            "  --chunk N|auto        examples per unit of work (default auto: up to 4 equal\n"
            "                        chunks of >= 96, at most 1024); results depend on\n"
            "                        it, never on the ranks or threads\n"
            "  --reduce MODE         exact (bitwise reproducible, default) | fast\n"
            "  --dtype TYPE          f64 (default) | f32: arithmetic of the forward and\n"
            "                        backward passes; parameters and sums stay in double\n"
            "  --thread-exchange HOW auto (default) | shared | split: how one rank's\n"
            "                        threads share a step (the same bits); split shares the\n"
            "                        first layer by inputs where it applies (one rank,\n"
            "                        8-bit inputs, f64, at most 2 chunks), as auto does;\n"
            "                        shared gives each thread whole chunks\n"
            "  --blas WHICH          system (default) | fixed: the layers' matrix products;\n"
            "                        system: OpenBLAS and the AVX-512 kernels, whose bits\n"
            "                        are this machine's (they change with the CPU and the\n"
            "                        BLAS); fixed: our own, summed in a fixed order, the\n"
            "                        same bits on every x86-64 CPU and BLAS\n"
            "                        (DNN_ISA=generic|avx2|avx512 picks the variant), up to\n"
            "                        2x slower on the cat run for now\n"
            "  --timing              print per-iteration timings to stderr\n"
            "  --metrics FILE        append one JSON object per printed line to FILE (JSON\n"
            "                        Lines): costs, elapsed seconds, examples per second,\n"
            "                        compute/combine/wait seconds (min/avg/max over ranks)\n"
            "  --version             the version\n"
            "  --help                this text\n\n"
            "exit status: 0 trained (and wrote what was asked); 1 the run failed (diverged,\n"
            "  a step or a write failed); 2 bad flags or input (nothing trained, no output\n"
            "  replaced); 128+signal after SIGTERM (143) or SIGINT (130), with a final\n"
            "  checkpoint when --checkpoint is given\n\n"
            "example: mpiexec -np 2 dnn-train --train data/train_catvnoncat.h5 \\\n"
            "    --test data/test_catvnoncat.h5 --layers auto,20,7,5,1 --save model.h5\n");
}

static void defaults(train_options *o)
{
    memset(o, 0, sizeof *o);
    o->learning_rate = 0.0075;
    o->update = dnn_update_defaults();
    o->iterations = 2500;
    o->keep_prob = 1.0;
    o->print_every = 100;
    o->seed = 1;
    o->chunk = 0; /* auto: chosen from the example count */
    o->init = DNN_INIT_LECUN;
    o->reduce = DNN_REDUCE_EXACT;
    o->dtype = DNN_F64;
    o->scale_uint8 = 1;
    o->system_blas = 1; /* until the fixed order is as fast on the cat shapes */
}

static int parse_layers(const char *text, train_options *o)
{
    long values[DNN_MAX_LAYERS + 1];
    const char *rest = text;
    o->auto_input = strncmp(text, "auto,", 5) == 0;
    if (o->auto_input)
        rest = text + 5;
    int n = dnn_parse_long_list(rest, 1, 1 << 24, values, DNN_MAX_LAYERS + 1 - o->auto_input);
    if (n < 1)
        return 1;
    o->n_dims = n + o->auto_input;
    for (int i = 0; i < n; i++)
        o->dims[i + o->auto_input] = (int)values[i];
    return o->n_dims < 2 || o->dims[o->n_dims - 1] != 1;
}

static int parse_synthetic(const char *text, train_options *o)
{
    long v[2];
    if (dnn_parse_long_list(text, 1, INT_MAX, v, 2) != 2)
        return 1;
    o->synthetic_m = v[0];
    o->synthetic_n = v[1];
    return 0;
}

static void apply_switch(train_options *o, const char *flag)
{
    if (strcmp(flag, "--no-scale") == 0)
        o->scale_uint8 = 0;
    else if (strcmp(flag, "--timing") == 0)
        o->timing = 1;
    else if (strcmp(flag, "--standardize") == 0)
        o->standardize = 1;
    else if (strcmp(flag, "--version") == 0)
        o->version = 1;
    else if (strcmp(flag, "--drop-last") == 0)
        o->drop_last = 1;
    else
        o->help = 1;
}

/* One option (dnn_option_fn): a switch (value NULL), or a flag with its value, which
 * follows as the next argument or after '='. */
static int apply(void *ctx, const char *flag, const char *value, char *err, size_t n)
{
#define BAD(what) return snprintf(err, n, "%s: %s, got '%s'", flag, what, value), 2
    train_options *o = ctx;
    if (!value) {
        apply_switch(o, flag);
    } else if (strcmp(flag, "--train") == 0) {
        o->train_path = value;
    } else if (strcmp(flag, "--test") == 0) {
        o->test_path = value;
    } else if (strcmp(flag, "--x-dataset") == 0) {
        o->x_dataset = value;
    } else if (strcmp(flag, "--y-dataset") == 0) {
        o->y_dataset = value;
    } else if (strcmp(flag, "--save") == 0) {
        o->save_path = value;
    } else if (strcmp(flag, "--checkpoint") == 0) {
        o->checkpoint_path = value;
    } else if (strcmp(flag, "--checkpoint-every") == 0) {
        if (dnn_parse_long(value, 1, INT_MAX, &o->checkpoint_every))
            BAD("expected an integer from 1 to 2147483647");
    } else if (strcmp(flag, "--resume") == 0) {
        o->resume_path = value;
    } else if (strcmp(flag, "--metrics") == 0) {
        o->metrics_path = value;
    } else if (strcmp(flag, "--synthetic") == 0) {
        if (parse_synthetic(value, o))
            BAD("expected M,N with M, N >= 1");
    } else if (strcmp(flag, "--layers") == 0) {
        if (parse_layers(value, o))
            BAD("expected widths >= 1 separated by commas, at least two, ending in 1");
    } else if (strcmp(flag, "--init") == 0) {
        if (dnn_init_from_name(value, &o->init) != DNN_OK)
            BAD("expected normal-0.01, lecun or he");
    } else if (strcmp(flag, "--seed") == 0) {
        if (dnn_parse_long(value, 0, 4294967295L, &o->seed))
            BAD("expected an integer from 0 to 4294967295");
    } else if (strcmp(flag, "--lr") == 0) {
        if (dnn_parse_double(value, &o->learning_rate) || !(o->learning_rate > 0))
            BAD("expected a finite number > 0");
    } else if (strcmp(flag, "--iters") == 0) {
        if (dnn_parse_long(value, 1, INT_MAX, &o->iterations))
            BAD("expected an integer from 1 to 2147483647");
    } else if (strcmp(flag, "--epochs") == 0) {
        if (dnn_parse_long(value, 1, INT_MAX, &o->iterations))
            BAD("expected an integer from 1 to 2147483647");
    } else if (strcmp(flag, "--batch-size") == 0) {
        if (dnn_parse_long(value, 0, INT_MAX, &o->batch_size))
            BAD("expected an integer from 0 (the full batch) to 2147483647");
    } else if (strcmp(flag, "--batch-read") == 0) {
        if (strcmp(value, "auto") == 0)
            o->batch_read = BATCH_READ_AUTO;
        else if (strcmp(value, "memory") == 0)
            o->batch_read = BATCH_READ_MEMORY;
        else if (strcmp(value, "file") == 0)
            o->batch_read = BATCH_READ_FILE;
        else
            BAD("expected memory, file or auto");
    } else if (strcmp(flag, "--dropout") == 0) {
        if (dnn_parse_double(value, &o->keep_prob) || !(o->keep_prob > 0 && o->keep_prob <= 1))
            BAD("expected the probability of keeping a unit, in (0, 1]");
    } else if (strcmp(flag, "--print-every") == 0) {
        if (dnn_parse_long(value, 0, INT_MAX, &o->print_every))
            BAD("expected an integer >= 0");
    } else if (strcmp(flag, "--early-stop") == 0) {
        if (dnn_parse_long(value, 1, INT_MAX, &o->early_stop))
            BAD("expected an integer from 1 to 2147483647 (prints without a lower test cost)");
    } else if (strcmp(flag, "--chunk") == 0) {
        if (strcmp(value, "auto") == 0)
            o->chunk = 0;
        else if (dnn_parse_long(value, 1, 1 << 20, &o->chunk))
            BAD("expected auto or an integer from 1 to 1048576");
    } else if (strcmp(flag, "--dtype") == 0) {
        if (strcmp(value, "f64") == 0 || strcmp(value, "float64") == 0)
            o->dtype = DNN_F64;
        else if (strcmp(value, "f32") == 0 || strcmp(value, "float32") == 0)
            o->dtype = DNN_F32;
        else
            BAD("expected f64 or f32");
    } else if (strcmp(flag, "--thread-exchange") == 0) {
        if (strcmp(value, "auto") == 0)
            o->exchange = DNN_EXCHANGE_AUTO;
        else if (strcmp(value, "shared") == 0)
            o->exchange = DNN_EXCHANGE_SHARED;
        else if (strcmp(value, "split") == 0)
            o->exchange = DNN_EXCHANGE_SPLIT;
        else
            BAD("expected auto, shared or split");
    } else if (strcmp(flag, "--blas") == 0) {
        if (strcmp(value, "fixed") == 0)
            o->system_blas = 0;
        else if (strcmp(value, "system") == 0)
            o->system_blas = 1;
        else
            BAD("expected fixed or system");
    } else if (strcmp(flag, "--optimizer") == 0) {
        if (strcmp(value, "gd") == 0)
            o->update.optimizer = DNN_OPT_GD;
        else if (strcmp(value, "momentum") == 0)
            o->update.optimizer = DNN_OPT_MOMENTUM;
        else if (strcmp(value, "adam") == 0)
            o->update.optimizer = DNN_OPT_ADAM;
        else
            BAD("expected gd, momentum or adam");
    } else if (strcmp(flag, "--beta1") == 0 || strcmp(flag, "--beta2") == 0) {
        double *beta = flag[6] == '1' ? &o->update.beta1 : &o->update.beta2;
        if (dnn_parse_double(value, beta) || !(*beta >= 0 && *beta < 1))
            BAD("expected a number in [0, 1)");
    } else if (strcmp(flag, "--epsilon") == 0) {
        if (dnn_parse_double(value, &o->update.epsilon) || !(o->update.epsilon > 0))
            BAD("expected a finite number > 0");
    } else if (strcmp(flag, "--l2") == 0) {
        if (dnn_parse_double(value, &o->update.l2) || !(o->update.l2 >= 0))
            BAD("expected a finite number >= 0");
    } else if (strcmp(flag, "--lr-decay") == 0) {
        if (dnn_parse_double(value, &o->lr_decay) || !(o->lr_decay >= 0))
            BAD("expected a finite number >= 0");
    } else if (strcmp(flag, "--decay-interval") == 0) {
        if (dnn_parse_long(value, 1, INT_MAX, &o->decay_interval))
            BAD("expected an integer from 1 to 2147483647");
    } else if (strcmp(flag, "--reduce") == 0) {
        if (strcmp(value, "exact") == 0)
            o->reduce = DNN_REDUCE_EXACT;
        else if (strcmp(value, "fast") == 0)
            o->reduce = DNN_REDUCE_FAST;
        else
            BAD("expected exact or fast");
    } else {
        return snprintf(err, n, "unknown option '%s' (see --help)", flag), 2;
    }
    return 0;
#undef BAD
}

int train_options_parse(int argc, char **argv, train_options *o, char *err, size_t err_size)
{
    static const char *const switches[] = {"--help",      "-h",        "--no-scale",
                                           "--standardize", "--timing", "--drop-last",
                                           "--version",   NULL};
    static const char *const valued[] = {
        "--train", "--test",  "--x-dataset", "--y-dataset", "--save",        "--checkpoint",
        "--checkpoint-every", "--resume",    "--synthetic", "--layers",      "--init",
        "--seed",  "--lr",    "--iters",     "--print-every", "--chunk",     "--dtype",
        "--reduce", "--thread-exchange", "--optimizer", "--beta1", "--beta2", "--epsilon",
        "--l2", "--lr-decay", "--decay-interval", "--early-stop", "--epochs", "--batch-size",
        "--dropout", "--batch-read", "--metrics", "--blas", NULL};
    static const dnn_option_set options = {
        .switches = switches, .valued = valued, .name_size = 64, .apply = apply};
    defaults(o);
    int rc = dnn_parse_options(argc, argv, &options, o, err, err_size);
    if (rc)
        return rc;
    if (o->n_dims == 0 && parse_layers(DEFAULT_LAYERS, o))
        return snprintf(err, err_size, "bad default layers"), 2;
    if (!o->train_path && o->synthetic_m == 0)
        parse_synthetic(DEFAULT_SYNTHETIC, o);
    if (o->train_path && o->synthetic_m)
        return snprintf(err, err_size, "--train and --synthetic exclude each other"), 2;
    if (o->checkpoint_every && !o->checkpoint_path)
        return snprintf(err, err_size, "--checkpoint-every needs --checkpoint"), 2;
    if (o->drop_last && o->batch_size == 0)
        return snprintf(err, err_size, "--drop-last needs --batch-size B with B >= 1"), 2;
    if (o->test_path && !o->train_path)
        return snprintf(err, err_size, "--test needs --train"), 2;
    if (o->early_stop && !o->test_path)
        return snprintf(err, err_size, "--early-stop needs --test: it watches the test cost"), 2;
    if (o->early_stop && o->print_every == 0)
        return snprintf(err, err_size,
                        "--early-stop counts prints: it needs --print-every N with N >= 1"),
               2;
    return 0;
}

/* ---- the settings every rank must share ---- */

static const uint64_t FNV_OFFSET = 0xcbf29ce484222325u, FNV_PRIME = 0x100000001b3u;

/* FNV-1a 64 of n words taken as little-endian bytes (the same on every host). */
static uint64_t hash_words(const uint64_t *words, int n)
{
    uint64_t h = FNV_OFFSET;
    for (int i = 0; i < n; i++)
        for (int byte = 0; byte < 8; byte++) {
            h ^= (words[i] >> (8 * byte)) & 0xffu;
            h *= FNV_PRIME;
        }
    return h;
}

static uint64_t hash_long(long value)
{
    uint64_t word = (uint64_t)value;
    return hash_words(&word, 1);
}

static uint64_t hash_double(double value)
{
    uint64_t word;
    memcpy(&word, &value, sizeof word);
    return hash_words(&word, 1);
}

/* A string, and whether there is one: NULL and "" differ. */
static uint64_t hash_string(const char *s)
{
    uint64_t h = (FNV_OFFSET ^ (s != NULL)) * FNV_PRIME;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * FNV_PRIME;
    return h;
}

static uint64_t hash_layers(const train_options *o)
{
    uint64_t words[DNN_MAX_LAYERS + 3] = {(uint64_t)o->n_dims, (uint64_t)o->auto_input};
    for (int i = 0; i < o->n_dims; i++)
        words[2 + i] = (uint64_t)o->dims[i];
    return hash_words(words, 2 + o->n_dims);
}

int train_options_settings(const train_options *o, train_setting *out, int max)
{
    const uint64_t synthetic[2] = {(uint64_t)o->synthetic_m, (uint64_t)o->synthetic_n};
    const train_setting all[] = {
        {"--train", hash_string(o->train_path)},
        {"--test", hash_string(o->test_path)},
        {"--x-dataset", hash_string(o->x_dataset)},
        {"--y-dataset", hash_string(o->y_dataset)},
        {"--no-scale", hash_long(o->scale_uint8)},
        {"--standardize", hash_long(o->standardize)},
        {"--synthetic", hash_words(synthetic, 2)},
        {"--layers", hash_layers(o)},
        {"--init", hash_long(o->init)},
        {"--seed", hash_long(o->seed)},
        {"--lr", hash_double(o->learning_rate)},
        {"--optimizer", hash_long(o->update.optimizer)},
        {"--beta1", hash_double(o->update.beta1)},
        {"--beta2", hash_double(o->update.beta2)},
        {"--epsilon", hash_double(o->update.epsilon)},
        {"--l2", hash_double(o->update.l2)},
        {"--lr-decay", hash_double(o->lr_decay)},
        {"--decay-interval", hash_long(o->decay_interval)},
        {"--iters", hash_long(o->iterations)},
        {"--print-every", hash_long(o->print_every)},
        {"--batch-size", hash_long(o->batch_size)},
        {"--drop-last", hash_long(o->drop_last)},
        {"--dropout", hash_double(o->keep_prob)},
        {"--batch-read", hash_long(o->batch_read)},
        {"--early-stop", hash_long(o->early_stop)},
        {"--save", hash_string(o->save_path)},
        {"--checkpoint", hash_string(o->checkpoint_path)},
        {"--checkpoint-every", hash_long(o->checkpoint_every)},
        {"--resume", hash_string(o->resume_path)},
        {"--chunk", hash_long(o->chunk)},
        {"--reduce", hash_long(o->reduce)},
        {"--dtype", hash_long(o->dtype)},
        {"--thread-exchange", hash_long(o->exchange)},
        {"--blas", hash_long(o->system_blas)},
        {"--timing", hash_long(o->timing)},
        {"--metrics", hash_string(o->metrics_path)},
        {"--help", hash_long(o->help)},
        {"--version", hash_long(o->version)},
    };
    int n = (int)(sizeof all / sizeof *all);
    n = n < max ? n : max;
    memcpy(out, all, (size_t)n * sizeof *out);
    return n;
}
