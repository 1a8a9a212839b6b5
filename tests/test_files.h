#ifndef DNN_TEST_FILES_H
#define DNN_TEST_FILES_H

#include <stddef.h>

/* Files for the Check tests: a temporary directory, whole files as bytes, stderr captured
 * to a file. Every failure fails the current test, with the path in the message. */

/* Creates a new directory /tmp/PREFIX_XXXXXX; its path goes to dir. */
void make_temp_dir(char *dir, size_t size, const char *prefix);

/* Removes path and, when it is a directory, everything under it. */
void remove_tree(const char *path);

/* path = dir/name. */
void join_path(char *path, size_t size, const char *dir, const char *name);

/* Entries of dir other than . and ..; a name containing ".tmp" (a temporary file left
 * by a save) fails the test. */
int count_entries(const char *dir);

typedef struct {
    unsigned char *bytes; /* malloc'ed, even for an empty file */
    size_t size;
} blob;

blob read_file(const char *path);

/* Writes a new file (never rewrites one in place: ext4 would flush it on close). */
void write_file(const char *path, const void *bytes, size_t size);

/* 1 when the file holds exactly the bytes of b, else 0. */
int file_equals(const char *path, const blob *b);

/* Fails the test, naming what, when any HDF5 file, dataset, group, named datatype or
 * attribute is open in the process. */
void assert_no_hdf5_open(const char *what);

/* stderr goes to dir/stderr.txt from capture_stderr_begin to capture_stderr_end, which
 * removes the file and returns how many bytes were written to it. */
typedef struct {
    int saved_fd;
    char path[512];
} stderr_capture;

stderr_capture capture_stderr_begin(const char *dir);
long capture_stderr_end(stderr_capture *c);

#endif
