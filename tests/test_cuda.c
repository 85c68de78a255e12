/* The device search and the CUDA kernels against their CPU references.
 * usage: test_cuda MODE [IMAGE...]
 *   reference  pm_eval_batch_cpu() gives exactly what the CPU search computes (no GPU needed)
 *   argmin     the kernels' block argmin (search.h) against brute force, ties included
 *   emulation  the emulated device search: same seed, same shapes; its device copy of the model
 *              (canvas, row sums, error) equals the model's after every step, and the sums equal
 *              a fresh recomputation
 *   quality    100 triangles at working size 256 on each IMAGE: the emulated device search
 *              scores within 2% of the CPU search
 *   kernel     the GPU's batched evaluation gives pm_eval_batch_cpu()'s numbers
 *   device     the GPU's search gives the emulation's shapes, bit for bit, and the same device
 *              state, for every kind
 *   bench      100 triangles on each IMAGE: the CPU search on 2 threads against the GPU's
 * kernel, device and bench exit 77 (skipped) without a CUDA build or a working GPU. Images are
 * PNG or JPEG where the build has the CLI's image codecs, and binary PPM (P6) always. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "eval_cpu.h"
#include "frame.h"
#include "internal.h"
#include "search_emu.h"
#ifdef PM_HAVE_CUDA
#include "primitive_cuda.h"
#endif
#ifdef PM_HAVE_IMAGEIO
#include "imageio.h"
#endif

#define N 4096

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- images ---- */

typedef struct {
  int w, h;
  uint8_t *rgb;
} Image;

static int load_ppm(const char *path, Image *img) {
  FILE *f = fopen(path, "rb");
  int w, h, max, ok = 0;
  if (f && fscanf(f, "P6 %d %d %d", &w, &h, &max) == 3 && max == 255 && w > 0 && h > 0 && w <= 16384 && h <= 16384 &&
      fgetc(f) != EOF) {
    img->w = w, img->h = h;
    img->rgb = malloc((size_t)w * h * 3);
    ok = img->rgb && fread(img->rgb, 1, (size_t)w * h * 3, f) == (size_t)w * h * 3;
  }
  if (f) fclose(f);
  return ok ? 0 : -1;
}

static int load_image(const char *path, Image *img) {
  size_t n = strlen(path);
  if (n > 4 && !strcmp(path + n - 4, ".ppm")) {
    if (load_ppm(path, img) == 0) return 0;
    fprintf(stderr, "%s: not a binary PPM\n", path);
    return -1;
  }
#ifdef PM_HAVE_IMAGEIO
  PmImage im;
  char err[512];
  if (pm_image_load(path, &im, err, sizeof err) == 0) {
    img->w = im.width, img->h = im.height, img->rgb = im.rgb;
    return 0;
  }
  fprintf(stderr, "%s\n", err);
#else
  fprintf(stderr, "%s: this build reads PPM only (no libpng/libjpeg)\n", path);
#endif
  return -1;
}

static const char *base_name(const char *p) { return strrchr(p, '/') ? strrchr(p, '/') + 1 : p; }

static PmModel *model_on(const Image *img, const PmConfig *c) {
  PmFrame f = {PM_FORMAT_RGB, img->w, img->h, {img->rgb, NULL, NULL}, {img->w * 3, 0, 0}};
  char err[256];
  PmModel *m = pm_model_new(c, &f, err, sizeof err);
  if (!m) fprintf(stderr, "model: %s\n", err);
  return m;
}

/* A test picture with edges, gradients and texture. */
static Image test_picture(int w, int h) {
  Image img = {w, h, malloc((size_t)w * h * 3)};
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < 3; k++)
        img.rgb[(y * w + x) * 3 + k] = (uint8_t)((x * (k + 2) + y * (5 - k) + (x * y) % 37) & 255);
  return img;
}

/* ---- reference: the batched evaluation's CPU reference is the search's own evaluation ---- */

typedef struct {
  PmModel *m;
  int w, h;
  PmShape shapes[N];
  PmGeo *geos;
  uint8_t alphas[N];
} Batch;

/* A model with some shapes on a test picture, and N random candidates of every kind. */
static void make_batch(Batch *b) {
  b->w = 200, b->h = 150;
  Image img = test_picture(b->w, b->h);
  PmConfig c;
  pm_config_init(&c);
  c.kind = PM_SHAPE_ANY;
  c.threads = 1;
  c.climbs = 4, c.candidates = 20, c.max_age = 20;
  b->m = model_on(&img, &c);
  for (int i = 0; i < 10; i++) pm_model_step(b->m);
  free(img.rgb);
  b->geos = malloc(sizeof(PmGeo) * N);
  PmRng r;
  pm_rng_seed(&r, 42, 0, 0);
  for (int i = 0; i < N; i++) {
    pm_shape_random(&b->shapes[i], PM_SHAPE_ANY, &r, b->w, b->h);
    int muts = pm_rng_int(&r, 20);
    for (int k = 0; k < muts; k++) pm_shape_mutate(&b->shapes[i], &r, b->w, b->h);
    b->alphas[i] = (uint8_t)(1 + pm_rng_int(&r, 255));
    b->shapes[i].rgba[3] = b->alphas[i];
    pm_shape_geometry(&b->shapes[i], &b->geos[i]);
  }
}

