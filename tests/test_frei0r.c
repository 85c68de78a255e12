/* Drives the frei0r plugin the way a host does: dlopen, info, parameters, construct, update,
 * destruct. usage: test_frei0r PATH/primitive.so */
#include <dlfcn.h>
#include <frei0r.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static struct {
  int (*init)(void);
  void (*deinit)(void);
  void (*plugin_info)(f0r_plugin_info_t *);
  void (*param_info)(f0r_param_info_t *, int);
  f0r_instance_t (*construct)(unsigned, unsigned);
  void (*destruct)(f0r_instance_t);
  void (*set)(f0r_instance_t, f0r_param_t, int);
  void (*get)(f0r_instance_t, f0r_param_t, int);
  void (*update)(f0r_instance_t, double, const uint32_t *, uint32_t *);
} f;

static int param_index(const char *name) {
  f0r_plugin_info_t info;
  f.plugin_info(&info);
  for (int i = 0; i < info.num_params; i++) {
    f0r_param_info_t p;
    f.param_info(&p, i);
    if (!strcmp(p.name, name)) return i;
  }
  return -1;
}

static void set_double(f0r_instance_t in, const char *name, double v) {
  f.set(in, &v, param_index(name));
}

/* Three flat rectangles, shifted by `shift` pixels. */
static uint32_t *frame(unsigned w, unsigned h, int shift) {
  uint32_t *px = aligned_alloc(16, ((size_t)w * h * 4 + 15) / 16 * 16);
  for (unsigned y = 0; y < h; y++)
    for (unsigned x = 0; x < w; x++) {
      uint8_t *p = (uint8_t *)&px[(size_t)y * w + x];
      p[0] = 30, p[1] = 60, p[2] = 90, p[3] = 255;
      if ((int)x >= (int)w / 8 + shift && (int)x < (int)w / 2 + shift && y >= h / 8 && y < h / 2) p[0] = 220, p[1] = 40, p[2] = 40;
      if (x >= w / 3 && x < 3 * w / 4 && y >= h / 3 && y < 5 * h / 6) p[0] = 40, p[1] = 200, p[2] = 60;
    }
  return px;
}

static double mad(const uint32_t *a, const uint32_t *b, size_t n) {
  const uint8_t *p = (const uint8_t *)a, *q = (const uint8_t *)b;
  double s = 0;
  size_t cnt = 0;
  for (size_t i = 0; i < n * 4; i++)
    if (i % 4 != 3) s += abs(p[i] - q[i]), cnt++;
  return s / (double)cnt;
}

static void test_info(void) {
  f0r_plugin_info_t info;
  f.plugin_info(&info);
  CHECK(!strcmp(info.name, "primitive"), "name %s", info.name);
  CHECK(info.plugin_type == F0R_PLUGIN_TYPE_FILTER && info.color_model == F0R_COLOR_MODEL_RGBA8888, "type/model");
  CHECK(info.frei0r_version == FREI0R_MAJOR_VERSION, "version %d", info.frei0r_version);
  const char *want[] = {"shapes", "shape", "alpha", "working_size", "seed", "warm_start", "keyframe_interval",
                        "budget", "device"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) CHECK(param_index(want[i]) >= 0, "no parameter %s", want[i]);
  for (int i = 0; i < info.num_params; i++) {
    f0r_param_info_t p;
    f.param_info(&p, i);
    CHECK(p.name && p.explanation && strlen(p.explanation) > 10, "parameter %d undocumented", i);
  }
  f.param_info(NULL, 0);          /* ignored, no crash */
  f0r_param_info_t p = {0};
  f.param_info(&p, 999);
  CHECK(p.name == NULL, "parameter 999 exists");
}

static void test_params(void) {
  f0r_instance_t in = f.construct(8, 8);
  CHECK(in != NULL, "construct 8x8");
  f0r_plugin_info_t info;
  f.plugin_info(&info);
  for (int i = 0; i < info.num_params; i++) {
    f0r_param_info_t p;
    f.param_info(&p, i);
    if (p.type == F0R_PARAM_STRING) {
      f0r_param_string s = NULL;
      f.get(in, &s, i);
      CHECK(s != NULL, "%s has no value", p.name);
      continue;
    }
    double tries[] = {0.3, -5.0, 7.0, NAN};
    double expect[] = {0.3, 0.0, 1.0, 1.0};
    for (int k = 0; k < 4; k++) {
      double v = tries[k], got = -1;
      f.set(in, &v, i);
      f.get(in, &got, i);
      CHECK(fabs(got - expect[k]) < 1e-9, "%s: set %f, got %f (want %f)", p.name, tries[k], got, expect[k]);
    }
  }
  f0r_param_string s = "#ff8800";
  f.set(in, &s, param_index("background"));
  f0r_param_string got = NULL;
  f.get(in, &got, param_index("background"));
  CHECK(got && !strcmp(got, "#ff8800"), "background %s", got);
  s = "chartreuse-ish";
  f.set(in, &s, param_index("background"));
  f.get(in, &got, param_index("background"));
  CHECK(got && !strcmp(got, "#ff8800"), "a bad background replaced the old one: %s", got);
  s = "gpu9";
  f.set(in, &s, param_index("device"));
  f.get(in, &got, param_index("device"));
  CHECK(got && !strcmp(got, "auto"), "device %s", got);
  f.set(in, NULL, 0);
  f.get(in, NULL, 0);
  f.set(NULL, &s, 0);
  f.destruct(in);
}

