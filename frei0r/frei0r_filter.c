/* frei0r filter "primitive": the warm-started shape stylization for FFmpeg (-vf frei0r), MLT
 * (Kdenlive, Shotcut, melt) and GStreamer's frei0r bridge. A thin shell over core/: each
 * instance owns a PmVideo session, so consecutive f0r_update calls refine the previous frame's
 * shapes exactly as the GStreamer element does.
 *
 * frei0r doubles are 0..1 by convention; they map onto real ranges as the table in
 * docs/ffmpeg-frei0r.md and the explanations below say. Out-of-range values are clamped, and a
 * value that cannot mean what it says (50 typed for 50 shapes, which is 1000 after clamping; a
 * colour that is not one) gets one line on stderr per instance and parameter, saying what was
 * understood: hosts give a filter no other way to report. */
#include <frei0r.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primitive.h"

enum {
  P_SHAPES, P_SHAPE, P_ALPHA, P_WORKING_SIZE, P_SEED, P_WARM_START, P_KEYFRAME_INTERVAL, P_SCENE_THRESHOLD,
  P_BUDGET, P_THREADS, P_BACKGROUND, P_DEVICE, P_COUNT
};

static const f0r_param_info_t params[P_COUNT] = {
    [P_SHAPES] = {"shapes", F0R_PARAM_DOUBLE, "Number of shapes / 1000 (0.1 = 100 shapes; at least 1)"},
    [P_SHAPE] = {"shape", F0R_PARAM_DOUBLE,
                 "Shape kind: primitive's -m / 10: 0 any, 0.1 triangle, 0.2 rectangle, 0.3 ellipse, 0.4 circle, "
                 "0.5 rotated rectangle, 0.6 bezier, 0.7 rotated ellipse, 0.8 polygon"},
    [P_ALPHA] = {"alpha", F0R_PARAM_DOUBLE, "Shape opacity (x 255; 0.5 = 128); 0 chooses it per shape"},
    [P_WORKING_SIZE] = {"working_size", F0R_PARAM_DOUBLE,
                        "Long side of the working image / 1000 (0.256 = 256 px; 16..1024 px)"},
    [P_SEED] = {"seed", F0R_PARAM_DOUBLE, "Random seed / 1000000"},
    [P_WARM_START] = {"warm_start", F0R_PARAM_BOOL, "Start each frame from the previous frame's shapes"},
    [P_KEYFRAME_INTERVAL] = {"keyframe_interval", F0R_PARAM_DOUBLE,
                             "Search from nothing every N frames, N / 1000 (0.03 = every 30 frames; 0 never)"},
    [P_SCENE_THRESHOLD] = {"scene_threshold", F0R_PARAM_DOUBLE,
                           "Search from nothing when consecutive frames differ by more than this share (0 never)"},
    [P_BUDGET] = {"budget", F0R_PARAM_DOUBLE,
                  "Optimisation time per frame in ms / 1000 (0.04 = 40 ms); 0 = the full search"},
    [P_THREADS] = {"threads", F0R_PARAM_DOUBLE, "Worker threads / 100 (0.02 = 2); 0 = all cores"},
    [P_BACKGROUND] = {"background", F0R_PARAM_STRING, "Background: \"avg\" or a colour: #f80, #ff8800 or ff8800"},
    [P_DEVICE] = {"device", F0R_PARAM_STRING,
                  "Where the search runs: auto (CUDA when built in and a GPU works, else the CPU), cpu, or cuda "
                  "(without a GPU, frames pass through unchanged: a frei0r filter has no error channel)"},
};

typedef struct {
  unsigned width, height;
  double v[P_COUNT]; /* the doubles as set, clamped to 0..1 */
  char *background, *device;
  PmVideo *video;
  pthread_mutex_t busy; /* held while a frame is made, so a destruct from another thread waits */
  double last_time, last_step;
  int have_time;
  unsigned noticed; /* one bit per parameter: its notice has been printed */
} Instance;

int f0r_init(void) { return 1; }
void f0r_deinit(void) {}

void f0r_get_plugin_info(f0r_plugin_info_t *info) {
  if (!info) return;
  info->name = "primitive";
  info->author = "gst-primitive developers";
  info->plugin_type = F0R_PLUGIN_TYPE_FILTER;
  info->color_model = F0R_COLOR_MODEL_RGBA8888;
  info->frei0r_version = FREI0R_MAJOR_VERSION;
  info->major_version = 0;
  info->minor_version = 1;
  info->num_params = P_COUNT;
  info->explanation = "Redraws video as a few hundred geometric shapes, warm-started from frame to frame";
}

