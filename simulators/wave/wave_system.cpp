// The wave system: fixed Gaussian bump, random medium per trajectory, frames of u and the medium.
#include <cmath>
#include <cstdio>
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
    std::vector<double> points;  // i L / n: the stored grid starts at the domain's edge
    for (int i = 0; i < p_.n_out; ++i) points.push_back(i * p_.length / p_.n_out);
    h.axes = {{"x", points}, {"y", points}};
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
  Card card() const override;
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

Card WaveSystem::card() const {
  auto num = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  Card c;
  c.title = "A travelling wave through a random medium";
  c.equations = std::string("On the periodic square $[0, L)^2$: ") +
                (p_.form == Form::laplacian ? "$u_{tt} = c(x)^2 \\Delta u$ (energy $\\frac12 \\int u_t^2 / c^2 + |\\nabla u|^2$)."
                                            : "$u_{tt} = \\nabla\\cdot(c(x)^2 \\nabla u)$ (energy $\\frac12 \\int u_t^2 + c^2 |\\nabla u|^2$).") +
                " The medium c is static and random per trajectory: a Gaussian field g whose mode variance is "
                "$\\exp(-\\ln(|k| / k_0)^2 / (2 \\cdot " + num(p_.spectrum_width) + "^2))$ ($|k|$, $k_0$ in units of "
                "$2\\pi / L$), " +
                (p_.speed_map == SpeedMap::minmax
                     ? "mapped per sample affinely onto [" + num(p_.c_min) + ", " + num(p_.c_max) + "]."
                     : "mapped to $c = " + num(p_.c_ref) + " \\exp(" + num(p_.log_std) + " g)$, g of unit variance clipped to $|g| \\le " +
                           num(p_.clip) + "$.") +
                " All quantities are nondimensional.";
  c.initial_condition = "$u(x, 0) = " + num(p_.bump_amplitude) + " \\exp(-|x - x_0|^2 / (2 \\cdot " + num(p_.bump_width) +
                        "^2))$, $x_0 = (" + num(p_.bump_x) + ", " + num(p_.bump_y) +
                        ")$, and $u_t(x, 0) = 0$: the same in every trajectory; only the medium is random.";
  c.boundary_conditions = "Periodic along x and y.";
  c.numerics = "Fourier spectral in space on n_solve x n_solve points $x_j = j L / n_{solve}$, leapfrog in time with step dt "
               "(started by the Taylor step $u_1 = u_0 + \\frac12 dt^2 A u_0$), below the stability limit dt_limit; every "
               "steps_per_frame steps a frame is stored on n_out x n_out points $x_i = i L / n_{out}$ (from 0, not cell "
               "centres) by " +
               std::string(p_.downsample == Downsample::stride ? "taking every (n_solve / n_out)-th point" : "spectral truncation") +
               ". See docs/wave.md.";
  c.fields = {{"u", "displacement, nondimensional (the bump's height at t = 0); time-varying"},
              {"c", "wave speed, length per unit time; static"}};
  c.physical = {{"length", "L, side of the periodic square"},
                {"t_end", "end time"},
                {"c_bound", "largest speed any sample can have"},
                {"k0", "peak wavenumber of the medium's spectrum, in units of 2 pi / L"},
                {"bump_width", "w, width of the initial bump"}};
  c.numerical = {{"n_solve", "solver grid points per side"},
                 {"n_out", "stored grid points per side"},
                 {"dt", "leapfrog time step"},
                 {"steps_per_frame", "leapfrog steps between stored frames"},
                 {"dt_limit", "leapfrog stability limit for c_bound on the solver grid"}};
  return c;
}

std::unique_ptr<System> make(config::Section& s) { return std::make_unique<WaveSystem>(read_params(s)); }

}  // namespace

SLIFT_REGISTER_SYSTEM(wave, "2-D wave equation in a random medium, spectral + leapfrog (fields u, c)", make);

}  // namespace slift::sim::wave
