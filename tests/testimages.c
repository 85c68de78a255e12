#include <stdio.h> /* before jpeglib.h */
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

#include "testimages.h"

void gen_picture(PmImage *img, int w, int h) {
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

int write_jpeg(const char *path, const PmImage *in, JpegOpts *o) {
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
  FILE *f = NULL;
  if (!o->to_memory && !(f = fopen(path, "wb"))) {
    free(px);
    return -1;
  }
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr jerr;
  c.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&c);
  if (o->to_memory) jpeg_mem_dest(&c, &o->mem, &o->memsize);
  else jpeg_stdio_dest(&c, f);
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

uint32_t crc32_png(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xffffffffu;
}

void put32be(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

