#!/usr/bin/env python3
"""Measures the joins of a primitive-batch output against the rest of the clip.

  seams.py OUTPUT --plan STATE/plan.json        (primitive-batch --keep leaves the plan)
  seams.py OUTPUT --fades 300,600 --fade 12     (frames where faded joins end)
  seams.py OUTPUT ... --reference SINGLE_RUN --temporal ../shared/tools/temporal.py

Prints one JSON object. The change of a step is the mean absolute difference of two consecutive
output frames (RGB, 0..255). A faded join at frame s spans the L + 1 steps from frame s-L-1 to
frame s; its change is the mean over those steps (`join_mean`) and its largest step (`join_max`);
a join without a fade (--fade 0) is its one step. `elsewhere_median` is the median step outside
every join and outside the input's own scene changes (steps where the input changes by more than
--scene of full scale). `ratio` = worst join_mean / elsewhere_median. Joins at a scene change
(exact or scene cuts in the plan) are listed under `cuts` with the output's and the input's step;
`input_change` measures the input's own steps over the same windows the same way (what the ratio
is where nothing was joined). `shot_median` is the median step of the rest of the join's own shot
(from the input's scene change or cut before the join to the next one), `vs_shot` the join against
it: a join inside a zoom is compared with the zoom, not with a calm pan elsewhere. With --input and --temporal (needs python3-numpy and
python3-opencv), the same for the warping error of temporal.py (output frame t-1 warped to t by the
input's optical flow, over pixels where the flow is consistent).
Standard library only without --temporal.
"""
import argparse
import json
import statistics
import subprocess
import sys


def probe_size(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "csv=p=0", path], stdout=subprocess.PIPE, check=True)
    w, h = out.stdout.decode().strip().split(",")[:2]
    return int(w), int(h)


def step_changes(path):
    """Mean absolute difference of each pair of consecutive frames: FFmpeg subtracts, we sum."""
    w, h = probe_size(path)
    size = w * h * 3
    p = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-vf",
                          "format=gbrp,tblend=all_mode=difference", "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "gbrp", "pipe:1"], stdout=subprocess.PIPE)
    out = [None]  # step t is frame t-1 -> t; there is no step 0
    while True:
        b = p.stdout.read(size)
        if len(b) < size:
            break
        out.append(sum(b) / size)
    if p.wait() != 0:
        sys.exit(f"seams.py: cannot decode {path}")
    return out


def warp_errors(inp, outp, temporal_path):
    """Per-step warping error, after temporal.py (which prints only clip means)."""
    import importlib.util
    import numpy as np
    import cv2
    spec = importlib.util.spec_from_file_location("temporal", temporal_path)
    tm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tm)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    res, prev = [None], None
    for fi, fo in zip(tm.frames(inp), tm.frames(outp)):
        if fo.shape != fi.shape:
            fo = cv2.resize(fo, (fi.shape[1], fi.shape[0]), interpolation=cv2.INTER_AREA)
        g = cv2.cvtColor(fi, cv2.COLOR_BGR2GRAY)
        fo32 = fo.astype(np.float32)
        if prev is not None:
            po, pg = prev
            back = dis.calc(g, pg, None)
            fwd = dis.calc(pg, g, None)
            wf = tm.warp(fwd, back)
            cyc = back + wf
            mask = np.sum(cyc ** 2, axis=2) < 0.01 * (np.sum(back ** 2, axis=2) + np.sum(wf ** 2, axis=2)) + 0.5
            n = max(1, int(mask.sum()) * 3)
            res.append(float(np.sum(np.abs(fo32 - tm.warp(po, back)) * mask[..., None]) / n))
        prev = (fo32, g)
    return res


