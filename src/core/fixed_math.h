/* exp and log whose result bits are defined by this file alone (issue 22).
 *
 * libm's exp and log are not correctly rounded, and their last bits differ between
 * glibc versions and between systems; the sigmoid, the cost and the Gaussian
 * initialization took them into the parameters. These functions use only IEEE +, -, *
 * and / (correctly rounded everywhere), integer operations on the bits, and selects, in
 * the order written here; the project compiles them with -ffp-contract=off, so no
 * compiler fuses a*b+c. The same input gives the same bits on any IEEE machine, scalar
 * or vectorized (each lane does the same operations), at any ISA level.
 *
 * Accuracy, in ulps of the result against exact values (launch/fixed_math: 10^7 random
 * inputs per range against x87 long double; tests/test_fixed_math.c: 4500 against
 * Python's decimal to 40 digits, and the bounds below checked):
 *   dnn_exp   < 0.72 ulp for normal results (max seen 0.689),
 *             < 0.83 ulp for subnormal ones (max seen 0.785: rounded twice, see below);
 *   dnn_log   < 0.75 ulp (max seen 0.693);
 *   dnn_expf, dnn_logf: computed in double and rounded once to float: < 0.5 + 2^-28.
 * Not correctly rounded: the bits differ from glibc's in ~1.5 % of exp and ~0.6 % of
 * log values in (0,1) (glibc's are nearly correctly rounded; either may be the closer).
 * Special cases as C99 Annex F (errno is not set):
 *   exp: NaN -> NaN, +Inf -> +Inf, -Inf -> +0, overflow -> +Inf, underflow -> subnormal
 *        or +0 (rounded once), exp(±0) = 1.
 *   log: NaN -> NaN, +Inf -> +Inf, ±0 -> -Inf, x < 0 -> NaN, log(1) = +0, subnormal x
 *        exact in the reduction.
 * No branches: special cases are chosen by bit masks, so a loop over them compiles to
 * straight-line code; gcc vectorizes it with AVX2 (-mavx2 or target clones: SSE2 lacks
 * the 64-bit mask selects it wants), with the same bits in every lane. */
#ifndef DNN_CORE_FIXED_MATH_H
#define DNN_CORE_FIXED_MATH_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t dnn_fm_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double dnn_fm_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* All ones where condition holds, else 0; then a bitwise choice between a and b. */
static inline uint64_t dnn_fm_mask(int condition)
{
    return condition ? ~UINT64_C(0) : 0;
}

static inline uint64_t dnn_fm_select(uint64_t mask, uint64_t a, uint64_t b)
{
    return (a & mask) | (b & ~mask);
}

/* ln 2 = DNN_FM_LN2_HI + DNN_FM_LN2_LO: HI has 33 significant bits, so k * HI is exact
 * for |k| < 2^20; LO is the rest rounded to double. */
#define DNN_FM_LN2_HI 0x1.62e42feep-1
#define DNN_FM_LN2_LO 0x1.a39ef35793c76p-33
#define DNN_FM_INV_LN2 0x1.71547652b82fep+0
/* Adding 1.5 * 2^52 rounds a double of magnitude < 2^51 to an integer (in the current,
 * round-to-nearest mode) that stands in the low bits of the sum. */
#define DNN_FM_SHIFTER 0x1.8p52

/* 2^k for an integer k in [-1022, 1023] given as t = k + DNN_FM_SHIFTER. */
static inline double dnn_fm_pow2(double t)
{
    uint64_t k = dnn_fm_bits(t) - dnn_fm_bits(DNN_FM_SHIFTER); /* two's complement k */
    return dnn_fm_double((k + 1023u) << 52);
}

/* e^x. Reduction x = k ln2 + r with |r| <= ln2/2 (+ a rounding), r computed as
 * (x - k*LN2_HI) - k*LN2_LO where the first difference is exact (k*LN2_HI is exact
 * and within a factor 2 of x, Sterbenz); then e^r by its Taylor polynomial of degree 13
 * (truncation < 0.03 ulp on |r| <= 0.347), Horner's order, 1 added last; and
 * e^x = e^r * 2^k1 * 2^k2 with k = k1 + k2, so that the first product is exact and only
 * the second rounds when the result is subnormal or overflows. */
static inline double dnn_exp(double x)
{
    /* Outside [-746, 710] the result is +0 or +Inf whatever the argument; NaN passes.
     * Selects by masks on the bits: gcc keeps these in vector code, where it turns
     * floating-point compares and ?: into branches. */
    uint64_t ux = dnn_fm_bits(x);
    ux = dnn_fm_select(dnn_fm_mask(x > 710.0), dnn_fm_bits(710.0), ux);
    x = dnn_fm_double(dnn_fm_select(dnn_fm_mask(x < -746.0), dnn_fm_bits(-746.0), ux));
    double t = x * DNN_FM_INV_LN2 + DNN_FM_SHIFTER;
    double k = t - DNN_FM_SHIFTER;
    double hi = x - k * DNN_FM_LN2_HI, lo = k * DNN_FM_LN2_LO;
    double r = hi - lo;
    double c = (hi - r) - lo; /* r + c = hi - lo: the rounding error of r, exactly */
    double q = 1.6059043836821613e-10;   /* 1/13! */
    q = q * r + 2.08767569878681e-09;    /* 1/12! */
    q = q * r + 2.505210838544172e-08;   /* 1/11! */
    q = q * r + 2.755731922398589e-07;   /* 1/10! */
    q = q * r + 2.7557319223985893e-06;  /* 1/9! */
    q = q * r + 2.48015873015873e-05;    /* 1/8! */
    q = q * r + 0.0001984126984126984;   /* 1/7! */
    q = q * r + 0.001388888888888889;    /* 1/6! */
    q = q * r + 0.008333333333333333;    /* 1/5! */
    q = q * r + 0.041666666666666664;    /* 1/4! */
    q = q * r + 0.16666666666666666;     /* 1/3! */
    q = q * r + 0.5;                     /* 1/2! */
    /* 1 + r = s1 + e1 exactly (|r| < 1), so only the last addition rounds at full size */
    double s1 = 1.0 + r;
    double e1 = (1.0 - s1) + r;
    double p = s1 + (e1 + (c + (r * r) * q));
    /* k = k1 + k2, k1 = round(k/2): both in [-538, 513], so 2^k1 and 2^k2 are normal */
    double t1 = k * 0.5 + DNN_FM_SHIFTER;
    double k1 = t1 - DNN_FM_SHIFTER;
    double t2 = (k - k1) + DNN_FM_SHIFTER;
    return (p * dnn_fm_pow2(t1)) * dnn_fm_pow2(t2);
}

