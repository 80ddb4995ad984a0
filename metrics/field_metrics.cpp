#include "metrics/field_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "metrics/wasserstein.hpp"

namespace slift::metrics {
namespace {

// Per-frame quantity of every trajectory (n x n_time), from a reduction over the grid.
template <class F>
std::vector<double> per_frame(const FieldEnsemble& e, F cell_value) {
  const int64_t cells = e.cells();
  std::vector<double> out(e.n * e.n_time);
  for (int64_t i = 0; i < e.n; ++i)
    for (int64_t t = 0; t < e.n_time; ++t) {
      const float* f = e.frame(i, t);
      double s = 0;
      for (int64_t c = 0; c < cells; ++c) s += cell_value(f[c]);
      out[i * e.n_time + t] = s / cells;
    }
  return out;
}

// A mask of the cells whose index along every axis (row-major, the last axis fastest) passes `in`.
template <class F>
std::vector<uint8_t> mask_of(const std::vector<int64_t>& shape, F in) {
  const int64_t cells = FieldEnsemble::grid_cells(shape);
  std::vector<uint8_t> m(cells, 0);
  std::vector<int64_t> index(shape.size());
  for (int64_t c = 0; c < cells; ++c) {
    for (int64_t a = static_cast<int64_t>(shape.size()) - 1, rest = c; a >= 0; --a) index[a] = rest % shape[a], rest /= shape[a];
    m[c] = in(index);
  }
  return m;
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

// The time of frame t normalised to [0, 1] over the saved window.
// Standard error of a two-sample statistic: its spread over `o.bootstrap` resamples (with
// replacement) of both sets' trajectories. Both sets are finite samples: resampling only the
// generated one would miss the reference's share of the noise. Resample b draws the same
// trajectories for every metric.
template <class F>
double bootstrap_error(int64_t n_gen, int64_t n_ref, const FieldMetricOptions& o, F statistic) {
  SLIFT_ASSERT(o.bootstrap >= 2, "a standard error needs at least 2 bootstrap resamples");
  std::vector<double> v(o.bootstrap);
  for (int64_t b = 0; b < o.bootstrap; ++b) {
    Rng rng(o.seed, static_cast<uint64_t>(b), "metrics.bootstrap");
    const std::vector<int64_t> ig = resample(n_gen, rng), ir = resample(n_ref, rng);
    v[b] = statistic(ig, ir);
  }
  return sample_standard_deviation(v);
}

// Entry t of each picked row of an n x width table.
std::vector<double> pick(const std::vector<double>& v, const std::vector<int64_t>& idx, int64_t t, int64_t width) {
  std::vector<double> out(idx.size());
  for (size_t i = 0; i < idx.size(); ++i) out[i] = v[idx[i] * width + t];
  return out;
}

// W2 per frame between two n x n_time tables of a per-frame quantity.
std::vector<double> per_time_w2(const std::vector<double>& g, int64_t n_gen, const std::vector<double>& r, int64_t n_ref,
                                int64_t nt) {
  std::vector<double> w(nt);
  for (int64_t t = 0; t < nt; ++t) w[t] = w2_1d(column(g, n_gen, nt, t), column(r, n_ref, nt, t));
  return w;
}

// A per-frame quantity's W2 per frame under `key`, its mean after t = 0 under `mean_key` and its
// last frame under "<key>_final" (what the direct map generates; comparable across both targets).
void frame_quantity(const std::vector<double>& g, int64_t n_gen, const std::vector<double>& r, int64_t n_ref, int64_t nt,
                    const std::string& key, const std::string& mean_key, FieldMetrics& out) {
  const std::vector<double> w = per_time_w2(g, n_gen, r, n_ref, nt);
  out.per_time[key] = w;
  out.summary[mean_key] = mean_after_first(w);
  out.summary[key + "_final"] = w.back();
}

// An event time per trajectory (crossing, transition): W2 between the sets' times under `name`
// (with "<name>_se" from the bootstrap), and the generated set's "<event>_mean", "<event>_std"
// and `never_key` (the share of trajectories whose event never came: time 1).
void event_time_metric(const std::string& name, const std::string& event, const std::string& never_key,
                       std::vector<double> gen_times, std::vector<double> ref_times, const FieldMetricOptions& o,
                       FieldMetrics& out) {
  out.summary[name] = w2_1d(gen_times, ref_times);
  if (o.bootstrap > 0)  // a resampled trajectory keeps its event time
    out.summary[name + "_se"] = bootstrap_error(static_cast<int64_t>(gen_times.size()), static_cast<int64_t>(ref_times.size()), o,
                                                [&](const std::vector<int64_t>& ig, const std::vector<int64_t>& ir) {
                                                  return w2_1d(pick(gen_times, ig, 0, 1), pick(ref_times, ir, 0, 1));
                                                });
  const double n = static_cast<double>(gen_times.size());
  double mean = 0, sq = 0, never = 0;
  for (double c : gen_times) mean += c / n, never += (c == 1.0) / n;
  for (double c : gen_times) sq += (c - mean) * (c - mean) / n;
  out.summary[event + "_mean"] = mean;
  out.summary[event + "_std"] = std::sqrt(sq);
  out.summary[never_key] = never;
  out.event_times[event] = std::move(gen_times);
  out.reference_event_times[event] = std::move(ref_times);
}

}  // namespace

int64_t FieldEnsemble::grid_cells(const std::vector<int64_t>& shape) {
  int64_t cells = 1;
  for (int64_t n : shape) cells *= n;
  return cells;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (int64_t n : shape) s += (s.empty() ? "" : "x") + std::to_string(n);
  return s;
}

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

std::vector<uint8_t> edges_mask(const std::vector<int64_t>& shape) {
  return mask_of(shape, [&](const std::vector<int64_t>& index) {
    for (size_t a = 0; a < shape.size(); ++a)
      if (index[a] == 0 || index[a] == shape[a] - 1) return true;
    return false;
  });
}

std::vector<uint8_t> corner_mask(const std::vector<int64_t>& shape, int64_t k) {
  if (k < 1 || k > *std::min_element(shape.begin(), shape.end()))
    usage_error("corner mask of " + std::to_string(k) + " cells does not fit a " + shape_text(shape) + " grid");
  return mask_of(shape, [&](const std::vector<int64_t>& index) {
    for (size_t a = 0; a < shape.size(); ++a)
      if (index[a] < shape[a] - k) return false;
    return true;
  });
}

double normalised_time(const std::vector<double>& time, int64_t t) {
  const double span = time.back() - time.front();
  return span > 0 ? (time[t] - time.front()) / span : 0.0;
}

std::vector<double> integrated_mass(const FieldEnsemble& e) {
  return per_frame(e, [](float u) { return std::abs(double(u)); });
}

std::vector<double> field_energy(const FieldEnsemble& e) {
  return per_frame(e, [](float u) { return double(u) * u; });
}

std::vector<double> spatial_mean(const FieldEnsemble& e) {
  return per_frame(e, [](float u) { return double(u); });
}

std::vector<double> crossing_times(const FieldEnsemble& e, const std::vector<double>& time,
                                   const std::vector<uint8_t>& mask, double threshold) {
  SLIFT_ASSERT(static_cast<int64_t>(time.size()) == e.n_time, "one saved time per frame");
  SLIFT_ASSERT(static_cast<int64_t>(mask.size()) == e.cells(), "mask and grid differ");
  const int64_t cells = e.cells();
  std::vector<double> out(e.n, 1.0);
  for (int64_t i = 0; i < e.n; ++i)
    for (int64_t t = 0; t < e.n_time && out[i] == 1.0; ++t) {
      const float* f = e.frame(i, t);
      for (int64_t c = 0; c < cells; ++c)
        if (mask[c] && f[c] > threshold) {
          out[i] = normalised_time(time, t);
          break;
        }
    }
  return out;
}

std::vector<double> transition_times(const FieldEnsemble& e, const std::vector<double>& time, double threshold) {
  SLIFT_ASSERT(static_cast<int64_t>(time.size()) == e.n_time, "one saved time per frame");
  const std::vector<double> mean = spatial_mean(e);
  std::vector<double> out(e.n, 1.0);
  for (int64_t i = 0; i < e.n; ++i) {
    const double* m = mean.data() + i * e.n_time;
    const double start = m[0] > 0 ? 1.0 : (m[0] < 0 ? -1.0 : 0.0);  // 0: no opposite sign
    for (int64_t t = 1; t < e.n_time && start != 0; ++t)
      if (-start * m[t] >= threshold) {
        out[i] = normalised_time(time, t);
        break;
      }
  }
  return out;
}

double mass_step_correlation(const FieldEnsemble& e) { return step_correlation(integrated_mass(e), e.n, e.n_time); }

std::vector<int64_t> point_cell(const std::vector<double>& fractions, const std::vector<int64_t>& shape) {
  SLIFT_ASSERT(fractions.size() == shape.size(), "one fraction per axis");
  std::vector<int64_t> cell(shape.size());
  for (size_t a = 0; a < shape.size(); ++a)
    cell[a] = std::min<int64_t>(shape[a] - 1, static_cast<int64_t>(std::floor(fractions[a] * shape[a])));
  return cell;
}

FieldMetrics compare_fields(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions& o) {
  if (gen.n_time != ref.n_time || gen.shape != ref.shape)
    usage_error("field ensembles differ in shape: " + std::to_string(gen.n_time) + "x" + shape_text(gen.shape) + " vs " +
                std::to_string(ref.n_time) + "x" + shape_text(ref.shape));
  const auto& metrics = registered<FieldMetricFn>();
  FieldMetrics m;
  for (const auto& [name, metric] : metrics)
    if (o.metrics.empty() ? metric.info.by_default : std::count(o.metrics.begin(), o.metrics.end(), name) > 0)
      metric.compute(gen, ref, o, m);
  return m;
}

namespace {

// A per-frame quantity's W2 per frame (`key`), its mean after t = 0 (`mean_key`) and, with the
// bootstrap, that mean's standard error (`mean_key`_se): a resampled trajectory keeps its values.
void frame_quantity_with_error(const std::vector<double>& gen_q, int64_t n_gen, const std::vector<double>& ref_q,
                               int64_t n_ref, int64_t nt, const std::string& key, const std::string& mean_key,
                               const FieldMetricOptions& o, FieldMetrics& out) {
  frame_quantity(gen_q, n_gen, ref_q, n_ref, nt, key, mean_key, out);
  if (o.bootstrap > 0)
    out.summary[mean_key + "_se"] = bootstrap_error(n_gen, n_ref, o, [&](const std::vector<int64_t>& ig, const std::vector<int64_t>& ir) {
      std::vector<double> w(nt);
      for (int64_t t = 0; t < nt; ++t) w[t] = w2_1d(pick(gen_q, ig, t, nt), pick(ref_q, ir, t, nt));
      return mean_after_first(w);
    });
}

// WIM: the W2 of the integrated mass (mean |u|) per frame, its mean after t = 0 and its error.
void integrated_mass_metric(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions& o, FieldMetrics& out) {
  frame_quantity_with_error(integrated_mass(gen), gen.n, integrated_mass(ref), ref.n, gen.n_time, "w2_mass", "wim", o, out);
}
SLIFT_REGISTER_FIELD_METRIC(wim, integrated_mass_metric, [](MetricInfo& m) {
  m.headline = true;
  m.rows = {"w2_mass_final"};
});

// WSM: the W2 of the spatial mean (mean u, signed: which well a metastable field is in) per frame,
// its mean after t = 0 and its error.
void spatial_mean_metric(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions& o, FieldMetrics& out) {
  frame_quantity_with_error(spatial_mean(gen), gen.n, spatial_mean(ref), ref.n, gen.n_time, "w2_spatial_mean", "wsm", o, out);
}
SLIFT_REGISTER_FIELD_METRIC(wsm, spatial_mean_metric, [](MetricInfo& m) {
  m.by_default = false;
  m.rows = {"w2_spatial_mean_final"};
});

void energy_metric(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions&, FieldMetrics& out) {
  frame_quantity(field_energy(gen), gen.n, field_energy(ref), ref.n, gen.n_time, "w2_energy", "w2_energy_mean", out);
}
SLIFT_REGISTER_FIELD_METRIC(w2_energy_mean, energy_metric, [](MetricInfo&) {});

// W2 of each point's value per frame ("w2_point<k>") and their mean over the points.
void points_metric(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions& o, FieldMetrics& out) {
  if (o.points.empty()) return;
  const int64_t nt = gen.n_time;
  std::vector<double> points_mean(nt, 0.0);
  for (size_t k = 0; k < o.points.size(); ++k) {
    const std::vector<int64_t>& p = o.points[k];
    SLIFT_ASSERT(p.size() == gen.shape.size(), "one index per axis");
    int64_t cell = 0;
    for (size_t a = 0; a < p.size(); ++a) {
      SLIFT_ASSERT(p[a] >= 0 && p[a] < gen.shape[a], "point outside the grid");
      cell = cell * gen.shape[a] + p[a];
    }
    auto value = [&](const FieldEnsemble& e) {
      std::vector<double> v(e.n * nt);
      for (int64_t i = 0; i < e.n; ++i)
        for (int64_t t = 0; t < nt; ++t) v[i * nt + t] = e.frame(i, t)[cell];
      return v;
    };
    const std::vector<double> w = per_time_w2(value(gen), gen.n, value(ref), ref.n, nt);
    for (int64_t t = 0; t < nt; ++t) points_mean[t] += w[t] / o.points.size();
    out.per_time["w2_point" + std::to_string(k)] = w;
  }
  out.per_time["w2_points"] = points_mean;
  out.summary["w2_points_mean"] = mean_after_first(points_mean);
  out.summary["w2_points_final"] = points_mean.back();
}
SLIFT_REGISTER_FIELD_METRIC(w2_points_mean, points_metric, [](MetricInfo&) {});

// WCT: W2 of the crossing times of the mask.
void crossing_time_metric(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions& o, FieldMetrics& out) {
  event_time_metric("wct", "crossing", "never_crossed", crossing_times(gen, o.time, o.mask, o.threshold),
                    crossing_times(ref, o.time, o.mask, o.threshold), o, out);
}
SLIFT_REGISTER_FIELD_METRIC(wct, crossing_time_metric, [](MetricInfo& m) {
  m.headline = true;
  m.rows = {"crossing_mean", "crossing_std", "never_crossed"};
  m.window_keys = {"wct", "crossing_mean", "crossing_std", "never_crossed"};
  m.event = "crossing";
});

// WTT: W2 of the transition times of the spatial mean (metastable fields: Allen-Cahn).
void transition_time_metric(const FieldEnsemble& gen, const FieldEnsemble& ref, const FieldMetricOptions& o, FieldMetrics& out) {
  event_time_metric("wtt", "transition", "never_transitioned", transition_times(gen, o.time, o.settings.transition_threshold),
                    transition_times(ref, o.time, o.settings.transition_threshold), o, out);
}
SLIFT_REGISTER_FIELD_METRIC(wtt, transition_time_metric, [](MetricInfo& m) {
  m.by_default = false;
  m.rows = {"transition_mean", "transition_std", "never_transitioned"};
  m.window_keys = {"wtt", "transition_mean", "transition_std", "never_transitioned"};
  m.event = "transition";
});

void step_correlation_metric(const FieldEnsemble& gen, const FieldEnsemble&, const FieldMetricOptions&, FieldMetrics& out) {
  if (const double c = mass_step_correlation(gen); !std::isnan(c)) out.summary["mass_step_correlation"] = c;
}
SLIFT_REGISTER_FIELD_METRIC(mass_step_correlation, step_correlation_metric, [](MetricInfo&) {});

}  // namespace

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
