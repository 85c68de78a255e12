/* Core tests. Run one with `test_core NAME`, or all with no argument. Each check compares the
 * optimised code with a slow, independent reference. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "internal.h"

#include "check.h"

/* ---------- brute-force point-in-shape references ---------- */

static int inside_polygon_nonzero(const float *xy, int n, double px, double py) {
  int wn = 0;
  for (int i = 0; i < n; i++) {
    double x0 = xy[2 * i], y0 = xy[2 * i + 1], x1 = xy[2 * ((i + 1) % n)], y1 = xy[2 * ((i + 1) % n) + 1];
    double cross = (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0);
    if (y0 <= py) {
      if (y1 > py && cross > 0) wn++;
    } else if (y1 <= py && cross < 0) {
      wn--;
    }
  }
  return wn != 0;
}

static int inside(const PmShape *s, double x, double y) {
  const float *p = s->p;
  switch (s->kind) {
  case PM_SHAPE_TRIANGLE: return inside_polygon_nonzero(p, 3, x, y);
  case PM_SHAPE_POLYGON: return inside_polygon_nonzero(p, 4, x, y);
  case PM_SHAPE_RECTANGLE:
    return x >= fmin(p[0], p[2]) && x <= fmax(p[0], p[2]) && y >= fmin(p[1], p[3]) && y <= fmax(p[1], p[3]);
  case PM_SHAPE_ELLIPSE: case PM_SHAPE_CIRCLE: case PM_SHAPE_ROTATED_ELLIPSE:
  case PM_SHAPE_ROTATED_RECTANGLE: {
    double t = (s->kind == PM_SHAPE_ROTATED_ELLIPSE || s->kind == PM_SHAPE_ROTATED_RECTANGLE) ? p[4] * PM_PI / 180 : 0;
    double dx = x - p[0], dy = y - p[1];
    double u = dx * cos(t) + dy * sin(t), v = -dx * sin(t) + dy * cos(t);
    if (s->kind == PM_SHAPE_ROTATED_RECTANGLE) return fabs(u) <= p[2] / 2 && fabs(v) <= p[3] / 2;
    return (u * u) / (p[2] * p[2]) + (v * v) / (p[3] * p[3]) <= 1.0;
  }
  case PM_SHAPE_BEZIER: {
    double best = 1e30;
    for (int i = 0; i <= 2000; i++) {
      double t = i / 2000.0, a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t;
      double qx = a * p[0] + b * p[2] + c * p[4], qy = a * p[1] + b * p[3] + c * p[5];
      double d = (qx - x) * (qx - x) + (qy - y) * (qy - y);
      if (d < best) best = d;
    }
    return sqrt(best) <= p[6] / 2;
  }
  default: return 0;
  }
}

/* A mismatch is excused only where the reference itself changes within `r` of the pixel
 * centre: an edge pixel. */
static int near_edge(const PmShape *s, double x, double y, double r) {
  int c = inside(s, x, y);
  for (int k = 0; k < 16; k++) {
    double a = k * PM_PI / 8;
    for (double f = 0.25; f <= 1.0; f += 0.25)
      if (inside(s, x + f * r * cos(a), y + f * r * sin(a)) != c) return 1;
  }
  return 0;
}

/* Rasterizes s on w x h and compares every pixel with the reference. Returns unexcused
 * mismatches; checks span invariants on the way. */
static int compare_raster(const PmShape *s, int w, int h, int *edge_mismatch) {
  PmGeo g;
  PmSpan *sp = malloc(sizeof *sp * (size_t)h * PM_MAX_INTERVALS);
  unsigned char *mask = calloc((size_t)w * h, 1);
  pm_shape_geometry(s, &g);
  int n = pm_geo_spans(&g, w, h, sp), bad = 0;
  for (int i = 0; i < n; i++) {
    CHECK(sp[i].y >= 0 && sp[i].y < h && sp[i].x1 >= 0 && sp[i].x1 < sp[i].x2 && sp[i].x2 <= w,
          "span %d out of bounds: y=%d x=[%d,%d)", i, sp[i].y, sp[i].x1, sp[i].x2);
    if (i > 0)
      CHECK(sp[i].y > sp[i - 1].y || (sp[i].y == sp[i - 1].y && sp[i].x1 >= sp[i - 1].x2),
            "spans %d and %d overlap or are out of order", i - 1, i);
    for (int x = sp[i].x1; x < sp[i].x2; x++) mask[sp[i].y * w + x]++;
  }
  double r = s->kind == PM_SHAPE_BEZIER ? 1.0 : 0.75; /* the Bézier is drawn as a 12-segment polyline */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int want = inside(s, x + 0.5, y + 0.5), got = mask[y * w + x];
      CHECK(got <= 1, "pixel %d,%d covered %d times", x, y, got);
      if (want != (got > 0)) {
        if (near_edge(s, x + 0.5, y + 0.5, r)) (*edge_mismatch)++;
        else bad++;
      }
    }
  free(sp);
  free(mask);
  return bad;
}

static int test_raster(void) {
  PmRng r;
  pm_rng_seed(&r, 7, 0, 0);
  for (int kind = 1; kind < PM_SHAPE_KIND_COUNT; kind++) {
    int bad = 0, edge = 0, shapes = 0;
    for (int i = 0; i < 150; i++) {
      PmShape s;
      pm_shape_random(&s, (PmShapeKind)kind, &r, 64, 48);
      int muts = pm_rng_int(&r, 30);
      for (int k = 0; k < muts; k++) pm_shape_mutate(&s, &r, 64, 48);
      bad += compare_raster(&s, 64, 48, &edge);
      shapes++;
    }
    printf("raster %-18s %d shapes, %d edge-pixel differences, %d interior differences\n",
           pm_shape_kind_name((PmShapeKind)kind), shapes, edge, bad);
    CHECK(bad == 0, "%s: %d pixels differ from the reference away from any edge",
          pm_shape_kind_name((PmShapeKind)kind), bad);
  }
  return 0;
}

/* Scales a shape by f about (cx, cy), so that it reaches outside the image. */
static void stretch(PmShape *s, float f, float cx, float cy) {
  int points = s->kind == PM_SHAPE_TRIANGLE || s->kind == PM_SHAPE_RECTANGLE || s->kind == PM_SHAPE_POLYGON ||
               s->kind == PM_SHAPE_BEZIER;
  int n = points ? (s->kind == PM_SHAPE_BEZIER ? 6 : 8) : 2;
  for (int k = 0; k < n; k += 2) {
    s->p[k] = cx + (s->p[k] - cx) * f;
    s->p[k + 1] = cy + (s->p[k + 1] - cy) * f;
  }
  if (!points) s->p[2] *= f, s->p[3] *= f;
}

