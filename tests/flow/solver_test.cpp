// Physics of the IMPES solver: conservation, bounds, Buckley-Leverett, five-spot symmetry and
// the sub-step count's robustness.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/rng.hpp"
#include "simulators/flow/matern.hpp"
#include "simulators/flow/solver.hpp"

using namespace slift::sim::flow;

namespace {

Problem five_spot(int n) {
  Problem pb;
  pb.grid.nx = pb.grid.ny = n;
  pb.wells = {{0, 0, 1.0}, {n - 1, n - 1, -1.0}};
  return pb;
}

// A log-normal Matérn medium (sigma 1.5: strong channels, so fluxes vary a lot between cells).
void random_medium(const Grid& g, std::vector<double>& kx, std::vector<double>& ky, uint64_t traj) {
  std::string why;
  auto e = Embedding::make(g.nx, g.ny, g.hx(), g.hy(), MaternParams{1.5, 0.15, 1.5, 0.0}, 8, why);
  ASSERT_TRUE(e) << why;
  FieldSampler sampler(std::make_shared<const Embedding>(*e));
  std::vector<double> g1(g.cells()), g2(g.cells());
  slift::Rng rng(7, traj, "test.medium");
  sampler.sample(rng, g1.data(), g2.data());
  kx.resize(g.cells()), ky.resize(g.cells());
  for (int c = 0; c < g.cells(); ++c) kx[c] = std::exp(g1[c]), ky[c] = std::exp(g2[c]);
}

}  // namespace

// Injected water = water in place + produced water, after every pressure step, to round-off;
// and 0 <= s <= 1 everywhere. Both fluid sets: the reference one and one with connate water,
// residual oil and a viscosity ratio whose f_w slope exceeds the reference factor 3.
TEST(FlowSolver, ConservesWaterAndKeepsSaturationInBounds) {
  std::vector<Fluid> fluids{Fluid{}, Fluid{0.2, 6.0, 0.1, 0.15}};
  for (const Fluid& fluid : fluids) {
    SCOPED_TRACE("mu_w " + std::to_string(fluid.mu_w) + " mu_o " + std::to_string(fluid.mu_o));
    Problem pb = five_spot(24);
    pb.fluid = fluid;
    pb.porosity = 0.3;
    pb.wells = {{0, 0, 0.7}, {5, 17, 0.3}, {23, 23, -0.6}, {20, 3, -0.4}};
    std::vector<double> kx, ky;
    random_medium(pb.grid, kx, ky, 1);
    Solver solver(pb);
    solver.setup(kx, ky);
    double max_s = 0;
    for (int k = 0; k < 40; ++k) {
      solver.step(0.01);
      const double in = solver.injected(), balance = solver.water_in_place() + solver.produced();
      ASSERT_NEAR(balance, in, 1e-13 * in) << "step " << k;
      for (double s : solver.saturation()) {
        ASSERT_GE(s, 0.0) << "step " << k;
        ASSERT_LE(s, 1.0) << "step " << k;
        max_s = std::max(max_s, s);
      }
    }
    EXPECT_GT(solver.produced(), 0.0);  // breakthrough happened: the test covers production
    EXPECT_GT(max_s, 1 - fluid.sor - 0.05);
    EXPECT_LE(max_s, 1 - fluid.sor + 1e-12);  // oil below sor does not move
  }
}

