/* Anti-aliased rendering at any output size. Rows are independent: each output row starts
 * from the background and composites every shape whose box meets it, with coverage from
 * PM_RENDER_SUBROWS sub-scanlines and exact horizontal overlap. Rows run in parallel on the pool. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "internal.h"

#define ROWS_PER_TASK 16

typedef struct {
  const PmShape *shapes;
  const PmGeo *geo;
  const PmEdgeSet *edges; /* a convex shape's edges, made once (n < 0: any other shape) */
  int n;
  float bg[3];
  float sx, sy; /* output pixels per working pixel */
  PmFrame *out;
  const uint8_t *rows; /* rows to render (NULL: all) */
} RenderJob;

/* Coverage of [xa, xb) (output pixels) added to cov, counted only on pixels in [lo, hi). */
static void add_coverage_in(float *cov, int lo, int hi, float xa, float xb, float weight) {
  if (xa < (float)lo) xa = (float)lo;
  if (xb > (float)hi) xb = (float)hi;
  if (!(xb > xa)) return;
  int ia = (int)xa, ib = (int)xb;
  if (ia == ib) {
    cov[ia] += (xb - xa) * weight;
    return;
  }
  cov[ia] += ((float)(ia + 1) - xa) * weight;
  for (int x = ia + 1; x < ib; x++) cov[x] += weight;
  if (ib < hi) cov[ib] += (xb - (float)ib) * weight;
}

static void blend_coverage(float *acc, const float *cov, int xa, int xb, float a, const float c[3]) {
  for (int x = xa; x < xb; x++) {
    float t = a * (cov[x] > 1.0f ? 1.0f : cov[x]);
    if (t <= 0.0f) continue;
    float *p = acc + 3 * x;
    p[0] += (c[0] - p[0]) * t;
    p[1] += (c[1] - p[1]) * t;
    p[2] += (c[2] - p[2]) * t;
  }
}

static void blend_inside(float *acc, int xa, int xb, float a, const float c[3]) {
  for (int x = xa; x < xb; x++) {
    float *p = acc + 3 * x;
    p[0] += (c[0] - p[0]) * a;
    p[1] += (c[1] - p[1]) * a;
    p[2] += (c[2] - p[2]) * a;
  }
}

/* A row is cut into runs of RUN pixels. Until a shape's edge or end falls inside a run, every
 * pixel of it has gone through the same blends, so it holds one colour, blended once for all of
 * them: at 4K a working pixel is 15 output pixels wide and most runs stay flat. A pixel's value
 * is the same float operations in the same order either way. */
#define RUN 16

typedef struct {
  int n;         /* runs in the row */
  uint8_t *flat; /* 1: the run's pixels all hold colour[3 k..]; 0: acc holds them */
  float *colour;
} Runs;

/* Where run k starts in a row w pixels wide (k may be the count of runs: the row's end). */
static int run_x(int k, int w) { return k * RUN < w ? k * RUN : w; }

/* Gives the runs meeting [xa, xb) their own pixels in acc. */
static void unflatten(float *acc, Runs *r, int xa, int xb, int w) {
  if (xa >= xb) return;
  for (int k = xa / RUN; k <= (xb - 1) / RUN; k++) {
    if (!r->flat[k]) continue;
    r->flat[k] = 0;
    const float *c = r->colour + 3 * k;
    float four[12]; /* four pixels: whole vectors to store */
    for (int i = 0; i < 4; i++) memcpy(four + 3 * i, c, 3 * sizeof *c);
    int x = k * RUN, end = run_x(k + 1, w);
    for (; x + 4 <= end; x += 4) memcpy(acc + 3 * x, four, sizeof four);
    for (; x < end; x++) memcpy(acc + 3 * x, c, 3 * sizeof *c);
  }
}

/* The wholly covered pixels [xa, xb) of a shape: once for each flat run inside, pixel by pixel
 * elsewhere. */
static void blend_covered(float *acc, Runs *r, int xa, int xb, float a, const float c[3], int w) {
  if (xa >= xb) return;
  int k0 = (xa + RUN - 1) / RUN, k1 = xb == w ? r->n : xb / RUN; /* the runs wholly inside */
  if (k0 >= k1) {
    unflatten(acc, r, xa, xb, w);
    blend_inside(acc, xa, xb, a, c);
    return;
  }
  unflatten(acc, r, xa, k0 * RUN, w);
  blend_inside(acc, xa, k0 * RUN, a, c);
  for (int k = k0, e; k < k1; k = e) { /* stretches of flat runs (their colours, as pixels), then of others */
    for (e = k + 1; e < k1 && r->flat[e] == r->flat[k]; e++) {}
    if (r->flat[k]) blend_inside(r->colour, k, e, a, c);
    else blend_inside(acc, k * RUN, run_x(e, w), a, c);
  }
  unflatten(acc, r, k1 * RUN, xb, w);
  blend_inside(acc, run_x(k1, xb), xb, a, c);
}

