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
  e.n = n, e.n_time = n_time, e.shape = {nx, ny};
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
  std::vector<uint8_t> edges = edges_mask({4, 5});
  int count = 0;
  for (auto m : edges) count += m;
  EXPECT_EQ(count, 4 * 5 - 2 * 3);  // all but the 2 x 3 interior
  EXPECT_EQ(edges[1 * 5 + 2], 0);
  EXPECT_EQ(edges[3 * 5 + 2], 1);
  std::vector<uint8_t> corner = corner_mask({4, 5}, 2);
  std::vector<uint8_t> expected(20, 0);
  for (int i : {2, 3})
    for (int j : {3, 4}) expected[i * 5 + j] = 1;
  EXPECT_EQ(corner, expected);
  EXPECT_THROW(corner_mask({4, 5}, 5), slift::Error);
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
  EXPECT_EQ(crossing_times(e, time, edges_mask({3, 3}), 0.5), (std::vector<double>{0.5, 0.0, 1.0, 1.0}));
  // The corner mask of one cell sees only trajectory 3's cell 8 (and trajectory 2's centre is outside).
  EXPECT_EQ(crossing_times(e, time, corner_mask({3, 3}, 1), 0.5), (std::vector<double>{1.0, 1.0, 1.0, 1.0}));
  // A 2 x 2 corner holds the centre: trajectory 2 crosses at t = 0.
  EXPECT_EQ(crossing_times(e, time, corner_mask({3, 3}, 2), 0.5), (std::vector<double>{1.0, 1.0, 0.0, 1.0}));
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
  EXPECT_EQ(point_cell({0.0, 1.0}, {32, 16}), (std::vector<int64_t>{0, 15}));
  EXPECT_EQ(point_cell({0.5, 0.25}, {32, 16}), (std::vector<int64_t>{16, 4}));
}

// n trajectories of n_time frames on a grid of any shape, every cell of frame (i, t) set by f(i, t, c).
template <class F>
FieldEnsemble make_nd(int64_t n, int64_t n_time, std::vector<int64_t> shape, F f) {
  FieldEnsemble e;
  e.n = n, e.n_time = n_time, e.shape = std::move(shape);
  const int64_t cells = e.cells();
  e.data.resize(n * n_time * cells);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < n_time; ++t)
      for (int64_t c = 0; c < cells; ++c) e.data[(i * n_time + t) * cells + c] = f(i, t, c);
  return e;
}

TEST(FieldMasks, OneAndThreeDimensions) {
  // 1-D: the faces are the two end cells; the corner is the last k cells.
  EXPECT_EQ(edges_mask({5}), (std::vector<uint8_t>{1, 0, 0, 0, 1}));
  EXPECT_EQ(corner_mask({5}, 2), (std::vector<uint8_t>{0, 0, 0, 1, 1}));
  // 3-D 3 x 3 x 3: every cell but the centre (1, 1, 1) = 13 lies on a face.
  std::vector<uint8_t> edges = edges_mask({3, 3, 3});
  EXPECT_EQ(std::accumulate(edges.begin(), edges.end(), 0), 26);
  EXPECT_EQ(edges[13], 0);
  // 3-D 2 x 3 x 4, corner of 2: the last 2 cells along every axis, i >= 0, j >= 1, k >= 2.
  std::vector<uint8_t> corner = corner_mask({2, 3, 4}, 2);
  std::vector<uint8_t> expected(24, 0);
  for (int i : {0, 1})
    for (int j : {1, 2})
      for (int k : {2, 3}) expected[(i * 3 + j) * 4 + k] = 1;
  EXPECT_EQ(corner, expected);
  EXPECT_THROW(corner_mask({2, 3, 4}, 3), slift::Error);  // does not fit the first axis
  EXPECT_EQ(point_cell({0.5}, {7}), (std::vector<int64_t>{3}));
  EXPECT_EQ(point_cell({0.0, 0.5, 1.0}, {2, 4, 6}), (std::vector<int64_t>{0, 2, 5}));
}

