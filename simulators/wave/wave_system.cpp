// The wave system: fixed Gaussian bump, random medium per trajectory, frames of u and the medium.
#include <cmath>
#include <vector>

#include "simulators/system.hpp"
#include "simulators/wave/medium.hpp"
#include "simulators/wave/resample.hpp"
#include "simulators/wave/solver.hpp"

namespace slift::sim::wave {
namespace {

class WaveWorker : public Worker {
 public:
  explicit WaveWorker(const Params& p)
      : p_(p),
        medium_(p),
        solver_(p.n_solve, p.length, p.form, p.dt()),
        resample_(p.n_solve, p.n_out, p.downsample),
        u0_(initial_bump(p)),
        c_(size_t(p.n_solve) * p.n_solve) {}

  void run(uint64_t seed, uint64_t traj, const std::vector<float*>& out) override {
    Rng rng(seed, traj, "wave.medium");
    medium_.sample_speed(rng, c_.data());
    resample_.apply(c_.data(), out[1]);
    const size_t frame = size_t(p_.n_out) * p_.n_out;
    resample_.apply(u0_.data(), out[0]);
    solver_.set_medium(c_.data());
    solver_.start(u0_.data());
    for (int f = 1; f < p_.n_frames; ++f) {
      // start() took the first step of the first frame.
      for (int k = f == 1 ? 1 : 0; k < p_.steps_per_frame; ++k) solver_.step();
      resample_.apply(solver_.u(), out[0] + f * frame);
    }
  }

 private:
  Params p_;
  MediumSampler medium_;
  LeapfrogSolver solver_;
  Resampler resample_;
  RealBuffer u0_, c_;
};

class WaveSystem : public System {
 public:
  explicit WaveSystem(const Params& p) : p_(p), frame_norm_(frame_norm_bounds(p)) {}

  DatasetHeader header() const override {
    DatasetHeader h;
    h.kind = "fields";
    h.dataset_name = "wave";
    h.state_field = "u";  // the displacement; t0_fields/c is the medium
    for (int f = 0; f < p_.n_frames; ++f) h.time.push_back(f * p_.frame_dt());
    for (int i = 0; i < p_.n_out; ++i) h.x.push_back(i * p_.length / p_.n_out);
    h.y = h.x;
    h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}, {"periodic_y", "PERIODIC", {"y"}}};
    h.simulation_parameters = {{"length", p_.length},
                               {"n_solve", double(p_.n_solve)},
                               {"n_out", double(p_.n_out)},
                               {"t_end", p_.t_end},
                               {"dt", p_.dt()},
                               {"steps_per_frame", double(p_.steps_per_frame)},
                               {"dt_limit", leapfrog_dt_limit(p_.n_solve, p_.length, p_.speed_bound())},
                               {"c_bound", p_.speed_bound()},
                               {"k0", p_.k0},
                               {"bump_width", p_.bump_width}};
    return h;
  }

  std::vector<ArraySpec> arrays() const override {
    const uint64_t n = static_cast<uint64_t>(p_.n_out);
    return {ArraySpec{"t0_fields/u", {static_cast<uint64_t>(p_.n_frames), n, n}, true, {true, true}},
            ArraySpec{"t0_fields/c", {n, n}, false, {true, true}}};
  }

  std::unique_ptr<Worker> make_worker() const override { return std::make_unique<WaveWorker>(p_); }
  bool measured_fft_plans() const override { return p_.fft_plans == FftPlans::measure; }
  // fft_plans came after wave data existed; estimate is what those data were made with.
  std::vector<std::string> unhashed_keys() const override {
    return p_.fft_plans == FftPlans::estimate ? std::vector<std::string>{"fft_plans"} : std::vector<std::string>{};
  }
  // Every leapfrog step applies the spectral operator: 2 real FFTs of n^2 points (laplacian form)
  // or 6 (divergence form), each about n^2 log2(n^2) units of work.
  double core_seconds_per_trajectory() const override {
    constexpr double kSecondsPerUnit = 0.19e-9;
    const double n2 = double(p_.n_solve) * p_.n_solve, ffts = p_.form == Form::laplacian ? 2 : 6;
    return kSecondsPerUnit * ffts * n2 * std::log2(n2) * (double(p_.steps_per_frame) * (p_.n_frames - 1) + 1);
  }
  ValueRange range(size_t) const override {
    return {-INFINITY, INFINITY, "simulate.initial.amplitude, simulate.dt, simulate.medium.c_max"};
  }
  std::vector<double> frame_norm_bound(size_t array_index) const override {
    return array_index == 0 ? frame_norm_ : std::vector<double>();
  }

 private:
  Params p_;
  std::vector<double> frame_norm_;  // of t0_fields/u, per frame
};

std::unique_ptr<System> make(config::Section& s) { return std::make_unique<WaveSystem>(read_params(s)); }

}  // namespace

SLIFT_REGISTER_SYSTEM(wave, "2-D wave equation in a random medium, spectral + leapfrog (fields u, c)", make);

}  // namespace slift::sim::wave
