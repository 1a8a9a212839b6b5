#include "dnn/layers.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels.h"

#define REAL double
#define FN(name) name
#define EXP exp
#define LOG log
#define REAL_TRUE_MIN DBL_TRUE_MIN
#define GEMM cblas_dgemm
#define KERNEL_SUITS dnn_kernel_suits
#define KERNEL_FORWARD dnn_kernel_forward
#define KERNEL_GRADIENT dnn_kernel_weight_gradient
#include "layers_impl.h"
