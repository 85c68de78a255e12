/* The device search: one shape per step, found by many hill climbers at once, drawn, and the
 * rows it touched re-summed, with all state (target, canvas, row prefix sums) resident on the
 * device. Written once, as PM_HD phase functions over (block, thread) indices: search.cu's
 * kernels call them between block barriers, and search_emu.c runs the same phases in the same
 * order with plain loops over the grid, so the CPU emulation finds the GPU's shapes bit for bit.
 *
 * Kernel 1, one block per climber, PM_DEV_THREADS candidate slots of `lanes` threads each:
 *   random   each slot evaluates its share of the climber's random candidates
 *   argmin   the block's best (exact: ties go to the lower thread)
 *   take     the winner thread's shape becomes the climber's current shape
 *   repeat until PM_DEV_THREADS * (failed steps in a row) reaches max_age, as on the CPU:
 *     mutate   each thread evaluates one mutation of the current shape
 *     argmin
 *     accept   the winner replaces the current shape if it lowers the error; else the age grows
 *   finish   the climber's result
 * Kernel 2, one block of PM_DEV_DRAW_THREADS: the best climber (ties to the lower index), its
 * shape drawn one row per thread, each drawn row's prefix sums rebuilt by the same thread, and
 * the error change summed in integers. (On the GPU the pick is this block and the draw a warp per
 * row over a grid, see search.cu: the same pixels and integer sums.)
 * Nothing sums floating-point values across threads: a candidate's lanes add integer sums, from
 * which each computes the error change as pm_eval_geo does, and the argmins compare exactly with
 * a total order. */
#ifndef PM_SEARCH_H
#define PM_SEARCH_H

#include <float.h>
#include <limits.h>

#include "internal.h"

#define PM_DEV_THREADS 64       /* candidates per climber: mutations evaluated per step (power of 2) */
/* On the GPU, `lanes` threads (a power of 2 up to 32, within one warp) evaluate each candidate
 * together, each over every lanes-th row of it, their integer sums added by warp shuffles: a
 * step's 64 candidates then cost a few rows' memory latency each instead of all their rows'.
 * Every lane of a candidate runs the same random stream, so all hold the same shape, and lane 0
 * alone writes the block's shared state. The emulation has one lane per candidate: the sums are
 * integers, so the result is the same whatever the lanes. */
#define PM_DEV_DRAW_THREADS 256 /* threads of the pick-and-draw block (power of 2) */
#define PM_DEV_MAX_STEPS 100000 /* a bound on one climb, against a runaway kernel */

/* The device's copy of the model: device memory on a GPU, host memory when emulated. */
typedef struct {
  PmShape shape;
  double delta;
  unsigned long long evals;
} PmDevResult;

typedef struct {
  int w, h;
  uint8_t *target, *canvas; /* RGB, w * h */
  PmSums *sums;             /* h rows of w + 1 */
  long long *err;           /* the squared error of canvas against target */
  PmDevResult *climbs;      /* one per climber */
  PmDevResult *pick;        /* the step's shape, its error change, the step's evaluations */
} PmDevState;

typedef struct {
  int kind, alpha, candidates, max_age, climbers;
  unsigned long long seed, round;
} PmDevParams;

/* Shared memory of a climber's block, and one thread's own state (registers on a GPU). */
typedef struct {
  PmShape cur;
  double cur_d;
  double d[PM_DEV_THREADS];
  int idx[PM_DEV_THREADS];
  int age, steps, done;
} PmDevBlock;

typedef struct {
  PmRng rng;
  PmShape cand;
} PmDevThread;

typedef struct {
  double d[PM_DEV_DRAW_THREADS];
  int idx[PM_DEV_DRAW_THREADS];
  long long de[PM_DEV_DRAW_THREADS];
  PmShape shape;
  PmGeo geo;
  PmEdgeSet es;
  int ya, yb, any;
} PmDevDrawBlock;

static inline PM_HD PmDevParams pm_dev_params(const PmSearchView *v) {
  PmDevParams p;
  p.kind = v->kind;
  p.alpha = v->alpha;
  p.candidates = v->candidates > 0 ? v->candidates : 1;
  p.max_age = v->max_age > 0 ? v->max_age : 1;
  p.climbers = v->climbs > 0 ? v->climbs : 1;
  p.seed = v->seed;
  p.round = v->round;
  return p;
}

/* The order of the argmins: lower error, then lower index. NaN (never expected) sorts last, so
 * the order stays total and any reduction tree gives the same winner. */
