// The device search on a GPU: search.h's phases between block barriers, two kernels per shape
// (the climbers, then pick-draw-re-sum), and the model's copy resident in device memory. Built
// with --fmad=false so the GPU computes the emulation's floats (search_emu.c runs the same
// phases on the CPU). The driver is loaded at run time by the static CUDA runtime: a machine
// without one gets a reason from open(), never a failed load.
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "downscale_cuda.h"
#include "downscale_emu.h"
#include "primitive_cuda.h"
#include "render_cuda.h"
#include "render_emu.h"
#include "search.h"

// Lanes per candidate (search.h). 8 measured fastest on an H200 (100 triangles on monalisa.png:
// 1 lane 3.0 ms a shape, see docs/cuda.md); PM_CUDA_LANES=1|4|8|16 picks another, to measure.
#define PM_DEV_LANES_DEFAULT 8

// KIND > 0: built for that kind alone (the search's hot case, triangles), its switches folded;
// 0: any kind, read at run time. Thread i is lane i % LANES of candidate slot i / LANES; the
// argmins and the finish are done by the first threads, as slots.
template <int KIND, int LANES>
__global__ void __launch_bounds__(PM_DEV_THREADS *LANES, 1) pm_climb_kernel(PmDevParams p, PmDevState st) {
  if (KIND > 0) p.kind = KIND;
  __shared__ PmDevBlock b;
  PmDevThread th;
  int blk = blockIdx.x, i = threadIdx.x, t = i / LANES, lane = i % LANES;
  pm_dev_random_phase(&p, &st, &b, &th, blk, t, lane, LANES);
  __syncthreads();
  for (int s = PM_DEV_THREADS / 2; s > 0; s >>= 1) {
    pm_dev_argmin_stage(b.d, b.idx, i, s);
    __syncthreads();
  }
  pm_dev_take_phase(&b, &th, t, lane);
  __syncthreads();
  while (!b.done) {
    pm_dev_mutate_phase(&p, &st, &b, &th, t, lane, LANES);
    __syncthreads();
    for (int s = PM_DEV_THREADS / 2; s > 0; s >>= 1) {
      pm_dev_argmin_stage(b.d, b.idx, i, s);
      __syncthreads();
    }
    pm_dev_accept_phase(&p, &b, &th, t, lane);
    __syncthreads();
  }
  pm_dev_finish_phase(&p, &st, &b, blk, i);
}

// Kernel 2 on the GPU is two: the pick (one block: search.h's pick and shape phases) leaves the
// shape's rows to draw in device memory, and the draw takes a warp per row over a grid of blocks.
// The emulation draws a row per thread (pm_dev_draw_phase); the pixels are blended one by one
// either way and the sums are integers, so the canvas, the sums and the error are the same.
typedef struct {
  PmShape shape;
  PmGeo geo;
  PmEdgeSet es;
  int ya, yb, any;
} PmDevDrawSetup;

#define PM_DRAW_ROWS_PER_BLOCK 8 // warps of a draw block, a row each

__global__ void __launch_bounds__(PM_DEV_DRAW_THREADS) pm_pick_kernel(PmDevParams p, PmDevState st,
                                                                      PmDevDrawSetup *setup) {
  __shared__ PmDevDrawBlock b;
  int t = threadIdx.x;
  pm_dev_pick_phase(&p, &st, &b, t);
  __syncthreads();
  for (int s = PM_DEV_DRAW_THREADS / 2; s > 0; s >>= 1) {
    pm_dev_argmin_stage(b.d, b.idx, t, s);
    __syncthreads();
  }
  pm_dev_shape_phase(&p, &st, &b, t);
  __syncthreads();
  if (t == 0) {
    setup->shape = b.shape;
    setup->geo = b.geo;
    setup->es = b.es;
    setup->ya = b.ya, setup->yb = b.yb, setup->any = b.any;
  }
}

