/* A video session: the per-frame policy shared by the GStreamer element and the frei0r
 * plugin. It decides when to search from nothing (first frame, reset, keyframe, scene change)
 * and when to warm-start, scales the search effort to a time budget, and renders. */
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>

#include "internal.h"

/* Per frame at full effort: refinement mutations per kept shape, and rounds of replacing the
 * shape that pays least; warm frames search their few new shapes with a lighter search. */
#define REFINE_TRIES 48
#define REPLACE_ROUNDS 4
#define WARM_SEARCH_DIVISOR 3
#define EFFORT_MIN 0.05

struct PmVideo {
  PmModel *model;
  int model_threads;
  PmDevice model_device;
  int reset;
  unsigned long long frames_since_key;
  double effort;   /* 0..1: the search effort under a time limit, adapted frame by frame */
  double share;    /* of frame_ms that a frame's work may take, adapted to lateness */
  double other_ms; /* a frame's work outside the search's allowance, its recent worst */
  PmRenderCache *render_cache; /* the last frame, for rows whose shapes held still */
  atomic_int interrupted;
};

/* A real-time frame starts with this share of the frame duration for all of its work, and never
 * goes above it nor below the floor, however early or late the frames arrive. */
#define SHARE_START 0.8
#define SHARE_MIN 0.3
#define DUE_MARGIN_MS 2.0
#define NEAR_LATE 0.1

void pm_video_settings_init(PmVideoSettings *s) {
  memset(s, 0, sizeof *s);
  pm_config_init(&s->search);
  s->search.threads = 0;
  s->shapes = 100;
  s->warm_start = 1;
  s->scene_threshold = PM_SCENE_THRESHOLD_DEFAULT;
  s->start_effort = 1.0;
}

PmVideo *pm_video_new(void) {
  PmVideo *v = calloc(1, sizeof *v);
  if (v) {
    v->reset = 1;
    atomic_init(&v->interrupted, 0);
    v->render_cache = pm_render_cache_new(); /* none: every frame is rendered whole */
  }
  return v;
}

void pm_video_free(PmVideo *v) {
  if (!v) return;
  pm_model_free(v->model);
  pm_render_cache_free(v->render_cache);
  free(v);
}

void pm_video_reset(PmVideo *v) {
  if (v) v->reset = 1;
}

void pm_video_release(PmVideo *v) {
  if (!v) return;
  pm_model_free(v->model);
  v->model = NULL;
  v->reset = 1;
}

void pm_video_interrupt(PmVideo *v) {
  if (v) atomic_store(&v->interrupted, 1);
}

void pm_video_resume(PmVideo *v) {
  if (v) atomic_store(&v->interrupted, 0);
}

const PmModel *pm_video_model(const PmVideo *v) { return v ? v->model : NULL; }

static int max_int(int a, int b) { return a > b ? a : b; }

/* How long the search may take this frame (ms), 0 for no limit. */
static double search_limit(PmVideo *v, const PmVideoSettings *st) {
  if (st->budget_ms > 0.0) return st->budget_ms;
  if (!(st->frame_ms > 0.0)) return 0.0;
  /* late frames, and frames that were nearly so, shrink the share quickly (a decoder drops the
   * next frame at the slightest lateness), early ones give it back slowly */
  if (st->late_ms > -NEAR_LATE * st->frame_ms) v->share = v->share * 0.9 > SHARE_MIN ? v->share * 0.9 : SHARE_MIN;
  else if (st->late_ms < -0.25 * st->frame_ms) v->share = v->share + 0.01 < SHARE_START ? v->share + 0.01 : SHARE_START;
  double allowed = v->share * st->frame_ms;
  /* a frame that arrives late (slow decoding before it, a late frame before that) has less
   * left; a margin keeps it from arriving just late, which a sink's QoS would punish */
  if (st->due_known && st->due_ms - DUE_MARGIN_MS < allowed) allowed = st->due_ms - DUE_MARGIN_MS;
  double left = allowed - v->other_ms;
  return left > 1.0 ? left : 1.0; /* a few evaluations at least: the list can still top up */
}

