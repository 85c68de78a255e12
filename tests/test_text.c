/* Tests of the text helpers every host shares: the colour grammar, numbered output paths (held
 * to printf itself) and SVG numbers under a locale with a decimal comma. Run one with
 * `test_text NAME`: colour, path or locale. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#include "check.h"

static int test_colour(void) {
  static const struct {
    const char *s;
    int ok;
    uint8_t rgba[4];
  } cases[] = {
      {"#f80", 1, {0xff, 0x88, 0x00, 0xff}},      {"f80", 1, {0xff, 0x88, 0x00, 0xff}},
      {"#F80a", 1, {0xff, 0x88, 0x00, 0xaa}},     {"0f8a", 1, {0x00, 0xff, 0x88, 0xaa}},
      {"#ff8800", 1, {0xff, 0x88, 0x00, 0xff}},   {"FF8800", 1, {0xff, 0x88, 0x00, 0xff}},
      {"#12345678", 1, {0x12, 0x34, 0x56, 0x78}}, {"abcdef00", 1, {0xab, 0xcd, 0xef, 0x00}},
      {"", 0, {0}},      {"#", 0, {0}},        {"##fff", 0, {0}},   {"ff", 0, {0}},   {"#ff880", 0, {0}},
      {"#ff88000", 0, {0}}, {"#123456789", 0, {0}}, {"red", 0, {0}}, {"#12345g", 0, {0}},
      {"ff 880", 0, {0}}, {" #fff", 0, {0}},   {"#fff ", 0, {0}},   {"+fff", 0, {0}}, {"0xfff", 0, {0}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t rgb[3] = {1, 2, 3}, a = 7;
    int r = pm_parse_colour(cases[i].s, rgb, &a);
    CHECK((r == 0) == cases[i].ok, "\"%s\": returned %d", cases[i].s, r);
    if (r == 0 && cases[i].ok)
      CHECK(!memcmp(rgb, cases[i].rgba, 3) && a == cases[i].rgba[3], "\"%s\": got %02x%02x%02x%02x", cases[i].s, rgb[0],
            rgb[1], rgb[2], a);
    /* a host without transparency takes the same grammar, less the alpha forms */
    size_t n = strlen(cases[i].s) - (cases[i].s[0] == '#');
    int r2 = pm_parse_colour(cases[i].s, rgb, NULL);
    CHECK((r2 == 0) == (cases[i].ok && (n == 3 || n == 6)), "\"%s\" without alpha: returned %d", cases[i].s, r2);
  }
  CHECK(pm_parse_colour(NULL, (uint8_t[3]){0}, NULL) < 0, "NULL accepted");
  /* every form of many random colours, against sscanf */
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    unsigned v = (unsigned)x, want[4];
    char s[16];
    int form = i % 4, hash = (i / 4) % 2;
    static const char *fmts[4] = {"%03x", "%04x", "%06x", "%08x"};
    unsigned bits = form == 0 ? 12 : form == 1 ? 16 : form == 2 ? 24 : 32;
    v &= bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    snprintf(s, sizeof s, "%s", hash ? "#" : "");
    snprintf(s + hash, sizeof s - 1, fmts[form], v);
    int digits = (int)strlen(s + hash), per = digits <= 4 ? 1 : 2;
    for (int c = 0; c < 4; c++) {
      unsigned d = 0;
      if (c * per < digits) {
        char part[3] = {s[hash + c * per], per == 2 ? s[hash + c * per + 1] : 0, 0};
        sscanf(part, "%x", &d);
        if (per == 1) d *= 17;
      } else d = 255;
      want[c] = d;
    }
    uint8_t rgb[3], a;
    int r = pm_parse_colour(s, rgb, &a);
    CHECK(r == 0 && rgb[0] == want[0] && rgb[1] == want[1] && rgb[2] == want[2] && a == want[3], "\"%s\"", s);
  }
  return 0;
}

