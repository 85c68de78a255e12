/* Dispatch over shape kinds. The per-kind search code is in shape_hd.h (shared with the CUDA
 * kernels); the SVG output of each kind in shape_<kind>.c. */
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

void pm_shape_random(PmShape *s, PmShapeKind kind, PmRng *r, int w, int h) { pm_shape_random_hd(s, kind, r, w, h); }
void pm_shape_mutate(PmShape *s, PmRng *r, int w, int h) { pm_shape_mutate_hd(s, r, w, h); }
void pm_shape_geometry(const PmShape *s, PmGeo *g) { pm_shape_geometry_hd(s, g); }

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

void pm_shape_transform(PmShape *s, const float a[6]) {
  float det = a[1] * a[5] - a[2] * a[4], scale = sqrtf(fabsf(det));
  float turn = atan2f(a[4] - a[2], a[1] + a[5]) * (float)(180.0 / PM_PI);
  int points = 1;
  switch (s->kind) {
  case PM_SHAPE_TRIANGLE: points = 3; break;
  case PM_SHAPE_BEZIER: points = 3; s->p[6] *= scale; break;
  case PM_SHAPE_RECTANGLE: points = 2; break;
  case PM_SHAPE_POLYGON: points = 4; break;
  case PM_SHAPE_ELLIPSE:
    s->p[2] *= hypotf(a[1], a[4]);
    s->p[3] *= hypotf(a[2], a[5]);
    break;
  case PM_SHAPE_CIRCLE:
    s->p[2] *= scale;
    s->p[3] = s->p[2];
    break;
  default: /* rotated rectangle and ellipse: centre, two sizes, angle */
    s->p[2] *= scale;
    s->p[3] *= scale;
    s->p[4] = fmodf(s->p[4] + turn + 360.0f, 360.0f);
  }
  for (int i = 0; i < points; i++) {
    float x = s->p[2 * i], y = s->p[2 * i + 1];
    s->p[2 * i] = a[0] + a[1] * x + a[2] * y;
    s->p[2 * i + 1] = a[3] + a[4] * x + a[5] * y;
  }
}
