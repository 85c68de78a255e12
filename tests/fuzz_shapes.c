/* Fuzz target for shape geometry, mutation, rasterization and rendering. Raw input bytes
 * become shape parameters (NaN, infinities and huge values included), an image size, a format
 * and a mutation seed. Built as a libFuzzer target with -Dfuzzer=true (clang), and otherwise
 * with a small driver that feeds it pseudo-random inputs, so every build runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void check_spans(const PmSpan *sp, int n, int w, int h) {
  for (int i = 0; i < n; i++) {
    if (sp[i].y < 0 || sp[i].y >= h || sp[i].x1 < 0 || sp[i].x1 >= sp[i].x2 || sp[i].x2 > w ||
        (i > 0 && (sp[i].y < sp[i - 1].y || (sp[i].y == sp[i - 1].y && sp[i].x1 < sp[i - 1].x2)))) {
      fprintf(stderr, "bad span %d: y=%d x=[%d,%d) in %dx%d\n", i, sp[i].y, sp[i].x1, sp[i].x2, w, h);
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2 + 8 * sizeof(float) + 4 + 8) return 0;
  PmShape s[3];
  memset(s, 0, sizeof s);
  int w = 1 + data[0] % 64, h = 1 + data[1] % 48;
  data += 2;
  s[0].kind = (PmShapeKind)(1 + data[0] % 8);
  memcpy(s[0].p, data + 1, 7 * sizeof(float));
  data += 1 + 7 * sizeof(float);
  memcpy(s[0].rgba, data, 4);
  data += 4;
  uint64_t seed;
  memcpy(&seed, data, 8);
  PmRng r;
  pm_rng_seed(&r, seed, 0, 0);

  PmSpan *sp = malloc(sizeof *sp * (size_t)h * PM_MAX_INTERVALS);
  PmGeo g;
  pm_shape_geometry(&s[0], &g);
  check_spans(sp, pm_geo_spans(&g, w, h, sp), w, h);
  s[1] = s[0];
  for (int i = 0; i < 5; i++) {
    pm_shape_mutate(&s[1], &r, w, h);
    pm_shape_geometry(&s[1], &g);
    check_spans(sp, pm_geo_spans(&g, w, h, sp), w, h);
  }
  pm_shape_random(&s[2], (PmShapeKind)(seed % 9), &r, w, h);
  s[2].rgba[3] = (uint8_t)(seed >> 8);
  pm_shape_geometry(&s[2], &g);
  check_spans(sp, pm_geo_spans(&g, w, h, sp), w, h);

  char buf[512];
  for (int i = 0; i < 3; i++) pm_shape_ops(s[i].kind)->svg(&s[i], buf, sizeof buf, "#000000", 0.5f);

  PmFormat fmt = (PmFormat)(seed % PM_FORMAT_COUNT);
  int ow = 1 + (int)((seed >> 16) % 40), oh = 1 + (int)((seed >> 24) % 40);
  uint8_t *px = malloc((size_t)ow * oh * 4 + 16);
  PmFrame f = {fmt, ow, oh, {px, px, px}, {ow * 4, ow * 4, ow * 4}};
  uint8_t bg[3] = {1, 2, 3};
  pm_render_shapes(s, 3, bg, w, h, &f, 1);
  free(px);
  free(sp);
  return 0;
}

#ifndef PM_LIBFUZZER
int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 20000;
  PmRng r;
  pm_rng_seed(&r, 12345, 0, 0);
  uint8_t buf[64];
  for (long i = 0; i < iterations; i++) {
    for (size_t k = 0; k < sizeof buf; k++) buf[k] = (uint8_t)pm_rng_next(&r);
    /* half the inputs are plausible coordinates rather than raw bit patterns */
    if (i % 2) {
      float p[7];
      for (int k = 0; k < 7; k++) p[k] = (pm_rng_float(&r) - 0.25f) * 120.0f;
      memcpy(buf + 3, p, sizeof p);
    }
    LLVMFuzzerTestOneInput(buf, sizeof buf);
  }
  printf("%ld inputs: no crash, every span inside the image\n", iterations);
  return 0;
}
#endif
