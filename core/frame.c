/* Pixel formats: reading a frame down to the working size, writing rendered rows back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "internal.h"
#include "pixel_hd.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const PmPackedLayout layouts[PM_FORMAT_I420] = {
    [PM_FORMAT_RGBA] = {4, 0, 1, 2, 3}, [PM_FORMAT_BGRA] = {4, 2, 1, 0, 3},
    [PM_FORMAT_RGBX] = {4, 0, 1, 2, 3}, [PM_FORMAT_BGRX] = {4, 2, 1, 0, 3},
    [PM_FORMAT_ARGB] = {4, 1, 2, 3, 0}, [PM_FORMAT_ABGR] = {4, 3, 2, 1, 0},
    [PM_FORMAT_XRGB] = {4, 1, 2, 3, 0}, [PM_FORMAT_XBGR] = {4, 3, 2, 1, 0},
    [PM_FORMAT_RGB] = {3, 0, 1, 2, -1}, [PM_FORMAT_BGR] = {3, 2, 1, 0, -1},
};

int pm_format_bytes_per_pixel(PmFormat f) {
  return (unsigned)f < PM_FORMAT_I420 ? layouts[f].bpp : 0;
}

int pm_frame_check(const PmFrame *f, char *err, size_t errlen) {
  if (!f || (unsigned)f->format >= PM_FORMAT_COUNT) {
    snprintf(err, errlen, "unknown pixel format");
    return -1;
  }
  if (f->width < 1 || f->height < 1 || f->width > 32768 || f->height > 32768) {
    snprintf(err, errlen, "frame size %dx%d out of range (1..32768)", f ? f->width : 0, f ? f->height : 0);
    return -1;
  }
  PmPlanes p = pm_frame_planes(f);
  for (int i = 0; i < p.count; i++) {
    if (!f->data[i] || f->stride[i] < p.bytes[i]) {
      snprintf(err, errlen, "plane %d: missing data or stride %d below %d", i, f->stride[i], p.bytes[i]);
      return -1;
    }
  }
  return 0;
}

PmPlanes pm_frame_planes(const PmFrame *f) {
  int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
  if (f->format == PM_FORMAT_I420) return (PmPlanes){3, {f->height, ch, ch}, {f->width, cw, cw}, {0, 1, 1}};
  if (f->format == PM_FORMAT_NV12) return (PmPlanes){2, {f->height, ch, 0}, {f->width, 2 * cw, 0}, {0, 1, 0}};
  return (PmPlanes){1, {f->height, 0, 0}, {f->width * layouts[f->format].bpp, 0, 0}, {0, 0, 0}};
}

void pm_frame_read_row(const PmFrame *f, int y, uint8_t *rgb) {
  PmPackedLayout l = f->format < PM_FORMAT_I420 ? layouts[f->format] : layouts[0];
  for (int x = 0; x < f->width; x++) pm_read_pixel(f->data, f->stride, f->format, l, x, y, rgb + 3 * x);
}

void pm_working_size(int w, int h, int size, int *ww, int *wh) {
  if (size < 1) size = 1;
  int big = w > h ? w : h;
  if (big <= size) {
    *ww = w;
    *wh = h;
    return;
  }
  *ww = w >= h ? size : (int)((long long)w * size / h);
  *wh = h >= w ? size : (int)((long long)h * size / w);
  if (*ww < 1) *ww = 1;
  if (*wh < 1) *wh = 1;
}

/* Triangle-filter taps for resampling n source samples to m (m <= n): the tent is stretched
 * by the scale factor, as primitive's bilinear thumbnail does, so it also anti-aliases. Past a
 * 6x reduction the taps sample every step-th source pixel (step = scale / 3, so a tent still
 * spans six samples or more): a 4K frame then costs a 25th of its pixels, for the same
 * low-pass. Below that every pixel counts, as before. */
typedef PmTaps Taps;

int pm_taps_step(int n, int m) {
  double scale = (double)n / m;
  return scale >= 6.0 ? (int)(scale / 3.0) : 1;
}

int pm_taps_max(int n, int m) {
  double scale = (double)n / m, support = scale > 1.0 ? scale : 1.0;
  return (int)ceil(2 * support / pm_taps_step(n, m)) + 2;
}

