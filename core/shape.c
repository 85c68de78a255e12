/* Dispatch over shape kinds, and the "any" kind. */
#include <string.h>

#include "internal.h"

const PmShapeOps *pm_shape_ops(PmShapeKind k) {
  switch (k) {
  case PM_SHAPE_TRIANGLE: return &pm_triangle_ops;
  case PM_SHAPE_RECTANGLE: return &pm_rectangle_ops;
  case PM_SHAPE_ELLIPSE: return &pm_ellipse_ops;
  case PM_SHAPE_CIRCLE: return &pm_circle_ops;
  case PM_SHAPE_ROTATED_RECTANGLE: return &pm_rotated_rectangle_ops;
  case PM_SHAPE_BEZIER: return &pm_bezier_ops;
  case PM_SHAPE_ROTATED_ELLIPSE: return &pm_rotated_ellipse_ops;
  case PM_SHAPE_POLYGON: return &pm_polygon_ops;
  default: return NULL;
  }
}

const char *pm_shape_kind_name(PmShapeKind k) {
  static const char *names[] = {"any", "triangle", "rectangle", "ellipse", "circle",
                                "rotated-rectangle", "bezier", "rotated-ellipse", "polygon"};
  return (unsigned)k < PM_SHAPE_KIND_COUNT ? names[k] : "unknown";
}

void pm_shape_random(PmShape *s, PmShapeKind kind, PmRng *r, int w, int h) {
  if (kind == PM_SHAPE_ANY || !pm_shape_ops(kind)) kind = (PmShapeKind)(1 + pm_rng_int(r, 8));
  const PmShapeOps *ops = pm_shape_ops(kind);
  memset(s->p, 0, sizeof s->p);
  s->kind = kind;
  for (int tries = 0; tries < 1000; tries++) {
    ops->random(s, r, w, h);
    if (ops->valid(s)) return;
  }
}

void pm_shape_mutate(PmShape *s, PmRng *r, int w, int h) {
  const PmShapeOps *ops = pm_shape_ops(s->kind);
  PmShape orig = *s;
  for (int tries = 0; tries < 100; tries++) {
    ops->mutate(s, r, w, h);
    if (ops->valid(s)) return;
    *s = orig;
  }
}

void pm_shape_geometry(const PmShape *s, PmGeo *g) { pm_shape_ops(s->kind)->geometry(s, g); }

void pm_shape_translate(PmShape *s, float dx, float dy) {
  switch (s->kind) {
  case PM_SHAPE_TRIANGLE: case PM_SHAPE_RECTANGLE: case PM_SHAPE_POLYGON: case PM_SHAPE_BEZIER: {
    int n = s->kind == PM_SHAPE_TRIANGLE || s->kind == PM_SHAPE_BEZIER ? 3 : (s->kind == PM_SHAPE_RECTANGLE ? 2 : 4);
    for (int i = 0; i < n; i++) {
      s->p[2 * i] += dx;
      s->p[2 * i + 1] += dy;
    }
    break;
  }
  default: /* centred kinds */
    s->p[0] += dx;
    s->p[1] += dy;
  }
}
