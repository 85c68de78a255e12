#!/usr/bin/python3
"""Real-time benchmark of the primitive element: frames per second, frames dropped, and the
quality reached, for playback that syncs to the clock and for files written as fast as they go.

    bench/realtime.py [--clips DIR] [--runs 3] [--only NAME,...] [--plugin-path DIR] [--busy]

Cases (each on a clip made once from python3-imageio's cockatoo.mp4, hand-held real footage,
re-timed to 30 fps, 126 frames, H.264 in MP4 through decodebin as a player would):
  synced-480      640x480, default properties, `fakesink sync=true qos=true` (a display)
  playbin-480     the same through `playbin video-filter=primitive`
  synced-720      1280x720, shapes=100, synced
  synced-1080     1920x1080, shapes=100, synced
  full-360 ... full-2160   full search (sync=false), shapes=100, 640x360 to 3840x2160
  two-elements    a tee to two primitives (shapes=100, 640x360, sync=false) against one
  live-budget-1   a live 320x240 30 fps test source, budget=1 and shapes=200, synced
Prints fps (frames through / wall time after the first frame), dropped (frames of the clip the
sink did not show: dropped late by the decoder's or the filter's QoS or by the sink, which
drops frames over 20 ms late as a display sink does), and the mean score (primitive's, from the frames'
GstPrimitiveShapesMeta, lower is better) so that what a time limit costs in quality shows.
Medians of --runs. --busy keeps one core busy with another process (a loop that never sleeps)
for the whole run, as another job on the machine would. Needs python3-gi, gir1.2-gstreamer-1.0,
gstreamer1.0-libav (H.264) and ffmpeg with libx264 to make the clips. Other work on the machine
changes the figures.
"""
import argparse
import glob
import os
import statistics
import subprocess
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

FRAMES = 126


def make_clip(dirname, w, h):
    path = os.path.join(dirname, "cockatoo-%dx%d.mp4" % (w, h))
    if os.path.exists(path):
        return path
    src = os.path.join(dirname, "cockatoo.mp4")
    if not os.path.exists(src):
        deb_dir = os.path.join(dirname, "deb")
        os.makedirs(deb_dir, exist_ok=True)
        subprocess.run(["apt-get", "download", "python3-imageio"], cwd=deb_dir, check=True, capture_output=True)
        subprocess.run(["dpkg", "-x", glob.glob(os.path.join(deb_dir, "*.deb"))[0], deb_dir], check=True)
        found = glob.glob(os.path.join(deb_dir, "**", "cockatoo.mp4"), recursive=True)
        os.rename(found[0], src)
    # 20 fps footage played at 30: the same pictures, the frame rate of the cases
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-r", "30", "-i", src, "-vf",
                    "scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d" % (w, h, w, h),
                    "-frames:v", str(FRAMES), "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p",
                    "-an", path], check=True)
    return path


def run(desc, sinks=("sink",), playbin_uri=None, filter_props=""):
    """Plays a pipeline to its end: (fps, dropped, mean score)."""
    if playbin_uri:
        pipe = Gst.ElementFactory.make("playbin")
        pipe.set_property("uri", playbin_uri)
        flt = Gst.parse_bin_from_description("primitive " + filter_props, True)
        pipe.set_property("video-filter", flt)
        sink = Gst.ElementFactory.make("fakesink", "sink")
        sink.set_property("sync", True)
        sink.set_property("qos", True)
        sink.set_property("max-lateness", 20 * Gst.MSECOND)
        pipe.set_property("video-sink", sink)
        pipe.set_property("audio-sink", Gst.ElementFactory.make("fakesink"))
        sink_elems = [sink]
    else:
        pipe = Gst.parse_launch(desc)
        sink_elems = [pipe.get_by_name(n) for n in sinks]
    scores, stamps = [], []

    def probe(pad, info):
        buf = info.get_buffer()
        meta = buf.get_custom_meta("GstPrimitiveShapesMeta")
        if meta is not None:
            scores.append(meta.get_structure().get_value("score"))
        stamps.append(time.monotonic())
        return Gst.PadProbeReturn.OK

    sink_elems[0].get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    pipe.set_state(Gst.State.PLAYING)
    bus = pipe.get_bus()
    msg = bus.timed_pop_filtered(600 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        err = msg.parse_error()[0].message if msg else "timed out"
        pipe.set_state(Gst.State.NULL)
        raise RuntimeError(err)
    # a frame is lost wherever it was dropped for being late: the decoder (QoS), the filter
    # (QoS) or the sink (lateness): count what the sinks showed
    dropped = 0
    for s in sink_elems:
        stats = s.get_property("stats")
        dropped += FRAMES - stats.get_value("rendered")
    pipe.set_state(Gst.State.NULL)
    fps = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return fps, dropped, statistics.mean(scores) if scores else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build",
                                                    "bench-clips"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=None)
    ap.add_argument("--plugin-path", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                          "build", "gst"))
    ap.add_argument("--props", default="", help="extra properties for every primitive")
    ap.add_argument("--busy", action="store_true", help="another process keeps one core busy meanwhile")
    a = ap.parse_args()
    if a.busy:
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            return measure(a)
        finally:
            hog.kill()
    return measure(a)


