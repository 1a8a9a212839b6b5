#ifndef DNN_H
#define DNN_H

/* dnn: the course's L-layer binary classifier as a C library.
 * See README.md for the API at a glance. */
#include "dnn/checkpoint.h"
#include "dnn/layers.h"
#include "dnn/model.h"
#include "dnn/params.h"
#include "dnn/rng.h"
#include "dnn/status.h"

#endif
