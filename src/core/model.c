#include "dnn/model.h"

#include <math.h>
#include <stdlib.h>

#include "kernels/kernels.h"
#include "core/fixed_math.h"
#include "core/layers_codes.h"
#include "core/model_first_layer.h"

#define REAL double
#define PARAMS dnn_params
#define CACHE dnn_cache
#define FN(name) name
#define OUTPUT_GRADIENT_FROM_LOGITS 0
#define CODES 1
#include "core/model_impl.h"
