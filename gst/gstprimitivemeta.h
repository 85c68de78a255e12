/* GstPrimitiveMeta: the shape list behind each buffer the primitive element outputs, so that
 * applications can read the vector form (for example to write their own SVG). */
#ifndef GST_PRIMITIVE_META_H
#define GST_PRIMITIVE_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* Mirrors PmShape of core/primitive.h. Coordinates are in working-size pixels (see
 * working_width/height); kind follows primitive's -m numbering: 1 triangle, 2 rectangle,
 * 3 ellipse, 4 circle, 5 rotated rectangle, 6 bezier, 7 rotated ellipse, 8 polygon. */
typedef struct {
  gint kind;
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

GType gst_primitive_meta_api_get_type (void);
const GstMetaInfo *gst_primitive_meta_get_info (void);
#define GST_PRIMITIVE_META_API_TYPE (gst_primitive_meta_api_get_type ())
#define gst_buffer_get_primitive_meta(b) \
  ((GstPrimitiveMeta *) gst_buffer_get_meta ((b), GST_PRIMITIVE_META_API_TYPE))

/* For applications, which do not link the plugin: the API type is registered by name when the
 * plugin loads, so look it up by that name. */
static inline GstPrimitiveMeta *
gst_primitive_meta_find (GstBuffer * buffer)
{
  GType api = g_type_from_name ("GstPrimitiveMetaAPI");
  return api ? (GstPrimitiveMeta *) gst_buffer_get_meta (buffer, api) : NULL;
}

/* Copies the shapes (plugin side). */
GstPrimitiveMeta *gst_buffer_add_primitive_meta (GstBuffer * buffer, const GstPrimitiveShape * shapes,
    guint n_shapes, const guint8 background[3], gint working_width, gint working_height, gdouble score);

G_END_DECLS
#endif
