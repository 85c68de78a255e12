/* The model: target and canvas at the working size, the shape list, and the search.
 *
 * Error bookkeeping: per-row prefix sums of target and canvas (raster.h) give a candidate's best
 * colour and its error change in closed form, so a candidate costs O(its rows), not O(its
 * pixels). The canvas itself is drawn with rounding, as primitive draws it; the next row update
 * picks up the rounded values, so the estimate never drifts. A drawing only marks its rows stale:
 * the sums are rebuilt when a search is about to read them, in parallel, and once however many
 * shapes were drawn over a row meanwhile (a warm frame's refit redraws every shape in order;
 * rebuilding each row from every shape's left edge to the row's end was most of its time). Only
 * the columns between the leftmost and the rightmost drawing are summed again: past them every
 * sum moves by the same integers. A single shape's error change is summed from its pixels
 * instead: the same integers. */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "internal.h"

typedef struct {
  PmSpan *spans;
  uint64_t evals;
} PmScratch;

/* Frames a new or changed shape keeps being refined before it counts as settled, and warm
 * frames without a paying replacement before replacements stop (until the picture changes). */
#define PM_SETTLE_FRAMES 30

/* A row's prefix sums are stale from column `from` on (w: up to date), its pixels changed before
 * column `to` only. */
typedef struct {
  int from, to;
} RowStale;

/* Canvases part-way through the last plain refit (see refit()); they hold while the shapes they
 * drew are the model's first ones, unchanged: a new target, working size, background (any fill)
 * or configuration voids them. */
typedef struct {
  uint8_t *canvas; /* checkpoint c (1..valid): the canvas with the first c * every shapes drawn */
  int64_t *err;    /* the error then */
  int every, valid, cap;
} Checkpoints;

/* A shape list with the warm start's bookkeeping (see PmModel). */
typedef struct {
  PmShape *shapes;
  double *fitted;
  int *unsettled;
} ShapeList;

struct PmModel {
  PmConfig cfg;
  int w, h;
  uint8_t *target, *canvas; /* RGB, w * h */
  uint8_t *prev_target;      /* the target before the last pm_model_set_target() */
  double target_change;
  int motion_pending;        /* the shapes still sit where prev_target had its content */
  PmMotion *motion;
  int *block_weights;        /* scratch for pm_motion_shape_offset */
  float *change_cost;        /* per working pixel, what a level of visible change there must pay
                                (see PM_VISIBLE_COST), then w * h floats of scratch */
  int change_cost_set;       /* change_cost holds this target's costs (else PM_VISIBLE_COST) */
  PmSums *sums;             /* h rows of w + 1 prefix entries */
  RowStale *stale;          /* per row: where the sums are stale */
  int64_t err;
  uint8_t bg[3];
  PmShape *shapes;
  double *contrib; /* each shape's error change when it was drawn, on the canvas below it (set
                      by refit and steps; the replay in set_target leaves it to the next refit) */
  double *fitted;  /* each shape's error change when it was last fitted (searched, recoloured or
                      refined): the warm start leaves a shape alone while it pays about as much */
  int *unsettled;  /* frames each shape is still refined for although nothing changed under it */
  atomic_int interrupted;      /* pm_model_interrupt(), from any thread */
  const atomic_int *external;  /* another flag that stops the searches (the video session's) */
  double deadline;             /* pm_now() at which searches stop; 0: none */
  double round_cost;           /* seconds the last replacement round took, its undo included */
  int idle_rounds; /* warm frames in a row with nothing changed and no replacement that paid */
  int nshapes, cap;
  PmPool *pool;
  PmScratch *scratch; /* one per worker */
  uint8_t *canvas_before; /* the canvas before a replacement, to measure what it shows */
  Checkpoints cp;
  PmSpan *spans2;     /* a second span list and a row of marks, for comparing two shapes */
  uint8_t *row_marks;
  uint64_t evals;
  uint64_t counter; /* advances per search round: seeds the next round's streams */
  uint64_t version; /* advances with every change of target or canvas (a device's copy follows it) */
  const PmDeviceOps *dev_ops; /* the device search, or NULL for the CPU's */
  PmDeviceHandle *dev;
  char device_note[256];
};

void pm_config_init(PmConfig *c) {
  memset(c, 0, sizeof *c);
  c->working_size = 256;
  c->kind = PM_SHAPE_TRIANGLE;
  c->alpha = 128;
  c->seed = 1;
}

/* Effort defaults: measured on the shared test images (docs/benchmarks.md). */
static void config_defaults(PmConfig *c) {
  if (c->working_size < 1) c->working_size = 256;
  if (c->working_size > 4096) c->working_size = 4096;
  if ((unsigned)c->kind >= PM_SHAPE_KIND_COUNT) c->kind = PM_SHAPE_TRIANGLE;
  c->alpha = pm_clampi(c->alpha, 0, 255);
  if (c->climbs <= 0) c->climbs = 24;
  if (c->candidates <= 0) c->candidates = 100;
  if (c->max_age <= 0) c->max_age = 300;
  c->repeat = pm_clampi(c->repeat, 0, 1000);
}

/* ---- stopping early ---- */

double pm_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void pm_model_interrupt(PmModel *m) { atomic_store(&m->interrupted, 1); }
void pm_model_resume(PmModel *m) { atomic_store(&m->interrupted, 0); }
void pm_model_set_deadline(PmModel *m, double deadline) { m->deadline = deadline; }
void pm_model_set_stop_flag(PmModel *m, const atomic_int *flag) { m->external = flag; }

int pm_model_stopped(const PmModel *m) {
  return atomic_load_explicit(&m->interrupted, memory_order_relaxed) ||
         (m->external && atomic_load_explicit(m->external, memory_order_relaxed)) ||
         (m->deadline > 0.0 && pm_now() >= m->deadline);
}

/* Searches look at the clock and the flags every this many evaluations (a few microseconds). */
#define STOP_CHECK_EVERY 16

/* ---- error bookkeeping ---- */

static void mark_all_stale(PmModel *m) {
  for (int y = 0; y < m->h; y++) m->stale[y] = (RowStale){0, m->w};
}

