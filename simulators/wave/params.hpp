// Parameters of the wave system (paper appendix D.2) and the leapfrog time step they allow.
//
//   u_tt = c(x)^2 lap(u)        (form laplacian, the authors' choice), or
//   u_tt = div(c(x)^2 grad(u))  (form divergence),
// on the periodic square [0, L)^2, spectral in space, leapfrog in time, zero initial velocity.
#pragma once
#include "core/config.hpp"

namespace slift::sim::wave {

enum class Form { laplacian, divergence };
enum class SpeedMap { minmax, lognormal };
enum class Downsample { stride, spectral };
enum class FftPlans { estimate, measure };  // simulators/fftw.hpp, simulators/fft_wisdom.hpp

struct Params {
  double length = 6.283185307179586;  // L, side of the periodic square
  int n_solve = 64;                    // solver grid points per side
  int n_out = 32;                      // stored grid points per side
  Downsample downsample = Downsample::stride;
  Form form = Form::laplacian;
  double t_end = 8.0;
  int n_frames = 33;                   // stored times t_end * f / (n_frames - 1), f = 0..n_frames-1
  int steps_per_frame = 0;             // resolved from dt
  // Initial condition A exp(-|x - x0|^2 / (2 w^2)), the same for every trajectory.
  double bump_x = 3.141592653589793, bump_y = 3.141592653589793, bump_width = 0.32, bump_amplitude = 1.0;
  // Medium: Gaussian random field g, mode variance exp(-ln(|k|/k0)^2 / (2 s^2)), |k| and k0 in
  // units of the fundamental 2 pi / L, then a speed map.
  double k0 = 1.0;
  double spectrum_width = 0.5;         // s, in natural-log units of |k|
  SpeedMap speed_map = SpeedMap::minmax;
  double c_min = 0.0, c_max = 1.0;     // minmax: per-sample affine map of g onto [c_min, c_max]
  double c_ref = 0.5, log_std = 0.3;   // lognormal: c = c_ref exp(log_std * g), g of unit variance,
  double clip = 3.0;                   //   clipped to |g| <= clip (bounds c for the dt check)
  // measure: faster plans shared through FFTW wisdom; the bytes depend on that wisdom, not on
  // the rank or thread count.
  FftPlans fft_plans = FftPlans::estimate;

  double frame_dt() const { return t_end / (n_frames - 1); }
  double dt() const { return frame_dt() / steps_per_frame; }
  // The largest speed any sample can have.
  double speed_bound() const;
};

// Leapfrog is stable for dt < 2 / sqrt(lambda_max), lambda_max = c_max^2 |k|_max^2 with |k|_max
// the corner of the n x n spectral grid: sqrt(2) (n / 2) (2 pi / L). About 0.45 h / c_max.
double leapfrog_dt_limit(int n, double length, double c_max);
// dt: auto takes this fraction of the limit, then shrinks dt so that frames land on steps.
constexpr double kAutoDtFraction = 0.5;

// The system's keys of the `simulate` section (and its `initial` and `medium` sub-sections);
// every bad value, an unstable dt included, is a usage error naming its key.
Params read_params(config::Section& simulate);

}  // namespace slift::sim::wave
