#!/usr/bin/env python3
"""primitive-batch: a long video, or a folder or list of images, through the `primitive` element,
spread over a Slurm job array or over local parallel processes.

  primitive-batch INPUT -o OUTPUT [PROPERTY=VALUE ...] [options]

INPUT is a video file, a folder of images, or @LIST (a text file naming one image per line).
PROPERTY=VALUE are the element's properties (shapes=200 shape=ellipse seed=7 ...), as in
gst-launch-1.0. A video becomes one video file; images become one PNG each in the folder OUTPUT.

A video is cut into segments where the element searches from nothing anyway (scene changes,
keyframe-interval), and otherwise every --segment-seconds with a cross-fade of --fade frames: the
segment after such a cut starts that many frames early and the two renderings are blended over them,
so no join shows a jump. Each segment runs the same pipeline as a single-machine run (FFmpeg decodes,
gst-launch-1.0 runs the element, FFmpeg encodes); the pieces are joined without re-encoding, the
audio is copied from the input, and the frame count and duration are checked against it.

The state folder (OUTPUT.batch unless --state) records finished segments, so running the same
command again after a failure does only the missing ones. See docs/batch.md.
"""
import argparse
import fractions
import glob
import hashlib
import json
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

PROG = "primitive-batch"
# Filled in by meson: the installed library folder relative to the prefix (for the plugin path).
LIBDIR = "@LIBDIR@"

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", ".pnm"}
VIDEO_PIECE = "nut"  # intermediate container: exact time bases, any codec FFmpeg has


class Fail(Exception):
    """An error for the user: printed as one line, exit status 2 (1 after work was done)."""

    def __init__(self, msg, status=2):
        super().__init__(msg)
        self.status = status


def log(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def run(cmd, what, **kw):
    """Runs a command to completion; a failure raises Fail with its last error lines."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    except FileNotFoundError:
        raise Fail(f"{what}: {cmd[0]} is not installed")
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise Fail(f"{what} failed (exit {p.returncode}): " + " | ".join(err))
    return p.stdout


def write_atomic(path, data):
    """Write-then-rename: readers (and a re-run after a crash) see the old file or the whole new one."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w" if isinstance(data, str) else "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def fmt_time(s):
    if s is None or s != s or s == float("inf"):
        return "unknown"
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


# ----------------------------------------------------------------------------------------------
# Element settings


def parse_bool(v):
    t = v.strip().lower()
    if t in ("true", "yes", "1", "t", "y", "on"):
        return True
    if t in ("false", "no", "0", "f", "n", "off"):
        return False
    raise Fail(f"warm-start={v}: not a boolean")


def parse_settings(items):
    """PROPERTY=VALUE list -> ordered dict with canonical names (GObject accepts '_' for '-')."""
    props = {}
    for it in items:
        if "=" not in it:
            raise Fail(f"'{it}': expected PROPERTY=VALUE (an element property, e.g. shapes=100)")
        k, v = it.split("=", 1)
        k = k.strip().replace("_", "-")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", k):
            raise Fail(f"'{it}': '{k}' is not a property name")
        if k == "svg-location":
            raise Fail("svg-location is not supported by primitive-batch (each segment would number its "
                       "frames from 0); run the element directly for SVG output")
        if k == "qos":
            raise Fail("qos is fixed off in primitive-batch: dropping late frames would lose frames")
        props[k] = v
    if "threads" not in props:
        props["threads"] = "1"
    try:
        threads = int(props["threads"])
        working = int(props.get("working-size", "256"))
        scene = float(props.get("scene-threshold", "0.15"))  # the element's default (core/primitive.h)
        key = int(props.get("keyframe-interval", "0"))
        budget = float(props.get("budget", "0"))
    except ValueError as e:
        raise Fail(f"bad property value: {e}")
    if threads < 0:
        raise Fail("threads must be 0 (all cores of the machine) or more")
    warm = parse_bool(props.get("warm-start", "true"))
    return props, {"threads": threads, "working_size": working, "scene_threshold": scene,
                   "keyframe_interval": key, "warm_start": warm, "budget": budget}


def plugin_env():
    """GST_PLUGIN_PATH with this build's or this installation's plugin folder first."""
    env = dict(os.environ)
    here = os.path.dirname(os.path.realpath(__file__))
    cands = [os.path.join(here, "..", "gst")]  # the build tree: build/batch -> build/gst
    if not LIBDIR.startswith("@"):
        cands.append(os.path.join(here, "..", LIBDIR, "gstreamer-1.0"))
    extra = [os.path.normpath(c) for c in cands if os.path.isfile(os.path.join(c, "libgstprimitive.so"))]
    old = env.get("GST_PLUGIN_PATH", "")
    env["GST_PLUGIN_PATH"] = ":".join(extra[:1] + ([old] if old else []))
    return env


def check_element(props, env, on_nodes=False):
    """Runs the element once on a tiny frame with the user's properties: a bad name or value, or
    a device that is missing, is reported now rather than by every task. With on_nodes (Slurm),
    device=cuda is left to the nodes: a login node seldom has the GPU the nodes have."""
    quick = dict(props)
    if on_nodes and quick.get("device", "").strip().lower() == "cuda":
        quick["device"] = "cpu"
        log("device=cuda: the GPU is checked by each task on its node (a task without one fails and says so)")
    if re.fullmatch(r"\d+", props.get("threads", "")):
        quick["threads"] = "1"
    cmd = ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1", "!", "video/x-raw,width=16,height=16",
           "!", "primitive"] + [f"{k}={v}" for k, v in quick.items()] + ["!", "fakesink"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
    except FileNotFoundError:
        raise Fail("gst-launch-1.0 is not installed (Debian: gstreamer1.0-tools)")
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0 or "WARNING: erroneous pipeline" in out or "no property" in out:
        lines = [l for l in out.splitlines() if l.strip()]
        raise Fail("the primitive element refuses these settings: " + " | ".join(lines[-3:]))


# ----------------------------------------------------------------------------------------------
# Probing and planning


def probe(path):
    out = run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path], f"ffprobe {path}")
    return json.loads(out)


def frac(s, default=None):
    try:
        f = fractions.Fraction(s)
        return f if f > 0 else default
    except (ValueError, ZeroDivisionError, TypeError):
        return default


def working_size(w, h, size):
    """The element's working image size (core/frame.c pm_working_size)."""
    if max(w, h) <= size:
        return w, h
    ww = size if w >= h else w * size // h
    wh = size if h >= w else h * size // w
    return max(1, ww), max(1, wh)