/* Shapes reaching far outside the image: spans stay inside and match the reference. */
static int test_clipping(void) {
  PmRng r;
  pm_rng_seed(&r, 8, 0, 0);
  for (int kind = 1; kind < PM_SHAPE_KIND_COUNT; kind++) {
    int bad = 0, edge = 0;
    for (int i = 0; i < 100; i++) {
      PmShape s;
      pm_shape_random(&s, (PmShapeKind)kind, &r, 40, 30);
      stretch(&s, 3.0f, 20.0f, 15.0f);
      bad += compare_raster(&s, 40, 30, &edge);
    }
    CHECK(bad == 0, "%s: %d clipped pixels differ", pm_shape_kind_name((PmShapeKind)kind), bad);
    /* entirely outside */
    PmShape s;
    pm_shape_random(&s, (PmShapeKind)kind, &r, 40, 30);
    if (kind == PM_SHAPE_TRIANGLE || kind == PM_SHAPE_RECTANGLE || kind == PM_SHAPE_POLYGON || kind == PM_SHAPE_BEZIER)
      for (int k = 0; k < (kind == PM_SHAPE_BEZIER ? 6 : 8); k += 2) s.p[k] += 500.0f;
    else
      s.p[0] += 500.0f;
    PmGeo g;
    PmSpan sp[30 * PM_MAX_INTERVALS];
    pm_shape_geometry(&s, &g);
    CHECK(pm_geo_spans(&g, 40, 30, sp) == 0, "%s far outside still has spans", pm_shape_kind_name((PmShapeKind)kind));
  }
  return 0;
}

/* ---------- model ---------- */

static uint8_t *noise_image(int w, int h, uint64_t seed) {
  uint8_t *img = malloc((size_t)w * h * 3);
  PmRng r;
  pm_rng_seed(&r, seed, 0, 0);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < 3; k++)
        img[(y * w + x) * 3 + k] = (uint8_t)pm_clampi((x * (k + 1) * 3 + y * (3 - k) * 2) % 256 / 2 + pm_rng_int(&r, 100), 0, 255);
  return img;
}

static PmModel *make_model(const uint8_t *rgb, int w, int h, int threads, PmShapeKind kind, int alpha) {
  PmConfig c;
  pm_config_init(&c);
  c.threads = threads;
  c.kind = kind;
  c.alpha = alpha;
  c.candidates = 30;
  c.climbs = 6;
  c.max_age = 40;
  PmFrame f = {PM_FORMAT_RGB, w, h, {(uint8_t *)rgb, NULL, NULL}, {w * 3, 0, 0}};
  char err[128];
  PmModel *m = pm_model_new(&c, &f, err, sizeof err);
  if (!m) fprintf(stderr, "pm_model_new: %s\n", err);
  return m;
}

static int64_t full_error(const PmModel *m) {
  int w, h;
  pm_model_working_size(m, &w, &h);
  const uint8_t *t = pm_model_target(m), *c = pm_model_canvas(m, NULL);
  int64_t e = 0;
  for (size_t i = 0; i < (size_t)w * h * 3; i++) e += (t[i] - c[i]) * (t[i] - c[i]);
  return e;
}

/* Squared error of one channel over the shape's pixels if colour v were drawn, with the
 * canvas's rounding or without. */
static double channel_error(const PmModel *m, const PmSpan *sp, int n, int k, int v, int alpha, int rounded) {
  int w, h;
  pm_model_working_size(m, &w, &h);
  const uint8_t *t = pm_model_target(m), *c = pm_model_canvas(m, NULL);
  double e = 0;
  for (int i = 0; i < n; i++)
    for (int x = sp[i].x1; x < sp[i].x2; x++) {
      size_t o = ((size_t)sp[i].y * w + x) * 3 + k;
      double nv = rounded ? (double)((c[o] * (255 - alpha) + v * alpha + 127) / 255)
                          : c[o] + alpha / 255.0 * (v - c[o]);
      e += (nv - t[o]) * (nv - t[o]);
    }
  return e;
}

static int test_colour(void) {
  int w = 60, h = 50;
  uint8_t *img = noise_image(w, h, 3);
  for (int alpha = 0; alpha <= 255; alpha += 85) {
    PmModel *m = make_model(img, w, h, 1, PM_SHAPE_TRIANGLE, alpha ? alpha : 128);
    for (int i = 0; i < 5; i++) pm_model_step(m);
    PmRng r;
    pm_rng_seed(&r, 11, (uint64_t)alpha, 0);
    int a = alpha ? alpha : 1 + pm_rng_int(&r, 255);
    for (int trial = 0; trial < 40; trial++) {
      PmShape s;
      pm_shape_random(&s, PM_SHAPE_ANY, &r, w, h);
      for (int k = 0; k < 10; k++) pm_shape_mutate(&s, &r, w, h);
      s.rgba[3] = (uint8_t)a;
      pm_model_eval(m, &s);
      PmGeo g;
      PmSpan sp[50 * PM_MAX_INTERVALS];
      pm_shape_geometry(&s, &g);
      int n = pm_geo_spans(&g, w, h, sp);
      if (n == 0) continue;
      for (int k = 0; k < 3; k++) {
        /* exact: the closed form is the optimum of the unrounded blend, up to rounding C */
        double best = 1e300, ours = channel_error(m, sp, n, k, s.rgba[k], a, 0);
        for (int v = 0; v < 256; v++) best = fmin(best, channel_error(m, sp, n, k, v, a, 0));
        int px = 0;
        for (int i = 0; i < n; i++) px += sp[i].x2 - sp[i].x1;
        double aa = a / 255.0;
        CHECK(ours <= best + px * aa * aa * 0.25 + 1e-6, "alpha %d channel %d: colour %d costs %.2f, best %.2f", a,
              k, s.rgba[k], ours, best);
        /* drawn with rounding, it stays within the rounding's reach of the best drawn colour */
        double bestr = 1e300, oursr = channel_error(m, sp, n, k, s.rgba[k], a, 1);
        for (int v = 0; v < 256; v++) bestr = fmin(bestr, channel_error(m, sp, n, k, v, a, 1));
        CHECK(oursr <= bestr + 2.0 * sqrt(ours * px) + px * 0.5, "alpha %d channel %d: drawn colour %d costs %.1f, best %.1f",
              a, k, s.rgba[k], oursr, bestr);
      }
    }
    pm_model_free(m);
  }
  free(img);
  return 0;
}

/* A one-thread model of img (w x h RGB, w >= h) at its own size: its prefix sums are the
 * image's rows. */
