/* The scanline rasterizer's per-line and per-row work, shared by the C core and the CUDA
 * kernels (PM_HD marks functions compiled for both). Every shape kind reduces to a convex
 * polygon, a non-zero polygon, a (rotated) ellipse, or a union of those; one routine gives the
 * x-intervals of any of them on a horizontal line. The search uses it at pixel centres, the
 * renderer at sub-scanlines of the output, so what is optimised and what is drawn are the same
 * shape. Plain C99/C++ only: no other header of the project. */
#ifndef PM_RASTER_H
#define PM_RASTER_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define PM_HD __host__ __device__
#else
#define PM_HD
#endif

/* The CPU's span sums of a candidate in 32-bit SSE2 lanes (pm_acc_rows below); integer sums, so
 * the same numbers as the scalar code that CUDA and other processors run. */
#if defined(__SSE2__) && !defined(__CUDACC__)
#include <emmintrin.h>
#define PM_ACC_SSE2 1
/* Eight bytes from p, widened to 16-bit lanes. */
static inline __m128i pm_load8_u16(const uint8_t *p) {
  return _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(const void *)p), _mm_setzero_si128());
}
/* The sum of four 32-bit lanes. */
static inline int64_t pm_lanes_sum(__m128i v) {
  int32_t l[4];
  _mm_storeu_si128((__m128i *)(void *)l, v);
  return (int64_t)l[0] + l[1] + l[2] + l[3];
}
#endif

#define PM_RASTER_PI 3.14159265358979323846

/* Maths that gives the same bits on both sides. hypotf in double: what glibc computes too
 * (checked on 2e8 random pairs), and exact IEEE operations on the device. sinf and cosf: libm
 * on the host, so CPU results stay as they were; on the device the double functions rounded to
 * float, which differ from glibc's sinf in about 0.1% of angles, so only the rotated kinds can
 * part from the CPU emulation. */
static inline PM_HD float pm_hypotf(float x, float y) {
  return (float)sqrt((double)x * (double)x + (double)y * (double)y);
}
#ifdef __CUDA_ARCH__
static inline __device__ float pm_sinf(float x) { return (float)sin((double)x); }
static inline __device__ float pm_cosf(float x) { return (float)cos((double)x); }
#else
static inline float pm_sinf(float x) { return sinf(x); }
static inline float pm_cosf(float x) { return cosf(x); }
#endif

enum { PM_GEO_CONVEX, PM_GEO_NONZERO, PM_GEO_CONIC, PM_GEO_UNION };
#define PM_GEO_MAX_VERTS 8
#define PM_BEZIER_SEGMENTS 12
#define PM_GEO_MAX_PIECES (2 * PM_BEZIER_SEGMENTS + 1)
#define PM_MAX_INTERVALS 32 /* x-interval pairs on one scanline */

typedef struct {
  int type; /* PM_GEO_CONVEX or PM_GEO_NONZERO polygon, or PM_GEO_CONIC ellipse */
  int n;
  float x[PM_GEO_MAX_VERTS], y[PM_GEO_MAX_VERTS];
  /* conic: (dx, dy) from (cx, cy) is inside when a dx^2 + b dx dy + c dy^2 <= 1 */
  float cx, cy, a, b, c;
  float y0, y1, x0, x1; /* bounding box */
} PmPiece;

typedef struct {
  int type; /* PM_GEO_UNION: the union of pieces; otherwise pieces[0] alone */
  int npieces;
  PmPiece pieces[PM_GEO_MAX_PIECES];
  float y0, y1, x0, x1;
} PmGeo;

/* Pieces from corner lists and ellipses, and the union's bounding box. */
static inline PM_HD void pm_piece_polygon(PmPiece *p, int type, const float *xy, int n) {
  p->type = type;
  p->n = n;
  p->x0 = p->y0 = FLT_MAX;
  p->x1 = p->y1 = -FLT_MAX;
  for (int i = 0; i < n; i++) {
    p->x[i] = xy[2 * i];
    p->y[i] = xy[2 * i + 1];
    if (p->x[i] < p->x0) p->x0 = p->x[i];
    if (p->x[i] > p->x1) p->x1 = p->x[i];
    if (p->y[i] < p->y0) p->y0 = p->y[i];
    if (p->y[i] > p->y1) p->y1 = p->y[i];
  }
}

static inline PM_HD void pm_piece_ellipse(PmPiece *p, float cx, float cy, float rx, float ry, float angle_deg) {
  float t = angle_deg * (float)(PM_RASTER_PI / 180.0);
  float cs = pm_cosf(t), sn = pm_sinf(t);
  float irx = 1.0f / (rx * rx), iry = 1.0f / (ry * ry);
  p->type = PM_GEO_CONIC;
  p->n = 0;
  p->cx = cx;
  p->cy = cy;
  p->a = cs * cs * irx + sn * sn * iry;
  p->b = 2.0f * cs * sn * (irx - iry);
  p->c = sn * sn * irx + cs * cs * iry;
  float ey = sqrtf(rx * rx * sn * sn + ry * ry * cs * cs);
  float ex = sqrtf(rx * rx * cs * cs + ry * ry * sn * sn);
  p->y0 = cy - ey;
  p->y1 = cy + ey;
  p->x0 = cx - ex;
  p->x1 = cx + ex;
}

