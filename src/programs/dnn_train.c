/* dnn-train: data-parallel training over MPI ranks and OpenMP threads. */
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "dnn/batches.h"
#include "dnn/checkpoint.h"
#include "dnn/data.h"
#include "dnn/model.h"
#include "dnn/model_io.h"
#include "dnn/shard.h"
#include "dnn/trainer.h"
#include "io/file_checks.h"
#include "programs/batch_source.h"
#include "programs/early_stop.h"
#include "programs/metrics.h"
#include "programs/train_options.h"
#include "train/standardize.h"
#include "train/trainer_modes.h"

enum { EXIT_USAGE = 2, EXIT_RUNTIME = 1 };
#ifndef DNN_VERSION
#define DNN_VERSION "unknown"
#endif

/* --metrics and the progress line of this run (programs/metrics.h). */
static run_metrics metrics;

/* Rank 0 prints results; every other rank stays quiet. */
static void say(const char *fmt, ...)
{
    if (dnn_comm_rank() != 0)
        return;
    metrics_clear_progress(&metrics);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

/* Collective: when any rank failed, the lowest failing rank prints its message and
 * every rank returns non-zero together. A failure that spared rank 0 is local to some
 * ranks (a file only some can see, bad data in some shards): it says which rank. */
static int agree(int local_ok, const char *message)
{
    int first = dnn_comm_first_failure(local_ok);
    if (first < 0)
        return 0;
    if (first == dnn_comm_rank() && first > 0)
        fprintf(stderr, "dnn-train: error: rank %d: %s\n", first, message);
    else if (first == dnn_comm_rank())
        fprintf(stderr, "dnn-train: error: %s\n", message);
    return 1;
}

/* train: this rank's shard, or with mini-batches every example (each batch deals its
 * chunks anew); shard: this rank's block of the training set either way (a view into
 * train), for what is summed over ranks (accuracy, fingerprint). */
typedef struct {
    dnn_dataset train, test, shard;
    long m_train, m_test;
    int from_file; /* mini-batches read from the file (--batch-read), not held */
    double *mean, *deviation; /* --standardize: the training set's, per feature */
} data_sets;

/* How the HDF5 files are read: --standardize takes uint8 features as 0..255 (the /255
 * would cancel out in the standardization anyway). */
static dnn_h5_options h5_options(const train_options *o)
{
    return (dnn_h5_options){o->x_dataset, o->y_dataset, o->scale_uint8 && !o->standardize,
                              DNN_LABELS_REQUIRED};
}

/* Loads this rank's chunks of a data file (or none; whole: every example); probing and
 * loading failures are agreed on collectively by the caller. */
static dnn_status load_shard(const train_options *o, const char *path, long m_total,
                             int n_features, int whole, dnn_dataset *out, dnn_error *err)
{
    dnn_shard s = whole ? (dnn_shard){0, 1, 0, m_total}
                        : dnn_shard_of(dnn_comm_rank(), dnn_comm_size(), m_total, o->chunk);
    memset(out, 0, sizeof *out);
    out->n_features = n_features;
    out->m_total = m_total;
    out->first = s.first;
    if (s.count == 0)
        return DNN_OK;
    if (!path)
        return dnn_synthetic_load((uint64_t)o->seed, m_total, n_features, s.first, s.count, out,
                                  err);
    dnn_h5_options h5 = h5_options(o);
    return dnn_h5_load(path, &h5, s.first, s.count, out, err);
}

static int probe(const train_options *o, const char *path, long *m, int *n, dnn_error *err)
{
    if (!path) {
        *m = o->synthetic_m;
        *n = (int)o->synthetic_n;
        return 1;
    }
    dnn_h5_options h5 = h5_options(o);
    return dnn_h5_probe(path, &h5, m, n, err) == DNN_OK;
}

/* Whether mini-batches are read from the file: --batch-read file, or auto and the
 * training set in double (with its 8-bit codes) takes more than a quarter of the memory
 * limit shared by the ranks (all on one host, at worst). Collective: one rank's need
 * is every rank's, so that all take the same collectives. */
static int batches_from_file(const train_options *o, long m, int n)
{
    if (o->batch_read != BATCH_READ_AUTO)
        return o->batch_read == BATCH_READ_FILE;
    double bytes = (double)m * ((double)n * 9.0 + 8.0);
    double budget = (double)dnn_memory_limit() / (4.0 * dnn_comm_size());
    return dnn_comm_max_double(bytes > budget ? 1.0 : 0.0) > 0.0;
}

/* --standardize: the training set's statistics over every rank's block, then the
 * training and test examples held here scaled with them (the batches read from the file
 * are scaled as they come, batch_source). Collective. */
static int standardize(data_sets *d, int n)
{
    d->mean = malloc((size_t)n * sizeof *d->mean);
    d->deviation = malloc((size_t)n * sizeof *d->deviation);
    if (agree(d->mean && d->deviation, "out of memory for the features' statistics"))
        return EXIT_USAGE;
    dnn_reducer reducer = dnn_comm_reducer();
    dnn_status st = dnn_feature_stats(&d->shard, d->m_train, &reducer, d->mean, d->deviation);
    char msg[200];
    snprintf(msg, sizeof msg, "--standardize: %s",
             st == DNN_ERR_ARG ? "at most 2^25 - 1 training examples"
             : st == DNN_ERR_NONFINITE ? "a feature's sum of squares overflows"
                                       : dnn_status_string(st));
    /* the status is the same on every rank (agreed inside) */
    if (agree(st == DNN_OK, msg))
        return st == DNN_ERR_IO ? EXIT_RUNTIME : EXIT_USAGE;
    dnn_standardize(&d->train, d->mean, d->deviation);
    d->shard.X_codes = NULL; /* a view into train, whose codes are gone */
    dnn_standardize(&d->test, d->mean, d->deviation);
    return 0;
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
    /* Shards are whole chunks, so ranks without examples would work; with more ranks
     * than examples, though, the layout is surely a mistake: refuse it. */
    snprintf(msg, sizeof msg, "%s has %ld examples, fewer than the %d ranks: use at most %ld",
             o->train_path ? o->train_path : "--synthetic", d->m_train, dnn_comm_size(),
             d->m_train);
    if (agree(dnn_comm_size() <= d->m_train, msg))
        return EXIT_USAGE;
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
    if (o->chunk == 0 && o->batch_size > 0)
        o->chunk = dnn_default_batch_chunk(o->batch_size < d->m_train ? o->batch_size : d->m_train);
    else if (o->chunk == 0)
        o->chunk = dnn_default_chunk(d->m_train);
    snprintf(msg, sizeof msg, "--drop-last: batches of %ld leave none of the %ld examples",
             o->batch_size, d->m_train);
    if (agree(!o->drop_last || o->batch_size <= d->m_train, msg))
        return EXIT_USAGE;
    long n_chunks = dnn_chunk_count(d->m_train, o->chunk);
    snprintf(msg, sizeof msg, "%ld examples in chunks of %ld: at most 2^25 chunks", d->m_train,
             o->chunk);
    if (agree(n_chunks < (1L << 25), msg))
        return EXIT_USAGE;
    /* out of memory too is EXIT_USAGE: the sizes come from the files and flags given */
    /* mini-batches: every rank holds every example (within the loader's memory checks),
     * or reads each batch's from the file and holds only its shard */
    d->from_file = o->batch_size > 0 && batches_from_file(o, d->m_train, n_train);
    dnn_status st = load_shard(o, o->train_path, d->m_train, n_train,
                               o->batch_size > 0 && !d->from_file, &d->train, &err);
    if (agree(st == DNN_OK, err.message))
        return EXIT_USAGE;
    d->shard = d->train;
    if (o->batch_size > 0 && !d->from_file) { /* the view of this rank's block */
        dnn_shard s = dnn_shard_of(dnn_comm_rank(), dnn_comm_size(), d->m_train, o->chunk);
        size_t at = (size_t)s.first * (size_t)n_train;
        d->shard.first = s.first;
        d->shard.m = s.count;
        d->shard.X = d->train.X ? d->train.X + at : NULL;
        d->shard.Y = d->train.Y ? d->train.Y + s.first : NULL;
        d->shard.X_codes = d->train.X_codes ? d->train.X_codes + at : NULL;
    }
    if (o->test_path) {
        st = load_shard(o, o->test_path, d->m_test, n_test, 0, &d->test, &err);
        if (agree(st == DNN_OK, err.message))
            return EXIT_USAGE;
    }
    return o->standardize ? standardize(d, n_train) : 0;
}

/* The layers whose gradient was NaN or Inf in the step that just failed, found by
 * running each local chunk again: a failed step leaves the parameters as they were, so
 * the chunks give the same values. Collective: *lo..*hi over all ranks, or *hi = 0
 * when every chunk's gradient is finite (then the sum over the examples overflowed).
 * To be replaced by a query of the trainer (dnn_trainer_nonfinite_layer) when
 * src/train.c offers one. */
static void nonfinite_layers(const dnn_params *p, const dnn_dataset *data, int chunk, int *lo,
                             int *hi)
{
    int low = p->L + 1, high = 0;
    dnn_cache *cache = dnn_cache_new(p, chunk);
    dnn_params *g = dnn_params_new_like(p);
    for (long first = 0; cache && g && first < data->m; first += chunk) {
        int cols = (int)(data->m - first < chunk ? data->m - first : chunk);
        const double *X = data->X + (size_t)first * (size_t)data->n_features;
        if (dnn_L_model_forward(p, X, cols, cache) != DNN_OK ||
            dnn_L_model_backward_scaled(p, cache, cache->A[p->L], data->Y + first, 1.0, g,
                                        NULL) != DNN_OK)
            break;
        for (int l = 1; l <= p->L; l++) {
            size_t n = (size_t)p->dims[l] * ((size_t)p->dims[l - 1] + 1); /* W[l], b[l] */
            int finite = 1;
            for (size_t k = 0; k < n && finite; k++)
                finite = isfinite(g->W[l][k]);
            if (!finite) {
                low = l < low ? l : low;
                high = l > high ? l : high;
            }
        }
    }
    dnn_cache_free(&cache);
    dnn_params_free(&g);
    *hi = (int)dnn_comm_max_double(high);
    *lo = -(int)dnn_comm_max_double(-low);
}

/* Where the checkpoint stands, for the messages of a failed run. */
static void checkpoint_note(const train_options *o, long saved_at, char *buf, size_t size)
{
    if (!o->checkpoint_path)
        snprintf(buf, size, "%s", "");
    else if (saved_at < 0)
        snprintf(buf, size, "; this run wrote no checkpoint (%s untouched)",
                 o->checkpoint_path);
    else
        snprintf(buf, size, "; %s keeps the state before iteration %ld", o->checkpoint_path,
                 saved_at);
}

/* After a failed step. DNN_ERR_NONFINITE comes to every rank alike (the step's sums are
 * collective): training diverged. Any other status failed on this rank alone in the
 * middle of a step, where the others may be waiting in a collective: it ends them all. */
static int step_failed(const train_options *o, const data_sets *d, const dnn_params *params,
                       long i, dnn_status st, long saved_at)
{
    if (st != DNN_ERR_NONFINITE) {
        fprintf(stderr, "dnn-train: error: iteration %ld: rank %d: %s\n", i, dnn_comm_rank(),
                dnn_status_string(st));
        fflush(stderr);
        dnn_comm_abort(EXIT_RUNTIME);
    }
    int lo, hi;
    nonfinite_layers(params, &d->shard, (int)o->chunk, &lo, &hi);
    char where[160], note[600];
    if (hi == 0)
        snprintf(where, sizeof where, "%s",
                 "the cost or the gradient summed over the examples is NaN or Inf");
    else if (lo == hi)
        snprintf(where, sizeof where, "NaN or Inf in the gradient of layer %d (of %d)", hi,
                 params->L);
    else
        snprintf(where, sizeof where, "NaN or Inf in the gradients of layers %d to %d (of %d)",
                 lo, hi, params->L);
    checkpoint_note(o, saved_at, note, sizeof note);
    if (dnn_comm_rank() == 0)
        fprintf(stderr, "dnn-train: error: iteration %ld: diverged: %s; try a smaller --lr%s\n",
                i, where, note);
    return EXIT_RUNTIME;
}

/* ---- preemption: SIGTERM (a scheduler, or mpirun passing its own on) and SIGINT ----
 * The handler only records the first signal. After each step the ranks agree whether
 * any was signalled and stop together (stop_requested), with a final checkpoint. A
 * second signal ends the process at once, unless it comes while this process writes a
 * file: then it ends it as soon as the file is complete (file_written), so that no
 * temporary file is left behind and the previous file stays whole. The handler may run
 * on any thread (MPI's and OpenMP's too); it touches only these flags and calls only
 * async-signal-safe functions. */
static volatile sig_atomic_t stop_signal;   /* the first signal, 0 while none came */
static volatile sig_atomic_t writing;       /* a file is being written */
static volatile sig_atomic_t second_signal; /* a further signal that came meanwhile */

static void on_stop_signal(int sig)
{
    if (!stop_signal) {
        stop_signal = sig;
    } else if (writing) {
        second_signal = sig;
    } else {
        signal(sig, SIG_DFL); /* delivered with its default action when this returns */
        raise(sig);
    }
}

/* From the first training step on: before it there is no work to keep, and a signal
 * ends the process as usual. Without SA_RESTART, so that the signal ends a write to
 * stdout that blocks: Open MPI's mpirun, when signalled, stops reading the ranks'
 * output a second before it passes SIGTERM on, and a rank printing costs would wait on
 * a full pipe until mpirun kills it. (The writes of a checkpoint or model carry on:
 * io/atomic_file.c repeats a write that EINTR interrupted.) */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM); /* one handler at a time */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void file_writing(void)
{
    writing = 1;
}