static int reference(void) {
  static Batch b;
  make_batch(&b);
  uint8_t *rgb = malloc(3 * N);
  double *delta = malloc(sizeof(double) * N);
  pm_eval_batch_cpu(b.geos, b.alphas, N, pm_model_sums(b.m), b.w, b.h, rgb, delta);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    PmShape s = b.shapes[i];
    double d = pm_model_eval(b.m, &s);
    if (d != delta[i] || memcmp(s.rgba, rgb + 3 * i, 3)) {
      if (bad++ < 5) fprintf(stderr, "candidate %d (%s): search %.3f rgb %d,%d,%d; reference %.3f rgb %d,%d,%d\n", i,
                             pm_shape_kind_name(s.kind), d, s.rgba[0], s.rgba[1], s.rgba[2], delta[i], rgb[3 * i],
                             rgb[3 * i + 1], rgb[3 * i + 2]);
    }
  }
  printf("reference: %d candidates of every kind, %d differ from the search's own evaluation\n", N, bad);
  CHECK(bad == 0, "%d candidates differ", bad);
  /* The device's lanes: a candidate's rows split every L-th among L lanes, their sums added (in
   * any order, here the last lane first), give pm_eval_geo's sums exactly. */
  static const int lanes[] = {2, 3, 8, 16, 32};
  int split_bad = 0, rows = 0;
  for (int i = 0; i < N; i++) {
    PmEdgeSet es;
    int ya, yb, w = b.w, h = b.h;
    PmAcc whole = {{0, 0, 0}, {0, 0, 0}, 0, 0, 0};
    if (!pm_geo_rows(&b.geos[i], w, h, &ya, &yb, &es)) continue;
    rows += yb - ya + 1;
    pm_eval_geo_rows(&b.geos[i], &es, ya, yb, pm_model_sums(b.m), w, 0, 1, &whole);
    for (size_t l = 0; l < sizeof lanes / sizeof *lanes; l++) {
      PmAcc sum = {{0, 0, 0}, {0, 0, 0}, 0, 0, 0};
      for (int lane = lanes[l] - 1; lane >= 0; lane--) {
        PmAcc part = {{0, 0, 0}, {0, 0, 0}, 0, 0, 0};
        pm_eval_geo_rows(&b.geos[i], &es, ya, yb, pm_model_sums(b.m), w, lane, lanes[l], &part);
        for (int k = 0; k < 3; k++) sum.st[k] += part.st[k], sum.sc[k] += part.sc[k];
        sum.scc += part.scc, sum.stc += part.stc, sum.n += part.n;
      }
      if (memcmp(&sum, &whole, sizeof sum)) split_bad++;
    }
  }
  printf("reference: the rows of every candidate split among 2, 3, 8, 16 and 32 lanes: %d of %d splits differ "
         "(%d rows)\n", split_bad, 5 * N, rows);
  CHECK(split_bad == 0 && rows > N, "%d splits differ", split_bad);
  /* The device's draw: a row's prefix sums from column x0 rebuilt in 32 pieces, each started
   * from ps[x0] plus the totals of the pieces before it, against one pass (pm_sums_row). */
  enum { W = 301 };
  static uint8_t t[3 * W], c[3 * W];
  static PmSums one[W + 1], pieces[W + 1];
  PmRng r;
  pm_rng_seed(&r, 5, 0, 0);
  int sums_bad = 0, cases = 0;
  for (int w = 1; w <= W; w += 7)
    for (int x0 = 0; x0 < w; x0 += 1 + w / 5, cases++) {
      for (int i = 0; i < 3 * w; i++) t[i] = (uint8_t)pm_rng_int(&r, 256), c[i] = (uint8_t)pm_rng_int(&r, 256);
      pm_sums_row(one, t, c, 0, w);
      memcpy(pieces, one, sizeof one);
      for (int i = 0; i < 3 * w; i++) c[i] = (uint8_t)(i / 3 >= x0 ? pm_rng_int(&r, 256) : c[i]); /* a draw */
      pm_sums_row(one, t, c, x0, w);
      int piece = (w - x0 + 31) / 32;
      PmSums before = pieces[x0];
      for (int lane = 0; lane < 32; lane++) {
        int xa = x0 + lane * piece < w ? x0 + lane * piece : w, xb = xa + piece < w ? xa + piece : w;
        PmSums start = before;
        pm_sums_run(NULL, t, c, xa, xb, &before); /* this piece's total added for the next */
        pm_sums_run(pieces, t, c, xa, xb, &start);
      }
      if (memcmp(one, pieces, sizeof(PmSums) * (size_t)(w + 1))) sums_bad++;
    }
  printf("reference: row sums rebuilt in 32 pieces: %d of %d rows differ from one pass\n", sums_bad, cases);
  CHECK(sums_bad == 0 && cases > 100, "%d rows differ", sums_bad);
  pm_model_free(b.m);
  free(b.geos), free(rgb), free(delta);
  return 0;
}

