#!/usr/bin/python3
"""A still picture of video steadiness: two consecutive frames and the change between them, for
the input and for stylized versions of it, one row each.

    bench/strip.py OUT.jpg FRAME INPUT_DIR LABEL=DIR [LABEL=DIR ...] [--width 320]

Every DIR is a folder of PNG frames (0000.png ...), as bench_video -save and bench/make_clips.py
write them. Columns: frame FRAME, frame FRAME+1, and |FRAME+1 - FRAME| amplified 4x (black: no
change). Shimmer shows as change where the input's own change map is dark. Needs python3-opencv.
"""
import argparse
import os
import sys

import cv2
import numpy as np


def frame(d, i):
    names = sorted(n for n in os.listdir(d) if n.endswith(".png"))
    img = cv2.imread(os.path.join(d, names[i]))
    if img is None:
        sys.exit("strip.py: cannot read frame %d of %s" % (i, d))
    return img


def label(img, text):
    out = img.copy()
    cv2.putText(out, text, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("frame", type=int)
    ap.add_argument("input")
    ap.add_argument("rows", nargs="+", help="LABEL=DIR")
    ap.add_argument("--width", type=int, default=320)
    a = ap.parse_args()
    rows = [("input", a.input)] + [tuple(r.split("=", 1)) for r in a.rows]
    lines = []
    for name, d in rows:
        f0, f1 = frame(d, a.frame), frame(d, a.frame + 1)
        h = round(f0.shape[0] * a.width / f0.shape[1])
        change = np.clip(cv2.absdiff(f1, f0).astype(np.int32) * 4, 0, 255).astype(np.uint8)
        cells = [cv2.resize(x, (a.width, h), interpolation=cv2.INTER_AREA) for x in (f0, f1, change)]
        cells[0] = label(cells[0], "%s, frame %d" % (name, a.frame))
        cells[1] = label(cells[1], "frame %d" % (a.frame + 1))
        cells[2] = label(cells[2], "change x4 (mean %.2f)" % cv2.absdiff(f1, f0).mean())
        lines.append(np.hstack([np.pad(c, ((2, 2), (2, 2), (0, 0)), constant_values=255) for c in cells]))
    cv2.imwrite(a.out, np.vstack(lines), [cv2.IMWRITE_JPEG_QUALITY, 85])


if __name__ == "__main__":
    main()
