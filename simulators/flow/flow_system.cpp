// System "flow": two-phase flow in a random porous medium (paper appendix D.3).
// Stores the water saturation at n_frames evenly spaced times in [0, t_end] (t0_fields/s),
// optionally the pressure (t0_fields/p), and the static permeability: t0_fields/K for an
// isotropic medium, t2_fields/K (x, y, 2, 2) for a diagonal tensor: as a rank-2 tensor it stays
// physical (positive diagonal) under The Well's axis flips, permutations and rotations.
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/rng.hpp"
#include "simulators/flow/matern.hpp"
#include "simulators/flow/solver.hpp"
#include "simulators/system.hpp"

namespace slift::sim::flow {
namespace {

struct Permeability {
  std::string model = "matern";      // matern | uniform
  std::string tensor = "isotropic";  // isotropic: K = exp(mean + G); diagonal: K_x, K_y from two fields
  double value = 1.0;                // uniform
  double mean = 0.0;                 // mean of log K
  MaternParams matern;
  double max_embedding = 8;
  bool diagonal() const { return tensor == "diagonal"; }
};

struct Params {
  Problem problem;
  Permeability perm;
  double t_end = 1.0;
  int n_frames = 32;
  int steps_per_frame = 1;
  bool store_pressure = false;
  double step() const { return t_end / ((n_frames - 1) * steps_per_frame); }
};

class FlowWorker : public Worker {
 public:
  FlowWorker(const Params& p, std::shared_ptr<const Embedding> e) : p_(p), solver_(p.problem) {
    const int n = p.problem.grid.cells();
    kx_.assign(n, p.perm.value), ky_.assign(n, p.perm.value), g1_.assign(n, 0.0), g2_.assign(n, 0.0);
    if (e) sampler_ = std::make_unique<FieldSampler>(std::move(e));
  }

  void run(uint64_t seed, uint64_t traj, const std::vector<float*>& out) override {
    const size_t n = kx_.size();
    if (sampler_) {
      Rng rng(seed, traj, "flow.permeability");
      sampler_->sample(rng, g1_.data(), g2_.data());
      for (size_t c = 0; c < n; ++c) {
        kx_[c] = std::exp(p_.perm.mean + g1_[c]);
        ky_[c] = p_.perm.diagonal() ? std::exp(p_.perm.mean + g2_[c]) : kx_[c];
      }
    }
    solver_.setup(kx_, ky_);
    float* s = out[0];
    float* pressure = p_.store_pressure ? out[1] : nullptr;
    for (int k = 0; k < p_.n_frames; ++k) {
      if (k > 0)
        for (int m = 0; m < p_.steps_per_frame; ++m) solver_.step(p_.step());
      for (size_t c = 0; c < n; ++c) s[k * n + c] = static_cast<float>(solver_.saturation()[c]);
      if (pressure) {
        solver_.solve_pressure();
        for (size_t c = 0; c < n; ++c) pressure[k * n + c] = static_cast<float>(solver_.pressure()[c]);
      }
    }
    float* K = out.back();
    for (size_t c = 0; c < n; ++c) {
      if (p_.perm.diagonal()) {
        float* k = K + 4 * c;  // row-major [[K_x, 0], [0, K_y]]
        k[0] = static_cast<float>(kx_[c]), k[1] = k[2] = 0.0f, k[3] = static_cast<float>(ky_[c]);
      } else {
        K[c] = static_cast<float>(kx_[c]);
      }
    }
  }

