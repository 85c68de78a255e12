/* primitive: approximate a still image with shapes. Flags follow Michael Fogleman's primitive. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gif.h"
#include "imageio.h"
#include "outfile.h"
#include "primitive.h"

#ifndef PM_VERSION
#define PM_VERSION "unknown"
#endif

#define MAX_OUTPUTS 16
#define MAX_PAIRS 64
#define GIF_DELAY_CS 50      /* primitive's: half a second a frame */
#define GIF_LAST_DELAY_CS 250 /* and the finished picture for two and a half */

static const char *usage_text =
    "Usage: primitive -i INPUT -o OUTPUT [-o OUTPUT ...] [options]\n"
    "  -i PATH     input image (PNG or JPEG; at most 100 megapixels)\n"
    "  -o PATH     output: .png, .jpg, .svg, or .gif (an animation of the picture being built,\n"
    "              a frame every -nth shapes); may repeat. A number in the name (%d, or %03d\n"
    "              for zero-padded) saves every -nth frame; %% is a literal %\n"
    "  -n N        number of shapes (100). Several -n run in order on the same picture, each\n"
    "              with the -m, -a and -rep given before it: -m 1 -n 50 -m 4 -n 20\n"
    "  -m MODE     0 any, 1 triangle, 2 rectangle, 3 ellipse, 4 circle, 5 rotated rectangle,\n"
    "              6 bezier, 7 rotated ellipse, 8 polygon (1)\n"
    "  -rep N      add up to N extra shapes per step, climbed from the last one (0)\n"
    "  -nth N      save every Nth frame (numbered outputs and GIF frames) (1)\n"
    "  -r N        working size: the input is resized so its long side is N (256)\n"
    "  -s N        output size: long side of the saved image (1024)\n"
    "  -a N        alpha 1..255, or 0 to choose it per shape (128)\n"
    "  -bg COLOUR  background: hex rgb, rgba, rrggbb or rrggbbaa, # optional (alpha makes PNG\n"
    "              and SVG outputs transparent), or \"avg\" (the image's average) (avg)\n"
    "  -j N        worker threads, 0 = all cores (0)\n"
    "  --seed N    random seed; the same seed gives the same picture at any -j (1)\n"
    "  -device D   where the search runs: auto (CUDA when a GPU works, else the CPU), cpu,\n"
    "              cuda (an error without a GPU), emulated (the CUDA search on the CPU) (auto)\n"
    "  -v, -vv     progress: one line per shape (count, time, score)\n"
    "  -h          this help\n"
    "  --version   the version\n"
    "A transparent input stays transparent: shapes are fitted to it over the background colour,\n"
    "and PNG and SVG outputs take its alpha, scaled to the output size.\n";

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "primitive: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(2);
}

static long parse_int(const char *flag, const char *v, long lo, long hi) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno || end == v || *end || x < lo || x > hi) {
    fprintf(stderr, "primitive: bad value \"%s\" for -%s (expected an integer %ld..%ld)\n", v, flag, lo, hi);
    exit(2);
  }
  return x;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One -n with the settings it runs under. */
typedef struct {
  int count, alpha, repeat;
  PmShapeKind kind;
} Pair;

typedef struct {
  const char *pattern; /* as given */
  PmImageType type;
  int numbered;
  PmOutFile file; /* a GIF's, open for the whole run */
  PmGif *gif;
} Output;

/* Alpha-aware rendering at the output size, computed at most once per step. */
typedef struct {
  int w, h, threads;
  uint8_t bg_alpha;
  uint8_t *mask;    /* the input's alpha at w x h, or NULL */
  char *mask_uri;   /* the same as a data: URI for SVG, made on first use */
  long step;        /* step the buffers below hold, -1 for none */
  int have_opaque, have_alpha;
  uint8_t *opaque;  /* the picture over the opaque background (JPEG, GIF, opaque PNG) */
  PmImage rgba;     /* the picture with its alpha (transparent PNG) */
} Picture;

