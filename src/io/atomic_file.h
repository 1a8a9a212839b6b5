#ifndef DNN_ATOMIC_FILE_H
#define DNN_ATOMIC_FILE_H

#include <stddef.h>

#include "dnn/data.h"

/* Writes size bytes to path so that path is either left as it was or replaced by the
 * complete new content: a temporary file in the same directory is written, flushed
 * to disk (fsync), renamed over path, and the directory flushed. */
dnn_status dnn_write_file_atomic(const char *path, const void *bytes, size_t size,
                                 dnn_error *err);

#endif
