/* Anti-aliased rendering at any output size. Rows are independent: each output row starts
 * from the background and composites every shape whose box meets it, with coverage from
 * PM_RENDER_SUBROWS sub-scanlines and exact horizontal overlap. Rows run in parallel on the pool. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "internal.h"

#define ROWS_PER_TASK 16

typedef struct {
  const PmShape *shapes;
  const PmGeo *geo;
  int n;
  float bg[3];
  float sx, sy; /* output pixels per working pixel */
  PmFrame *out;
} RenderJob;

/* Coverage of [xa, xb) (output pixels) added to cov, counted only on pixels in [lo, hi). */
static void add_coverage_in(float *cov, int lo, int hi, float xa, float xb, float weight) {
  if (xa < (float)lo) xa = (float)lo;
  if (xb > (float)hi) xb = (float)hi;
  if (!(xb > xa)) return;
  int ia = (int)xa, ib = (int)xb;
  if (ia == ib) {
    cov[ia] += (xb - xa) * weight;
    return;
  }
  cov[ia] += ((float)(ia + 1) - xa) * weight;
  for (int x = ia + 1; x < ib; x++) cov[x] += weight;
  if (ib < hi) cov[ib] += (xb - (float)ib) * weight;
}

static void blend_coverage(float *acc, const float *cov, int xa, int xb, float a, const float c[3]) {
  for (int x = xa; x < xb; x++) {
    float t = a * (cov[x] > 1.0f ? 1.0f : cov[x]);
    if (t <= 0.0f) continue;
    float *p = acc + 3 * x;
    p[0] += (c[0] - p[0]) * t;
    p[1] += (c[1] - p[1]) * t;
    p[2] += (c[2] - p[2]) * t;
  }
}

/* One output row: the background, then every shape whose box meets the row, composited with
 * its coverage. Pixels that every sub-scanline covers wholly (the inside of a shape, most of
 * its pixels) blend at once; only the edges need the coverage sums. */
static void render_row(const RenderJob *job, int y, float *acc, float *cov) {
  int w = job->out->width;
  for (int x = 0; x < w; x++) memcpy(acc + 3 * x, job->bg, sizeof job->bg);
  float xs[PM_RENDER_SUBROWS][2 * PM_MAX_INTERVALS];
  int k[PM_RENDER_SUBROWS];
  for (int i = 0; i < job->n; i++) {
    const PmGeo *g = &job->geo[i];
    if (!(g->y1 * job->sy > (float)y && g->y0 * job->sy < (float)(y + 1))) continue;
    float fa = floorf(g->x0 * job->sx), fb = ceilf(g->x1 * job->sx);
    int xa = pm_clamp_to_int(fa, w), xb = pm_clamp_to_int(fb, w);
    if (xa >= xb) continue;
    int hit = 0, single = 1;
    float lo = -1e30f, hi = 1e30f; /* where all sub-scanlines are inside (single intervals) */
    for (int j = 0; j < PM_RENDER_SUBROWS; j++) {
      float ys = ((float)y + ((float)j + 0.5f) / PM_RENDER_SUBROWS) / job->sy;
      k[j] = pm_geo_intervals(g, ys, xs[j]);
      hit |= k[j];
      single &= k[j] == 1;
      if (k[j] == 1) {
        lo = fmaxf(lo, xs[j][0] * job->sx);
        hi = fminf(hi, xs[j][1] * job->sx);
      }
    }
    if (!hit) continue;
    const uint8_t *c8 = job->shapes[i].rgba;
    float a = c8[3] / 255.0f, c[3] = {c8[0], c8[1], c8[2]};
    /* wholly covered pixels: [in0, in1) */
    int in0 = xa, in1 = xa;
    if (single && hi > lo) {
      in0 = pm_clamp_to_int(ceilf(lo), w), in1 = pm_clamp_to_int(floorf(hi), w);
      in0 = in0 < xa ? xa : in0, in1 = in1 > xb ? xb : in1;
      if (in1 < in0) in1 = in0;
    }
    memset(cov + xa, 0, sizeof *cov * (size_t)(in0 - xa));
    memset(cov + in1, 0, sizeof *cov * (size_t)(xb - in1));
    for (int j = 0; j < PM_RENDER_SUBROWS; j++)
      for (int q = 0; q < k[j]; q++) {
        float x0 = xs[j][2 * q] * job->sx, x1 = xs[j][2 * q + 1] * job->sx;
        add_coverage_in(cov, xa, in0, x0, x1, 1.0f / PM_RENDER_SUBROWS);
        add_coverage_in(cov, in1, xb < w ? xb : w, x0, x1, 1.0f / PM_RENDER_SUBROWS);
      }
    blend_coverage(acc, cov, xa, in0, a, c);
    for (int x = in0; x < in1; x++) {
      float *p = acc + 3 * x;
      p[0] += (c[0] - p[0]) * a;
      p[1] += (c[1] - p[1]) * a;
      p[2] += (c[2] - p[2]) * a;
    }
    blend_coverage(acc, cov, in1, xb, a, c);
  }
}

static void render_task(void *ctx, int task, int worker) {
  (void)worker;
  const RenderJob *job = ctx;
  PmFrame *out = job->out;
  int w = out->width, y0 = task * ROWS_PER_TASK, y1 = y0 + ROWS_PER_TASK;
  if (y1 > out->height) y1 = out->height;
  float *acc = malloc(sizeof(float) * 3 * (size_t)w * 2), *cov = malloc(sizeof(float) * ((size_t)w + 1));
  if (!acc || !cov) {
    free(acc), free(cov);
    return;
  }
  int yuv = out->format == PM_FORMAT_I420 || out->format == PM_FORMAT_NV12;
  for (int y = y0; y < y1; y += yuv ? 2 : 1) {
    render_row(job, y, acc, cov);
    if (!yuv) {
      pm_frame_write_packed_row(out, y, acc);
      continue;
    }
    float *next = NULL;
    if (y + 1 < out->height) {
      next = acc + 3 * (size_t)w;
      render_row(job, y + 1, next, cov);
    }
    pm_frame_write_yuv_rows(out, y, acc, next);
  }
  free(acc), free(cov);
}

static int render(PmPool *pool, const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh, PmFrame *out) {
  char err[128];
  if (pm_frame_check(out, err, sizeof err) < 0 || ww < 1 || wh < 1 || n < 0) return -1;
  PmGeo *geo = malloc(sizeof *geo * (size_t)(n > 0 ? n : 1));
  if (!geo) return -1;
  for (int i = 0; i < n; i++) pm_shape_geometry(&shapes[i], &geo[i]);
  RenderJob job = {shapes, geo, n, {bg[0], bg[1], bg[2]}, (float)out->width / ww, (float)out->height / wh, out};
  pm_pool_run(pool, (out->height + ROWS_PER_TASK - 1) / ROWS_PER_TASK, render_task, &job);
  free(geo);
  return 0;
}

int pm_render(const PmModel *m, PmFrame *out) {
  if (pm_device_render(m, out) == 0) return 0; /* else on the CPU */
  int ww, wh;
  uint8_t bg[3];
  pm_model_working_size(m, &ww, &wh);
  pm_model_background(m, bg);
  return render(pm_model_pool(m), pm_model_shapes(m), pm_model_shape_count(m), bg, ww, wh, out);
}

int pm_render_shapes(const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh, PmFrame *out,
                     int threads) {
  PmPool *pool = threads == 1 ? NULL : pm_pool_new(threads);
  int r = render(pool, shapes, n, bg, ww, wh, out);
  pm_pool_free(pool);
  return r;
}
