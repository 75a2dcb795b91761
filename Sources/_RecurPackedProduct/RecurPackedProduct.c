// oneDNN's matmul primitive (f32, or bf16 operands with f32 accumulation; weights in the layout the
// primitive prefers, a sum post-op for C += A B), its weights reorder, and a user scratchpad, so that
// products run concurrently from several threads, each on its own object. Measured against dnnl_sgemm, which re-packs B on every
// call: docs/performance.md section 11.
#include "RecurPackedProduct.h"
#include "RecurBFloat16.h"
#include <stdlib.h>
#include <string.h>

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>

struct recur_packed_product {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t matmul, reorder;
    dnnl_memory_t source, weights, destination, plain, scratchpad;
    long m, k, lda;
    int blocked;  // whether the primitive keeps B in a blocked layout of its own
    char implementation[64];  // the library's name for the matmul's implementation
    uint16_t *sourceBF16;  // bf16 products: A rounded here before each product, [m, k]
};

void recur_packed_product_destroy(recur_packed_product *p) {
    if (!p) return;
    dnnl_memory_t memories[] = {p->source, p->weights, p->destination, p->plain, p->scratchpad};
    for (int i = 0; i < 5; i++) if (memories[i]) dnnl_memory_destroy(memories[i]);
    if (p->matmul) dnnl_primitive_destroy(p->matmul);
    if (p->reorder) dnnl_primitive_destroy(p->reorder);
    if (p->stream) dnnl_stream_destroy(p->stream);
    if (p->engine) dnnl_engine_destroy(p->engine);
    free(p->sourceBF16);
    free(p);
}

recur_packed_product *recur_packed_product_create(long m, long n, long k, long lda, long ldc, long strideK, long strideN, int bf16,
                                                  int accumulate) {
    if (m <= 0 || n <= 0 || k <= 0) return NULL;
    recur_packed_product *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->m = m; p->k = k; p->lda = lda;
    if (bf16 && !(p->sourceBF16 = malloc((size_t)(m * k) * sizeof(uint16_t)))) {
        free(p);
        return NULL;
    }
    dnnl_data_type_t operands = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_primitive_desc_t matmulDesc = NULL, reorderDesc = NULL;
    dnnl_primitive_attr_t attributes = NULL;
    dnnl_post_ops_t postOps = NULL;
    dnnl_memory_desc_t source, weights, destination, plain;
    dnnl_dims_t sourceDims = {m, k}, weightDims = {k, n}, destinationDims = {m, n};
    dnnl_dims_t sourceStrides = {bf16 ? k : lda, 1}, plainStrides = {strideK, strideN}, destinationStrides = {ldc, 1};
    dnnl_matmul_desc_t description;
    int ok = dnnl_engine_create(&p->engine, dnnl_cpu, 0) == dnnl_success
        && dnnl_stream_create(&p->stream, p->engine, dnnl_stream_default_flags) == dnnl_success
        && dnnl_memory_desc_init_by_strides(&source, 2, sourceDims, operands, sourceStrides) == dnnl_success
        && dnnl_memory_desc_init_by_tag(&weights, 2, weightDims, operands, dnnl_format_tag_any) == dnnl_success
        && dnnl_memory_desc_init_by_strides(&plain, 2, weightDims, dnnl_f32, plainStrides) == dnnl_success
        && dnnl_memory_desc_init_by_strides(&destination, 2, destinationDims, dnnl_f32, destinationStrides) == dnnl_success
        && dnnl_matmul_desc_init(&description, &source, &weights, NULL, &destination) == dnnl_success
        && dnnl_primitive_attr_create(&attributes) == dnnl_success
        && dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user) == dnnl_success
        && dnnl_post_ops_create(&postOps) == dnnl_success
        && (!accumulate || dnnl_post_ops_append_sum(postOps, 1.0f) == dnnl_success)
        && dnnl_primitive_attr_set_post_ops(attributes, postOps) == dnnl_success
        && dnnl_primitive_desc_create(&matmulDesc, &description, attributes, p->engine, NULL) == dnnl_success;
    if (ok) {
        // A reference implementation would be far slower than dnnl_sgemm: the caller keeps that then.
        const char *implementation = NULL;
        ok = dnnl_primitive_desc_query(matmulDesc, dnnl_query_impl_info_str, 0, &implementation) == dnnl_success
            && implementation && strncmp(implementation, "ref", 3) != 0
            && dnnl_primitive_create(&p->matmul, matmulDesc) == dnnl_success;
        if (ok) strncpy(p->implementation, implementation, sizeof p->implementation - 1);
    }
    if (ok) {
        const dnnl_memory_desc_t *packed = dnnl_primitive_desc_query_md(matmulDesc, dnnl_query_weights_md, 0);
        const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(matmulDesc, dnnl_query_scratchpad_md, 0);
        // A plain layout (oneDNN 2.6's gemm:jit on AVX2) means the product packs B on every call.
        p->blocked = packed && !(packed->format_kind == dnnl_blocked && packed->format_desc.blocking.inner_nblks == 0);
        ok = packed && scratch
            && dnnl_memory_create(&p->weights, packed, p->engine, DNNL_MEMORY_ALLOCATE) == dnnl_success
            && dnnl_memory_create(&p->scratchpad, scratch, p->engine, DNNL_MEMORY_ALLOCATE) == dnnl_success
            && dnnl_memory_create(&p->source, &source, p->engine, bf16 ? p->sourceBF16 : DNNL_MEMORY_NONE) == dnnl_success
            && dnnl_memory_create(&p->destination, &destination, p->engine, DNNL_MEMORY_NONE) == dnnl_success
            && dnnl_memory_create(&p->plain, &plain, p->engine, DNNL_MEMORY_NONE) == dnnl_success
            && dnnl_reorder_primitive_desc_create(&reorderDesc, &plain, p->engine, packed, p->engine, NULL) == dnnl_success
            && dnnl_primitive_create(&p->reorder, reorderDesc) == dnnl_success;
    }
    if (reorderDesc) dnnl_primitive_desc_destroy(reorderDesc);
    if (matmulDesc) dnnl_primitive_desc_destroy(matmulDesc);
    if (postOps) dnnl_post_ops_destroy(postOps);
    if (attributes) dnnl_primitive_attr_destroy(attributes);
    if (!ok) {
        recur_packed_product_destroy(p);
        return NULL;
    }
    return p;
}