// A row's intervals are blended by the lanes, a pixel each in turn; then the row's prefix sums
// from its first changed column are rebuilt in 32 pieces, one per lane, each started from the
// sums before it (a warp scan of the pieces' totals).
__global__ void __launch_bounds__(32 * PM_DRAW_ROWS_PER_BLOCK) pm_draw_rows_kernel(PmDevState st,
                                                                                  const PmDevDrawSetup *setup) {
  int lane = threadIdx.x & 31, y = blockIdx.x * PM_DRAW_ROWS_PER_BLOCK + (threadIdx.x >> 5);
  if (!setup->any || y < setup->ya || y > setup->yb || y >= st.h) return; // the same for the whole warp
  int w = st.w;
  int16_t x1[PM_MAX_INTERVALS], x2[PM_MAX_INTERVALS];
  int k = pm_geo_row(&setup->geo, &setup->es, y, w, x1, x2);
  if (k == 0) return;
  size_t o = (size_t)y * w * 3;
  uint8_t *crow = st.canvas + o;
  const uint8_t *trow = st.target + o;
  uint8_t rgba[4] = {setup->shape.rgba[0], setup->shape.rgba[1], setup->shape.rgba[2], setup->shape.rgba[3]};
  long long de = 0;
  for (int i = 0; i < k; i++)
    for (int x = x1[i] + lane; x < x2[i]; x += 32) de += pm_blend_span(crow, trow, x, x + 1, rgba);
  __syncwarp(); // the blended pixels, visible to the lanes that sum them
  PmSums *ps = st.sums + (size_t)y * (w + 1);
  int x0 = x1[0], piece = (w - x0 + 31) / 32;
  int xa = min(w, x0 + lane * piece), xb = min(w, xa + piece);
  PmSums own = {{0, 0, 0}, {0, 0, 0}, 0, 0}, before = own;
  pm_sums_run(NULL, trow, crow, xa, xb, &own);
  // inclusive scan of the pieces' totals over the lanes, then the lane's own total taken off
  PmSums inc = own;
  for (int d = 1; d < 32; d <<= 1) {
    int32_t *v = (int32_t *)&inc, got[8];
    for (int j = 0; j < 8; j++) got[j] = __shfl_up_sync(0xffffffffu, v[j], d);
    if (lane >= d)
      for (int j = 0; j < 8; j++) v[j] += got[j];
  }
  int32_t *bv = (int32_t *)&before;
  const int32_t *iv = (const int32_t *)&inc, *ov = (const int32_t *)&own, *sv = (const int32_t *)&ps[x0];
  for (int j = 0; j < 8; j++) bv[j] = sv[j] + iv[j] - ov[j];
  __syncwarp(); // every lane has read ps[x0] before lane 0 may rewrite ps[x0 + 1..]
  pm_sums_run(ps, trow, crow, xa, xb, &before);
  for (int d = 16; d > 0; d >>= 1) de += __shfl_xor_sync(0xffffffffu, de, d);
  if (lane == 0 && de) atomicAdd((unsigned long long *)st.err, (unsigned long long)de); // two's complement
}

__global__ void pm_sums_kernel(PmDevState st) { pm_dev_sums_row(&st, blockIdx.x * blockDim.x + threadIdx.x); }

typedef struct {
  PmDevState st; /* device pointers */
  int climbers_cap;
  unsigned long long synced;
  int valid;
  char name[300];
  int smem_optin; /* the most shared memory a block may have */
  /* the render's buffers */
  PmShape *r_shapes;
  PmGeo *r_geo;
  int r_cap;
  uint8_t *r_plane[3];
  size_t r_bytes[3];
  /* the downscale's: the source planes, the taps, the horizontal pass, the result */
  uint8_t *d_plane[3], *d_taps, *d_out;
  float *d_mid;
  size_t d_bytes[3], d_taps_bytes, d_mid_bytes, d_out_bytes;
  int lanes;             /* threads per candidate in the climbers */
  PmDevDrawSetup *setup; /* the pick's shape and rows, for the draw */
  /* PM_CUDA_PROFILE=1: where a search step's time goes, printed to stderr at close */
  int prof;
  cudaEvent_t ev[3];
  double t_climb, t_draw, t_call, climb_steps;
  long long calls;
} CudaDevice;

static double wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int fail(cudaError_t e, const char *what, char *err, size_t len) {
  if (e == cudaSuccess) return 0;
  if (err) snprintf(err, len, "CUDA: %s: %s", what, cudaGetErrorString(e));
  return -1;
}

