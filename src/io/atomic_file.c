#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Names tried after "PATH.tmp.PID" is taken (by a file a killed run left behind). */
enum { MAX_ATTEMPTS = 100 };

int dnn_atomic_begin(dnn_atomic_file *f, const char *path, mode_t mode)
{
    *f = (dnn_atomic_file){.path = path, .fd = -1};
    size_t len = strlen(path) + 48;
    if (!(f->tmp = malloc(len)))
        return ENOMEM;
    long pid = (long)getpid();
    int code = EEXIST;
    for (int attempt = 0; attempt < MAX_ATTEMPTS && code == EEXIST; attempt++) {
        if (attempt == 0)
            snprintf(f->tmp, len, "%s.tmp.%ld", path, pid);
        else
            snprintf(f->tmp, len, "%s.tmp.%ld.%d", path, pid, attempt);
        /* O_EXCL: a new file, never an existing one nor where a link there points */
        f->fd = open(f->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        code = f->fd >= 0 ? 0 : errno;
    }
    f->pending = f->fd >= 0;
    return code;
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

static dnn_status fail(dnn_error *err, const char *path, const char *what, int code)
{
    if (err) {
        snprintf(err->message, sizeof err->message, "%s: %s: %s", path, what, strerror(code));
        err->bad_index = -1;
    }
    return DNN_ERR_IO;
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
        return fail(err, path ? path : "(null)", "nothing to write", EINVAL);
    dnn_atomic_file f;
    int code = dnn_atomic_begin(&f, path, 0644);
    dnn_status st = DNN_OK;
    if (code != 0) {
        st = fail(err, path, f.tmp ? "cannot create a file next to it" : "out of memory", code);
    } else {
        code = write_all(f.fd, bytes, size) == 0 ? 0 : errno;
        /* an unflushed directory is no failure here: not all file systems allow it */
        if (code == 0 && dnn_atomic_commit(&f, &code) == DNN_ATOMIC_DIR_NOT_FLUSHED)
            code = 0;
        if (code != 0)
            st = fail(err, path, "writing failed, the previous file is unchanged", code);
    }
    dnn_atomic_end(&f);
    return st;
}
