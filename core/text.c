/* Small text helpers every host needs alike: colours and numbered output paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primitive.h"

int pm_parse_colour(const char *s, int short_ok, uint8_t rgb[3]) {
  if (!s) return -1;
  if (*s == '#') s++;
  size_t n = strlen(s);
  if ((n != 6 && !(short_ok && n == 3)) || strspn(s, "0123456789abcdefABCDEF") != n) return -1;
  unsigned long v = strtoul(s, NULL, 16);
  if (n == 3) {
    rgb[0] = (uint8_t)(((v >> 8) & 15) * 17);
    rgb[1] = (uint8_t)(((v >> 4) & 15) * 17);
    rgb[2] = (uint8_t)((v & 15) * 17);
  } else {
    rgb[0] = (uint8_t)(v >> 16);
    rgb[1] = (uint8_t)(v >> 8);
    rgb[2] = (uint8_t)v;
  }
  return 0;
}

int pm_path_pattern(const char *path) {
  const char *p = strstr(path, "%d");
  if (!p) return strchr(path, '%') ? -1 : 0;
  if (strchr(p + 2, '%') || memchr(path, '%', (size_t)(p - path))) return -1;
  return 1;
}

int pm_path_expand(char *buf, size_t len, const char *path, unsigned long long n) {
  const char *p = strstr(path, "%d");
  if (!p) return snprintf(buf, len, "%s", path);
  return snprintf(buf, len, "%.*s%llu%s", (int)(p - path), path, n, p + 2);
}
