/* The backend switch: where the search runs. The CPU search is model.c's; the device search (a
 * GPU, or its CPU emulation) comes from cuda/, linked in when built, and found through weak
 * symbols so that the core neither links CUDA nor depends on it. */
#include <string.h>
#include <strings.h>

#include "frame.h"
#include "internal.h"

static const char *names[PM_DEVICE_COUNT] = {"cpu", "auto", "cuda", "emulated"};

const char *pm_device_name(PmDevice device) {
  return (unsigned)device < PM_DEVICE_COUNT ? names[device] : "unknown";
}

int pm_device_parse(const char *name) {
  for (int i = 0; name && i < PM_DEVICE_COUNT; i++)
    if (!strcasecmp(name, names[i])) return i;
  return -1;
}

int pm_device_open(PmDevice kind, const PmDeviceOps **ops, PmDeviceHandle **dev, char *note, size_t len) {
  *ops = NULL;
  *dev = NULL;
  if (kind == PM_DEVICE_CPU || (unsigned)kind >= PM_DEVICE_COUNT) {
    snprintf(note, len, "cpu");
    return 0;
  }
  const PmDeviceOps *o = kind == PM_DEVICE_EMULATED ? &pm_emulated_device_ops : &pm_cuda_device_ops;
  char why[200] = "this build has no CUDA backend";
  PmDeviceHandle *d = o ? o->open(why, sizeof why) : NULL;
  if (!d) {
    if (kind == PM_DEVICE_AUTO) {
      snprintf(note, len, "cpu (auto: %s)", why);
      return 0;
    }
    snprintf(note, len, "device=%s: %s", pm_device_name(kind), why);
    return -1;
  }
  *ops = o;
  *dev = d;
  snprintf(note, len, "%s (%s)", o->name, o->describe(d));
  return 0;
}

int pm_device_available(PmDevice device, char *why, size_t len) {
  const PmDeviceOps *ops;
  PmDeviceHandle *dev;
  char note[256];
  int r = pm_device_open(device, &ops, &dev, note, sizeof note);
  if (dev) ops->close(dev);
  if (why && len) snprintf(why, len, "%s", note);
  return r == 0;
}

int pm_device_render(const PmModel *m, PmFrame *out) {
  const PmDeviceOps *ops = pm_model_device_ops(m);
  PmDeviceHandle *d = pm_model_device_handle(m);
  char err[200];
  if (!d || !ops->render || pm_frame_check(out, err, sizeof err) < 0) return -1;
  int ww, wh;
  uint8_t bg[3];
  pm_model_working_size(m, &ww, &wh);
  pm_model_background(m, bg);
  return ops->render(d, pm_model_shapes(m), pm_model_shape_count(m), bg, ww, wh, out, err, sizeof err);
}