/* One output row: the background, then every shape whose box meets the row, composited with
 * its coverage. Pixels that every sub-scanline covers wholly (the inside of a shape, most of
 * its pixels) blend at once; only the edges need the coverage sums. Runs left flat are left for
 * the writer. */
static void render_row(const RenderJob *job, int y, float *acc, float *cov, Runs *runs, const float *bg_runs) {
  int w = job->out->width;
  memcpy(runs->colour, bg_runs, sizeof *bg_runs * 3 * (size_t)runs->n);
  memset(runs->flat, 1, (size_t)runs->n);
  float xs[PM_RENDER_SUBROWS][2 * PM_MAX_INTERVALS];
  int k[PM_RENDER_SUBROWS];
  for (int i = 0; i < job->n; i++) {
    const PmGeo *g = &job->geo[i];
    if (!(g->y1 * job->sy > (float)y && g->y0 * job->sy < (float)(y + 1))) continue;
    float fa = floorf(g->x0 * job->sx), fb = ceilf(g->x1 * job->sx);
    int xa = pm_clamp_to_int(fa, w), xb = pm_clamp_to_int(fb, w);
    if (xa >= xb) continue;
    int hit = 0, single = 1;
    float lo = -1e30f, hi = 1e30f; /* where all sub-scanlines are inside (single intervals) */
    for (int j = 0; j < PM_RENDER_SUBROWS; j++) {
      float ys = ((float)y + ((float)j + 0.5f) / PM_RENDER_SUBROWS) / job->sy;
      k[j] = job->edges[i].n >= 0 ? pm_convex_piece_line(&g->pieces[0], &job->edges[i], ys, xs[j])
                                  : pm_geo_intervals(g, ys, xs[j]);
      hit |= k[j];
      single &= k[j] == 1;
      if (k[j] == 1) {
        /* comparisons, not fmaxf/fminf: the same values (no NaN here), and no call into libm */
        float l = xs[j][0] * job->sx, r = xs[j][1] * job->sx;
        lo = l > lo ? l : lo;
        hi = r < hi ? r : hi;
      }
    }
    if (!hit) continue;
    pm_render_row_extent(xs, k, job->sx, w, &xa, &xb); /* the box is the whole shape's */
    if (xa >= xb) continue;
    const uint8_t *c8 = job->shapes[i].rgba;
    float a = c8[3] / 255.0f, c[3] = {c8[0], c8[1], c8[2]};
    /* wholly covered pixels: [in0, in1) */
    int in0 = xa, in1 = xa;
    if (single && hi > lo) {
      in0 = pm_clamp_to_int(ceilf(lo), w), in1 = pm_clamp_to_int(floorf(hi), w);
      in0 = in0 < xa ? xa : in0, in1 = in1 > xb ? xb : in1;
      if (in1 < in0) in1 = in0;
    }
    memset(cov + xa, 0, sizeof *cov * (size_t)(in0 - xa));
    memset(cov + in1, 0, sizeof *cov * (size_t)(xb - in1));
    for (int j = 0; j < PM_RENDER_SUBROWS; j++)
      for (int q = 0; q < k[j]; q++) {
        float x0 = xs[j][2 * q] * job->sx, x1 = xs[j][2 * q + 1] * job->sx;
        add_coverage_in(cov, xa, in0, x0, x1, 1.0f / PM_RENDER_SUBROWS);
        add_coverage_in(cov, in1, xb < w ? xb : w, x0, x1, 1.0f / PM_RENDER_SUBROWS);
      }
    unflatten(acc, runs, xa, in0, w);
    blend_coverage(acc, cov, xa, in0, a, c);
    blend_covered(acc, runs, in0, in1, a, c, w);
    unflatten(acc, runs, in1, xb, w);
    blend_coverage(acc, cov, in1, xb, a, c);
  }
}

/* The end of the stretch of runs from k that the writers take in one go: runs flat in row r0 and
 * in r1 (NULL: r0 alone) with the same colours as run k, or, when run k is not flat in both, runs
 * that are not. */
