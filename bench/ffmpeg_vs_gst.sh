#!/bin/sh
# Frames per second of the frei0r plugin in FFmpeg and of the GStreamer element on the same
# input, side by side: a 10 s testsrc2 clip (640x360, 30 fps, lossless FFV1) and the still
# picture looped for 10 s; 50 triangles, working size 256, 2 threads. Median of RUNS runs.
#   bench/ffmpeg_vs_gst.sh [RUNS]
# Needs ffmpeg, gst-launch-1.0 and gstreamer1.0-libav (avdec_ffv1); run from the source root
# after building into build/.
set -e
runs=${1:-3}
root=$(pwd)
export FREI0R_PATH=$root/build/frei0r GST_PLUGIN_PATH=$root/build/gst
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ffmpeg -v error -f lavfi -i testsrc2=size=640x360:rate=30:duration=10 -c:v ffv1 "$tmp/clip.mkv"
still=$root/examples/data/monalisa.jpg
ffmpeg -v error -loop 1 -i "$still" -t 10 -r 30 -vf scale=640:360 -c:v ffv1 "$tmp/still.mkv"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }

for input in clip still; do
  f=$(for i in $(seq "$runs"); do
    seconds ffmpeg -v error -threads 1 -i "$tmp/$input.mkv" \
      -vf "frei0r=filter_name=primitive:filter_params=0.05|0.1|0.50196|0.256|0.000001|y|0|0.25|0|0.02" -f null -
  done | median)
  g=$(for i in $(seq "$runs"); do
    seconds gst-launch-1.0 -q filesrc location="$tmp/$input.mkv" ! matroskademux ! avdec_ffv1 \
      ! primitive shapes=50 threads=2 ! fakesink sync=false
  done | median)
  awk -v i="$input" -v f="$f" -v g="$g" 'BEGIN {
    printf "%-6s ffmpeg+frei0r %6.2f s %6.1f fps   gst-launch %6.2f s %6.1f fps   ratio %.2f\n", i, f, 300 / f, g, 300 / g, g / f }'
done
