/* primitive: approximate a still image with shapes. Flags follow Michael Fogleman's primitive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imageio.h"
#include "primitive.h"

#define MAX_OUTPUTS 16

static const char *usage_text =
    "Usage: primitive -i INPUT -o OUTPUT [-o OUTPUT ...] [options]\n"
    "  -i PATH     input image (PNG or JPEG)\n"
    "  -o PATH     output image: .png, .jpg or .svg; may repeat; \"%d\" in the name saves\n"
    "              every frame (see -nth)\n"
    "  -n N        number of shapes (100)\n"
    "  -m MODE     0 any, 1 triangle, 2 rectangle, 3 ellipse, 4 circle, 5 rotated rectangle,\n"
    "              6 bezier, 7 rotated ellipse, 8 polygon (1)\n"
    "  -rep N      add up to N extra shapes per step, climbed from the last one (0)\n"
    "  -nth N      with %d in an output name, save every Nth frame (1)\n"
    "  -r N        working size: the input is resized so its long side is N (256)\n"
    "  -s N        output size: long side of the saved image (1024)\n"
    "  -a N        alpha 1..255, or 0 to choose it per shape (128)\n"
    "  -bg HEX     background colour, e.g. ffffff or #fff, or \"avg\" (the image's average)\n"
    "  -j N        worker threads, 0 = all cores (0)\n"
    "  --seed N    random seed; the same seed gives the same picture at any -j (1)\n"
    "  -device D   where the search runs: auto (CUDA when a GPU works, else the CPU), cpu,\n"
    "              cuda (an error without a GPU), emulated (the CUDA search on the CPU) (auto)\n"
    "  -v, -vv     progress: one line per shape (count, time, score)\n"
    "  -h          this help\n";

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

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* Fails early, before minutes of work, when an output cannot be written. */
static void check_writable(const char *path) {
  char err[4200];
  int existed = access(path, F_OK) == 0;
  FILE *f = fopen(path, "ab");
  if (!f) {
    snprintf(err, sizeof err, "cannot write %s: %s", path, strerror(errno));
    die("%s", err);
  }
  fclose(f);
  if (!existed) remove(path);
}

