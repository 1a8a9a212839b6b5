/* The generic variant of gemm.h: scalar C, fma() and fmaf() from <math.h> (correctly
 * rounded on any CPU, in hardware where there is FMA), a 4 x 4 register tile. */
#include <math.h>

#include "kernels/gemm_variants.h"

#define VZERO() 0
#define VLOADU(p) (*(p))
#define VSTOREU(p, v) (*(p) = (v))
#define VBCAST(x) (x)
#define VMUL(a, b) ((a) * (b))
#define VLANES 1
#define MR_VECS 4
#define NR 4
#define KC 256
#define MC 64
#define NC 512

#define REAL double
#define VEC double
#define VFMA(a, b, c) fma(a, b, c)
#define CODE_VALUE(q) ((double)(q) / 255.0)
#define GEMM_NAME dnn_gemm_f64_generic
#include "kernels/gemm_impl.h"
#undef REAL
#undef VEC
#undef VFMA
#undef CODE_VALUE
#undef GEMM_NAME

#define REAL float
#define VEC float
#define VFMA(a, b, c) fmaf(a, b, c)
#define CODE_VALUE(q) ((float)((double)(q) / 255.0))
#define GEMM_NAME dnn_gemm_f32_generic
#include "kernels/gemm_impl.h"
