#include "metrics/field_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "metrics/wasserstein.hpp"

namespace slift::metrics {
namespace {

// Per-frame quantity of every trajectory (n x n_time), from a reduction over the grid.
template <class F>
std::vector<double> per_frame(const FieldEnsemble& e, F cell_value) {
  std::vector<double> out(e.n * e.n_time);
  for (int64_t i = 0; i < e.n; ++i)
    for (int64_t t = 0; t < e.n_time; ++t) {
      const float* f = e.frame(i, t);
      double s = 0;
      for (int64_t c = 0; c < e.cells(); ++c) s += cell_value(f[c]);
      out[i * e.n_time + t] = s / e.cells();
    }
  return out;
}

std::vector<double> column(const std::vector<double>& v, int64_t n, int64_t n_time, int64_t t) {
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = v[i * n_time + t];
  return out;
}

// Mean over the frames after t = 0: every set starts from the test set's own initial frame, so
// frame 0 carries no information about the model.
double mean_after_first(const std::vector<double>& v) {
  if (v.size() < 2) return v.empty() ? 0.0 : v[0];
  return std::accumulate(v.begin() + 1, v.end(), 0.0) / (v.size() - 1);
}

// n indices drawn with replacement from [0, n): one bootstrap resample of a set's trajectories.
std::vector<int64_t> resample(int64_t n, Rng& rng) {
  std::vector<int64_t> idx(n);
  for (auto& i : idx) i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(n)));
  return idx;
}

// mass_step_correlation of an n x n_time table of per-frame masses.
double step_correlation(const std::vector<double>& m, int64_t n, int64_t n_time) {
  double sum = 0;
  int frames = 0;
  for (int64_t t = 1; t + 1 < n_time; ++t) {
    double ma = 0, mb = 0;
    std::vector<double> a(n), b(n);
    for (int64_t i = 0; i < n; ++i) {
      const double* r = m.data() + i * n_time;
      a[i] = r[t] - r[t - 1], b[i] = r[t + 1] - r[t];
      ma += a[i] / n, mb += b[i] / n;
    }
    double sab = 0, saa = 0, sbb = 0;
    for (int64_t i = 0; i < n; ++i) sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
    // Increments equal to rounding (a deterministic model, a frame that every trajectory shares) carry no correlation.
    if (saa <= 1e-24 * n || sbb <= 1e-24 * n) continue;
    sum += sab / std::sqrt(saa * sbb), ++frames;
  }
  return frames ? sum / frames : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

FieldNormalisation fit_normalisation(const FieldEnsemble& reference) {
  SLIFT_ASSERT(!reference.data.empty(), "normalisation of an empty ensemble");
  auto [lo, hi] = std::minmax_element(reference.data.begin(), reference.data.end());
  FieldNormalisation n;
  if (*lo < 0) {
    n.signed_range = true;
    double m = std::max(-double(*lo), double(*hi));
    n.scale = 1.0 / m;
  } else {
    n.offset = *lo;
    if (*hi > *lo) n.scale = 1.0 / (double(*hi) - *lo);
  }
  return n;
}

void normalise(FieldEnsemble& e, const FieldNormalisation& n) {
  for (auto& u : e.data) u = static_cast<float>((u - n.offset) * n.scale);
}

std::vector<uint8_t> edges_mask(int64_t nx, int64_t ny) {
  std::vector<uint8_t> m(nx * ny, 0);
  for (int64_t i = 0; i < nx; ++i)
    for (int64_t j = 0; j < ny; ++j)
      if (i == 0 || j == 0 || i == nx - 1 || j == ny - 1) m[i * ny + j] = 1;
  return m;
}

std::vector<uint8_t> corner_mask(int64_t nx, int64_t ny, int64_t k) {
  if (k < 1 || k > std::min(nx, ny))
    usage_error("corner mask of " + std::to_string(k) + " cells does not fit a " + std::to_string(nx) + "x" +
                std::to_string(ny) + " grid");
  std::vector<uint8_t> m(nx * ny, 0);
  for (int64_t i = nx - k; i < nx; ++i)
    for (int64_t j = ny - k; j < ny; ++j) m[i * ny + j] = 1;
  return m;
}

std::vector<double> integrated_mass(const FieldEnsemble& e) {
  return per_frame(e, [](float u) { return std::abs(double(u)); });
}

std::vector<double> field_energy(const FieldEnsemble& e) {
  return per_frame(e, [](float u) { return double(u) * u; });
}

std::vector<double> crossing_times(const FieldEnsemble& e, const std::vector<double>& time,
                                   const std::vector<uint8_t>& mask, double threshold) {
  SLIFT_ASSERT(static_cast<int64_t>(time.size()) == e.n_time, "one saved time per frame");
  SLIFT_ASSERT(static_cast<int64_t>(mask.size()) == e.cells(), "mask and grid differ");
  const double t0 = time.front(), span = time.back() - time.front();
  std::vector<double> out(e.n, 1.0);
  for (int64_t i = 0; i < e.n; ++i)
    for (int64_t t = 0; t < e.n_time && out[i] == 1.0; ++t) {
      const float* f = e.frame(i, t);
      for (int64_t c = 0; c < e.cells(); ++c)
        if (mask[c] && f[c] > threshold) {
          out[i] = span > 0 ? (time[t] - t0) / span : 0.0;
          break;
        }
    }
  return out;
}

double mass_step_correlation(const FieldEnsemble& e) { return step_correlation(integrated_mass(e), e.n, e.n_time); }

std::pair<int64_t, int64_t> point_cell(double fx, double fy, int64_t nx, int64_t ny) {
  auto cell = [](double f, int64_t n) { return std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(f * n))); };
  return {cell(fx, nx), cell(fy, ny)};
}