TEST(CompareFields, OneDimensionHandComputed) {
  // A 1-D grid of 3 cells, 2 frames at times 0, 1; frame 0 zero. Frame 1 of generated trajectory
  // i: g_i, of reference trajectory i: r_i.
  const std::vector<std::vector<float>> g{{0.3f, -0.3f, 0.0f}, {0.9f, 0.0f, 0.0f}}, r{{0.0f, 0.0f, 0.0f}, {0.6f, 0.6f, 0.6f}};
  auto gen = make_nd(2, 2, {3}, [&](int64_t i, int64_t t, int64_t c) { return t ? g[i][c] : 0.0f; });
  auto ref = make_nd(2, 2, {3}, [&](int64_t i, int64_t t, int64_t c) { return t ? r[i][c] : 0.0f; });
  FieldMetricOptions o;
  o.time = {0, 1};
  o.mask = edges_mask({3});  // cells 0 and 2
  o.threshold = 0.5;
  o.points = {point_cell({0.5}, {3})};  // cell 1
  FieldMetrics m = compare_fields(gen, ref, o);
  // Masses at frame 1: gen {0.2, 0.3}, ref {0, 0.6}: W2 = sqrt((0.2^2 + 0.3^2) / 2).
  EXPECT_NEAR(m.summary["wim"], std::sqrt((0.04 + 0.09) / 2), 1e-6);
  // Energies: gen {0.06, 0.27}, ref {0, 0.36}: sqrt((0.06^2 + 0.09^2) / 2).
  EXPECT_NEAR(m.summary["w2_energy_mean"], std::sqrt((0.0036 + 0.0081) / 2), 1e-6);
  // Cell 1: gen {-0.3, 0} vs ref {0, 0.6}: sqrt((0.09 + 0.36) / 2).
  EXPECT_NEAR(m.summary["w2_points_mean"], std::sqrt(0.225), 1e-6);
  // Crossing (an end cell above 0.5): gen trajectory 1 at t = 1 -> {1, 1}; ref trajectory 1 at
  // t = 1 -> {1, 1}: both sets' times are 1, W2 0; every gen trajectory "never" (1).
  EXPECT_NEAR(m.summary["wct"], 0.0, 1e-12);
  EXPECT_EQ(m.event_times["crossing"], (std::vector<double>{1.0, 1.0}));
}

TEST(CompareFields, ThreeDimensionsMatchTheSameCellsInTwo) {
  // The same cells laid out as 1 x 2 (2-D) and 1 x 1 x 2 (3-D): every metric agrees exactly.
  const std::vector<std::vector<float>> f1{{0.2f, -0.2f}, {0.6f, 0.0f}, {0.1f, 0.7f}};
  auto value = [&](int64_t i, int64_t t, int64_t c) { return t ? f1[i][c] * t : 0.0f; };
  FieldMetricOptions o;
  o.time = {0, 1, 2};
  o.mask = {0, 1};
  o.threshold = 0.3;
  o.points = {{0, 1}};
  const FieldMetrics two = compare_fields(make_nd(3, 3, {1, 2}, value), make_nd(3, 3, {1, 2}, [](int64_t, int64_t t, int64_t c) {
                                            return 0.25f * t * (c + 1);
                                          }), o);
  o.mask = corner_mask({1, 1, 2}, 1);  // the last cell: the same as {0, 1}
  EXPECT_EQ(o.mask, (std::vector<uint8_t>{0, 1}));
  o.points = {point_cell({0.0, 0.0, 0.99}, {1, 1, 2})};
  const FieldMetrics three = compare_fields(make_nd(3, 3, {1, 1, 2}, value), make_nd(3, 3, {1, 1, 2}, [](int64_t, int64_t t, int64_t c) {
                                              return 0.25f * t * (c + 1);
                                            }), o);
  EXPECT_EQ(two.summary, three.summary);
  EXPECT_EQ(two.per_time, three.per_time);
  EXPECT_GT(two.summary.at("wim"), 0.0);
  // The 3-D corner mask reaches the highest cell: reference crossing at t = 1 (0.5 > 0.3).
  EXPECT_EQ(three.reference_event_times.at("crossing"), (std::vector<double>{0.5, 0.5, 0.5}));
}

TEST(TransitionTime, FirstFrameOfTheOppositeSignBeyondTheThreshold) {
  // 1-D, 4 cells, 5 frames at times 2..6 (normalised 0, .25, ..., 1), threshold 0.5; the spatial
  // mean of trajectory i at frame t is mean[i][t] (each cell mean +- 0.2, so cells differ).
  const std::vector<std::vector<float>> mean{
      {0.8f, 0.7f, -0.6f, -0.8f, -0.8f},  // jumps at frame 2 -> 0.5
      {-0.9f, -0.9f, 0.4f, 0.55f, 0.9f},  // beyond +0.5 at frame 3 (0.4 is short) -> 0.75
      {0.7f, -0.4f, 0.3f, 0.6f, 0.9f},    // dips below 0 but never to -0.5 -> never: 1
      {0.0f, 0.9f, -0.9f, 0.9f, -0.9f},   // starts at 0: no opposite sign -> 1
      {-0.6f, -0.6f, -0.6f, -0.6f, 0.6f}, // jumps at the last frame -> 1, as never
  };
  auto e = make_nd(5, 5, {4}, [&](int64_t i, int64_t t, int64_t c) { return mean[i][t] + (c % 2 ? 0.2f : -0.2f); });
  const std::vector<double> time{2, 3, 4, 5, 6};
  EXPECT_EQ(transition_times(e, time, 0.5), (std::vector<double>{0.5, 0.75, 1.0, 1.0, 1.0}));
  // A lower threshold sees trajectory 2's dip at frame 1 and trajectory 1's 0.4 at frame 2.
  EXPECT_EQ(transition_times(e, time, 0.3), (std::vector<double>{0.5, 0.5, 0.25, 1.0, 1.0}));
}

