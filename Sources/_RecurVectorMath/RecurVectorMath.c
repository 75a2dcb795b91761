// The vector math is header-only (include/RecurVectorMath.h) but for the additive attention scores,
// which choose their width at run time.
#include "RecurVectorMath.h"

// One query's scores in lanes of W: full vectors, then the tail zero-padded (tanh(0) * 0 adds nothing).
#define RECUR_DEFINE_ADDITIVE_SCORES(W, ATTRS)                                                                 \
static ATTRS void recur_additive_scores##W(const float *query, const float *keys, long stride, const float *v, \
                                           long width, long steps, float *hidden, float *scores) {            \
    for (long j = 0; j < steps; j++) {                                                                         \
        const float *key = keys + j * stride;                                                                  \
        float *row = hidden ? hidden + j * width : 0;                                                          \
        recur_float##W sum = (recur_float##W)(0.0f);                                                           \
        long i = 0;                                                                                            \
        for (; i + W <= width; i += W) {                                                                       \
            recur_float##W q, k, w;                                                                            \
            __builtin_memcpy(&q, query + i, sizeof q);                                                         \
            __builtin_memcpy(&k, key + i, sizeof k);                                                           \
            __builtin_memcpy(&w, v + i, sizeof w);                                                             \
            recur_float##W t = recur_tanh##W(q + k);                                                           \
            if (row) __builtin_memcpy(row + i, &t, sizeof t);                                                  \
            sum += w * t;                                                                                      \
        }                                                                                                      \
        if (i < width) {                                                                                       \
            float qs[W] = {0}, ks[W] = {0}, ws[W] = {0};                                                       \
            for (long l = 0; l < width - i; l++) { qs[l] = query[i + l]; ks[l] = key[i + l]; ws[l] = v[i + l]; } \
            recur_float##W q, k, w;                                                                            \
            __builtin_memcpy(&q, qs, sizeof q);                                                                \
            __builtin_memcpy(&k, ks, sizeof k);                                                                \
            __builtin_memcpy(&w, ws, sizeof w);                                                                \
            recur_float##W t = recur_tanh##W(q + k);                                                           \
            if (row) for (long l = 0; l < width - i; l++) row[i + l] = t[l];                                   \
            sum += w * t;                                                                                      \
        }                                                                                                      \
        float total = 0;                                                                                       \
        for (int l = 0; l < W; l++) total += sum[l];                                                           \
        scores[j] = total;                                                                                     \
    }                                                                                                          \
}

RECUR_DEFINE_ADDITIVE_SCORES(8, )

#if defined(__x86_64__)
#define RECUR_AVX2 __attribute__((target("avx2,fma")))
typedef float recur_float16 __attribute__((ext_vector_type(16)));
typedef int recur_int16 __attribute__((ext_vector_type(16)));
#define RECUR_AVX512 __attribute__((target("avx512f")))

// The AVX2 + FMA copies of the eight-lane functions, under their own names.
#define recur_select8 recur_select8_avx2
#define recur_exp8 recur_exp8_avx2
#define recur_tanh8 recur_tanh8_avx2
#define recur_additive_scores8 recur_additive_scores8_avx2
RECUR_DEFINE_VECTOR_MATH(8, RECUR_AVX2)
RECUR_DEFINE_ADDITIVE_SCORES(8, RECUR_AVX2)
#undef recur_select8
#undef recur_exp8
#undef recur_tanh8
#undef recur_additive_scores8

RECUR_DEFINE_VECTOR_MATH(16, RECUR_AVX512)
RECUR_DEFINE_ADDITIVE_SCORES(16, RECUR_AVX512)
#endif

int recur_isa_supported(int isa) {
    switch (isa) {
    case RECUR_ISA_BASELINE: return 1;
#if defined(__x86_64__)
    case RECUR_ISA_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case RECUR_ISA_AVX512: __builtin_cpu_init(); return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

// -1 until first asked; every thread that asks first computes the same answer.
static int recur_isa = -1;

int recur_isa_active(void) {
    int isa = __atomic_load_n(&recur_isa, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = recur_isa_supported(RECUR_ISA_AVX512) ? RECUR_ISA_AVX512 : recur_isa_supported(RECUR_ISA_AVX2) ? RECUR_ISA_AVX2 : RECUR_ISA_BASELINE;
        __atomic_store_n(&recur_isa, isa, __ATOMIC_RELAXED);
    }
    return isa;
}

int recur_isa_set(int isa) {
    if (!recur_isa_supported(isa)) return 0;
    __atomic_store_n(&recur_isa, isa, __ATOMIC_RELAXED);
    return 1;
}

void recur_additive_scores(const float *query, const float *keys, long stride, const float *v, long width, long steps,
                           float *hidden, float *scores) {
    switch (recur_isa_active()) {
#if defined(__x86_64__)
    case RECUR_ISA_AVX512: recur_additive_scores16(query, keys, stride, v, width, steps, hidden, scores); return;
    case RECUR_ISA_AVX2: recur_additive_scores8_avx2(query, keys, stride, v, width, steps, hidden, scores); return;
#endif
    default: recur_additive_scores8(query, keys, stride, v, width, steps, hidden, scores);
    }
}
