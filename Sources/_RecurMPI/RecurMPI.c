// See RecurMPI.h. Every handle is looked up once, in recur_mpi_start.
#include "RecurMPI.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void *handle;
static int (*mpiInit)(int *, char ***);
static int (*mpiInitialized)(int *);
static int (*mpiCommRank)(handle, int *);
static int (*mpiCommSize)(handle, int *);
static int (*mpiAllreduce)(const void *, void *, int, handle, handle, handle);
static int (*mpiBcast)(void *, int, handle, int, handle);
static int (*mpiBarrier)(handle);
static int (*mpiFinalize)(void);
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
        {(void **)&mpiBarrier, "MPI_Barrier"}, {(void **)&mpiFinalize, "MPI_Finalize"},
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

// The watch: process ids and host hashes of every rank, and the note, read by the reporting thread.
static double *pids, *hosts;
static sem_t terminated;
static char note[1024] = "";
static pthread_mutex_t noteLock = PTHREAD_MUTEX_INITIALIZER;

void recur_mpi_set_note(const char *text) {
    pthread_mutex_lock(&noteLock);
    snprintf(note, sizeof note, "%s", text);
    pthread_mutex_unlock(&noteLock);
}

static void on_terminate(int signal) {
    (void)signal;
    sem_post(&terminated);  // async-signal-safe: the thread below does the rest
}

static void *report(void *unused) {
    (void)unused;
    while (sem_wait(&terminated) != 0) {}
    int lowestAlive = -1;
    char line[2048];
    int length = 0;
    for (int r = 0; r < size; r++) {
        if (hosts[r] != hosts[rank]) continue;
        int alive = r == rank || kill((pid_t)pids[r], 0) == 0 || errno != ESRCH;
        if (alive && lowestAlive < 0) lowestAlive = r;
        if (!alive && length < (int)sizeof line - 64) {
            length += snprintf(line + length, sizeof line - (size_t)length, "%s%d (pid %.0f)", length ? ", " : "", r, pids[r]);
        }
    }
    if (length > 0 && lowestAlive == rank) {
        pthread_mutex_lock(&noteLock);
        fprintf(stderr, "error: --distributed: rank %s stopped; mpirun ended the job%s%s\n", line, note[0] ? "; " : "", note);
        pthread_mutex_unlock(&noteLock);
        fflush(stderr);
    }
    _exit(143);
    return NULL;
}

int recur_mpi_watch(void) {
    if (!started || pids) return started;
    pids = calloc((size_t)size, sizeof *pids);
    hosts = calloc((size_t)size, sizeof *hosts);
    if (!pids || !hosts) return 0;
    char name[256] = "";
    gethostname(name, sizeof name - 1);
    unsigned long long hash = 0xcbf29ce484222325ull;
    for (char *c = name; *c; c++) hash = (hash ^ (unsigned char)*c) * 0x100000001b3ull;
    pids[rank] = (double)getpid();
    hosts[rank] = (double)(hash >> 12);  // 52 bits: exact in a double
    if (!recur_mpi_sum_doubles(pids, size) || !recur_mpi_sum_doubles(hosts, size)) return 0;
    if (sem_init(&terminated, 0, 0) != 0) return 0;
    pthread_t thread;
    if (pthread_create(&thread, NULL, report, NULL) != 0) return 0;
    pthread_detach(thread);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_terminate;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGTERM, &action, NULL) == 0;
}