FieldMetrics compare_fields(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions& o) {
  if (gen.n_time != ref.n_time || gen.nx != ref.nx || gen.ny != ref.ny)
    usage_error("field ensembles differ in shape: " + std::to_string(gen.n_time) + "x" + std::to_string(gen.nx) + "x" +
                std::to_string(gen.ny) + " vs " + std::to_string(ref.n_time) + "x" + std::to_string(ref.nx) + "x" +
                std::to_string(ref.ny));
  FieldMetrics m;
  const int64_t nt = gen.n_time;
  auto per_time_w2 = [&](const std::vector<double>& g, const std::vector<double>& r) {
    std::vector<double> w(nt);
    for (int64_t t = 0; t < nt; ++t) w[t] = w2_1d(column(g, gen.n, nt, t), column(r, ref.n, nt, t));
    return w;
  };
  const std::vector<double> gen_mass = integrated_mass(gen), ref_mass = integrated_mass(ref);
  m.per_time["w2_mass"] = per_time_w2(gen_mass, ref_mass);
  m.per_time["w2_energy"] = per_time_w2(field_energy(gen), field_energy(ref));
  std::vector<double> points_mean(nt, 0.0);
  for (size_t k = 0; k < o.points.size(); ++k) {
    auto [pi, pj] = o.points[k];
    SLIFT_ASSERT(pi >= 0 && pi < gen.nx && pj >= 0 && pj < gen.ny, "point outside the grid");
    auto value = [&, pi = pi, pj = pj](const FieldEnsemble& e) {
      std::vector<double> v(e.n * nt);
      for (int64_t i = 0; i < e.n; ++i)
        for (int64_t t = 0; t < nt; ++t) v[i * nt + t] = e.frame(i, t)[pi * e.ny + pj];
      return v;
    };
    std::vector<double> w = per_time_w2(value(gen), value(ref));
    for (int64_t t = 0; t < nt; ++t) points_mean[t] += w[t] / o.points.size();
    m.per_time["w2_point" + std::to_string(k)] = w;
  }
  if (!o.points.empty()) m.per_time["w2_points"] = points_mean;

  m.summary["wim"] = mean_after_first(m.per_time["w2_mass"]);
  m.summary["w2_energy_mean"] = mean_after_first(m.per_time["w2_energy"]);
  if (!o.points.empty()) m.summary["w2_points_mean"] = mean_after_first(points_mean);

  m.crossing_times = crossing_times(gen, o.time, o.mask, o.threshold);
  const std::vector<double> ref_crossing = crossing_times(ref, o.time, o.mask, o.threshold);
  m.summary["wct"] = w2_1d(m.crossing_times, ref_crossing);
  if (o.bootstrap > 0) {
    SLIFT_ASSERT(o.bootstrap >= 2, "a standard error needs at least 2 bootstrap resamples");
    // Both sets are finite samples: resampling only the generated one would miss the
    // reference's share of the noise. A resampled trajectory keeps its crossing time and masses.
    std::vector<double> wct(o.bootstrap), wim(o.bootstrap);
    auto pick = [](const std::vector<double>& v, const std::vector<int64_t>& idx, int64_t t, int64_t width) {
      std::vector<double> out(idx.size());
      for (size_t i = 0; i < idx.size(); ++i) out[i] = v[idx[i] * width + t];
      return out;
    };
    for (int64_t b = 0; b < o.bootstrap; ++b) {
      Rng rng(o.seed, static_cast<uint64_t>(b), "metrics.bootstrap");
      const std::vector<int64_t> ig = resample(gen.n, rng), ir = resample(ref.n, rng);
      wct[b] = w2_1d(pick(m.crossing_times, ig, 0, 1), pick(ref_crossing, ir, 0, 1));
      std::vector<double> w(nt);
      for (int64_t t = 0; t < nt; ++t) w[t] = w2_1d(pick(gen_mass, ig, t, nt), pick(ref_mass, ir, t, nt));
      wim[b] = mean_after_first(w);
    }
    m.summary["wct_se"] = sample_standard_deviation(wct);
    m.summary["wim_se"] = sample_standard_deviation(wim);
  }
  const double n = static_cast<double>(m.crossing_times.size());
  double mean = 0, sq = 0, never = 0;
  for (double c : m.crossing_times) mean += c / n, never += (c == 1.0) / n;
  for (double c : m.crossing_times) sq += (c - mean) * (c - mean) / n;
  m.summary["crossing_mean"] = mean;
  m.summary["crossing_std"] = std::sqrt(sq);
  m.summary["never_crossed"] = never;
  if (const double c = step_correlation(gen_mass, gen.n, nt); !std::isnan(c)) m.summary["mass_step_correlation"] = c;
  return m;
}