/* ---- argmin: the reduction tree of the kernels against a scan ---- */

static void argmin_case(int n, PmRng *r, int spread) {
  double d[PM_DEV_DRAW_THREADS];
  int idx[PM_DEV_DRAW_THREADS];
  for (int i = 0; i < n; i++) {
    d[i] = (double)pm_rng_int(r, spread) - spread / 2; /* a small spread gives many ties */
    idx[i] = i;
  }
  int want = 0;
  for (int i = 1; i < n; i++)
    if (d[i] < d[want]) want = i;
  double wd = d[want];
  for (int stride = n / 2; stride > 0; stride >>= 1)
    for (int t = n - 1; t >= 0; t--) pm_dev_argmin_stage(d, idx, t, stride); /* any order within a stage */
  CHECK(idx[0] == want && d[0] == wd, "n=%d spread %d: tree %d (%.0f), scan %d (%.0f)", n, spread, idx[0], d[0], want,
        wd);
}

static int argmin(void) {
  PmRng r;
  pm_rng_seed(&r, 9, 0, 0);
  for (int i = 0; i < 2000; i++) {
    argmin_case(PM_DEV_THREADS, &r, 1 + i % 7);
    argmin_case(PM_DEV_DRAW_THREADS, &r, 1 + i % 300);
  }
  printf("argmin: 4000 random arrays, ties to the lower index\n");
  return 0;
}

/* ---- the device render against the CPU renderer ---- */

typedef struct {
  PmFrame f;
  uint8_t *buf;
  size_t bytes;
} TestFrame;

/* A frame of any format with padded strides, its bytes (padding included) set to `fill`. */
static TestFrame test_frame(PmFormat fmt, int w, int h, uint8_t fill) {
  TestFrame t;
  memset(&t, 0, sizeof t);
  int cw = (w + 1) / 2, ch = (h + 1) / 2, bpp = pm_format_bytes_per_pixel(fmt);
  int s0 = (fmt < PM_FORMAT_I420 ? w * bpp : w) + 5, s1 = (fmt == PM_FORMAT_NV12 ? 2 * cw : cw) + 3;
  size_t b0 = (size_t)s0 * h, b1 = fmt < PM_FORMAT_I420 ? 0 : (size_t)s1 * ch;
  size_t b2 = fmt == PM_FORMAT_I420 ? b1 : 0;
  t.bytes = b0 + b1 + b2;
  t.buf = malloc(t.bytes);
  memset(t.buf, fill, t.bytes);
  PmFrame f = {fmt, w, h, {t.buf, b1 ? t.buf + b0 : NULL, b2 ? t.buf + b0 + b1 : NULL}, {s0, b1 ? s1 : 0, b2 ? s1 : 0}};
  t.f = f;
  return t;
}

/* pm_render() of a model whose device renders, against the CPU renderer: every format, the
 * same bytes, padding untouched. Returns the number of formats that differ. */
static int render_differs(const PmModel *m, int ow, int oh) {
  int ww, wh, bad = 0;
  uint8_t bg[3];
  pm_model_working_size(m, &ww, &wh);
  pm_model_background(m, bg);
  for (int fmt = 0; fmt < PM_FORMAT_COUNT; fmt++) {
    TestFrame dev = test_frame((PmFormat)fmt, ow, oh, 0xA5), cpu = test_frame((PmFormat)fmt, ow, oh, 0xA5);
    int rd = pm_render(m, &dev.f);
    int rc = pm_render_shapes(pm_model_shapes(m), pm_model_shape_count(m), bg, ww, wh, &cpu.f, 1);
    if (rd || rc || memcmp(dev.buf, cpu.buf, dev.bytes)) {
      size_t i = 0;
      while (i < dev.bytes && dev.buf[i] == cpu.buf[i]) i++;
      if (bad++ < 3) fprintf(stderr, "render format %d at %dx%d: byte %zu differs (device %d, cpu %d)\n", fmt, ow, oh, i,
                             i < dev.bytes ? dev.buf[i] : -1, i < dev.bytes ? cpu.buf[i] : -1);
    }
    free(dev.buf), free(cpu.buf);
  }
  return bad;
}

/* A device's downscale against frame.c's: every format, sizes that shrink, keep and stretch
 * odd, noise in every byte (padding too). Returns the number of cases that differ. */
