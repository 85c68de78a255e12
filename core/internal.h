/* Internal interfaces of the core: random numbers, the geometric forms every shape kind
 * reduces to, scanline spans and the per-kind operations. */
#ifndef PM_INTERNAL_H
#define PM_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "primitive.h"
#include "raster.h"

#define PM_PI 3.14159265358979323846

/* ---- random numbers: xorshift64*, seeded through splitmix64 so nearby seeds diverge ---- */
typedef struct { uint64_t s; } PmRng;

static inline uint64_t pm_mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static inline void pm_rng_seed(PmRng *r, uint64_t a, uint64_t b, uint64_t c) {
  r->s = pm_mix64(pm_mix64(pm_mix64(a) ^ b) ^ c) | 1;
}
static inline uint64_t pm_rng_next(PmRng *r) {
  r->s ^= r->s >> 12; r->s ^= r->s << 25; r->s ^= r->s >> 27;
  return r->s * 0x2545f4914f6cdd1dULL;
}
static inline float pm_rng_float(PmRng *r) { /* [0, 1) */
  return (float)(pm_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}
static inline int pm_rng_int(PmRng *r, int n) { /* [0, n) */
  return (int)(((pm_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
/* Irwin-Hall approximation of a standard normal: cheap and bounded (|x| < 3.5). */
static inline float pm_rng_normal(PmRng *r) {
  return (pm_rng_float(r) + pm_rng_float(r) + pm_rng_float(r) + pm_rng_float(r) - 2.0f) * 1.7320508f;
}

static inline float pm_clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }
static inline int pm_clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* ---- geometry and scanline spans: core/raster.h (shared with the CUDA kernels) ---- */
void pm_piece_polygon(PmPiece *p, int type, const float *xy, int n);
void pm_piece_ellipse(PmPiece *p, float cx, float cy, float rx, float ry, float angle_deg);
void pm_geo_finish(PmGeo *g);
/* x-intervals of the geometry on the horizontal line at y, sorted and disjoint, as
 * xs[2i], xs[2i+1]. Returns the number of intervals. */
int pm_geo_intervals(const PmGeo *g, float y, float *xs);
/* Pixel centres inside the geometry, clipped to w x h. `spans` must hold h * PM_MAX_INTERVALS. */
int pm_geo_spans(const PmGeo *g, int w, int h, PmSpan *spans);

/* ---- shape kinds ---- */
typedef struct {
  void (*random)(PmShape *s, PmRng *r, int w, int h);
  void (*mutate)(PmShape *s, PmRng *r, int w, int h);
  int (*valid)(const PmShape *s);
  void (*geometry)(const PmShape *s, PmGeo *g);
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
/* Scale of mutation steps: primitive's constants are tuned for a 256 px working size. */
static inline float pm_unit(int w, int h) { return (float)(w > h ? w : h) / 256.0f; }
/* Free points may leave the image by a margin, as primitive allows, so shapes can reach edges. */
static inline void pm_clamp_point(float *x, float *y, int w, int h) {
  float m = 16.0f * pm_unit(w, h);
  *x = pm_clampf(*x, -m, (float)w + m);
  *y = pm_clampf(*y, -m, (float)h + m);
}

/* Applies x' = a0 + a1 x + a2 y, y' = a3 + a4 x + a5 y to the shape: points move, sizes scale
 * by the map's area scale (per axis for axis-aligned ellipses) and angles turn with it. */
void pm_shape_transform(PmShape *s, const float a[6]);

/* ---- motion between consecutive working images (motion.c) ---- */
/* Per-block translations (pixels) left after the global motion, on the previous image's blocks
 * of bs x bs pixels: block (i, j) is dx[j * bw + i]. */
typedef struct { int bs, bw, bh; float *dx, *dy; } PmMotionField;
typedef struct PmMotion PmMotion;
PmMotion *pm_motion_new(int w, int h);
void pm_motion_free(PmMotion *mo);
int pm_motion_block(int w, int h);
/* Motion from prev to cur (RGB, the size given to pm_motion_new): the global affine map into a
 * (identity when nothing clearly moved) and the residual block field. */
const PmMotionField *pm_motion_estimate(PmMotion *mo, const uint8_t *prev, const uint8_t *cur, float a[6]);
/* The residual translation of a shape covering these spans (of the previous image): the
 * pixel-weighted median of its blocks' translations, zero when most of it lies on blocks that
 * did not move. `weights` holds bw * bh ints of scratch. */
void pm_motion_shape_offset(const PmMotionField *f, const PmSpan *sp, int nspans, int *weights, float *dx,
                            float *dy);

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
const void *pm_model_sums(const PmModel *m); /* PmSums, (w + 1) per row */

#endif
