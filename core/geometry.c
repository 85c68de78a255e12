/* The span list of the search and the renderer's line query; building pieces and the per-line
 * and per-row work live in raster.h, shared with the CUDA kernels. */
#include <string.h>

#include "internal.h"

int pm_geo_intervals(const PmGeo *g, float y, float *xs) { return pm_geo_line(g, y, xs); }

int pm_geo_spans(const PmGeo *g, int w, int h, PmSpan *spans) {
  PmEdgeSet es;
  int ya, yb, n = 0;
  if (!pm_geo_rows(g, w, h, &ya, &yb, &es)) return 0;
  if (es.n >= 0) { /* convex: the search's hot path */
    for (int y = ya; y <= yb; y++) {
      if (pm_convex_row(&es, y, w, &spans[n].x1, &spans[n].x2)) spans[n++].y = (int16_t)y;
    }
    return n;
  }
  int16_t x1[PM_MAX_INTERVALS], x2[PM_MAX_INTERVALS];
  for (int y = ya; y <= yb; y++) {
    int k = pm_general_row(g, y, w, x1, x2);
    for (int i = 0; i < k; i++, n++) {
      spans[n].y = (int16_t)y;
      spans[n].x1 = x1[i];
      spans[n].x2 = x2[i];
    }
  }
  return n;
}
