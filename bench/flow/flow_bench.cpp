// flow_bench N STEPS DT TRAJ [DUMP_DIR]: TRAJ trajectories on an N x N quarter five-spot with the
// Matérn medium of configs/flow.yaml, STEPS pressure steps of DT each. Prints one JSON line with
// the mean per-trajectory CPU time of each phase, the work behind it (factorisation flops, cell
// updates) and this core's floors for both (see sweep_ns_per_cell and peak_gflops). With
// DUMP_DIR, writes the first trajectory's K and final saturation (raw float64, index i * N + j)
// for the SciPy reference to check against.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "bench/flow/five_spot.hpp"
#include "simulators/flow/solver.hpp"

using namespace slift::sim::flow;

// CPU time of this thread: the machine may be shared, and the SciPy side measures the same way.
static double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// The floors the phases are held against, on this core: the bare memory sweep of a transport
// sub-step (read the arrays it reads, s, f_w and the face fluxes along x and y, and write s: no
// arithmetic, no neighbours), in ns per cell over arrays of n cells, and the arithmetic rate of
// independent multiply-add chains, in GFlop/s. Both compiled for AVX-512 and AVX2, as the
// transport's kernels are.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void sweep(int n, double* s, const double* const* c) {
  for (int j = 0; j < n; ++j) s[j] += c[0][j] + c[1][j] + c[2][j];
}

static double sweep_ns_per_cell(int n) {
  std::vector<std::vector<double>> arrays(4, std::vector<double>(n, 1e-9));
  const double* c[3];
  for (int a = 0; a < 3; ++a) c[a] = arrays[a].data();
  const int reps = std::max(1, 200000000 / (4 * n));
  double best = 1e30;
  for (int burst = 0; burst < 5; ++burst) {
    const double t0 = cpu_seconds();
    for (int r = 0; r < reps; ++r) sweep(n, arrays[3].data(), c);
    best = std::min(best, (cpu_seconds() - t0) / reps / n * 1e9);
  }
  return best;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) static double multiply_adds(long n, double x) {
  double acc[32] = {};
  for (long i = 0; i < n; ++i)
    for (int k = 0; k < 32; ++k) acc[k] = acc[k] * x + 1e-9;
  double sum = 0;
  for (double a : acc) sum += a;
  return sum;
}

static double peak_gflops() {
  const long n = 2000000;
  double best = 0, sink = 0;
  for (int burst = 0; burst < 5; ++burst) {
    const double t0 = cpu_seconds();
    sink += multiply_adds(n, 0.999999);
    best = std::max(best, 2.0 * 32 * n / (cpu_seconds() - t0) * 1e-9);
  }
  if (sink == 42) std::printf(" ");  // keep the result alive
  return best;
}

static void dump(const std::string& path, const std::vector<double>& v) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
}

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: flow_bench N STEPS DT TRAJ [DUMP_DIR]\n");
    return 2;
  }
  const int n = std::atoi(argv[1]), steps = std::atoi(argv[2]), n_traj = std::atoi(argv[4]);
  const double dt = std::atof(argv[3]);
  FiveSpot five_spot(n);
  Solver solver(five_spot.problem);
  Timers sum;
  double field = 0, total = 0;
  long substeps = 0;
  for (int t = 0; t < n_traj; ++t) {
    const double t0 = cpu_seconds();
    const std::vector<double>& k = five_spot.permeability(t);
    const double t1 = cpu_seconds();
    solver.setup(k, k);
    for (int s = 0; s < steps; ++s) substeps += solver.step(dt);
    const double t2 = cpu_seconds();
    field += t1 - t0;
    total += t2 - t0;
    const Timers& tm = solver.timers();
    sum.assembly += tm.assembly, sum.solve += tm.solve, sum.transport += tm.transport;
    sum.solve_flops += tm.solve_flops, sum.transport_cells += tm.transport_cells;
    if (t == 0 && argc > 5) {
      dump(std::string(argv[5]) + "/K.bin", k);
      dump(std::string(argv[5]) + "/s.bin", solver.saturation());
    }
  }
  std::printf(
      "{\"n\": %d, \"steps\": %d, \"traj\": %d, \"substeps_per_traj\": %.1f, \"total\": %.6g, \"field\": %.6g, "
      "\"assembly\": %.6g, \"solve\": %.6g, \"transport\": %.6g, \"solve_flops\": %.6g, \"transport_cells\": %.6g, "
      "\"sweep_ns_per_cell\": %.6g, \"peak_gflops\": %.6g}\n",
      n, steps, n_traj, double(substeps) / n_traj, total / n_traj, field / n_traj, sum.assembly / n_traj,
      sum.solve / n_traj, sum.transport / n_traj, sum.solve_flops / n_traj, sum.transport_cells / n_traj,
      sweep_ns_per_cell(n * n), peak_gflops());
  return 0;
}
