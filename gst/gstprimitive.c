/**
 * SECTION:element-primitive
 * @title: primitive
 *
 * Replaces every frame with its approximation by a few hundred geometric shapes, drawn
 * anti-aliased at the frame's own size. For video the shapes of the previous frame are kept,
 * their colours re-solved and their positions refined (a warm start), which is faster and
 * steadier than searching each frame from nothing.
 *
 * |[
 * gst-launch-1.0 videotestsrc ! primitive shapes=50 ! autovideosink
 * gst-launch-1.0 v4l2src ! primitive shape=ellipse ! autovideosink
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! primitive ! x264enc ! mp4mux ! filesink location=out.mp4
 * ]|
 *
 * Each output buffer carries the shape list twice: a GstCustomMeta named "GstPrimitiveShapesMeta"
 * whose structure any language binding reads, and the C struct #GstPrimitiveMeta
 * (gstprimitivemeta.h, installed with a pkg-config file gst-primitive-1.0).
 */
#include "gstprimitive.h"

#include <gst/base/gstbasesink.h>
#include <math.h>

#include <stdio.h>
#include <string.h>

#include "gstprimitivemeta.h"

/* The properties are written by the application's threads and read by the streaming thread
 * under the object lock. GLib's GMutex is a futex that ThreadSanitizer does not see, so in a
 * -fsanitize=thread build the lock also tells it the order it makes; elsewhere these are
 * GST_OBJECT_LOCK and GST_OBJECT_UNLOCK. */
#if defined(__SANITIZE_THREAD__)
#define PM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PM_TSAN 1
#endif
#endif
#ifdef PM_TSAN
#include <sanitizer/tsan_interface.h>
#define PROPS_LOCK(s) (GST_OBJECT_LOCK (s), __tsan_acquire (GST_OBJECT_GET_LOCK (s)))
#define PROPS_UNLOCK(s) (__tsan_release (GST_OBJECT_GET_LOCK (s)), GST_OBJECT_UNLOCK (s))
#else
#define PROPS_LOCK(s) GST_OBJECT_LOCK (s)
#define PROPS_UNLOCK(s) GST_OBJECT_UNLOCK (s)
#endif

GST_DEBUG_CATEGORY_STATIC (gst_primitive_debug);
#define GST_CAT_DEFAULT gst_primitive_debug

#define FORMATS "{ RGBA, BGRA, RGBx, BGRx, ARGB, ABGR, xRGB, xBGR, RGB, BGR, I420, NV12 }"
#define CAPS GST_VIDEO_CAPS_MAKE (FORMATS) ", width = (int) [ 1, 32768 ], height = (int) [ 1, 32768 ]"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (CAPS));

enum {
  PROP_0, PROP_SHAPES, PROP_SHAPE, PROP_ALPHA, PROP_WORKING_SIZE, PROP_SEED, PROP_THREADS, PROP_BACKGROUND,
  PROP_DEVICE, PROP_WARM_START, PROP_KEYFRAME_INTERVAL, PROP_SCENE_THRESHOLD, PROP_BUDGET, PROP_SVG_LOCATION,
};

#define DEFAULT_SHAPES 100
#define DEFAULT_ALPHA 128
#define DEFAULT_WORKING_SIZE 256
#define DEFAULT_SCENE_THRESHOLD PM_SCENE_THRESHOLD_DEFAULT