static PmModel *full_size_model(uint8_t *img, int w, int h) {
  PmConfig c;
  pm_config_init(&c);
  c.threads = 1;
  c.working_size = w;
  PmFrame f = {PM_FORMAT_RGB, w, h, {img, NULL, NULL}, {w * 3, 0, 0}};
  char err[128];
  PmModel *m = pm_model_new(&c, &f, err, sizeof err);
  if (!m) fprintf(stderr, "pm_model_new: %s\n", err);
  return m;
}

/* A candidate's sums from the row walk (32-bit SSE2 batches of spans where the CPU has SSE2)
 * against the spans summed one by one in 64 bits, at working widths up to the largest (4096,
 * where a batch is 2 spans), on bright noise so that the 32-bit lanes come near their limit:
 * triangles (half of them nearly as wide as the image) and every other kind. */
static int test_acc_rows(void) {
  static const int sizes[][2] = {{256, 160}, {1500, 90}, {4096, 48}};
  for (int z = 0; z < 3; z++) {
    int w = sizes[z][0], h = sizes[z][1], bad = 0, rows = 0;
    uint8_t *img = noise_image(w, h, 21 + z);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) img[i] = (uint8_t)(255 - img[i] / 8);
    PmModel *m = full_size_model(img, w, h);
    CHECK(m != NULL, "no model of %dx%d", w, h);
    if (!m) continue;
    int mw, mh;
    pm_model_working_size(m, &mw, &mh);
    CHECK(mw == w && mh == h, "working size %dx%d, asked %dx%d", mw, mh, w, h);
    const PmSums *sums = pm_model_sums(m);
    PmSpan *sp = malloc(sizeof *sp * (size_t)h * PM_MAX_INTERVALS);
    PmRng r;
    pm_rng_seed(&r, 3, (uint64_t)z, 0);
    for (int i = 0; i < 400; i++) {
      PmShape s;
      pm_shape_random(&s, i % 4 == 3 ? PM_SHAPE_ANY : PM_SHAPE_TRIANGLE, &r, w, h);
      if (i % 4 == 1) /* wide triangles: most of the width on every row */
        for (int k = 0; k < 3; k++) s.p[2 * k] = (float)(k == 1 ? w - 1 - pm_rng_int(&r, 8) : pm_rng_int(&r, 8));
      PmGeo g;
      PmEdgeSet es;
      int ya, yb;
      pm_shape_geometry(&s, &g);
      PmAcc walk = {{0, 0, 0}, {0, 0, 0}, 0, 0, 0}, spans = walk;
      if (pm_geo_rows(&g, w, h, &ya, &yb, &es)) pm_eval_geo_rows(&g, &es, ya, yb, sums, w, 0, 1, &walk);
      int n = pm_geo_spans(&g, w, h, sp);
      for (int j = 0; j < n; j++) pm_acc_span(&spans, sums + (size_t)sp[j].y * (w + 1), sp[j].x1, sp[j].x2);
      rows += n;
      if (memcmp(&walk, &spans, sizeof walk)) bad++;
    }
    CHECK(bad == 0 && rows > 400, "%dx%d: %d of 400 shapes' sums differ (%d spans)", w, h, bad, rows);
    free(sp);
    pm_model_free(m);
    free(img);
  }
  return 0;
}

/* The triangle row walk (two runs of rows between two edges, four rows a step with SSE2) against
 * the row-by-row edge tests, on the triangles most likely to part them: corners on row centres
 * (where an edge's half-open range starts or ends), level sides, repeated and collinear
 * corners, corners far off the image; whole and split among 2, 3 and 8 lanes, and at a width
 * whose 32-bit batch is shorter than four rows. */
static int test_triangle_rows(void) {
  static const int sizes[][2] = {{96, 64}, {1500, 40}, {4096, 24}};
  for (int z = 0; z < 3; z++) {
    int w = sizes[z][0], h = sizes[z][1], bad = 0, lanes_bad = 0, spans = 0;
    uint8_t *img = noise_image(w, h, 31 + z);
    PmModel *m = full_size_model(img, w, h);
    CHECK(m != NULL, "no model of %dx%d", w, h);
    if (!m) continue;
    const PmSums *sums = pm_model_sums(m);
    PmRng r;
    pm_rng_seed(&r, 5, (uint64_t)z, 0);
    for (int i = 0; i < 20000; i++) {
      float xy[6];
      for (int k = 0; k < 3; k++) {
        int kind = pm_rng_int(&r, 6);
        float x = (float)pm_rng_int(&r, w + 20) - 10.0f, y = (float)pm_rng_int(&r, h + 20) - 10.0f;
        if (kind == 1) y += 0.5f;                                            /* on a row centre */
        if (kind == 2) x += pm_rng_float(&r), y += pm_rng_float(&r);         /* anywhere */
        if (kind == 3 && k > 0) y = xy[2 * (k - 1) + 1];                     /* a level side */
        if (kind == 4 && k > 0) x = xy[0], y = xy[1];                        /* a repeated corner */
        if (kind == 5) x *= 1e4f, y = (y - h / 2.0f) * 1e3f + 0.5f;          /* far off */
        xy[2 * k] = x, xy[2 * k + 1] = y;
      }
      if (i % 7 == 6) /* collinear */
        xy[4] = 2 * xy[2] - xy[0], xy[5] = 2 * xy[3] - xy[1];
      PmGeo g;
      g.type = PM_GEO_CONVEX;
      g.npieces = 1;
      pm_piece_polygon(&g.pieces[0], PM_GEO_CONVEX, xy, 3);
      pm_geo_finish(&g);
      PmEdgeSet es;
      int ya, yb;
      if (!pm_geo_rows(&g, w, h, &ya, &yb, &es)) continue;
      PmAcc walk = {{0, 0, 0}, {0, 0, 0}, 0, 0, 0}, rows = walk, split = walk;
      pm_eval_geo_rows(&g, &es, ya, yb, sums, w, 0, 1, &walk);
      for (int y = ya; y <= yb; y++) {
        int16_t a, b;
        if (pm_convex_row(&es, y, w, &a, &b)) pm_acc_span(&rows, sums + (size_t)y * (w + 1), a, b), spans++;
      }
      if (memcmp(&walk, &rows, sizeof walk)) bad++;
      int lanes = i % 3 == 0 ? 2 : (i % 3 == 1 ? 3 : 8);
      for (int lane = 0; lane < lanes; lane++) pm_eval_geo_rows(&g, &es, ya, yb, sums, w, lane, lanes, &split);
      if (memcmp(&split, &rows, sizeof split)) lanes_bad++;
    }
    CHECK(bad == 0 && lanes_bad == 0 && spans > 20000, "%dx%d: %d of 20000 triangles' sums differ from the row tests, "
          "%d split among lanes (%d spans)", w, h, bad, lanes_bad, spans);
    pm_model_free(m);
    free(img);
  }
  return 0;
}

