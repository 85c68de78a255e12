#!/bin/sh
# Makes the pictures in docs/images from examples/data/monalisa.jpg: stills with the command-line
# tool, a before/after strip of video frames with the frei0r plugin in FFmpeg (the same video
# session as the GStreamer element), tiles with FFmpeg. Needs a build (build/) and ffmpeg.
#   sh docs/make-pictures.sh
# Every picture is a JPEG, small enough that all of them stay well under 400 KB.
set -eu
cd "$(dirname "$0")/.."
cli=build/cli/primitive
in=examples/data/monalisa.jpg
out=docs/images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$cli" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
mkdir -p "$out"
still() { # name, size, CLI flags...: one picture
  name=$1 size=$2
  shift 2
  "$cli" -i "$in" -o "$tmp/$name.png" -s "$size" "$@"
  ffmpeg -v error -y -i "$tmp/$name.png" -q:v 4 "$out/$name.jpg"
}

# README and docs/gstreamer.md: the original and a few kinds at 320 px
ffmpeg -v error -y -i "$in" -vf scale=320:-2 -q:v 4 "$out/monalisa-original.jpg"
still monalisa-triangles 320 -n 200 -m 1
still monalisa-ellipses 320 -n 100 -m 3
still monalisa-beziers 320 -n 300 -m 6 -a 0

# shape=: every kind, 100 shapes, 160 px
m=0
for kind in any triangle rectangle ellipse circle rotated-rectangle bezier rotated-ellipse polygon; do
  still "shape-$kind" 160 -n 100 -m $m
  m=$((m + 1))
done
# alpha=0: opacity chosen per shape (the default, 128, is shape-triangle)
still alpha-0 160 -n 100 -m 1 -a 0
# working-size: the resolution the shapes are fitted at (the default, 256, is shape-triangle)
for r in 32 64 128 512; do
  still "working-size-$r" 160 -n 100 -m 1 -r $r
done

# Video: a slow zoom and pan over the picture (3 s at 30 fps), through the frei0r plugin with
# 100 triangles and the warm start; frames 0, 30, 60 and 89 of the input above the output.
ffmpeg -v error -y -loop 1 -i "$in" -vf "zoompan=z='1.5-0.004*on':x='(iw-iw/zoom)*on/89':y='(ih-ih/zoom)/4':d=90:s=256x256:fps=30" \
  -frames:v 90 -pix_fmt rgb24 -c:v ffv1 "$tmp/in.mkv"
FREI0R_PATH=$PWD/build/frei0r ffmpeg -v error -y -i "$tmp/in.mkv" \
  -vf "frei0r=filter_name=primitive:filter_params=0.1|0.1" -c:v ffv1 "$tmp/out.mkv"
tiles="select='eq(n\,0)+eq(n\,30)+eq(n\,60)+eq(n\,89)',scale=160:160,tile=4x1:padding=4:color=white"
ffmpeg -v error -y -i "$tmp/in.mkv" -i "$tmp/out.mkv" \
  -filter_complex "[0]$tiles[a];[1]$tiles[b];[a]pad=iw:ih+4:color=white[a2];[a2][b]vstack" \
  -frames:v 1 -q:v 4 "$out/video-strip.jpg"
du -ch "$out"/*.jpg | tail -1
