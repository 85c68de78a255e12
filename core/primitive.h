/* gst-primitive core: approximate an image with a few hundred geometric shapes.
 *
 * Plain C11, no GLib. A PmModel holds the target at a small working resolution, the canvas and
 * the ordered list of shapes. pm_model_step() adds the shape that most lowers the error;
 * pm_model_set_target() swaps in a new target (the next video frame) while keeping the shapes
 * and pm_model_warm_start() refits them to it. pm_render() draws the shapes anti-aliased at
 * any size into packed RGB-family or YUV buffers. */
#ifndef PRIMITIVE_H
#define PRIMITIVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Numbered as primitive's -m flag. */
typedef enum {
  PM_SHAPE_ANY = 0,
  PM_SHAPE_TRIANGLE = 1,
  PM_SHAPE_RECTANGLE = 2,
  PM_SHAPE_ELLIPSE = 3,
  PM_SHAPE_CIRCLE = 4,
  PM_SHAPE_ROTATED_RECTANGLE = 5,
  PM_SHAPE_BEZIER = 6,
  PM_SHAPE_ROTATED_ELLIPSE = 7,
  PM_SHAPE_POLYGON = 8,
  PM_SHAPE_KIND_COUNT
} PmShapeKind;

/* Geometry in working-resolution pixel units; pixel (x, y) covers [x, x+1) x [y, y+1).
 *   triangle          p = x1 y1 x2 y2 x3 y3
 *   rectangle         p = x1 y1 x2 y2 (opposite corners)
 *   ellipse, circle   p = cx cy rx ry (circle: rx == ry)
 *   rotated rectangle p = cx cy width height angle(degrees)
 *   rotated ellipse   p = cx cy rx ry angle(degrees)
 *   bezier            p = x1 y1 cx cy x2 y2 stroke-width (quadratic, round caps)
 *   polygon           p = x1 y1 x2 y2 x3 y3 x4 y4 (non-zero fill) */
typedef struct {
  PmShapeKind kind;
  float p[8];
  uint8_t rgba[4];
} PmShape;

typedef enum {
  PM_FORMAT_RGBA, PM_FORMAT_BGRA, PM_FORMAT_RGBX, PM_FORMAT_BGRX,
  PM_FORMAT_ARGB, PM_FORMAT_ABGR, PM_FORMAT_XRGB, PM_FORMAT_XBGR,
  PM_FORMAT_RGB, PM_FORMAT_BGR,
  PM_FORMAT_I420, /* planar Y, U, V; BT.601 limited range */
  PM_FORMAT_NV12, /* planar Y, interleaved UV; BT.601 limited range */
  PM_FORMAT_COUNT
} PmFormat;

typedef struct {
  PmFormat format;
  int width, height;
  uint8_t *data[3];
  int stride[3];
} PmFrame;

/* Where the search runs. AUTO: CUDA when this build has it and a GPU works, else the CPU (the
 * model says which, and why, in pm_model_device()). CUDA: an error without one. EMULATED: the
 * CUDA search's algorithm run on the CPU, shape for shape what the GPU finds (slow; for tests). */
typedef enum { PM_DEVICE_CPU = 0, PM_DEVICE_AUTO, PM_DEVICE_CUDA, PM_DEVICE_EMULATED, PM_DEVICE_COUNT } PmDevice;

typedef struct {
  int working_size;     /* long side of the working image; never upscaled (256) */
  PmShapeKind kind;     /* (PM_SHAPE_TRIANGLE) */
  int alpha;            /* 1..255, or 0 for automatic per shape (128) */
  int use_background;   /* 0: the target's average colour; 1: background[] */
  uint8_t background[3];
  uint64_t seed;        /* same seed, same result, whatever the thread count (1) */
  int threads;          /* 0: all cores */
  /* Search effort per shape: `climbs` independent hill climbs, each from the best of
   * `candidates` random shapes and stopping after `max_age` failed mutations. 0 = default. */
  int climbs, candidates, max_age;
  /* primitive's -rep: after each step, up to `repeat` more shapes climbed from the last one. */
  int repeat;
  PmDevice device;      /* where the search runs (PM_DEVICE_CPU) */
} PmConfig;

typedef struct PmModel PmModel;

void pm_config_init(PmConfig *cfg);

/* Returns NULL and writes a message into err (if given) on bad arguments. */
PmModel *pm_model_new(const PmConfig *cfg, const PmFrame *target, char *err, size_t errlen);
void pm_model_free(PmModel *m);

