/* The README's library example, built and run by ctest so the README cannot rot. */
#include <stdio.h>

#include "dnn.h"

int main(void)
{
    double X[2 * 4] = {0, 0, 0, 1, 1, 0, 1, 1}, Y[4] = {0, 1, 1, 0}; /* XOR, one column each */
    int dims[] = {2, 8, 1};
    dnn_params *p = dnn_params_new(2, dims), *grads = dnn_params_new_like(p);
    dnn_cache *cache = dnn_cache_new(p, 4);
    dnn_initialize_parameters_deep(p, DNN_INIT_HE, 1);
    double cost = 0;
    double first = 0; /* the first cost, to check that training lowered it */
    for (int i = 0; i < 3000; i++) {
        dnn_L_model_forward(p, X, 4, cache);
        dnn_compute_cost(4, cache->A[2], Y, &cost);
        dnn_L_model_backward(p, cache, cache->A[2], Y, grads, NULL);
        dnn_update_parameters(p, grads, 0.5);
        first = i == 0 ? cost : first;
    }
    printf("cost %.4f -> %.4f\n", first, cost);
    dnn_cache_free(&cache);
    dnn_params_free(&grads);
    dnn_params_free(&p);
    return cost < first / 4 ? 0 : 1;
}
