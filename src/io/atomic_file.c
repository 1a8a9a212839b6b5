#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dnn_status fail(dnn_error *err, const char *path, const char *what, int code)
{
    if (err) {
        snprintf(err->message, sizeof err->message, "%s: %s: %s", path, what, strerror(code));
        err->bad_index = -1;
    }
    return DNN_ERR_IO;
}

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

/* The directory part of path ("." when there is none). */
static void directory_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

dnn_status dnn_write_file_atomic(const char *path, const void *bytes, size_t size,
                                 dnn_error *err)
{
    if (!path || !*path || (!bytes && size > 0))
        return fail(err, path ? path : "(null)", "nothing to write", EINVAL);
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len), dir[4096];
    if (!tmp)
        return fail(err, path, "out of memory", ENOMEM);
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        dnn_status st = fail(err, path, "cannot create a file next to it", errno);
        free(tmp);
        return st;
    }
    int code = 0;
    if (write_all(fd, bytes, size) != 0 || fsync(fd) != 0)
        code = errno;
    if (close(fd) != 0 && code == 0)
        code = errno;
    if (code == 0 && rename(tmp, path) != 0)
        code = errno;
    if (code != 0) {
        unlink(tmp);
        free(tmp);
        return fail(err, path, "writing failed, the previous file is unchanged", code);
    }
    free(tmp);
    directory_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) { /* makes the rename itself durable; not all file systems allow it */
        fsync(dfd);
        close(dfd);
    }
    return DNN_OK;
}
