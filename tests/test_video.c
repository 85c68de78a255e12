/* Video behaviour of the core: motion estimation against known motion, shapes that follow a
 * panning picture, a still picture that settles to bit-identical frames, and a cut that still
 * searches from nothing.
 *
 *   test_video motion|pan|still|cut|interrupt|deadline|reuse */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "internal.h"

/* Sanitizers slow everything several times over, ThreadSanitizer the most: the time limits stretch
 * with them, and so does the budget, so that a frame holds the same work as in a release build. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(__SANITIZE_THREAD__)
#define __SANITIZE_THREAD__ 1
#endif
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TIME_SCALE 20.0
#elif defined(__SANITIZE_ADDRESS__)
#define TIME_SCALE 3.0
#else
#define TIME_SCALE 1.0
#endif

/* A smooth picture with structure at several scales, defined everywhere, so that moved views
 * can be sampled exactly: a few coloured blobs and stripes. */
static void scene(double x, double y, double rgb[3]) {
  static const double blob[][6] = { /* cx, cy, radius, r, g, b */
      {60, 40, 30, 230, 40, 40},  {150, 90, 45, 30, 200, 60}, {240, 50, 25, 40, 60, 220},
      {90, 140, 35, 240, 220, 30}, {200, 160, 20, 250, 250, 250}, {300, 120, 40, 120, 20, 160},
      {20, 170, 22, 20, 20, 20},   {330, 30, 18, 250, 120, 0},    {120, 20, 15, 0, 140, 140}};
  for (int k = 0; k < 3; k++) rgb[k] = 90.0 + 40.0 * sin(0.031 * x + 0.7 * k) * cos(0.023 * y - 0.4 * k);
  for (size_t i = 0; i < sizeof blob / sizeof blob[0]; i++) {
    double dx = x - blob[i][0], dy = y - blob[i][1];
    double w = exp(-(dx * dx + dy * dy) / (2.0 * blob[i][2] * blob[i][2]));
    for (int k = 0; k < 3; k++) rgb[k] += w * (blob[i][3 + k] - rgb[k]);
  }
}

/* The w x h view whose pixel (x, y) shows the scene at a(x, y) (affine, pixel centres), with
 * 2x2 supersampling and optional noise of +-noise levels. */
static void view(uint8_t *out, int w, int h, const double a[6], int noise, uint64_t seed) {
  PmRng r;
  pm_rng_seed(&r, seed, 0, 0);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double acc[3] = {0, 0, 0}, c[3];
      for (int s = 0; s < 4; s++) {
        double px = x + 0.25 + 0.5 * (s & 1), py = y + 0.25 + 0.5 * (s >> 1);
        scene(a[0] + a[1] * px + a[2] * py, a[3] + a[4] * px + a[5] * py, c);
        for (int k = 0; k < 3; k++) acc[k] += 0.25 * c[k];
      }
      for (int k = 0; k < 3; k++) {
        int v = (int)(acc[k] + 0.5) + (noise ? pm_rng_int(&r, 2 * noise + 1) - noise : 0);
        out[((size_t)y * w + x) * 3 + k] = (uint8_t)pm_clampi(v, 0, 255);
      }
    }
}

/* Largest displacement error of the estimated map at the image corners (pixels). */
static double corner_error(const float e[6], const double t[6], int w, int h) {
  double worst = 0.0;
  for (int k = 0; k < 4; k++) {
    double x = (k & 1) ? w : 0, y = (k & 2) ? h : 0;
    double ex = e[0] + e[1] * x + e[2] * y - (t[0] + t[1] * x + t[2] * y);
    double ey = e[3] + e[4] * x + e[5] * y - (t[3] + t[4] * x + t[5] * y);
    double d = fabs(ex) + fabs(ey);
    worst = d > worst ? d : worst;
  }
  return worst;
}

