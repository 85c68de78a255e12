/* The CPU emulation of search.cu: the kernels' phase functions (search.h) over the same grid,
 * each phase run for every thread of a block before the next one starts, as the barriers
 * between them impose on the GPU. Blocks are independent until the second kernel, so they run
 * one after another. Also the emulated device behind PM_DEVICE_EMULATED, which keeps the
 * device's copy of the model in host memory and syncs it as search.cu does. */
#include <stdlib.h>
#include <string.h>

#include "downscale_emu.h"
#include "render_emu.h"
#include "search_emu.h"

static void argmin(double *d, int *idx, int n) {
  for (int stride = n / 2; stride > 0; stride >>= 1)
    for (int t = 0; t < n; t++) pm_dev_argmin_stage(d, idx, t, stride);
}

/* Kernel 1's block `blk`. */
static void climber_block(const PmDevParams *p, const PmDevState *st, int blk) {
  enum { T = PM_DEV_THREADS };
  PmDevBlock b;
  PmDevThread th[T];
  for (int t = 0; t < T; t++) pm_dev_random_phase(p, st, &b, &th[t], blk, t, 0, 1);
  argmin(b.d, b.idx, T);
  for (int t = 0; t < T; t++) pm_dev_take_phase(&b, &th[t], t, 0);
  while (!b.done) {
    for (int t = 0; t < T; t++) pm_dev_mutate_phase(p, st, &b, &th[t], t, 0, 1);
    argmin(b.d, b.idx, T);
    for (int t = 0; t < T; t++) pm_dev_accept_phase(p, &b, &th[t], t, 0);
  }
  for (int t = 0; t < T; t++) pm_dev_finish_phase(p, st, &b, blk, t);
}

typedef struct {
  const PmDevParams *p;
  const PmDevState *st;
} BlockJob;

static void block_task(void *ctx, int blk, int worker) {
  BlockJob *job = ctx;
  (void)worker;
  climber_block(job->p, job->st, blk);
}

void pm_dev_emulate_step(const PmDevParams *p, const PmDevState *st, PmPool *pool) {
  enum { D = PM_DEV_DRAW_THREADS };
  /* the blocks share nothing until kernel 2, so they may run on any number of cores */
  BlockJob job = {p, st};
  if (pool) pm_pool_run(pool, p->climbers, block_task, &job);
  else
    for (int blk = 0; blk < p->climbers; blk++) climber_block(p, st, blk);
  PmDevDrawBlock db;
  for (int t = 0; t < D; t++) pm_dev_pick_phase(p, st, &db, t);
  argmin(db.d, db.idx, D);
  for (int t = 0; t < D; t++) pm_dev_shape_phase(p, st, &db, t);
  for (int t = 0; t < D; t++) pm_dev_draw_phase(st, &db, t);
  for (int t = 0; t < D; t++) pm_dev_err_phase(st, &db, t);
}

/* ---- the emulated device ---- */

typedef struct {
  PmDevState st;
  PmPool *pool; /* all cores: the emulation is slow enough as it is */
  int climbers_cap;
  unsigned long long synced; /* the model version the state mirrors */
  int valid;
} EmuDevice;

static PmDeviceHandle *emu_open(char *why, size_t len) {
  EmuDevice *d = calloc(1, sizeof *d);
  if (d) d->pool = pm_pool_new(0);
  if (!d || !d->pool) {
    free(d);
    snprintf(why, len, "out of memory");
    return NULL;
  }
  return (PmDeviceHandle *)d;
}

static void emu_free_images(EmuDevice *d) {
  free(d->st.target), free(d->st.canvas), free(d->st.sums);
  d->st.target = d->st.canvas = NULL;
  d->st.sums = NULL;
}

static void emu_close(PmDeviceHandle *h) {
  EmuDevice *d = (EmuDevice *)h;
  if (!d) return;
  emu_free_images(d);
  free(d->st.err), free(d->st.climbs), free(d->st.pick);
  pm_pool_free(d->pool);
  free(d);
}

