// The vector math is header-only (include/RecurVectorMath.h) but for the additive attention scores,
// which choose their width at run time.
#include "RecurVectorLanes.h"

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

// A loop over a row's columns W at a time: `body` with `count` = W for the full vectors (so that the
// loads' and stores' tests fold away: the LSTM forward kernel 14% faster, the backward kernels about
// 45%: docs/performance.md section 20), then with the tail's count.
#define RECUR_FOR_LANES(W, columns, j, count, ...)                                                             \
    {                                                                                                          \
        long j = 0;                                                                                            \
        for (; j + W <= (columns); j += W) { const long count = W; __VA_ARGS__ }                               \
        for (; j < (columns); j += W) { const long count = (columns) - j; __VA_ARGS__ }                        \
    }

// A row's W lanes read (the tail zero-padded) and written (the tail lane by lane), and the logistic
// function, for the gate kernels below.
#define RECUR_DEFINE_LANES(W, ATTRS)                                                                           \
static inline ATTRS recur_float##W recur_load##W(const float *p, long n) {                                     \
    recur_float##W v = (recur_float##W)(0.0f);                                                                 \
    if (n >= W) { __builtin_memcpy(&v, p, sizeof v); return v; }                                               \
    for (long l = 0; l < n; l++) v[l] = p[l];                                                                  \
    return v;                                                                                                  \
}                                                                                                              \
static inline ATTRS void recur_store##W(recur_float##W v, float *p, long n) {                                  \
    if (n >= W) { __builtin_memcpy(p, &v, sizeof v); return; }                                                 \
    for (long l = 0; l < n; l++) p[l] = v[l];                                                                  \
}                                                                                                              \
static inline ATTRS recur_float##W recur_sigmoid##W(recur_float##W x) { return 1.0f / (1.0f + recur_exp##W(-x)); } \
static inline ATTRS recur_float##W recur_load_bias##W(const float *bias, long offset, long n) {                \
    return bias ? recur_load##W(bias + offset, n) : (recur_float##W)(0.0f);                                   \
}

