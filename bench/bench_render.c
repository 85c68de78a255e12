/* The anti-aliased render at the output size alone: the cost that grows with the frame size.
 *
 *   bench_render [-size 3840x2160] [-shapes 100] [-threads 2] [-runs 7]
 *
 * Searches the shapes once on a synthetic RGBA frame (gradients and a xor pattern), then renders
 * them into that frame -runs times and prints the median and the fastest, in milliseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primitive.h"

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int w = 3840, h = 2160, shapes = 100, threads = 2, runs = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-size")) sscanf(argv[i + 1], "%dx%d", &w, &h);
    else if (!strcmp(argv[i], "-shapes")) shapes = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-threads")) threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-runs")) runs = atoi(argv[i + 1]);
    else {
      fprintf(stderr, "unknown option %s (see the comment at the top of bench_render.c)\n", argv[i]);
      return 2;
    }
  }
  if (w < 1 || h < 1 || runs < 1 || runs > 1000) return 2;
  uint8_t *px = malloc((size_t)w * h * 4);
  double *ms = malloc(sizeof *ms * (size_t)runs);
  if (!px || !ms) return 1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *p = px + ((size_t)y * w + x) * 4;
      p[0] = (uint8_t)(x * 255 / w), p[1] = (uint8_t)(y * 255 / h), p[2] = (uint8_t)((x ^ y) & 255), p[3] = 255;
    }
  PmFrame f = {PM_FORMAT_RGBA, w, h, {px, NULL, NULL}, {w * 4, 0, 0}};
  PmConfig cfg;
  pm_config_init(&cfg);
  cfg.threads = threads;
  cfg.seed = 1;
  char err[256];
  PmModel *m = pm_model_new(&cfg, &f, err, sizeof err);
  if (!m) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  for (int i = 0; i < shapes; i++) pm_model_step(m);
  for (int r = 0; r < runs; r++) {
    double t0 = pm_now();
    pm_render(m, &f);
    ms[r] = (pm_now() - t0) * 1e3;
  }
  qsort(ms, (size_t)runs, sizeof *ms, cmp);
  printf("render %dx%d, %d shapes, %d threads: median %.1f ms, fastest %.1f ms (%d runs)\n", w, h, shapes, threads,
         ms[runs / 2], ms[0], runs);
  pm_model_free(m);
  free(px), free(ms);
  return 0;
}
