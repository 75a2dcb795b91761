// oneDNN's C API (Debian: libdnnl-dev). Recur uses dnnl_sgemm only.
#include <oneapi/dnnl/dnnl.h>
