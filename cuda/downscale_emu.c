/* The downscale's host side and its CPU emulation (downscale.h's passes as loops). */
#include <stdlib.h>
#include <string.h>

#include "downscale_emu.h"
#include "frame.h"

int pm_down_args(PmDownArgs *a, const PmFrame *f, int ww, int wh, void **block, size_t *block_bytes) {
  memset(a, 0, sizeof *a);
  *block = NULL;
  PmTaps *tx = pm_taps_new(f->width, ww), *ty = pm_taps_new(f->height, wh);
  int xmax = pm_taps_max(f->width, ww), ymax = pm_taps_max(f->height, wh);
  /* ints first (first and count of each column, then of each row), then the weights */
  size_t ints = 2 * (size_t)ww + 2 * (size_t)wh, floats = (size_t)ww * xmax + (size_t)wh * ymax;
  size_t bytes = ints * sizeof(int) + floats * sizeof(float);
  char *b = tx && ty ? malloc(bytes) : NULL;
  if (b) {
    int *xf = (int *)b, *xc = xf + ww, *yf = xc + ww, *yc = yf + wh;
    float *xw = (float *)(yc + wh), *yw = xw + (size_t)ww * xmax;
    for (int i = 0; i < ww; i++) xf[i] = tx[i].first, xc[i] = tx[i].count;
    for (int i = 0; i < wh; i++) yf[i] = ty[i].first, yc[i] = ty[i].count;
    memcpy(xw, tx[0].w, sizeof(float) * (size_t)ww * xmax);
    memcpy(yw, ty[0].w, sizeof(float) * (size_t)wh * ymax);
    a->xfirst = xf, a->xcount = xc, a->yfirst = yf, a->ycount = yc, a->xw = xw, a->yw = yw;
    a->xmax = xmax, a->ymax = ymax;
    a->xstep = tx[0].step, a->ystep = ty[0].step;
    a->format = f->format, a->w = f->width, a->h = f->height, a->ww = ww, a->wh = wh;
    for (int k = 0; k < 3; k++) a->data[k] = f->data[k], a->stride[k] = f->stride[k];
    if (f->format < PM_FORMAT_I420) a->layout = pm_frame_layout(f->format);
    *block = b;
    *block_bytes = bytes;
  }
  pm_taps_free(tx), pm_taps_free(ty);
  return b ? 0 : -1;
}

void pm_down_emulate(const PmDownArgs *a) {
  for (int y = 0; y < a->h; y++)
    for (int x = 0; x < a->ww; x++) pm_down_h(a, y, x);
  for (int y = 0; y < a->wh; y++)
    for (int xc = 0; xc < a->ww * 3; xc++) pm_down_v(a, y, xc);
}
