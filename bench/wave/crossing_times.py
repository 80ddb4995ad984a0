"""Crossing-time spread of a wave data set (the quantity behind the paper's WCT metric).

The crossing time of a trajectory is the first saved time at which |u| exceeds
`threshold * max|u(t=0)|` anywhere on the four edges of the stored grid, divided by t_end;
trajectories that never cross within the window are counted apart (and given 1.0 in the spread,
which is how a heavy tail shows up).

  /usr/bin/python3 bench/wave/crossing_times.py runs/wave/data/test.h5 [--threshold 0.05]
"""
import argparse

import h5py
import numpy as np


def crossing_times(u, time, threshold):
    """u: (n_traj, n_time, nx, ny). Returns normalised times, NaN where nothing crossed."""
    scale = np.abs(u[:, 0]).max(axis=(1, 2))
    edges = np.concatenate([u[:, :, 0, :], u[:, :, -1, :], u[:, :, :, 0], u[:, :, :, -1]], axis=2)
    hit = np.abs(edges).max(axis=2) > threshold * scale[:, None]
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    return np.where(first >= 0, time[np.maximum(first, 0)] / time[-1], np.nan)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--threshold", type=float, default=0.05)
    a = ap.parse_args()
    with h5py.File(a.file, "r") as f:
        u = f["t0_fields/u"][...]
        time = f["dimensions/time"][...]
    t = crossing_times(u, time, a.threshold)
    crossed = t[~np.isnan(t)]
    filled = np.where(np.isnan(t), 1.0, t)
    frame = (time[1] - time[0]) / time[-1]
    print(f"{a.file}: {len(t)} trajectories, threshold {a.threshold}")
    print(f"  crossed {len(crossed)}, never crossed {np.isnan(t).sum()} ({100 * np.isnan(t).mean():.1f}%)")
    if len(crossed):
        q = np.percentile(crossed, [0, 10, 50, 90, 100])
        print(f"  crossing time (normalised, crossed only): min {q[0]:.3f} p10 {q[1]:.3f} median {q[2]:.3f} "
              f"p90 {q[3]:.3f} max {q[4]:.3f}")
    skew = ((filled - filled.mean()) ** 3).mean() / filled.std() ** 3
    print(f"  spread (never = 1.0): mean {filled.mean():.3f} std {filled.std():.3f} "
          f"({filled.std() / frame:.1f} frames) skewness {skew:.2f}")


if __name__ == "__main__":
    main()