 private:
  Params p_;
  Solver solver_;
  std::unique_ptr<FieldSampler> sampler_;
  std::vector<double> kx_, ky_, g1_, g2_;
};

class FlowSystem : public System {
 public:
  FlowSystem(const Params& p, std::shared_ptr<const Embedding> e) : p_(p), e_(std::move(e)) {}
  DatasetHeader header() const override {
    const Grid& g = p_.problem.grid;
    DatasetHeader h;
    h.kind = "fields";
    h.dataset_name = "flow";
    h.state_field = "s";  // the water saturation; the pressure, when stored, is not learned
    for (int k = 0; k < p_.n_frames; ++k) h.time.push_back(k * p_.t_end / (p_.n_frames - 1));
    h.axes = {{"x", {}}, {"y", {}}};  // cell centres
    for (int i = 0; i < g.nx; ++i) h.axes[0].coordinates.push_back((i + 0.5) * g.hx());
    for (int j = 0; j < g.ny; ++j) h.axes[1].coordinates.push_back((j + 0.5) * g.hy());
    h.boundary_conditions = {{"wall_x", "WALL", {"x"}}, {"wall_y", "WALL", {"y"}}};
    const Fluid& f = p_.problem.fluid;
    h.simulation_parameters = {{"nx", g.nx},           {"ny", g.ny},
                               {"lx", g.lx},           {"ly", g.ly},
                               {"porosity", p_.problem.porosity},
                               {"mu_w", f.mu_w},       {"mu_o", f.mu_o},
                               {"swc", f.swc},         {"sor", f.sor},
                               {"t_end", p_.t_end},    {"steps_per_frame", p_.steps_per_frame},
                               {"n_wells", static_cast<double>(p_.problem.wells.size())}};
    if (e_) {
      const MaternParams& m = p_.perm.matern;
      h.simulation_parameters.insert({{"perm_mean", p_.perm.mean}, {"perm_sigma", m.sigma}, {"perm_length", m.length},
                                      {"perm_nu", m.nu}, {"perm_nugget", m.nugget},
                                      {"perm_diagonal", p_.perm.diagonal() ? 1.0 : 0.0}});
    } else {
      h.simulation_parameters.insert({"perm_value", p_.perm.value});
    }
    return h;
  }
  std::vector<ArraySpec> arrays() const override {
    const uint64_t nx = p_.problem.grid.nx, ny = p_.problem.grid.ny, nt = p_.n_frames;
    std::vector<ArraySpec> a{{"t0_fields/s", {nt, nx, ny}, true, {true, true}}};
    if (p_.store_pressure) a.push_back({"t0_fields/p", {nt, nx, ny}, true, {true, true}});
    if (p_.perm.diagonal()) a.push_back({"t2_fields/K", {nx, ny, 2, 2}, false, {true, true}});
    else a.push_back({"t0_fields/K", {nx, ny}, false, {true, true}});
    return a;
  }
  std::unique_ptr<Worker> make_worker() const override { return std::make_unique<FlowWorker>(p_, e_); }
  // The wells as the static field q: each well's rate in its cell, 0 elsewhere.
  std::vector<ImpliedField> implied_fields() const override {
    const Grid& g = p_.problem.grid;
    std::vector<float> q(static_cast<size_t>(g.cells()), 0.0f);
    for (const Well& w : p_.problem.wells) q[static_cast<size_t>(w.i) * g.ny + w.j] += static_cast<float>(w.rate);
    const uint64_t nx = g.nx, ny = g.ny;
    return {{{"t0_fields/q", {nx, ny}, false, {true, true}}, std::move(q)}};
  }
  Card card() const override;
  // Pressure steps: a sparse factorisation and solve, about cells^1.5 units (nested dissection in
  // 2-D). Transport: CFL-limited sub-steps over the cells; no cell takes in more than the
  // injected rate Q, so their number is about t_end * 3 Q / ((1 - swc - sor) * pore volume of a
  // cell) (3: the bound on the fractional flow's slope), at least one per pressure step.
  double core_seconds_per_trajectory() const override {
    constexpr double kSecondsPerSolveUnit = 5.7e-9, kSecondsPerCellStep = 2e-9;
    const Problem& pb = p_.problem;
    const double cells = pb.grid.cells(), steps = double(p_.steps_per_frame) * (p_.n_frames - 1);
    double injected = 0;
    for (const Well& w : pb.wells) injected += std::max(0.0, w.rate);
    const double pore = pb.porosity * pb.grid.hx() * pb.grid.hy() * (1 - pb.fluid.swc - pb.fluid.sor);
    const double substeps = std::max(steps, p_.t_end * 3 * injected / pore);
    return kSecondsPerSolveUnit * steps * std::pow(cells, 1.5) + kSecondsPerCellStep * substeps * cells;
  }
  ValueRange range(size_t array_index) const override {
    const std::string medium = "simulate.permeability.mean, simulate.permeability.sigma, the well rates";
    if (array_index > 0) return {-INFINITY, INFINITY, medium};
    // Saturation within [0, 1] up to the round-off of float32 storage.
    return {-1e-5, 1 + 1e-5, medium + ", simulate.steps_per_frame, simulate.t_end"};
  }

