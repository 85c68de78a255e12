/* Axis-aligned rectangle (two corners) and rotated rectangle (centre, size, angle). */
/* Random shapes, mutation and geometry: core/shape_hd.h (shared with the CUDA kernels). */
#include "internal.h"

static int rect_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  float x = fminf(s->p[0], s->p[2]), y = fminf(s->p[1], s->p[3]);
  return snprintf(buf, len, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  x, y, fabsf(s->p[2] - s->p[0]), fabsf(s->p[3] - s->p[1]), color, op);
}

const PmShapeOps pm_rectangle_ops = {rect_svg};

static int rrect_svg(const PmShape *s, char *buf, size_t len, const char *color, float op) {
  return snprintf(buf, len,
                  "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" transform=\"translate(%.2f %.2f) rotate(%.2f)\" fill=\"%s\" fill-opacity=\"%.4f\"/>",
                  -0.5f * s->p[2], -0.5f * s->p[3], s->p[2], s->p[3], s->p[0], s->p[1], s->p[4], color, op);
}

const PmShapeOps pm_rotated_rectangle_ops = {rrect_svg};
