/* The input downscale on the device: frame.c's pm_frame_downscale(), bit for bit, as PM_HD work
 * per element: the horizontal pass one thread per (source row, output column), the vertical
 * pass one per (output row, output byte), each summing its taps in frame.c's order. No thread
 * reads another's result within a pass, so the passes need no barriers: downscale_emu.c runs
 * them as loops, and frame.c is the reference both are tested against. */
#ifndef PM_DOWNSCALE_H
#define PM_DOWNSCALE_H

#include "internal.h"
#include "pixel_hd.h"

typedef struct {
  int format, w, h; /* the source frame */
  uint8_t *data[3];
  int stride[3];
  PmPackedLayout layout;
  int ww, wh; /* the working size */
  const int *xfirst, *xcount, *yfirst, *ycount;
  const float *xw, *yw; /* weights, xmax (ymax) per output column (row) */
  int xmax, ymax;
  int xstep, ystep; /* the taps sample every step-th pixel (frame.c's pm_taps_step) */
  float *mid;   /* h * ww * 3: the horizontal pass */
  uint8_t *out; /* wh * ww * 3 RGB */
} PmDownArgs;

static inline PM_HD void pm_down_h(const PmDownArgs *a, int y, int x) {
  float acc[3] = {0, 0, 0};
  const float *w = a->xw + (size_t)x * a->xmax;
  for (int k = 0; k < a->xcount[x]; k++) {
    uint8_t s[3];
    pm_read_pixel(a->data, a->stride, a->format, a->layout, a->xfirst[x] + k * a->xstep, y, s);
    float wk = w[k];
    acc[0] += wk * s[0], acc[1] += wk * s[1], acc[2] += wk * s[2];
  }
  float *o = a->mid + ((size_t)y * a->ww + x) * 3;
  o[0] = acc[0], o[1] = acc[1], o[2] = acc[2];
}

static inline PM_HD void pm_down_v(const PmDownArgs *a, int y, int xc) {
  float acc = 0;
  const float *w = a->yw + (size_t)y * a->ymax;
  for (int k = 0; k < a->ycount[y]; k++) acc += w[k] * a->mid[(size_t)(a->yfirst[y] + k * a->ystep) * a->ww * 3 + xc];
  a->out[(size_t)y * a->ww * 3 + xc] = pm_clamp8((int)(acc + 0.5f));
}

#endif
