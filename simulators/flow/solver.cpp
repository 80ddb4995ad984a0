#include "simulators/flow/solver.hpp"

#include "core/log.hpp"

namespace slift::sim::flow {

Solver::Solver(const Problem& pb) : pb_(pb), tpfa_(pb.grid), transport_(pb) {
  const int n = pb.grid.cells();
  q_.assign(n, 0.0);
  for (const Well& w : pb.wells) q_[w.i * pb.grid.ny + w.j] += w.rate;
  s_.assign(n, 0.0), p_.assign(n, 0.0), lambda_.assign(n, 0.0);
}

void Solver::setup(const std::vector<double>& kx, const std::vector<double>& ky) {
  kx_ = kx, ky_ = ky;
  std::fill(s_.begin(), s_.end(), 0.0);
  t_ = 0, produced_ = 0, pressure_current_ = false;
  timers_ = Timers{};
}

void Solver::solve_pressure() {
  if (pressure_current_) return;
  log::Stopwatch assembly;
  for (size_t c = 0; c < s_.size(); ++c) lambda_[c] = pb_.fluid.total(s_[c]);
  tpfa_.assemble(lambda_.data(), kx_.data(), ky_.data());
  timers_.assembly += assembly.seconds();
  log::Stopwatch solve;
  tpfa_.solve(q_, p_);
  timers_.solve += solve.seconds();
  log::Stopwatch fluxes;
  tpfa_.fluxes(p_, vx_, vy_);
  timers_.assembly += fluxes.seconds();
  pressure_current_ = true;
}

int Solver::step(double T) {
  solve_pressure();
  log::Stopwatch transport;
  const int n = transport_.advance(T, vx_, vy_, s_, produced_);
  timers_.transport += transport.seconds();
  t_ += T;
  pressure_current_ = false;
  return n;
}

double Solver::injected() const {
  double rate = 0;
  for (const Well& w : pb_.wells)
    if (w.rate > 0) rate += w.rate;
  return rate * t_;
}

double Solver::water_in_place() const {
  double sum = 0;
  for (double s : s_) sum += s;
  return sum * pb_.porosity * pb_.grid.hx() * pb_.grid.hy();
}

}  // namespace slift::sim::flow
