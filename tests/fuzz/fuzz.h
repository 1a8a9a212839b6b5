/* Shared by the fuzz harnesses (tests/fuzz/fuzz_*.c): libFuzzer's entry point and a check
 * that turns a broken invariant into a crash the fuzzer (or the replay driver) reports.
 *
 * Each harness is linked two ways: with clang's -fsanitize=fuzzer (DNN_FUZZ, launch/fuzz),
 * and with replay_main.c in the normal build, where ctest replays the seed corpus and every
 * input that ever crashed (tests/fuzz/regressions/). */
#ifndef DNN_FUZZ_H
#define DNN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: invariant '%s' broken: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#endif