static inline PM_HD void pm_geo_finish(PmGeo *g) {
  g->x0 = g->y0 = FLT_MAX;
  g->x1 = g->y1 = -FLT_MAX;
  for (int i = 0; i < g->npieces; i++) {
    const PmPiece *p = &g->pieces[i];
    if (p->x0 < g->x0) g->x0 = p->x0;
    if (p->x1 > g->x1) g->x1 = p->x1;
    if (p->y0 < g->y0) g->y0 = p->y0;
    if (p->y1 > g->y1) g->y1 = p->y1;
  }
}

/* Scanline spans at the working resolution: pixels [x1, x2) of row y. */
typedef struct { int16_t y, x1, x2; } PmSpan;

/* A polygon edge as the scanline code sees it: half-open in y, [lo, hi), so a vertex on the
 * line is counted once; x = x + (y - lo) * slope. The per-line query and the row walker both
 * use it, so they agree to the bit. */
typedef struct { float lo, hi, x, slope; int dir; } PmEdge;

typedef struct { int n; PmEdge e[PM_GEO_MAX_VERTS]; } PmEdgeSet;

static inline PM_HD int pm_make_edges(const PmPiece *p, PmEdge *e) {
  int k = 0;
  for (int i = 0, j = p->n - 1; i < p->n; j = i++) {
    float ya = p->y[j], yb = p->y[i];
    if (ya == yb) continue;
    int up = ya < yb;
    e[k].lo = up ? ya : yb;
    e[k].hi = up ? yb : ya;
    e[k].x = up ? p->x[j] : p->x[i];
    e[k].slope = ((up ? p->x[i] : p->x[j]) - e[k].x) / (e[k].hi - e[k].lo);
    e[k].dir = up ? 1 : -1;
    k++;
  }
  return k;
}

/* The interval of a convex piece on the line at y from its edges (pm_make_edges()), made once
 * for every line the CPU renderer asks about; returns 0 or 1. pm_piece_intervals() below keeps
 * its own copy of this loop: calling this from it made the device's render kernel spill
 * (test cuda_resources). */
