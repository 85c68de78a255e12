/* Axis-aligned rectangle (two corners) and rotated rectangle (centre, size, angle). */
#include "internal.h"

static void rect_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  s->p[2] = pm_clampf(s->p[0] + (pm_rng_float(r) * 32.0f + 1.0f) * u, 0.0f, (float)w);
  s->p[3] = pm_clampf(s->p[1] + (pm_rng_float(r) * 32.0f + 1.0f) * u, 0.0f, (float)h);
}

static void rect_mutate(PmShape *s, PmRng *r, int w, int h) {
  float step = 16.0f * pm_unit(w, h);
  int i = pm_rng_int(r, 2);
  s->p[2 * i] = pm_clampf(s->p[2 * i] + pm_rng_normal(r) * step, 0.0f, (float)w);
  s->p[2 * i + 1] = pm_clampf(s->p[2 * i + 1] + pm_rng_normal(r) * step, 0.0f, (float)h);
}

static int rect_valid(const PmShape *s) { return s->p[0] != s->p[2] && s->p[1] != s->p[3]; }

static void rect_geometry(const PmShape *s, PmGeo *g) {
  float xy[8] = {s->p[0], s->p[1], s->p[2], s->p[1], s->p[2], s->p[3], s->p[0], s->p[3]};
  g->type = PM_GEO_CONVEX;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_CONVEX, xy, 4);
  pm_geo_finish(g);
}

static int rect_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  float x = fminf(s->p[0], s->p[2]), y = fminf(s->p[1], s->p[3]);
  return snprintf(buf, len, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  x, y, fabsf(s->p[2] - s->p[0]), fabsf(s->p[3] - s->p[1]), color, op);
}

const PmShapeOps pm_rectangle_ops = {rect_random, rect_mutate, rect_valid, rect_geometry, rect_svg};

static void rrect_random(PmShape *s, PmRng *r, int w, int h) {
  float u = pm_unit(w, h);
  s->p[0] = pm_rng_float(r) * (float)w;
  s->p[1] = pm_rng_float(r) * (float)h;
  s->p[2] = (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[3] = (pm_rng_float(r) * 32.0f + 1.0f) * u;
  s->p[4] = pm_rng_float(r) * 360.0f;
}

static void rrect_mutate(PmShape *s, PmRng *r, int w, int h) {
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
static int rrect_valid(const PmShape *s) {
  float a = fmaxf(s->p[2], s->p[3]), b = fminf(s->p[2], s->p[3]);
  return b > 0.0f && a <= 5.0f * b;
}

static void rrect_geometry(const PmShape *s, PmGeo *g) {
  float t = s->p[4] * (float)(PM_PI / 180.0), c = cosf(t), sn = sinf(t);
  float hx = 0.5f * s->p[2], hy = 0.5f * s->p[3], xy[8];
  static const float corner[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
  for (int i = 0; i < 4; i++) {
    float x = corner[i][0] * hx, y = corner[i][1] * hy;
    xy[2 * i] = s->p[0] + x * c - y * sn;
    xy[2 * i + 1] = s->p[1] + x * sn + y * c;
  }
  g->type = PM_GEO_CONVEX;
  g->npieces = 1;
  pm_piece_polygon(&g->pieces[0], PM_GEO_CONVEX, xy, 4);
  pm_geo_finish(g);
}

static int rrect_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  return snprintf(buf, len,
                  "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" transform=\"translate(%.2f %.2f) rotate(%.2f)\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  -0.5f * s->p[2], -0.5f * s->p[3], s->p[2], s->p[3], s->p[0], s->p[1], s->p[4], color, op);
}

const PmShapeOps pm_rotated_rectangle_ops = {rrect_random, rrect_mutate, rrect_valid, rrect_geometry,
                                             rrect_svg};
