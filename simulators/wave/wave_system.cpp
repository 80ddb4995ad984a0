// The wave system: fixed Gaussian bump, random medium per trajectory, frames of u and the medium.
#include <cmath>

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
        u0_(size_t(p.n_solve) * p.n_solve),
        c_(size_t(p.n_solve) * p.n_solve) {
    const int n = p.n_solve;
    const double h = p.length / n, w2 = 2 * p.bump_width * p.bump_width;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const double dx = i * h - p.bump_x, dy = j * h - p.bump_y;
        u0_[size_t(i) * n + j] = p.bump_amplitude * std::exp(-(dx * dx + dy * dy) / w2);
      }
  }

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
  explicit WaveSystem(const Params& p) : p_(p) {}

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
  ValueRange range(size_t) const override {
    return {-INFINITY, INFINITY, "simulate.initial.amplitude, simulate.dt, simulate.medium.c_max"};
  }

 private:
  Params p_;
};

std::unique_ptr<System> make(config::Section& s) { return std::make_unique<WaveSystem>(read_params(s)); }

}  // namespace

SLIFT_REGISTER_SYSTEM(wave, "2-D wave equation in a random medium, spectral + leapfrog (fields u, c)", make);

}  // namespace slift::sim::wave
