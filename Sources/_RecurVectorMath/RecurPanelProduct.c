// Products with B packed once in panels of 16 columns (RecurPanelProduct.h). Measured against
// dnnl_sgemm, which packs B again at every call: docs/performance.md section 23.
#include "RecurPanelProduct.h"
#include "RecurVectorLanes.h"

enum { COLUMNS = 16, BLOCK_ROWS = 6, DEPTH = 256 };

long recur_panel_product_panels(long n) { return (n + COLUMNS - 1) / COLUMNS; }

long recur_panel_product_b_count(long n, long k) { return recur_panel_product_panels(n) * k * COLUMNS; }

void recur_panel_product_pack_b(const float *b, long n, long k, long strideK, long strideN, long firstPanel, long endPanel,
                                float *packed) {
    enum { TILE = 64 };  // rows of B per pass over a panel's 16 columns: 4 KB of the panel stay in cache
    for (long q = firstPanel; q < endPanel; q++) {
        float *panel = packed + q * k * COLUMNS;
        for (long i0 = 0; i0 < k; i0 += TILE) {
            long i1 = k - i0 < TILE ? k : i0 + TILE;
            for (long j = 0; j < COLUMNS; j++) {
                long column = q * COLUMNS + j;
                // A column of B is a row of W for the forward loop's B = W^T (strideK 1): read in order.
                if (column < n) {
                    for (long i = i0; i < i1; i++) panel[i * COLUMNS + j] = b[i * strideK + column * strideN];
                } else {
                    for (long i = i0; i < i1; i++) panel[i * COLUMNS + j] = 0;
                }
            }
        }
    }
}

// The row blocks of m rows: ceil(m / 6) blocks, their sizes as even as possible (25 rows: five of 5).
static long recur_blocks(long m) { return (m + BLOCK_ROWS - 1) / BLOCK_ROWS; }
static long recur_block_rows(long m, long block) { long blocks = recur_blocks(m); return m / blocks + (block < m % blocks); }

// One block of ROWS rows of A (`depth` columns of each, rows `lda` apart) times `depth` rows of a panel,
// into `columns` columns of C (all 16 but in the last panel): C = sum, or C += sum with `add`.
#define RECUR_ROW(r)                                                                                           \
    if (ROWS > r) {                                                                                            \
        recur_float8 x = (recur_float8)(a[r * lda + p]);                                                       \
        s##r##0 += x * b0;                                                                                     \
        s##r##1 += x * b1;                                                                                     \
    }
#define RECUR_STORE(r)                                                                                         \
    if (ROWS > r) {                                                                                            \
        float *row = c + r * ldc;                                                                              \
        if (columns == COLUMNS) {                                                                              \
            recur_float8 u = s##r##0, v = s##r##1;                                                             \
            if (add) {                                                                                         \
                recur_float8 u0, v0;                                                                           \
                __builtin_memcpy(&u0, row, sizeof u0);                                                         \
                __builtin_memcpy(&v0, row + 8, sizeof v0);                                                     \
                u += u0;                                                                                       \
                v += v0;                                                                                       \
            }                                                                                                  \
            __builtin_memcpy(row, &u, sizeof u);                                                               \
            __builtin_memcpy(row + 8, &v, sizeof v);                                                           \
        } else {                                                                                               \
            float t[COLUMNS];                                                                                  \
            __builtin_memcpy(t, &s##r##0, sizeof s##r##0);                                                     \
            __builtin_memcpy(t + 8, &s##r##1, sizeof s##r##1);                                                 \
            for (long j = 0; j < columns; j++) row[j] = add ? row[j] + t[j] : t[j];                            \
        }                                                                                                      \
    }
#define RECUR_DEFINE_PANEL_KERNEL(SUFFIX, ATTRS)                                                               \
static inline __attribute__((always_inline)) ATTRS void recur_panel_block##SUFFIX(                             \
    const int ROWS, const float *a, long lda, const float *b, long depth, float *c, long ldc, long columns,    \
    int add) {                                                                                                 \
    recur_float8 s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0, s40 = 0, s41 = 0,     \
                 s50 = 0, s51 = 0;                                                                             \
    for (long p = 0; p < depth; p++) {                                                                         \
        recur_float8 b0, b1;                                                                                   \
        __builtin_memcpy(&b0, b + p * COLUMNS, sizeof b0);                                                     \
        __builtin_memcpy(&b1, b + p * COLUMNS + 8, sizeof b1);                                                 \
        RECUR_ROW(0) RECUR_ROW(1) RECUR_ROW(2) RECUR_ROW(3) RECUR_ROW(4) RECUR_ROW(5)                          \
    }                                                                                                          \
    RECUR_STORE(0) RECUR_STORE(1) RECUR_STORE(2) RECUR_STORE(3) RECUR_STORE(4) RECUR_STORE(5)                  \
}                                                                                                              \
static ATTRS void recur_panel_run##SUFFIX(const float *a0, long lda, const float *packedB, long m, long n, long k, \
                                          float *c, long ldc, int accumulate, long firstPanel, long endPanel) { \
    long blocks = recur_blocks(m);                                                                             \
    for (long q = firstPanel; q < endPanel; q++) {                                                             \
        long columns = n - q * COLUMNS < COLUMNS ? n - q * COLUMNS : COLUMNS;                                  \
        for (long p0 = 0; p0 < k; p0 += DEPTH) {                                                               \
            long depth = k - p0 < DEPTH ? k - p0 : DEPTH;                                                      \
            const float *b = packedB + (q * k + p0) * COLUMNS;                                                 \
            int add = p0 > 0 || accumulate;                                                                    \
            long first = 0;                                                                                    \
            for (long block = 0; block < blocks; block++) {                                                    \
                long rows = recur_block_rows(m, block);                                                        \
                const float *a = a0 + first * lda + p0;                                                        \
                float *target = c + first * ldc + q * COLUMNS;                                                 \
                switch (rows) {                                                                                \
                case 6: recur_panel_block##SUFFIX(6, a, lda, b, depth, target, ldc, columns, add); break;      \
                case 5: recur_panel_block##SUFFIX(5, a, lda, b, depth, target, ldc, columns, add); break;      \
                case 4: recur_panel_block##SUFFIX(4, a, lda, b, depth, target, ldc, columns, add); break;      \
                case 3: recur_panel_block##SUFFIX(3, a, lda, b, depth, target, ldc, columns, add); break;      \
                case 2: recur_panel_block##SUFFIX(2, a, lda, b, depth, target, ldc, columns, add); break;      \
                default: recur_panel_block##SUFFIX(1, a, lda, b, depth, target, ldc, columns, add); break;     \
                }                                                                                              \
                first += rows;                                                                                 \
            }                                                                                                  \
        }                                                                                                      \
    }                                                                                                          \
}

RECUR_DEFINE_PANEL_KERNEL(, )
#if defined(__x86_64__)
RECUR_DEFINE_PANEL_KERNEL(_avx2, RECUR_AVX2)
#endif

void recur_panel_product_run(const float *a, long lda, const float *packedB, long m, long n, long k, float *c, long ldc,
                             int accumulate, long firstPanel, long endPanel) {
#if defined(__x86_64__)
    if (recur_isa_active() != RECUR_ISA_BASELINE) {
        recur_panel_run_avx2(a, lda, packedB, m, n, k, c, ldc, accumulate, firstPanel, endPanel);
        return;
    }
#endif
    recur_panel_run(a, lda, packedB, m, n, k, c, ldc, accumulate, firstPanel, endPanel);
}
