/* Ellipse (axis-aligned), circle, and rotated ellipse: centre, radii, angle. */
#include "internal.h"

static void ellipse_random_common(PmShape *s, PmRng *r, int w, int h, int circle) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  s->p[2] = (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[3] = circle ? s->p[2] : (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[4] = 0.0f;
}

static void ellipse_random(PmShape *s, PmRng *r, int w, int h) { ellipse_random_common(s, r, w, h, 0); }
static void circle_random(PmShape *s, PmRng *r, int w, int h) { ellipse_random_common(s, r, w, h, 1); }
static void rellipse_random(PmShape *s, PmRng *r, int w, int h) {
  ellipse_random_common(s, r, w, h, 0);
  s->p[4] = pm_rng_float(r) * 360.0f;
}

/* which: 0 move, 1 rx, 2 ry, 3 angle; a circle keeps rx == ry. */
static void ellipse_mutate_common(PmShape *s, PmRng *r, int w, int h, int choices, int circle) {
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

static void ellipse_mutate(PmShape *s, PmRng *r, int w, int h) { ellipse_mutate_common(s, r, w, h, 3, 0); }
static void circle_mutate(PmShape *s, PmRng *r, int w, int h) { ellipse_mutate_common(s, r, w, h, 2, 1); }
static void rellipse_mutate(PmShape *s, PmRng *r, int w, int h) { ellipse_mutate_common(s, r, w, h, 4, 0); }

static int ellipse_valid(const PmShape *s) { return s->p[2] > 0.0f && s->p[3] > 0.0f; }

static void ellipse_geometry(const PmShape *s, PmGeo *g) {
  g->type = PM_GEO_CONIC;
  g->npieces = 1;
  pm_piece_ellipse(&g->pieces[0], s->p[0], s->p[1], s->p[2], s->p[3],
                   s->kind == PM_SHAPE_ROTATED_ELLIPSE ? s->p[4] : 0.0f);
  pm_geo_finish(g);
}

static int ellipse_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  if (s->kind == PM_SHAPE_ROTATED_ELLIPSE)
    return snprintf(buf, len,
                    "<ellipse cx=\"0\" cy=\"0\" rx=\"%.2f\" ry=\"%.2f\" transform=\"translate(%.2f %.2f) rotate(%.2f)\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                    s->p[2], s->p[3], s->p[0], s->p[1], s->p[4], color, op);
  return snprintf(buf, len, "<ellipse cx=\"%.2f\" cy=\"%.2f\" rx=\"%.2f\" ry=\"%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  s->p[0], s->p[1], s->p[2], s->p[3], color, op);
}

const PmShapeOps pm_ellipse_ops = {ellipse_random, ellipse_mutate, ellipse_valid, ellipse_geometry, ellipse_svg};
const PmShapeOps pm_circle_ops = {circle_random, circle_mutate, ellipse_valid, ellipse_geometry, ellipse_svg};
const PmShapeOps pm_rotated_ellipse_ops = {rellipse_random, rellipse_mutate, ellipse_valid, ellipse_geometry,
                                           ellipse_svg};