Taps *pm_taps_new(int n, int m) {
  double scale = (double)n / m, support = scale > 1.0 ? scale : 1.0;
  int maxc = pm_taps_max(n, m), step = pm_taps_step(n, m);
  Taps *t = malloc(sizeof *t * (size_t)m);
  float *w = malloc(sizeof *w * (size_t)m * maxc);
  if (!t || !w) {
    free(t), free(w);
    return NULL;
  }
  for (int i = 0; i < m; i++) {
    double c = (i + 0.5) * scale - 0.5;
    int a = (int)floor(c - support) + 1, b = (int)ceil(c + support) - 1;
    if (a < 0) a = 0;
    a = (a + step - 1) / step * step; /* on the sampled grid */
    if (b > n - 1) b = n - 1;
    if (a + (maxc - 1) * step < b) b = a + (maxc - 1) * step;
    t[i].first = a;
    t[i].step = step;
    t[i].w = w + (size_t)i * maxc;
    t[i].count = 0;
    double sum = 0;
    for (int k = a; k <= b; k += step) {
      double v = 1.0 - fabs(k - c) / support;
      if (v < 0) v = 0;
      t[i].w[t[i].count++] = (float)v;
      sum += v;
    }
    if (sum <= 0) { /* cannot happen for m <= n; keep the nearest sample */
      int near = (int)(c + 0.5) < n ? (int)(c + 0.5) : n - 1;
      t[i].first = near / step * step;
      t[i].count = 1;
      t[i].w[0] = 1.0f;
      sum = 1.0;
    }
    for (int k = 0; k < t[i].count; k++) t[i].w[k] = (float)(t[i].w[k] / sum);
  }
  return t;
}

void pm_taps_free(Taps *t) {
  if (t) free(t[0].w);
  free(t);
}

typedef struct {
  const PmFrame *f;
  const Taps *tx, *ty;
  int ww, wh, step_rows, rows_per_task;
  float *mid; /* the horizontal pass, every sampled source row */
  uint8_t *out;
} DownJob;

#define DOWN_ROWS 16

#ifdef __SSE2__
/* Columns 0, xs, 2 xs, ... (n of them) of row y of a 4:2:0 frame (I420 or NV12) as four floats a
 * pixel (r, g, b, 0), eight pixels a step: pm_yuv_to_rgb()'s integers, (y - 16) * 76284 as
 * (y - 16) << 16 plus a 16-bit product by 10748, its chroma terms once for each chroma sample
 * (a pair of pixels when every column is read), the clamp as 16-bit max and min. Returns the
 * pixels done (fewer than eight are left). */
static int yuv_row_quads(const PmFrame *f, int y, int xs, int n, float *quad) {
  const uint8_t *yp = f->data[0] + (size_t)y * f->stride[0], *up = f->data[1] + (size_t)(y / 2) * f->stride[1];
  const uint8_t *vp = f->format == PM_FORMAT_I420 ? f->data[2] + (size_t)(y / 2) * f->stride[2] : up + 1;
  int cstep = f->format == PM_FORMAT_I420 ? 1 : 2, x = 0;
  const __m128i zero = _mm_setzero_si128();
  for (; x + 8 <= n; x += 8) {
    uint8_t luma[8];
    int32_t terms[3][8];
    for (int i = 0; i < 8; i += xs == 1 ? 2 : 1) {
      int sx = (x + i) * xs, ci = (sx / 2) * cstep, t[3];
      pm_chroma_terms(up[ci], vp[ci], t);
      for (int k = 0; k < 3; k++) terms[k][i] = t[k];
      if (xs == 1)
        for (int k = 0; k < 3; k++) terms[k][i + 1] = t[k];
    }
    for (int i = 0; i < 8; i++) luma[i] = yp[(size_t)(x + i) * xs];
    __m128i y16 = _mm_sub_epi16(pm_load8_u16(luma), _mm_set1_epi16(16));
    __m128i lo = _mm_mullo_epi16(y16, _mm_set1_epi16(10748)), hi = _mm_mulhi_epi16(y16, _mm_set1_epi16(10748));
    __m128i c0 = _mm_add_epi32(_mm_unpacklo_epi16(lo, hi), _mm_unpacklo_epi16(zero, y16));
    __m128i c1 = _mm_add_epi32(_mm_unpackhi_epi16(lo, hi), _mm_unpackhi_epi16(zero, y16));
    __m128 ch[3][2];
    for (int k = 0; k < 3; k++) {
      __m128i a = _mm_srai_epi32(_mm_add_epi32(c0, _mm_loadu_si128((const __m128i *)(const void *)terms[k])), 16);
      __m128i b = _mm_srai_epi32(_mm_add_epi32(c1, _mm_loadu_si128((const __m128i *)(const void *)(terms[k] + 4))), 16);
      __m128i v = _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(a, b), zero), _mm_set1_epi16(255));
      ch[k][0] = _mm_cvtepi32_ps(_mm_unpacklo_epi16(v, zero));
      ch[k][1] = _mm_cvtepi32_ps(_mm_unpackhi_epi16(v, zero));
    }
    for (int h = 0; h < 2; h++) {
      __m128 r = ch[0][h], g = ch[1][h], b = ch[2][h], none = _mm_setzero_ps();
      _MM_TRANSPOSE4_PS(r, g, b, none);
      float *q = quad + 4 * (x + 4 * h);
      _mm_storeu_ps(q, r), _mm_storeu_ps(q + 4, g), _mm_storeu_ps(q + 8, b), _mm_storeu_ps(q + 12, none);
    }
  }
  return x;
}
#endif