static int test_motion(void) {
  const int w = 256, h = 144;
  uint8_t *prev = malloc((size_t)w * h * 3), *cur = malloc((size_t)w * h * 3);
  PmMotion *mo = pm_motion_new(w, h);
  float *unexplained = malloc(sizeof(float) * w * h), *scratch = malloc(sizeof(float) * w * h);
  static const double id[6] = {20, 1, 0, 20, 0, 1};
  view(prev, w, h, id, 0, 1);
  /* The view moves by m (scene = id(m(x))); content at p in prev is at m^-1(p) in cur. */
  static const struct { const char *name; double dx, dy, zoom, turn; } cases[] = {
      {"translation", 2.3, -1.7, 1.0, 0.0}, {"large pan", -11.0, 6.0, 1.0, 0.0},
      {"zoom", 0.0, 0.0, 1.02, 0.0},       {"rotation", 0.5, 0.3, 1.0, 0.6}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double t = cases[i].turn * PM_PI / 180.0, z = cases[i].zoom, cx = w / 2.0, cy = h / 2.0;
    /* m(x) = c + z R (x - c) + d: the view of cur; its inverse maps prev content to cur */
    double c = cos(t) * z, s = sin(t) * z;
    double m[6] = {cx + cases[i].dx - c * cx + s * cy, c, -s, cy + cases[i].dy - s * cx - c * cy, s, c};
    double v[6] = {id[0] + m[0], m[1], m[2], id[3] + m[3], m[4], m[5]};
    view(cur, w, h, v, 0, 2);
    double det = m[1] * m[5] - m[2] * m[4];
    double inv[6] = {0, m[5] / det, -m[2] / det, 0, -m[4] / det, m[1] / det};
    inv[0] = -(inv[1] * m[0] + inv[2] * m[3]);
    inv[3] = -(inv[4] * m[0] + inv[5] * m[3]);
    float e[6];
    pm_motion_estimate(mo, prev, cur, e, NULL);
    double err = corner_error(e, inv, w, h);
    printf("motion %-12s corner error %.3f px\n", cases[i].name, err);
    CHECK(err < 0.15, "%s: estimated map off by %.3f px at a corner", cases[i].name, err);
    /* what the motion leaves unexplained: little where the picture only moved, all of a patch
     * painted over it (away from the borders, where content comes into view) */
    const PmMotionField *f = pm_motion_estimate(mo, prev, cur, e, NULL);
    for (int y = 60; y < 80; y++)
      for (int x = 120; x < 140; x++) cur[((size_t)y * w + x) * 3] ^= 0x80;
    pm_motion_unexplained(f, e, prev, cur, w, h, unexplained, scratch, NULL);
    double moved = 0.0, painted = 1e9;
    int n = 0;
    for (int y = 16; y < h - 16; y++)
      for (int x = 16; x < w - 16; x++) {
        float u = unexplained[(size_t)y * w + x];
        if (y >= 58 && y < 82 && x >= 118 && x < 142) {
          if (y >= 60 && y < 80 && x >= 120 && x < 140) painted = u < painted ? u : painted;
        } else {
          moved += u, n++;
        }
      }
    moved /= n;
    printf("motion %-12s unexplained: %.2f levels where it moved, at least %.1f where painted\n", cases[i].name,
           moved, painted);
    CHECK(moved < 2.0, "%s: %.2f levels unexplained where the picture only moved", cases[i].name, moved);
    CHECK(painted > 30.0, "%s: a painted patch only %.1f levels unexplained", cases[i].name, painted);
  }
  /* the same picture with fresh noise: nothing moved, and nothing may move */
  view(cur, w, h, id, 2, 3);
  view(prev, w, h, id, 2, 4);
  float e[6];
  const PmMotionField *f = pm_motion_estimate(mo, prev, cur, e, NULL);
  CHECK(e[0] == 0.0f && e[1] == 1.0f && e[2] == 0.0f && e[3] == 0.0f && e[4] == 0.0f && e[5] == 1.0f,
        "noise moved the picture: [%g %g %g %g %g %g]", e[0], e[1], e[2], e[3], e[4], e[5]);
  int moving = 0;
  for (int i = 0; i < f->bw * f->bh; i++) moving += f->dx[i] != 0.0f || f->dy[i] != 0.0f;
  CHECK(moving == 0, "%d blocks moved in a still noisy picture", moving);
  /* an object moving on its own over a still background: its blocks move, the rest stays */
  view(prev, w, h, id, 0, 1);
  memcpy(cur, prev, (size_t)w * h * 3);
  PmRng r;
  pm_rng_seed(&r, 5, 0, 0);
  float grid[11][11];
  for (int j = 0; j < 11; j++)
    for (int i = 0; i < 11; i++) grid[j][i] = (float)(30 + pm_rng_int(&r, 201));
  for (int y = 40; y < 80; y++) /* a sharp random texture: it must not drag the picture along */
    for (int x = 100; x < 140; x++) {
      float gx = (x - 100) / 4.0f, gy = (y - 40) / 4.0f, fx = gx - (int)gx, fy = gy - (int)gy;
      const float *g0 = grid[(int)gy], *g1 = grid[(int)gy + 1];
      float top = g0[(int)gx] + fx * (g0[(int)gx + 1] - g0[(int)gx]);
      float bottom = g1[(int)gx] + fx * (g1[(int)gx + 1] - g1[(int)gx]);
      uint8_t v = (uint8_t)(top + fy * (bottom - top) + 0.5f);
      for (int k = 0; k < 3; k++) {
        prev[((size_t)y * w + x) * 3 + k] = v;
        cur[((size_t)y * w + x + 3) * 3 + k] = v; /* 3 px to the right */
      }
    }
  f = pm_motion_estimate(mo, prev, cur, e, NULL);
  int right = 0, still = 0, blocks = 0;
  for (int by = 0; by < f->bh; by++)
    for (int bx = 0; bx < f->bw; bx++) {
      int x0 = bx * f->bs, y0 = by * f->bs, i = by * f->bw + bx;
      if (x0 >= 104 && x0 + f->bs <= 136 && y0 >= 40 && y0 + f->bs <= 80) {
        blocks++;
        right += fabsf(f->dx[i] - 3.0f) < 0.3f && fabsf(f->dy[i]) < 0.3f;
      } else if (x0 + f->bs < 96 || x0 > 148 || y0 + f->bs < 36 || y0 > 84) {
        still += f->dx[i] == 0.0f && f->dy[i] == 0.0f;
      }
    }
  pm_motion_unexplained(f, e, prev, cur, w, h, unexplained, scratch, NULL);
  double inside = 0.0;
  for (int y = 44; y < 76; y++)
    for (int x = 108; x < 132; x++) inside += unexplained[(size_t)y * w + x];
  inside /= 32 * 24;
  printf("motion object: %d of %d inner blocks follow it, %.2f levels unexplained on it\n", right, blocks, inside);
  CHECK(inside < 2.0, "%.2f levels unexplained on an object that only moved", inside);
  CHECK(right >= blocks * 3 / 4, "only %d of %d blocks of the moving object follow it", right, blocks);
  CHECK(e[0] == 0.0f && e[3] == 0.0f, "a small mover moved the whole picture: %g %g", e[0], e[3]);
  int far = 0;
  for (int by = 0; by < f->bh; by++)
    for (int bx = 0; bx < f->bw; bx++) {
      int x0 = bx * f->bs, y0 = by * f->bs;
      far += x0 + f->bs < 96 || x0 > 148 || y0 + f->bs < 36 || y0 > 84;
    }
  CHECK(still == far, "%d of %d background blocks moved", far - still, far);
  pm_motion_free(mo);
  /* with no motion, each output is the 3 x 3 maximum of the pixels' own differences, written
   * out here, at odd sizes so that every edge and corner has its own neighbourhood; alone and
   * in bands of rows on a pool of three (a band's maximum reads its neighbours' rows) */
  static const int sizes[][2] = {{37, 23}, {1, 5}, {6, 1}, {2, 2}};
  PmPool *three = pm_pool_new(3);
  for (size_t k = 0; k < 2 * sizeof sizes / sizeof sizes[0]; k++) {
    int sw = sizes[k / 2][0], sh = sizes[k / 2][1];
    static float zero[5 * 3]; /* the blocks of the largest size */
    PmMotionField still_field = {8, (sw + 7) / 8, (sh + 7) / 8, zero, zero};
    static const float identity[6] = {0, 1, 0, 0, 0, 1};
    for (int i = 0; i < sw * sh * 3; i++) prev[i] = (uint8_t)pm_rng_int(&r, 256), cur[i] = (uint8_t)pm_rng_int(&r, 256);
    pm_motion_unexplained(&still_field, identity, prev, cur, sw, sh, unexplained, scratch, k % 2 ? three : NULL);
    int wrong = 0;
    for (int y = 0; y < sh; y++)
      for (int x = 0; x < sw; x++) {
        float most = 0.0f;
        for (int yy = y - 1; yy <= y + 1; yy++)
          for (int xx = x - 1; xx <= x + 1; xx++) {
            if (yy < 0 || yy >= sh || xx < 0 || xx >= sw) continue;
            const uint8_t *p = prev + ((size_t)yy * sw + xx) * 3, *c = cur + ((size_t)yy * sw + xx) * 3;
            float d = (float)(abs(p[0] - c[0]) + abs(p[1] - c[1]) + abs(p[2] - c[2])) / 3.0f;
            most = d > most ? d : most;
          }
        wrong += unexplained[(size_t)y * sw + x] != most;
      }
    CHECK(wrong == 0, "%dx%d%s: %d pixels are not the 3x3 maximum of the differences", sw, sh,
          k % 2 ? " on a pool" : "", wrong);
  }
  pm_pool_free(three);
  /* too small to estimate anything: the identity, no crash */
  PmMotion *tiny = pm_motion_new(3, 2);
  uint8_t px[18] = {0};
  pm_motion_estimate(tiny, px, px, e, NULL);
  CHECK(e[1] == 1.0f && e[0] == 0.0f, "tiny images");
  pm_motion_free(tiny);
  free(prev), free(cur), free(unexplained), free(scratch);
  return 0;
}