#define GST_TYPE_PRIMITIVE_SHAPE (gst_primitive_shape_get_type ())
static GType
gst_primitive_shape_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {PM_SHAPE_TRIANGLE, "Triangles", "triangle"},
    {PM_SHAPE_RECTANGLE, "Axis-aligned rectangles", "rectangle"},
    {PM_SHAPE_ELLIPSE, "Axis-aligned ellipses", "ellipse"},
    {PM_SHAPE_CIRCLE, "Circles", "circle"},
    {PM_SHAPE_ROTATED_RECTANGLE, "Rotated rectangles", "rotated-rectangle"},
    {PM_SHAPE_ROTATED_ELLIPSE, "Rotated ellipses", "rotated-ellipse"},
    {PM_SHAPE_BEZIER, "Quadratic Bezier strokes", "bezier"},
    {PM_SHAPE_POLYGON, "Four-point polygons", "polygon"},
    {PM_SHAPE_ANY, "A mix, chosen per shape", "any"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstPrimitiveShapeKind", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_PRIMITIVE_DEVICE (gst_primitive_device_get_type ())
static GType
gst_primitive_device_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_PRIMITIVE_DEVICE_AUTO, "The CPU: this version has no CUDA search", "auto"},
    {GST_PRIMITIVE_DEVICE_CPU, "The CPU", "cpu"},
    {GST_PRIMITIVE_DEVICE_CUDA, "CUDA: not in this version, the element fails to start", "cuda"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstPrimitiveDevice", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

G_DEFINE_TYPE (GstPrimitive, gst_primitive, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (primitive, "primitive", GST_RANK_NONE, GST_TYPE_PRIMITIVE);

/* The colour forms of primitive's -bg (core's pm_parse_colour; the alpha forms are refused, the
 * output has no transparency), or "avg". */
static gboolean
parse_background (const gchar * s, gboolean * use, guint8 rgb[3])
{
  if (!s || !*s || !g_ascii_strcasecmp (s, "avg")) {
    *use = FALSE;
    return TRUE;
  }
  if (pm_parse_colour (s, rgb, NULL) < 0)
    return FALSE;
  *use = TRUE;
  return TRUE;
}

static void
gst_primitive_set_property (GObject * object, guint prop_id, const GValue * value, GParamSpec * pspec)
{
  GstPrimitive *self = GST_PRIMITIVE (object);
  PROPS_LOCK (self);
  switch (prop_id) {
    case PROP_SHAPES: self->shapes = g_value_get_uint (value); break;
    case PROP_SHAPE: self->shape = (PmShapeKind) g_value_get_enum (value); break;
    case PROP_ALPHA: self->alpha = g_value_get_uint (value); break;
    case PROP_WORKING_SIZE: self->working_size = g_value_get_uint (value); break;
    case PROP_SEED: self->seed = g_value_get_uint (value); break;
    case PROP_THREADS: self->threads = g_value_get_uint (value); break;
    case PROP_BACKGROUND:{
      const gchar *s = g_value_get_string (value);
      gboolean use;
      guint8 rgb[3];
      if (parse_background (s, &use, rgb)) {
        g_free (self->background);
        self->background = g_strdup (s && *s ? s : "avg");
        self->use_background = use;
        memcpy (self->background_rgb, rgb, 3);
      } else {
        /* a property set from gst-launch's command line has no bus yet: say it on stderr */
        g_warning ("%s: background \"%s\" refused, kept \"%s\": expected \"avg\" or a colour such as "
            "#f80, #ff8800 or ff8800", GST_OBJECT_NAME (self), s, self->background);
      }
      break;
    }
    case PROP_DEVICE: self->device = (GstPrimitiveDevice) g_value_get_enum (value); break;
    case PROP_WARM_START: self->warm_start = g_value_get_boolean (value); break;
    case PROP_KEYFRAME_INTERVAL: self->keyframe_interval = g_value_get_uint (value); break;
    case PROP_SCENE_THRESHOLD: self->scene_threshold = g_value_get_double (value); break;
    case PROP_BUDGET: self->budget = g_value_get_uint (value); break;
    case PROP_SVG_LOCATION:{
      const gchar *s = g_value_get_string (value);
      /* one %d or %0Nd: a file per frame; none: one file, replaced by every frame */
      if (!s || !*s || pm_path_pattern (s) >= 0) {
        g_free (self->svg_location);
        self->svg_location = s && *s ? g_strdup (s) : NULL;
      } else {
        g_warning ("%s: svg-location \"%s\" refused, kept \"%s\": a %% must begin the one frame number "
            "(%%d or %%05d) or be written %%%%", GST_OBJECT_NAME (self), s, self->svg_location ? self->svg_location : "");
      }
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  PROPS_UNLOCK (self);
}

static void
gst_primitive_get_property (GObject * object, guint prop_id, GValue * value, GParamSpec * pspec)
{
  GstPrimitive *self = GST_PRIMITIVE (object);
  PROPS_LOCK (self);
  switch (prop_id) {
    case PROP_SHAPES: g_value_set_uint (value, self->shapes); break;
    case PROP_SHAPE: g_value_set_enum (value, self->shape); break;
    case PROP_ALPHA: g_value_set_uint (value, self->alpha); break;
    case PROP_WORKING_SIZE: g_value_set_uint (value, self->working_size); break;
    case PROP_SEED: g_value_set_uint (value, self->seed); break;
    case PROP_THREADS: g_value_set_uint (value, self->threads); break;
    case PROP_BACKGROUND: g_value_set_string (value, self->background); break;
    case PROP_DEVICE: g_value_set_enum (value, self->device); break;
    case PROP_WARM_START: g_value_set_boolean (value, self->warm_start); break;
    case PROP_KEYFRAME_INTERVAL: g_value_set_uint (value, self->keyframe_interval); break;
    case PROP_SCENE_THRESHOLD: g_value_set_double (value, self->scene_threshold); break;
    case PROP_BUDGET: g_value_set_uint (value, self->budget); break;
    case PROP_SVG_LOCATION: g_value_set_string (value, self->svg_location); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  PROPS_UNLOCK (self);
}

static void
gst_primitive_finalize (GObject * object)
{
  GstPrimitive *self = GST_PRIMITIVE (object);
  pm_video_free (self->video);
  g_free (self->background);
  g_free (self->svg_location);
  G_OBJECT_CLASS (gst_primitive_parent_class)->finalize (object);
}

static PmDevice
to_pm_device (GstPrimitiveDevice d)
{
  return d == GST_PRIMITIVE_DEVICE_CUDA ? PM_DEVICE_CUDA : d == GST_PRIMITIVE_DEVICE_CPU ? PM_DEVICE_CPU :
      PM_DEVICE_AUTO;
}

static gboolean
gst_primitive_start (GstBaseTransform * trans)
{
  GstPrimitive *self = GST_PRIMITIVE (trans);
  PROPS_LOCK (self);
  GstPrimitiveDevice device = self->device;
  PROPS_UNLOCK (self);
  char where[256];
  if (!pm_device_available (to_pm_device (device), where, sizeof where)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", where), ("use device=auto or device=cpu"));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "search on %s", where);
  if (!self->video) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory."), (NULL));
    return FALSE;
  }
  pm_video_reset (self->video);
  self->live_known = FALSE;
  self->frame_index = 0;
  PROPS_LOCK (self);
  self->qos_seen = FALSE;
  self->qos_jitter = 0;
  self->latency = 0;
  PROPS_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_primitive_stop (GstBaseTransform * trans)
{
  pm_video_release (GST_PRIMITIVE (trans)->video);
  return TRUE;
}

/* Leaving PAUSED must not wait for a long search to end: it is cut short first. */
static GstStateChangeReturn
gst_primitive_change_state (GstElement * element, GstStateChange transition)
{
  GstPrimitive *self = GST_PRIMITIVE (element);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    pm_video_interrupt (self->video);
  else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    pm_video_resume (self->video);
  return GST_ELEMENT_CLASS (gst_primitive_parent_class)->change_state (element, transition);
}

/* A sink that syncs to the clock says how late frames reach it: from then on real time matters. */
static gboolean
gst_primitive_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstPrimitive *self = GST_PRIMITIVE (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos (event, &type, &proportion, &diff, &timestamp);
    PROPS_LOCK (self);
    if (!self->qos_seen)
      GST_INFO_OBJECT (self, "downstream syncs to the clock: keeping up with the frame rate");
    self->qos_seen = TRUE;
    self->qos_jitter = diff;
    PROPS_UNLOCK (self);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_LATENCY) {
    GstClockTime latency;
    gst_event_parse_latency (event, &latency);
    PROPS_LOCK (self);
    self->latency = latency;
    PROPS_UNLOCK (self);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_primitive_parent_class)->src_event (trans, event);
}

/* Live: a frame leaves at most a frame duration after it came in (the search keeps to that). */
static gboolean
gst_primitive_query (GstBaseTransform * trans, GstPadDirection direction, GstQuery * query)
{
  GstPrimitive *self = GST_PRIMITIVE (trans);
  if (!GST_BASE_TRANSFORM_CLASS (gst_primitive_parent_class)->query (trans, direction, query))
    return FALSE;
  if (direction == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency (query, &live, &min, &max);
    GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
    if (live && GST_VIDEO_INFO_FPS_N (info) > 0 && GST_VIDEO_INFO_FPS_D (info) > 0) {
      PROPS_LOCK (self);
      guint budget = self->budget;
      PROPS_UNLOCK (self);
      GstClockTime ours = budget ? budget * GST_MSECOND :
          gst_util_uint64_scale_int (GST_SECOND, GST_VIDEO_INFO_FPS_D (info), GST_VIDEO_INFO_FPS_N (info));
      min += ours;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += ours;
      gst_query_set_latency (query, live, min, max);
      GST_DEBUG_OBJECT (self, "latency %" GST_TIME_FORMAT " of ours", GST_TIME_ARGS (ours));
    }
  }
  return TRUE;
}

static gboolean
gst_primitive_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstPrimitive *self = GST_PRIMITIVE (trans);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START: /* a seek: the frame being searched is thrown away anyway */
      pm_video_interrupt (self->video);
      break;
    case GST_EVENT_FLUSH_STOP:
      pm_video_resume (self->video);
      pm_video_reset (self->video);
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_SEGMENT:     /* new stream: the old shapes belong to other pictures */
      pm_video_reset (self->video);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_primitive_parent_class)->sink_event (trans, event);
}

static gboolean
gst_primitive_set_info (GstVideoFilter * filter, GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info)
{
  GstPrimitive *self = GST_PRIMITIVE (filter);
  (void) incaps, (void) outcaps, (void) out_info;
  GST_DEBUG_OBJECT (self, "%dx%d %s", GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info),
      GST_VIDEO_INFO_NAME (in_info));
  if (self->video)
    pm_video_reset (self->video);
  self->live_known = FALSE;
  return TRUE;
}

static gboolean
frame_to_pm (GstVideoFrame * vf, PmFrame * f)
{
  switch (GST_VIDEO_FRAME_FORMAT (vf)) {
    case GST_VIDEO_FORMAT_RGBA: f->format = PM_FORMAT_RGBA; break;
    case GST_VIDEO_FORMAT_BGRA: f->format = PM_FORMAT_BGRA; break;
    case GST_VIDEO_FORMAT_RGBx: f->format = PM_FORMAT_RGBX; break;
    case GST_VIDEO_FORMAT_BGRx: f->format = PM_FORMAT_BGRX; break;
    case GST_VIDEO_FORMAT_ARGB: f->format = PM_FORMAT_ARGB; break;
    case GST_VIDEO_FORMAT_ABGR: f->format = PM_FORMAT_ABGR; break;
    case GST_VIDEO_FORMAT_xRGB: f->format = PM_FORMAT_XRGB; break;
    case GST_VIDEO_FORMAT_xBGR: f->format = PM_FORMAT_XBGR; break;
    case GST_VIDEO_FORMAT_RGB: f->format = PM_FORMAT_RGB; break;
    case GST_VIDEO_FORMAT_BGR: f->format = PM_FORMAT_BGR; break;
    case GST_VIDEO_FORMAT_I420: f->format = PM_FORMAT_I420; break;
    case GST_VIDEO_FORMAT_NV12: f->format = PM_FORMAT_NV12; break;
    default: return FALSE;
  }
  f->width = GST_VIDEO_FRAME_WIDTH (vf);
  f->height = GST_VIDEO_FRAME_HEIGHT (vf);
  for (guint i = 0; i < 3; i++) {
    gboolean has = i < GST_VIDEO_FRAME_N_PLANES (vf);
    f->data[i] = has ? GST_VIDEO_FRAME_PLANE_DATA (vf, i) : NULL;
    f->stride[i] = has ? GST_VIDEO_FRAME_PLANE_STRIDE (vf, i) : 0;
  }
  return TRUE;
}

/* Whether the sink downstream shows frames on time (GstBaseSink's sync): followed through
 * single-output elements and bins, as in playbin's video chain. A branch or an unknown element
 * says no; QoS events from a syncing sink tell the rest. Known from the first frame, where QoS
 * only comes after a few. */
static gboolean
downstream_syncs (GstPrimitive * self)
{
  GstPad *pad = gst_object_ref (GST_BASE_TRANSFORM_SRC_PAD (self));
  gboolean syncs = FALSE;
  for (int hop = 0; hop < 32 && pad; hop++) {
    GstPad *peer = gst_pad_get_peer (pad);
    gst_object_unref (pad);
    pad = NULL;
    while (peer && GST_IS_GHOST_PAD (peer)) { /* into a bin */
      GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (peer));
      gst_object_unref (peer);
      peer = target;
    }
    if (!peer)
      break;
    if (GST_IS_PROXY_PAD (peer) && !GST_IS_GHOST_PAD (peer)) { /* out of a bin: its src ghost pad */
      pad = GST_PAD (gst_proxy_pad_get_internal (GST_PROXY_PAD (peer)));
      gst_object_unref (peer);
      continue;
    }
    GstElement *el = gst_pad_get_parent_element (peer);
    if (el && GST_IS_BASE_SINK (el)) {
      syncs = gst_base_sink_get_sync (GST_BASE_SINK (el));
    } else if (el) {            /* where this input comes out, if at exactly one place */
      GstIterator *it = gst_pad_iterate_internal_links (peer);
      GValue v = G_VALUE_INIT;
      int n = 0;
      while (it && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
        if (n++ == 0)
          pad = gst_object_ref (g_value_get_object (&v));
        g_value_reset (&v);
      }
      g_value_unset (&v);
      if (it)
        gst_iterator_free (it);
      if (n != 1 && pad) {
        gst_object_unref (pad);
        pad = NULL;
      }
    }
    gst_object_unref (peer);
    if (el)
      gst_object_unref (el);
  }
  if (pad)
    gst_object_unref (pad);
  return syncs;
}

/* Live sources must not be slowed below their frame rate; files get the full search. */
static void
check_live (GstPrimitive * self)
{
  GstQuery *q = gst_query_new_latency ();
  gboolean live = FALSE;
  if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), q))
    gst_query_parse_latency (q, &live, NULL, NULL);
  gst_query_unref (q);
  self->live = live;
  self->live_known = TRUE;
  self->sink_syncs = downstream_syncs (self);
  GST_INFO_OBJECT (self, "%s source, %s", live ? "live" : "non-live",
      self->sink_syncs ? "the sink shows frames on time" : "no sink known to sync");
}

