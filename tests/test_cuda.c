/* The CUDA evaluation kernel against its CPU reference, and the reference against the CPU
 * search. usage: test_cuda reference | kernel
 *   reference: pm_eval_batch_cpu() gives exactly what the search computes (no GPU needed);
 *   kernel:    the GPU gives what pm_eval_batch_cpu() gives; without a CUDA build or device it
 *              says why and exits 77 (skipped). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_cpu.h"
#include "internal.h"
#ifdef PM_HAVE_CUDA
#include "primitive_cuda.h"
#endif

#define N 4096

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
  uint8_t *img = malloc((size_t)b->w * b->h * 3);
  for (int y = 0; y < b->h; y++)
    for (int x = 0; x < b->w; x++)
      for (int k = 0; k < 3; k++) img[(y * b->w + x) * 3 + k] = (uint8_t)((x * (k + 2) + y * (5 - k) + (x * y) % 37) & 255);
  PmConfig c;
  pm_config_init(&c);
  c.kind = PM_SHAPE_ANY;
  c.threads = 1;
  c.climbs = 4, c.candidates = 20, c.max_age = 20;
  PmFrame f = {PM_FORMAT_RGB, b->w, b->h, {img, NULL, NULL}, {b->w * 3, 0, 0}};
  char err[128];
  b->m = pm_model_new(&c, &f, err, sizeof err);
  for (int i = 0; i < 10; i++) pm_model_step(b->m);
  free(img);
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
  printf("%d passed, %d failed\n", bad == 0, bad != 0);
  pm_model_free(b.m);
  free(b.geos), free(rgb), free(delta);
  return bad ? 1 : 0;
}

static int kernel(void) {
#ifndef PM_HAVE_CUDA
  printf("SKIP: this build has no CUDA backend (nvcc not found at configure time)\n");
  return 77;
#else
  char why[256];
  if (!pm_cuda_available(why, sizeof why)) {
    printf("SKIP: no usable CUDA device: %s\n", why);
    return 77;
  }
  static Batch b;
  make_batch(&b);
  uint8_t *rgb = malloc(3 * N), *grgb = malloc(3 * N);
  double *delta = malloc(sizeof(double) * N), *gdelta = malloc(sizeof(double) * N);
  pm_eval_batch_cpu(b.geos, b.alphas, N, pm_model_sums(b.m), b.w, b.h, rgb, delta);
  char err[256];
  PmCudaEval *e = pm_cuda_eval_new(b.w, b.h, N, err, sizeof err);
  if (!e || pm_cuda_eval_set_sums(e, pm_model_sums(b.m), err, sizeof err) < 0 ||
      pm_cuda_eval_run(e, b.geos, b.alphas, N, grgb, gdelta, err, sizeof err) < 0) {
    printf("CUDA error: %s\n0 passed, 1 failed\n", err);
    return 1;
  }
  /* Tolerance: colours equal; error changes equal to 1e-9 relative (the kernel is built
   * without FMA contraction, so both sides should compute the same doubles). */
  int bad = 0, best_cpu = 0, best_gpu = 0;
  for (int i = 0; i < N; i++) {
    double tol = 1e-9 * fabs(delta[i]) + 1e-9;
    if (fabs(delta[i] - gdelta[i]) > tol || memcmp(rgb + 3 * i, grgb + 3 * i, 3)) {
      if (bad++ < 5) fprintf(stderr, "candidate %d: cpu %.6f %d,%d,%d gpu %.6f %d,%d,%d\n", i, delta[i], rgb[3 * i],
                             rgb[3 * i + 1], rgb[3 * i + 2], gdelta[i], grgb[3 * i], grgb[3 * i + 1], grgb[3 * i + 2]);
    }
    if (delta[i] < delta[best_cpu]) best_cpu = i;
    if (gdelta[i] < gdelta[best_gpu]) best_gpu = i;
  }
  printf("kernel: %d candidates, %d differ beyond tolerance; best candidate cpu %d gpu %d\n", N, bad, best_cpu, best_gpu);
  int ok = bad == 0 && best_cpu == best_gpu;
  printf("%d passed, %d failed\n", ok, !ok);
  pm_cuda_eval_free(e);
  pm_model_free(b.m);
  free(b.geos), free(rgb), free(grgb), free(delta), free(gdelta);
  return ok ? 0 : 1;
#endif
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "kernel")) return kernel();
  return reference();
}