// The LSTM step (i, f, g, o gate blocks along each row of 4H) in lanes of W.
#define RECUR_DEFINE_LSTM(W, ATTRS)                                                                            \
static ATTRS void recur_lstm_forward##W(float *gates, const float *table, const long *ids, const float *hGates,  \
                                        const float *bias, const float *cPrev, const float *hPrev, float *c,   \
                                        float *h, float *tanhC, long batch, long hidden, const _Bool *active) { \
    for (long b = 0; b < batch; b++) {                                                                         \
        float *row = gates + b * 4 * hidden;                                                                   \
        const float *xRow = table ? table + ids[b] * 4 * hidden : row;                                         \
        const float *hRow = hGates ? hGates + b * 4 * hidden : 0;                                              \
        long s = b * hidden;                                                                                   \
        if (active && !active[b]) {                                                                            \
            for (long j = 0; j < hidden; j++) { c[s + j] = cPrev[s + j]; h[s + j] = hPrev[s + j]; }           \
            if (tanhC) for (long j = 0; j < hidden; j++) tanhC[s + j] = 0;                                     \
            continue;                                                                                          \
        }                                                                                                      \
        RECUR_FOR_LANES(W, hidden, j, n,                                                                       \
            recur_float##W i = recur_sigmoid##W(recur_load##W(xRow + j, n) + recur_load_bias##W(hRow, j, n)     \
                                                + recur_load_bias##W(bias, j, n));                             \
            recur_float##W f = recur_sigmoid##W(recur_load##W(xRow + hidden + j, n)                             \
                                                + recur_load_bias##W(hRow, hidden + j, n)                      \
                                                + recur_load_bias##W(bias, hidden + j, n));                    \
            recur_float##W g = recur_tanh##W(recur_load##W(xRow + 2 * hidden + j, n)                            \
                                             + recur_load_bias##W(hRow, 2 * hidden + j, n)                     \
                                             + recur_load_bias##W(bias, 2 * hidden + j, n));                   \
            recur_float##W o = recur_sigmoid##W(recur_load##W(xRow + 3 * hidden + j, n)                         \
                                                + recur_load_bias##W(hRow, 3 * hidden + j, n)                  \
                                                + recur_load_bias##W(bias, 3 * hidden + j, n));                \
            if (tanhC) {                                                                                       \
                recur_store##W(i, row + j, n);                                                                 \
                recur_store##W(f, row + hidden + j, n);                                                        \
                recur_store##W(g, row + 2 * hidden + j, n);                                                    \
                recur_store##W(o, row + 3 * hidden + j, n);                                                    \
            }                                                                                                  \
            recur_float##W cNew = f * recur_load##W(cPrev + s + j, n) + i * g;                                 \
            recur_float##W tc = recur_tanh##W(cNew);                                                           \
            recur_store##W(cNew, c + s + j, n);                                                                \
            if (tanhC) recur_store##W(tc, tanhC + s + j, n);                                                   \
            recur_store##W(o * tc, h + s + j, n);                                                              \
        )                                                                                                      \
    }                                                                                                          \
}                                                                                                              \
static ATTRS void recur_lstm_backward##W(const float *gates, const float *cPrev, const float *tanhC,           \
                                         const float *dh, float *dc, float *dGates, float *dhPrevDirect,      \
                                         long batch, long hidden, const _Bool *active) {                       \
    for (long b = 0; b < batch; b++) {                                                                         \
        const float *row = gates + b * 4 * hidden;                                                             \
        float *dRow = dGates + b * 4 * hidden;                                                                 \
        long s = b * hidden;                                                                                   \
        if (active && !active[b]) {                                                                            \
            for (long j = 0; j < 4 * hidden; j++) dRow[j] = 0;                                                 \
            for (long j = 0; j < hidden; j++) dhPrevDirect[s + j] = dh[s + j];                                 \
            continue;                                                                                          \
        }                                                                                                      \
        RECUR_FOR_LANES(W, hidden, j, n,                                                                       \
            recur_float##W i = recur_load##W(row + j, n), f = recur_load##W(row + hidden + j, n);              \
            recur_float##W g = recur_load##W(row + 2 * hidden + j, n), o = recur_load##W(row + 3 * hidden + j, n); \
            recur_float##W tc = recur_load##W(tanhC + s + j, n), dhj = recur_load##W(dh + s + j, n);           \
            /* dL/dc' = the carried part + the part through h' = o * tanh(c') */                               \
            recur_float##W dcNew = recur_load##W(dc + s + j, n) + dhj * o * (1.0f - tc * tc);                  \
            recur_store##W(dcNew * g * i * (1.0f - i), dRow + j, n);                                           \
            recur_store##W(dcNew * recur_load##W(cPrev + s + j, n) * f * (1.0f - f), dRow + hidden + j, n);    \
            recur_store##W(dcNew * i * (1.0f - g * g), dRow + 2 * hidden + j, n);                              \
            recur_store##W(dhj * tc * o * (1.0f - o), dRow + 3 * hidden + j, n);                               \
            recur_store##W(dcNew * f, dc + s + j, n);                                                          \
            recur_store##W((recur_float##W)(0.0f), dhPrevDirect + s + j, n);                                   \
        )                                                                                                      \
    }                                                                                                          \
}

