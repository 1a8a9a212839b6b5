/* Fuzz harness for the checkpoint reader (src/io/checkpoint.c). The input, written to a
 * temporary file, goes to dnn_checkpoint_load and dnn_checkpoint_load_for twice: as it
 * is, and sealed again (the input's first 512 bytes replaced by the seal its version and
 * the rest of its bytes give), so that mutations of the HDF5 part get past the checksum
 * and reach HDF5 and the attribute checks. Beyond "no crash, no leak", every call keeps
 * the contract of include/dnn/checkpoint.h:
 *   - a file whose seal does not match its bytes is refused (DNN_ERR_DATA) before HDF5
 *     opens it;
 *   - success: 1..DNN_CHECKPOINT_MAX_LAYERS layers of widths >= 1, the arena laid out as
 *     they say and under the memory limit, finite parameters, every setting in its range
 *     (chunk, examples, features >= 1, iterations and update steps >= 0, a known reduce
 *     mode and optimizer), strings terminated, optimizer state present exactly when the
 *     optimizer has one, early stopping's best parameters finite with a cost >= 0 from
 *     an earlier iteration, the epoch's counts >= 0, a batch size >= 0, drop_last 0 or 1,
 *     keep_prob in (0, 1]; the info compares equal to itself
 *     (dnn_checkpoint_mismatch);
 *     saving what was loaded and loading it again gives the same bits;
 *   - load_for with a run of the same layer sizes gives what load gives; with other
 *     sizes it refuses (DNN_ERR_DATA, "made by a different run: layer sizes: ...")
 *     without allocating room for the parameters;
 *   - failure: *params NULL, *info untouched, a terminated message naming the file, a
 *     documented status;
 *   - no allocation of ours over the memory limit, no block left allocated, no HDF5
 *     object left open, HDF5's error printing restored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnn/checkpoint.h"
#include "fuzz_support.h"

enum { SEAL_SIZE = 512 };
/* how load_for refuses a checkpoint of other layer sizes (checkpoint.h) */
static const char DIFFERENT_RUN[] = ": made by a different run: layer sizes: checkpoint ";

/* The seal of version and the bytes after it, as checkpoint.h describes it. */
static void make_seal(char seal[SEAL_SIZE], long version, const uint8_t *data, size_t size)
{
    memset(seal, 0, SEAL_SIZE);
    snprintf(seal, SEAL_SIZE, "dnn-checkpoint %ld\nfnv1a64 %016llx\n", version,
             (unsigned long long)fuzz_hash(FUZZ_FNV_OFFSET, data + SEAL_SIZE, size - SEAL_SIZE));
}

/* The version the input's seal names, or 0 when it has no seal's beginning. */
static long seal_version(const uint8_t *data, size_t size)
{
    static const char magic[] = "dnn-checkpoint ";
    if (size < SEAL_SIZE || memcmp(data, magic, sizeof magic - 1) != 0)
        return 0;
    char text[SEAL_SIZE + 1];
    memcpy(text, data, SEAL_SIZE);
    text[SEAL_SIZE] = '\0';
    return strtol(text + sizeof magic - 1, NULL, 10);
}

static const int run_dims[] = {8, 4, 1}; /* the seed corpus's layers */

/* A plausible resume: the layers of the seed corpus, or those of dims. */
static dnn_checkpoint_info make_run(int L, const int *dims)
{
    dnn_checkpoint_info run;
    memset(&run, 0, sizeof run);
    run.L = L;
    memcpy(run.dims, dims, (size_t)(L + 1) * sizeof *dims);
    snprintf(run.dtype, sizeof run.dtype, "float64");
    run.chunk = 64;
    run.reduce = DNN_REDUCE_EXACT;
    run.learning_rate = 0.0075;
    run.m_total = 64;
    run.n_features = dims[0];
    run.update = dnn_update_defaults();
    return run;
}

