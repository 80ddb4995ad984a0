#include "simulators/fftw.hpp"

#include <cstdlib>
#include <utility>

#include "core/error.hpp"

namespace slift::sim {
namespace {

unsigned planner = FFTW_ESTIMATE;  // FFTW_MEASURE (| FFTW_WISDOM_ONLY) while MeasuredPlans lives

// FFTW returns no plan only when planning from wisdom alone and the wisdom lacks the size.
void require_plans(std::initializer_list<fftw_plan> plans, const std::string& size) {
  bool made = true;
  for (fftw_plan p : plans) made = made && p;
  if (made) return;
  for (fftw_plan p : plans) fftw_destroy_plan(p);  // accepts null
  if (planner & FFTW_WISDOM_ONLY)
    runtime_error("the shared FFTW wisdom holds no plan for a " + size +
                  " transform (simulate.fft_plans: measure): plans must come from the wisdom this run was started with");
  SLIFT_ASSERT(false, "FFTW could not plan a " + size + " transform");
}

}  // namespace

MeasuredPlans::MeasuredPlans(const std::string& wisdom, bool wisdom_only) {
  fftw_forget_wisdom();  // only `wisdom` steers these plans
  if (!wisdom.empty() && !fftw_import_wisdom_from_string(wisdom.c_str()))
    runtime_error("FFTW cannot read the wisdom it was given (simulate.fft_plans: measure)");
  planner = FFTW_MEASURE | (wisdom_only ? FFTW_WISDOM_ONLY : 0u);
}

MeasuredPlans::~MeasuredPlans() {
  planner = FFTW_ESTIMATE;
  fftw_forget_wisdom();
}

std::string MeasuredPlans::wisdom() const {
  char* text = fftw_export_wisdom_to_string();
  SLIFT_ASSERT(text, "FFTW could not export its wisdom");
  std::string s = text;
  std::free(text);
  return s;
}

bool is_fftw_wisdom(const std::string& text) {
  fftw_forget_wisdom();
  const bool read = fftw_import_wisdom_from_string(text.c_str()) != 0;
  fftw_forget_wisdom();
  return read;
}

RealFft::RealFft(std::vector<int> dims) : dims_(std::move(dims)) {
  // Planning buffers only (FFTW_MEASURE writes them): execution uses the worker's own.
  RealBuffer real(real_size());
  SpectrumBuffer spec(spectrum_size());
  auto* c = reinterpret_cast<fftw_complex*>(spec.data());
  const int rank = static_cast<int>(dims_.size());
  r2c_ = fftw_plan_dft_r2c(rank, dims_.data(), real.data(), c, planner);
  c2r_ = fftw_plan_dft_c2r(rank, dims_.data(), c, real.data(), planner);
  std::string size = std::to_string(dims_[0]);  // "64", "32^2", "16 x 32"
  if (dims_.size() == 2) size += dims_[1] == dims_[0] ? "^2" : " x " + std::to_string(dims_[1]);
  require_plans({r2c_, c2r_}, size);
}

RealFft::~RealFft() {
  fftw_destroy_plan(r2c_);
  fftw_destroy_plan(c2r_);
}

size_t RealFft::real_size() const {
  size_t n = 1;
  for (int d : dims_) n *= size_t(d);
  return n;
}

size_t RealFft::spectrum_size() const { return real_size() / size_t(dims_.back()) * size_t(dims_.back() / 2 + 1); }

void RealFft::forward(const double* in, std::complex<double>* out) const {
  // FFTW's r2c does not write its input; the signature lacks the const.
  fftw_execute_dft_r2c(r2c_, const_cast<double*>(in), reinterpret_cast<fftw_complex*>(out));
}

void RealFft::backward(std::complex<double>* in, double* out) const {
  fftw_execute_dft_c2r(c2r_, reinterpret_cast<fftw_complex*>(in), out);
}

ComplexFft2d::ComplexFft2d(int mx, int my) : mx_(mx), my_(my) {
  SpectrumBuffer planning(size());  // in place, as every execution
  auto* c = reinterpret_cast<fftw_complex*>(planning.data());
  plan_ = fftw_plan_dft_2d(mx, my, c, c, FFTW_FORWARD, planner);
  require_plans({plan_}, std::to_string(mx) + " x " + std::to_string(my));
}

ComplexFft2d::~ComplexFft2d() { fftw_destroy_plan(plan_); }

void ComplexFft2d::forward(std::complex<double>* data) const {
  auto* c = reinterpret_cast<fftw_complex*>(data);
  fftw_execute_dft(plan_, c, c);
}

}  // namespace slift::sim
