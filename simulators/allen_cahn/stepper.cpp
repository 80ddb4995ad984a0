#include "simulators/allen_cahn/stepper.hpp"

#include <cmath>

namespace slift::sim::allen_cahn {

double phi1(double z) { return z == 0 ? 1.0 : std::expm1(z) / z; }

Stepper::Stepper(const Params& p)
    : p_(p),
      q_(p.sigma * p.sigma * double(p.n_cells) * p.n_cells / p.length),
      fft_({p.n_cells}),
      u_(size_t(p.n_cells)),
      cubic_(size_t(p.n_cells)),
      u_hat_(fft_.spectrum_size()),
      scratch_(fft_.spectrum_size()),
      xi_(fft_.spectrum_size()) {
  const double dt = p.dt();
  for (int m = 0; m <= p.n_cells / 2; ++m) {
    const double k = 2 * M_PI * m / p.length, lambda = 1 - p.nu * k * k;
    rate_.push_back(lambda);
    decay_.push_back(std::exp(lambda * dt));
    drift_.push_back(dt * phi1(lambda * dt));
  }
  for (int m = 0; m < n_modes(); ++m) step_variance_.push_back(noise_variance(m, dt));
}

double Stepper::noise_variance(int m, double t) const { return q_ * t * phi1(2 * rate_[m] * t); }

double Stepper::initial_variance(int m) const {
  // Stationary variance of the mode's OU process with the rate of the linearisation at +-1: -(nu k^2 + 2).
  const double stiffness = 1 - rate_[m] + 2;
  return p_.initial_spread * p_.initial_spread * q_ / (2 * stiffness);
}

void Stepper::draw(Rng& rng, const std::vector<double>& variance, std::complex<double>* out) const {
  const int last = n_modes() - 1;  // n/2
  for (int m = 0; m <= last; ++m) {
    if (m == 0 || m == last) {
      out[m] = {std::sqrt(variance[m]) * rng.normal(), 0.0};
    } else {
      const double s = std::sqrt(variance[m] / 2);
      const double re = s * rng.normal();
      out[m] = {re, s * rng.normal()};
    }
  }
}

void Stepper::start(Rng& rng) {
  std::vector<double> variance;
  for (int m = 0; m < n_modes(); ++m) variance.push_back(initial_variance(m));
  draw(rng, variance, u_hat_.data());
  u_hat_[0] += p_.initial_mean * p_.n_cells;
  to_grid();
}

void Stepper::set_field(const float* u) {
  for (int i = 0; i < p_.n_cells; ++i) u_[i] = u[i];
  fft_.forward(u_.data(), u_hat_.data());
}

void Stepper::step(const std::complex<double>* xi) {
  if (p_.cubic) {
    for (int i = 0; i < p_.n_cells; ++i) cubic_[i] = -u_[i] * u_[i] * u_[i];
    fft_.forward(cubic_.data(), scratch_.data());
  }
  for (int m = 0; m < n_modes(); ++m) {
    const std::complex<double> nonlinear = p_.cubic ? drift_[m] * scratch_[m] : 0.0;
    u_hat_[m] = decay_[m] * u_hat_[m] + nonlinear + xi[m];
  }
  to_grid();
}

void Stepper::step(Rng& rng) {
  draw(rng, step_variance_, xi_.data());
  step(xi_.data());
}

void Stepper::to_grid() {
  for (int m = 0; m < n_modes(); ++m) scratch_[m] = u_hat_[m];  // c2r destroys its input
  fft_.backward(scratch_.data(), u_.data());
  for (int i = 0; i < p_.n_cells; ++i) u_[i] /= p_.n_cells;
}

void Stepper::field(float* u) const {
  for (int i = 0; i < p_.n_cells; ++i) u[i] = static_cast<float>(u_[i]);
}

}  // namespace slift::sim::allen_cahn
