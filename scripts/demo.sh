#!/bin/sh
# Sets up, builds, and turns the bundled sample picture into 100 triangles (PNG and SVG).
set -e
cd "$(dirname "$0")/.."
[ "${SKIP_DEPS:-0}" = 1 ] || sh scripts/install-deps.sh
[ -d build ] || meson setup build --buildtype=release
ninja -C build
./build/cli/primitive -i examples/data/monalisa.jpg -o monalisa-triangles.png -o monalisa-triangles.svg \
  -n 100 -m 1 -v "$@"
echo "wrote monalisa-triangles.png and monalisa-triangles.svg"
