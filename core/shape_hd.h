/* The shape kinds' random shapes, mutations, validity rules and geometry, compiled for the
 * CPU and for the CUDA kernels (PM_HD): the search runs the same code on both, so a device
 * search can be held bit for bit to its CPU emulation. Dispatch is a switch over the kind, not
 * a table of function pointers, which device code cannot call. The SVG output of each kind is
 * host-only and stays in core/shape_<kind>.c.
 *
 * Floating-point rules for bit-identical results on both sides: IEEE +, -, *, /, sqrt only
 * (kernels are built with --fmad=false), and every sum of random draws sequenced explicitly
 * (the order of evaluation of the operands of + is unspecified in C and C++). */
#ifndef PM_SHAPE_HD_H
#define PM_SHAPE_HD_H

#include <string.h>

#include "primitive.h"
#include "raster.h"

/* ---- random numbers: xorshift64*, seeded through splitmix64 so nearby seeds diverge ---- */
typedef struct { uint64_t s; } PmRng;

static inline PM_HD uint64_t pm_mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static inline PM_HD void pm_rng_seed(PmRng *r, uint64_t a, uint64_t b, uint64_t c) {
  r->s = pm_mix64(pm_mix64(pm_mix64(a) ^ b) ^ c) | 1;
}
static inline PM_HD uint64_t pm_rng_next(PmRng *r) {
  r->s ^= r->s >> 12; r->s ^= r->s << 25; r->s ^= r->s >> 27;
  return r->s * 0x2545f4914f6cdd1dULL;
}
static inline PM_HD float pm_rng_float(PmRng *r) { /* [0, 1) */
  return (float)(pm_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}
static inline PM_HD int pm_rng_int(PmRng *r, int n) { /* [0, n) */
  return (int)(((pm_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
/* Irwin-Hall approximation of a standard normal: cheap and bounded (|x| < 3.5). */
static inline PM_HD float pm_rng_normal(PmRng *r) {
  float a = pm_rng_float(r), b = pm_rng_float(r), c = pm_rng_float(r), d = pm_rng_float(r);
  return (a + b + c + d - 2.0f) * 1.7320508f;
}

static inline PM_HD float pm_clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }
static inline PM_HD int pm_clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Scale of mutation steps: primitive's constants are tuned for a 256 px working size. */
static inline PM_HD float pm_unit(int w, int h) { return (float)(w > h ? w : h) / 256.0f; }
/* Free points may leave the image by a margin, as primitive allows, so shapes can reach edges. */
static inline PM_HD void pm_clamp_point(float *x, float *y, int w, int h) {
  float m = 16.0f * pm_unit(w, h);
  *x = pm_clampf(*x, -m, (float)w + m);
  *y = pm_clampf(*y, -m, (float)h + m);
}

/* ---- triangle: three free vertices; thin slivers are rejected as primitive does ---- */

static inline PM_HD void pm_triangle_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  for (int i = 1; i < 3; i++) {
    s->p[2 * i] = s->p[0] + (pm_rng_float(r) * 31.0f - 15.0f) * u;
    s->p[2 * i + 1] = s->p[1] + (pm_rng_float(r) * 31.0f - 15.0f) * u;
    pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
  }
}

static inline PM_HD void pm_triangle_mutate(PmShape *s, PmRng *r, int w, int h) {
  float step = 16.0f * pm_unit(w, h);
  int i = pm_rng_int(r, 3);
  s->p[2 * i] += pm_rng_normal(r) * step;
  s->p[2 * i + 1] += pm_rng_normal(r) * step;
  pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
}

/* Every angle above 15 degrees. */
static inline PM_HD int pm_triangle_valid(const PmShape *s) {
  const float *p = s->p;
  for (int i = 0; i < 3; i++) {
    int j = (i + 1) % 3, k = (i + 2) % 3;
    float ax = p[2 * j] - p[2 * i], ay = p[2 * j + 1] - p[2 * i + 1];
    float bx = p[2 * k] - p[2 * i], by = p[2 * k + 1] - p[2 * i + 1];
    float la = ax * ax + ay * ay, lb = bx * bx + by * by;
    if (la <= 0.0f || lb <= 0.0f) return 0;
    float c = (ax * bx + ay * by) / sqrtf(la * lb);
    if (c > 0.96592583f) return 0; /* cos(15 deg) */
  }
  return 1;
}

static inline PM_HD void pm_triangle_geometry(const PmShape *s, PmGeo *g) {
  g->type = PM_GEO_CONVEX;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_CONVEX, s->p, 3);
  pm_geo_finish(g);
}

/* ---- axis-aligned rectangle: two corners ---- */

static inline PM_HD void pm_rect_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  s->p[2] = pm_clampf(s->p[0] + (pm_rng_float(r) * 32.0f + 1.0f) * u, 0.0f, (float)w);
  s->p[3] = pm_clampf(s->p[1] + (pm_rng_float(r) * 32.0f + 1.0f) * u, 0.0f, (float)h);
}

static inline PM_HD void pm_rect_mutate(PmShape *s, PmRng *r, int w, int h) {
  float step = 16.0f * pm_unit(w, h);
  int i = pm_rng_int(r, 2);
  s->p[2 * i] = pm_clampf(s->p[2 * i] + pm_rng_normal(r) * step, 0.0f, (float)w);
  s->p[2 * i + 1] = pm_clampf(s->p[2 * i + 1] + pm_rng_normal(r) * step, 0.0f, (float)h);
}

static inline PM_HD int pm_rect_valid(const PmShape *s) { return s->p[0] != s->p[2] && s->p[1] != s->p[3]; }

static inline PM_HD void pm_rect_geometry(const PmShape *s, PmGeo *g) {
  float xy[8] = {s->p[0], s->p[1], s->p[2], s->p[1], s->p[2], s->p[3], s->p[0], s->p[3]};
  g->type = PM_GEO_CONVEX;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_CONVEX, xy, 4);
  pm_geo_finish(g);
}

