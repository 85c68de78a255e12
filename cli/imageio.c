#include "imageio.h"

#include <errno.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "outfile.h"

/* Files larger than this are refused before reading: no image under the pixel limit needs it. */
#define MAX_FILE_BYTES (1L << 30)

static int check_size(unsigned long w, unsigned long h, long max_pixels, char *err, size_t errlen) {
  if (w == 0 || h == 0 || w > PM_IMAGE_MAX_SIDE || h > PM_IMAGE_MAX_SIDE || w * h > (unsigned long)max_pixels) {
    snprintf(err, errlen, "image too large: %lux%lu (the limit is %ld megapixels and %d pixels a side)", w, h,
             max_pixels / 1000000, PM_IMAGE_MAX_SIDE);
    return -1;
  }
  return 0;
}

/* ---- JPEG ---- */

typedef struct {
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  char msg[JMSG_LENGTH_MAX];
  char first_warning[JMSG_LENGTH_MAX];
} JpegErr;

static void jpeg_fail(j_common_ptr c) {
  JpegErr *e = (JpegErr *)c->err;
  c->err->format_message(c, e->msg);
  longjmp(e->jump, 1);
}

/* libjpeg's default emit_message passes only the first warning here; it is kept for one line on
 * stderr after decoding (num_warnings counts them all). */
static void jpeg_keep_warning(j_common_ptr c) {
  JpegErr *e = (JpegErr *)c->err;
  if (!e->first_warning[0]) c->err->format_message(c, e->first_warning);
}

/* The EXIF orientation (1..8) in an APP1 segment, or 1. Only the first IFD's 0x0112 entry is
 * read; every offset is checked against the segment. */
static int exif_orientation(const uint8_t *p, size_t n) {
  if (n < 6 + 8 || memcmp(p, "Exif\0\0", 6) != 0) return 1;
  p += 6;
  n -= 6;
  int le = p[0] == 'I' && p[1] == 'I';
  if (!le && !(p[0] == 'M' && p[1] == 'M')) return 1;
#define U16(o) (le ? (unsigned)p[o] | (unsigned)p[(o) + 1] << 8 : (unsigned)p[o] << 8 | (unsigned)p[(o) + 1])
#define U32(o) (le ? U16(o) | (unsigned long)U16((o) + 2) << 16 : (unsigned long)U16(o) << 16 | U16((o) + 2))
  if (U16(2) != 42) return 1;
  unsigned long ifd = U32(4);
  if (ifd > n - 2) return 1;
  unsigned count = U16(ifd);
  for (unsigned i = 0; i < count; i++) {
    unsigned long e = ifd + 2 + 12ul * i;
    if (e + 12 > n) break;
    if (U16(e) == 0x0112) {
      unsigned v = U16(e + 8);
      return U16(e + 2) == 3 && U32(e + 4) == 1 && v >= 1 && v <= 8 ? (int)v : 1;
    }
  }
#undef U16
#undef U32
  return 1;
}

/* Turns a stored image upright: `o` is the EXIF orientation of the stored pixels. */
static int orient(PmImage *img, int o) {
  if (o <= 1 || o > 8) return 0;
  int w = img->width, h = img->height, swap = o >= 5;
  int W = swap ? h : w, H = swap ? w : h;
  uint8_t *out = malloc((size_t)w * h * 3);
  if (!out) return -1;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int sx, sy; /* the stored pixel shown at (x, y) */
      switch (o) {
      case 2: sx = w - 1 - x, sy = y; break;
      case 3: sx = w - 1 - x, sy = h - 1 - y; break;
      case 4: sx = x, sy = h - 1 - y; break;
      case 5: sx = y, sy = x; break;
      case 6: sx = y, sy = h - 1 - x; break;
      case 7: sx = w - 1 - y, sy = h - 1 - x; break;
      default: sx = w - 1 - y, sy = x; break; /* 8 */
      }
      memcpy(out + ((size_t)y * W + x) * 3, img->rgb + ((size_t)sy * w + sx) * 3, 3);
    }
  free(img->rgb);
  img->rgb = out;
  img->width = W;
  img->height = H;
  return 0;
}