/* The predicted error change against a full recomputation after drawing. */
static int test_partial_error(void) {
  int w = 80, h = 64;
  uint8_t *img = noise_image(w, h, 4);
  PmModel *m = make_model(img, w, h, 2, PM_SHAPE_ANY, 0);
  CHECK(pm_model_error(m) == full_error(m), "initial error %lld != %lld", (long long)pm_model_error(m),
        (long long)full_error(m));
  PmRng r;
  pm_rng_seed(&r, 5, 0, 0);
  for (int i = 0; i < 60; i++) {
    PmShape s;
    pm_shape_random(&s, PM_SHAPE_ANY, &r, w, h);
    for (int k = 0; k < 15; k++) pm_shape_mutate(&s, &r, w, h);
    s.rgba[3] = (uint8_t)(1 + pm_rng_int(&r, 255));
    double pred = pm_model_eval(m, &s);
    /* rounding bound: each channel of each pixel lands within 0.5 of the unrounded blend */
    PmGeo g;
    PmSpan sp[64 * PM_MAX_INTERVALS];
    pm_shape_geometry(&s, &g);
    int n = pm_geo_spans(&g, w, h, sp);
    const uint8_t *t = pm_model_target(m), *c = pm_model_canvas(m, NULL);
    double bound = 1.0, a = s.rgba[3] / 255.0;
    for (int j = 0; j < n; j++)
      for (int x = sp[j].x1; x < sp[j].x2; x++)
        for (int k = 0; k < 3; k++) {
          size_t o = ((size_t)sp[j].y * w + x) * 3 + k;
          double q = c[o] + a * (s.rgba[k] - c[o]);
          bound += fabs(q - t[o]) + 0.25;
        }
    int64_t before = pm_model_error(m);
    pm_model_add(m, &s);
    int64_t after = pm_model_error(m), full = full_error(m);
    CHECK(after == full, "shape %d: incremental error %lld, full recomputation %lld", i, (long long)after,
          (long long)full);
    CHECK(fabs((double)(after - before) - pred) <= bound, "shape %d: predicted %.1f, actual %lld (bound %.1f)", i,
          pred, (long long)(after - before), bound);
  }
  pm_model_free(m);
  free(img);
  return 0;
}

/* Same seed, same shapes, whatever the number of threads. */
static int test_threads(void) {
  int w = 96, h = 72;
  uint8_t *img = noise_image(w, h, 9);
  PmModel *m1 = make_model(img, w, h, 1, PM_SHAPE_ANY, 0);
  PmModel *m2 = make_model(img, w, h, 2, PM_SHAPE_ANY, 0);
  PmModel *m3 = make_model(img, w, h, 3, PM_SHAPE_ANY, 0);
  for (int i = 0; i < 25; i++) {
    pm_model_step(m1);
    pm_model_step(m2);
    pm_model_step(m3);
  }
  CHECK(pm_model_shape_count(m1) == 25 && pm_model_shape_count(m2) == 25, "shape counts %d %d",
        pm_model_shape_count(m1), pm_model_shape_count(m2));
  CHECK(!memcmp(pm_model_shapes(m1), pm_model_shapes(m2), sizeof(PmShape) * 25), "1 and 2 threads differ");
  CHECK(!memcmp(pm_model_shapes(m1), pm_model_shapes(m3), sizeof(PmShape) * 25), "1 and 3 threads differ");
  CHECK(pm_model_score(m1) == pm_model_score(m2), "scores %f %f", pm_model_score(m1), pm_model_score(m2));
  /* and the search does what it is for */
  PmModel *m0 = make_model(img, w, h, 1, PM_SHAPE_ANY, 0);
  CHECK(pm_model_score(m1) < 0.8 * pm_model_score(m0), "25 shapes: score %f, background only %f",
        pm_model_score(m1), pm_model_score(m0));
  pm_model_free(m0), pm_model_free(m1), pm_model_free(m2), pm_model_free(m3);
  free(img);
  return 0;
}

/* A frame of flat rectangles, used by the warm-start and render tests. */
static uint8_t *rect_image(int w, int h, int shift) {
  uint8_t *img = malloc((size_t)w * h * 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *p = img + (y * w + x) * 3;
      p[0] = 30, p[1] = 60, p[2] = 90;
      if (x >= 10 + shift && x < 50 + shift && y >= 8 && y < 40) p[0] = 220, p[1] = 40, p[2] = 40;
      if (x >= 30 + shift && x < 90 + shift && y >= 30 && y < 60) p[0] = 40, p[1] = 200, p[2] = 60;
      if (x >= 70 && x < 110 && y >= 5 && y < 25) p[0] = 250, p[1] = 250, p[2] = 210;
    }
  return img;
}

static int test_warm_start(void) {
  int w = 128, h = 72;
  uint8_t *a = rect_image(w, h, 0), *b = rect_image(w, h, 4);
  PmModel *m = make_model(a, w, h, 2, PM_SHAPE_RECTANGLE, 128);
  for (int i = 0; i < 20; i++) pm_model_step(m);
  double s0 = pm_model_score(m);
  CHECK(s0 < 0.05, "20 rectangles on a frame of 3 rectangles: score %f", s0);
  /* same frame again: the refit must not lose anything */
  PmFrame fa = {PM_FORMAT_RGB, w, h, {a, NULL, NULL}, {w * 3, 0, 0}};
  PmFrame fb = {PM_FORMAT_RGB, w, h, {b, NULL, NULL}, {w * 3, 0, 0}};
  char err[128];
  CHECK(pm_model_set_target(m, &fa, err, sizeof err) == 0, "%s", err);
  double s1 = pm_model_warm_start(m, 20, 40, 3);
  CHECK(s1 <= s0 * 1.001, "warm start on the same frame: %f -> %f", s0, s1);
  CHECK(pm_model_shape_count(m) == 20, "%d shapes after warm start", pm_model_shape_count(m));
  /* moved content: warm start beats a cold start of equal shape count and lower effort */
  CHECK(pm_model_set_target(m, &fb, err, sizeof err) == 0, "%s", err);
  double before = pm_model_score(m);
  double s2 = pm_model_warm_start(m, 20, 40, 3);
  CHECK(s2 < before, "warm start did not improve on the moved frame: %f -> %f", before, s2);
  PmModel *cold = make_model(b, w, h, 2, PM_SHAPE_RECTANGLE, 128);
  for (int i = 0; i < 20; i++) pm_model_step(cold);
  printf("warm start: same frame %f -> %f; moved frame %f (cold start %f)\n", s0, s1, s2, pm_model_score(cold));
  CHECK(s2 <= pm_model_score(cold) * 1.5, "warm %f vs cold %f", s2, pm_model_score(cold));
  /* a new working size keeps the shapes */
  uint8_t *big = malloc((size_t)w * 2 * h * 2 * 3);
  for (int y = 0; y < 2 * h; y++)
    for (int x = 0; x < 2 * w; x++) memcpy(big + (y * 2 * w + x) * 3, b + ((y / 2) * w + x / 2) * 3, 3);
  PmFrame fbig = {PM_FORMAT_RGB, 2 * w, 2 * h, {big, NULL, NULL}, {2 * w * 3, 0, 0}};
  CHECK(pm_model_set_target(m, &fbig, err, sizeof err) == 0, "%s", err);
  int ww, wh;
  pm_model_working_size(m, &ww, &wh);
  CHECK(ww == 256 && wh == 144, "working size %dx%d", ww, wh);
  /* the same picture twice as large: the scaled shapes, replayed, score about as a cold search
   * (half-pixel edges make it worse than before the resize) */
  double replayed = pm_model_score(m);
  CHECK(pm_model_shape_count(m) == 20 && replayed < pm_model_score(cold) * 1.5,
        "after resize: %d shapes, %f (cold start %f)", pm_model_shape_count(m), replayed, pm_model_score(cold));
  double s3 = pm_model_warm_start(m, 20, 10, 3);
  CHECK(s3 <= replayed * 1.001, "warm start after resize: %f -> %f", replayed, s3);
  pm_model_free(m), pm_model_free(cold);
  free(a), free(b), free(big);
  return 0;
}