static int downscale_differs(const PmDeviceOps *ops, PmDeviceHandle *d) {
  static const int sizes[][3] = {{131, 97, 64},  {97, 131, 40},   {33, 17, 256},
                                 {1, 1, 256},    {640, 360, 256}, {1931, 1087, 256}}; /* the last: sampled taps */
  PmRng r;
  pm_rng_seed(&r, 21, 0, 0);
  int bad = 0;
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
    for (int fmt = 0; fmt < PM_FORMAT_COUNT; fmt++) {
      int w = sizes[s][0], h = sizes[s][1], ww, wh;
      TestFrame in = test_frame((PmFormat)fmt, w, h, 0);
      for (size_t i = 0; i < in.bytes; i++) in.buf[i] = (uint8_t)pm_rng_next(&r);
      pm_working_size(w, h, sizes[s][2], &ww, &wh);
      uint8_t *a = malloc((size_t)ww * wh * 3), *b = malloc((size_t)ww * wh * 3);
      char err[256] = "";
      int ra = pm_frame_downscale(&in.f, ww, wh, a, NULL), rb = ops->downscale(d, &in.f, ww, wh, b, err, sizeof err);
      if (ra || rb || memcmp(a, b, (size_t)ww * wh * 3))
        if (bad++ < 3) fprintf(stderr, "downscale format %d %dx%d -> %dx%d differs %s\n", fmt, w, h, ww, wh, err);
      free(a), free(b), free(in.buf);
    }
  return bad;
}

/* ---- emulation: determinism and the device's copy of the model ---- */

static int same_sums(const PmSums *a, const PmSums *b, size_t n) { return memcmp(a, b, sizeof *a * n) == 0; }

static int emulation(void) {
  Image img = test_picture(96, 72);
  {
    char why[200];
    PmDeviceHandle *d = pm_emulated_device_ops.open(why, sizeof why);
    int bad = d ? downscale_differs(&pm_emulated_device_ops, d) : -1;
    CHECK(bad == 0, "the emulated downscale differs from frame.c's in %d cases", bad);
    if (d) pm_emulated_device_ops.close(d);
    printf("emulated downscale == frame.c's: 12 formats, 5 sizes\n");
  }
  { /* the PPM reader, which the GPU check uses where the build has no image codecs */
    char path[] = "/tmp/test_cuda_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    Image back = {0, 0, NULL};
    int ok = f && fprintf(f, "P6\n%d %d\n255\n", img.w, img.h) > 0 &&
             fwrite(img.rgb, 1, (size_t)img.w * img.h * 3, f) == (size_t)img.w * img.h * 3;
    if (f) fclose(f);
    char ppm[sizeof path + 4];
    snprintf(ppm, sizeof ppm, "%s.ppm", path);
    ok = ok && rename(path, ppm) == 0 && load_image(ppm, &back) == 0 && back.w == img.w && back.h == img.h &&
         !memcmp(back.rgb, img.rgb, (size_t)img.w * img.h * 3);
    CHECK(ok, "PPM round trip");
    remove(path), remove(ppm);
    free(back.rgb);
  }
  static const struct { PmShapeKind kind; int alpha, rep; } cases[] = {
      {PM_SHAPE_TRIANGLE, 128, 0}, {PM_SHAPE_ANY, 0, 1}, {PM_SHAPE_BEZIER, 90, 0}, {PM_SHAPE_POLYGON, 0, 0}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    PmConfig cfg;
    pm_config_init(&cfg);
    cfg.kind = cases[c].kind, cfg.alpha = cases[c].alpha, cfg.repeat = cases[c].rep;
    cfg.climbs = 6, cfg.candidates = 50, cfg.max_age = 100, cfg.threads = 2, cfg.seed = 3;
    cfg.device = PM_DEVICE_EMULATED;
    PmModel *a = model_on(&img, &cfg), *b = model_on(&img, &cfg);
    CHECK(a && b && pm_model_device_handle(a), "no emulated device");
    if (!a || !b || !pm_model_device_handle(a)) return 0;
    int w, h, mirror_bad = 0, fresh_bad = 0;
    pm_model_working_size(a, &w, &h);
    PmSums *fresh = malloc(sizeof *fresh * (size_t)(w + 1) * h);
    for (int i = 0; i < 25; i++) {
      pm_model_step(a);
      pm_model_step(b);
      const PmDevState *st = pm_emulated_state(pm_model_device_handle(a));
      /* after a step without repeats, the device holds exactly what the model holds */
      if (!cases[c].rep && (memcmp(st->canvas, pm_model_canvas(a, NULL), (size_t)w * h * 3) ||
                            !same_sums(st->sums, pm_model_sums(a), (size_t)(w + 1) * h) ||
                            *st->err != pm_model_error(a)))
        mirror_bad++;
      for (int y = 0; y < h; y++)
        pm_sums_row(fresh + (size_t)y * (w + 1), pm_model_target(a) + (size_t)y * w * 3,
                    pm_model_canvas(a, NULL) + (size_t)y * w * 3, 0, w);
      fresh_bad += !same_sums(fresh, pm_model_sums(a), (size_t)(w + 1) * h);
    }
    int n = pm_model_shape_count(a);
    CHECK(n == pm_model_shape_count(b) && !memcmp(pm_model_shapes(a), pm_model_shapes(b), sizeof(PmShape) * (size_t)n),
          "%s: two runs with one seed differ", pm_shape_kind_name(cfg.kind));
    CHECK(mirror_bad == 0, "%s: the device's copy differs from the model after %d steps", pm_shape_kind_name(cfg.kind),
          mirror_bad);
    CHECK(fresh_bad == 0, "%s: the row sums differ from a recomputation after %d steps", pm_shape_kind_name(cfg.kind),
          fresh_bad);
    /* the render: enlarged (far enough for the CPU's flat runs), shrunk, odd sizes, every format */
    int rbad = render_differs(a, 1931, 1087) + render_differs(a, 131, 97) + render_differs(a, 40, 31) +
               render_differs(a, 1, 1);
    CHECK(rbad == 0, "%s: the emulated render differs from the CPU's in %d formats", pm_shape_kind_name(cfg.kind), rbad);
    printf("emulation %-10s alpha %3d rep %d: %d shapes, score %.5f, same twice, device copy == model, render == cpu\n",
           pm_shape_kind_name(cfg.kind), cfg.alpha, cfg.repeat, n, pm_model_score(a));
    pm_model_free(a), pm_model_free(b);
    free(fresh);
  }
  free(img.rgb);
  return 0;
}