/* ---- rotated rectangle: centre, size, angle ---- */

static inline PM_HD void pm_rrect_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  s->p[2] = (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[3] = (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[4] = pm_rng_float(r) * 360.0f;
}

static inline PM_HD void pm_rrect_mutate(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h), step = 16.0f * u, big = (float)(w > h ? w : h);
  switch (pm_rng_int(r, 3)) {
  case 0:
    s->p[0] = pm_clampf(s->p[0] + pm_rng_normal(r) * step, 0.0f, (float)w);
    s->p[1] = pm_clampf(s->p[1] + pm_rng_normal(r) * step, 0.0f, (float)h);
    break;
  case 1:
    s->p[2] = pm_clampf(s->p[2] + pm_rng_normal(r) * step, u, big);
    s->p[3] = pm_clampf(s->p[3] + pm_rng_normal(r) * step, u, big);
    break;
  default:
    s->p[4] = fmodf(s->p[4] + pm_rng_normal(r) * 32.0f + 360.0f, 360.0f);
  }
}

/* Aspect ratio at most 5, as primitive. */
static inline PM_HD int pm_rrect_valid(const PmShape *s) {
  float a = fmaxf(s->p[2], s->p[3]), b = fminf(s->p[2], s->p[3]);
  return b > 0.0f && a <= 5.0f * b;
}

static inline PM_HD void pm_rrect_geometry(const PmShape *s, PmGeo *g) {
  float t = s->p[4] * (float)(PM_RASTER_PI / 180.0), c = pm_cosf(t), sn = pm_sinf(t);
  float hx = 0.5f * s->p[2], hy = 0.5f * s->p[3], xy[8];
  for (int i = 0; i < 4; i++) {
    /* corners (-1,-1), (1,-1), (1,1), (-1,1) */
    float x = (i == 1 || i == 2 ? 1.0f : -1.0f) * hx, y = (i >= 2 ? 1.0f : -1.0f) * hy;
    xy[2 * i] = s->p[0] + x * c - y * sn;
    xy[2 * i + 1] = s->p[1] + x * sn + y * c;
  }
  g->type = PM_GEO_CONVEX;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_CONVEX, xy, 4);
  pm_geo_finish(g);
}

