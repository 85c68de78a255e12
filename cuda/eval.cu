// Batched candidate evaluation: one thread per candidate runs pm_eval_geo() (core/raster.h),
// the code the CPU search runs, over prefix sums resident on the device.
#include <cuda_runtime.h>
#include <stdio.h>

#include "primitive_cuda.h"

struct PmCudaEval {
  int w, h, capacity;
  PmSums *sums;
  PmGeo *geos;
  uint8_t *alphas, *rgb;
  double *delta;
};

static int fail(cudaError_t e, const char *what, char *err, size_t len) {
  if (e == cudaSuccess) return 0;
  if (err) snprintf(err, len, "CUDA: %s: %s", what, cudaGetErrorString(e));
  return -1;
}

extern "C" int pm_cuda_available(char *why, size_t len) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (why) snprintf(why, len, "%s", cudaGetErrorString(e));
    return 0;
  }
  if (n == 0) {
    if (why) snprintf(why, len, "no CUDA device");
    return 0;
  }
  return 1;
}

extern "C" PmCudaEval *pm_cuda_eval_new(int w, int h, int capacity, char *err, size_t len) {
  if (w < 1 || h < 1 || capacity < 1) {
    if (err) snprintf(err, len, "bad size");
    return NULL;
  }
  PmCudaEval *e = (PmCudaEval *)calloc(1, sizeof *e);
  if (!e) return NULL;
  e->w = w, e->h = h, e->capacity = capacity;
  if (fail(cudaMalloc(&e->sums, sizeof(PmSums) * (size_t)(w + 1) * h), "cudaMalloc", err, len) ||
      fail(cudaMalloc(&e->geos, sizeof(PmGeo) * (size_t)capacity), "cudaMalloc", err, len) ||
      fail(cudaMalloc(&e->alphas, (size_t)capacity), "cudaMalloc", err, len) ||
      fail(cudaMalloc(&e->rgb, 3 * (size_t)capacity), "cudaMalloc", err, len) ||
      fail(cudaMalloc(&e->delta, sizeof(double) * (size_t)capacity), "cudaMalloc", err, len)) {
    pm_cuda_eval_free(e);
    return NULL;
  }
  return e;
}

extern "C" void pm_cuda_eval_free(PmCudaEval *e) {
  if (!e) return;
  cudaFree(e->sums), cudaFree(e->geos), cudaFree(e->alphas), cudaFree(e->rgb), cudaFree(e->delta);
  free(e);
}

extern "C" int pm_cuda_eval_set_sums(PmCudaEval *e, const PmSums *sums, char *err, size_t len) {
  return fail(cudaMemcpy(e->sums, sums, sizeof(PmSums) * (size_t)(e->w + 1) * e->h, cudaMemcpyHostToDevice),
              "upload sums", err, len);
}

__global__ void eval_kernel(const PmGeo *geos, const uint8_t *alphas, int n, const PmSums *sums, int w, int h,
                            uint8_t *rgb, double *delta) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  uint8_t c[3];
  delta[i] = pm_eval_geo(&geos[i], sums, w, h, alphas[i], c);
  rgb[3 * i] = c[0], rgb[3 * i + 1] = c[1], rgb[3 * i + 2] = c[2];
}

extern "C" int pm_cuda_eval_run(PmCudaEval *e, const PmGeo *geos, const uint8_t *alphas, int n, uint8_t *rgb,
                                double *delta, char *err, size_t len) {
  if (n < 0 || n > e->capacity) {
    if (err) snprintf(err, len, "batch of %d exceeds the capacity %d", n, e->capacity);
    return -1;
  }
  if (n == 0) return 0;
  if (fail(cudaMemcpy(e->geos, geos, sizeof(PmGeo) * (size_t)n, cudaMemcpyHostToDevice), "upload", err, len) ||
      fail(cudaMemcpy(e->alphas, alphas, (size_t)n, cudaMemcpyHostToDevice), "upload", err, len))
    return -1;
  int threads = 128;
  eval_kernel<<<(n + threads - 1) / threads, threads>>>(e->geos, e->alphas, n, e->sums, e->w, e->h, e->rgb, e->delta);
  if (fail(cudaGetLastError(), "launch", err, len) ||
      fail(cudaMemcpy(rgb, e->rgb, 3 * (size_t)n, cudaMemcpyDeviceToHost), "download", err, len) ||
      fail(cudaMemcpy(delta, e->delta, sizeof(double) * (size_t)n, cudaMemcpyDeviceToHost), "download", err, len))
    return -1;
  return 0;
}
