/* Test images made with libpng and libjpeg directly, for imgtool and the image fuzzer's seeds. */
#ifndef PM_TESTIMAGES_H
#define PM_TESTIMAGES_H

#include <stdint.h>

#include "imageio.h"

/* A picture with a disc, gradients and a band: asymmetric, so a turned or mirrored copy differs. */
void gen_picture(PmImage *img, int w, int h);

typedef struct {
  const char *mode;     /* baseline, progressive, gray, cmyk (Adobe, inverted), cmyk-plain, ycck */
  int orientation;      /* 1..8: an EXIF orientation, the pixels stored so that it shows the input */
  int to_memory;        /* into mem (malloc'ed by libjpeg) instead of a file */
  unsigned char *mem;
  unsigned long memsize;
} JpegOpts;
int write_jpeg(const char *path, const PmImage *in, JpegOpts *o);

uint32_t crc32_png(const uint8_t *p, size_t n);
void put32be(uint8_t *p, uint32_t v);

#endif
