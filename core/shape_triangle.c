/* Triangle: three free vertices; thin slivers are rejected as primitive does. */
#include "internal.h"

static void triangle_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  for (int i = 1; i < 3; i++) {
    s->p[2 * i] = s->p[0] + (pm_rng_float(r) * 31.0f - 15.0f) * u;
    s->p[2 * i + 1] = s->p[1] + (pm_rng_float(r) * 31.0f - 15.0f) * u;
    pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
  }
}

static void triangle_mutate(PmShape *s, PmRng *r, int w, int h) {
  float step = 16.0f * pm_unit(w, h);
  int i = pm_rng_int(r, 3);
  s->p[2 * i] += pm_rng_normal(r) * step;
  s->p[2 * i + 1] += pm_rng_normal(r) * step;
  pm_clamp_point(&s->p[2 * i], &s->p[2 * i + 1], w, h);
}

/* Every angle above 15 degrees. */
static int triangle_valid(const PmShape *s) {
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

static void triangle_geometry(const PmShape *s, PmGeo *g) {
  g->type = PM_GEO_CONVEX;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_CONVEX, s->p, 3);
  pm_geo_finish(g);
}

static int triangle_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  return snprintf(buf, len, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  s->p[0], s->p[1], s->p[2], s->p[3], s->p[4], s->p[5], color, op);
}

const PmShapeOps pm_triangle_ops = {triangle_random, triangle_mutate, triangle_valid,
                                    triangle_geometry, triangle_svg};
