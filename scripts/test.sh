#!/bin/bash
# Sets up, builds and runs every test: the meson suite (core, CLI, GStreamer element with the
# leaks tracer, frei0r plugin, FFmpeg and melt end to end) in a release build and in an
# AddressSanitizer/UBSan build, the core and element tests in a ThreadSanitizer build, libFuzzer
# runs of the shape and image-loader fuzzers, and the CLI and the frei0r plugin under valgrind.
# Ends with one line "N passed, N failed, N skipped" over all of them.
set -u
cd "$(dirname "$0")/.."
[ "${SKIP_DEPS:-0}" = 1 ] || sh scripts/install-deps.sh || exit 1
passed=0 failed=0 skipped=0

count_meson() { # build dir: adds meson's summary to the totals
  local log=$1/meson-logs/testlog.txt ok fail skip
  ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1)
  fail=$(awk '/^Fail:|^Timeout:|^Unexpected Pass:/ {s += $NF} END {print s + 0}' "$log")
  skip=$(awk '/^Skipped:/ {print $2}' "$log" | tail -1)
  passed=$((passed + ${ok:-0})) failed=$((failed + ${fail:-0})) skipped=$((skipped + ${skip:-0}))
}
step() { # name, command...: one pass or fail
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"; else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}

echo "=== release build"
{ [ -d build ] || meson setup build --buildtype=release; } && ninja -C build || { echo "build failed"; exit 1; }
meson test -C build --print-errorlogs
count_meson build

echo "=== AddressSanitizer + UBSan build"
{ [ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined -Dcuda=disabled --buildtype=debugoptimized; } &&
  ninja -C build-asan || { echo "sanitizer build failed"; exit 1; }
ASAN_OPTIONS=detect_leaks=1 meson test -C build-asan --print-errorlogs
count_meson build-asan

echo "=== ThreadSanitizer build (core and element tests: worker pool, properties from other threads, several elements)"
{ [ -d build-tsan ] || meson setup build-tsan -Db_sanitize=thread -Dcuda=disabled --buildtype=debugoptimized; } &&
  ninja -C build-tsan || { echo "ThreadSanitizer build failed"; exit 1; }
TSAN_OPTIONS=halt_on_error=1 meson test -C build-tsan --print-errorlogs --suite core --suite gst
count_meson build-tsan

echo "=== libFuzzer build"
if { [ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzzer=true -Db_lundef=false -Dcuda=disabled --buildtype=debugoptimized; } &&
  ninja -C build-fuzz tests/fuzz_shapes tests/fuzz_images tests/imgtool; then
  mkdir -p build-fuzz/corpus
  step "fuzz shapes for 30 s" ./build-fuzz/tests/fuzz_shapes -max_total_time=30 -print_final_stats=1 build-fuzz/corpus
  # the image loaders, from a few tiny valid PNG and JPEG files, within 512 MB
  seeds=build-fuzz/image-corpus && mkdir -p $seeds && ./build-fuzz/tests/imgtool gen $seeds/a.png 24 16 &&
    ./build-fuzz/tests/imgtool gen-alpha $seeds/b.png 20 12 && for m in baseline progressive gray cmyk ycck exif6; do
      ./build-fuzz/tests/imgtool jpeg $seeds/a.png $seeds/$m.jpg $m; done
  step "fuzz image loaders for 30 s" ./build-fuzz/tests/fuzz_images -max_total_time=30 -rss_limit_mb=512 \
    -malloc_limit_mb=256 -print_final_stats=1 $seeds
else
  failed=$((failed + 1)); echo "=== libFuzzer build: FAILED"
fi

tmp=$(mktemp -d)
step "valgrind: the CLI on one image" valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite -q \
  ./build/cli/primitive -i examples/data/monalisa.jpg -o "$tmp/v.png" -o "$tmp/v.svg" -o "$tmp/v.gif" -n 10 -j 2
rm -rf "$tmp"
step "valgrind: the frei0r plugin driven like a host" valgrind --error-exitcode=1 --leak-check=full \
  --errors-for-leak-kinds=definite -q ./build/tests/test_frei0r build/frei0r/primitive.so

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