int recur_packed_product_pack(recur_packed_product *p, const float *b) {
    if (dnnl_memory_set_data_handle(p->plain, (void *)b) != dnnl_success) return 0;
    dnnl_exec_arg_t arguments[] = {{DNNL_ARG_FROM, p->plain}, {DNNL_ARG_TO, p->weights}};
    return dnnl_primitive_execute(p->reorder, p->stream, 2, arguments) == dnnl_success
        && dnnl_stream_wait(p->stream) == dnnl_success;
}

int recur_packed_product_blocked(const recur_packed_product *p) { return p->blocked; }
const char *recur_packed_product_implementation(const recur_packed_product *p) { return p->implementation; }

int recur_packed_product_run(recur_packed_product *p, const float *a, float *c) {
    if (p->sourceBF16) {
        recur_bf16_convert(a, p->m, p->k, p->lda, p->sourceBF16);
    } else if (dnnl_memory_set_data_handle(p->source, (void *)a) != dnnl_success) {
        return 0;
    }
    if (dnnl_memory_set_data_handle(p->destination, c) != dnnl_success) return 0;
    dnnl_exec_arg_t arguments[] = {{DNNL_ARG_SRC, p->source}, {DNNL_ARG_WEIGHTS, p->weights},
                                   {DNNL_ARG_DST, p->destination}, {DNNL_ARG_SCRATCHPAD, p->scratchpad}};
    return dnnl_primitive_execute(p->matmul, p->stream, 4, arguments) == dnnl_success
        && dnnl_stream_wait(p->stream) == dnnl_success;
}

#else

recur_packed_product *recur_packed_product_create(long m, long n, long k, long lda, long ldc, long strideK, long strideN, int bf16,
                                                  int accumulate) {
    (void)m; (void)n; (void)k; (void)lda; (void)ldc; (void)strideK; (void)strideN; (void)bf16; (void)accumulate;
    return NULL;
}
int recur_packed_product_pack(recur_packed_product *product, const float *b) { (void)product; (void)b; return 0; }
int recur_packed_product_blocked(const recur_packed_product *product) { (void)product; return 0; }
const char *recur_packed_product_implementation(const recur_packed_product *product) { (void)product; return ""; }
int recur_packed_product_run(recur_packed_product *product, const float *a, float *c) { (void)product; (void)a; (void)c; return 0; }
void recur_packed_product_destroy(recur_packed_product *product) { (void)product; }

#endif
