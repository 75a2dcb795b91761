// Matrix-vector products for steps of one row (RecurVectorProduct.h). At batch 1 a product reads each
// weight once and does one multiply-add with it, so its speed is that of the weight stream: the weights
// lie in panels of four rows, each panel one contiguous run of memory (rows one after another were
// short streams of 1-2 KB that the prefetchers kept having to find again), read against one input
// vector that stays in cache; no primitive and no thread team of their own (the caller shares rows).
#include "RecurVectorProduct.h"
#include "RecurVectorLanes.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { CHUNK_BYTES = 64, PANEL = 4 };

// A chunk's elements: 16 floats or 32 bf16 values.
static long recur_chunk(int bfloat16) { return bfloat16 ? CHUNK_BYTES / 2 : CHUNK_BYTES / 4; }

long recur_vector_product_padded(long k, int bfloat16) {
    long chunk = recur_chunk(bfloat16);
    return (k + chunk - 1) / chunk * chunk;
}

long recur_vector_product_bytes(long n, long k, int bfloat16) {
    return (n + PANEL - 1) / PANEL * PANEL * recur_vector_product_padded(k, bfloat16) * (bfloat16 ? 2 : 4);
}

void recur_vector_product_pack(const float *w, long n, long k, int bfloat16, void *target) {
    long chunk = recur_chunk(bfloat16), padded = recur_vector_product_padded(k, bfloat16);
    __builtin_memset(target, 0, (unsigned long)recur_vector_product_bytes(n, k, bfloat16));
    for (long r = 0; r < n; r++) {
        long panel = r / PANEL, row = r % PANEL;
        for (long j = 0; j < k; j += chunk) {
            long at = panel * PANEL * padded + (j / chunk) * PANEL * chunk + row * chunk, count = k - j < chunk ? k - j : chunk;
            if (bfloat16) recur_bf16_round(w + r * k + j, count, (unsigned short *)target + at);
            else __builtin_memcpy((float *)target + at, w + r * k + j, (unsigned long)count * sizeof(float));
        }
    }
}

typedef float recur_float4 __attribute__((ext_vector_type(4)));

// A vector of W lanes folded to 8 lanes by adding its halves (none to fold at 8).
#define RECUR_FOLD_TO_8_8(x) (x)
#define RECUR_FOLD_TO_8_16(x) (__builtin_shufflevector(x, x, 0, 1, 2, 3, 4, 5, 6, 7) \
                               + __builtin_shufflevector(x, x, 8, 9, 10, 11, 12, 13, 14, 15))

