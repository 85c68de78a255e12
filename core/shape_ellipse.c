/* Ellipse (axis-aligned), circle, and rotated ellipse: centre, radii, angle. */
/* Random shapes, mutation and geometry: core/shape_hd.h (shared with the CUDA kernels). */
#include "internal.h"

static int ellipse_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  if (s->kind == PM_SHAPE_ROTATED_ELLIPSE)
    return snprintf(buf, len,
                    "<ellipse cx=\"0\" cy=\"0\" rx=\"%.2f\" ry=\"%.2f\" transform=\"translate(%.2f %.2f) rotate(%.2f)\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                    s->p[2], s->p[3], s->p[0], s->p[1], s->p[4], color, op);
  return snprintf(buf, len, "<ellipse cx=\"%.2f\" cy=\"%.2f\" rx=\"%.2f\" ry=\"%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  s->p[0], s->p[1], s->p[2], s->p[3], color, op);
}

const PmShapeOps pm_ellipse_ops = {ellipse_svg};
const PmShapeOps pm_circle_ops = {ellipse_svg};
const PmShapeOps pm_rotated_ellipse_ops = {ellipse_svg};