typedef struct {
  int w, h;
  uint8_t *in, *out, *prev_out;
  PmFrame fin, fout;
} Clip;

static void clip_init(Clip *c, int w, int h) {
  c->w = w, c->h = h;
  c->in = malloc((size_t)w * h * 3);
  c->out = malloc((size_t)w * h * 3);
  c->prev_out = malloc((size_t)w * h * 3);
  c->fin = (PmFrame){PM_FORMAT_RGB, w, h, {c->in, NULL, NULL}, {w * 3, 0, 0}};
  c->fout = (PmFrame){PM_FORMAT_RGB, w, h, {c->out, NULL, NULL}, {w * 3, 0, 0}};
}

static void clip_free(Clip *c) { free(c->in), free(c->out), free(c->prev_out); }

static void settings(PmVideoSettings *st, int working) {
  pm_video_settings_init(st);
  st->shapes = 30;
  st->search.working_size = working;
  st->search.threads = 2;
}

/* A camera panning across the scene, 3 output pixels a frame: the output must move with it.
 * Steadiness: mean |out_t(x) - out_t-1(x + 3)| over the frame, against the same measure of
 * the input (what the picture itself changes: resampling). */
static int test_pan(void) {
  Clip c;
  clip_init(&c, 240, 136);
  PmVideoSettings st;
  settings(&st, 120);
  PmVideo *v = pm_video_new();
  char err[256];
  double sum = 0.0, in_sum = 0.0;
  int n = 0;
  uint8_t *prev_in = malloc((size_t)c.w * c.h * 3);
  for (int t = 0; t < 24; t++) {
    double a[6] = {10 + 3.0 * t, 1, 0, 10, 0, 1};
    view(c.in, c.w, c.h, a, 0, 1);
    /* pm_video_process renders over its input here: measure the input first */
    double di = 0.0;
    for (int y = 0; t >= 4 && y < c.h; y++)
      for (int x = 0; x + 3 < c.w; x++)
        for (int k = 0; k < 3; k++)
          di += abs(c.in[((size_t)y * c.w + x) * 3 + k] - prev_in[((size_t)y * c.w + x + 3) * 3 + k]);
    memcpy(prev_in, c.in, (size_t)c.w * c.h * 3);
    CHECK(pm_video_process(v, &st, &c.fin, &c.fout, err, sizeof err) == 0, "%s", err);
    if (t >= 4) { /* after a few frames of settling in */
      double d = 0.0;
      for (int y = 0; y < c.h; y++)
        for (int x = 0; x + 3 < c.w; x++)
          for (int k = 0; k < 3; k++)
            d += abs(c.out[((size_t)y * c.w + x) * 3 + k] - c.prev_out[((size_t)y * c.w + x + 3) * 3 + k]);
      sum += d / (c.h * (c.w - 3) * 3.0);
      in_sum += di / (c.h * (c.w - 3) * 3.0);
      n++;
    }
    memcpy(c.prev_out, c.out, (size_t)c.w * c.h * 3);
  }
  double warp = sum / n, warp_in = in_sum / n;
  printf("pan: output changes %.3f per pixel after following the motion (input %.3f)\n", warp, warp_in);
  /* measured 2.65 (the input: 0); 4.66 before the shapes were carried with the picture */
  CHECK(warp < 3.5, "the shapes do not follow the pan: %.3f", warp);
  pm_video_free(v);
  clip_free(&c);
  free(prev_in);
  return 0;
}