// Buckley-Leverett: a row of cells, water injected at the left end, equal viscosities, no
// residual saturations. Flux function f = s^2 / (s^2 + (1 - s)^2): the shock saturation s* of
// Welge's tangent f(s*) / s* = f'(s*) is 1 / sqrt(2), and the shock moves at f(s*) / s* times the
// pore velocity. Behind it, the rarefaction has f'(s) = x / (u t).
TEST(FlowSolver, BuckleyLeverettShockPositionAndHeight) {
  auto fprime = [](double s) {
    const double d = s * s + (1 - s) * (1 - s);
    return 2 * s * (1 - s) / (d * d);
  };
  const double s_star = 1 / std::sqrt(2.0);
  const double speed = (0.5 / (0.5 + (1 - s_star) * (1 - s_star))) / s_star;
  EXPECT_NEAR(fprime(s_star), speed, 1e-12);  // Welge's tangent
  for (int n : {100, 400}) {
    SCOPED_TRACE(std::to_string(n) + " cells");
    Problem pb;
    pb.grid = {n, 1, 1.0, 1.0};
    pb.porosity = 0.25;
    pb.wells = {{0, 0, 0.5}, {n - 1, 0, -0.5}};
    Solver solver(pb);
    solver.setup(std::vector<double>(n, 1.0), std::vector<double>(n, 1.0));
    const double u = 0.5 / 0.25, t = 0.6 / (u * speed);  // shock at x = 0.6
    for (int k = 0; k < 20; ++k) solver.step(t / 20);
    const std::vector<double>& s = solver.saturation();
    const double h = 1.0 / n, x_shock = u * speed * t;
    // Numerical shock: where s falls through s* / 2.
    double x_num = 0;
    for (int i = 0; i + 1 < n; ++i)
      if (s[i] >= s_star / 2 && s[i + 1] < s_star / 2)
        x_num = (i + 0.5 + (s[i] - s_star / 2) / (s[i] - s[i + 1])) * h;
    EXPECT_NEAR(x_num, x_shock, 5 * h);
    // Height: the analytic rarefaction just behind the shock (x = 0.9 x_shock) and the plateau.
    const double x_behind = 0.9 * x_shock;
    double lo = s_star, hi = 1;  // f' is decreasing on [s*, 1]
    for (int it = 0; it < 60; ++it) {
      const double mid = 0.5 * (lo + hi);
      (fprime(mid) > x_behind / (u * t) ? lo : hi) = mid;
    }
    const int i_behind = static_cast<int>(x_behind / h);
    EXPECT_NEAR(s[i_behind], lo, 0.02 + 2 * h);
    // Nothing ahead of the smeared shock.
    EXPECT_LT(s[static_cast<int>((x_shock + 0.1) / h)], 1e-3);
  }
}

// Homogeneous quarter five-spot: the problem is symmetric about the diagonal, so is the saturation.
TEST(FlowSolver, QuarterFiveSpotIsSymmetricAboutTheDiagonal) {
  const int n = 32;
  Problem pb = five_spot(n);
  Solver solver(pb);
  solver.setup(std::vector<double>(n * n, 1.0), std::vector<double>(n * n, 1.0));
  for (int k = 0; k < 12; ++k) solver.step(0.025);
  const std::vector<double>& s = solver.saturation();
  double asym = 0, max_s = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) asym = std::max(asym, std::abs(s[i * n + j] - s[j * n + i])), max_s = std::max(max_s, s[i * n + j]);
  EXPECT_LT(asym, 1e-12);
  EXPECT_GT(max_s, 0.5);
  // The front is not symmetric along the other diagonal (the flow goes one way).
  EXPECT_GT(std::abs(s[1 * n + 0] - s[(n - 1) * n + (n - 2)]), 0.1);
}

// The sub-step count for a step on an exact multiple of the CFL bound does not flip when K is
// perturbed by 1e-14 (the relative epsilon in the count).
TEST(FlowSolver, SubstepCountIsStableUnderTinyPermeabilityPerturbation) {
  const int n = 16;
  Problem pb = five_spot(n);
  std::vector<double> k1(n * n), k2(n * n);
  slift::Rng rng(3, 0, "test.perturb");
  for (int c = 0; c < n * n; ++c) k1[c] = 1.0, k2[c] = 1.0 + 1e-14 * (2 * rng.uniform() - 1);
  Solver a(pb), b(pb);
  a.setup(k1, k1), b.setup(k2, k2);
  a.solve_pressure(), b.solve_pressure();
  // cfl = (1/3) pv / max influx; the injector's influx is its rate 1, the largest.
  const double cfl = pb.grid.hx() * pb.grid.hy() / 3;
  for (int m = 1; m <= 300; ++m) {
    const double T = m * cfl;
    ASSERT_EQ(a.transport().substeps(T, a.flux_x(), a.flux_y()), m) << "T = " << m << " cfl";
    ASSERT_EQ(b.transport().substeps(T, b.flux_x(), b.flux_y()), m) << "T = " << m << " cfl, perturbed K";
  }
}
