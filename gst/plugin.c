#include "gstprimitive.h"

#ifndef PACKAGE
#define PACKAGE "gst-primitive"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (primitive, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, primitive,
    "Redraws video as geometric shapes", plugin_init, "0.1.0", "MIT/X11", "gst-primitive",
    "https://github.com/fogleman/primitive")
