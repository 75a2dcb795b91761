// See RecurHDF5.h. The declarations below are HDF5's (1.10 and later: hid_t is 64 bits).
#include "RecurHDF5.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef int64_t hid_t;
typedef int herr_t;
typedef int htri_t;
typedef unsigned long long hsize_t;
typedef struct {
    int storage_type;
    hsize_t nlinks;
    int64_t max_corder;
    int mounted;
} group_info;

static herr_t (*h5open)(void);
static herr_t (*eSetAuto)(hid_t, void *, void *);
static hid_t (*fOpen)(const char *, unsigned, hid_t);
static herr_t (*fClose)(hid_t);
static hid_t (*gOpen)(hid_t, const char *, hid_t);
static herr_t (*gClose)(hid_t);
static herr_t (*gInfo)(hid_t, group_info *);
static long (*lNameByIndex)(hid_t, const char *, int, int, hsize_t, char *, size_t, hid_t);
static hid_t (*dOpen)(hid_t, const char *, hid_t);
static herr_t (*dClose)(hid_t);
static hid_t (*dSpace)(hid_t);
static herr_t (*dRead)(hid_t, hid_t, hid_t, hid_t, hid_t, void *);
static int (*sRank)(hid_t);
static int (*sDims)(hid_t, hsize_t *, hsize_t *);
static herr_t (*sClose)(hid_t);
static hid_t *nativeFloat;
static int started = 0;

enum { DEFAULT = 0, ALL = 0, READ_ONLY = 0, INDEX_NAME = 0, ORDER_INCREASING = 0 };  // H5P_DEFAULT, H5S_ALL, H5F_ACC_RDONLY, H5_INDEX_NAME, H5_ITER_INC

int recur_h5_start(char *error, long capacity) {
    if (started) return 1;
    const char *names[] = {"libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so", "libhdf5.so",
                           "libhdf5.310.dylib", "libhdf5.dylib", "/opt/homebrew/lib/libhdf5.dylib", "/usr/local/lib/libhdf5.dylib"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !library; i++) library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(error, (size_t)capacity, "the HDF5 library is not installed (Debian: apt-get install libhdf5-dev; macOS: brew install hdf5)");
        return 0;
    }
    struct { void **target; const char *name; } symbols[] = {
        {(void **)&h5open, "H5open"}, {(void **)&eSetAuto, "H5Eset_auto2"}, {(void **)&fOpen, "H5Fopen"},
        {(void **)&fClose, "H5Fclose"}, {(void **)&gOpen, "H5Gopen2"}, {(void **)&gClose, "H5Gclose"},
        {(void **)&gInfo, "H5Gget_info"}, {(void **)&lNameByIndex, "H5Lget_name_by_idx"}, {(void **)&dOpen, "H5Dopen2"},
        {(void **)&dClose, "H5Dclose"}, {(void **)&dSpace, "H5Dget_space"}, {(void **)&dRead, "H5Dread"},
        {(void **)&sRank, "H5Sget_simple_extent_ndims"}, {(void **)&sDims, "H5Sget_simple_extent_dims"},
        {(void **)&sClose, "H5Sclose"}, {(void **)&nativeFloat, "H5T_NATIVE_FLOAT_g"},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        *symbols[i].target = dlsym(library, symbols[i].name);
        if (!*symbols[i].target) {
            snprintf(error, (size_t)capacity, "the HDF5 library found lacks %s (HDF5 1.10 or later is needed)", symbols[i].name);
            return 0;
        }
    }
    if (h5open() < 0) {
        snprintf(error, (size_t)capacity, "the HDF5 library did not start");
        return 0;
    }
    eSetAuto(DEFAULT, NULL, NULL);  // errors are reported by return values, not printed
    started = 1;
    return 1;
}

int64_t recur_h5_open(const char *path) {
    hid_t file = fOpen(path, READ_ONLY, DEFAULT);
    return file < 0 ? -1 : file;
}

void recur_h5_close(int64_t file) { fClose(file); }

long recur_h5_child_count(int64_t file, const char *path) {
    hid_t group = gOpen(file, path, DEFAULT);
    if (group < 0) return -1;
    group_info info;
    long count = gInfo(group, &info) < 0 ? -1 : (long)info.nlinks;
    gClose(group);
    return count;
}

long recur_h5_child_name(int64_t file, const char *path, long index, char *name, long capacity) {
    long length = lNameByIndex(file, path, INDEX_NAME, ORDER_INCREASING, (hsize_t)index, name, (size_t)capacity, DEFAULT);
    return length < 0 || length >= capacity ? -1 : length;
}

int recur_h5_shape(int64_t file, const char *path, unsigned long long *dims, int capacity) {
    hid_t dataset = dOpen(file, path, DEFAULT);
    if (dataset < 0) return -1;
    hid_t space = dSpace(dataset);
    int rank = space < 0 ? -1 : sRank(space);
    if (rank > capacity || (rank > 0 && sDims(space, dims, NULL) < 0)) rank = -1;
    if (space >= 0) sClose(space);
    dClose(dataset);
    return rank;
}

int recur_h5_read_floats(int64_t file, const char *path, float *values, long count) {
    unsigned long long dims[16];
    int rank = recur_h5_shape(file, path, dims, 16);
    if (rank < 0) return 0;
    long total = 1;
    for (int i = 0; i < rank; i++) total *= (long)dims[i];
    if (total != count) return 0;
    hid_t dataset = dOpen(file, path, DEFAULT);
    if (dataset < 0) return 0;
    herr_t status = dRead(dataset, *nativeFloat, ALL, ALL, DEFAULT, values);
    dClose(dataset);
    return status >= 0;
}
