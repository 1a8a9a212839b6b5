/* Fuzz harness for the model reader (src/io/model_io.c): the input, written to a
 * temporary file, goes to dnn_model_probe and dnn_model_load. Beyond "no crash, no
 * leak", every call keeps the contract of include/dnn/model_io.h:
 *   - success: 1..DNN_MODEL_MAX_LAYERS layers of widths >= 1 ending in 1, the arena's
 *     count and the W/b views laid out as dims say, the parameters under the memory
 *     limit, info's init and dtype terminated, a known transform with means and
 *     deviations exactly for "standardize" (finite, deviations > 0); saving what was
 *     loaded and loading it again gives the same bits (parameters and info) and a
 *     sealed file;
 *   - an input that begins with a model's seal whose checksum does not match is refused
 *     (DNN_ERR_DATA) by both; it is then sealed again and checked once more, so that
 *     damage behind the seal reaches HDF5;
 *   - failure: *params NULL, a terminated message naming the file, a documented status;
 *   - probe and load agree (same status when the probe refuses, same layer sizes when
 *     both accept);
 *   - no allocation of ours over the memory limit (a refusal spends nothing on sizes it
 *     has not checked), no block left allocated, no HDF5 object left open, HDF5's
 *     error printing restored. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "dnn/model_io.h"
#include "fuzz_support.h"

/* The layout dnn_params promises for widths p->dims[0..L], under the memory limit. */
static void check_params(const dnn_params *p, const char *call)
{
    FUZZ_CHECK(p && p->arena && p->W && p->b && p->dims, "%s: success without parameters",
               call);
    FUZZ_CHECK(p->L >= 1 && p->L <= DNN_MODEL_MAX_LAYERS && p->dims[p->L] == 1,
               "%s: %d layers, last width %d", call, p->L, p->dims[p->L]);
    size_t count = 0;
    for (int l = 0; l <= p->L; l++) {
        FUZZ_CHECK(p->dims[l] >= 1, "%s: width %d of layer %d", call, p->dims[l], l);
        if (l == 0)
            continue;
        FUZZ_CHECK(p->W[l] == p->arena + count, "%s: W%d not at its place", call, l);
        count += (size_t)p->dims[l] * (size_t)p->dims[l - 1];
        FUZZ_CHECK(p->b[l] == p->arena + count, "%s: b%d not at its place", call, l);
        count += (size_t)p->dims[l];
    }
    FUZZ_CHECK(p->count == count, "%s: count %zu, the widths give %zu", call, p->count, count);
    FUZZ_CHECK(count * sizeof(double) <= FUZZ_MEMORY_LIMIT,
               "%s: accepted %zu bytes of parameters over the memory limit", call,
               count * sizeof(double));
}

/* What the probe and the load make of the file at path, hashed (fuzz_h5_repeatable). */
static uint64_t digest_reads(const char *path)
{
    int L = 0, dims[DNN_MODEL_MAX_LAYERS + 1];
    dnn_error err;
    dnn_status st = dnn_model_probe(path, &L, dims, &err);
    uint64_t h = fuzz_hash(FUZZ_FNV_OFFSET, &st, sizeof st);
    if (st == DNN_OK)
        h = fuzz_hash(h, dims, (size_t)(L + 1) * sizeof *dims);
    dnn_params *p = NULL;
    dnn_model_info info;
    st = dnn_model_load(path, &p, &info, &err);
    h = fuzz_hash(h, &st, sizeof st);
    if (st == DNN_OK) {
        h = fuzz_hash(h, p->dims, (size_t)(p->L + 1) * sizeof *p->dims);
        h = fuzz_hash(h, p->arena, p->count * sizeof *p->arena);
        dnn_params_free(&p);
    }
    return h;
}

/* Two reads of the input file that disagree: a bug, unless libhdf5 itself does not read
 * the file repeatably (fuzz_h5_repeatable: its known issue). */
static void check_agree(int agree, const char *what)
{
    FUZZ_CHECK(agree || !fuzz_h5_repeatable(digest_reads), "%s", what);
}