static void update_all(PmModel *m) {
  int64_t e = 0;
  for (size_t i = 0; i < (size_t)m->w * m->h * 3; i++) {
    int d = m->target[i] - m->canvas[i];
    e += d * d;
  }
  m->err = e;
  m->version++;
  mark_all_stale(m);
}

/* A row's prefix sums after its pixels changed in columns [x0, x1) only: those up to x1 summed
 * again, and past x1 each moved by the change of the sum at x1 (integers: exactly what summing
 * to the row's end gives). */
static void rebuild_row_sums(PmSums *ps, const uint8_t *t, const uint8_t *c, int x0, int x1, int w) {
  PmSums old = ps[x1];
  pm_sums_row(ps, t, c, x0, x1);
  int32_t d[8] = {ps[x1].t[0] - old.t[0], ps[x1].t[1] - old.t[1], ps[x1].t[2] - old.t[2], ps[x1].c[0] - old.c[0],
                  ps[x1].c[1] - old.c[1], ps[x1].c[2] - old.c[2], ps[x1].cc - old.cc,    ps[x1].tc - old.tc};
  for (int x = x1 + 1; x <= w; x++) {
    PmSums *p = &ps[x];
    for (int k = 0; k < 3; k++) p->t[k] += d[k], p->c[k] += d[3 + k];
    p->cc += d[6], p->tc += d[7];
  }
}

/* Rebuilds the stale prefix sums of rows [ya, yb). */
static void sync_rows(PmModel *m, int ya, int yb) {
  for (int y = ya; y < yb; y++) {
    RowStale *st = &m->stale[y];
    if (st->from >= m->w) continue;
    size_t o = (size_t)y * m->w * 3;
    PmSums *ps = m->sums + (size_t)y * (m->w + 1);
    if (st->to >= m->w) pm_sums_row(ps, m->target + o, m->canvas + o, st->from, m->w);
    else rebuild_row_sums(ps, m->target + o, m->canvas + o, st->from, st->to, m->w);
    st->from = m->w;
  }
}

/* sync_sums() hands out the rows in this many bands per worker. */
#define SUMS_BANDS_PER_WORKER 4

static void sums_task(void *ctx, int j, int worker) {
  (void)worker;
  PmModel *m = ctx;
  int bands = SUMS_BANDS_PER_WORKER * pm_pool_size(m->pool);
  sync_rows(m, m->h * j / bands, m->h * (j + 1) / bands);
}

/* Brings the prefix sums up to date with the canvas: before a search reads them. */
static void sync_sums(PmModel *m) {
  int64_t work = 0;
  for (int y = 0; y < m->h; y++) work += m->w - m->stale[y].from;
  /* a few rows (one shape drawn since the last search) are not worth waking the workers for */
  if (pm_pool_size(m->pool) == 1 || work < 8 * (int64_t)m->w) sync_rows(m, 0, m->h);
  else pm_pool_run(m->pool, SUMS_BANDS_PER_WORKER * pm_pool_size(m->pool), sums_task, m);
}

static int shape_spans(const PmModel *m, const PmShape *s, PmSpan *spans) {
  PmGeo g;
  pm_shape_geometry(s, &g);
  return pm_geo_spans(&g, m->w, m->h, spans);
}

/* Error change of adding s (its colour is solved and stored in s): rasterized and summed in
 * one pass, the same pm_eval_geo() the CUDA kernel runs. */
static double energy(const PmModel *m, PmShape *s, PmScratch *sc) {
  PmGeo g;
  pm_shape_geometry(s, &g);
  sc->evals++;
  return pm_eval_geo(&g, m->sums, m->w, m->h, s->rgba[3], s->rgba);
}

static void draw_spans(PmModel *m, const PmSpan *sp, int n, const uint8_t rgba[4]) {
  int64_t de = 0;
  m->version++;
  for (int i = 0, j; i < n; i = j) { /* spans come sorted by row, then x */
    size_t o = (size_t)sp[i].y * m->w * 3;
    for (j = i; j < n && sp[j].y == sp[i].y; j++) de += pm_blend_span(m->canvas + o, m->target + o, sp[j].x1, sp[j].x2, rgba);
    /* spans are sorted: the row's first is its leftmost, its last its rightmost */
    RowStale *st = &m->stale[sp[i].y];
    int x1 = sp[i].x1, x2 = sp[j - 1].x2;
    if (st->from >= m->w) *st = (RowStale){x1, x2};
    else *st = (RowStale){x1 < st->from ? x1 : st->from, x2 > st->to ? x2 : st->to};
  }
  m->err += de;
}

/* The background: the given colour, or the target's average. With `steady`, an average within
 * a few levels of the current background keeps it: every shape is blended over it, so a new
 * value would touch every pixel for nothing visible. */
static void fill_background(PmModel *m, int steady) {
  m->cp.valid = 0;
  if (m->cfg.use_background) {
    memcpy(m->bg, m->cfg.background, 3);
  } else {
    uint64_t sum[3] = {0, 0, 0};
    size_t np = (size_t)m->w * m->h;
    for (size_t i = 0; i < np; i++)
      for (int k = 0; k < 3; k++) sum[k] += m->target[3 * i + k];
    uint8_t avg[3];
    int far = 0;
    for (int k = 0; k < 3; k++) {
      avg[k] = (uint8_t)((sum[k] + np / 2) / np);
      far |= abs(avg[k] - m->bg[k]) > 3;
    }
    if (!steady || far) memcpy(m->bg, avg, 3);
  }
  size_t np = (size_t)m->w * m->h;
  for (size_t i = 0; i < np; i++) memcpy(m->canvas + 3 * i, m->bg, 3);
  update_all(m);
}

/* ---- search ---- */

/* Hill climbing: keep a mutation when it lowers the error, stop after max_age failures. */
static double climb(const PmModel *m, PmShape *best, double e, PmRng *r, int max_age, PmScratch *sc) {
  int auto_alpha = m->cfg.alpha == 0;
  for (int age = 0, n = 1; age < max_age; age++, n++) {
    if (n % STOP_CHECK_EVERY == 0 && pm_model_stopped(m)) break;
    PmShape c = *best;
    pm_shape_mutate(&c, r, m->w, m->h);
    pm_mutate_alpha(&c, r, auto_alpha);
    double ce = energy(m, &c, sc);
    if (ce < e) {
      e = ce;
      *best = c;
      age = -1;
    }
  }
  return e;
}

