/* Fuzz target for the image loaders: PNG and JPEG headers and bodies (the size checks before
 * allocation, colour conversions, EXIF orientation, alpha, warnings). Built as a libFuzzer
 * target with -Dfuzzer=true (clang), run with a memory limit by scripts/test.sh; otherwise a
 * small driver mutates seed images made here and runs every build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imageio.h"

/* Small enough for the fuzzer's memory limit; the checks are the same at any limit. */
#define FUZZ_MAX_PIXELS (1L << 22)

static long decoded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  PmImage img;
  char err[256];
  err[0] = 0;
  if (pm_image_decode(data, size, FUZZ_MAX_PIXELS, &img, err, sizeof err) < 0) {
    if (!err[0] || img.rgb || img.alpha) abort(); /* a failure says why and holds nothing */
    return 0;
  }
  if (img.width < 1 || img.height < 1 || (long)img.width * img.height > FUZZ_MAX_PIXELS || !img.rgb) abort();
  size_t n = (size_t)img.width * img.height;
  unsigned sum = 0; /* every pixel written (valgrind and MSan see a read of anything left unset) */
  for (size_t i = 0; i < n * 3; i++) sum += img.rgb[i];
  for (size_t i = 0; img.alpha && i < n; i++) sum += img.alpha[i];
  if (strlen(img.warning) >= sizeof img.warning) abort();
  pm_image_free(&img);
  decoded++;
  return (int)(sum & 0);
}

#ifndef PM_LIBFUZZER
#include "testimages.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

static void add_seed(uint8_t **seeds, size_t *sizes, int *n, uint8_t *data, size_t size) {
  seeds[*n] = data;
  sizes[(*n)++] = size;
}

static uint8_t *png_bytes(const PmImage *img, size_t *size) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, size);
  char err[256];
  if (!f || pm_image_write(f, PM_TYPE_PNG, img, err, sizeof err) < 0) exit(2);
  fclose(f);
  return (uint8_t *)buf;
}

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 3000;
  uint8_t *seeds[16];
  size_t sizes[16];
  int nseeds = 0;
  PmImage img;
  gen_picture(&img, 40, 24);
  static const char *modes[] = {"baseline", "progressive", "gray", "cmyk", "cmyk-plain", "ycck"};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0] + 2; i++) {
    JpegOpts o = {i < 6 ? modes[i] : "baseline", i == 6 ? 6 : i == 7 ? 3 : 0, 1, NULL, 0};
    write_jpeg(NULL, &img, &o);
    add_seed(seeds, sizes, &nseeds, o.mem, o.memsize);
  }
  size_t size;
  uint8_t *p = png_bytes(&img, &size);
  add_seed(seeds, sizes, &nseeds, p, size);
  img.alpha = malloc((size_t)40 * 24);
  for (int i = 0; i < 40 * 24; i++) img.alpha[i] = (uint8_t)(i * 7);
  p = png_bytes(&img, &size);
  add_seed(seeds, sizes, &nseeds, p, size);
  pm_image_free(&img);

  uint8_t *buf = malloc(1 << 16);
  for (long it = 0; it < iterations; it++) {
    int s = (int)(next() % (uint64_t)nseeds);
    size_t n = sizes[s];
    memcpy(buf, seeds[s], n);
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e < edits; e++) {
      uint64_t r = next();
      /* most edits land in the first 200 bytes, where the headers and tables are */
      size_t at = (size_t)((r >> 8) % (r & 1 ? n : (n < 200 ? n : 200)));
      switch ((r >> 4) % 5) {
      case 0: buf[at] ^= (uint8_t)(1u << ((r >> 40) % 8)); break;
      case 1: buf[at] = (uint8_t)(r >> 48); break;
      case 2: buf[at] = (r >> 40) % 2 ? 0xff : 0x00; break;
      case 3: n = at + 1; break; /* truncation */
      default: /* a big 16- or 32-bit value, as a width or height would be */
        if (at + 4 <= n) memset(buf + at, (r >> 40) % 2 ? 0x7f : 0xff, (r >> 41) % 2 ? 2 : 4);
      }
    }
    LLVMFuzzerTestOneInput(buf, n);
  }
  long mutated_decoded = decoded;
  for (int i = 0; i < nseeds; i++) {
    LLVMFuzzerTestOneInput(seeds[i], sizes[i]);
    free(seeds[i]);
  }
  free(buf);
  if (decoded - mutated_decoded != nseeds) {
    fprintf(stderr, "only %ld of the %d seed images decode\n", decoded - mutated_decoded, nseeds);
    return 1;
  }
  printf("%ld mutated PNG and JPEG files: no crash, %ld decoded, the others refused with a reason\n", iterations,
         mutated_decoded);
  return 0;
}
#endif
