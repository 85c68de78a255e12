#!/bin/sh
# Live webcam effect in a window, or as a virtual camera for video calls.
#   examples/webcam.sh [/dev/video0]                       a window
#   examples/webcam.sh /dev/video0 /dev/video10            a virtual camera through v4l2loopback:
#       sudo modprobe v4l2loopback video_nr=10 card_label="Primitive" exclusive_caps=1
# On a live source the element keeps up with the frame rate by itself (budget=0, the default).
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$here/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
cam=${1:-/dev/video0}
if [ -n "${2:-}" ]; then
  sink="videoconvert ! video/x-raw,format=YUY2 ! v4l2sink device=$2 sync=false"
else
  sink="videoconvert ! autovideosink sync=false"
fi
exec gst-launch-1.0 v4l2src device="$cam" ! video/x-raw,width=640,height=480 ! videoconvert \
  ! primitive shapes=80 ! $sink
