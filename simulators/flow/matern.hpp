// Gaussian random fields with Matérn covariance, sampled exactly on a grid by circulant
// embedding (Dietrich & Newsam 1997).
//
// Convention (the one of Rasmussen & Williams, and of the reference notes):
//   C(r) = sigma^2 2^(1-nu) / Gamma(nu) (sqrt(2 nu) r / l)^nu K_nu(sqrt(2 nu) r / l),  C(0) = sigma^2,
// plus an optional nugget: white noise of variance `nugget` added at lag zero.
// The grid's covariance matrix is embedded in a periodic (circulant) one on an mx x my grid; its
// eigenvalues are one FFT of the embedded covariance. When they are all >= 0, a complex FFT of
// scaled complex white noise gives two independent fields with exactly the grid covariance.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "simulators/fftw.hpp"

namespace slift::sim::flow {

struct MaternParams {
  double sigma = 1.0;   // marginal standard deviation
  double length = 0.1;  // correlation length l
  double nu = 1.5;      // smoothness
  double nugget = 0.0;  // white-noise variance added at lag zero
};

// C(r) without the nugget.
double matern(double r, const MaternParams& p);

// The eigenvalues of the padded circulant embedding of an nx x ny grid with spacing hx, hy.
class Embedding {
 public:
  // Pads (starting from 2(n - 1) per dimension) until no eigenvalue is below -1e-10 of the
  // largest; refuses (returns nothing, `why` says what to change) past max_factor x the grid.
  static std::optional<Embedding> make(int nx, int ny, double hx, double hy, const MaternParams& p, double max_factor,
                                       std::string& why);
  int nx() const { return nx_; }
  int ny() const { return ny_; }
  int mx() const { return mx_; }
  int my() const { return my_; }
  // sqrt(lambda / (mx my)) per frequency, what the sampler multiplies the noise by.
  const std::vector<double>& scale() const { return scale_; }
  // Exact covariance of the sampled field between cells (i, j) and (i + dx, j + dy): the inverse
  // DFT of the (clipped) eigenvalues at that lag.
  double covariance(int dx, int dy) const;

 private:
  int nx_ = 0, ny_ = 0, mx_ = 0, my_ = 0;
  std::vector<double> scale_;
};

// Draws fields on one thread; owns its FFT plan and buffer (make one per worker, serially).
class FieldSampler {
 public:
  explicit FieldSampler(std::shared_ptr<const Embedding> e);
  // Two independent zero-mean fields on the nx x ny grid, index i * ny + j.
  void sample(Rng& rng, double* g1, double* g2);

 private:
  std::shared_ptr<const Embedding> e_;
  ComplexFft2d fft_;  // FFTW_ESTIMATE: the plan must not depend on timings, or two processes could
                      // pick different algorithms and the fields would differ between rank counts
  SpectrumBuffer buf_;
};

}  // namespace slift::sim::flow
