// Matrix products with B packed once and used by many products: C[m, n] (+)= A[m, k] B[k, n], for the
// recurrent layers' per-step products where the GEMM library keeps no packed B of its own (oneDNN
// 2.6's f32 matmul on AVX2 machines, which packs B again at every call, as dnnl_sgemm does).
//
// B lies in panels of 16 columns: panel q holds columns 16q ..< 16q + 16 of every row of B, one row's
// 16 values after the other (zero beyond n), so that a product streams each panel once from front to
// back. A is copied at each product into blocks of at most 6 rows, a block's rows interleaved column
// by column (block sizes as even as possible), so the kernel reads A as one stream too. The kernel
// keeps a 6 x 16 block of C in 12 eight-lane registers and adds B's panel rows times A's broadcast
// elements, 256 rows of B at a time (a panel's 16 KB of them stay in the first-level cache while every
// block of A passes over them).
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

// A[m, k] (rows `lda` apart) into `packed` (m * k floats) in the kernel's row blocks.
void recur_panel_product_pack_a(const float *a, long m, long k, long lda, float *packed);

// C's columns of panels [firstPanel, endPanel): C = A B, or C += A B with `accumulate`, from the packed
// A and B; C's rows are `ldc` apart. With AVX2 + FMA active (recur_isa_active), the AVX2 copy;
// otherwise the same kernel in portable vector code.
void recur_panel_product_run(const float *packedA, const float *packedB, long m, long n, long k, float *c, long ldc,
                             int accumulate, long firstPanel, long endPanel);

#endif