/* After a write: a signal that came during it ends the process now. */
static void file_written(void)
{
    writing = 0;
    int sig = second_signal;
    if (sig) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

/* Collective: the signal that stops every rank (the largest number when ranks got
 * different ones), or 0. One reduction of one value. */
static int stop_requested(void)
{
    return (int)dnn_comm_max_double((double)stop_signal);
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal";
}

/* Rank 0 writes the checkpoint; every rank learns how that went. Parameters that the
 * last update made NaN or Inf are divergence, and the previous checkpoint stays. */
static int write_checkpoint(const train_options *o, const dnn_params *params,
                            dnn_checkpoint_info *ci, long next, long *saved_at)
{
    dnn_error err = {"", -1};
    int st = DNN_OK;
    ci->next_iteration = next;
    if (dnn_comm_rank() == 0) {
        file_writing();
        st = dnn_checkpoint_save(o->checkpoint_path, params, ci, &err);
        file_written();
    }
    dnn_comm_bcast(&st, sizeof st);
    if (st == DNN_OK) {
        *saved_at = next;
        return 0;
    }
    char note[600];
    checkpoint_note(o, *saved_at, note, sizeof note);
    if (dnn_comm_rank() == 0 && st == DNN_ERR_NONFINITE)
        fprintf(stderr, "dnn-train: error: iteration %ld: diverged: %s%s\n", next - 1,
                err.message, note);
    else if (dnn_comm_rank() == 0)
        fprintf(stderr, "dnn-train: error: --checkpoint %s%s\n", err.message, note);
    return st == DNN_ERR_NONFINITE ? EXIT_RUNTIME : EXIT_USAGE;
}

/* The epoch under way: the sum of its batches' costs, each weighted by its size, and
 * their examples (its printed cost is their ratio). */
typedef struct {
    double sum;
    long examples;
} epoch_costs;

/* The checkpoint of the state before step next (of per_epoch a epoch), the optimizer's,
 * the epoch's and early stopping's with it. */
static int checkpoint_state(const train_options *o, dnn_trainer *t, const dnn_params *params,
                            const early_stop *es, const epoch_costs *ec,
                            dnn_checkpoint_info *ci, long next, long per_epoch, long *saved_at)
{
    ci->epoch = next / per_epoch;
    ci->epoch_position = next % per_epoch;
    ci->epoch_cost_sum = ec->sum;
    ci->epoch_examples = ec->examples;
    const double *v, *sq;
    dnn_trainer_update_state(t, &v, &sq, &ci->update_steps);
    ci->state_v = (double *)v; /* read only (dnn_checkpoint_info) */
    ci->state_s = (double *)sq;
    early_stop_to_checkpoint(es, ci); /* best_params: read only too */
    int rc = write_checkpoint(o, params, ci, next, saved_at);
    ci->state_v = ci->state_s = ci->best_params = NULL;
    return rc;
}

/* Every rank, once they agreed on a stop signal after iteration i: the final checkpoint
 * (unless that iteration wrote one) and one line on rank 0's stderr. Returns the exit
 * status, 128 + the signal's number as a shell gives (143 for SIGTERM, 130 for SIGINT),
 * also when the checkpoint failed (its error said so). */
static int stop_now(const train_options *o, dnn_trainer *t, const dnn_params *params,
                    const early_stop *es, const epoch_costs *ec, dnn_checkpoint_info *ci,
                    long i, long per_epoch, int sig, long *saved_at)
{
    int written = 0;
    char where[96];
    if (per_epoch == 1)
        snprintf(where, sizeof where, "iteration %ld", i);
    else
        snprintf(where, sizeof where, "step %ld (batch %ld of epoch %ld)", i,
                 i % per_epoch, i / per_epoch);
    if (o->checkpoint_path)
        written = *saved_at == i + 1 ||
                  checkpoint_state(o, t, params, es, ec, ci, i + 1, per_epoch, saved_at) == 0;
    if (dnn_comm_rank() == 0 && !o->checkpoint_path)
        fprintf(stderr, "dnn-train: stopped by %s after %s; no --checkpoint, so "
                        "the state is not kept\n", signal_name(sig), where);
    else if (dnn_comm_rank() == 0)
        fprintf(stderr, "dnn-train: stopped by %s after %s; %s %s\n",
                signal_name(sig), where,
                written ? "checkpoint written to" : "could not write the checkpoint to",
                o->checkpoint_path);
    return 128 + sig;
}

/* DNN_DISABLE=name,name turns special paths off (dnn_trainer_disable), for measuring
 * what each buys with the same build (launch/paths); the same bits either way. */
static void disable_paths(dnn_trainer *t)
{
    const char *list = getenv("DNN_DISABLE");
    char name[64];
    while (list && *list) {
        size_t len = strcspn(list, ",");
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1),
                 list);
        if (len > 0 && !dnn_trainer_disable(t, name) && dnn_comm_rank() == 0)
            fprintf(stderr, "dnn-train: DNN_DISABLE: no path '%s' (split, gradients_travel, "
                            "codes); ignored\n", name);
        list += len + (list[len] == ',');
    }
}

