#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names tried after the first is taken (by a file a killed run left behind). */
enum { MAX_ATTEMPTS = 100 };

/* 0 when path is absent or a regular file (links followed); DNN_ATOMIC_NOT_REGULAR,
 * with the type in f->found, when it is anything else; or the errno value of stat. */
static int check_target(dnn_atomic_file *f)
{
    struct stat st;
    if (stat(f->path, &st) != 0)
        return errno == ENOENT ? 0 : errno;
    if (S_ISREG(st.st_mode))
        return 0;
    f->found = st.st_mode;
    return DNN_ATOMIC_NOT_REGULAR;
}

/* The temporary name of an attempt: "PATH.tmp.PID" ("PATH.tmp.PID.N" after the
 * first), or, when short is set, ".dnn.tmp.PID[.N]" in the directory of path: for a
 * last name too long to take the suffix. buf has room for strlen(path) + 48. */
static void temp_name(char *buf, size_t size, const char *path, int attempt, int short_name)
{
    long pid = (long)getpid();
    const char *slash = strrchr(path, '/');
    int dir_len = short_name && slash ? (int)(slash - path + 1) : 0;
    const char *stem = short_name ? ".dnn" : path;
    if (attempt == 0)
        snprintf(buf, size, "%.*s%s.tmp.%ld", dir_len, path, stem, pid);
    else
        snprintf(buf, size, "%.*s%s.tmp.%ld.%d", dir_len, path, stem, pid, attempt);
}

int dnn_atomic_begin(dnn_atomic_file *f, const char *path, mode_t mode)
{
    *f = (dnn_atomic_file){.path = path, .fd = -1};
    size_t len = strlen(path) + 48;
    if (!(f->tmp = malloc(len)))
        return ENOMEM;
    int code = check_target(f);
    if (code != 0)
        return code;
    /* the suffix must not push the last name past the system's limit */
    const char *slash = strrchr(path, '/');
    size_t base = strlen(slash ? slash + 1 : path);
    int short_name = base + 32 > NAME_MAX;
    code = EEXIST;
    for (int attempt = 0; attempt < MAX_ATTEMPTS && code == EEXIST; attempt++) {
        temp_name(f->tmp, len, path, attempt, short_name);
        /* O_EXCL: a new file, never an existing one nor where a link there points */
        f->fd = open(f->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        code = f->fd >= 0 ? 0 : errno;
        if (code == ENAMETOOLONG && !short_name) { /* a file system with a lower limit */
            short_name = 1;
            code = EEXIST;
            attempt = -1;
        }
    }
    f->pending = f->fd >= 0;
    return code;
}

const char *dnn_atomic_strerror(const dnn_atomic_file *f, int code)
{
    if (code != DNN_ATOMIC_NOT_REGULAR)
        return strerror(code);
    return S_ISDIR(f->found)    ? "is a directory, not a regular file (never replaced)"
           : S_ISFIFO(f->found) ? "is a FIFO, not a regular file (never replaced)"
           : S_ISCHR(f->found)  ? "is a character device, not a regular file (never replaced)"
           : S_ISBLK(f->found)  ? "is a block device, not a regular file (never replaced)"
           : S_ISSOCK(f->found) ? "is a socket, not a regular file (never replaced)"
                                : "is not a regular file (never replaced)";
}

/* Flushes the directory holding path, so that a rename in it reaches the disk; 0 or
 * an errno value. */
static int fsync_directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (!dir)
        return ENOMEM;
    memcpy(dir, !slash ? "." : slash == path ? "/" : path, len);
    dir[len] = '\0';
    int fd = open(dir, O_RDONLY), code = 0;
    if (fd < 0 || fsync(fd) != 0)
        code = errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    return code;
}

dnn_atomic_result dnn_atomic_commit(dnn_atomic_file *f, int *code)
{
    *code = fsync(f->fd) != 0 ? errno : 0;
    if (close(f->fd) != 0 && *code == 0)
        *code = errno;
    f->fd = -1;
    if (*code != 0)
        return DNN_ATOMIC_NOT_WRITTEN;
    /* again: a device, FIFO or directory put at the path since begin stays */
    if ((*code = check_target(f)) != 0)
        return DNN_ATOMIC_NOT_RENAMED;
    if (rename(f->tmp, f->path) != 0) {
        *code = errno;
        return DNN_ATOMIC_NOT_RENAMED;
    }
    f->pending = 0;
    *code = fsync_directory_of(f->path);
    return *code == 0 ? DNN_ATOMIC_DONE : DNN_ATOMIC_DIR_NOT_FLUSHED;
}

void dnn_atomic_end(dnn_atomic_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->pending)
        unlink(f->tmp);
    free(f->tmp);
    *f = (dnn_atomic_file){.fd = -1};
}

/* "PATH: WHAT: REASON", or "PATH: REASON" when what is NULL. */
static dnn_status fail(dnn_error *err, dnn_status st, const char *path, const char *what,
                       const char *reason)
{
    if (err) {
        snprintf(err->message, sizeof err->message, "%s: %s%s%s", path, what ? what : "",
                 what ? ": " : "", reason);
        err->bad_index = -1;
    }
    return st;
}

/* 0, or -1 with errno set. */
static int write_all(int fd, const unsigned char *bytes, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, bytes, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? (errno = EIO, -1) : -1;
        bytes += n;
        size -= (size_t)n;
    }
    return 0;
}

dnn_status dnn_write_file_atomic(const char *path, const void *bytes, size_t size,
                                 dnn_error *err)
{
    if (!path || !*path || (!bytes && size > 0))
        return fail(err, DNN_ERR_IO, path ? path : "(null)", "nothing to write",
                    strerror(EINVAL));
    dnn_atomic_file f;
    int code = dnn_atomic_begin(&f, path, 0644);
    dnn_status st = DNN_OK;
    if (code == ENOMEM) {
        st = fail(err, DNN_ERR_NOMEM, path, NULL, "out of memory");
    } else if (code != 0) {
        st = fail(err, DNN_ERR_IO, path,
                  code == DNN_ATOMIC_NOT_REGULAR ? NULL : "cannot create a file next to it",
                  dnn_atomic_strerror(&f, code));
    } else {
        code = write_all(f.fd, bytes, size) == 0 ? 0 : errno;
        /* an unflushed directory is no failure here: not all file systems allow it */
        if (code == 0 && dnn_atomic_commit(&f, &code) == DNN_ATOMIC_DIR_NOT_FLUSHED)
            code = 0;
        if (code != 0)
            st = fail(err, DNN_ERR_IO, path,
                      code == DNN_ATOMIC_NOT_REGULAR
                          ? NULL
                          : "writing failed, the previous file is unchanged",
                      dnn_atomic_strerror(&f, code));
    }
    dnn_atomic_end(&f);
    return st;
}
