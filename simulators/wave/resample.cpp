#include "simulators/wave/resample.hpp"

namespace slift::sim::wave {

Resampler::Resampler(int n_solve, int n_out, Downsample mode) : n_(n_solve), m_(n_out), mode_(mode) {
  if (mode_ == Downsample::spectral) {
    fine_fft_ = std::make_unique<RealFft2d>(n_);
    coarse_fft_ = std::make_unique<RealFft2d>(m_);
    fine_spec_ = SpectrumBuffer(fine_fft_->spectrum_size());
    coarse_spec_ = SpectrumBuffer(coarse_fft_->spectrum_size());
    coarse_values_ = RealBuffer(coarse_fft_->real_size());
  }
}

void Resampler::apply(const double* in, float* out) {
  if (mode_ == Downsample::stride) {
    const int s = n_ / m_;
    for (int i = 0; i < m_; ++i)
      for (int j = 0; j < m_; ++j) out[i * m_ + j] = static_cast<float>(in[size_t(i) * s * n_ + size_t(j) * s]);
    return;
  }
  fine_fft_->forward(in, fine_spec_.data());
  const int fine_half = n_ / 2 + 1, half = m_ / 2 + 1;
  const double norm = 1.0 / (double(n_) * n_);
  for (int i = 0; i < m_; ++i) {
    const int kx = i <= m_ / 2 ? i : i - m_, src = kx >= 0 ? kx : kx + n_;
    for (int j = 0; j < half; ++j) {
      const bool nyquist = i == m_ / 2 || j == m_ / 2;
      coarse_spec_[size_t(i) * half + j] = nyquist ? std::complex<double>() : fine_spec_[size_t(src) * fine_half + j] * norm;
    }
  }
  coarse_fft_->backward(coarse_spec_.data(), coarse_values_.data());
  for (size_t r = 0; r < coarse_values_.size(); ++r) out[r] = static_cast<float>(coarse_values_[r]);
}

}  // namespace slift::sim::wave