/* Runs fn with stderr going to a file; returns what it wrote (malloc'ed). */
static char *capture_stderr(void (*fn)(void)) {
  fflush(stderr);
  FILE *tmp = tmpfile();
  int saved = dup(2);
  dup2(fileno(tmp), 2);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  long n = ftell(tmp);
  char *text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
  rewind(tmp);
  if (n > 0 && fread(text, 1, (size_t)n, tmp) != (size_t)n) text[0] = 0;
  fclose(tmp);
  return text;
}

static int count_lines(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static void notices(void) {
  f0r_instance_t a = f.construct(16, 16), b = f.construct(16, 16);
  set_double(a, "shapes", 50);  /* a count where a share is expected */
  set_double(a, "shapes", 50);  /* hosts set parameters every frame: still one line */
  set_double(a, "shapes", 0.05);
  set_double(a, "threads", 4);
  set_double(a, "alpha", 0.5);  /* in range: nothing to say */
  f0r_param_string s = "red";
  f.set(a, &s, param_index("background"));
  s = "#f00";                   /* primitive's short form */
  f.set(a, &s, param_index("background"));
  f0r_param_string got = NULL;
  f.get(a, &got, param_index("background"));
  CHECK(got && !strcmp(got, "#f00"), "background #f00 refused (%s)", got ? got : "null");
  set_double(b, "shapes", 50);  /* another instance says it again */
  f.destruct(a), f.destruct(b);
}

static void test_notices(void) {
  char *text = capture_stderr(notices);
  printf("%s", text);
  CHECK(count_lines(text, "frei0r primitive: ") == 4, "expected 4 notices, got:\n%s", text);
  CHECK(count_lines(text, "shapes=50 is outside 0..1; understood as 1000 shapes") == 2, "shapes notice: %s", text);
  CHECK(count_lines(text, "threads=4 is outside 0..1; understood as 100 threads") == 1, "threads notice: %s", text);
  CHECK(count_lines(text, "background \"red\" is not avg or a colour") == 1, "background notice: %s", text);
  free(text);
}

static void test_frames(void) {
  unsigned w = 160, h = 90;
  f0r_instance_t in = f.construct(w, h);
  set_double(in, "shapes", 0.02);
  set_double(in, "shape", 0.2); /* rectangles */
  uint32_t *src = frame(w, h, 0), *out = frame(w, h, 0), *prev = frame(w, h, 0);
  f.update(in, 0.0, src, out);
  double d = mad(src, out, (size_t)w * h);
  printf("rectangles: mean abs diff to the input %f\n", d);
  CHECK(d < 8.0 && d > 0.0, "20 rectangles on a frame of rectangles: mean abs diff %f", d);
  /* a static input settles */
  double worst = 0;
  for (int i = 1; i < 20; i++) {
    memcpy(prev, out, (size_t)w * h * 4);
    f.update(in, i / 30.0, src, out);
    if (i > 10) worst = fmax(worst, mad(prev, out, (size_t)w * h));
  }
  printf("static input: largest frame difference after 10 frames %f\n", worst);
  CHECK(worst < 0.5, "static input: frames differ by %f", worst);
  /* same seed, same output, in a second instance */
  f0r_instance_t in2 = f.construct(w, h);
  set_double(in2, "shapes", 0.02);
  set_double(in2, "shape", 0.2);
  uint32_t *out2 = frame(w, h, 0);
  f0r_instance_t in3 = f.construct(w, h);
  set_double(in3, "shapes", 0.02);
  set_double(in3, "shape", 0.2);
  f.update(in3, 0.0, src, out2);
  f.update(in2, 0.0, src, prev);
  CHECK(mad(prev, out2, (size_t)w * h) == 0.0, "same seed, different output");
  f0r_instance_t in4 = f.construct(w, h);
  set_double(in4, "shapes", 0.02);
  set_double(in4, "shape", 0.2);
  set_double(in4, "seed", 0.5);
  f.update(in4, 0.0, src, out2);
  CHECK(mad(prev, out2, (size_t)w * h) > 0.0, "another seed, same output");
  f.destruct(in4);
  /* every shape kind and automatic alpha */
  for (int k = 0; k <= 8; k++) {
    set_double(in2, "shape", k / 10.0);
    set_double(in2, "alpha", 0.0);
    f.update(in2, 100.0 + k, src, out2);
  }
  /* bad frames are ignored */
  f.update(in, 30.0, NULL, out);
  f.update(in, 30.0, src, NULL);
  f.update(NULL, 30.0, src, out);
  /* device=cuda without a CUDA backend passes frames through */
  f0r_param_string s = "cuda";
  f.set(in2, &s, param_index("device"));
  f.update(in2, 200.0, src, out2);
  CHECK(mad(src, out2, (size_t)w * h) == 0.0, "device=cuda did not pass through");
  f.destruct(in), f.destruct(in2), f.destruct(in3);
  free(src), free(out), free(prev), free(out2);
}

static void test_sizes(void) {
  CHECK(f.construct(0, 10) == NULL, "zero width accepted");
  CHECK(f.construct(10, 0) == NULL, "zero height accepted");
  unsigned sizes[][2] = {{1, 1}, {2, 3}, {7, 5}, {8, 8}, {33, 17}, {4096, 2160}};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    unsigned w = sizes[i][0], h = sizes[i][1];
    f0r_instance_t in = f.construct(w, h);
    CHECK(in != NULL, "construct %ux%u", w, h);
    set_double(in, "shapes", 0.01);
    uint32_t *a = frame(w, h, 0), *b = frame(w, h, 0);
    f.update(in, 0.0, a, b);
    f.update(in, 0.04, a, b);
    f.update(in, 0.08, b, b); /* in place */
    f.destruct(in);
    free(a), free(b);
  }
  f.destruct(NULL);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned w = 64 + 8 * id, h = 48;
  f0r_instance_t in = f.construct(w, h);
  set_double(in, "shapes", 0.015);
  set_double(in, "threads", 0.01);
  uint32_t *a = frame(w, h, id), *b = frame(w, h, 0);
  for (int i = 0; i < 8; i++) f.update(in, i * 40.0, a, b);
  f.destruct(in);
  free(a), free(b);
  return NULL;
}

