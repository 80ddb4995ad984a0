#include "simulators/flow/matern.hpp"

#include <algorithm>
#include <cmath>

namespace slift::sim::flow {

double matern(double r, const MaternParams& p) {
  const double s2 = p.sigma * p.sigma;
  if (r == 0) return s2;
  const double x = std::sqrt(2 * p.nu) * r / p.length;
  if (x > 700) return 0;  // K_nu underflows long before; C/sigma^2 < 1e-300 there
  return s2 * std::pow(2.0, 1 - p.nu) / std::tgamma(p.nu) * std::pow(x, p.nu) * std::cyl_bessel_k(p.nu, x);
}

namespace {

// Smallest size >= n with only the factors 2, 3, 5 (fast FFT) and even (so the embedding is
// symmetric about m / 2).
int fft_size(int n) {
  for (int m = std::max(n, 1);; ++m) {
    if (m > 1 && m % 2) continue;
    int r = m;
    for (int f : {2, 3, 5})
      while (r % f == 0) r /= f;
    if (r == 1) return m;
  }
}

// Eigenvalues of the circulant embedding: the DFT of its first row, which is real because the
// embedded covariance is even in both lags.
std::vector<double> eigenvalues(int mx, int my, double hx, double hy, const MaternParams& p) {
  const ComplexFft2d fft(mx, my);
  SpectrumBuffer buf(fft.size());
  for (int i = 0; i < mx; ++i)
    for (int j = 0; j < my; ++j) {
      const double dx = hx * std::min(i, mx - i), dy = hy * std::min(j, my - j);
      buf[i * my + j] = matern(std::hypot(dx, dy), p) + (i == 0 && j == 0 ? p.nugget : 0.0);
    }
  fft.forward(buf.data());
  std::vector<double> lambda(fft.size());
  for (size_t k = 0; k < lambda.size(); ++k) lambda[k] = buf[k].real();
  return lambda;
}

}  // namespace

std::optional<Embedding> Embedding::make(int nx, int ny, double hx, double hy, const MaternParams& p, double max_factor,
                                         std::string& why) {
  // A dimension of one cell needs no embedding; otherwise start at the minimal 2(n - 1).
  auto start = [](int n) { return n == 1 ? 1 : fft_size(2 * (n - 1)); };
  int mx = start(nx), my = start(ny);
  for (;;) {
    std::vector<double> lambda = eigenvalues(mx, my, hx, hy, p);
    const double top = *std::max_element(lambda.begin(), lambda.end());
    const double low = *std::min_element(lambda.begin(), lambda.end());
    if (low >= -1e-10 * top) {
      Embedding e;
      e.nx_ = nx, e.ny_ = ny, e.mx_ = mx, e.my_ = my;
      e.scale_.resize(lambda.size());
      const double m = static_cast<double>(mx) * my;
      for (size_t k = 0; k < lambda.size(); ++k) e.scale_[k] = std::sqrt(std::max(lambda[k], 0.0) / m);
      return e;
    }
    // Pad by a quarter in every embedded dimension.
    const int nmx = nx == 1 ? 1 : fft_size(mx + std::max(2, mx / 4));
    const int nmy = ny == 1 ? 1 : fft_size(my + std::max(2, my / 4));
    if (nmx > max_factor * nx || nmy > max_factor * ny) {
      why = "circulant embedding still has negative eigenvalues (" + std::to_string(low / top) + " of the largest) at " +
            std::to_string(mx) + " x " + std::to_string(my) + " for a " + std::to_string(nx) + " x " +
            std::to_string(ny) + " grid; raise max_embedding or lower the correlation length or nu";
      return std::nullopt;
    }
    mx = nmx, my = nmy;
  }
}

double Embedding::covariance(int dx, int dy) const {
  // Cov = (1 / M) sum_k lambda_k cos(2 pi k . lag / m), with lambda_k / M = scale_k^2.
  double c = 0;
  for (int a = 0; a < mx_; ++a)
    for (int b = 0; b < my_; ++b) {
      const double s = scale_[a * my_ + b];
      c += s * s * std::cos(2 * M_PI * (static_cast<double>(a) * dx / mx_ + static_cast<double>(b) * dy / my_));
    }
  return c;
}

FieldSampler::FieldSampler(std::shared_ptr<const Embedding> e)
    : e_(std::move(e)), fft_(e_->mx(), e_->my()), buf_(fft_.size()) {}

void FieldSampler::sample(Rng& rng, double* g1, double* g2) {
  const std::vector<double>& scale = e_->scale();
  for (size_t k = 0; k < scale.size(); ++k) {
    const double re = scale[k] * rng.normal();  // real part first: the order of the draws
    buf_[k] = {re, scale[k] * rng.normal()};
  }
  fft_.forward(buf_.data());
  const int nx = e_->nx(), ny = e_->ny(), my = e_->my();
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      g1[i * ny + j] = buf_[i * my + j].real();
      g2[i * ny + j] = buf_[i * my + j].imag();
    }
}

}  // namespace slift::sim::flow
