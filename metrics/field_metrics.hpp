// Metrics between two ensembles of field trajectories on grids of 1, 2 or 3 dimensions (kind
// "fields": wave, flow, Allen-Cahn), as the paper computes them (appendix D.5): integrated mass
// (WIM), crossing time (WCT), and per-frame W2 of point values and of the field energy; the
// transition time (WTT) of metastable fields; plus the memorisation check (appendix C).
// All of them act on normalised fields (see FieldNormalisation) so that thresholds and values
// mean the same for every system. Each metric is registered (metrics/registry.hpp) beside its
// function in field_metrics.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "metrics/evaluate_options.hpp"
#include "metrics/registry.hpp"

namespace slift::metrics {

// n trajectories x n_time frames x the grid (shape: cells per axis, 1 to 3 axes), row-major
// float32 as stored in the datasets.
struct FieldEnsemble {
  std::vector<float> data;
  int64_t n = 0, n_time = 0;
  std::vector<int64_t> shape;
  int64_t cells() const { return grid_cells(shape); }
  const float* frame(int64_t traj, int64_t t) const { return data.data() + (traj * n_time + t) * cells(); }
  static int64_t grid_cells(const std::vector<int64_t>& shape);
};
// The shape as text, e.g. "32x32".
std::string shape_text(const std::vector<int64_t>& shape);

// The affine map u -> (u - offset) * scale onto the paper's range: fields that take negative
// values (wave) go to [-1, 1] by max |u|; non-negative fields (flow saturation) to [0, 1] by
// min-max. Fitted once on the reference set and applied to every set, so all share one map.
struct FieldNormalisation {
  double offset = 0, scale = 1;
  bool signed_range = false;  // true: [-1, 1]; false: [0, 1]
};
FieldNormalisation fit_normalisation(const FieldEnsemble& reference);
void normalise(FieldEnsemble& e, const FieldNormalisation& norm);

// Cell masks over a grid (1 = in the mask). Edges: the cells on any face of the box (both ends
// of a 1-D grid, the four edges of a 2-D one). Corner: the last k cells along every axis (lower
// right of a 2-D grid when the first axis is drawn downwards, as in the report: the corner
// opposite the flow's default injector in cell (0, 0)).
std::vector<uint8_t> edges_mask(const std::vector<int64_t>& shape);
std::vector<uint8_t> corner_mask(const std::vector<int64_t>& shape, int64_t k);

// Saved time t of `time` normalised to [0, 1] over the window (0 for a window of one time): the
// scale of the event times below.
double normalised_time(const std::vector<double>& time, int64_t t);
// Integrated mass of every frame: mean |u| over the grid; n x n_time, row-major.
std::vector<double> integrated_mass(const FieldEnsemble& e);
// Field energy of every frame: mean u^2 over the grid; n x n_time, row-major.
std::vector<double> field_energy(const FieldEnsemble& e);
// Spatial mean of every frame: mean u over the grid; n x n_time, row-major.
std::vector<double> spatial_mean(const FieldEnsemble& e);
// Crossing time of every trajectory: the first saved time, normalised to [0, 1] over the saved
// window, at which any mask cell exceeds `threshold` (a signed comparison); 1 if never.
std::vector<double> crossing_times(const FieldEnsemble& e, const std::vector<double>& time,
                                   const std::vector<uint8_t>& mask, double threshold);

// Transition time of every trajectory: the first saved time, normalised to [0, 1] over the saved
// window, at which the spatial mean of the field has the sign opposite to its value at t = 0 and
// magnitude at least `threshold`; 1 if never (and for a trajectory whose mean starts at 0).
std::vector<double> transition_times(const FieldEnsemble& e, const std::vector<double>& time, double threshold);

// How persistent a set's trajectories are: the correlation, across trajectories, between
// consecutive increments of the integrated mass, m(t+1) - m(t) against m(t) - m(t-1), averaged
// over the frames where both vary. Near 1 when each trajectory keeps its own course (a wave in
// its fixed medium); near 0 when every step draws fresh noise. NaN when no frame qualifies.
double mass_step_correlation(const FieldEnsemble& e);

struct FieldMetricOptions {
  std::vector<double> time;                       // saved times (length n_time)
  std::vector<uint8_t> mask;                      // crossing mask (one value per cell)
  double threshold = 0.05;                        // crossing threshold on normalised values
  std::vector<std::vector<int64_t>> points;       // cells compared per frame, one index per axis
  std::vector<std::string> metrics;               // the metrics computed; empty: those of every data set
  // Standard errors of WCT and WIM: their spread over `bootstrap` resamples (with replacement) of
  // both ensembles' trajectories, drawn from the project RNG keyed by `seed`. 0: none.
  int64_t bootstrap = 0;
  uint64_t seed = 0;
  EvaluateOptions settings;  // the evaluate section, for the settings of the metrics that have one
};
// Grid cell of a point given as fractions of the grid, one per axis: floor(f n), clamped to the
// last cell.
std::vector<int64_t> point_cell(const std::vector<double>& fractions, const std::vector<int64_t>& shape);

struct FieldMetrics {
  // Per frame: "w2_mass", "w2_energy", "w2_point<k>" and "w2_points" (mean over the points).
  std::map<std::string, std::vector<double>> per_time;
  // "wim" (w2_mass averaged over frames after t = 0, where every set starts from the test set's
  // own initial frame) and "w2_mass_final", "wct", "w2_energy_mean" and "_final",
  // "w2_points_mean" and "_final", and the crossing-time "crossing_mean", "crossing_std",
  // "never_crossed" (share of trajectories) of the set; with bootstrap > 0 also "wct_se" and
  // "wim_se"; and "mass_step_correlation" of the set (see mass_step_correlation), absent when no
  // frame's increments vary. Where asked: "wtt", "wtt_se", "transition_mean", "transition_std",
  // "never_transitioned".
  std::map<std::string, double> summary;
  // Per-trajectory event times by event ("crossing", "transition"): of the generated set, and of
  // the reference.
  std::map<std::string, std::vector<double>> event_times, reference_event_times;
};
// Both ensembles normalised already, same frames and grid: every metric of o.metrics.
FieldMetrics compare_fields(const FieldEnsemble& generated, const FieldEnsemble& reference, const FieldMetricOptions& o);

// A field metric's function (registered with SLIFT_REGISTER_FIELD_METRIC): adds its values to out.
using FieldMetricFn = std::function<void(const FieldEnsemble& generated, const FieldEnsemble& reference,
                                         const FieldMetricOptions& o, FieldMetrics& out)>;

// Memorisation check: RMS distance from each final frame of `from` to its nearest final frame of
// `train`. Generated sets against the training set are compared with the training set against
// itself (exclude_self: each frame skips its own index): a model that copies its training data
// sits far below the training-to-training distances, fresh samples do not.
std::vector<double> nearest_final_frame_distances(const FieldEnsemble& from, const FieldEnsemble& train, bool exclude_self);
// Quantile q in [0, 1] with linear interpolation between order statistics.
double quantile(std::vector<double> v, double q);
// Standard deviation with the n - 1 denominator; at least 2 values.
double sample_standard_deviation(const std::vector<double>& v);

}  // namespace slift::metrics

// Registers a field metric `name` (its key in metrics.json) computed by `fn` (a FieldMetricFn);
// the last argument sets the rest of its MetricInfo: [](MetricInfo& m) { m.headline = true; }.
#define SLIFT_REGISTER_FIELD_METRIC(name, fn, ...)                                                           \
  static const ::slift::metrics::MetricRegistration<::slift::metrics::FieldMetricFn> slift_field_metric_##name( \
      ::slift::metrics::metric_info(#name, "fields", __VA_ARGS__), fn)
