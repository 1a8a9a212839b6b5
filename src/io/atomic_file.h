#ifndef DNN_ATOMIC_FILE_H
#define DNN_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "dnn/data.h"

/* A file written under a temporary name next to its final path, then put in place
 * whole, so that the path holds either its old content or the complete new one:
 *
 *     dnn_atomic_file f;
 *     int code = dnn_atomic_begin(&f, path, 0666); // 0, or a code (dnn_atomic_strerror)
 *     ... write f.fd, or the file named f.tmp ...
 *     dnn_atomic_result r = dnn_atomic_commit(&f, &code);
 *     dnn_atomic_end(&f); // whatever happened: removes f.tmp unless committed
 *
 * The path must be absent or a regular file (links followed): a directory, device,
 * FIFO or socket there is never replaced (DNN_ATOMIC_NOT_REGULAR, checked by begin and
 * again by commit). The temporary file "PATH.tmp.PID" (or "PATH.tmp.PID.N" when that
 * name is taken) is created with O_EXCL | O_NOFOLLOW: always a new file, never an
 * existing one or the target of a link left at that name. When the last name of path
 * is too long for that suffix (NAME_MAX), the temporary file is ".dnn.tmp.PID[.N]" in
 * the same directory. Commit flushes it to disk (fsync), renames it over the path and
 * flushes the directory, so that the rename itself reaches the disk. Messages should
 * name f.path, the user's name, never f.tmp. */
typedef struct {
    const char *path; /* the final path (borrowed) */
    char *tmp;        /* the temporary file's name (owned); NULL when out of memory */
    int fd;           /* the temporary file, open to read and write; -1 once closed */
    int pending;      /* tmp was created by begin and not yet renamed: end removes it */
    mode_t found;     /* st_mode of what is at path, for DNN_ATOMIC_NOT_REGULAR */
} dnn_atomic_file;

/* The code of begin and commit when path exists and is not a regular file. */
enum { DNN_ATOMIC_NOT_REGULAR = -1 };

/* How far dnn_atomic_commit got. */
typedef enum {
    DNN_ATOMIC_DONE,            /* the path holds the new content, flushed to disk */
    DNN_ATOMIC_NOT_WRITTEN,     /* flushing or closing the file failed; path unchanged */
    DNN_ATOMIC_NOT_RENAMED,     /* the rename failed; path unchanged */
    DNN_ATOMIC_DIR_NOT_FLUSHED  /* renamed, but the directory could not be flushed (not
                                 * all file systems allow it) */
} dnn_atomic_result;

/* Checks the path and creates the temporary file next to it with the given mode (less
 * the umask). Returns 0, DNN_ATOMIC_NOT_REGULAR, or the errno value of the failure
 * (ENOMEM, with f->tmp NULL when the name could not be allocated). Call dnn_atomic_end
 * in every case. */
int dnn_atomic_begin(dnn_atomic_file *f, const char *path, mode_t mode);

/* Flushes, closes and renames the temporary file over the path, then flushes the
 * directory. *code is 0 for DNN_ATOMIC_DONE, else DNN_ATOMIC_NOT_REGULAR (with
 * DNN_ATOMIC_NOT_RENAMED) or the errno value of the failed step. */
dnn_atomic_result dnn_atomic_commit(dnn_atomic_file *f, int *code);

/* A code of begin or commit as text: strerror, or "is a FIFO, not a regular file
 * (never replaced)" and the like for DNN_ATOMIC_NOT_REGULAR. Call before
 * dnn_atomic_end. */
const char *dnn_atomic_strerror(const dnn_atomic_file *f, int code);

/* Closes the temporary file if open, removes it unless it was renamed, frees f. */
void dnn_atomic_end(dnn_atomic_file *f);

/* Writes size bytes to path so that path is either left as it was or replaced by the
 * complete new content (mode 0644 less the umask), through the functions above. */
dnn_status dnn_write_file_atomic(const char *path, const void *bytes, size_t size,
                                 dnn_error *err);

#endif
