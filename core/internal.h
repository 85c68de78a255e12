/* Internal interfaces of the core: scanline spans, the per-kind operations (their search code is
 * in shape_hd.h, random numbers included), the search devices, the worker pool, and model
 * internals for tests. */
#ifndef PM_INTERNAL_H
#define PM_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "primitive.h"
#include "raster.h"
#include "shape_hd.h"

#define PM_PI 3.14159265358979323846

#ifdef __cplusplus /* the CUDA sources include this header too */
extern "C" {
#endif

/* ---- geometry and scanline spans: core/raster.h (shared with the CUDA kernels) ---- */
/* x-intervals of the geometry on the horizontal line at y, sorted and disjoint, as
 * xs[2i], xs[2i+1]. Returns the number of intervals. */
int pm_geo_intervals(const PmGeo *g, float y, float *xs);
/* Pixel centres inside the geometry, clipped to w x h. `spans` must hold h * PM_MAX_INTERVALS. */
int pm_geo_spans(const PmGeo *g, int w, int h, PmSpan *spans);

/* ---- shape kinds: random shapes, mutation and geometry in shape_hd.h (shared with the CUDA
 * kernels); the host-only SVG output here, one per kind in core/shape_<kind>.c ---- */
typedef struct {
  /* One SVG element; `color` is "#rrggbb". */
  int (*svg)(const PmShape *s, char *buf, size_t len, const char *color, float opacity);
} PmShapeOps;

extern const PmShapeOps pm_triangle_ops, pm_rectangle_ops, pm_rotated_rectangle_ops,
    pm_ellipse_ops, pm_circle_ops, pm_rotated_ellipse_ops, pm_bezier_ops, pm_polygon_ops;

const PmShapeOps *pm_shape_ops(PmShapeKind k);
/* A random valid shape of `kind` (PM_SHAPE_ANY picks a kind). */
void pm_shape_random(PmShape *s, PmShapeKind kind, PmRng *r, int w, int h);
/* Mutates until valid (bounded tries; the input is kept when none is). */
void pm_shape_mutate(PmShape *s, PmRng *r, int w, int h);
void pm_shape_geometry(const PmShape *s, PmGeo *g);
/* Moves the whole shape: what following moving content needs, where single-vertex mutations
 * would each have to pay on their own. */
void pm_shape_translate(PmShape *s, float dx, float dy);

/* ---- search devices (core/device.c): the search of cuda/, on a GPU or in its CPU emulation.
 * cuda/ provides the ops through weak symbols, so the core links and runs without it. ---- */
typedef struct { /* what a device search reads from the model */
  int w, h;
  const uint8_t *target, *canvas; /* RGB, w * h */
  int64_t err;
  uint64_t version;               /* changes with every change of the target or the canvas */
  PmShapeKind kind;
  int alpha;                      /* 0: chosen per shape */
  uint64_t seed, round;
  int climbs, candidates, max_age;
} PmSearchView;

typedef struct PmDeviceHandle PmDeviceHandle;
typedef struct {
  const char *name;
  /* NULL with the reason in why when the device cannot run here. */
  PmDeviceHandle *(*open)(char *why, size_t len);
  void (*close)(PmDeviceHandle *d);
  /* One search step: the best shape (colour solved, opacity set) and its error change, which the
   * device has already drawn on its own canvas; the model draws it on its canvas next, with the
   * same code. Returns 0, or -1 with a message. */
  int (*search)(PmDeviceHandle *d, const PmSearchView *v, PmShape *out, double *delta, uint64_t *evals, char *err,
                size_t len);
  const char *(*describe)(PmDeviceHandle *d); /* e.g. the GPU's name */
  /* pm_render_shapes() on the device, the same bytes: 0, or -1 with a message (the caller then
   * renders on the CPU). */
  int (*render)(PmDeviceHandle *d, const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh, PmFrame *out,
                char *err, size_t len);
  /* The input frame down to ww x wh RGB (frame.c's pm_frame_downscale(), the same bytes): 0, or
   * -1 with a message (the caller then downscales on the CPU). */
  int (*downscale)(PmDeviceHandle *d, const PmFrame *f, int ww, int wh, uint8_t *rgb, char *err, size_t len);
} PmDeviceOps;

extern const PmDeviceOps pm_cuda_device_ops __attribute__((weak));
extern const PmDeviceOps pm_emulated_device_ops __attribute__((weak));

/* Opens what `kind` asks for: 0 with *ops and *dev set (both NULL for the CPU; `note` says where
 * the search runs and, after AUTO fell back, why), or -1 with the reason in note. */
int pm_device_open(PmDevice kind, const PmDeviceOps **ops, PmDeviceHandle **dev, char *note, size_t len);
/* Sub-scanlines per output row of the anti-aliased render, on the CPU and on the device alike
 * (the two give the same bytes). */
#define PM_RENDER_SUBROWS 4

/* Narrows [*xa, *xb) (a shape's box, in output pixels) to the pixels of one output row that its
 * sub-scanline intervals xs (k[j] of them on sub-scanline j, in working pixels; sx output pixels
 * per working pixel) can cover: the others get no coverage. */
static inline PM_HD void pm_render_row_extent(const float xs[PM_RENDER_SUBROWS][2 * PM_MAX_INTERVALS],
                                              const int k[PM_RENDER_SUBROWS], float sx, int w, int *xa, int *xb) {
  float first = 1e30f, last = -1e30f;
  for (int j = 0; j < PM_RENDER_SUBROWS; j++)
    if (k[j]) {
      float a = xs[j][0] * sx, b = xs[j][2 * k[j] - 1] * sx; /* as fminf/fmaxf, without a libm call */
      first = a < first ? a : first;
      last = b > last ? b : last;
    }
  int ea = pm_clamp_to_int(floorf(first), w), eb = pm_clamp_to_int(ceilf(last), w);
  *xa = ea > *xa ? ea : *xa, *xb = eb < *xb ? eb : *xb;
}

/* pm_render() on the model's device: 0, or -1 when the model has none or it failed. */
int pm_device_render(const PmModel *m, PmFrame *out);

/* A video's last rendered frame and the shapes it shows. pm_render_reusing() renders only the
 * rows where a shape appeared, went or changed since then, and copies the others from the
 * previous frame: the same bytes as pm_render(), for a fraction of the work when most shapes
 * hold still (a fixed camera, a settled picture). */
typedef struct PmRenderCache PmRenderCache;
PmRenderCache *pm_render_cache_new(void);
void pm_render_cache_free(PmRenderCache *c);
int pm_render_reusing(const PmModel *m, PmFrame *out, PmRenderCache *c);
int pm_render_cache_rows_rendered(const PmRenderCache *c); /* by the last call, for tests */

/* Applies x' = a0 + a1 x + a2 y, y' = a3 + a4 x + a5 y to the shape: points move, sizes scale
 * by the map's area scale (per axis for axis-aligned ellipses) and angles turn with it. */
void pm_shape_transform(PmShape *s, const float a[6]);

/* ---- motion between consecutive working images (motion.c) ---- */
typedef struct PmPool PmPool;
/* Per-block translations (pixels) left after the global motion, on the previous image's blocks
 * of bs x bs pixels: block (i, j) is dx[j * bw + i]. */
typedef struct { int bs, bw, bh; float *dx, *dy; } PmMotionField;
typedef struct PmMotion PmMotion;
PmMotion *pm_motion_new(int w, int h);
void pm_motion_free(PmMotion *mo);
int pm_motion_block(int w, int h);
/* Motion from prev to cur (RGB, the size given to pm_motion_new): the global affine map into a
 * (identity when nothing clearly moved) and the residual block field. */
const PmMotionField *pm_motion_estimate(PmMotion *mo, const uint8_t *prev, const uint8_t *cur, float a[6],
                                        PmPool *pool);
/* The residual translation of a shape covering these spans (of the previous image): the
 * pixel-weighted median of its blocks' translations, zero when most of it lies on blocks that
 * did not move. `weights` holds bw * bh ints of scratch. */
void pm_motion_shape_offset(const PmMotionField *f, const PmSpan *sp, int nspans, int *weights, float *dx,
                            float *dy);
/* What the motion (a and f from pm_motion_estimate) leaves unexplained of the change from prev to
 * cur (RGB, w x h): per pixel of cur, the mean absolute difference over channels from the pixel
 * of prev it came from, the largest in its 3 x 3 neighbourhood. `tmp` holds w * h floats; bands of
 * rows on the pool. */
void pm_motion_unexplained(const PmMotionField *f, const float a[6], const uint8_t *prev, const uint8_t *cur, int w,
                           int h, float *out, float *tmp, PmPool *pool);

/* ---- worker pool ---- */
typedef struct PmPool PmPool;
typedef void (*PmTaskFn)(void *ctx, int task, int worker);
PmPool *pm_pool_new(int threads);
void pm_pool_free(PmPool *p);
int pm_pool_size(const PmPool *p);
/* Runs fn(ctx, t, worker) for t in [0, ntasks) and returns when all are done. */
void pm_pool_run(PmPool *p, int ntasks, PmTaskFn fn, void *ctx);
int pm_cpu_count(void);
PmPool *pm_model_pool(const PmModel *m);

/* Another flag (set from any thread) that stops this model's searches, as pm_model_interrupt()
 * does: the video session's, which outlives its models. */
#ifndef __cplusplus /* the CUDA sources include this header as C++ */
#include <stdatomic.h>
void pm_model_set_stop_flag(PmModel *m, const atomic_int *flag);
#endif

/* pm_model_set_target() without the replay of the shapes: canvas, error and contributions are
 * stale until the pm_model_reset() or pm_model_warm_start() that must follow (the video
 * session always does one of them, so it skips a redraw per frame). */
int pm_model_load_target(PmModel *m, const PmFrame *f, char *err, size_t errlen);

/* ---- model internals, for tests ---- */
/* Solves s's colour (into s->rgba, alpha taken from s->rgba[3]) and returns the predicted
 * change of the squared error if s were added. */
double pm_model_eval(PmModel *m, PmShape *s);
void pm_model_add(PmModel *m, const PmShape *s);
int64_t pm_model_error(const PmModel *m); /* as maintained incrementally */
const uint8_t *pm_model_target(const PmModel *m);
const void *pm_model_sums(PmModel *m); /* PmSums, (w + 1) per row, brought up to date */
PmDeviceHandle *pm_model_device_handle(const PmModel *m); /* NULL: the search runs on the CPU */
const PmDeviceOps *pm_model_device_ops(const PmModel *m);

#ifdef __cplusplus
}
#endif
#endif
