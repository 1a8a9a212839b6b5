#ifndef DNN_H
#define DNN_H

/* dnn: the course's L-layer binary classifier as a C library: its functions, one
 * header each. The trainer (dnn/trainer.h), data (dnn/data.h), models and checkpoints
 * (dnn/model_io.h, dnn/checkpoint.h) have their own headers.
 * See README.md for the API at a glance. */
#include "dnn/layers.h"
#include "dnn/model.h"
#include "dnn/params.h"
#include "dnn/rng.h"
#include "dnn/status.h"

#endif
