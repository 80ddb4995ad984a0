// Owning wrappers of FFTW buffers and plans, shared by the systems (the wave's spectral solver,
// the flow's Matérn sampler, the Allen-Cahn stepper).
//
// Plans are made with FFTW_ESTIMATE unless a MeasuredPlans scope is alive: ESTIMATE's choice of
// algorithm depends only on the size, so every rank and thread computes the same bits. FFTW_MEASURE
// times candidates and may pick different algorithms on different ranks or runs, which round
// differently; measured plans are therefore made from one wisdom (FFTW's record of its choices)
// that every rank and thread shares (simulators/fft_wisdom.hpp: `simulate.fft_plans: measure`).
// Plans are executed with the new-array interface on buffers allocated here (same alignment as
// at planning time), so one plan serves every field of a worker. Planning is not thread-safe:
// make plans on one thread.
#pragma once
#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <new>
#include <string>
#include <vector>

namespace slift::sim {

// While alive, the plans of this process are made with FFTW_MEASURE from `wisdom` (FFTW's text,
// "" for none): sizes it covers take its algorithms, others are measured and added. With
// wisdom_only a size it does not cover is an error instead (a rank that must plan exactly as
// another did). One at a time, on the planning thread; on destruction the wisdom is forgotten
// and plans are estimated again (FFTW would otherwise let wisdom steer estimated plans too).
class MeasuredPlans {
 public:
  MeasuredPlans(const std::string& wisdom, bool wisdom_only);
  ~MeasuredPlans();
  MeasuredPlans(const MeasuredPlans&) = delete;
  MeasuredPlans& operator=(const MeasuredPlans&) = delete;
  // The wisdom now: what was given and what this scope measured.
  std::string wisdom() const;
};

// Whether this FFTW reads `text` as wisdom.
bool is_fftw_wisdom(const std::string& text);

// A 64-byte aligned array of T from fftw_malloc.
template <class T>
class FftwBuffer {
 public:
  FftwBuffer() = default;
  explicit FftwBuffer(size_t n) : n_(n), p_(static_cast<T*>(fftw_malloc(n * sizeof(T)))) {
    if (!p_ && n > 0) throw std::bad_alloc();
    for (size_t i = 0; i < n; ++i) p_[i] = T{};
  }
  ~FftwBuffer() { fftw_free(p_); }
  FftwBuffer(FftwBuffer&& o) noexcept : n_(o.n_), p_(o.p_) { o.p_ = nullptr, o.n_ = 0; }
  FftwBuffer& operator=(FftwBuffer&& o) noexcept {
    std::swap(n_, o.n_), std::swap(p_, o.p_);
    return *this;
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }

 private:
  size_t n_ = 0;
  T* p_ = nullptr;
};

using RealBuffer = FftwBuffer<double>;
using SpectrumBuffer = FftwBuffer<std::complex<double>>;  // layout-compatible with fftw_complex

// Forward (r2c) and backward (c2r, unnormalised, destroys its input) transforms of real fields of
// shape `dims` (row-major); spectra have the last dimension cut to dims.back() / 2 + 1.
class RealFft {
 public:
  explicit RealFft(std::vector<int> dims);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  size_t real_size() const;
  size_t spectrum_size() const;
  void forward(const double* in, std::complex<double>* out) const;
  void backward(std::complex<double>* in, double* out) const;

 protected:
  std::vector<int> dims_;

 private:
  fftw_plan r2c_ = nullptr, c2r_ = nullptr;
};

// n x n real fields; spectra are n x (n/2 + 1).
class RealFft2d : public RealFft {
 public:
  explicit RealFft2d(int n) : RealFft({n, n}) {}
  int n() const { return dims_[0]; }
};

// The forward complex transform of mx x my fields (row-major), in place.
class ComplexFft2d {
 public:
  ComplexFft2d(int mx, int my);
  ~ComplexFft2d();
  ComplexFft2d(const ComplexFft2d&) = delete;
  ComplexFft2d& operator=(const ComplexFft2d&) = delete;

  size_t size() const { return size_t(mx_) * my_; }
  void forward(std::complex<double>* data) const;

 private:
  int mx_, my_;
  fftw_plan plan_ = nullptr;
};

}  // namespace slift::sim
