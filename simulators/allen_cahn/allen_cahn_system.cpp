// The stochastic Allen-Cahn system: frames of u on a periodic 1-D grid, a random initial condition
// and the noise drawn from (seed, trajectory) alone.
#include <cmath>
#include <string>
#include <vector>

#include "simulators/allen_cahn/stepper.hpp"
#include "simulators/system.hpp"

namespace slift::sim::allen_cahn {
namespace {

class AllenCahnWorker : public Worker {
 public:
  explicit AllenCahnWorker(const Params& p) : p_(p), stepper_(p) {}

  void run(uint64_t seed, uint64_t traj, const std::vector<float*>& out) override {
    Rng initial(seed, traj, "allen_cahn.initial"), noise(seed, traj, "allen_cahn.noise");
    stepper_.start(initial);
    stepper_.field(out[0]);
    for (int f = 1; f < p_.n_frames; ++f) {
      for (int k = 0; k < p_.steps_per_frame; ++k) stepper_.step(noise);
      stepper_.field(out[0] + size_t(f) * p_.n_cells);
    }
  }

 private:
  Params p_;
  Stepper stepper_;
};

class AllenCahnSystem : public System {
 public:
  explicit AllenCahnSystem(const Params& p) : p_(p) {}

  DatasetHeader header() const override {
    DatasetHeader h;
    h.kind = "fields";
    h.dataset_name = "allen_cahn";
    h.state_field = "u";
    for (int f = 0; f < p_.n_frames; ++f) h.time.push_back(f * p_.frame_dt());
    std::vector<double> x;  // i L / n: the grid starts at the domain's edge
    for (int i = 0; i < p_.n_cells; ++i) x.push_back(i * p_.length / p_.n_cells);
    h.axes = {{"x", x}};
    h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}};
    h.simulation_parameters = {{"length", p_.length},
                               {"n_cells", double(p_.n_cells)},
                               {"nu", p_.nu},
                               {"sigma", p_.sigma},
                               {"cubic", p_.cubic ? 1.0 : 0.0},
                               {"t_end", p_.t_end},
                               {"dt", p_.dt()},
                               {"steps_per_frame", double(p_.steps_per_frame)},
                               {"initial_mean", p_.initial_mean},
                               {"initial_spread", p_.initial_spread}};
    return h;
  }

  std::vector<ArraySpec> arrays() const override {
    return {ArraySpec{"t0_fields/u", {uint64_t(p_.n_frames), uint64_t(p_.n_cells)}, true, {true}}};
  }

  std::unique_ptr<Worker> make_worker() const override { return std::make_unique<AllenCahnWorker>(p_); }
  Card card() const override;
  // A blow-up of the explicit cubic ends in non-finite values, which the runner always refuses.
  ValueRange range(size_t) const override { return {-INFINITY, INFINITY, "simulate.dt, simulate.sigma"}; }
  // Every step: two real FFTs of n points (about n log2 n units of work each) and n normal draws;
  // 4.7 ms were measured for 3200 steps of 32 cells on one core of a 2-core x86 machine (2026-12-07).
  double core_seconds_per_trajectory() const override {
    constexpr double kSecondsPerUnit = 2e-9, kSecondsPerDraw = 20e-9;
    const double n = p_.n_cells, steps = double(p_.steps_per_frame) * (p_.n_frames - 1);
    return steps * (kSecondsPerUnit * 2 * n * std::log2(n) + kSecondsPerDraw * n);
  }
  // From a stored frame, n independent frames one frame interval later.
  std::vector<float> next_state_samples(const std::vector<float>& state, double t, int64_t n,
                                        uint64_t seed) const override {
    (void)t;  // autonomous
    Stepper stepper(p_);
    std::vector<float> out(size_t(n) * p_.n_cells);
    for (int64_t i = 0; i < n; ++i) {
      Rng noise(seed, uint64_t(i), "allen_cahn.transition");
      stepper.set_field(state.data());
      for (int k = 0; k < p_.steps_per_frame; ++k) stepper.step(noise);
      stepper.field(out.data() + size_t(i) * p_.n_cells);
    }
    return out;
  }

 private:
  Params p_;
};

Card AllenCahnSystem::card() const {
  Card c;
  c.title = "The stochastic Allen-Cahn equation in 1-D";
  c.equations = "On the periodic interval $[0, L)$: $du = (\\nu u_{xx} + u" + std::string(p_.cubic ? " - u^3" : "") +
                ") dt + \\sigma dW(t, x)$, $dW$ space-time white noise. " +
                (p_.cubic ? "Metastable: u sits near -1 or +1 as a whole and switches between them at random times."
                          : "Without the cubic term every Fourier mode is an Ornstein-Uhlenbeck process.") +
                " All quantities are nondimensional.";
  c.initial_condition = "A Gaussian random field per trajectory around $u = " + num(p_.initial_mean) +
                        "$: its Fourier modes have " + num(p_.initial_spread) +
                        "$^2$ times the stationary variances of the equation linearised at $u = \\pm 1$, "
                        "$\\sigma^2 / (2 (\\nu k^2 + 2))$ per unit of the noise's mode covariance.";
  c.boundary_conditions = "Periodic along x.";
  c.numerics = "Fourier pseudo-spectral on n_cells points $x_i = i L / n_{cells}$; the white noise is resolved by the "
               "grid's Fourier modes. Exponential Euler-Maruyama in Fourier space with step dt: the linear part "
               "$\\nu u_{xx} + u$ exact, the cubic explicit (evaluated on the grid), each mode's noise with its exact "
               "Ornstein-Uhlenbeck variance over the step. A frame is stored every steps_per_frame steps. See "
               "docs/allen_cahn.md.";
  c.fields = {{"u", "order parameter, nondimensional (the wells at -1 and +1); time-varying"}};
  c.physical = {{"length", "L, length of the periodic interval"},
                {"nu", "diffusion coefficient"},
                {"sigma", "strength of the space-time white noise"},
                {"cubic", "1: the term -u^3 is on; 0: off (a linear equation)"},
                {"t_end", "end time"},
                {"initial_mean", "mean of the initial field"},
                {"initial_spread", "the initial fluctuations over those of the linearisation at +-1"}};
  c.numerical = {{"n_cells", "grid points"},
                 {"dt", "time step of the exponential Euler-Maruyama scheme"},
                 {"steps_per_frame", "steps between stored frames"}};
  return c;
}

std::unique_ptr<System> make(config::Section& s) { return std::make_unique<AllenCahnSystem>(read_params(s)); }

}  // namespace

SLIFT_REGISTER_SYSTEM(allen_cahn, "1-D stochastic Allen-Cahn equation, exponential Euler-Maruyama in Fourier space (field u)",
                      make);

}  // namespace slift::sim::allen_cahn
