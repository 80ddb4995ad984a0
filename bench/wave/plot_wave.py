"""A picture of a few wave trajectories: the medium c, then frames of u, one row per trajectory.

  /usr/bin/python3 bench/wave/plot_wave.py DATA.h5 OUT.png [--trajectories 4] [--frames 0 4 8 12 16]

Only NumPy, h5py and the standard library (zlib PNG writer): no plotting package needed.
Colours: c in grey (black = slowest, white = fastest, per data set); u blue-white-red,
symmetric around 0, scaled by max |u(t=0)|, so the weakening front stays visible.
"""
import argparse
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from png_file import write_png  # noqa: E402


def grey(v, lo, hi):
    g = np.clip((v - lo) / (hi - lo), 0, 1)
    return np.stack([g, g, g], axis=-1)


def diverging(v, scale):
    """Blue (-) to white (0) to red (+); |v| >= scale saturates. Gamma 0.5 shows the faint front."""
    s = np.sqrt(np.clip(np.abs(v) / scale, 0, 1))
    pos = v >= 0
    r = np.where(pos, 1.0, 1.0 - s)
    b = np.where(pos, 1.0 - s, 1.0)
    g = 1.0 - s
    return np.stack([r, g, b], axis=-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--trajectories", type=int, default=4)
    ap.add_argument("--frames", type=int, nargs="+", help="frame indices (default: five evenly spaced, first to last)")
    ap.add_argument("--zoom", type=int, default=4)
    a = ap.parse_args()
    with h5py.File(a.data, "r") as f:
        u = f["t0_fields/u"][: a.trajectories]
        c = f["t0_fields/c"][: a.trajectories]
    if a.frames is None:
        a.frames = [int(k) for k in np.linspace(0, u.shape[1] - 1, 5).round()]
    scale = np.abs(u[:, 0]).max()
    pad = 4
    n = u.shape[-1] * a.zoom
    cols = 1 + len(a.frames)
    img = np.ones((a.trajectories * (n + pad) + pad, cols * (n + pad) + pad, 3))
    for t in range(a.trajectories):
        panels = [grey(c[t], c.min(), c.max())] + [diverging(u[t, k], scale) for k in a.frames]
        for j, p in enumerate(panels):
            p = p.repeat(a.zoom, axis=0).repeat(a.zoom, axis=1)
            y, x = pad + t * (n + pad), pad + j * (n + pad)
            img[y:y + n, x:x + n] = p
    write_png(a.out, (img * 255).round().astype(np.uint8))
    print(f"wrote {a.out}: rows = trajectories 0..{a.trajectories - 1}; columns = c, u at frames {a.frames}")


if __name__ == "__main__":
    main()
