// Leapfrog + spectral operator: exact solution for constant speed, order in dt, energy.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/rng.hpp"
#include "simulators/wave/medium.hpp"
#include "simulators/wave/solver.hpp"
#include "wave/wave_test_support.hpp"

namespace slift::sim::wave {
namespace {

constexpr double kL = 2 * M_PI;

// u(t) = IFFT(u0_hat(k) cos(c |k| t)): exact in time for the spectral-in-space problem.
RealBuffer exact_constant_speed(const RealBuffer& u0, int n, double c, double t) {
  RealFft2d fft(n);
  SpectrumBuffer s(fft.spectrum_size());
  RealBuffer u(fft.real_size());
  fft.forward(u0.data(), s.data());
  const int half = n / 2 + 1;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < half; ++j) {
      const double kx = i <= n / 2 ? i : i - n, k = std::hypot(kx, double(j)) * 2 * M_PI / kL;
      s[size_t(i) * half + j] *= std::cos(c * k * t) / (double(n) * n);
    }
  fft.backward(s.data(), u.data());
  return u;
}

// A smooth random medium in [0.3, 1] on n^2 (the solver's own sampler).
RealBuffer medium(int n, uint64_t traj) {
  Params p;
  p.n_solve = n, p.k0 = 2, p.c_min = 0.3, p.c_max = 1.0;
  MediumSampler sampler(p);
  RealBuffer c(size_t(n) * n);
  Rng rng(7, traj, "wave.medium");
  sampler.sample_speed(rng, c.data());
  return c;
}

class ConstantSpeed : public ::testing::TestWithParam<Form> {};

// The leapfrog solution for c = 0.8 against the exact one at t = 0.25, 1, 2.5: before and after
// the front spreads.
void expect_exact_constant_speed(LeapfrogSolver& solver) {
  const int n = solver.n();
  const double c = 0.8, dt = 1e-3;
  RealBuffer u0 = test::bump(n, kL, 0.32), speed(size_t(n) * n);
  for (size_t i = 0; i < speed.size(); ++i) speed[i] = c;
  solver.set_medium(speed.data());
  solver.start(u0.data());
  int step = 1;
  for (int target : {250, 1000, 2500}) {
    for (; step < target; ++step) solver.step();
    RealBuffer exact = exact_constant_speed(u0, n, c, target * dt);
    EXPECT_LT(test::max_abs_diff(solver.u(), exact.data(), u0.size()), 2e-6) << "t = " << target * dt;
  }
}

TEST_P(ConstantSpeed, MatchesExactFourierSolutionAtSeveralTimes) {
  LeapfrogSolver solver(64, kL, GetParam(), 1e-3);
  expect_exact_constant_speed(solver);
}

// Plans FFTW measured (simulate.fft_plans: measure) take other algorithms: the same tolerance.
TEST_P(ConstantSpeed, MatchesExactFourierSolutionWithMeasuredPlans) {
  std::unique_ptr<LeapfrogSolver> solver;
  {
    MeasuredPlans measured("", /*wisdom_only=*/false);
    solver = std::make_unique<LeapfrogSolver>(64, kL, GetParam(), 1e-3);
    EXPECT_NE(measured.wisdom().find("(fftw_"), std::string::npos) << "no plan was measured";
  }
  expect_exact_constant_speed(*solver);
}

TEST_P(ConstantSpeed, ErrorAgainstExactSolutionIsSecondOrderInDt) {
  const int n = 64;
  const double c = 0.8, t = 2.0;
  RealBuffer u0 = test::bump(n, kL, 0.32), speed(size_t(n) * n);
  for (size_t i = 0; i < speed.size(); ++i) speed[i] = c;
  RealBuffer exact = exact_constant_speed(u0, n, c, t);
  std::vector<double> err;
  for (int steps : {100, 200, 400}) {
    LeapfrogSolver solver(n, kL, GetParam(), t / steps);
    solver.set_medium(speed.data());
    solver.start(u0.data());
    for (int s = 1; s < steps; ++s) solver.step();
    err.push_back(test::max_abs_diff(solver.u(), exact.data(), u0.size()));
  }
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(std::log2(err[i] / err[i + 1]), 2.0, 0.2) << err[i] << " " << err[i + 1];
}

INSTANTIATE_TEST_SUITE_P(Wave, ConstantSpeed, ::testing::Values(Form::laplacian, Form::divergence),
                         [](const auto& info) { return info.param == Form::laplacian ? "laplacian" : "divergence"; });

class RandomMedium : public ::testing::TestWithParam<Form> {};

// Self-convergence in a random medium: |u_dt - u_dt/2| / |u_dt/2 - u_dt/4| = 4 for order 2.
TEST_P(RandomMedium, ObservedOrderInDtIsTwo) {
  const int n = 64;
  const double t = 2.0;
  RealBuffer u0 = test::bump(n, kL, 0.32), c = medium(n, 3);
  std::vector<RealBuffer> u;
  for (int steps : {100, 200, 400, 800}) {
    LeapfrogSolver solver(n, kL, GetParam(), t / steps);
    solver.set_medium(c.data());
    solver.start(u0.data());
    for (int s = 1; s < steps; ++s) solver.step();
    RealBuffer copy(u0.size());
    for (size_t i = 0; i < u0.size(); ++i) copy[i] = solver.u()[i];
    u.push_back(std::move(copy));
  }
  for (int i = 0; i + 2 < 4; ++i) {
    const double coarse = test::max_abs_diff(u[i].data(), u[i + 1].data(), u0.size());
    const double fine = test::max_abs_diff(u[i + 1].data(), u[i + 2].data(), u0.size());
    EXPECT_NEAR(std::log2(coarse / fine), 2.0, 0.2) << coarse << " " << fine;
  }
}

TEST_P(RandomMedium, DiscreteEnergyIsConserved) {
  const int n = 64;
  RealBuffer u0 = test::bump(n, kL, 0.32), c = medium(n, 5);
  const double dt = 0.9 * leapfrog_dt_limit(n, kL, 1.0);  // near the limit: the hardest case
  LeapfrogSolver solver(n, kL, GetParam(), dt);
  solver.set_medium(c.data());
  solver.start(u0.data());
  const double e0 = solver.energy();
  ASSERT_GT(e0, 0);
  double drift = 0, kinetic_seen = 0;
  for (int s = 0; s < 2000; ++s) {  // t ~ 60: the wave crosses the domain several times
    solver.step();
    drift = std::fmax(drift, std::fabs(solver.energy() - e0) / e0);
    kinetic_seen = std::fmax(kinetic_seen, test::max_abs_diff(solver.u(), solver.u_prev(), u0.size()));
  }
  EXPECT_LT(drift, 1e-10);
  EXPECT_GT(kinetic_seen, 1e-3);  // the field did move
}

INSTANTIATE_TEST_SUITE_P(Wave, RandomMedium, ::testing::Values(Form::laplacian, Form::divergence),
                         [](const auto& info) { return info.param == Form::laplacian ? "laplacian" : "divergence"; });

TEST(Leapfrog, UnstableJustBeyondTheLimit) {
  // The limit is sharp: 5% above it, the highest mode grows without bound.
  const int n = 32;
  RealBuffer u0 = test::bump(n, kL, 0.32), c(size_t(n) * n);
  for (size_t i = 0; i < c.size(); ++i) c[i] = 1.0;
  for (double f : {0.95, 1.05}) {
    LeapfrogSolver solver(n, kL, Form::laplacian, f * leapfrog_dt_limit(n, kL, 1.0));
    solver.set_medium(c.data());
    solver.start(u0.data());
    for (int s = 0; s < 300; ++s) solver.step();
    double peak = 0;
    for (size_t i = 0; i < u0.size(); ++i) peak = std::fmax(peak, std::fabs(solver.u()[i]));
    if (f < 1) EXPECT_LT(peak, 1.5) << f;
    else EXPECT_GT(peak, 1e3) << f;
  }
}

}  // namespace
}  // namespace slift::sim::wave
