// bfloat16 products for GEMMEngine.bfloat16: the operands rounded to bf16 (round to nearest even),
// oneDNN's matmul primitive with f32 accumulation and destination, alpha as an output scale and beta
// as a sum post-op. Each thread keeps its bf16 copies, its scratchpad and its last few primitives
// (a product of the same shape then costs no primitive creation).
#define _GNU_SOURCE
#include "RecurBFloat16.h"
#include "RecurVectorMath.h"
#include <pthread.h>
#if defined(__linux__)
#include <dlfcn.h>
#endif
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

typedef struct {
    const float *source;
    long rows, columns, ld;
    uint16_t *target;
} conversion;

static void convert_rows(const conversion *work, long first, long end) {
    if (work->ld == work->columns) {
        recur_bf16_round(work->source + first * work->ld, (end - first) * work->columns, work->target + first * work->columns);
        return;
    }
    for (long r = first; r < end; r++) recur_bf16_round(work->source + r * work->ld, work->columns, work->target + r * work->columns);
}

#if defined(__linux__)
// OpenMP's entry points, looked up at run time as ComputeThreads does (libgomp comes with libdnnl).
typedef void (*region_body)(void *);
static void (*start_region)(region_body, void *, unsigned, unsigned);
static int (*thread_number)(void), (*team_size)(void), (*in_region)(void);
static pthread_once_t openMPOnce = PTHREAD_ONCE_INIT;

static void find_openmp(void) {
    start_region = (void (*)(region_body, void *, unsigned, unsigned))dlsym(RTLD_DEFAULT, "GOMP_parallel");
    thread_number = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_thread_num");
    team_size = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_num_threads");
    in_region = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_in_parallel");
}

static void convert_share(void *opaque) {
    const conversion *work = opaque;
    long thread = thread_number(), threads = team_size();
    convert_rows(work, work->rows * thread / threads, work->rows * (thread + 1) / threads);
}
#endif

// Large operands (a whole sequence's activations or gradients) are rounded by the compute threads
// together, outside a parallel region; a time step's few rows on the calling thread.
void recur_bf16_convert(const float *source, long rows, long columns, long ld, uint16_t *target) {
    conversion work = {source, rows, columns, ld, target};
#if defined(__linux__)
    if (rows >= 64 && rows * columns >= (1L << 17)) {
        pthread_once(&openMPOnce, find_openmp);
        if (start_region && thread_number && team_size && in_region && !in_region()) {
            start_region(convert_share, &work, 0, 0);
            return;
        }
    }
#endif
    convert_rows(&work, 0, rows);
}

int recur_bf16_native(void) {
#if defined(__x86_64__)
    if (recur_cpu_has_avx512_bf16()) return 1;
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && ((d >> 22) & 1);  // AMX-BF16
#else
    return 0;
#endif
}

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>

enum { cacheSize = 16 };

typedef struct {
    int used, transA, transB;
    long m, n, k, ldc;
    float alpha, beta;
    unsigned long lastUse;
    dnnl_primitive_t matmul;
    dnnl_memory_t source, weights, destination, scratchpad;
} cached_product;

// An operand several products read unchanged (`recur_bf16_reuse`): rounded once, at its first use.
typedef struct {
    const float *source;
    long rows, columns, ld;
    int rounded;
    uint16_t *bits;
    size_t capacity;
} reused_operand;

typedef struct {
    dnnl_stream_t stream;
    uint16_t *a, *b;
    size_t aCapacity, bCapacity;
    reused_operand reused;
    unsigned long clock;
    cached_product products[cacheSize];
} thread_state;

static dnnl_engine_t engine;
static pthread_once_t engineOnce = PTHREAD_ONCE_INIT;
static pthread_key_t stateKey;

static void destroy_product(cached_product *p) {
    dnnl_memory_t memories[] = {p->source, p->weights, p->destination, p->scratchpad};
    for (int i = 0; i < 4; i++) if (memories[i]) dnnl_memory_destroy(memories[i]);
    if (p->matmul) dnnl_primitive_destroy(p->matmul);
    memset(p, 0, sizeof *p);
}

static void destroy_state(void *opaque) {
    thread_state *state = opaque;
    for (int i = 0; i < cacheSize; i++) if (state->products[i].used) destroy_product(&state->products[i]);
    if (state->stream) dnnl_stream_destroy(state->stream);
    free(state->a);
    free(state->b);
    free(state->reused.bits);
    free(state);
}

