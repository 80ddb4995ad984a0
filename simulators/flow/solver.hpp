// IMPES (sequential splitting) for incompressible two-phase flow: each pressure step solves the
// TPFA pressure equation with the current mobilities, then moves the saturation with the
// explicit upstream scheme over the step with the fluxes frozen.
//
// Two phases per trajectory: setup() takes the permeability and resets the state (zero
// saturation); step() advances one pressure step. Timers split the thread's CPU time into
// assembly, factorisation + solve, and transport, for the benchmark.
#pragma once
#include <vector>

#include "simulators/flow/problem.hpp"
#include "simulators/flow/tpfa.hpp"
#include "simulators/flow/transport.hpp"

namespace slift::sim::flow {

struct Timers {
  double assembly = 0, solve = 0, transport = 0;  // CPU seconds of the calling thread
  // The work behind them, for rates: floating-point operations of the factorisations and solves,
  // cell updates of the transport sub-steps.
  double solve_flops = 0, transport_cells = 0;
};

class Solver {
 public:
  explicit Solver(const Problem& pb);
  // Permeability per cell (K_x, K_y; equal for an isotropic medium) and s = 0.
  void setup(const std::vector<double>& kx, const std::vector<double>& ky);
  // Solve the pressure for the current saturation (does nothing if it is up to date).
  void solve_pressure();
  // One pressure step of length T; returns the number of transport sub-steps.
  int step(double T);

  const std::vector<double>& saturation() const { return s_; }
  const std::vector<double>& pressure() const { return p_; }
  // Water volumes since setup: injected, produced, and in place (sum of pv s).
  double injected() const;
  double produced() const { return produced_; }
  double water_in_place() const;
  const Timers& timers() const { return timers_; }
  Transport& transport() { return transport_; }  // for tests of the sub-step count
  const Tpfa& tpfa() const { return tpfa_; }      // for the benchmark of other pressure solvers
  const std::vector<double>& flux_x() const { return vx_; }
  const std::vector<double>& flux_y() const { return vy_; }

 private:
  Problem pb_;
  Tpfa tpfa_;
  Transport transport_;
  std::vector<double> kx_, ky_, q_, s_, p_, lambda_, vx_, vy_;
  double t_ = 0, produced_ = 0;
  bool pressure_current_ = false;
  Timers timers_;
};

}  // namespace slift::sim::flow
