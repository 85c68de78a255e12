#define _DEFAULT_SOURCE /* wait4 */
/* Test helper for images:
 *   imgtool diff A B          mean absolute difference (0..255) of two images of one size; with
 *                             alpha in either, over premultiplied R, G, B and A
 *   imgtool gen PATH W H      a test picture (.png or .jpg)
 *   imgtool gen-alpha PATH W H  the same as a PNG, opaque in a disc, transparent around it
 *   imgtool convert IN OUT
 *   imgtool info PATH         "W H opaque" or "W H alpha MIN MAX"; a decoder warning on stderr
 *   imgtool jpeg IN OUT MODE  IN as a JPEG: baseline, progressive, gray, cmyk (Adobe, inverted),
 *                             cmyk-plain (no Adobe marker), ycck, or exif1..exif8 (pixels stored
 *                             so that the EXIF orientation shows IN)
 *   imgtool bomb OUT W H KIND a tiny file (KIND png, jpeg or progressive) declaring W x H
 *   imgtool measure CMD ARGS  runs CMD; prints "CPU_SECONDS MAX_RSS_MB EXIT_CODE"
 *   imgtool rawdiff FILE W H SKIP  mean difference between consecutive raw RGB frames */
#include <stdio.h> /* before jpeglib.h */
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imageio.h"

static void gen_picture(PmImage *img, int w, int h) {
  memset(img, 0, sizeof *img);
  img->width = w, img->height = h, img->rgb = malloc((size_t)w * h * 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *p = img->rgb + ((size_t)y * w + x) * 3;
      int dx = x - w / 2, dy = y - h / 3;
      int in_disc = dx * dx + dy * dy < (w * w) / 25;
      p[0] = (uint8_t)(in_disc ? 230 : 40 + 150 * x / w);
      p[1] = (uint8_t)(in_disc ? 190 : 60 + 120 * y / h);
      p[2] = (uint8_t)(y > 2 * h / 3 ? 50 : 160);
    }
}

/* Where stored pixel (sx, sy) is shown under an EXIF orientation, from the standard's words:
 * which side of the shown picture the stored row 0 and column 0 are on. */
static void exif_shown_at(int o, int sx, int sy, int W, int H, int *x, int *y) {
  static const char row0[9] = "?TTBBLRRL", col0[9] = "?LRRLTTBB";
  if (row0[o] == 'T' || row0[o] == 'B') {
    *y = row0[o] == 'T' ? sy : H - 1 - sy;
    *x = col0[o] == 'L' ? sx : W - 1 - sx;
  } else {
    *x = row0[o] == 'L' ? sy : W - 1 - sy;
    *y = col0[o] == 'T' ? sx : H - 1 - sx;
  }
}

typedef struct {
  const char *mode;
  int orientation;
  int to_memory;        /* into mem (malloc'ed by libjpeg) instead of a file */
  unsigned char *mem;
  unsigned long memsize;
} JpegOpts;

static int write_jpeg(const char *path, const PmImage *in, JpegOpts *o) {
  int ori = o->orientation, swap = ori >= 5;
  int W = in->width, H = in->height, w = swap ? H : W, h = swap ? W : H;
  int cmyk = !strcmp(o->mode, "cmyk") || !strcmp(o->mode, "cmyk-plain") || !strcmp(o->mode, "ycck");
  int gray = !strcmp(o->mode, "gray"), comps = cmyk ? 4 : gray ? 1 : 3;
  uint8_t *px = malloc((size_t)w * h * comps);
  for (int sy = 0; sy < h; sy++)
    for (int sx = 0; sx < w; sx++) {
      int x = sx, y = sy;
      if (ori > 1) exif_shown_at(ori, sx, sy, W, H, &x, &y);
      const uint8_t *s = in->rgb + ((size_t)y * W + x) * 3;
      uint8_t *d = px + ((size_t)sy * w + sx) * comps;
      if (gray) d[0] = (uint8_t)((s[0] * 77 + s[1] * 150 + s[2] * 29) >> 8);
      else if (cmyk) { /* Adobe's convention: stored values are 255 minus the ink */
        int k = s[0] > s[1] ? (s[0] > s[2] ? s[0] : s[2]) : (s[1] > s[2] ? s[1] : s[2]);
        for (int c = 0; c < 3; c++) d[c] = (uint8_t)(k ? (s[c] * 255 + k / 2) / k : 255);
        d[3] = (uint8_t)k;
        if (!strcmp(o->mode, "cmyk-plain"))
          for (int c = 0; c < 4; c++) d[c] = (uint8_t)(255 - d[c]);
      } else memcpy(d, s, 3);
    }
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr jerr;
  c.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&c);
  FILE *f = NULL;
  if (o->to_memory) jpeg_mem_dest(&c, &o->mem, &o->memsize);
  else {
    if (!(f = fopen(path, "wb"))) return -1;
    jpeg_stdio_dest(&c, f);
  }
  c.image_width = (JDIMENSION)w;
  c.image_height = (JDIMENSION)h;
  c.input_components = comps;
  c.in_color_space = cmyk ? JCS_CMYK : gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  if (!strcmp(o->mode, "ycck")) jpeg_set_colorspace(&c, JCS_YCCK);
  if (!strcmp(o->mode, "cmyk-plain")) c.write_Adobe_marker = FALSE;
  if (!strcmp(o->mode, "progressive")) jpeg_simple_progression(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  if (ori >= 1) {
    int le = ori % 2; /* both byte orders */
    uint8_t exif[6 + 8 + 2 + 12 + 4] = "Exif\0\0";
    uint8_t *t = exif + 6;
    t[0] = t[1] = le ? 'I' : 'M';
#define PUT16(p, v) ((p)[le ? 0 : 1] = (uint8_t)(v), (p)[le ? 1 : 0] = (uint8_t)((v) >> 8))
    PUT16(t + 2, 42);
    PUT16(t + 4 + (le ? 0 : 2), 8);
    PUT16(t + 8, 1);
    PUT16(t + 10, 0x0112);
    PUT16(t + 12, 3);
    PUT16(t + 14 + (le ? 0 : 2), 1);
    PUT16(t + 18, ori);
#undef PUT16
    jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
  }
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = px + (size_t)c.next_scanline * w * comps;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  free(px);
  return f && fclose(f) != 0 ? -1 : 0;
}

static uint32_t crc32_png(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xffffffffu;
}

static void put32be(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

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