/* The horizontal pass over a band of sampled source rows. */
static void down_rows(void *ctx, int task, int worker) {
  (void)worker;
  DownJob *j = ctx;
  const PmFrame *f = j->f;
  int w = f->width, ys = j->ty[0].step, xs = j->tx[0].step;
  int n = (w + xs - 1) / xs; /* sampled columns */
#ifdef __SSE2__
  float *quad = malloc(sizeof *quad * 4 * (size_t)n);
  if (!quad) return;
#else
  uint8_t *row = malloc((size_t)n * 3);
  if (!row) return;
#endif
  PmPackedLayout l = f->format < PM_FORMAT_I420 ? pm_frame_layout(f->format) : (PmPackedLayout){0, 0, 0, 0, -1};
  for (int r = task * DOWN_ROWS; r < (task + 1) * DOWN_ROWS && r * ys < f->height; r++) {
    int y = r * ys;
    float *o = j->mid + (size_t)r * j->ww * 3;
#ifdef __SSE2__
    /* the row as four floats a pixel, converted once, not once for every tap that reads it */
    int c = f->format >= PM_FORMAT_I420 ? yuv_row_quads(f, y, xs, n, quad) : 0;
    for (; c < n; c++) {
      uint8_t px[3];
      pm_read_pixel((uint8_t *const *)f->data, f->stride, f->format, l, c * xs, y, px);
      _mm_storeu_ps(quad + 4 * c, _mm_setr_ps(px[0], px[1], px[2], 0.0f));
    }
    for (int x = 0; x < j->ww; x++) {
      __m128 acc = _mm_setzero_ps(); /* the scalar sums, lane for channel, in the same order */
      const float *s = quad + 4 * (j->tx[x].first / xs);
      for (int k = 0; k < j->tx[x].count; k++, s += 4) acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(j->tx[x].w[k]), _mm_loadu_ps(s)));
      float v[4];
      _mm_storeu_ps(v, acc);
      memcpy(o + 3 * x, v, sizeof(float) * 3);
    }
#else
    if (xs == 1) pm_frame_read_row(f, y, row);
    else
      for (int c = 0; c < n; c++) pm_read_pixel((uint8_t *const *)f->data, f->stride, f->format, l, c * xs, y, row + 3 * c);
    for (int x = 0; x < j->ww; x++) {
      float acc[3] = {0, 0, 0};
      const uint8_t *s = row + 3 * (j->tx[x].first / xs);
      for (int k = 0; k < j->tx[x].count; k++, s += 3) {
        float wk = j->tx[x].w[k];
        acc[0] += wk * s[0], acc[1] += wk * s[1], acc[2] += wk * s[2];
      }
      memcpy(o + 3 * x, acc, sizeof acc);
    }