/* The same picture, with camera noise, over and over: once settled, every frame is the same. */
static int test_still(void) {
  Clip c;
  clip_init(&c, 160, 90);
  PmVideoSettings st;
  settings(&st, 96);
  PmVideo *v = pm_video_new();
  static const double a[6] = {30, 1.5, 0, 30, 0, 1.5};
  char err[256];
  int same = 0, t;
  for (t = 0; t < 200 && same < 20; t++) {
    view(c.in, c.w, c.h, a, 1, (uint64_t)t);
    CHECK(pm_video_process(v, &st, &c.fin, &c.fout, err, sizeof err) == 0, "%s", err);
    same = t > 0 && !memcmp(c.out, c.prev_out, (size_t)c.w * c.h * 3) ? same + 1 : 0;
    memcpy(c.prev_out, c.out, (size_t)c.w * c.h * 3);
  }
  printf("still: 20 identical frames in a row after frame %d\n", t - 20);
  CHECK(same >= 20, "a still picture never settled (last %d frames identical after %d)", same, t);
  pm_video_free(v);
  clip_free(&c);
  return 0;
}

/* Rendering only the rows whose shapes changed gives the same bytes as a whole render, in every
 * output format (odd sizes for the 4:2:0 ones), whatever the frame held before; a settled
 * picture renders no row at all. The output buffers are scribbled over before every frame, as a
 * new buffer from upstream would be. */