static int is_terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static void check_loaded(const dnn_params *p, const dnn_checkpoint_info *ci, const char *call)
{
    FUZZ_CHECK(ci->L >= 1 && ci->L <= DNN_CHECKPOINT_MAX_LAYERS, "%s: %d layers", call, ci->L);
    FUZZ_CHECK(p && p->arena && p->L == ci->L, "%s: parameters of %d layers, info %d", call,
               p ? p->L : -1, ci->L);
    size_t count = 0;
    for (int l = 0; l <= ci->L; l++) {
        FUZZ_CHECK(ci->dims[l] >= 1 && p->dims[l] == ci->dims[l],
                   "%s: width %d of layer %d, info %d", call, p->dims[l], l, ci->dims[l]);
        if (l == 0)
            continue;
        FUZZ_CHECK(p->W[l] == p->arena + count, "%s: W%d not at its place", call, l);
        count += (size_t)ci->dims[l] * (size_t)ci->dims[l - 1];
        FUZZ_CHECK(p->b[l] == p->arena + count, "%s: b%d not at its place", call, l);
        count += (size_t)ci->dims[l];
    }
    FUZZ_CHECK(p->count == count, "%s: count %zu, the widths give %zu", call, p->count, count);
    FUZZ_CHECK(count * sizeof(double) <= FUZZ_MEMORY_LIMIT,
               "%s: accepted %zu bytes of parameters over the memory limit", call,
               count * sizeof(double));
    for (size_t i = 0; i < count; i++)
        FUZZ_CHECK(isfinite(p->arena[i]), "%s: parameter %zu is %g", call, i, p->arena[i]);
    FUZZ_CHECK(is_terminated(ci->dtype, sizeof ci->dtype) &&
                   is_terminated(ci->init, sizeof ci->init),
               "%s: dtype or init not terminated", call);
    FUZZ_CHECK(ci->reduce == DNN_REDUCE_EXACT || ci->reduce == DNN_REDUCE_FAST,
               "%s: reduce mode %d", call, (int)ci->reduce);
    FUZZ_CHECK(ci->chunk >= 1 && ci->m_total >= 1 && ci->n_features >= 1 &&
                   ci->next_iteration >= 0 && ci->update_steps >= 0 && ci->decay_interval >= 0,
               "%s: chunk %ld, m_total %ld, n_features %d, next_iteration %ld, update_steps "
               "%ld, decay_interval %ld",
               call, ci->chunk, ci->m_total, ci->n_features, ci->next_iteration,
               ci->update_steps, ci->decay_interval);
    dnn_optimizer opt = ci->update.optimizer;
    FUZZ_CHECK(opt == DNN_OPT_GD || opt == DNN_OPT_MOMENTUM || opt == DNN_OPT_ADAM,
               "%s: optimizer %d", call, (int)opt);
    FUZZ_CHECK((ci->state_v != NULL) == (opt != DNN_OPT_GD) &&
                   (ci->state_s != NULL) == (opt == DNN_OPT_ADAM),
               "%s: optimizer %d with state v %s, s %s", call, (int)opt,
               ci->state_v ? "set" : "NULL", ci->state_s ? "set" : "NULL");
    /* early stopping: all of its state or none; a mini-batch run's place in its epoch */
    if (ci->best_params) {
        for (size_t i = 0; i < count; i++)
            FUZZ_CHECK(isfinite(ci->best_params[i]), "%s: best parameter %zu is %g", call, i,
                       ci->best_params[i]);
        FUZZ_CHECK(isfinite(ci->best_cost) && ci->best_cost >= 0 && ci->best_iteration >= 0 &&
                       ci->best_iteration < ci->next_iteration && ci->prints_since_best >= 0,
                   "%s: best cost %g at iteration %ld of %ld, %ld prints since", call,
                   ci->best_cost, ci->best_iteration, ci->next_iteration, ci->prints_since_best);
    }
    FUZZ_CHECK(ci->epoch >= 0 && ci->epoch_position >= 0 && ci->epoch_examples >= 0 &&
                   isfinite(ci->epoch_cost_sum) && ci->epoch_cost_sum >= 0,
               "%s: epoch %ld, position %ld, examples %ld, cost sum %g", call, ci->epoch,
               ci->epoch_position, ci->epoch_examples, ci->epoch_cost_sum);
    FUZZ_CHECK(ci->batch_size >= 0 && (ci->drop_last == 0 || ci->drop_last == 1) &&
                   ci->keep_prob > 0 && ci->keep_prob <= 1,
               "%s: batch size %ld, drop_last %d, keep_prob %g", call, ci->batch_size,
               ci->drop_last, ci->keep_prob);
    /* every setting compares equal to itself, but NaN */
    const double values[] = {ci->learning_rate, ci->update.beta1, ci->update.beta2,
                             ci->update.epsilon, ci->update.l2,   ci->lr_decay};
    int nan = 0;
    for (size_t k = 0; k < sizeof values / sizeof *values; k++)
        nan += isnan(values[k]) != 0;
    char message[1024];
    int n = dnn_checkpoint_mismatch(ci, ci, message, sizeof message);
    FUZZ_CHECK(n == nan && is_terminated(message, sizeof message),
               "%s: %d differences from itself (%d NaN): %s", call, n, nan, message);
}