#endif
  }
#ifdef __SSE2__
  free(quad);
#else
  free(row);
#endif
}

/* The vertical pass over a band of output rows. */
static void down_cols(void *ctx, int task, int worker) {
  (void)worker;
  DownJob *j = ctx;
  int ys = j->ty[0].step;
  int n = j->ww * 3;
  float acc[3072];
  for (int y = task * DOWN_ROWS; y < (task + 1) * DOWN_ROWS && y < j->wh; y++)
    for (int x0 = 0; x0 < n; x0 += 3072) {
      /* tap by tap across the row (a loop that vectorizes), each value summed in tap order */
      const Taps *t = &j->ty[y];
      int len = n - x0 < 3072 ? n - x0 : 3072;
      for (int x = 0; x < len; x++) acc[x] = 0;
      for (int k = 0; k < t->count; k++) {
        const float *src = j->mid + (size_t)(t->first / ys + k) * n + x0, wk = t->w[k];
        for (int x = 0; x < len; x++) acc[x] += wk * src[x];
      }
      for (int x = 0; x < len; x++) j->out[(size_t)y * n + x0 + x] = pm_clamp8((int)(acc[x] + 0.5f));
    }
}

int pm_frame_downscale(const PmFrame *f, int ww, int wh, uint8_t *out, PmPool *pool) {
  int w = f->width, h = f->height;
  Taps *tx = pm_taps_new(w, ww), *ty = pm_taps_new(h, wh);
  int rows = tx && ty ? (h + ty[0].step - 1) / ty[0].step : 0;
  float *mid = malloc(sizeof *mid * (size_t)ww * 3 * (rows > 0 ? rows : 1));
  if (!tx || !ty || !mid) {
    pm_taps_free(tx), pm_taps_free(ty), free(mid);
    return -1;
  }
  DownJob j = {f, tx, ty, ww, wh, rows, DOWN_ROWS, mid, out};
  pm_pool_run(pool, (rows + DOWN_ROWS - 1) / DOWN_ROWS, down_rows, &j);
  pm_pool_run(pool, (wh + DOWN_ROWS - 1) / DOWN_ROWS, down_cols, &j);
  pm_taps_free(tx), pm_taps_free(ty), free(mid);
  return 0;
}

PmPackedLayout pm_frame_layout(PmFormat f) { return layouts[f]; }

void pm_frame_write_packed_row(PmFrame *f, int y, const float *rgb, int xa, int xb) {
  PmPackedLayout l = layouts[f->format];
  uint8_t *d = f->data[0] + (size_t)y * f->stride[0] + (size_t)xa * l.bpp;
  for (int x = xa; x < xb; x++, d += l.bpp) pm_pack_pixel(d, l, rgb + 3 * x);
}

void pm_frame_fill_packed_row(PmFrame *f, int y, const float c[3], int xa, int xb) {
  PmPackedLayout l = layouts[f->format];
  uint8_t px[4], *d = f->data[0] + (size_t)y * f->stride[0] + (size_t)xa * l.bpp;
  pm_pack_pixel(px, l, c);
  if (l.bpp == 3) {
    uint8_t four[12]; /* four pixels, stored at once */
    for (int i = 0; i < 4; i++) memcpy(four + 3 * i, px, 3);
    int x = xa;
    for (; x + 4 <= xb; x += 4, d += 12) memcpy(d, four, 12);
    for (; x < xb; x++, d += 3) memcpy(d, px, 3);
  } else { /* four bytes, the fourth alpha or padding (255) */
    for (int x = xa; x < xb; x++, d += 4) memcpy(d, px, 4);
  }
}

#ifdef __SSE2__
/* The YUV write four pixels at a time, byte for byte pm_rgb_y() and pm_rgb_uv(): the same float
 * operations in the same order, truncation as (int) does it, and saturating packs as the clamp
 * (at 4K the write was as costly as the render). */
