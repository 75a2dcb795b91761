// What the run-time kernels of this target share (not imported into Swift): the lane types beyond
// include/RecurVectorMath.h's, the function attributes of the AVX2 and AVX-512 copies, and the
// dispatch of a kernel's public entry to the copy of the active instruction set.
#ifndef RECUR_VECTOR_LANES_H
#define RECUR_VECTOR_LANES_H

#include "RecurVectorMath.h"

typedef unsigned recur_uint8 __attribute__((ext_vector_type(8)));
typedef unsigned short recur_ushort8 __attribute__((ext_vector_type(8)));
typedef double recur_double8 __attribute__((ext_vector_type(8)));

#if defined(__x86_64__)
#define RECUR_AVX2 __attribute__((target("avx2,fma")))
#define RECUR_AVX512 __attribute__((target("avx512f")))
typedef float recur_float16 __attribute__((ext_vector_type(16)));
typedef int recur_int16 __attribute__((ext_vector_type(16)));
typedef unsigned recur_uint16 __attribute__((ext_vector_type(16)));
typedef unsigned short recur_ushort16 __attribute__((ext_vector_type(16)));
#endif

// The body of a kernel's public entry: the active instruction set's copy of NAME called with ARGS
// (NAME16 for AVX-512, NAME8_avx2 for AVX2 + FMA, NAME8 otherwise).
#if defined(__x86_64__)
#define RECUR_DISPATCH(NAME, ARGS)                                                                             \
    switch (recur_isa_active()) {                                                                              \
    case RECUR_ISA_AVX512: NAME##16 ARGS; return;                                                              \
    case RECUR_ISA_AVX2: NAME##8_avx2 ARGS; return;                                                            \
    default: NAME##8 ARGS; return;                                                                             \
    }
#else
#define RECUR_DISPATCH(NAME, ARGS) NAME##8 ARGS;
#endif

#endif
