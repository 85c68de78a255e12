#define _DEFAULT_SOURCE /* wait4 */
/* Test helper for images:
 *   imgtool diff A B          mean absolute difference (0..255) of two images of one size; with
 *                             alpha in either, over premultiplied R, G, B and A
 *   imgtool gen PATH W H      a test picture (.png or .jpg)
 *   imgtool gen-alpha PATH W H  the same as a PNG, opaque in a disc, transparent around it
 *   imgtool convert IN OUT
 *   imgtool flatten IN OUT    IN over white, opaque
 *   imgtool info PATH         "W H opaque" or "W H alpha MIN MAX"; a decoder warning on stderr
 *   imgtool jpeg IN OUT MODE  IN as a JPEG: baseline, progressive, gray, cmyk (Adobe, inverted),
 *                             cmyk-plain (no Adobe marker), ycck, or exif1..exif8 (pixels stored
 *                             so that the EXIF orientation shows IN)
 *   imgtool bomb OUT W H KIND a tiny file (KIND png, jpeg or progressive) declaring W x H
 *   imgtool measure CMD ARGS  runs CMD; prints "CPU_SECONDS MAX_RSS_MB EXIT_CODE"
 *   imgtool exec CMD ARGS     becomes CMD with SIGINT and SIGQUIT at their defaults (a shell
 *                             starts background jobs with them ignored)
 *   imgtool rawdiff FILE W H SKIP  mean difference between consecutive raw RGB frames */
#include <stdio.h> /* before jpeglib.h */
#include <jpeglib.h>
#include <png.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imageio.h"
#include "testimages.h"

static int bomb(const char *path, unsigned w, unsigned h, const char *kind) {
  PmImage img;
  gen_picture(&img, 16, 16);
  uint8_t *data = NULL;
  size_t n = 0;
  if (!strcmp(kind, "png")) {
    png_image p;
    memset(&p, 0, sizeof p);
    p.version = PNG_IMAGE_VERSION;
    p.width = 16, p.height = 16, p.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    png_image_write_get_memory_size(p, size, 0, img.rgb, 0, NULL);
    data = malloc(size);
    png_image_write_to_memory(&p, data, &size, 0, img.rgb, 0, NULL);
    n = size;
    put32be(data + 16, w); /* IHDR data starts at 16, its CRC (over type and data) at 29 */
    put32be(data + 20, h);
    put32be(data + 29, crc32_png(data + 12, 17));
  } else {
    JpegOpts o = {!strcmp(kind, "progressive") ? "progressive" : "baseline", 0, 1, NULL, 0};
    write_jpeg(NULL, &img, &o);
    data = o.mem, n = o.memsize;
    for (size_t i = 2; i + 9 < n; i++) /* SOF0 or SOF2: length, precision, height, width */
      if (data[i] == 0xff && (data[i + 1] == 0xc0 || data[i + 1] == 0xc2)) {
        data[i + 5] = (uint8_t)(h >> 8), data[i + 6] = (uint8_t)h;
        data[i + 7] = (uint8_t)(w >> 8), data[i + 8] = (uint8_t)w;
        break;
      }
  }
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(data, 1, n, f) == n;
  if (f && fclose(f) != 0) ok = 0;
  free(data);
  pm_image_free(&img);
  return ok ? 0 : 1;
}

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
    size_t n = (size_t)a.width * a.height;
    int alpha = a.alpha || b.alpha;
    for (size_t i = 0; i < n; i++) {
      int aa = a.alpha ? a.alpha[i] : 255, ab = b.alpha ? b.alpha[i] : 255;
      for (int c = 0; c < 3; c++) s += abs(a.rgb[3 * i + c] * aa / 255 - b.rgb[3 * i + c] * ab / 255);
      s += abs(aa - ab);
    }
    printf("%.4f\n", s / (double)(n * (alpha ? 4 : 3)));
    pm_image_free(&a);
    pm_image_free(&b);
    return 0;
  }
  if (argc == 5 && (!strcmp(argv[1], "gen") || !strcmp(argv[1], "gen-alpha"))) {
    int w = atoi(argv[3]), h = atoi(argv[4]);
    if (w < 1 || h < 1 || w > 8192 || h > 8192) return 2;
    PmImage img;
    gen_picture(&img, w, h);
    if (!strcmp(argv[1], "gen-alpha")) {
      img.alpha = malloc((size_t)w * h);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          double dx = (x + 0.5 - w / 2.0) / (w * 0.35), dy = (y + 0.5 - h / 2.0) / (h * 0.35);
          double d = (1.0 - (dx * dx + dy * dy)) * 8.0; /* a soft edge */
          img.alpha[(size_t)y * w + x] = (uint8_t)(d <= 0 ? 0 : d >= 1 ? 255 : d * 255);
        }
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
  if (argc == 4 && !strcmp(argv[1], "flatten")) {
    PmImage a;
    if (pm_image_load(argv[2], &a, err, sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    for (size_t i = 0; a.alpha && i < (size_t)a.width * a.height; i++)
      for (int c = 0; c < 3; c++) a.rgb[3 * i + c] = (uint8_t)((a.rgb[3 * i + c] * a.alpha[i] + 255 * (255 - a.alpha[i]) + 127) / 255);
    free(a.alpha);
    a.alpha = NULL;
    int r = pm_image_save(argv[3], &a, err, sizeof err);
    if (r < 0) fprintf(stderr, "%s\n", err);
    pm_image_free(&a);
    return r < 0 ? 1 : 0;
  }
  if (argc == 3 && !strcmp(argv[1], "info")) {
    PmImage a;
    if (pm_image_load(argv[2], &a, err, sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    if (a.warning[0]) fprintf(stderr, "warning: %s\n", a.warning);
    int lo = 255, hi = 0;
    for (size_t i = 0; a.alpha && i < (size_t)a.width * a.height; i++) {
      if (a.alpha[i] < lo) lo = a.alpha[i];
      if (a.alpha[i] > hi) hi = a.alpha[i];
    }
    if (a.alpha) printf("%d %d alpha %d %d\n", a.width, a.height, lo, hi);
    else printf("%d %d opaque\n", a.width, a.height);
    pm_image_free(&a);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "jpeg")) {
    PmImage a;
    if (pm_image_load(argv[2], &a, err, sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    JpegOpts o = {argv[4], 0, 0, NULL, 0};
    if (!strncmp(argv[4], "exif", 4)) o.orientation = atoi(argv[4] + 4), o.mode = "baseline";
    int r = write_jpeg(argv[3], &a, &o);
    pm_image_free(&a);
    return r < 0 ? 1 : 0;
  }
  if (argc == 6 && !strcmp(argv[1], "bomb")) return bomb(argv[2], (unsigned)atol(argv[3]), (unsigned)atol(argv[4]), argv[5]);
  if (argc >= 3 && !strcmp(argv[1], "exec")) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    return 127;
  }
  if (argc >= 3 && !strcmp(argv[1], "measure")) {
    pid_t pid = fork();
    if (pid == 0) {
      execvp(argv[2], argv + 2);
      _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) return 2;
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
    printf("%.3f %.1f %d\n", cpu, ru.ru_maxrss / 1024.0,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
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
  fprintf(stderr, "usage: see the comment at the top of tests/imgtool.c\n");
  return 2;
}
