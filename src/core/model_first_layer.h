#ifndef DNN_MODEL_FIRST_LAYER_H
#define DNN_MODEL_FIRST_LAYER_H

#include <stdint.h>

#include "dnn/model.h"

/* The whole network around a first layer whose products threads share by inputs
 * (src/train/split.c), with X also given as 8-bit codes Q: the forward pass once
 * cache->Z[1] holds W1 · X, and the backward pass down to the first layer's dZ
 * (*dZ1, in the cache's workspace) and db, its dW being left to the threads. Together
 * with the threads' parts, the bits of dnn_L_model_forward_codes and
 * dnn_L_model_backward_scaled. */
dnn_status dnn_L_model_forward_after_first_product(const dnn_params *params, const double *X,
                                                   const uint8_t *Q, int m, dnn_cache *cache);
dnn_status dnn_L_model_backward_but_first_product(const dnn_params *params, dnn_cache *cache,
                                                  const double *AL, const double *Y,
                                                  double scale, dnn_params *grads, double **dZ1);

#endif
