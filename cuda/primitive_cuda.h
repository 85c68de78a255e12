/* CUDA backend: the device search (search.cu) and a batched candidate evaluation (eval.cu).
 * Optional at build time (nvcc) and at run time (a device and a driver): without them
 * pm_cuda_available() says why and callers stay on the CPU. The per-candidate work is
 * pm_eval_geo() of core/raster.h, the same code the CPU search runs, so pm_eval_batch_cpu() is
 * the evaluation kernel's reference, and search_emu.c the search kernels'. */
#ifndef PRIMITIVE_CUDA_H
#define PRIMITIVE_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "raster.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when a CUDA device works; 0 with the reason in why (no driver, no device, ...). */
int pm_cuda_available(char *why, size_t len);

typedef struct PmCudaEval PmCudaEval;

/* Device buffers for a w x h working image and batches of up to `capacity` candidates. */
PmCudaEval *pm_cuda_eval_new(int w, int h, int capacity, char *err, size_t len);
void pm_cuda_eval_free(PmCudaEval *e);
/* Uploads the row prefix sums ((w + 1) * h PmSums), after every change of the canvas. */
int pm_cuda_eval_set_sums(PmCudaEval *e, const PmSums *sums, char *err, size_t len);
/* Colour (3 bytes each) and error change of n <= capacity candidates, one GPU thread each. */
int pm_cuda_eval_run(PmCudaEval *e, const PmGeo *geos, const uint8_t *alphas, int n, uint8_t *rgb,
                     double *delta, char *err, size_t len);

/* The device search (search.cu) is reached through pm_cuda_device_ops (core/internal.h). For
 * tests: the device's canvas (w * h * 3), row sums ((w + 1) * h) and error after the last step. */
typedef struct PmDeviceHandle PmDeviceHandle;
int pm_cuda_device_state(PmDeviceHandle *h, uint8_t *canvas, PmSums *sums, long long *err_out, char *err,
                         size_t len);

#ifdef __cplusplus
}
#endif
#endif