// The GRU step (r, z, n gate blocks along each row of 3H; the cache holds r | z | n | h_n) in lanes of
// W.
#define RECUR_DEFINE_GRU(W, ATTRS)                                                                             \
static ATTRS void recur_gru_forward##W(const float *xGates, const float *xBias, const float *hGates,             \
                                       const float *hPrev, float *h, float *cache, long batch, long hidden,    \
                                       const _Bool *active) {                                                  \
    for (long b = 0; b < batch; b++) {                                                                         \
        const float *xRow = xGates + b * 3 * hidden, *hRow = hGates + b * 3 * hidden;                         \
        float *cRow = cache ? cache + b * 4 * hidden : 0;                                                      \
        long s = b * hidden;                                                                                   \
        if (active && !active[b]) {                                                                            \
            for (long j = 0; j < hidden; j++) h[s + j] = hPrev[s + j];                                         \
            if (cRow) for (long j = 0; j < 4 * hidden; j++) cRow[j] = 0;                                       \
            continue;                                                                                          \
        }                                                                                                      \
        RECUR_FOR_LANES(W, hidden, j, m,                                                                       \
            recur_float##W xr = recur_load##W(xRow + j, m) + recur_load_bias##W(xBias, j, m);                  \
            recur_float##W xz = recur_load##W(xRow + hidden + j, m) + recur_load_bias##W(xBias, hidden + j, m); \
            recur_float##W xn = recur_load##W(xRow + 2 * hidden + j, m) + recur_load_bias##W(xBias, 2 * hidden + j, m); \
            recur_float##W r = recur_sigmoid##W(xr + recur_load##W(hRow + j, m));                              \
            recur_float##W z = recur_sigmoid##W(xz + recur_load##W(hRow + hidden + j, m));                     \
            recur_float##W hn = recur_load##W(hRow + 2 * hidden + j, m);                                       \
            recur_float##W n = recur_tanh##W(xn + r * hn);                                                     \
            if (cRow) {                                                                                        \
                recur_store##W(r, cRow + j, m);                                                                \
                recur_store##W(z, cRow + hidden + j, m);                                                       \
                recur_store##W(n, cRow + 2 * hidden + j, m);                                                   \
                recur_store##W(hn, cRow + 3 * hidden + j, m);                                                  \
            }                                                                                                  \
            recur_store##W((1.0f - z) * n + z * recur_load##W(hPrev + s + j, m), h + s + j, m);               \
        )                                                                                                      \
    }                                                                                                          \
}                                                                                                              \
static ATTRS void recur_gru_backward##W(const float *cache, const float *hPrev, const float *dh, float *dxGates, \
                                        float *dhGates, float *dhPrevDirect, long batch, long hidden,          \
                                        const _Bool *active) {                                                 \
    for (long b = 0; b < batch; b++) {                                                                         \
        const float *cRow = cache + b * 4 * hidden;                                                            \
        float *dxRow = dxGates + b * 3 * hidden, *dhRow = dhGates + b * 3 * hidden;                            \
        long s = b * hidden;                                                                                   \
        if (active && !active[b]) {                                                                            \
            for (long j = 0; j < 3 * hidden; j++) { dxRow[j] = 0; dhRow[j] = 0; }                              \
            for (long j = 0; j < hidden; j++) dhPrevDirect[s + j] = dh[s + j];                                 \
            continue;                                                                                          \
        }                                                                                                      \
        RECUR_FOR_LANES(W, hidden, j, m,                                                                       \
            recur_float##W r = recur_load##W(cRow + j, m), z = recur_load##W(cRow + hidden + j, m);            \
            recur_float##W n = recur_load##W(cRow + 2 * hidden + j, m), hn = recur_load##W(cRow + 3 * hidden + j, m); \
            recur_float##W dhj = recur_load##W(dh + s + j, m);                                                 \
            recur_float##W dnPre = dhj * (1.0f - z) * (1.0f - n * n);                                          \
            recur_float##W dzPre = dhj * (recur_load##W(hPrev + s + j, m) - n) * z * (1.0f - z);               \
            recur_float##W drPre = dnPre * hn * r * (1.0f - r);                                                \
            recur_store##W(drPre, dxRow + j, m);                                                               \
            recur_store##W(dzPre, dxRow + hidden + j, m);                                                      \
            recur_store##W(dnPre, dxRow + 2 * hidden + j, m);                                                  \
            recur_store##W(drPre, dhRow + j, m);                                                               \
            recur_store##W(dzPre, dhRow + hidden + j, m);                                                      \
            recur_store##W(dnPre * r, dhRow + 2 * hidden + j, m);                                              \
            recur_store##W(dhj * z, dhPrevDirect + s + j, m);                                                  \
        )                                                                                                      \
    }                                                                                                          \
}

