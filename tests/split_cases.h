#ifndef DNN_TEST_SPLIT_CASES_H
#define DNN_TEST_SPLIT_CASES_H

#include "dnn/params.h"

/* What the tests of the split way (test_exchange.c, mpi/test_split_ranks.c) share. */

/* Tiny first-layer weights and huge later ones, so that the exact sums no longer
 * vouch for every update being finite and all are checked before any is applied: the
 * products keep the output moderate (A1 ~ 1e-293, Z2 ~ 1e-143, Z3 ~ 1) while
 * dZ1 ~ W2 · W3 ~ 1e293. Good for one step: its update (about 1e-32, with a learning
 * rate of 1e-300) makes the next forward pass overflow. Three layers. */
void huge_first_gradients(dnn_params *p);

/* Of `steps` steps, step i going the way ways[i % strlen(ways)] names, those going way c. */
long steps_going(const char *ways, int steps, char c);

#endif
