/* The scanline rasterizer. Every shape kind reduces to a convex polygon, a non-zero polygon, a
 * (rotated) ellipse, or a union of those; one routine gives the x-intervals of any of them on a
 * horizontal line. The search uses it at pixel centres, the renderer at sub-scanlines of the
 * output, so what is optimised and what is drawn are the same shape. */
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

/* A polygon edge as the scanline code sees it: half-open in y, [lo, hi), so a vertex on the
 * line is counted once; x = x + (y - lo) * slope. Both the per-line query and the span
 * walker below use it, so they agree to the bit. */
typedef struct { float lo, hi, x, slope; int dir; } Edge;

static int make_edges(const PmPiece *p, Edge *e) {
  int k = 0;
  for (int i = 0, j = p->n - 1; i < p->n; j = i++) {
    float ya = p->y[j], yb = p->y[i];
    if (ya == yb) continue;
    int up = ya < yb;
    e[k].lo = up ? ya : yb;
    e[k].hi = up ? yb : ya;
    e[k].x = up ? p->x[j] : p->x[i];
    e[k].slope = ((up ? p->x[i] : p->x[j]) - e[k].x) / (e[k].hi - e[k].lo);
    e[k].dir = up ? 1 : -1;
    k++;
  }
  return k;
}

static int piece_intervals(const PmPiece *p, float y, float *xs) {
  if (y < p->y0 || y > p->y1) return 0;
  if (p->type == PM_GEO_CONIC) {
    float dy = y - p->cy;
    float bb = p->b * dy;
    float disc = bb * bb - 4.0f * p->a * (p->c * dy * dy - 1.0f);
    if (disc <= 0.0f) return 0;
    float s = sqrtf(disc), inv = 0.5f / p->a;
    xs[0] = p->cx + (-bb - s) * inv;
    xs[1] = p->cx + (-bb + s) * inv;
    return 1;
  }
  float cx[PM_GEO_MAX_VERTS];
  int dir[PM_GEO_MAX_VERTS];
  Edge e[PM_GEO_MAX_VERTS];
  int ne = make_edges(p, e), k = 0;
  for (int i = 0; i < ne; i++) {
    if (y < e[i].lo || y >= e[i].hi) continue;
    cx[k] = e[i].x + (y - e[i].lo) * e[i].slope;
    dir[k++] = e[i].dir;
  }
  if (k < 2) return 0;
  if (p->type == PM_GEO_CONVEX) {
    float lo = cx[0], hi = cx[0];
    for (int i = 1; i < k; i++) {
      if (cx[i] < lo) lo = cx[i];
      if (cx[i] > hi) hi = cx[i];
    }
    xs[0] = lo;
    xs[1] = hi;
    return hi > lo;
  }
  for (int i = 1; i < k; i++) { /* insertion sort: k <= 8 */
    float v = cx[i];
    int dv = dir[i], j = i - 1;
    while (j >= 0 && cx[j] > v) {
      cx[j + 1] = cx[j];
      dir[j + 1] = dir[j];
      j--;
    }
    cx[j + 1] = v;
    dir[j + 1] = dv;
  }
  int n = 0, wind = 0;
  for (int i = 0; i < k; i++) {
    int before = wind;
    wind += dir[i];
    if (before == 0 && wind != 0) xs[2 * n] = cx[i];
    else if (before != 0 && wind == 0 && cx[i] > xs[2 * n]) xs[2 * n++ + 1] = cx[i];
  }
  return n;
}

int pm_geo_intervals(const PmGeo *g, float y, float *xs) {
  if (g->type != PM_GEO_UNION) return piece_intervals(&g->pieces[0], y, xs);
  if (y < g->y0 || y > g->y1) return 0;
  float buf[2 * (PM_GEO_MAX_PIECES + PM_GEO_MAX_VERTS)];
  int n = 0;
  for (int i = 0; i < g->npieces; i++) n += piece_intervals(&g->pieces[i], y, buf + 2 * n);
  if (n == 0) return 0;
  for (int i = 1; i < n; i++) { /* sort by start */
    float a = buf[2 * i], b = buf[2 * i + 1];
    int j = i - 1;
    while (j >= 0 && buf[2 * j] > a) {
      buf[2 * j + 2] = buf[2 * j];
      buf[2 * j + 3] = buf[2 * j + 1];
      j--;
    }
    buf[2 * j + 2] = a;
    buf[2 * j + 3] = b;
  }
  int m = 0;
  xs[0] = buf[0];
  xs[1] = buf[1];
  for (int i = 1; i < n; i++) {
    if (buf[2 * i] <= xs[2 * m + 1]) {
      if (buf[2 * i + 1] > xs[2 * m + 1]) xs[2 * m + 1] = buf[2 * i + 1];
    } else if (m + 1 < PM_MAX_INTERVALS) {
      m++;
      xs[2 * m] = buf[2 * i];
      xs[2 * m + 1] = buf[2 * i + 1];
    }
  }
  return m + 1;
}

/* Converts without undefined behaviour for NaN or huge values (fuzzed shapes). */
static inline int clamp_to_int(float f, int hi) {
  if (!(f > 0.0f)) return 0;
  return f > (float)hi ? hi : (int)f;
}

int pm_geo_spans(const PmGeo *g, int w, int h, PmSpan *spans) {
  if (!isfinite(g->y0) || !isfinite(g->y1) || !isfinite(g->x0) || !isfinite(g->x1)) return 0;
  if (g->y1 < 0.0f || g->y0 > (float)h || g->x1 < 0.0f || g->x0 > (float)w) return 0;
  int ya = clamp_to_int(floorf(g->y0 - 0.5f), h - 1), yb = clamp_to_int(ceilf(g->y1 - 0.5f), h - 1);
  int n = 0;
  if (g->type == PM_GEO_CONVEX) {
    /* The hot path of the search (triangles, rectangles): edges set up once per shape. */
    Edge e[PM_GEO_MAX_VERTS];
    int ne = make_edges(&g->pieces[0], e);
    for (int y = ya; y <= yb; y++) {
      float yc = (float)y + 0.5f, lo = 1e30f, hi = -1e30f;
      int k = 0;
      for (int i = 0; i < ne; i++) {
        if (yc < e[i].lo || yc >= e[i].hi) continue;
        float x = e[i].x + (yc - e[i].lo) * e[i].slope;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        k++;
      }
      if (k < 2 || !(hi > lo)) continue;
      int x1 = clamp_to_int(ceilf(lo - 0.5f), w), x2 = clamp_to_int(ceilf(hi - 0.5f), w);
      if (x1 < x2) {
        spans[n].y = (int16_t)y;
        spans[n].x1 = (int16_t)x1;
        spans[n].x2 = (int16_t)x2;
        n++;
      }
    }
    return n;
  }
  float xs[2 * PM_MAX_INTERVALS];
  for (int y = ya; y <= yb; y++) {
    int k = pm_geo_intervals(g, (float)y + 0.5f, xs);
    for (int i = 0; i < k; i++) {
      /* pixel x is inside when its centre x + 0.5 lies in [xa, xb) */
      int x1 = clamp_to_int(ceilf(xs[2 * i] - 0.5f), w);
      int x2 = clamp_to_int(ceilf(xs[2 * i + 1] - 0.5f), w);
      if (x1 < x2) {
        spans[n].y = (int16_t)y;
        spans[n].x1 = (int16_t)x1;
        spans[n].x2 = (int16_t)x2;
        n++;
      }
    }
  }
  return n;
}
