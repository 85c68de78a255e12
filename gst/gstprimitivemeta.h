/* Shapes for applications: the shape list behind each buffer the primitive element outputs, for
 * example to draw it again at another size or to write one's own SVG.
 *
 * Every output buffer carries the same shapes twice; nothing needs linking, since the plugin
 * registers both metas by name when it loads:
 *
 * - "GstPrimitiveShapesMeta", a GstCustomMeta (GStreamer 1.20) whose GstStructure any language
 *   binding reads (Python, Rust, JavaScript) without this header. Its fields:
 *     working-width, working-height  (int)    the coordinate space of the shapes: a frame of
 *                                             W x H pixels scales x by W / working-width and y by
 *                                             H / working-height (the working image has the
 *                                             frame's aspect ratio, so the two agree closely)
 *     background  (string)  "#rrggbb", the colour under the shapes
 *     score       (double)  primitive's score (RMS error, 0..1) at the working size
 *     n-shapes    (uint)    number of shapes, drawn in order
 *     shapes      (GBytes)  n-shapes records of 40 bytes in native byte order: an int32 kind, 8
 *                           float32 p[0..7], 4 uint8 red, green, blue, alpha (alpha is the
 *                           opacity 1..255). Python: struct.iter_unpack("=i8f4B", data).
 *   The record is GstPrimitiveShape below, byte for byte.
 *
 * - GstPrimitiveMeta, a C struct, for C applications that include this header
 *   (`pkg-config --cflags gst-primitive-1.0`), found with gst_primitive_meta_find().
 *
 * Shape kinds follow primitive's -m numbering; p[] holds, in working-size pixel units where
 * pixel (x, y) covers [x, x+1) x [y, y+1), angles in degrees, unused entries 0:
 *   1 triangle           x1 y1 x2 y2 x3 y3
 *   2 rectangle          x1 y1 x2 y2 (opposite corners, axis-aligned)
 *   3 ellipse            cx cy rx ry (axis-aligned)
 *   4 circle             cx cy r r
 *   5 rotated rectangle  cx cy width height angle
 *   6 bezier             x1 y1 cx cy x2 y2 stroke-width (quadratic from (x1, y1) to (x2, y2)
 *                        with control point (cx, cy), round caps)
 *   7 rotated ellipse    cx cy rx ry angle
 *   8 polygon            x1 y1 x2 y2 x3 y3 x4 y4 (non-zero fill)
 * docs/gstreamer.md has examples (examples/shapes-appsink.py reads them from Python). */
#ifndef GST_PRIMITIVE_META_H
#define GST_PRIMITIVE_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_PRIMITIVE_SHAPES_META_NAME "GstPrimitiveShapesMeta"

typedef struct {
  gint32 kind;
  gfloat p[8];
  guint8 rgba[4];
} GstPrimitiveShape;

typedef struct {
  GstMeta meta;
  guint n_shapes;
  GstPrimitiveShape *shapes;
  guint8 background[3];
  gint working_width, working_height;
  gdouble score; /* primitive's score at the working size */
} GstPrimitiveMeta;

/* The C struct, or NULL (no such meta, or the plugin is not loaded in this process). */
static inline GstPrimitiveMeta *
gst_primitive_meta_find (GstBuffer * buffer)
{
  GType api = g_type_from_name ("GstPrimitiveMetaAPI");
  return api ? (GstPrimitiveMeta *) gst_buffer_get_meta (buffer, api) : NULL;
}

/* The structure of the GstCustomMeta described above, or NULL. */
static inline GstStructure *
gst_primitive_shapes_find (GstBuffer * buffer)
{
  GstCustomMeta *m = gst_buffer_get_custom_meta (buffer, GST_PRIMITIVE_SHAPES_META_NAME);
  return m ? gst_custom_meta_get_structure (m) : NULL;
}

#ifdef GST_PRIMITIVE_COMPILATION
/* The plugin's side. */
GType gst_primitive_meta_api_get_type (void);
#define GST_PRIMITIVE_META_API_TYPE (gst_primitive_meta_api_get_type ())
const GstMetaInfo *gst_primitive_meta_get_info (void);
void gst_primitive_meta_register (void);
/* Adds both metas, copying the shapes. */
gboolean gst_buffer_add_primitive_metas (GstBuffer * buffer, const GstPrimitiveShape * shapes,
    guint n_shapes, const guint8 background[3], gint working_width, gint working_height, gdouble score);
#endif

G_END_DECLS
#endif
