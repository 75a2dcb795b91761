// Matrix products with B packed once and used by many products: C[m, n] (+)= A[m, k] B[k, n], for the
// recurrent layers' per-step products where the GEMM library keeps no packed B of its own (oneDNN
// 2.6's f32 matmul on AVX2 machines, which packs B again at every call, as dnnl_sgemm does).
//
// B lies in panels of 16 columns: panel q holds columns 16q ..< 16q + 16 of every row of B, one row's
// 16 values after the other (zero beyond n), so that a product streams each panel once from front to
// back. The kernel takes A's rows in blocks of at most 6 (block sizes as even as possible: 25 rows are
// five blocks of 5), keeps a block's 6 x 16 part of C in 12 eight-lane registers and adds B's panel
// rows times A's broadcast elements, 256 rows of B at a time (those 16 KB of a panel stay in the
// first-level cache while every block of A passes over them). A is read where it lies: a copy of it
// in the kernel's order measured no faster.
#ifndef RECUR_PANEL_PRODUCT_H
#define RECUR_PANEL_PRODUCT_H

// The number of panels of n columns.
long recur_panel_product_panels(long n);

// Floats of B[k, n] packed: panels * k * 16.
long recur_panel_product_b_count(long n, long k);

// B's panels [firstPanel, endPanel) into `packed` (recur_panel_product_b_count floats in all); B's
// element (i, j) is at b[i * strideK + j * strideN].
void recur_panel_product_pack_b(const float *b, long n, long k, long strideK, long strideN, long firstPanel, long endPanel,
                                float *packed);

// C's columns of panels [firstPanel, endPanel): C = A B, or C += A B with `accumulate`, with the packed
// B; A's rows are `lda` apart, C's `ldc`. With AVX2 + FMA active (recur_isa_active), the AVX2 copy;
// otherwise the same kernel in portable vector code.
void recur_panel_product_run(const float *a, long lda, const float *packedB, long m, long n, long k, float *c, long ldc,
                             int accumulate, long firstPanel, long endPanel);

#endif