static inline PM_HD int pm_convex_edges_line(const PmEdgeSet *es, float y, float *xs) {
  float lo = 0.0f, hi = 0.0f;
  int k = 0;
  for (int i = 0; i < es->n; i++) {
    const PmEdge *e = &es->e[i];
    if (y < e->lo || y >= e->hi) continue;
    float x = e->x + (y - e->lo) * e->slope;
    if (k++ == 0) {
      lo = hi = x;
      continue;
    }
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (k < 2) return 0;
  xs[0] = lo;
  xs[1] = hi;
  return hi > lo;
}

/* pm_piece_intervals() for a convex piece whose edges es were made beforehand. */
static inline PM_HD int pm_convex_piece_line(const PmPiece *p, const PmEdgeSet *es, float y, float *xs) {
  if (y < p->y0 || y > p->y1) return 0;
  return pm_convex_edges_line(es, y, xs);
}

static inline PM_HD int pm_piece_intervals(const PmPiece *p, float y, float *xs) {
  if (y < p->y0 || y > p->y1) return 0;
  if (p->type == PM_GEO_CONIC) {
    float dy = y - p->cy;
    float bb = p->b * dy;
    float disc = bb * bb - 4.0f * p->a * (p->c * dy * dy - 1.0f);
    if (disc <= 0.0f) return 0;
    float s = sqrtf(disc), inv = 0.5f / p->a;
    xs[0] = p->cx + (-bb - s) * inv;
    xs[1] = p->cx + (-bb + s) * inv;
    return 1;
  }
  float cx[PM_GEO_MAX_VERTS];
  int dir[PM_GEO_MAX_VERTS];
  PmEdge e[PM_GEO_MAX_VERTS];
  int ne = pm_make_edges(p, e), k = 0;
  for (int i = 0; i < ne; i++) {
    if (y < e[i].lo || y >= e[i].hi) continue;
    cx[k] = e[i].x + (y - e[i].lo) * e[i].slope;
    dir[k++] = e[i].dir;
  }
  if (k < 2) return 0;
  if (p->type == PM_GEO_CONVEX) {
    float lo = cx[0], hi = cx[0];
    for (int i = 1; i < k; i++) {
      if (cx[i] < lo) lo = cx[i];
      if (cx[i] > hi) hi = cx[i];
    }
    xs[0] = lo;
    xs[1] = hi;
    return hi > lo;
  }
  for (int i = 1; i < k; i++) { /* insertion sort: k <= 8 */
    float v = cx[i];
    int dv = dir[i], j = i - 1;
    while (j >= 0 && cx[j] > v) {
      cx[j + 1] = cx[j];
      dir[j + 1] = dir[j];
      j--;
    }
    cx[j + 1] = v;
    dir[j + 1] = dv;
  }
  int n = 0, wind = 0;
  for (int i = 0; i < k; i++) {
    int before = wind;
    wind += dir[i];
    if (before == 0 && wind != 0) xs[2 * n] = cx[i];
    else if (before != 0 && wind == 0 && cx[i] > xs[2 * n]) xs[2 * n++ + 1] = cx[i];
  }
  return n;
}

/* x-intervals of the geometry on the horizontal line at y, sorted and disjoint, as
 * xs[2i], xs[2i+1] (xs holds 2 * PM_MAX_INTERVALS). Returns the number of intervals. */
static inline PM_HD int pm_geo_line(const PmGeo *g, float y, float *xs) {
  if (g->type != PM_GEO_UNION) return pm_piece_intervals(&g->pieces[0], y, xs);
  if (y < g->y0 || y > g->y1) return 0;
  float buf[2 * (PM_GEO_MAX_PIECES + PM_GEO_MAX_VERTS)];
  int n = 0;
  for (int i = 0; i < g->npieces; i++) n += pm_piece_intervals(&g->pieces[i], y, buf + 2 * n);
  if (n == 0) return 0;
  for (int i = 1; i < n; i++) { /* sort by start */
    float a = buf[2 * i], b = buf[2 * i + 1];
    int j = i - 1;
    while (j >= 0 && buf[2 * j] > a) {
      buf[2 * j + 2] = buf[2 * j];
      buf[2 * j + 3] = buf[2 * j + 1];
      j--;
    }
    buf[2 * j + 2] = a;
    buf[2 * j + 3] = b;
  }
  int m = 0;
  xs[0] = buf[0];
  xs[1] = buf[1];
  for (int i = 1; i < n; i++) {
    if (buf[2 * i] <= xs[2 * m + 1]) {
      if (buf[2 * i + 1] > xs[2 * m + 1]) xs[2 * m + 1] = buf[2 * i + 1];
    } else if (m + 1 < PM_MAX_INTERVALS) {
      m++;
      xs[2 * m] = buf[2 * i];
      xs[2 * m + 1] = buf[2 * i + 1];
    }
  }
  return m + 1;
}

/* Converts without undefined behaviour for NaN or huge values (fuzzed shapes). */
static inline PM_HD int pm_clamp_to_int(float f, int hi) {
  if (!(f > 0.0f)) return 0;
  return f > (float)hi ? hi : (int)f;
}

/* The rows [*ya, *yb] a geometry may cover in a w x h image, and its row walker state (convex
 * polygons, the search's hot path, get their edges set up once). Returns 0 when it covers none. */
static inline PM_HD int pm_geo_rows(const PmGeo *g, int w, int h, int *ya, int *yb, PmEdgeSet *es) {
  if (!isfinite(g->y0) || !isfinite(g->y1) || !isfinite(g->x0) || !isfinite(g->x1)) return 0;
  if (g->y1 < 0.0f || g->y0 > (float)h || g->x1 < 0.0f || g->x0 > (float)w) return 0;
  *ya = pm_clamp_to_int(floorf(g->y0 - 0.5f), h - 1);
  *yb = pm_clamp_to_int(ceilf(g->y1 - 0.5f), h - 1);
  es->n = g->type == PM_GEO_CONVEX ? pm_make_edges(&g->pieces[0], es->e) : -1;
  return 1;
}

/* Pixel spans of row y: pixel x is inside when its centre x + 0.5 lies in an interval.
 * Writes up to PM_MAX_INTERVALS [x1, x2) pairs; returns their count. The convex case (the
 * search's hot path) is kept small so that it inlines into the row loops. */
/* Where edge e meets the line yc, into the row's extent [lo, hi] and its count k. */
static inline PM_HD void pm_edge_meet(const PmEdge *e, float yc, float *lo, float *hi, int *k) {
  if (yc < e->lo || yc >= e->hi) return;
  float x = e->x + (yc - e->lo) * e->slope;
  *lo = x < *lo ? x : *lo;
  *hi = x > *hi ? x : *hi;
  ++*k;
}

/* The pixel span of a convex row from the extent its edges gave. */
static inline PM_HD int pm_extent_span(float lo, float hi, int k, int w, int16_t *x1, int16_t *x2) {
  if (k < 2 || !(hi > lo)) return 0;
  int a = pm_clamp_to_int(ceilf(lo - 0.5f), w), b = pm_clamp_to_int(ceilf(hi - 0.5f), w);
  if (a >= b) return 0;
  *x1 = (int16_t)a;
  *x2 = (int16_t)b;
  return 1;
}

static inline PM_HD int pm_convex_row(const PmEdgeSet *es, int y, int w, int16_t *x1, int16_t *x2) {
  float yc = (float)y + 0.5f, lo = 1e30f, hi = -1e30f;
  int k = 0;
  for (int i = 0; i < es->n; i++) pm_edge_meet(&es->e[i], yc, &lo, &hi, &k);
  return pm_extent_span(lo, hi, k, w, x1, x2);
}

/* The same for at most three edges held by value, so that a GPU keeps them in registers rather
 * than re-reading the edge set from local memory every row (the search's triangles). */
static inline PM_HD int pm_convex_row3(PmEdge e0, PmEdge e1, PmEdge e2, int n, int y, int w, int16_t *x1,
                                       int16_t *x2) {
  float yc = (float)y + 0.5f, lo = 1e30f, hi = -1e30f;
  int k = 0;
  if (n > 0) pm_edge_meet(&e0, yc, &lo, &hi, &k);
  if (n > 1) pm_edge_meet(&e1, yc, &lo, &hi, &k);
  if (n > 2) pm_edge_meet(&e2, yc, &lo, &hi, &k);
  return pm_extent_span(lo, hi, k, w, x1, x2);
}

static inline PM_HD int pm_general_row(const PmGeo *g, int y, int w, int16_t *x1, int16_t *x2) {
  float xs[2 * PM_MAX_INTERVALS];
  int k = pm_geo_line(g, (float)y + 0.5f, xs), n = 0;
  for (int i = 0; i < k; i++) {
    int a = pm_clamp_to_int(ceilf(xs[2 * i] - 0.5f), w), b = pm_clamp_to_int(ceilf(xs[2 * i + 1] - 0.5f), w);
    if (a < b) {
      x1[n] = (int16_t)a;
      x2[n] = (int16_t)b;
      n++;
    }
  }
  return n;
}

static inline PM_HD int pm_geo_row(const PmGeo *g, const PmEdgeSet *es, int y, int w, int16_t *x1, int16_t *x2) {
  return es->n >= 0 ? pm_convex_row(es, y, w, x1, x2) : pm_general_row(g, y, w, x1, x2);
}

/* ---- the closed-form colour and error change, from per-row prefix sums ----
 * For every row, prefix sums of the target t, the canvas c (per channel), c^2 and t*c (summed
 * over channels). Blending colour C with opacity a over a set of pixels gives c' = c + a (C - c);
 *   C_k = (St_k - (1 - a) Sc_k) / (a n)
 *   dE  = sum_k [2a C_k (Sc_k - St_k) + a^2 (n C_k^2 - 2 C_k Sc_k)] + (a^2 - 2a) Scc + 2a Stc */
typedef struct { int32_t t[3], c[3], cc, tc; } PmSums;
typedef struct { int64_t st[3], sc[3], scc, stc, n; } PmAcc;

static inline PM_HD void pm_acc_span(PmAcc *acc, const PmSums *row, int x1, int x2) {
  const PmSums *a = row + x1, *b = row + x2;
  for (int k = 0; k < 3; k++) {
    acc->st[k] += b->t[k] - a->t[k];
    acc->sc[k] += b->c[k] - a->c[k];
  }
  acc->scc += b->cc - a->cc;
  acc->stc += b->tc - a->tc;
  acc->n += x2 - x1;
}

/* Span sums gathered a batch of spans at a time. With SSE2 a span is two 4-lane 32-bit
 * subtractions and additions instead of eight 64-bit ones, and the batch goes into the 64-bit
 * PmAcc before 32 bits could overflow: a span of at most w pixels adds at most 3 * 255^2 per
 * pixel to cc (tc likewise; t and c far less), so spans * w * 195075 stays under 2^31. */
typedef struct {
  PmAcc *acc;
#ifdef PM_ACC_SSE2
  __m128i lo, hi; /* t0 t1 t2 c0 | c1 c2 cc tc */
  int64_t n;
  int rows, batch;
#endif
} PmAccRows;

static inline PM_HD void pm_acc_rows_init(PmAccRows *r, PmAcc *acc, int w) {
  r->acc = acc;
#ifdef PM_ACC_SSE2
  r->lo = r->hi = _mm_setzero_si128();
  r->n = 0;
  r->rows = 0;
  r->batch = (int)(2147483647LL / (195075LL * (w > 0 ? w : 1)));
  if (r->batch < 1) r->batch = 1;
#else
  (void)w;
#endif
}

static inline PM_HD void pm_acc_rows_flush(PmAccRows *r) {
#ifdef PM_ACC_SSE2
  int32_t v[8];
  _mm_storeu_si128((__m128i *)v, r->lo);
  _mm_storeu_si128((__m128i *)(v + 4), r->hi);
  for (int k = 0; k < 3; k++) r->acc->st[k] += v[k], r->acc->sc[k] += v[3 + k];
  r->acc->scc += v[6];
  r->acc->stc += v[7];
  r->acc->n += r->n;
  r->lo = r->hi = _mm_setzero_si128();
  r->n = 0;
  r->rows = 0;
#else
  (void)r;
#endif
}

static inline PM_HD void pm_acc_rows_span(PmAccRows *r, const PmSums *row, int x1, int x2) {
#ifdef PM_ACC_SSE2
  const __m128i *a = (const __m128i *)(const void *)(row + x1), *b = (const __m128i *)(const void *)(row + x2);
  r->lo = _mm_add_epi32(r->lo, _mm_sub_epi32(_mm_loadu_si128(b), _mm_loadu_si128(a)));
  r->hi = _mm_add_epi32(r->hi, _mm_sub_epi32(_mm_loadu_si128(b + 1), _mm_loadu_si128(a + 1)));
  r->n += x2 - x1;
  if (++r->rows == r->batch) pm_acc_rows_flush(r);
#else
  pm_acc_span(r->acc, row, x1, x2);
#endif
}

/* The change of the squared error when colour rgb is blended at opacity alpha (1..255). */
static inline PM_HD double pm_acc_delta(const PmAcc *acc, int alpha, const uint8_t rgb[3]) {
  if (acc->n == 0) return 0.0;
  double a = alpha / 255.0, dn = (double)acc->n, d = 0.0;
  for (int k = 0; k < 3; k++) {
    double C = rgb[k];
    d += 2.0 * a * C * (double)(acc->sc[k] - acc->st[k]) + a * a * (dn * C * C - 2.0 * C * (double)acc->sc[k]);
  }
  return d + (a * a - 2.0 * a) * (double)acc->scc + 2.0 * a * (double)acc->stc;
}

/* Best colour (into rgb) and the change of the squared error, at opacity alpha (1..255). */
static inline PM_HD double pm_acc_solve(const PmAcc *acc, int alpha, uint8_t rgb[3]) {
  if (acc->n == 0) {
    rgb[0] = rgb[1] = rgb[2] = 0;
    return 0.0;
  }
  double a = alpha / 255.0, dn = (double)acc->n;
  for (int k = 0; k < 3; k++) {
    double col = ((double)acc->st[k] - (1.0 - a) * (double)acc->sc[k]) / (a * dn);
    int ci = (int)(col + 0.5);
    rgb[k] = (uint8_t)(ci < 0 ? 0 : (ci > 255 ? 255 : ci));
  }
  return pm_acc_delta(acc, alpha, rgb);
}

/* ---- drawing: what the search's canvas and sums become after a shape is added ---- */

/* Blends colour rgba[0..2] at opacity rgba[3] over pixels [x1, x2) of one RGB row, rounded as
 * primitive draws; returns the change of the squared error against the target row. With SSE2,
 * eight pixels (24 bytes) a step in 16-bit lanes: old * (255 - a) + C * a + 127 stays under 2^16
 * and (v + 1 + (v >> 8)) >> 8 is v / 255 there, so the bytes and the sum are the scalar loop's. */
static inline PM_HD int64_t pm_blend_span(uint8_t *crow, const uint8_t *trow, int x1, int x2, const uint8_t rgba[4]) {
  int a = rgba[3], ia = 255 - a;
  int64_t de = 0;
  int i = 3 * x1; /* bytes from the row's start: byte i is channel i % 3 */
#ifdef PM_ACC_SSE2
  int end = 3 * x2;
  if (end - i >= 24) {
    int16_t ca[24];
    for (int j = 0; j < 24; j++) ca[j] = (int16_t)(rgba[j % 3] * a + 127);
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi16(1), via = _mm_set1_epi16((int16_t)ia);
    __m128i k[3] = {_mm_loadu_si128((const __m128i *)(const void *)ca), _mm_loadu_si128((const __m128i *)(const void *)(ca + 8)),
                    _mm_loadu_si128((const __m128i *)(const void *)(ca + 16))};
    __m128i acc = zero; /* four 32-bit lanes: a span of w <= 4096 pixels adds under 2^31 to each */
    for (; i + 24 <= end; i += 24)
      for (int v = 0; v < 3; v++) {
        __m128i old = pm_load8_u16(crow + i + 8 * v), t = pm_load8_u16(trow + i + 8 * v);
        __m128i x = _mm_add_epi16(_mm_mullo_epi16(old, via), k[v]);
        __m128i nv = _mm_srli_epi16(_mm_add_epi16(_mm_add_epi16(x, one), _mm_srli_epi16(x, 8)), 8);
        __m128i dn = _mm_sub_epi16(nv, t), dold = _mm_sub_epi16(old, t);
        acc = _mm_add_epi32(acc, _mm_sub_epi32(_mm_madd_epi16(dn, dn), _mm_madd_epi16(dold, dold)));
        _mm_storel_epi64((__m128i *)(void *)(crow + i + 8 * v), _mm_packus_epi16(nv, zero));
      }
    de += pm_lanes_sum(acc);
  }
#endif
  uint8_t *c = crow + i;
  const uint8_t *t = trow + i;
  for (int x = i / 3; x < x2; x++, c += 3, t += 3) /* i stays a whole pixel */
    for (int k = 0; k < 3; k++) {
      int old = c[k], nv = (old * ia + rgba[k] * a + 127) / 255;
      de += (nv - t[k]) * (nv - t[k]) - (old - t[k]) * (old - t[k]);
      c[k] = (uint8_t)nv;
    }
  return de;
}

/* Columns [xa, xb) of a row added into acc; with `ps`, each running total is also written as
 * the prefix sum ps[x + 1]. Integer sums: a row cut into pieces, each started from the total of
 * the pieces before it, gives the same sums as one pass (the GPU's draw does that, a piece per
 * thread). */
static inline PM_HD void pm_sums_run(PmSums *ps, const uint8_t *t, const uint8_t *c, int xa, int xb, PmSums *acc) {
  for (int x = xa; x < xb; x++) {
    for (int k = 0; k < 3; k++) {
      int tv = t[3 * x + k], cv = c[3 * x + k];
      acc->t[k] += tv;
      acc->c[k] += cv;
      acc->cc += cv * cv;
      acc->tc += tv * cv;
    }
    if (ps) ps[x + 1] = *acc;
  }
}

/* pm_sums_run() without the prefix sums: one span's totals (a span of at most 4096 pixels). With
 * SSE2, eight pixels a step: per-channel totals in 16-bit lanes (emptied every 256 steps, before
 * they could overflow), c^2 and t c summed over all channels by madd into 32-bit lanes. */
static inline PM_HD void pm_span_sums(const uint8_t *t, const uint8_t *c, int xa, int xb, PmSums *acc) {
#ifdef PM_ACC_SSE2
  int i = 3 * xa, end = 3 * xb;
  if (end - i >= 24) {
    const __m128i zero = _mm_setzero_si128();
    __m128i st[3] = {zero, zero, zero}, sc[3] = {zero, zero, zero}, cc = zero, tc = zero;
    while (i + 24 <= end) {
      int stop = end - i > 24 * 256 ? i + 24 * 256 : end;
      for (; i + 24 <= stop; i += 24)
        for (int v = 0; v < 3; v++) {
          __m128i t16 = pm_load8_u16(t + i + 8 * v), c16 = pm_load8_u16(c + i + 8 * v);
          st[v] = _mm_add_epi16(st[v], t16);
          sc[v] = _mm_add_epi16(sc[v], c16);
          cc = _mm_add_epi32(cc, _mm_madd_epi16(c16, c16));
          tc = _mm_add_epi32(tc, _mm_madd_epi16(t16, c16));
        }
      for (int v = 0; v < 3; v++) { /* lane j of vector v holds channel (8 v + j) % 3 */
        uint16_t lt[8], lc[8];
        _mm_storeu_si128((__m128i *)(void *)lt, st[v]);
        _mm_storeu_si128((__m128i *)(void *)lc, sc[v]);
        for (int j = 0; j < 8; j++) acc->t[(8 * v + j) % 3] += lt[j], acc->c[(8 * v + j) % 3] += lc[j];
        st[v] = sc[v] = zero;
      }
    }
    acc->cc += (int32_t)pm_lanes_sum(cc); /* under 2^31: a span of at most 4096 pixels */
    acc->tc += (int32_t)pm_lanes_sum(tc);
    xa = i / 3;
  }
#endif
  pm_sums_run(NULL, t, c, xa, xb, acc);
}

/* Rebuilds a row's prefix sums (w + 1 entries) from column x0 on; the columns before it are
 * unchanged. */
static inline PM_HD void pm_sums_row(PmSums *ps, const uint8_t *t, const uint8_t *c, int x0, int w) {
  if (x0 == 0) {
    for (int k = 0; k < 3; k++) ps[0].t[k] = ps[0].c[k] = 0;
    ps[0].cc = ps[0].tc = 0;
  }
  PmSums acc = ps[x0];
  pm_sums_run(ps, t, c, x0, w, &acc);
}

/* Draws one row's spans (sorted, disjoint) and rebuilds its prefix sums from the leftmost
 * change; returns the change of the squared error. */
static inline PM_HD int64_t pm_draw_row(uint8_t *crow, const uint8_t *trow, PmSums *srow, const int16_t *x1,
                                        const int16_t *x2, int k, const uint8_t rgba[4], int w) {
  int64_t de = 0;
  for (int i = 0; i < k; i++) de += pm_blend_span(crow, trow, x1[i], x2[i], rgba);
  if (k > 0) pm_sums_row(srow, trow, crow, x1[0], w);
  return de;
}

/* The first row y in [ya, yend] whose centre y + 0.5 is at or below v (yend if none), by the
 * very comparison pm_edge_meet() makes, so the rows an edge covers are the ones it counts. */
static inline PM_HD int pm_first_row_from(float v, int ya, int yend) {
  float guess = ceilf(v - 0.5f);
  int y = !(guess > (float)ya) ? ya : (guess < (float)yend ? (int)guess : yend);
  while (y > ya && (float)(y - 1) + 0.5f >= v) y--;
  while (y < yend && (float)y + 0.5f < v) y++;
  return y;
}

#ifdef PM_ACC_SSE2
/* pm_clamp_to_int(ceilf(v), w) on four lanes. v is first held to [-1, w + 1] (NaN to -1), which
 * gives the same results and keeps the truncation in range; the ceiling is the truncation, plus
 * one where that fell below v. */
static inline __m128i pm_ceil_clamp4(__m128 v, int w) {
  v = _mm_min_ps(_mm_max_ps(v, _mm_set1_ps(-1.0f)), _mm_set1_ps((float)w + 1.0f));
  __m128i t = _mm_cvttps_epi32(v);
  t = _mm_sub_epi32(t, _mm_castps_si128(_mm_cmplt_ps(_mm_cvtepi32_ps(t), v)));
  t = _mm_and_si128(t, _mm_cmpgt_epi32(t, _mm_setzero_si128()));
  __m128i over = _mm_cmpgt_epi32(t, _mm_set1_epi32(w));
  return _mm_or_si128(_mm_andnot_si128(over, t), _mm_and_si128(over, _mm_set1_epi32(w)));
}

/* Rows [y, q) between two edges, four rows a step: the positions, extent and span of
 * pm_convex_row3() in float lanes (the same operations in the same order: minps and maxps
 * choose as its comparisons do), then the rows' sums; a row without a span, or past q, adds an
 * empty one. Returns the first row not done (q, unless the batch is too small for four rows). */
static inline int pm_edge_pair_rows4(PmEdge ea, PmEdge eb, int y, int q, int w, const PmSums *sums,
                                     PmAccRows *rows) {
  const __m128 half = _mm_set1_ps(0.5f);
  const __m128 alo = _mm_set1_ps(ea.lo), ax = _mm_set1_ps(ea.x), as = _mm_set1_ps(ea.slope);
  const __m128 blo = _mm_set1_ps(eb.lo), bx = _mm_set1_ps(eb.x), bs = _mm_set1_ps(eb.slope);
  __m128i count = _mm_setzero_si128(); /* pixels, per lane */
  for (; y < q && rows->batch >= 4; y += 4) {
    __m128i ys = _mm_add_epi32(_mm_set1_epi32(y), _mm_setr_epi32(0, 1, 2, 3));
    __m128 yc = _mm_add_ps(_mm_cvtepi32_ps(ys), half);
    __m128 xa = _mm_add_ps(ax, _mm_mul_ps(_mm_sub_ps(yc, alo), as));
    __m128 xb = _mm_add_ps(bx, _mm_mul_ps(_mm_sub_ps(yc, blo), bs));
    __m128 lo = _mm_min_ps(xb, _mm_min_ps(xa, _mm_set1_ps(1e30f)));
    __m128 hi = _mm_max_ps(xb, _mm_max_ps(xa, _mm_set1_ps(-1e30f)));
    __m128i a = pm_ceil_clamp4(_mm_sub_ps(lo, half), w), b = pm_ceil_clamp4(_mm_sub_ps(hi, half), w);
    __m128i ok = _mm_and_si128(_mm_castps_si128(_mm_cmpgt_ps(hi, lo)), _mm_cmpgt_epi32(b, a));
    ok = _mm_and_si128(ok, _mm_cmplt_epi32(ys, _mm_set1_epi32(q))); /* past q: empty spans of row q - 1 */
    a = _mm_and_si128(a, ok);
    b = _mm_and_si128(b, ok);
    int32_t ia[4], ib[4];
    _mm_storeu_si128((__m128i *)(void *)ia, a);
    _mm_storeu_si128((__m128i *)(void *)ib, b);
    if (rows->rows + 4 > rows->batch) pm_acc_rows_flush(rows);
    for (int i = 0; i < 4; i++) {
      const PmSums *row = sums + (size_t)(y + i < q ? y + i : q - 1) * (w + 1);
      const __m128i *pa = (const __m128i *)(const void *)(row + ia[i]), *pb = (const __m128i *)(const void *)(row + ib[i]);
      rows->lo = _mm_add_epi32(rows->lo, _mm_sub_epi32(_mm_loadu_si128(pb), _mm_loadu_si128(pa)));
      rows->hi = _mm_add_epi32(rows->hi, _mm_sub_epi32(_mm_loadu_si128(pb + 1), _mm_loadu_si128(pa + 1)));
    }
    rows->rows += 4;
    count = _mm_add_epi32(count, _mm_sub_epi32(b, a));
  }
  rows->n += pm_lanes_sum(count);
  return y < q ? y : q;
}
#endif

/* Rows [p, q) (of those ya + first + k * step) between the two edges ea and eb, which meet every
 * one of them: pm_convex_row3()'s spans with two edge positions a row and no range tests. */
static inline PM_HD void pm_edge_pair_rows(PmEdge ea, PmEdge eb, int p, int q, int ya, const PmSums *sums, int w,
                                           int first, int step, PmAccRows *rows) {
  int y = ya + first;
  if (y < p) y += (p - y + step - 1) / step * step;
#ifdef PM_ACC_SSE2
  if (step == 1) y = pm_edge_pair_rows4(ea, eb, y, q, w, sums, rows);
#endif
  for (; y < q; y += step) {
    float yc = (float)y + 0.5f, lo = 1e30f, hi = -1e30f;
    float xa = ea.x + (yc - ea.lo) * ea.slope, xb = eb.x + (yc - eb.lo) * eb.slope;
    lo = xa < lo ? xa : lo;
    hi = xa > hi ? xa : hi;
    lo = xb < lo ? xb : lo;
    hi = xb > hi ? xb : hi;
    int16_t a, b;
    if (pm_extent_span(lo, hi, 2, w, &a, &b)) pm_acc_rows_span(rows, sums + (size_t)y * (w + 1), a, b);
  }
}

/* A triangle's rows (at most three edges, from pm_make_edges()). Its vertices' heights split
 * them in two: above the middle vertex the long edge and the upper short one meet every row,
 * below it the long edge and the lower one, so pm_convex_row3()'s range tests, made once here,
 * give two runs of rows between two edges (taken in the edge set's order, as it takes them).
 * Anything else keeps the row-by-row walk. Tests acc_rows and triangle_rows hold the two
 * together. */
static inline PM_HD void pm_triangle_rows(const PmEdgeSet *es, int ya, int yb, const PmSums *sums, int w, int first,
                                          int step, PmAccRows *rows) {
  const PmEdge *e = es->e;
  int n = es->n, end = yb + 1;
  if (n == 2 && e[0].lo == e[1].lo && e[0].hi == e[1].hi) { /* one side level: both edges, every row */
    pm_edge_pair_rows(e[0], e[1], pm_first_row_from(e[0].lo, ya, end), pm_first_row_from(e[0].hi, ya, end), ya, sums,
                      w, first, step, rows);
    return;
  }
  if (n == 3) {
    float top = e[0].lo, bottom = e[0].hi;
    for (int i = 1; i < 3; i++) {
      top = e[i].lo < top ? e[i].lo : top;
      bottom = e[i].hi > bottom ? e[i].hi : bottom;
    }
    int l = -1, s1 = -1, s2 = -1;
    for (int i = 0; i < 3; i++)
      if (l < 0 && e[i].lo == top && e[i].hi == bottom) l = i;
    for (int i = 0; i < 3; i++)
      if (i != l) {
        if (e[i].lo == top) s1 = i;
        else if (e[i].hi == bottom) s2 = i;
      }
    if (l >= 0 && s1 >= 0 && s2 >= 0 && e[s1].hi == e[s2].lo) {
      int r0 = pm_first_row_from(top, ya, end), r1 = pm_first_row_from(e[s1].hi, ya, end);
      int r2 = pm_first_row_from(bottom, ya, end);
      pm_edge_pair_rows(e[l < s1 ? l : s1], e[l < s1 ? s1 : l], r0, r1, ya, sums, w, first, step, rows);
      pm_edge_pair_rows(e[l < s2 ? l : s2], e[l < s2 ? s2 : l], r1, r2, ya, sums, w, first, step, rows);
      return;
    }
  }
  PmEdge none = {0.0f, 0.0f, 0.0f, 0.0f, 0}; /* not read: only the first n edges are */
  PmEdge e0 = n > 0 ? e[0] : none, e1 = n > 1 ? e[1] : none, e2 = n > 2 ? e[2] : none;
  for (int y = ya + first; y <= yb; y += step) {
    int16_t a, b;
    if (pm_convex_row3(e0, e1, e2, n, y, w, &a, &b)) pm_acc_rows_span(rows, sums + (size_t)y * (w + 1), a, b);
  }
}

/* Rows ya + first, ya + first + step, ... up to yb of a candidate, added into acc. The sums are
 * integers, so any split of the rows among threads (a GPU's lanes) adds up to the whole exactly. */
static inline PM_HD void pm_eval_geo_rows(const PmGeo *g, const PmEdgeSet *es, int ya, int yb, const PmSums *sums,
                                          int w, int first, int step, PmAcc *acc) {
  int16_t x1[PM_MAX_INTERVALS], x2[PM_MAX_INTERVALS];
  PmAccRows rows;
  pm_acc_rows_init(&rows, acc, w);
  if (es->n >= 0 && es->n <= 3) { /* a triangle: the hot path */
    pm_triangle_rows(es, ya, yb, sums, w, first, step, &rows);
  } else if (es->n >= 0) { /* other convex shapes */
    for (int y = ya + first; y <= yb; y += step)
      if (pm_convex_row(es, y, w, x1, x2)) pm_acc_rows_span(&rows, sums + (size_t)y * (w + 1), x1[0], x2[0]);
  } else {
    for (int y = ya + first; y <= yb; y += step) {
      int k = pm_general_row(g, y, w, x1, x2);
      for (int i = 0; i < k; i++) pm_acc_rows_span(&rows, sums + (size_t)y * (w + 1), x1[i], x2[i]);
    }
  }
  pm_acc_rows_flush(&rows);
}

/* A whole candidate: rasterize g on a w x h image with row prefix sums `sums` ((w + 1) per
 * row) and solve it: the CPU search's evaluation of a candidate (model.c), the CUDA evaluation
 * kernel's per thread, and the device search's split among lanes (pm_eval_geo_rows). */
static inline PM_HD double pm_eval_geo(const PmGeo *g, const PmSums *sums, int w, int h, int alpha, uint8_t rgb[3]) {
  PmAcc acc = {{0, 0, 0}, {0, 0, 0}, 0, 0, 0};
  PmEdgeSet es;
  int ya, yb;
  if (pm_geo_rows(g, w, h, &ya, &yb, &es)) pm_eval_geo_rows(g, &es, ya, yb, sums, w, 0, 1, &acc);
  return pm_acc_solve(&acc, alpha, rgb);
}

#endif
