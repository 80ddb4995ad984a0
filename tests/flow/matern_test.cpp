// Matérn fields by circulant embedding: the convention, the exactness of the embedding on the
// grid, and the statistics of sampled ensembles.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/rng.hpp"
#include "simulators/flow/matern.hpp"

using namespace slift::sim::flow;

// Closed forms pin the sqrt(2 nu) r / l convention: nu = 1/2 is exp(-r / l), nu = 3/2 is
// (1 + sqrt(3) r / l) exp(-sqrt(3) r / l).
TEST(Matern, ConventionMatchesClosedForms) {
  for (double r : {0.0, 0.01, 0.1, 0.37, 1.5}) {
    EXPECT_NEAR(matern(r, {2.0, 0.3, 0.5, 0}), 4.0 * std::exp(-r / 0.3), 1e-12);
    const double x = std::sqrt(3.0) * r / 0.3;
    EXPECT_NEAR(matern(r, {2.0, 0.3, 1.5, 0}), 4.0 * (1 + x) * std::exp(-x), 1e-12);
  }
}

// The covariance of the sampled field (inverse DFT of the embedding's eigenvalues) equals the
// Matérn covariance at every grid lag, nugget included: the sampling is exact on the grid.
TEST(Matern, EmbeddingIsExactAtGridLags) {
  struct Case {
    int nx, ny;
    double lx, ly;
    MaternParams p;
  };
  for (const Case& c : {Case{16, 12, 1.0, 0.5, {1.3, 0.3, 1.5, 0.1}}, Case{20, 20, 1.0, 1.0, {1.0, 0.2, 2.5, 0.0}},
                        Case{24, 1, 1.0, 1.0, {0.7, 0.25, 0.5, 0.0}}}) {
    std::string why;
    auto e = Embedding::make(c.nx, c.ny, c.lx / c.nx, c.ly / c.ny, c.p, 8, why);
    ASSERT_TRUE(e) << why;
    EXPECT_GE(e->mx(), c.nx == 1 ? 1 : 2 * (c.nx - 1));
    for (int dx = 0; dx < c.nx; dx += 3)
      for (int dy = 0; dy < c.ny; dy += 2) {
        const double r = std::hypot(dx * c.lx / c.nx, dy * c.ly / c.ny);
        const double want = matern(r, c.p) + (dx == 0 && dy == 0 ? c.p.nugget : 0.0);
        ASSERT_NEAR(e->covariance(dx, dy), want, 1e-9 * c.p.sigma * c.p.sigma) << "lag " << dx << ", " << dy;
        ASSERT_NEAR(e->covariance(-dx, dy), want, 1e-9 * c.p.sigma * c.p.sigma) << "lag " << -dx << ", " << dy;
      }
  }
}

// A smooth field with a long correlation length needs more padding than the cap allows: refused
// with a message, never sampled with negative eigenvalues.
TEST(Matern, RefusesWhenTheCapIsReached) {
  std::string why;
  auto e = Embedding::make(32, 32, 1.0 / 32, 1.0 / 32, {1.0, 2.0, 10.0, 0.0}, 2.5, why);
  EXPECT_FALSE(e);
  EXPECT_NE(why.find("negative eigenvalues"), std::string::npos) << why;
  auto padded = Embedding::make(32, 32, 1.0 / 32, 1.0 / 32, {1.0, 0.5, 2.5, 0.0}, 16, why);
  ASSERT_TRUE(padded) << why;
  EXPECT_GT(padded->mx(), 62);  // needed padding beyond the minimal 2 (n - 1)
}

// Ensemble statistics of sampled fields (both outputs of each draw): pointwise variance, a few
// lag covariances, and independence of the two fields, within 5 standard errors.
TEST(Matern, EnsembleMatchesVarianceAndLagCovariances) {
  const int nx = 16, ny = 16, draws = 2000;
  const MaternParams p{1.2, 0.2, 1.5, 0.05};
  std::string why;
  auto e = Embedding::make(nx, ny, 1.0 / nx, 1.0 / ny, p, 8, why);
  ASSERT_TRUE(e) << why;
  FieldSampler sampler(std::make_shared<const Embedding>(*e));
  struct Lag {
    int ax, ay, bx, by;
  };
  const std::vector<Lag> lags{{3, 3, 3, 3}, {0, 0, 0, 0}, {15, 7, 15, 7}, {4, 4, 5, 4}, {2, 9, 2, 12}, {6, 6, 10, 9}};
  std::vector<double> sum(lags.size(), 0.0), cross(lags.size(), 0.0);
  std::vector<double> g1(nx * ny), g2(nx * ny);
  for (int k = 0; k < draws; ++k) {
    slift::Rng rng(11, k, "test.matern");
    sampler.sample(rng, g1.data(), g2.data());
    for (size_t l = 0; l < lags.size(); ++l) {
      const int a = lags[l].ax * ny + lags[l].ay, b = lags[l].bx * ny + lags[l].by;
      sum[l] += g1[a] * g1[b] + g2[a] * g2[b];
      cross[l] += g1[a] * g2[b];
    }
  }
  const double n = 2.0 * draws, var = p.sigma * p.sigma + p.nugget;
  for (size_t l = 0; l < lags.size(); ++l) {
    const Lag& g = lags[l];
    const bool same = g.ax == g.bx && g.ay == g.by;
    const double r = std::hypot((g.ax - g.bx) / double(nx), (g.ay - g.by) / double(ny));
    const double want = same ? var : matern(r, p);
    // Var(x y) = C(0)^2 + C(r)^2 for jointly Gaussian x, y.
    const double se = std::sqrt((var * var + want * want) / n);
    EXPECT_NEAR(sum[l] / n, want, 5 * se) << "cells (" << g.ax << "," << g.ay << ") (" << g.bx << "," << g.by << ")";
    EXPECT_NEAR(cross[l] / draws, 0.0, 5 * var / std::sqrt(double(draws))) << "fields not independent";
  }
}
