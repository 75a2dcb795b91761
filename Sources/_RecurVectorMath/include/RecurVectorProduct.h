// Matrix-vector products for a step of one row (a sampler's): y[r] += sum_j W[r, j] x[j] for the rows r
// in [first, end), with the weights in float or in bfloat16, in the layout of recur_vector_product_pack.
#ifndef RECUR_VECTOR_PRODUCT_H
#define RECUR_VECTOR_PRODUCT_H

// The weights are kept in panels of four rows: for each 64-byte chunk of a row (16 floats or 32 bf16
// values) the four rows' chunks follow each other, so a panel is one contiguous stream and the panels
// of a share of rows are one too. `k` is padded with zeros to whole chunks (`padded`), the rows to
// whole panels.
long recur_vector_product_padded(long k, int bfloat16);

// The bytes of W `[n, k]` in that layout: recur_vector_product_padded(k) elements (4 or 2 bytes) for
// each of n rows rounded up to a whole panel.
long recur_vector_product_bytes(long n, long k, int bfloat16);

// W `[n, k]` (row-major floats) into `target` (recur_vector_product_bytes of it, the padding zeroed
// here), rounded to bf16 with `bfloat16`.
void recur_vector_product_pack(const float *w, long n, long k, int bfloat16, void *target);

// y[r] += W[r, :] x for r in [first, end); x has `padded` elements (bf16 bits with `bfloat16`), zero
// beyond k. Float: the instruction set of the element-wise kernels (recur_isa_active). bf16: with
// AVX-512 active and AVX512_BF16 on the CPU, vdpbf16ps; otherwise the values widened to float (the
// same products; the sums may differ in order and in subnormals, which vdpbf16ps flushes).
void recur_vector_product_run(const void *w, long padded, int bfloat16, const void *x, float *y, long first, long end);

#endif
