#include "simulators/fftw.hpp"

#include "core/error.hpp"

namespace slift::sim {

RealFft2d::RealFft2d(int n) : n_(n) {
  // Planning buffers only: FFTW_ESTIMATE does not touch them, execution uses the worker's own.
  RealBuffer real(real_size());
  SpectrumBuffer spec(spectrum_size());
  auto* c = reinterpret_cast<fftw_complex*>(spec.data());
  r2c_ = fftw_plan_dft_r2c_2d(n, n, real.data(), c, FFTW_ESTIMATE);
  c2r_ = fftw_plan_dft_c2r_2d(n, n, c, real.data(), FFTW_ESTIMATE);
  SLIFT_ASSERT(r2c_ && c2r_, "FFTW could not plan a " + std::to_string(n) + "^2 transform");
}

RealFft2d::~RealFft2d() {
  fftw_destroy_plan(r2c_);
  fftw_destroy_plan(c2r_);
}

void RealFft2d::forward(const double* in, std::complex<double>* out) const {
  // FFTW's r2c does not write its input; the signature lacks the const.
  fftw_execute_dft_r2c(r2c_, const_cast<double*>(in), reinterpret_cast<fftw_complex*>(out));
}

void RealFft2d::backward(std::complex<double>* in, double* out) const {
  fftw_execute_dft_c2r(c2r_, reinterpret_cast<fftw_complex*>(in), out);
}

ComplexFft2d::ComplexFft2d(int mx, int my) : mx_(mx), my_(my) {
  SpectrumBuffer planning(size());  // in place, as every execution
  auto* c = reinterpret_cast<fftw_complex*>(planning.data());
  plan_ = fftw_plan_dft_2d(mx, my, c, c, FFTW_FORWARD, FFTW_ESTIMATE);
  SLIFT_ASSERT(plan_, "FFTW could not plan a " + std::to_string(mx) + " x " + std::to_string(my) + " transform");
}

ComplexFft2d::~ComplexFft2d() { fftw_destroy_plan(plan_); }

void ComplexFft2d::forward(std::complex<double>* data) const {
  auto* c = reinterpret_cast<fftw_complex*>(data);
  fftw_execute_dft(plan_, c, c);
}

}  // namespace slift::sim
