#include "simulators/wave/medium.hpp"

#include <algorithm>
#include <cmath>

namespace slift::sim::wave {

MediumSampler::MediumSampler(const Params& p) : p_(p), fft_(p.n_solve), spec_(fft_.spectrum_size()) {
  const int n = p.n_solve, half = n / 2 + 1;
  amplitude_.assign(fft_.spectrum_size(), 0.0);
  double variance = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < half; ++j) {
      const int kx = i <= n / 2 ? i : i - n, ky = j;
      if ((kx == 0 && ky == 0) || i == n / 2 || j == n / 2) continue;
      const double k = std::hypot(kx, ky), l = std::log(k / p.k0);
      const double s = std::exp(-l * l / (2 * p.spectrum_width * p.spectrum_width));
      amplitude_[size_t(i) * half + j] = s;
      // Columns 0 < j < n/2 stand for k and -k in the c2r sum; column 0 holds both itself.
      variance += j == 0 ? s : 2 * s;
    }
  for (double& a : amplitude_) a = std::sqrt(a / variance);
}

void MediumSampler::sample_field(Rng& rng, double* g) {
  const int n = p_.n_solve, half = n / 2 + 1;
  // Two normals for every entry in a fixed order: the field depends on (seed, trajectory) only.
  for (size_t q = 0; q < spec_.size(); ++q) {
    const double re = rng.normal(), im = rng.normal();
    spec_[q] = amplitude_[q] * std::complex<double>(re, im) * M_SQRT1_2;
  }
  // Column 0 must be Hermitian on its own: entry -kx is the conjugate of entry kx.
  for (int i = n / 2 + 1; i < n; ++i) spec_[size_t(i) * half] = std::conj(spec_[size_t(n - i) * half]);
  fft_.backward(spec_.data(), g);
}

void MediumSampler::sample_speed(Rng& rng, double* c) {
  sample_field(rng, c);
  const size_t size = fft_.real_size();
  if (p_.speed_map == SpeedMap::minmax) {
    const auto [lo, hi] = std::minmax_element(c, c + size);
    const double g_min = *lo, scale = (p_.c_max - p_.c_min) / (*hi - *lo);
    for (size_t i = 0; i < size; ++i) c[i] = p_.c_min + (c[i] - g_min) * scale;
    // Rounding may land a hair outside the interval; the dt check relies on c <= c_max.
    for (size_t i = 0; i < size; ++i) c[i] = std::clamp(c[i], p_.c_min, p_.c_max);
  } else {
    for (size_t i = 0; i < size; ++i) c[i] = p_.c_ref * std::exp(p_.log_std * std::clamp(c[i], -p_.clip, p_.clip));
  }
}

}  // namespace slift::sim::wave
