// Random medium: one wave-speed field per trajectory.
//
// A Gaussian random field g on the solver grid: every Fourier mode k != 0 is an independent
// complex normal with variance proportional to exp(-ln(|k|/k0)^2 / (2 s^2)) (a log-normal
// profile in |k| that peaks at k0; |k| in units of 2 pi / L), scaled so that g has unit variance;
// Nyquist modes are zero so that g is exactly real. Small k0 gives large smooth regions, large
// k0 a rough medium. Then a positive speed:
//   minmax:    c = c_min + (c_max - c_min) (g - min g) / (max g - min g), per sample (authors);
//   lognormal: c = c_ref exp(log_std * clamp(g, -clip, clip)).
#pragma once
#include <vector>

#include "core/rng.hpp"
#include "simulators/fftw.hpp"
#include "simulators/wave/params.hpp"

namespace slift::sim::wave {

class MediumSampler {
 public:
  explicit MediumSampler(const Params& p);  // plans an FFT: call on one thread
  // The field g (unit variance in expectation) into g, n_solve^2 values, row-major.
  void sample_field(Rng& rng, double* g);
  // The speed c from a fresh field.
  void sample_speed(Rng& rng, double* c);
  // Per-mode standard deviation in r2c layout (n_solve x (n_solve/2 + 1)), for tests.
  const std::vector<double>& amplitude() const { return amplitude_; }

 private:
  Params p_;
  RealFft2d fft_;
  std::vector<double> amplitude_;
  SpectrumBuffer spec_;
};

}  // namespace slift::sim::wave