static int stretch_end(const Runs *r0, const Runs *r1, int k) {
  int flat = r0->flat[k] && (!r1 || r1->flat[k]), e = k + 1;
  for (; e < r0->n; e++) {
    int f = r0->flat[e] && (!r1 || r1->flat[e]);
    if (f != flat || (flat && (memcmp(r0->colour + 3 * e, r0->colour + 3 * k, 3 * sizeof(float)) ||
                               (r1 && memcmp(r1->colour + 3 * e, r1->colour + 3 * k, 3 * sizeof(float))))))
      break;
  }
  return e;
}

/* A row into a packed format: a flat run's colour converted once, other pixels one by one. */
static void write_packed_row(PmFrame *out, int y, float *acc, const Runs *r) {
  int w = out->width;
  for (int k = 0, e; k < r->n; k = e) {
    e = stretch_end(r, NULL, k);
    int xa = k * RUN, xb = run_x(e, w);
    if (r->flat[k]) pm_frame_fill_packed_row(out, y, r->colour + 3 * k, xa, xb);
    else pm_frame_write_packed_row(out, y, acc, xa, xb);
  }
}

/* Rows y and y + 1 (absent past the last row) into the 4:2:0 planes: runs flat in both rows in
 * one go, the others pixel by pixel. */
static void write_yuv_rows(PmFrame *out, int y, float *acc, Runs *r0, float *next, Runs *r1) {
  int w = out->width;
  if (!next) r1 = NULL;
  for (int k = 0, e; k < r0->n; k = e) {
    e = stretch_end(r0, r1, k);
    int xa = k * RUN, xb = run_x(e, w);
    if (r0->flat[k] && (!r1 || r1->flat[k])) {
      pm_frame_fill_yuv_rows(out, y, r0->colour + 3 * k, r1 ? r1->colour + 3 * k : NULL, xa, xb);
    } else {
      unflatten(acc, r0, xa, xb, w);
      if (r1) unflatten(next, r1, xa, xb, w);
      pm_frame_write_yuv_rows(out, y, acc, next, xa, xb);
    }
  }
}

static void render_task(void *ctx, int task, int worker) {
  (void)worker;
  const RenderJob *job = ctx;
  PmFrame *out = job->out;
  int w = out->width, y0 = task * ROWS_PER_TASK, y1 = y0 + ROWS_PER_TASK, n = (w + RUN - 1) / RUN;
  if (y1 > out->height) y1 = out->height;
  /* two rows (4:2:0 writes them in pairs), each with its runs, then the background's runs */
  float *acc = malloc(sizeof(float) * (3 * (size_t)w * 2 + 9 * (size_t)n)), *cov = malloc(sizeof(float) * ((size_t)w + 1));
  uint8_t *flat = malloc(2 * (size_t)n);
  if (!acc || !cov || !flat) {
    free(acc), free(cov), free(flat);
    return;
  }
  float *next = acc + 3 * (size_t)w;
  Runs r0 = {n, flat, next + 3 * (size_t)w}, r1 = {n, flat + n, r0.colour + 3 * (size_t)n};
  float *bg_runs = r1.colour + 3 * (size_t)n; /* where every row starts */
  for (int k = 0; k < n; k++) memcpy(bg_runs + 3 * k, job->bg, sizeof job->bg);
  int yuv = out->format == PM_FORMAT_I420 || out->format == PM_FORMAT_NV12;
  for (int y = y0; y < y1; y += yuv ? 2 : 1) {
    if (job->rows && !job->rows[y]) continue;
    render_row(job, y, acc, cov, &r0, bg_runs);
    if (!yuv) {
      write_packed_row(out, y, acc, &r0);
      continue;
    }
    int more = y + 1 < out->height;
    if (more) render_row(job, y + 1, next, cov, &r1, bg_runs);
    write_yuv_rows(out, y, acc, &r0, more ? next : NULL, &r1);
  }
  free(acc), free(cov), free(flat);
}

