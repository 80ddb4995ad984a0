#include "metrics/trajectory_metrics.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "metrics/wasserstein.hpp"

namespace slift::metrics {

std::vector<double> Ensemble::component(int64_t t, int64_t k) const {
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = at(i, t, k);
  return out;
}

std::vector<double> Ensemble::points(int64_t t) const {
  std::vector<double> out(n * dim);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < dim; ++k) out[i * dim + k] = at(i, t, k);
  return out;
}

std::string component_name(const std::vector<std::string>& names, int64_t k) {
  return k < static_cast<int64_t>(names.size()) ? names[k] : std::to_string(k);
}

StateMetrics compare_states(const Ensemble& gen, const Ensemble& ref, int n_projections, uint64_t seed,
                            const std::vector<std::string>& names) {
  if (gen.n_time != ref.n_time || gen.dim != ref.dim)
    usage_error("ensembles differ in shape: " + std::to_string(gen.n_time) + "x" + std::to_string(gen.dim) + " vs " +
                std::to_string(ref.n_time) + "x" + std::to_string(ref.dim));
  StateMetrics m;
  for (const auto& [name, metric] : registered<StateMetricFn>())
    if (names.empty() ? metric.info.by_default : std::count(names.begin(), names.end(), name) > 0)
      metric.compute(gen, ref, n_projections, seed, m);
  return m;
}

namespace {

// The mean of a per-time metric over the saved times after t = 0, where every ensemble starts
// from the same law.
double mean_after_first(const std::vector<double>& v) {
  return v.size() > 1 ? std::accumulate(v.begin() + 1, v.end(), 0.0) / (v.size() - 1) : v[0];
}

// W2 of each component per time ("w2_<name>", its mean "w2_<name>_mean"), and "w2_mean": the
// mean of the per-component means.
void component_w2_metric(const Ensemble& gen, const Ensemble& ref, int, uint64_t, StateMetrics& out) {
  double w2 = 0;
  for (int64_t k = 0; k < gen.dim; ++k) {
    const std::string key = "w2_" + component_name(ref.names, k);
    std::vector<double>& v = out.per_time[key];
    for (int64_t t = 0; t < gen.n_time; ++t) v.push_back(w2_1d(gen.component(t, k), ref.component(t, k)));
    w2 += out.summary[key + "_mean"] = mean_after_first(v);
  }
  out.summary["w2_mean"] = w2 / gen.dim;
}
SLIFT_REGISTER_STATE_METRIC(w2_mean, component_w2_metric, [](MetricInfo& m) {
  m.headline = true;
  m.rows = {"w2_*_mean"};  // one row per component
});

// Sliced W2 of the states per time and its mean.
void sliced_w2_metric(const Ensemble& gen, const Ensemble& ref, int n_projections, uint64_t seed, StateMetrics& out) {
  std::vector<double>& v = out.per_time["sliced_w2"];
  for (int64_t t = 0; t < gen.n_time; ++t)
    v.push_back(sliced_w2(gen.points(t), ref.points(t), gen.dim, n_projections, seed + t));
  out.summary["sliced_w2_mean"] = mean_after_first(v);
}
SLIFT_REGISTER_STATE_METRIC(sliced_w2_mean, sliced_w2_metric, [](MetricInfo&) {});

}  // namespace

}  // namespace slift::metrics