static int test_reuse(void) {
  Clip c;
  clip_init(&c, 160, 90);
  PmConfig cfg;
  pm_config_init(&cfg);
  cfg.working_size = 96, cfg.threads = 2;
  static const PmFormat formats[] = {PM_FORMAT_RGB, PM_FORMAT_BGRA, PM_FORMAT_I420, PM_FORMAT_NV12};
  enum { NF = 4, OW = 161, OH = 91 };
  PmRenderCache *cache[NF];
  PmFrame got[NF], want[NF];
  uint8_t *mem[NF][2];
  size_t bytes[NF];
  for (int f = 0; f < NF; f++) {
    cache[f] = pm_render_cache_new();
    int yuv = formats[f] == PM_FORMAT_I420 || formats[f] == PM_FORMAT_NV12, cw = (OW + 1) / 2, ch = (OH + 1) / 2;
    bytes[f] = yuv ? (size_t)OW * OH + 2 * (size_t)cw * ch : (size_t)OW * OH * (formats[f] == PM_FORMAT_RGB ? 3 : 4);
    for (int k = 0; k < 2; k++) {
      mem[f][k] = malloc(bytes[f]);
      PmFrame *fr = k ? &want[f] : &got[f];
      uint8_t *b = mem[f][k];
      if (formats[f] == PM_FORMAT_I420)
        *fr = (PmFrame){formats[f], OW, OH, {b, b + OW * OH, b + OW * OH + cw * ch}, {OW, cw, cw}};
      else if (formats[f] == PM_FORMAT_NV12)
        *fr = (PmFrame){formats[f], OW, OH, {b, b + OW * OH, NULL}, {OW, 2 * cw, 0}};
      else
        *fr = (PmFrame){formats[f], OW, OH, {b, NULL, NULL}, {OW * (formats[f] == PM_FORMAT_RGB ? 3 : 4), 0, 0}};
    }
  }
  char err[256];
  static const double still[6] = {30, 1.5, 0, 30, 0, 1.5};
  view(c.in, c.w, c.h, still, 1, 0);
  PmModel *m = pm_model_new(&cfg, &c.fin, err, sizeof err);
  CHECK(m != NULL, "%s", err);
  for (int i = 0; i < 30; i++) pm_model_step(m);
  int mismatches = 0, idle_frames = 0, partial_frames = 0;
  for (int t = 0; t < 90; t++) {
    /* still, a pan from frame 40 to 50, still again */
    double a[6] = {30 + (t > 40 && t < 50 ? 2.0 * (t - 40) : t >= 50 ? 20.0 : 0.0), 1.5, 0, 30, 0, 1.5};
    view(c.in, c.w, c.h, a, 1, (uint64_t)t);
    CHECK(pm_model_set_target(m, &c.fin, err, sizeof err) == 0, "%s", err);
    pm_model_warm_start(m, 30, 24, 2);
    if (t >= 80) { /* and a small shape more on the settled picture: a few rows to render */
      PmShape s = {PM_SHAPE_TRIANGLE, {10.0f + t - 80, 20, 14.0f + t - 80, 27, 7, 25}, {200, 30, 30, 128}};
      pm_model_add(m, &s);
    }
    for (int f = 0; f < NF; f++) {
      memset(mem[f][0], 0x55 + t, bytes[f]), memset(mem[f][1], 0xaa - t, bytes[f]);
      CHECK(pm_render_reusing(m, &got[f], cache[f]) == 0, "render with reuse, format %d", f);
      CHECK(pm_render(m, &want[f]) == 0, "render, format %d", f);
      if (memcmp(mem[f][0], mem[f][1], bytes[f])) mismatches++;
      int rows = pm_render_cache_rows_rendered(cache[f]);
      idle_frames += f == 0 && rows == 0;
      partial_frames += f == 0 && rows > 0 && rows < OH;
    }
  }
  printf("reuse: %d frames rendered no row, %d some rows, %d of %d renders differ\n", idle_frames, partial_frames,
         mismatches, 90 * NF);
  CHECK(mismatches == 0, "%d renders with reuse differ from whole renders", mismatches);
  CHECK(idle_frames > 0 && partial_frames > 0, "the previous frame was never reused (%d idle, %d partial)",
        idle_frames, partial_frames);
  for (int f = 0; f < NF; f++) pm_render_cache_free(cache[f]), free(mem[f][0]), free(mem[f][1]);
  pm_model_free(m);
  clip_free(&c);
  return 0;
}