 private:
  Params p_;
  std::shared_ptr<const Embedding> e_;  // null for a uniform medium
};

Card FlowSystem::card() const {
  Card c;
  c.title = "Two-phase flow: water displacing oil in a random porous medium (quarter five-spot by default)";
  c.equations =
      "Incompressible, immiscible water and oil without gravity or capillarity, on the domain "
      "$[0, l_x] \\times [0, l_y]$ of unit thickness:\n\n"
      "$$-\\nabla\\cdot(\\lambda(s) K \\nabla p) = q, \\qquad v = -\\lambda(s) K \\nabla p, \\qquad "
      "\\phi\\, \\partial_t s + \\nabla\\cdot(f_w(s)\\, v) = q_w,$$\n\n"
      "with Corey mobilities $\\lambda_w = S^2 / \\mu_w$, $\\lambda_o = (1 - S)^2 / \\mu_o$ of the normalised "
      "saturation $S = (s - s_{wc}) / (1 - s_{wc} - s_{or})$ clipped to $[0, 1]$, $\\lambda = \\lambda_w + \\lambda_o$, "
      "$f_w = \\lambda_w / \\lambda$. Injectors ($q > 0$) put in water ($q_w = q$); producers ($q < 0$) take out "
      "the cell's mixture ($q_w = f_w(s)\\, q$). The rates sum to zero. Permeability: ";
  if (!e_)
    c.equations += "uniform, $K = $ `perm_value` $\\cdot I$.";
  else
    c.equations += std::string(p_.perm.diagonal() ? "diagonal, $K = \\mathrm{diag}(e^{m + G_1}, e^{m + G_2})$"
                                                   : "isotropic, $K = e^{m + G} I$") +
                   ", with independent Gaussian fields $G$ of the Matérn covariance "
                   "$\\sigma^2 \\frac{2^{1-\\nu}}{\\Gamma(\\nu)} (\\sqrt{2\\nu}\\, r / l)^\\nu K_\\nu(\\sqrt{2\\nu}\\, r / l)$ "
                   "(plus a white-noise nugget), drawn per trajectory.";
  c.equations += " All quantities are in the config's units: with porosity 1, a unit domain and unit rates, "
                 "t counts injected pore volumes.";
  c.initial_condition = "$s = 0$ everywhere (the rock is full of oil); the permeability is drawn per trajectory. "
                        "The wells are the same in every trajectory (cell [i, j], rate):";
  for (const Well& w : p_.problem.wells) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", w.rate);
    c.initial_condition += " [" + std::to_string(w.i) + ", " + std::to_string(w.j) + "] " + rate + ";";
  }
  c.initial_condition += " they are the field `q`.";
  c.boundary_conditions = "No flow through any wall ($v \\cdot n = 0$): WALL along x and y.";
  c.numerics =
      "Cell-centred grid of nx x ny cells (cell i spans $[i h_x, (i + 1) h_x]$, stored at its centre). "
      "Sequential splitting (IMPES) with nx x ny two-point flux (TPFA) pressure solves, harmonic-mean "
      "transmissibilities, a direct sparse LDLT; steps_per_frame pressure steps between stored frames; the "
      "saturation moves by the explicit single-point upstream scheme in CFL-limited sub-steps within each "
      "pressure step. Matérn fields by circulant embedding (exact on the grid). See docs/flow.md.";
  c.fields = {{"s", "water saturation: volume fraction of the pore space, in [0, 1]; time-varying"},
              {"p", "pressure (if stored), relative to p = 0 in cell [0, 0]; units of rate x viscosity / permeability; "
                    "time-varying"},
              {"K", p_.perm.diagonal() ? "permeability tensor diag(K_x, K_y) (rank 2, off-diagonal entries 0), units "
                                         "of length^2; static"
                                       : "permeability (scalar), units of length^2; static"},
              {"q", "well rate in the cell, volume per unit time (> 0 injects water, < 0 produces), 0 elsewhere; "
                    "static, the same in every trajectory"}};
  c.physical = {{"lx", "domain length along x"},
                {"ly", "domain length along y"},
                {"porosity", "phi, uniform"},
                {"mu_w", "water viscosity"},
                {"mu_o", "oil viscosity"},
                {"swc", "connate (immobile) water saturation"},
                {"sor", "residual oil saturation"},
                {"t_end", "end time"},
                {"n_wells", "number of wells (positions and rates: field q)"},
                {"perm_mean", "m, mean of log K"},
                {"perm_sigma", "sigma, standard deviation of the Matérn field"},
                {"perm_length", "l, correlation length"},
                {"perm_nu", "nu, Matérn smoothness"},
                {"perm_nugget", "white-noise variance added to log K"},
                {"perm_diagonal", "1: K diagonal from two fields, 0: isotropic"},
                {"perm_value", "K of a uniform medium"}};
  c.numerical = {{"nx", "cells along x"}, {"ny", "cells along y"}, {"steps_per_frame", "pressure steps between stored frames"}};
  return c;
}

std::vector<Well> read_wells(config::Section& s, const Grid& g) {
  const bool given = s.has("wells");
  std::vector<config::Section> items = s.list("wells");
  // Default: injector in the first cell, producer in the last (the quarter five-spot).
  if (!given) return {{0, 0, 1.0}, {g.nx - 1, g.ny - 1, -1.0}};
  std::vector<Well> wells;
  if (items.empty()) s.fail("wells", "at least one injector and one producer are needed");
  double sum = 0, scale = 0;
  for (config::Section& w : items) {
    auto cell = w.required<std::vector<int64_t>>("cell", [&](const std::vector<int64_t>& v) {
      if (v.size() != 2) return std::optional<std::string>("expected [i, j], got " + std::to_string(v.size()) + " values");
      if (v[0] < 0 || v[0] >= g.nx || v[1] < 0 || v[1] >= g.ny)
        return std::optional<std::string>("cell [" + std::to_string(v[0]) + ", " + std::to_string(v[1]) +
                                          "] is outside the " + std::to_string(g.nx) + " x " + std::to_string(g.ny) +
                                          " grid (0-based)");
      return std::optional<std::string>();
    });
    double rate = w.required<double>("rate", [](double q) {
      return q == 0 ? std::optional<std::string>("a well needs a nonzero rate") : std::nullopt;
    });
    w.finish();
    wells.push_back({static_cast<int>(cell[0]), static_cast<int>(cell[1]), rate});
    sum += rate, scale += std::abs(rate);
  }
  if (std::abs(sum) > 1e-12 * scale)
    s.fail("wells", "rates sum to " + std::to_string(sum) +
                        ", not zero: incompressible flow in a closed domain needs a sink for every source");
  return wells;
}

std::unique_ptr<System> make(config::Section& s) {
  Params p;
  Grid& g = p.problem.grid;
  g.nx = s.get("nx", g.nx, config::at_least(1));
  g.ny = s.get("ny", g.ny, config::at_least(1));
  if (g.nx * static_cast<int64_t>(g.ny) < 2) s.fail("nx", "the grid needs at least two cells");
  g.lx = s.get("lx", g.lx, config::positive());
  g.ly = s.get("ly", g.ly, config::positive());
  p.problem.porosity = s.get("porosity", p.problem.porosity, config::Check<double>([](double v) {
                               return v > 0 && v <= 1 ? std::nullopt : std::optional<std::string>("must be in (0, 1]");
                             }));
  Fluid& f = p.problem.fluid;
  f.mu_w = s.get("mu_w", f.mu_w, config::positive());
  f.mu_o = s.get("mu_o", f.mu_o, config::positive());
  f.swc = s.get("swc", f.swc, config::in_range(0, 1));
  f.sor = s.get("sor", f.sor, config::in_range(0, 1));
  if (f.swc + f.sor >= 1) s.fail("sor", "swc + sor = " + std::to_string(f.swc + f.sor) + " must be < 1");
  p.problem.wells = read_wells(s, g);
  p.t_end = s.get("t_end", p.t_end, config::positive());
  p.n_frames = s.get("n_frames", p.n_frames, config::at_least(2));
  p.steps_per_frame = s.get("steps_per_frame", p.steps_per_frame, config::at_least(1));
  p.store_pressure = s.get("store_pressure", p.store_pressure);

  config::Section k = s.section("permeability");
  Permeability& perm = p.perm;
  perm.model = k.get<std::string>("model", perm.model, config::one_of({"matern", "uniform"}));
  std::shared_ptr<const Embedding> embedding;
  if (perm.model == "uniform") {
    perm.value = k.get("value", perm.value, config::positive());
  } else {
    perm.tensor = k.get<std::string>("tensor", perm.tensor, config::one_of({"isotropic", "diagonal"}));
    perm.mean = k.get("mean", perm.mean);
    MaternParams& m = perm.matern;
    m.sigma = k.get("sigma", m.sigma, config::non_negative());
    m.length = k.get("length", m.length, config::positive());
    m.nu = k.get("nu", m.nu, config::Check<double>([](double v) {
                   return v > 0 && v <= 50 ? std::nullopt : std::optional<std::string>("must be in (0, 50]");
                 }));
    m.nugget = k.get("nugget", m.nugget, config::non_negative());
    perm.max_embedding = k.get("max_embedding", perm.max_embedding, config::Check<double>([](double v) {
                                   return v >= 2 ? std::nullopt : std::optional<std::string>("must be >= 2");
                                 }));
    std::string why;
    auto e = Embedding::make(g.nx, g.ny, g.hx(), g.hy(), m, perm.max_embedding, why);
    if (!e) k.fail("max_embedding", why);
    embedding = std::make_shared<const Embedding>(std::move(*e));
  }
  k.finish();
  return std::make_unique<FlowSystem>(p, embedding);
}

}  // namespace

SLIFT_REGISTER_SYSTEM(flow, "two-phase flow in a random porous medium, TPFA + upstream IMPES (saturation fields)", make);

}  // namespace slift::sim::flow