/* Resamples one 8-bit plane with a tent filter as wide as the scale (bilinear when enlarging,
 * an area average when shrinking). */
static int resize_plane(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh) {
  float *tmp = malloc(sizeof *tmp * (size_t)dw * sh);
  if (!tmp) return -1;
  for (int pass = 0; pass < 2; pass++) {
    int n_in = pass ? sh : sw, n_out = pass ? dh : dw, lines = pass ? dw : sh;
    float scale = (float)n_in / n_out, r = scale > 1.0f ? scale : 1.0f;
    for (int o = 0; o < n_out; o++) {
      float c = (o + 0.5f) * scale - 0.5f;
      int i0 = (int)floorf(c - r) + 1, i1 = (int)floorf(c + r);
      for (int l = 0; l < lines; l++) {
        float sum = 0.0f, wsum = 0.0f;
        for (int i = i0; i <= i1; i++) {
          float wgt = 1.0f - fabsf(i - c) / r;
          if (wgt <= 0.0f) continue;
          int k = i < 0 ? 0 : (i >= n_in ? n_in - 1 : i);
          sum += wgt * (pass ? tmp[(size_t)k * dw + l] : src[(size_t)l * sw + k]);
          wsum += wgt;
        }
        float v = wsum > 0.0f ? sum / wsum : 0.0f;
        if (pass) dst[(size_t)o * dw + l] = (uint8_t)(v + 0.5f);
        else tmp[(size_t)l * dw + o] = v;
      }
    }
  }
  free(tmp);
  return 0;
}

static int render_opaque(Picture *pic, const PmModel *m) {
  if (!pic->opaque && !(pic->opaque = malloc((size_t)pic->w * pic->h * 3))) return -1;
  PmFrame f = {PM_FORMAT_RGB, pic->w, pic->h, {pic->opaque, NULL, NULL}, {pic->w * 3, 0, 0}};
  return pm_render(m, &f);
}

/* Shapes over a background of opacity Ab: in premultiplied terms "over" is linear, so the
 * colour is the shapes drawn over the premultiplied background, and the opacity the same shapes
 * drawn in white over Ab grey; dividing one by the other gives straight colour. The input's
 * alpha then masks the result. */
static int render_alpha(Picture *pic, const PmModel *m) {
  int w = pic->w, h = pic->h;
  size_t n = (size_t)w * h;
  PmImage *out = &pic->rgba;
  out->width = w;
  out->height = h;
  if (!out->rgb && !(out->rgb = malloc(n * 3))) return -1;
  if (!out->alpha && !(out->alpha = malloc(n))) return -1;
  if (pic->bg_alpha == 255) {
    if (render_opaque(pic, m) < 0) return -1;
    memcpy(out->rgb, pic->opaque, n * 3);
    memcpy(out->alpha, pic->mask, n);
    return 0;
  }
  int ww, wh, count = pm_model_shape_count(m);
  pm_model_working_size(m, &ww, &wh);
  uint8_t bg[3], a = pic->bg_alpha;
  pm_model_background(m, bg);
  uint8_t premult[3] = {(uint8_t)((bg[0] * a + 127) / 255), (uint8_t)((bg[1] * a + 127) / 255),
                        (uint8_t)((bg[2] * a + 127) / 255)};
  uint8_t grey[3] = {a, a, a};
  uint8_t *cov = malloc(n * 3);
  PmShape *white = malloc(sizeof *white * (size_t)(count > 0 ? count : 1));
  int r = -1;
  if (cov && white) {
    memcpy(white, pm_model_shapes(m), sizeof *white * (size_t)count);
    for (int i = 0; i < count; i++) memset(white[i].rgba, 255, 3);
    PmFrame fc = {PM_FORMAT_RGB, w, h, {out->rgb, NULL, NULL}, {w * 3, 0, 0}};
    PmFrame fa = {PM_FORMAT_RGB, w, h, {cov, NULL, NULL}, {w * 3, 0, 0}};
    r = pm_render_shapes(pm_model_shapes(m), count, premult, ww, wh, &fc, pic->threads);
    if (r == 0) r = pm_render_shapes(white, count, grey, ww, wh, &fa, pic->threads);
    for (size_t i = 0; r == 0 && i < n; i++) {
      unsigned A = cov[3 * i];
      for (int c = 0; c < 3; c++) {
        unsigned v = A ? (out->rgb[3 * i + c] * 255u + A / 2) / A : 0;
        out->rgb[3 * i + c] = (uint8_t)(v > 255 ? 255 : v);
      }
      out->alpha[i] = (uint8_t)(pic->mask ? (A * pic->mask[i] + 127) / 255 : A);
    }
  }
  free(cov);
  free(white);
  return r;
}

