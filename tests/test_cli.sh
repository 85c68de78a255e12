#!/bin/sh
# End-to-end tests of the primitive command line: outputs, reproducibility, SVG, error paths,
# hostile inputs (image bombs, truncated files), JPEG colour spaces and EXIF orientation,
# transparency, animated GIF, several -m/-n pairs, numbered names, and outputs that are replaced
# whole or not at all (full disk, interruption, FIFOs).
# usage: test_cli.sh PRIMITIVE IMGTOOL [INPUT_IMAGE]
set -u
prim=$1 tool=$2 input=${3:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

if [ -z "$input" ] || [ ! -r "$input" ]; then
  input=$dir/input.png
  "$tool" gen "$input" 320 240 || { echo "cannot make a test image"; exit 1; }
fi

# a run with every output kind, frames every 5 shapes
if "$prim" -i "$input" -o "$dir/out.png" -o "$dir/out.svg" -o "$dir/out.jpg" -o "$dir/frame%d.png" \
    -nth 5 -n 20 -s 256 -j 2 -v >"$dir/log" 2>&1; then ok "run with png, svg, jpg and %d outputs"; else fail "run"; cat "$dir/log"; fi
for f in out.png out.svg out.jpg frame5.png frame10.png frame15.png frame20.png; do
  [ -s "$dir/$f" ] && ok "wrote $f" || fail "missing $f"
done
[ ! -e "$dir/frame4.png" ] && ok "-nth 5 skipped frame 4" || fail "frame4.png written despite -nth 5"
[ "$(grep -c '^[0-9]*: t=' "$dir/log")" = 20 ] && ok "-v printed 20 progress lines" || fail "-v progress lines"

# the SVG parses as XML and renders to (nearly) the PNG
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$dir/out.svg" && ok "svg is well-formed XML" || fail "svg is not well-formed"
else
  echo "SKIP: xmllint not installed"
fi
if command -v rsvg-convert >/dev/null 2>&1; then
  rsvg-convert "$dir/out.svg" -o "$dir/svg.png"
  d=$("$tool" diff "$dir/svg.png" "$dir/out.png")
  echo "svg render vs png: mean abs diff $d"
  awk -v d="$d" 'BEGIN { exit !(d < 2.0) }' && ok "svg renders like the png (diff $d < 2.0)" || fail "svg render differs (diff $d)"
else
  echo "SKIP: rsvg-convert not installed"
fi

# same seed, same picture, any thread count; another seed, another picture
"$prim" -i "$input" -o "$dir/a.png" -n 15 -s 200 -j 1 --seed 7 &&
  "$prim" -i "$input" -o "$dir/b.png" -n 15 -s 200 -j 2 --seed 7 &&
  "$prim" -i "$input" -o "$dir/c.png" -n 15 -s 200 -j 2 -seed=8
cmp -s "$dir/a.png" "$dir/b.png" && ok "seed 7: -j 1 and -j 2 give the same image" || fail "-j 1 and -j 2 differ"
cmp -s "$dir/a.png" "$dir/c.png" && fail "seeds 7 and 8 gave the same image" || ok "another seed gives another image"

# the CUDA search emulated on the CPU: same picture at any thread count
"$prim" -i "$input" -o "$dir/e1.png" -n 4 -s 64 -j 1 -device emulated &&
  "$prim" -i "$input" -o "$dir/e2.png" -n 4 -s 64 -j 2 -device=emulated &&
  cmp -s "$dir/e1.png" "$dir/e2.png" && ok "-device emulated: same picture at -j 1 and -j 2" || fail "-device emulated"

# JPEG input, every mode, auto alpha, background colour
for m in 0 1 2 3 4 5 6 7 8; do
  "$prim" -i "$dir/out.jpg" -o "$dir/m$m.png" -n 4 -m $m -a 0 -bg "#fff" -s 64 -rep 1 2>"$dir/err" &&
    ok "mode $m from a JPEG" || { fail "mode $m"; cat "$dir/err"; }
done

# error paths: non-zero exit and one line on stderr naming the problem
expect_error() { # description, expected text, args...
  desc=$1 want=$2
  shift 2
  "$prim" "$@" >/dev/null 2>"$dir/err"
  code=$?
  lines=$(wc -l <"$dir/err")
  if [ $code -ne 0 ] && [ "$lines" -eq 1 ] && grep -q "$want" "$dir/err"; then ok "$desc: $(cat "$dir/err")"
  else fail "$desc (exit $code, $lines lines): $(cat "$dir/err")"; fi
}
printf 'not an image\n' >"$dir/text.png"
expect_error "missing input" "cannot open" -i "$dir/nope.png" -o "$dir/x.png"
expect_error "not an image" "not a PNG or JPEG" -i "$dir/text.png" -o "$dir/x.png"
head -c 200 "$dir/out.png" >"$dir/trunc.png"
expect_error "truncated PNG" "bad PNG" -i "$dir/trunc.png" -o "$dir/x.png"
head -c 300 "$dir/out.jpg" >"$dir/trunc.jpg"
expect_error "truncated JPEG" "JPEG" -i "$dir/trunc.jpg" -o "$dir/x.png"
expect_error "unwritable output" "cannot write" -i "$input" -o "/nonexistent-dir/x.png"
expect_error "unknown output type" "unknown output type" -i "$input" -o "$dir/x.bmp"
expect_error "no input" "missing -i" -o "$dir/x.png"
expect_error "no output" "missing -o" -i "$input"
expect_error "zero shapes" "bad value" -i "$input" -o "$dir/x.png" -n 0
expect_error "bad mode" "bad value" -i "$input" -o "$dir/x.png" -m 9
expect_error "bad alpha" "bad value" -i "$input" -o "$dir/x.png" -a 300
expect_error "bad number" "bad value" -i "$input" -o "$dir/x.png" -n 12abc
expect_error "bad background" "bad value" -i "$input" -o "$dir/x.png" -bg zzz
expect_error "unknown flag" "unknown flag" -i "$input" -o "$dir/x.png" -frobnicate 3
expect_error "flag without value" "needs a value" -i "$input" -o
expect_error "two %d" "only one" -i "$input" -o "$dir/%d-%d.png"
expect_error "a stray %" "literal %" -i "$input" -o "$dir/50%.png"
expect_error "%s in a name" "literal %" -i "$input" -o "$dir/%s.png"
expect_error "numbered GIF" "takes no frame number" -i "$input" -o "$dir/a%d.gif"
expect_error "bad -bg length" "bad value" -i "$input" -o "$dir/x.png" -bg fffff
mkdir "$dir/folder.png"
expect_error "output is a folder" "not a regular file (a folder)" -i "$input" -o "$dir/folder.png"
expect_error "bad device" "bad value" -i "$input" -o "$dir/x.png" -device gpu
# without a GPU, -device cuda is a one-line error naming the reason (with one, it runs)
if "$prim" -i "$input" -o "$dir/g.png" -n 2 -s 64 -device cuda >/dev/null 2>"$dir/err"; then ok "-device cuda runs (a GPU is here)"
elif [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "device=cuda: " "$dir/err"; then ok "-device cuda without a GPU: $(cat "$dir/err")"
else fail "-device cuda: $(cat "$dir/err")"; fi
rm -f "$dir/g.png"
[ ! -e "$dir/x.png" ] && ok "failed runs left no output behind" || fail "a failed run wrote x.png"

# ---- image bombs: a tiny file declaring a huge size fails at once, small ----
for kind in png jpeg progressive; do
  for wh in "65000 65000" "30000 30000" "9000 9000"; do
    # shellcheck disable=SC2086
    "$tool" bomb "$dir/bomb.$kind" $wh $kind
    set -- $("$tool" measure "$prim" -i "$dir/bomb.$kind" -o "$dir/x.png" -n 1 2>"$dir/err")
    cpu=$1 rss=$2 code=$3
    if [ "$code" = 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "too large\|cannot hold" "$dir/err" &&
      awk -v c="$cpu" -v r="$rss" 'BEGIN { exit !(c < 1.0 && r < 100) }'; then
      ok "$kind bomb $wh ($(wc -c <"$dir/bomb.$kind") bytes): refused in ${cpu}s CPU, ${rss} MB: $(cat "$dir/err")"
    else
      fail "$kind bomb $wh: exit $code, ${cpu}s CPU, ${rss} MB: $(cat "$dir/err")"
    fi
  done
done
[ ! -e "$dir/x.png" ] && ok "bombs left no output behind" || fail "a bomb run wrote x.png"

# ---- damaged files decode with one warning line ----
"$tool" gen "$dir/g.png" 320 240
"$tool" jpeg "$dir/g.png" "$dir/g.jpg" progressive
size=$(wc -c <"$dir/g.jpg")
head -c $((size * 2 / 3)) "$dir/g.jpg" >"$dir/cut.jpg"
if "$prim" -i "$dir/cut.jpg" -o "$dir/cut.png" -n 2 -s 64 -r 64 2>"$dir/err" && [ -s "$dir/cut.png" ] &&
  [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "warning: .*cut.jpg: Premature end" "$dir/err"; then
  ok "truncated JPEG: decoded with $(cat "$dir/err")"
else fail "truncated JPEG: $(cat "$dir/err")"; fi
size=$(wc -c <"$dir/g.png")
head -c $((size - 12)) "$dir/g.png" >"$dir/cut.png"
if "$prim" -i "$dir/cut.png" -o "$dir/cut2.png" -n 2 -s 64 -r 64 2>"$dir/err" && grep -q "warning: .*no IEND" "$dir/err"; then
  ok "PNG without its end: $(cat "$dir/err")"
else fail "PNG without its end: $(cat "$dir/err")"; fi

# ---- JPEG colour spaces and EXIF orientation, against the picture they were made from ----
for mode in baseline progressive cmyk cmyk-plain ycck; do
  "$tool" jpeg "$dir/g.png" "$dir/$mode.jpg" $mode
  d=$("$tool" diff "$dir/$mode.jpg" "$dir/g.png" 2>&1)
  awk -v d="$d" 'BEGIN { exit !(d < 3.0) }' && ok "$mode JPEG reads as the picture (diff $d)" || fail "$mode JPEG: $d"
done
"$prim" -i "$dir/cmyk.jpg" -o "$dir/cmyk.png" -n 3 -s 64 -r 64 2>"$dir/err" && ok "the CLI takes a CMYK JPEG" ||
  fail "CMYK JPEG: $(cat "$dir/err")"
for o in 1 2 3 4 5 6 7 8; do
  "$tool" jpeg "$dir/g.png" "$dir/exif$o.jpg" exif$o
  d=$("$tool" diff "$dir/exif$o.jpg" "$dir/g.png" 2>&1)
  awk -v d="$d" 'BEGIN { exit !(d < 3.0) }' && ok "EXIF orientation $o: shown upright (diff $d)" || fail "EXIF orientation $o: $d"
done
"$prim" -i "$dir/exif6.jpg" -o "$dir/exif6.png" -n 3 -s 100 -r 64 &&
  [ "$("$tool" info "$dir/exif6.png")" = "100 75 opaque" ] && ok "the CLI turns a phone photo (orientation 6) upright" ||
  fail "orientation 6 through the CLI: $("$tool" info "$dir/exif6.png")"

# ---- transparency ----
"$tool" gen-alpha "$dir/t.png" 320 240
if "$prim" -i "$dir/t.png" -o "$dir/t-out.png" -o "$dir/t-out.svg" -o "$dir/t-out.jpg" -n 20 -s 256 -r 128 2>"$dir/err"; then
  info=$("$tool" info "$dir/t-out.png")
  [ "$info" = "256 192 alpha 0 255" ] && ok "a transparent PNG stays transparent ($info)" || fail "transparent PNG output: $info"
  grep -q '<g mask="url(#alpha)">' "$dir/t-out.svg" && ok "the SVG is masked by the input's alpha" || fail "SVG has no mask"
  if command -v rsvg-convert >/dev/null 2>&1; then
    rsvg-convert "$dir/t-out.svg" -o "$dir/t-svg.png"
    d=$("$tool" diff "$dir/t-svg.png" "$dir/t-out.png")
    awk -v d="$d" 'BEGIN { exit !(d < 2.0) }' && ok "transparent SVG renders like the PNG (diff $d)" || fail "transparent SVG vs PNG: $d"
  fi
else fail "transparent input: $(cat "$dir/err")"; fi
# a background with alpha: the picture over white equals the run with an opaque white background
"$prim" -i "$dir/g.png" -o "$dir/bg0.png" -n 20 -s 200 -r 100 -bg '#ffffff00' && "$prim" -i "$dir/g.png" -o "$dir/bg1.png" -n 20 -s 200 -r 100 -bg fff &&
  "$tool" flatten "$dir/bg0.png" "$dir/bg0w.png"
info=$("$tool" info "$dir/bg0.png")
d=$("$tool" diff "$dir/bg0w.png" "$dir/bg1.png")
case $info in *alpha*) ok "-bg with alpha gives a transparent PNG ($info)" ;; *) fail "-bg ffffff00: $info" ;; esac
awk -v d="$d" 'BEGIN { exit !(d < 1.0) }' && ok "-bg ffffff00 over white is the -bg fff picture (diff $d)" || fail "-bg alpha over white: diff $d"
"$prim" -i "$dir/g.png" -o "$dir/bg2.png" -n 2 -s 64 -r 64 -bg '#fff8' && ok "-bg takes #rgba" || fail "-bg #rgba"

# ---- numbered names, GIF, several -m/-n pairs, --version ----
"$prim" -i "$input" -o "$dir/f%03d.png" -o "$dir/p50%%.png" -nth 5 -n 10 -s 64 -r 64 &&
  [ -s "$dir/f005.png" ] && [ -s "$dir/f010.png" ] && [ -s "$dir/p50%.png" ] && ok "%03d and %% in names" ||
  fail "%03d / %% names: $(ls "$dir" | tr '\n' ' ')"
if "$prim" -i "$input" -o "$dir/anim.gif" -o "$dir/anim.png" -n 10 -nth 2 -s 128 -r 64 2>"$dir/err" &&
  [ "$(head -c 6 "$dir/anim.gif")" = GIF89a ]; then
  ok "animated GIF written ($(wc -c <"$dir/anim.gif") bytes)"
  if command -v ffprobe >/dev/null 2>&1; then
    frames=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$dir/anim.gif")
    [ "$frames" = 6 ] && ok "GIF: the background and every 2nd of 10 shapes (6 frames)" || fail "GIF has $frames frames, expected 6"
    ffmpeg -v error -y -i "$dir/anim.gif" -vf "select=eq(n\,5)" -frames:v 1 "$dir/gif-last.png"
    d=$("$tool" diff "$dir/gif-last.png" "$dir/anim.png")
    awk -v d="$d" 'BEGIN { exit !(d < 6.0) }' && ok "the GIF's last frame is the picture (diff $d, 256 colours)" ||
      fail "GIF last frame differs: $d"
  else
    echo "SKIP: ffprobe not installed, GIF frames not counted"
  fi
else fail "GIF: $(cat "$dir/err")"; fi
"$prim" -i "$input" -o "$dir/pairs.svg" -m 1 -n 4 -m 4 -n 3 -s 64 -r 64 -v >"$dir/log" 2>&1
if [ "$(grep -c '<polygon' "$dir/pairs.svg")" = 4 ] && [ "$(grep -c '<ellipse' "$dir/pairs.svg")" = 3 ] &&
  [ "$(grep '<polygon\|<ellipse' "$dir/pairs.svg" | head -4 | grep -c '<polygon')" = 4 ] && grep -q 'then 3 circle' "$dir/log"; then
  ok "-m 1 -n 4 -m 4 -n 3: 4 triangles then 3 circles"
else fail "-m/-n pairs: $(grep -c '<polygon' "$dir/pairs.svg") polygons, $(grep -c '<ellipse' "$dir/pairs.svg") ellipses"; fi
"$prim" -i "$input" -o "$dir/late.svg" -n 3 -m 3 -s 64 -r 64 && [ "$(grep -c '<ellipse' "$dir/late.svg")" = 3 ] &&
  ok "-m after the only -n still applies" || fail "-n 3 -m 3 did not draw ellipses"
v=$("$prim" --version)
case $v in "primitive (gst-primitive) "[0-9]*) ok "--version: $v" ;; *) fail "--version: $v" ;; esac