static inline PM_HD double pm_dev_key(double d) { return d == d ? d : DBL_MAX; }
static inline PM_HD int pm_dev_better(double da, int ia, double db, int ib) {
  return da < db || (da == db && ia < ib);
}

/* The kind of every shape of the search, or the shape's own under PM_SHAPE_ANY. A kernel built
 * for one kind sets p->kind to a constant, and the switches over the kind fold away. */
static inline PM_HD int pm_dev_kind(const PmDevParams *p, const PmShape *s) {
  return p->kind > PM_SHAPE_ANY && p->kind < PM_SHAPE_KIND_COUNT ? p->kind : (int)s->kind;
}

/* The lanes' sums of one candidate added up in every lane (a butterfly over the lanes, which are
 * consecutive threads of one warp); nothing to do with one lane. */
static inline PM_HD void pm_dev_acc_reduce(PmAcc *acc, int lanes) {
#if defined(__CUDA_ARCH__)
  if (lanes > 1) {
    unsigned group = lanes >= 32 ? 0xffffffffu : (1u << lanes) - 1u;
    unsigned mask = group << ((threadIdx.x & 31u) & ~(unsigned)(lanes - 1));
    for (int o = lanes / 2; o > 0; o >>= 1) {
      for (int k = 0; k < 3; k++) {
        acc->st[k] += __shfl_xor_sync(mask, acc->st[k], o, lanes);
        acc->sc[k] += __shfl_xor_sync(mask, acc->sc[k], o, lanes);
      }
      acc->scc += __shfl_xor_sync(mask, acc->scc, o, lanes);
      acc->stc += __shfl_xor_sync(mask, acc->stc, o, lanes);
      acc->n += __shfl_xor_sync(mask, acc->n, o, lanes);
    }
  }
#else
  (void)acc, (void)lanes;
#endif
}

/* A candidate's error change, its colour solved into s->rgba: the CPU search's energy()
 * (pm_eval_geo), its rows shared among the candidate's lanes. */
static inline PM_HD double pm_dev_energy(const PmDevParams *p, const PmDevState *st, PmShape *s, int lane,
                                         int lanes) {
  PmGeo g;
  PmEdgeSet es;
  PmAcc acc = {{0, 0, 0}, {0, 0, 0}, 0, 0, 0};
  int ya, yb;
  pm_shape_geometry_as(s, pm_dev_kind(p, s), &g);
  if (pm_geo_rows(&g, st->w, st->h, &ya, &yb, &es))
    pm_eval_geo_rows(&g, &es, ya, yb, st->sums, st->w, lane, lanes, &acc);
  pm_dev_acc_reduce(&acc, lanes);
  return pm_dev_key(pm_acc_solve(&acc, s->rgba[3], s->rgba));
}

/* One stage of a block argmin: slot t takes slot t + stride when that is better. Slots >= stride
 * are only read, so the threads of a stage never race, and a loop over t runs it exactly. */
static inline PM_HD void pm_dev_argmin_stage(double *d, int *idx, int t, int stride) {
  if (t < stride && pm_dev_better(d[t + stride], idx[t + stride], d[t], idx[t])) {
    d[t] = d[t + stride];
    idx[t] = idx[t + stride];
  }
}

/* ---- kernel 1: the climbers ---- */

static inline PM_HD void pm_dev_random_phase(const PmDevParams *p, const PmDevState *st, PmDevBlock *b,
                                             PmDevThread *th, int block, int t, int lane,
                                             int lanes) {
  pm_rng_seed(&th->rng, p->seed, p->round, ((unsigned long long)block << 32) | (unsigned)t);
  int alpha = p->alpha ? p->alpha : 128;
  double best = DBL_MAX;
  for (int i = t; i < p->candidates; i += PM_DEV_THREADS) {
    PmShape c;
    pm_shape_random_hd(&c, (PmShapeKind)p->kind, &th->rng, st->w, st->h);
    c.rgba[3] = (uint8_t)alpha;
    double e = pm_dev_energy(p, st, &c, lane, lanes);
    if (i == t || e < best) {
      best = e;
      th->cand = c;
    }
  }
  if (lane) return;
  b->d[t] = best; /* DBL_MAX for a thread without candidates: it cannot win */
  b->idx[t] = t;
  if (t == 0) b->age = b->steps = b->done = 0;
}

static inline PM_HD void pm_dev_take_phase(PmDevBlock *b, const PmDevThread *th, int t, int lane) {
  if (t != b->idx[0] || lane) return;
  b->cur = th->cand;
  b->cur_d = b->d[0];
}

