/* What the harnesses of the model and checkpoint readers share (fuzz_support.c): the
 * input as a temporary file, HDF5's open objects and error printing before and after a
 * call, a loader's failure contract, and the allocations our code makes during a call.
 *
 * Allocations are seen through the linker: the harness is linked with
 * -Wl,--wrap=malloc,... (dnn_fuzz_target's WRAP_ALLOC), so every call to malloc, calloc,
 * realloc, posix_memalign, aligned_alloc and free from our own objects (libdnn.a, the
 * harness) goes through fuzz_support.c first. libhdf5 is a shared library and is not
 * seen: what it allocates is its business (tests/fuzz/known_issues/). */
#ifndef DNN_FUZZ_SUPPORT_H
#define DNN_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dnn/data.h"
#include "fuzz.h"

/* The memory limit the harnesses run under (DNN_MEMORY_LIMIT, set by fuzz_setup): the
 * most any one allocation of our code may ask for, whatever the file says. Small, so
 * that sizes from a fuzzed file exceed it easily, and each accepted input stays cheap. */
enum { FUZZ_MEMORY_LIMIT = 1 << 20 };

/* Once per process: sets DNN_MEMORY_LIMIT, initializes HDF5 and creates the temporary
 * files (named after tag, removed at exit). */
void fuzz_setup(const char *tag);
/* The temporary file the input goes to, and a second one for round trips. */
const char *fuzz_input_path(void);
const char *fuzz_scratch_path(void);
/* Replaces the temporary input file's content with data. */
void fuzz_write_input(const uint8_t *data, size_t size);
/* Overwrites size bytes at offset at of the temporary input file. */
void fuzz_patch_input(const void *bytes, size_t size, off_t at);

/* Open HDF5 files and objects in them (see fuzz_h5_load.c). */
ssize_t fuzz_h5_ids(void);
void fuzz_check_no_new_ids(ssize_t before, const char *call);
/* HDF5's automatic error printing as it was at the start of the input. */
void fuzz_save_error_printing(void);
void fuzz_check_error_printing(const char *call);

/* What a harness's readers make of the file at path (their statuses and what they
 * read), hashed. */
typedef uint64_t (*fuzz_digest)(const char *path);

/* 1 when libhdf5 reads the input file repeatably: every numeric attribute of the root
 * group and every numeric dataset linked from it has the bit fields of its datatype
 * (precision, offset; sign, exponent and mantissa of a float) inside its size; two reads
 * of their raw bytes in two opens, with the heap filled differently before each, give
 * the same bytes; and digest gives the same value for the file and for its bytes at
 * paths of four other lengths, glibc filling the blocks it hands out and takes back with
 * another byte each time (M_PERTURB). libhdf5 1.10 trusts sizes and fields from a file:
 * on a damaged one it reads past a value (valgrind's "Invalid read" in H5T__bit_copy
 * under H5T__conv_i_i), past an attribute's message into memory it recycles, or memory
 * it has freed (under H5Aexists), so that the same bytes may read differently from one
 * open to the next, or under a longer file name. The harnesses ask only when two of
 * their reads disagree, to tell that known issue from a bug of ours, which gives the
 * same disagreement every time. */
int fuzz_h5_repeatable(fuzz_digest digest);

/* FNV-1a 64 of size bytes, continuing from h (start: FUZZ_FNV_OFFSET). */
uint64_t fuzz_hash(uint64_t h, const void *bytes, size_t size);
#define FUZZ_FNV_OFFSET 0xcbf29ce484222325u

/* A failure's message: terminated, naming path first, no bad index, and a status a
 * reader documents (DNN_ERR_IO, DNN_ERR_DATA or DNN_ERR_NOMEM). */
void fuzz_check_failure(dnn_status st, const dnn_error *err, const char *path, const char *call);

/* ---- allocations of our code (linked with --wrap) ---- */

/* Starts watching: the largest request is forgotten. */
void fuzz_alloc_watch(void);
/* The largest single request since fuzz_alloc_watch (SIZE_MAX for a calloc whose
 * product overflows). */
size_t fuzz_alloc_largest(void);
/* Blocks allocated and not yet freed, over the whole run. */
long fuzz_alloc_live(void);
/* The largest request since fuzz_alloc_watch stays under FUZZ_MEMORY_LIMIT plus a page
 * (dnn_params' own bookkeeping beside its arena). */
void fuzz_check_largest(const char *call);
/* No block is left allocated since live_before was fuzz_alloc_live(). */
void fuzz_check_no_leak(long live_before, const char *call);

#endif
