#!/usr/bin/python3
"""Flow solver benchmark: C++ per-trajectory phases, a SciPy reference, 2-rank efficiency.

Run from the repository root after building (Debian's python3 with numpy and scipy):
    /usr/bin/python3 bench/flow/bench_flow.py build-flow

Times are CPU seconds of one thread (C++) or of the process (SciPy, single-threaded), so that a
shared machine does not skew the ratio; the 2-rank efficiency is wall-clock by nature.

1. flow_bench at 64^2 and 128^2 on full trajectories (configs/flow.yaml's t_end 1, 31 frames x
   2 pressure steps): time per trajectory split into pressure assembly, factorisation + solve,
   transport; the share of the sparse solve.
2. The same scheme in plain NumPy/SciPy (the MATLAB code of Aarnes, Gimse & Lie 2007 transcribed:
   spdiags, spsolve every pressure step, sparse upwind matrix per sub-step), on the same medium
   and the same first pressure steps as a C++ run: checks the saturation agrees, and reports the
   speed-up per core.
3. `slift simulate` under mpiexec -n 1 and -n 2 (one thread per rank): parallel efficiency.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build-flow"
BENCH = os.path.join(BUILD, "bench/flow/flow_bench")
SLIFT = os.path.join(BUILD, "pipeline/slift")
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
STEP = 1.0 / 62  # pressure step of configs/flow.yaml (t_end 1, 31 frame gaps x 2 steps)


def cpp(n, steps, traj, dump=None):
    args = [BENCH, str(n), str(steps), repr(STEP), str(traj)] + ([dump] if dump else [])
    return json.loads(subprocess.check_output(args, env=ENV))


def scipy_reference(K, steps):
    """IMPES with TPFA + single-point upstream, as in the reference MATLAB code."""
    n = K.shape[0]
    h = 1.0 / n
    N = n * n
    q = np.zeros(N)
    q[0], q[-1] = 1.0, -1.0
    pv = h * h * np.ones(N)
    s = np.zeros(N)
    t_solve = 0.0
    for _ in range(steps):
        # Pressure: TPFA with harmonic means of lambda K.
        lam = s**2 + (1 - s) ** 2
        L = 1.0 / (lam.reshape(n, n) * K)
        tx = np.zeros((n + 1, n))
        ty = np.zeros((n, n + 1))
        tx[1:n, :] = 2.0 / (L[:-1, :] + L[1:, :])
        ty[:, 1:n] = 2.0 / (L[:, :-1] + L[:, 1:])
        off_x = -tx[1:n, :].ravel()
        off_y = -ty[:, 1:].ravel()[:-1]
        main_diag = (tx[:n, :] + tx[1:, :] + ty[:, :n] + ty[:, 1:]).ravel()
        A = sp.diags([off_x, off_y, main_diag, off_y, off_x], [-n, -1, 0, 1, n], format="lil")
        A[0, 0] += 2 * K[0, 0]  # pin the pressure as the reference: add the first cell's K
        t0 = time.process_time()
        p = spla.spsolve(A.tocsc(), q)
        t_solve += time.process_time() - t0
        P = p.reshape(n, n)
        vx = np.zeros((n + 1, n))
        vy = np.zeros((n, n + 1))
        vx[1:n, :] = tx[1:n, :] * (P[:-1, :] - P[1:, :])
        vy[:, 1:n] = ty[:, 1:n] * (P[:, :-1] - P[:, 1:])
        # Transport: upwind matrix (GenA) and CFL sub-steps (Upstream).
        xn, xp = np.minimum(vx, 0), np.maximum(vx, 0)
        yn, yp = np.minimum(vy, 0), np.maximum(vy, 0)
        vi = (xp[:n, :] + yp[:, :n] - xn[1:, :] - yn[:, 1:]).ravel()
        fi = np.maximum(q, 0)
        cfl = (1.0 / 3.0) * np.min(pv / (vi + fi))
        nts = max(1, int(np.ceil(STEP / cfl * (1 - 1e-10))))
        dtx = (STEP / nts) / pv
        # Row c: inflow from the upstream neighbours, minus outflow and production, times f_w.
        out = (xp[1:, :] - xn[:n, :] + yp[:, 1:] - yn[:, :n]).ravel()
        U = sp.diags(
            [xp[1:n, :].ravel(), yp[:, :n].ravel()[1:], np.minimum(q, 0) - out, -yn[:, 1:].ravel()[:-1],
             -xn[1:n, :].ravel()],
            [-n, -1, 0, 1, n], format="csr")
        U = (sp.diags(dtx) @ U).tocsr()
        fi_dt = fi * dtx
        for _ in range(nts):
            fw = s**2 / (s**2 + (1 - s) ** 2)
            s = s + (U @ fw + fi_dt)
    return s, t_solve


def main():
    print(f"# flow bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("## C++ per trajectory (full trajectory: 62 pressure steps, t_end 1), CPU time of one core")
    for n, traj in ((64, 4), (128, 1)):
        r = cpp(n, 62, traj)
        print(f"{n:4d}^2: total {r['total']:.3f} s  field {r['field']*1e3:.1f} ms  assembly {r['assembly']*1e3:.1f} ms  "
              f"factorise+solve {r['solve']:.3f} s  transport {r['transport']:.3f} s  "
              f"solve share {r['solve']/r['total']:.0%}  sub-steps {r['substeps_per_traj']:.0f}")

    print("## SciPy reference, same medium and pressure steps, CPU time of one core")
    for n, steps in ((64, 8), (128, 3)):
        with tempfile.TemporaryDirectory() as d:
            r = cpp(n, steps, 1, d)
            K = np.fromfile(os.path.join(d, "K.bin")).reshape(n, n)
            s_cpp = np.fromfile(os.path.join(d, "s.bin"))
        best = min(cpp(n, steps, 1)["total"] for _ in range(3))
        t0 = time.process_time()
        s_py, t_solve = scipy_reference(K, steps)
        t_py = time.process_time() - t0
        err = np.max(np.abs(s_py - s_cpp))
        print(f"{n:4d}^2, {steps} pressure steps: SciPy {t_py:.2f} s (spsolve {t_solve/t_py:.0%}), C++ {best:.3f} s, "
              f"speed-up {t_py/best:.1f}x, max |s_scipy - s_cpp| {err:.1e}")

    print("## slift simulate, 64 trajectories of configs/flow.yaml at 64^2, one thread per rank")
    times = {}
    with tempfile.TemporaryDirectory() as d:
        for ranks in (1, 2):
            cmd = ["mpiexec", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks), SLIFT, "simulate",
                   "configs/flow.yaml", "--split", "train", "--out", os.path.join(d, f"np{ranks}.h5"), "--threads", "1",
                   "--set", "simulate.n_train=64", "--set", "simulate.nx=64", "--set", "simulate.ny=64",
                   "--set", f"output_dir={d}"]
            t0 = time.perf_counter()
            subprocess.run(cmd, env=ENV, check=True, capture_output=True)
            times[ranks] = time.perf_counter() - t0
    print(f"1 rank {times[1]:.1f} s, 2 ranks {times[2]:.1f} s (wall clock): parallel efficiency "
          f"{times[1] / (2 * times[2]):.2f}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
