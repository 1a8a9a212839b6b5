/* An outside program of the course's functions (dnn.h) only: tests/install/consumer.sh
 * builds it against an installed dnn, with CMake and with pkg-config, and compares what
 * it prints with the same program built in the tree. It trains XOR for 200 iterations
 * and prints the first and last cost and a hash of the parameters' bits. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dnn.h"

/* 64-bit FNV-1a over the parameter arena's bytes. */
static uint64_t params_hash(const dnn_params *p)
{
    uint64_t h = 0xcbf29ce484222325u;
    const unsigned char *bytes = (const unsigned char *)p->arena;
    for (size_t i = 0; i < p->count * sizeof(double); i++)
        h = (h ^ bytes[i]) * 0x100000001b3u;
    return h;
}

int main(void)
{
    double X[2 * 4] = {0, 0, 0, 1, 1, 0, 1, 1}, Y[4] = {0, 1, 1, 0}; /* XOR: an example's 2 inputs together */
    int dims[] = {2, 8, 1};
    dnn_params *p = dnn_params_new(2, dims), *grads = p ? dnn_params_new_like(p) : NULL;
    dnn_cache *cache = p ? dnn_cache_new(p, 4) : NULL;
    if (!grads || !cache || dnn_initialize_parameters_deep(p, DNN_INIT_HE, 7) != DNN_OK) {
        fprintf(stderr, "course_functions: setup failed\n");
        return 1;
    }
    double cost = 0, first = 0;
    for (int i = 0; i < 200; i++) {
        dnn_status s = dnn_L_model_forward(p, X, 4, cache);
        if (s == DNN_OK)
            s = dnn_compute_cost(4, cache->A[2], Y, &cost);
        if (s == DNN_OK)
            s = dnn_L_model_backward(p, cache, cache->A[2], Y, grads, NULL);
        if (s == DNN_OK)
            s = dnn_update_parameters(p, grads, 0.5);
        if (s != DNN_OK) {
            fprintf(stderr, "course_functions: %s\n", dnn_status_string(s));
            return 1;
        }
        first = i == 0 ? cost : first;
    }
    printf("cost %.17g -> %.17g, parameters %016" PRIx64 "\n", first, cost, params_hash(p));
    dnn_cache_free(&cache);
    dnn_params_free(&grads);
    dnn_params_free(&p);
    return cost < first / 10 ? 0 : 1; /* it learned XOR */
}
