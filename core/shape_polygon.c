/* Polygon of four free points, filled with the non-zero rule (it may self-intersect). */
#include "internal.h"

static void polygon_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  for (int i = 1; i < 4; i++) {
    s->p[2 * i] = s->p[0] + (pm_rng_float(r) * 40.0f - 20.0f) * u;
    s->p[2 * i + 1] = s->p[1] + (pm_rng_float(r) * 40.0f - 20.0f) * u;
    pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
  }
}

static void polygon_mutate(PmShape *s, PmRng *r, int w, int h) {
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

static int polygon_valid(const PmShape *s) { (void)s; return 1; }

static void polygon_geometry(const PmShape *s, PmGeo *g) {
  g->type = PM_GEO_NONZERO;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_NONZERO, s->p, 4);
  pm_geo_finish(g);
}

static int polygon_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  const float *p = s->p;
  return snprintf(buf, len, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], color, op);
}

const PmShapeOps pm_polygon_ops = {polygon_random, polygon_mutate, polygon_valid, polygon_geometry, polygon_svg};