typedef struct {
  PmModel *m;
  uint64_t round;
  PmShape *best;
  double *delta;
} StepJob;

static void climb_task(void *ctx, int j, int worker) {
  StepJob *job = ctx;
  PmModel *m = job->m;
  PmScratch *sc = &m->scratch[worker];
  PmRng r;
  pm_rng_seed(&r, m->cfg.seed, job->round, (uint64_t)j);
  int alpha = m->cfg.alpha ? m->cfg.alpha : 128;
  PmShape best, c;
  double be = 1e300;
  for (int i = 0; i < m->cfg.candidates; i++) {
    if (i > 0 && i % STOP_CHECK_EVERY == 0 && pm_model_stopped(m)) break; /* one candidate at least */
    pm_shape_random(&c, m->cfg.kind, &r, m->w, m->h);
    c.rgba[3] = (uint8_t)alpha;
    double e = energy(m, &c, sc);
    if (i == 0 || e < be) {
      be = e;
      best = c;
    }
  }
  be = climb(m, &best, be, &r, m->cfg.max_age, sc);
  job->best[j] = best;
  job->delta[j] = be;
}

static void collect_evals(PmModel *m) {
  for (int i = 0; i < pm_pool_size(m->pool); i++) {
    m->evals += m->scratch[i].evals;
    m->scratch[i].evals = 0;
  }
}

static int push_shape(PmModel *m, const PmShape *s, double contrib) {
  if (m->nshapes == m->cap) {
    int cap = m->cap ? 2 * m->cap : 64;
    PmShape *ns = realloc(m->shapes, sizeof *ns * (size_t)cap);
    if (ns) m->shapes = ns;
    double *nc = realloc(m->contrib, sizeof *nc * (size_t)cap);
    if (nc) m->contrib = nc;
    double *nf = realloc(m->fitted, sizeof *nf * (size_t)cap);
    if (nf) m->fitted = nf;
    int *nu = realloc(m->unsettled, sizeof *nu * (size_t)cap);
    if (nu) m->unsettled = nu;
    if (!ns || !nc || !nf || !nu) return -1;
    m->cap = cap;
  }
  m->contrib[m->nshapes] = contrib;
  m->fitted[m->nshapes] = contrib;
  m->unsettled[m->nshapes] = PM_SETTLE_FRAMES;
  m->shapes[m->nshapes++] = *s;
  return 0;
}

/* The same effort spent the device's way: its climbers run side by side on multiprocessors that
 * would otherwise idle, while each climb's steps run one after another, so more and shorter climbs
 * cost it less time for the same or a better shape. Measured on an NVIDIA H100 (docs/cuda.md): 4x
 * the climbs at a third of the age made 100 triangles 16-35% faster, with an equal or better score,
 * on each of the shared images. */
#define DEVICE_CLIMBS_FACTOR 4
#define DEVICE_AGE_DIVISOR 3

/* The search on the device, when one is selected; a device that fails hands the search back to
 * the CPU for the rest of the model's life, and says so in pm_model_device(). */
static int device_search(PmModel *m, PmShape *out, double *delta_out) {
  const PmConfig *c = &m->cfg;
  int age = c->max_age / DEVICE_AGE_DIVISOR;
  int climbers = c->climbs <= INT_MAX / DEVICE_CLIMBS_FACTOR ? c->climbs * DEVICE_CLIMBS_FACTOR : INT_MAX;
  PmSearchView v = {m->w, m->h, m->target, m->canvas, m->err, m->version, c->kind, c->alpha, c->seed,
                    m->counter++, climbers, c->candidates, age > 0 ? age : 1};
  uint64_t evals = 0;
  char err[200];
  if (m->dev_ops->search(m->dev, &v, out, delta_out, &evals, err, sizeof err) == 0) {
    m->evals += evals;
    return 0;
  }
  snprintf(m->device_note, sizeof m->device_note, "cpu (%s failed: %s)", m->dev_ops->name, err);
  m->dev_ops->close(m->dev);
  m->dev_ops = NULL, m->dev = NULL;
  return -1;
}

/* Searches one shape over the current canvas; the best of cfg.climbs climbs, ties to the
 * lower climb index, so the thread count cannot change the outcome. Returns its error change
 * (into *delta_out); -1 when out of memory. */
static int search_shape(PmModel *m, PmShape *out, double *delta_out) {
  if (m->dev && device_search(m, out, delta_out) == 0) return 0;
  sync_sums(m);
  int nc = m->cfg.climbs;
  PmShape *best = malloc(sizeof *best * (size_t)nc);
  double *delta = malloc(sizeof *delta * (size_t)nc);
  if (!best || !delta) {
    free(best), free(delta);
    return -1;
  }
  StepJob job = {m, m->counter++, best, delta};
  pm_pool_run(m->pool, nc, climb_task, &job);
  collect_evals(m);
  int bi = 0;
  for (int j = 1; j < nc; j++)
    if (delta[j] < delta[bi]) bi = j;
  *out = best[bi];
  *delta_out = delta[bi];
  free(best), free(delta);
  return 0;
}

/* Draws s on top; `contrib` is its error change there (as energy() computed it). */
static void add_shape(PmModel *m, const PmShape *s, double contrib) {
  PmSpan *spans = m->scratch[0].spans;
  draw_spans(m, spans, shape_spans(m, s, spans), s->rgba);
  push_shape(m, s, contrib);
}

