/* Triangle: three free vertices; thin slivers are rejected as primitive does. */
/* Random shapes, mutation and geometry: core/shape_hd.h (shared with the CUDA kernels). */
#include "internal.h"

static int triangle_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  return snprintf(buf, len, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  s->p[0], s->p[1], s->p[2], s->p[3], s->p[4], s->p[5], color, op);
}

const PmShapeOps pm_triangle_ops = {triangle_svg};