static int decode_jpeg(const uint8_t *data, size_t size, long max_pixels, PmImage *img, char *err, size_t errlen) {
  struct jpeg_decompress_struct d;
  JpegErr je;
  uint8_t *volatile row4 = NULL;
  memset(&je, 0, sizeof je);
  d.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = jpeg_fail;
  je.mgr.output_message = jpeg_keep_warning;
  if (setjmp(je.jump)) {
    if (je.mgr.msg_code == JERR_NO_BACKING_STORE)
      snprintf(err, errlen, "bad JPEG: it needs more memory to decode than its size allows");
    else
      snprintf(err, errlen, "bad JPEG: %s", je.msg);
    jpeg_destroy_decompress(&d);
    free(row4);
    pm_image_free(img);
    return -1;
  }
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, data, (unsigned long)size);
  jpeg_save_markers(&d, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&d, TRUE);
  /* Everything below is decided from the header, before libjpeg allocates for the image. */
  if (check_size(d.image_width, d.image_height, max_pixels, err, errlen) < 0) {
    jpeg_destroy_decompress(&d);
    return -1;
  }
  /* Huffman coding spends at least one bit on each 8x8 block of the largest component, so a
   * file with fewer than blocks/8 bytes cannot hold the image; half that is refused outright
   * rather than decoded as grey from the little it has. */
  unsigned long blocks = ((d.image_width + 7ul) / 8) * ((d.image_height + 7ul) / 8);
  if (size < blocks / 16) {
    snprintf(err, errlen, "truncated or corrupt JPEG: %zu bytes cannot hold %ux%u pixels", size, d.image_width,
             d.image_height);
    jpeg_destroy_decompress(&d);
    return -1;
  }
  int cmyk = d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK;
  if (!cmyk && d.jpeg_color_space != JCS_GRAYSCALE && d.jpeg_color_space != JCS_RGB &&
      d.jpeg_color_space != JCS_YCbCr) {
    snprintf(err, errlen, "unsupported JPEG colour space (%d components)", d.num_components);
    jpeg_destroy_decompress(&d);
    return -1;
  }
  d.out_color_space = cmyk ? JCS_CMYK : JCS_RGB; /* libjpeg turns YCCK into CMYK */
  /* Multi-scan files (progressive ones) keep every coefficient: two bytes per sample, four
   * components at most, with room for MCU padding and libjpeg's own tables. */
  d.mem->max_memory_to_use = (long)(((d.image_width + 32l) * (d.image_height + 32l) * 4 * 2) + (16l << 20));
  jpeg_start_decompress(&d);
  int w = (int)d.output_width, h = (int)d.output_height;
  img->width = w;
  img->height = h;
  img->rgb = malloc((size_t)w * h * 3);
  if (cmyk) row4 = malloc((size_t)w * 4);
  if (!img->rgb || (cmyk && !row4)) {
    snprintf(err, errlen, "out of memory for a %dx%d image", w, h);
    jpeg_destroy_decompress(&d);
    free(row4);
    pm_image_free(img);
    return -1;
  }
  /* Photoshop and most CMYK writers store inverted values (255 = no ink) and say so with an
   * Adobe marker; without one the values are ink amounts. */
  int inverted = d.saw_Adobe_marker;
  while (d.output_scanline < d.output_height) {
    uint8_t *dst = img->rgb + (size_t)d.output_scanline * w * 3;
    JSAMPROW row = cmyk ? row4 : dst;
    if (jpeg_read_scanlines(&d, &row, 1) != 1) break;
    if (cmyk)
      for (int x = 0; x < w; x++) {
        const uint8_t *s = row4 + 4 * x;
        unsigned k = inverted ? s[3] : 255u - s[3];
        for (int c = 0; c < 3; c++) dst[3 * x + c] = (uint8_t)(((inverted ? s[c] : 255u - s[c]) * k + 127) / 255);
      }
  }
  int orientation = 1;
  for (jpeg_saved_marker_ptr mk = d.marker_list; mk; mk = mk->next)
    if (mk->marker == JPEG_APP0 + 1 && (orientation = exif_orientation(mk->data, mk->data_length)) != 1) break;
  jpeg_finish_decompress(&d);
  if (je.mgr.num_warnings)
    snprintf(img->warning, sizeof img->warning, "%s (%ld warning%s: the picture may be damaged or incomplete)",
             je.first_warning, je.mgr.num_warnings, je.mgr.num_warnings == 1 ? "" : "s");
  jpeg_destroy_decompress(&d);
  free(row4);
  if (orient(img, orientation) < 0) {
    snprintf(err, errlen, "out of memory for a %dx%d image", w, h);
    pm_image_free(img);
    return -1;
  }
  return 0;
}

