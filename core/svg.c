/* SVG output: the working-size shapes inside a group scaled to the output size. */
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

char *pm_model_svg(const PmModel *m, int out_w, int out_h) {
  int ww, wh, n = pm_model_shape_count(m);
  uint8_t bg[3];
  pm_model_working_size(m, &ww, &wh);
  pm_model_background(m, bg);
  const PmShape *shapes = pm_model_shapes(m);
  Str s = {0};
  char line[512];
  int k = snprintf(line, sizeof line,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
                   "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#%02x%02x%02x\"/>\n"
                   "<g transform=\"scale(%.6f %.6f)\">\n",
                   out_w, out_h, out_w, out_h, out_w, out_h, bg[0], bg[1], bg[2], (double)out_w / ww,
                   (double)out_h / wh);
  put(&s, line, (size_t)k);
  for (int i = 0; i < n; i++) {
    char color[8];
    snprintf(color, sizeof color, "#%02x%02x%02x", shapes[i].rgba[0], shapes[i].rgba[1], shapes[i].rgba[2]);
    k = pm_shape_ops(shapes[i].kind)->svg(&shapes[i], line, sizeof line - 1, color, shapes[i].rgba[3] / 255.0f);
    if (k < 0 || k >= (int)sizeof line - 1) continue;
    line[k++] = '\n';
    put(&s, line, (size_t)k);
  }
  put(&s, "</g>\n</svg>\n", 12);
  if (s.failed) {
    free(s.buf);
    return NULL;
  }
  return s.buf;
}