double pm_model_step(PmModel *m) {
  PmShape s;
  double d;
  if (pm_model_stopped(m) || search_shape(m, &s, &d) < 0) return pm_model_score(m);
  if (d >= 0.0 && pm_model_stopped(m)) return pm_model_score(m); /* cut short before it found one */
  add_shape(m, &s, d);
  for (int i = 0; i < m->cfg.repeat && !pm_model_stopped(m); i++) {
    PmRng r;
    pm_rng_seed(&r, m->cfg.seed, m->counter++, 0);
    sync_sums(m);
    double e0 = energy(m, &s, &m->scratch[0]);
    double e = climb(m, &s, e0, &r, m->cfg.max_age, &m->scratch[0]);
    collect_evals(m);
    if (!(e < e0) || e >= 0.0) break;
    add_shape(m, &s, e);
  }
  return pm_model_score(m);
}

/* ---- warm start ----
 *
 * A video frame starts from the previous frame's shapes, carried with the picture's motion
 * (motion.c). What users see as flicker is every change to a shape that the picture did not
 * ask for, so each change must pay: a shape is re-fitted (colour re-solved, a few mutations
 * tried) only while it is unsettled or pays clearly less than when it was last fitted, and a
 * change is kept only if it lowers the squared error by PM_VISIBLE_COST levels for every level
 * of visible change it makes, more where the picture only moved. A still picture therefore
 * settles and then repeats bit for bit, while the parts that move or change keep being
 * repaired. */

/* A change must lower the squared error (summed over pixels and channels, levels^2) by this
 * many levels for every level of visible change (summed |new - old|): a uniform error of
 * about this many levels is worth fixing, less is noise. */
#define PM_VISIBLE_COST 1.2
/* Where the picture only moved (its motion, motion.c, explains each pixel to within about
 * PM_CHANGE_LEVELS levels), the stylized picture should only move too: a change shows there at
 * up to PM_VISIBLE_STEADY levels of error per level, falling to PM_VISIBLE_COST where the picture
 * changed more than it moved. Measured on the clips of docs/benchmarks.md (with PM_DIRTY_REFINE
 * at 12, which gives back the fidelity this costs): every clip's warping error falls. */
#define PM_VISIBLE_STEADY 4.0
#define PM_CHANGE_LEVELS 3.0
/* A shape pays "clearly less" than when it was last fitted when its error change has lost
 * this share: the picture under it changed. */
#define PM_DIRTY_SHARE 0.05
/* A replacement must also lower the whole error by 1/PM_STEADY_GAIN of it. */
#define PM_STEADY_GAIN 1000
/* A shape whose picture changed under it sits near where it belongs (it was carried with the
 * motion) but no longer fits: it gets this many times the refinement tries, with vertex moves
 * this fraction of the search's (whose steps are for shapes found from random). Measured on the
 * clips of docs/benchmarks.md: both warping error and fidelity improve; settled shapes keep the
 * plain refinement, as smaller moves there would show as jitter that pays a little. 12 rather
 * than 4 since changes cost more where the picture only moved (PM_VISIBLE_STEADY): the refits
 * that still pay must find better fits, and the full search runs 17-30% slower for it. */
#define PM_DIRTY_REFINE 12
#define PM_DIRTY_MOVE 0.25f

typedef struct {
  PmModel *m;
  uint64_t round;
  const PmShape *start;
  int tries;
  PmShape best[4];
  double delta[4];
  float move; /* scale of the vertex moves */
} RefineJob;

static void refine_task(void *ctx, int j, int worker) {
  RefineJob *job = ctx;
  PmScratch *sc = &job->m->scratch[worker];
  PmRng r;
  pm_rng_seed(&r, job->m->cfg.seed, job->round, (uint64_t)j);
  PmShape best = *job->start;
  double e = energy(job->m, &best, sc);
  int auto_alpha = job->m->cfg.alpha == 0;
  float step = 4.0f * pm_unit(job->m->w, job->m->h);
  for (int i = 0; i < job->tries; i++) {
    if (i % STOP_CHECK_EVERY == STOP_CHECK_EVERY - 1 && pm_model_stopped(job->m)) break;
    PmShape c = best;
    if (i % 2) { /* every other try moves the whole shape a little (x drawn before y) */
      float dx = pm_rng_normal(&r) * step, dy = pm_rng_normal(&r) * step;
      pm_shape_translate(&c, dx, dy);
    } else {
      pm_shape_mutate(&c, &r, job->m->w, job->m->h);
      if (job->move != 1.0f) {
        PmShape near = c;
        for (int k = 0; k < 8; k++) near.p[k] = best.p[k] + job->move * (c.p[k] - best.p[k]);
        if (pm_shape_valid_as(&near, near.kind)) c = near;
      }
      pm_mutate_alpha(&c, &r, auto_alpha);
    }
    double ce = energy(job->m, &c, sc);
    if (ce < e) {
      e = ce;
      best = c;
    }
  }
  job->best[j] = best;
  job->delta[j] = e;
}

/* The sums under s, from the pixels (the prefix sums may be stale): the integers
 * pm_eval_geo() adds up from them, so the same colour and error change. */
static void pixel_sums(const PmModel *m, const PmShape *s, PmScratch *sc, PmAcc *acc) {
  PmSpan *spans = sc->spans;
  int n = shape_spans(m, s, spans);
  *acc = (PmAcc){{0, 0, 0}, {0, 0, 0}, 0, 0, 0};
  for (int i = 0; i < n; i++) {
    size_t o = (size_t)spans[i].y * m->w * 3;
    PmSums span = {{0, 0, 0}, {0, 0, 0}, 0, 0}; /* a span of at most w pixels fits 32 bits */
    pm_span_sums(m->target + o, m->canvas + o, spans[i].x1, spans[i].x2, &span);
    for (int k = 0; k < 3; k++) acc->st[k] += span.t[k], acc->sc[k] += span.c[k];
    acc->scc += span.cc;
    acc->stc += span.tc;
    acc->n += spans[i].x2 - spans[i].x1;
  }
  sc->evals++;
}

static inline double pixel_change_cost(const PmModel *m, size_t i) {
  return m->change_cost_set ? m->change_cost[i] : PM_VISIBLE_COST;
}

/* What it costs to show the change if `from`, drawn over the current canvas, is replaced by
 * `to`: the sum over pixels and channels of |new - old| (levels, unrounded blends), each pixel's
 * levels at its cost. */