/* The learning rate of iteration (epoch) e: the course's decay schedules. */
static double learning_rate_at(const train_options *o, long e)
{
    if (!(o->lr_decay > 0))
        return o->learning_rate;
    double epochs = o->decay_interval > 0 ? floor((double)e / (double)o->decay_interval)
                                          : (double)e;
    return o->learning_rate / (1 + o->lr_decay * epochs);
}

/* Whether iteration i prints its cost: every --print-every iterations and the last. */
static int prints_at(const train_options *o, long i)
{
    return (o->print_every > 0 && i % o->print_every == 0) || i == o->iterations - 1;
}

/* Whether the print after iteration i counts for early stopping: those of every
 * --print-every iterations, not the extra one of the last (early_stop.h says why). */
static int counts_for_early_stop(const train_options *o, long i)
{
    return o->print_every > 0 && i % o->print_every == 0;
}

/* What a printed line counts: iterations of the full batch, or epochs. */
static const char *unit(const train_options *o)
{
    return o->batch_size > 0 ? "epoch" : "iteration";
}

/* The chunk does not follow the ranks (the bits would): with fewer chunks in a step
 * than ranks, some ranks only wait. Said once, on stderr. */
static void note_idle_ranks(const train_options *o, long m_train)
{
    long step = o->batch_size > 0 && o->batch_size < m_train ? o->batch_size : m_train;
    long chunks = dnn_chunk_count(step, o->chunk);
    int ranks = dnn_comm_size();
    if (dnn_comm_rank() != 0 || chunks >= ranks)
        return;
    fprintf(stderr,
            "dnn-train: note: a step has %ld chunk(s) of %ld examples for %d ranks: %ld rank(s) "
            "have none and only wait; --chunk %ld or less gives every rank one (the chunk is "
            "part of what the bits depend on)\n",
            chunks, o->chunk, ranks, ranks - chunks, (step + ranks - 1) / ranks);
}

