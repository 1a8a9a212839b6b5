#ifndef DNN_COUNTER_RNG_H
#define DNN_COUNTER_RNG_H

#include <stdint.h>

/* Counter-based random numbers: a value is a pure function of its key (seed, what it
 * is for, and its coordinates), so any process or thread computes any value on its own
 * and the same value everywhere. The definition (tests/reference/counter_rng.py is the
 * numpy twin), all arithmetic modulo 2^64:
 *   mix(z)       = z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27;
 *                  z *= 0x94d049bb133111eb; z ^= z >> 31    (SplitMix64's finalizer)
 *   absorb(k, v) = mix(k ^ (v + 0x9e3779b97f4a7c15))
 *   uniform(k)   = (k >> 11) · 2^-53, in [0, 1)
 * Epoch order: example i's key is absorb(absorb(absorb(DNN_STREAM_ORDER, seed), epoch), i);
 * the epoch visits the examples by ascending (key, i).
 * Dropout: unit u of hidden layer l (1 ≤ l < L) for the example of global index g at
 * step t (0-based: the updates before this one) is kept when
 * uniform(absorb(absorb(absorb(absorb(absorb(DNN_STREAM_DROPOUT, seed), t), l), g), u))
 * < keep_prob. */

enum { DNN_STREAM_ORDER = 1, DNN_STREAM_DROPOUT = 2 };

static inline uint64_t dnn_counter_mix(uint64_t z)
{
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ull;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t dnn_counter_absorb(uint64_t key, uint64_t value)
{
    return dnn_counter_mix(key ^ (value + 0x9e3779b97f4a7c15ull));
}

static inline double dnn_counter_uniform(uint64_t key)
{
    return (double)(key >> 11) * 0x1.0p-53;
}

/* order (m longs) gets epoch's visiting order of examples 0 .. m-1. 0, or -1 when
 * out of memory (order is then untouched). */
int dnn_epoch_order(uint64_t seed, uint64_t epoch, long m, long *order);

#endif
