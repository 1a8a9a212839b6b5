/* Fuzz harness for the HDF5 loader (src/data_hdf5.c): the input is written to a temporary
 * file that dnn_h5_probe and dnn_h5_load then read, with automatic dataset names and with
 * explicit ones inside a group. Beyond "no crash, no leak", every call must keep the
 * contract of include/dnn/data.h:
 *   - success: X and Y allocated with the requested block, labels exactly 0 or 1,
 *     features finite, no error message;
 *   - failure: X and Y NULL, a message that starts with the file's path, a bad index
 *     inside the requested block or -1, a status the header documents;
 *   - probe and load agree on whether the file is usable;
 *   - no HDF5 object is left open and HDF5's error printing is restored.
 * Crashes inside libhdf5 itself on malformed files are HDF5's bugs: launch/fuzz files
 * them under tests/fuzz/known_issues/ instead of regressions/. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnn/data.h"
#include "fuzz.h"

/* At most this many doubles are read per call, whatever shape the file claims. */
enum { MAX_ELEMENTS = 1 << 18 };

static char path[256];
static int fd = -1;

static void remove_file(void)
{
    if (fd >= 0)
        close(fd);
    unlink(path);
}

static void open_file_once(void)
{
    if (fd >= 0)
        return;
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/dnn_fuzz_h5_XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    FUZZ_CHECK(fd >= 0, "mkstemp(%s): %s", path, strerror(errno));
    atexit(remove_file);
    FUZZ_CHECK(H5open() >= 0, "H5open failed");
}

static void write_input(const uint8_t *data, size_t size)
{
    FUZZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate: %s", strerror(errno));
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        FUZZ_CHECK(n > 0, "pwrite: %s", strerror(errno));
        done += (size_t)n;
    }
}

/* Open HDF5 identifiers of files and of what lives in them (datasets, groups, named
 * datatypes, attributes). HDF5 1.10 cannot count transient dataspaces and datatypes; a
 * leaked one is a leak LeakSanitizer reports (tests/sanitizer/lsan.supp spares only what
 * HDF5 itself loses when decoding a damaged file fails). */
static ssize_t count_ids(void)
{
    ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    FUZZ_CHECK(n >= 0, "H5Fget_obj_count failed");
    return n;
}

static void check_no_new_ids(ssize_t before, const char *call)
{
    ssize_t after = count_ids();
    FUZZ_CHECK(after == before, "%s left %zd HDF5 object(s) open", call, after - before);
}

static void check_error_printing(H5E_auto2_t func, void *data, const char *call)
{
    H5E_auto2_t now_func;
    void *now_data;
    FUZZ_CHECK(H5Eget_auto2(H5E_DEFAULT, &now_func, &now_data) >= 0, "H5Eget_auto2");
    FUZZ_CHECK(now_func == func && now_data == data,
               "%s did not restore HDF5's error printing", call);
}

static void check_failure(dnn_status st, const dnn_error *err, long first, long count)
{
    FUZZ_CHECK(st == DNN_ERR_IO || st == DNN_ERR_DATA || st == DNN_ERR_NOMEM ||
                   st == DNN_ERR_ARG,
               "undocumented status %d", (int)st);
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL,
               "message not terminated");
    FUZZ_CHECK(strncmp(err->message, path, strlen(path)) == 0,
               "message does not name the file: '%s'", err->message);
    FUZZ_CHECK(err->bad_index == -1 ||
                   (err->bad_index >= first && err->bad_index < first + count),
               "bad index %ld outside [%ld, %ld)", err->bad_index, first, first + count);
}

/* Loads [first, first + count) and checks the result; returns the status. */
static dnn_status load_and_check(const dnn_h5_options *opts, long m_total, int n_features,
                                 long first, long count)
{
    dnn_dataset data;
    dnn_error err;
    ssize_t before = count_ids();
    dnn_status st = dnn_h5_load(path, opts, first, count, &data, &err);
    check_no_new_ids(before, "dnn_h5_load");
    if (st != DNN_OK) {
        check_failure(st, &err, first, count);
        FUZZ_CHECK(data.X == NULL && data.Y == NULL, "failed load left X or Y allocated");
        return st;
    }
    FUZZ_CHECK(err.message[0] == '\0' && err.bad_index == -1, "success with an error: '%s'",
               err.message);
    FUZZ_CHECK(data.X != NULL && data.Y != NULL, "success without X or Y");
    FUZZ_CHECK(data.n_features == n_features && data.m_total == m_total &&
                   data.first == first && data.m == count,
               "block (%d, %ld, %ld, %ld), asked (%d, %ld, %ld, %ld)", data.n_features,
               data.m_total, data.first, data.m, n_features, m_total, first, count);
    for (long j = 0; j < count; j++) {
        double y = data.Y[j];
        FUZZ_CHECK((y == 0.0 && !signbit(y)) || y == 1.0, "label %g at %ld", y, first + j);
        for (long k = 0; k < n_features; k++)
            FUZZ_CHECK(isfinite(data.X[j * n_features + k]), "feature %ld of example %ld", k,
                       first + j);
    }
    dnn_dataset_free(&data);
    return DNN_OK;
}

static void probe_and_load(const dnn_h5_options *opts)
{
    long m_total = -1;
    int n_features = -1;
    dnn_error err;
    ssize_t before = count_ids();
    dnn_status st = dnn_h5_probe(path, opts, &m_total, &n_features, &err);
    check_no_new_ids(before, "dnn_h5_probe");
    if (st != DNN_OK) {
        check_failure(st, &err, 0, 0);
        /* The same file cannot load either, and for the same kind of reason. */
        dnn_dataset data;
        dnn_status again = dnn_h5_load(path, opts, 0, 1, &data, &err);
        FUZZ_CHECK(again == st, "probe failed with %d, load with %d", (int)st, (int)again);
        check_no_new_ids(before, "dnn_h5_load");
        return;
    }
    FUZZ_CHECK(m_total >= 1 && n_features >= 1, "probe gave %ld examples of %d features",
               m_total, n_features);
    if (n_features > MAX_ELEMENTS)
        return;
    long fit = MAX_ELEMENTS / n_features;
    load_and_check(opts, m_total, n_features, 0, m_total < fit ? m_total : fit);
    if (m_total > 1)
        load_and_check(opts, m_total, n_features, m_total - 1, 1);
    /* Out-of-range blocks are refused as bad arguments, never read. */
    dnn_dataset data;
    FUZZ_CHECK(dnn_h5_load(path, opts, m_total, 1, &data, &err) == DNN_ERR_ARG &&
                   data.X == NULL,
               "block past the end not refused");
    check_no_new_ids(before, "dnn_h5_load past the end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    open_file_once();
    write_input(data, size);

    H5E_auto2_t func;
    void *func_data;
    FUZZ_CHECK(H5Eget_auto2(H5E_DEFAULT, &func, &func_data) >= 0, "H5Eget_auto2");

    const dnn_h5_options automatic = {NULL, NULL, 1, DNN_LABELS_REQUIRED};
    probe_and_load(&automatic);
    const dnn_h5_options named = {"data/x", "data/y", 0, DNN_LABELS_REQUIRED};
    probe_and_load(&named);

    check_error_printing(func, func_data, "the loader");
    return 0;
}
