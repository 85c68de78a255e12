/* Still-image benchmark: N shapes on one image, repeated; prints the median wall time,
 * candidate evaluations per second, final score, and when the run first reached a target
 * score (primitive's, by default for the shared test images). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imageio.h"
#include "primitive.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Final scores of primitive (Go) on 2 cores, 100 triangles, size 256, alpha 128. */
static double reference_score(const char *path) {
  if (strstr(path, "monalisa")) return 0.0343;
  if (strstr(path, "owl")) return 0.0690;
  if (strstr(path, "pyramids")) return 0.0187;
  return 0.0;
}

int main(int argc, char **argv) {
  PmConfig cfg;
  pm_config_init(&cfg);
  cfg.threads = 2;
  int n = 100, runs = 3;
  double target = -1;
  int first = 1;
  for (; first < argc && argv[first][0] == '-'; first += 2) {
    if (first + 1 >= argc) break;
    const char *k = argv[first], *v = argv[first + 1];
    if (!strcmp(k, "-n")) n = atoi(v);
    else if (!strcmp(k, "-j")) cfg.threads = atoi(v);
    else if (!strcmp(k, "-m")) cfg.kind = (PmShapeKind)atoi(v);
    else if (!strcmp(k, "-a")) cfg.alpha = atoi(v);
    else if (!strcmp(k, "-r")) cfg.working_size = atoi(v);
    else if (!strcmp(k, "-runs")) runs = atoi(v);
    else if (!strcmp(k, "-climbs")) cfg.climbs = atoi(v);
    else if (!strcmp(k, "-candidates")) cfg.candidates = atoi(v);
    else if (!strcmp(k, "-age")) cfg.max_age = atoi(v);
    else if (!strcmp(k, "-target")) target = atof(v);
    else if (!strcmp(k, "-device") && pm_device_parse(v) >= 0) cfg.device = (PmDevice)pm_device_parse(v);
    else {
      fprintf(stderr, "unknown option %s\n", k);
      return 2;
    }
  }
  if (first >= argc || runs < 1 || runs > 99) {
    fprintf(stderr,
            "usage: bench_still [-n 100] [-j 2] [-m 1] [-a 128] [-r 256] [-runs 3] [-climbs C] [-candidates K]\n"
            "                   [-age A] [-target SCORE] [-device cpu|auto|cuda|emulated] IMAGE...\n");
    return 2;
  }
  printf("%-28s %4s %8s %12s %9s %10s\n", "image", "runs", "wall_s", "evals/s", "score", "t_target_s");
  for (int i = first; i < argc; i++) {
    char err[512];
    PmImage img;
    if (pm_image_load(argv[i], &img, err, sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    PmFrame f = {PM_FORMAT_RGB, img.width, img.height, {img.rgb, NULL, NULL}, {img.width * 3, 0, 0}};
    double goal = target >= 0 ? target : reference_score(argv[i]);
    double wall[99], rate[99], score[99], reach[99];
    for (int r = 0; r < runs; r++) {
      cfg.seed = (uint64_t)r + 1;
      double t0 = now();
      PmModel *m = pm_model_new(&cfg, &f, err, sizeof err);
      if (!m) {
        fprintf(stderr, "%s\n", err);
        return 1;
      }
      reach[r] = -1;
      for (int s = 0; s < n; s++) {
        double sc = pm_model_step(m);
        if (reach[r] < 0 && goal > 0 && sc <= goal) reach[r] = now() - t0;
      }
      wall[r] = now() - t0;
      rate[r] = (double)pm_model_evaluations(m) / wall[r];
      score[r] = pm_model_score(m);
      if (reach[r] < 0) reach[r] = 1e9; /* never: sorts last */
      pm_model_free(m);
    }
    qsort(wall, (size_t)runs, sizeof *wall, cmp);
    qsort(rate, (size_t)runs, sizeof *rate, cmp);
    qsort(score, (size_t)runs, sizeof *score, cmp);
    qsort(reach, (size_t)runs, sizeof *reach, cmp);
    const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
    char reached[32];
    if (reach[runs / 2] >= 1e9) snprintf(reached, sizeof reached, "never");
    else snprintf(reached, sizeof reached, "%.3f", reach[runs / 2]);
    printf("%-28s %4d %8.3f %12.0f %9.5f %10s\n", name, runs, wall[runs / 2], rate[runs / 2], score[runs / 2],
           reached);
    pm_image_free(&img);
  }
  return 0;
}
