/* SVG output: the working-size shapes inside a group scaled to the output size. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct { char *buf; size_t len, cap; int failed; } Str;

static void put(Str *s, const char *text, size_t n) {
  if (s->failed) return;
  if (s->len + n + 1 > s->cap) {
    size_t cap = (s->cap ? s->cap * 2 : 4096) + n;
    char *b = realloc(s->buf, cap);
    if (!b) {
      s->failed = 1;
      return;
    }
    s->buf = b;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, text, n);
  s->len += n;
  s->buf[s->len] = 0;
}

static void put_text(Str *s, const char *text) { put(s, text, strlen(text)); }

/* An attribute value: the characters XML gives a meaning inside double quotes are escaped. */
static void put_attr(Str *s, const char *v) {
  for (; *v; v++) {
    const char *e = *v == '&' ? "&amp;" : *v == '<' ? "&lt;" : *v == '"' ? "&quot;" : NULL;
    if (e) put_text(s, e);
    else put(s, v, 1);
  }
}

static char *svg_document(const PmModel *m, int out_w, int out_h, uint8_t bg_alpha, const char *mask_href) {
  int ww, wh, n = pm_model_shape_count(m);
  uint8_t bg[3];
  pm_model_working_size(m, &ww, &wh);
  pm_model_background(m, bg);
  const PmShape *shapes = pm_model_shapes(m);
  Str s = {0};
  char line[512];
  int k = snprintf(line, sizeof line,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\"%s version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                   mask_href ? " xmlns:xlink=\"http://www.w3.org/1999/xlink\"" : "", out_w, out_h, out_w, out_h);
  put(&s, line, (size_t)k);
  if (mask_href) {
    /* White pixels whose alpha is the picture's: the mask's luminance times its alpha is then
     * that alpha whether a renderer reads luminance (SVG 1.1) or alpha. */
    k = snprintf(line, sizeof line,
                 "<defs><mask id=\"alpha\" maskUnits=\"userSpaceOnUse\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\">"
                 "<image x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" preserveAspectRatio=\"none\" xlink:href=\"",
                 out_w, out_h, out_w, out_h);
    put(&s, line, (size_t)k);
    put_attr(&s, mask_href);
    put_text(&s, "\"/></mask></defs>\n<g mask=\"url(#alpha)\">\n");
  }
  k = snprintf(line, sizeof line, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#%02x%02x%02x\"", out_w,
               out_h, bg[0], bg[1], bg[2]);
  put(&s, line, (size_t)k);
  if (bg_alpha < 255) {
    k = snprintf(line, sizeof line, " fill-opacity=\"%.4f\"", bg_alpha / 255.0);
    put(&s, line, (size_t)k);
  }
  k = snprintf(line, sizeof line, "/>\n<g transform=\"scale(%.6f %.6f)\">\n", (double)out_w / ww, (double)out_h / wh);
  put(&s, line, (size_t)k);
  for (int i = 0; i < n; i++) {
    char color[8];
    snprintf(color, sizeof color, "#%02x%02x%02x", shapes[i].rgba[0], shapes[i].rgba[1], shapes[i].rgba[2]);
    k = pm_shape_ops(shapes[i].kind)->svg(&shapes[i], line, sizeof line - 1, color, shapes[i].rgba[3] / 255.0f);
    if (k < 0 || k >= (int)sizeof line - 1) continue;
    line[k++] = '\n';
    put(&s, line, (size_t)k);
  }
  put_text(&s, "</g>\n");
  if (mask_href) put_text(&s, "</g>\n");
  put_text(&s, "</svg>\n");
  if (s.failed) {
    free(s.buf);
    return NULL;
  }
  return s.buf;
}

char *pm_model_svg_alpha(const PmModel *m, int out_w, int out_h, uint8_t background_alpha, const char *mask_href) {
  /* SVG wants '.' decimals whatever the host's locale (a GTK or Qt application, gst-launch and
   * anything else that calls setlocale may have a decimal comma): every number below, the
   * per-kind svg functions' included, is formatted under the C locale of this thread only. */
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  if (c == (locale_t)0) return NULL;
  locale_t old = uselocale(c);
  char *svg = svg_document(m, out_w, out_h, background_alpha, mask_href);
  uselocale(old);
  freelocale(c);
  return svg;
}

char *pm_model_svg(const PmModel *m, int out_w, int out_h) { return pm_model_svg_alpha(m, out_w, out_h, 255, NULL); }
