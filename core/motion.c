/* Motion between two consecutive working images, so the warm start can carry each shape with
 * the picture before refining it (stroke-based video rendering: Litwinowicz 1997, Hertzmann and
 * Perlin 2000).
 *
 * 1. Every block of the previous image is matched in the current one (around a whole-picture
 *    translation found at the coarsest pyramid level, so large pans are caught; half resolution,
 *    then full resolution with a parabola for the fraction). Blocks without texture abstain.
 * 2. A global affine model (pan, zoom, rotation, shake) is fitted to the block vectors with
 *    Tukey's biweight, one vote per block, so a moving object cannot drag it however sharp its
 *    edges; then refined by Gauss-Newton on the pixels of the blocks that agree with it.
 * 3. Blocks that disagree clearly keep their own translation: content that moves on its own.
 * Everything is held at zero unless the evidence clearly says otherwise: a shape moved by
 * noise is exactly the shimmer this is meant to remove. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_LEVELS 8
#define COARSE_SEARCH 4 /* pixels at the coarsest level, either way */
#define BLOCK_SEARCH 4  /* pixels at half resolution, either way, around the coarse translation */

typedef struct {
  int w, h;
  float *l0, *l1, *gx, *gy; /* previous and current luma; gradients of the current */
} Level;

typedef struct {
  float vx, vy; /* where the block's content went (pixels) */
  float cost;   /* mean absolute difference there */
  int usable;   /* textured and inside enough to say something */
  int inlier;   /* agrees with the global model */
} BlockMatch;

struct PmMotion {
  int w, h, nlevels;
  Level lv[MAX_LEVELS];
  float *blur0, *blur1; /* 3x3 box-blurred finest luma: the significance test's images */
  BlockMatch *blocks;
  float *scratch; /* one float per block */
  PmMotionField field;
};

static void level_free(Level *l) {
  free(l->l0), free(l->l1), free(l->gx), free(l->gy);
  memset(l, 0, sizeof *l);
}

void pm_motion_free(PmMotion *mo) {
  if (!mo) return;
  for (int i = 0; i < mo->nlevels; i++) level_free(&mo->lv[i]);
  free(mo->blur0), free(mo->blur1), free(mo->blocks), free(mo->scratch), free(mo->field.dx), free(mo->field.dy);
  free(mo);
}

/* Levels halve until the long side would drop below 24 pixels. */
static int alloc_levels(PmMotion *mo, int w, int h) {
  mo->w = w, mo->h = h, mo->nlevels = 0;
  for (int lw = w, lh = h; mo->nlevels < MAX_LEVELS && lw >= 4 && lh >= 4; lw /= 2, lh /= 2) {
    Level *l = &mo->lv[mo->nlevels++];
    size_t n = (size_t)lw * lh;
    l->w = lw, l->h = lh;
    l->l0 = malloc(n * sizeof(float));
    l->l1 = malloc(n * sizeof(float));
    l->gx = malloc(n * sizeof(float));
    l->gy = malloc(n * sizeof(float));
    if (!l->l0 || !l->l1 || !l->gx || !l->gy) return -1;
    if ((lw > lh ? lw : lh) / 2 < 24) break;
  }
  int bs = pm_motion_block(w, h);
  PmMotionField *f = &mo->field;
  f->bs = bs, f->bw = (w + bs - 1) / bs, f->bh = (h + bs - 1) / bs;
  f->dx = calloc((size_t)f->bw * f->bh, sizeof(float));
  f->dy = calloc((size_t)f->bw * f->bh, sizeof(float));
  mo->blocks = calloc((size_t)f->bw * f->bh, sizeof *mo->blocks);
  mo->scratch = malloc((size_t)f->bw * f->bh * sizeof(float));
  mo->blur0 = malloc((size_t)w * h * sizeof(float));
  mo->blur1 = malloc((size_t)w * h * sizeof(float));
  return f->dx && f->dy && mo->blocks && mo->scratch && mo->blur0 && mo->blur1 ? 0 : -1;
}

PmMotion *pm_motion_new(int w, int h) {
  PmMotion *mo = calloc(1, sizeof *mo);
  if (mo && alloc_levels(mo, w, h) < 0) {
    pm_motion_free(mo);
    return NULL;
  }
  return mo;
}

int pm_motion_block(int w, int h) {
  int bs = (int)(8.0f * pm_unit(w, h) + 0.5f);
  return bs < 4 ? 4 : bs;
}

static void to_luma(const uint8_t *rgb, int n, float *out) {
  for (int i = 0; i < n; i++) out[i] = (float)(77 * rgb[3 * i] + 150 * rgb[3 * i + 1] + 29 * rgb[3 * i + 2]) / 256.0f;
}

