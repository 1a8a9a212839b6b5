#ifndef DNN_LAYERS_CODES_H
#define DNN_LAYERS_CODES_H

#include <stdint.h>

#include "dnn/layers.h"

/* A first layer whose input X (n_prev, m) is also held as 8-bit codes Q, X = Q / 255
 * (the course's pixels). The product reads Q where the codes kernels suit the layer,
 * an eighth of X's bytes, and X elsewhere: the same bits either way. work holds
 * dnn_kernel_codes_work(m) doubles (src/kernels/kernels.h). */

/* Whether the two functions below read Q (else X) for an (n, n_prev) layer on m
 * examples: always with the fixed-order products, where the AVX-512 kernels suit the
 * layer with the system's (dnn_use_system_blas). */
int dnn_first_layer_reads_codes(int n, int n_prev, int m);

/* dnn_linear_activation_forward */
dnn_status dnn_linear_activation_forward_codes(int n, int n_prev, int m, const double *X,
                                               const uint8_t *Q, const double *W,
                                               const double *b, dnn_activation activation,
                                               double *Z, double *A, double *work);

/* dnn_linear_activation_backward_scaled without dA_prev, which a first layer never needs */
dnn_status dnn_linear_activation_backward_codes(int n, int n_prev, int m, const double *dA,
                                                const double *Z, const double *X,
                                                const uint8_t *Q, const double *W,
                                                dnn_activation activation, double scale,
                                                double *dZ, double *dW, double *db,
                                                double *work);

/* A first layer whose products threads share by inputs (src/train/split.c): the forward
 * once Z holds W · X (the bias and the activation), and the backward's dZ and db, dW
 * being left to the threads. The same values as the two functions above. */
dnn_status dnn_first_layer_finish_forward(int n, int m, const double *b,
                                          dnn_activation activation, double *Z, double *A);
dnn_status dnn_first_layer_backward_without_dW(int n, int m, const double *dA, const double *Z,
                                               dnn_activation activation, double scale,
                                               double *dZ, double *db);

#endif
