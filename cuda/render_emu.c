/* The CPU emulation of render.cu: the render phases of render.h for every block, each phase run
 * for all of a block's threads before the next, as the barriers impose. Blocks are independent,
 * so they spread over a pool. */
#include <stdlib.h>

#include "render_emu.h"

typedef struct {
  const PmRenderArgs *a;
  float **acc; /* one buffer of two rows per worker */
} RenderJob;

void pm_render_emulate_block(const PmRenderArgs *a, int blk, float *acc) {
  enum { T = PM_DEV_RENDER_THREADS };
  PmRenderBlock b;
  int rows = pm_render_rows(a), y0 = blk * rows;
  for (int r = 0; r < rows && y0 + r < a->h; r++) {
    float *row = acc + (size_t)r * a->w * 3;
    int y = y0 + r;
    for (int t = 0; t < T; t++) pm_render_init_phase(a, row, t);
    for (int i = 0; i < a->n; i++) {
      int xa, xb;
      if (!pm_render_span(a, i, y, &xa, &xb)) continue;
      for (int t = 0; t < T; t++) pm_render_lines_phase(a, &b, i, y, t);
      for (int t = 0; t < T; t++) pm_render_blend_phase(a, &b, row, i, xa, xb, t);
    }
  }
  for (int t = 0; t < T; t++) pm_render_write_phase(a, acc, y0, t);
}

static void render_task(void *ctx, int blk, int worker) {
  RenderJob *job = ctx;
  pm_render_emulate_block(job->a, blk, job->acc[worker]);
}

int pm_render_emulate(const PmRenderArgs *a, PmPool *pool) {
  int workers = pool ? pm_pool_size(pool) : 1, ok = 1;
  float **acc = calloc((size_t)workers, sizeof *acc);
  for (int i = 0; acc && i < workers; i++) ok &= (acc[i] = malloc(sizeof(float) * 6 * (size_t)a->w)) != NULL;
  if (acc && ok) {
    RenderJob job = {a, acc};
    if (pool) pm_pool_run(pool, pm_render_blocks(a), render_task, &job);
    else
      for (int blk = 0; blk < pm_render_blocks(a); blk++) render_task(&job, blk, 0);
  }
  for (int i = 0; acc && i < workers; i++) free(acc[i]);
  free(acc);
  return acc && ok ? 0 : -1;
}

int pm_render_args(PmRenderArgs *a, const PmShape *shapes, const PmGeo *geo, int n, const uint8_t bg[3], int ww,
                   int wh, const PmFrame *out) {
  if (ww < 1 || wh < 1 || n < 0 || (unsigned)out->format >= PM_FORMAT_COUNT) return -1;
  a->shapes = shapes, a->geo = geo, a->n = n;
  for (int k = 0; k < 3; k++) a->bg[k] = bg[k];
  a->sx = (float)out->width / ww, a->sy = (float)out->height / wh;
  a->format = out->format, a->w = out->width, a->h = out->height;
  for (int k = 0; k < 3; k++) a->data[k] = out->data[k], a->stride[k] = out->stride[k];
  if (out->format < PM_FORMAT_I420) a->layout = pm_frame_layout(out->format);
  return 0;
}