def scan_video(path, vs, settings):
    """Decodes the video once at the element's working size: every frame's pts, and the mean
    absolute change between consecutive working images (the element's scene measure, 0..255)."""
    w, h = int(vs["width"]), int(vs["height"])
    ww, wh = working_size(w, h, settings["working_size"])
    # FFmpeg subtracts consecutive working images and averages the difference over 4x4 blocks
    # (a sixteenth of the data for Python to sum; the rounding moves the mean by far less than 1)
    bw, bh = max(1, ww // 4), max(1, wh // 4)
    fsize = bw * bh * 3
    vf = (f"scale={ww}:{wh}:flags=bilinear,showinfo=checksum=0,format=gbrp,"
          f"tblend=all_mode=difference,scale={bw}:{bh}:flags=area")
    cmd = ["ffmpeg", "-nostdin", "-nostats", "-hide_banner", "-v", "info", "-copyts", "-i", path,
           "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", vf, "-fps_mode", "passthrough",
           "-f", "rawvideo", "-pix_fmt", "gbrp", "pipe:1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pts, errlines = [], []
    pat = re.compile(rb"\[Parsed_showinfo_\d+ @ [^\]]+\] n:\s*(\d+) pts:\s*(-?\d+|NOPTS)")

    def read_err():
        for line in p.stderr:
            m = pat.search(line)
            if m:
                if m.group(2) == b"NOPTS":
                    pts.append(None)
                else:
                    pts.append(int(m.group(2)))
            else:
                errlines.append(line.decode(errors="replace").strip())

    t = threading.Thread(target=read_err, daemon=True)
    t.start()
    change = []
    last = time.monotonic()
    while True:
        buf = p.stdout.read(fsize)
        if not buf:
            break
        if len(buf) < fsize:
            break
        change.append(sum(buf) / fsize)  # tblend: |frame i+1 - frame i|, one image fewer than frames
        if time.monotonic() - last > 10:
            log(f"planning: {len(change)} frames scanned")
            last = time.monotonic()
    p.wait()
    t.join()
    if p.returncode != 0:
        raise Fail("decoding the input failed: " + " | ".join([l for l in errlines if l][-3:]))
    if not pts:
        raise Fail(f"{path}: no video frames could be decoded")
    if None in pts:
        raise Fail(f"{path}: frames without timestamps; remux it first (ffmpeg -i IN -c copy OUT.mkv)")
    if len(change) != len(pts) - 1:
        raise Fail(f"{path}: the scan saw {len(pts)} frames but {len(change)} changes; the file may be damaged")
    if any(b <= a for a, b in zip(pts, pts[1:])):
        raise Fail(f"{path}: frame timestamps are not increasing; remux it first (ffmpeg -i IN -c copy OUT.mkv)")
    return pts, [255.0] + change  # the first frame is always a fresh search


def plan_segments(n, change, fps, opts, settings):
    """Segments [start, end) of the n frames, each starting at one of three kinds of cut:
    exact  the element searches from nothing there in a single run too (a scene change over its
           scene-threshold, a keyframe, warm-start off), so the frames are the single run's;
    scene  the picture changes by more than --cut-change of full scale: a fresh search there is
           hidden by the change itself;
    fade   anywhere else: the segment starts --fade (+ --pre-roll) frames early and the join blends
           the two renderings over those frames.
    Cuts fall every --segment-seconds, moved to an exact or scene cut within half a segment."""
    kind = [None] * n
    thr = settings["scene_threshold"] * 255.0
    key = settings["keyframe_interval"]
    since = 0
    for i in range(n):
        if i == 0 or not settings["warm_start"] or (thr > 0 and change[i] > thr) or (key and since >= key):
            kind[i] = "exact"
            since = 0
        elif change[i] >= opts.cut_change * 255.0:
            kind[i] = "scene"
        since += 1
    fade = opts.fade
    # a segment before a faded cut needs room for its tail; segments stay at least half as long
    seg_len = max(int(round(opts.segment_seconds * fps)), 2 * fade + 2, 1)
    min_len = max(fade + 1, seg_len // 2, 1)
    cuts = [0]
    start = 0
    while n - start > seg_len + seg_len // 2:
        target = start + seg_len
        lo, hi = start + min_len, min(n - min_len, start + seg_len + seg_len // 2)
        best = None
        for want in ("exact", "scene"):
            for i in range(lo, hi + 1):
                if kind[i] == want and (best is None or abs(i - target) < abs(best - target)):
                    best = i
            if best is not None:
                break
        cuts.append(target if best is None else best)
        start = cuts[-1]
    segs = []
    for k, s in enumerate(cuts):
        e = cuts[k + 1] if k + 1 < len(cuts) else n
        segs.append({"index": k, "start": s, "end": e, "cut": "start" if s == 0 else (kind[s] or "fade")})
    for k, sg in enumerate(segs):
        faded = sg["cut"] == "fade"
        sg["head"] = fade if faded else 0
        nxt = segs[k + 1] if k + 1 < len(segs) else None
        sg["tail"] = fade if nxt is not None and nxt["cut"] == "fade" else 0
        # the head always fits (segments are longer than the fade); the pre-roll stops at frame 0
        sg["first"] = max(0, sg["start"] - sg["head"] - (opts.pre_roll if faded else 0))
        sg["pre"] = sg["start"] - sg["head"] - sg["first"]
    return segs


def list_images(inp):
    if inp.startswith("@"):
        lst = inp[1:]
        try:
            with open(lst) as f:
                names = [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]
        except OSError as e:
            raise Fail(f"cannot read the list {lst}: {e.strerror}")
        base = os.path.dirname(os.path.abspath(lst))
        files = [n if os.path.isabs(n) else os.path.join(base, n) for n in names]
        for f in files:
            if not os.path.isfile(f):
                raise Fail(f"{lst}: {f} does not exist")
    else:
        files = sorted(os.path.join(inp, f) for f in os.listdir(inp)
                       if os.path.splitext(f)[1].lower() in IMAGE_EXTS and os.path.isfile(os.path.join(inp, f)))
    if not files:
        raise Fail(f"{inp}: no images (looked for {', '.join(sorted(IMAGE_EXTS))})")
    files = [os.path.abspath(f) for f in files]
    outs = {}
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0] + ".png"
        if name in outs:
            raise Fail(f"{outs[name]} and {f} would both be written as {name}; rename one or use separate runs")
        outs[name] = f
    return files, list(outs.keys())


# ----------------------------------------------------------------------------------------------
# The plan and the state folder


def codec_args(plan, final=True):
    """FFmpeg encoder arguments for a body piece (final) or a head/tail piece (lossless FFV1)."""
    pix = plan["raw_pix_fmt"]
    ffv1_pix = "yuv420p" if pix == "yuv420p" else "bgr0"
    if not final or plan["codec"] == "ffv1":
        return ["-c:v", "ffv1", "-level", "3", "-g", "1", "-pix_fmt", ffv1_pix]
    args = ["-c:v", "libx264", "-preset", plan["preset"], "-pix_fmt", "yuv420p",
            "-threads", str(max(1, plan["threads"]))]
    args += ["-qp", "0"] if plan["crf"] == 0 else ["-crf", str(plan["crf"])]
    return args


def make_plan(args, inp, out, props, settings):
    plan = {"version": 1, "input": inp, "output": out, "props": props, "threads": settings["threads"]}
    plan["fingerprint_input"] = input_stamp(inp)
    if args.mode == "images":
        files, names = list_images(inp)
        per = args.images_per_task
        plan.update(mode="images", files=files, names=names, frames=len(files))
        plan["segments"] = [{"index": k, "start": s, "end": min(len(files), s + per), "cut": "exact",
                             "head": 0, "pre": 0, "tail": 0, "first": s}
                            for k, s in enumerate(range(0, len(files), per))]
        return plan
    info = probe(inp)
    vstreams = [s for s in info["streams"] if s.get("codec_type") == "video"
                and not s.get("disposition", {}).get("attached_pic")]
    if not vstreams:
        raise Fail(f"{inp}: no video stream")
    vs = vstreams[0]
    w, h = int(vs["width"]), int(vs["height"])
    fps = frac(vs.get("avg_frame_rate")) or frac(vs.get("r_frame_rate"))
    if not fps:
        raise Fail(f"{inp}: unknown frame rate")
    if fps.denominator > 1001:  # a measured average of a variable-rate file: use the nominal rate
        fps = frac(vs.get("r_frame_rate")) or fps.limit_denominator(1001)
    ext = os.path.splitext(out)[1].lower()
    codec = args.codec or ("ffv1" if ext in (".mkv", ".nut", ".avi") else "x264")
    if codec == "ffv1" and ext not in (".mkv", ".nut", ".avi"):
        raise Fail(f"FFV1 cannot go into {ext or 'a file without extension'}: use .mkv, or --codec x264")
    if codec == "x264" and (w % 2 or h % 2):
        raise Fail(f"x264 needs an even width and height, the input is {w}x{h}: use .mkv (FFV1)")
    if ext not in (".mkv", ".nut", ".avi", ".mp4", ".mov", ".m4v"):
        raise Fail(f"{out}: the output must be .mkv, .mp4, .mov, .m4v, .nut or .avi")
    # Raw frames between the programs: I420 when FFmpeg's and GStreamer's layouts agree (no
    # row padding), else RGBx, which never has padding.
    raw = "yuv420p" if vs.get("pix_fmt") == "yuv420p" and w % 8 == 0 and h % 2 == 0 else "rgb0"
    log(f"planning: scanning {inp} ({w}x{h}, {float(fps):.3f} frames/s)")
    pts, change = scan_video(inp, vs, settings)
    n = len(pts)
    segs = plan_segments(n, change, float(fps), args, settings)
    tb = frac(vs.get("time_base"), fractions.Fraction(1, 1000))
    for sg in segs:
        sg["pts_first"], sg["pts_last"] = pts[sg["first"]], pts[sg["end"] - 1]
        # seek a little before the first frame (FFmpeg goes back to a keyframe from there)
        sg["seek"] = max(0.0, float((pts[sg["first"]] - pts[0]) * tb) - 2.0)
        sg["change"] = round(change[sg["start"]], 2)
    # Frames are written at the nominal rate: a file whose frame times wander from it (variable
    # frame rate) keeps its frames, not its timing.
    step = 1 / (fps * tb)
    vfr = any(abs((b - a) - step) > step / 2 for a, b in zip(pts, pts[1:]))
    if vfr:
        log(f"warning: the frame rate varies; the output has the same frames at a constant {float(fps):.3f} frames/s")
    sar = vs.get("sample_aspect_ratio", "1:1")
    plan.update(vfr=vfr, mode="video", width=w, height=h, fps=str(fps), frames=n, raw_pix_fmt=raw, codec=codec,
                crf=args.crf if args.crf is not None else 18,
                preset=args.preset, sar=sar if re.fullmatch(r"\d+:\d+", sar or "") and sar != "0:1" else "1:1",
                fade=args.fade, segments=segs,
                duration=float((pts[-1] - pts[0]) * tb + 1 / fps),
                audio=[{"index": s["index"], "codec": s.get("codec_name")} for s in info["streams"]
                       if s.get("codec_type") == "audio"])
    return plan


def input_stamp(inp):
    """Name, size and modification time of the input (the list file for @LIST): a re-run with a
    changed input starts over instead of mixing old and new segments."""
    st = os.stat(inp[1:] if inp.startswith("@") else inp)
    return [inp, st.st_size, st.st_mtime_ns]


def fingerprint(args, inp, props):
    key = {"input": inp, "props": props, "mode": args.mode, "segment_seconds": args.segment_seconds,
           "fade": args.fade, "pre_roll": args.pre_roll, "cut_change": args.cut_change, "codec": args.codec,
           "crf": args.crf, "preset": args.preset, "images_per_task": args.images_per_task}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def seg_dir(state, k):
    return os.path.join(state, "segments", f"{k:05d}")


def is_done(state, k):
    return os.path.isfile(os.path.join(seg_dir(state, k), "done.json"))


# ----------------------------------------------------------------------------------------------
# A worker: one segment


class Progress:
    """Frames finished by this worker, in state/progress/K (write-then-rename, twice a second)."""

    def __init__(self, state, k, total):
        self.path = os.path.join(state, "progress", f"{k:05d}")
        self.total = total
        self.t = 0.0

    def update(self, frames, force=False):
        now = time.monotonic()
        if force or now - self.t >= 0.5:
            self.t = now
            write_atomic(self.path, json.dumps({"frames": frames, "of": self.total, "time": time.time()}))


def children_cpu():
    """CPU seconds of the programs this worker ran (decoder, gst-launch-1.0, encoders): the
    segment's cost whatever else the machine was doing."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def spawn(cmd, **kw):
    try:
        return subprocess.Popen(cmd, **kw)
    except FileNotFoundError:
        raise Fail(f"{cmd[0]} is not installed")


def encoder(plan, path, final):
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", plan["raw_pix_fmt"],
           "-video_size", f"{plan['width']}x{plan['height']}", "-framerate", plan["fps"], "-i", "pipe:0",
           "-vf", f"setsar={plan['sar'].replace(':', '/')}"] + codec_args(plan, final) + ["-f", VIDEO_PIECE, path]
    return spawn(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)


def run_video_segment(plan, state, sg, env):
    k = sg["index"]
    d = seg_dir(state, k)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):  # a requeued or re-run task starts clean
        os.remove(os.path.join(d, f))
    w, h = plan["width"], plan["height"]
    raw = plan["raw_pix_fmt"]
    fsize = w * h * 3 // 2 if raw == "yuv420p" else w * h * 4
    want = sg["end"] - sg["first"]
    fps = fractions.Fraction(plan["fps"])
    threads = plan["threads"] or (os.cpu_count() or 1)
    if os.environ.get("SLURM_CPUS_PER_TASK") and plan["threads"] == 0:
        threads = int(os.environ["SLURM_CPUS_PER_TASK"])
    props = dict(plan["props"], threads=str(threads))
    sel = f"select='between(pts\\,{sg['pts_first']}\\,{sg['pts_last']})'"
    parts = []  # (name, frames, final?)
    if sg["head"]:
        parts.append(("head", sg["head"], False))
    body = sg["end"] - sg["start"] - sg["tail"]
    parts.append(("body", body, True))
    if sg["tail"]:
        parts.append(("tail", sg["tail"], False))
    prog = Progress(state, k, want)
    t0 = time.monotonic()
    for attempt in (0, 1):
        seek = ["-ss", f"{sg['seek']:.6f}"] if attempt == 0 and sg["seek"] > 0 else []
        dec = spawn(["ffmpeg", "-nostdin", "-v", "error", "-threads", str(max(1, threads))] + seek +
                    ["-copyts", "-i", plan["input"], "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", sel,
                     "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", raw, "pipe:1"],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        gst = spawn(["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!", "rawvideoparse", f"width={w}", f"height={h}",
                     f"format={'i420' if raw == 'yuv420p' else 'rgbx'}",
                     f"framerate={fps.numerator}/{fps.denominator}", "!",
                     "primitive", "qos=false"] + [f"{a}={b}" for a, b in props.items()] + ["!", "fdsink", "fd=1"],
                    stdin=dec.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        dec.stdout.close()
        errs = {}

        def drain(name, stream):
            errs[name] = stream.read().decode(errors="replace")

        ts = [threading.Thread(target=drain, args=("decode", dec.stderr), daemon=True),
              threading.Thread(target=drain, args=("element", gst.stderr), daemon=True)]
        for t in ts:
            t.start()
        got = 0
        skip = sg["pre"]
        encs = []
        broken = None
        try:
            for name, count, final in parts:
                path = os.path.join(d, f"{name}.{VIDEO_PIECE}.part")
                enc = encoder(plan, path, final)
                encs.append((name, enc, path))
                et = threading.Thread(target=drain, args=(name, enc.stderr), daemon=True)
                et.start()
                ts.append(et)
                written = 0
                while written < count:
                    buf = gst.stdout.read(fsize)
                    if len(buf) < fsize:
                        break
                    got += 1
                    if skip:
                        skip -= 1
                        continue
                    enc.stdin.write(buf)
                    written += 1
                    prog.update(got)
                enc.stdin.close()
                if written < count:
                    break
            extra = gst.stdout.read(fsize)
            if extra:
                got += 1 + len(gst.stdout.read()) // fsize
        except BrokenPipeError as e:
            broken = e
        gst.stdout.close()
        rc = {"decode": dec.wait(), "element": gst.wait()}
        for name, enc, _ in encs:
            if enc.stdin and not enc.stdin.closed:
                try:
                    enc.stdin.close()
                except BrokenPipeError:
                    pass
            rc[name] = enc.wait()
        for t in ts:
            t.join()
        bad = [f"{n} (exit {c}): {errs.get(n, '').strip()[-300:]}" for n, c in rc.items() if c != 0]
        if bad or broken:
            raise Fail(f"segment {k}: " + "; ".join(bad or [str(broken)]))
        if got == want:
            break
        if attempt == 0 and seek:
            log(f"segment {k}: seeking gave {got} frames instead of {want}; decoding from the start")
            continue
        raise Fail(f"segment {k}: {got} frames decoded, {want} expected (frames {sg['first']}..{sg['end'] - 1})")
    for name, _, path in encs:
        os.replace(path, path[:-5])
    secs = time.monotonic() - t0
    prog.update(want, force=True)
    write_atomic(os.path.join(d, "done.json"),
                 json.dumps({"frames": want, "kept": sg["end"] - sg["start"], "seconds": round(secs, 3),
                             "cpu_seconds": round(children_cpu(), 3), "host": os.uname().nodename,
                             "time": time.time()}))
    return secs


def run_image_segment(plan, state, sg, env):
    k = sg["index"]
    d = seg_dir(state, k)
    os.makedirs(d, exist_ok=True)
    outdir = plan["output"]
    prog = Progress(state, k, sg["end"] - sg["start"])
    t0 = time.monotonic()
    props = dict(plan["props"])
    if plan["threads"] == 0 and os.environ.get("SLURM_CPUS_PER_TASK"):
        props["threads"] = os.environ["SLURM_CPUS_PER_TASK"]
    for i in range(sg["start"], sg["end"]):
        src, name = plan["files"][i], plan["names"][i]
        dst = os.path.join(outdir, name)
        if os.path.isfile(dst) and os.path.isfile(os.path.join(d, f"{i}.ok")):
            prog.update(i - sg["start"] + 1)
            continue  # finished by an earlier attempt (written then renamed)
        tmp = os.path.join(outdir, f".{name}.part{os.getpid()}")
        cmd = ["gst-launch-1.0", "-q", "filesrc", f"location={src}", "!", "decodebin", "!", "videoconvert", "!",
               "primitive", "qos=false"] + [f"{a}={b}" for a, b in props.items()] + \
              ["!", "videoconvert", "!", "pngenc", "!", "filesink", f"location={tmp}"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        out = p.stdout.decode(errors="replace")
        if p.returncode != 0 or not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            if os.path.exists(tmp):
                os.remove(tmp)
            lines = [l for l in out.splitlines() if l.strip()]
            raise Fail(f"{src}: " + (" | ".join(lines[-3:]) or f"gst-launch-1.0 exit {p.returncode}"))
        os.replace(tmp, dst)
        write_atomic(os.path.join(d, f"{i}.ok"), "")
        prog.update(i - sg["start"] + 1)
    secs = time.monotonic() - t0
    prog.update(sg["end"] - sg["start"], force=True)
    write_atomic(os.path.join(d, "done.json"),
                 json.dumps({"frames": sg["end"] - sg["start"], "kept": sg["end"] - sg["start"],
                             "seconds": round(secs, 3), "cpu_seconds": round(children_cpu(), 3),
                             "host": os.uname().nodename, "time": time.time()}))
    return secs


def worker_main(state, todo_file, index):
    """One task: `--worker STATE TODO [INDEX]`; under Slurm INDEX is SLURM_ARRAY_TASK_ID."""
    plan = read_json(os.path.join(state, "plan.json"))
    todo = read_json(todo_file)
    if plan is None or todo is None:
        raise Fail(f"{state}: no plan or task list (was the state folder removed?)")
    if index is None:
        if "SLURM_ARRAY_TASK_ID" not in os.environ:
            raise Fail("--worker needs a task index or SLURM_ARRAY_TASK_ID")
        index = int(os.environ["SLURM_ARRAY_TASK_ID"])
    k = todo[index]
    sg = plan["segments"][k]
    if is_done(state, k):
        return 0
    os.makedirs(os.path.join(state, "running"), exist_ok=True)
    pidfile = os.path.join(state, "running", f"{k:05d}")
    job = os.environ.get("SLURM_ARRAY_JOB_ID")
    if job:
        job += "_" + os.environ.get("SLURM_ARRAY_TASK_ID", "")
    write_atomic(pidfile, json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "job": job}))
    env = plugin_env()
    try:
        if plan["mode"] == "video":
            secs = run_video_segment(plan, state, sg, env)
        else:
            secs = run_image_segment(plan, state, sg, env)
    finally:
        try:
            os.remove(pidfile)
        except OSError:
            pass
    log(f"segment {k} done: frames {sg['start']}..{sg['end'] - 1} in {secs:.1f} s on {os.uname().nodename}")
    return 0


# ----------------------------------------------------------------------------------------------
# Running the missing segments: locally or on Slurm


class Reporter:
    """Progress lines: segments done, frames per second across the workers, time left."""

    def __init__(self, state, plan, every):
        self.state, self.plan, self.every = state, plan, every
        self.total = sum(s["end"] - s["first"] for s in plan["segments"])
        self.t0 = time.monotonic()
        self.start_frames = None
        self.last = 0.0
        self.last_line = None

    def frames(self):
        n, done = 0, 0
        for sg in self.plan["segments"]:
            k = sg["index"]
            if is_done(self.state, k):
                n += sg["end"] - sg["first"]
                done += 1
            else:
                p = read_json(os.path.join(self.state, "progress", f"{k:05d}"))
                if p:
                    n += min(p["frames"], sg["end"] - sg["first"])
        return n, done

    def tick(self, force=False, note=""):
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        n, done = self.frames()
        if self.start_frames is None:
            self.start_frames = n
        el = now - self.t0
        rate = (n - self.start_frames) / el if el > 0 else 0.0
        left = (self.total - n) / rate if rate > 0 else None
        unit = "images" if self.plan["mode"] == "images" else "frames"
        line = (f"{done}/{len(self.plan['segments'])} segments done, {n}/{self.total} {unit}, "
                f"{rate:.1f} {unit}/s, about {fmt_time(left)} left" + (f" ({note})" if note else ""))
        if force or line != self.last_line:
            log(line)
            self.last_line = line


def local_run(state, plan, todo_file, todo, jobs, reporter):
    me = [sys.executable, os.path.realpath(__file__)]
    logdir = os.path.join(state, "logs")
    pending = list(range(len(todo)))
    running = {}
    failed = []

    def stop_all(*_):
        for p, _ in running.values():
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        raise Fail("interrupted: the finished segments are kept; run the same command again to continue", 130)

    old = {s: signal.signal(s, stop_all) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                i = pending.pop(0)
                k = todo[i]
                lf = open(os.path.join(logdir, f"{k:05d}.log"), "ab")
                p = subprocess.Popen(me + ["--worker", state, todo_file, str(i)], stdout=lf, stderr=lf,
                                     start_new_session=True)
                lf.close()
                running[i] = (p, k)
            for i, (p, k) in list(running.items()):
                if p.poll() is not None:
                    del running[i]
                    if not is_done(state, k):  # done.json is the commit point, whatever the exit
                        failed.append(k)
            reporter.tick()
            time.sleep(0.2)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return failed


def slurm_available():
    if not shutil.which("sbatch") or not shutil.which("squeue"):
        return False
    conf = os.environ.get("SLURM_CONF")
    if conf and not os.path.isfile(conf):
        return False
    # Without a slurm.conf the client looks for a configless controller in DNS, which can take a
    # while to fail where there is none: give it a few seconds.
    configless = not conf and not any(os.path.isfile(f) for f in ("/etc/slurm/slurm.conf", "/run/slurm/conf/slurm.conf"))
    try:
        p = subprocess.run(["scontrol", "ping"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=5 if configless else 30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0 and b"UP" in p.stdout


def slurm_queue(jobid):
    """Array tasks of the job still queued or running, or None when squeue cannot answer."""
    try:
        p = subprocess.run(["squeue", "-h", "-r", "-j", str(jobid), "-o", "%i %T"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        if b"Invalid job id" in p.stderr:
            return []
        return None
    return [l.split() for l in p.stdout.decode().splitlines() if l.strip()]


def slurm_max_array():
    try:
        out = subprocess.run(["scontrol", "show", "config"], stdout=subprocess.PIPE, timeout=60).stdout.decode()
        m = re.search(r"^MaxArraySize\s*=\s*(\d+)", out, re.M)
        return int(m.group(1)) if m else 1001
    except (OSError, subprocess.TimeoutExpired):
        return 1001


def slurm_wait(jobs, reporter):
    misses = 0
    while True:
        live, states = 0, {}
        for j in jobs:
            q = slurm_queue(j)
            if q is None:
                misses += 1
                if misses > 60:
                    raise Fail(f"squeue has not answered for several minutes; job {j} may still run: "
                               "run the same command again later to wait for it and join")
                live += 1
                continue
            misses = 0
            live += len(q)
            for row in q:
                st = row[1].lower() if len(row) > 1 else "unknown"
                states[st] = states.get(st, 0) + 1
        reporter.tick(note="Slurm: " + ", ".join(f"{n} {st}" for st, n in sorted(states.items())) if states else "")
        if live == 0:
            return
        time.sleep(2)


def slurm_run(args, state, plan, todo_file, todo, reporter, slurm_logs):
    logdir = os.path.join(state, "logs")
    threads = plan["threads"]
    me = os.path.realpath(__file__)
    script = os.path.join(state, "slurm-task.sh")
    write_atomic(script, "#!/bin/sh\n# one array task of primitive-batch: SLURM_ARRAY_TASK_ID picks the segment\n"
                 f"exec {shlex.quote(sys.executable)} {shlex.quote(me)} --worker {shlex.quote(state)} "
                 f"\"$1\" \"$((SLURM_ARRAY_TASK_ID + $2))\"\n")
    os.chmod(script, 0o755)
    res = ["--cpus-per-task", str(threads)] if threads > 0 else ["--exclusive"]
    for opt, val in (("--partition", args.partition), ("--time", args.time), ("--mem", args.mem),
                     ("--gres", args.gres), ("--account", args.account)):
        if val:
            res += [opt, val]
    extra = [a for s in args.sbatch_arg for a in shlex.split(s)]
    maxarr = slurm_max_array()
    jobs = []
    for off in range(0, len(todo), maxarr):
        cnt = min(maxarr, len(todo) - off)
        rng = f"0-{cnt - 1}" + (f"%{args.max_running}" if args.max_running else "")
        cmd = ["sbatch", "--parsable", "--requeue", f"--array={rng}", "--job-name", "primitive-batch",
               "--output", os.path.join(logdir, "slurm-%A_%a.log")] + res + extra + [script, todo_file, str(off)]
        out = run(cmd, "sbatch").decode().strip()
        jobid = out.split(";")[0]
        if not jobid.isdigit():
            raise Fail(f"sbatch answered '{out}', not a job id")
        jobs.append(jobid)
        log(f"submitted job array {jobid} ({count(cnt, 'task')}, {threads or 'all'} cpus each)")
    with open(os.path.join(state, "slurm-jobs"), "a") as f:
        f.write("".join(j + "\n" for j in jobs))
    for n, j in enumerate(jobs):  # where each segment's Slurm log goes, for the failure report
        for i in range(n * maxarr, min(len(todo), (n + 1) * maxarr)):
            slurm_logs[todo[i]] = os.path.join(logdir, f"slurm-{j}_{i - n * maxarr}.log")
    if args.no_wait:
        log("not waiting (--no-wait): run the same command again to wait for the job and join")
        return None
    try:
        slurm_wait(jobs, reporter)
    except KeyboardInterrupt:
        log(f"interrupted: the job keeps running (scancel {' '.join(jobs)} to stop it); "
            "run the same command again to wait for it and join")
        raise Fail("interrupted", 130)
    return [k for k in todo if not is_done(state, k)]


def earlier_slurm_jobs(state):
    """Jobs of an earlier invocation that are still queued or running (so a re-run waits for them
    instead of submitting their segments twice)."""
    try:
        with open(os.path.join(state, "slurm-jobs")) as f:
            ids = [l.strip() for l in f if l.strip()]
    except OSError:
        return []
    if not shutil.which("squeue"):
        return []
    return [j for j in ids if slurm_queue(j) != []]  # None (no answer) counts as still there


# ----------------------------------------------------------------------------------------------
# Joining and checking


def join_video(args, state, plan, jobs):
    segs = plan["segments"]
    tmpdir = os.path.join(state, "join")
    os.makedirs(tmpdir, exist_ok=True)
    fps = fractions.Fraction(plan["fps"])
    fades = []
    for k in range(len(segs) - 1):
        if segs[k]["tail"]:  # a faded cut (with --fade 0 the pieces just follow each other)
            fades.append(k)

    def make_fade(k):
        L = segs[k]["tail"]
        tail = os.path.join(seg_dir(state, k), f"tail.{VIDEO_PIECE}")
        head = os.path.join(seg_dir(state, k + 1), f"head.{VIDEO_PIECE}")
        dst = os.path.join(tmpdir, f"fade-{k:05d}.{VIDEO_PIECE}")
        # frame j of the fade: (j+1)/(L+1) of the next segment, so neither end repeats a whole frame
        run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", tail, "-i", head, "-filter_complex",
             f"[0:v][1:v]blend=all_expr='A+(B-A)*(N+1)/{L + 1}',setsar={plan['sar'].replace(':', '/')}[v]",
             "-map", "[v]", "-frames:v", str(L)] + codec_args(plan, True) + ["-f", VIDEO_PIECE, dst + ".part"],
            f"blending the join after segment {k}")
        os.replace(dst + ".part", dst)

    if fades:
        log(f"joining: blending {len(fades)} faded join{'s' if len(fades) > 1 else ''}")
        pool, errors = list(fades), []

        def work():
            while True:
                try:
                    k = pool.pop()
                except IndexError:
                    return
                try:
                    make_fade(k)
                except Fail as e:
                    errors.append(str(e))

        ts = [threading.Thread(target=work) for _ in range(max(1, min(jobs, len(fades))))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise Fail(errors[0], 1)
    lines = ["ffconcat version 1.0"]

    def add(path, frames):
        quoted = path.replace("'", "'\\''")  # the concat demuxer's quoting, like a shell's
        lines.append(f"file '{quoted}'")
        lines.append(f"duration {float(fractions.Fraction(frames) / fps):.9f}")

    for k, sg in enumerate(segs):
        add(os.path.join(seg_dir(state, k), f"body.{VIDEO_PIECE}"), sg["end"] - sg["start"] - sg["tail"])
        if k in fades:
            add(os.path.join(tmpdir, f"fade-{k:05d}.{VIDEO_PIECE}"), sg["tail"])
    lst = os.path.join(tmpdir, "pieces.ffconcat")
    write_atomic(lst, "\n".join(lines) + "\n")
    out = plan["output"]
    ext = os.path.splitext(out)[1]
    tmp_out = os.path.join(os.path.dirname(out) or ".", f".{os.path.basename(out)}.part{os.getpid()}{ext}")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", lst, "-i", plan["input"],
           "-map", "0:v:0", "-map", "1:a?", "-map_metadata", "1", "-c", "copy"]
    if ext.lower() in (".mp4", ".mov", ".m4v"):
        cmd += ["-movflags", "+faststart"]
    log("joining: " + f"{len(segs)} pieces, audio copied from the input" if plan["audio"] else "joining")
    try:
        run(cmd + [tmp_out], "joining the pieces")
    except Fail as e:
        if os.path.exists(tmp_out):
            os.remove(tmp_out)
        hint = "" if ext.lower() == ".mkv" else f" (if the audio codec does not fit the {ext} container, use .mkv)"
        raise Fail(f"{e}{hint}", 1)
    return tmp_out


def count_packets(path, sel):
    out = run(["ffprobe", "-v", "error", "-select_streams", sel, "-count_packets", "-show_entries",
               "stream=index,codec_name,nb_read_packets,duration", "-of", "json", path], f"ffprobe {path}")
    return json.loads(out).get("streams", [])


def verify_video(plan, path):
    """The joined file must have the input's frame count and duration and its audio streams."""
    v = count_packets(path, "v:0")
    got = int(v[0]["nb_read_packets"]) if v else 0
    if got != plan["frames"]:
        raise Fail(f"the joined video has {got} frames, the input {plan['frames']}", 1)
    fps = float(fractions.Fraction(plan["fps"]))
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time",
               "-of", "csv=p=0", path], f"ffprobe {path}").decode().split()
    ends = [float(a) + (float(b) if b not in ("", "N/A") else 1 / fps)
            for a, b in (l.split(",")[:2] for l in out if "," in l) if a not in ("", "N/A")]
    dur = max(ends) - min(float(l.split(",")[0]) for l in out if l.split(",")[0] not in ("", "N/A")) if ends else 0.0
    if not plan.get("vfr") and abs(dur - plan["duration"]) > 1.5 / fps:
        raise Fail(f"the joined video lasts {dur:.3f} s, the input {plan['duration']:.3f} s", 1)
    ain = count_packets(plan["input"], "a")
    aout = count_packets(path, "a")
    if [(a.get("codec_name"), a.get("nb_read_packets")) for a in ain] != \
       [(a.get("codec_name"), a.get("nb_read_packets")) for a in aout]:
        raise Fail("the joined file's audio differs from the input's: " +
                   f"{[(a.get('codec_name'), a.get('nb_read_packets')) for a in ain]} in, "
                   f"{[(a.get('codec_name'), a.get('nb_read_packets')) for a in aout]} out", 1)
    return got, dur, [a.get("codec_name") for a in aout]


def verify_images(plan):
    missing = [n for n in plan["names"] if not os.path.isfile(os.path.join(plan["output"], n))]
    if missing:
        raise Fail(f"{len(missing)} output images are missing, e.g. {missing[0]}", 1)
    return len(plan["names"])


# ----------------------------------------------------------------------------------------------
# The command


def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Element properties: gst-inspect-1.0 primitive. Details: docs/batch.md")
    ap.add_argument("input", help="video file, folder of images, or @LIST of images")
    ap.add_argument("settings", nargs="*", metavar="PROPERTY=VALUE", help="element properties")
    ap.add_argument("-o", "--output", required=True, help="output video (.mkv, .mp4, ...) or, for images, a folder")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--slurm", action="store_true", help="run as a Slurm job array (default when a controller answers)")
    where.add_argument("--local", action="store_true", help="run as local processes (default without Slurm)")
    ap.add_argument("-j", "--jobs", type=int, help="local: processes at once (default: cores / threads)")
    ap.add_argument("--segment-seconds", type=float, default=30.0, help="video: segment length where no scene change is near (30)")
    ap.add_argument("--fade", type=int, default=30, help="video: frames blended at a join that is not a scene change (30)")
    ap.add_argument("--pre-roll", type=int, default=0, help="video: extra frames run and dropped before a faded join (0)")
    ap.add_argument("--cut-change", type=float, default=0.1,
                    help="video: a change of the picture (share of full scale) that hides a join without a fade (0.1)")
    ap.add_argument("--images-per-task", type=int, default=25, help="images: images per segment (25)")
    ap.add_argument("--codec", choices=["ffv1", "x264"], help="video codec (default: ffv1 for .mkv/.nut/.avi, x264 otherwise)")
    ap.add_argument("--crf", type=int, help="x264 quality, 0 = lossless (18)")
    ap.add_argument("--preset", default="medium", help="x264 preset (medium)")
    ap.add_argument("--state", help="state folder (default: OUTPUT.batch)")
    ap.add_argument("--keep", action="store_true", help="keep the state folder and pieces after success")
    ap.add_argument("--force", action="store_true", help="overwrite an existing output; forget a state folder made for other settings")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    ap.add_argument("--progress-every", type=float, default=5.0, help="seconds between progress lines (5)")
    s = ap.add_argument_group("Slurm")
    s.add_argument("--partition", help="sbatch --partition")
    s.add_argument("--time", help="sbatch --time per task, e.g. 30:00")
    s.add_argument("--mem", help="sbatch --mem per task, e.g. 2G")
    s.add_argument("--gres", help="sbatch --gres, e.g. gpu:1 (with device=cuda)")
    s.add_argument("--account", help="sbatch --account")
    s.add_argument("--max-running", type=int, help="at most this many tasks at once (--array=...%%N)")
    s.add_argument("--sbatch-arg", action="append", default=[], help="more sbatch options, e.g. '--qos=low'")
    s.add_argument("--no-wait", action="store_true", help="submit and return; run again later to join")
    a = ap.parse_intermixed_args(argv)
    for name in ("fade", "pre_roll"):
        if getattr(a, name) < 0:
            ap.error(f"--{name.replace('_', '-')} must be 0 or more")
    if not 0 < a.cut_change <= 1:
        ap.error("--cut-change must be in (0, 1]")
    if a.segment_seconds <= 0 or a.images_per_task < 1 or (a.jobs is not None and a.jobs < 1):
        ap.error("--segment-seconds, --images-per-task and --jobs must be positive")
    if a.crf is not None and not 0 <= a.crf <= 51:
        ap.error("--crf must be 0..51")
    return a


def main(argv):
    if argv[:1] == ["--worker"]:
        if len(argv) not in (3, 4):
            raise Fail("usage: --worker STATE TODO [INDEX]")
        return worker_main(argv[1], argv[2], int(argv[3]) if len(argv) == 4 else None)
    args = parse_args(argv)
    props, settings = parse_settings(args.settings)
    inp = args.input
    if inp.startswith("@") or os.path.isdir(inp):
        args.mode = "images"
        inp = "@" + os.path.abspath(inp[1:]) if inp.startswith("@") else os.path.abspath(inp)
    elif os.path.isfile(inp):
        args.mode = "video"
        inp = os.path.abspath(inp)
    else:
        raise Fail(f"{inp}: no such file or folder")
    out = os.path.abspath(args.output)
    if settings["budget"] != 0:
        log("warning: budget is not 0, so the frames depend on timing and a re-run or another "
            "segmentation gives different frames")
    state = os.path.abspath(args.state or out + ".batch")
    fp = fingerprint(args, inp, props)
    plan = read_json(os.path.join(state, "plan.json"))
    if plan is not None and (plan.get("fingerprint") != fp or plan.get("fingerprint_input") != input_stamp(inp)):
        if not args.force:
            raise Fail(f"{state} holds a run with other input or settings: remove it, or add --force to start over")
        shutil.rmtree(state)
        plan = None
    resumed = plan is not None
    if plan is None:
        if os.path.exists(out) and not args.force and not (args.mode == "images" and os.path.isdir(out)
                                                           and not os.listdir(out)):
            raise Fail(f"{out} exists: add --force to overwrite it")
        env = plugin_env()
        check_element(props, env, on_nodes=args.slurm or (not args.local and slurm_available()))
        t_plan = time.monotonic()
        plan = make_plan(args, inp, out, props, settings)
        plan["planning_seconds"] = round(time.monotonic() - t_plan, 3)
        plan["fingerprint"] = fp
        if not args.dry_run:
            for sub in ("segments", "progress", "logs"):
                os.makedirs(os.path.join(state, sub), exist_ok=True)
            write_atomic(os.path.join(state, "plan.json"), json.dumps(plan))
    else:
        log(f"resuming from {state}")
    segs = plan["segments"]
    unit = "images" if plan["mode"] == "images" else "frames"
    kinds = {c: sum(1 for s in segs if s["cut"] == c) for c in ("exact", "scene", "fade")}
    log(f"{plan['frames']} {unit} in {count(len(segs), 'segment')}" +
        (f" (joins: {kinds['exact']} where the element starts afresh, {kinds['scene']} at a change of "
         f"scene, {kinds['fade']} faded over {plan['fade']} frames)" if plan["mode"] == "video" else ""))
    if args.dry_run:
        for s in segs:
            print(f"segment {s['index']:4d}: {unit} {s['start']}..{s['end'] - 1} ({s['end'] - s['start']}), "
                  f"cut {s['cut']}" + (f", starts at {s['first']}" if s['first'] != s['start'] else "") +
                  (f", scene change {s['change']}" if "change" in s else ""))
        return 0
    if plan["mode"] == "images":
        os.makedirs(out, exist_ok=True)
    t0 = time.monotonic()
    reporter = Reporter(state, plan, args.progress_every)
    use_slurm = args.slurm or (not args.local and slurm_available())
    if args.slurm and not slurm_available():
        raise Fail("--slurm: no Slurm controller answers (scontrol ping)")
    waiting = earlier_slurm_jobs(state) if shutil.which("squeue") else []
    if waiting:
        log(f"waiting for job {' '.join(waiting)} submitted by an earlier run")
        slurm_wait(waiting, reporter)
    todo = [s["index"] for s in segs if not is_done(state, s["index"])]
    if len(todo) < len(segs):
        log(f"{len(segs) - len(todo)} of {len(segs)} segments already done")
    failed, slurm_logs = [], {}
    for sub in ("running", "progress"):  # left by tasks that were killed
        for f in os.listdir(os.path.join(state, sub)) if os.path.isdir(os.path.join(state, sub)) else []:
            if not is_done(state, int(f)):
                os.remove(os.path.join(state, sub, f))
    if todo:
        todo_file = os.path.join(state, f"todo-{int(time.time() * 1000)}.json")
        write_atomic(todo_file, json.dumps(todo))
        threads = plan["threads"]
        if use_slurm:
            failed = slurm_run(args, state, plan, todo_file, todo, reporter, slurm_logs)
            if failed is None:
                return 0
        else:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            jobs = args.jobs or max(1, cores // threads if threads else 1)
            log(f"running {count(len(todo), 'segment')} as local processes, {jobs} at a time, "
                f"{threads or 'all'} thread{'s' if threads != 1 else ''} each")
            failed = local_run(state, plan, todo_file, todo, jobs, reporter)
        os.remove(todo_file)
    reporter.tick(force=True)
    if failed:
        logs = os.path.join(state, "logs")
        for k in failed[:3]:
            lf = slurm_logs.get(k, os.path.join(logs, f"{k:05d}.log"))
            tail = ""
            if os.path.isfile(lf):
                with open(lf, errors="replace") as f:
                    tail = " | ".join([l.strip() for l in f.read().splitlines() if l.strip()][-2:])
            log(f"segment {k} failed" + (f": {tail}" if tail else "") + f" (log: {lf})")
        raise Fail(f"{len(failed)} of {len(segs)} segments failed; the finished ones are kept in {state}: "
                   "run the same command again to redo only the missing ones", 1)
    t_join = time.monotonic()
    jobs = args.jobs or max(1, (os.cpu_count() or 1))
    if plan["mode"] == "video":
        tmp_out = join_video(args, state, plan, jobs)
        try:
            frames, dur, audio = verify_video(dict(plan, output=tmp_out), tmp_out)
        except Fail:
            os.remove(tmp_out)
            raise
        os.replace(tmp_out, out)
        summary = (f"wrote {out}: {frames} frames, {dur:.3f} s, " +
                   (f"audio copied ({', '.join(map(str, audio))})" if audio else "no audio in the input"))
    else:
        frames = verify_images(plan)
        summary = f"wrote {frames} images to {out}"
    # temporary outputs of killed tasks or of a killed earlier run (ours are all ".NAME.part*")
    stale = [f".{n}.part" for n in plan["names"]] if plan["mode"] == "images" else [f".{os.path.basename(out)}.part"]
    folder = out if plan["mode"] == "images" else os.path.dirname(out)
    for prefix in stale:
        for f in glob.glob(os.path.join(glob.escape(folder), glob.escape(prefix) + "*")):
            os.remove(f)
    end = time.monotonic()
    cost = [read_json(os.path.join(seg_dir(state, s["index"]), "done.json")) for s in segs]
    busy = sum(c["seconds"] for c in cost if c)
    cpu = sum(c.get("cpu_seconds", 0) for c in cost if c)
    log(f"{summary}")
    planning = "done before" if resumed else f"{plan.get('planning_seconds', 0):.1f} s"
    log(f"{count(len(segs), 'segment')}; wall time: planning {planning}, segments {t_join - t0:.1f} s, "
        f"joining {end - t_join:.1f} s; the tasks took {busy:.1f} s, {cpu:.1f} CPU s")
    if args.keep:
        log(f"kept {state}")
    else:
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Fail as e:
        log(str(e))
        sys.exit(e.status)
    except KeyboardInterrupt:
        log("interrupted: run the same command again to continue")
        sys.exit(130)
