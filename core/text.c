/* Small text helpers every host needs alike: colours and numbered output paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primitive.h"

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int pm_parse_colour(const char *s, uint8_t rgb[3], uint8_t *alpha) {
  if (!s) return -1;
  if (*s == '#') s++;
  size_t n = strlen(s);
  if (n != 3 && n != 4 && n != 6 && n != 8) return -1;
  int d[8];
  for (size_t i = 0; i < n; i++)
    if ((d[i] = hex_digit(s[i])) < 0) return -1;
  int has_alpha = n == 4 || n == 8;
  if (has_alpha && !alpha) return -1;
  uint8_t v[4];
  for (size_t i = 0; i < (has_alpha ? 4u : 3u); i++)
    v[i] = (uint8_t)(n <= 4 ? d[i] * 17 : d[2 * i] * 16 + d[2 * i + 1]);
  memcpy(rgb, v, 3);
  if (alpha) *alpha = has_alpha ? v[3] : 255;
  return 0;
}

/* One conversion at *p: 2 for "%%", 1 for "%d" or "%0Nd" (width in *width, length in *len),
 * -1 for anything else. */
static int conversion(const char *p, int *width, size_t *len) {
  if (p[1] == '%') {
    *len = 2;
    return 2;
  }
  size_t i = 1;
  int w = 0;
  if (p[i] == '0') {
    i++;
    if (p[i] < '1' || p[i] > '9') return -1;
    while (p[i] >= '0' && p[i] <= '9' && w <= PM_PATH_MAX_WIDTH) w = w * 10 + (p[i++] - '0');
    if (w > PM_PATH_MAX_WIDTH) return -1;
  }
  if (p[i] != 'd') return -1;
  *width = w;
  *len = i + 1;
  return 1;
}

int pm_path_pattern(const char *path) {
  int numbers = 0, width;
  size_t len;
  for (const char *p = strchr(path, '%'); p; p = strchr(p + len, '%')) {
    int c = conversion(p, &width, &len);
    if (c < 0) return -1;
    numbers += c == 1;
  }
  return numbers > 1 ? -2 : numbers;
}

int pm_path_expand(char *buf, size_t len, const char *path, unsigned long long n) {
  size_t out = 0;
  int numbered = 0;
#define EMIT(ch)                          \
  do {                                    \
    if (out + 1 < len) buf[out] = (ch);   \
    out++;                                \
  } while (0)
  for (const char *p = path; *p;) {
    int width;
    size_t clen;
    int c = *p == '%' ? conversion(p, &width, &clen) : 0;
    if (c == 2) {
      EMIT('%');
      p += clen;
    } else if (c == 1 && !numbered) {
      char digits[PM_PATH_MAX_WIDTH + 24];
      int k = snprintf(digits, sizeof digits, "%0*llu", width, n);
      for (int i = 0; i < k; i++) EMIT(digits[i]);
      numbered = 1;
      p += clen;
    } else {
      EMIT(*p);
      p++;
    }
  }
#undef EMIT
  if (len) buf[out < len ? out : len - 1] = 0;
  return (int)out;
}