/* n0: the input width, the length of the means and deviations. */
static int same_info(const dnn_model_info *a, const dnn_model_info *b, int n0)
{
    int same = strcmp(a->init, b->init) == 0 && a->seed == b->seed &&
               a->iterations == b->iterations &&
               memcmp(&a->learning_rate, &b->learning_rate, sizeof a->learning_rate) == 0 &&
               strcmp(a->dtype, b->dtype) == 0 && a->transform == b->transform;
    if (same && a->transform == DNN_INPUT_STANDARDIZE)
        same = memcmp(a->mean, b->mean, (size_t)n0 * sizeof *a->mean) == 0 &&
               memcmp(a->deviation, b->deviation, (size_t)n0 * sizeof *a->deviation) == 0;
    return same;
}

/* What a successful load promises of info (model_io.h): a known transform and dtype, the
 * means and deviations exactly with "standardize", finite, deviations > 0. */
static void check_info(const dnn_model_info *info, int n0)
{
    FUZZ_CHECK(memchr(info->init, '\0', sizeof info->init) != NULL, "info.init not terminated");
    FUZZ_CHECK(memchr(info->dtype, '\0', sizeof info->dtype) != NULL &&
                   (!info->dtype[0] || strcmp(info->dtype, "float64") == 0 ||
                    strcmp(info->dtype, "float32") == 0),
               "info.dtype not float64, float32 or empty");
    FUZZ_CHECK(info->transform >= DNN_INPUT_UNRECORDED && info->transform <= DNN_INPUT_STANDARDIZE,
               "info.transform %d unknown", (int)info->transform);
    int standardize = info->transform == DNN_INPUT_STANDARDIZE;
    FUZZ_CHECK(standardize == (info->mean != NULL) && standardize == (info->deviation != NULL),
               "means and deviations with transform %d", (int)info->transform);
    for (int i = 0; standardize && i < n0; i++)
        FUZZ_CHECK(isfinite(info->mean[i]) && isfinite(info->deviation[i]) &&
                       info->deviation[i] > 0,
                   "input %d: mean %g, deviation %g accepted", i, info->mean[i],
                   info->deviation[i]);
    FUZZ_CHECK(info->sealed == 0 || info->sealed == 1, "info.sealed %d", info->sealed);
}

/* What was loaded, saved and loaded again: the same bits. */
static void round_trip(const dnn_params *p, const dnn_model_info *info)
{
    const char *out = fuzz_scratch_path();
    dnn_error err;
    dnn_status st = dnn_model_save(out, p, info, &err);
    FUZZ_CHECK(st == DNN_OK, "a loaded model cannot be saved: %s", err.message);
    ssize_t before = fuzz_h5_ids();
    dnn_params *again = NULL;
    dnn_model_info info2;
    st = dnn_model_load(out, &again, &info2, &err);
    fuzz_check_no_new_ids(before, "dnn_model_load of the saved model");
    FUZZ_CHECK(st == DNN_OK, "a saved model cannot be loaded: %s", err.message);
    check_params(again, "dnn_model_load of the saved model");
    FUZZ_CHECK(again->L == p->L &&
                   memcmp(again->dims, p->dims, (size_t)(p->L + 1) * sizeof *p->dims) == 0,
               "layer sizes changed in a save and load");
    FUZZ_CHECK(memcmp(again->arena, p->arena, p->count * sizeof *p->arena) == 0,
               "parameters changed in a save and load");
    FUZZ_CHECK(same_info(info, &info2, p->dims[0]),
               "info changed in a save and load: init '%s' -> '%s'", info->init, info2.init);
    FUZZ_CHECK(info2.sealed == 1, "a saved model has no seal");
    dnn_model_info_free(&info2);
    dnn_params_free(&again);
    unlink(out);
}

/* Every check on the input file as it is now; damaged: it begins with the seal's
 * format but the seal does not match its bytes, so it must be refused as damaged. */
