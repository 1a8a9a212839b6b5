/* dnn-train: data-parallel training over MPI ranks and OpenMP threads. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "comm.h"
#include "dnn/data.h"
#include "dnn/model_io.h"
#include "dnn/shard.h"
#include "dnn/train.h"
#include "train_options.h"

enum { EXIT_USAGE = 2, EXIT_RUNTIME = 1 };

/* Rank 0 prints results; every other rank stays quiet. */
static void say(const char *fmt, ...)
{
    if (dnn_comm_rank() != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

/* Collective: when any rank failed, the lowest failing rank prints its message and
 * every rank returns non-zero together. */
static int agree(int local_ok, const char *message)
{
    int first = dnn_comm_first_failure(local_ok);
    if (first < 0)
        return 0;
    if (first == dnn_comm_rank())
        fprintf(stderr, "dnn-train: error: %s\n", message);
    return 1;
}

typedef struct {
    dnn_dataset train, test;
    long m_train, m_test;
} data_sets;

/* Loads this rank's chunks of a data file (or none); probing and loading failures
 * are agreed on collectively by the caller. */
static dnn_status load_shard(const train_options *o, const char *path, long m_total,
                             int n_features, dnn_dataset *out, dnn_error *err)
{
    dnn_shard s = dnn_shard_of(dnn_comm_rank(), dnn_comm_size(), m_total, o->chunk);
    memset(out, 0, sizeof *out);
    out->n_features = n_features;
    out->m_total = m_total;
    out->first = s.first;
    if (s.count == 0)
        return DNN_OK;
    if (!path)
        return dnn_synthetic_load((uint64_t)o->seed, m_total, n_features, s.first, s.count, out,
                                  err);
    dnn_h5_options h5 = {o->x_dataset, o->y_dataset, o->scale_uint8};
    return dnn_h5_load(path, &h5, s.first, s.count, out, err);
}

static int probe(const train_options *o, const char *path, long *m, int *n, dnn_error *err)
{
    if (!path) {
        *m = o->synthetic_m;
        *n = (int)o->synthetic_n;
        return 1;
    }
    dnn_h5_options h5 = {o->x_dataset, o->y_dataset, o->scale_uint8};
    return dnn_h5_probe(path, &h5, m, n, err) == DNN_OK;
}

static int load_data(train_options *o, data_sets *d)
{
    dnn_error err = {"", -1};
    int n_train = 0, n_test = 0;
    if (agree(probe(o, o->train_path, &d->m_train, &n_train, &err), err.message))
        return EXIT_USAGE;
    if (o->test_path &&
        agree(probe(o, o->test_path, &d->m_test, &n_test, &err), err.message))
        return EXIT_USAGE;
    char msg[600];
    if (o->auto_input)
        o->dims[0] = n_train;
    snprintf(msg, sizeof msg, "--layers: input width %d does not match the %d features of %s",
             o->dims[0], n_train, o->train_path ? o->train_path : "the synthetic data");
    if (agree(o->dims[0] == n_train, msg))
        return EXIT_USAGE;
    snprintf(msg, sizeof msg, "%s has %d features per example, %s has %d", o->test_path,
             n_test, o->train_path, n_train);
    if (o->test_path && agree(n_test == n_train, msg))
        return EXIT_USAGE;
    long n_chunks = dnn_chunk_count(d->m_train, o->chunk);
    snprintf(msg, sizeof msg, "%ld examples in chunks of %ld: at most 2^25 chunks", d->m_train,
             o->chunk);
    if (agree(n_chunks < (1L << 25), msg))
        return EXIT_USAGE;
    dnn_status st = load_shard(o, o->train_path, d->m_train, n_train, &d->train, &err);
    if (agree(st == DNN_OK, err.message))
        return st == DNN_ERR_NOMEM ? EXIT_RUNTIME : EXIT_USAGE;
    if (o->test_path) {
        st = load_shard(o, o->test_path, d->m_test, n_test, &d->test, &err);
        if (agree(st == DNN_OK, err.message))
            return st == DNN_ERR_NOMEM ? EXIT_RUNTIME : EXIT_USAGE;
    }
    return 0;
}

static int train(const train_options *o, data_sets *d, dnn_params *params)
{
    dnn_reducer reducer = dnn_comm_reducer();
    dnn_trainer *t = dnn_trainer_new(params, &d->train, d->m_train, (int)o->chunk, o->reduce);
    if (agree(t != NULL, "out of memory setting up the trainer"))
        return EXIT_RUNTIME;
    double start = dnn_comm_wtime(), compute = 0, combine = 0;
    int rc = 0;
    for (long i = 0; i < o->iterations; i++) {
        double cost, c1, c2;
        dnn_status st = dnn_trainer_step(t, &reducer, o->learning_rate, &cost);
        dnn_trainer_last_times(t, &c1, &c2);
        compute += c1;
        combine += c2;
        if (st != DNN_OK) {
            /* the status is the same on every rank: the step's sums are collective */
            if (dnn_comm_rank() == 0)
                fprintf(stderr, "dnn-train: error: iteration %ld: %s\n", i,
                        st == DNN_ERR_NONFINITE ? "cost or gradient is NaN or Inf (diverged)"
                                                : dnn_status_string(st));
            rc = EXIT_RUNTIME;
            break;
        }
        if ((o->print_every > 0 && i % o->print_every == 0) || i == o->iterations - 1)
            say("Cost after iteration %ld: %.17g\n", i, cost);
    }
    double elapsed = dnn_comm_max_double(dnn_comm_wtime() - start);
    if (o->timing && dnn_comm_rank() == 0)
        fprintf(stderr,
                "timing: %ld iterations in %.3f s (%.3f ms each): rank 0 compute %.3f s, "
                "combine (threads + Allreduce) %.3f s\n",
                o->iterations, elapsed, 1e3 * elapsed / (double)o->iterations, compute, combine);
    long correct;
    if (rc == 0) {
        dnn_status st = dnn_trainer_count_correct(t, &d->train, &reducer, &correct);
        if (agree(st == DNN_OK, "evaluating the training set failed"))
            rc = EXIT_RUNTIME;
        else
            say("Train accuracy: %.17g\n", (double)correct / (double)d->m_train);
    }
    if (rc == 0 && o->test_path) {
        dnn_status st = dnn_trainer_count_correct(t, &d->test, &reducer, &correct);
        if (agree(st == DNN_OK, "evaluating the test set failed"))
            rc = EXIT_RUNTIME;
        else
            say("Test accuracy: %.17g\n", (double)correct / (double)d->m_test);
    }
    dnn_trainer_free(&t);
    return rc;
}

static int save(const train_options *o, const dnn_params *params)
{
    dnn_error err = {"", -1};
    int ok = 1;
    if (dnn_comm_rank() == 0) {
        dnn_model_info info = {"", (uint32_t)o->seed, o->iterations, o->learning_rate};
        snprintf(info.init, sizeof info.init, "%s", dnn_init_name(o->init));
        ok = dnn_model_save(o->save_path, params, &info, &err) == DNN_OK;
    }
    return agree(ok, err.message) ? EXIT_USAGE : 0;
}

static int run(train_options *o)
{
    data_sets d;
    memset(&d, 0, sizeof d);
    int rc = load_data(o, &d);
    dnn_params *params = NULL;
    if (rc == 0) {
        params = dnn_params_new(o->n_dims - 1, o->dims);
        if (agree(params != NULL, "out of memory for the parameters"))
            rc = EXIT_RUNTIME;
    }
    if (rc == 0) {
        dnn_initialize_parameters_deep(params, o->init, (uint32_t)o->seed);
        say("dnn-train: %d rank(s), %ld training examples, %zu parameters, chunk %ld, %s sums\n",
            dnn_comm_size(), d.m_train, params->count, o->chunk,
            o->reduce == DNN_REDUCE_EXACT ? "exact" : "fast");
        rc = train(o, &d, params);
    }
    if (rc == 0)
        say("Parameter hash: 0x%016" PRIx64 "\n", dnn_params_hash(params));
    if (rc == 0 && o->save_path)
        rc = save(o, params);
    dnn_params_free(&params);
    dnn_dataset_free(&d.train);
    dnn_dataset_free(&d.test);
    return rc;
}

int main(int argc, char **argv)
{
    if (dnn_comm_init(&argc, &argv) != 0) {
        fprintf(stderr, "dnn-train: error: MPI initialization failed\n");
        return EXIT_RUNTIME;
    }
    train_options o;
    char err[512];
    /* every rank parses the same arguments, so all of them agree without talking */
    int rc = train_options_parse(argc, argv, &o, err, sizeof err);
    if (rc != 0) {
        if (dnn_comm_rank() == 0)
            fprintf(stderr, "dnn-train: error: %s\n", err);
    } else if (o.help) {
        if (dnn_comm_rank() == 0)
            train_options_usage(stdout);
    } else {
        rc = run(&o);
    }
    dnn_comm_finalize();
    return rc;
}