/* ---- ellipse (axis-aligned), circle, rotated ellipse: centre, radii, angle ---- */

static inline PM_HD void pm_ellipse_random(PmShape *s, PmRng *r, int w, int h, int circle, int rotated) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  s->p[2] = (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[3] = circle ? s->p[2] : (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[4] = rotated ? pm_rng_float(r) * 360.0f : 0.0f;
}

/* choices: 0 move, 1 rx, 2 ry, 3 angle; a circle (2 choices) keeps rx == ry. */
static inline PM_HD void pm_ellipse_mutate(PmShape *s, PmRng *r, int w, int h, int choices, int circle) {
  float u = pm_unit(w, h), step = 16.0f * u, big = (float)(w > h ? w : h);
  switch (pm_rng_int(r, choices)) {
  case 0:
    s->p[0] = pm_clampf(s->p[0] + pm_rng_normal(r) * step, 0.0f, (float)w);
    s->p[1] = pm_clampf(s->p[1] + pm_rng_normal(r) * step, 0.0f, (float)h);
    break;
  case 1:
    s->p[2] = pm_clampf(s->p[2] + pm_rng_normal(r) * step, u, big);
    if (circle) s->p[3] = s->p[2];
    break;
  case 2:
    s->p[3] = pm_clampf(s->p[3] + pm_rng_normal(r) * step, u, big);
    break;
  default:
    s->p[4] = fmodf(s->p[4] + pm_rng_normal(r) * 32.0f + 360.0f, 360.0f);
  }
}

static inline PM_HD int pm_ellipse_valid(const PmShape *s) { return s->p[2] > 0.0f && s->p[3] > 0.0f; }

static inline PM_HD void pm_ellipse_geometry(const PmShape *s, PmGeo *g, int rotated) {
  g->type = PM_GEO_CONIC;
  g->npieces = 1;
  pm_piece_ellipse(&g->pieces[0], s->p[0], s->p[1], s->p[2], s->p[3], rotated ? s->p[4] : 0.0f);
  pm_geo_finish(g);
}

/* ---- quadratic Bézier stroked with round caps: the union of a thick polyline's segments and
 * of discs at its joints, which is exactly the stroke of that polyline ---- */

static inline PM_HD void pm_bezier_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  for (int i = 1; i < 3; i++) {
    s->p[2 * i] = s->p[2 * i - 2] + (pm_rng_float(r) * 40.0f - 20.0f) * u;
    s->p[2 * i + 1] = s->p[2 * i - 1] + (pm_rng_float(r) * 40.0f - 20.0f) * u;
    pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
  }
  s->p[6] = u;
}

static inline PM_HD void pm_bezier_mutate(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h), step = 8.0f * u;
  int i = pm_rng_int(r, 4);
  if (i == 3) {
    s->p[6] = pm_clampf(s->p[6] + pm_rng_normal(r) * u, u, 16.0f * u);
    return;
  }
  s->p[2 * i] += pm_rng_normal(r) * step;
  s->p[2 * i + 1] += pm_rng_normal(r) * step;
  pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
}

/* The control point may not fold the curve back: the ends are farther apart than either is
 * from the control point. */
static inline PM_HD int pm_bezier_valid(const PmShape *s) {
  const float *p = s->p;
  float d12 = pm_hypotf(p[2] - p[0], p[3] - p[1]), d23 = pm_hypotf(p[4] - p[2], p[5] - p[3]);
  float d13 = pm_hypotf(p[4] - p[0], p[5] - p[1]);
  return d13 > d12 && d13 > d23 && p[6] > 0.0f;
}