/* A drawing leaves its rows' prefix sums stale until a search reads them: after warm starts
 * (their refits redraw every shape; refinement and replacement searches read the sums between
 * drawings) the sums brought up to date equal sums built from scratch, and the error kept along
 * the way equals a full recomputation, whatever the thread count (the rebuild runs in bands on
 * the pool). */
static int test_lazy_sums(void) {
  int w = 96, h = 64;
  uint8_t *a = noise_image(w, h, 7), *b = malloc((size_t)w * h * 3);
  for (int y = 0; y < h; y++) /* the picture moved 3 pixels right and 2 down */
    for (int x = 0; x < w; x++) memcpy(b + (y * w + x) * 3, a + ((y >= 2 ? y - 2 : 0) * w + (x >= 3 ? x - 3 : 0)) * 3, 3);
  PmShape first[40];
  int nfirst = 0;
  for (int threads = 1; threads <= 2; threads++) {
    PmModel *m = make_model(a, w, h, threads, PM_SHAPE_ANY, 0);
    for (int i = 0; i < 30; i++) pm_model_step(m);
    PmFrame fb = {PM_FORMAT_RGB, w, h, {b, NULL, NULL}, {w * 3, 0, 0}};
    PmFrame fa = {PM_FORMAT_RGB, w, h, {a, NULL, NULL}, {w * 3, 0, 0}};
    char err[128];
    for (int f = 0; f < 3; f++) {
      CHECK(pm_model_load_target(m, f % 2 ? &fa : &fb, err, sizeof err) == 0, "%s", err);
      pm_model_warm_start(m, 30, 8, 3);
    }
    for (int i = 0; i < 3; i++) pm_model_step(m); /* drawings over sums that were up to date */
    CHECK(pm_model_error(m) == full_error(m), "%d threads: error kept %lld, recomputed %lld", threads,
          (long long)pm_model_error(m), (long long)full_error(m));
    const PmSums *sums = pm_model_sums(m);
    const uint8_t *t = pm_model_target(m), *c = pm_model_canvas(m, NULL);
    int bad = 0;
    for (int y = 0; y < h; y++) {
      PmSums acc = {{0, 0, 0}, {0, 0, 0}, 0, 0};
      for (int x = 0; x <= w; x++) {
        if (x > 0)
          for (int k = 0; k < 3; k++) {
            int tv = t[(y * w + x - 1) * 3 + k], cv = c[(y * w + x - 1) * 3 + k];
            acc.t[k] += tv, acc.c[k] += cv, acc.cc += cv * cv, acc.tc += tv * cv;
          }
        bad += memcmp(&acc, &sums[(size_t)y * (w + 1) + x], sizeof acc) != 0;
      }
    }
    CHECK(bad == 0, "%d threads: %d prefix sums differ from sums built from scratch", threads, bad);
    /* the canvas is its shapes drawn over its background (replacement rounds restore canvases
     * kept part-way through earlier refits) */
    uint8_t *canvas = malloc((size_t)w * h * 3), bg[3];
    PmSpan *spans = malloc(sizeof *spans * (size_t)h * PM_MAX_INTERVALS);
    pm_model_background(m, bg);
    for (int i = 0; i < w * h; i++) memcpy(canvas + 3 * i, bg, 3);
    for (int i = 0; i < pm_model_shape_count(m); i++) {
      const PmShape *sh = &pm_model_shapes(m)[i];
      PmGeo g;
      pm_shape_geometry(sh, &g);
      int ns = pm_geo_spans(&g, w, h, spans);
      for (int k = 0; k < ns; k++)
        pm_blend_span(canvas + (size_t)spans[k].y * w * 3, t + (size_t)spans[k].y * w * 3, spans[k].x1, spans[k].x2, sh->rgba);
    }
    CHECK(!memcmp(canvas, c, (size_t)w * h * 3), "%d threads: the canvas is not its shapes drawn afresh", threads);
    free(canvas), free(spans);
    int n = pm_model_shape_count(m);
    if (threads == 1) {
      nfirst = n;
      memcpy(first, pm_model_shapes(m), sizeof *first * (size_t)n);
    } else {
      CHECK(n == nfirst && !memcmp(first, pm_model_shapes(m), sizeof *first * (size_t)n),
            "2 threads: %d shapes, not the 1-thread run's %d", n, nfirst);
    }
    pm_model_free(m);
  }
  free(a), free(b);
  return 0;
}

/* pm_blend_span (SSE2 eight pixels a step where the CPU has it) against primitive's blend written
 * out per byte: the same bytes and the same error change, on spans of every length to 40 pixels
 * at every start, every opacity. */