// Four trajectories on two cells, six frames at times 0..5: every cell of trajectory i is +0.9
// until frame at[i], -0.9 from then on (at[i] = 5: never).
FieldEnsemble jumps(const std::vector<int>& at) {
  return make_nd(4, 6, {2}, [&](int64_t i, int64_t t, int64_t) { return t >= at[i] && at[i] < 5 ? -0.9f : 0.9f; });
}

FieldMetricOptions jump_options() {
  FieldMetricOptions o;
  o.time = {0, 1, 2, 3, 4, 5};
  o.mask = {1, 1};
  return o;
}

TEST(TransitionTime, WttIsTheW2OfTheTimesWhereAsked) {
  // Generated: trajectory i jumps at frame g[i]; reference at r[i] (5 = never), 6 frames at 0..5.
  const std::vector<int> g{1, 2, 5, 5}, r{3, 3, 4, 5};
  FieldMetricOptions o = jump_options();
  // Not among the metrics of every data set: only where asked.
  EXPECT_EQ(compare_fields(jumps(g), jumps(r), o).summary.count("wtt"), 0u);
  o.metrics = {"wtt"};
  FieldMetrics m = compare_fields(jumps(g), jumps(r), o);
  // Times gen {0.2, 0.4, 1, 1}, ref {0.6, 0.6, 0.8, 1}: sorted pairs differ by .4, .2, .2, 0.
  EXPECT_NEAR(m.summary["wtt"], std::sqrt((0.16 + 0.04 + 0.04 + 0) / 4), 1e-12);
  EXPECT_EQ(m.summary["never_transitioned"], 0.5);
  EXPECT_NEAR(m.summary["transition_mean"], 0.65, 1e-12);
  EXPECT_EQ(m.summary.count("wim"), 0u);  // only the metrics asked for
  EXPECT_EQ(m.reference_event_times["transition"], (std::vector<double>{0.6, 0.6, 0.8, 1.0}));
}

TEST(SpatialMean, WsmIsTheW2OfTheSignedMeanPerFrameWhereAsked) {
  // Generated trajectory i jumps at frame g[i], reference at r[i]: the integrated mass is 0.9
  // throughout, the spatial mean tells the wells apart.
  const std::vector<int> g{1, 2, 5, 5}, r{3, 3, 4, 5};
  FieldMetricOptions o = jump_options();
  EXPECT_EQ(compare_fields(jumps(g), jumps(r), o).summary.count("wsm"), 0u);  // only where asked
  o.metrics = {"wsm", "wim"};
  o.bootstrap = 50;
  FieldMetrics m = compare_fields(jumps(g), jumps(r), o);
  // Sorted means per frame: gen has 1, 2, 2, 2, 2 trajectories at -0.9 in frames 1..5, ref 0, 0,
  // 2, 3, 3: W2 = 0.9 sqrt(|difference in count| x 4 / 4), i.e. 0.9, 0.9 sqrt(2), 0, 0.9, 0.9.
  const std::vector<double> w{0, 0.9, 0.9 * std::sqrt(2.0), 0, 0.9, 0.9};
  for (size_t t = 0; t < w.size(); ++t) EXPECT_NEAR(m.per_time["w2_spatial_mean"][t], w[t], 1e-6) << "frame " << t;
  EXPECT_NEAR(m.summary["wsm"], (0.9 + 0.9 * std::sqrt(2.0) + 0 + 0.9 + 0.9) / 5, 1e-6);
  EXPECT_NEAR(m.summary["w2_spatial_mean_final"], 0.9, 1e-6);
  EXPECT_GT(m.summary["wsm_se"], 0.0);
  EXPECT_NEAR(m.summary["wim"], 0.0, 1e-6);
}
