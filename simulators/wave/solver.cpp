#include "simulators/wave/solver.hpp"

#include <cmath>
#include <utility>
#include <vector>

namespace slift::sim::wave {

LeapfrogSolver::LeapfrogSolver(int n, double length, Form form, double dt)
    : fft_(n), form_(form), dt_(dt), length_(length) {
  const size_t real = fft_.real_size(), spec = fft_.spectrum_size();
  const int half = n / 2 + 1;
  u_ = RealBuffer(real), u_old_ = RealBuffer(real), work_ = RealBuffer(real);
  c2_ = RealBuffer(real), update_ = RealBuffer(real);
  spec_ = SpectrumBuffer(spec);
  neg_k2_ = RealBuffer(spec);
  const double k_unit = 2 * M_PI / length, norm = 1.0 / (double(n) * n);
  auto wavenumber = [&](int i) { return (i <= n / 2 ? i : i - n) * k_unit; };
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < half; ++j) {
      const double kx = wavenumber(i), ky = j * k_unit;
      neg_k2_[size_t(i) * half + j] = -(kx * kx + ky * ky) * norm;
    }
  if (form_ == Form::divergence) {
    gx_ = RealBuffer(real), gy_ = RealBuffer(real), spec_y_ = SpectrumBuffer(spec);
    ikx_ = RealBuffer(n), iky_ = RealBuffer(half);
    for (int i = 0; i < n; ++i) ikx_[i] = i == n / 2 ? 0.0 : wavenumber(i) * norm;
    for (int j = 0; j < half; ++j) iky_[j] = j == n / 2 ? 0.0 : j * k_unit * norm;
  }
}

void LeapfrogSolver::set_medium(const double* c) {
  for (size_t i = 0; i < c2_.size(); ++i) c2_[i] = c[i] * c[i], update_[i] = dt_ * dt_ * c2_[i];
}

void LeapfrogSolver::apply(const double* in, double* out) {
  const int n = fft_.n(), half = n / 2 + 1;
  const size_t spec = fft_.spectrum_size(), real = fft_.real_size();
  std::complex<double>* s = spec_.data();
  fft_.forward(in, s);
  if (form_ == Form::laplacian) {
    for (size_t q = 0; q < spec; ++q) s[q] *= neg_k2_[q];
    fft_.backward(s, out);
    return;
  }
  // Gradient, flux c^2 grad u in physical space, divergence. i * z = (-im z, re z).
  std::complex<double>* sy = spec_y_.data();
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < half; ++j) {
      const size_t q = size_t(i) * half + j;
      const std::complex<double> iz(-s[q].imag(), s[q].real());
      sy[q] = iz * iky_[j], s[q] = iz * ikx_[i];
    }
  fft_.backward(s, gx_.data());
  fft_.backward(sy, gy_.data());
  for (size_t r = 0; r < real; ++r) gx_[r] *= c2_[r], gy_[r] *= c2_[r];
  fft_.forward(gx_.data(), s);
  fft_.forward(gy_.data(), sy);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < half; ++j) {
      const size_t q = size_t(i) * half + j;
      const std::complex<double> d = s[q] * ikx_[i] + sy[q] * iky_[j];
      s[q] = std::complex<double>(-d.imag(), d.real());
    }
  fft_.backward(s, out);
}

void LeapfrogSolver::start(const double* u0) {
  const size_t real = fft_.real_size();
  for (size_t r = 0; r < real; ++r) u_old_[r] = u0[r];
  apply(u_old_.data(), work_.data());
  const double half_dt2 = 0.5 * dt_ * dt_;
  for (size_t r = 0; r < real; ++r)
    u_[r] = u_old_[r] + (form_ == Form::laplacian ? 0.5 * update_[r] : half_dt2) * work_[r];
}

void LeapfrogSolver::step() {
  apply(u_.data(), work_.data());
  const size_t real = fft_.real_size();
  double* __restrict next = u_old_.data();
  const double* __restrict cur = u_.data();
  const double* __restrict w = work_.data();
  if (form_ == Form::laplacian) {
    const double* __restrict a = update_.data();
    for (size_t r = 0; r < real; ++r) next[r] = 2 * cur[r] - next[r] + a[r] * w[r];
  } else {
    const double dt2 = dt_ * dt_;
    for (size_t r = 0; r < real; ++r) next[r] = 2 * cur[r] - next[r] + dt2 * w[r];
  }
  std::swap(u_, u_old_);
}

