#ifndef DNN_FILE_SEAL_H
#define DNN_FILE_SEAL_H

#include <stddef.h>
#include <stdint.h>

/* The seal of dnn's own HDF5 files (checkpoints, models): the first DNN_SEAL_SIZE
 * bytes, an HDF5 user block that HDF5 skips, hold the text
 * "FORMAT VERSION\nfnv1a64 HHHHHHHHHHHHHHHH\n" padded with NUL bytes, where H... is
 * FNV-1a 64 of every byte after the seal in lower-case hex. Every byte of the file is
 * covered: the seal's own bytes must be exactly that text. Checking it reads the file
 * once, before HDF5 parses anything, so damage anywhere is refused. */
enum { DNN_SEAL_SIZE = 512 }; /* an HDF5 user block: a power of two >= 512 */

/* FNV-1a 64 of n bytes, continuing from h (start from DNN_SEAL_FNV_OFFSET). */
#define DNN_SEAL_FNV_OFFSET UINT64_C(0xcbf29ce484222325)
uint64_t dnn_seal_fnv(uint64_t h, const unsigned char *bytes, size_t n);

/* The seal's text for a file whose bytes after the seal hash to sum. */
void dnn_seal_text(unsigned char seal[DNN_SEAL_SIZE], const char *format, int version,
                   uint64_t sum);

/* Seals the file open as fd (its bytes after the seal written): 1 on success. */
int dnn_seal_write(int fd, const char *format, int version);

typedef enum {
    DNN_SEAL_OK,       /* the checksum matches; *version set */
    DNN_SEAL_NONE,     /* the file does not begin with "FORMAT " (or is shorter than a seal) */
    DNN_SEAL_VERSION,  /* a version outside 1..max_version; *version set (0 if unreadable) */
    DNN_SEAL_MISMATCH, /* damaged or truncated: the seal is not what the bytes give */
} dnn_seal_result;

/* Checks the seal of the file open as fd (read with pread, from its start). */
dnn_seal_result dnn_seal_check(int fd, const char *format, int max_version, int *version);

#endif
