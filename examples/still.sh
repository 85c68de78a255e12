#!/bin/sh
# A still picture to PNG and SVG through the GStreamer element.
#   examples/still.sh [INPUT] [OUTPUT-BASENAME] [extra primitive properties...]
# (The command-line tool build/cli/primitive does the same with primitive's own flags.)
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$here/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
in=${1:-$here/examples/data/monalisa.jpg}
base=${2:-still}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
gst-launch-1.0 -q filesrc location="$in" ! decodebin ! videoconvert ! video/x-raw,format=RGB \
  ! primitive shapes=200 svg-location="$base.svg" "$@" ! videoconvert ! pngenc ! filesink location="$base.png"
echo "wrote $base.png and $base.svg"