static GstClockTime
frame_duration (GstPrimitive * self, GstBuffer * buf)
{
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  if (GST_VIDEO_INFO_FPS_N (info) > 0 && GST_VIDEO_INFO_FPS_D (info) > 0)
    return gst_util_uint64_scale_int (GST_SECOND, GST_VIDEO_INFO_FPS_D (info), GST_VIDEO_INFO_FPS_N (info));
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    return GST_BUFFER_DURATION (buf);
  return GST_SECOND / 30;
}

/* How long until a sink that syncs shows this frame: its running time plus the pipeline's latency,
 * less the clock's now. Work upstream (decoding, in the same thread) and a late previous frame
 * leave less of the frame duration than it says; this sees both. FALSE with no clock or times. */
static gboolean
time_to_due (GstPrimitive * self, GstBuffer * buf, GstClockTime latency, gdouble * due_ms)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  if (!GST_BUFFER_PTS_IS_VALID (buf) || trans->segment.format != GST_FORMAT_TIME)
    return FALSE;
  GstClockTime running = gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  if (!clock || !GST_CLOCK_TIME_IS_VALID (running)) {
    if (clock)
      gst_object_unref (clock);
    return FALSE;
  }
  GstClockTime now = gst_clock_get_time (clock);
  GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));
  gst_object_unref (clock);
  *due_ms = GST_CLOCK_DIFF (now, base + running + latency) / (gdouble) GST_MSECOND;
  return TRUE;
}