// The vanilla RNN step in lanes of W.
#define RECUR_DEFINE_RNN(W, ATTRS)                                                                             \
static inline ATTRS recur_float##W recur_activate##W(recur_float##W x, int activation) {                       \
    if (activation == 0) return recur_tanh##W(x);                                                              \
    if (activation == 1) return recur_select##W(x < 0.0f, (recur_float##W)(0.0f), x);                          \
    return recur_sigmoid##W(x);                                                                                \
}                                                                                                              \
static inline ATTRS recur_float##W recur_derivative##W(recur_float##W y, int activation) {                     \
    if (activation == 0) return 1.0f - y * y;                                                                  \
    if (activation == 1) return recur_select##W(y > 0.0f, (recur_float##W)(1.0f), (recur_float##W)(0.0f));     \
    return y * (1.0f - y);                                                                                     \
}                                                                                                              \
static ATTRS void recur_rnn_forward##W(const float *preactivation, const float *bias, const float *hPrev, float *h, \
                                       int activation, long batch, long hidden, const _Bool *active) {         \
    for (long b = 0; b < batch; b++) {                                                                         \
        long s = b * hidden;                                                                                   \
        if (active && !active[b]) {                                                                            \
            for (long j = 0; j < hidden; j++) h[s + j] = hPrev[s + j];                                         \
            continue;                                                                                          \
        }                                                                                                      \
        RECUR_FOR_LANES(W, hidden, j, n,                                                                       \
            recur_float##W a = recur_load##W(preactivation + s + j, n) + recur_load_bias##W(bias, j, n);       \
            recur_store##W(recur_activate##W(a, activation), h + s + j, n);                                    \
        )                                                                                                      \
    }                                                                                                          \
}                                                                                                              \
static ATTRS void recur_rnn_backward##W(const float *h, const float *dh, float *dPreactivation, float *dhPrevDirect, \
                                        int activation, long batch, long hidden, const _Bool *active) {        \
    for (long b = 0; b < batch; b++) {                                                                         \
        long s = b * hidden;                                                                                   \
        if (active && !active[b]) {                                                                            \
            for (long j = 0; j < hidden; j++) { dPreactivation[s + j] = 0; dhPrevDirect[s + j] = dh[s + j]; }  \
            continue;                                                                                          \
        }                                                                                                      \
        RECUR_FOR_LANES(W, hidden, j, n,                                                                       \
            recur_float##W y = recur_load##W(h + s + j, n);                                                    \
            recur_store##W(recur_load##W(dh + s + j, n) * recur_derivative##W(y, activation), dPreactivation + s + j, n); \
            recur_store##W((recur_float##W)(0.0f), dhPrevDirect + s + j, n);                                   \
        )                                                                                                      \
    }                                                                                                          \
}

