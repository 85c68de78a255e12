#ifndef GST_PRIMITIVE_ELEMENT_H
#define GST_PRIMITIVE_ELEMENT_H

#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "primitive.h"

G_BEGIN_DECLS

#define GST_TYPE_PRIMITIVE (gst_primitive_get_type ())
G_DECLARE_FINAL_TYPE (GstPrimitive, gst_primitive, GST, PRIMITIVE, GstVideoFilter)

typedef enum {
  GST_PRIMITIVE_DEVICE_AUTO,
  GST_PRIMITIVE_DEVICE_CPU,
  GST_PRIMITIVE_DEVICE_CUDA,
} GstPrimitiveDevice;

struct _GstPrimitive {
  GstVideoFilter parent;

  /* properties, guarded by the object lock */
  guint shapes;
  PmShapeKind shape;
  guint alpha;
  guint working_size;
  guint seed;
  guint threads;
  gchar *background;
  gboolean use_background;
  guint8 background_rgb[3];
  GstPrimitiveDevice device;
  gboolean warm_start;
  guint keyframe_interval;
  gdouble scene_threshold;
  guint budget;
  gchar *svg_location;

  /* downstream's quality of service, guarded by the object lock: a sink that syncs to the clock
   * reports how late frames reach it, and then real time matters */
  gboolean qos_seen;
  GstClockTimeDiff qos_jitter;
  GstClockTime latency; /* the pipeline's, from its LATENCY event: a live sink shows a frame that late */

  /* the element's whole life; stopped from any thread with pm_video_interrupt() */
  PmVideo *video;
  /* streaming thread only */
  guint64 frame_index;
  gboolean live_known, live, sink_syncs;
};

GST_ELEMENT_REGISTER_DECLARE (primitive);

G_END_DECLS
#endif
