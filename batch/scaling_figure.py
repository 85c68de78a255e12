#!/usr/bin/env python3
"""Draws docs/images/batch-scaling.svg: wall time against the number of tasks, measured on the
2-core machine (1 and 2 tasks) and, on paper, for more tasks from the measured costs.

  scaling_figure.py FIGURES.json OUT.svg

FIGURES.json: {"measured": [[tasks, seconds], ...], "label": "...",
               "models": [{"label": "...", "segments": S, "segment_s": t, "fixed_s": f}, ...],
               "tasks": [1, 2, 16, 160, 1600], "note": "..."}
A model's wall time for N tasks is fixed_s + ceil(S / N) * segment_s: the planning and joining,
plus the waves of segments (each task one core, one segment at a time).
Standard library only.
"""
import json
import math
import sys


def model(m, n):
    return m["fixed_s"] + math.ceil(m["segments"] / n) * m["segment_s"]


def main():
    fig = json.load(open(sys.argv[1]))
    W, H, L, R, T, B = 880, 440, 70, 300, 40, 60
    xs = fig["tasks"]
    ys = [y for _, y in fig["measured"]] + [model(m, n) for m in fig["models"] for n in xs]
    ticks = [(10, "10 s"), (30, "30 s"), (60, "1 min"), (180, "3 min"), (600, "10 min"), (1800, "30 min"),
             (3600, "1 h"), (10800, "3 h"), (36000, "10 h"), (108000, "30 h")]
    lo = max(v for v, _ in ticks if v <= min(ys))
    hi = min(v for v, _ in ticks if v >= max(ys))
    x0, x1 = math.log10(xs[0]), math.log10(xs[-1])

    def px(n):
        return L + (math.log10(n) - x0) / (x1 - x0) * (W - L - R)

    def py(v):
        return T + (1 - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>']
    for v, lab in ticks:
        if lo <= v <= hi:
            y = py(v)
            out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{lab}</text>')
    for n in xs:
        x = px(n)
        out.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{H - B}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{n}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 20}" text-anchor="middle">tasks (one core each)</text>')
    out.append(f'<text x="{L}" y="{T - 16}">wall time</text>')
    colours = ["#c0392b", "#2471a3", "#1e8449", "#7d3c98"]
    for i, m in enumerate(fig["models"]):
        c = colours[(i + 1) % len(colours)]
        pts = " ".join(f"{px(n):.1f},{py(model(m, n)):.1f}" for n in xs)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2" stroke-dasharray="6,4"/>')
        for n in xs:
            out.append(f'<circle cx="{px(n):.1f}" cy="{py(model(m, n)):.1f}" r="3" fill="{c}"/>')
        y = T + 20 + 50 * (i + 1)
        out.append(f'<line x1="{W - R + 12}" y1="{y}" x2="{W - R + 36}" y2="{y}" stroke="{c}" stroke-width="2" stroke-dasharray="6,4"/>')
        for j, part in enumerate(m["label"].split("\n")):
            out.append(f'<text x="{W - R + 42}" y="{y + 4 + 14 * j}">{part}</text>')
    c = colours[0]
    for n, v in fig["measured"]:
        out.append(f'<circle cx="{px(n):.1f}" cy="{py(v):.1f}" r="5" fill="{c}"/>')
    y = T + 20
    out.append(f'<circle cx="{W - R + 24}" cy="{y}" r="5" fill="{c}"/>')
    for j, part in enumerate(fig["label"].split("\n")):
        out.append(f'<text x="{W - R + 42}" y="{y + 4 + 14 * j}">{part}</text>')
    for j, part in enumerate(fig.get("note", "").split("\n")):
        out.append(f'<text x="{W - R + 12}" y="{H - B - 30 + 14 * j}" fill="#555">{part}</text>')
    out.append("</svg>")
    open(sys.argv[2], "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
