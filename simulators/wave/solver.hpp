// Leapfrog for the 2-D wave equation with a spectral (FFTW) spatial operator.
//
//   u_1     = u_0 + dt^2/2 A u_0                (Taylor start, zero initial velocity)
//   u_{n+1} = 2 u_n - u_{n-1} + dt^2 A u_n,
// A u = c^2 lap(u) (laplacian form: 2 FFTs a step) or div(c^2 grad u) (divergence form: 6 FFTs;
// first derivatives drop the Nyquist mode, which has no real derivative). One solver per worker:
// it plans its transforms once and reuses its buffers for every trajectory.
#pragma once
#include <vector>

#include "simulators/fftw.hpp"
#include "simulators/wave/params.hpp"

namespace slift::sim::wave {

class LeapfrogSolver {
 public:
  LeapfrogSolver(int n, double length, Form form, double dt);  // plans FFTs: call on one thread

  int n() const { return fft_.n(); }
  // The speed field (n^2 values, row-major [x][y]); call before start().
  void set_medium(const double* c);
  // u_0 -> u_1 by the Taylor start.
  void start(const double* u0);
  void step();
  const double* u() const { return u_.data(); }       // u_{n}
  const double* u_prev() const { return u_old_.data(); }  // u_{n-1}
  // The leapfrog invariant between u_{n-1} and u_n (conserved to rounding while dt is stable):
  //   E = h^2/2 [ sum w (u_n - u_{n-1})^2 / dt^2 - sum u_n B u_{n-1} ],
  // laplacian form: w = 1/c^2, B = lap; divergence form: w = 1, B = div(c^2 grad). Needs c > 0.
  double energy();
  // h^2 sum |grad u|^2 of the spectral gradient (= -h^2 sum u lap(u)); uses the work buffers.
  double gradient_norm2(const double* u);

 private:
  // out = B in (no c^2 factor in the laplacian form); in and out are this solver's buffers.
  void apply(const double* in, double* out);

  RealFft2d fft_;
  Form form_;
  double dt_, length_;
  RealBuffer u_, u_old_, work_, gx_, gy_;
  SpectrumBuffer spec_, spec_y_;
  RealBuffer neg_k2_;      // -|k|^2 / n^2 in r2c layout (the 1/n^2 of the c2r folded in)
  RealBuffer ikx_, iky_;   // k / n^2 per row and per column, Nyquist zero (divergence form)
  RealBuffer c2_;          // c^2
  RealBuffer update_;      // dt^2 c^2 (laplacian form)
};

// The initial condition on the solver grid: the same bump for every trajectory.
RealBuffer initial_bump(const Params& p);

// Per stored frame of u, a bound on the root sum of squares of its values that the leapfrog
// scheme cannot exceed on a correct run, whatever the medium (derivation in solver.cpp).
std::vector<double> frame_norm_bounds(const Params& p);

}  // namespace slift::sim::wave