static void halve(const float *src, int sw, float *dst, int dw, int dh) {
  for (int y = 0; y < dh; y++)
    for (int x = 0; x < dw; x++) {
      const float *s = src + (size_t)2 * y * sw + 2 * x;
      dst[(size_t)y * dw + x] = 0.25f * (s[0] + s[1] + s[sw] + s[sw + 1]);
    }
}

/* 3 x 3 box blur (the edges average what they have), separably: tmp holds w * h floats. */
static void blur3(const float *src, int w, int h, float *tmp, float *dst) {
  for (int y = 0; y < h; y++) {
    const float *r = src + (size_t)y * w;
    float *o = tmp + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      int a = x > 0 ? x - 1 : x, b = x < w - 1 ? x + 1 : x;
      float s = r[a] + r[b] + (b - a == 2 ? r[x] : 0.0f);
      o[x] = s / (float)(b - a + 1);
    }
  }
  for (int y = 0; y < h; y++) {
    int a = y > 0 ? y - 1 : y, b = y < h - 1 ? y + 1 : y;
    const float *ra = tmp + (size_t)a * w, *rb = tmp + (size_t)b * w, *rm = tmp + (size_t)y * w;
    float *o = dst + (size_t)y * w, n = (float)(b - a + 1);
    for (int x = 0; x < w; x++) o[x] = (ra[x] + rb[x] + (b - a == 2 ? rm[x] : 0.0f)) / n;
  }
}

static void gradients(Level *l) {
  int w = l->w, h = l->h;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *p = l->l1 + (size_t)y * w;
      int xa = x > 0 ? x - 1 : x, xb = x < w - 1 ? x + 1 : x;
      int ya = y > 0 ? y - 1 : y, yb = y < h - 1 ? y + 1 : y;
      l->gx[(size_t)y * w + x] = (p[xb] - p[xa]) / (float)(xb - xa > 0 ? xb - xa : 1);
      l->gy[(size_t)y * w + x] = (l->l1[(size_t)yb * w + x] - l->l1[(size_t)ya * w + x]) / (float)(yb - ya > 0 ? yb - ya : 1);
    }
}

/* Bilinear sample at (x, y), which must lie in [0, w-1] x [0, h-1]. */
static inline float sample(const float *img, int w, float x, float y) {
  int ix = (int)x, iy = (int)y;
  float fx = x - (float)ix, fy = y - (float)iy;
  const float *p = img + (size_t)iy * w + ix;
  float a = p[0] + fx * (p[fx > 0.0f ? 1 : 0] - p[0]);
  if (fy <= 0.0f) return a;
  const float *q = p + w;
  float b = q[0] + fx * (q[fx > 0.0f ? 1 : 0] - q[0]);
  return a + fy * (b - a);
}

/* Affine p (6 values) in coordinates centred on the level: x' = cx + p0 + (1 + p1) u + p2 v,
 * y' = cy + p3 + p4 u + (1 + p5) v with u = x - cx, v = y - cy. */
static inline void apply(const double *p, double cx, double cy, double x, double y, double *ox, double *oy) {
  double u = x - cx, v = y - cy;
  *ox = cx + p[0] + (1.0 + p[1]) * u + p[2] * v;
  *oy = cy + p[3] + p[4] * u + (1.0 + p[5]) * v;
}

/* Solves the n x n system H d = b (n <= 6) by Gaussian elimination with partial pivoting. */
static int solve(int n, double H[6][6], double b[6], double d[6]) {
  for (int c = 0; c < n; c++) {
    int piv = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(H[r][c]) > fabs(H[piv][c])) piv = r;
    if (fabs(H[piv][c]) < 1e-9) return -1;
    if (piv != c) {
      for (int k = 0; k < n; k++) {
        double t = H[c][k];
        H[c][k] = H[piv][k];
        H[piv][k] = t;
      }
      double t = b[c];
      b[c] = b[piv];
      b[piv] = t;
    }
    for (int r = c + 1; r < n; r++) {
      double f = H[r][c] / H[c][c];
      for (int k = c; k < n; k++) H[r][k] -= f * H[c][k];
      b[r] -= f * b[c];
    }
  }
  for (int c = n - 1; c >= 0; c--) {
    double s = b[c];
    for (int k = c + 1; k < n; k++) s -= H[c][k] * d[k];
    d[c] = s / H[c][c];
  }
  return 0;
}

/* The per-pixel sums below are made over this many bands of rows, on the pool, and added in band
 * order: the same result whatever the pool's size. */