static GstFlowReturn
write_svg (GstPrimitive * self, const PmModel * model, const gchar * pattern, guint64 index, gint w, gint h)
{
  gsize len = (gsize) pm_path_expand (NULL, 0, pattern, index) + 1;
  gchar *path = g_malloc (len);
  pm_path_expand (path, len, pattern, index);
  gchar *svg = pm_model_svg (model, w, h);
  GError *err = NULL;
  gboolean ok = svg && g_file_set_contents (path, svg, -1, &err);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("Could not write SVG file \"%s\".", path),
        ("%s", err ? err->message : "out of memory"));
  }
  g_clear_error (&err);
  g_free (svg);
  g_free (path);
  return ok ? GST_FLOW_OK : GST_FLOW_ERROR;
}

/* Controlled properties take their values at the frame's stream time; the frame then reads them
 * under the object lock like any other property change. */
static void
gst_primitive_before_transform (GstBaseTransform * trans, GstBuffer * buf)
{
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : GST_BUFFER_DTS (buf);
  if (trans->segment.format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (ts))
    return;                     /* no stream time to take values at */
  GstClockTime stream_time = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME, ts);
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (trans), stream_time);
}

/* Not in place: every output pixel is drawn afresh, and a decoder's frame is seldom writable, so
 * an in-place transform would first copy it (12 MB a 4K frame) only to draw over it. */
