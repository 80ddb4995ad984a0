// Physics of the Allen-Cahn solver against exact results: without the cubic term every Fourier
// mode is an Ornstein-Uhlenbeck process (exact means and variances at every saved time, and one
// frame ahead of a given state); with it the weak error of a moment shrinks with order 1 in dt;
// the shipped config is metastable.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/rng.hpp"
#include "simulators/allen_cahn/stepper.hpp"
#include "simulators/fftw.hpp"
#include "simulators/system.hpp"
#include "support/test_support.hpp"

using namespace slift;

namespace {

std::unique_ptr<sim::System> system_from_yaml(const std::string& yaml) {
  auto cfg = config::Config::from_string(yaml);
  auto simulate = cfg.root().section("simulate");
  auto system = sim::make_system(simulate);
  simulate.finish();
  return system;
}

// The linear equation du = (nu u_xx + u) dt + sigma dW on n points of [0, L), written out here
// independently of the solver. Modes in FFTW's convention u_hat_m = sum_j u_j e^{-2 pi i j m / n}:
// the noise puts q = sigma^2 n^2 / L per unit time into E|u_hat_m|^2.
struct LinearModes {
  double length, nu, sigma;
  int n;
  double rate(int m) const {
    const double k = 2 * M_PI * m / length;
    return 1 - nu * k * k;
  }
  double q() const { return sigma * sigma * n * n / length; }
  // E|xi_m|^2 of the noise integrated over a time t: q (e^{2 lambda t} - 1) / (2 lambda).
  double noise(int m, double t) const { return q() * std::expm1(2 * rate(m) * t) / (2 * rate(m)); }
  // The initial fluctuation: stationary variance of the linearisation at +-1, q / (2 (nu k^2 + 2)).
  double initial(int m) const { return q() / (2 * (1 - rate(m) + 2)); }
};

// The Fourier modes of one frame of n values.
std::vector<std::complex<double>> modes_of(const float* frame, int n) {
  sim::RealFft fft({n});
  sim::RealBuffer u{static_cast<size_t>(n)};
  sim::SpectrumBuffer spectrum{fft.spectrum_size()};
  for (int j = 0; j < n; ++j) u[j] = frame[j];
  fft.forward(u.data(), spectrum.data());
  return {spectrum.data(), spectrum.data() + spectrum.size()};
}

struct Moments {
  std::vector<std::complex<double>> mean;  // per mode
  std::vector<double> variance;            // E|u_hat_m - mean|^2
};

// Checks the sample's modes against exact moments: the mean of every real and imaginary part
// within 5 standard errors, and its variance (half the mode's where the part is one of two) within
// 5 standard errors of a Gaussian sample's variance, var sqrt(2 / (M - 1)). A correct solver fails
// one such check with probability about 6e-7 (a little more for the variances' skew at M = 4000),
// so a run of 160 checks raises a false alarm with probability about 1e-4. Returns the number of
// checks.
int expect_moments(const std::vector<float>& frames, int n, const Moments& exact, const std::string& where) {
  const int64_t count = int64_t(frames.size()) / n, modes = n / 2 + 1;
  std::vector<std::vector<std::complex<double>>> samples(modes);
  for (int64_t i = 0; i < count; ++i) {
    const std::vector<std::complex<double>> spectrum = modes_of(frames.data() + size_t(i) * n, n);
    for (int m = 0; m < modes; ++m) samples[m].push_back(spectrum[m]);
  }
  int checks = 0;
  for (int m = 0; m < modes; ++m) {
    const bool real_only = m == 0 || m == n / 2;
    for (int part = 0; part < (real_only ? 1 : 2); ++part) {
      auto pick = [&](std::complex<double> z) { return part == 0 ? z.real() : z.imag(); };
      const double mu = pick(exact.mean[m]), var = real_only ? exact.variance[m] : exact.variance[m] / 2;
      double mean = 0, s2 = 0;
      for (auto z : samples[m]) mean += pick(z);
      mean /= double(count);
      for (auto z : samples[m]) s2 += (pick(z) - mean) * (pick(z) - mean);
      s2 /= double(count - 1);
      const std::string name = where + " mode " + std::to_string(m) + (part ? " imag" : " real");
      EXPECT_NEAR(mean, mu, 5 * std::sqrt(var / double(count))) << name;
      EXPECT_NEAR(s2, var, 5 * var * std::sqrt(2.0 / double(count - 1))) << name;
      checks += 2;
    }
  }
  return checks;
}

const char* kLinear =
    "simulate: {system: allen_cahn, cubic: false, length: 6.283185307179586, n_cells: 16, nu: 0.5, sigma: 0.8,"
    " t_end: 2.0, n_frames: 5, dt: 0.05, initial: {mean: -1.0, spread: 1.0}}";

TEST(AllenCahnPhysics, WithoutTheCubicEveryModeHasItsExactOrnsteinUhlenbeckMomentsAtEverySavedTime) {
  const LinearModes lin{2 * M_PI, 0.5, 0.8, 16};
  const int n = 16, n_frames = 5, count = 4000;
  auto system = system_from_yaml(kLinear);
  auto worker = system->make_worker();
  std::vector<float> traj(size_t(n_frames) * n);
  std::vector<std::vector<float>> by_frame(n_frames);
  for (int i = 0; i < count; ++i) {
    worker->run(11, uint64_t(i), {traj.data()});
    for (int f = 0; f < n_frames; ++f) by_frame[f].insert(by_frame[f].end(), traj.begin() + f * n, traj.begin() + (f + 1) * n);
  }
  int checks = 0;
  for (int f = 0; f < n_frames; ++f) {
    const double t = 0.5 * f;
    Moments exact;
    for (int m = 0; m <= n / 2; ++m) {
      const double grow = std::exp(lin.rate(m) * t);
      exact.mean.push_back(m == 0 ? grow * -1.0 * n : 0.0);  // mode 0 carries the initial mean -1
      exact.variance.push_back(grow * grow * lin.initial(m) + (t > 0 ? lin.noise(m, t) : 0.0));
    }
    checks += expect_moments(by_frame[f], n, exact, "t = " + std::to_string(t));
  }
  EXPECT_EQ(checks, 5 * 2 * (9 + 7));
}

TEST(AllenCahnPhysics, NextStateSamplesHaveTheExactConditionalMomentsWithoutTheCubic) {
  const LinearModes lin{2 * M_PI, 0.5, 0.8, 16};
  const int n = 16, count = 4000;
  const double interval = 0.5;
  auto system = system_from_yaml(kLinear);
  std::vector<float> state(n);
  for (int j = 0; j < n; ++j) state[j] = static_cast<float>(std::sin(2 * M_PI * j / n) - 0.5);
  const std::vector<float> next = system->next_state_samples(state, 1.0, count, 3);
  ASSERT_EQ(next.size(), size_t(count) * n);
  const std::vector<std::complex<double>> start = modes_of(state.data(), n);
  Moments exact;
  for (int m = 0; m <= n / 2; ++m) {
    exact.mean.push_back(std::exp(lin.rate(m) * interval) * start[m]);
    exact.variance.push_back(lin.noise(m, interval));
  }
  expect_moments(next, n, exact, "one frame after a given state");
}

// E[mean_x u(T)^2] with the cubic on, against a reference at dt = T / 512 on the same Brownian
// paths: each coarse step's noise is the exact sum of the fine steps' OU increments,
// xi_coarse = sum_j exp(lambda (H - (j + 1) h)) xi_j, so every dt solves the same path and the
// differences have a small variance (common random numbers). Exponential Euler-Maruyama has weak
// order 1, e(dt) = C dt + O(dt^2), so the measured e(dt) - e(h) = C (dt - h): the fitted slope of
// log |difference| against log (dt - h) must lie within 1 +- 0.2.
TEST(AllenCahnPhysics, WeakErrorOfTheMeanSquareShrinksWithOrderOneInDt) {
  const int fine_steps = 512, paths = 2000;
  const std::vector<int> ratios{32, 16, 8, 4};  // dt = T/16 ... T/128
  sim::allen_cahn::Params p;
  p.n_cells = 16, p.nu = 1.2, p.sigma = 0.8, p.t_end = 1.0, p.n_frames = 2;
  auto at = [&](int steps) {
    sim::allen_cahn::Params q = p;
    q.steps_per_frame = steps;
    return std::make_unique<sim::allen_cahn::Stepper>(q);
  };
  auto reference = at(fine_steps);
  std::vector<std::unique_ptr<sim::allen_cahn::Stepper>> coarse;
  for (int r : ratios) coarse.push_back(at(fine_steps / r));
  const int modes = reference->n_modes();
  const double h = p.t_end / fine_steps;
  std::vector<double> fine_variance;
  for (int m = 0; m < modes; ++m) fine_variance.push_back(reference->noise_variance(m, h));

  auto mean_square = [&](const sim::allen_cahn::Stepper& s) {
    std::vector<float> u(p.n_cells);
    s.field(u.data());
    double sum = 0;
    for (float v : u) sum += double(v) * v;
    return sum / p.n_cells;
  };
  std::vector<double> sum(ratios.size()), sum_sq(ratios.size());
  std::vector<std::complex<double>> xi(size_t(fine_steps) * modes), combined(modes);
  for (int path = 0; path < paths; ++path) {
    Rng noise(21, uint64_t(path), "test.noise");
    for (int k = 0; k < fine_steps; ++k) reference->draw(noise, fine_variance, xi.data() + size_t(k) * modes);
    Rng init(21, uint64_t(path), "test.initial");
    reference->start(init);
    for (int k = 0; k < fine_steps; ++k) reference->step(xi.data() + size_t(k) * modes);
    const double truth = mean_square(*reference);
    for (size_t l = 0; l < ratios.size(); ++l) {
      auto& s = *coarse[l];
      const int r = ratios[l];
      Rng again(21, uint64_t(path), "test.initial");
      s.start(again);
      for (int k = 0; k < fine_steps / r; ++k) {
        for (int m = 0; m < modes; ++m) {
          combined[m] = 0;
          for (int j = 0; j < r; ++j)
            combined[m] += std::exp(s.rate(m) * (r - j - 1) * h) * xi[size_t(k * r + j) * modes + m];
        }
        s.step(combined.data());
      }
      const double d = mean_square(s) - truth;
      sum[l] += d, sum_sq[l] += d * d;
    }
  }
  std::vector<double> x, y;
  for (size_t l = 0; l < ratios.size(); ++l) {
    const double error = sum[l] / paths, se = std::sqrt((sum_sq[l] / paths - error * error) / (paths - 1));
    const double dt = ratios[l] * h;
    std::printf("dt %.5f  weak error %.4e  (standard error %.1e)\n", dt, error, se);
    EXPECT_GT(std::fabs(error), 5 * se) << "the error at dt " << dt << " is not resolved by " << paths << " paths";
    x.push_back(std::log(dt - h)), y.push_back(std::log(std::fabs(error)));
  }
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / x.size(), my = std::accumulate(y.begin(), y.end(), 0.0) / y.size();
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  const double slope = sxy / sxx;
  std::printf("fitted weak order %.3f\n", slope);
  EXPECT_NEAR(slope, 1.0, 0.2);
}

// configs/allen_cahn.yaml: a fair share of trajectories switch wells (the spatial mean changes
// sign between saved frames) within the window, and few switch often.
TEST(AllenCahnPhysics, ShippedConfigIsMetastable) {
  auto cfg = config::Config::load(test::source_dir() + "/configs/allen_cahn.yaml");
  auto simulate = cfg.root().section("simulate");
  auto system = sim::make_system(simulate);  // the common keys (n_train, ...) are the runner's
  const ArraySpec spec = system->arrays()[0];
  const int n_frames = int(spec.shape[0]), n = int(spec.shape[1]), count = 256;
  auto worker = system->make_worker();
  std::vector<float> traj(size_t(n_frames) * n);
  int switched = 0, switches = 0;
  for (int i = 0; i < count; ++i) {
    worker->run(1, uint64_t(i), {traj.data()});
    int sign = -1, own = 0;  // every trajectory starts near -1
    for (int f = 0; f < n_frames; ++f) {
      const double mean = std::accumulate(traj.begin() + f * n, traj.begin() + (f + 1) * n, 0.0) / n;
      if ((mean > 0 ? 1 : -1) != sign) sign = -sign, ++own;
    }
    switched += own > 0, switches += own;
  }
  const double share = double(switched) / count, per_trajectory = double(switches) / count;
  std::printf("%.3f of trajectories switch at least once, %.2f switches per trajectory\n", share, per_trajectory);
  EXPECT_GT(share, 0.3);
  EXPECT_LT(share, 0.8);
  EXPECT_LT(per_trajectory, 2.0);
}

}  // namespace