/* ---- PNG ---- */

/* libpng stops reading after the image data, so a file cut after it decodes without a word. */
static int has_iend(const uint8_t *d, size_t n) {
  static const uint8_t iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
  for (size_t i = n - 12 + 1; i-- > 33;) /* backwards: at most some trailing bytes to pass */
    if (d[i] == 0 && memcmp(d + i, iend, 12) == 0) return 1;
  return 0;
}

static int decode_png(const uint8_t *data, size_t size, long max_pixels, PmImage *img, char *err, size_t errlen) {
  png_image p;
  memset(&p, 0, sizeof p);
  p.version = PNG_IMAGE_VERSION;
  if (size < 33) { /* signature and IHDR */
    snprintf(err, errlen, "bad PNG: truncated header");
    return -1;
  }
  if (!png_image_begin_read_from_memory(&p, data, size)) {
    snprintf(err, errlen, "bad PNG: %s", p.message);
    return -1;
  }
  if (check_size(p.width, p.height, max_pixels, err, errlen) < 0) {
    png_image_free(&p);
    return -1;
  }
  /* Deflate expands at most 1032 times, so the raw rows (IHDR, the first chunk, gives their
   * size) cannot come from a smaller file. */
  static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
  int depth = data[24], type = data[25] < 7 ? data[25] : 0;
  unsigned long long raw =
      (unsigned long long)p.height * (1 + ((unsigned long long)p.width * channels[type] * depth + 7) / 8);
  if ((unsigned long long)size * 1032 < raw) {
    snprintf(err, errlen, "truncated or corrupt PNG: %zu bytes cannot hold %ux%u pixels", size, p.width, p.height);
    png_image_free(&p);
    return -1;
  }
  int has_alpha = (p.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  p.format = has_alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  size_t n = (size_t)p.width * p.height;
  img->width = (int)p.width;
  img->height = (int)p.height;
  img->rgb = malloc(PNG_IMAGE_SIZE(p));
  if (!img->rgb) {
    snprintf(err, errlen, "out of memory for a %ux%u image", p.width, p.height);
    png_image_free(&p);
    return -1;
  }
  if (!png_image_finish_read(&p, NULL, img->rgb, 0, NULL)) {
    snprintf(err, errlen, "bad PNG: %s", p.message);
    pm_image_free(img);
    return -1;
  }
  if (p.warning_or_error & PNG_IMAGE_WARNING)
    snprintf(img->warning, sizeof img->warning, "%s (the picture may be damaged)", p.message);
  else if (!has_iend(data, size))
    snprintf(img->warning, sizeof img->warning, "truncated PNG: no IEND chunk (the picture may be incomplete)");
  if (has_alpha) {
    uint8_t *alpha = malloc(n);
    if (!alpha) {
      snprintf(err, errlen, "out of memory for a %ux%u image", p.width, p.height);
      pm_image_free(img);
      return -1;
    }
    int opaque = 1;
    for (size_t i = 0; i < n; i++) { /* RGBA to RGB in place, alpha apart */
      alpha[i] = img->rgb[4 * i + 3];
      opaque &= alpha[i] == 255;
      memmove(img->rgb + 3 * i, img->rgb + 4 * i, 3);
    }
    uint8_t *rgb = realloc(img->rgb, n * 3);
    if (rgb) img->rgb = rgb;
    if (opaque) free(alpha);
    else img->alpha = alpha;
  }
  return 0;
}

static int is_png(const uint8_t *d, size_t n) { return n >= 8 && png_sig_cmp((png_const_bytep)d, 0, 8) == 0; }
static int is_jpeg(const uint8_t *d, size_t n) { return n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff; }

/* The whole file: regular files by their size, pipes until end of file, within MAX_FILE_BYTES.
 * The first bytes are checked first, so a large file of another kind is not read. */
static uint8_t *read_file(FILE *f, size_t *size, char *err, size_t errlen) {
  uint8_t head[8];
  size_t n = fread(head, 1, sizeof head, f);
  if (!is_png(head, n) && !is_jpeg(head, n)) {
    snprintf(err, errlen, ferror(f) ? "cannot read: %s" : "not a PNG or JPEG image", strerror(errno));
    return NULL;
  }
  struct stat st;
  size_t cap = 1 << 16;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
    if (st.st_size >= MAX_FILE_BYTES) {
      snprintf(err, errlen, "too large: over %ld MiB", MAX_FILE_BYTES >> 20);
      return NULL;
    }
    cap = (size_t)st.st_size + 1; /* one more, to see the end */
  }
  if (cap < sizeof head + 1) cap = sizeof head + 1;
  uint8_t *buf = malloc(cap);
  if (buf) memcpy(buf, head, n);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    if (cap >= MAX_FILE_BYTES) {
      snprintf(err, errlen, "too large: over %ld MiB", MAX_FILE_BYTES >> 20);
      free(buf);
      return NULL;
    }
    cap *= 2;
    uint8_t *b = realloc(buf, cap);
    if (!b) free(buf);
    buf = b;
  }
  if (!buf) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (ferror(f)) {
    snprintf(err, errlen, "cannot read: %s", strerror(errno));
    free(buf);
    return NULL;
  }
  *size = n;
  return buf;
}