// One panel's four sums over `padded` inputs in lanes of W, stored for the panel's rows in [first, end).
// The four accumulators are summed across their lanes together, in three rounds of pairwise adds of
// shuffled vectors: lane by lane in turn, each row's sum was a chain of dependent adds that cost a
// tenth of a sampling step (docs/performance.md, section 23).
#define RECUR_DEFINE_VECTOR_PRODUCT(W, ATTRS)                                                                  \
static ATTRS void recur_store_panel##W(recur_float##W s[PANEL], float *y, long base, long first, long end) {   \
    recur_float8 v0 = RECUR_FOLD_TO_8_##W(s[0]), v1 = RECUR_FOLD_TO_8_##W(s[1]);                              \
    recur_float8 v2 = RECUR_FOLD_TO_8_##W(s[2]), v3 = RECUR_FOLD_TO_8_##W(s[3]);                              \
    /* rows 0 and 1 (2 and 3) in alternate pairs of lanes: v0[0]+v0[1], v1[0]+v1[1], v0[2]+v0[3], ... */     \
    recur_float8 h01 = __builtin_shufflevector(v0, v1, 0, 8, 2, 10, 4, 12, 6, 14)                              \
                       + __builtin_shufflevector(v0, v1, 1, 9, 3, 11, 5, 13, 7, 15);                           \
    recur_float8 h23 = __builtin_shufflevector(v2, v3, 0, 8, 2, 10, 4, 12, 6, 14)                              \
                       + __builtin_shufflevector(v2, v3, 1, 9, 3, 11, 5, 13, 7, 15);                           \
    /* each half: rows 0, 1, 2, 3, each the sum of four lanes */                                               \
    recur_float8 q = __builtin_shufflevector(h01, h23, 0, 1, 8, 9, 4, 5, 12, 13)                               \
                     + __builtin_shufflevector(h01, h23, 2, 3, 10, 11, 6, 7, 14, 15);                          \
    recur_float4 sums = __builtin_shufflevector(q, q, 0, 1, 2, 3) + __builtin_shufflevector(q, q, 4, 5, 6, 7);  \
    for (int i = 0; i < PANEL; i++) {                                                                          \
        if (base + i < first || base + i >= end) continue;                                                     \
        y[base + i] += sums[i];                                                                                \
    }                                                                                                          \
}                                                                                                              \
static ATTRS void recur_vector_product_f32_##W(const float *w, long padded, const float *x, float *y,          \
                                               long first, long end) {                                         \
    for (long panel = first / PANEL; panel * PANEL < end; panel++) {                                           \
        const float *p = w + panel * PANEL * padded;                                                           \
        recur_float##W s[PANEL] = {(recur_float##W)(0.0f), (recur_float##W)(0.0f), (recur_float##W)(0.0f),    \
                                   (recur_float##W)(0.0f)};                                                    \
        for (long j = 0; j < padded; j += 16, p += PANEL * 16) {                                               \
            for (int l = 0; l < 16; l += W) {                                                                  \
                recur_float##W v;                                                                              \
                __builtin_memcpy(&v, x + j + l, sizeof v);                                                     \
                for (int i = 0; i < PANEL; i++) {                                                              \
                    recur_float##W a;                                                                          \
                    __builtin_memcpy(&a, p + i * 16 + l, sizeof a);                                            \
                    s[i] += a * v;                                                                             \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        recur_store_panel##W(s, y, panel * PANEL, first, end);                                                 \
    }                                                                                                          \
}                                                                                                              \
/* bf16 widened to float: a bf16 value is the upper half of a float's bits. */                                \
static ATTRS recur_float##W recur_widen##W(const unsigned short *p) {                                          \
    recur_ushort##W h;                                                                                         \
    __builtin_memcpy(&h, p, sizeof h);                                                                         \
    return (recur_float##W) (__builtin_convertvector(h, recur_uint##W) << 16);                                 \
}                                                                                                              \
static ATTRS void recur_vector_product_bf16_##W(const unsigned short *w, long padded, const unsigned short *x, \
                                                float *y, long first, long end) {                              \
    for (long panel = first / PANEL; panel * PANEL < end; panel++) {                                           \
        const unsigned short *p = w + panel * PANEL * padded;                                                  \
        recur_float##W s[PANEL] = {(recur_float##W)(0.0f), (recur_float##W)(0.0f), (recur_float##W)(0.0f),    \
                                   (recur_float##W)(0.0f)};                                                    \
        for (long j = 0; j < padded; j += 32, p += PANEL * 32) {                                               \
            for (int l = 0; l < 32; l += W) {                                                                  \
                recur_float##W v = recur_widen##W(x + j + l);                                                  \
                for (int i = 0; i < PANEL; i++) s[i] += recur_widen##W(p + i * 32 + l) * v;                    \
            }                                                                                                  \
        }                                                                                                      \
        recur_store_panel##W(s, y, panel * PANEL, first, end);                                                 \
    }                                                                                                          \
}

RECUR_DEFINE_VECTOR_PRODUCT(8, )

#if defined(__x86_64__)
#define recur_store_panel8 recur_store_panel8_avx2
#define recur_vector_product_f32_8 recur_vector_product_f32_8_avx2
#define recur_widen8 recur_widen8_avx2
#define recur_vector_product_bf16_8 recur_vector_product_bf16_8_avx2
RECUR_DEFINE_VECTOR_PRODUCT(8, RECUR_AVX2)
#undef recur_store_panel8
#undef recur_vector_product_f32_8
#undef recur_widen8
#undef recur_vector_product_bf16_8
RECUR_DEFINE_VECTOR_PRODUCT(16, RECUR_AVX512)

// vdpbf16ps: a panel's 32 bf16 pairs a row per instruction.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void recur_vector_product_bf16_dp(const unsigned short *w, long padded, const unsigned short *x, float *y,
                                         long first, long end) {
    for (long panel = first / PANEL; panel * PANEL < end; panel++) {
        const unsigned short *p = w + panel * PANEL * padded;
        __m512 s[PANEL] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (long j = 0; j < padded; j += 32, p += PANEL * 32) {
            __m512bh v = (__m512bh)_mm512_loadu_si512(x + j);
            for (int i = 0; i < PANEL; i++) s[i] = _mm512_dpbf16_ps(s[i], (__m512bh)_mm512_loadu_si512(p + i * 32), v);
        }
        for (int i = 0; i < PANEL; i++) {
            long r = panel * PANEL + i;
            if (r >= first && r < end) y[r] += _mm512_reduce_add_ps(s[i]);
        }
    }
}
#endif

void recur_vector_product_run(const void *w, long padded, int bfloat16, const void *x, float *y, long first, long end) {
    if (first >= end) return;
    if (bfloat16) {
#if defined(__x86_64__)
        if (recur_isa_active() == RECUR_ISA_AVX512 && recur_cpu_has_avx512_bf16()) {
            recur_vector_product_bf16_dp(w, padded, x, y, first, end);
            return;
        }
#endif
        RECUR_DISPATCH(recur_vector_product_bf16_, ((const unsigned short *)w, padded, (const unsigned short *)x, y, first, end))
    } else {
        RECUR_DISPATCH(recur_vector_product_f32_, ((const float *)w, padded, (const float *)x, y, first, end))
    }
}
