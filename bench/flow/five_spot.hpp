// The flow benchmarks' problem: an n x n quarter five-spot (injector at cell (0, 0), producer at
// (n - 1, n - 1), unit rates) in the Matérn medium of configs/flow.yaml (sigma 1, length 0.2,
// nu 1.5, no nugget), isotropic K = exp(G).
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "simulators/flow/matern.hpp"
#include "simulators/flow/problem.hpp"

namespace slift::sim::flow {

class FiveSpot {
 public:
  // Exits with the reason when the grid cannot embed the medium.
  explicit FiveSpot(int n) {
    problem.grid.nx = problem.grid.ny = n;
    problem.wells = {{0, 0, 1.0}, {n - 1, n - 1, -1.0}};
    std::string why;
    auto e = Embedding::make(n, n, problem.grid.hx(), problem.grid.hy(), MaternParams{1.0, 0.2, 1.5, 0.0}, 8, why);
    if (!e) std::fprintf(stderr, "%s\n", why.c_str()), std::exit(1);
    sampler_ = std::make_unique<FieldSampler>(std::make_shared<const Embedding>(*e));
    g1_.resize(size_t(n) * n), g2_.resize(size_t(n) * n);
  }

  // Trajectory t's permeability, from Rng(1, t, "flow.permeability").
  const std::vector<double>& permeability(int t) {
    Rng rng(1, t, "flow.permeability");
    sampler_->sample(rng, g1_.data(), g2_.data());
    k_.resize(g1_.size());
    for (size_t c = 0; c < g1_.size(); ++c) k_[c] = std::exp(g1_[c]);
    return k_;
  }

  Problem problem;

 private:
  std::unique_ptr<FieldSampler> sampler_;
  std::vector<double> g1_, g2_, k_;
};

}  // namespace slift::sim::flow