static double change_cost(PmModel *m, const PmShape *from, const PmShape *to) {
  PmSpan *a = m->scratch[0].spans, *b = m->spans2;
  int na = shape_spans(m, from, a), nb = shape_spans(m, to, b), ia = 0, ib = 0;
  double fa = from->rgba[3] / 255.0, ta = to->rgba[3] / 255.0, v = 0.0;
  uint8_t *mark = m->row_marks;
  while (ia < na || ib < nb) {
    int y = ia < na && (ib >= nb || a[ia].y <= b[ib].y) ? a[ia].y : b[ib].y, lo = m->w, hi = 0;
    for (; ia < na && a[ia].y == y; ia++) {
      for (int x = a[ia].x1; x < a[ia].x2; x++) mark[x] |= 1;
      lo = a[ia].x1 < lo ? a[ia].x1 : lo, hi = a[ia].x2 > hi ? a[ia].x2 : hi;
    }
    for (; ib < nb && b[ib].y == y; ib++) {
      for (int x = b[ib].x1; x < b[ib].x2; x++) mark[x] |= 2;
      lo = b[ib].x1 < lo ? b[ib].x1 : lo, hi = b[ib].x2 > hi ? b[ib].x2 : hi;
    }
    const uint8_t *c = m->canvas + (size_t)y * m->w * 3;
    for (int x = lo; x < hi; x++) {
      double levels = 0.0;
      for (int k = 0; k < 3; k++) {
        double under = c[3 * x + k];
        double was = mark[x] & 1 ? under + fa * (from->rgba[k] - under) : under;
        double now = mark[x] & 2 ? under + ta * (to->rgba[k] - under) : under;
        levels += fabs(now - was);
      }
      v += levels * pixel_change_cost(m, (size_t)y * m->w + x);
      mark[x] = 0;
    }
  }
  return v;
}

/* A plain refit (no refinement) of shapes it has just refitted leaves them as they are: each
 * meets the canvas it was fitted on, so it pays what it was last fitted at, and its colour is
 * already the one solved there or one that did not pay for what it shows. So the replacement
 * rounds, which refit the list less one shape, start from a canvas kept part-way through the last
 * plain refit, at the last checkpoint before the first shape that differs. */
#define CHECKPOINTS 8

static void save_checkpoint(PmModel *m, int c) {
  Checkpoints *cp = &m->cp;
  size_t bytes = (size_t)m->w * m->h * 3;
  if (c > cp->cap) {
    uint8_t *canvas = realloc(cp->canvas, bytes * (size_t)c);
    if (canvas) cp->canvas = canvas;
    int64_t *err = realloc(cp->err, sizeof *err * (size_t)c);
    if (err) cp->err = err;
    if (!canvas || !err) return; /* no memory: refits start from the background */
    cp->cap = c;
  }
  memcpy(cp->canvas + bytes * (size_t)(c - 1), m->canvas, bytes);
  cp->err[c - 1] = m->err;
  cp->valid = c;
}

/* How many of src's first shapes a plain refit can take from a checkpoint (restored), or 0. */
static int resume_refit(PmModel *m, const ShapeList *src, int n) {
  Checkpoints *cp = &m->cp;
  int same = 0, most = n < m->nshapes ? n : m->nshapes;
  if (cp->valid == 0) return 0;
  while (same < most && !memcmp(&src->shapes[same], &m->shapes[same], sizeof *src->shapes) &&
         src->fitted[same] == m->fitted[same] && src->unsettled[same] == m->unsettled[same])
    same++;
  int c = same / cp->every < cp->valid ? same / cp->every : cp->valid;
  if (c == 0) return 0;
  size_t bytes = (size_t)m->w * m->h * 3;
  memcpy(m->canvas, cp->canvas + bytes * (size_t)(c - 1), bytes);
  m->err = cp->err[c - 1];
  m->version++;
  mark_all_stale(m);
  cp->valid = c;
  return c * cp->every;
}

/* Rebuilds the canvas from `src` (n shapes with their bookkeeping). Shapes that are settled
 * and still pay as they did when last fitted are drawn as they are; the others get their colour
 * re-solved against the canvas below and, with refine_tries, that many mutations, and the
 * change is kept if it pays for what it shows. Shapes that no longer lower the error are
 * dropped. The result replaces the model's list (src must not be it). Returns how many of the
 * shapes it refitted had the picture change under them (a plain refit may take its first ones
 * from a checkpoint, as they are). */
static int refit(PmModel *m, const ShapeList *src, int n, int shape_count, int refine_tries) {
  int every = shape_count / CHECKPOINTS > 8 ? shape_count / CHECKPOINTS : 8;
  int kept = 0, changed = 0;
  if (refine_tries == 0 && m->cp.every == every) kept = resume_refit(m, src, n);
  if (kept == 0) fill_background(m, 1);
  m->cp.every = every;
  PmSpan *spans = m->scratch[0].spans;
  for (int i = kept; i < n && kept < shape_count; i++) {
    PmShape s = src->shapes[i];
    if (m->cfg.alpha) s.rgba[3] = (uint8_t)m->cfg.alpha;
    PmAcc under;
    pixel_sums(m, &s, &m->scratch[0], &under);
    double d = pm_acc_delta(&under, s.rgba[3], s.rgba), fitted = src->fitted[i];
    int unsettled = src->unsettled[i];
    int dirty = !(d < 0.0 && d <= fitted * (1.0 - PM_DIRTY_SHARE));
    changed += dirty;
    /* out of time: the rest stays as it was (a shape that stopped paying still goes) */
    if ((dirty || unsettled > 0) && !pm_model_stopped(m)) {
      PmShape t = s;
      double e;
      if (refine_tries > 0) {
        /* A fixed number of climbs, so the result does not depend on the thread count. */
        int tries = dirty ? PM_DIRTY_REFINE * refine_tries : refine_tries;
        sync_sums(m);
        RefineJob job = {m, m->counter++, &s, (tries + 3) / 4, {{0}}, {0}, dirty ? PM_DIRTY_MOVE : 1.0f};
        pm_pool_run(m->pool, 4, refine_task, &job);
        int bi = 0;
        for (int j = 1; j < 4; j++)
          if (job.delta[j] < job.delta[bi]) bi = j;
        t = job.best[bi];
        e = job.delta[bi];
      } else {
        m->scratch[0].evals++;
        e = pm_acc_solve(&under, t.rgba[3], t.rgba); /* = energy(m, &t, ...) */
      }
      if (e < d && (d >= 0.0 || d - e > change_cost(m, &s, &t))) {
        s = t, d = e;
        unsettled = PM_SETTLE_FRAMES;
      } else if (refine_tries > 0 && unsettled > 0) {
        unsettled--;
      }
      fitted = d; /* the best this frame allows: the reference from now on */
    }
    if (d >= 0.0) continue; /* no longer pays */
    draw_spans(m, spans, shape_spans(m, &s, spans), s.rgba);
    m->contrib[kept] = d;
    m->fitted[kept] = fitted;
    m->unsettled[kept] = unsettled;
    m->shapes[kept++] = s;
    if (refine_tries == 0 && kept % every == 0 && kept / every == m->cp.valid + 1) save_checkpoint(m, kept / every);
  }
  collect_evals(m);
  m->nshapes = kept;
  return changed;
}