static void check_file(int damaged)
{
    const char *path = fuzz_input_path();

    int L = -1, dims[DNN_MODEL_MAX_LAYERS + 1];
    dnn_error err;
    ssize_t before = fuzz_h5_ids();
    fuzz_alloc_watch();
    dnn_status probed = dnn_model_probe(path, &L, dims, &err);
    fuzz_check_no_new_ids(before, "dnn_model_probe");
    fuzz_check_error_printing("dnn_model_probe");
    if (probed != DNN_OK) {
        fuzz_check_failure(probed, &err, path, "dnn_model_probe");
    } else {
        FUZZ_CHECK(L >= 1 && L <= DNN_MODEL_MAX_LAYERS && dims[L] == 1,
                   "dnn_model_probe: %d layers, last width %d", L, L >= 0 ? dims[L] : 0);
    }
    fuzz_check_largest("dnn_model_probe");
    FUZZ_CHECK(!damaged || probed == DNN_ERR_DATA,
               "dnn_model_probe accepted a model whose seal does not match: status %d", probed);

    dnn_params *p = (dnn_params *)&err; /* not NULL: the loader must set it */
    dnn_model_info info;
    memset(&info, 0x5a, sizeof info);
    fuzz_alloc_watch();
    dnn_status st = dnn_model_load(path, &p, &info, &err);
    fuzz_check_largest("dnn_model_load");
    fuzz_check_no_new_ids(before, "dnn_model_load");
    fuzz_check_error_printing("dnn_model_load");
    if (st != DNN_OK) {
        fuzz_check_failure(st, &err, path, "dnn_model_load");
        FUZZ_CHECK(p == NULL, "failed dnn_model_load left *params set");
        /* a refusal by the probe's checks is the same refusal; past them only reading
         * the values can fail (a damaged chunk), or memory really running out */
        check_agree(probed == DNN_OK ? st == DNN_ERR_DATA || st == DNN_ERR_NOMEM : st == probed,
                    "dnn_model_probe and dnn_model_load refused differently");
    } else {
        check_params(p, "dnn_model_load");
        check_agree(probed == DNN_OK, "dnn_model_load accepted what dnn_model_probe refused");
        int same = p->L == L;
        for (int l = 0; same && l <= L; l++)
            same = p->dims[l] == dims[l];
        check_agree(same, "dnn_model_load gave other layer sizes than dnn_model_probe");
        check_info(&info, p->dims[0]);
        /* the model's values are not promised finite (model_io.h): nothing to check */
        round_trip(p, &info);
        dnn_params_free(&p);
        dnn_model_info_free(&info);
    }
    FUZZ_CHECK(!damaged || st == DNN_ERR_DATA,
               "dnn_model_load accepted a model whose seal does not match: status %d", st);
}

enum { SEAL_SIZE = 512 };

/* Whether the input begins like a sealed model ("dnn-model 1\n"), and in seal the seal
 * its bytes after the first SEAL_SIZE call for (model_io.h). */
static int make_seal(const uint8_t *data, size_t size, char seal[SEAL_SIZE])
{
    static const char magic[] = "dnn-model 1\n";
    if (size < SEAL_SIZE || memcmp(data, magic, sizeof magic - 1) != 0)
        return 0;
    memset(seal, 0, SEAL_SIZE);
    snprintf(seal, SEAL_SIZE, "dnn-model 1\nfnv1a64 %016llx\n",
             (unsigned long long)fuzz_hash(FUZZ_FNV_OFFSET, data + SEAL_SIZE, size - SEAL_SIZE));
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup("model");
    fuzz_write_input(data, size);
    fuzz_save_error_printing();
    long live = fuzz_alloc_live();
    char seal[SEAL_SIZE];
    int like_sealed = make_seal(data, size, seal);
    int damaged = like_sealed && memcmp(seal, data, SEAL_SIZE) != 0;
    check_file(damaged);
    /* sealed again, so that damage behind the seal reaches HDF5 */
    if (damaged) {
        fuzz_patch_input(seal, SEAL_SIZE, 0);
        check_file(0);
    }
    fuzz_check_no_leak(live, "the model reader");
    return 0;
}