static int save(Picture *pic, const PmModel *m, long step, Output *o, const char *path, int last, char *err,
                size_t errlen) {
  if (pic->step != step) pic->have_opaque = pic->have_alpha = 0;
  pic->step = step;
  int transparent = pic->mask || pic->bg_alpha < 255;
  int want_alpha = transparent && o->type == PM_TYPE_PNG;
  if (o->type != PM_TYPE_SVG) {
    int *have = want_alpha ? &pic->have_alpha : &pic->have_opaque;
    if (!*have && (want_alpha ? render_alpha(pic, m) : render_opaque(pic, m)) < 0) {
      snprintf(err, errlen, "cannot render a %dx%d picture (out of memory?)", pic->w, pic->h);
      return -1;
    }
    *have = 1;
  }
  if (o->type == PM_TYPE_GIF) {
    if (pm_gif_frame(o->gif, pic->opaque, last ? GIF_LAST_DELAY_CS : GIF_DELAY_CS, err, errlen) < 0) {
      char why[512];
      snprintf(why, sizeof why, "%s", err);
      snprintf(err, errlen, "cannot write %s: %s", path, why);
      return -1;
    }
    return 0;
  }
  PmOutFile file;
  if (pm_outfile_open(&file, path, err, errlen) < 0) return -1;
  char why[512] = "";
  int r;
  if (o->type == PM_TYPE_SVG) {
    if (pic->mask && !pic->mask_uri) pic->mask_uri = pm_image_alpha_data_uri(pic->mask, pic->w, pic->h);
    char *svg = pic->mask && !pic->mask_uri ? NULL : pm_model_svg_alpha(m, pic->w, pic->h, pic->bg_alpha, pic->mask_uri);
    r = svg && fputs(svg, file.f) >= 0 ? 0 : -1;
    if (r < 0) snprintf(why, sizeof why, "%s", svg ? strerror(errno) : "out of memory");
    free(svg);
  } else if (want_alpha) {
    r = pm_image_write(file.f, o->type, &pic->rgba, why, sizeof why);
  } else {
    PmImage img = {pic->w, pic->h, pic->opaque, NULL, ""};
    r = pm_image_write(file.f, o->type, &img, why, sizeof why);
  }
  if (r < 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, why);
    pm_outfile_abort(&file);
    return -1;
  }
  return pm_outfile_commit(&file, err, errlen);
}

/* A transparent input is fitted over the background colour (the -bg colour, or the average of
 * what is visible): the colour where the input is transparent then matches the background, and
 * no shape is spent on it. */
static void composite_input(PmImage *img, PmConfig *cfg) {
  size_t n = (size_t)img->width * img->height;
  if (!cfg->use_background) {
    double sum[3] = {0, 0, 0}, wsum = 0;
    for (size_t i = 0; i < n; i++) {
      double a = img->alpha[i];
      for (int c = 0; c < 3; c++) sum[c] += a * img->rgb[3 * i + c];
      wsum += a;
    }
    for (int c = 0; c < 3; c++) cfg->background[c] = (uint8_t)(wsum > 0 ? sum[c] / wsum + 0.5 : 0);
    cfg->use_background = 1;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned a = img->alpha[i];
    for (int c = 0; c < 3; c++)
      img->rgb[3 * i + c] = (uint8_t)((img->rgb[3 * i + c] * a + cfg->background[c] * (255u - a) + 127) / 255);
  }
}

