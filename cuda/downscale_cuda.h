/* The downscale kernels' launcher (downscale.cu), for the CUDA device (search.cu). */
#ifndef PM_DOWNSCALE_CUDA_H
#define PM_DOWNSCALE_CUDA_H
#include "downscale.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Both passes on a's device buffers; 0, or -1 when a launch failed. */
int pm_cuda_down_launch(const PmDownArgs *a);
#ifdef __cplusplus
}
#endif
#endif