def summarise(steps, joins, fade, cuts, skip, ref=None):
    """Faded joins against the median step elsewhere and, with `ref` (the steps of a single run of
    the same input and settings), against the same steps without a join. `cuts` (joins at a cut,
    no fade) and `skip` (the input's own changes of scene) are left out."""
    inside = set()
    for s in joins:
        inside.update(range(max(1, s - fade), s + 1))
    rest = [v for t, v in enumerate(steps)
            if t >= 1 and t not in inside and t not in cuts and t not in skip and v is not None]
    med = statistics.median(rest) if rest else 0.0
    # a shot runs from one change of scene (the input's own, or a join at one) to the next
    bounds = sorted(set(skip) | set(cuts))
    per = []
    for s in joins:
        win = [steps[t] for t in range(max(1, s - fade), s + 1) if t < len(steps) and t not in skip]
        if win:
            j = {"frame": s, "join_mean": round(statistics.mean(win), 3), "join_max": round(max(win), 3)}
            lo = max([b for b in bounds if b <= s - fade], default=1)
            hi = min([b for b in bounds if b > s], default=len(steps))
            shot = [v for t, v in enumerate(steps) if lo <= t < hi and t >= 1 and t not in inside and t not in skip
                    and t not in cuts and v is not None]
            if shot:
                j["shot"] = [lo, hi]
                j["shot_median"] = round(statistics.median(shot), 3)
                j["vs_shot"] = round(j["join_mean"] / j["shot_median"], 3) if j["shot_median"] > 0 else None
            if ref:
                rw = [ref[t] for t in range(max(1, s - fade), s + 1) if t < len(ref) and t not in skip]
                j["single_run_mean"] = round(statistics.mean(rw), 3)
                j["vs_single_run"] = round(j["join_mean"] / j["single_run_mean"], 3) if j["single_run_mean"] > 0 else None
            per.append(j)
    worst = max((j["join_mean"] for j in per), default=0.0)
    q = statistics.quantiles(rest, n=10) if len(rest) >= 10 else [med] * 9
    r = {"elsewhere_median": round(med, 3), "elsewhere_p90": round(q[8], 3), "joins": per,
         "ratio": round(worst / med, 3) if med > 0 else None}
    r["worst_vs_shot"] = max((j["vs_shot"] for j in per if j.get("vs_shot")), default=None)
    if ref:
        r["worst_vs_single_run"] = max((j["vs_single_run"] for j in per if j.get("vs_single_run")), default=None)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--plan", help="plan.json of the run (primitive-batch --keep)")
    ap.add_argument("--fades", help="comma-separated frames where faded joins end")
    ap.add_argument("--fade", type=int, default=0, help="frames blended at each join (with --fades)")
    ap.add_argument("--cuts", default="", help="comma-separated joins without a fade (at a scene change)")
    ap.add_argument("--input", help="the input video: its own scene changes are left out")
    ap.add_argument("--scene", type=float, default=0.1,
                    help="a step of the input over this share of full scale is a scene change (0.1)")
    ap.add_argument("--reference", help="a single-segment run of the same input and settings: each join "
                    "is also compared with the same frames there")
    ap.add_argument("--temporal", help="path of temporal.py (the warping error needs numpy and OpenCV)")
    a = ap.parse_args()
    if a.plan:
        with open(a.plan) as f:
            plan = json.load(f)
        segs = plan["segments"]
        joins = [s["start"] for s in segs if s["cut"] == "fade" and s["head"] > 0]
        cuts = sorted(s["start"] for s in segs if s["cut"] in ("exact", "scene") or (s["cut"] == "fade" and not s["head"]))
        fade = plan.get("fade", 0)
        a.input = a.input or plan["input"]
    else:
        joins = [int(x) for x in a.fades.split(",") if x] if a.fades else []
        cuts = sorted(int(x) for x in a.cuts.split(",") if x)
        fade = a.fade
    steps = step_changes(a.output)
    skip = set()
    r = {"frames": len(steps), "fade": fade}
    ref = step_changes(a.reference) if a.reference else None
    if a.input:
        ins = step_changes(a.input)
        skip = {t for t, v in enumerate(ins) if v is not None and v > a.scene * 255}
        r["input_scene_changes"] = sorted(skip)
        # a join without a fade hides behind the change of the picture there: the steps, to compare
        r["cuts"] = [dict({"frame": t, "output_step": round(steps[t], 3), "input_step": round(ins[t], 3)},
                          **({"single_run_step": round(ref[t], 3)} if ref else {}))
                     for t in cuts if t < len(steps)]
    hard = [] if fade else [t for t in cuts if t not in skip]
    r["change"] = summarise(steps, joins + hard, fade, set(cuts) - set(hard), skip, ref)
    if a.input:
        # the same windows of the input itself: a join inside a zoom or a fast pan stands out from
        # a calmer rest even where nothing was joined
        r["input_change"] = summarise(ins, joins + hard, fade, set(cuts) - set(hard), skip)
    if a.temporal:
        if not a.input:
            sys.exit("seams.py: --temporal needs --input (or --plan)")
        wref = warp_errors(a.input, a.reference, a.temporal) if a.reference else None
        r["warp"] = summarise(warp_errors(a.input, a.output, a.temporal), joins + hard, fade,
                              set(cuts) - set(hard), skip, wref)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