static int render_rows(PmPool *pool, const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh,
                       PmFrame *out, const uint8_t *rows) {
  char err[128];
  if (pm_frame_check(out, err, sizeof err) < 0 || ww < 1 || wh < 1 || n < 0) return -1;
  PmGeo *geo = malloc(sizeof *geo * (size_t)(n > 0 ? n : 1));
  PmEdgeSet *edges = malloc(sizeof *edges * (size_t)(n > 0 ? n : 1));
  if (!geo || !edges) {
    free(geo), free(edges);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    pm_shape_geometry(&shapes[i], &geo[i]);
    /* every output row asks for four lines of each shape it meets: the edges (three divisions
     * for a triangle) are the same each time */
    const PmPiece *p = &geo[i].pieces[0];
    edges[i].n = geo[i].type != PM_GEO_UNION && p->type == PM_GEO_CONVEX ? pm_make_edges(p, edges[i].e) : -1;
  }
  RenderJob job = {shapes, geo, edges, n, {bg[0], bg[1], bg[2]}, (float)out->width / ww, (float)out->height / wh,
                   out, rows};
  pm_pool_run(pool, (out->height + ROWS_PER_TASK - 1) / ROWS_PER_TASK, render_task, &job);
  free(geo), free(edges);
  return 0;
}

static int render(PmPool *pool, const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh, PmFrame *out) {
  return render_rows(pool, shapes, n, bg, ww, wh, out, NULL);
}

/* ---- reuse of the previous frame ---- */

/* Past this share of rows to render, the whole frame is rendered and not kept: on moving
 * footage nearly every row changes, and keeping a copy would only add to the frame's work. */
#define REUSE_MAX_SHARE 0.5

struct PmRenderCache {
  int listed; /* shapes and the settings below are the last frame's */
  int valid;  /* and pixels holds that frame */
  PmFormat format;
  int width, height, ww, wh;
  uint8_t bg[3];
  PmShape *shapes;
  int n, cap;
  uint8_t *pixels; /* the frame's planes, rows packed */
  size_t bytes;
  uint8_t *rows;
  int rows_rendered;
};

PmRenderCache *pm_render_cache_new(void) { return calloc(1, sizeof(PmRenderCache)); }

void pm_render_cache_free(PmRenderCache *c) {
  if (!c) return;
  free(c->shapes), free(c->pixels), free(c->rows);
  free(c);
}

int pm_render_cache_rows_rendered(const PmRenderCache *c) { return c ? c->rows_rendered : -1; }

/* Copies output rows [y0, y1) (even bounds for the 4:2:0 formats) between the frame and the
 * packed copy, in the direction `to_frame` says. */
static void copy_rows(PmFrame *f, uint8_t *packed, int y0, int y1, int to_frame) {
  PmPlanes p = pm_frame_planes(f);
  size_t off = 0;
  for (int k = 0; k < p.count; k++) {
    int a = p.halved[k] ? y0 / 2 : y0, b = p.halved[k] ? (y1 + 1) / 2 : y1;
    if (b > p.rows[k]) b = p.rows[k];
    for (int y = a; y < b; y++) {
      uint8_t *fr = f->data[k] + (size_t)y * f->stride[k], *pr = packed + off + (size_t)y * p.bytes[k];
      if (to_frame) memcpy(fr, pr, (size_t)p.bytes[k]);
      else memcpy(pr, fr, (size_t)p.bytes[k]);
    }
    off += (size_t)p.rows[k] * p.bytes[k];
  }
}

static size_t frame_bytes(const PmFrame *f) {
  PmPlanes p = pm_frame_planes(f);
  size_t n = 0;
  for (int k = 0; k < p.count; k++) n += (size_t)p.rows[k] * p.bytes[k];
  return n;
}

/* Marks the output rows whose box the shape meets (as render_row tests them), pairs of rows
 * for the 4:2:0 formats. */
static void mark_rows(uint8_t *rows, const PmShape *s, float sy, int h, int pairs) {
  PmGeo g;
  pm_shape_geometry(s, &g);
  int a = (int)floorf(g.y0 * sy) - 1, b = (int)ceilf(g.y1 * sy) + 1; /* a row of margin for rounding */
  if (a < 0) a = 0;
  if (b > h) b = h;
  if (pairs) a &= ~1;
  for (int y = a; y < b; y++) rows[y] = 1;
  if (pairs && b < h && (b & 1)) rows[b] = 1;
}

/* Marks the rows where the shape lists differ. The lists are matched in order (the warm start
 * keeps its shapes' order: it changes shapes in place, drops some and adds new ones at the
 * end), so a row that meets no unmatched shape composites the same shapes in the same order. */