static void free_loaded(dnn_params **p, dnn_checkpoint_info *ci)
{
    dnn_params_free(p);
    free(ci->state_v);
    free(ci->state_s);
    free(ci->best_params);
    ci->state_v = ci->state_s = ci->best_params = NULL;
}

static int same_state(const double *a, const double *b, size_t n)
{
    return (!a && !b) || (a && b && memcmp(a, b, n * sizeof *a) == 0);
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* What differs between two loads of a checkpoint, or NULL when they are the same bits
 * (the version aside, which is not in the info). */
static const char *difference(const dnn_params *p, const dnn_checkpoint_info *a,
                              const dnn_params *q, const dnn_checkpoint_info *b)
{
    int same = a->L == b->L;
    for (int l = 0; same && l <= a->L; l++)
        same = a->dims[l] == b->dims[l];
    same = same && strcmp(a->dtype, b->dtype) == 0 && a->chunk == b->chunk &&
           a->reduce == b->reduce && same_bits(a->learning_rate, b->learning_rate) &&
           a->m_total == b->m_total && a->n_features == b->n_features &&
           a->data_fingerprint == b->data_fingerprint &&
           a->update.optimizer == b->update.optimizer &&
           same_bits(a->update.beta1, b->update.beta1) &&
           same_bits(a->update.beta2, b->update.beta2) &&
           same_bits(a->update.epsilon, b->update.epsilon) &&
           same_bits(a->update.l2, b->update.l2) && same_bits(a->lr_decay, b->lr_decay) &&
           a->decay_interval == b->decay_interval && strcmp(a->init, b->init) == 0 &&
           a->seed == b->seed && a->next_iteration == b->next_iteration &&
           a->update_steps == b->update_steps && a->epoch == b->epoch &&
           a->epoch_position == b->epoch_position &&
           same_bits(a->epoch_cost_sum, b->epoch_cost_sum) &&
           a->epoch_examples == b->epoch_examples && a->batch_size == b->batch_size &&
           a->drop_last == b->drop_last && same_bits(a->keep_prob, b->keep_prob) &&
           (a->best_params != NULL) == (b->best_params != NULL);
    if (same && a->best_params)
        same = same_bits(a->best_cost, b->best_cost) && a->best_iteration == b->best_iteration &&
               a->prints_since_best == b->prints_since_best;
    if (!same)
        return "info differs";
    if (p->count != q->count || memcmp(p->arena, q->arena, p->count * sizeof *p->arena) != 0)
        return "parameters differ";
    if (!same_state(a->state_v, b->state_v, p->count) ||
        !same_state(a->state_s, b->state_s, p->count))
        return "optimizer state differs";
    if (!same_state(a->best_params, b->best_params, p->count))
        return "best parameters differ";
    return NULL;
}

/* What one load makes of the file at path, hashed: its status and, on success,
 * everything it read. With dims not NULL, *L and dims get the layer sizes (L 0: failed). */
static uint64_t digest_load(const char *path, const dnn_checkpoint_info *run, int *L, int *dims)
{
    dnn_params *p = NULL;
    dnn_checkpoint_info ci;
    dnn_error err;
    dnn_status st = run ? dnn_checkpoint_load_for(path, run, &p, &ci, &err)
                        : dnn_checkpoint_load(path, &p, &ci, &err);
    uint64_t h = fuzz_hash(FUZZ_FNV_OFFSET, &st, sizeof st);
    if (dims)
        *L = 0;
    if (st != DNN_OK)
        return h;
    const long longs[] = {ci.L,       ci.chunk,          ci.reduce,         ci.m_total,
                          ci.n_features, (long)ci.update.optimizer, ci.decay_interval,
                          (long)ci.seed, ci.next_iteration, ci.update_steps, ci.best_iteration,
                          ci.prints_since_best, ci.epoch, ci.epoch_position, ci.epoch_examples,
                          ci.batch_size, ci.drop_last};
    const double doubles[] = {ci.learning_rate, ci.update.beta1, ci.update.beta2,
                              ci.update.epsilon, ci.update.l2,   ci.lr_decay,
                              ci.best_cost,      ci.epoch_cost_sum, ci.keep_prob};
    h = fuzz_hash(h, longs, sizeof longs);
    h = fuzz_hash(h, doubles, sizeof doubles);
    h = fuzz_hash(h, ci.dims, (size_t)(ci.L + 1) * sizeof *ci.dims);
    h = fuzz_hash(h, ci.dtype, strlen(ci.dtype));
    h = fuzz_hash(h, ci.init, strlen(ci.init));
    h = fuzz_hash(h, &ci.data_fingerprint, sizeof ci.data_fingerprint);
    h = fuzz_hash(h, p->arena, p->count * sizeof *p->arena);
    double *const states[] = {ci.state_v, ci.state_s, ci.best_params};
    for (int k = 0; k < 3; k++)
        h = states[k] ? fuzz_hash(h, states[k], p->count * sizeof *states[k])
                      : fuzz_hash(h, "-", 1);
    if (dims) {
        *L = ci.L;
        memcpy(dims, ci.dims, (size_t)(ci.L + 1) * sizeof *dims);
    }
    free_loaded(&p, &ci);
    return h;
}

/* Every load check_file makes, hashed (fuzz_h5_repeatable). */
static uint64_t digest_loads(const char *path)
{
    int L, dims[DNN_CHECKPOINT_MAX_LAYERS + 1];
    uint64_t h = digest_load(path, NULL, &L, dims);
    dnn_checkpoint_info run = make_run(2, run_dims);
    uint64_t g = digest_load(path, &run, NULL, NULL);
    h = fuzz_hash(h, &g, sizeof g);
    if (L > 0) {
        run = make_run(L, dims);
        g = digest_load(path, &run, NULL, NULL);
        h = fuzz_hash(h, &g, sizeof g);
    }
    return h;
}

/* Two reads of the input file that disagree: a bug, unless libhdf5 itself does not read
 * the file repeatably (fuzz_h5_repeatable: its known issue). */
static void check_agree(int agree, const char *call, const char *what)
{
    FUZZ_CHECK(agree || !fuzz_h5_repeatable(digest_loads), "%s: %s", call, what);
}

/* One load; a failure is checked here and gives NULL. */
static dnn_params *load(const dnn_checkpoint_info *run, dnn_checkpoint_info *ci, dnn_status *st,
                        dnn_error *err, const char *call)
{
    const char *path = fuzz_input_path();
    dnn_params *p = (dnn_params *)err; /* not NULL: the loader must set it */
    unsigned char untouched[sizeof *ci];
    memset(ci, 0x5a, sizeof *ci);
    memset(untouched, 0x5a, sizeof untouched);
    ssize_t before = fuzz_h5_ids();
    fuzz_alloc_watch();
    *st = run ? dnn_checkpoint_load_for(path, run, &p, ci, err)
              : dnn_checkpoint_load(path, &p, ci, err);
    fuzz_check_largest(call);
    fuzz_check_no_new_ids(before, call);
    fuzz_check_error_printing(call);
    if (*st == DNN_OK) {
        check_loaded(p, ci, call);
        return p;
    }
    fuzz_check_failure(*st, err, path, call);
    FUZZ_CHECK(p == NULL, "%s failed and left *params set", call);
    FUZZ_CHECK(memcmp(ci, untouched, sizeof *ci) == 0, "%s failed and changed *info", call);
    return NULL;
}

/* What was loaded, saved and loaded again: the same bits. */
static void round_trip(const dnn_params *p, const dnn_checkpoint_info *ci)
{
    const char *out = fuzz_scratch_path();
    dnn_error err;
    dnn_status st = dnn_checkpoint_save(out, p, ci, &err);
    FUZZ_CHECK(st == DNN_OK, "a loaded checkpoint cannot be saved: %s", err.message);
    ssize_t before = fuzz_h5_ids();
    dnn_params *q = NULL;
    dnn_checkpoint_info again;
    st = dnn_checkpoint_load(out, &q, &again, &err);
    fuzz_check_no_new_ids(before, "dnn_checkpoint_load of the saved checkpoint");
    FUZZ_CHECK(st == DNN_OK, "a saved checkpoint cannot be loaded: %s", err.message);
    const char *what = difference(p, ci, q, &again);
    FUZZ_CHECK(!what, "saved and loaded again: %s", what);
    free_loaded(&q, &again);
    unlink(out);
}

/* Every check on the file as it is now; sealed: whether its seal matches its bytes. */
static void check_file(int sealed)
{
    dnn_checkpoint_info ci, other;
    dnn_error err;
    dnn_status st, st2;
    dnn_params *p = load(NULL, &ci, &st, &err, "dnn_checkpoint_load");
    FUZZ_CHECK(sealed || st == DNN_ERR_DATA,
               "a file whose seal does not match was not refused as damaged: status %d, '%s'",
               (int)st, err.message);

    /* the seed corpus's run */
    dnn_checkpoint_info run = make_run(2, run_dims);
    dnn_params *q = load(&run, &other, &st2, &err, "dnn_checkpoint_load_for");
    int same_dims = p && ci.L == run.L && memcmp(ci.dims, run.dims, sizeof run_dims) == 0;
    if (!p) {
        check_agree(!q, "dnn_checkpoint_load_for", "accepted what dnn_checkpoint_load refused");
    } else if (same_dims) {
        check_agree(q != NULL, "dnn_checkpoint_load_for", "refused a run of its layer sizes");
        if (q) {
            const char *what = difference(p, &ci, q, &other);
            check_agree(!what, "dnn_checkpoint_load_for", what);
        }
    } else if (q) {
        check_agree(0, "dnn_checkpoint_load_for", "accepted a run of other layer sizes");
    } else {
        /* refused before any memory is spent on the parameters: every allocation of the
         * refusal is smaller than their arena (the attribute strings of a checkpoint
         * that loads take at most 32 bytes) */
        int refused = st2 == DNN_ERR_DATA && strstr(err.message, DIFFERENT_RUN) != NULL;
        FUZZ_CHECK(!refused || p->count * sizeof(double) <= 64 ||
                       fuzz_alloc_largest() < p->count * sizeof(double),
                   "dnn_checkpoint_load_for, other layer sizes: largest allocation %zu, '%s'",
                   fuzz_alloc_largest(), err.message);
        check_agree(refused, "dnn_checkpoint_load_for, other layer sizes", err.message);
    }
    if (q)
        free_loaded(&q, &other);
    if (!p)
        return;

    /* a run of the checkpoint's own layer sizes */
    run = make_run(ci.L, ci.dims);
    q = load(&run, &other, &st2, &err, "dnn_checkpoint_load_for its own layers");
    check_agree(q != NULL, "dnn_checkpoint_load_for its own layers",
                "refused a run of its layer sizes");
    if (q) {
        const char *what = difference(p, &ci, q, &other);
        check_agree(!what, "dnn_checkpoint_load_for its own layers", what);
        free_loaded(&q, &other);
    }
    char message[1024];
    int n = dnn_checkpoint_mismatch(&ci, &run, message, sizeof message);
    FUZZ_CHECK(n >= 0 && is_terminated(message, sizeof message), "dnn_checkpoint_mismatch");

    round_trip(p, &ci);
    free_loaded(&p, &ci);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup("checkpoint");
    fuzz_write_input(data, size);
    fuzz_save_error_printing();
    long live = fuzz_alloc_live();

    long version = seal_version(data, size);
    char seal[SEAL_SIZE];
    int sealed = 0;
    if (version >= 1 && version <= DNN_CHECKPOINT_VERSION) {
        make_seal(seal, version, data, size);
        sealed = memcmp(seal, data, SEAL_SIZE) == 0;
    }
    check_file(sealed);
    if (version >= 1 && version <= DNN_CHECKPOINT_VERSION && !sealed) {
        fuzz_patch_input(seal, SEAL_SIZE, 0);
        check_file(1);
    }
    fuzz_check_no_leak(live, "the checkpoint reader");
    return 0;
}
