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

// exp and tanh for vectors of W lanes (types recur_floatW / recur_intW), the functions' attributes
// ATTRS (a target such as AVX-512 for a wider copy): one definition for every width.
//
// e^x: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial (Cephes' expf coefficients), and
// 2^n built in the exponent field as two factors so that every n in [-126, 128] stays normal.
// 0 below -87.33 (subnormals are flushed), +inf above 88.72, NaN propagates.
//
// tanh(x): on |x|, an odd polynomial below 0.625 (Cephes' tanhf coefficients), 1 - 2 / (e^{2|x|} + 1)
// above; then the sign of x is put back, so tanh(-0) = -0. NaN propagates.
#define RECUR_DEFINE_VECTOR_MATH(W, ATTRS)                                                                   \
RECUR_INLINE ATTRS recur_float##W recur_select##W(recur_int##W mask, recur_float##W a, recur_float##W b) {   \
    return (recur_float##W)(((recur_int##W)a & mask) | ((recur_int##W)b & ~mask));                          \
}                                                                                                            \
RECUR_INLINE ATTRS recur_float##W recur_exp##W(recur_float##W x) {                                           \
    recur_float##W c = __builtin_elementwise_min(__builtin_elementwise_max(x, (recur_float##W)(-87.33f)),    \
                                                 (recur_float##W)(88.72f));                                  \
    const recur_float##W shifter = (recur_float##W)(12582912.0f); /* 1.5 * 2^23: rounds to an integer */    \
    recur_float##W shifted = c * 1.44269504f + shifter;                                                      \
    recur_float##W n = shifted - shifter;                                                                    \
    recur_float##W r = c - n * 0.693359375f + n * 2.12194440e-4f; /* ln2 split in two for exactness */      \
    recur_float##W p = (recur_float##W)(1.9875691500e-4f);                                                   \
    p = p * r + 1.3981999507e-3f;                                                                            \
    p = p * r + 8.3334519073e-3f;                                                                            \
    p = p * r + 4.1665795894e-2f;                                                                            \
    p = p * r + 1.6666665459e-1f;                                                                            \
    p = p * r + 5.0000001201e-1f;                                                                            \
    recur_float##W er = p * (r * r) + r + 1.0f;                                                              \
    recur_int##W integer = (recur_int##W)shifted - (recur_int##W)shifter;                                    \
    recur_int##W half = integer >> 1;                                                                        \
    recur_float##W first = (recur_float##W)((half + 127) << 23);                                             \
    recur_float##W second = (recur_float##W)((integer - half + 127) << 23);                                  \
    recur_float##W result = er * first * second;                                                             \
    result = recur_select##W(x < -87.33f, (recur_float##W)(0.0f), result);                                  \
    result = recur_select##W(x > 88.72f, (recur_float##W)(__builtin_inff()), result);                       \
    return recur_select##W(x != x, x, result);                                                               \
}                                                                                                            \
RECUR_INLINE ATTRS recur_float##W recur_tanh##W(recur_float##W x) {                                          \
    const recur_int##W sign = (recur_int##W)(0x80000000u);                                                   \
    recur_int##W bits = (recur_int##W)x;                                                                     \
    recur_float##W a = (recur_float##W)(bits & ~sign);                                                       \
    recur_float##W large = 1.0f - 2.0f / (recur_exp##W(a + a) + 1.0f);                                      \
    recur_float##W z = a * a;                                                                                \
    recur_float##W p = (recur_float##W)(-5.70498872745e-3f);                                                 \
    p = p * z + 2.06390887954e-2f;                                                                           \
    p = p * z - 5.37397155531e-2f;                                                                           \
    p = p * z + 1.33314422036e-1f;                                                                           \
    p = p * z - 3.33332819422e-1f;                                                                           \
    recur_float##W small = p * z * a + a;                                                                    \
    recur_float##W magnitude = recur_select##W(a >= 0.625f, large, small);                                   \
    return (recur_float##W)((recur_int##W)magnitude | (bits & sign));                                        \
}

// recur_select8, recur_exp8, recur_tanh8: inlined into the Swift gate kernels.
RECUR_DEFINE_VECTOR_MATH(8, )

