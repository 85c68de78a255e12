/* A video session: the per-frame policy shared by the GStreamer element and the frei0r
 * plugin. It decides when to search from nothing (first frame, reset, keyframe, scene change)
 * and when to warm-start, scales the search effort to a time budget, and renders. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Per frame at full effort: refinement mutations per kept shape, and rounds of replacing the
 * shape that pays least; warm frames search their few new shapes with a lighter search. */
#define REFINE_TRIES 48
#define REPLACE_ROUNDS 4
#define WARM_SEARCH_DIVISOR 3

struct PmVideo {
  PmModel *model;
  int model_threads;
  PmDevice model_device;
  int reset;
  unsigned long long frames_since_key;
  double effort;
};

void pm_video_settings_init(PmVideoSettings *s) {
  memset(s, 0, sizeof *s);
  pm_config_init(&s->search);
  s->search.threads = 0;
  s->shapes = 100;
  s->warm_start = 1;
  s->scene_threshold = 0.25;
  s->start_effort = 1.0;
}

PmVideo *pm_video_new(void) {
  PmVideo *v = calloc(1, sizeof *v);
  if (v) v->reset = 1;
  return v;
}

void pm_video_free(PmVideo *v) {
  if (!v) return;
  pm_model_free(v->model);
  free(v);
}

void pm_video_reset(PmVideo *v) { v->reset = 1; }

const PmModel *pm_video_model(const PmVideo *v) { return v->model; }

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int max_int(int a, int b) { return a > b ? a : b; }

int pm_video_process(PmVideo *v, const PmVideoSettings *st, const PmFrame *in, PmFrame *out, char *err,
                     size_t errlen) {
  if (v->reset) v->effort = st->start_effort > 0.0 && st->start_effort <= 1.0 ? st->start_effort : 1.0;
  double e = st->budget_ms > 0.0 ? v->effort : 1.0;
  PmConfig cfg = st->search;
  cfg.climbs = max_int(2, (int)(24 * e + 0.5));
  cfg.candidates = max_int(8, (int)(100 * e + 0.5));
  cfg.max_age = max_int(16, (int)(300 * e + 0.5));
  int refine = max_int(4, (int)(REFINE_TRIES * e + 0.5));
  int replace = max_int(1, (int)(REPLACE_ROUNDS * e + 0.5));
  int shapes = st->shapes < 1 ? 1 : st->shapes;

  double t0 = now_ms();
  int cold = v->reset || !st->warm_start || !v->model ||
             (st->keyframe_interval && v->frames_since_key >= st->keyframe_interval);
  if (v->model && (v->model_threads != cfg.threads || v->model_device != cfg.device)) { /* fixed per model */
    pm_model_free(v->model);
    v->model = NULL;
  }
  if (!v->model) {
    v->model = pm_model_new(&cfg, in, err, errlen);
    v->model_threads = cfg.threads;
    v->model_device = cfg.device;
    if (!v->model) return -1;
    cold = 1;
  } else {
    pm_model_configure(v->model, &cfg);
    if (pm_model_load_target(v->model, in, err, errlen) < 0) return -1; /* refit below */
    if (st->scene_threshold > 0.0 && pm_model_target_change(v->model) > st->scene_threshold * 255.0) cold = 1;
  }
  if (cold) {
    pm_model_reset(v->model);
    for (int i = 0; i < shapes; i++) pm_model_step(v->model);
    v->frames_since_key = 0;
    v->reset = 0;
  } else {
    PmConfig light = cfg;
    light.climbs = max_int(2, cfg.climbs / WARM_SEARCH_DIVISOR);
    light.candidates = max_int(8, cfg.candidates / 2);
    light.max_age = max_int(16, cfg.max_age / 2);
    pm_model_configure(v->model, &light);
    pm_model_warm_start(v->model, shapes, refine, replace);
  }
  v->frames_since_key++;

  if (st->budget_ms > 0.0) {
    double spent = now_ms() - t0;
    if (spent > st->budget_ms) {
      double f = st->budget_ms / spent;
      v->effort *= f < 0.5 ? 0.5 : f;
      if (v->effort < 0.02) v->effort = 0.02;
    } else if (spent < st->budget_ms / 2) {
      v->effort = v->effort * 1.2 > 1.0 ? 1.0 : v->effort * 1.2;
    }
  }
  if (out && pm_render(v->model, out) < 0) {
    snprintf(err, errlen, "cannot render into a %dx%d frame", out->width, out->height);
    return -1;
  }
  return 0;
}
