#ifndef DNN_LINES_H
#define DNN_LINES_H

#include <stddef.h>

/* bytes of zeroed memory (at least 1) from a 64-byte boundary, for free(); NULL when
 * out of memory. Parameter arenas and example copies start there, so that a weight
 * row or an example column (a multiple of 64 bytes long in the course's first layer)
 * starts on a cache line, and a vector load of one never spans two. */
void *dnn_zeroed_lines(size_t bytes);

#endif
