#include "dnn/model.h"

#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "layers_codes.h"
#include "model_split.h"

#define REAL double
#define PARAMS dnn_params
#define CACHE dnn_cache
#define FN(name) name
#define OUTPUT_GRADIENT_FROM_LOGITS 0
#define CODES 1
#include "model_impl.h"
