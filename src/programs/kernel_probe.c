/* dnn-kernel-probe: the first layer's AVX-512 kernels alone, on one core, at the cat
 * model's shape (20 units, 12288 inputs, chunks of 105 examples), reading the examples
 * as 8-bit codes (what training the course's files does) or as doubles.
 *
 * Two chunks alternate, so that the examples come from memory as in training; the
 * weight gradient runs with every example active (no zero dZ to skip). Prints the best
 * of --reps calls of each kernel:
 *   codes forward best_ms=0.544 gflops=94.9 gradient best_ms=0.540 gflops=95.5
 * Run it pinned to one core (taskset -c 1) on an idle machine. */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

enum { UNITS = 20, INPUTS = 12288, CHUNK = 105 };

static void *lines(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0) {
        fprintf(stderr, "dnn-kernel-probe: out of memory\n");
        exit(1);
    }
    return p;
}

int main(int argc, char **argv)
{
    int reps = 200, doubles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0) {
            reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--doubles") == 0) {
            doubles = 1;
        } else {
            fprintf(stderr, "usage: dnn-kernel-probe [--reps R] [--doubles]\n"
                            "  --reps R    calls of each kernel; the best is printed (200)\n"
                            "  --doubles   examples as doubles instead of 8-bit codes\n");
            return 2;
        }
    }
    if (!dnn_kernel_suits(UNITS, INPUTS)) {
        printf("no AVX-512F: the kernels do not run on this CPU\n");
        return 0;
    }
    size_t nx = (size_t)INPUTS * CHUNK;
    uint8_t *Q = lines(2 * nx);
    double *X = doubles ? lines(2 * nx * sizeof *X) : NULL;
    double *W = lines((size_t)UNITS * INPUTS * sizeof *W);
    double *dW = lines((size_t)UNITS * INPUTS * sizeof *dW);
    double *Z = lines((size_t)UNITS * CHUNK * sizeof *Z);
    double *dZ = lines((size_t)UNITS * CHUNK * sizeof *dZ);
    double *work = lines(dnn_kernel_codes_work(CHUNK) * sizeof *work);
    for (size_t i = 0; i < 2 * nx; i++) {
        Q[i] = (uint8_t)((i * 2654435761u) >> 24);
        if (X)
            X[i] = Q[i] / 255.0;
    }
    for (size_t i = 0; i < (size_t)UNITS * INPUTS; i++)
        W[i] = (double)(i % 97) / 97.0 - 0.5;
    for (size_t i = 0; i < (size_t)UNITS * CHUNK; i++)
        dZ[i] = (double)(i % 13) / 13.0 - 0.4;
    double best_f = 1e30, best_g = 1e30;
    for (int r = 0; r < reps; r++) {
        size_t at = (size_t)(r % 2) * nx;
        double t0 = omp_get_wtime();
        if (X)
            dnn_kernel_forward(UNITS, CHUNK, INPUTS, W, X + at, Z);
        else
            dnn_kernel_forward_codes(UNITS, CHUNK, INPUTS, W, Q + at, Z, work);
        double t1 = omp_get_wtime();
        if (X)
            dnn_kernel_weight_gradient(UNITS, CHUNK, INPUTS, 1.0, dZ, X + at, dW);
        else
            dnn_kernel_weight_gradient_codes(UNITS, CHUNK, INPUTS, 1.0, dZ, Q + at, dW, work);
        double t2 = omp_get_wtime();
        best_f = t1 - t0 < best_f ? t1 - t0 : best_f;
        best_g = t2 - t1 < best_g ? t2 - t1 : best_g;
    }
    double flop = 2.0 * UNITS * CHUNK * INPUTS;
    printf("%s forward best_ms=%.3f gflops=%.1f gradient best_ms=%.3f gflops=%.1f\n",
           X ? "doubles" : "codes", 1e3 * best_f, flop / best_f / 1e9, 1e3 * best_g,
           flop / best_g / 1e9);
    int broken = Z[0] != Z[0] || dW[0] != dW[0]; /* NaN */
    free(Q), free(X), free(W), free(dW), free(Z), free(dZ), free(work);
    return broken;
}
