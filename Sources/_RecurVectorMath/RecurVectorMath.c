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
typedef float recur_float16 __attribute__((ext_vector_type(16)));
typedef int recur_int16 __attribute__((ext_vector_type(16)));
#define RECUR_AVX512 __attribute__((target("avx512f")))
RECUR_DEFINE_VECTOR_MATH(16, RECUR_AVX512)
RECUR_DEFINE_ADDITIVE_SCORES(16, RECUR_AVX512)

static int recur_has_avx512(void) {
    static int known = -1;  // -1: not asked yet; every thread that asks gets the same answer
    int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (value < 0) {
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx512f") ? 1 : 0;
        __atomic_store_n(&known, value, __ATOMIC_RELAXED);
    }
    return value;
}
#endif

void recur_additive_scores(const float *query, const float *keys, long stride, const float *v, long width, long steps,
                           float *hidden, float *scores) {
#if defined(__x86_64__)
    if (recur_has_avx512()) {
        recur_additive_scores16(query, keys, stride, v, width, steps, hidden, scores);
        return;
    }
#endif
    recur_additive_scores8(query, keys, stride, v, width, steps, hidden, scores);
}