static GstFlowReturn
gst_primitive_transform_frame (GstVideoFilter * filter, GstVideoFrame * frame, GstVideoFrame * out_frame)
{
  GstPrimitive *self = GST_PRIMITIVE (filter);
  PmFrame pf, out;
  char err[256];
  if (!frame_to_pm (frame, &pf) || !frame_to_pm (out_frame, &out))
    return GST_FLOW_NOT_NEGOTIATED;
  if (!self->live_known)
    check_live (self);

  PmVideoSettings st;
  pm_video_settings_init (&st);
  PROPS_LOCK (self);
  st.search.working_size = (int) self->working_size;
  st.search.kind = self->shape;
  st.search.alpha = (int) self->alpha;
  st.search.use_background = self->use_background;
  memcpy (st.search.background, self->background_rgb, 3);
  st.search.seed = self->seed;
  st.search.threads = (int) self->threads;
  st.search.device = to_pm_device (self->device);
  st.shapes = (int) self->shapes;
  st.warm_start = self->warm_start;
  st.keyframe_interval = self->keyframe_interval;
  st.scene_threshold = self->scene_threshold;
  guint budget = self->budget;
  gchar *svg_location = g_strdup (self->svg_location);
  gboolean synced = self->qos_seen;
  GstClockTimeDiff jitter = self->qos_jitter;
  GstClockTime latency = self->latency;
  PROPS_UNLOCK (self);

  /* Real time matters for a live source and for a sink that shows frames on time (it sends
   * QoS): the frame's work keeps within the frame duration, the search taking what the rest
   * leaves, starting quick and growing while frames are early. A file written as fast as it
   * goes gets the full search. */
  if (budget)
    st.budget_ms = budget;
  else if (self->live || synced || self->sink_syncs) {
    st.frame_ms = frame_duration (self, frame->buffer) / (gdouble) GST_MSECOND;
    st.late_ms = jitter / (gdouble) GST_MSECOND;
    st.start_effort = 0.25;
    st.due_known = time_to_due (self, frame->buffer, latency, &st.due_ms);
    GST_LOG_OBJECT (self, "real time: frame %.1f ms, late %.1f ms, due in %.1f ms", st.frame_ms, st.late_ms,
        st.due_known ? st.due_ms : NAN);
  }
  /* A DISCONT buffer (a gap: frames dropped upstream, a live source's hiccup) needs no reset:
   * the picture carried over is what the scene threshold and the warm start judge. Seeks and
   * new streams come with flushes and segments, which do reset. */

  if (pm_video_process (self->video, &st, &pf, &out, err, sizeof err) < 0) {
    g_free (svg_location);
    if (!strcmp (err, "interrupted"))
      return GST_FLOW_FLUSHING; /* a flush or a state change cut the search short */
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not stylize the frame."), ("%s", err));
    return GST_FLOW_ERROR;
  }

  const PmModel *model = pm_video_model (self->video);
  int ww, wh;
  guint8 bg[3];
  pm_model_working_size (model, &ww, &wh);
  pm_model_background (model, bg);
  int n = pm_model_shape_count (model);
  const PmShape *src = pm_model_shapes (model);
  GstPrimitiveShape *shapes = g_new (GstPrimitiveShape, MAX (n, 1));
  for (int i = 0; i < n; i++) {
    shapes[i].kind = src[i].kind;
    memcpy (shapes[i].p, src[i].p, sizeof shapes[i].p);
    memcpy (shapes[i].rgba, src[i].rgba, 4);
  }
  gst_buffer_add_primitive_metas (out_frame->buffer, shapes, (guint) n, bg, ww, wh, pm_model_score (model));
  g_free (shapes);

  GstFlowReturn ret = GST_FLOW_OK;
  if (svg_location)
    ret = write_svg (self, model, svg_location, self->frame_index, pf.width, pf.height);
  self->frame_index++;
  g_free (svg_location);
  return ret;
}

