#include "gstprimitive.h"
#include "gstprimitivemeta.h"

/* Set by meson: the project's version, and its origin (-Dpackage-origin, which distributions
 * set to their own URL as they do for GStreamer's plugin sets). */
#ifndef PACKAGE
#define PACKAGE "gst-primitive"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif
#ifndef PACKAGE_ORIGIN
#define PACKAGE_ORIGIN "Unknown package origin"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  /* the metas exist from the plugin's loading on, so applications can look them up by name */
  gst_primitive_meta_register ();
  return GST_ELEMENT_REGISTER (primitive, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, primitive,
    "Redraws video as geometric shapes", plugin_init, PACKAGE_VERSION, "MIT/X11", PACKAGE, PACKAGE_ORIGIN)
