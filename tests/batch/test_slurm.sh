#!/bin/bash
# primitive-batch on a real one-node Slurm cluster started on loopback (cluster.sh): a job array
# for a clip with one task cancelled part-way, the re-run that submits only the missing segment,
# and the result bit-identical to local processes with the same settings; an image folder the same.
# The cluster is torn down at the end, also on failure. Skips (77) without root or the packages.
#   test_slurm.sh PRIMITIVE_BATCH
set -u
batch=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
sh "$here/cluster.sh" check || { rm -rf "$tmp"; exit 77; }
cleanup() {
  sh "$here/cluster.sh" stop "$tmp/cluster"
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$tmp" || exit 1
t0=$(date +%s)
conf=$(sh "$here/cluster.sh" start "$tmp/cluster") || { echo "$conf"; echo "the test cluster did not start"; exit 1; }
export SLURM_CONF=$conf
ok "a one-node cluster is up in $(($(date +%s) - t0)) s"
sh "$here/clip.sh" clip.mp4 320 180 4 20 || { echo "cannot make the test clip"; exit 1; }
S="shapes=20 working-size=128"
# the clip's 1-second segments are planned around a 12-frame fade (the default, 30, needs 62 frames)
F="--fade 12"

# 1. A job array with one task cancelled part-way; the re-run submits only that segment.
$batch clip.mp4 -o s.mkv $S --segment-seconds 1 $F --slurm --keep --progress-every 1 >run1.log 2>&1 &
driver=$!
# SIGKILL to the task's processes through Slurm, as when a program crashes (a plain scancel sends
# SIGCONT first, which would let the stopped worker run on for a moment)
cancel_task() { scancel --full --signal=KILL "$(json_field "$1" job)"; }
killed=$(kill_midway s.mkv.batch cancel_task)
wait $driver
rc=$?
check "a killed array task (segment ${killed:-none}) fails the run (exit $rc)" [ -n "$killed" -a $rc -eq 1 ]
check "the run submitted a job array of 4 tasks" grep -q "submitted job array [0-9]* (4 tasks" run1.log
$batch clip.mp4 -o s.mkv $S --segment-seconds 1 $F --slurm --keep >run2.log 2>&1
check "the re-run completes" [ $? -eq 0 ]
if grep -q "3 of 4 segments already done" run2.log && grep -q "submitted job array [0-9]* (1 task," run2.log; then
  ok "the re-run submits only the missing segment"
else
  fail "the re-run submits only the missing segment"
  cat run1.log run2.log
fi
check "the join has the input's 80 frames" [ "$(packets s.mkv v:0)" = 80 ]
check "the join has the input's audio" [ "$(packets s.mkv a:0)" = "$(packets clip.mp4 a:0)" ]
check "each task asked for 1 cpu (threads=1)" grep -q "1 cpus each" run1.log

# 2. The same settings as local processes: the same frames, bit for bit.
$batch clip.mp4 -o l.mkv $S --segment-seconds 1 $F --local >local.log 2>&1
check "the local run completes" [ $? -eq 0 ]
a=$(frames_md5 s.mkv | md5sum) b=$(frames_md5 l.mkv | md5sum)
check "Slurm (with a re-run) and local processes give bit-identical frames" \
  [ -n "$(frames_md5 l.mkv)" -a "$a" = "$b" ]

# 3. An image folder as a job array submitted without waiting, joined by a second run; and locally.
mkdir imgs
for i in 0 1 2 3 4; do
  ffmpeg -nostdin -v error -i "$here/../../examples/data/monalisa.jpg" -vf "crop=iw-$((i * 30)):ih-$((i * 20)),scale=$((96 + i * 8)):72" "imgs/p$i.png"
done
# (submitted held, so that the second run finds it queued; released once that run waits for it)
$batch imgs -o si $S --images-per-task 2 --slurm --no-wait --sbatch-arg=--hold >si1.log 2>&1
rc=$?
checke "--no-wait submits and returns" '[ $rc -eq 0 ] && grep -q "not waiting" si1.log'
$batch imgs -o si $S --images-per-task 2 --slurm >si.log 2>&1 &
driver=$!
i=0
until grep -q "waiting for job" si.log || [ $i -gt 300 ]; do sleep 0.2; i=$((i + 1)); done
scontrol release "$(sed -n 's/.*submitted job array \([0-9]*\).*/\1/p' si1.log)"
wait $driver
check "an image folder runs as a job array" [ $? -eq 0 ]
checke "the second run waits for the job of the first instead of submitting again" \
  'grep -q "waiting for job" si.log && ! grep -q "submitted job array" si.log'
$batch imgs -o li $S --images-per-task 2 --local >li.log 2>&1
same=1
for f in imgs/*.png; do cmp -s "si/$(basename "$f")" "li/$(basename "$f")" || same=0; done
check "Slurm and local images are bit-identical" [ $same = 1 -a "$(ls si | wc -l)" = 5 ]
finish