/* ln x. Reduction x = 2^e m with m in [sqrt(2)/2, sqrt(2)) read from the bits (a
 * subnormal x is first scaled by 2^54, exactly); f = m - 1 is exact (Sterbenz). With
 * s = f / (2 + f), ln(1+f) = 2 atanh(s) = f - s*f + s*R, R = sum_{j>=1} 2 s^(2j)/(2j+1)
 * (|s| <= 0.1716; 10 terms, truncation < 0.01 ulp), written as
 * e*LN2_HI + f - h + (s*(h + R) + e*LN2_LO) with h = f*f/2: the first three terms are
 * exact numbers added without error (two-sums, h exact by Dekker's product), so that
 * only the small rest carries rounding errors and the result is rounded once at the end. */
static inline double dnn_log(double x)
{
    const uint64_t sqrt_half = 0x3fe6a09e667f3bcdu; /* bits of sqrt(2)/2 */
    uint64_t ux = dnn_fm_bits(x);
    /* subnormal x (or +0, taken as special below): scaled by 2^54, exactly */
    uint64_t subnormal = dnn_fm_mask(x < 0x1p-1022);
    double scaled = x * 0x1p54;
    double xs = dnn_fm_double(dnn_fm_select(subnormal, dnn_fm_bits(scaled), ux));
    uint64_t ix = dnn_fm_bits(xs);
    /* biased: for positive x, (ix - sqrt_half + 1023<<52) >> 52 = e + 1023 */
    uint64_t tmp = ix - sqrt_half + (UINT64_C(1023) << 52);
    uint64_t eb = tmp >> 52;
    double m = dnn_fm_double(ix - (eb << 52) + (UINT64_C(1023) << 52));
    /* e as a double without an int64 conversion: 2^52 + eb, exactly, minus the rest */
    double e = (dnn_fm_double(eb | dnn_fm_bits(0x1p52)) - 0x1p52) - 1023.0;
    e = e - dnn_fm_double(subnormal & dnn_fm_bits(54.0));
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double R = 0.09523809523809523;      /* 2/21 */
    R = R * z + 0.10526315789473684;     /* 2/19 */
    R = R * z + 0.11764705882352941;     /* 2/17 */
    R = R * z + 0.13333333333333333;     /* 2/15 */
    R = R * z + 0.15384615384615385;     /* 2/13 */
    R = R * z + 0.18181818181818182;     /* 2/11 */
    R = R * z + 0.2222222222222222;      /* 2/9 */
    R = R * z + 0.2857142857142857;      /* 2/7 */
    R = R * z + 0.4;                     /* 2/5 */
    R = R * z + 0.6666666666666666;      /* 2/3 */
    R = R * z;
    /* f*f = ff + ffl exactly (Dekker: f split into two halves of 26 bits) */
    double split = 134217729.0 * f; /* 2^27 + 1 */
    double fh = split - (split - f), fl = f - fh;
    double ff = f * f;
    double ffl = ((fh * fh - ff) + 2.0 * fh * fl) + fl * fl;
    double h = 0.5 * ff, hl = 0.5 * ffl; /* f*f/2 = h + hl */
    /* e*LN2_HI + f - h = big + err1 + err2 exactly (two two-sums); the rest is small */
    double a = e * DNN_FM_LN2_HI;
    double sum1 = a + f, v1 = sum1 - a;
    double err1 = (a - (sum1 - v1)) + (f - v1);
    double big = sum1 - h, v2 = big - sum1;
    double err2 = (sum1 - (big - v2)) - (h + v2);
    double tail = (s * (h + R) - hl) + e * DNN_FM_LN2_LO;
    double y = big + ((err1 + err2) + tail);
    /* ±0: -Inf; x < 0: NaN; NaN: NaN (x + x, quiet); +Inf: +Inf. Tests on the bits, as
     * in dnn_exp. ux - 1 < bits(DBL_MAX): x positive and finite. */
    uint64_t special = dnn_fm_bits(x + x);
    special = dnn_fm_select(dnn_fm_mask(x < 0.0), dnn_fm_bits(NAN), special);
    special = dnn_fm_select(dnn_fm_mask(x == 0.0), dnn_fm_bits(-INFINITY), special);
    uint64_t finite_positive = dnn_fm_mask(x > 0.0) & dnn_fm_mask(x < INFINITY);
    return dnn_fm_double(dnn_fm_select(finite_positive, dnn_fm_bits(y), special));
}

/* The float versions: computed in double and rounded once to float. */
static inline float dnn_expf(float x)
{
    return (float)dnn_exp(x);
}

static inline float dnn_logf(float x)
{
    return (float)dnn_log(x);
}

#endif
