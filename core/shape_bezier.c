/* Quadratic Bézier stroked with round caps: the union of a thick polyline's segments and of
 * discs at its joints, which is exactly the stroke of that polyline. */
/* Random shapes, mutation and geometry: core/shape_hd.h (shared with the CUDA kernels). */
#include "internal.h"

static int bezier_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  return snprintf(buf, len,
                  "<path d=\"M%.2f %.2fQ%.2f %.2f %.2f %.2f\" fill=\"none\" stroke=\"%s\" stroke-opacity=\"%.4f\" stroke-width=\"%.2f\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>",
                  s->p[0], s->p[1], s->p[2], s->p[3], s->p[4], s->p[5], color, op, s->p[6]);
}

const PmShapeOps pm_bezier_ops = {bezier_svg};