static void
gst_primitive_class_init (GstPrimitiveClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;
  /* read at every frame's stream time (before_transform), so a GstControlSource can animate them */
  const GParamFlags ctl = rw | GST_PARAM_CONTROLLABLE;

  gobject_class->set_property = gst_primitive_set_property;
  gobject_class->get_property = gst_primitive_get_property;
  gobject_class->finalize = gst_primitive_finalize;

  g_object_class_install_property (gobject_class, PROP_SHAPES,
      g_param_spec_uint ("shapes", "Shapes", "Number of shapes per frame", 1, 10000, DEFAULT_SHAPES, ctl));
  g_object_class_install_property (gobject_class, PROP_SHAPE,
      g_param_spec_enum ("shape", "Shape", "Kind of shape", GST_TYPE_PRIMITIVE_SHAPE, PM_SHAPE_TRIANGLE, ctl));
  g_object_class_install_property (gobject_class, PROP_ALPHA,
      g_param_spec_uint ("alpha", "Alpha", "Opacity of every shape, 1..255; 0 chooses it per shape", 0, 255,
          DEFAULT_ALPHA, ctl));
  g_object_class_install_property (gobject_class, PROP_WORKING_SIZE,
      g_param_spec_uint ("working-size", "Working size",
          "Long side, in pixels, of the downscaled frame the shapes are fitted to (never upscaled). "
          "Larger is finer and slower", 16, 1024, DEFAULT_WORKING_SIZE, ctl));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint ("seed", "Seed", "Random seed: the same seed and input give the same output", 0,
          G_MAXUINT, 1, ctl));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads",
          "Worker threads, 0 = all cores. A change restarts the search from nothing", 0, 256, 0, rw));
  g_object_class_install_property (gobject_class, PROP_BACKGROUND,
      g_param_spec_string ("background", "Background",
          "Colour under the shapes: \"avg\" (each frame's average) or a colour as primitive's -bg takes "
          "it (#f80, #ff8800, ff8800); other values are refused with a warning", "avg", rw));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_enum ("device", "Device",
          "Where the search runs: auto uses CUDA when this build has it and a GPU works (else the CPU, and says "
          "so at INFO level), cuda fails to start without one",
          GST_TYPE_PRIMITIVE_DEVICE, GST_PRIMITIVE_DEVICE_AUTO,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_WARM_START,
      g_param_spec_boolean ("warm-start", "Warm start",
          "Start each frame from the previous frame's shapes (faster, no flicker) instead of from nothing",
          TRUE, ctl));
  g_object_class_install_property (gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint ("keyframe-interval", "Keyframe interval",
          "Search from nothing every N frames, 0 = never", 0, G_MAXUINT, 0, ctl));
  g_object_class_install_property (gobject_class, PROP_SCENE_THRESHOLD,
      g_param_spec_double ("scene-threshold", "Scene threshold",
          "Search from nothing when the mean difference between consecutive frames exceeds this share "
          "of full scale (0 = never)", 0.0, 1.0, DEFAULT_SCENE_THRESHOLD, ctl));
  g_object_class_install_property (gobject_class, PROP_BUDGET,
      g_param_spec_uint ("budget", "Budget",
          "Optimisation time per frame in milliseconds, a deadline: the search stops when it is up (a frame "
          "may then show fewer shapes, completed over the next frames) and its effort adapts. 0 = automatic: "
          "real time when it matters (a live source, or a sink that shows frames on time: the frame's work "
          "keeps within the frame duration, adapting to QoS), the full search otherwise (file to file)",
          0, 60000, 0, ctl));
  g_object_class_install_property (gobject_class, PROP_SVG_LOCATION,
      g_param_spec_string ("svg-location", "SVG location",
          "Write each frame's shapes as SVG to this path. One %d or %0Nd is replaced by the frame number "
          "(frame-%05d.svg: a file per frame); with none, one file is replaced by every frame's shapes. "
          "%% is a literal %; other % patterns are refused with a warning. Empty: no SVG", NULL, rw));

  gst_element_class_set_static_metadata (element_class, "Primitive shapes", "Filter/Effect/Video",
      "Redraws video as a few hundred geometric shapes (triangles, ellipses, ...), warm-started from "
      "frame to frame", "gst-primitive developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_primitive_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_primitive_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_primitive_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_primitive_src_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_primitive_query);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_primitive_change_state);
  trans_class->before_transform = GST_DEBUG_FUNCPTR (gst_primitive_before_transform);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_primitive_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR (gst_primitive_transform_frame);

  gst_type_mark_as_plugin_api (GST_TYPE_PRIMITIVE_SHAPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_PRIMITIVE_DEVICE, 0);
  GST_DEBUG_CATEGORY_INIT (gst_primitive_debug, "primitive", 0, "primitive shapes filter");
  gst_primitive_meta_register ();
}

static void
gst_primitive_init (GstPrimitive * self)
{
  self->shapes = DEFAULT_SHAPES;
  self->shape = PM_SHAPE_TRIANGLE;
  self->alpha = DEFAULT_ALPHA;
  self->working_size = DEFAULT_WORKING_SIZE;
  self->seed = 1;
  self->background = g_strdup ("avg");
  self->device = GST_PRIMITIVE_DEVICE_AUTO;
  self->warm_start = TRUE;
  self->scene_threshold = DEFAULT_SCENE_THRESHOLD;
  self->video = pm_video_new ();
}