static void say_early_stop(const train_options *o, const early_stop *es, long i)
{
    say("Early stop after %s %ld: best test cost %.17g at %s %ld\n", unit(o), i, es->best_cost,
        unit(o), es->best_iteration);
}

/* The trainer's examples for step i: with mini-batches, this rank's chunks of the
 * step's batch (*size its examples over all ranks); the full batch stays as it is.
 * Collective on a run's first step, at the start of each epoch (where memory is taken:
 * the gathering buffers, a new order) and, reading from the file, at every step: a
 * failure is every rank's. */
static dnn_status select_batch(const train_options *o, batch_source *source, int from_file,
                               dnn_trainer *t, long i, long steps, long per_epoch,
                               int first_step, long *size)
{
    if (o->batch_size == 0)
        return DNN_OK;
    dnn_error err = {"", -1};
    dnn_status st = batch_source_select(source, t, i, steps, size, &err);
    if (!first_step && i % per_epoch != 0 && !from_file)
        return st; /* nothing is allocated here: the same status on every rank */
    return agree(st == DNN_OK, err.message) ? (st != DNN_OK ? st : DNN_ERR_IO) : DNN_OK;
}

/* Collective: every rank calls it at every print point, after iteration i's update
 * (cost is the training cost that iteration computed, before its update). With --test
 * the line adds the test set's cross-entropy (no L2 term) and accuracy of the
 * parameters as iteration i left them, the model the run would end with if it ended
 * here; --early-stop takes that cost (counts_for_early_stop) and *stop says whether
 * training ends here, the same on every rank. A loop that prints per epoch calls it
 * the same way. Signalled ranks call it too (the evaluation is collective), but rank 0
 * then prints nothing: stdout may be blocked (catch_stop_signals). Returns 0, or the
 * exit status of a failed evaluation on every rank. */
static int at_print(const train_options *o, const data_sets *d, dnn_trainer *t,
                    const dnn_params *params, early_stop *es, long i, long step, double cost,
                    int *stop)
{
    char test[128] = "";
    metrics_line line = {i, step, o->batch_size > 0, cost, 0, 0.0, 0.0};
    *stop = 0;
    if (o->test_path) {
        dnn_reducer reducer = dnn_comm_reducer();
        double test_cost;
        long correct;
        dnn_status st = dnn_trainer_evaluate(t, &d->test, &reducer, &test_cost, &correct);
        if (agree(st == DNN_OK, "evaluating the test set failed"))
            return EXIT_RUNTIME;
        line.has_test = 1;
        line.test_cost = test_cost;
        line.test_accuracy = (double)correct / (double)d->m_test;
        snprintf(test, sizeof test, "; test cost %.17g, test accuracy %.17g", test_cost,
                 line.test_accuracy);
        /* the same bits on every rank; rank 0's decision is made everyone's all the same,
         * as rank 0 is the one whose checkpoint records it */
        if (counts_for_early_stop(o, i))
            *stop = early_stop_observe(es, params, test_cost, i);
        dnn_comm_bcast(stop, sizeof *stop);
    }
    metrics_print(&metrics, &line); /* collective too */
    if (!stop_signal)
        say("Cost after %s %ld: %.17g%s\n", unit(o), i, cost, test);
    if (*stop && !stop_signal)
        say_early_stop(o, es, i);
    return 0;
}

/* The trainer for params, with the optimizer's state of a resumed run (freed from ci);
 * NULL (and *rc) on failure, every rank alike. */