static void mark_changes(uint8_t *rows, const PmShape *old, int no, const PmShape *now, int nn, float sy, int h,
                         int pairs) {
  int i = 0, j = 0;
  while (i < no && j < nn) {
    if (!memcmp(&old[i], &now[j], sizeof *old)) {
      i++, j++;
    } else if (i + 1 < no && !memcmp(&old[i + 1], &now[j], sizeof *old)) {
      mark_rows(rows, &old[i++], sy, h, pairs); /* dropped */
    } else {
      mark_rows(rows, &old[i++], sy, h, pairs); /* changed */
      mark_rows(rows, &now[j++], sy, h, pairs);
    }
  }
  for (; i < no; i++) mark_rows(rows, &old[i], sy, h, pairs);
  for (; j < nn; j++) mark_rows(rows, &now[j], sy, h, pairs);
}

int pm_render_reusing(const PmModel *m, PmFrame *out, PmRenderCache *c) {
  if (!c) return pm_render(m, out);
  if (pm_device_render(m, out) == 0) {
    c->valid = c->listed = 0;
    c->rows_rendered = out->height;
    return 0;
  }
  char err[128];
  if (pm_frame_check(out, err, sizeof err) < 0) return -1;
  int ww, wh, n = pm_model_shape_count(m), h = out->height;
  uint8_t bg[3];
  const PmShape *shapes = pm_model_shapes(m);
  pm_model_working_size(m, &ww, &wh);
  pm_model_background(m, bg);
  int comparable = c->listed && c->format == out->format && c->width == out->width && c->height == h &&
                   c->ww == ww && c->wh == wh && !memcmp(c->bg, bg, 3);
  if (!comparable) { /* new settings: the rows and the copy are sized afresh */
    c->valid = 0;
    free(c->rows), free(c->pixels);
    c->pixels = NULL, c->bytes = 0;
    c->rows = malloc((size_t)h);
  }
  int dirty = h;
  if (comparable) {
    memset(c->rows, 0, (size_t)h);
    int pairs = out->format == PM_FORMAT_I420 || out->format == PM_FORMAT_NV12;
    mark_changes(c->rows, c->shapes, c->n, shapes, n, (float)h / wh, h, pairs);
    dirty = 0;
    for (int y = 0; y < h; y++) dirty += c->rows[y];
  }
  int small = comparable && dirty <= REUSE_MAX_SHARE * h;
  c->rows_rendered = small && c->valid ? dirty : h;
  if (small && c->valid) {
    if (dirty && render_rows(pm_model_pool(m), shapes, n, bg, ww, wh, out, c->rows) < 0) return -1;
    for (int y = 0, y1; y < h; y = y1) { /* runs of rows: clean ones from the copy, new ones into it */
      for (y1 = y + 1; y1 < h && c->rows[y1] == c->rows[y]; y1++) {}
      copy_rows(out, c->pixels, y, y1, !c->rows[y]);
    }
  } else {
    if (render(pm_model_pool(m), shapes, n, bg, ww, wh, out) < 0) return -1;
    /* a small change starts keeping the frame; moving footage pays for no copies */
    c->valid = 0;
    if (small) {
      if (!c->pixels) c->bytes = frame_bytes(out), c->pixels = malloc(c->bytes);
      if (c->pixels) copy_rows(out, c->pixels, 0, h, 0), c->valid = 1;
    }
  }
  /* what this frame shows, for the next */
  c->listed = 0;
  if (!c->rows) return 0;
  if (n > c->cap) {
    PmShape *grown = realloc(c->shapes, sizeof *grown * (size_t)n);
    if (!grown) return c->valid = 0, 0;
    c->shapes = grown, c->cap = n;
  }
  if (n) memcpy(c->shapes, shapes, sizeof *shapes * (size_t)n);
  c->n = n, c->listed = 1;
  c->format = out->format, c->width = out->width, c->height = h, c->ww = ww, c->wh = wh;
  memcpy(c->bg, bg, 3);
  return 0;
}

int pm_render(const PmModel *m, PmFrame *out) {
  if (pm_device_render(m, out) == 0) return 0; /* else on the CPU */
  int ww, wh;
  uint8_t bg[3];
  pm_model_working_size(m, &ww, &wh);
  pm_model_background(m, bg);
  return render(pm_model_pool(m), pm_model_shapes(m), pm_model_shape_count(m), bg, ww, wh, out);
}

int pm_render_shapes(const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh, PmFrame *out,
                     int threads) {
  PmPool *pool = threads == 1 ? NULL : pm_pool_new(threads);
  int r = render(pool, shapes, n, bg, ww, wh, out);
  pm_pool_free(pool);
  return r;
}