// The optimisers' updates (torch.optim's rules and order of operations; Recur's Optimizers document
// them) over n elements in lanes of W. The tail goes through the same vector code, zero-padded, so
// that an element's result does not depend on where a thread's share of the elements begins.
#define RECUR_DEFINE_OPTIMIZERS(W, ATTRS)                                                                      \
static ATTRS void recur_adam_update##W(float *p, const float *g, float *m, float *v, long n, float b1, float b2, \
                                       float stepSize, float correction2, float eps, float l2, float decay,   \
                                       int decoupled) {                                                        \
    for (long i = 0; i < n; i += W) {                                                                          \
        long k = n - i < W ? n - i : W;                                                                        \
        recur_float##W pv = recur_load##W(p + i, k);                                                           \
        if (decoupled) pv = pv * decay;                                                                        \
        recur_float##W gv = recur_load##W(g + i, k) + l2 * pv;                                                 \
        recur_float##W mv = recur_load##W(m + i, k);                                                           \
        mv = mv + (1.0f - b1) * (gv - mv);                                                                     \
        recur_float##W vv = b2 * recur_load##W(v + i, k) + (1.0f - b2) * gv * gv;                              \
        pv = pv - stepSize * mv / (__builtin_elementwise_sqrt(vv) / correction2 + eps);                        \
        recur_store##W(mv, m + i, k);                                                                          \
        recur_store##W(vv, v + i, k);                                                                          \
        recur_store##W(pv, p + i, k);                                                                          \
    }                                                                                                          \
}                                                                                                              \
static ATTRS void recur_sgd_update##W(float *p, const float *g, float *buffer, long n, float lr, float wd,     \
                                      float mu, float dampening, int first, int nesterov) {                    \
    for (long i = 0; i < n; i += W) {                                                                          \
        long k = n - i < W ? n - i : W;                                                                        \
        recur_float##W pv = recur_load##W(p + i, k);                                                           \
        recur_float##W gv = recur_load##W(g + i, k) + wd * pv;                                                 \
        if (buffer) {                                                                                          \
            recur_float##W bv = first ? gv : mu * recur_load##W(buffer + i, k) + (1.0f - dampening) * gv;      \
            recur_store##W(bv, buffer + i, k);                                                                 \
            gv = nesterov ? gv + mu * bv : bv;                                                                 \
        }                                                                                                      \
        recur_store##W(pv - lr * gv, p + i, k);                                                                \
    }                                                                                                          \
}                                                                                                              \
static ATTRS void recur_adagrad_update##W(float *p, const float *g, float *sum, long n, float lr, float wd, float eps) { \
    for (long i = 0; i < n; i += W) {                                                                          \
        long k = n - i < W ? n - i : W;                                                                        \
        recur_float##W pv = recur_load##W(p + i, k);                                                           \
        recur_float##W gv = recur_load##W(g + i, k) + wd * pv;                                                 \
        recur_float##W sv = recur_load##W(sum + i, k) + gv * gv;                                               \
        recur_store##W(sv, sum + i, k);                                                                        \
        recur_store##W(pv - lr * gv / (__builtin_elementwise_sqrt(sv) + eps), p + i, k);                       \
    }                                                                                                          \
}                                                                                                              \
static ATTRS void recur_rmsprop_update##W(float *p, const float *g, float *square, float *mean, float *buffer,  \
                                          long n, float lr, float alpha, float eps, float wd, float mu) {      \
    for (long i = 0; i < n; i += W) {                                                                          \
        long k = n - i < W ? n - i : W;                                                                        \
        recur_float##W pv = recur_load##W(p + i, k);                                                           \
        recur_float##W gv = recur_load##W(g + i, k) + wd * pv;                                                 \
        recur_float##W vv = alpha * recur_load##W(square + i, k) + (1.0f - alpha) * gv * gv;                   \
        recur_store##W(vv, square + i, k);                                                                     \
        recur_float##W variance = vv;                                                                          \
        if (mean) {                                                                                            \
            recur_float##W av = alpha * recur_load##W(mean + i, k) + (1.0f - alpha) * gv;                      \
            recur_store##W(av, mean + i, k);                                                                   \
            variance = variance - av * av;                                                                     \
        }                                                                                                      \
        recur_float##W denominator = __builtin_elementwise_sqrt(variance) + eps;                               \
        if (buffer) {                                                                                          \
            recur_float##W bv = mu * recur_load##W(buffer + i, k) + gv / denominator;                          \
            recur_store##W(bv, buffer + i, k);                                                                 \
            pv = pv - lr * bv;                                                                                 \
        } else {                                                                                               \
            pv = pv - lr * gv / denominator;                                                                   \
        }                                                                                                      \
        recur_store##W(pv, p + i, k);                                                                          \
    }                                                                                                          \
}

// A softmax row's numerators: out[j] = e^(x[j] - max), with the row's maximum (NaN if any element is
// NaN) in *maximum and the sum of the numerators, added in double, returned. The maximum is taken in
// lanes; the sum in eight double lanes (element j into lane j mod 8, in order), then lane by lane: the
// same order in every instruction set, and no chain of dependent scalar additions (which had made the
// sum the kernel's largest cost: 2.9 -> 1.1-1.3 ns an element over rows of 65, AVX-512, Zen 4).
#define RECUR_DEFINE_SOFTMAX(W, ATTRS)                                                                         \
static ATTRS double recur_softmax_numerators##W(const float *x, long n, float *out, float *maximum) {           \
    recur_float##W top = (recur_float##W)(x[0]);                                                               \
    recur_int##W nan = (recur_int##W)(0), index;                                                               \
    for (int l = 0; l < W; l++) index[l] = l;                                                                  \
    RECUR_FOR_LANES(W, n, j, k,                                                                                \
        recur_float##W v = recur_select##W(index < (int)k, recur_load##W(x + j, k), top);                      \
        top = __builtin_elementwise_max(top, v);                                                               \
        nan |= (v != v);                                                                                       \
    )                                                                                                          \
    float t = top[0];                                                                                          \
    for (int l = 1; l < W; l++) t = top[l] > t ? top[l] : t;                                                   \
    for (int l = 0; l < W; l++) if (nan[l]) t = __builtin_nanf("");                                            \
    recur_double8 lanes = (recur_double8)(0.0);                                                                \
    RECUR_FOR_LANES(W, n, j, k,                                                                                \
        recur_float##W e = recur_exp##W(recur_load##W(x + j, k) - t);                                          \
        recur_store##W(e, out + j, k);                                                                         \
        e = recur_select##W(index < (int)k, e, (recur_float##W)(0.0f));                                        \
        for (int h = 0; h < W; h += 8) {                                                                       \
            recur_float8 part;                                                                                 \
            __builtin_memcpy(&part, (const float *)&e + h, sizeof part);                                       \
            lanes += __builtin_convertvector(part, recur_double8);                                             \
        }                                                                                                      \
    )                                                                                                          \
    double sum = 0;                                                                                            \
    for (int l = 0; l < 8; l++) sum += lanes[l];                                                               \
    *maximum = t;                                                                                              \
    return sum;                                                                                                \
}