/* Adds one shape (plus up to cfg.repeat follow-ups). Returns the new score. */
double pm_model_step(PmModel *m);

/* Replaces the target (a new frame, any size); the shapes are kept, scaled to the new
 * working size if it changed. The canvas is not refitted until pm_model_warm_start(). */
int pm_model_set_target(PmModel *m, const PmFrame *target, char *err, size_t errlen);

/* Warm start for video: re-solves every kept shape's colour against the current target,
 * refines each by `refine_tries` mutations (more, and finer, where the picture changed under
 * it; kept only if the whole picture gains by more than it shows), drops the
 * ones that no longer lower the error, tops the list back up to `shape_count` with fresh search
 * steps, then runs up to `replace_rounds` rounds of replacing the shape that pays least by a
 * new one, each kept only if the picture gains. Returns the score. */
double pm_model_warm_start(PmModel *m, int shape_count, int refine_tries, int replace_rounds);

/* Stopping early. Searches (steps, warm starts) return soon after pm_model_interrupt() (from any
 * thread: a flush, a quit) or once the clock passes the deadline, keeping what they have: a step
 * may then add nothing, a warm start leave the remaining shapes as they were. Interrupted, a
 * model stays so until pm_model_resume(). Deadlines are pm_now() values (seconds, monotonic);
 * 0 sets none. Without either, results do not depend on timing. */
double pm_now(void);
void pm_model_interrupt(PmModel *m);
void pm_model_resume(PmModel *m);
void pm_model_set_deadline(PmModel *m, double deadline);
int pm_model_stopped(const PmModel *m);

/* Drops all shapes and restarts the random streams: a cold start on the current target that
 * gives the same result as a new model would. */
void pm_model_reset(PmModel *m);

/* Changes the search settings (kind, alpha, seed, effort, background) of a live model; the
 * thread count and the device stay as the model was made. */
void pm_model_configure(PmModel *m, const PmConfig *cfg);

double pm_model_score(const PmModel *m);    /* primitive's score at the working size */
double pm_model_psnr(const PmModel *m);     /* dB, over R, G, B */
int pm_model_shape_count(const PmModel *m);
const PmShape *pm_model_shapes(const PmModel *m);
void pm_model_background(const PmModel *m, uint8_t rgb[3]);
void pm_model_working_size(const PmModel *m, int *w, int *h);
uint64_t pm_model_evaluations(const PmModel *m); /* candidate evaluations so far */
/* Mean absolute difference (0..255) between the current target and the one before the last
 * pm_model_set_target(); 255 after a size change or for the first target. */
double pm_model_target_change(const PmModel *m);
const uint8_t *pm_model_canvas(const PmModel *m, int *stride); /* RGB, working size */
/* Where the search runs, in words: "cpu", "cuda (GPU name)", or "cpu (why not cuda)" after auto
 * fell back or a device failed. */
const char *pm_model_device(const PmModel *m);
/* 1 when `device` can run here (AUTO always can), 0 when not; either way `why` says where the
 * search would run, or why it cannot (no CUDA in this build, no driver, no GPU). For hosts that
 * check at start-up. */
int pm_device_available(PmDevice device, char *why, size_t len);
/* "auto", "cpu", "cuda", "emulated"; pm_device_parse: -1 for another name. */
const char *pm_device_name(PmDevice device);
int pm_device_parse(const char *name);

/* Anti-aliased rendering of background + shapes at the frame's size. Returns 0 on success. */
int pm_render(const PmModel *m, PmFrame *out);
/* The same from a bare shape list (working size ww x wh). */
int pm_render_shapes(const PmShape *shapes, int n, const uint8_t bg[3], int ww, int wh,
                     PmFrame *out, int threads);

/* SVG document of the model at out_w x out_h; malloc'ed, caller frees (NULL when out of memory).
 * Numbers use '.' whatever the locale. */
char *pm_model_svg(const PmModel *m, int out_w, int out_h);
/* The same with transparency: the background's opacity (255: opaque) and, unless NULL, the URL
 * of an image (e.g. a data: URI) drawn over out_w x out_h whose alpha is the picture's opacity. */
char *pm_model_svg_alpha(const PmModel *m, int out_w, int out_h, uint8_t background_alpha, const char *mask_href);

