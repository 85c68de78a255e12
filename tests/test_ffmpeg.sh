#!/bin/sh
# FFmpeg end to end: the frei0r filter on a generated clip and on a still picture.
# usage: test_ffmpeg.sh DIR_WITH_primitive.so IMGTOOL STILL_PICTURE
set -u
export FREI0R_PATH=$1
tool=$2 still=$3
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
if ! command -v ffmpeg >/dev/null 2>&1; then
  echo "SKIP: ffmpeg not installed"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# 30 frames of testsrc2 at 160x90, 20 triangles; input and output as raw RGB to compare
ffmpeg -v error -f lavfi -i testsrc2=size=160x90:rate=30:duration=1 -pix_fmt rgb24 -f rawvideo "$dir/in.rgb"
if ffmpeg -v error -f lavfi -i testsrc2=size=160x90:rate=30:duration=1 \
    -vf "frei0r=filter_name=primitive:filter_params=0.02|0.1" -pix_fmt rgb24 -f rawvideo "$dir/out.rgb"; then
  ok "ffmpeg ran the frei0r filter"
else
  fail "ffmpeg with the frei0r filter"
fi
insize=$(wc -c <"$dir/in.rgb") outsize=$(wc -c <"$dir/out.rgb")
[ "$outsize" -eq $((160 * 90 * 3 * 30)) ] && ok "30 frames of 160x90 out" || fail "output size $outsize"
cmp -s "$dir/in.rgb" "$dir/out.rgb" && fail "output equals input" || ok "output differs from the input"
# not blank: many distinct byte values in the first frame
distinct=$(head -c 43200 "$dir/out.rgb" | od -An -v -tu1 | tr -s ' ' '\n' | sort -u | wc -l)
[ "$distinct" -gt 20 ] && ok "first frame not blank ($distinct distinct values)" || fail "blank output ($distinct values)"
# an MP4, checked by ffprobe
if ffmpeg -v error -f lavfi -i testsrc2=size=320x180:rate=30:duration=1 \
    -vf "frei0r=filter_name=primitive:filter_params=0.03|0.3" -c:v libx264 -preset veryfast -pix_fmt yuv420p \
    "$dir/out.mp4" && [ "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height -of csv=p=0 "$dir/out.mp4")" = "320,180,30" ]; then
  ok "MP4 with 30 frames of 320x180 (ffprobe)"
else
  fail "MP4 through ffmpeg"
fi
# the still picture, looped: steady once warm
ffmpeg -v error -loop 1 -i "$still" -t 1.5 -r 30 -vf "scale=320:180,frei0r=filter_name=primitive:filter_params=0.05|0.1" \
  -pix_fmt rgb24 -f rawvideo "$dir/still.rgb"
d=$("$tool" rawdiff "$dir/still.rgb" 320 180 10)
awk -v d="$d" 'BEGIN { exit !(d >= 0 && d < 0.5) }' && ok "still picture: frame-to-frame difference $d < 0.5 after 10 frames" ||
  fail "still picture: frame-to-frame difference $d"
# melt (MLT), when installed
if command -v melt >/dev/null 2>&1; then
  melt -silent "$still" out=29 -filter frei0r.primitive shapes=0.03 \
    -consumer avformat:"$dir/melt.mp4" vcodec=libx264 an=1 width=320 height=320 >/dev/null 2>&1
  [ "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height -of csv=p=0 "$dir/melt.mp4" 2>/dev/null)" = "320,320,30" ] &&
    ok "MP4 through melt with 30 frames (ffprobe)" || fail "MP4 through melt"
  # examples/melt.sh: the input's size and rate, progressive, square pixels (not PAL with bars)
  melt_sh=$(dirname "$0")/../examples/melt.sh
  ffmpeg -v error -f lavfi -i testsrc2=size=320x180:rate=25:duration=1 -pix_fmt yuv420p "$dir/clip.mp4"
  for c in "$dir/clip.mp4:320,180,1:1,progressive,25/1,10" "$still:$(ffprobe -v error -select_streams v:0 \
      -show_entries stream=width,height -of csv=p=0 "$still"),1:1,progressive,30/1,10"; do
    input=${c%%:*} want=${c#*:}
    sh "$melt_sh" "$input" "$dir/example.mp4" 10 >/dev/null 2>&1
    got=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries \
      stream=width,height,sample_aspect_ratio,field_order,r_frame_rate,nb_read_frames -of csv=p=0 "$dir/example.mp4" 2>&1)
    [ "$got" = "$want" ] && ok "examples/melt.sh $(basename "$input"): $got" || fail "examples/melt.sh $(basename "$input"): $got, want $want"
    rm -f "$dir/example.mp4"
  done
else
  echo "SKIP: melt not installed"
fi
# a value that cannot mean what it says is explained on stderr, once
msg=$(ffmpeg -v error -f lavfi -i testsrc2=size=32x18:rate=10 -frames:v 2 \
  -vf "frei0r=filter_name=primitive:filter_params=50|0.1|0.5|0.016|0.000001|y|0|0.25|0|0|red" -f null - 2>&1)
[ "$(echo "$msg" | grep -c "shapes=50 is outside 0..1; understood as 1000 shapes")" -eq 1 ] &&
  echo "$msg" | grep -q 'background "red" is not avg or a colour' && ok "ffmpeg shows what 50 shapes and red meant" ||
  fail "no notice for shapes=50 or background=red: $msg"
# a bad parameter string is FFmpeg's error, not a crash
ffmpeg -v quiet -f lavfi -i testsrc2=size=64x36:duration=0.1 -vf "frei0r=filter_name=primitive:filter_params=abc" \
  -f null - && fail "bad parameter accepted" || ok "bad parameter refused by ffmpeg"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