/* ---- quality: the emulated device search against the CPU search ---- */

static double run_shapes(const Image *img, PmDevice dev, int threads, int climbs, int shapes, double *secs,
                         char *where, size_t wlen) {
  PmConfig c;
  pm_config_init(&c);
  c.threads = threads;
  c.climbs = climbs;
  c.device = dev;
  *secs = 0;
  double t0 = now();
  PmModel *m = model_on(img, &c);
  if (!m) return -1;
  for (int i = 0; i < shapes; i++) pm_model_step(m);
  *secs = now() - t0;
  double s = pm_model_score(m);
  if (where) snprintf(where, wlen, "%s", pm_model_device(m));
  pm_model_free(m);
  return s;
}

static int quality(int argc, char **argv) {
  if (argc < 1) {
    printf("SKIP: no images given\n");
    return 77;
  }
  printf("%-16s %10s %8s %10s %8s %8s\n", "image", "cpu_score", "cpu_s", "emu_score", "emu_s", "emu/cpu");
  for (int i = 0; i < argc; i++) {
    Image img;
    if (load_image(argv[i], &img) < 0) {
      CHECK(0, "cannot load %s", argv[i]);
      continue;
    }
    double tc, te;
    double sc = run_shapes(&img, PM_DEVICE_CPU, 2, 0, 100, &tc, NULL, 0);
    double se = run_shapes(&img, PM_DEVICE_EMULATED, 0, 0, 100, &te, NULL, 0);
    printf("%-16s %10.5f %8.2f %10.5f %8.2f %8.4f\n", base_name(argv[i]), sc, tc, se, te, se / sc);
    CHECK(sc > 0 && se > 0 && se <= 1.02 * sc, "%s: emulated device score %.5f, CPU %.5f (more than 2%% worse)",
          argv[i], se, sc);
    free(img.rgb);
  }
  return 0;
}

/* ---- kernel: the batched evaluation on the GPU ---- */

/* 1 with a working GPU; else 0 (skip), or, under PM_REQUIRE_GPU=1 (the GPU check), a failure:
 * there a skipped GPU test would hide a broken driver or build. */
static int have_gpu(void) {
  char why[256] = "this build has no CUDA backend (nvcc not found at configure time)";
#ifdef PM_HAVE_CUDA
  if (pm_cuda_available(why, sizeof why)) return 1;
#endif
  if (getenv("PM_REQUIRE_GPU") && !strcmp(getenv("PM_REQUIRE_GPU"), "1")) {
    CHECK(0, "PM_REQUIRE_GPU=1, but %s", why);
    return -1;
  }
  printf("SKIP: no usable CUDA device: %s\n", why);
  return 0;
}

