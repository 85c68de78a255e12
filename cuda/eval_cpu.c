/* The CPU reference of eval.cu's kernel: the same pm_eval_geo() per candidate, in a loop. */
#include "eval_cpu.h"

void pm_eval_batch_cpu(const PmGeo *geos, const uint8_t *alphas, int n, const PmSums *sums, int w, int h,
                       uint8_t *rgb, double *delta) {
  for (int i = 0; i < n; i++) delta[i] = pm_eval_geo(&geos[i], sums, w, h, alphas[i], rgb + 3 * i);
}
