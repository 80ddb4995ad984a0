// Field metrics against values computed by hand on tiny arrays.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "metrics/field_metrics.hpp"

using namespace slift::metrics;

namespace {

// n trajectories of n_time frames on an nx x ny grid, every cell of frame (i, t) set by f(i, t, c).
template <class F>
FieldEnsemble make(int64_t n, int64_t n_time, int64_t nx, int64_t ny, F f) {
  FieldEnsemble e;
  e.n = n, e.n_time = n_time, e.nx = nx, e.ny = ny;
  e.data.resize(n * n_time * nx * ny);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < n_time; ++t)
      for (int64_t c = 0; c < nx * ny; ++c) e.data[((i * n_time + t) * nx * ny) + c] = f(i, t, c);
  return e;
}

}  // namespace

TEST(FieldNormalisation, SignedDataGoToMinusOneOne) {
  FieldEnsemble e = make(1, 1, 1, 3, [](int64_t, int64_t, int64_t c) { return std::vector<float>{-2, 1, 0.5}[c]; });
  FieldNormalisation n = fit_normalisation(e);
  EXPECT_TRUE(n.signed_range);
  normalise(e, n);
  EXPECT_FLOAT_EQ(e.data[0], -1.0f);
  EXPECT_FLOAT_EQ(e.data[1], 0.5f);
  EXPECT_FLOAT_EQ(e.data[2], 0.25f);
}

TEST(FieldNormalisation, NonNegativeDataGoToZeroOne) {
  FieldEnsemble e = make(1, 1, 1, 3, [](int64_t, int64_t, int64_t c) { return std::vector<float>{1, 3, 2}[c]; });
  FieldNormalisation n = fit_normalisation(e);
  EXPECT_FALSE(n.signed_range);
  normalise(e, n);
  EXPECT_FLOAT_EQ(e.data[0], 0.0f);
  EXPECT_FLOAT_EQ(e.data[1], 1.0f);
  EXPECT_FLOAT_EQ(e.data[2], 0.5f);
}

TEST(FieldMasks, EdgesAndCorner) {
  std::vector<uint8_t> edges = edges_mask(4, 5);
  int count = 0;
  for (auto m : edges) count += m;
  EXPECT_EQ(count, 4 * 5 - 2 * 3);  // all but the 2 x 3 interior
  EXPECT_EQ(edges[1 * 5 + 2], 0);
  EXPECT_EQ(edges[3 * 5 + 2], 1);
  std::vector<uint8_t> corner = corner_mask(4, 5, 2);
  std::vector<uint8_t> expected(20, 0);
  for (int i : {2, 3})
    for (int j : {3, 4}) expected[i * 5 + j] = 1;
  EXPECT_EQ(corner, expected);
  EXPECT_THROW(corner_mask(4, 5, 5), slift::Error);
}