static PmDeviceHandle *cuda_open(char *why, size_t len) {
  if (!pm_cuda_available(why, len)) return NULL;
  cudaDeviceProp prop;
  if (fail(cudaSetDevice(0), "cudaSetDevice", why, len) ||
      fail(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties", why, len) ||
      fail(cudaFree(0), "context", why, len))
    return NULL;
  if (prop.major < 9) { /* the build holds sm_90 code and compute_90 PTX */
    snprintf(why, len, "%s (sm_%d%d) is older than the sm_90 this build targets", prop.name, prop.major, prop.minor);
    return NULL;
  }
  CudaDevice *d = (CudaDevice *)calloc(1, sizeof *d);
  if (!d) {
    snprintf(why, len, "out of memory");
    return NULL;
  }
  snprintf(d->name, sizeof d->name, "%s, sm_%d%d", prop.name, prop.major, prop.minor);
  if (cudaDeviceGetAttribute(&d->smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0) != cudaSuccess)
    d->smem_optin = 48 * 1024;
  const char *lanes = getenv("PM_CUDA_LANES");
  d->lanes = lanes ? atoi(lanes) : PM_DEV_LANES_DEFAULT;
  if (d->lanes != 1 && d->lanes != 4 && d->lanes != 8 && d->lanes != 16) d->lanes = PM_DEV_LANES_DEFAULT;
  const char *prof = getenv("PM_CUDA_PROFILE");
  if (prof && *prof && strcmp(prof, "0"))
    d->prof = cudaEventCreate(&d->ev[0]) == cudaSuccess && cudaEventCreate(&d->ev[1]) == cudaSuccess &&
              cudaEventCreate(&d->ev[2]) == cudaSuccess;
  return (PmDeviceHandle *)d;
}

static void free_images(CudaDevice *d) {
  cudaFree(d->st.target), cudaFree(d->st.canvas), cudaFree(d->st.sums);
  d->st.target = d->st.canvas = NULL;
  d->st.sums = NULL;
}

static void cuda_close(PmDeviceHandle *h) {
  CudaDevice *d = (CudaDevice *)h;
  if (!d) return;
  if (d->prof && d->calls) {
    double n = (double)d->calls;
    fprintf(stderr, "cuda profile: %lld searches: %.3f ms each (host wall), climb kernel %.3f ms, pick and draw kernels %.3f ms; "
            "%.1f climb steps per climber; %d lanes\n", d->calls, d->t_call / n, d->t_climb / n, d->t_draw / n,
            d->climb_steps / n, d->lanes);
  }
  if (d->prof)
    for (int i = 0; i < 3; i++) cudaEventDestroy(d->ev[i]);
  free_images(d);
  cudaFree(d->st.err), cudaFree(d->st.climbs), cudaFree(d->st.pick), cudaFree(d->setup);
  cudaFree(d->r_shapes), cudaFree(d->r_geo);
  for (int i = 0; i < 3; i++) cudaFree(d->r_plane[i]), cudaFree(d->d_plane[i]);
  cudaFree(d->d_taps), cudaFree(d->d_mid), cudaFree(d->d_out);
  free(d);
}

static int ensure(CudaDevice *d, int w, int h, int climbers, char *err, size_t len) {
  if (d->st.w != w || d->st.h != h || !d->st.target) {
    free_images(d);
    d->valid = 0;
    d->st.w = w, d->st.h = h;
    if (fail(cudaMalloc(&d->st.target, (size_t)w * h * 3), "cudaMalloc", err, len) ||
        fail(cudaMalloc(&d->st.canvas, (size_t)w * h * 3), "cudaMalloc", err, len) ||
        fail(cudaMalloc(&d->st.sums, sizeof(PmSums) * (size_t)(w + 1) * h), "cudaMalloc", err, len)) {
      free_images(d);
      return -1;
    }
  }
  if ((!d->st.err && fail(cudaMalloc(&d->st.err, sizeof *d->st.err), "cudaMalloc", err, len)) ||
      (!d->st.pick && fail(cudaMalloc(&d->st.pick, sizeof *d->st.pick), "cudaMalloc", err, len)) ||
      (!d->setup && fail(cudaMalloc(&d->setup, sizeof *d->setup), "cudaMalloc", err, len)))
    return -1;
  if (climbers > d->climbers_cap) {
    cudaFree(d->st.climbs);
    d->st.climbs = NULL;
    d->climbers_cap = 0;
    if (fail(cudaMalloc(&d->st.climbs, sizeof *d->st.climbs * (size_t)climbers), "cudaMalloc", err, len)) return -1;
    d->climbers_cap = climbers;
  }
  return 0;
}

template <int KIND> static void climb_kind(const PmDevParams &p, const PmDevState &st, int lanes) {
  switch (lanes) {
  case 1: pm_climb_kernel<KIND, 1><<<p.climbers, PM_DEV_THREADS>>>(p, st); break;
  case 4: pm_climb_kernel<KIND, 4><<<p.climbers, PM_DEV_THREADS * 4>>>(p, st); break;
  case 16: pm_climb_kernel<KIND, 16><<<p.climbers, PM_DEV_THREADS * 16>>>(p, st); break;
  default: pm_climb_kernel<KIND, 8><<<p.climbers, PM_DEV_THREADS * 8>>>(p, st); break;
  }
}

static void climb(const PmDevParams &p, const PmDevState &st, int lanes) {
  if (p.kind == PM_SHAPE_TRIANGLE) climb_kind<PM_SHAPE_TRIANGLE>(p, st, lanes);
  else climb_kind<0>(p, st, lanes);
}

static int cuda_search(PmDeviceHandle *h, const PmSearchView *v, PmShape *out, double *delta, uint64_t *evals,
                       char *err, size_t len) {
  CudaDevice *d = (CudaDevice *)h;
  PmDevParams p = pm_dev_params(v);
  double t0 = d->prof ? wall_ms() : 0;
  if (ensure(d, v->w, v->h, p.climbers, err, len) < 0) return -1;
  if (!d->valid || d->synced != v->version) { /* the model changed its canvas or target itself */
    d->valid = 0;
    size_t bytes = (size_t)v->w * v->h * 3;
    long long e = v->err;
    if (fail(cudaMemcpy(d->st.target, v->target, bytes, cudaMemcpyHostToDevice), "upload", err, len) ||
        fail(cudaMemcpy(d->st.canvas, v->canvas, bytes, cudaMemcpyHostToDevice), "upload", err, len) ||
        fail(cudaMemcpy(d->st.err, &e, sizeof e, cudaMemcpyHostToDevice), "upload", err, len))
      return -1;
    pm_sums_kernel<<<(v->h + 127) / 128, 128>>>(d->st);
  }
  d->valid = 0; /* until the step has completed */
  if (d->prof) cudaEventRecord(d->ev[0]);
  climb(p, d->st, d->lanes);
  if (d->prof) cudaEventRecord(d->ev[1]);
  pm_pick_kernel<<<1, PM_DEV_DRAW_THREADS>>>(p, d->st, d->setup);
  pm_draw_rows_kernel<<<(v->h + PM_DRAW_ROWS_PER_BLOCK - 1) / PM_DRAW_ROWS_PER_BLOCK, 32 * PM_DRAW_ROWS_PER_BLOCK>>>(
      d->st, d->setup);
  if (d->prof) cudaEventRecord(d->ev[2]);
  PmDevResult r;
  if (fail(cudaGetLastError(), "launch", err, len) ||
      fail(cudaMemcpy(&r, d->st.pick, sizeof r, cudaMemcpyDeviceToHost), "search", err, len))
    return -1;
  *out = r.shape;
  *delta = r.delta;
  *evals = r.evals;
  if (d->prof) {
    float a = 0, b = 0;
    cudaEventElapsedTime(&a, d->ev[0], d->ev[1]);
    cudaEventElapsedTime(&b, d->ev[1], d->ev[2]);
    d->t_climb += a, d->t_draw += b, d->t_call += wall_ms() - t0, d->calls++;
    d->climb_steps += ((double)r.evals - (double)p.candidates * p.climbers) / PM_DEV_THREADS / p.climbers;
  }
  d->synced = v->version + 1; /* the model draws the same shape next */
  d->valid = 1;
  return 0;
}

static const char *cuda_describe(PmDeviceHandle *h) { return ((CudaDevice *)h)->name; }

/* Row bytes and rows of the output's planes (0 rows: no such plane). */
static void plane_shape(const PmFrame *f, int i, size_t *row_bytes, int *rows) {
  int w = f->width, h = f->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
  *rows = 0;
  if (f->format < PM_FORMAT_I420) {
    if (i == 0) *row_bytes = (size_t)w * pm_format_bytes_per_pixel(f->format), *rows = h;
  } else if (i == 0) {
    *row_bytes = (size_t)w, *rows = h;
  } else if (f->format == PM_FORMAT_I420) {
    *row_bytes = (size_t)cw, *rows = ch;
  } else if (i == 1) {
    *row_bytes = 2 * (size_t)cw, *rows = ch;
  }
}

/* The shapes' geometry is built on the host by the CPU renderer's code, so every kind, the
 * rotated ones too, renders the CPU's bytes; the frame comes back plane by plane. */
static int cuda_render(PmDeviceHandle *h, const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh,
                       PmFrame *out, char *err, size_t len) {
  CudaDevice *d = (CudaDevice *)h;
  PmRenderArgs a;
  if (pm_render_args(&a, shapes, NULL, n, bg, ww, wh, out) < 0) {
    snprintf(err, len, "bad render arguments");
    return -1;
  }
  if (pm_cuda_render_smem(&a) + sizeof(PmRenderBlock) > (size_t)d->smem_optin) {
    snprintf(err, len, "a %d px wide frame exceeds the device's shared memory", out->width);
    return -1;
  }
  int cap = n > 0 ? n : 1;
  if (cap > d->r_cap) {
    cudaFree(d->r_shapes), cudaFree(d->r_geo);
    d->r_shapes = NULL, d->r_geo = NULL, d->r_cap = 0;
    if (fail(cudaMalloc(&d->r_shapes, sizeof(PmShape) * (size_t)cap), "cudaMalloc", err, len) ||
        fail(cudaMalloc(&d->r_geo, sizeof(PmGeo) * (size_t)cap), "cudaMalloc", err, len))
      return -1;
    d->r_cap = cap;
  }
  size_t rb[3];
  int rows[3];
  for (int i = 0; i < 3; i++) {
    plane_shape(out, i, &rb[i], &rows[i]);
    size_t bytes = rows[i] ? rb[i] * (size_t)rows[i] : 0;
    if (bytes > d->r_bytes[i]) {
      cudaFree(d->r_plane[i]);
      d->r_plane[i] = NULL, d->r_bytes[i] = 0;
      if (fail(cudaMalloc(&d->r_plane[i], bytes), "cudaMalloc", err, len)) return -1;
      d->r_bytes[i] = bytes;
    }
    a.data[i] = rows[i] ? d->r_plane[i] : NULL;
    a.stride[i] = rows[i] ? (int)rb[i] : 0;
  }
  PmGeo *geo = (PmGeo *)malloc(sizeof(PmGeo) * (size_t)cap);
  if (!geo) {
    snprintf(err, len, "out of memory");
    return -1;
  }
  for (int i = 0; i < n; i++) pm_shape_geometry(&shapes[i], &geo[i]);
  int r = fail(cudaMemcpy(d->r_shapes, shapes, sizeof(PmShape) * (size_t)n, cudaMemcpyHostToDevice), "upload", err,
               len) ||
          fail(cudaMemcpy(d->r_geo, geo, sizeof(PmGeo) * (size_t)n, cudaMemcpyHostToDevice), "upload", err, len);
  free(geo);
  if (r) return -1;
  a.shapes = d->r_shapes, a.geo = d->r_geo;
  if (pm_cuda_render_launch(&a) < 0) {
    snprintf(err, len, "CUDA: render launch failed");
    return -1;
  }
  for (int i = 0; i < 3; i++)
    if (rows[i] && fail(cudaMemcpy2D(out->data[i], (size_t)out->stride[i], d->r_plane[i], rb[i], rb[i],
                                     (size_t)rows[i], cudaMemcpyDeviceToHost), "download", err, len))
      return -1;
  return 0;
}

/* A device buffer of at least `bytes`, kept between calls. */
static int grow(void **buf, size_t *have, size_t bytes, char *err, size_t len) {
  if (bytes <= *have) return 0;
  cudaFree(*buf);
  *buf = NULL, *have = 0;
  if (fail(cudaMalloc(buf, bytes ? bytes : 1), "cudaMalloc", err, len)) return -1;
  *have = bytes;
  return 0;
}

/* The frame goes up plane by plane (rows only, not their padding), the working image comes back. */
static int cuda_downscale(PmDeviceHandle *h, const PmFrame *f, int ww, int wh, uint8_t *rgb, char *err, size_t len) {
  CudaDevice *d = (CudaDevice *)h;
  PmDownArgs a;
  void *block;
  size_t block_bytes;
  if (pm_down_args(&a, f, ww, wh, &block, &block_bytes) < 0) {
    snprintf(err, len, "out of memory");
    return -1;
  }
  int r = grow((void **)&d->d_taps, &d->d_taps_bytes, block_bytes, err, len) ||
          fail(cudaMemcpy(d->d_taps, block, block_bytes, cudaMemcpyHostToDevice), "upload", err, len);
  /* the taps' pointers, moved to the device copy of their block */
  const char *hb = (const char *)block;
  char *db = (char *)d->d_taps;
  a.xfirst = (const int *)(db + ((const char *)a.xfirst - hb));
  a.xcount = (const int *)(db + ((const char *)a.xcount - hb));
  a.yfirst = (const int *)(db + ((const char *)a.yfirst - hb));
  a.ycount = (const int *)(db + ((const char *)a.ycount - hb));
  a.xw = (const float *)(db + ((const char *)a.xw - hb));
  a.yw = (const float *)(db + ((const char *)a.yw - hb));
  free(block);
  for (int i = 0; i < 3 && !r; i++) {
    size_t rb;
    int rows;
    plane_shape(f, i, &rb, &rows);
    if (!rows) continue;
    r = grow((void **)&d->d_plane[i], &d->d_bytes[i], rb * (size_t)rows, err, len) ||
        fail(cudaMemcpy2D(d->d_plane[i], rb, f->data[i], (size_t)f->stride[i], rb, (size_t)rows, cudaMemcpyHostToDevice),
             "upload", err, len);
    a.data[i] = d->d_plane[i];
    a.stride[i] = (int)rb;
  }
  size_t out_bytes = (size_t)ww * wh * 3;
  r = r || grow((void **)&d->d_mid, &d->d_mid_bytes, sizeof(float) * 3 * (size_t)ww * f->height, err, len) ||
      grow((void **)&d->d_out, &d->d_out_bytes, out_bytes, err, len);
  if (r) return -1;
  a.mid = d->d_mid, a.out = d->d_out;
  if (pm_cuda_down_launch(&a) < 0) {
    snprintf(err, len, "CUDA: downscale launch failed");
    return -1;
  }
  return fail(cudaMemcpy(rgb, d->d_out, out_bytes, cudaMemcpyDeviceToHost), "download", err, len);
}

extern "C" const PmDeviceOps pm_cuda_device_ops = {"cuda",        cuda_open,   cuda_close,    cuda_search,
                                                   cuda_describe, cuda_render, cuda_downscale};

extern "C" int pm_cuda_device_state(PmDeviceHandle *h, uint8_t *canvas, PmSums *sums, long long *err_out, char *err,
                                    size_t len) {
  CudaDevice *d = (CudaDevice *)h;
  if (!d->valid) {
    if (err) snprintf(err, len, "no state on the device yet");
    return -1;
  }
  int w = d->st.w, hh = d->st.h;
  if (fail(cudaMemcpy(canvas, d->st.canvas, (size_t)w * hh * 3, cudaMemcpyDeviceToHost), "download", err, len) ||
      fail(cudaMemcpy(sums, d->st.sums, sizeof(PmSums) * (size_t)(w + 1) * hh, cudaMemcpyDeviceToHost), "download",
           err, len) ||
      fail(cudaMemcpy(err_out, d->st.err, sizeof *err_out, cudaMemcpyDeviceToHost), "download", err, len))
    return -1;
  return 0;
}
