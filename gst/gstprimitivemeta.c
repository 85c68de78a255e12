#include "gstprimitivemeta.h"

#include <string.h>

/* The custom meta's records are documented as 40 bytes with no padding. */
G_STATIC_ASSERT (sizeof (GstPrimitiveShape) == 40);

/* geometry tied to the frame: dropped by any transform but a copy */
static const gchar *no_tags[] = { NULL };

GType
gst_primitive_meta_api_get_type (void)
{
  static GType type = 0;
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstPrimitiveMetaAPI", no_tags);
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

static GstPrimitiveMeta *
add_struct_meta (GstBuffer * buffer, const GstPrimitiveShape * shapes, guint n_shapes,
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

static gboolean
meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer, GQuark type, gpointer data)
{
  GstPrimitiveMeta *m = (GstPrimitiveMeta *) meta;
  (void) buffer, (void) data;
  /* Copies keep the shapes; any other transform (scaling, cropping) would make them wrong. */
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  return add_struct_meta (dest, m->shapes, m->n_shapes, m->background, m->working_width,
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

static gboolean
shapes_transform (GstBuffer * dest, GstCustomMeta * meta, GstBuffer * buffer, GQuark type,
    gpointer data, gpointer user_data)
{
  (void) buffer, (void) data, (void) user_data;
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  GstCustomMeta *copy = gst_buffer_add_custom_meta (dest, GST_PRIMITIVE_SHAPES_META_NAME);
  if (!copy)
    return FALSE;
  GstStructure *to = gst_custom_meta_get_structure (copy);
  const GstStructure *from = gst_custom_meta_get_structure (meta);
  for (gint i = 0; i < gst_structure_n_fields (from); i++) {
    const gchar *name = gst_structure_nth_field_name (from, i);
    gst_structure_set_value (to, name, gst_structure_get_value (from, name));
  }
  return TRUE;
}

void
gst_primitive_meta_register (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    gst_primitive_meta_get_info ();
    gst_meta_register_custom (GST_PRIMITIVE_SHAPES_META_NAME, no_tags, shapes_transform, NULL, NULL);
    g_once_init_leave (&done, 1);
  }
}

gboolean
gst_buffer_add_primitive_metas (GstBuffer * buffer, const GstPrimitiveShape * shapes, guint n_shapes,
    const guint8 background[3], gint working_width, gint working_height, gdouble score)
{
  if (!add_struct_meta (buffer, shapes, n_shapes, background, working_width, working_height, score))
    return FALSE;
  GstCustomMeta *custom = gst_buffer_add_custom_meta (buffer, GST_PRIMITIVE_SHAPES_META_NAME);
  if (!custom)
    return FALSE;
  gchar bg[8];
  g_snprintf (bg, sizeof bg, "#%02x%02x%02x", background[0], background[1], background[2]);
  GBytes *bytes = g_bytes_new (shapes, sizeof (GstPrimitiveShape) * n_shapes);
  gst_structure_set (gst_custom_meta_get_structure (custom),
      "working-width", G_TYPE_INT, working_width, "working-height", G_TYPE_INT, working_height,
      "background", G_TYPE_STRING, bg, "score", G_TYPE_DOUBLE, score,
      "n-shapes", G_TYPE_UINT, n_shapes, "shapes", G_TYPE_BYTES, bytes, NULL);
  g_bytes_unref (bytes);
  return TRUE;
}
