#ifndef DNN_TEST_RANK_CHECK_H
#define DNN_TEST_RANK_CHECK_H

#include <stdio.h>

#include "comm/comm.h"

/* The MPI test programs' checks: a failed one prints the rank and place, and counts. */
static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            failures++;                                                                    \
            fprintf(stderr, "rank %d: %s:%d: ", dnn_comm_rank(), __FILE__, __LINE__);     \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

#endif