static int test_path(void) {
  static const struct {
    const char *path;
    int pattern;
  } cases[] = {
      {"out.png", 0},        {"f%d.png", 1},        {"f%03d.png", 1},    {"f%010d.svg", 1},
      {"50%%.png", 0},       {"%%%d%%.png", 1},     {"a%%d.png", 0},     {"%d", 1},
      {"50%.png", -1},       {"%", -1},             {"a%", -1},          {"%s.png", -1},
      {"%x.png", -1},        {"%5d.png", -1},       {"%-3d.png", -1},    {"%0d.png", -1},
      {"%00d.png", -1},      {"%021d.png", -1},     {"%020d.png", 1},    {"%ld.png", -1},
      {"%n.png", -1},        {"%d%d.png", -2},      {"%d-%05d.png", -2}, {"%%%", -1},
      {"%1$d.png", -1},      {"%*d.png", -1},       {"%.3d.png", -1},    {"%+d.png", -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK(pm_path_pattern(cases[i].path) == cases[i].pattern, "\"%s\": %d, expected %d", cases[i].path,
          pm_path_pattern(cases[i].path), cases[i].pattern);

  /* A valid pattern is itself a printf format with one int (or none): expansion must equal
   * printf's, for random patterns, numbers and buffer sizes (truncation and the returned
   * length included). */
  static const char *pieces[] = {"a", "frame", "/", ".", "-", "%%", "%d", "%03d", "%07d", "%01d", "%020d", "é"};
  uint64_t x = 12345;
  for (int i = 0; i < 20000; i++) {
    char fmt[128] = "";
    int numbers = 0;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int np = 1 + (int)(x % 7);
    for (int k = 0; k < np; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      const char *p = pieces[x % (sizeof pieces / sizeof pieces[0])];
      int is_number = p[0] == '%' && p[1] != '%';
      if (is_number && numbers) continue;
      numbers += is_number;
      strcat(fmt, p);
    }
    CHECK(pm_path_pattern(fmt) == numbers, "\"%s\": pattern %d", fmt, pm_path_pattern(fmt));
    int n = (int)(x >> 33) % (i % 3 ? 1000 : 2000000000);
    char want[256], got[256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
    int wl = snprintf(want, sizeof want, fmt, n);
    size_t len = (size_t)(x >> 40) % (size_t)(wl + 3);
    char wantt[256];
    int wlt = snprintf(wantt, len, fmt, n);
#pragma GCC diagnostic pop
    memset(got, 'x', sizeof got);
    int gl = pm_path_expand(got, len, fmt, (unsigned long long)n);
    CHECK(gl == wlt && wl == wlt, "\"%s\" %d: length %d, printf %d", fmt, n, gl, wlt);
    CHECK(len == 0 ? got[0] == 'x' : strcmp(got, wantt) == 0, "\"%s\" %d in %zu bytes: \"%.*s\", printf \"%s\"", fmt,
          n, len, (int)len, got, len ? wantt : "");
  }
  /* the length alone, as the element sizes its buffer */
  CHECK(pm_path_expand(NULL, 0, "f%05d.svg", 42) == 10, "length of f00042.svg");
  return 0;
}

/* ---- SVG under a locale with a decimal comma ---- */

static int comma_locale(char *tmpdir, size_t len) {
  static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "nl_NL.UTF-8", "de_DE"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (setlocale(LC_ALL, names[i])) return 0;
  /* none installed: compile one into a private folder (needs localedef and Debian's `locales`
   * sources); glibc reads LOCPATH at each setlocale */
  snprintf(tmpdir, len, "/tmp/pm-locale-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", tmpdir);
  int r = system(cmd);
  setenv("LOCPATH", tmpdir, 1);
  (void)r; /* localedef exits 1 on mere warnings; what counts is whether setlocale takes it */
  return setlocale(LC_ALL, "de_DE.UTF-8") ? 0 : -1;
}

static int test_locale(void) {
  /* a model with shapes of every kind, decimals in every attribute */
  int w = 97, h = 61;
  uint8_t *px = malloc((size_t)w * h * 3);
  for (int i = 0; i < w * h * 3; i++) px[i] = (uint8_t)((i * 37) ^ (i / 7));
  PmFrame f = {PM_FORMAT_RGB, w, h, {px, NULL, NULL}, {w * 3, 0, 0}};
  PmConfig cfg;
  pm_config_init(&cfg);
  cfg.threads = 1;
  PmModel *m = pm_model_new(&cfg, &f, NULL, 0);
  for (int k = 1; k < PM_SHAPE_KIND_COUNT; k++) {
    cfg.kind = (PmShapeKind)k;
    cfg.alpha = k % 2 ? 128 : 0;
    pm_model_configure(m, &cfg);
    pm_model_step(m);
    pm_model_step(m);
  }
  char *c_svg = pm_model_svg(m, 333, 210), *c_svga = pm_model_svg_alpha(m, 333, 210, 77, "data:a&b");
  CHECK(c_svg && strstr(c_svg, ".") && strstr(c_svg, "fill-opacity=\"0.") && strstr(c_svga, "fill-opacity=\"0.30"),
        "the C locale's SVG has no decimals to test with");

  char tmpdir[64] = "";
  int skip = 0;
  if (comma_locale(tmpdir, sizeof tmpdir) < 0) {
    printf("SKIP: no locale with a decimal comma is installed and localedef could not make one "
           "(install Debian's `locales` package)\n");
    skip = 1;
  } else {
    char probe[16];
    snprintf(probe, sizeof probe, "%.2f", 0.5);
    if (strcmp(probe, "0,50") != 0) {
      printf("SKIP: the locale \"%s\" formats 0.5 as \"%s\", not with a comma\n", setlocale(LC_ALL, NULL), probe);
      skip = 1;
    } else {
      char *svg = pm_model_svg(m, 333, 210), *svga = pm_model_svg_alpha(m, 333, 210, 77, "data:a&b");
      CHECK(svg && strcmp(svg, c_svg) == 0, "SVG under %s differs from the C locale's:\n%.400s", setlocale(LC_ALL, NULL),
            svg ? svg : "(null)");
      CHECK(svga && strcmp(svga, c_svga) == 0, "SVG with alpha under %s differs", setlocale(LC_ALL, NULL));
      snprintf(probe, sizeof probe, "%.2f", 0.5);
      CHECK(!strcmp(probe, "0,50"), "the caller's locale was not restored: \"%s\"", probe);
      printf("%d shapes of %d kinds: the SVG under %s is the C locale's (%zu bytes)\n", pm_model_shape_count(m),
             PM_SHAPE_KIND_COUNT - 1, setlocale(LC_ALL, NULL), strlen(svg));
      free(svg);
      free(svga);
    }
    setlocale(LC_ALL, "C");
  }
  if (tmpdir[0]) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  }
  free(c_svg);
  free(c_svga);
  pm_model_free(m);
  free(px);
  return skip ? 77 : 0;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*fn)(void);
  } tests[] = {{"colour", test_colour}, {"path", test_path}, {"locale", test_locale}};
  int status = 0, ran = 0;
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
    if (argc > 1 && strcmp(argv[1], tests[i].name)) continue;
    ran++;
    int r = tests[i].fn();
    if (r == 77 && argc > 1) return 77;
    if (r && r != 77) status = 1;
  }
  if (!ran) {
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
  }
  if (failures) fprintf(stderr, "%d checks failed\n", failures);
  return failures || status ? 1 : 0;
}
