#ifndef DNN_ROUND_TRIP_H
#define DNN_ROUND_TRIP_H

/* How far apart the cores of an OpenMP team are now: the round trip of one cache line
 * between thread 0 and each other thread of a team of `threads` in turn, as the
 * median of `batches` batches of `trips` round trips, in ns; the largest over the
 * partners. INFINITY when a partner did not answer a batch within max_seconds (two
 * threads sharing a core, say). Call outside any parallel region.
 *
 * On the benchmark's virtual machine this reads ~80-100 ns or ~400 ns, as the host
 * puts the two cores near each other or not, and training threads that share data
 * run slower in the second state (BENCHMARKS.md). */
double dnn_team_round_trip_ns(int threads, int batches, long trips, double max_seconds);

#endif