int main(int argc, char **argv) {
  const char *input = NULL;
  Output outputs[MAX_OUTPUTS];
  Pair pairs[MAX_PAIRS];
  int nout = 0, npairs = 0, nth = 1, size = 1024, verbose = 0;
  Pair current = {100, 128, 0, PM_SHAPE_TRIANGLE};
  int set_after_last_n[3] = {0, 0, 0}; /* -m, -a, -rep given after the last -n */
  uint8_t bg_alpha = 255;
  PmConfig cfg;
  pm_config_init(&cfg);
  cfg.threads = 0;
  memset(outputs, 0, sizeof outputs);
  cfg.device = PM_DEVICE_AUTO;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || !a[1]) die("unexpected argument \"%s\" (see -h)", a);
    const char *name = a + 1 + (a[1] == '-'); /* Go's flag package takes -x and --x */
    char key[32];
    const char *val = NULL;
    const char *eq = strchr(name, '=');
    size_t kl = eq ? (size_t)(eq - name) : strlen(name);
    if (kl >= sizeof key) die("unknown flag \"%s\" (see -h)", a);
    memcpy(key, name, kl);
    key[kl] = 0;
    if (!strcmp(key, "h") || !strcmp(key, "help")) {
      fputs(usage_text, stdout);
      return 0;
    }
    if (!strcmp(key, "version")) {
      printf("primitive (gst-primitive) %s\n", PM_VERSION);
      return 0;
    }
    if (!strcmp(key, "v")) { verbose = verbose > 1 ? verbose : 1; continue; }
    if (!strcmp(key, "vv")) { verbose = 2; continue; }
    static const char *valued[] = {"i", "o", "n", "m", "rep", "nth", "r", "s", "a", "bg", "j", "seed", "device", NULL};
    int known = 0;
    for (int k = 0; valued[k]; k++) known |= !strcmp(key, valued[k]);
    if (!known) die("unknown flag \"%s\" (see -h)", a);
    if (eq) val = eq + 1;
    else if (i + 1 < argc) val = argv[++i];
    else die("flag -%s needs a value", key);

    if (!strcmp(key, "i")) input = val;
    else if (!strcmp(key, "o")) {
      if (nout == MAX_OUTPUTS) die("too many -o outputs (at most %s)", "16");
      outputs[nout++].pattern = val;
    } else if (!strcmp(key, "n")) {
      if (npairs == MAX_PAIRS) die("too many -n (at most %s)", "64");
      current.count = (int)parse_int(key, val, 1, 1000000);
      pairs[npairs++] = current;
      memset(set_after_last_n, 0, sizeof set_after_last_n);
    } else if (!strcmp(key, "m")) current.kind = (PmShapeKind)parse_int(key, val, 0, 8), set_after_last_n[0] = 1;
    else if (!strcmp(key, "a")) current.alpha = (int)parse_int(key, val, 0, 255), set_after_last_n[1] = 1;
    else if (!strcmp(key, "rep")) current.repeat = (int)parse_int(key, val, 0, 1000), set_after_last_n[2] = 1;
    else if (!strcmp(key, "nth")) nth = (int)parse_int(key, val, 1, 1000000);
    else if (!strcmp(key, "r")) cfg.working_size = (int)parse_int(key, val, 1, 4096);
    else if (!strcmp(key, "s")) size = (int)parse_int(key, val, 1, 32768);
    else if (!strcmp(key, "j")) cfg.threads = (int)parse_int(key, val, 0, 256);
    else if (!strcmp(key, "seed")) cfg.seed = (uint64_t)parse_int(key, val, 0, 0x7fffffffffffffffL);
    else if (!strcmp(key, "device")) {
      int d = pm_device_parse(val);
      if (d < 0) die("bad value \"%s\" for -device (expected auto, cpu, cuda or emulated)", val);
      cfg.device = (PmDevice)d;
    } else if (!strcmp(key, "bg")) {
      if (!strcasecmp(val, "avg") || !*val) cfg.use_background = 0, bg_alpha = 255;
      else if (pm_parse_colour(val, cfg.background, &bg_alpha) == 0) cfg.use_background = 1;
      else die("bad value \"%s\" for -bg (expected a hex colour such as fff, ffffff or ffffff80, or avg)", val);
    }
  }
  /* Settings given after the last -n apply to it, so a single run takes flags in any order. */
  if (npairs == 0) pairs[npairs++] = current;
  Pair *lastp = &pairs[npairs - 1];
  if (set_after_last_n[0]) lastp->kind = current.kind;
  if (set_after_last_n[1]) lastp->alpha = current.alpha;
  if (set_after_last_n[2]) lastp->repeat = current.repeat;
  long total = 0;
  for (int k = 0; k < npairs; k++) total += pairs[k].count;

  if (!input) die("%s", "missing -i INPUT (see -h)");
  if (nout == 0) die("%s", "missing -o OUTPUT (see -h)");
  char err[4400];
  pm_outfile_cleanup_on_signals();
  for (int k = 0; k < nout; k++) {
    Output *o = &outputs[k];
    int pattern = pm_path_pattern(o->pattern);
    if (pattern == -1)
      die("bad output name \"%s\": a %% starts a frame number (%%d, or %%03d zero-padded) or %%%% (a literal %%)",
          o->pattern);
    if (pattern == -2) die("bad output name \"%s\": only one frame number (%%d or %%0Nd) may appear", o->pattern);
    o->numbered = pattern == 1;
    o->type = pm_image_type(o->pattern);
    if (o->type == PM_TYPE_UNKNOWN) die("%s: unknown output type (use .png, .jpg, .svg or .gif)", o->pattern);
    if (o->type == PM_TYPE_GIF && o->numbered)
      die("bad output name \"%s\": a GIF holds every frame, so its name takes no frame number", o->pattern);
    char path[4096];
    pm_path_expand(path, sizeof path, o->pattern, (unsigned long long)(nth <= total ? nth : total));
    if (pm_outfile_check(path, err, sizeof err) < 0) die("%s", err);
  }

  PmImage img;
  if (pm_image_load(input, &img, err, sizeof err) < 0) die("%s", err);
  if (img.warning[0]) fprintf(stderr, "primitive: warning: %s: %s\n", input, img.warning);
  if (img.alpha) composite_input(&img, &cfg);
  PmFrame frame = {PM_FORMAT_RGB, img.width, img.height, {img.rgb, NULL, NULL}, {img.width * 3, 0, 0}};
  double t0 = now();
  cfg.kind = pairs[0].kind;
  cfg.alpha = pairs[0].alpha;
  cfg.repeat = pairs[0].repeat;
  PmModel *m = pm_model_new(&cfg, &frame, err, sizeof err);
  if (!m) die("%s", err);

  int ww, wh;
  pm_model_working_size(m, &ww, &wh);
  int big = ww > wh ? ww : wh;
  Picture pic = {0};
  pic.w = (int)((double)ww * size / big + 0.5), pic.h = (int)((double)wh * size / big + 0.5);
  if (pic.w < 1) pic.w = 1;
  if (pic.h < 1) pic.h = 1;
  pic.threads = cfg.threads;
  pic.bg_alpha = bg_alpha;
  pic.step = -1;
  if (img.alpha && ((pic.mask = malloc((size_t)pic.w * pic.h)) == NULL ||
                    resize_plane(img.alpha, img.width, img.height, pic.mask, pic.w, pic.h) < 0))
    die("out of memory for a %s output", "transparent");
  pm_image_free(&img);

  int status = 0;
  for (int k = 0; k < nout && status == 0; k++) { /* GIFs open for the whole run, from the background alone */
    Output *o = &outputs[k];
    if (o->type != PM_TYPE_GIF) continue;
    char path[4096];
    pm_path_expand(path, sizeof path, o->pattern, 0);
    char why[512] = "";
    if (pm_outfile_open(&o->file, path, err, sizeof err) < 0 ||
        (!(o->gif = pm_gif_new(o->file.f, pic.w, pic.h, why, sizeof why)) &&
         snprintf(err, sizeof err, "cannot write %s: %s", path, why) > 0) ||
        save(&pic, m, 0, o, path, 0, err, sizeof err) < 0) {
      fprintf(stderr, "primitive: %s\n", err);
      status = 1;
    }
  }
  if (verbose && status == 0) {
    printf("%s: %dx%d working size, ", input, ww, wh);
    for (int k = 0; k < npairs; k++)
      printf("%s%d %s shapes, alpha %d", k ? ", then " : "", pairs[k].count, pm_shape_kind_name(pairs[k].kind),
             pairs[k].alpha);
    printf(", score %.6f\n", pm_model_score(m));
    printf("search on: %s\n", pm_model_device(m));
  }
  long step = 0;
  for (int p = 0; p < npairs && status == 0; p++) {
    if (p > 0) {
      cfg.kind = pairs[p].kind;
      cfg.alpha = pairs[p].alpha;
      cfg.repeat = pairs[p].repeat;
      pm_model_configure(m, &cfg);
    }
    for (int i = 0; i < pairs[p].count && status == 0; i++) {
      step++;
      double t = now();
      uint64_t e0 = pm_model_evaluations(m);
      double score = pm_model_step(m);
      if (verbose) {
        double dt = now() - t;
        printf("%ld: t=%.3f, score=%.6f, shapes=%d", step, now() - t0, score, pm_model_shape_count(m));
        if (verbose > 1)
          printf(", evals=%llu, evals/s=%.0f", (unsigned long long)(pm_model_evaluations(m) - e0),
                 (double)(pm_model_evaluations(m) - e0) / (dt > 0 ? dt : 1e-9));
        printf("\n");
        fflush(stdout);
      }
      int last = step == total;
      for (int k = 0; k < nout && status == 0; k++) {
        Output *o = &outputs[k];
        if (!(last || ((o->numbered || o->gif) && step % nth == 0))) continue;
        char path[4096];
        pm_path_expand(path, sizeof path, o->pattern, (unsigned long long)step);
        if (save(&pic, m, step, o, path, last, err, sizeof err) < 0) {
          fprintf(stderr, "primitive: %s\n", err);
          status = 1;
        }
      }
    }
  }
  for (int k = 0; k < nout; k++) { /* GIFs: finished and renamed into place, or removed */
    Output *o = &outputs[k];
    if (o->type != PM_TYPE_GIF || !o->file.f) continue;
    char path[4096];
    pm_path_expand(path, sizeof path, o->pattern, 0);
    if (status == 0) {
      int r = pm_gif_finish(o->gif, err, sizeof err);
      o->gif = NULL;
      if (r < 0) {
        fprintf(stderr, "primitive: cannot write %s: %s\n", path, err);
        status = 1;
      } else if (pm_outfile_commit(&o->file, err, sizeof err) < 0) {
        fprintf(stderr, "primitive: %s\n", err);
        status = 1;
      }
    }
    pm_gif_free(o->gif);
    if (o->file.f) pm_outfile_abort(&o->file);
  }
  free(pic.mask);
  free(pic.mask_uri);
  free(pic.opaque);
  pm_image_free(&pic.rgba);
  pm_model_free(m);
  return status;
}
