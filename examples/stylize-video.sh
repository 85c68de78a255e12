#!/bin/sh
# Stylizes a video file into an MP4 of shapes, printing progress once a second.
#   examples/stylize-video.sh [INPUT] [OUTPUT.mp4] [extra primitive properties...]
# Without INPUT, a 10 s test clip is used. Needs the built plugin (GST_PLUGIN_PATH) and
# gstreamer1.0-plugins-ugly (x264enc); audio is dropped.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$here/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
in=${1:-}
out=${2:-primitive.mp4}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
if [ -n "$in" ]; then
  src="filesrc location=\"$in\" ! decodebin ! queue ! videoconvert"
else
  src="videotestsrc num-buffers=300 pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1"
fi
eval gst-launch-1.0 -e $src ! primitive shapes=100 "$@" ! progressreport update-freq=1 \
  ! videoconvert ! x264enc speed-preset=veryfast ! mp4mux ! filesink location="\"$out\""
echo "wrote $out"
