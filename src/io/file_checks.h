#ifndef DNN_FILE_CHECKS_H
#define DNN_FILE_CHECKS_H

/* Checks made before a file is opened or any memory is spent on what it says: inputs
 * must be regular files (a FIFO would block the reader, /dev/zero never ends), an output
 * must not be one of the inputs or another output, and sizes read from a file must fit
 * in memory. The readers of src/io and the programs share them. */
#include <stdint.h>
#include <sys/types.h>

#include "dnn/data.h"

/* What st_mode's file type is, for messages: "a directory", "a FIFO", "a character
 * device", "a block device", "a socket", "a symbolic link", "a regular file" or "not a
 * regular file". */
const char *dnn_file_kind(mode_t mode);

/* DNN_OK when path names a regular file (links followed); *size (when not NULL) is
 * then its size in bytes. Found with stat, without opening the file. Otherwise
 * DNN_ERR_IO with "PATH: cannot open: REASON" or "PATH: is a FIFO, not a regular file"
 * in err (which may be NULL). */
dnn_status dnn_check_input_file(const char *path, uint64_t *size, dnn_error *err);

/* 1 when a and b name the same file: the same device and inode when both exist (links
 * followed, so a hard or symbolic link to a file is that file), else the same last name
 * in the same directory (a file that does not exist yet, named two ways); 0 otherwise,
 * or when either is NULL. */
int dnn_same_file(const char *a, const char *b);

/* The most bytes that sizes read from a file may make a program allocate: the
 * environment's DNN_MEMORY_LIMIT (a byte count) when set, else the machine's physical
 * memory (sysconf(_SC_PHYS_PAGES) pages of sysconf(_SC_PAGESIZE) bytes), else no
 * limit. */
uint64_t dnn_memory_limit(void);

/* The bytes of the parameters of layer widths dims[0..L] (8 per weight and bias), or 0
 * when a width is below 1 or the count overflows 64 bits. */
uint64_t dnn_params_bytes(int L, const int *dims);

/* DNN_OK when need bytes (0: more than can be counted) fit under dnn_memory_limit();
 * else DNN_ERR_NOMEM with "PATH: out of memory: WHAT need N bytes, more than the
 * limit of M bytes (...)" in err (which may be NULL). Checked before allocating. */
dnn_status dnn_check_memory(const char *path, const char *what, uint64_t need, dnn_error *err);

#endif
