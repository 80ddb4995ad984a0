#!/usr/bin/python3
"""Picture of a few flow trajectories, and the spread of the corner crossing time.

    /usr/bin/python3 bench/flow/flow_figure.py DATA.h5 OUT.png [N_TRAJ]

Rows: trajectories; columns: log K_x, then the water saturation at six of the stored times
(t = 0 omitted). Written with a small PNG encoder (zlib + struct): Debian's python3 here has
numpy and h5py but no matplotlib or Pillow.

Corner crossing time: the first stored time at which the saturation reaches 0.2 anywhere in the
producer's corner region (the last nx/8 x ny/8 cells); printed as quantiles over all trajectories.
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from png_file import write_png  # noqa: E402

# Viridis at five control points, interpolated linearly.
VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)


def colour(x):
    """x in [0, 1] -> RGB uint8."""
    t = np.clip(x, 0, 1) * (len(VIRIDIS) - 1)
    i = np.minimum(t.astype(int), len(VIRIDIS) - 2)
    f = (t - i)[..., None]
    return ((1 - f) * VIRIDIS[i] + f * VIRIDIS[i + 1]).astype(np.uint8)


def main():
    path, out = sys.argv[1], sys.argv[2]
    n_show = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    with h5py.File(path, "r") as f:
        s = f["t0_fields/s"][...]  # (n_traj, n_time, nx, ny)
        K = f["t2_fields/K"][..., 0, 0] if "t2_fields/K" in f else f["t0_fields/K"][...]
        t = f["dimensions/time"][...]
    n_traj, n_time, nx, ny = s.shape
    frames = np.linspace(1, n_time - 1, 6).round().astype(int)
    scale, gap = max(1, 128 // nx), 4
    cell = lambda a: np.kron(a, np.ones((scale, scale)))  # noqa: E731
    logk = np.log(K[:n_show])
    lo, hi = np.percentile(logk, 1), np.percentile(logk, 99)
    rows = []
    for k in range(n_show):
        # Images show x down the rows, y along the columns: cell [0, 0] (injector) upper left.
        tiles = [colour(cell((logk[k] - lo) / (hi - lo)))] + [colour(cell(s[k, m])) for m in frames]
        pad = np.full((nx * scale, gap, 3), 255, np.uint8)
        rows.append(np.concatenate(sum(([tile, pad] for tile in tiles), [])[:-1], axis=1))
        rows.append(np.full((gap, rows[-1].shape[1], 3), 255, np.uint8))
    write_png(out, np.concatenate(rows[:-1], axis=0))
    print(f"{out}: {n_show} trajectories; columns log K_x, then s at t = " + ", ".join(f"{t[m]:.3f}" for m in frames))

    cx, cy = max(1, nx // 8), max(1, ny // 8)
    corner = s[:, :, nx - cx:, ny - cy:].reshape(n_traj, n_time, -1).max(axis=2)
    reached = corner >= 0.2
    crossing = np.where(reached.any(axis=1), t[np.argmax(reached, axis=1)], np.inf)
    q = np.quantile(crossing[np.isfinite(crossing)], [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1])
    print(f"corner crossing time (s >= 0.2 in the last {cx} x {cy} cells), {n_traj} trajectories, "
          f"{np.isinf(crossing).sum()} never by t = {t[-1]:.3f}:")
    print("  min {:.3f}  10% {:.3f}  25% {:.3f}  median {:.3f}  75% {:.3f}  90% {:.3f}  max {:.3f}".format(*q))
    print(f"  mean {crossing[np.isfinite(crossing)].mean():.3f}  std {crossing[np.isfinite(crossing)].std():.3f}")


if __name__ == "__main__":
    main()