static int emu_ensure(EmuDevice *d, int w, int h, int climbers) {
  if (d->st.w != w || d->st.h != h || !d->st.target) {
    emu_free_images(d);
    d->valid = 0;
    d->st.w = w, d->st.h = h;
    d->st.target = malloc((size_t)w * h * 3);
    d->st.canvas = malloc((size_t)w * h * 3);
    d->st.sums = malloc(sizeof(PmSums) * (size_t)(w + 1) * h);
  }
  if (!d->st.err) d->st.err = calloc(1, sizeof *d->st.err);
  if (!d->st.pick) d->st.pick = calloc(1, sizeof *d->st.pick);
  if (climbers > d->climbers_cap) {
    free(d->st.climbs);
    d->st.climbs = malloc(sizeof *d->st.climbs * (size_t)climbers);
    d->climbers_cap = d->st.climbs ? climbers : 0;
  }
  return d->st.target && d->st.canvas && d->st.sums && d->st.err && d->st.pick && d->st.climbs ? 0 : -1;
}

static int emu_search(PmDeviceHandle *h, const PmSearchView *v, PmShape *out, double *delta, uint64_t *evals,
                      char *err, size_t len) {
  EmuDevice *d = (EmuDevice *)h;
  PmDevParams p = pm_dev_params(v);
  if (emu_ensure(d, v->w, v->h, p.climbers) < 0) {
    d->valid = 0;
    snprintf(err, len, "out of memory for the emulated device");
    return -1;
  }
  if (!d->valid || d->synced != v->version) { /* the model changed its canvas or target itself */
    memcpy(d->st.target, v->target, (size_t)v->w * v->h * 3);
    memcpy(d->st.canvas, v->canvas, (size_t)v->w * v->h * 3);
    for (int y = 0; y < v->h; y++) pm_dev_sums_row(&d->st, y);
    *d->st.err = v->err;
  }
  pm_dev_emulate_step(&p, &d->st, d->pool);
  *out = d->st.pick->shape;
  *delta = d->st.pick->delta;
  *evals = d->st.pick->evals;
  d->synced = v->version + 1; /* the model draws the same shape next */
  d->valid = 1;
  return 0;
}

static const char *emu_describe(PmDeviceHandle *h) {
  (void)h;
  return "the CUDA search emulated on the CPU";
}

static int emu_render(PmDeviceHandle *h, const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh,
                      PmFrame *out, char *err, size_t len) {
  EmuDevice *d = (EmuDevice *)h;
  PmGeo *geo = malloc(sizeof *geo * (size_t)(n > 0 ? n : 1));
  PmRenderArgs a;
  int r = -1;
  if (geo) {
    for (int i = 0; i < n; i++) pm_shape_geometry(&shapes[i], &geo[i]);
    r = pm_render_args(&a, shapes, geo, n, bg, ww, wh, out) == 0 ? pm_render_emulate(&a, d->pool) : -1;
  }
  if (r < 0) snprintf(err, len, "emulated render: out of memory or bad arguments");
  free(geo);
  return r;
}

static int emu_downscale(PmDeviceHandle *h, const PmFrame *f, int ww, int wh, uint8_t *rgb, char *err, size_t len) {
  (void)h;
  PmDownArgs a;
  void *block;
  size_t bytes;
  float *mid = malloc(sizeof(float) * 3 * (size_t)ww * f->height);
  int r = mid && pm_down_args(&a, f, ww, wh, &block, &bytes) == 0 ? 0 : -1;
  if (r == 0) {
    a.mid = mid, a.out = rgb;
    pm_down_emulate(&a);
    free(block);
  } else {
    snprintf(err, len, "emulated downscale: out of memory");
  }
  free(mid);
  return r;
}

const PmDevState *pm_emulated_state(const PmDeviceHandle *h) { return &((const EmuDevice *)h)->st; }

const PmDeviceOps pm_emulated_device_ops = {"emulated", emu_open,     emu_close,    emu_search,
                                                 emu_describe, emu_render, emu_downscale};