#define SUM_BANDS 8

typedef struct {
  double sum, H[6][6], g[6];
  int n, hist[256];
} BandSums;

/* The rows of band j among SUM_BANDS over [lo, hi) that are on the grid lo, lo + step, ... */
static void band_rows(int j, int lo, int hi, int step, int *ya, int *yb) {
  int a = lo + (hi - lo) * j / SUM_BANDS, b = lo + (hi - lo) * (j + 1) / SUM_BANDS;
  *ya = lo + (a - lo + step - 1) / step * step;
  *yb = b;
}

typedef struct {
  const float *a, *b;
  int w, h, step;
  const double *p;
  BandSums *bands;
} ResidualJob;

static void residual_band(void *ctx, int j, int worker) {
  (void)worker;
  const ResidualJob *job = ctx;
  BandSums *s = &job->bands[j];
  int w = job->w, h = job->h, ya, yb;
  double cx = 0.5 * w, cy = 0.5 * h;
  s->sum = 0.0, s->n = 0;
  memset(s->hist, 0, sizeof s->hist);
  band_rows(j, 0, h, job->step, &ya, &yb);
  for (int y = ya; y < yb; y += job->step)
    for (int x = 0; x < w; x += job->step) {
      double X, Y;
      apply(job->p, cx, cy, x, y, &X, &Y);
      if (!(X >= 0.0 && Y >= 0.0 && X <= w - 1 && Y <= h - 1)) continue;
      float r = fabsf(sample(job->b, w, (float)X, (float)Y) - job->a[(size_t)y * w + x]);
      s->sum += r;
      s->hist[r * 4.0f < 255.0f ? (int)(r * 4.0f) : 255]++;
      s->n++;
    }
}

/* Mean absolute difference of a (previous) and b (current) under motion p over the pixels
 * that stay inside; with `sigma`, also the robust scale (1.4826 x median). */
static double residual(const float *a, const float *b, int w, int h, const double *p, int step, double *sigma,
                       PmPool *pool) {
  BandSums bands[SUM_BANDS];
  ResidualJob job = {a, b, w, h, step, p, bands};
  pm_pool_run(pool, SUM_BANDS, residual_band, &job);
  double sum = 0.0;
  int hist[256] = {0}, n = 0;
  for (int j = 0; j < SUM_BANDS; j++) {
    sum += bands[j].sum, n += bands[j].n;
    for (int k = 0; k < 256; k++) hist[k] += bands[j].hist[k];
  }
  if (n == 0) {
    if (sigma) *sigma = 1.0;
    return 1e30;
  }
  if (sigma) {
    int acc = 0, k = 0;
    while (k < 255 && (acc += hist[k]) < n / 2) k++;
    *sigma = 1.4826 * (k + 0.5) / 4.0;
  }
  return sum / n;
}

typedef struct {
  const PmMotion *mo;
  const Level *l;
  int scale, step;
  const double *p;
  double c; /* Tukey's constant */
  BandSums *bands;
} AffineJob;

/* One band's share of a Gauss-Newton step: the normal equations (upper triangle) of its pixels. */
static void affine_band(void *ctx, int j, int worker) {
  (void)worker;
  const AffineJob *job = ctx;
  const Level *l = job->l;
  const PmMotionField *f = &job->mo->field;
  BandSums *s = &job->bands[j];
  double cx = 0.5 * l->w, cy = 0.5 * l->h, c = job->c;
  int step = job->step, scale = job->scale, ya, yb;
  memset(s->H, 0, sizeof s->H);
  memset(s->g, 0, sizeof s->g);
  s->n = 0;
  band_rows(j, 1, l->h - 1, step, &ya, &yb);
  for (int y = ya; y < yb; y += step) {
    int brow = (y * scale / f->bs) * f->bw;
    for (int x = 1; x < l->w - 1; x += step) {
      const BlockMatch *bm = &job->mo->blocks[brow + x * scale / f->bs];
      if (bm->usable && !bm->inlier) continue;
      double X, Y;
      apply(job->p, cx, cy, x, y, &X, &Y);
      if (!(X >= 0.0 && Y >= 0.0 && X <= l->w - 1 && Y <= l->h - 1)) continue;
      float r = sample(l->l1, l->w, (float)X, (float)Y) - l->l0[(size_t)y * l->w + x];
      double q = r / c;
      if (q * q >= 1.0) continue;
      double wgt = (1.0 - q * q) * (1.0 - q * q);
      double gx = sample(l->gx, l->w, (float)X, (float)Y), gy = sample(l->gy, l->w, (float)X, (float)Y);
      double u = x - cx, v = y - cy, J[6] = {gx, gx * u, gx * v, gy, gy * u, gy * v};
      for (int i = 0; i < 6; i++) {
        s->g[i] -= wgt * J[i] * r;
        for (int k = i; k < 6; k++) s->H[i][k] += wgt * J[i] * J[k];
      }
      s->n++;
    }
  }
}