/* R, G and B of the 4 pixels at p (12 floats, r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3). */
static inline void rgb4(const float *p, __m128 *r, __m128 *g, __m128 *b) {
  __m128 a = _mm_loadu_ps(p), m = _mm_loadu_ps(p + 4), c = _mm_loadu_ps(p + 8);
  *r = _mm_shuffle_ps(_mm_shuffle_ps(a, m, _MM_SHUFFLE(1, 0, 3, 0)), _mm_shuffle_ps(m, c, _MM_SHUFFLE(1, 0, 3, 2)),
                      _MM_SHUFFLE(3, 0, 1, 0));
  *g = _mm_shuffle_ps(_mm_shuffle_ps(a, m, _MM_SHUFFLE(0, 0, 1, 1)), _mm_shuffle_ps(m, c, _MM_SHUFFLE(2, 2, 3, 3)),
                      _MM_SHUFFLE(2, 0, 2, 0));
  *b = _mm_shuffle_ps(_mm_shuffle_ps(a, m, _MM_SHUFFLE(1, 1, 2, 2)), _mm_shuffle_ps(c, c, _MM_SHUFFLE(3, 3, 0, 0)),
                      _MM_SHUFFLE(2, 0, 2, 0));
}

/* pm_weigh() on 4 pixels: the same products and sums in the same order. */
static inline __m128 weigh(float k0, float k1, float k2, float k3, __m128 r, __m128 g, __m128 b) {
  __m128 s = _mm_add_ps(_mm_set1_ps(k0), _mm_mul_ps(_mm_set1_ps(k1), r));
  return _mm_add_ps(_mm_add_ps(s, _mm_mul_ps(_mm_set1_ps(k2), g)), _mm_mul_ps(_mm_set1_ps(k3), b));
}

/* Two vectors of 4 floats to 8 bytes (low half): (int), then clamped to 0..255. */
static inline __m128i to_bytes(__m128 lo, __m128 hi) {
  __m128i w = _mm_packs_epi32(_mm_cvttps_epi32(lo), _mm_cvttps_epi32(hi));
  return _mm_packus_epi16(w, w);
}

static int luma_sse2(const float *row, int w, uint8_t *yp) {
  int x = 0;
  for (; x + 8 <= w; x += 8) {
    __m128 r0, g0, b0, r1, g1, b1;
    rgb4(row + 3 * x, &r0, &g0, &b0);
    rgb4(row + 3 * x + 12, &r1, &g1, &b1);
    _mm_storel_epi64((__m128i *)(yp + x),
                     to_bytes(weigh(PM_WEIGHTS_Y, r0, g0, b0), weigh(PM_WEIGHTS_Y, r1, g1, b1)));
  }
  return x;
}

