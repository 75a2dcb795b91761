// See RecurMPI.h. Every handle is looked up once, in recur_mpi_start.
#include "RecurMPI.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void *handle;
static int (*mpiInit)(int *, char ***);
static int (*mpiInitialized)(int *);
static int (*mpiCommRank)(handle, int *);
static int (*mpiCommSize)(handle, int *);
static int (*mpiAllreduce)(const void *, void *, int, handle, handle, handle);
static int (*mpiBcast)(void *, int, handle, int, handle);
static int (*mpiBarrier)(handle);
static int (*mpiFinalize)(void);
static int (*mpiAbort)(handle, int);
static handle world, floatType, doubleType, byteType, sumOp;
static int rank = 0, size = 1, started = 0;

#define IN_PLACE ((void *)1)  // Open MPI's MPI_IN_PLACE
enum { chunk = 1 << 30 };

int recur_mpi_start(char *error, long capacity) {
    if (started) return 1;
    // RTLD_GLOBAL: Open MPI's own plugins, loaded by libmpi, resolve their symbols against it.
    const char *names[] = {"libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib"};
    void *library = NULL;
    for (int i = 0; i < 4 && !library; i++) library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, (size_t)capacity, "Open MPI's library (libmpi.so.40) is not installed: %s", dlerror());
        return 0;
    }
    struct { void **target; const char *name; } symbols[] = {
        {(void **)&mpiInit, "MPI_Init"}, {(void **)&mpiInitialized, "MPI_Initialized"},
        {(void **)&mpiCommRank, "MPI_Comm_rank"}, {(void **)&mpiCommSize, "MPI_Comm_size"},
        {(void **)&mpiAllreduce, "MPI_Allreduce"}, {(void **)&mpiBcast, "MPI_Bcast"},
        {(void **)&mpiBarrier, "MPI_Barrier"}, {(void **)&mpiFinalize, "MPI_Finalize"}, {(void **)&mpiAbort, "MPI_Abort"},
        {&world, "ompi_mpi_comm_world"}, {&floatType, "ompi_mpi_float"}, {&doubleType, "ompi_mpi_double"},
        {&byteType, "ompi_mpi_byte"}, {&sumOp, "ompi_mpi_op_sum"},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        *symbols[i].target = dlsym(library, symbols[i].name);
        if (!*symbols[i].target) {
            snprintf(error, (size_t)capacity, "%s in libmpi is not Open MPI's (no %s)", names[0], symbols[i].name);
            return 0;
        }
    }
    int initialized = 0;
    mpiInitialized(&initialized);
    if (!initialized && mpiInit(NULL, NULL) != 0) {
        snprintf(error, (size_t)capacity, "MPI_Init failed");
        return 0;
    }
    mpiCommRank(world, &rank);
    mpiCommSize(world, &size);
    started = 1;
    return 1;
}

int recur_mpi_rank(void) { return rank; }
int recur_mpi_size(void) { return size; }

static int sum(void *values, long count, handle type, long width) {
    if (!started) return 0;
    for (long done = 0; done < count; done += chunk) {
        long n = count - done < chunk ? count - done : chunk;
        if (mpiAllreduce(IN_PLACE, (char *)values + done * width, (int)n, type, sumOp, world) != 0) return 0;
    }
    return 1;
}

int recur_mpi_sum_floats(float *values, long count) { return sum(values, count, floatType, sizeof(float)); }
int recur_mpi_sum_doubles(double *values, long count) { return sum(values, count, doubleType, sizeof(double)); }

int recur_mpi_broadcast(void *bytes, long count, int root) {
    if (!started) return 0;
    for (long done = 0; done < count; done += chunk) {
        long n = count - done < chunk ? count - done : chunk;
        if (mpiBcast((char *)bytes + done, (int)n, byteType, root, world) != 0) return 0;
    }
    return 1;
}

int recur_mpi_barrier(void) { return started && mpiBarrier(world) == 0; }

void recur_mpi_finish(void) {
    if (started) mpiFinalize();
    started = 0;
}

void recur_mpi_abort(int code) {
    if (started) mpiAbort(world, code);
}