/* ---- video: the per-frame policy shared by the GStreamer element and the frei0r plugin ---- */
/* Cuts between shots measured 0.23 to 0.27 of full scale (the benchmark and batch clips),
 * hand-held footage within a shot at most 0.084: every host's default sits between. */
#define PM_SCENE_THRESHOLD_DEFAULT 0.15

typedef struct {
  PmConfig search;          /* kind, alpha, working size, seed, threads, background */
  int shapes;               /* (100) */
  int warm_start;           /* start from the previous frame's shapes (1) */
  unsigned keyframe_interval; /* search from nothing every N frames, 0 = never (0) */
  double scene_threshold;   /* search from nothing when the mean absolute change of the working
                               image exceeds this share of full scale, 0 = never
                               (PM_SCENE_THRESHOLD_DEFAULT) */
  double budget_ms;         /* optimisation time per frame; a deadline (the search stops when it
                               is up) and the effort adapts to it. <= 0: see frame_ms (0) */
  double frame_ms;          /* with no budget: the frame must be done within this (a live source,
                               a sink that shows frames on time); the search gets what the rest of
                               the frame's work leaves of it. <= 0: no limit, the full search,
                               deterministic (0) */
  double late_ms;           /* how late the last frames reached a sink that syncs (its QoS jitter;
                               negative: early); with frame_ms the share adapts to it (0) */
  int due_known;            /* with frame_ms: due_ms is known (0) */
  double due_ms;            /* how long until the sink shows this frame (negative: it is late
                               already); the frame's work keeps within this too (0) */
  double start_effort;      /* effort (0..1] of the first frames under a budget (1) */
} PmVideoSettings;

typedef struct PmVideo PmVideo;
void pm_video_settings_init(PmVideoSettings *s);
PmVideo *pm_video_new(void);
void pm_video_free(PmVideo *v);
/* The next frame is searched from nothing (flush, seek, discontinuity, new caps). */
void pm_video_reset(PmVideo *v);
/* Frees the model and with it the worker threads (a host stopping); the session stays usable
 * and the next frame starts from nothing. */
void pm_video_release(PmVideo *v);
/* Fits the shapes to `in` (warm or cold, as the settings say) and renders them into `out`
 * (which may be `in`, or NULL for no rendering). Returns 0, or -1 with a message. */
int pm_video_process(PmVideo *v, const PmVideoSettings *s, const PmFrame *in, PmFrame *out, char *err,
                     size_t errlen);
/* The model behind the last frame (NULL before the first): shapes, score, SVG. */
const PmModel *pm_video_model(const PmVideo *v);
/* From any thread: the frame being processed, and every later one until pm_video_resume(),
 * returns as soon as the search notices (well under a millisecond), with -1 and "interrupted".
 * For flushes and shutdowns. */
void pm_video_interrupt(PmVideo *v);
void pm_video_resume(PmVideo *v);

/* Text helpers shared by the hosts, one grammar for all of them.
 * A colour is 3, 4, 6 or 8 hex digits with an optional leading '#': "rgb", "rgba", "rrggbb",
 * "rrggbbaa" (short forms repeat each digit: "#f80" is "#ff8800"). Returns 0, or -1 when it is not
 * one. The forms with alpha are accepted only when `alpha` is not NULL (a host that cannot show
 * transparency refuses them); without one, *alpha is 255. */
int pm_parse_colour(const char *s, uint8_t rgb[3], uint8_t *alpha);
/* Output paths are printf-like with one integer: "%d" or "%0Nd" (zero-padded to N digits, N at
 * most PM_PATH_MAX_WIDTH) stands for the frame number and "%%" for a literal '%'.
 * pm_path_pattern returns 1 for exactly one number, 0 for none, -1 for a '%' that starts
 * neither (e.g. "50%.png"), -2 for more than one number; other conversions would be a
 * format-string hole. */
#define PM_PATH_MAX_WIDTH 20
int pm_path_pattern(const char *path);
/* The path with its number and "%%" escapes expanded, snprintf-style (at most len bytes written,
 * always terminated when len > 0): returns the full length. */
int pm_path_expand(char *buf, size_t len, const char *path, unsigned long long n);

const char *pm_shape_kind_name(PmShapeKind k);
int pm_format_bytes_per_pixel(PmFormat f); /* packed formats: 3 or 4; YUV: 0 */

#ifdef __cplusplus
}
#endif
#endif