# ---- outputs are replaced whole or not at all ----
leftovers() { ls -A "$dir" | grep -c '\.tmp$'; }
"$prim" -i "$input" -o "$dir/keep.png" -o "$dir/keep.svg" -o "$dir/keep.jpg" -o "$dir/keep.gif" -n 40 -s 300 -r 64 --seed 3
for f in keep.png keep.svg keep.jpg keep.gif; do cp "$dir/$f" "$dir/$f.ref"; done
mkfifo "$dir/fifo.png"
timeout 20 "$prim" -i "$input" -o "$dir/fifo.png" -n 1 -r 64 2>"$dir/err"
code=$?
[ $code = 2 ] && grep -q "not a regular file (a FIFO)" "$dir/err" && ok "FIFO output refused without blocking" ||
  fail "FIFO output: exit $code $(cat "$dir/err")"
for f in keep.png keep.svg keep.jpg keep.gif; do
  # a file size limit acts as a full disk: the write fails (EFBIG) and the old file stays
  (ulimit -f 1; "$prim" -i "$input" -o "$dir/$f" -n 12 -s 300 -r 64 --seed 4 2>"$dir/err")
  code=$?
  if [ $code = 1 ] && grep -q "cannot write .*$f: File too large" "$dir/err" && cmp -s "$dir/$f" "$dir/$f.ref" &&
    [ "$(leftovers)" = 0 ]; then
    ok "full disk: $f kept, no temporary left ($(cat "$dir/err"))"
  else fail "full disk on $f: exit $code, $(cat "$dir/err"), $(leftovers) temporaries"; fi