static void make_engine(void) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
    pthread_key_create(&stateKey, destroy_state);
}

static thread_state *this_thread(void) {
    pthread_once(&engineOnce, make_engine);
    if (!engine) return NULL;
    thread_state *state = pthread_getspecific(stateKey);
    if (state) return state;
    state = calloc(1, sizeof *state);
    if (!state) return NULL;
    if (dnnl_stream_create(&state->stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        free(state);
        return NULL;
    }
    pthread_setspecific(stateKey, state);
    return state;
}

static int reserve(uint16_t **buffer, size_t *capacity, size_t count) {
    if (count <= *capacity) return 1;
    uint16_t *grown = realloc(*buffer, count * sizeof(uint16_t));
    if (!grown) return 0;
    *buffer = grown;
    *capacity = count;
    return 1;
}

// The matmul for op(A)[m, k] op(B)[k, n] with bf16 copies packed as stored (A: transA ? [k, m] : [m, k]).
static int make_product(cached_product *p, int transA, int transB, long m, long n, long k, float alpha, float beta, long ldc) {
    dnnl_memory_desc_t source, weights, destination;
    dnnl_dims_t sourceDims = {m, k}, weightDims = {k, n}, destinationDims = {m, n};
    dnnl_dims_t sourceStrides = {transA ? 1 : k, transA ? m : 1};
    dnnl_dims_t weightStrides = {transB ? 1 : n, transB ? k : 1};
    dnnl_dims_t destinationStrides = {ldc, 1};
    dnnl_matmul_desc_t description;
    dnnl_primitive_attr_t attributes = NULL;
    dnnl_post_ops_t postOps = NULL;
    dnnl_primitive_desc_t descriptor = NULL;
    int ok = dnnl_memory_desc_init_by_strides(&source, 2, sourceDims, dnnl_bf16, sourceStrides) == dnnl_success
        && dnnl_memory_desc_init_by_strides(&weights, 2, weightDims, dnnl_bf16, weightStrides) == dnnl_success
        && dnnl_memory_desc_init_by_strides(&destination, 2, destinationDims, dnnl_f32, destinationStrides) == dnnl_success
        && dnnl_matmul_desc_init(&description, &source, &weights, NULL, &destination) == dnnl_success
        && dnnl_primitive_attr_create(&attributes) == dnnl_success
        && dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user) == dnnl_success
        && (alpha == 1.0f || dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &alpha) == dnnl_success)
        && dnnl_post_ops_create(&postOps) == dnnl_success
        && (beta == 0.0f || dnnl_post_ops_append_sum(postOps, beta) == dnnl_success)
        && dnnl_primitive_attr_set_post_ops(attributes, postOps) == dnnl_success
        && dnnl_primitive_desc_create(&descriptor, &description, attributes, engine, NULL) == dnnl_success;
    if (ok) {
        const char *implementation = NULL;
        ok = dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &implementation) == dnnl_success
            && implementation && strncmp(implementation, "ref", 3) != 0;
    }
    if (ok) {
        const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0);
        ok = scratch
            && dnnl_primitive_create(&p->matmul, descriptor) == dnnl_success
            && dnnl_memory_create(&p->source, &source, engine, DNNL_MEMORY_NONE) == dnnl_success
            && dnnl_memory_create(&p->weights, &weights, engine, DNNL_MEMORY_NONE) == dnnl_success
            && dnnl_memory_create(&p->destination, &destination, engine, DNNL_MEMORY_NONE) == dnnl_success
            && dnnl_memory_create(&p->scratchpad, scratch, engine, DNNL_MEMORY_ALLOCATE) == dnnl_success;
    }
    if (descriptor) dnnl_primitive_desc_destroy(descriptor);
    if (postOps) dnnl_post_ops_destroy(postOps);
    if (attributes) dnnl_primitive_attr_destroy(attributes);
    p->used = 1;
    if (!ok) {
        destroy_product(p);
        return 0;
    }
    p->transA = transA; p->transB = transB;
    p->m = m; p->n = n; p->k = k; p->ldc = ldc;
    p->alpha = alpha; p->beta = beta;
    return 1;
}