int pm_image_decode(const uint8_t *data, size_t size, long max_pixels, PmImage *img, char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  if (is_png(data, size)) return decode_png(data, size, max_pixels, img, err, errlen);
  if (is_jpeg(data, size)) return decode_jpeg(data, size, max_pixels, img, err, errlen);
  snprintf(err, errlen, "not a PNG or JPEG image");
  return -1;
}

int pm_image_load(const char *path, PmImage *img, char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  char why[512];
  size_t size = 0;
  uint8_t *data = read_file(f, &size, why, sizeof why);
  fclose(f);
  int r = data ? pm_image_decode(data, size, PM_IMAGE_MAX_PIXELS, img, why, sizeof why) : -1;
  free(data);
  if (r < 0) snprintf(err, errlen, "%s: %s", path, why);
  return r;
}

/* ---- writing ---- */

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

PmImageType pm_image_type(const char *path) {
  if (ends_with(path, ".png")) return PM_TYPE_PNG;
  if (ends_with(path, ".jpg") || ends_with(path, ".jpeg")) return PM_TYPE_JPEG;
  if (ends_with(path, ".svg")) return PM_TYPE_SVG;
  if (ends_with(path, ".gif")) return PM_TYPE_GIF;
  return PM_TYPE_UNKNOWN;
}

