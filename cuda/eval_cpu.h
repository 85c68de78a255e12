#ifndef PM_EVAL_CPU_H
#define PM_EVAL_CPU_H
#include "raster.h"
/* CPU reference of pm_cuda_eval_run(): colour and error change of n candidates. */
void pm_eval_batch_cpu(const PmGeo *geos, const uint8_t *alphas, int n, const PmSums *sums, int w, int h,
                       uint8_t *rgb, double *delta);
#endif
