/* The render kernel's launcher (render.cu), for the CUDA device (search.cu). */
#ifndef PM_RENDER_CUDA_H
#define PM_RENDER_CUDA_H
#include <stddef.h>

#include "render.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Dynamic shared memory a launch needs (the block's rows). */
size_t pm_cuda_render_smem(const PmRenderArgs *a);
/* Renders into a's planes (device memory); 0, or -1 when the launch failed. */
int pm_cuda_render_launch(const PmRenderArgs *a);
#ifdef __cplusplus
}
#endif
#endif
