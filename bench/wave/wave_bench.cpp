// Time per leapfrog step against the bare FFTs that step needs, on one core.
//
//   wave_bench [form] [n ...]      e.g. wave_bench laplacian 64 128 256
// One line per grid: key=value pairs (read by bench_wave.py). The laplacian form needs one
// r2c + c2r pair per step, the divergence form three pairs. Steps and FFTs are timed in
// alternating short bursts and each keeps its fastest burst: on a shared, loaded machine both
// see the same load, and the minimum is the least disturbed estimate. Each is timed twice: with
// estimated plans (the default) and with measured ones (simulate.fft_plans: measure).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "simulators/fftw.hpp"
#include "simulators/wave/medium.hpp"
#include "simulators/wave/solver.hpp"

using namespace slift::sim;
using namespace slift::sim::wave;

namespace {

template <class F>
double seconds_per_call(int calls, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / calls;
}

void bench(int n, Form form) {
  Params p;
  p.n_solve = n, p.c_min = 0.2, p.c_max = 1.0;
  MediumSampler sampler(p);
  RealBuffer c(size_t(n) * n), u0(size_t(n) * n);
  slift::Rng rng(1, 0, "wave.medium");
  sampler.sample_speed(rng, c.data());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double x = 2 * M_PI * i / n - M_PI, y = 2 * M_PI * j / n - M_PI;
      u0[size_t(i) * n + j] = std::exp(-5 * (x * x + y * y));
    }
  const double dt = 0.5 * leapfrog_dt_limit(n, p.length, p.c_max);
  // The solver and the bare FFTs with estimated plans (the default) and with measured ones
  // (simulate.fft_plans: measure), each pair planned as the runner plans it.
  auto make = [&](std::unique_ptr<LeapfrogSolver>& solver, std::unique_ptr<RealFft2d>& fft) {
    solver = std::make_unique<LeapfrogSolver>(n, p.length, form, dt);
    solver->set_medium(c.data());
    solver->start(u0.data());
    fft = std::make_unique<RealFft2d>(n);
  };
  std::unique_ptr<LeapfrogSolver> solver, measured_solver;
  std::unique_ptr<RealFft2d> fft, measured_fft;
  make(solver, fft);
  {
    MeasuredPlans measured("", /*wisdom_only=*/false);
    make(measured_solver, measured_fft);
  }
  RealBuffer real(fft->real_size());
  SpectrumBuffer spec(fft->spectrum_size());
  for (size_t i = 0; i < real.size(); ++i) real[i] = u0[i];
  const int pairs = form == Form::laplacian ? 1 : 3;
  auto ffts = [&](const RealFft2d& f) {
    for (int k = 0; k < pairs; ++k) {
      f.forward(real.data(), spec.data());
      f.backward(spec.data(), real.data());
    }
  };
  const int calls = std::max(5, static_cast<int>(2e5 / (double(n) * n)));  // ~ms bursts
  double step = 1e30, fft_time = 1e30, measured_step = 1e30, measured_fft_time = 1e30;
  for (int burst = 0; burst < 200; ++burst) {
    step = std::min(step, seconds_per_call(calls, [&] { solver->step(); }));
    fft_time = std::min(fft_time, seconds_per_call(calls, [&] { ffts(*fft); }));
    measured_step = std::min(measured_step, seconds_per_call(calls, [&] { measured_solver->step(); }));
    measured_fft_time = std::min(measured_fft_time, seconds_per_call(calls, [&] { ffts(*measured_fft); }));
  }
  std::printf("n=%d form=%s step_us=%.3f fft_us=%.3f ratio=%.3f step_measure_us=%.3f fft_measure_us=%.3f\n", n,
              form == Form::laplacian ? "laplacian" : "divergence", step * 1e6, fft_time * 1e6, step / fft_time,
              measured_step * 1e6, measured_fft_time * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  Form form = Form::laplacian;
  std::vector<int> sizes;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "laplacian" || arg == "divergence") form = arg == "laplacian" ? Form::laplacian : Form::divergence;
    else sizes.push_back(std::stoi(arg));
  }
  if (sizes.empty()) sizes = {64, 128, 256};
  for (int n : sizes) bench(n, form);
}
