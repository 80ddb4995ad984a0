// Physics of the Duffing solver: stationary variances of the linear case, strong order 1 of
// Euler-Maruyama with additive noise (nested Brownian increments).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/config.hpp"
#include "core/rng.hpp"
#include "simulators/duffing/duffing.hpp"
#include "simulators/system.hpp"

using namespace slift;

namespace {

std::unique_ptr<sim::System> duffing_system(const std::string& yaml) {
  auto cfg = config::Config::from_string(yaml);
  auto sim = cfg.root().section("simulate");
  auto system = sim::make_system(sim);
  sim.finish();
  return system;
}

double variance(const std::vector<double>& v) {
  double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size(), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (v.size() - 1);
}

}  // namespace

// With beta = gamma = 0 the SDE is an Ornstein-Uhlenbeck process with stationary variances
// Var v = sigma^2 / (2 delta), Var x = sigma^2 / (2 delta alpha).
TEST(DuffingPhysics, LinearCaseReachesExactStationaryVariances) {
  const double delta = 0.5, alpha = 2.0, sigma = 0.6;
  auto system = duffing_system(
      "simulate: {system: duffing, beta: 0, gamma: 0, delta: 0.5, alpha: 2.0, sigma: 0.6, dt: 0.5, substeps: 50,"
      " n_time: 61, x0_mean: [0, 0], x0_std: [0, 0]}");
  auto worker = system->make_worker();
  const int n = 4000, n_time = 61;
  std::vector<float> traj(n_time * 2);
  std::vector<double> x, v;
  for (int i = 0; i < n; ++i) {
    worker->run(7, i, {traj.data()});
    x.push_back(traj[2 * (n_time - 1)]), v.push_back(traj[2 * (n_time - 1) + 1]);  // t = 30: relaxed
  }
  const double var_v = sigma * sigma / (2 * delta), var_x = var_v / alpha;
  // Standard error of a variance estimate is var * sqrt(2 / n) = 2.2%; allow 4 standard errors
  // plus the O(h) bias of Euler-Maruyama at h = 0.01.
  const double tol = 4 * std::sqrt(2.0 / n) + 0.01;
  EXPECT_NEAR(variance(v) / var_v, 1.0, tol) << "Var v = " << variance(v) << ", exact " << var_v;
  EXPECT_NEAR(variance(x) / var_x, 1.0, tol) << "Var x = " << variance(x) << ", exact " << var_x;
}

// Additive noise: Euler-Maruyama converges with strong order 1. Each coarse path uses the sums
// of the fine Brownian increments, so all step sizes see the same Brownian path.
TEST(DuffingPhysics, EulerMaruyamaHasStrongOrderOne) {
  sim::duffing::Params p;  // the double-well default: nonlinear drift
  p.gamma = 0.3, p.omega = 1.3;
  const double T = 1.0;
  const int fine_level = 12, n_paths = 400;
  const std::vector<int> levels{4, 5, 6, 7, 8};
  std::vector<double> err(levels.size(), 0.0);
  for (int path = 0; path < n_paths; ++path) {
    Rng rng(11, path, "test.brownian");
    const int n_fine = 1 << fine_level;
    const double h_fine = T / n_fine;
    std::vector<double> dW(n_fine);
    for (auto& w : dW) w = std::sqrt(h_fine) * rng.normal();
    auto solve = [&](int level) {
      const int n = 1 << level, ratio = n_fine / n;
      const double h = T / n;
      sim::duffing::State s{1.0, 0.0};
      for (int k = 0; k < n; ++k) {
        double w = 0;
        for (int j = 0; j < ratio; ++j) w += dW[k * ratio + j];
        s = sim::duffing::em_step(p, s, k * h, h, w);
      }
      return s;
    };
    auto ref = solve(fine_level);
    for (size_t l = 0; l < levels.size(); ++l) {
      auto s = solve(levels[l]);
      err[l] += std::hypot(s.x - ref.x, s.v - ref.v) / n_paths;
    }
  }
  // Least-squares slope of log(error) against log(h).
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t l = 0; l < levels.size(); ++l) {
    double lx = std::log(T / (1 << levels[l])), ly = std::log(err[l]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
  }
  const double m = levels.size();
  const double order = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  EXPECT_NEAR(order, 1.0, 0.15) << "errors: " << err[0] << " ... " << err.back();
}

// The conditional sampler used by the evaluation starts from the given state: with no noise it
// reproduces the deterministic Euler steps of a worker trajectory exactly.
TEST(DuffingPhysics, NextStateSamplesMatchTheSolverWithoutNoise) {
  auto system = duffing_system(
      "simulate: {system: duffing, sigma: 0, dt: 0.1, substeps: 20, n_time: 3, x0_mean: [0.7, -0.2], x0_std: [0, 0]}");
  std::vector<float> traj(6);
  system->make_worker()->run(1, 0, {traj.data()});
  auto next = system->next_state_samples({traj[0], traj[1]}, 0.0, 3, 5);
  ASSERT_EQ(next.size(), 6u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(next[2 * i], traj[2]);
    EXPECT_FLOAT_EQ(next[2 * i + 1], traj[3]);
  }
}