/* A cut between two pictures: the frame after it is exactly what a fresh session makes of it. */
static int test_cut(void) {
  Clip c;
  clip_init(&c, 160, 90);
  PmVideoSettings st;
  settings(&st, 96);
  PmVideo *v = pm_video_new(), *fresh = pm_video_new();
  static const double a[6] = {0, 1, 0, 0, 0, 1};
  char err[256];
  for (int t = 0; t < 5; t++) {
    view(c.in, c.w, c.h, a, 0, 1);
    CHECK(pm_video_process(v, &st, &c.fin, &c.fout, err, sizeof err) == 0, "%s", err);
  }
  /* the next shot: the negative of the picture, far past the default scene threshold */
  view(c.in, c.w, c.h, a, 0, 1);
  for (size_t i = 0; i < (size_t)c.w * c.h * 3; i++) c.in[i] = (uint8_t)(255 - c.in[i]);
  uint8_t *shot = malloc((size_t)c.w * c.h * 3);
  memcpy(shot, c.in, (size_t)c.w * c.h * 3);
  CHECK(pm_video_process(v, &st, &c.fin, &c.fout, err, sizeof err) == 0, "%s", err);
  double change = 0.0;
  for (size_t i = 0; i < (size_t)c.w * c.h * 3; i++) change += abs(shot[i] - (255 - shot[i]));
  change /= (double)c.w * c.h * 3;
  CHECK(change > st.scene_threshold * 255.0, "the test's cut is too small: %.1f", change);
  memcpy(c.in, shot, (size_t)c.w * c.h * 3);
  free(shot);
  memcpy(c.prev_out, c.out, (size_t)c.w * c.h * 3);
  CHECK(pm_video_process(fresh, &st, &c.fin, &c.fout, err, sizeof err) == 0, "%s", err);
  CHECK(!memcmp(c.out, c.prev_out, (size_t)c.w * c.h * 3), "the frame after a cut is not a search from nothing");
  pm_video_free(v);
  pm_video_free(fresh);
  clip_free(&c);
  return 0;
}

typedef struct {
  PmVideo *v;
  PmVideoSettings st;
  Clip c;
  int rc;
  double done;
} Worker;