done
interrupt() { # signal, temporary to wait for, args...
  sig=$1 wait_for=$2
  shift 2
  "$tool" exec "$prim" "$@" 2>"$dir/err" &
  pid=$!
  i=0
  while [ $i -lt 400 ] && ! ls -A "$dir" | grep -q "^\.$wait_for\..*\.tmp$"; do sleep 0.05; i=$((i + 1)); done
  kill -"$sig" $pid
  wait $pid
}
interrupt INT keep.gif -i "$input" -o "$dir/keep.gif" -o "$dir/keep.png" -n 100000 -s 300 -r 64
code=$?
if [ $code -gt 128 ] && cmp -s "$dir/keep.gif" "$dir/keep.gif.ref" && cmp -s "$dir/keep.png" "$dir/keep.png.ref" &&
  [ "$(leftovers)" = 0 ]; then ok "SIGINT during a GIF: old files kept, no temporary left"
else fail "SIGINT during a GIF: exit $code, $(leftovers) temporaries, $(cat "$dir/err")"; fi
interrupt TERM keep.png -i "$input" -o "$dir/keep.png" -n 1 -s 4000 -r 64
code=$?
if cmp -s "$dir/keep.png" "$dir/keep.png.ref" && [ "$(leftovers)" = 0 ]; then
  ok "SIGTERM while a large PNG is written (exit $code): old file kept, no temporary left"
else fail "SIGTERM during a PNG: exit $code, $(leftovers) temporaries"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
