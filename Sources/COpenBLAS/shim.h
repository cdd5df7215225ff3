#ifndef SWITCHBOARD_COPENBLAS_SHIM_H
#define SWITCHBOARD_COPENBLAS_SHIM_H

// CBLAS (cblas_sgemm) plus OpenBLAS's own entry points
// (openblas_get_corename, openblas_get_num_threads, openblas_set_num_threads).
// The include path comes from `pkg-config --cflags openblas`.
#include <cblas.h>

#endif