// The instruction sets the run-time kernels are built for: RECUR_ISA_BASELINE (what the target was
// compiled for: SSE2 on a portable x86-64 build, AVX2 with RECUR_NATIVE=1; NEON on arm64),
// RECUR_ISA_AVX2 (AVX2 + FMA, 8 lanes) and RECUR_ISA_AVX512 (AVX-512F, 16 lanes).
enum { RECUR_ISA_BASELINE = 0, RECUR_ISA_AVX2 = 1, RECUR_ISA_AVX512 = 2 };
// 1 when this CPU runs the kernels of `isa`.
int recur_isa_supported(int isa);
// The kernels' instruction set now: the best this CPU supports until recur_isa_set chooses another.
int recur_isa_active(void);
// Whether the CPU has AVX-512's bf16 dot product (vdpbf16ps: AVX512_BF16, with AVX512F and AVX512BW).
int recur_cpu_has_avx512_bf16(void);
// Chooses the kernels' instruction set (one this CPU supports; otherwise nothing changes). Returns 1 on success.
int recur_isa_set(int isa);
// Chooses the instruction set of the kernels this thread calls (-1: back to the process's), without
// changing the other threads'. Returns 1 on success (0: the CPU lacks it).
int recur_isa_set_for_thread(int isa);

// The LSTM step's element-wise part (RecurCore's LSTMGates documents the arguments): the input part
// of row b's pre-activations is `gates`' row b, or with a `table` its row `ids[b]`; `hGates`, B x 4H
// or NULL, and `bias`, 4H or NULL, are added to it, in that order. The activations go to `gates` and
// tanh(c') to `tanhC`; with `tanhC` NULL (inference: no backward step follows) neither is written and
// `gates` is only read. In the active instruction set.
void recur_lstm_forward(float *gates, const float *table, const long *ids, const float *hGates, const float *bias,
                        const float *cPrev, const float *hPrev, float *c, float *h, float *tanhC, long batch, long hidden,
                        const _Bool *active);
void recur_lstm_backward(const float *gates, const float *cPrev, const float *tanhC, const float *dh, float *dc,
                         float *dGates, float *dhPrevDirect, long batch, long hidden, const _Bool *active);

// The GRU step's element-wise part (RecurCore's GRUGates documents the arguments; `xBias`, 3H or
// NULL, is added to every row of xGates; `cache` NULL, at inference, keeps nothing), in the active
// instruction set.
void recur_gru_forward(const float *xGates, const float *xBias, const float *hGates, const float *hPrev, float *h,
                       float *cache, long batch, long hidden, const _Bool *active);
void recur_gru_backward(const float *cache, const float *hPrev, const float *dh, float *dxGates, float *dhGates,
                        float *dhPrevDirect, long batch, long hidden, const _Bool *active);

// The vanilla RNN step's element-wise part (RecurCore's RNNGates documents the arguments); activation
// 0 is tanh, 1 relu (NaN passed through), 2 sigmoid. In the active instruction set.
// `bias`, H or NULL, is added to every row's pre-activation.
void recur_rnn_forward(const float *preactivation, const float *bias, const float *hPrev, float *h, int activation,
                       long batch, long hidden, const _Bool *active);
void recur_rnn_backward(const float *h, const float *dh, float *dPreactivation, float *dhPrevDirect, int activation,
                        long batch, long hidden, const _Bool *active);

// Bahdanau's additive scores of one query over `steps` keys:
//   scores[j] = sum_i v[i] tanh(query[i] + keys[j * stride + i]),  i < width,
// and, when `hidden` is not NULL, hidden[j * width + i] = tanh(query[i] + keys[j * stride + i]).
// In the active instruction set: sixteen lanes with AVX-512, eight otherwise.
void recur_additive_scores(const float *query, const float *keys, long stride, const float *v, long width, long steps,
                           float *hidden, float *scores);

// The optimisers' element-wise updates of n elements of a parameter p with gradient g and state
// buffers (torch.optim's rules; Recur's Optimizers document them). An optional buffer is NULL when the
// rule does not use it. In the active instruction set.
void recur_adam_update(float *p, const float *g, float *m, float *v, long n, float beta1, float beta2, float stepSize,
                       float correction2, float epsilon, float l2, float decay, int decoupled);
void recur_sgd_update(float *p, const float *g, float *buffer, long n, float lr, float weightDecay, float momentum,
                      float dampening, int first, int nesterov);
void recur_adagrad_update(float *p, const float *g, float *sum, long n, float lr, float weightDecay, float epsilon);
void recur_rmsprop_update(float *p, const float *g, float *square, float *mean, float *buffer, long n, float lr,
                          float alpha, float epsilon, float weightDecay, float momentum);

// One softmax row's numerators out[j] = e^(x[j] - max) for j < n (n >= 1), the maximum in *maximum
// (NaN when an element is NaN), and their sum (in double: element j into lane j mod 8 of eight, then
// the lanes in turn) returned. In the active instruction set.
double recur_softmax_numerators(const float *x, long n, float *out, float *maximum);

// `count` floats rounded to bfloat16 (nearest, ties to even; NaN stays NaN, quiet), as the bf16
// products round their operands: the bits of recur_bf16_from_float (RecurBFloat16.h), lane by lane.
void recur_bf16_round(const float *source, long count, unsigned short *target);

#endif
