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
