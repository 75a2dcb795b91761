// Open MPI, loaded at run time (dlopen of libmpi.so.40) only when a run asks for --distributed: the
// build needs no MPI headers, and a run without --distributed needs no MPI installed. The handles
// MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE and MPI_SUM are Open MPI's exported objects (its ABI).
#ifndef RECUR_MPI_H
#define RECUR_MPI_H

// Loads the library and initialises MPI. Returns 1 on success; 0 with a reason in `error`
// (`capacity` bytes) when the library is missing or MPI_Init fails.
int recur_mpi_start(char *error, long capacity);
int recur_mpi_rank(void);
int recur_mpi_size(void);
// In-place sums across every rank (MPI_Allreduce with MPI_IN_PLACE), in chunks below 2^31 elements.
// Return 1 on success.
int recur_mpi_sum_floats(float *values, long count);
int recur_mpi_sum_doubles(double *values, long count);
// Root's bytes to every rank. Returns 1 on success.
int recur_mpi_broadcast(void *bytes, long count, int root);
int recur_mpi_barrier(void);
void recur_mpi_finish(void);
// After recur_mpi_start, on every rank: exchanges the ranks' process ids and hosts, and installs a
// SIGTERM handler. When mpirun ends the job because a rank died, it sends SIGTERM to the others: the
// lowest-numbered surviving rank on the dead rank's host then prints one line to stderr, "error:
// --distributed: rank R (pid P) stopped; mpirun ended the job; " + the note, and every surviving rank
// exits with 143. Returns 1 on success.
int recur_mpi_watch(void);
// The end of that line (copied; at most 1023 bytes), e.g. where the last checkpoint is.
void recur_mpi_set_note(const char *note);

#endif
