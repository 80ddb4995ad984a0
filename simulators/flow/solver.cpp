#include "simulators/flow/solver.hpp"

#include <ctime>

namespace slift::sim::flow {
namespace {

// CPU seconds of the calling thread: phase times that a loaded machine does not inflate.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

}  // namespace

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
  const double t0 = cpu_seconds();
  for (size_t c = 0; c < s_.size(); ++c) lambda_[c] = pb_.fluid.total(s_[c]);
  tpfa_.assemble(lambda_.data(), kx_.data(), ky_.data());
  const double t1 = cpu_seconds();
  tpfa_.solve(q_, p_);
  const double t2 = cpu_seconds();
  tpfa_.fluxes(p_, vx_, vy_);
  timers_.assembly += (t1 - t0) + (cpu_seconds() - t2);
  timers_.solve += t2 - t1;
  timers_.solve_flops += tpfa_.solve_flops();
  pressure_current_ = true;
}

int Solver::step(double T) {
  solve_pressure();
  const double t0 = cpu_seconds();
  const int n = transport_.advance(T, vx_, vy_, s_, produced_);
  timers_.transport += cpu_seconds() - t0;
  timers_.transport_cells += transport_.cells_updated();
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