/* Gauss-Newton steps with Tukey's biweight, leaving out the pixels of blocks that clearly
 * disagree with the global model (the level is `scale` times smaller than the blocks' image). */
static void refine_affine(const PmMotion *mo, const Level *l, int scale, double *p, int iters, int step,
                          PmPool *pool) {
  double sigma; /* the scale from where the level starts: later steps only make it smaller */
  residual(l->l0, l->l1, l->w, l->h, p, step, &sigma, pool);
  BandSums bands[SUM_BANDS];
  AffineJob job = {mo, l, scale, step, p, 4.685 * (sigma < 1.0 ? 1.0 : sigma), bands};
  for (int it = 0; it < iters; it++) {
    pm_pool_run(pool, SUM_BANDS, affine_band, &job);
    double H[6][6] = {{0}}, b[6] = {0}, d[6];
    int n = 0;
    for (int j = 0; j < SUM_BANDS; j++) {
      for (int i = 0; i < 6; i++) {
        b[i] += bands[j].g[i];
        for (int k = i; k < 6; k++) H[i][k] += bands[j].H[i][k];
      }
      n += bands[j].n;
    }
    if (n < 24) return;
    for (int i = 0; i < 6; i++)
      for (int k = 0; k < i; k++) H[i][k] = H[k][i];
    for (int i = 0; i < 6; i++) H[i][i] *= 1.0 + 1e-6; /* a touch of damping for flat pictures */
    if (solve(6, H, b, d) < 0) return;
    for (int i = 0; i < 6; i++)
      if (!isfinite(d[i])) return;
    for (int i = 0; i < 6; i++) p[i] += d[i];
    double move = fabs(d[0]) + fabs(d[3]) + (fabs(d[1]) + fabs(d[2]) + fabs(d[4]) + fabs(d[5])) * 0.5 * (l->w + l->h);
    if (move < 0.01) return;
  }
}

/* Whole-pixel translation at the coarsest level, the zero shift preferred unless clearly beaten. */
static void coarse_translation(const Level *l, int *tx, int *ty) {
  double best = 1e30, zero = 1e30;
  int bx = 0, by = 0, R = COARSE_SEARCH;
  for (int dy = -R; dy <= R; dy++)
    for (int dx = -R; dx <= R; dx++) {
      double s = 0.0;
      int n = 0;
      for (int y = 0; y < l->h; y++) {
        int y1 = y + dy;
        if (y1 < 0 || y1 >= l->h) continue;
        for (int x = 0; x < l->w; x++) {
          int x1 = x + dx;
          if (x1 < 0 || x1 >= l->w) continue;
          s += fabsf(l->l1[(size_t)y1 * l->w + x1] - l->l0[(size_t)y * l->w + x]);
          n++;
        }
      }
      if (n < l->w * l->h / 3) continue;
      s /= n;
      if (dx == 0 && dy == 0) zero = s;
      if (s < best) best = s, bx = dx, by = dy;
    }
  if (zero <= best * 1.05) bx = by = 0;
  *tx = bx, *ty = by;
}

/* Mean absolute difference of the bs x bs block at (x0, y0) of a and the block shifted by
 * (dx, dy) in b; 1e30 when less than half of it stays inside. */
static float block_cost(const float *a, const float *b, int w, int h, int x0, int y0, int bs, int dx, int dy) {
  float s = 0.0f;
  int n = 0, all = 0;
  for (int y = y0; y < y0 + bs && y < h; y++) {
    int y1 = y + dy;
    for (int x = x0; x < x0 + bs && x < w; x++, all++) {
      int x1 = x + dx;
      if (y1 < 0 || y1 >= h || x1 < 0 || x1 >= w) continue;
      s += fabsf(b[(size_t)y1 * w + x1] - a[(size_t)y * w + x]);
      n++;
    }
  }
  return 2 * n >= all && n ? s / n : 1e30f;
}

/* The same at a fractional shift (bilinear), for the global model's prediction. */
static float block_cost_at(const float *a, const float *b, int w, int h, int x0, int y0, int bs, const double *p) {
  float s = 0.0f;
  int n = 0;
  for (int y = y0; y < y0 + bs && y < h; y++)
    for (int x = x0; x < x0 + bs && x < w; x++) {
      double X, Y;
      apply(p, 0.5 * w, 0.5 * h, x, y, &X, &Y);
      if (!(X >= 0.0 && Y >= 0.0 && X <= w - 1 && Y <= h - 1)) continue;
      s += fabsf(sample(b, w, (float)X, (float)Y) - a[(size_t)y * w + x]);
      n++;
    }
  return n ? s / n : 1e30f;
}

