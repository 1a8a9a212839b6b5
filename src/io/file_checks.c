#include "io/file_checks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *dnn_file_kind(mode_t mode)
{
    return S_ISREG(mode)    ? "a regular file"
           : S_ISDIR(mode)  ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
           : S_ISLNK(mode)  ? "a symbolic link"
                            : "not a regular file";
}

dnn_status dnn_check_input_file(const char *path, uint64_t *size, dnn_error *err)
{
    struct stat st;
    const char *reason = NULL;
    char kind[64];
    if (stat(path, &st) != 0) {
        reason = strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(kind, sizeof kind, "is %s, not a regular file", dnn_file_kind(st.st_mode));
        reason = kind;
    }
    if (!reason) {
        if (size)
            *size = (uint64_t)st.st_size;
        return DNN_OK;
    }
    if (err) {
        snprintf(err->message, sizeof err->message, "%s: %s%s", path,
                 reason == kind ? "" : "cannot open: ", reason);
        err->bad_index = -1;
    }
    return DNN_ERR_IO;
}

/* The directory part of path ("." when there is none), stat'ed into *st; 0 on
 * success. *base is set to the last name. */
static int stat_directory_of(const char *path, struct stat *st, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (!dir)
        return -1;
    memcpy(dir, !slash ? "." : slash == path ? "/" : path, len);
    dir[len] = '\0';
    int rc = stat(dir, st);
    free(dir);
    return rc;
}

int dnn_same_file(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    struct stat sa, sb;
    int has_a = stat(a, &sa) == 0, has_b = stat(b, &sb) == 0;
    if (has_a && has_b)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (has_a || has_b)
        return 0;
    /* neither exists: the same name in the same directory */
    const char *base_a, *base_b;
    if (stat_directory_of(a, &sa, &base_a) != 0 || stat_directory_of(b, &sb, &base_b) != 0)
        return strcmp(a, b) == 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && strcmp(base_a, base_b) == 0;
}

uint64_t dnn_memory_limit(void)
{
    const char *text = getenv("DNN_MEMORY_LIMIT");
    if (text && *text) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno == 0 && *end == '\0' && text[0] != '-')
            return (uint64_t)v;
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0 || (uint64_t)pages > UINT64_MAX / (uint64_t)page)
        return UINT64_MAX;
    return (uint64_t)pages * (uint64_t)page;
}

uint64_t dnn_params_bytes(int L, const int *dims)
{
    uint64_t count = 0;
    for (int l = 1; l <= L; l++) {
        if (dims[l] < 1 || dims[l - 1] < 1)
            return 0;
        uint64_t layer = (uint64_t)dims[l] * ((uint64_t)dims[l - 1] + 1); /* W[l], b[l] */
        if (layer > UINT64_MAX / 8 || count > UINT64_MAX / 8 - layer)
            return 0;
        count += layer;
    }
    return L >= 1 ? 8 * count : 0;
}

/* "123456789 bytes (117.7 MiB)" */
static void format_bytes(char *buf, size_t size, uint64_t n)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    int u = -1;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, size, "%llu bytes", (unsigned long long)n);
    else
        snprintf(buf, size, "%llu bytes (%.1f %s)", (unsigned long long)n, v, units[u]);
}

dnn_status dnn_check_memory(const char *path, const char *what, uint64_t need, dnn_error *err)
{
    uint64_t limit = dnn_memory_limit();
    if (need != 0 && need <= limit)
        return DNN_OK;
    if (err) {
        char a[64], b[64];
        if (need == 0)
            snprintf(a, sizeof a, "%s", "more bytes than can be counted");
        else
            format_bytes(a, sizeof a, need);
        format_bytes(b, sizeof b, limit);
        const char *env = getenv("DNN_MEMORY_LIMIT");
        snprintf(err->message, sizeof err->message,
                 "%s: out of memory: %s need %s, more than the limit of %s (%s)", path, what,
                 a, b, env && *env ? "DNN_MEMORY_LIMIT" : "the physical memory");
        err->bad_index = -1;
    }
    return DNN_ERR_NOMEM;
}
