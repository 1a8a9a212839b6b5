#include <string.h>

#include "split_cases.h"

void huge_first_gradients(dnn_params *p)
{
    for (size_t i = 0; i < (size_t)p->dims[1] * (size_t)p->dims[0]; i++)
        p->W[1][i] *= 1e-293;
    for (size_t i = 0; i < (size_t)p->dims[2] * (size_t)p->dims[1]; i++)
        p->W[2][i] *= 1e150;
    for (int i = 0; i < p->dims[2]; i++)
        p->W[3][i] *= 1e143;
}

long steps_going(const char *ways, int steps, char c)
{
    long n = 0, len = (long)strlen(ways);
    for (long i = 0; i < steps; i++)
        n += ways[i % len] == c;
    return n;
}
