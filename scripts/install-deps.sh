#!/bin/sh
# Installs what gst-primitive needs to build and test on Debian 12 (root or sudo).
set -e
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential meson ninja-build pkg-config \
  libpng-dev libjpeg-dev libgif-dev locales \
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev \
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  frei0r-plugins-dev ffmpeg melt \
  clang libclang-rt-14-dev valgrind libxml2-utils librsvg2-bin \
  python3-gi gir1.2-gstreamer-1.0 python3 slurmctld slurmd slurm-client munge \
  >/dev/null
# Not needed by the project: a desktop's worth of other plugins, so that CI checks the tests load
# only what they need (tests/meson.build) and pass on a machine that has many plugins installed.
$SUDO apt-get install -y -qq --no-install-recommends \
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav frei0r-plugins \
  >/dev/null