// Floats rounded to bfloat16 (round to nearest even; NaN kept, quiet), W lanes at a time: the same
// bits as recur_bf16_from_float in RecurBFloat16.h, lane by lane, including subnormals. The tail goes
// through the same lanes, zero-padded.
#define RECUR_DEFINE_BF16_ROUNDING(W, ATTRS)                                                                   \
static inline ATTRS recur_ushort##W recur_bf16_lanes##W(recur_uint##W u) {                                     \
    recur_uint##W rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;                                            \
    recur_uint##W nan = (recur_uint##W)((u & 0x7fffffffu) > 0x7f800000u);                                      \
    return __builtin_convertvector((rounded & ~nan) | (((u >> 16) | 0x40u) & nan), recur_ushort##W);           \
}                                                                                                              \
static ATTRS void recur_bf16_round##W(const float *source, long count, unsigned short *target) {               \
    long i = 0;                                                                                                \
    for (; i + W <= count; i += W) {                                                                           \
        recur_uint##W u;                                                                                       \
        __builtin_memcpy(&u, source + i, sizeof u);                                                            \
        recur_ushort##W out = recur_bf16_lanes##W(u);                                                          \
        __builtin_memcpy(target + i, &out, sizeof out);                                                        \
    }                                                                                                          \
    if (i < count) {                                                                                           \
        recur_uint##W u = (recur_uint##W)(0u);                                                                 \
        __builtin_memcpy(&u, source + i, (unsigned long)(count - i) * sizeof(float));                          \
        recur_ushort##W out = recur_bf16_lanes##W(u);                                                          \
        __builtin_memcpy(target + i, &out, (unsigned long)(count - i) * sizeof(unsigned short));               \
    }                                                                                                          \
}

RECUR_DEFINE_ADDITIVE_SCORES(8, )
RECUR_DEFINE_LANES(8, )
RECUR_DEFINE_LSTM(8, )
RECUR_DEFINE_GRU(8, )
RECUR_DEFINE_RNN(8, )
RECUR_DEFINE_OPTIMIZERS(8, )
RECUR_DEFINE_SOFTMAX(8, )
RECUR_DEFINE_BF16_ROUNDING(8, )