static inline PM_HD void pm_bezier_geometry(const PmShape *s, PmGeo *g) {
  const float *p = s->p;
  float r = 0.5f * p[6], px[PM_BEZIER_SEGMENTS + 1], py[PM_BEZIER_SEGMENTS + 1];
  for (int i = 0; i <= PM_BEZIER_SEGMENTS; i++) {
    float t = (float)i / PM_BEZIER_SEGMENTS, a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t;
    px[i] = a * p[0] + b * p[2] + c * p[4];
    py[i] = a * p[1] + b * p[3] + c * p[5];
  }
  g->type = PM_GEO_UNION;
  g->npieces = 0;
  for (int i = 0; i <= PM_BEZIER_SEGMENTS; i++) {
    pm_piece_ellipse(&g->pieces[g->npieces++], px[i], py[i], r, r, 0.0f);
    if (i == PM_BEZIER_SEGMENTS) break;
    float dx = px[i + 1] - px[i], dy = py[i + 1] - py[i], l = pm_hypotf(dx, dy);
    if (l < 1e-6f) continue;
    float nx = -dy / l * r, ny = dx / l * r;
    float q[8] = {px[i] + nx, py[i] + ny, px[i + 1] + nx, py[i + 1] + ny,
                  px[i + 1] - nx, py[i + 1] - ny, px[i] - nx, py[i] - ny};
    pm_piece_polygon(&g->pieces[g->npieces++], PM_GEO_CONVEX, q, 4);
  }
  pm_geo_finish(g);
}

/* ---- polygon of four free points, filled with the non-zero rule (it may self-intersect) ---- */

static inline PM_HD void pm_polygon_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  for (int i = 1; i < 4; i++) {
    s->p[2 * i] = s->p[0] + (pm_rng_float(r) * 40.0f - 20.0f) * u;
    s->p[2 * i + 1] = s->p[1] + (pm_rng_float(r) * 40.0f - 20.0f) * u;
    pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
  }
}

static inline PM_HD void pm_polygon_mutate(PmShape *s, PmRng *r, int w, int h) {
  if (pm_rng_float(r) < 0.25f) { /* reorder: turns a bow-tie into a quad and back */
    int i = pm_rng_int(r, 4), j = pm_rng_int(r, 4);
    float x = s->p[2 * i], y = s->p[2 * i + 1];
    s->p[2 * i] = s->p[2 * j];
    s->p[2 * i + 1] = s->p[2 * j + 1];
    s->p[2 * j] = x;
    s->p[2 * j + 1] = y;
    return;
  }
  float step = 16.0f * pm_unit(w, h);
  int i = pm_rng_int(r, 4);
  s->p[2 * i] += pm_rng_normal(r) * step;
  s->p[2 * i + 1] += pm_rng_normal(r) * step;
  pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
}

static inline PM_HD void pm_polygon_geometry(const PmShape *s, PmGeo *g) {
  g->type = PM_GEO_NONZERO;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_NONZERO, s->p, 4);
  pm_geo_finish(g);
}

/* ---- dispatch over the kind ----
 * The _as forms take the kind apart from the shape, so that a kernel built for one kind (a
 * constant) folds the switch away; the others read it from the shape. */

static inline PM_HD int pm_shape_valid_as(const PmShape *s, int kind) {
  switch (kind) {
  case PM_SHAPE_TRIANGLE: return pm_triangle_valid(s);
  case PM_SHAPE_RECTANGLE: return pm_rect_valid(s);
  case PM_SHAPE_ROTATED_RECTANGLE: return pm_rrect_valid(s);
  case PM_SHAPE_ELLIPSE: case PM_SHAPE_CIRCLE: case PM_SHAPE_ROTATED_ELLIPSE: return pm_ellipse_valid(s);
  case PM_SHAPE_BEZIER: return pm_bezier_valid(s);
  default: return 1; /* polygon: any four points */
  }
}