void f0r_get_param_info(f0r_param_info_t *info, int i) {
  if (info && i >= 0 && i < P_COUNT) *info = params[i];
}

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

f0r_instance_t f0r_construct(unsigned int width, unsigned int height) {
  if (width == 0 || height == 0 || width > 32768 || height > 32768) return NULL;
  Instance *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  in->width = width;
  in->height = height;
  pthread_mutex_init(&in->busy, NULL);
  /* defaults: 100 triangles, alpha 128, working size 256, warm start, the core's scene threshold */
  in->v[P_SHAPES] = 0.1;
  in->v[P_SHAPE] = 0.1;
  in->v[P_ALPHA] = 128.0 / 255.0;
  in->v[P_WORKING_SIZE] = 0.256;
  in->v[P_SEED] = 0.000001;
  in->v[P_WARM_START] = 1.0;
  in->v[P_SCENE_THRESHOLD] = PM_SCENE_THRESHOLD_DEFAULT;
  in->background = dup_string("avg");
  in->device = dup_string("auto");
  in->video = pm_video_new();
  if (!in->background || !in->device || !in->video) {
    f0r_destruct(in);
    return NULL;
  }
  return in;
}

/* An editor that closes a project may destroy an instance from another thread while a frame is
 * being made, and a frame at the largest settings takes minutes: it is cut short first. */
void f0r_destruct(f0r_instance_t instance) {
  Instance *in = instance;
  if (!in) return;
  pm_video_interrupt(in->video);
  pthread_mutex_lock(&in->busy);
  pthread_mutex_unlock(&in->busy);
  pthread_mutex_destroy(&in->busy);
  pm_video_free(in->video);
  free(in->background);
  free(in->device);
  free(in);
}

static int scaled(double v, double scale, int lo, int hi) {
  long r = lround(v * scale);
  return r < lo ? lo : (r > hi ? hi : (int)r);
}

/* What a 0..1 value of parameter i means, in its own unit. */
static void describe(int i, double v, char *buf, size_t len) {
  int n;
  switch (i) {
  case P_SHAPES: snprintf(buf, len, "%d shapes (the value is shapes / 1000: 0.05 means 50)", scaled(v, 1000, 1, 1000)); break;
  case P_SHAPE:
    snprintf(buf, len, "%s (the value is primitive's -m / 10: 0.3 means ellipse)",
             pm_shape_kind_name((PmShapeKind)scaled(v, 10, 0, 8)));
    break;
  case P_ALPHA: snprintf(buf, len, "alpha %d (the value is alpha / 255; 0 chooses it per shape)", scaled(v, 255, 0, 255)); break;
  case P_WORKING_SIZE:
    snprintf(buf, len, "%d px (the value is pixels / 1000: 0.256 means 256)", scaled(v, 1000, 16, 1024));
    break;
  case P_SEED: snprintf(buf, len, "seed %d (the value is seed / 1000000)", scaled(v, 1e6, 0, 1000000)); break;
  case P_WARM_START: snprintf(buf, len, "%s", v >= 0.5 ? "on" : "off"); break;
  case P_KEYFRAME_INTERVAL:
    n = scaled(v, 1000, 0, 1000);
    if (n) snprintf(buf, len, "every %d frames (the value is frames / 1000: 0.03 means 30)", n);
    else snprintf(buf, len, "never");
    break;
  case P_SCENE_THRESHOLD: snprintf(buf, len, "%g of full scale", v); break;
  case P_BUDGET:
    n = scaled(v, 1000, 0, 1000);
    if (n) snprintf(buf, len, "%d ms per frame (the value is ms / 1000: 0.04 means 40)", n);
    else snprintf(buf, len, "no limit");
    break;
  case P_THREADS:
    n = scaled(v, 100, 0, 100);
    if (n) snprintf(buf, len, "%d threads (the value is threads / 100: 0.02 means 2)", n);
    else snprintf(buf, len, "all cores");
    break;
  default: snprintf(buf, len, "%g", v); break;
  }
}

