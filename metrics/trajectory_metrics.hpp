// Metrics between two ensembles of low-dimensional trajectories (kind "states"), per saved time
// and averaged over time: the numbers `slift evaluate` reports for every model and floor.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "metrics/registry.hpp"

namespace slift::metrics {

// An ensemble: n trajectories x n_time x dim, row-major float32 as stored in the datasets.
struct Ensemble {
  std::vector<float> data;
  int64_t n = 0, n_time = 0, dim = 0;
  std::vector<std::string> names;  // component names, e.g. {"x", "v"}
  double at(int64_t traj, int64_t t, int64_t k) const { return data[(traj * n_time + t) * dim + k]; }
  std::vector<double> component(int64_t t, int64_t k) const;  // all trajectories at time t
  std::vector<double> points(int64_t t) const;                // n x dim at time t
};

struct StateMetrics {
  // Per time: "w2_<name>" for each component and "sliced_w2"; each also averaged over time
  // (saved times after t = 0, where every ensemble starts from the same law) as "<key>_mean",
  // plus "w2_mean": the mean of the per-component means.
  std::map<std::string, std::vector<double>> per_time;
  std::map<std::string, double> summary;
};

// The name of component k in metric keys and reports: its state name, or its index when the file
// has no state_names (the format allows that).
std::string component_name(const std::vector<std::string>& names, int64_t k);

// Every metric of `metrics` (empty: those of every data set) between the two ensembles; sliced W2
// with n_projections directions keyed by seed.
StateMetrics compare_states(const Ensemble& generated, const Ensemble& reference, int n_projections, uint64_t seed,
                            const std::vector<std::string>& metrics = {});

// A state metric's function (registered with SLIFT_REGISTER_STATE_METRIC): adds its values to out.
using StateMetricFn = std::function<void(const Ensemble& generated, const Ensemble& reference, int n_projections,
                                         uint64_t seed, StateMetrics& out)>;

}  // namespace slift::metrics

// Registers a state metric `name` computed by `fn` (a StateMetricFn); the last argument sets the
// rest of its MetricInfo (see SLIFT_REGISTER_FIELD_METRIC).
#define SLIFT_REGISTER_STATE_METRIC(name, fn, ...)                                                           \
  static const ::slift::metrics::MetricRegistration<::slift::metrics::StateMetricFn> slift_state_metric_##name( \
      ::slift::metrics::metric_info(#name, "states", __VA_ARGS__), fn)
