/* Test helper: `imgtool diff A B` prints the mean absolute difference of two images of the same
 * size (0..255); `imgtool gen PATH W H` writes a test picture; `imgtool convert IN OUT`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imageio.h"

int main(int argc, char **argv) {
  char err[512];
  if (argc == 4 && !strcmp(argv[1], "diff")) {
    PmImage a, b;
    if (pm_image_load(argv[2], &a, err, sizeof err) < 0 || pm_image_load(argv[3], &b, err, sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      return 2;
    }
    if (a.width != b.width || a.height != b.height) {
      fprintf(stderr, "sizes differ: %dx%d and %dx%d\n", a.width, a.height, b.width, b.height);
      return 2;
    }
    double s = 0;
    size_t n = (size_t)a.width * a.height * 3;
    for (size_t i = 0; i < n; i++) s += abs(a.rgb[i] - b.rgb[i]);
    printf("%.4f\n", s / (double)n);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "gen")) {
    int w = atoi(argv[3]), h = atoi(argv[4]);
    if (w < 1 || h < 1 || w > 8192 || h > 8192) return 2;
    PmImage img = {w, h, malloc((size_t)w * h * 3)};
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        uint8_t *p = img.rgb + ((size_t)y * w + x) * 3;
        int dx = x - w / 2, dy = y - h / 3;
        int in_disc = dx * dx + dy * dy < (w * w) / 25;
        p[0] = (uint8_t)(in_disc ? 230 : 40 + 150 * x / w);
        p[1] = (uint8_t)(in_disc ? 190 : 60 + 120 * y / h);
        p[2] = (uint8_t)(y > 2 * h / 3 ? 50 : 160);
      }
    int r = pm_image_save(argv[2], &img, err, sizeof err);
    if (r < 0) fprintf(stderr, "%s\n", err);
    pm_image_free(&img);
    return r < 0 ? 1 : 0;
  }
  if (argc == 4 && !strcmp(argv[1], "convert")) {
    PmImage a;
    if (pm_image_load(argv[2], &a, err, sizeof err) < 0 || pm_image_save(argv[3], &a, err, sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    pm_image_free(&a);
    return 0;
  }
  if (argc == 6 && !strcmp(argv[1], "rawdiff")) {
    /* mean absolute difference between consecutive frames of raw RGB video, from frame SKIP on */
    int w = atoi(argv[3]), h = atoi(argv[4]), skip = atoi(argv[5]);
    FILE *f = fopen(argv[2], "rb");
    if (!f || w < 1 || h < 1) return 2;
    size_t n = (size_t)w * h * 3;
    uint8_t *a = malloc(n), *b = malloc(n);
    double sum = 0;
    int frames = 0, pairs = 0;
    while (fread(b, 1, n, f) == n) {
      if (frames > skip) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += abs(a[i] - b[i]);
        sum += s / (double)n;
        pairs++;
      }
      memcpy(a, b, n);
      frames++;
    }
    fclose(f);
    free(a), free(b);
    printf("%.4f\n", pairs ? sum / pairs : -1.0);
    return pairs ? 0 : 1;
  }
  fprintf(stderr, "usage: imgtool diff A B | gen PATH W H | convert IN OUT | rawdiff FILE W H SKIP\n");
  return 2;
}
