#!/bin/sh
# A picture or clip to MP4 through MLT's melt and this project's frei0r plugin.
#   examples/melt.sh [INPUT] [OUTPUT.mp4] [FRAMES]
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
export FREI0R_PATH="$here/build/frei0r${FREI0R_PATH:+:$FREI0R_PATH}"
in=${1:-$here/examples/data/monalisa.jpg}
out=${2:-primitive-melt.mp4}
frames=${3:-150}
melt -silent "$in" out=$((frames - 1)) -filter frei0r.primitive shapes=0.05 shape=0.1 \
  -consumer avformat:"$out" vcodec=libx264 an=1
echo "wrote $out"
