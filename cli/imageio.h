/* Image reading and writing through libpng and libjpeg-turbo. */
#ifndef PM_IMAGEIO_H
#define PM_IMAGEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The one limit on inputs, checked from the header before any pixel memory is taken: at most
 * 100 megapixels and 32768 pixels a side (the core's frame limit). A file too small to hold the
 * pixels its header declares (a decompression bomb, or a truncated file) is refused too. */
#define PM_IMAGE_MAX_PIXELS 100000000L
#define PM_IMAGE_MAX_SIDE 32768

typedef struct {
  int width, height;
  uint8_t *rgb;        /* width * height * 3, not premultiplied */
  uint8_t *alpha;      /* width * height, or NULL for an opaque image */
  char warning[256];   /* what the decoder found wrong but could decode around (a truncated
                          file), or "" */
} PmImage;

/* PNG or JPEG (any colour space libjpeg reads: grey, RGB, YCbCr, CMYK and YCCK, Adobe's
 * inverted CMYK included), turned upright by a JPEG's EXIF orientation. Returns 0, or -1 with a
 * one-line reason in err. */
int pm_image_load(const char *path, PmImage *img, char *err, size_t errlen);
/* The same from memory, with a pixel limit of the caller's (the fuzzer's is smaller). */
int pm_image_decode(const uint8_t *data, size_t size, long max_pixels, PmImage *img, char *err, size_t errlen);

typedef enum { PM_TYPE_UNKNOWN, PM_TYPE_PNG, PM_TYPE_JPEG, PM_TYPE_SVG, PM_TYPE_GIF } PmImageType;
/* From the extension: .png, .jpg/.jpeg, .svg, .gif (any case). */
PmImageType pm_image_type(const char *path);
/* PNG (with alpha when img->alpha is set) or JPEG (alpha ignored) to an open file. */
int pm_image_write(FILE *f, PmImageType type, const PmImage *img, char *err, size_t errlen);
/* Writes path, by extension, replacing it only when complete (see outfile.h). */
int pm_image_save(const char *path, const PmImage *img, char *err, size_t errlen);
/* "data:image/png;base64,..." of a white image whose alpha is `alpha` (w x h); malloc'ed. */
char *pm_image_alpha_data_uri(const uint8_t *alpha, int w, int h);
void pm_image_free(PmImage *img);

#endif
