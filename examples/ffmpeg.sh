#!/bin/sh
# A video file to MP4 through FFmpeg's frei0r filter and this project's plugin.
#   examples/ffmpeg.sh [INPUT] [OUTPUT.mp4] [FILTER_PARAMS]
# FILTER_PARAMS: frei0r values separated by | (docs/ffmpeg-frei0r.md), default 50 triangles.
# Without INPUT, a 10 s test clip is used.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
export FREI0R_PATH="$here/build/frei0r${FREI0R_PATH:+:$FREI0R_PATH}"
in=${1:-}
out=${2:-primitive-ffmpeg.mp4}
params=${3:-0.05|0.1}
if [ -n "$in" ]; then set -- -i "$in"; else set -- -f lavfi -i testsrc2=size=640x360:rate=30:duration=10; fi
ffmpeg -hide_banner -y "$@" -vf "frei0r=filter_name=primitive:filter_params=$params" \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p "$out"
echo "wrote $out"
