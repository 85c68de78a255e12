/* Quadratic Bézier stroked with round caps: the union of a thick polyline's segments and of
 * discs at its joints, which is exactly the stroke of that polyline. */
#include "internal.h"

static void bezier_random(PmShape *s, PmRng *r, int w, int h) {
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

static void bezier_mutate(PmShape *s, PmRng *r, int w, int h) {
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
static int bezier_valid(const PmShape *s) {
  const float *p = s->p;
  float d12 = hypotf(p[2] - p[0], p[3] - p[1]), d23 = hypotf(p[4] - p[2], p[5] - p[3]);
  float d13 = hypotf(p[4] - p[0], p[5] - p[1]);
  return d13 > d12 && d13 > d23 && p[6] > 0.0f;
}

static void bezier_geometry(const PmShape *s, PmGeo *g) {
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
    float dx = px[i + 1] - px[i], dy = py[i + 1] - py[i], l = hypotf(dx, dy);
    if (l < 1e-6f) continue;
    float nx = -dy / l * r, ny = dx / l * r;
    float q[8] = {px[i] + nx, py[i] + ny, px[i + 1] + nx, py[i + 1] + ny,
                  px[i + 1] - nx, py[i + 1] - ny, px[i] - nx, py[i] - ny};
    pm_piece_polygon(&g->pieces[g->npieces++], PM_GEO_CONVEX, q, 4);
  }
  pm_geo_finish(g);
}

static int bezier_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  return snprintf(buf, len,
                  "<path d=\"M%.2f %.2fQ%.2f %.2f %.2f %.2f\" fill=\"none\" stroke=\"%s\" stroke-opacity=\"%.4f\" stroke-width=\"%.2f\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>",
                  s->p[0], s->p[1], s->p[2], s->p[3], s->p[4], s->p[5], color, op, s->p[6]);
}

const PmShapeOps pm_bezier_ops = {bezier_random, bezier_mutate, bezier_valid, bezier_geometry, bezier_svg};