static int kernel(void) {
  int gpu = have_gpu();
  if (gpu <= 0) return gpu ? 0 : 77;
#ifdef PM_HAVE_CUDA
  static Batch b;
  make_batch(&b);
  uint8_t *rgb = malloc(3 * N), *grgb = malloc(3 * N);
  double *delta = malloc(sizeof(double) * N), *gdelta = malloc(sizeof(double) * N);
  pm_eval_batch_cpu(b.geos, b.alphas, N, pm_model_sums(b.m), b.w, b.h, rgb, delta);
  char err[256];
  PmCudaEval *e = pm_cuda_eval_new(b.w, b.h, N, err, sizeof err);
  if (!e || pm_cuda_eval_set_sums(e, pm_model_sums(b.m), err, sizeof err) < 0 ||
      pm_cuda_eval_run(e, b.geos, b.alphas, N, grgb, gdelta, err, sizeof err) < 0) {
    CHECK(0, "CUDA error: %s", err);
    return 0;
  }
  int bad = 0;
  for (int i = 0; i < N; i++)
    if (delta[i] != gdelta[i] || memcmp(rgb + 3 * i, grgb + 3 * i, 3)) {
      if (bad++ < 5) fprintf(stderr, "candidate %d (%s): cpu %.6f %d,%d,%d gpu %.6f %d,%d,%d\n", i,
                             pm_shape_kind_name(b.shapes[i].kind), delta[i], rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2],
                             gdelta[i], grgb[3 * i], grgb[3 * i + 1], grgb[3 * i + 2]);
    }
  printf("kernel: %d candidates of every kind, %d differ from the CPU reference\n", N, bad);
  /* the rotated kinds' geometry uses sin and cos, whose device versions may part from glibc's
   * by an ulp (raster.h): the geometry here is built on the host, so no kind may differ */
  CHECK(bad == 0, "%d candidates differ", bad);
  pm_cuda_eval_free(e);
  pm_model_free(b.m);
  free(b.geos), free(rgb), free(grgb), free(delta), free(gdelta);
#endif
  return 0;
}

/* ---- device: the GPU's search against its emulation ---- */

static int device(void) {
  int gpu = have_gpu();
  if (gpu <= 0) return gpu ? 0 : 77;
#ifdef PM_HAVE_CUDA
  Image img = test_picture(256, 192);
  for (int kind = 0; kind < PM_SHAPE_KIND_COUNT; kind++) {
    PmConfig cfg;
    pm_config_init(&cfg);
    cfg.kind = (PmShapeKind)kind, cfg.alpha = kind % 2 ? 128 : 0, cfg.seed = 5 + kind;
    cfg.device = PM_DEVICE_CUDA;
    PmModel *g = model_on(&img, &cfg);
    cfg.device = PM_DEVICE_EMULATED;
    PmModel *e = model_on(&img, &cfg);
    CHECK(g && e, "models");
    if (!g || !e) return 0;
    int w, h, shapes = 30, first_diff = -1, state_bad = 0;
    pm_model_working_size(g, &w, &h);
    uint8_t *canvas = malloc((size_t)w * h * 3);
    PmSums *sums = malloc(sizeof *sums * (size_t)(w + 1) * h);
    double tg = 0, te = 0;
    for (int i = 0; i < shapes; i++) {
      double t0 = now();
      pm_model_step(g);
      tg += now() - t0;
      t0 = now();
      pm_model_step(e);
      te += now() - t0;
      if (first_diff < 0 && memcmp(&pm_model_shapes(g)[i], &pm_model_shapes(e)[i], sizeof(PmShape))) first_diff = i;
      long long gerr;
      char err[256];
      if (!pm_model_device_handle(g) ||
          pm_cuda_device_state(pm_model_device_handle(g), canvas, sums, &gerr, err, sizeof err) < 0) {
        CHECK(0, "%s: device state: %s (%s)", pm_shape_kind_name(cfg.kind), err, pm_model_device(g));
        break;
      }
      /* whatever the shapes, the device's copy must be the model's own */
      state_bad += memcmp(canvas, pm_model_canvas(g, NULL), (size_t)w * h * 3) != 0 ||
                   !same_sums(sums, pm_model_sums(g), (size_t)(w + 1) * h) || gerr != pm_model_error(g);
    }
    /* the rotated kinds (and "any", which draws them) build geometry with the device's sin and
     * cos, which may part from glibc's by an ulp: they must come close, not equal */
    int exact = kind != PM_SHAPE_ANY && kind != PM_SHAPE_ROTATED_RECTANGLE && kind != PM_SHAPE_ROTATED_ELLIPSE;
    printf("device %-18s %s: first differing shape %d, gpu %.3f s, emulation %.3f s, scores %.5f %.5f%s\n",
           pm_shape_kind_name(cfg.kind), pm_model_device(g), first_diff, tg, te, pm_model_score(g), pm_model_score(e),
           exact ? "" : " (close enough is enough)");
    CHECK(state_bad == 0, "%s: the device's copy of the model differs after %d steps", pm_shape_kind_name(cfg.kind),
          state_bad);
    int rbad = render_differs(g, 640, 480) + render_differs(g, 333, 201) + render_differs(g, 1, 1);
    CHECK(rbad == 0, "%s: the GPU's render differs from the CPU's in %d formats", pm_shape_kind_name(cfg.kind), rbad);
    if (kind == 0) {
      int dbad = downscale_differs(&pm_cuda_device_ops, pm_model_device_handle(g));
      CHECK(dbad == 0, "the GPU's downscale differs from frame.c's in %d cases", dbad);
    }
    if (exact) CHECK(first_diff < 0, "%s: the GPU's shape %d differs from the emulation's", pm_shape_kind_name(cfg.kind),
                     first_diff);
    else CHECK(pm_model_score(g) <= 1.02 * pm_model_score(e), "%s: GPU score %.5f, emulation %.5f",
               pm_shape_kind_name(cfg.kind), pm_model_score(g), pm_model_score(e));
    pm_model_free(g), pm_model_free(e);
    free(canvas), free(sums);
  }
  free(img.rgb);
#endif
  return 0;
}