#if defined(__x86_64__)
// The AVX2 + FMA copies of the eight-lane functions, under their own names.
#define recur_select8 recur_select8_avx2
#define recur_exp8 recur_exp8_avx2
#define recur_tanh8 recur_tanh8_avx2
#define recur_additive_scores8 recur_additive_scores8_avx2
#define recur_load8 recur_load8_avx2
#define recur_store8 recur_store8_avx2
#define recur_sigmoid8 recur_sigmoid8_avx2
#define recur_load_bias8 recur_load_bias8_avx2
#define recur_lstm_forward8 recur_lstm_forward8_avx2
#define recur_lstm_backward8 recur_lstm_backward8_avx2
#define recur_gru_forward8 recur_gru_forward8_avx2
#define recur_gru_backward8 recur_gru_backward8_avx2
#define recur_activate8 recur_activate8_avx2
#define recur_derivative8 recur_derivative8_avx2
#define recur_rnn_forward8 recur_rnn_forward8_avx2
#define recur_rnn_backward8 recur_rnn_backward8_avx2
#define recur_adam_update8 recur_adam_update8_avx2
#define recur_sgd_update8 recur_sgd_update8_avx2
#define recur_adagrad_update8 recur_adagrad_update8_avx2
#define recur_rmsprop_update8 recur_rmsprop_update8_avx2
#define recur_softmax_numerators8 recur_softmax_numerators8_avx2
#define recur_bf16_round8 recur_bf16_round8_avx2
#define recur_bf16_lanes8 recur_bf16_lanes8_avx2
RECUR_DEFINE_VECTOR_MATH(8, RECUR_AVX2)
RECUR_DEFINE_ADDITIVE_SCORES(8, RECUR_AVX2)
RECUR_DEFINE_LANES(8, RECUR_AVX2)
RECUR_DEFINE_LSTM(8, RECUR_AVX2)
RECUR_DEFINE_GRU(8, RECUR_AVX2)
RECUR_DEFINE_RNN(8, RECUR_AVX2)
RECUR_DEFINE_OPTIMIZERS(8, RECUR_AVX2)
RECUR_DEFINE_SOFTMAX(8, RECUR_AVX2)
RECUR_DEFINE_BF16_ROUNDING(8, RECUR_AVX2)
#undef recur_select8
#undef recur_exp8
#undef recur_tanh8
#undef recur_additive_scores8
#undef recur_load8
#undef recur_store8
#undef recur_sigmoid8
#undef recur_load_bias8
#undef recur_lstm_forward8
#undef recur_lstm_backward8
#undef recur_gru_forward8
#undef recur_gru_backward8
#undef recur_activate8
#undef recur_derivative8
#undef recur_rnn_forward8
#undef recur_rnn_backward8
#undef recur_adam_update8
#undef recur_sgd_update8
#undef recur_adagrad_update8
#undef recur_rmsprop_update8
#undef recur_softmax_numerators8
#undef recur_bf16_round8
#undef recur_bf16_lanes8

RECUR_DEFINE_VECTOR_MATH(16, RECUR_AVX512)
RECUR_DEFINE_ADDITIVE_SCORES(16, RECUR_AVX512)
RECUR_DEFINE_LANES(16, RECUR_AVX512)
RECUR_DEFINE_LSTM(16, RECUR_AVX512)
RECUR_DEFINE_GRU(16, RECUR_AVX512)
RECUR_DEFINE_RNN(16, RECUR_AVX512)
RECUR_DEFINE_OPTIMIZERS(16, RECUR_AVX512)
RECUR_DEFINE_SOFTMAX(16, RECUR_AVX512)
RECUR_DEFINE_BF16_ROUNDING(16, RECUR_AVX512)
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

// Asked before every bf16 product of one row: found once (every thread that asks first finds the same).
static int recur_avx512_bf16 = -1;

int recur_cpu_has_avx512_bf16(void) {
#if defined(__x86_64__)
    int has = __atomic_load_n(&recur_avx512_bf16, __ATOMIC_RELAXED);
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16");
        __atomic_store_n(&recur_avx512_bf16, has, __ATOMIC_RELAXED);
    }
    return has;
#else
    return 0;
#endif
}

// -1 until first asked; every thread that asks first computes the same answer.
static int recur_isa = -1;
// This thread's own choice (-1: none), which takes precedence: tests try every set on their own thread
// without changing what the other threads of the process run.
static _Thread_local int recur_isa_thread = -1;

int recur_isa_active(void) {
    if (recur_isa_thread >= 0) return recur_isa_thread;
    int isa = __atomic_load_n(&recur_isa, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = recur_isa_supported(RECUR_ISA_AVX512) ? RECUR_ISA_AVX512 : recur_isa_supported(RECUR_ISA_AVX2) ? RECUR_ISA_AVX2 : RECUR_ISA_BASELINE;
        __atomic_store_n(&recur_isa, isa, __ATOMIC_RELAXED);
    }
    return isa;
}

int recur_isa_set_for_thread(int isa) {
    if (isa >= 0 && !recur_isa_supported(isa)) return 0;
    recur_isa_thread = isa;
    return 1;
}

int recur_isa_set(int isa) {
    if (!recur_isa_supported(isa)) return 0;
    __atomic_store_n(&recur_isa, isa, __ATOMIC_RELAXED);
    return 1;
}

