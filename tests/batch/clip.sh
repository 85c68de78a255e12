#!/bin/sh
# Makes a test clip from the bundled sample picture, with a scene cut in the middle: a zoom into
# the picture, then a pan across its mirrored negative; a 440 Hz sine as audio (H.264, AAC, MP4).
#   clip.sh OUT.mp4 WIDTH HEIGHT SECONDS FPS
set -e
out=$1 w=$2 h=$3 secs=$4 fps=$5
pic=$(dirname "$0")/../../examples/data/monalisa.jpg
half=$(awk "BEGIN { print $secs / 2 }")
big=$((w * 2))
ffmpeg -nostdin -v error -y -loop 1 -framerate "$fps" -t "$secs" -i "$pic" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$secs" \
  -filter_complex "[0]scale=$big:$big,setsar=1,split[p][q];[p]trim=duration=$half,zoompan=z='1+0.002*on':x='iw/2-iw/zoom/2':y='ih/3-ih/zoom/2':d=1:s=${w}x$h:fps=$fps[a];[q]trim=start=$half,setpts=PTS-STARTPTS,hflip,negate,crop=$w:$h:x='t*$w/20':y='($big-$h)/2'[b];[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]" \
  -map "[v]" -map 1:a -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 64k -shortest "$out"