typedef struct {
  PmMotion *mo;
  int tx, ty;
} MatchJob;

/* Step 1: every block's own translation, for one row of blocks (a task). */
static void match_row(void *ctx, int by, int worker) {
  (void)worker;
  MatchJob *job = ctx;
  PmMotion *mo = job->mo;
  int tx = job->tx, ty = job->ty;
  const PmMotionField *f = &mo->field;
  const Level *l0 = &mo->lv[0], *l1 = mo->nlevels > 1 ? &mo->lv[1] : NULL;
  int w = mo->w, h = mo->h, bs = f->bs;
  for (int bx = 0; bx < f->bw; bx++) {
    BlockMatch *b = &mo->blocks[by * f->bw + bx];
    int x0 = bx * bs, y0 = by * bs, cx = tx, cy = ty;
    if (l1) { /* half resolution around the coarse translation */
      float best = 1e30f;
      int hx = (int)lrint(tx / 2.0), hy = (int)lrint(ty / 2.0), R = BLOCK_SEARCH;
      for (int dy = hy - R; dy <= hy + R; dy++)
        for (int dx = hx - R; dx <= hx + R; dx++) {
          float c = block_cost(l1->l0, l1->l1, l1->w, l1->h, x0 / 2, y0 / 2, bs / 2, dx, dy);
          if (c < best || (c == best && abs(dx) + abs(dy) < abs(cx / 2) + abs(cy / 2)))
            best = c, cx = 2 * dx, cy = 2 * dy;
        }
    }
    /* full resolution: walk downhill until the best of the 3 x 3 is its centre */
    float cost[3][3], best = 1e30f;
    int ex = cx, ey = cy;
    for (int walk = 0; walk < 4; walk++) {
      cx = ex, cy = ey;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          float c = block_cost(l0->l0, l0->l1, w, h, x0, y0, bs, cx + dx, cy + dy);
          cost[dy + 1][dx + 1] = c;
          if (c < best) best = c, ex = cx + dx, ey = cy + dy;
        }
      if (ex == cx && ey == cy) break;
    }
    b->vx = (float)ex, b->vy = (float)ey, b->cost = best;
    /* texture: moving one pixel off the best must cost clearly more, in both directions */
    float side = 1e30f;
    if (ex == cx && ey == cy) {
      float l = cost[1][0], r = cost[1][2], m = cost[1][1], u = cost[0][1], d = cost[2][1];
      side = fminf(fminf(l, r), fminf(u, d)) - m;
      float den = l - 2.0f * m + r;
      if (den > 1e-6f) b->vx += pm_clampf(0.5f * (l - r) / den, -0.5f, 0.5f);
      den = u - 2.0f * m + d;
      if (den > 1e-6f) b->vy += pm_clampf(0.5f * (u - d) / den, -0.5f, 0.5f);
    }
    b->usable = best < 1e29f && side > 0.5f && side < 1e29f;
    b->inlier = 0;
  }
}

/* Step 1 over the pool, a row of blocks a task. */
static void match_blocks(PmMotion *mo, int tx, int ty, PmPool *pool) {
  MatchJob job = {mo, tx, ty};
  pm_pool_run(pool, mo->field.bh, match_row, &job);
}

/* Step 2a: the affine model that most blocks agree with, by iteratively reweighted least
 * squares (x and y rows of the model are independent problems). Returns the inliers' count. */
