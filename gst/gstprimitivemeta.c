#include "gstprimitivemeta.h"

#include <string.h>

GType
gst_primitive_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };        /* geometry tied to the frame size: dropped on scaling */
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstPrimitiveMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstPrimitiveMeta *m = (GstPrimitiveMeta *) meta;
  (void) params, (void) buffer;
  m->n_shapes = 0;
  m->shapes = NULL;
  return TRUE;
}

static void
meta_free (GstMeta * meta, GstBuffer * buffer)
{
  (void) buffer;
  g_free (((GstPrimitiveMeta *) meta)->shapes);
}

static gboolean
meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer, GQuark type, gpointer data)
{
  GstPrimitiveMeta *m = (GstPrimitiveMeta *) meta;
  (void) buffer, (void) data;
  /* Copies keep the shapes; any other transform (scaling, cropping) would make them wrong. */
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  return gst_buffer_add_primitive_meta (dest, m->shapes, m->n_shapes, m->background, m->working_width,
      m->working_height, m->score) != NULL;
}

const GstMetaInfo *
gst_primitive_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *i = gst_meta_register (GST_PRIMITIVE_META_API_TYPE, "GstPrimitiveMeta",
        sizeof (GstPrimitiveMeta), meta_init, meta_free, meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) i);
  }
  return info;
}

GstPrimitiveMeta *
gst_buffer_add_primitive_meta (GstBuffer * buffer, const GstPrimitiveShape * shapes, guint n_shapes,
    const guint8 background[3], gint working_width, gint working_height, gdouble score)
{
  GstPrimitiveMeta *m =
      (GstPrimitiveMeta *) gst_buffer_add_meta (buffer, gst_primitive_meta_get_info (), NULL);
  if (!m)
    return NULL;
  m->shapes = g_memdup2 (shapes, sizeof (GstPrimitiveShape) * n_shapes);
  m->n_shapes = n_shapes;
  memcpy (m->background, background, 3);
  m->working_width = working_width;
  m->working_height = working_height;
  m->score = score;
  return m;
}
