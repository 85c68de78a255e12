// The input downscale on the GPU: downscale.h's two passes, a thread per element. Built with
// --fmad=false: the same bytes as core/frame.c and the emulation (downscale_emu.c).
#include <cuda_runtime.h>

#include "downscale_cuda.h"

__global__ void pm_down_h_kernel(PmDownArgs a) {
  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < (long long)a.h * a.ww) pm_down_h(&a, (int)(i / a.ww), (int)(i % a.ww));
}

__global__ void pm_down_v_kernel(PmDownArgs a) {
  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x, row = (long long)a.ww * 3;
  if (i < (long long)a.wh * row) pm_down_v(&a, (int)(i / row), (int)(i % row));
}

extern "C" int pm_cuda_down_launch(const PmDownArgs *a) {
  long long nh = (long long)a->h * a->ww, nv = (long long)a->wh * a->ww * 3;
  pm_down_h_kernel<<<(unsigned)((nh + 255) / 256), 256>>>(*a);
  pm_down_v_kernel<<<(unsigned)((nv + 255) / 256), 256>>>(*a);
  return cudaGetLastError() == cudaSuccess ? 0 : -1;
}