static float median(float *v, int n) { /* partial selection; v is reordered */
  int lo = 0, hi = n - 1, k = n / 2;
  while (lo < hi) {
    float pivot = v[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        float t = v[i];
        v[i++] = v[j];
        v[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return v[k];
}

/* Robust scale of the blocks' residuals under p: 1.4826 x their median, at least a quarter
 * pixel. */
static double block_sigma(PmMotion *mo, const double *p) {
  const PmMotionField *f = &mo->field;
  double cx = 0.5 * mo->w, cy = 0.5 * mo->h;
  int m = 0;
  for (int i = 0; i < f->bw * f->bh; i++) {
    const BlockMatch *b = &mo->blocks[i];
    if (!b->usable) continue;
    double u = (i % f->bw + 0.5) * f->bs, v = (i / f->bw + 0.5) * f->bs, X, Y;
    apply(p, cx, cy, u, v, &X, &Y);
    mo->scratch[m++] = (float)hypot(u + b->vx - X, v + b->vy - Y);
  }
  return m ? fmax(0.25, 1.4826 * median(mo->scratch, m)) : 1.0;
}

static int fit_blocks(PmMotion *mo, double *p) {
  const PmMotionField *f = &mo->field;
  double cx = 0.5 * mo->w, cy = 0.5 * mo->h;
  int nb = f->bw * f->bh, inliers = 0, m = 0;
  /* start from the median translation: least squares would start inside a moving object's pull */
  for (int i = 0; i < nb; i++)
    if (mo->blocks[i].usable) mo->scratch[m++] = mo->blocks[i].vx;
  if (m < 6) return 0;
  memset(p, 0, 6 * sizeof *p);
  p[0] = median(mo->scratch, m);
  m = 0;
  for (int i = 0; i < nb; i++)
    if (mo->blocks[i].usable) mo->scratch[m++] = mo->blocks[i].vy;
  p[3] = median(mo->scratch, m);
  double sigma = block_sigma(mo, p);
  for (int it = 0; it < 6; it++) {
    double H[6][6] = {{0}}, bxv[6] = {0}, byv[6] = {0}, dx[6], dy[6];
    int n = 0;
    for (int i = 0; i < nb; i++) {
      const BlockMatch *b = &mo->blocks[i];
      if (!b->usable) continue;
      double u = (i % f->bw + 0.5) * f->bs - cx, v = (i / f->bw + 0.5) * f->bs - cy, X, Y;
      apply(p, cx, cy, u + cx, v + cy, &X, &Y);
      double q = hypot(u + cx + b->vx - X, v + cy + b->vy - Y) / (4.685 * sigma);
      if (q >= 1.0) continue;
      double w = (1.0 - q * q) * (1.0 - q * q);
      double J[3] = {1.0, u, v};
      for (int r = 0; r < 3; r++) {
        bxv[r] += w * J[r] * b->vx;
        byv[r] += w * J[r] * b->vy;
        for (int k = 0; k < 3; k++) H[r][k] += w * J[r] * J[k];
      }
      n++;
    }
    if (n < 6) return 0;
    double H2[6][6];
    memcpy(H2, H, sizeof H);
    if (solve(3, H, bxv, dx) < 0 || solve(3, H2, byv, dy) < 0) return 0;
    /* the blocks measured (x + v): the model's displacement is p0 + p1 u + p2 v, etc. */
    p[0] = dx[0], p[1] = dx[1], p[2] = dx[2], p[3] = dy[0], p[4] = dy[1], p[5] = dy[2];
    sigma = block_sigma(mo, p);
  }
  for (int i = 0; i < nb; i++) {
    BlockMatch *b = &mo->blocks[i];
    double u = (i % f->bw + 0.5) * f->bs, v = (i / f->bw + 0.5) * f->bs, X, Y;
    apply(p, cx, cy, u, v, &X, &Y);
    b->inlier = b->usable && hypot(u + b->vx - X, v + b->vy - Y) < fmax(1.0, 3.0 * sigma);
    inliers += b->inlier;
  }
  return inliers;
}

/* Step 3: blocks whose content clearly went elsewhere than the global model says keep their
 * own translation, as a residual on top of it. */
static void residual_field(PmMotion *mo, const double *p) {
  PmMotionField *f = &mo->field;
  const Level *l0 = &mo->lv[0];
  double cx = 0.5 * mo->w, cy = 0.5 * mo->h;
  for (int i = 0; i < f->bw * f->bh; i++) {
    const BlockMatch *b = &mo->blocks[i];
    f->dx[i] = f->dy[i] = 0.0f;
    if (!b->usable || b->inlier) continue;
    int x0 = (i % f->bw) * f->bs, y0 = (i / f->bw) * f->bs;
    double u = x0 + 0.5 * f->bs, v = y0 + 0.5 * f->bs, X, Y;
    apply(p, cx, cy, u, v, &X, &Y);
    float global = block_cost_at(l0->l0, l0->l1, mo->w, mo->h, x0, y0, f->bs, p);
    /* only a clear win moves the block: 25% lower cost and at least one grey level */
    if (!(b->cost < 0.75f * global && global - b->cost > 1.0f)) continue;
    f->dx[i] = (float)(u + b->vx - X);
    f->dy[i] = (float)(v + b->vy - Y);
  }
}

const PmMotionField *pm_motion_estimate(PmMotion *mo, const uint8_t *prev, const uint8_t *cur, float a[6],
                                        PmPool *pool) {
  int w = mo->w, h = mo->h, top = mo->nlevels - 1;
  PmMotionField *f = &mo->field;
  static const float identity[6] = {0, 1, 0, 0, 0, 1};
  memcpy(a, identity, sizeof identity);
  memset(f->dx, 0, sizeof(float) * (size_t)f->bw * f->bh);
  memset(f->dy, 0, sizeof(float) * (size_t)f->bw * f->bh);
  if (w < 16 || h < 16) return f; /* too small to say anything: nothing moves */
  to_luma(prev, w * h, mo->lv[0].l0);
  to_luma(cur, w * h, mo->lv[0].l1);
  for (int i = 1; i < mo->nlevels; i++) {
    halve(mo->lv[i - 1].l0, mo->lv[i - 1].w, mo->lv[i].l0, mo->lv[i].w, mo->lv[i].h);
    halve(mo->lv[i - 1].l1, mo->lv[i - 1].w, mo->lv[i].l1, mo->lv[i].w, mo->lv[i].h);
  }
  int tx, ty;
  coarse_translation(&mo->lv[top], &tx, &ty);
  match_blocks(mo, tx * (1 << top), ty * (1 << top), pool);

  double p[6] = {0}, id[6] = {0};
  int moved = 0;
  if (fit_blocks(mo, p) >= 8) {
    /* the pixels of the agreeing blocks pin the model down to a small fraction of a pixel */
    for (int i = mo->nlevels > 1 ? 1 : 0; i >= 0; i--) {
      Level *l = &mo->lv[i];
      gradients(l);
      double q[6] = {p[0] / (1 << i), p[1], p[2], p[3] / (1 << i), p[4], p[5]};
      refine_affine(mo, l, 1 << i, q, i == 0 ? 2 : 3, i == 0 && l->w * l->h > 20000 ? 2 : 1, pool);
      memcpy(p, q, sizeof q);
      p[0] *= 1 << i, p[3] *= 1 << i;
    }
    /* Keep the identity unless the model moves some corner by a tenth of a pixel and explains
     * the picture clearly better. Compared on blurred images: sampling between pixels
     * averages noise away, which would otherwise pass for an improvement. */
    double cx = 0.5 * w, cy = 0.5 * h, far = 0.0;
    for (int k = 0; k < 4; k++) {
      double X, Y, x = (k & 1) ? w : 0, y = (k & 2) ? h : 0;
      apply(p, cx, cy, x, y, &X, &Y);
      far = fmax(far, fabs(X - x) + fabs(Y - y));
    }
    if (far > 0.1) {
      blur3(mo->lv[0].l0, w, h, mo->lv[0].gx, mo->blur0); /* the gradients are done with */
      blur3(mo->lv[0].l1, w, h, mo->lv[0].gx, mo->blur1);
      moved = residual(mo->blur0, mo->blur1, w, h, p, 1, NULL, pool) < 0.97 * residual(mo->blur0, mo->blur1, w, h, id, 1, NULL, pool);
    }
  }
  if (!moved) {
    memset(p, 0, sizeof p);
    for (int i = 0; i < f->bw * f->bh; i++) /* agreeing with "nothing moved" now */
      mo->blocks[i].inlier = mo->blocks[i].usable && fabsf(mo->blocks[i].vx) < 1.0f && fabsf(mo->blocks[i].vy) < 1.0f;
  }
  residual_field(mo, p);
  /* back to plain pixel coordinates: x' = a0 + a1 x + a2 y, y' = a3 + a4 x + a5 y */
  if (moved) {
    double cx = 0.5 * w, cy = 0.5 * h;
    a[1] = (float)(1.0 + p[1]), a[2] = (float)p[2], a[4] = (float)p[4], a[5] = (float)(1.0 + p[5]);
    a[0] = (float)(cx + p[0] - (1.0 + p[1]) * cx - p[2] * cy);
    a[3] = (float)(cy + p[3] - p[4] * cx - (1.0 + p[5]) * cy);
  }
  return f;
}

/* Weighted median of v over the blocks a shape covers (weights: its pixels in each block). */
static float weighted_median(const float *v, const int *wt, int n, int total) {
  /* few distinct values in practice: selection by repeated minimum is enough */
  int acc = 0;
  float last = -1e30f;
  for (;;) {
    float m = 1e30f;
    for (int i = 0; i < n; i++)
      if (wt[i] && v[i] > last && v[i] < m) m = v[i];
    if (m == 1e30f) return 0.0f;
    for (int i = 0; i < n; i++)
      if (wt[i] && v[i] == m) acc += wt[i];
    if (2 * acc >= total) return m;
    last = m;
  }
}

void pm_motion_shape_offset(const PmMotionField *f, const PmSpan *sp, int nspans, int *weights, float *dx,
                            float *dy) {
  int nb = f->bw * f->bh, total = 0, moving = 0;
  memset(weights, 0, sizeof *weights * (size_t)nb);
  for (int i = 0; i < nspans; i++) {
    int row = (sp[i].y / f->bs) * f->bw;
    for (int x = sp[i].x1; x < sp[i].x2;) {
      int b = x / f->bs, end = (b + 1) * f->bs < sp[i].x2 ? (b + 1) * f->bs : sp[i].x2;
      weights[row + b] += end - x;
      total += end - x;
      if (f->dx[row + b] != 0.0f || f->dy[row + b] != 0.0f) moving += end - x;
      x = end;
    }
  }
  *dx = *dy = 0.0f;
  if (2 * moving < total || total == 0) return; /* mostly on still ground: stays */
  *dx = weighted_median(f->dx, weights, nb, total);
  *dy = weighted_median(f->dy, weights, nb, total);
}

typedef struct {
  const PmMotionField *f;
  const float *a;
  const uint8_t *prev, *cur;
  int w, h;
  float *out, *tmp;
} UnexplainedJob;

/* One band of rows: each pixel's difference from where the motion says it came from. */
static void unexplained_band(void *ctx, int j, int worker) {
  (void)worker;
  const UnexplainedJob *job = ctx;
  const PmMotionField *f = job->f;
  const float *a = job->a;
  int w = job->w, h = job->h, ya, yb;
  double det = (double)a[1] * a[5] - (double)a[2] * a[4];
  if (fabs(det) < 1e-6) det = 1.0; /* never from pm_motion_estimate; a guard for the division */
  band_rows(j, 0, h, 1, &ya, &yb);
  for (int y = ya; y < yb; y++) {
    double Y = y - a[3], a2y = a[2] * Y, a1y = a[1] * Y;
    for (int x = 0; x < w; x++) {
      /* x = A(p) + d(block of p): undo A, then the residual of the block found there */
      double X = x - a[0];
      double px = (a[5] * X - a2y) / det, py = (-a[4] * X + a1y) / det;
      if (px >= 0.0 && py >= 0.0 && px < w && py < h) {
        int b = ((int)py / f->bs) * f->bw + (int)px / f->bs;
        px -= f->dx[b], py -= f->dy[b];
      }
      int ix = (int)lrint(px), iy = (int)lrint(py);
      ix = ix < 0 ? 0 : ix >= w ? w - 1 : ix;
      iy = iy < 0 ? 0 : iy >= h ? h - 1 : iy;
      const uint8_t *p = job->prev + ((size_t)iy * w + ix) * 3, *c = job->cur + ((size_t)y * w + x) * 3;
      job->tmp[(size_t)y * w + x] = (float)(abs(p[0] - c[0]) + abs(p[1] - c[1]) + abs(p[2] - c[2])) / 3.0f;
    }
  }
}

/* One band of rows: an edge that moved by a little more or less than the motion says marks both
 * its sides, so the 3 x 3 maximum, down the columns into out, then along each row in place. */
static void unexplained_max_band(void *ctx, int j, int worker) {
  (void)worker;
  const UnexplainedJob *job = ctx;
  int w = job->w, h = job->h, ya, yb;
  band_rows(j, 0, h, 1, &ya, &yb);
  for (int y = ya; y < yb; y++) {
    const float *up = job->tmp + (size_t)(y > 0 ? y - 1 : y) * w, *mid = job->tmp + (size_t)y * w;
    const float *down = job->tmp + (size_t)(y + 1 < h ? y + 1 : y) * w;
    float *o = job->out + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      float m = up[x] > mid[x] ? up[x] : mid[x];
      o[x] = down[x] > m ? down[x] : m;
    }
    float left = o[0];
    for (int x = 0; x < w; x++) {
      float here = o[x], m = left > here ? left : here;
      if (x + 1 < w && o[x + 1] > m) m = o[x + 1];
      o[x] = m, left = here;
    }
  }
}

void pm_motion_unexplained(const PmMotionField *f, const float a[6], const uint8_t *prev, const uint8_t *cur, int w,
                           int h, float *out, float *tmp, PmPool *pool) {
  UnexplainedJob job = {f, a, prev, cur, w, h, out, tmp};
  pm_pool_run(pool, SUM_BANDS, unexplained_band, &job);
  pm_pool_run(pool, SUM_BANDS, unexplained_max_band, &job); /* reads the bands' neighbours */
}
