/* Building the geometric pieces of shapes (host side) and the span list of the search; the
 * per-line and per-row work lives in raster.h, shared with the CUDA kernels. */
#include <float.h>
#include <string.h>

#include "internal.h"

void pm_piece_polygon(PmPiece *p, int type, const float *xy, int n) {
  p->type = type;
  p->n = n;
  p->x0 = p->y0 = FLT_MAX;
  p->x1 = p->y1 = -FLT_MAX;
  for (int i = 0; i < n; i++) {
    p->x[i] = xy[2 * i];
    p->y[i] = xy[2 * i + 1];
    if (p->x[i] < p->x0) p->x0 = p->x[i];
    if (p->x[i] > p->x1) p->x1 = p->x[i];
    if (p->y[i] < p->y0) p->y0 = p->y[i];
    if (p->y[i] > p->y1) p->y1 = p->y[i];
  }
}

void pm_piece_ellipse(PmPiece *p, float cx, float cy, float rx, float ry, float angle_deg) {
  float t = angle_deg * (float)(PM_PI / 180.0);
  float cs = cosf(t), sn = sinf(t);
  float irx = 1.0f / (rx * rx), iry = 1.0f / (ry * ry);
  p->type = PM_GEO_CONIC;
  p->n = 0;
  p->cx = cx;
  p->cy = cy;
  p->a = cs * cs * irx + sn * sn * iry;
  p->b = 2.0f * cs * sn * (irx - iry);
  p->c = sn * sn * irx + cs * cs * iry;
  float ey = sqrtf(rx * rx * sn * sn + ry * ry * cs * cs);
  float ex = sqrtf(rx * rx * cs * cs + ry * ry * sn * sn);
  p->y0 = cy - ey;
  p->y1 = cy + ey;
  p->x0 = cx - ex;
  p->x1 = cx + ex;
}

void pm_geo_finish(PmGeo *g) {
  g->x0 = g->y0 = FLT_MAX;
  g->x1 = g->y1 = -FLT_MAX;
  for (int i = 0; i < g->npieces; i++) {
    const PmPiece *p = &g->pieces[i];
    if (p->x0 < g->x0) g->x0 = p->x0;
    if (p->x1 > g->x1) g->x1 = p->x1;
    if (p->y0 < g->y0) g->y0 = p->y0;
    if (p->y1 > g->y1) g->y1 = p->y1;
  }
}

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