int pm_video_process(PmVideo *v, const PmVideoSettings *st, const PmFrame *in, PmFrame *out, char *err,
                     size_t errlen) {
  if (atomic_load(&v->interrupted)) {
    snprintf(err, errlen, "interrupted");
    return -1;
  }
  double t0 = pm_now();
  if (v->reset) {
    v->effort = st->start_effort > 0.0 && st->start_effort <= 1.0 ? st->start_effort : 1.0;
    v->share = SHARE_START;
  }
  double limit = search_limit(v, st);
  double e = limit > 0.0 ? v->effort : 1.0;
  /* the floors scale with the effort too: a tight budget gets short searches of every shape
   * rather than long searches of a few */
  PmConfig cfg = st->search;
  cfg.climbs = max_int(1, (int)(24 * e + 0.5));
  cfg.candidates = max_int(4, (int)(100 * e + 0.5));
  cfg.max_age = max_int(8, (int)(300 * e + 0.5));
  int refine = max_int(2, (int)(REFINE_TRIES * e + 0.5));
  int replace = (int)(REPLACE_ROUNDS * e + 0.5);
  int shapes = st->shapes < 1 ? 1 : st->shapes;

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
    pm_model_set_stop_flag(v->model, &v->interrupted);
    cold = 1;
  } else {
    pm_model_configure(v->model, &cfg);
    if (pm_model_load_target(v->model, in, err, errlen) < 0) return -1; /* refit below */
    if (st->scene_threshold > 0.0 && pm_model_target_change(v->model) > st->scene_threshold * 255.0) cold = 1;
  }
  double t_search = pm_now();
  pm_model_set_deadline(v->model, limit > 0.0 ? t_search + limit * 1e-3 : 0.0);
  if (cold) {
    /* under a deadline a cold frame may end with fewer shapes: the next frames complete it */
    pm_model_reset(v->model);
    for (int i = 0; i < shapes && !pm_model_stopped(v->model); i++) pm_model_step(v->model);
    v->frames_since_key = 0;
    v->reset = 0;
  } else {
    PmConfig light = cfg;
    light.climbs = max_int(1, cfg.climbs / WARM_SEARCH_DIVISOR);
    light.candidates = max_int(4, cfg.candidates / 2);
    light.max_age = max_int(8, cfg.max_age / 2);
    pm_model_configure(v->model, &light);
    pm_model_warm_start(v->model, shapes, refine, replace);
  }
  int hit_deadline = limit > 0.0 && pm_model_stopped(v->model);
  pm_model_set_deadline(v->model, 0.0);
  v->frames_since_key++;
  if (atomic_load(&v->interrupted)) {
    v->reset = 1; /* the shapes may be half-way: start afresh when resumed */
    snprintf(err, errlen, "interrupted");
    return -1;
  }
  double spent = (pm_now() - t_search) * 1e3;
  if (limit > 0.0) {
    /* aim at a frame's work that just completes: a search cut at its deadline leaves shapes
     * unrefined and nothing replaced, while one far inside it could have searched harder */
    if (hit_deadline || spent > limit) {
      double f = spent > limit ? limit / spent : 0.85;
      v->effort *= f < 0.5 ? 0.5 : f > 0.85 ? 0.85 : f;
      if (v->effort < EFFORT_MIN) v->effort = EFFORT_MIN;
    } else if (spent < 0.6 * limit) {
      v->effort = v->effort * 1.15 > 1.0 ? 1.0 : v->effort * 1.15;
    }
  }
  if (out && pm_render_reusing(v->model, out, v->render_cache) < 0) {
    snprintf(err, errlen, "cannot render into a %dx%d frame", out->width, out->height);
    return -1;
  }
  /* the work beyond the search's allowance: loading, render, and a search's overshoot past its
   * deadline. A frame is late for its worst case, not its mean: a rise counts at once, a fall slowly */
  double other = (pm_now() - t0) * 1e3 - (limit > 0.0 && spent > limit ? limit : spent);
  v->other_ms = other > v->other_ms ? other : 0.9 * v->other_ms + 0.1 * other;
  return 0;
}