static dnn_trainer *new_trainer(const train_options *o, data_sets *d, dnn_params *params,
                                dnn_checkpoint_info *ci, int *rc)
{
    dnn_trainer *t = dnn_trainer_new_typed(params, &d->train, d->m_train, (int)o->chunk, o->reduce,
                                           o->dtype);
    dnn_status set = DNN_OK;
    if (!agree(t != NULL, "out of memory setting up the trainer")) {
        dnn_trainer_set_exchange(t, o->exchange);
        disable_paths(t);
        set = dnn_trainer_set_update(t, &o->update);
        if (set == DNN_OK)
            set = dnn_trainer_set_dropout(t, o->keep_prob, (uint64_t)o->seed);
        if (set == DNN_OK && (ci->state_v || ci->update_steps)) /* resumed: its state */
            set = dnn_trainer_set_update_state(t, ci->state_v, ci->state_s, ci->update_steps);
    } else {
        *rc = EXIT_USAGE;
    }
    free(ci->state_v);
    free(ci->state_s);
    ci->state_v = ci->state_s = NULL;
    if (t && agree(set == DNN_OK, "out of memory for the optimizer's state")) {
        dnn_trainer_free(&t);
        *rc = EXIT_RUNTIME;
    }
    return t;
}

/* Early stopping's state, a resumed run's from ci (freed there); EXIT_USAGE when out of
 * memory, every rank alike. */
static int start_early_stop(const train_options *o, const dnn_params *params,
                            dnn_checkpoint_info *ci, early_stop *es)
{
    int ok = early_stop_init(es, o->early_stop, params) == DNN_OK;
    if (ok)
        early_stop_from_checkpoint(es, ci);
    free(ci->best_params);
    ci->best_params = NULL;
    return agree(ok, "out of memory for a copy of the best parameters") ? EXIT_USAGE : 0;
}

/* Collective, with --early-stop at the end of a run: params become the best ones, unless
 * the run went to --iters and its last parameters, whose print did not count for early
 * stopping, have a strictly lower test cost. */
static int keep_best(const train_options *o, const data_sets *d, dnn_trainer *t,
                     dnn_params *params, const early_stop *es, int stopped)
{
    double final_cost = INFINITY; /* the last print counted, or the run stopped early */
    if (es->patience == 0)
        return 0;
    if (!stopped && !counts_for_early_stop(o, o->iterations - 1)) {
        dnn_reducer reducer = dnn_comm_reducer();
        long correct;
        dnn_status st = dnn_trainer_evaluate(t, &d->test, &reducer, &final_cost, &correct);
        if (agree(st == DNN_OK, "evaluating the test set failed"))
            return EXIT_RUNTIME;
    }
    early_stop_keep_best(es, params, final_cost);
    return 0;
}

/* --timing: the loop's time and each part's largest over ranks, in one reduction. */
static void report_timing(const train_options *o, dnn_trainer *t, double start, long done,
                          double compute, double combine, double collective)
{
    double most[4] = {dnn_comm_wtime() - start, compute, combine, collective};
    dnn_comm_max_doubles(most, 4);
    double elapsed = most[0];
    if (o->timing && dnn_comm_rank() == 0 && done > 0)
        fprintf(stderr,
                "timing: %ld iterations in %.3f s (%.3f ms each): rank 0 compute %.3f s, "
                "combine %.3f s, of which MPI collectives %.3f s (%.1f%% of the loop); "
                "max over ranks: compute %.3f s, combine %.3f s, MPI collectives %.3f s\n",
                done, elapsed, 1e3 * elapsed / (double)done, compute, combine, collective,
                elapsed > 0 ? 100.0 * collective / elapsed : 0.0, most[1], most[2], most[3]);
    if (o->timing && dnn_comm_rank() == 0 && done > 0 && dnn_comm_size() > 1)
        fprintf(stderr, "ranks: gradients combined through %s\n",
                dnn_comm_shared_memory() ? "shared memory (one host)" : "MPI");
    if (o->timing && dnn_comm_rank() == 0 && done > 0 && omp_get_max_threads() > 1)
        fprintf(stderr, "threads: %ld of %ld steps split the first layer by inputs on rank 0\n",
                dnn_trainer_split_steps(t), done);
    long recomputed =
        o->timing && o->dtype == DNN_F32 ? dnn_comm_sum_long(dnn_trainer_recomputed(t)) : 0;
    if (o->timing && o->dtype == DNN_F32 && dnn_comm_rank() == 0 && done > 0)
        fprintf(stderr, "f32: %ld hidden pre-activations near 0 recomputed in double\n",
                recomputed);
}

/* The final model's accuracy on the training set and, with --test, the test set. */
static int report_accuracy(const train_options *o, data_sets *d, dnn_trainer *t)
{
    dnn_reducer reducer = dnn_comm_reducer();
    long correct;
    dnn_status st = dnn_trainer_count_correct(t, &d->shard, &reducer, &correct);
    if (agree(st == DNN_OK, "evaluating the training set failed"))
        return EXIT_RUNTIME;
    say("Train accuracy: %.17g\n", (double)correct / (double)d->m_train);
    if (!o->test_path)
        return 0;
    st = dnn_trainer_count_correct(t, &d->test, &reducer, &correct);
    if (agree(st == DNN_OK, "evaluating the test set failed"))
        return EXIT_RUNTIME;
    say("Test accuracy: %.17g\n", (double)correct / (double)d->m_test);
    return 0;
}

