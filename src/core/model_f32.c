#include <math.h>
#include <stdlib.h>

#include "dnn/f32.h"
#include "core/fixed_math.h"

#define REAL float
#define PARAMS dnn_params_f32
#define CACHE dnn_cache_f32
#define FN(name) name##_f32
#define OUTPUT_GRADIENT_FROM_LOGITS 1
#define CODES 0
#include "core/model_impl.h"
