#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "dnn/f32.h"
#include "core/fixed_math.h"
#include "kernels/gemm.h"
#include "kernels/kernels.h"

#define REAL float
#define FN(name) name##_f32
#define EXP dnn_expf
#define LOG dnn_logf
#define REAL_TRUE_MIN FLT_TRUE_MIN
#define GEMM cblas_sgemm
#define FIXED_GEMM dnn_gemm_f32
#define KERNEL_SUITS dnn_kernel_suits_f32
#define KERNEL_FORWARD dnn_kernel_forward_f32
#define KERNEL_GRADIENT dnn_kernel_weight_gradient_f32
#include "core/layers_impl.h"