static cached_product *find_product(thread_state *state, int transA, int transB, long m, long n, long k,
                                    float alpha, float beta, long ldc) {
    cached_product *oldest = &state->products[0];
    for (int i = 0; i < cacheSize; i++) {
        cached_product *p = &state->products[i];
        if (p->used && p->transA == transA && p->transB == transB && p->m == m && p->n == n && p->k == k
            && p->ldc == ldc && p->alpha == alpha && p->beta == beta) {
            p->lastUse = ++state->clock;
            return p;
        }
        if (!p->used || (oldest->used && p->lastUse < oldest->lastUse)) oldest = p;
    }
    if (oldest->used) destroy_product(oldest);
    if (!make_product(oldest, transA, transB, m, n, k, alpha, beta, ldc)) return NULL;
    oldest->lastUse = ++state->clock;
    return oldest;
}

// The operand rounded: the reused operand's bits when it is that operand (rounding them at first
// use), else rounded into the thread's `scratch` (grown to fit); NULL when it cannot grow.
static uint16_t *rounded_operand(thread_state *state, const float *source, long rows, long columns, long ld,
                                 uint16_t **scratch, size_t *capacity) {
    reused_operand *r = &state->reused;
    if (r->source != source || r->rows != rows || r->columns != columns || r->ld != ld) {
        if (!reserve(scratch, capacity, (size_t)(rows * columns))) return NULL;
        recur_bf16_convert(source, rows, columns, ld, *scratch);
        return *scratch;
    }
    if (!r->rounded) {
        recur_bf16_convert(source, rows, columns, ld, r->bits);
        r->rounded = 1;
    }
    return r->bits;
}

static int product(int transA, int transB, long m, long n, long k, float alpha,
                   const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return 0;
    thread_state *state = this_thread();
    if (!state) return 0;
    long aRows = transA ? k : m, aColumns = transA ? m : k;
    long bRows = transB ? n : k, bColumns = transB ? k : n;
    cached_product *p = find_product(state, transA != 0, transB != 0, m, n, k, alpha, beta, ldc);
    if (!p) return 0;
    uint16_t *roundedA = rounded_operand(state, a, aRows, aColumns, lda, &state->a, &state->aCapacity);
    uint16_t *roundedB = rounded_operand(state, b, bRows, bColumns, ldb, &state->b, &state->bCapacity);
    if (!roundedA || !roundedB) return 0;
    if (dnnl_memory_set_data_handle(p->source, roundedA) != dnnl_success
        || dnnl_memory_set_data_handle(p->weights, roundedB) != dnnl_success
        || dnnl_memory_set_data_handle(p->destination, c) != dnnl_success) return 0;
    dnnl_exec_arg_t arguments[] = {{DNNL_ARG_SRC, p->source}, {DNNL_ARG_WEIGHTS, p->weights},
                                   {DNNL_ARG_DST, p->destination}, {DNNL_ARG_SCRATCHPAD, p->scratchpad}};
    return dnnl_primitive_execute(p->matmul, state->stream, 4, arguments) == dnnl_success
        && dnnl_stream_wait(state->stream) == dnnl_success;
}

int recur_bf16_reuse(const float *source, long rows, long columns, long ld) {
    thread_state *state = this_thread();
    if (!state) return 0;
    reused_operand *r = &state->reused;
    r->source = NULL;
    r->rounded = 0;
    if (!source || rows <= 0 || columns <= 0) return 1;
    if (!reserve(&r->bits, &r->capacity, (size_t)(rows * columns))) return 0;
    r->source = source;
    r->rows = rows; r->columns = columns; r->ld = ld;
    return 1;
}

int recur_bf16_available(void) {
    static int answer = -1;
    int known = __atomic_load_n(&answer, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
    int ok = product(0, 0, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2)
        && c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4;
    __atomic_store_n(&answer, ok, __ATOMIC_RELAXED);
    return ok;
}

// Where oneDNN has no bf16 product, every call would try to make one again: asked once, remembered.
int recur_bf16_product(int transA, int transB, long m, long n, long k, float alpha,
                       const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    return recur_bf16_available() && product(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#else

int recur_bf16_reuse(const float *source, long rows, long columns, long ld) {
    (void)source; (void)rows; (void)columns; (void)ld;
    return 0;
}
int recur_bf16_available(void) { return 0; }
int recur_bf16_product(int transA, int transB, long m, long n, long k, float alpha,
                       const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    (void)transA; (void)transB; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return 0;
}

#endif
