// The anti-aliased render on the GPU: render.h's phases between block barriers, a block per row
// (or per pair of rows for I420 and NV12) with its rows' colour sums in dynamic shared memory.
// Built with --fmad=false: the same bytes as core/render.c and the emulation (render_emu.c).
#include <cuda_runtime.h>

#include "render_cuda.h"

__global__ void __launch_bounds__(PM_DEV_RENDER_THREADS) pm_render_kernel(PmRenderArgs a) {
  extern __shared__ float acc[]; // rows * w * 3
  __shared__ PmRenderBlock b;
  int t = threadIdx.x, rows = pm_render_rows(&a), y0 = blockIdx.x * rows;
  for (int r = 0; r < rows && y0 + r < a.h; r++) {
    float *row = acc + (size_t)r * a.w * 3;
    int y = y0 + r;
    pm_render_init_phase(&a, row, t);
    __syncthreads();
    for (int i = 0; i < a.n; i++) {
      int xa, xb;
      if (!pm_render_span(&a, i, y, &xa, &xb)) continue; // the same answer in every thread
      pm_render_lines_phase(&a, &b, i, y, t);
      __syncthreads();
      pm_render_blend_phase(&a, &b, row, i, xa, xb, t);
      __syncthreads();
    }
  }
  __syncthreads();
  pm_render_write_phase(&a, acc, y0, t);
}

extern "C" size_t pm_cuda_render_smem(const PmRenderArgs *a) {
  return sizeof(float) * 3 * (size_t)a->w * pm_render_rows(a);
}

extern "C" int pm_cuda_render_launch(const PmRenderArgs *a) {
  size_t smem = pm_cuda_render_smem(a);
  if (cudaFuncSetAttribute(pm_render_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) != cudaSuccess)
    return -1;
  pm_render_kernel<<<pm_render_blocks(a), PM_DEV_RENDER_THREADS, smem>>>(*a);
  return cudaGetLastError() == cudaSuccess ? 0 : -1;
}