double LeapfrogSolver::energy() {
  apply(u_old_.data(), work_.data());
  const size_t real = fft_.real_size();
  double kinetic = 0, potential = 0;
  for (size_t r = 0; r < real; ++r) {
    const double v = u_[r] - u_old_[r], w = form_ == Form::laplacian ? 1.0 / c2_[r] : 1.0;
    kinetic += w * v * v;
    potential -= u_[r] * work_[r];
  }
  const double h = length_ / fft_.n();
  return 0.5 * h * h * (kinetic / (dt_ * dt_) + potential);
}

double LeapfrogSolver::gradient_norm2(const double* u) {
  std::complex<double>* s = spec_.data();
  fft_.forward(u, s);
  for (size_t q = 0; q < fft_.spectrum_size(); ++q) s[q] *= neg_k2_[q];
  fft_.backward(s, work_.data());
  double sum = 0;
  for (size_t r = 0; r < fft_.real_size(); ++r) sum -= u[r] * work_[r];
  const double h = length_ / fft_.n();
  return h * h * sum;
}

RealBuffer initial_bump(const Params& p) {
  const int n = p.n_solve;
  RealBuffer u0(size_t(n) * n);
  const double h = p.length / n, w2 = 2 * p.bump_width * p.bump_width;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double dx = i * h - p.bump_x, dy = j * h - p.bump_y;
      u0[size_t(i) * n + j] = p.bump_amplitude * std::exp(-(dx * dx + dy * dy) / w2);
    }
  return u0;
}

// What the leapfrog scheme allows the solution to do, per stored frame: a bound on the root sum
// of squares of the frame's values. With u_{n+1} - 2 u_n + u_{n-1} = -dt^2 M P u_n (laplacian form
// M = c^2, P = -lap; divergence form M = 1, P = -div(c^2 grad)), the scheme conserves
//   E = 1/2 [ |u_{n+1} - u_n|^2_{1/M} / dt^2 + <u_{n+1}, P u_n> ]        (norms h^2 sum),
// and E >= 1/2 (1 - q^2) |u_{n+1} - u_n|^2_{1/M} / dt^2 with q = dt / (leapfrog limit) < 1. The
// Taylor start from rest gives E <= 1/2 <u_0, P u_0>, and in both forms |M| E <= 1/2 c_max^2 G^2,
// G = |grad u_0|. So every step moves u by at most dt c_max G / sqrt(1 - q^2):
//   |u(t)| <= |u_0| + t c_max G / sqrt(1 - q^2),
// whatever the medium (c = 0 included: u does not move there). A stored frame (every s-th point,
// or the Fourier truncation without Nyquist) has a root sum of squares at most |u(t)| / h. A
// correct run cannot exceed it; an unstable or wrong update does within a few frames.
std::vector<double> frame_norm_bounds(const Params& p) {
  const RealBuffer u0 = initial_bump(p);
  LeapfrogSolver solver(p.n_solve, p.length, p.form, p.dt());
  const double h = p.length / p.n_solve, grad = std::sqrt(solver.gradient_norm2(u0.data()));
  double norm = 0;
  for (size_t r = 0; r < u0.size(); ++r) norm += u0[r] * u0[r];
  norm = h * std::sqrt(norm);
  const double q = p.dt() / leapfrog_dt_limit(p.n_solve, p.length, p.speed_bound());
  const double speed = p.speed_bound() * grad / std::sqrt(1 - q * q);
  // Slack for float32 storage and the rounding of the energy over many steps.
  constexpr double kSlack = 1 + 1e-6;
  std::vector<double> bound;
  for (int f = 0; f < p.n_frames; ++f) bound.push_back(kSlack * (norm + f * p.frame_dt() * speed) / h);
  return bound;
}

}  // namespace slift::sim::wave