static int train(const train_options *o, data_sets *d, dnn_params *params,
                 dnn_checkpoint_info *ci)
{
    dnn_reducer reducer = dnn_comm_reducer();
    int rc = 0;
    dnn_trainer *t = new_trainer(o, d, params, ci, &rc);
    if (!t)
        return rc;
    early_stop es;
    if ((rc = start_early_stop(o, params, ci, &es)) != 0) {
        dnn_trainer_free(&t);
        return rc;
    }
    dnn_batches batches;
    dnn_status bs = dnn_batches_init(&batches, d->m_train, o->batch_size, o->drop_last,
                                     (uint64_t)o->seed);
    batch_source *source = NULL;
    dnn_error err = {"out of memory for the epochs' order", -1};
    if (bs == DNN_OK && o->batch_size > 0) {
        batch_file file = {o->train_path, h5_options(o), (uint64_t)o->seed, d->m_train,
                           d->train.n_features, o->chunk, d->mean, d->deviation};
        source = batch_source_new(d->from_file ? NULL : &d->train, &file, &batches, &err);
        bs = source ? DNN_OK : DNN_ERR_IO;
    }
    if (agree(bs == DNN_OK, err.message)) {
        dnn_batches_free(&batches);
        early_stop_free(&es);
        dnn_trainer_free(&t);
        return bs == DNN_ERR_NOMEM ? EXIT_RUNTIME : EXIT_USAGE;
    }
    double start = dnn_comm_wtime(), compute = 0, combine = 0, collective = 0;
    /* steps: one per batch, per_epoch of them an epoch (1 with the full batch, where a
     * step is an iteration); the checkpoint's next_iteration counts steps */
    long per_epoch = batches.per_epoch, steps = o->iterations * per_epoch;
    long first = ci->next_iteration, saved_at = -1, done = 0; /* done: steps taken */
    epoch_costs ec = {ci->epoch_cost_sum, ci->epoch_examples};
    int stopped = early_stop_reached(&es); /* resumed from a run that had stopped early */
    metrics_start(&metrics, first, steps);
    if (stopped)
        say_early_stop(o, &es, first / per_epoch - 1);
    catch_stop_signals();
    /* Steps ci->next_iteration .. steps - 1, or until early stopping ends them; after
     * each but the last, the ranks agree whether a signal asks them to stop. Prints,
     * checkpoints and early stopping happen at the ends of epochs. */
    for (long i = first; i < steps && !stopped; i++) {
        long epoch = i / per_epoch, size = d->m_train;
        double cost, c1, c2;
        dnn_status st = select_batch(o, source, d->from_file, t, i, steps, per_epoch,
                                     i == first, &size);
        if (st == DNN_OK)
            st = dnn_trainer_step(t, &reducer, learning_rate_at(o, epoch), &cost);
        done++;
        dnn_trainer_last_times(t, &c1, &c2);
        compute += c1;
        combine += c2;
        collective += dnn_trainer_last_collective_time(t);
        if (st != DNN_OK) {
            rc = step_failed(o, d, params, i, st, saved_at);
            break;
        }
        metrics_step(&metrics, i, cost, size, c1, c2, dnn_trainer_last_collective_time(t));
        ec.sum += cost * (double)size;
        ec.examples += size;
        if ((i + 1) % per_epoch == 0) { /* the epoch's end */
            /* the full batch prints its step's cost as it is */
            double epoch_cost = per_epoch == 1 ? cost : ec.sum / (double)ec.examples;
            ec.sum = 0.0;
            ec.examples = 0;
            if (prints_at(o, epoch) &&
                (rc = at_print(o, d, t, params, &es, epoch, i, epoch_cost, &stopped)) != 0)
                break;
            if (o->checkpoint_path &&
                ((o->checkpoint_every > 0 && (epoch + 1) % o->checkpoint_every == 0) ||
                 epoch == o->iterations - 1 || stopped)) {
                batch_source_pause(source); /* its reading thread uses HDF5 too */
                if ((rc = checkpoint_state(o, t, params, &es, &ec, ci, i + 1, per_epoch,
                                           &saved_at)) != 0)
                    break;
            }
        }
        int sig = i + 1 < steps && !stopped ? stop_requested() : 0;
        if (sig) {
            batch_source_pause(source);
            rc = stop_now(o, t, params, &es, &ec, ci, i, per_epoch, sig, &saved_at);
            break;
        }
    }
    metrics_clear_progress(&metrics);
    batch_source_free(&source);
    dnn_batches_free(&batches);
    /* no step left to take (resumed at --iters or after an early stop): the checkpoint is
     * written all the same */
    if (rc == 0 && done == 0 && o->checkpoint_path)
        rc = checkpoint_state(o, t, params, &es, &ec, ci, first, per_epoch, &saved_at);
    report_timing(o, t, start, done, compute, combine, collective);
    /* with --early-stop the run ends with the best parameters: the accuracies, the hash
     * and --save are theirs (the checkpoints keep the last ones too, to go on from) */
    if (rc == 0)
        rc = keep_best(o, d, t, params, &es, stopped);
    if (rc == 0)
        rc = report_accuracy(o, d, t);
    early_stop_free(&es);
    dnn_trainer_free(&t);
    return rc;
}

static int save(const train_options *o, const data_sets *d, const dnn_params *params)
{
    dnn_error err = {"", -1};
    int ok = 1;
    if (dnn_comm_rank() == 0) {
        dnn_model_info info = {.seed = (uint32_t)o->seed,
                               .iterations = o->iterations,
                               .learning_rate = o->learning_rate,
                               .transform = o->standardize   ? DNN_INPUT_STANDARDIZE
                                            : o->scale_uint8 ? DNN_INPUT_SCALE255
                                                             : DNN_INPUT_NONE,
                               .mean = d->mean,
                               .deviation = d->deviation};
        snprintf(info.dtype, sizeof info.dtype, o->dtype == DNN_F32 ? "float32" : "float64");
        snprintf(info.init, sizeof info.init, "%s", dnn_init_name(o->init));
        file_writing();
        ok = dnn_model_save(o->save_path, params, &info, &err) == DNN_OK;
        file_written();
    }
    return agree(ok, err.message) ? EXIT_USAGE : 0;
}

/* Fails before any work when --save or --checkpoint cannot be written. */
/* 0, or 1 with a message when an output is an input or the other output: the same
 * device and inode, so that hard and symbolic links count (io/file_checks.h). --resume
 * and --checkpoint may be one file: a resumed run goes on with its checkpoint. */
static int output_is_another_file(const train_options *o, char *msg, size_t size)
{
    const char *flags[] = {"--save", "--checkpoint", "--metrics", "--train", "--test",
                           "--resume"};
    const char *paths[] = {o->save_path, o->checkpoint_path, o->metrics_path, o->train_path,
                           o->test_path, o->resume_path};
    for (int out = 0; out < 3; out++)
        for (int k = out + 1; k < 6; k++) {
            if (!paths[out] || !paths[k] || (out == 1 && k == 5) ||
                !dnn_same_file(paths[out], paths[k]))
                continue;
            snprintf(msg, size, "%s %s is the same file as %s %s: an output never replaces %s",
                     flags[out], paths[out], flags[k], paths[k],
                     k < 3 ? "another output" : "an input");
            return 1;
        }
    return 0;
}

