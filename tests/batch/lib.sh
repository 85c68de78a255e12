# Shared by the primitive-batch tests: counters, a private temp folder, frame hashes, and a
# helper that kills one running task of a run once it is part-way through.
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
check() { # description, command...: one pass or fail
  d=$1
  shift
  if "$@"; then ok "$d"; else fail "$d"; fi
}
checke() { # description, shell condition (evaluated): for conditions with && or !
  d=$1
  shift
  if eval "$*"; then ok "$d"; else fail "$d"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
for p in ffmpeg ffprobe gst-launch-1.0 python3; do
  if ! command -v $p >/dev/null 2>&1; then
    echo "SKIP: $p is not installed"
    exit 77
  fi
done
tmp=$(mktemp -d)
export GST_REGISTRY="$tmp/registry.bin"
here=$(cd "$(dirname "$0")" && pwd)

frames_md5() { # video [first last]: one MD5 per decoded frame (video only)
  ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -f framemd5 - | grep -v '^#' | awk -F, '{print $NF}' |
    if [ $# -ge 3 ]; then sed -n "$(($2 + 1)),$(($3 + 1))p"; else cat; fi
}
packets() { # file stream-selector: packet count
  ffprobe -v error -select_streams "$2" -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" | head -1
}
# kill_midway STATE KILLER: waits until a task of the run in STATE has rendered a frame, stops its
# worker (SIGSTOP: it cannot finish meanwhile) and, if the segment is still not done, runs KILLER
# with the task's running file (JSON: pid, job); prints the segment number. Shell and sed only:
# the loop must be quick, a segment of the test clip renders in well under a second.
json_field() { sed -n "s/.*\"$2\": \"\{0,1\}\([0-9_]*\).*/\1/p" "$1" 2>/dev/null; }
kill_midway() {
  i=0
  while [ $i -lt 3000 ]; do
    for f in "$1"/running/[0-9]*; do
      case $f in *.tmp*) continue ;; esac
      k=$(basename "$f")
      n=$(json_field "$1/progress/$k" frames)
      [ -n "$n" ] && [ "$n" -ge 1 ] || continue
      pid=$(json_field "$f" pid)
      [ -n "$pid" ] || continue
      kill -STOP "$pid" 2>/dev/null || continue
      if [ ! -f "$1/segments/$k/done.json" ] && $2 "$f"; then
        echo "$k"
        return 0
      fi
      kill -CONT "$pid" 2>/dev/null
    done
    sleep 0.02
    i=$((i + 1))
  done
  return 1
}
