#include "metrics/trajectory_metrics.hpp"

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

StateMetrics compare_states(const Ensemble& gen, const Ensemble& ref, int n_projections, uint64_t seed) {
  if (gen.n_time != ref.n_time || gen.dim != ref.dim)
    usage_error("ensembles differ in shape: " + std::to_string(gen.n_time) + "x" + std::to_string(gen.dim) + " vs " +
                std::to_string(ref.n_time) + "x" + std::to_string(ref.dim));
  StateMetrics m;
  std::vector<std::string> keys;
  for (int64_t k = 0; k < gen.dim; ++k) {
    std::string key = "w2_" + component_name(ref.names, k);
    keys.push_back(key);
    for (int64_t t = 0; t < gen.n_time; ++t) m.per_time[key].push_back(w2_1d(gen.component(t, k), ref.component(t, k)));
  }
  for (int64_t t = 0; t < gen.n_time; ++t)
    m.per_time["sliced_w2"].push_back(sliced_w2(gen.points(t), ref.points(t), gen.dim, n_projections, seed + t));
  for (const auto& [key, v] : m.per_time) {
    double mean = gen.n_time > 1 ? std::accumulate(v.begin() + 1, v.end(), 0.0) / (gen.n_time - 1) : v[0];
    m.summary[key + "_mean"] = mean;
  }
  double w2 = 0;
  for (const auto& k : keys) w2 += m.summary[k + "_mean"];
  m.summary["w2_mean"] = w2 / keys.size();
  return m;
}

}  // namespace slift::metrics
