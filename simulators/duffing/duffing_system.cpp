#include <cmath>

#include "core/rng.hpp"
#include "simulators/duffing/duffing.hpp"
#include "simulators/system.hpp"

namespace slift::sim::duffing {
namespace {

class DuffingWorker : public Worker {
 public:
  explicit DuffingWorker(const Params& p) : p_(p) {}
  void run(uint64_t seed, uint64_t traj, const std::vector<float*>& out) override {
    Rng init(seed, traj, "duffing.initial"), noise(seed, traj, "duffing.noise");
    State s{p_.x0_mean[0] + p_.x0_std[0] * init.normal(), p_.x0_mean[1] + p_.x0_std[1] * init.normal()};
    const double h = p_.dt / p_.substeps, sqrt_h = std::sqrt(h);
    float* states = out[0];
    states[0] = static_cast<float>(s.x), states[1] = static_cast<float>(s.v);
    for (int n = 1; n < p_.n_time; ++n) {
      for (int k = 0; k < p_.substeps; ++k) {
        double t = (n - 1) * p_.dt + k * h;
        s = em_step(p_, s, t, h, sqrt_h * noise.normal());
      }
      states[2 * n] = static_cast<float>(s.x), states[2 * n + 1] = static_cast<float>(s.v);
    }
  }

 private:
  Params p_;
};

class DuffingSystem : public System {
 public:
  explicit DuffingSystem(const Params& p) : p_(p) {}
  DatasetHeader header() const override {
    DatasetHeader h;
    h.kind = "states";
    h.dataset_name = "duffing";
    h.state_names = {"x", "v"};
    for (int n = 0; n < p_.n_time; ++n) h.time.push_back(n * p_.dt);
    h.simulation_parameters = {{"delta", p_.delta}, {"alpha", p_.alpha}, {"beta", p_.beta},   {"gamma", p_.gamma},
                               {"omega", p_.omega}, {"sigma", p_.sigma}, {"dt", p_.dt}, {"substeps", double(p_.substeps)}};
    return h;
  }
  std::vector<ArraySpec> arrays() const override {
    return {ArraySpec{"states", {static_cast<uint64_t>(p_.n_time), 2}, true, {}}};
  }
  std::unique_ptr<Worker> make_worker() const override { return std::make_unique<DuffingWorker>(p_); }
  double core_seconds_per_trajectory() const override {
    constexpr double kSecondsPerStep = 60e-9;  // one Euler-Maruyama step and its normal draw
    return kSecondsPerStep * (p_.n_time - 1) * p_.substeps;
  }
  std::vector<float> next_state_samples(const std::vector<float>& state, double t, int64_t n,
                                        uint64_t seed) const override {
    std::vector<float> out(2 * n);
    const double h = p_.dt / p_.substeps, sqrt_h = std::sqrt(h);
    for (int64_t i = 0; i < n; ++i) {
      Rng noise(seed, i, "duffing.transition");
      State s{state[0], state[1]};
      for (int k = 0; k < p_.substeps; ++k) s = em_step(p_, s, t + k * h, h, sqrt_h * noise.normal());
      out[2 * i] = static_cast<float>(s.x), out[2 * i + 1] = static_cast<float>(s.v);
    }
    return out;
  }

 private:
  Params p_;
};

std::unique_ptr<System> make(config::Section& s) {
  Params p;
  p.delta = s.get("delta", p.delta, config::non_negative());
  p.alpha = s.get("alpha", p.alpha);
  p.beta = s.get("beta", p.beta);
  p.gamma = s.get("gamma", p.gamma);
  p.omega = s.get("omega", p.omega);
  p.sigma = s.get("sigma", p.sigma, config::non_negative());
  p.dt = s.get("dt", p.dt, config::positive());
  p.substeps = s.get("substeps", p.substeps, config::at_least(1));
  p.n_time = s.get("n_time", p.n_time, config::at_least(2));
  auto pair = [](const std::vector<double>& v) -> std::optional<std::string> {
    if (v.size() != 2) return "expected 2 values (x, v), got " + std::to_string(v.size());
    return std::nullopt;
  };
  p.x0_mean = s.get("x0_mean", p.x0_mean, config::Check<std::vector<double>>(pair));
  p.x0_std = s.get("x0_std", p.x0_std, config::Check<std::vector<double>>([&](const std::vector<double>& v) {
                     if (auto e = pair(v)) return e;
                     if (v[0] < 0 || v[1] < 0) return std::optional<std::string>("standard deviations must be >= 0");
                     return std::optional<std::string>();
                   }));
  return std::make_unique<DuffingSystem>(p);
}

}  // namespace

SLIFT_REGISTER_SYSTEM(duffing, "Duffing oscillator SDE, Euler-Maruyama (states x, v)", make);

}  // namespace slift::sim::duffing
