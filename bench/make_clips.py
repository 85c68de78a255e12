#!/usr/bin/python3
"""Test clips for the video steadiness benchmark (bench/steady.sh), as folders of PNG frames.

  make_clips.py OUTDIR [--frames 90] [--width 640] [--images DIR]

Synthetic clips, moved with sub-pixel bilinear warps over the shared photos:
  pan-zoom-cut   a slow pan with a zoom over one picture, a cut, then a rotation over another
  shake          hand-held shake (smooth random translation and a little rotation) over a picture
  object         a picture-in-picture object crossing a still background
Real footage from Debian packages, when `apt-get download` can fetch them (scaled to the width):
  cockatoo       python3-imageio's cockatoo.mp4: hand-held close-up
  ball           python3-mecavideo's balle-jbart.mp4: fixed camera, thrown ball
  coin           node-opencv's motion.mov: a coin pushed by a pen, hand-held
Needs python3-opencv and python3-numpy; ffmpeg for the real clips.
"""
import argparse, glob, os, shutil, subprocess, sys, tempfile
import numpy as np, cv2

REAL = {  # name: (package, path inside it)
    "cockatoo": ("python3-imageio", "usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4"),
    "ball": ("python3-mecavideo", "usr/share/pymecavideo/data/video/balle-jbart.mp4"),
    "coin": ("node-opencv", "usr/share/doc/node-opencv/examples/files/motion.mov"),
}


def warp(img, w, h, cx, cy, scale, angle):
    """The view of `img` centred at (cx, cy), `scale` output pixels per image pixel, rotated."""
    m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    m[0, 2] += w / 2 - cx
    m[1, 2] += h / 2 - cy
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def cover(img, w, h):
    """Scale that makes the picture cover a w x h frame."""
    return max(w / img.shape[1], h / img.shape[0])


def pan_zoom_cut(imgs, n, w, h):
    a, b = imgs[0], imgs[2]
    cut = n // 2
    for t in range(n):
        if t < cut:
            s = cover(a, w, h) * (1.25 + 0.25 * t / cut)
            yield warp(a, w, h, a.shape[1] * (0.4 + 0.2 * t / cut), a.shape[0] * 0.45, s, 0.0)
        else:
            u = t - cut
            yield warp(b, w, h, b.shape[1] / 2, b.shape[0] / 2, cover(b, w, h) * 1.5, 0.4 * u)


def shake(imgs, n, w, h):
    img = imgs[1]
    rng = np.random.default_rng(7)
    # smooth random walk: low-pass filtered noise, a few pixels of amplitude
    dx, dy, da = (np.convolve(rng.normal(0, 1, n + 20), np.ones(8) / 8, "same")[10:10 + n] for _ in range(3))
    s = cover(img, w, h) * 1.2
    for t in range(n):
        yield warp(img, w, h, img.shape[1] / 2 + 6 * dx[t] / s, img.shape[0] / 2 + 6 * dy[t] / s, s, 1.5 * da[t])


def moving_object(imgs, n, w, h):
    bg = warp(imgs[2], w, h, imgs[2].shape[1] / 2, imgs[2].shape[0] / 2, cover(imgs[2], w, h), 0.0)
    ob = imgs[1]
    ow, oh = w // 4, int(w // 4 * ob.shape[0] / ob.shape[1])
    ob = cv2.resize(ob, (ow, oh), interpolation=cv2.INTER_AREA)
    for t in range(n):
        f = bg.copy()
        x = -ow + (w + ow) * t / (n - 1)
        y = h * 0.5 - oh / 2 + h * 0.15 * np.sin(t / 9.0)
        m = np.float32([[1, 0, x], [0, 1, y]])
        layer = cv2.warpAffine(ob, m, (w, h), flags=cv2.INTER_LINEAR)
        mask = cv2.warpAffine(np.full((oh, ow), 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR)
        a = (mask.astype(np.float32) / 255.0)[..., None]
        yield (f * (1 - a) + layer * a + 0.5).astype(np.uint8)


def save(frames, d):
    os.makedirs(d, exist_ok=True)
    for old in glob.glob(os.path.join(d, "*.png")):
        os.remove(old)
    for t, f in enumerate(frames):
        cv2.imwrite(os.path.join(d, "%04d.png" % t), f)


def real_clip(name, out, n, w, cache):
    pkg, path = REAL[name]
    src = os.path.join(cache, pkg, path)
    if not os.path.exists(src):
        os.makedirs(os.path.join(cache, pkg), exist_ok=True)
        r = subprocess.run(["apt-get", "download", pkg], cwd=cache, capture_output=True, text=True)
        debs = glob.glob(os.path.join(cache, pkg + "_*.deb"))
        if r.returncode or not debs:
            print("skipping %s: apt-get download %s failed" % (name, pkg), file=sys.stderr)
            return
        subprocess.run(["dpkg", "-x", debs[0], os.path.join(cache, pkg)], check=True)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for old in glob.glob(os.path.join(d, "*.png")):
        os.remove(old)
    # even height, as video encoders need
    subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-vf", "scale=%d:-2:flags=area" % w, "-frames:v", str(n), "-start_number", "0",
                    os.path.join(d, "%04d.png")], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--images", default=None, help="folder with monalisa.png, owl.png, pyramids.png")
    ap.add_argument("--only", default=None, help="comma-separated clip names")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    images = a.images or next((d for d in [os.path.join(here, "..", "..", "shared", "data")]
                               if os.path.exists(os.path.join(d, "owl.png"))), None)
    only = set(a.only.split(",")) if a.only else None
    w, h = a.width, a.width * 9 // 16 // 2 * 2
    synth = {"pan-zoom-cut": pan_zoom_cut, "shake": shake, "object": moving_object}
    if images:
        imgs = [cv2.imread(os.path.join(images, f)) for f in ("monalisa.png", "owl.png", "pyramids.png")]
        for name, fn in synth.items():
            if not only or name in only:
                save(fn(imgs, a.frames, w, h), os.path.join(a.outdir, name))
    else:
        print("no --images folder (monalisa.png, owl.png, pyramids.png): synthetic clips skipped", file=sys.stderr)
    cache = os.path.join(a.outdir, ".debs")
    for name in REAL:
        if not only or name in only:
            real_clip(name, a.outdir, a.frames, a.width, cache)


if __name__ == "__main__":
    main()