def measure(a):
    os.environ["GST_PLUGIN_PATH"] = os.path.abspath(a.plugin_path)
    Gst.init(None)
    os.makedirs(a.clips, exist_ok=True)
    clip = {size: make_clip(a.clips, *size) for size in [(640, 480), (640, 360), (1280, 720), (1920, 1080),
                                                         (3840, 2160)]}
    dec = 'filesrc location="%s" ! decodebin ! videoconvert ! '
    p = a.props
    cases = [
        ("synced-480", dec % clip[(640, 480)] + "primitive %s ! fakesink name=sink sync=true qos=true max-lateness=20000000" % p, {}),
        ("playbin-480", None, {"playbin_uri": Gst.filename_to_uri(clip[(640, 480)]), "filter_props": p}),
        ("synced-720", dec % clip[(1280, 720)] + "primitive shapes=100 %s ! fakesink name=sink sync=true qos=true max-lateness=20000000" % p,
         {}),
        ("synced-1080", dec % clip[(1920, 1080)] + "primitive shapes=100 %s ! fakesink name=sink sync=true qos=true max-lateness=20000000" % p,
         {}),
    ]
    for w, h in [(640, 360), (1280, 720), (1920, 1080), (3840, 2160)]:
        cases.append(("full-%d" % h, dec % clip[(w, h)] + "primitive shapes=100 %s ! fakesink name=sink sync=false" % p,
                      {}))
    cases.append(("one-element", dec % clip[(640, 360)] + "primitive shapes=100 %s ! fakesink name=sink sync=false" % p,
                  {}))
    cases.append(("two-elements", dec % clip[(640, 360)] + "tee name=t ! queue ! primitive shapes=100 seed=1 %s ! "
                  "fakesink name=sink sync=false t. ! queue ! primitive shapes=100 seed=2 %s ! fakesink name=sink2 "
                  "sync=false" % (p, p), {"sinks": ("sink", "sink2")}))
    cases.append(("live-budget-1", "videotestsrc is-live=true num-buffers=%d pattern=ball ! "
                  "video/x-raw,width=320,height=240,framerate=30/1 ! primitive budget=1 shapes=200 %s ! "
                  "fakesink name=sink sync=true qos=true max-lateness=20000000" % (FRAMES, p), {}))
    only = set(a.only.split(",")) if a.only else None
    print("%-13s %8s %8s %11s" % ("case", "fps", "dropped", "mean score"))
    for name, desc, kw in cases:
        if only and name not in only:
            continue
        results = [run(desc, **kw) for _ in range(a.runs)]
        fps = statistics.median(r[0] for r in results)
        dropped = statistics.median(r[1] for r in results)
        score = statistics.median(r[2] for r in results)
        print("%-13s %8.1f %8d %11.5f" % (name, fps, dropped, score), flush=True)


if __name__ == "__main__":
    sys.exit(main())
