/* Polygon of four free points, filled with the non-zero rule (it may self-intersect). */
/* Random shapes, mutation and geometry: core/shape_hd.h (shared with the CUDA kernels). */
#include "internal.h"

static int polygon_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  const float *p = s->p;
  return snprintf(buf, len, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], color, op);
}

const PmShapeOps pm_polygon_ops = {polygon_svg};