/* ---- bench: the CPU search on 2 threads against the GPU's ---- */

static PmDevice bench_device = PM_DEVICE_CUDA;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* 100 triangles on each image: the CPU's default search, the GPU's with the same settings (which
 * it runs as 96 climbers, core/model.c), and the GPU's with 32 climbs (128 climbers: more blocks
 * cost the GPU little time). Medians of 3 runs. */
static void bench_still(int argc, char **argv, char *where, size_t wlen) {
  enum { RUNS = 3 };
  static const int climbs[] = {0, 32};
  printf("%-14s %8s %9s | %8s %9s %7s | %9s %9s %7s\n", "100 triangles", "cpu2_s", "cpu_score", "gpu_s", "gpu_score",
         "speedup", "gpu128_s", "score", "speedup");
  for (int i = 0; i < argc; i++) {
    Image img;
    if (load_image(argv[i], &img) < 0) {
      CHECK(0, "cannot load %s", argv[i]);
      continue;
    }
    double tc[RUNS], tg[2][RUNS], sc = 0, sg[2] = {0, 0};
    for (int r = 0; r < RUNS; r++) {
      sc = run_shapes(&img, PM_DEVICE_CPU, 2, 0, 100, &tc[r], NULL, 0);
      for (int k = 0; k < 2; k++) sg[k] = run_shapes(&img, bench_device, 2, climbs[k], 100, &tg[k][r], where, wlen);
    }
    qsort(tc, RUNS, sizeof *tc, cmp_double);
    for (int k = 0; k < 2; k++) qsort(tg[k], RUNS, sizeof *tg[k], cmp_double);
    double c = tc[RUNS / 2], g = tg[0][RUNS / 2], g2 = tg[1][RUNS / 2];
    printf("%-14s %8.3f %9.5f | %8.3f %9.5f %6.1fx | %9.3f %9.5f %6.1fx\n", base_name(argv[i]), c, sc, g, sg[0], c / g, g2,
           sg[1], c / g2);
    CHECK(sg[0] > 0 && sg[0] <= 1.02 * sc, "%s: GPU score %.5f, CPU %.5f", argv[i], sg[0], sc);
    free(img.rgb);
  }
  printf("(medians of %d runs, model creation included; the GPU's runs use 2 CPU threads too)\n", RUNS);
}

/* Video through the shared session (pm_video_process): a test picture panning, the first frame
 * cold, then warm frames (their refit and refinement still run on the CPU; only their search
 * steps on the GPU), rendered at the frame size. 100 shapes at each size, and the device's goals:
 * 200 shapes at 1920x1080 and 500 at 3840x2160 (60 frames/s each). */
static void bench_video(void) {
  static const int cases[][3] = {{1280, 720, 100}, {1920, 1080, 100}, {1920, 1080, 200}, {3840, 2160, 100},
                                 {3840, 2160, 500}};
  int all = (int)(sizeof cases / sizeof cases[0]);
  int ncases = getenv("PM_BENCH_CASES") ? atoi(getenv("PM_BENCH_CASES")) : all; /* the first N */
  enum { FRAMES = 8 };
  printf("\n%-10s %6s | %9s %9s | %9s %9s | %7s\n", "video", "shapes", "cpu2_cold", "cpu2_fps", "gpu_cold", "gpu_fps",
         "speedup");
  for (int k = 0; k < ncases && k < all; k++) {
    int w = cases[k][0], h = cases[k][1], shapes = cases[k][2];
    Image big = test_picture(w + FRAMES * 8, h);
    uint8_t *out = malloc((size_t)w * h * 3);
    double cold[2], fps[2];
    for (int d = 0; d < 2; d++) {
      PmVideoSettings st;
      pm_video_settings_init(&st);
      st.search.threads = 2;
      st.search.device = d ? bench_device : PM_DEVICE_CPU;
      st.shapes = shapes;
      PmVideo *v = pm_video_new();
      char err[256];
      double t0 = now(), t1 = t0;
      for (int f = 0; f < FRAMES; f++) {
        PmFrame in = {PM_FORMAT_RGB, w, h, {big.rgb + (size_t)f * 8 * 3, NULL, NULL}, {(w + FRAMES * 8) * 3, 0, 0}};
        PmFrame o = {PM_FORMAT_RGB, w, h, {out, NULL, NULL}, {w * 3, 0, 0}};
        if (pm_video_process(v, &st, &in, &o, err, sizeof err) < 0) {
          CHECK(0, "video %dx%d: %s", w, h, err);
          break;
        }
        if (f == 0) t1 = now();
      }
      cold[d] = t1 - t0;
      fps[d] = (FRAMES - 1) / (now() - t1);
      pm_video_free(v);
    }
    printf("%4dx%-5d %6d | %9.3f %9.2f | %9.3f %9.2f | %6.1fx\n", w, h, shapes, cold[0], fps[0], cold[1], fps[1],
           fps[1] / fps[0]);
    free(big.rgb), free(out);
  }
}

