#include "dnn/rng.h"

#include <math.h>

#include "core/fixed_math.h"

enum { MT_N = 624, MT_M = 397 };

void dnn_rng_seed(dnn_rng *rng, uint32_t seed)
{
    rng->key[0] = seed;
    for (int i = 1; i < MT_N; i++) {
        uint32_t prev = rng->key[i - 1];
        rng->key[i] = 1812433253u * (prev ^ (prev >> 30)) + (uint32_t)i;
    }
    rng->pos = MT_N;
    rng->has_gauss = 0;
    rng->gauss = 0.0;
}

static void mt_regenerate(dnn_rng *rng)
{
    const uint32_t upper = 0x80000000u, lower = 0x7fffffffu, matrix = 0x9908b0dfu;
    uint32_t *k = rng->key;
    for (int i = 0; i < MT_N; i++) {
        uint32_t y = (k[i] & upper) | (k[(i + 1) % MT_N] & lower);
        k[i] = k[(i + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? matrix : 0u);
    }
    rng->pos = 0;
}

uint32_t dnn_rng_uint32(dnn_rng *rng)
{
    if (rng->pos >= MT_N)
        mt_regenerate(rng);
    uint32_t y = rng->key[rng->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double dnn_rng_uniform(dnn_rng *rng)
{
    uint32_t a = dnn_rng_uint32(rng) >> 5, b = dnn_rng_uint32(rng) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

double dnn_rng_normal(dnn_rng *rng)
{
    if (rng->has_gauss) {
        rng->has_gauss = 0;
        return rng->gauss;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * dnn_rng_uniform(rng) - 1.0;
        x2 = 2.0 * dnn_rng_uniform(rng) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * dnn_log(r2) / r2);
    rng->gauss = f * x1;
    rng->has_gauss = 1;
    return f * x2;
}

void dnn_rng_normal_fill(dnn_rng *rng, double *out, long count)
{
    for (long i = 0; i < count; i++)
        out[i] = dnn_rng_normal(rng);
}
