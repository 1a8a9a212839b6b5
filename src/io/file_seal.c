/* The seal of dnn's HDF5 files (io/file_seal.h): format, version and checksum in the
 * HDF5 user block. */
#include "io/file_seal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint64_t FNV_PRIME = 0x100000001b3u;

uint64_t dnn_seal_fnv(uint64_t h, const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= bytes[i];
        h *= FNV_PRIME;
    }
    return h;
}

void dnn_seal_text(unsigned char seal[DNN_SEAL_SIZE], const char *format, int version,
                   uint64_t sum)
{
    memset(seal, 0, DNN_SEAL_SIZE);
    snprintf((char *)seal, DNN_SEAL_SIZE, "%s %d\nfnv1a64 %016llx\n", format, version,
             (unsigned long long)sum);
}

/* FNV-1a 64 of the bytes of fd from DNN_SEAL_SIZE to the end; returns 0 on a read
 * error. */
static int hash_after_seal(int fd, uint64_t *sum)
{
    unsigned char buf[1 << 16];
    uint64_t h = DNN_SEAL_FNV_OFFSET;
    off_t at = DNN_SEAL_SIZE;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 0;
        if (n == 0)
            break;
        h = dnn_seal_fnv(h, buf, (size_t)n);
        at += n;
    }
    *sum = h;
    return 1;
}

int dnn_seal_write(int fd, const char *format, int version)
{
    uint64_t sum;
    unsigned char seal[DNN_SEAL_SIZE];
    if (!hash_after_seal(fd, &sum))
        return 0;
    dnn_seal_text(seal, format, version, sum);
    return pwrite(fd, seal, DNN_SEAL_SIZE, 0) == DNN_SEAL_SIZE;
}

dnn_seal_result dnn_seal_check(int fd, const char *format, int max_version, int *version)
{
    unsigned char seal[DNN_SEAL_SIZE + 1] = {0}, expected[DNN_SEAL_SIZE];
    size_t magic = strlen(format);
    *version = 0;
    if (pread(fd, seal, DNN_SEAL_SIZE, 0) != DNN_SEAL_SIZE || memcmp(seal, format, magic) != 0 ||
        seal[magic] != ' ')
        return DNN_SEAL_NONE;
    long v = strtol((const char *)seal + magic + 1, NULL, 10); /* NUL-ended */
    if (v < 1 || v > max_version) {
        *version = v > 0 && v < 1000000 ? (int)v : 0;
        return DNN_SEAL_VERSION;
    }
    *version = (int)v;
    uint64_t sum = 0;
    if (!hash_after_seal(fd, &sum))
        return DNN_SEAL_MISMATCH;
    dnn_seal_text(expected, format, (int)v, sum);
    return memcmp(seal, expected, DNN_SEAL_SIZE) == 0 ? DNN_SEAL_OK : DNN_SEAL_MISMATCH;
}
