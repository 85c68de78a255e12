/* The anti-aliased render on the device: core/render.c's algorithm, byte for byte, as PM_HD
 * phases over (block, thread). A block renders one row (packed formats) or a pair of rows (I420,
 * NV12, whose chroma spans two rows) in shared memory; its threads split the pixels. For each
 * shape that meets the row, threads 0..PM_RENDER_SUBROWS-1 find the shape's intervals on the
 * sub-scanlines, then every thread adds the coverage of its own pixels, in the order render.c
 * accumulates it, and blends. render_emu.c runs the same phases with loops; the CPU renderer is
 * the reference both are tested against. */
#ifndef PM_RENDER_H
#define PM_RENDER_H

#include "internal.h"
#include "pixel_hd.h"

#define PM_DEV_RENDER_THREADS 256

typedef struct {
  const PmShape *shapes;
  const PmGeo *geo;
  int n;
  float bg[3];
  float sx, sy; /* output pixels per working pixel */
  int format, w, h;
  uint8_t *data[3];
  int stride[3];
  PmPackedLayout layout; /* packed formats */
} PmRenderArgs;

typedef struct {
  float xs[PM_RENDER_SUBROWS][2 * PM_MAX_INTERVALS];
  int k[PM_RENDER_SUBROWS];
} PmRenderBlock;

static inline PM_HD int pm_render_yuv(const PmRenderArgs *a) {
  return a->format == PM_FORMAT_I420 || a->format == PM_FORMAT_NV12;
}
/* Rows per block, and blocks per frame. */
static inline PM_HD int pm_render_rows(const PmRenderArgs *a) { return pm_render_yuv(a) ? 2 : 1; }
static inline PM_HD int pm_render_blocks(const PmRenderArgs *a) {
  return (a->h + pm_render_rows(a) - 1) / pm_render_rows(a);
}

/* What render.c's add_coverage() adds to pixel x for the span [xa, xb) at this weight: the same
 * float, or nothing. */
static inline PM_HD void pm_coverage_at(float *cov, int x, int w, float xa, float xb, float weight) {
  if (xa < 0.0f) xa = 0.0f;
  if (xb > (float)w) xb = (float)w;
  if (!(xb > xa)) return;
  int ia = (int)xa, ib = (int)xb;
  if (ia == ib) {
    if (x == ia) *cov += (xb - xa) * weight;
  } else if (x == ia) {
    *cov += ((float)(ia + 1) - xa) * weight;
  } else if (x > ia && x < ib) {
    *cov += weight;
  } else if (x == ib && ib < w) {
    *cov += (xb - (float)ib) * weight;
  }
}

/* Shape i's pixel range on row y, or 0 when it does not meet the row (every thread computes
 * this itself, so the loop over shapes stays uniform). */
static inline PM_HD int pm_render_span(const PmRenderArgs *a, int i, int y, int *xa, int *xb) {
  const PmGeo *g = &a->geo[i];
  if (!(g->y1 * a->sy > (float)y && g->y0 * a->sy < (float)(y + 1))) return 0;
  *xa = pm_clamp_to_int(floorf(g->x0 * a->sx), a->w);
  *xb = pm_clamp_to_int(ceilf(g->x1 * a->sx), a->w);
  return *xa < *xb;
}

static inline PM_HD void pm_render_init_phase(const PmRenderArgs *a, float *acc, int t) {
  for (int x = t; x < a->w; x += PM_DEV_RENDER_THREADS)
    for (int k = 0; k < 3; k++) acc[3 * x + k] = a->bg[k];
}

static inline PM_HD void pm_render_lines_phase(const PmRenderArgs *a, PmRenderBlock *b, int i, int y, int t) {
  if (t >= PM_RENDER_SUBROWS) return;
  float ys = ((float)y + ((float)t + 0.5f) / PM_RENDER_SUBROWS) / a->sy;
  b->k[t] = pm_geo_line(&a->geo[i], ys, b->xs[t]);
}

static inline PM_HD void pm_render_blend_phase(const PmRenderArgs *a, const PmRenderBlock *b, float *acc, int i, int xa,
                                               int xb, int t) {
  const uint8_t *c = a->shapes[i].rgba;
  float al = c[3] / 255.0f, r = c[0], gg = c[1], bl = c[2];
  pm_render_row_extent(b->xs, b->k, a->sx, a->w, &xa, &xb); /* [xa, xb) is the whole shape's box */
  for (int x = xa + t; x < xb; x += PM_DEV_RENDER_THREADS) {
    float cov = 0.0f;
    for (int j = 0; j < PM_RENDER_SUBROWS; j++)
      for (int q = 0; q < b->k[j]; q++)
        pm_coverage_at(&cov, x, a->w, b->xs[j][2 * q] * a->sx, b->xs[j][2 * q + 1] * a->sx, 1.0f / PM_RENDER_SUBROWS);
    float tt = al * (cov > 1.0f ? 1.0f : cov);
    if (tt <= 0.0f) continue;
    float *p = acc + 3 * x;
    p[0] += (r - p[0]) * tt;
    p[1] += (gg - p[1]) * tt;
    p[2] += (bl - p[2]) * tt;
  }
}

/* acc holds the block's rows, w * 3 floats each; y0 is its first row. */
static inline PM_HD void pm_render_write_phase(const PmRenderArgs *a, const float *acc, int y0, int t) {
  int w = a->w;
  if (!pm_render_yuv(a)) {
    uint8_t *d = a->data[0] + (size_t)y0 * a->stride[0];
    for (int x = t; x < w; x += PM_DEV_RENDER_THREADS) pm_pack_pixel(d + (size_t)x * a->layout.bpp, a->layout, acc + 3 * x);
    return;
  }
  const float *r1 = y0 + 1 < a->h ? acc + 3 * (size_t)w : acc;
  for (int j = 0; j < 2 && y0 + j < a->h; j++) {
    uint8_t *yp = a->data[0] + (size_t)(y0 + j) * a->stride[0];
    for (int x = t; x < w; x += PM_DEV_RENDER_THREADS) yp[x] = pm_rgb_y((j ? r1 : acc) + 3 * x);
  }
  uint8_t *up = a->data[1] + (size_t)(y0 / 2) * a->stride[1];
  uint8_t *vp = a->format == PM_FORMAT_I420 ? a->data[2] + (size_t)(y0 / 2) * a->stride[2] : up + 1;
  int cstep = a->format == PM_FORMAT_I420 ? 1 : 2;
  for (int cx = t; cx < (w + 1) / 2; cx += PM_DEV_RENDER_THREADS)
    pm_rgb_uv(acc, r1, cx, w, &up[cx * cstep], &vp[cx * cstep]);
}

#endif
