/* Anti-aliased rendering at any output size. Rows are independent: each output row starts
 * from the background and composites every shape whose box meets it, with coverage from
 * SUBROWS sub-scanlines and exact horizontal overlap. Rows run in parallel on the pool. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "internal.h"

#define SUBROWS 4
#define ROWS_PER_TASK 16

typedef struct {
  const PmShape *shapes;
  const PmGeo *geo;
  int n;
  float bg[3];
  float sx, sy; /* output pixels per working pixel */
  PmFrame *out;
} RenderJob;

static void add_coverage(float *cov, int w, float xa, float xb, float weight) {
  if (xa < 0.0f) xa = 0.0f;
  if (xb > (float)w) xb = (float)w;
  if (!(xb > xa)) return;
  int ia = (int)xa, ib = (int)xb;
  if (ia == ib) {
    cov[ia] += (xb - xa) * weight;
    return;
  }
  cov[ia] += ((float)(ia + 1) - xa) * weight;
  for (int x = ia + 1; x < ib; x++) cov[x] += weight;
  if (ib < w) cov[ib] += (xb - (float)ib) * weight;
}

static void render_row(const RenderJob *job, int y, float *acc, float *cov) {
  int w = job->out->width;
  for (int x = 0; x < w; x++) memcpy(acc + 3 * x, job->bg, sizeof job->bg);
  float xs[2 * PM_MAX_INTERVALS];
  for (int i = 0; i < job->n; i++) {
    const PmGeo *g = &job->geo[i];
    if (!(g->y1 * job->sy > (float)y && g->y0 * job->sy < (float)(y + 1))) continue;
    float fa = floorf(g->x0 * job->sx), fb = ceilf(g->x1 * job->sx);
    int xa = pm_clamp_to_int(fa, w), xb = pm_clamp_to_int(fb, w);
    if (xa >= xb) continue;
    memset(cov + xa, 0, sizeof *cov * (size_t)(xb - xa));
    int hit = 0;
    for (int j = 0; j < SUBROWS; j++) {
      float ys = ((float)y + ((float)j + 0.5f) / SUBROWS) / job->sy;
      int k = pm_geo_intervals(g, ys, xs);
      for (int q = 0; q < k; q++) add_coverage(cov, w, xs[2 * q] * job->sx, xs[2 * q + 1] * job->sx, 1.0f / SUBROWS);
      hit |= k;
    }
    if (!hit) continue;
    const uint8_t *c = job->shapes[i].rgba;
    float a = c[3] / 255.0f, r = c[0], gg = c[1], b = c[2];
    for (int x = xa; x < xb; x++) {
      float t = a * (cov[x] > 1.0f ? 1.0f : cov[x]);
      if (t <= 0.0f) continue;
      float *p = acc + 3 * x;
      p[0] += (r - p[0]) * t;
      p[1] += (gg - p[1]) * t;
      p[2] += (b - p[2]) * t;
    }
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