static int save(const PmModel *m, const char *path, int size, char *err, size_t errlen) {
  int ww, wh;
  pm_model_working_size(m, &ww, &wh);
  int big = ww > wh ? ww : wh;
  int ow = (int)((double)ww * size / big + 0.5), oh = (int)((double)wh * size / big + 0.5);
  if (ow < 1) ow = 1;
  if (oh < 1) oh = 1;
  if (ends_with(path, ".svg")) {
    char *svg = pm_model_svg(m, ow, oh);
    FILE *f = svg ? fopen(path, "wb") : NULL;
    int ok = f && fputs(svg, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    free(svg);
    if (!ok) snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return ok ? 0 : -1;
  }
  PmImage img = {ow, oh, malloc((size_t)ow * oh * 3)};
  if (!img.rgb) {
    snprintf(err, errlen, "out of memory for a %dx%d output", ow, oh);
    return -1;
  }
  PmFrame f = {PM_FORMAT_RGB, ow, oh, {img.rgb, NULL, NULL}, {ow * 3, 0, 0}};
  int r = pm_render(m, &f);
  if (r == 0) r = pm_image_save(path, &img, err, errlen);
  else snprintf(err, errlen, "rendering failed");
  pm_image_free(&img);
  return r;
}

int main(int argc, char **argv) {
  const char *input = NULL, *outputs[MAX_OUTPUTS];
  int nout = 0, count = 100, nth = 1, size = 1024, verbose = 0;
  PmConfig cfg;
  pm_config_init(&cfg);
  cfg.threads = 0;
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
      outputs[nout++] = val;
    } else if (!strcmp(key, "n")) count = (int)parse_int(key, val, 1, 1000000);
    else if (!strcmp(key, "m")) cfg.kind = (PmShapeKind)parse_int(key, val, 0, 8);
    else if (!strcmp(key, "rep")) cfg.repeat = (int)parse_int(key, val, 0, 1000);
    else if (!strcmp(key, "nth")) nth = (int)parse_int(key, val, 1, 1000000);
    else if (!strcmp(key, "r")) cfg.working_size = (int)parse_int(key, val, 1, 4096);
    else if (!strcmp(key, "s")) size = (int)parse_int(key, val, 1, 32768);
    else if (!strcmp(key, "a")) cfg.alpha = (int)parse_int(key, val, 0, 255);
    else if (!strcmp(key, "j")) cfg.threads = (int)parse_int(key, val, 0, 256);
    else if (!strcmp(key, "seed")) cfg.seed = (uint64_t)parse_int(key, val, 0, 0x7fffffffffffffffL);
    else if (!strcmp(key, "device")) {
      int d = pm_device_parse(val);
      if (d < 0) die("bad value \"%s\" for -device (expected auto, cpu, cuda or emulated)", val);
      cfg.device = (PmDevice)d;
    } else if (!strcmp(key, "bg")) {
      if (!strcasecmp(val, "avg") || !*val) cfg.use_background = 0;
      else if (pm_parse_colour(val, 1, cfg.background) == 0) cfg.use_background = 1;
      else die("bad value \"%s\" for -bg (expected a hex colour such as ffffff, or avg)", val);
    }
  }
  if (!input) die("%s", "missing -i INPUT (see -h)");
  if (nout == 0) die("%s", "missing -o OUTPUT (see -h)");
  for (int k = 0; k < nout; k++) {
    if (pm_path_pattern(outputs[k]) < 0) die("bad output name \"%s\": only one %%d may appear", outputs[k]);
    if (!ends_with(outputs[k], ".png") && !ends_with(outputs[k], ".jpg") && !ends_with(outputs[k], ".jpeg") &&
        !ends_with(outputs[k], ".svg"))
      die("%s: unknown output type (use .png, .jpg or .svg)", outputs[k]);
    char path[4096];
    pm_path_expand(path, sizeof path, outputs[k], 1);
    check_writable(path);
  }

  char err[1024];
  PmImage img;
  if (pm_image_load(input, &img, err, sizeof err) < 0) die("%s", err);
  PmFrame frame = {PM_FORMAT_RGB, img.width, img.height, {img.rgb, NULL, NULL}, {img.width * 3, 0, 0}};
  double t0 = now();
  PmModel *m = pm_model_new(&cfg, &frame, err, sizeof err);
  pm_image_free(&img);
  if (!m) die("%s", err);
  if (verbose) {
    int ww, wh;
    pm_model_working_size(m, &ww, &wh);
    printf("%s: %dx%d working size, %d %s shapes, alpha %d, score %.6f\n", input, ww, wh, count,
           pm_shape_kind_name(cfg.kind), cfg.alpha, pm_model_score(m));
    printf("search on: %s\n", pm_model_device(m));
  }
  int status = 0;
  for (int step = 1; step <= count && status == 0; step++) {
    double t = now();
    uint64_t e0 = pm_model_evaluations(m);
    double score = pm_model_step(m);
    if (verbose) {
      double dt = now() - t;
      printf("%d: t=%.3f, score=%.6f, shapes=%d", step, now() - t0, score, pm_model_shape_count(m));
      if (verbose > 1)
        printf(", evals=%llu, evals/s=%.0f", (unsigned long long)(pm_model_evaluations(m) - e0),
               (double)(pm_model_evaluations(m) - e0) / (dt > 0 ? dt : 1e-9));
      printf("\n");
      fflush(stdout);
    }
    for (int k = 0; k < nout; k++) {
      int pattern = pm_path_pattern(outputs[k]) == 1;
      if (!(step == count || (pattern && step % nth == 0))) continue;
      char path[4096];
      pm_path_expand(path, sizeof path, outputs[k], step);
      if (save(m, path, size, err, sizeof err) < 0) {
        fprintf(stderr, "primitive: %s\n", err);
        status = 1;
        break;
      }
    }
  }
  pm_model_free(m);
  return status;
}