/* A random valid shape of `kind` (PM_SHAPE_ANY, or any value out of range, picks a kind). */
static inline PM_HD void pm_shape_random_hd(PmShape *s, PmShapeKind kind, PmRng *r, int w, int h) {
  if (kind <= PM_SHAPE_ANY || kind >= PM_SHAPE_KIND_COUNT) kind = (PmShapeKind)(1 + pm_rng_int(r, 8));
  for (int i = 0; i < 8; i++) s->p[i] = 0.0f;
  s->kind = kind;
  for (int tries = 0; tries < 1000; tries++) {
    switch (kind) {
    case PM_SHAPE_TRIANGLE: pm_triangle_random(s, r, w, h); break;
    case PM_SHAPE_RECTANGLE: pm_rect_random(s, r, w, h); break;
    case PM_SHAPE_ROTATED_RECTANGLE: pm_rrect_random(s, r, w, h); break;
    case PM_SHAPE_ELLIPSE: pm_ellipse_random(s, r, w, h, 0, 0); break;
    case PM_SHAPE_CIRCLE: pm_ellipse_random(s, r, w, h, 1, 0); break;
    case PM_SHAPE_ROTATED_ELLIPSE: pm_ellipse_random(s, r, w, h, 0, 1); break;
    case PM_SHAPE_BEZIER: pm_bezier_random(s, r, w, h); break;
    default: pm_polygon_random(s, r, w, h);
    }
    if (pm_shape_valid_as(s, kind)) return;
  }
}

/* Mutates until valid (bounded tries; the input is kept when none is). `kind` is s->kind. */
static inline PM_HD void pm_shape_mutate_as(PmShape *s, int kind, PmRng *r, int w, int h) {
  PmShape orig = *s;
  for (int tries = 0; tries < 100; tries++) {
    switch (kind) {
    case PM_SHAPE_TRIANGLE: pm_triangle_mutate(s, r, w, h); break;
    case PM_SHAPE_RECTANGLE: pm_rect_mutate(s, r, w, h); break;
    case PM_SHAPE_ROTATED_RECTANGLE: pm_rrect_mutate(s, r, w, h); break;
    case PM_SHAPE_ELLIPSE: pm_ellipse_mutate(s, r, w, h, 3, 0); break;
    case PM_SHAPE_CIRCLE: pm_ellipse_mutate(s, r, w, h, 2, 1); break;
    case PM_SHAPE_ROTATED_ELLIPSE: pm_ellipse_mutate(s, r, w, h, 4, 0); break;
    case PM_SHAPE_BEZIER: pm_bezier_mutate(s, r, w, h); break;
    case PM_SHAPE_POLYGON: pm_polygon_mutate(s, r, w, h); break;
    default: return;
    }
    if (pm_shape_valid_as(s, kind)) return;
    *s = orig;
  }
}

/* `kind` is s->kind. */
static inline PM_HD void pm_shape_geometry_as(const PmShape *s, int kind, PmGeo *g) {
  switch (kind) {
  case PM_SHAPE_TRIANGLE: pm_triangle_geometry(s, g); break;
  case PM_SHAPE_RECTANGLE: pm_rect_geometry(s, g); break;
  case PM_SHAPE_ROTATED_RECTANGLE: pm_rrect_geometry(s, g); break;
  case PM_SHAPE_ELLIPSE: case PM_SHAPE_CIRCLE: pm_ellipse_geometry(s, g, 0); break;
  case PM_SHAPE_ROTATED_ELLIPSE: pm_ellipse_geometry(s, g, 1); break;
  case PM_SHAPE_BEZIER: pm_bezier_geometry(s, g); break;
  case PM_SHAPE_POLYGON: pm_polygon_geometry(s, g); break;
  default: /* no such kind: covers nothing */
    g->type = PM_GEO_UNION;
    g->npieces = 0;
    pm_geo_finish(g);
  }
}

static inline PM_HD void pm_shape_mutate_hd(PmShape *s, PmRng *r, int w, int h) {
  pm_shape_mutate_as(s, s->kind, r, w, h);
}
static inline PM_HD void pm_shape_geometry_hd(const PmShape *s, PmGeo *g) { pm_shape_geometry_as(s, s->kind, g); }

/* The search's opacity mutation when alpha is chosen per shape. */
static inline PM_HD void pm_mutate_alpha(PmShape *s, PmRng *r, int auto_alpha) {
  if (auto_alpha) s->rgba[3] = (uint8_t)pm_clampi(s->rgba[3] + pm_rng_int(r, 21) - 10, 1, 255);
}

#endif
