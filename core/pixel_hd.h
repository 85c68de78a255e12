/* Writing rendered pixels into the output formats, shared by the CPU renderer (frame.c) and the
 * CUDA render kernel (PM_HD), so both write the same bytes. */
#ifndef PM_PIXEL_HD_H
#define PM_PIXEL_HD_H

#include <stdint.h>

#include "primitive.h"
#include "raster.h"

typedef struct { int bpp, r, g, b, a; } PmPackedLayout; /* byte offsets; a < 0: none */

static inline PM_HD uint8_t pm_clamp8(int v) { return v < 0 ? 0 : (v > 255 ? 255 : (uint8_t)v); }

/* BT.601 limited range, 16.16 fixed point: what chroma (u, v) adds to the luma term of R, G
 * and B, rounding included (the downscale's vector read shares it between pixels). */
static inline PM_HD void pm_chroma_terms(int u, int v, int t[3]) {
  int d = u - 128, e = v - 128;
  t[0] = 104595 * e + 32768;
  t[1] = -25690 * d - 53281 * e + 32768;
  t[2] = 132186 * d + 32768;
}

static inline PM_HD void pm_yuv_to_rgb(int y, int u, int v, int *r, int *g, int *b) {
  int c = (y - 16) * 76284, t[3];
  pm_chroma_terms(u, v, t);
  *r = pm_clamp8((c + t[0]) >> 16);
  *g = pm_clamp8((c + t[1]) >> 16);
  *b = pm_clamp8((c + t[2]) >> 16);
}

/* Pixel (x, y) of a frame as RGB: packed (layout l) or I420/NV12 (format). */
static inline PM_HD void pm_read_pixel(uint8_t *const data[3], const int stride[3], int format, PmPackedLayout l, int x,
                                       int y, uint8_t rgb[3]) {
  if (format < PM_FORMAT_I420) {
    const uint8_t *s = data[0] + (size_t)y * stride[0] + (size_t)x * l.bpp;
    rgb[0] = s[l.r], rgb[1] = s[l.g], rgb[2] = s[l.b];
    return;
  }
  const uint8_t *up = data[1] + (size_t)(y / 2) * stride[1];
  const uint8_t *vp = format == PM_FORMAT_I420 ? data[2] + (size_t)(y / 2) * stride[2] : up + 1;
  int cstep = format == PM_FORMAT_I420 ? 1 : 2, r, g, b;
  pm_yuv_to_rgb(data[0][(size_t)y * stride[0] + x], up[(x / 2) * cstep], vp[(x / 2) * cstep], &r, &g, &b);
  rgb[0] = (uint8_t)r, rgb[1] = (uint8_t)g, rgb[2] = (uint8_t)b;
}

/* One packed pixel from rendered RGB (0..255 floats). */
static inline PM_HD void pm_pack_pixel(uint8_t *d, PmPackedLayout l, const float *rgb) {
  d[l.r] = (uint8_t)(rgb[0] + 0.5f);
  d[l.g] = (uint8_t)(rgb[1] + 0.5f);
  d[l.b] = (uint8_t)(rgb[2] + 0.5f);
  if (l.a >= 0) d[l.a] = 255;
}

/* BT.601 limited range: each of Y, U and V is k0 + k1 r + k2 g + k3 b (+ 0.5 rounds the
 * truncation), added left to right; the vector write in frame.c uses the same weights. */
#define PM_WEIGHTS_Y 16.5f, 0.257f, 0.504f, 0.098f
#define PM_WEIGHTS_U 128.5f, -0.148f, -0.291f, 0.439f
#define PM_WEIGHTS_V 128.5f, 0.439f, -0.368f, -0.071f

static inline PM_HD float pm_weigh(float k0, float k1, float k2, float k3, float r, float g, float b) {
  return k0 + k1 * r + k2 * g + k3 * b;
}

static inline PM_HD uint8_t pm_rgb_y(const float *s) {
  return pm_clamp8((int)pm_weigh(PM_WEIGHTS_Y, s[0], s[1], s[2]));
}

/* The chroma of the 2x2 block at column 2 cx of rows r0 and r1 (r1 may be r0 on the last row). */
static inline PM_HD void pm_rgb_uv(const float *r0, const float *r1, int cx, int w, uint8_t *u, uint8_t *v) {
  float r = 0, g = 0, b = 0;
  int n = 0;
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 2 && 2 * cx + i < w; i++, n++) {
      const float *s = (j ? r1 : r0) + 3 * (2 * cx + i);
      r += s[0], g += s[1], b += s[2];
    }
  r /= (float)n, g /= (float)n, b /= (float)n;
  *u = pm_clamp8((int)pm_weigh(PM_WEIGHTS_U, r, g, b));
  *v = pm_clamp8((int)pm_weigh(PM_WEIGHTS_V, r, g, b));
}

#endif
