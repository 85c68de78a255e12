#!/bin/bash
# The CUDA backend on a machine with a GPU, in one command: builds it, holds the GPU to the CPU
# emulation of the device search (bit for bit), checks the kernels' resources, and prints a
# benchmark table (100 triangles: GPU against the CPU search on 2 threads; video through the
# shared session). Where there is no GPU it says so on one line and stops.
#
# usage: bash scripts/gpu-check.sh [IMAGE...]
#   Images (PNG or JPEG): the arguments, else gpu-data/*.png (a folder ignored by git, for
#   carrying the shared test images to a GPU machine), else ../shared/data/*.png (beside the
#   checkout), else examples/data/monalisa.jpg. Where the build has no libpng/libjpeg (a bare
#   GPU machine), they are converted to PPM with python3's PIL first.
# Needs: nvcc, meson, ninja, a C compiler. No GStreamer (the element is not built), no frei0r
# headers, no image libraries.
# Exit status: 0 every check passed, 1 a check or the build failed, 77 no GPU (nothing checked).
set -u -o pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/cuda/bin"

gpu=$(nvidia-smi -L 2>/dev/null | head -1)
if [ -z "$gpu" ]; then
  echo "gpu-check: no GPU here (nvidia-smi lists none): nothing to check"
  exit 77
fi
echo "gpu-check: $gpu"
command -v nvcc >/dev/null || { echo "gpu-check: no nvcc on PATH: cannot build the kernels"; exit 1; }
nvcc --version | tail -2

build=build-gpu
out=${OUT:-$build/gpu-check} # the device machine's $OUT comes back to the caller
mkdir -p "$out"
log=$out/gpu-check.log
exec > >(tee "$log") 2>&1

echo "=== build ($build: release, CUDA required, no GStreamer)"
{ [ -d $build ] || meson setup $build --buildtype=release -Dcuda=enabled -Dgst=disabled; } &&
  ninja -C $build || { echo "gpu-check: build failed"; exit 1; }

failed=0
export PM_REQUIRE_GPU=1 # a GPU test that would skip fails instead
echo "=== tests: the kernels' resources, the emulation, the GPU against the emulation"
meson test -C $build --print-errorlogs --no-rebuild cuda_resources cuda_reference cuda_argmin cuda_emulation \
  cuda_kernel cuda_device || failed=1
cp $build/meson-logs/testlog.txt "$out/" 2>/dev/null

# images for the quality check and the benchmark
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(gpu-data/*.png)
[ -e "${images[0]}" ] || images=(../shared/data/*.png)
[ -e "${images[0]}" ] || images=(examples/data/monalisa.jpg)
if [ ! -x $build/tests/imgtool ]; then # no image codecs in this build: PPM copies
  mkdir -p $build/images
  ppm=()
  for f in "${images[@]}"; do
    case $f in *.ppm) ppm+=("$f"); continue ;; esac
    p=$build/images/$(basename "${f%.*}").ppm
    python3 -c 'import sys; from PIL import Image; Image.open(sys.argv[1]).convert("RGB").save(sys.argv[2])' "$f" "$p" ||
      { echo "gpu-check: cannot read $f without libpng/libjpeg or python3's PIL"; exit 1; }
    ppm+=("$p")
  done
  images=("${ppm[@]}")
fi
echo "=== images: ${images[*]}"

echo "=== the emulated device search against the CPU search (100 triangles, within 2%)"
$build/tests/test_cuda quality "${images[@]}" || failed=1

if [ -x $build/cli/primitive ]; then
  echo "=== the CLI: -device cuda and -device emulated give the same picture"
  $build/cli/primitive -i "${images[0]}" -o "$out/cuda.png" -n 30 -device cuda -v >"$out/cli.txt" &&
    head -2 "$out/cli.txt" && $build/cli/primitive -i "${images[0]}" -o "$out/emulated.png" -n 30 -device emulated &&
    cmp "$out/cuda.png" "$out/emulated.png" && echo "same picture" || { echo "gpu-check: the pictures differ"; failed=1; }
fi

echo "=== benchmark (GPU: $gpu; CPU: 2 of $(nproc) threads)"
$build/tests/test_cuda bench "${images[@]}" | tee "$out/bench.txt" || failed=1

echo "=== the GPU's search with 1, 4 and 16 lanes per candidate (8 above) against the emulation"
for lanes in 1 4 16; do
  PM_CUDA_LANES=$lanes $build/tests/test_cuda device >"$out/device-lanes$lanes.txt" 2>&1 &&
    echo "$lanes lanes: same shapes as the emulation" || { echo "$lanes lanes: FAILED"; tail -5 "$out/device-lanes$lanes.txt"; failed=1; }
done

if [ -x $build/bench/bench_still ]; then
  # Medians of 3 runs on the first image: the time per 100 shapes against the lanes and the
  # effort, and where a GPU search's time goes (PM_CUDA_PROFILE: the kernels' times by CUDA
  # events, the call's by the host clock; the rest of a step is the CPU's copy of the model)
  echo "=== the GPU search's lanes, effort and time (${images[0]}, 100 triangles, medians of 3 runs)"
  for args in "-j 2" "-j $(nproc)"; do
    echo "--- CPU search $args"
    $build/bench/bench_still -runs 3 $args "${images[0]}" | tail -1
  done
  # the device runs -climbs C -age A as 4C climbers of age A/3 (core/model.c); "-climbs 6 -age 900"
  # is its search before that (24 climbers, age 300)
  for run in "1|-climbs 24" "4|-climbs 24" "8|-climbs 24" "16|-climbs 24" "8|-climbs 6 -age 900" "8|-climbs 32" \
    "8|-climbs 128" "8|-climbs 512" "8|-climbs 32 -age 3000" "8|-climbs 128 -age 300"; do
    lanes=${run%%|*} args=${run#*|}
    echo "--- GPU $args, $lanes lanes"
    PM_CUDA_LANES=$lanes PM_CUDA_PROFILE=1 $build/bench/bench_still -runs 3 -device cuda $args "${images[0]}" 2>&1 |
      grep -v '^image'
  done
fi

[ $failed -eq 0 ] && echo "gpu-check: all passed" || echo "gpu-check: FAILED (see above; log in $log)"
exit $failed
