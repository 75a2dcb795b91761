// Eight-lane single-precision exp and tanh for Recur's gate kernels.
//
// Written with clang's vector extensions so that every operation, including the lane selects, stays a
// vector instruction; the functions are static inline and imported into Swift as functions on
// SIMD8<Float>, where LLVM inlines them into the Swift kernels (Swift's own SIMD masks and
// pointwiseMin/Max compile to per-lane code). RecurCore/VectorMath.swift documents the accuracy.
#ifndef RECUR_VECTOR_MATH_H
#define RECUR_VECTOR_MATH_H

// The functions are always inlined, so the calling convention of 8-lane vectors without AVX never applies.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float recur_float8 __attribute__((ext_vector_type(8)));
typedef int recur_int8 __attribute__((ext_vector_type(8)));

#define RECUR_INLINE static inline __attribute__((always_inline))

// mask ? a : b, lane by lane; mask lanes are all ones or all zeros.
RECUR_INLINE recur_float8 recur_select8(recur_int8 mask, recur_float8 a, recur_float8 b) {
    return (recur_float8)(((recur_int8)a & mask) | ((recur_int8)b & ~mask));
}

// e^x: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial (Cephes' expf coefficients), and
// 2^n built in the exponent field as two factors so that every n in [-126, 128] stays normal.
// 0 below -87.33 (subnormals are flushed), +inf above 88.72, NaN propagates.
RECUR_INLINE recur_float8 recur_exp8(recur_float8 x) {
    recur_float8 c = __builtin_elementwise_min(__builtin_elementwise_max(x, (recur_float8)(-87.33f)),
                                               (recur_float8)(88.72f));
    const recur_float8 shifter = (recur_float8)(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
    recur_float8 shifted = c * 1.44269504f + shifter;
    recur_float8 n = shifted - shifter;
    recur_float8 r = c - n * 0.693359375f + n * 2.12194440e-4f;  // ln2 split in two for exactness
    recur_float8 p = (recur_float8)(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    recur_float8 er = p * (r * r) + r + 1.0f;
    recur_int8 integer = (recur_int8)shifted - (recur_int8)shifter;
    recur_int8 half = integer >> 1;
    recur_float8 first = (recur_float8)((half + 127) << 23);
    recur_float8 second = (recur_float8)((integer - half + 127) << 23);
    recur_float8 result = er * first * second;
    result = recur_select8(x < -87.33f, (recur_float8)(0.0f), result);
    result = recur_select8(x > 88.72f, (recur_float8)(__builtin_inff()), result);
    return recur_select8(x != x, x, result);
}

// tanh(x): on |x|, an odd polynomial below 0.625 (Cephes' tanhf coefficients), 1 - 2 / (e^{2|x|} + 1)
// above; then the sign of x is put back, so tanh(-0) = -0. NaN propagates.
RECUR_INLINE recur_float8 recur_tanh8(recur_float8 x) {
    const recur_int8 sign = (recur_int8)(0x80000000u);
    recur_int8 bits = (recur_int8)x;
    recur_float8 a = (recur_float8)(bits & ~sign);
    recur_float8 large = 1.0f - 2.0f / (recur_exp8(a + a) + 1.0f);
    recur_float8 z = a * a;
    recur_float8 p = (recur_float8)(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    recur_float8 small = p * z * a + a;
    recur_float8 magnitude = recur_select8(a >= 0.625f, large, small);
    return (recur_float8)((recur_int8)magnitude | (bits & sign));
}

#endif
