/* Shared by fuzz_model_load.c and fuzz_checkpoint_load.c; see fuzz_support.h. */
#include "fuzz_support.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char input_path[256], scratch_path[256 + 8];
static int input_fd = -1;

static void remove_files(void)
{
    if (input_fd >= 0)
        close(input_fd);
    unlink(input_path);
    unlink(scratch_path);
}

void fuzz_setup(const char *tag)
{
    if (input_fd >= 0)
        return;
    char limit[32];
    snprintf(limit, sizeof limit, "%d", (int)FUZZ_MEMORY_LIMIT);
    FUZZ_CHECK(setenv("DNN_MEMORY_LIMIT", limit, 1) == 0, "setenv: %s", strerror(errno));
    const char *dir = getenv("TMPDIR");
    dir = dir && *dir ? dir : "/tmp";
    snprintf(input_path, sizeof input_path, "%s/dnn_fuzz_%s_XXXXXX", dir, tag);
    input_fd = mkstemp(input_path);
    FUZZ_CHECK(input_fd >= 0, "mkstemp(%s): %s", input_path, strerror(errno));
    /* the scratch file does not exist between round trips: a save creates it */
    snprintf(scratch_path, sizeof scratch_path, "%s.out", input_path);
    atexit(remove_files);
    FUZZ_CHECK(H5open() >= 0, "H5open failed");
    /* What libhdf5 frees goes back to malloc at once, not to free lists of its own: a
     * read of memory it no longer owns is then seen by the sanitizers, and changes with
     * the pattern fuzz_h5_repeatable has glibc fill freed blocks with. */
    H5set_free_list_limits(0, 0, 0, 0, 0, 0);
}

const char *fuzz_input_path(void)
{
    return input_path;
}

const char *fuzz_scratch_path(void)
{
    return scratch_path;
}

void fuzz_patch_input(const void *bytes, size_t size, off_t at)
{
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(input_fd, (const char *)bytes + done, size - done, at + (off_t)done);
        FUZZ_CHECK(n > 0, "pwrite: %s", strerror(errno));
        done += (size_t)n;
    }
}

void fuzz_write_input(const uint8_t *data, size_t size)
{
    FUZZ_CHECK(ftruncate(input_fd, 0) == 0, "ftruncate: %s", strerror(errno));
    fuzz_patch_input(data, size, 0);
}

ssize_t fuzz_h5_ids(void)
{
    ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    FUZZ_CHECK(n >= 0, "H5Fget_obj_count failed");
    return n;
}

void fuzz_check_no_new_ids(ssize_t before, const char *call)
{
    ssize_t after = fuzz_h5_ids();
    FUZZ_CHECK(after == before, "%s left %zd HDF5 object(s) open", call, after - before);
}

static H5E_auto2_t print_func;
static void *print_data;

void fuzz_save_error_printing(void)
{
    FUZZ_CHECK(H5Eget_auto2(H5E_DEFAULT, &print_func, &print_data) >= 0, "H5Eget_auto2");
}

void fuzz_check_error_printing(const char *call)
{
    H5E_auto2_t func;
    void *data;
    FUZZ_CHECK(H5Eget_auto2(H5E_DEFAULT, &func, &data) >= 0, "H5Eget_auto2");
    FUZZ_CHECK(func == print_func && data == print_data,
               "%s did not restore HDF5's error printing", call);
}

/* Whether a numeric datatype's bit fields lie inside its size. */
static int type_sane(hid_t type)
{
    H5T_class_t cls = H5Tget_class(type);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        return cls != H5T_NO_CLASS;
    size_t bits = 8 * H5Tget_size(type), precision = H5Tget_precision(type);
    int offset = H5Tget_offset(type);
    if (bits == 0 || precision == 0 || offset < 0 || precision + (size_t)offset > bits)
        return 0;
    if (cls == H5T_INTEGER)
        return 1;
    size_t spos, epos, esize, mpos, msize;
    return H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) >= 0 && spos < bits &&
           epos + esize <= bits && mpos + msize <= bits;
}

/* The raw bytes of a file's values, as read in one open (see fuzz_h5_repeatable). */
typedef struct {
    unsigned char *bytes;
    size_t size, room;
    int sane; /* every numeric type's fields inside its size */
} raw_values;

static void append(raw_values *r, const void *bytes, size_t size)
{
    if (r->size + size > r->room) {
        size_t room = 2 * (r->size + size);
        unsigned char *grown = realloc(r->bytes, room);
        FUZZ_CHECK(grown, "out of memory");
        r->bytes = grown;
        r->room = room;
    }
    memcpy(r->bytes + r->size, bytes, size);
    r->size += size;
}

