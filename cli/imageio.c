#include "imageio.h"

#include <errno.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  char msg[JMSG_LENGTH_MAX];
} JpegErr;

static void jpeg_fail(j_common_ptr c) {
  JpegErr *e = (JpegErr *)c->err;
  c->err->format_message(c, e->msg);
  longjmp(e->jump, 1);
}

/* Warnings (a truncated but decodable file) are not errors; keep stderr to one line. */
static void jpeg_quiet(j_common_ptr c) { (void)c; }

static int load_jpeg(FILE *f, PmImage *img, char *err, size_t errlen) {
  struct jpeg_decompress_struct d;
  JpegErr je;
  d.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = jpeg_fail;
  je.mgr.output_message = jpeg_quiet;
  img->rgb = NULL;
  if (setjmp(je.jump)) {
    snprintf(err, errlen, "bad JPEG: %s", je.msg);
    jpeg_destroy_decompress(&d);
    free(img->rgb);
    img->rgb = NULL;
    return -1;
  }
  jpeg_create_decompress(&d);
  jpeg_stdio_src(&d, f);
  jpeg_read_header(&d, TRUE);
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress(&d);
  if (d.output_width > 32768 || d.output_height > 32768) {
    snprintf(err, errlen, "image too large (%ux%u)", d.output_width, d.output_height);
    jpeg_destroy_decompress(&d);
    return -1;
  }
  img->width = (int)d.output_width;
  img->height = (int)d.output_height;
  img->rgb = malloc((size_t)img->width * img->height * 3);
  if (!img->rgb) {
    snprintf(err, errlen, "out of memory");
    jpeg_destroy_decompress(&d);
    return -1;
  }
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = img->rgb + (size_t)d.output_scanline * img->width * 3;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return 0;
}

static int load_png(const char *path, PmImage *img, char *err, size_t errlen) {
  png_image p;
  memset(&p, 0, sizeof p);
  p.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&p, path)) {
    snprintf(err, errlen, "bad PNG: %s", p.message);
    return -1;
  }
  if (p.width > 32768 || p.height > 32768) {
    snprintf(err, errlen, "image too large (%ux%u)", p.width, p.height);
    png_image_free(&p);
    return -1;
  }
  p.format = PNG_FORMAT_RGB; /* transparency is composited over black */
  img->width = (int)p.width;
  img->height = (int)p.height;
  img->rgb = malloc(PNG_IMAGE_SIZE(p));
  if (!img->rgb) {
    snprintf(err, errlen, "out of memory");
    png_image_free(&p);
    return -1;
  }
  if (!png_image_finish_read(&p, NULL, img->rgb, 0, NULL)) {
    snprintf(err, errlen, "bad PNG: %s", p.message);
    free(img->rgb);
    img->rgb = NULL;
    return -1;
  }
  return 0;
}

int pm_image_load(const char *path, PmImage *img, char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  unsigned char magic[8] = {0};
  size_t n = fread(magic, 1, sizeof magic, f);
  int r;
  if (n >= 8 && png_sig_cmp(magic, 0, 8) == 0) {
    fclose(f);
    r = load_png(path, img, err, errlen);
  } else if (n >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
    rewind(f);
    r = load_jpeg(f, img, err, errlen);
    fclose(f);
  } else {
    fclose(f);
    snprintf(err, errlen, "%s: not a PNG or JPEG image", path);
    return -1;
  }
  if (r < 0) {
    size_t l = strlen(err);
    if (l + 3 < errlen) {
      /* say which file */
      char tmp[512];
      snprintf(tmp, sizeof tmp, "%s: %s", path, err);
      snprintf(err, errlen, "%s", tmp);
    }
  }
  return r;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static int save_jpeg(const char *path, const PmImage *img, char *err, size_t errlen) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  struct jpeg_compress_struct c;
  JpegErr je;
  c.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = jpeg_fail;
  if (setjmp(je.jump)) {
    snprintf(err, errlen, "cannot write %s: %s", path, je.msg);
    jpeg_destroy_compress(&c);
    fclose(f);
    return -1;
  }
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = (JDIMENSION)img->width;
  c.image_height = (JDIMENSION)img->height;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = img->rgb + (size_t)c.next_scanline * img->width * 3;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  if (fclose(f) != 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

int pm_image_save(const char *path, const PmImage *img, char *err, size_t errlen) {
  if (ends_with(path, ".jpg") || ends_with(path, ".jpeg")) return save_jpeg(path, img, err, errlen);
  if (!ends_with(path, ".png")) {
    snprintf(err, errlen, "%s: unknown output type (use .png, .jpg or .svg)", path);
    return -1;
  }
  png_image p;
  memset(&p, 0, sizeof p);
  p.version = PNG_IMAGE_VERSION;
  p.width = (png_uint_32)img->width;
  p.height = (png_uint_32)img->height;
  p.format = PNG_FORMAT_RGB;
  FILE *f = fopen(path, "wb");
  if (!f) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  int ok = png_image_write_to_stdio(&p, f, 0, img->rgb, 0, NULL);
  int closed = fclose(f) == 0;
  if (!ok || !closed) {
    snprintf(err, errlen, "cannot write %s: %s", path, ok ? strerror(errno) : p.message);
    return -1;
  }
  return 0;
}

void pm_image_free(PmImage *img) {
  free(img->rgb);
  img->rgb = NULL;
}
