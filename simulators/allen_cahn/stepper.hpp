// Exponential Euler-Maruyama for the stochastic Allen-Cahn equation in Fourier space (Jentzen &
// Kloeden 2009; Lord, Powell & Shardlow, ch. 10). With u_hat_m = sum_j u_j exp(-2 pi i j m / n)
// (FFTW's unnormalised transform), k_m = 2 pi m / L and the linear rate lambda_m = 1 - nu k_m^2,
// one step of dt is
//   u_hat_m <- exp(lambda_m dt) u_hat_m + phi1(lambda_m dt) dt N_hat_m(u) + xi_m,
// N(u) = -u^3 evaluated on the grid, phi1(z) = (e^z - 1) / z, and xi_m the exact Ornstein-Uhlenbeck
// noise of the step: space-time white noise of strength sigma resolved by the grid's modes puts
// q = sigma^2 n^2 / L per unit time into E|u_hat_m|^2, so E|xi_m|^2 = q dt phi1(2 lambda_m dt).
// Modes 0 and n/2 are real; the others split their variance evenly between real and imaginary parts.
#pragma once
#include <complex>
#include <vector>

#include "core/rng.hpp"
#include "simulators/allen_cahn/params.hpp"
#include "simulators/fftw.hpp"

namespace slift::sim::allen_cahn {

// (e^z - 1) / z, 1 at z = 0.
double phi1(double z);

class Stepper {
 public:
  // Plans the FFTs: make steppers on one thread.
  explicit Stepper(const Params& p);

  int n_modes() const { return static_cast<int>(rate_.size()); }  // n_cells / 2 + 1
  double rate(int m) const { return rate_[m]; }                    // lambda_m
  // E|xi_m|^2 of mode m's exact Ornstein-Uhlenbeck noise over a time t.
  double noise_variance(int m, double t) const;
  // E|u_hat_m|^2 of the initial condition's fluctuation (its mean is initial_mean n in mode 0).
  double initial_variance(int m) const;
  // Complex Gaussians with E|out_m|^2 = variance[m], real in modes 0 and n/2.
  void draw(Rng& rng, const std::vector<double>& variance, std::complex<double>* out) const;

  // The random initial condition.
  void start(Rng& rng);
  void set_field(const float* u);
  // One step of dt with the step's noise xi (n_modes values), or with noise drawn from rng.
  void step(const std::complex<double>* xi);
  void step(Rng& rng);
  void field(float* u) const;  // u on the grid
  const std::complex<double>* spectrum() const { return u_hat_.data(); }

 private:
  // u_ = u on the grid from u_hat_.
  void to_grid();

  Params p_;
  double q_;                                  // E|u_hat_m|^2 per unit time from the noise
  std::vector<double> rate_, decay_, drift_;  // lambda_m, exp(lambda_m dt), dt phi1(lambda_m dt)
  std::vector<double> step_variance_;         // noise_variance(m, dt)
  RealFft fft_;
  RealBuffer u_, cubic_;
  SpectrumBuffer u_hat_, scratch_, xi_;
};

}  // namespace slift::sim::allen_cahn