static int list_alloc(ShapeList *l, int n) {
  l->shapes = malloc(sizeof *l->shapes * (size_t)n);
  l->fitted = malloc(sizeof *l->fitted * (size_t)n);
  l->unsettled = malloc(sizeof *l->unsettled * (size_t)n);
  return l->shapes && l->fitted && l->unsettled ? 0 : -1;
}

static void list_free(ShapeList *l) { free(l->shapes), free(l->fitted), free(l->unsettled); }

static void list_save(const PmModel *m, ShapeList *l) {
  int n = m->nshapes;
  if (n == 0) return; /* the model's arrays may not exist yet, and memcpy wants pointers */
  memcpy(l->shapes, m->shapes, sizeof *l->shapes * (size_t)n);
  memcpy(l->fitted, m->fitted, sizeof *l->fitted * (size_t)n);
  memcpy(l->unsettled, m->unsettled, sizeof *l->unsettled * (size_t)n);
}

static void list_remove(ShapeList *l, int n, int i) {
  memmove(l->shapes + i, l->shapes + i + 1, sizeof *l->shapes * (size_t)(n - 1 - i));
  memmove(l->fitted + i, l->fitted + i + 1, sizeof *l->fitted * (size_t)(n - 1 - i));
  memmove(l->unsettled + i, l->unsettled + i + 1, sizeof *l->unsettled * (size_t)(n - 1 - i));
}

/* Moving content leaves shapes that still pay a little where they are, while the new
 * position of the content has none. One round: drop the shape that pays least, search a new one
 * on top, and keep the change only if the whole picture gained, by more than it shows (so a
 * still picture settles). The contributions recorded when the shapes were drawn are those of
 * this canvas. Returns 1 when replaced, 0 when there was nothing to do, -1 when the change did
 * not pay (the model then holds it: the caller undoes it). */
static int replace_weakest(PmModel *m, int shape_count, ShapeList *saved) {
  int n = m->nshapes;
  if (n == 0 || n < shape_count) return 0;
  list_save(m, saved);
  int weakest = 0;
  for (int i = 1; i < n; i++)
    if (m->contrib[i] > m->contrib[weakest]) weakest = i;
  /* something stopped paying, or the list is over-full: drop, and let the top-up handle it */
  if (m->contrib[weakest] >= 0.0 || n > shape_count) {
    refit(m, saved, n, shape_count, 0);
    return 0;
  }
  int64_t before = m->err;
  size_t bytes = (size_t)m->w * m->h * 3;
  memcpy(m->canvas_before, m->canvas, bytes);
  list_remove(saved, n, weakest);
  refit(m, saved, n - 1, shape_count, 0);
  pm_model_step(m);
  if (m->err >= before - before / PM_STEADY_GAIN) return -1;
  double cost = 0.0;
  for (size_t i = 0; i < bytes; i += 3) {
    int levels = abs(m->canvas[i] - m->canvas_before[i]) + abs(m->canvas[i + 1] - m->canvas_before[i + 1]) +
                 abs(m->canvas[i + 2] - m->canvas_before[i + 2]);
    if (levels) cost += levels * pixel_change_cost(m, i / 3);
  }
  return (double)(before - m->err) > cost ? 1 : -1;
}

/* Moves every shape with the picture's motion since the previous target: the global map, then
 * the residual translation of the blocks under it. Shapes on still ground stay bit-identical. */
static void carry_shapes(PmModel *m) {
  if (!m->motion_pending) return;
  m->motion_pending = 0;
  if (!m->motion) {
    int bs = pm_motion_block(m->w, m->h);
    m->motion = pm_motion_new(m->w, m->h);
    m->block_weights = malloc(sizeof *m->block_weights * (size_t)((m->w + bs - 1) / bs) * ((m->h + bs - 1) / bs));
    m->change_cost = malloc(sizeof *m->change_cost * (size_t)m->w * m->h * 2);
    if (!m->motion || !m->block_weights || !m->change_cost) { /* no memory: the shapes stay where they were */
      pm_motion_free(m->motion), free(m->block_weights), free(m->change_cost);
      m->motion = NULL, m->block_weights = NULL, m->change_cost = NULL;
      return;
    }
  }
  float a[6];
  const PmMotionField *f = pm_motion_estimate(m->motion, m->prev_target, m->target, a, m->pool);
  float *unexplained = m->change_cost + (size_t)m->w * m->h;
  pm_motion_unexplained(f, a, m->prev_target, m->target, m->w, m->h, unexplained, m->change_cost, m->pool);
  for (size_t i = 0; i < (size_t)m->w * m->h; i++) {
    float q = unexplained[i] / PM_CHANGE_LEVELS;
    m->change_cost[i] = (float)(PM_VISIBLE_COST + (PM_VISIBLE_STEADY - PM_VISIBLE_COST) / (1.0 + q * q));
  }
  m->change_cost_set = 1;
  int global = a[0] != 0.0f || a[3] != 0.0f || a[1] != 1.0f || a[2] != 0.0f || a[4] != 0.0f || a[5] != 1.0f;
  PmSpan *spans = m->scratch[0].spans;
  for (int i = 0; i < m->nshapes; i++) {
    float dx, dy;
    pm_motion_shape_offset(f, spans, shape_spans(m, &m->shapes[i], spans), m->block_weights, &dx, &dy);
    if (global) pm_shape_transform(&m->shapes[i], a);
    if (dx != 0.0f || dy != 0.0f) pm_shape_translate(&m->shapes[i], dx, dy);
  }
}