static inline PM_HD void pm_dev_mutate_phase(const PmDevParams *p, const PmDevState *st, PmDevBlock *b,
                                             PmDevThread *th, int t, int lane, int lanes) {
  th->cand = b->cur;
  pm_shape_mutate_as(&th->cand, pm_dev_kind(p, &th->cand), &th->rng, st->w, st->h);
  pm_mutate_alpha(&th->cand, &th->rng, p->alpha == 0);
  double e = pm_dev_energy(p, st, &th->cand, lane, lanes);
  if (lane) return;
  b->d[t] = e;
  b->idx[t] = t;
}

static inline PM_HD void pm_dev_accept_phase(const PmDevParams *p, PmDevBlock *b, const PmDevThread *th, int t,
                                             int lane) {
  if (t != b->idx[0] || lane) return;
  b->steps++;
  if (b->d[0] < b->cur_d) {
    b->cur = th->cand;
    b->cur_d = b->d[0];
    b->age = 0;
  } else {
    b->age += PM_DEV_THREADS;
  }
  if (b->age >= p->max_age || b->steps >= PM_DEV_MAX_STEPS) b->done = 1;
}

static inline PM_HD void pm_dev_finish_phase(const PmDevParams *p, const PmDevState *st, const PmDevBlock *b,
                                             int block, int t) {
  if (t != 0) return;
  PmDevResult *r = &st->climbs[block];
  r->shape = b->cur;
  r->delta = b->cur_d;
  r->evals = (unsigned long long)p->candidates + (unsigned long long)b->steps * PM_DEV_THREADS;
}

/* ---- kernel 2: pick, draw, re-sum ---- */

static inline PM_HD void pm_dev_pick_phase(const PmDevParams *p, const PmDevState *st, PmDevDrawBlock *b, int t) {
  double best = DBL_MAX;
  int bi = INT_MAX;
  for (int i = t; i < p->climbers; i += PM_DEV_DRAW_THREADS)
    if (pm_dev_better(st->climbs[i].delta, i, best, bi)) {
      best = st->climbs[i].delta;
      bi = i;
    }
  b->d[t] = best;
  b->idx[t] = bi;
}

static inline PM_HD void pm_dev_shape_phase(const PmDevParams *p, const PmDevState *st, PmDevDrawBlock *b, int t) {
  if (t != 0) return;
  unsigned long long evals = 0;
  for (int i = 0; i < p->climbers; i++) evals += st->climbs[i].evals;
  b->shape = st->climbs[b->idx[0]].shape;
  st->pick->shape = b->shape;
  st->pick->delta = b->d[0];
  st->pick->evals = evals;
  pm_shape_geometry_as(&b->shape, pm_dev_kind(p, &b->shape), &b->geo);
  b->any = pm_geo_rows(&b->geo, st->w, st->h, &b->ya, &b->yb, &b->es);
}

/* Each thread draws rows ya + t, ya + t + PM_DEV_DRAW_THREADS, ...: the canvas, the row's sums
 * and the error change of its rows are its own. */
static inline PM_HD void pm_dev_draw_phase(const PmDevState *st, PmDevDrawBlock *b, int t) {
  long long de = 0;
  if (b->any) {
    int w = st->w;
    for (int y = b->ya + t; y <= b->yb; y += PM_DEV_DRAW_THREADS) {
      int16_t x1[PM_MAX_INTERVALS], x2[PM_MAX_INTERVALS];
      int k = pm_geo_row(&b->geo, &b->es, y, w, x1, x2);
      size_t o = (size_t)y * w * 3;
      de += pm_draw_row(st->canvas + o, st->target + o, st->sums + (size_t)y * (w + 1), x1, x2, k, b->shape.rgba, w);
    }
  }
  b->de[t] = de;
}

static inline PM_HD void pm_dev_err_phase(const PmDevState *st, const PmDevDrawBlock *b, int t) {
  if (t != 0) return;
  long long de = 0; /* integers: any order gives the same sum */
  for (int i = 0; i < PM_DEV_DRAW_THREADS; i++) de += b->de[i];
  *st->err += de;
}

/* ---- after an upload: every row's sums, one row per thread ---- */
static inline PM_HD void pm_dev_sums_row(const PmDevState *st, int y) {
  if (y >= st->h) return;
  size_t o = (size_t)y * st->w * 3;
  pm_sums_row(st->sums + (size_t)y * (st->w + 1), st->target + o, st->canvas + o, 0, st->w);
}

#endif
