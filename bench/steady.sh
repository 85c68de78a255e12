#!/bin/bash
# Steadiness, fidelity and speed of the element on moving clips, warm start on and off.
#
#   bench/steady.sh CLIPS [-shapes 50] [-threads 2] [...more bench_video options]
#
# CLIPS: a folder of clips, each a folder of PNG frames (bench/make_clips.py makes them). For each
# clip, bench_video runs the frames through the element with warm-start on and off, then
# ../shared/tools/temporal.py (python3-opencv) measures, after the first 5 frame pairs:
#   warp in / on / off   warping error of the input and of both outputs (Lai et al. 2018), 0..255
#   ratio                warm output's warping error over the input's own
#   fid on / off         mean absolute difference of output and input (lower is more faithful)
#   fps on / off         frames per second of the element (2 threads unless told)
# BUILD (default ./build) picks the build to measure; TEMPORAL the metric script; PYTHON a python3
# with cv2 (/usr/bin/python3). SEEDS="1 2 3" runs each clip once per seed (bench_video -seed) and
# adds a row of the medians: single runs of the warm start vary by a few percent with the seed.
set -eu
clips=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
temporal=${TEMPORAL:-$here/../shared/tools/temporal.py}
[ -f "$temporal" ] || { echo "steady.sh: no $temporal (set TEMPORAL)" >&2; exit 2; }
py=${PYTHON:-/usr/bin/python3}
export GST_PLUGIN_PATH=$build/gst
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seeds=${SEEDS:-}
printf '%-14s %7s %7s %7s %6s %7s %7s %7s %7s\n' clip "warp in" "on" "off" ratio "fid on" "off" "fps on" "off"
for dir in "$clips"/*/; do
  name=$(basename "$dir")
  : >"$tmp/rows"
  for seed in ${seeds:-default}; do
    label=$name seedarg=()
    [ "$seed" = default ] || label="$name/$seed" seedarg=(-seed "$seed")
    "$build/bench/bench_video" -source "$dir" -shapes 50 -threads 2 "$@" "${seedarg[@]}" -save "$tmp/$name" >"$tmp/$name.txt"
    on=$("$py" "$temporal" "$dir" "$tmp/$name/on" --skip 5)
    off=$("$py" "$temporal" "$dir" "$tmp/$name/off" --skip 5)
    "$py" - "$label" "$on" "$off" "$tmp/$name.txt" <<'PY' | tee -a "$tmp/rows"
import json, sys
name, on, off, txt = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), open(sys.argv[4]).read()
fps = {l.split()[0]: float(l.split()[1]) for l in txt.splitlines() if l.split()[:1] in (["on"], ["off"])}
print("%-14s %7.3f %7.3f %7.3f %6.2f %7.2f %7.2f %7.1f %7.1f" % (name, on["warp_in"], on["warp_out"], off["warp_out"],
      on["warp_out"] / on["warp_in"], on["fidelity"], off["fidelity"], fps.get("on", 0), fps.get("off", 0)))
PY
    rm -rf "${tmp:?}/$name"
  done
  if [ "$(wc -l <"$tmp/rows")" -gt 1 ]; then
    "$py" - "$name" "$tmp/rows" <<'PY'
import statistics, sys
rows = [[float(v) for v in l.split()[1:]] for l in open(sys.argv[2])]
med = [statistics.median(col) for col in zip(*rows)]
print("%-14s %7.3f %7.3f %7.3f %6.2f %7.2f %7.2f %7.1f %7.1f" % ((sys.argv[1] + " median",) + tuple(med)))
PY
  fi
done