double pm_model_warm_start(PmModel *m, int shape_count, int refine_tries, int replace_rounds) {
  carry_shapes(m);
  int n = m->nshapes, cap = (n > shape_count ? n : shape_count) + 1;
  ShapeList orig = {0}, saved = {0};
  if (list_alloc(&orig, cap) < 0 || list_alloc(&saved, cap) < 0) {
    list_free(&orig), list_free(&saved);
    return pm_model_score(m);
  }
  list_save(m, &orig);
  double refit_cost = pm_now();
  if (refit(m, &orig, n, shape_count, refine_tries) > 0 || m->nshapes < shape_count) m->idle_rounds = 0;
  refit_cost = pm_now() - refit_cost;
  while (m->nshapes < shape_count && !pm_model_stopped(m)) pm_model_step(m);
  /* a still picture stops trying replacements once they no longer pay */
  for (int r = 0; r < replace_rounds && m->idle_rounds < PM_SETTLE_FRAMES && !pm_model_stopped(m); r++) {
    int k = m->nshapes;
    if (k >= cap) break; /* cfg.repeat can overfill the list: nothing to replace then */
    /* A round cannot stop half-way (its refits redraw every shape): under a deadline, start one
     * only if it can end in time, by the last round's cost or, before any, this frame's refit. */
    double t0 = pm_now();
    if (m->deadline > 0.0 && t0 + (m->round_cost > 0.0 ? m->round_cost : refit_cost) > m->deadline) break;
    list_save(m, &orig);
    int got = replace_weakest(m, shape_count, &saved);
    if (got < 0) refit(m, &orig, k, shape_count, 0); /* undo */
    m->round_cost = pm_now() - t0;
    if (got < 0) {
      if (r == 0) m->idle_rounds++;
      break;
    }
    m->idle_rounds = 0;
    if (got == 0) break;
  }
  list_free(&orig), list_free(&saved);
  while (m->nshapes < shape_count && !pm_model_stopped(m)) pm_model_step(m);
  return pm_model_score(m);
}

/* ---- life cycle ---- */

static int alloc_images(PmModel *m, int w, int h) {
  free(m->target), free(m->canvas), free(m->sums), free(m->stale), free(m->prev_target), free(m->block_weights);
  free(m->change_cost);
  pm_motion_free(m->motion);
  m->prev_target = NULL, m->motion = NULL, m->block_weights = NULL, m->change_cost = NULL;
  m->change_cost_set = 0;
  m->w = w;
  m->h = h;
  m->target = malloc((size_t)w * h * 3);
  m->canvas = malloc((size_t)w * h * 3);
  /* on cache lines: a 32-byte entry at a 16-byte offset would straddle two lines in every other
   * read the search makes */
  m->sums = aligned_alloc(64, (sizeof *m->sums * (size_t)(w + 1) * h + 63) / 64 * 64);
  m->stale = malloc(sizeof *m->stale * (size_t)h);
  free(m->spans2), free(m->row_marks), free(m->canvas_before), free(m->cp.canvas), free(m->cp.err);
  m->cp = (Checkpoints){0};
  m->canvas_before = malloc((size_t)w * h * 3);
  m->spans2 = malloc(sizeof(PmSpan) * (size_t)h * PM_MAX_INTERVALS);
  m->row_marks = calloc((size_t)w, 1);
  if (!m->spans2 || !m->row_marks || !m->canvas_before) return -1;
  for (int i = 0; i < pm_pool_size(m->pool); i++) {
    free(m->scratch[i].spans);
    m->scratch[i].spans = malloc(sizeof(PmSpan) * (size_t)h * PM_MAX_INTERVALS);
    if (!m->scratch[i].spans) return -1;
  }
  if (!m->target || !m->canvas || !m->sums || !m->stale) return -1;
  mark_all_stale(m);
  return 0;
}

/* Moves the shapes to a new working size. */
static void scale_shapes(PmModel *m, float sx, float sy) {
  float sa = 0.5f * (sx + sy);
  for (int i = 0; i < m->nshapes; i++) {
    PmShape *s = &m->shapes[i];
    switch (s->kind) {
    case PM_SHAPE_TRIANGLE: case PM_SHAPE_RECTANGLE: case PM_SHAPE_POLYGON: case PM_SHAPE_BEZIER:
      for (int k = 0; k < 8; k += 2) {
        s->p[k] *= sx;
        s->p[k + 1] *= sy;
      }
      if (s->kind == PM_SHAPE_BEZIER) s->p[6] = pm_clampf(s->p[6] / sy * sa, 0.1f, 1e4f);
      break;
    case PM_SHAPE_ELLIPSE: case PM_SHAPE_ROTATED_ELLIPSE:
      s->p[0] *= sx, s->p[1] *= sy;
      s->p[2] *= s->kind == PM_SHAPE_ELLIPSE ? sx : sa;
      s->p[3] *= s->kind == PM_SHAPE_ELLIPSE ? sy : sa;
      break;
    default: /* circle, rotated rectangle */
      s->p[0] *= sx, s->p[1] *= sy, s->p[2] *= sa, s->p[3] *= sa;
    }
  }
}

/* The input down to the working size: on the device where there is one (it is the big frame's
 * work), else here; both give the same bytes. */
static int downscale(PmModel *m, const PmFrame *f, int ww, int wh) {
  char err[200];
  if (m->dev && m->dev_ops->downscale && m->dev_ops->downscale(m->dev, f, ww, wh, m->target, err, sizeof err) == 0)
    return 0;
  return pm_frame_downscale(f, ww, wh, m->target, m->pool);
}