static int test_blend_span(void) {
  int w = 64, bad = 0, cases = 0;
  uint8_t row[64 * 3], ref[64 * 3], target[64 * 3];
  PmRng r;
  pm_rng_seed(&r, 11, 0, 0);
  for (int a = 0; a < 256; a += 5)
    for (int x1 = 0; x1 < 24; x1++)
      for (int len = 0; len <= 40 && x1 + len <= w; len++) {
        uint8_t rgba[4] = {(uint8_t)pm_rng_int(&r, 256), (uint8_t)pm_rng_int(&r, 256), (uint8_t)pm_rng_int(&r, 256), (uint8_t)a};
        if (len % 7 == 3) rgba[0] = 255, rgba[1] = 0, rgba[3] = (uint8_t)(a % 2 ? 255 : 1); /* extremes */
        for (int i = 0; i < w * 3; i++) {
          row[i] = ref[i] = (uint8_t)(i % 5 == 0 ? 255 * (pm_rng_int(&r, 2)) : pm_rng_int(&r, 256));
          target[i] = (uint8_t)pm_rng_int(&r, 256);
        }
        int64_t want = 0;
        for (int i = 3 * x1; i < 3 * (x1 + len); i++) {
          int old = ref[i], nv = (old * (255 - rgba[3]) + rgba[i % 3] * rgba[3] + 127) / 255;
          want += (nv - target[i]) * (nv - target[i]) - (old - target[i]) * (old - target[i]);
          ref[i] = (uint8_t)nv;
        }
        int64_t got = pm_blend_span(row, target, x1, x1 + len, rgba);
        bad += got != want || memcmp(row, ref, sizeof row) != 0;
        cases++;
      }
  CHECK(bad == 0, "%d of %d spans blended otherwise than per byte", bad, cases);
  return 0;
}

/* pm_span_sums (SSE2 where the CPU has it) against the per-pixel pm_sums_run: the same totals
 * for spans of every length to 40 at every start, and for long spans up to the 4096 pixels of
 * the widest working image, all 255 (where 16 or 32 bits would overflow first) or random. */
static int test_span_sums(void) {
  int w = 4096, bad = 0, cases = 0;
  uint8_t *t = malloc((size_t)w * 3), *c = malloc((size_t)w * 3);
  PmRng r;
  pm_rng_seed(&r, 12, 0, 0);
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < w * 3; i++) {
      t[i] = (uint8_t)(round == 0 ? 255 : pm_rng_int(&r, 256));
      c[i] = (uint8_t)(round == 0 ? 255 : pm_rng_int(&r, 256));
    }
    for (int n = 0; n < 2000; n++) {
      int xa, xb;
      if (n < 1000) xa = n % 25, xb = xa + n / 25;
      else if (n < 1010) xa = 0, xb = w - (n - 1000); /* the longest spans */
      else xa = pm_rng_int(&r, w), xb = xa + pm_rng_int(&r, w - xa + 1);
      PmSums want = {{0, 0, 0}, {0, 0, 0}, 0, 0}, got = want;
      pm_sums_run(NULL, t, c, xa, xb, &want);
      pm_span_sums(t, c, xa, xb, &got);
      bad += memcmp(&want, &got, sizeof want) != 0;
      cases++;
    }
  }
  CHECK(bad == 0, "%d of %d spans summed otherwise than pixel by pixel", bad, cases);
  free(t), free(c);
  return 0;
}

static double mean_abs_diff(const uint8_t *a, const uint8_t *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += abs(a[i] - b[i]);
  return s / (double)n;
}

static int test_render(void) {
  int w = 128, h = 72;
  uint8_t *img = rect_image(w, h, 0);
  PmModel *m = make_model(img, w, h, 2, PM_SHAPE_ANY, 0);
  for (int i = 0; i < 30; i++) pm_model_step(m);
  /* at the working size the anti-aliased render stays close to the optimised canvas */
  uint8_t *rgb = malloc((size_t)w * h * 3);
  PmFrame f = {PM_FORMAT_RGB, w, h, {rgb, NULL, NULL}, {w * 3, 0, 0}};
  CHECK(pm_render(m, &f) == 0, "render failed");
  double d = mean_abs_diff(rgb, pm_model_canvas(m, NULL), (size_t)w * h * 3);
  CHECK(d < 2.0, "render vs canvas: mean abs diff %f", d);
  /* every packed format holds the same colours in its own order, with a stride */
  static const int order[10][4] = {{0, 1, 2, 4}, {2, 1, 0, 4}, {0, 1, 2, 4}, {2, 1, 0, 4}, {1, 2, 3, 4},
                                   {3, 2, 1, 4}, {1, 2, 3, 4}, {3, 2, 1, 4}, {0, 1, 2, 3}, {2, 1, 0, 3}};
  for (int fmt = 0; fmt < PM_FORMAT_I420; fmt++) {
    int bpp = order[fmt][3], stride = w * bpp + 12;
    uint8_t *buf = calloc((size_t)stride * h, 1);
    PmFrame o = {(PmFormat)fmt, w, h, {buf, NULL, NULL}, {stride, 0, 0}};
    CHECK(pm_render(m, &o) == 0, "format %d", fmt);
    int diff = 0;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int k = 0; k < 3; k++) diff += buf[y * stride + x * bpp + order[fmt][k]] != rgb[(y * w + x) * 3 + k];
    CHECK(diff == 0, "format %d: %d samples differ from RGB", fmt, diff);
    /* reading the frame back gives the same target as the RGB frame */
    PmModel *m2 = make_model(rgb, w, h, 1, PM_SHAPE_TRIANGLE, 128);
    char err[128];
    CHECK(pm_model_set_target(m2, &o, err, sizeof err) == 0, "%s", err);
    PmModel *m3 = make_model(rgb, w, h, 1, PM_SHAPE_TRIANGLE, 128);
    CHECK(!memcmp(pm_model_target(m2), pm_model_target(m3), (size_t)w * h * 3), "format %d reads differently", fmt);
    pm_model_free(m2), pm_model_free(m3);
    free(buf);
  }
  /* YUV: render, read back, compare with the RGB render */
  for (int fmt = PM_FORMAT_I420; fmt <= PM_FORMAT_NV12; fmt++) {
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    uint8_t *y = malloc((size_t)w * h), *u = malloc((size_t)cw * ch * 2), *v = malloc((size_t)cw * ch);
    PmFrame o = {(PmFormat)fmt, w, h, {y, u, fmt == PM_FORMAT_I420 ? v : NULL},
                 {w, fmt == PM_FORMAT_I420 ? cw : 2 * cw, fmt == PM_FORMAT_I420 ? cw : 0}};
    CHECK(pm_render(m, &o) == 0, "yuv format %d", fmt);
    uint8_t *back = malloc((size_t)w * h * 3);
    for (int r = 0; r < h; r++) pm_frame_read_row(&o, r, back + (size_t)r * w * 3);
    double dd = mean_abs_diff(back, rgb, (size_t)w * h * 3);
    CHECK(dd < 6.0, "format %d: YUV round trip mean abs diff %f", fmt, dd);
    free(y), free(u), free(v), free(back);
  }
  /* tiny and odd output sizes */
  int sizes[][2] = {{1, 1}, {2, 3}, {3, 2}, {7, 5}, {1, 9}};
  for (int i = 0; i < 5; i++) {
    int ow = sizes[i][0], oh = sizes[i][1];
    uint8_t *buf = malloc((size_t)ow * oh * 4);
    PmFrame o = {PM_FORMAT_RGBA, ow, oh, {buf, NULL, NULL}, {ow * 4, 0, 0}};
    CHECK(pm_render(m, &o) == 0, "render %dx%d", ow, oh);
    CHECK(buf[3] == 255, "alpha byte %d", buf[3]);
    free(buf);
  }
  /* bad frames are refused, not drawn */
  PmFrame bad = {PM_FORMAT_RGB, w, h, {rgb, NULL, NULL}, {w, 0, 0}};
  CHECK(pm_render(m, &bad) != 0, "a stride below the row size was accepted");
  bad.stride[0] = w * 3;
  bad.width = 0;
  CHECK(pm_render(m, &bad) != 0, "a zero width was accepted");
  pm_model_free(m);
  free(rgb), free(img);
  return 0;
}