/* The render alone: random triangles (alpha 128) at video sizes, into RGBA and NV12; the CPU
 * renderer on 2 threads against the device's (uploads and the copy back included). */
static void bench_render(void) {
  static const int sizes[][2] = {{1920, 1080}, {3840, 2160}};
  static const int counts[] = {100, 500};
  static const PmFormat formats[] = {PM_FORMAT_RGBA, PM_FORMAT_NV12};
  enum { RUNS = 5 };
  const PmDeviceOps *ops = bench_device == PM_DEVICE_EMULATED ? &pm_emulated_device_ops : &pm_cuda_device_ops;
  char why[256], err[256];
  PmDeviceHandle *d = ops ? ops->open(why, sizeof why) : NULL;
  if (!d) {
    CHECK(0, "render bench: %s", why);
    return;
  }
  printf("\n%-10s %6s %6s | %9s %9s | %7s\n", "render", "format", "shapes", "cpu2_ms", "gpu_ms", "speedup");
  PmShape shapes[500];
  PmRng r;
  pm_rng_seed(&r, 77, 0, 0);
  for (int i = 0; i < 500; i++) {
    pm_shape_random(&shapes[i], PM_SHAPE_TRIANGLE, &r, 256, 144);
    for (int k = 0; k < 3; k++) shapes[i].rgba[k] = (uint8_t)pm_rng_int(&r, 256);
    shapes[i].rgba[3] = 128;
  }
  uint8_t bg[3] = {90, 100, 110};
  for (int s = 0; s < 2; s++)
    for (int f = 0; f < 2; f++)
      for (int c = 0; c < 2; c++) {
        TestFrame a = test_frame(formats[f], sizes[s][0], sizes[s][1], 0), b = test_frame(formats[f], sizes[s][0], sizes[s][1], 0);
        double tc[RUNS], tg[RUNS];
        for (int k = 0; k < RUNS; k++) {
          double t0 = now();
          pm_render_shapes(shapes, counts[c], bg, 256, 144, &a.f, 2);
          tc[k] = now() - t0;
          t0 = now();
          if (ops->render(d, shapes, counts[c], bg, 256, 144, &b.f, err, sizeof err) < 0) CHECK(0, "render: %s", err);
          tg[k] = now() - t0;
        }
        CHECK(!memcmp(a.buf, b.buf, a.bytes), "render bench: the device's frame differs from the CPU's");
        qsort(tc, RUNS, sizeof *tc, cmp_double);
        qsort(tg, RUNS, sizeof *tg, cmp_double);
        printf("%4dx%-5d %6s %6d | %9.2f %9.2f | %6.1fx\n", sizes[s][0], sizes[s][1], f ? "NV12" : "RGBA", counts[c],
               1e3 * tc[RUNS / 2], 1e3 * tg[RUNS / 2], tc[RUNS / 2] / tg[RUNS / 2]);
        free(a.buf), free(b.buf);
      }
  ops->close(d);
}

static int bench(int argc, char **argv) {
  /* PM_BENCH_DEVICE=emulated runs the table without a GPU, to try the harness */
  const char *dev = getenv("PM_BENCH_DEVICE");
  if (dev && pm_device_parse(dev) > 0) bench_device = (PmDevice)pm_device_parse(dev);
  int gpu = bench_device == PM_DEVICE_CUDA ? have_gpu() : 1;
  if (gpu <= 0) return gpu ? 0 : 77;
  char where[300] = "";
  if (argc > 0) bench_still(argc, argv, where, sizeof where);
  if (!getenv("PM_BENCH_VIDEO_ONLY")) bench_render();
  bench_video();
  printf("(GPU: %s)\n", where[0] ? where : "see above");
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "reference";
  int r;
  if (!strcmp(mode, "reference")) r = reference();
  else if (!strcmp(mode, "argmin")) r = argmin();
  else if (!strcmp(mode, "emulation")) r = emulation();
  else if (!strcmp(mode, "quality")) r = quality(argc - 2, argv + 2);
  else if (!strcmp(mode, "kernel")) r = kernel();
  else if (!strcmp(mode, "device")) r = device();
  else if (!strcmp(mode, "bench")) r = bench(argc - 2, argv + 2);
  else {
    fprintf(stderr, "usage: test_cuda reference|argmin|emulation|quality|kernel|device|bench [IMAGE...]\n");
    return 2;
  }
  if (r == 77) return 77;
  printf("%d passed, %d failed\n", failures == 0, failures != 0);
  return failures ? 1 : 0;
}