TEST(FieldQuantities, MassAndEnergyOfAFrame) {
  // Frame [[1, -1], [2, 0]]: mean |u| = 1, mean u^2 = 1.5; second frame doubled.
  FieldEnsemble e = make(1, 2, 2, 2, [](int64_t, int64_t t, int64_t c) {
    return float((t + 1) * std::vector<float>{1, -1, 2, 0}[c]);
  });
  EXPECT_EQ(integrated_mass(e), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(field_energy(e), (std::vector<double>{1.5, 6.0}));
}

TEST(CrossingTime, FirstFrameAboveThresholdNormalisedNeverIsOne) {
  // 3 x 3 grid, 5 frames at times 10..14 (normalised 0, .25, ..., 1). Threshold 0.5.
  // Trajectory 0: an edge cell rises to 0.6 from frame 2 -> 0.5.
  // Trajectory 1: an edge cell at 0.9 from frame 0 -> 0 (crossed at t = 0).
  // Trajectory 2: only the centre cell (not in the mask) is high; an edge cell sits exactly at
  //               the threshold, which does not exceed it -> never -> 1.
  // Trajectory 3: crosses only at the last frame -> 1 as well.
  FieldEnsemble e = make(4, 5, 3, 3, [](int64_t i, int64_t t, int64_t c) -> float {
    if (i == 0) return c == 1 && t >= 2 ? 0.6f : 0.0f;
    if (i == 1) return c == 3 ? 0.9f : 0.0f;
    if (i == 2) return c == 4 ? 5.0f : (c == 0 ? 0.5f : 0.0f);
    return c == 8 && t == 4 ? 0.7f : 0.0f;
  });
  std::vector<double> time{10, 11, 12, 13, 14};
  EXPECT_EQ(crossing_times(e, time, edges_mask(3, 3), 0.5), (std::vector<double>{0.5, 0.0, 1.0, 1.0}));
  // The corner mask of one cell sees only trajectory 3's cell 8 (and trajectory 2's centre is outside).
  EXPECT_EQ(crossing_times(e, time, corner_mask(3, 3, 1), 0.5), (std::vector<double>{1.0, 1.0, 1.0, 1.0}));
  // A 2 x 2 corner holds the centre: trajectory 2 crosses at t = 0.
  EXPECT_EQ(crossing_times(e, time, corner_mask(3, 3, 2), 0.5), (std::vector<double>{1.0, 1.0, 0.0, 1.0}));
}

TEST(CompareFields, HandComputedW2) {
  // 1 x 2 grid, 2 frames at times 0, 1. Frame 0 is zero everywhere (ignored by the means).
  // Frame 1 of generated trajectory i: (a_i, b_i); of reference trajectory i: (c_i, d_i).
  const std::vector<std::vector<float>> gen_f1{{0.2f, -0.2f}, {0.6f, 0.0f}}, ref_f1{{0.0f, 0.0f}, {1.0f, 0.4f}};
  auto gen = make(2, 2, 1, 2, [&](int64_t i, int64_t t, int64_t c) { return t ? gen_f1[i][c] : 0.0f; });
  auto ref = make(2, 2, 1, 2, [&](int64_t i, int64_t t, int64_t c) { return t ? ref_f1[i][c] : 0.0f; });
  FieldMetricOptions o;
  o.time = {0, 1};
  o.mask = {0, 1};         // only cell 1 counts for crossing
  o.threshold = 0.3;
  o.points = {{0, 0}, {0, 1}};
  FieldMetrics m = compare_fields(gen, ref, o);
  // Masses at frame 1: gen {0.2, 0.3}, ref {0, 0.7} -> sqrt((0.2^2 + 0.4^2) / 2).
  EXPECT_NEAR(m.per_time["w2_mass"][0], 0.0, 1e-12);
  EXPECT_NEAR(m.summary["wim"], std::sqrt((0.04 + 0.16) / 2), 1e-6);
  // Energies: gen {0.04, 0.18}, ref {0, 0.58} -> sqrt((0.04^2 + 0.4^2) / 2).
  EXPECT_NEAR(m.summary["w2_energy_mean"], std::sqrt((0.0016 + 0.16) / 2), 1e-6);
  // Point (0, 0): gen {0.2, 0.6} vs ref {0, 1} -> sqrt((0.04 + 0.16) / 2); point (0, 1):
  // gen {-0.2, 0} vs ref {0, 0.4} -> sqrt((0.04 + 0.16) / 2).
  EXPECT_NEAR(m.per_time["w2_point0"][1], std::sqrt(0.1), 1e-6);
  EXPECT_NEAR(m.per_time["w2_point1"][1], std::sqrt(0.1), 1e-6);
  EXPECT_NEAR(m.summary["w2_points_mean"], std::sqrt(0.1), 1e-6);
  // Crossing (cell 1 > 0.3): gen never, never -> {1, 1}; ref {never, crosses at t = 1} -> {1, 1}.
  EXPECT_NEAR(m.summary["wct"], 0.0, 1e-12);
  EXPECT_EQ(m.summary["never_crossed"], 1.0);
  // A reference whose trajectory 0 is above the threshold in cell 1 from t = 0: crossing times
  // {0, 1} against the generated {1, 1} -> WCT = sqrt((1^2 + 0^2) / 2).
  auto ref0 = make(2, 2, 1, 2, [&](int64_t i, int64_t, int64_t c) { return i == 0 && c == 1 ? 0.9f : 0.0f; });
  FieldMetrics m0 = compare_fields(gen, ref0, o);
  EXPECT_NEAR(m0.summary["wct"], std::sqrt(0.5), 1e-12);
}

// n trajectories on a 1 x 1 grid over 11 frames at t = 0, 0.1, ..., 1: u(t) = t s with a slope
// s ~ N(mean, 0.3), so the mass grows as t |s| and the crossing time of a threshold falls with s.
FieldEnsemble ramps(int64_t n, double mean, uint64_t seed) {
  std::vector<double> s(n);
  for (int64_t i = 0; i < n; ++i) s[i] = mean + 0.3 * slift::Rng(seed, i, "test.ramps").normal();
  return make(n, 11, 1, 1, [&](int64_t i, int64_t t, int64_t) { return static_cast<float>(0.1 * t * s[i]); });
}

double sd(const std::vector<double>& v) {
  const double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double q = 0;
  for (double x : v) q += (x - m) * (x - m);
  return std::sqrt(q / (v.size() - 1));
}

TEST(CompareFields, BootstrapStandardErrorsMatchTheSpreadOverFreshSets) {
  // The standard error that one pair of sets reports should be the spread of the metric over
  // independent pairs drawn from the same two distributions (64 generated, 512 reference, as
  // the field experiments compare). The sets differ (slopes 1.2 vs 1), so W2 is away from 0.
  FieldMetricOptions o;
  for (int t = 0; t <= 10; ++t) o.time.push_back(0.1 * t);
  o.mask = {1};
  o.threshold = 0.5;
  std::vector<double> wct, wim, wct_se, wim_se;
  for (uint64_t r = 0; r < 200; ++r) {
    o.bootstrap = r < 8 ? 200 : 0;
    o.seed = r;
    FieldMetrics m = compare_fields(ramps(64, 1.2, 2 * r), ramps(512, 1.0, 2 * r + 1), o);
    wct.push_back(m.summary["wct"]), wim.push_back(m.summary["wim"]);
    EXPECT_EQ(m.summary.count("wct_se"), r < 8 ? 1u : 0u);
    if (r < 8) wct_se.push_back(m.summary["wct_se"]), wim_se.push_back(m.summary["wim_se"]);
  }
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  EXPECT_GT(mean(wct_se) / sd(wct), 0.7);
  EXPECT_LT(mean(wct_se) / sd(wct), 1.4);
  EXPECT_GT(mean(wim_se) / sd(wim), 0.7);
  EXPECT_LT(mean(wim_se) / sd(wim), 1.4);
  // The resamples come from the seed: the same seed gives the same error, another a near one.
  o.bootstrap = 200, o.seed = 0;
  const FieldEnsemble g = ramps(64, 1.2, 0), ref = ramps(512, 1.0, 1);
  EXPECT_EQ(compare_fields(g, ref, o).summary["wct_se"], wct_se[0]);
  o.seed = 99;
  EXPECT_NE(compare_fields(g, ref, o).summary["wct_se"], wct_se[0]);
  EXPECT_NEAR(compare_fields(g, ref, o).summary["wct_se"] / wct_se[0], 1.0, 0.3);
}

TEST(MassStepCorrelation, PersistentCoursesNearOneFreshNoiseNearZero) {
  // Ramps (u = 0.1 t s_i): every increment of trajectory i is 0.1 |s_i|, the same at every
  // step, so consecutive increments correlate exactly.
  EXPECT_NEAR(mass_step_correlation(ramps(64, 1.2, 5)), 1.0, 1e-9);
  // Fresh noise every frame: |u| = |N(1, 0.3)| drawn anew per frame; consecutive increments
  // share one frame with opposite signs, so their correlation is -1/2.
  auto noise = make(4000, 6, 1, 1, [](int64_t i, int64_t t, int64_t) {
    return static_cast<float>(1.0 + 0.3 * slift::Rng(7, i * 6 + t, "test.noise").normal());
  });
  EXPECT_NEAR(mass_step_correlation(noise), -0.5, 0.03);
  // Hand-computed on 3 trajectories of 3 frames: masses (0, 1, 3), (0, 2, 3), (0, 3, 9):
  // increments a = (1, 2, 3), b = (2, 1, 6): corr = 4 / sqrt(2 * 14).
  const std::vector<std::vector<float>> mass{{0, 1, 3}, {0, 2, 3}, {0, 3, 9}};
  EXPECT_NEAR(mass_step_correlation(make(3, 3, 1, 1, [&](int64_t i, int64_t t, int64_t) { return mass[i][t]; })),
              4 / std::sqrt(28.0), 1e-6);
  // No trajectory differs from another: no frame qualifies.
  EXPECT_TRUE(std::isnan(mass_step_correlation(make(5, 4, 1, 1, [](int64_t, int64_t t, int64_t) { return 0.1f * t; }))));
}

TEST(Memorisation, NearestFinalFrames) {
  // Training final frames are constant fields 0, 1, 3; earlier frames are noise that must not count.
  const std::vector<float> train_level{0, 1, 3};
  auto train = make(3, 2, 2, 2, [&](int64_t i, int64_t t, int64_t c) { return t ? train_level[i] : float(c * 7); });
  EXPECT_EQ(nearest_final_frame_distances(train, train, true), (std::vector<double>{1, 1, 2}));
  EXPECT_EQ(nearest_final_frame_distances(train, train, false), (std::vector<double>{0, 0, 0}));
  // Generated: 0.5 everywhere (0.5 from 0 and 1), a copy of 3, and a frame (0, 0, 0, 2): RMS to
  // 0 is sqrt(4 / 4) = 1, to 1 is sqrt((1 + 1 + 1 + 1) / 4) = 1.
  const std::vector<std::vector<float>> gen_final{{0.5f, 0.5f, 0.5f, 0.5f}, {3, 3, 3, 3}, {0, 0, 0, 2}};
  auto gen = make(3, 2, 2, 2, [&](int64_t i, int64_t t, int64_t c) { return t ? gen_final[i][c] : 0.0f; });
  EXPECT_EQ(nearest_final_frame_distances(gen, train, false), (std::vector<double>{0.5, 0, 1}));
}

TEST(Quantile, LinearBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile({0, 10}, 0.05), 0.5);
}

TEST(PointCell, FractionsOfTheGrid) {
  EXPECT_EQ(point_cell(0.0, 1.0, 32, 16), (std::pair<int64_t, int64_t>{0, 15}));
  EXPECT_EQ(point_cell(0.5, 0.25, 32, 16), (std::pair<int64_t, int64_t>{16, 4}));
}