static int test_bad_input(void) {
  PmConfig c;
  pm_config_init(&c);
  char err[128] = "";
  uint8_t px[3] = {1, 2, 3};
  PmFrame f = {PM_FORMAT_RGB, 0, 1, {px, NULL, NULL}, {3, 0, 0}};
  CHECK(pm_model_new(&c, &f, err, sizeof err) == NULL && err[0], "zero width accepted");
  f.width = 1;
  f.data[0] = NULL;
  CHECK(pm_model_new(&c, &f, err, sizeof err) == NULL, "NULL data accepted");
  CHECK(pm_model_new(&c, NULL, err, sizeof err) == NULL, "NULL frame accepted");
  f.data[0] = px;
  f.format = (PmFormat)99;
  CHECK(pm_model_new(&c, &f, err, sizeof err) == NULL, "bad format accepted");
  /* a 1x1 image works end to end */
  f.format = PM_FORMAT_RGB;
  c.kind = PM_SHAPE_ANY;
  PmModel *m = pm_model_new(&c, &f, err, sizeof err);
  CHECK(m != NULL, "1x1: %s", err);
  if (m) {
    for (int i = 0; i < 5; i++) pm_model_step(m);
    CHECK(pm_model_score(m) < 0.01, "1x1 score %f", pm_model_score(m));
    char *svg = pm_model_svg(m, 1, 1);
    CHECK(svg && strstr(svg, "</svg>"), "1x1 svg");
    free(svg);
    pm_model_free(m);
  }
  return 0;
}

/* The YUV write (vector code where the CPU has it) against pm_rgb_y() and pm_rgb_uv() pixel by
 * pixel: random rows, values beyond 0..255 included (the clamp), every width up to 40 and a wide
 * one, both 4:2:0 layouts, an odd last row; whole rows, and spans [xa, xb) (the renderer's runs)
 * that must leave the other bytes alone, written pixel by pixel or filled with one colour per
 * row. */
static int test_yuv_write(void) {
  unsigned seed = 12345;
  int widths[41];
  for (int i = 0; i < 40; i++) widths[i] = i + 1;
  widths[40] = 1283;
  for (int wi = 0; wi < 41; wi++)
    for (int fmt = 0; fmt < 2; fmt++)
      for (int rows = 1; rows <= 2; rows++)
        for (int mode = 0; mode < 3; mode++) { /* whole rows; a span; a span of one colour per row */
          int w = widths[wi], cw = (w + 1) / 2;
          float *rgb = malloc(sizeof(float) * 3 * (size_t)w * 2);
          uint8_t *y = malloc((size_t)w * 2), *c = malloc((size_t)cw * 2 + 2);
          for (int i = 0; i < 3 * w * 2; i++) {
            seed = seed * 1103515245u + 12345u;
            rgb[i] = (float)(seed >> 8 & 0xffff) / 65535.0f * 300.0f - 20.0f;
          }
          if (mode == 2)
            for (int x = 1; x < 2 * w; x++) memcpy(rgb + 3 * x, rgb + (x < w ? 0 : 3 * w), 3 * sizeof *rgb);
          int xa = 0, xb = w;
          if (mode) {
            seed = seed * 1103515245u + 12345u;
            xa = 2 * (int)((seed >> 8) % (unsigned)cw);
            seed = seed * 1103515245u + 12345u;
            xb = xa + 1 + (int)((seed >> 8) % (unsigned)(w - xa));
            if (xb < w && (xb & 1)) xb++;
          }
          memset(y, 0xA5, (size_t)w * 2), memset(c, 0xA5, (size_t)cw * 2 + 2);
          PmFrame f = {fmt ? PM_FORMAT_NV12 : PM_FORMAT_I420, w, rows, {y, c, c + cw}, {w, fmt ? 2 * cw : cw, cw}};
          const float *r1 = rows == 2 ? rgb + 3 * w : rgb;
          if (mode == 2) pm_frame_fill_yuv_rows(&f, 0, rgb, rows == 2 ? r1 : NULL, xa, xb);
          else pm_frame_write_yuv_rows(&f, 0, rgb, rows == 2 ? r1 : NULL, xa, xb);
          int bad = 0;
          for (int j = 0; j < rows; j++)
            for (int x = 0; x < w; x++)
              bad += y[j * w + x] != (x >= xa && x < xb ? pm_rgb_y(rgb + 3 * (size_t)(j * w + x)) : 0xA5);
          for (int x = 0; x < cw; x++) {
            uint8_t u = 0xA5, v = 0xA5;
            if (2 * x >= xa && 2 * x < xb) pm_rgb_uv(rgb, r1, x, w, &u, &v);
            bad += fmt ? (c[2 * x] != u) + (c[2 * x + 1] != v) : (c[x] != u) + (c[cw + x] != v);
          }
          CHECK(bad == 0, "%s width %d, %d rows, pixels [%d, %d)%s: %d bytes differ from the per-pixel conversion",
                fmt ? "NV12" : "I420", w, rows, xa, xb, mode == 2 ? " of one colour" : "", bad);
          free(rgb), free(y), free(c);
        }
  return 0;
}

/* The downscale of a 4:2:0 frame (vector reads where the CPU has them) against the downscale of
 * the same picture converted pixel by pixel with pm_read_pixel() into RGB: the same bytes, at
 * full size and at reductions that read every column, every 2nd and every 5th, odd widths
 * (a remainder under eight pixels), both layouts, chroma and luma at their extremes. */
