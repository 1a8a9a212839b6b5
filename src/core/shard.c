#include "dnn/shard.h"

long dnn_chunk_count(long m, long chunk)
{
    return m > 0 && chunk > 0 ? (m + chunk - 1) / chunk : 0;
}

long dnn_default_chunk(long m)
{
    enum { MIN_CHUNK = 96, MAX_CHUNKS_SMALL = 4, MAX_CHUNK = 1024 };
    if (m < 1)
        return 1;
    long n = m / MIN_CHUNK;
    n = n < 1 ? 1 : n > MAX_CHUNKS_SMALL ? MAX_CHUNKS_SMALL : n;
    long chunk = (m + n - 1) / n;
    return chunk > MAX_CHUNK ? MAX_CHUNK : chunk;
}

dnn_shard dnn_shard_of(int rank, int nranks, long m, long chunk)
{
    dnn_shard s = {0, 0, 0, 0};
    long n = dnn_chunk_count(m, chunk);
    if (nranks < 1 || rank < 0 || rank >= nranks || n == 0)
        return s;
    long begin = (long)((long long)rank * n / nranks);
    long end = (long)((long long)(rank + 1) * n / nranks);
    s.first_chunk = begin;
    s.n_chunks = end - begin;
    s.first = begin * chunk;
    long last = end * chunk < m ? end * chunk : m;
    s.count = last > s.first ? last - s.first : 0;
    return s;
}
