// Reading HDF5 files (Keras's weights) through the HDF5 library, loaded at run time (dlopen) the
// first time a file is read, so that Recur builds and runs without it: only `recur import keras`
// needs it (Debian: libhdf5-dev; macOS: brew install hdf5).
#ifndef RECUR_HDF5_H
#define RECUR_HDF5_H

#include <stdint.h>

/// Loads the library and silences its error printing; 1 on success, else 0 with a message in `error`.
int recur_h5_start(char *error, long capacity);

/// Opens a file read-only: a handle >= 0, or -1 when it is not an HDF5 file or cannot be read.
int64_t recur_h5_open(const char *path);
void recur_h5_close(int64_t file);

/// How many links the group at `path` holds, or -1 when there is no such group.
long recur_h5_child_count(int64_t file, const char *path);
/// The name of link `index` (in name order) of the group at `path`; its length, or -1.
long recur_h5_child_name(int64_t file, const char *path, long index, char *name, long capacity);

/// The rank of the dataset at `path` with its sizes in `dims` (at most `capacity`), or -1 when
/// `path` is not a dataset.
int recur_h5_shape(int64_t file, const char *path, unsigned long long *dims, int capacity);
/// Reads the dataset at `path` (`count` elements) as 32-bit floats; 1 on success, else 0.
int recur_h5_read_floats(int64_t file, const char *path, float *values, long count);

#endif
