// Parameters of the stochastic Allen-Cahn system (docs/allen_cahn.md):
//   du = (nu u_xx + u - u^3) dt + sigma dW   on the periodic interval [0, L),
// dW space-time white noise, resolved by the n_cells Fourier modes of the grid.
#pragma once
#include <string>

#include "core/config.hpp"

namespace slift::sim::allen_cahn {

struct Params {
  double length = 6.283185307179586;  // L
  int n_cells = 32;                    // grid points x_i = i L / n_cells
  double nu = 1.2;                     // diffusion coefficient
  double sigma = 0.8;                  // noise strength
  bool cubic = true;                   // false: du = (nu u_xx + u) dt + sigma dW, every mode an OU process
  double t_end = 32.0;
  int n_frames = 33;                   // stored times t_end * f / (n_frames - 1), f = 0..n_frames-1
  int steps_per_frame = 100;           // resolved from dt
  // Initial condition: a Gaussian field around initial_mean whose modes have initial_spread^2 times
  // the stationary variances of the equation linearised at u = +-1 (curvature 2).
  double initial_mean = -1.0;
  double initial_spread = 1.0;

  double frame_dt() const { return t_end / (n_frames - 1); }
  double dt() const { return frame_dt() / steps_per_frame; }
};

// The explicit cubic is stable where dt 3 u^2 < 2; this dt keeps that up to |u| = 2.5, beyond the
// largest |u| in the shipped config's data (2.3).
constexpr double kMaxCubicDt = 0.1;

// A number in messages and the data set card ("%g").
std::string num(double v);

// The system's keys of the `simulate` section (and its `initial` sub-section); every bad value is
// a usage error naming its key.
Params read_params(config::Section& simulate);

}  // namespace slift::sim::allen_cahn