/* Sum of one channel over the 2 x 2 blocks of 4 chroma pixels, in pm_rgb_uv()'s order, over 4. */
static inline __m128 block_mean(__m128 a0, __m128 b0, __m128 a1, __m128 b1) {
  __m128 s = _mm_add_ps(_mm_setzero_ps(), _mm_shuffle_ps(a0, b0, _MM_SHUFFLE(2, 0, 2, 0)));
  s = _mm_add_ps(s, _mm_shuffle_ps(a0, b0, _MM_SHUFFLE(3, 1, 3, 1)));
  s = _mm_add_ps(s, _mm_shuffle_ps(a1, b1, _MM_SHUFFLE(2, 0, 2, 0)));
  s = _mm_add_ps(s, _mm_shuffle_ps(a1, b1, _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm_div_ps(s, _mm_set1_ps(4.0f));
}

/* Chroma pixels [0, returned) of rows r0 and r1; cstep 1 (I420: u and v planes) or 2 (NV12). */
static int chroma_sse2(const float *r0, const float *r1, int w, uint8_t *up, uint8_t *vp, int cstep) {
  int cx = 0;
  for (; 2 * cx + 8 <= w; cx += 4) {
    __m128 ra0, ga0, ba0, rb0, gb0, bb0, ra1, ga1, ba1, rb1, gb1, bb1;
    rgb4(r0 + 6 * cx, &ra0, &ga0, &ba0);
    rgb4(r0 + 6 * cx + 12, &rb0, &gb0, &bb0);
    rgb4(r1 + 6 * cx, &ra1, &ga1, &ba1);
    rgb4(r1 + 6 * cx + 12, &rb1, &gb1, &bb1);
    __m128 r = block_mean(ra0, rb0, ra1, rb1), g = block_mean(ga0, gb0, ga1, gb1), b = block_mean(ba0, bb0, ba1, bb1);
    __m128i uv = to_bytes(weigh(PM_WEIGHTS_U, r, g, b), weigh(PM_WEIGHTS_V, r, g, b));
    uint8_t bytes[16];
    _mm_storeu_si128((__m128i *)bytes, uv); /* u0..u3 v0..v3 */
    for (int i = 0; i < 4; i++) up[(cx + i) * cstep] = bytes[i], vp[(cx + i) * cstep] = bytes[4 + i];
  }
  return cx;
}
#endif

/* Pixels [xa, xb) of rows y and y+1 (y and xa even, xb even or the width; rgb1 may be NULL on
 * the last odd row; rgb0 and rgb1 hold whole rows) into Y and half-size chroma. */
void pm_frame_write_yuv_rows(PmFrame *f, int y, const float *rgb0, const float *rgb1, int xa, int xb) {
  const float *rows[2] = {rgb0, rgb1 ? rgb1 : rgb0};
  for (int j = 0; j < 2 && y + j < f->height; j++) {
    uint8_t *yp = f->data[0] + (size_t)(y + j) * f->stride[0];
    int x = xa;
#ifdef __SSE2__
    x += luma_sse2(rows[j] + 3 * xa, xb - xa, yp + xa);
#endif
    for (; x < xb; x++) yp[x] = pm_rgb_y(rows[j] + 3 * x);
  }
  uint8_t *up = f->data[1] + (size_t)(y / 2) * f->stride[1];
  uint8_t *vp = f->format == PM_FORMAT_I420 ? f->data[2] + (size_t)(y / 2) * f->stride[2] : up + 1;
  int cstep = f->format == PM_FORMAT_I420 ? 1 : 2, cx = xa / 2, cb = (xb + 1) / 2;
#ifdef __SSE2__
  cx += chroma_sse2(rows[0] + 3 * xa, rows[1] + 3 * xa, xb - xa, up + cx * cstep, vp + cx * cstep, cstep);
#endif
  for (; cx < cb; cx++) pm_rgb_uv(rows[0], rows[1], cx, f->width, &up[cx * cstep], &vp[cx * cstep]);
}

/* As pm_frame_write_yuv_rows() for rows whose pixels [xa, xb) all hold one colour: c0 on row y,
 * c1 on row y+1 (NULL: no such row). The bytes are those of the per-pixel conversion. */
void pm_frame_fill_yuv_rows(PmFrame *f, int y, const float c0[3], const float c1[3], int xa, int xb) {
  float pair[2][6]; /* two pixels of each row: a whole 2 x 2 block, as pm_rgb_uv() sums it */
  for (int i = 0; i < 2; i++) memcpy(pair[0] + 3 * i, c0, 3 * sizeof *c0), memcpy(pair[1] + 3 * i, c1 ? c1 : c0, 3 * sizeof *c0);
  for (int j = 0; j < 2 && y + j < f->height; j++)
    memset(f->data[0] + (size_t)(y + j) * f->stride[0] + xa, pm_rgb_y(pair[j]), (size_t)(xb - xa));
  uint8_t *up = f->data[1] + (size_t)(y / 2) * f->stride[1];
  uint8_t *vp = f->format == PM_FORMAT_I420 ? f->data[2] + (size_t)(y / 2) * f->stride[2] : up + 1;
  int cstep = f->format == PM_FORMAT_I420 ? 1 : 2, cx = xa / 2, cb = xb / 2;
  uint8_t u, v;
  pm_rgb_uv(pair[0], pair[1], 0, 2, &u, &v);
  if (cstep == 1) {
    memset(up + cx, u, (size_t)(cb - cx)), memset(vp + cx, v, (size_t)(cb - cx));
  } else {
    for (int i = cx; i < cb; i++) up[2 * i] = u, vp[2 * i] = v;
  }
  if (xb & 1) { /* the last column alone: a block of two pixels */
    pm_rgb_uv(pair[0], pair[1], 0, 1, &up[cb * cstep], &vp[cb * cstep]);
  }
}
