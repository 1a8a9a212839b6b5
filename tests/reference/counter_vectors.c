/* Test vectors of the counter-based generator (include/dnn/counter_rng.h), printed by
 * the C definition itself so tests/reference/test_counter_rng.py can check the numpy
 * twin (tests/reference/counter_rng.py) against them. Not part of the build:
 *
 *   cc -std=c11 -I include tests/reference/counter_vectors.c src/core/counter_rng.c -o /tmp/cv
 *   /tmp/cv > tests/reference/counter_vectors.txt
 *
 * Line formats (integers in decimal, doubles with %.17g):
 *   mix Z MIX(Z)
 *   absorb K V ABSORB(K,V)
 *   uniform K UNIFORM(K)
 *   order SEED EPOCH M I0 I1 ... I(M-1)
 *   dropout SEED STEP LAYER G U KEY UNIFORM KEPT(keep_prob 0.8)
 */
#include "dnn/counter_rng.h"

#include <inttypes.h>
#include <stdio.h>

static void print_order(uint64_t seed, uint64_t epoch, long m)
{
    long order[64];
    if (m > 64 || dnn_epoch_order(seed, epoch, m, order) != 0) {
        fprintf(stderr, "dnn_epoch_order failed\n");
        return;
    }
    printf("order %" PRIu64 " %" PRIu64 " %ld", seed, epoch, m);
    for (long i = 0; i < m; i++)
        printf(" %ld", order[i]);
    printf("\n");
}

static void print_dropout(uint64_t seed, uint64_t step, uint64_t layer, uint64_t g, uint64_t u)
{
    uint64_t k = dnn_counter_absorb(DNN_STREAM_DROPOUT, seed);
    k = dnn_counter_absorb(k, step);
    k = dnn_counter_absorb(k, layer);
    k = dnn_counter_absorb(k, g);
    k = dnn_counter_absorb(k, u);
    double x = dnn_counter_uniform(k);
    printf("dropout %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
           " %.17g %d\n",
           seed, step, layer, g, u, k, x, x < 0.8);
}

int main(void)
{
    const uint64_t zs[] = {0, 1, 2, 0x9e3779b97f4a7c15ull, 0x8000000000000000ull,
                           0xffffffffffffffffull, 12345678901234567890ull};
    for (size_t i = 0; i < sizeof zs / sizeof *zs; i++)
        printf("mix %" PRIu64 " %" PRIu64 "\n", zs[i], dnn_counter_mix(zs[i]));

    const uint64_t kv[][2] = {{0, 0},
                              {1, 1},
                              {2, 1},
                              {1, 0xffffffffffffffffull},
                              {0xffffffffffffffffull, 0x61c8864680b583ebull},
                              {0xdeadbeefcafebabeull, 42}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
        printf("absorb %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", kv[i][0], kv[i][1],
               dnn_counter_absorb(kv[i][0], kv[i][1]));

    const uint64_t ks[] = {0, 1, 2047, 2048, 0x8000000000000000ull, 0xffffffffffffffffull,
                           dnn_counter_absorb(1, 1)};
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++)
        printf("uniform %" PRIu64 " %.17g\n", ks[i], dnn_counter_uniform(ks[i]));

    for (uint64_t epoch = 0; epoch < 3; epoch++)
        print_order(1, epoch, 10);
    print_order(0, 0, 10);
    print_order(42, 7, 17);
    print_order(0xffffffffffffffffull, 1, 5);
    print_order(1, 0, 1);

    /* The unit/example/step/layer coordinates of a few dropout draws, seed 1. */
    for (uint64_t u = 0; u < 7; u++)
        print_dropout(1, 0, 1, 0, u);
    print_dropout(1, 0, 1, 208, 6);
    print_dropout(1, 5, 1, 17, 3);
    print_dropout(1, 119, 2, 100, 19);
    print_dropout(7, 1000000, 3, 12, 0);
    return 0;
}
