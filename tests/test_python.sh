#!/bin/sh
# The Python appsink example (examples/shapes-appsink.py) reads the shapes through the custom meta
# with no C header; what it prints for each frame must be what the element itself wrote as SVG for
# that frame: the background, the count, order, kind, colour, opacity and geometry of every shape.
# usage: test_python.sh EXAMPLE (GST_PLUGIN_PATH is set by meson)
set -u
example=$1
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import gi; gi.require_version("Gst", "1.0"); from gi.repository import Gst' 2>/dev/null; then
    py=$p
    break
  fi
done
if [ -z "$py" ]; then
  echo "SKIP: no python3 with GObject introspection for GStreamer (python3-gi, gir1.2-gstreamer-1.0)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
for kind in ellipse triangle; do
  mkdir "$dir/$kind"
  if ! "$py" "$example" --frames 4 shapes=6 shape=$kind svg-location="$dir/$kind/f%d.svg" >"$dir/$kind.txt"; then
    echo "FAIL: the example failed with shape=$kind"
    cat "$dir/$kind.txt"
    status=1
    continue
  fi
  "$py" - "$dir/$kind.txt" "$dir/$kind" <<'EOF' || status=1
import re, sys
text, svgdir = open(sys.argv[1]).read(), sys.argv[2]
frames = re.split(r"^(?=frame \d+:)", text, flags=re.M)[1:]
assert len(frames) == 4, "expected 4 frames, got %d:\n%s" % (len(frames), text)
def close(a, b):
    return all(abs(x - y) < 0.06 for x, y in zip(a, b)) and len(a) == len(b)
for block in frames:
    lines = block.strip().split("\n")
    m = re.match(r"frame (\d+): 160x120, working size (\d+)x(\d+), score ([\d.]+), background (#[0-9a-f]{6}), (\d+) shapes$", lines[0])
    assert m, "header: " + lines[0]
    n, ww, wh, bg, count = int(m[1]), int(m[2]), int(m[3]), m[5], int(m[6])
    svg = open("%s/f%d.svg" % (svgdir, n)).read()
    assert re.search(r'<rect [^>]*fill="%s"' % bg, svg), "frame %d: background %s not in the SVG" % (n, bg)
    items = re.findall(r"<(ellipse|polygon) ([^>]*)/>", svg)
    assert count == 6 == len(items) == len(lines) - 1, "frame %d: %d shapes printed, %d in the SVG" % (n, count, len(items))
    for line, (tag, attrs) in zip(lines[1:], items):
        s = re.match(r"\s+\d+ (\S+) (#[0-9a-f]{6}) alpha (\d+): (.*)$", line)
        assert s, "shape line: " + line
        kind, fill, alpha, p = s[1], s[2], int(s[3]), [float(v) for v in s[4].split()]
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        assert fill == a["fill"], "frame %d: colour %s, SVG %s" % (n, fill, a["fill"])
        assert alpha == round(float(a["fill-opacity"]) * 255), line
        if tag == "ellipse":
            assert kind == "ellipse", line
            want = [float(a[k]) for k in ("cx", "cy", "rx", "ry")] + [0.0] * 4
        else:
            assert kind == "triangle", line
            want = [float(v) for v in re.split(r"[ ,]+", a["points"].strip())] + [0.0, 0.0]
        assert close(p, want), "frame %d: %s, SVG %s" % (n, p, want)
print("ok: %d frames, shapes as in the element's SVG" % len(frames))
EOF
done
exit $status