/* Appends name and the values of an attribute (attr >= 0) or dataset, as stored: numbers
 * and fixed-length strings of at most 1 MiB, which is all the readers read. */
static void append_values(raw_values *r, const char *name, hid_t attr, hid_t dset)
{
    append(r, name, strlen(name) + 1);
    hid_t type = attr >= 0 ? H5Aget_type(attr) : H5Dget_type(dset);
    hid_t space = attr >= 0 ? H5Aget_space(attr) : H5Dget_space(dset);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    size_t size = type >= 0 ? H5Tget_size(type) : 0;
    r->sane &= cls != H5T_INTEGER && cls != H5T_FLOAT ? 1 : type_sane(type);
    int fixed = cls == H5T_INTEGER || cls == H5T_FLOAT ||
                (cls == H5T_STRING && H5Tis_variable_str(type) == 0);
    if (fixed && n >= 0 && size > 0 && (size_t)n <= (1u << 20) / size) {
        size_t bytes = (size_t)n * size;
        unsigned char *values = calloc(bytes ? bytes : 1, 1);
        FUZZ_CHECK(values, "out of memory");
        herr_t read = attr >= 0 ? H5Aread(attr, type, values)
                                : H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
        unsigned char status = read >= 0;
        append(r, &status, 1);
        append(r, values, bytes);
        free(values);
    }
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
}

static herr_t append_attribute(hid_t loc, const char *name, const H5A_info_t *info, void *r)
{
    (void)info;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr >= 0) {
        append_values(r, name, attr, H5I_INVALID_HID);
        H5Aclose(attr);
    }
    return 0;
}

static herr_t append_dataset(hid_t group, const char *name, const H5L_info_t *info, void *r)
{
    (void)info;
    hid_t obj = H5Oopen(group, name, H5P_DEFAULT);
    if (obj < 0)
        return 0; /* a dangling link: no reader reads through it */
    if (H5Iget_type(obj) == H5I_DATASET)
        append_values(r, name, H5I_INVALID_HID, obj);
    H5Oclose(obj);
    return 0;
}

/* Fills freed heap blocks of many sizes with byte, after HDF5 gives back the blocks it
 * keeps for reuse: what a read past a value picks up then differs from one call to the
 * next. */
static void fill_heap(unsigned char byte)
{
    H5garbage_collect();
    enum { SIZES = 13, EACH = 8 };
    void *blocks[SIZES * EACH] = {0};
    for (int k = 0; k < SIZES; k++)
        for (int j = 0; j < EACH; j++)
            if ((blocks[k * EACH + j] = malloc((size_t)16 << k)) != NULL)
                memset(blocks[k * EACH + j], byte, (size_t)16 << k);
    for (int i = 0; i < SIZES * EACH; i++)
        free(blocks[i]);
}

static raw_values read_raw_values(const char *path)
{
    raw_values r = {NULL, 0, 0, 1};
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file >= 0) {
        hsize_t at = 0;
        H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_NATIVE, &at, append_attribute, &r);
        at = 0;
        H5Literate(file, H5_INDEX_NAME, H5_ITER_NATIVE, &at, append_dataset, &r);
        H5Fclose(file);
    }
    return r;
}

uint64_t fuzz_hash(uint64_t h, const void *bytes, size_t size)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* The input file's bytes (at most 1 MiB), allocated into *bytes. */
static size_t read_input(unsigned char **bytes)
{
    *bytes = malloc(1 << 20);
    FUZZ_CHECK(*bytes, "out of memory");
    ssize_t n = pread(input_fd, *bytes, 1 << 20, 0);
    FUZZ_CHECK(n >= 0, "pread: %s", strerror(errno));
    return (size_t)n;
}

/* digest of the input's bytes at a path of another length in the input's directory. */
static uint64_t digest_elsewhere(fuzz_digest digest, const unsigned char *bytes, size_t size,
                                 int padding)
{
    char path[sizeof input_path + 128];
    const char *slash = strrchr(input_path, '/');
    int dir = slash ? (int)(slash - input_path) : 1;
    char name[128];
    memset(name, 'x', sizeof name);
    snprintf(path, sizeof path, "%.*s/dnn_fuzz_%.*s%d", dir, slash ? input_path : ".", padding,
             name, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0, "%s: %s", path, strerror(errno));
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, bytes + done, size - done);
        FUZZ_CHECK(n > 0, "write: %s", strerror(errno));
        done += (size_t)n;
    }
    close(fd);
    uint64_t d = digest(path);
    unlink(path);
    return d;
}