static void *process_frame(void *arg) {
  Worker *w = arg;
  char err[256];
  w->rc = pm_video_process(w->v, &w->st, &w->c.fin, &w->c.fout, err, sizeof err);
  w->done = pm_now();
  return NULL;
}

/* The largest settings the element allows take minutes a frame: an interrupt from another
 * thread (a flush, a state change) must end it at once. */
static int test_interrupt(void) {
  Worker w;
  clip_init(&w.c, 1024, 576);
  static const double a[6] = {0, 0.35, 0, 0, 0, 0.35};
  view(w.c.in, w.c.w, w.c.h, a, 0, 1);
  settings(&w.st, 1024);
  w.st.shapes = 10000;
  w.v = pm_video_new();
  pthread_t t;
  pthread_create(&t, NULL, process_frame, &w);
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL); /* inside the first frame's search, or just before it */
  double asked = pm_now();
  pm_video_interrupt(w.v);
  pthread_join(t, NULL);
  double took = (w.done - asked) * 1e3;
  printf("interrupt: the frame returned %.1f ms after the interrupt (rc %d)\n", took, w.rc);
  CHECK(w.rc == -1, "an interrupted frame must fail (rc %d)", w.rc);
  CHECK(took < 250.0 * TIME_SCALE, "took %.1f ms to stop", took);
  /* interrupted stays so until resumed; then it works again, from nothing */
  char err[256];
  CHECK(pm_video_process(w.v, &w.st, &w.c.fin, &w.c.fout, err, sizeof err) == -1 && !strcmp(err, "interrupted"),
        "a second frame ran while interrupted");
  pm_video_resume(w.v);
  w.st.shapes = 5;
  w.st.search.working_size = 64;
  CHECK(pm_video_process(w.v, &w.st, &w.c.fin, &w.c.fout, err, sizeof err) == 0, "after resume: %s", err);
  CHECK(pm_model_shape_count(pm_video_model(w.v)) == 5, "after resume: %d shapes",
        pm_model_shape_count(pm_video_model(w.v)));
  pm_video_free(w.v);
  clip_free(&w.c);
  return 0;
}

/* A budget is a deadline: a cold frame too big for it ends on time with fewer shapes, and the
 * next frames complete the list. */
static int test_deadline(void) {
  Clip c;
  clip_init(&c, 320, 180);
  PmVideoSettings st;
  settings(&st, 256);
  st.shapes = 400;
  st.budget_ms = 25 * TIME_SCALE;
  PmVideo *v = pm_video_new();
  static const double a[6] = {0, 1, 0, 0, 0, 1};
  view(c.in, c.w, c.h, a, 0, 1);
  char err[256];
  double worst = 0.0;
  int first = 0, last = 0;
  for (int t = 0; t < 40; t++) {
    double t0 = pm_now();
    CHECK(pm_video_process(v, &st, &c.fin, NULL, err, sizeof err) == 0, "%s", err);
    double ms = (pm_now() - t0) * 1e3;
    worst = ms > worst ? ms : worst;
    last = pm_model_shape_count(pm_video_model(v));
    if (t == 0) first = last;
  }
  printf("deadline: %.0f ms budget, worst frame %.1f ms; %d shapes after the first frame, %d after 40\n", st.budget_ms,
         worst, first, last);
  /* a search stops within a check interval of its deadline; loading the frame and the
   * bookkeeping around the search come on top, and this machine is shared */
  CHECK(worst < (25.0 + 40.0) * TIME_SCALE, "a frame took %.1f ms with a %.0f ms budget", worst, st.budget_ms);
  CHECK(first < 400, "the first frame cannot have searched 400 shapes in %.0f ms (%d)", st.budget_ms, first);
  CHECK(last > first, "later frames did not add shapes: %d then %d", first, last);
  pm_video_free(v);
  clip_free(&c);
  return 0;
}

int main(int argc, char **argv) {
  static const struct { const char *name; int (*fn)(void); } tests[] = {
      {"motion", test_motion}, {"pan", test_pan},           {"still", test_still},
      {"cut", test_cut},       {"interrupt", test_interrupt}, {"deadline", test_deadline},
      {"reuse", test_reuse}};
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
    if (argc < 2 || !strcmp(argv[1], tests[i].name)) tests[i].fn();
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
