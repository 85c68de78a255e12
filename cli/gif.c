#include "gif.h"

#include <errno.h>
#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

struct PmGif {
  GifFileType *gif;
  FILE *f;
  int w, h, frames;
  uint8_t *prev; /* the last frame's RGB, to find what changed */
  uint8_t *planes; /* r, g, b planes and the palette indices of a rectangle */
  int write_errno;
};

static int write_out(GifFileType *gif, const GifByteType *buf, int n) {
  PmGif *g = gif->UserData;
  size_t done = fwrite(buf, 1, (size_t)n, g->f);
  if (done < (size_t)n && !g->write_errno) g->write_errno = errno ? errno : EIO;
  return (int)done;
}

static int fail(PmGif *g, int code, char *err, size_t errlen) {
  if (!code && g->gif) code = g->gif->Error;
  snprintf(err, errlen, "%s", g->write_errno ? strerror(g->write_errno) : code ? GifErrorString(code) : "GIF error");
  return -1;
}

PmGif *pm_gif_new(FILE *f, int w, int h, char *err, size_t errlen) {
  if (w < 1 || h < 1 || w > 65535 || h > 65535) {
    snprintf(err, errlen, "a GIF is at most 65535 pixels a side");
    return NULL;
  }
  PmGif *g = calloc(1, sizeof *g);
  int code = 0;
  if (g) {
    g->f = f;
    g->w = w;
    g->h = h;
    g->prev = malloc((size_t)w * h * 3);
    g->planes = malloc((size_t)w * h * 4);
  }
  if (!g || !g->prev || !g->planes || !(g->gif = EGifOpen(g, write_out, &code))) {
    snprintf(err, errlen, "%s", code ? GifErrorString(code) : "out of memory");
    pm_gif_free(g);
    return NULL;
  }
  static const uint8_t loop[3] = {1, 0, 0}; /* NETSCAPE2.0: repeat forever */
  EGifSetGifVersion(g->gif, true);
  if (EGifPutScreenDesc(g->gif, w, h, 8, 0, NULL) == GIF_ERROR ||
      EGifPutExtensionLeader(g->gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(g->gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
      EGifPutExtensionBlock(g->gif, 3, loop) == GIF_ERROR || EGifPutExtensionTrailer(g->gif) == GIF_ERROR) {
    fail(g, 0, err, errlen);
    pm_gif_free(g);
    return NULL;
  }
  return g;
}

int pm_gif_frame(PmGif *g, const uint8_t *rgb, int delay_cs, char *err, size_t errlen) {
  int w = g->w, x0 = 0, y0 = 0, x1 = w - 1, y1 = g->h - 1;
  if (g->frames > 0) { /* the bounding box of the change; one pixel when nothing changed */
    x0 = w, y0 = g->h, x1 = -1, y1 = -1;
    for (int y = 0; y < g->h; y++)
      for (int x = 0; x < w; x++)
        if (memcmp(rgb + ((size_t)y * w + x) * 3, g->prev + ((size_t)y * w + x) * 3, 3)) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
    if (x1 < 0) x0 = x1 = y0 = y1 = 0;
  }
  int rw = x1 - x0 + 1, rh = y1 - y0 + 1;
  size_t n = (size_t)rw * rh;
  uint8_t *r = g->planes, *gr = r + n, *b = gr + n, *idx = b + n;
  for (int y = 0; y < rh; y++)
    for (int x = 0; x < rw; x++) {
      const uint8_t *p = rgb + ((size_t)(y0 + y) * w + x0 + x) * 3;
      size_t i = (size_t)y * rw + x;
      r[i] = p[0], gr[i] = p[1], b[i] = p[2];
    }
  GifColorType colours[256];
  int ncolours = 256;
  memset(colours, 0, sizeof colours);
  if (GifQuantizeBuffer((unsigned)rw, (unsigned)rh, &ncolours, r, gr, b, idx, colours) == GIF_ERROR) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  ColorMapObject *map = GifMakeMapObject(256, colours);
  GraphicsControlBlock gcb = {DISPOSE_DO_NOT, false, delay_cs, NO_TRANSPARENT_COLOR};
  GifByteType ext[4];
  int ok = map != NULL;
  ok = ok && EGifPutExtension(g->gif, GRAPHICS_EXT_FUNC_CODE, (int)EGifGCBToExtension(&gcb, ext), ext) != GIF_ERROR;
  ok = ok && EGifPutImageDesc(g->gif, x0, y0, rw, rh, false, map) != GIF_ERROR;
  for (int y = 0; ok && y < rh; y++) ok = EGifPutLine(g->gif, idx + (size_t)y * rw, rw) != GIF_ERROR;
  if (!map) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  GifFreeMapObject(map);
  if (!ok) return fail(g, 0, err, errlen);
  memcpy(g->prev, rgb, (size_t)w * g->h * 3);
  g->frames++;
  return 0;
}

int pm_gif_finish(PmGif *g, char *err, size_t errlen) {
  int code = 0;
  int ok = EGifCloseFile(g->gif, &code) != GIF_ERROR;
  g->gif = NULL;
  if (!ok) fail(g, code, err, errlen);
  pm_gif_free(g);
  return ok ? 0 : -1;
}

void pm_gif_free(PmGif *g) {
  if (!g) return;
  if (g->gif) EGifCloseFile(g->gif, NULL);
  free(g->prev);
  free(g->planes);
  free(g);
}