int fuzz_h5_repeatable(fuzz_digest digest)
{
    const char *path = fuzz_input_path();
    H5E_auto2_t func;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    fill_heap(0x5a);
    raw_values a = read_raw_values(path);
    fill_heap(0xa5);
    raw_values b = read_raw_values(path);
    int repeatable = a.sane && b.sane && a.size == b.size &&
                     (a.size == 0 || memcmp(a.bytes, b.bytes, a.size) == 0);
    free(a.bytes);
    free(b.bytes);
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    unsigned char *bytes;
    size_t size = read_input(&bytes);
    /* the input's own path first, then others of other lengths, each with another
     * pattern in memory malloc hands out or takes back */
    static const int paddings[] = {-1, 0, 17, 40, 85};
    static const int patterns[] = {0 /* none */, 0xa5, 0x01, 0xfe, 0x33};
    uint64_t first = 0;
    for (int k = 0; repeatable && k < 5; k++) {
        mallopt(M_PERTURB, patterns[k]);
        fill_heap((unsigned char)patterns[k]);
        uint64_t d = paddings[k] < 0 ? digest(path)
                                     : digest_elsewhere(digest, bytes, size, paddings[k]);
        repeatable = k == 0 || d == first;
        first = k == 0 ? d : first;
    }
    mallopt(M_PERTURB, 0);
    free(bytes);
    return repeatable;
}

void fuzz_check_failure(dnn_status st, const dnn_error *err, const char *path, const char *call)
{
    FUZZ_CHECK(st == DNN_ERR_IO || st == DNN_ERR_DATA || st == DNN_ERR_NOMEM,
               "%s: undocumented status %d", call, (int)st);
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL,
               "%s: message not terminated", call);
    size_t len = strlen(path);
    FUZZ_CHECK(strncmp(err->message, path, len) == 0 && strncmp(err->message + len, ": ", 2) == 0 &&
                   err->message[len + 2] != '\0',
               "%s: message does not name the file and a reason: '%s'", call, err->message);
    FUZZ_CHECK(err->bad_index == -1, "%s: bad index %ld for a file", call, err->bad_index);
    /* "out of memory" is what the programs' exit code 2 and the header promise */
    FUZZ_CHECK(st != DNN_ERR_NOMEM || strstr(err->message, "out of memory") != NULL,
               "%s: DNN_ERR_NOMEM without 'out of memory': '%s'", call, err->message);
}

/* ---- allocations, through the linker's --wrap ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *ptr, size_t size);
int __real_posix_memalign(void **out, size_t alignment, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
void __real_free(void *ptr);

static size_t largest;
static long live;

static void seen(size_t size, const void *result)
{
    if (size > largest)
        largest = size;
    if (result)
        live++;
}

void *__wrap_malloc(size_t size)
{
    void *p = __real_malloc(size);
    seen(size, p);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = __real_calloc(n, size);
    seen(size && n > SIZE_MAX / size ? SIZE_MAX : n * size, p);
    return p;
}

void *__wrap_realloc(void *ptr, size_t size)
{
    void *p = __real_realloc(ptr, size);
    if (size > largest)
        largest = size;
    if (!ptr && p)
        live++;
    else if (ptr && size == 0 && !p)
        live--; /* glibc freed it */
    return p;
}

int __wrap_posix_memalign(void **out, size_t alignment, size_t size)
{
    int rc = __real_posix_memalign(out, alignment, size);
    seen(size, rc == 0 ? *out : NULL);
    return rc;
}

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    void *p = __real_aligned_alloc(alignment, size);
    seen(size, p);
    return p;
}

void __wrap_free(void *ptr)
{
    if (ptr)
        live--;
    __real_free(ptr);
}

void fuzz_alloc_watch(void)
{
    largest = 0;
}

size_t fuzz_alloc_largest(void)
{
    return largest;
}

long fuzz_alloc_live(void)
{
    return live;
}

void fuzz_check_largest(const char *call)
{
    FUZZ_CHECK(largest <= (size_t)FUZZ_MEMORY_LIMIT + 4096,
               "%s asked for %zu bytes at once, over the memory limit of %d", call, largest,
               (int)FUZZ_MEMORY_LIMIT);
}

void fuzz_check_no_leak(long live_before, const char *call)
{
    FUZZ_CHECK(live == live_before, "%s leaked %ld block(s)", call, live - live_before);
}