static int write_jpeg(FILE *f, const PmImage *img, char *err, size_t errlen) {
  struct jpeg_compress_struct c;
  JpegErr je;
  memset(&je, 0, sizeof je);
  c.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = jpeg_fail;
  if (setjmp(je.jump)) {
    snprintf(err, errlen, "%s", je.mgr.msg_code == JERR_FILE_WRITE ? strerror(errno) : je.msg);
    jpeg_destroy_compress(&c);
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
  return 0;
}

static int write_png(FILE *f, const PmImage *img, char *err, size_t errlen) {
  png_image p;
  memset(&p, 0, sizeof p);
  p.version = PNG_IMAGE_VERSION;
  p.width = (png_uint_32)img->width;
  p.height = (png_uint_32)img->height;
  p.format = img->alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  uint8_t *px = img->rgb;
  size_t n = (size_t)img->width * img->height;
  if (img->alpha) {
    if (!(px = malloc(n * 4))) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    for (size_t i = 0; i < n; i++) {
      memcpy(px + 4 * i, img->rgb + 3 * i, 3);
      px[4 * i + 3] = img->alpha[i];
    }
  }
  errno = 0;
  int ok = png_image_write_to_stdio(&p, f, 0, px, 0, NULL);
  if (!ok) snprintf(err, errlen, "%s", errno ? strerror(errno) : p.message);
  if (px != img->rgb) free(px);
  return ok ? 0 : -1;
}

int pm_image_write(FILE *f, PmImageType type, const PmImage *img, char *err, size_t errlen) {
  if (type == PM_TYPE_JPEG) return write_jpeg(f, img, err, errlen);
  if (type == PM_TYPE_PNG) return write_png(f, img, err, errlen);
  snprintf(err, errlen, "not a PNG or JPEG output");
  return -1;
}

int pm_image_save(const char *path, const PmImage *img, char *err, size_t errlen) {
  PmImageType type = pm_image_type(path);
  if (type != PM_TYPE_PNG && type != PM_TYPE_JPEG) {
    snprintf(err, errlen, "%s: unknown output type (use .png or .jpg)", path);
    return -1;
  }
  PmOutFile o;
  if (pm_outfile_open(&o, path, err, errlen) < 0) return -1;
  char why[512];
  if (pm_image_write(o.f, type, img, why, sizeof why) < 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, why);
    pm_outfile_abort(&o);
    return -1;
  }
  return pm_outfile_commit(&o, err, errlen);
}

char *pm_image_alpha_data_uri(const uint8_t *alpha, int w, int h) {
  size_t n = (size_t)w * h;
  uint8_t *ga = malloc(n * 2);
  if (!ga) return NULL;
  for (size_t i = 0; i < n; i++) {
    ga[2 * i] = 255;
    ga[2 * i + 1] = alpha[i];
  }
  png_image p;
  memset(&p, 0, sizeof p);
  p.version = PNG_IMAGE_VERSION;
  p.width = (png_uint_32)w;
  p.height = (png_uint_32)h;
  p.format = PNG_FORMAT_GA;
  png_alloc_size_t size = 0;
  uint8_t *png = NULL;
  char *uri = NULL;
  if (png_image_write_get_memory_size(p, size, 0, ga, 0, NULL) && (png = malloc(size)) &&
      png_image_write_to_memory(&p, png, &size, 0, ga, 0, NULL)) {
    static const char prefix[] = "data:image/png;base64,", b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uri = malloc(sizeof prefix + (size + 2) / 3 * 4);
    if (uri) {
      char *o = uri + sizeof prefix - 1;
      memcpy(uri, prefix, sizeof prefix - 1);
      for (size_t i = 0; i < size; i += 3) {
        unsigned v = (unsigned)png[i] << 16 | (i + 1 < size ? (unsigned)png[i + 1] << 8 : 0) | (i + 2 < size ? png[i + 2] : 0);
        *o++ = b64[v >> 18];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < size ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < size ? b64[v & 63] : '=';
      }
      *o = 0;
    }
  }
  free(png);
  free(ga);
  return uri;
}

void pm_image_free(PmImage *img) {
  free(img->rgb);
  free(img->alpha);
  img->rgb = NULL;
  img->alpha = NULL;
}
