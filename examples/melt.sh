#!/bin/sh
# A picture or clip to MP4 through MLT's melt and this project's frei0r plugin, at the input's own
# size and frame rate, progressive, square pixels (melt's default profile would be 720x576
# interlaced PAL with black bars): the profile is written from what ffprobe says of the input.
#   examples/melt.sh [INPUT] [OUTPUT.mp4] [FRAMES]
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
export FREI0R_PATH="$here/build/frei0r${FREI0R_PATH:+:$FREI0R_PATH}"
in=${1:-$here/examples/data/monalisa.jpg}
out=${2:-primitive-melt.mp4}
frames=${3:-150}
info=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height,r_frame_rate:format=format_name \
  -of default=nw=1 "$in")
get() { echo "$info" | sed -n "s/^$1=//p" | head -1; }
# even sizes for 4:2:0 video; a still picture (an image demuxer) gets 30 frames per second
w=$(($(get width) / 2 * 2)) h=$(($(get height) / 2 * 2))
rate=$(get r_frame_rate)
case $(get format_name) in image2 | *_pipe) rate=30/1 ;; esac
case $rate in */*) ;; *) rate=$rate/1 ;; esac
profile=$(mktemp)
trap 'rm -f "$profile"' EXIT
cat >"$profile" <<PROFILE
description=${w}x$h ${rate} progressive, from the input
width=$w
height=$h
frame_rate_num=${rate%/*}
frame_rate_den=${rate#*/}
progressive=1
sample_aspect_num=1
sample_aspect_den=1
display_aspect_num=$w
display_aspect_den=$h
colorspace=709
PROFILE
melt -silent -profile "$profile" "$in" out=$((frames - 1)) -filter frei0r.primitive shapes=0.05 shape=0.1 \
  -consumer avformat:"$out" vcodec=libx264 pix_fmt=yuv420p an=1
echo "wrote $out (${w}x$h, $rate fps)"
