// A matrix product with one operand packed once and used for many products: oneDNN's matmul
// primitive with its weights in the blocked layout the primitive chooses (Linux). Elsewhere (no
// oneDNN) create returns NULL and the caller uses its plain GEMM.
#ifndef RECUR_PACKED_PRODUCT_H
#define RECUR_PACKED_PRODUCT_H

typedef struct recur_packed_product recur_packed_product;

// C[m, n] += A[m, k] B[k, n] (or C = A B without `accumulate`): A's rows `lda` apart, C's rows `ldc`
// apart, B's element (i, j) at b[i * strideK + j * strideN]. With `bf16`, A and B are rounded to
// bfloat16 (B once, when packed; A before each product) and multiplied with float accumulation. NULL
// when the library is missing or cannot make the primitive.
recur_packed_product *recur_packed_product_create(long m, long n, long k, long lda, long ldc, long strideK, long strideN, int bf16,
                                                  int accumulate);
// Packs B (read now; later changes to b need another pack). Returns 1 on success.
int recur_packed_product_pack(recur_packed_product *product, const float *b);
// 1 when the primitive keeps B in a blocked layout of its own; 0 when it keeps B as a plain matrix
// (oneDNN 2.6's f32 matmul on AVX2, gemm:jit), whose every product packs B again as dnnl_sgemm does.
int recur_packed_product_blocked(const recur_packed_product *product);
// The library's name for the product's implementation ("gemm:jit", "brg:avx512_core", ...).
const char *recur_packed_product_implementation(const recur_packed_product *product);
// C += A B (C = A B without `accumulate`) with the last packed B. Returns 1 on success.
int recur_packed_product_run(recur_packed_product *product, const float *a, float *c);
void recur_packed_product_destroy(recur_packed_product *product);

#endif