static void test_threads(void) {
  pthread_t t[6];
  for (int i = 0; i < 6; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
  for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
}

typedef struct {
  f0r_instance_t in;
  uint32_t *a, *b;
  int started;
} Busy;

static void *long_update(void *arg) {
  Busy *b = arg;
  __atomic_store_n(&b->started, 1, __ATOMIC_SEQ_CST);
  f.update(b->in, 0.0, b->a, b->b);
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The largest settings (1000 shapes at working size 1000) take minutes a frame: a destruct from
 * another thread cuts it short instead of waiting, and frees nothing the frame still uses. Under
 * valgrind everything is tens of times slower, and the bound with it. */
static void test_destruct_interrupts(void) {
  unsigned w = 640, h = 480;
  Busy b = {f.construct(w, h), frame(w, h, 0), frame(w, h, 0), 0};
  set_double(b.in, "shapes", 1.0);
  set_double(b.in, "working_size", 1.0);
  pthread_t t;
  pthread_create(&t, NULL, long_update, &b);
  while (!__atomic_load_n(&b.started, __ATOMIC_SEQ_CST)) sleep_ms(1);
  sleep_ms(300);
  double t0 = now_ms();
  f.destruct(b.in);
  double took = now_ms() - t0;
  pthread_join(t, NULL);
  const char *preload = getenv("LD_PRELOAD");
  double bound = preload && strstr(preload, "vgpreload") ? 20000.0 : 500.0;
  printf("destruct during a frame returned in %.1f ms\n", took);
  CHECK(took < bound, "destruct waited %.1f ms for the frame", took);
  free(b.a), free(b.b);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_frei0r PLUGIN.so\n");
    return 2;
  }
  void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
#define SYM(field, name) *(void **)&f.field = dlsym(h, name)
  SYM(init, "f0r_init"), SYM(deinit, "f0r_deinit"), SYM(plugin_info, "f0r_get_plugin_info");
  SYM(param_info, "f0r_get_param_info"), SYM(construct, "f0r_construct"), SYM(destruct, "f0r_destruct");
  SYM(set, "f0r_set_param_value"), SYM(get, "f0r_get_param_value"), SYM(update, "f0r_update");
  if (!f.init || !f.update || !f.construct || !f.set || !f.get || !f.plugin_info || !f.param_info) {
    fprintf(stderr, "missing frei0r symbols\n");
    return 1;
  }
  CHECK(dlsym(h, "pm_model_new") == NULL, "the core's symbols leak out of the plugin");
  CHECK(f.init() == 1, "f0r_init");
  struct { const char *name; void (*fn)(void); } tests[] = {
      {"info", test_info}, {"params", test_params}, {"notices", test_notices}, {"frames", test_frames}, {"sizes", test_sizes},
      {"threads", test_threads}, {"destruct interrupts", test_destruct_interrupts}};
  int passed = 0, failed = 0;
  for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) {
    int before = failures;
    tests[i].fn();
    printf("%s: %s\n", tests[i].name, failures == before ? "ok" : "FAILED");
    failures == before ? passed++ : failed++;
  }
  f.deinit();
  dlclose(h);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
