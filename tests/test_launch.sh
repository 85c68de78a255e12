#!/bin/sh
# The element as users meet it: gst-inspect-1.0 and gst-launch-1.0 (GST_PLUGIN_PATH is set by meson).
set -u
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
if ! command -v gst-launch-1.0 >/dev/null 2>&1; then
  echo "SKIP: gst-launch-1.0 not installed (gstreamer1.0-tools)"
  exit 77
fi
out=$(gst-inspect-1.0 primitive 2>&1)
[ $? -eq 0 ] && ok "gst-inspect-1.0 primitive" || fail "gst-inspect-1.0 primitive: $out"
for p in shapes shape alpha working-size seed threads background device warm-start keyframe-interval \
  scene-threshold budget svg-location; do
  echo "$out" | grep -q "^  $p " && ok "documents $p" || fail "property $p missing from gst-inspect"
done
for f in I420 NV12 RGBx BGR; do
  gst-launch-1.0 -q videotestsrc num-buffers=20 ! video/x-raw,format=$f,width=320,height=180,framerate=30/1 \
    ! primitive shapes=20 ! fakesink >/dev/null 2>&1 && ok "gst-launch with $f" || fail "gst-launch with $f"
done
if msg=$(gst-launch-1.0 -q videotestsrc num-buffers=1 ! primitive device=cuda ! fakesink 2>&1); then
  ok "device=cuda runs (a GPU is here)"
else
  echo "$msg" | grep -q "device=cuda: " && ok "device=cuda without a GPU fails with a clear error" ||
    fail "device=cuda: $msg"
fi
echo "$out" | grep -q "Origin URL" && ! echo "$out" | grep "Origin URL" | grep -q fogleman &&
  ok "Origin: $(echo "$out" | grep "Origin URL" | sed 's/ *Origin URL *//')" || fail "Origin URL"
for p in shapes shape alpha working-size; do
  echo "$out" | sed -n "/^  $p /,+1p" | grep -q controllable && ok "$p is controllable" || fail "$p not controllable"
done
# bad values are visible; svg-location with %05d or without any %d writes files
dir=$(mktemp -d)
msg=$(gst-launch-1.0 -q videotestsrc num-buffers=2 ! primitive shapes=3 background=red ! fakesink 2>&1)
echo "$msg" | grep -q 'WARNING.*background "red" refused' && ok "background=red: a warning on stderr" ||
  fail "background=red: $msg"
gst-launch-1.0 -q videotestsrc num-buffers=3 ! primitive shapes=3 svg-location="$dir/f%05d.svg" ! fakesink >/dev/null 2>&1
[ -s "$dir/f00000.svg" ] && [ -s "$dir/f00002.svg" ] && ok "svg-location=f%05d.svg writes f00000.svg..f00002.svg" ||
  fail "svg-location=f%05d.svg: $(ls "$dir")"
gst-launch-1.0 -q videotestsrc num-buffers=3 ! primitive shapes=3 svg-location="$dir/one.svg" ! fakesink >/dev/null 2>&1
[ -s "$dir/one.svg" ] && ok "svg-location=one.svg writes one file" || fail "svg-location=one.svg: $(ls "$dir")"
rm -rf "$dir"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