std::vector<double> nearest_final_frame_distances(const FieldEnsemble& from, const FieldEnsemble& train, bool exclude_self) {
  SLIFT_ASSERT(from.cells() == train.cells(), "grids differ");
  SLIFT_ASSERT(train.n > (exclude_self ? 1 : 0), "too few training trajectories for nearest distances");
  const int64_t cells = train.cells();
  std::vector<double> out(from.n);
  for (int64_t i = 0; i < from.n; ++i) {
    const float* a = from.frame(i, from.n_time - 1);
    double best = std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < train.n; ++k) {
      if (exclude_self && k == i) continue;
      const float* b = train.frame(k, train.n_time - 1);
      double d = 0;
      for (int64_t c = 0; c < cells && d < best; ++c) d += (double(a[c]) - b[c]) * (double(a[c]) - b[c]);
      best = std::min(best, d);
    }
    out[i] = std::sqrt(best / cells);
  }
  return out;
}

double sample_standard_deviation(const std::vector<double>& v) {
  SLIFT_ASSERT(v.size() >= 2, "a sample standard deviation needs at least 2 values");
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / (v.size() - 1));
}

double quantile(std::vector<double> v, double q) {
  SLIFT_ASSERT(!v.empty() && q >= 0 && q <= 1, "quantile of an empty sample or outside [0, 1]");
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

}  // namespace slift::metrics
