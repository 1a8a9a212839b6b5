#ifndef DNN_HOT_LOOP_H
#define DNN_HOT_LOOP_H

/* A loop function compiled twice, for AVX-512 (x86-64-v4) and for any x86-64, the
 * CPU choosing at load time: the library itself is built for any x86-64. The clones
 * give the same bits as long as the loop has no fused multiply-add to form
 * (-ffp-contract=off) and no floating-point reduction to reorder. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT_LOOP __attribute__((target_clones("arch=x86-64-v4", "default"), optimize("O3")))
#else
#define HOT_LOOP
#endif

#endif
