#!/usr/bin/env python3
"""Reads the shapes that the primitive element attaches to every frame, from Python.

    examples/shapes-appsink.py [--frames N] [--input FILE] [PROPERTY=VALUE ...]

Needs python3-gi and gir1.2-gstreamer-1.0 (Debian), and the plugin on GST_PLUGIN_PATH
(this script adds build/gst). No C header: the shapes come from the GstCustomMeta named
"GstPrimitiveShapesMeta", whose fields gst/gstprimitivemeta.h and docs/gstreamer.md describe.
Without --input, a test pattern is used. Prints per frame:

    frame 0: 160x120, working size 160x120, score 0.0812, background #5a6b7c, 3 shapes
      1 triangle #c83c2f alpha 128: 12.0 7.5 80.2 15.0 40.1 90.3 0.0 0.0
"""
import os
import struct
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

KINDS = {1: "triangle", 2: "rectangle", 3: "ellipse", 4: "circle", 5: "rotated-rectangle",
         6: "bezier", 7: "rotated-ellipse", 8: "polygon"}
RECORD = struct.Struct("=i8f4B")  # int32 kind, float32 p[8], uint8 r g b a: 40 bytes


def shapes_of(buffer):
    """The custom meta's fields as a dict, with "shapes" as (kind, p, rgba) tuples."""
    meta = buffer.get_custom_meta("GstPrimitiveShapesMeta")
    if meta is None:
        return None
    st = meta.get_structure()
    info = {name: st.get_value(name) for name in
            ("working-width", "working-height", "background", "score", "n-shapes")}
    data = st.get_value("shapes").get_data() or b""
    info["shapes"] = [(r[0], r[1:9], r[9:13]) for r in RECORD.iter_unpack(data)]
    assert len(info["shapes"]) == info["n-shapes"]
    return info


def main(argv):
    frames, source, props = 5, None, []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--frames":
            frames = int(args.pop(0))
        elif a == "--input":
            source = args.pop(0)
        else:
            props.append(a)
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "build", "gst")
    os.environ["GST_PLUGIN_PATH"] = os.pathsep.join(p for p in (build, os.environ.get("GST_PLUGIN_PATH")) if p)
    Gst.init(None)
    if source:
        src = 'filesrc location="%s" ! decodebin ! videoconvert' % source.replace('"', '\\"')
    else:
        src = "videotestsrc num-buffers=%d ! video/x-raw,width=160,height=120" % frames
    quoted = " ".join('%s="%s"' % tuple(p.split("=", 1)) if "=" in p else p for p in props)
    pipeline = Gst.parse_launch("%s ! primitive %s ! appsink name=sink sync=false" % (src, quoted))
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    n = 0
    while n < frames:
        sample = sink.emit("pull-sample")
        if sample is None:  # end of stream or an error
            break
        s = sample.get_caps().get_structure(0)
        info = shapes_of(sample.get_buffer())
        if info is None:
            print("frame %d: no GstPrimitiveShapesMeta" % n)
            return 1
        print("frame %d: %dx%d, working size %dx%d, score %.4f, background %s, %d shapes" % (
            n, s.get_value("width"), s.get_value("height"), info["working-width"], info["working-height"],
            info["score"], info["background"], info["n-shapes"]))
        for i, (kind, p, rgba) in enumerate(info["shapes"]):
            print("  %d %s #%02x%02x%02x alpha %d: %s" % (i + 1, KINDS.get(kind, kind), rgba[0], rgba[1], rgba[2],
                                                       rgba[3], " ".join("%.1f" % v for v in p)))
        n += 1
    bus = pipeline.get_bus()
    msg = bus.pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg:
        err, dbg = msg.parse_error()
        print("error: %s (%s)" % (err.message, dbg), file=sys.stderr)
        return 1
    return 0 if n > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