static int check_outputs(const train_options *o)
{
    const char *flags[] = {"--save", "--checkpoint"};
    const char *paths[] = {o->save_path, o->checkpoint_path};
    char msg[1200] = "";
    int ok = dnn_comm_rank() != 0 || !output_is_another_file(o, msg, sizeof msg);
    for (int k = 0; k < 2 && ok && dnn_comm_rank() == 0; k++) {
        dnn_error err = {"", -1};
        if (paths[k] && dnn_check_writable(paths[k], &err) != DNN_OK) {
            snprintf(msg, sizeof msg, "%s %s", flags[k], err.message);
            ok = 0;
        }
    }
    /* --metrics is opened (for appending) here, before any work: a bad path stops
     * every rank */
    if (ok)
        ok = metrics_open(&metrics, o->metrics_path, msg, sizeof msg);
    return agree(ok, msg) ? EXIT_USAGE : 0;
}

/* What a checkpoint of this run records and a resumed run must match. Collective: the
 * data fingerprint adds up every rank's examples. */
static void describe_run(const train_options *o, const data_sets *d, const dnn_params *p,
                         dnn_checkpoint_info *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->L = p->L;
    memcpy(ci->dims, p->dims, (size_t)(p->L + 1) * sizeof *p->dims);
    snprintf(ci->dtype, sizeof ci->dtype, o->dtype == DNN_F32 ? "float32" : "float64");
    ci->chunk = o->chunk;
    ci->reduce = o->reduce;
    ci->learning_rate = o->learning_rate;
    ci->update = o->update;
    ci->lr_decay = o->lr_decay;
    ci->decay_interval = o->decay_interval;
    ci->batch_size = o->batch_size;
    ci->drop_last = o->drop_last;
    ci->keep_prob = o->keep_prob;
    ci->m_total = d->m_train;
    ci->n_features = p->dims[0];
    uint64_t sum = dnn_comm_sum_uint64(dnn_dataset_hash_sum(&d->shard));
    ci->data_fingerprint = dnn_data_fingerprint(d->m_train, p->dims[0], sum);
    snprintf(ci->init, sizeof ci->init, "%s", dnn_init_name(o->init));
    ci->seed = (uint32_t)o->seed;
}

/* Every rank gets rank 0's resumed arrays into ci: the optimizer's state (v for
 * momentum and Adam, s for Adam) and, with --early-stop, the best parameters when the
 * checkpoint has them; 0 (every rank alike) when out of memory. */
static int broadcast_arrays(const train_options *o, size_t count, dnn_checkpoint_info *ci)
{
    double **array[3] = {&ci->state_v, &ci->state_s, &ci->best_params};
    int has_best = ci->best_params != NULL;
    dnn_comm_bcast(&has_best, sizeof has_best);
    int wanted[3] = {o->update.optimizer != DNN_OPT_GD, o->update.optimizer == DNN_OPT_ADAM,
                     has_best};
    static const char *const what[3] = {"the optimizer's state", "the optimizer's state",
                                        "the best parameters"};
    for (int k = 0; k < 3; k++) {
        if (!wanted[k])
            continue;
        if (dnn_comm_rank() != 0)
            *array[k] = malloc(count * sizeof **array[k]);
        char msg[80];
        snprintf(msg, sizeof msg, "out of memory for %s", what[k]);
        if (agree(*array[k] != NULL, msg))
            return 0;
        dnn_comm_bcast(*array[k], count * sizeof **array[k]);
    }
    return 1;
}

/* Every rank gets rank 0's resumed counts and costs into ci. */
static void broadcast_scalars(dnn_checkpoint_info *ci)
{
    long counts[7] = {ci->next_iteration, ci->update_steps, ci->best_iteration,
                      ci->prints_since_best, ci->epoch, ci->epoch_position, ci->epoch_examples};
    double costs[2] = {ci->best_cost, ci->epoch_cost_sum};
    dnn_comm_bcast(counts, sizeof counts);
    dnn_comm_bcast(costs, sizeof costs);
    ci->next_iteration = counts[0];
    ci->update_steps = counts[1];
    ci->best_iteration = counts[2];
    ci->prints_since_best = counts[3];
    ci->epoch = counts[4];
    ci->epoch_position = counts[5];
    ci->epoch_examples = counts[6];
    ci->best_cost = costs[0];
    ci->epoch_cost_sum = costs[1];
}

/* The state a checkpoint holds besides the run's description, from found (its arrays
 * taken over: set to NULL there) into ci. Early stopping's only with --early-stop. */
static void take_state(const train_options *o, dnn_checkpoint_info *found,
                       dnn_checkpoint_info *ci)
{
    ci->next_iteration = found->next_iteration;
    ci->update_steps = found->update_steps;
    ci->state_v = found->state_v; /* the optimizer's state, for train() */
    ci->state_s = found->state_s;
    found->state_v = found->state_s = NULL;
    if (o->early_stop && found->best_params) {
        ci->best_params = found->best_params;
        ci->best_cost = found->best_cost;
        ci->best_iteration = found->best_iteration;
        ci->prints_since_best = found->prints_since_best;
        found->best_params = NULL;
    }
    ci->epoch = found->epoch;
    ci->epoch_position = found->epoch_position;
    ci->epoch_cost_sum = found->epoch_cost_sum;
    ci->epoch_examples = found->epoch_examples;
}

/* Rank 0 reads and checks the checkpoint, then every rank takes the parameters and the
 * state from rank 0 (so a file that only rank 0 sees is enough). Nothing is used
 * unless all of it was read and verified. */
