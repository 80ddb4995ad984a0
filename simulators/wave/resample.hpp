// From the solver grid (n_solve^2) to the stored grid (n_out^2), as float32.
//   stride:   every (n_solve / n_out)-th point (the authors' subsampling; n_out divides n_solve);
//             the stored values are exact solver values at the stored points.
//   spectral: keep the Fourier modes |kx|, |ky| < n_out / 2 and transform back on the coarse
//             grid (band-limited interpolation: no aliasing of the fine scales into the frames).
// Both sample the points x_i = i L / n_out, the coordinates written to the data set.
#pragma once
#include <memory>

#include "simulators/fftw.hpp"
#include "simulators/wave/params.hpp"

namespace slift::sim::wave {

class Resampler {
 public:
  Resampler(int n_solve, int n_out, Downsample mode);  // spectral plans FFTs: one thread
  // in: n_solve^2 values in an FFTW buffer; out: n_out^2 floats.
  void apply(const double* in, float* out);

 private:
  int n_, m_;
  Downsample mode_;
  std::unique_ptr<RealFft2d> fine_fft_, coarse_fft_;
  SpectrumBuffer fine_spec_, coarse_spec_;
  RealBuffer coarse_values_;
};

}  // namespace slift::sim::wave
