#ifndef DNN_SHARD_H
#define DNN_SHARD_H

/* The unit of work is a global chunk of `chunk` consecutive examples (the last one
 * may be shorter); its boundaries depend only on m and chunk, never on how many
 * ranks or threads there are. Rank r of P owns the contiguous chunks
 * [r·n/P, (r+1)·n/P) of the n chunks; with more ranks than chunks some own none. */
typedef struct {
    long first_chunk, n_chunks; /* chunks owned */
    long first, count;          /* the examples they cover */
} dnn_shard;

long dnn_chunk_count(long m, long chunk);
/* The default chunk for m examples: up to 4 equal chunks of at least 96 examples (so
 * 1, 2 or 4 workers share small problems evenly, and each chunk's conversion into the
 * exact sum, worth ~16 examples of work, stays a small part of it), and never more
 * than 1024 examples (bounding each worker's activations). */
long dnn_default_chunk(long m);
dnn_shard dnn_shard_of(int rank, int nranks, long m, long chunk);

#endif
