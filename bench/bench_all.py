#!/usr/bin/python3
"""The solvers against their limits and references, in one run on one core:

  /usr/bin/python3 bench/bench_all.py [--build build/release] [--reps 5]

1. start-up: wall time of a 1-trajectory `slift simulate configs/duffing.yaml` (no launcher, so
   no MPI) against the 0.15 s limit, beside `slift --help` (the bare cost of starting the binary);
2. flow: a whole trajectory of the C++ solver (flow_bench, 62 pressure steps to t_end 1) against
   the SciPy transcription of the same scheme on the same medium (bench/flow/bench_flow.py), at
   64^2 and 128^2; the goal is 20x; the C++ phases as shares of its trajectory and against this
   core's limits (flow_bench measures both: the rate of independent multiply-adds, and a bare
   sweep over the transport's per-cell arrays);
3. wave: the C++ leapfrog step against the NumPy step (bench/wave/bench_wave.py) at 64^2 and
   128^2, float64, with estimated plans (the default) and measured ones (simulate.fft_plans: measure);
   the goal is 10x; the step against its bare FFTs (their limit).

The two sides of each ratio run in turn (A B A B ...) and every ratio is printed as min and
median over the pairs: the machine may be shared, and pairing keeps the ratio meaningful. Times
of the solvers are CPU seconds of one thread; start-up times are wall seconds.
Needs Debian's python3-numpy and python3-scipy (scripts/install-deps.sh --bench).
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench/flow"), str(ROOT / "bench/wave")]
import bench_flow  # noqa: E402  (the SciPy reference and the flow_bench driver)
import bench_wave  # noqa: E402  (the NumPy reference and the wave_bench driver)

STARTUP_LIMIT_S = 0.15
FLOW_GOAL, WAVE_GOAL = 20.0, 10.0


def min_median(values):
    return f"min {min(values):.3g}, median {statistics.median(values):.3g}"


def wall(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=bench_flow.ENV)
    return time.perf_counter() - t0


def startup(slift, reps):
    times = {"simulate": [], "help": []}
    with tempfile.TemporaryDirectory() as d:
        for r in range(reps + 1):  # the first pair warms the page cache and is not counted
            out = os.path.join(d, f"s{r}.h5")
            sim = wall([slift, "simulate", str(ROOT / "configs/duffing.yaml"), "--out", out, "--set", f"output_dir={d}",
                        "--set", "simulate.n_train=1", "-q"])
            help_ = wall([slift, "--help"])
            if r:
                times["simulate"].append(sim), times["help"].append(help_)
    sim = times["simulate"]
    print(f"1. start-up: 1-trajectory slift simulate {min_median(sim)} s wall; limit {STARTUP_LIMIT_S} s: "
          f"median at {statistics.median(sim) / STARTUP_LIMIT_S:.0%} of it; slift --help {min_median(times['help'])} s")


def flow(reps):
    print(f"2. flow: whole trajectory (62 pressure steps) vs SciPy {scipy.__version__}, goal {FLOW_GOAL:.0f}x")
    steps = 62
    for n, n_reps in ((64, reps), (128, max(2, reps // 2))):
        with tempfile.TemporaryDirectory() as d:
            bench_flow.cpp(n, steps, 1, d)
            K = np.fromfile(os.path.join(d, "K.bin")).reshape(n, n)
            s_cpp = np.fromfile(os.path.join(d, "s.bin"))
        ratios, cpp_runs, py_times = [], [], []
        for _ in range(n_reps):
            r = bench_flow.cpp(n, steps, 1)
            solver = r["total"] - r["field"]  # SciPy is given K: compare the solver alone
            t0 = time.process_time()
            s_py, t_solve = bench_flow.scipy_reference(K, steps)
            t_py = time.process_time() - t0
            cpp_runs.append(r), py_times.append(t_py), ratios.append(t_py / solver)
        err = np.max(np.abs(s_py - s_cpp))
        best = min(cpp_runs, key=lambda r: r["total"] - r["field"])
        total = best["total"] - best["field"]
        print(f"   {n:4d}^2: C++ {total:.3f} s, SciPy {min(py_times):.2f} s (spsolve {t_solve / t_py:.0%}); "
              f"speed-up {min_median(ratios)} ({statistics.median(ratios) / FLOW_GOAL:.0%} of the goal); "
              f"max |s_scipy - s_cpp| {err:.1e}")
        gflops = best["solve_flops"] / best["solve"] * 1e-9
        ns_cell = best["transport"] / best["transport_cells"] * 1e9
        wet = best["transport_cells"] / (best["substeps_per_traj"] * n * n)
        print(f"          C++ phases: assembly {best['assembly'] / total:.0%}, factorise+solve {best['solve'] / total:.0%}, "
              f"transport {best['transport'] / total:.0%} ({best['substeps_per_traj']:.0f} sub-steps, "
              f"{best['transport'] / best['substeps_per_traj'] * 1e6:.1f} us each)")
        print(f"          against this core's limits: factorise+solve {gflops:.1f} GFlop/s = "
              f"{gflops / best['peak_gflops']:.0%} of its multiply-add rate ({best['peak_gflops']:.0f} GFlop/s); "
              f"transport {ns_cell:.2f} ns per updated cell ({wet:.0%} of the cells are wet) = "
              f"{best['sweep_ns_per_cell'] / ns_cell:.0%} of the bare sweep of its arrays ({best['sweep_ns_per_cell']:.2f} ns)")


def wave(build, reps):
    print(f"3. wave: leapfrog step vs NumPy {np.__version__} (float64), goal {WAVE_GOAL:.0f}x; bare FFTs = the step's limit")
    for n in (64, 128):
        ratios, measured_ratios, cpp_rows = [], [], []
        for _ in range(reps):
            c = bench_wave.cpp_steps(build, [n])[n]
            ref, _ = bench_wave.numpy_step_us(n)
            cpp_rows.append(c), ratios.append(ref / c["step_us"]), measured_ratios.append(ref / c["step_measure_us"])
        c = min(cpp_rows, key=lambda r: r["step_us"])
        m = min(cpp_rows, key=lambda r: r["step_measure_us"])
        print(f"   {n:4d}^2: C++ step {c['step_us']:.1f} us, bare FFTs {c['fft_us']:.1f} us (step at "
              f"{c['fft_us'] / c['step_us']:.0%} of its limit); speed-up {min_median(ratios)} "
              f"({statistics.median(ratios) / WAVE_GOAL:.0%} of the goal)")
        print(f"          measured plans (simulate.fft_plans: measure): step {m['step_measure_us']:.1f} us, bare FFTs "
              f"{m['fft_measure_us']:.1f} us ({m['fft_measure_us'] / m['step_measure_us']:.0%}); speed-up "
              f"{min_median(measured_ratios)} ({statistics.median(measured_ratios) / WAVE_GOAL:.0%} of the goal)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=str(ROOT / "build/release"))
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    build = pathlib.Path(a.build).resolve()
    bench_flow.BENCH = str(build / "bench/flow/flow_bench")
    os.environ["OMP_NUM_THREADS"] = "1"
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    print(f"# solver bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpu}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    startup(str(build / "pipeline/slift"), a.reps)
    flow(a.reps)
    wave(build, a.reps)


if __name__ == "__main__":
    main()
