// Random medium: its spectrum peaks at k0, its speeds stay in range, it depends on (seed, traj)
// only; and the resampling to the stored grid.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/rng.hpp"
#include "simulators/wave/medium.hpp"
#include "simulators/wave/resample.hpp"

namespace slift::sim::wave {
namespace {

class SpectrumPeak : public ::testing::TestWithParam<double> {};

// Radially averaged power (mean |g_hat|^2 over the modes of each integer shell round(|k|)),
// over many samples: its maximum is the shell of k0 (within one bin).
TEST_P(SpectrumPeak, RadialSpectrumPeaksAtK0) {
  Params p;
  p.n_solve = 64, p.k0 = GetParam(), p.spectrum_width = 0.4;
  MediumSampler sampler(p);
  RealFft2d fft(p.n_solve);
  RealBuffer g(fft.real_size());
  SpectrumBuffer s(fft.spectrum_size());
  const int n = p.n_solve, half = n / 2 + 1, shells = n / 2;
  std::vector<double> power(shells, 0.0), count(shells, 0.0);
  double variance = 0;
  const int samples = 200;
  for (int k = 0; k < samples; ++k) {
    Rng rng(11, k, "wave.medium");
    sampler.sample_field(rng, g.data());
    for (size_t i = 0; i < g.size(); ++i) variance += g[i] * g[i] / (double(g.size()) * samples);
    fft.forward(g.data(), s.data());
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < half; ++j) {
        const int kx = i <= n / 2 ? i : i - n, shell = static_cast<int>(std::lround(std::hypot(kx, j)));
        if (shell == 0 || shell >= shells) continue;
        power[shell] += std::norm(s[size_t(i) * half + j]);
        count[shell] += 1;
      }
  }
  for (int k = 1; k < shells; ++k) power[k] /= count[k];
  const int peak = static_cast<int>(std::max_element(power.begin() + 1, power.end()) - power.begin());
  EXPECT_LE(std::fabs(peak - p.k0), 1.0) << "peak shell " << peak;
  // Far from k0 the spectrum is empty: the field is as smooth as k0 says.
  EXPECT_LT(power[std::min(shells - 1, static_cast<int>(4 * p.k0))], 1e-2 * power[peak]);
  EXPECT_NEAR(variance, 1.0, 0.25);  // unit variance by construction (few modes: loose)
}

INSTANTIATE_TEST_SUITE_P(Wave, SpectrumPeak, ::testing::Values(1.0, 3.0, 6.0));

TEST(Medium, MinmaxSpeedsFillTheConfiguredRange) {
  Params p;
  p.n_solve = 32, p.c_min = 0.25, p.c_max = 0.9;
  MediumSampler sampler(p);
  RealBuffer c(32 * 32);
  for (int k = 0; k < 20; ++k) {
    Rng rng(3, k, "wave.medium");
    sampler.sample_speed(rng, c.data());
    const auto [lo, hi] = std::minmax_element(c.data(), c.data() + c.size());
    EXPECT_DOUBLE_EQ(*lo, 0.25);
    EXPECT_DOUBLE_EQ(*hi, 0.9);
  }
}

TEST(Medium, LognormalSpeedsStayWithinTheClipBounds) {
  Params p;
  p.n_solve = 32, p.speed_map = SpeedMap::lognormal, p.c_ref = 0.5, p.log_std = 0.5, p.clip = 1.0;
  MediumSampler sampler(p);
  RealBuffer c(32 * 32);
  double lo = 1e9, hi = 0;
  for (int k = 0; k < 50; ++k) {
    Rng rng(3, k, "wave.medium");
    sampler.sample_speed(rng, c.data());
    for (size_t i = 0; i < c.size(); ++i) lo = std::fmin(lo, c[i]), hi = std::fmax(hi, c[i]);
  }
  EXPECT_GE(lo, 0.5 * std::exp(-0.5) - 1e-12);
  EXPECT_LE(hi, p.speed_bound() + 1e-12);
  EXPECT_NEAR(hi, p.speed_bound(), 1e-12);  // clip 1 sigma: reached in some of 50 samples
}

TEST(Medium, DependsOnSeedAndTrajectoryOnly) {
  Params p;
  p.n_solve = 32;
  MediumSampler a(p), b(p);
  RealBuffer x(32 * 32), y(32 * 32), z(32 * 32);
  Rng r1(5, 9, "wave.medium"), r2(5, 9, "wave.medium"), r3(5, 10, "wave.medium");
  a.sample_speed(r1, x.data());
  b.sample_speed(r3, z.data());  // a different trajectory in between must not matter
  b.sample_speed(r2, y.data());
  EXPECT_TRUE(std::equal(x.data(), x.data() + x.size(), y.data()));
  EXPECT_FALSE(std::equal(x.data(), x.data() + x.size(), z.data()));
}

// A band-limited field: striding picks grid values, spectral truncation reproduces them exactly.
TEST(Resample, StrideAndSpectralAgreeOnABandLimitedField) {
  const int n = 32, m = 8;
  RealBuffer u(n * n);
  auto f = [](double x, double y) { return 1 + std::cos(x) * std::sin(2 * y) + 0.5 * std::cos(3 * x + y); };
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) u[i * n + j] = f(2 * M_PI * i / n, 2 * M_PI * j / n);
  std::vector<float> stride(m * m), spectral(m * m);
  Resampler(n, m, Downsample::stride).apply(u.data(), stride.data());
  Resampler(n, m, Downsample::spectral).apply(u.data(), spectral.data());
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      const float want = static_cast<float>(f(2 * M_PI * i / m, 2 * M_PI * j / m));
      EXPECT_EQ(stride[i * m + j], static_cast<float>(u[(i * n / m) * n + j * n / m]));
      EXPECT_NEAR(spectral[i * m + j], want, 1e-6);
    }
}

TEST(Resample, SpectralDropsModesTheCoarseGridCannotHold) {
  const int n = 32, m = 8;
  RealBuffer u(n * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) u[i * n + j] = std::cos(2 * M_PI * 8 * i / n);  // kx = 8 aliases to 0 on 8^2
  std::vector<float> stride(m * m), spectral(m * m);
  Resampler(n, m, Downsample::stride).apply(u.data(), stride.data());
  Resampler(n, m, Downsample::spectral).apply(u.data(), spectral.data());
  EXPECT_EQ(stride[0], 1.0f);  // aliased
  for (float v : spectral) EXPECT_NEAR(v, 0.0f, 1e-6);
}

}  // namespace
}  // namespace slift::sim::wave
