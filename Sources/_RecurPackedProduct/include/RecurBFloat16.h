// bfloat16 matrix products with float accumulation (oneDNN's matmul primitive with bf16 operands and
// an f32 destination), for `GEMMEngine.bfloat16`; and whether the CPU multiplies bf16 natively.
#ifndef RECUR_BFLOAT16_H
#define RECUR_BFLOAT16_H

#include <stdint.h>

// Round to nearest even, as the hardware's conversion does; NaN stays NaN (quiet).
static inline uint16_t recur_bf16_from_float(float value) {
    union { float f; uint32_t u; } bits = {value};
    if ((bits.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits.u >> 16) | 0x40u);
    return (uint16_t)((bits.u + 0x7fffu + ((bits.u >> 16) & 1u)) >> 16);
}

static inline float recur_float_from_bf16(uint16_t value) {
    union { uint32_t u; float f; } bits = {(uint32_t)value << 16};
    return bits.f;
}

// `rows` rows of `columns` floats, `ld` apart, rounded into `target` (rows packed, `columns` apart) by
// recur_bf16_round, the same bits as recur_bf16_from_float; at least 64 rows and 2^17 values, outside
// an OpenMP region, are shared among OpenMP's team.
void recur_bf16_convert(const float *source, long rows, long columns, long ld, uint16_t *target);

// 1 when the CPU has bf16 dot products (AVX512_BF16 or AMX-BF16), 0 otherwise. Without them oneDNN
// may still multiply bf16 on AVX-512 by emulation: correct, but slower than f32.
int recur_bf16_native(void);

// The calling thread's products may read `rows` rows of `columns` floats at `source`, `ld` apart, more
// than once, unchanged until the next call: each product whose A or B is exactly that operand reads
// one rounding of it, made at its first use. A null source (or no rows) ends it. Returns 0 where there
// are no bf16 products or the copy cannot be allocated (then every product rounds its own operands).
int recur_bf16_reuse(const float *source, long rows, long columns, long ld);

// 1 when oneDNN makes a bf16 product that is not its reference implementation (natively or emulated).
int recur_bf16_available(void);

// C[m, n] = alpha op(A) op(B) + beta C, row-major as `gemm`: A and B (float) are rounded to bf16 and
// multiplied with float accumulation. Returns 1 on success, 0 when oneDNN cannot make the product
// (no oneDNN, or only its reference implementation): the caller then multiplies in float.
// Thread-safe: each thread keeps its own conversions, scratchpad and recent primitives.
int recur_bf16_product(int transA, int transB, long m, long n, long k, float alpha,
                       const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

#endif