static void notice(Instance *in, int i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void notice(Instance *in, int i, const char *fmt, ...) {
  if (in->noticed & (1u << i)) return;
  in->noticed |= 1u << i;
  char line[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "frei0r primitive: %s\n", line);
}

void f0r_set_param_value(f0r_instance_t instance, f0r_param_t param, int i) {
  Instance *in = instance;
  if (!in || !param || i < 0 || i >= P_COUNT) return;
  if (params[i].type == F0R_PARAM_STRING) {
    const char *s = *(f0r_param_string *)param;
    if (!s) return;
    uint8_t rgb[3];
    /* invalid values are refused, keeping the previous one */
    if (i == P_BACKGROUND && strcmp(s, "avg") && pm_parse_colour(s, rgb, NULL) < 0) {
      notice(in, i, "background \"%.80s\" is not avg or a colour (#f80, #ff8800, ff8800); kept \"%.80s\"", s,
             in->background);
      return;
    }
    if (i == P_DEVICE && strcmp(s, "auto") && strcmp(s, "cpu") && strcmp(s, "cuda")) {
      notice(in, i, "device \"%.80s\" is not auto, cpu or cuda; kept \"%.80s\"", s, in->device);
      return;
    }
    char why[200];
    if (i == P_DEVICE && !strcmp(s, "cuda") && !pm_device_available(PM_DEVICE_CUDA, why, sizeof why))
      notice(in, i, "%.150s; frames pass through unchanged", why);
    char *copy = dup_string(s);
    if (!copy) return;
    char **slot = i == P_BACKGROUND ? &in->background : &in->device;
    free(*slot);
    *slot = copy;
    return;
  }
  double v = *(double *)param;
  if (isnan(v)) return;
  in->v[i] = v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
  if (v != in->v[i]) {
    char meaning[160];
    describe(i, in->v[i], meaning, sizeof meaning);
    notice(in, i, "%s=%g is outside 0..1; understood as %s", params[i].name, v, meaning);
  }
}

void f0r_get_param_value(f0r_instance_t instance, f0r_param_t param, int i) {
  Instance *in = instance;
  if (!in || !param || i < 0 || i >= P_COUNT) return;
  if (params[i].type == F0R_PARAM_STRING) *(f0r_param_string *)param = i == P_BACKGROUND ? in->background : in->device;
  else *(double *)param = in->v[i];
}

static void settings(const Instance *in, PmVideoSettings *st) {
  pm_video_settings_init(st);
  st->shapes = scaled(in->v[P_SHAPES], 1000, 1, 1000);
  st->search.kind = (PmShapeKind)scaled(in->v[P_SHAPE], 10, 0, 8);
  st->search.alpha = scaled(in->v[P_ALPHA], 255, 0, 255);
  st->search.working_size = scaled(in->v[P_WORKING_SIZE], 1000, 16, 1024);
  st->search.seed = (uint64_t)scaled(in->v[P_SEED], 1e6, 0, 1000000);
  st->warm_start = in->v[P_WARM_START] >= 0.5;
  st->keyframe_interval = (unsigned)scaled(in->v[P_KEYFRAME_INTERVAL], 1000, 0, 1000);
  st->scene_threshold = in->v[P_SCENE_THRESHOLD];
  st->budget_ms = scaled(in->v[P_BUDGET], 1000, 0, 1000);
  st->search.threads = scaled(in->v[P_THREADS], 100, 0, 100);
  st->search.use_background = pm_parse_colour(in->background, st->search.background, NULL) == 0;
  st->search.device = (PmDevice)pm_device_parse(in->device); /* checked when set */
}

void f0r_update(f0r_instance_t instance, double time, const uint32_t *inframe, uint32_t *outframe) {
  Instance *in = instance;
  if (!in || !inframe || !outframe) return;
  size_t bytes = (size_t)in->width * in->height * 4;
  /* A jump in time (seek or scrub in an editor) starts over, as a flush does in GStreamer.
   * Hosts differ in the unit (FFmpeg passes milliseconds, MLT seconds), so a jump is judged
   * against the previous step: backwards, or forwards by more than 20 steps. */
  if (in->have_time) {
    double step = time - in->last_time;
    if (step < 0.0 || (in->last_step > 0.0 && step > 20.0 * in->last_step)) pm_video_reset(in->video);
    if (step > 0.0) in->last_step = step;
  }
  in->last_time = time;
  in->have_time = 1;
  PmVideoSettings st;
  settings(in, &st);
  int stride = (int)in->width * 4;
  PmFrame src = {PM_FORMAT_RGBA, (int)in->width, (int)in->height, {(uint8_t *)inframe, NULL, NULL}, {stride, 0, 0}};
  PmFrame dst = {PM_FORMAT_RGBA, (int)in->width, (int)in->height, {(uint8_t *)outframe, NULL, NULL}, {stride, 0, 0}};
  char err[256];
  pthread_mutex_lock(&in->busy);
  if (pm_video_process(in->video, &st, &src, &dst, err, sizeof err) < 0 && outframe != inframe)
    memcpy(outframe, inframe, bytes); /* nothing better to show; the host has no error channel */
  pthread_mutex_unlock(&in->busy);
}