static int test_yuv_read(void) {
  static const int cases[][4] = {{1283, 37, 1283, 37}, {1283, 37, 256, 8}, {1920, 64, 256, 9}, {3841, 100, 256, 7}, {13, 5, 13, 5}};
  unsigned seed = 777;
  for (int ci = 0; ci < 5; ci++)
    for (int fmt = PM_FORMAT_I420; fmt <= PM_FORMAT_NV12; fmt++) {
      int w = cases[ci][0], h = cases[ci][1], ww = cases[ci][2], wh = cases[ci][3], cw = (w + 1) / 2, ch = (h + 1) / 2;
      uint8_t *y = malloc((size_t)w * h), *c = malloc((size_t)cw * ch * 2), *rgb = malloc((size_t)w * h * 3);
      uint8_t *a = malloc((size_t)ww * wh * 3), *b = malloc((size_t)ww * wh * 3);
      static const uint8_t extreme[] = {0, 1, 15, 16, 17, 127, 128, 235, 240, 254, 255};
      for (size_t i = 0; i < (size_t)w * h; i++) {
        seed = seed * 1103515245u + 12345u;
        y[i] = seed >> 24 & 1 ? extreme[(seed >> 8) % 11] : (uint8_t)(seed >> 16);
      }
      for (size_t i = 0; i < (size_t)cw * ch * 2; i++) {
        seed = seed * 1103515245u + 12345u;
        c[i] = seed >> 24 & 1 ? extreme[(seed >> 8) % 11] : (uint8_t)(seed >> 16);
      }
      PmFrame f = {(PmFormat)fmt, w, h, {y, c, fmt == PM_FORMAT_I420 ? c + (size_t)cw * ch : NULL},
                   {w, fmt == PM_FORMAT_I420 ? cw : 2 * cw, fmt == PM_FORMAT_I420 ? cw : 0}};
      for (int r = 0; r < h; r++)
        for (int x = 0; x < w; x++)
          pm_read_pixel(f.data, f.stride, f.format, pm_frame_layout(PM_FORMAT_RGB), x, r, rgb + 3 * ((size_t)r * w + x));
      PmFrame g = {PM_FORMAT_RGB, w, h, {rgb, NULL, NULL}, {3 * w, 0, 0}};
      int ok = pm_frame_downscale(&f, ww, wh, a, NULL) == 0 && pm_frame_downscale(&g, ww, wh, b, NULL) == 0;
      int bad = 0;
      for (size_t i = 0; ok && i < (size_t)ww * wh * 3; i++) bad += a[i] != b[i];
      CHECK(ok && bad == 0, "%s %dx%d to %dx%d: %d bytes differ from the per-pixel conversion", fmt == PM_FORMAT_I420 ? "I420" : "NV12",
            w, h, ww, wh, bad);
      free(y), free(c), free(rgb), free(a), free(b);
    }
  return 0;
}

/* The worker pool under many short batches from one caller, then two at once, with pauses that let the
 * workers fall asleep between some of them and tasks that outlast the caller's awake wait: every
 * task runs once and is done when pm_pool_run() returns, and no worker index of a batch is held
 * by two threads at once or reaches the pool's size. */
#define POOL_BATCHES 20000
#define POOL_TASKS_MAX 6

typedef struct {
  int ran[POOL_TASKS_MAX], worker_of[POOL_TASKS_MAX];
  int in_use[8], clashes; /* a worker index held by two threads at once */
  int sleep_us;
} PoolBatch;

static void pool_task(void *ctx, int j, int worker) {
  PoolBatch *b = ctx;
  int w = worker >= 0 && worker < 8 ? worker : 7;
  if (__atomic_exchange_n(&b->in_use[w], 1, __ATOMIC_ACQ_REL)) __atomic_add_fetch(&b->clashes, 1, __ATOMIC_RELAXED);
  if (b->sleep_us) {
    struct timespec t = {0, 1000L * b->sleep_us * (j + 1)}; /* later tasks (helpers') longer */
    nanosleep(&t, NULL);
  }
  __atomic_add_fetch(&b->ran[j], 1, __ATOMIC_RELAXED);
  b->worker_of[j] = worker;
  __atomic_store_n(&b->in_use[w], 0, __ATOMIC_RELEASE);
}

typedef struct {
  int size, seed, bad;
} PoolCaller;

static void *pool_caller(void *arg) {
  PoolCaller *c = arg;
  PmPool *p = pm_pool_new(c->size);
  uint32_t r = (uint32_t)c->seed;
  for (int i = 0; i < POOL_BATCHES && p; i++) {
    r = r * 1664525u + 1013904223u;
    PoolBatch b;
    memset(&b, 0, sizeof b);
    int n = 1 + (int)(r >> 8) % POOL_TASKS_MAX;
    b.sleep_us = (r >> 20) % 400 == 0 ? 1000 : 0; /* longer than the caller waits awake */
    pm_pool_run(p, n, pool_task, &b);
    int bad = __atomic_load_n(&b.clashes, __ATOMIC_RELAXED) != 0;
    for (int j = 0; j < n; j++) {
      int w = b.worker_of[j];
      bad |= __atomic_load_n(&b.ran[j], __ATOMIC_RELAXED) != 1 || w < 0 || w >= c->size;
    }
    c->bad += bad;
    if ((r >> 12) % 40 == 0) { /* long enough for the workers to go to sleep */
      struct timespec t = {0, 400000};
      nanosleep(&t, NULL);
    }
  }
  if (!p) c->bad = -1;
  pm_pool_free(p);
  return NULL;
}

static int test_pool(void) {
  /* one user alone (its threads wait awake between batches), then two at once (they sleep) */
  PoolCaller c[3] = {{3, 1, 0}, {3, 2, 0}, {2, 3, 0}};
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {
    CHECK(pthread_create(&t[i], NULL, pool_caller, &c[i]) == 0, "thread %d", i);
    if (i != 1) pthread_join(t[i], NULL);
  }
  pthread_join(t[1], NULL);
  for (int i = 0; i < 3; i++) CHECK(c[i].bad == 0, "caller %d (pool of %d): %d batches went wrong", i, c[i].size, c[i].bad);
  return 0;
}

typedef struct { const char *name; int (*fn)(void); } Test;
static const Test tests[] = {
    {"raster", test_raster},           {"clipping", test_clipping}, {"colour", test_colour},
    {"partial_error", test_partial_error}, {"acc_rows", test_acc_rows}, {"triangle_rows", test_triangle_rows}, {"threads", test_threads}, {"pool", test_pool}, {"warm_start", test_warm_start},
    {"lazy_sums", test_lazy_sums}, {"blend_span", test_blend_span},
    {"span_sums", test_span_sums},
    {"render", test_render},           {"bad_input", test_bad_input}, {"yuv_write", test_yuv_write}, {"yuv_read", test_yuv_read},
};

int main(int argc, char **argv) {
  int passed = 0, failed = 0, ran = 0;
  for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) {
    if (argc > 1 && strcmp(argv[1], tests[i].name)) continue;
    int before = failures;
    tests[i].fn();
    ran++;
    if (failures == before) passed++;
    else failed++;
    printf("%s: %s\n", tests[i].name, failures == before ? "ok" : "FAILED");
  }
  if (!ran) {
    fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");
    return 2;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