void recur_additive_scores(const float *query, const float *keys, long stride, const float *v, long width, long steps,
                           float *hidden, float *scores) {
    RECUR_DISPATCH(recur_additive_scores, (query, keys, stride, v, width, steps, hidden, scores))
}

void recur_lstm_forward(float *gates, const float *table, const long *ids, const float *hGates, const float *bias,
                        const float *cPrev, const float *hPrev, float *c, float *h, float *tanhC, long batch, long hidden,
                        const _Bool *active) {
    RECUR_DISPATCH(recur_lstm_forward, (gates, table, ids, hGates, bias, cPrev, hPrev, c, h, tanhC, batch, hidden, active))
}

void recur_lstm_backward(const float *gates, const float *cPrev, const float *tanhC, const float *dh, float *dc,
                         float *dGates, float *dhPrevDirect, long batch, long hidden, const _Bool *active) {
    RECUR_DISPATCH(recur_lstm_backward, (gates, cPrev, tanhC, dh, dc, dGates, dhPrevDirect, batch, hidden, active))
}

void recur_gru_forward(const float *xGates, const float *xBias, const float *hGates, const float *hPrev, float *h,
                       float *cache, long batch, long hidden, const _Bool *active) {
    RECUR_DISPATCH(recur_gru_forward, (xGates, xBias, hGates, hPrev, h, cache, batch, hidden, active))
}

void recur_gru_backward(const float *cache, const float *hPrev, const float *dh, float *dxGates, float *dhGates,
                        float *dhPrevDirect, long batch, long hidden, const _Bool *active) {
    RECUR_DISPATCH(recur_gru_backward, (cache, hPrev, dh, dxGates, dhGates, dhPrevDirect, batch, hidden, active))
}

void recur_rnn_forward(const float *preactivation, const float *bias, const float *hPrev, float *h, int activation,
                       long batch, long hidden, const _Bool *active) {
    RECUR_DISPATCH(recur_rnn_forward, (preactivation, bias, hPrev, h, activation, batch, hidden, active))
}

void recur_rnn_backward(const float *h, const float *dh, float *dPreactivation, float *dhPrevDirect, int activation,
                        long batch, long hidden, const _Bool *active) {
    RECUR_DISPATCH(recur_rnn_backward, (h, dh, dPreactivation, dhPrevDirect, activation, batch, hidden, active))
}

void recur_adam_update(float *p, const float *g, float *m, float *v, long n, float beta1, float beta2, float stepSize,
                       float correction2, float epsilon, float l2, float decay, int decoupled) {
    RECUR_DISPATCH(recur_adam_update, (p, g, m, v, n, beta1, beta2, stepSize, correction2, epsilon, l2, decay, decoupled))
}

void recur_sgd_update(float *p, const float *g, float *buffer, long n, float lr, float weightDecay, float momentum,
                      float dampening, int first, int nesterov) {
    RECUR_DISPATCH(recur_sgd_update, (p, g, buffer, n, lr, weightDecay, momentum, dampening, first, nesterov))
}

void recur_adagrad_update(float *p, const float *g, float *sum, long n, float lr, float weightDecay, float epsilon) {
    RECUR_DISPATCH(recur_adagrad_update, (p, g, sum, n, lr, weightDecay, epsilon))
}

void recur_rmsprop_update(float *p, const float *g, float *square, float *mean, float *buffer, long n, float lr,
                          float alpha, float epsilon, float weightDecay, float momentum) {
    RECUR_DISPATCH(recur_rmsprop_update, (p, g, square, mean, buffer, n, lr, alpha, epsilon, weightDecay, momentum))
}

double recur_softmax_numerators(const float *x, long n, float *out, float *maximum) {
#if defined(__x86_64__)
    switch (recur_isa_active()) {
    case RECUR_ISA_AVX512: return recur_softmax_numerators16(x, n, out, maximum);
    case RECUR_ISA_AVX2: return recur_softmax_numerators8_avx2(x, n, out, maximum);
    default: return recur_softmax_numerators8(x, n, out, maximum);
    }
#else
    return recur_softmax_numerators8(x, n, out, maximum);
#endif
}

void recur_bf16_round(const float *source, long count, unsigned short *target) {
    RECUR_DISPATCH(recur_bf16_round, (source, count, target))
}