static int resume(const train_options *o, dnn_params *params, dnn_checkpoint_info *ci)
{
    long per_epoch = dnn_batches_per_epoch(ci->m_total, o->batch_size, o->drop_last);
    char msg[1200] = "";
    int ok = 1;
    if (dnn_comm_rank() == 0) {
        dnn_error err = {"", -1};
        dnn_params *saved = NULL;
        dnn_checkpoint_info found;
        /* a failed load leaves them as they are */
        found.state_v = found.state_s = found.best_params = NULL;
        char diff[900];
        /* layer sizes other than the run's are refused before any memory is spent */
        if (dnn_checkpoint_load_for(o->resume_path, ci, &saved, &found, &err) != DNN_OK) {
            snprintf(msg, sizeof msg, "--resume %s", err.message);
            ok = 0;
        } else if (dnn_checkpoint_mismatch(&found, ci, diff, sizeof diff) > 0) {
            /* the fingerprint hashes the values as transformed */
            snprintf(msg, sizeof msg, "--resume %s: made by a different run: %s%s",
                     o->resume_path, diff,
                     strstr(diff, "data:") ? " (the same data with other --standardize or "
                                             "--no-scale?)"
                                           : "");
            ok = 0;
        } else if (found.next_iteration > o->iterations * per_epoch) {
            if (per_epoch == 1)
                snprintf(msg, sizeof msg, "--resume %s: already %ld iterations, more than --iters %ld",
                         o->resume_path, found.next_iteration, o->iterations);
            else
                snprintf(msg, sizeof msg,
                         "--resume %s: already %ld steps, more than the %ld of --epochs %ld",
                         o->resume_path, found.next_iteration, o->iterations * per_epoch,
                         o->iterations);
            ok = 0;
        } else {
            memcpy(params->arena, saved->arena, params->count * sizeof *params->arena);
            take_state(o, &found, ci);
        }
        free(found.state_v);
        free(found.state_s);
        free(found.best_params);
        dnn_params_free(&saved);
    }
    if (agree(ok, msg))
        return EXIT_USAGE;
    dnn_comm_bcast(params->arena, params->count * sizeof *params->arena);
    broadcast_scalars(ci);
    if (!broadcast_arrays(o, params->count, ci))
        return EXIT_RUNTIME;
    say("dnn-train: resuming from %s at iteration %ld\n", o->resume_path, ci->next_iteration);
    return 0;
}

static int run(train_options *o)
{
    data_sets d;
    memset(&d, 0, sizeof d);
    dnn_checkpoint_info ci;
    memset(&ci, 0, sizeof ci);
    int rc = check_outputs(o);
    if (rc == 0)
        rc = load_data(o, &d);
    dnn_params *params = NULL;
    if (rc == 0) {
        params = dnn_params_new(o->n_dims - 1, o->dims);
        if (agree(params != NULL, "out of memory for the parameters"))
            rc = EXIT_USAGE;
    }
    if (rc == 0 && (o->checkpoint_path || o->resume_path))
        describe_run(o, &d, params, &ci);
    if (rc == 0 && o->resume_path)
        rc = resume(o, params, &ci);
    else if (rc == 0)
        dnn_initialize_parameters_deep(params, o->init, (uint32_t)o->seed);
    if (rc == 0) {
        char batches[96] = "";
        if (o->batch_size > 0)
            snprintf(batches, sizeof batches, ", batches of %ld (%ld an epoch, %s)",
                     o->batch_size < d.m_train ? o->batch_size : d.m_train,
                     dnn_batches_per_epoch(d.m_train, o->batch_size, o->drop_last),
                     d.from_file ? "read from the file" : "in memory");
        say("dnn-train: %d rank(s), %ld training examples, %zu parameters, chunk %ld%s, %s "
            "sums\n",
            dnn_comm_size(), d.m_train, params->count, o->chunk, batches,
            o->reduce == DNN_REDUCE_EXACT ? "exact" : "fast");
        note_idle_ranks(o, d.m_train);
        rc = train(o, &d, params, &ci);
    }
    if (rc == 0)
        say("Parameter hash: 0x%016" PRIx64 "\n", dnn_params_hash(params));
    if (rc == 0 && o->save_path)
        rc = save(o, &d, params);
    free(ci.state_v); /* left by a resume that failed after reading them */
    free(ci.state_s);
    free(ci.best_params);
    metrics_close(&metrics);
    dnn_params_free(&params);
    dnn_dataset_free(&d.train); /* d.shard is a view into it */
    dnn_dataset_free(&d.test);
    free(d.mean);
    free(d.deviation);
    return rc;
}

/* Collective: whether the ranks were given different settings. Each rank parses its
 * own arguments, and an MPMD launch or a wrapper script can give them different ones:
 * another --iters leaves ranks waiting for a step the others never take, another --lr
 * trains a model that no single setting gives. Each rank compares the hash of every
 * option (train_options_settings) with rank 0's; rank 0 names the options that differ
 * somewhere and the lowest rank that has them. Two small collectives when all agree. */
static int settings_differ(const train_options *o)
{
    train_setting mine[TRAIN_MAX_SETTINGS];
    int n = train_options_settings(o, mine, TRAIN_MAX_SETTINGS);
    uint64_t first[TRAIN_MAX_SETTINGS] = {0}; /* rank 0's */
    for (int k = 0; k < n; k++)
        first[k] = mine[k].hash;
    dnn_comm_bcast(first, sizeof first);
    double differs[TRAIN_MAX_SETTINGS] = {0};
    int same = 1;
    for (int k = 0; k < n; k++) {
        differs[k] = first[k] != mine[k].hash;
        same = same && !differs[k];
    }
    int rank = dnn_comm_first_failure(same);
    if (rank < 0)
        return 0;
    dnn_comm_max_doubles(differs, TRAIN_MAX_SETTINGS);
    if (dnn_comm_rank() == 0) {
        char names[1024] = "";
        size_t len = 0;
        for (int k = 0; k < n && len < sizeof names; k++)
            if (differs[k])
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                        len ? ", " : "", mine[k].flag);
        fprintf(stderr, "dnn-train: error: ranks were given different settings: %s (rank %d's "
                        "differ from rank 0's)\n", names, rank);
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (dnn_comm_init(&argc, &argv) != 0) {
        fprintf(stderr, "dnn-train: error: MPI initialization failed\n");
        return EXIT_RUNTIME;
    }
    train_options o;
    char err[512] = "";
    /* Every rank parses its own arguments, normally the same ones; agreeing on the
     * result keeps a rank that was given others from waiting alone. */
    int rc = train_options_parse(argc, argv, &o, err, sizeof err);
    if (agree(rc == 0, err)) {
        rc = EXIT_USAGE;
    } else if (settings_differ(&o)) {
        rc = EXIT_USAGE;
    } else if (o.help) {
        if (dnn_comm_rank() == 0)
            train_options_usage(stdout);
    } else if (o.version) {
        if (dnn_comm_rank() == 0)
            printf("dnn-train %s\n", DNN_VERSION);
    } else {
        dnn_use_system_blas(o.system_blas);
        rc = run(&o);
    }
    dnn_comm_finalize();
    return rc;
}