int pm_model_load_target(PmModel *m, const PmFrame *f, char *err, size_t errlen) {
  if (pm_frame_check(f, err, errlen) < 0) return -1;
  int ww, wh;
  pm_working_size(f->width, f->height, m->cfg.working_size, &ww, &wh);
  if (ww != m->w || wh != m->h) {
    if (m->w > 0) scale_shapes(m, (float)ww / m->w, (float)wh / m->h);
    if (alloc_images(m, ww, wh) < 0) {
      snprintf(err, errlen, "out of memory for a %dx%d working image", ww, wh);
      return -1;
    }
  }
  /* Keep the old target to measure the change (scene cuts); a new size counts as a cut. */
  int have_prev = m->prev_target != NULL;
  if (!have_prev) m->prev_target = malloc((size_t)ww * wh * 3);
  else memcpy(m->prev_target, m->target, (size_t)ww * wh * 3);
  m->version++;
  if (!m->prev_target || downscale(m, f, ww, wh) < 0) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  m->target_change = 255.0;
  m->motion_pending = have_prev;
  m->change_cost_set = 0;
  m->cp.valid = 0;
  if (have_prev) {
    uint64_t sum = 0;
    for (size_t i = 0; i < (size_t)ww * wh * 3; i++) sum += (uint64_t)abs(m->target[i] - m->prev_target[i]);
    m->target_change = (double)sum / ((double)ww * wh * 3);
  }
  return 0;
}

int pm_model_set_target(PmModel *m, const PmFrame *f, char *err, size_t errlen) {
  if (pm_model_load_target(m, f, err, errlen) < 0) return -1;
  /* Replay the shapes with their current colours so the canvas and error stay consistent. */
  fill_background(m, 0);
  PmSpan *spans = m->scratch[0].spans;
  for (int i = 0; i < m->nshapes; i++) draw_spans(m, spans, shape_spans(m, &m->shapes[i], spans), m->shapes[i].rgba);
  return 0;
}

PmModel *pm_model_new(const PmConfig *cfg, const PmFrame *target, char *err, size_t errlen) {
  if (!cfg) {
    snprintf(err, errlen, "no configuration");
    return NULL;
  }
  PmModel *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->cfg = *cfg;
  config_defaults(&m->cfg);
  m->pool = pm_pool_new(m->cfg.threads);
  m->scratch = calloc((size_t)pm_pool_size(m->pool), sizeof *m->scratch);
  if (pm_device_open(m->cfg.device, &m->dev_ops, &m->dev, m->device_note, sizeof m->device_note) < 0) {
    snprintf(err, errlen, "%s", m->device_note);
    pm_model_free(m);
    return NULL;
  }
  if (!m->pool || !m->scratch || pm_model_set_target(m, target, err, errlen) < 0) {
    pm_model_free(m);
    return NULL;
  }
  return m;
}

void pm_model_free(PmModel *m) {
  if (!m) return;
  if (m->dev) m->dev_ops->close(m->dev);
  if (m->scratch)
    for (int i = 0; i < pm_pool_size(m->pool); i++) free(m->scratch[i].spans);
  free(m->scratch);
  pm_pool_free(m->pool);
  free(m->target), free(m->canvas), free(m->sums), free(m->stale), free(m->shapes), free(m->contrib), free(m->prev_target);
  free(m->fitted), free(m->unsettled), free(m->block_weights), free(m->change_cost), free(m->spans2), free(m->row_marks);
  free(m->canvas_before);
  free(m->cp.canvas), free(m->cp.err);
  pm_motion_free(m->motion);
  free(m);
}

void pm_model_reset(PmModel *m) {
  m->nshapes = 0;
  m->counter = 0; /* a cold start repeats exactly, whatever came before */
  m->motion_pending = 0;
  m->idle_rounds = 0;
  fill_background(m, 0);
}

void pm_model_configure(PmModel *m, const PmConfig *cfg) {
  int threads = m->cfg.threads;
  PmDevice device = m->cfg.device;
  m->cfg = *cfg;
  m->cfg.threads = threads; /* fixed for the model's life, as is the device; a new working size
                               applies at the next pm_model_set_target() */
  m->cfg.device = device;
  config_defaults(&m->cfg);
  m->cp.valid = 0;
}

double pm_model_score(const PmModel *m) {
  return sqrt((double)m->err / (4.0 * m->w * m->h)) / 255.0;
}

double pm_model_psnr(const PmModel *m) {
  double mse = (double)m->err / (3.0 * m->w * m->h);
  return mse <= 0.0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

int pm_model_shape_count(const PmModel *m) { return m->nshapes; }
const PmShape *pm_model_shapes(const PmModel *m) { return m->shapes; }
void pm_model_background(const PmModel *m, uint8_t rgb[3]) { memcpy(rgb, m->bg, 3); }
void pm_model_working_size(const PmModel *m, int *w, int *h) {
  *w = m->w;
  *h = m->h;
}
uint64_t pm_model_evaluations(const PmModel *m) { return m->evals; }
const char *pm_model_device(const PmModel *m) { return m->device_note; }
double pm_model_target_change(const PmModel *m) { return m->target_change; }
const uint8_t *pm_model_canvas(const PmModel *m, int *stride) {
  if (stride) *stride = m->w * 3;
  return m->canvas;
}
PmPool *pm_model_pool(const PmModel *m) { return m->pool; }

double pm_model_eval(PmModel *m, PmShape *s) {
  sync_sums(m);
  double d = energy(m, s, &m->scratch[0]);
  collect_evals(m);
  return d;
}
void pm_model_add(PmModel *m, const PmShape *s) {
  PmShape solved = *s;
  sync_sums(m);
  add_shape(m, s, energy(m, &solved, &m->scratch[0]));
}
int64_t pm_model_error(const PmModel *m) { return m->err; }
const uint8_t *pm_model_target(const PmModel *m) { return m->target; }
const void *pm_model_sums(PmModel *m) {
  sync_sums(m);
  return m->sums;
}
PmDeviceHandle *pm_model_device_handle(const PmModel *m) { return m->dev; }
const PmDeviceOps *pm_model_device_ops(const PmModel *m) { return m->dev_ops; }
