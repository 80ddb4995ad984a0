// Metrics between two ensembles of 2-D field trajectories (kind "fields": wave, flow), as the
// paper computes them (appendix D.5): integrated mass (WIM), crossing time (WCT), and per-frame
// W2 of point values and of the field energy; plus the memorisation check (appendix C).
// All of them act on normalised fields (see FieldNormalisation) so that thresholds and values
// mean the same for every system.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace slift::metrics {

// n trajectories x n_time frames x nx x ny, row-major float32 as stored in the datasets.
struct FieldEnsemble {
  std::vector<float> data;
  int64_t n = 0, n_time = 0, nx = 0, ny = 0;
  int64_t cells() const { return nx * ny; }
  const float* frame(int64_t traj, int64_t t) const { return data.data() + (traj * n_time + t) * cells(); }
};

// The affine map u -> (u - offset) * scale onto the paper's range: fields that take negative
// values (wave) go to [-1, 1] by max |u|; non-negative fields (flow saturation) to [0, 1] by
// min-max. Fitted once on the reference set and applied to every set, so all share one map.
struct FieldNormalisation {
  double offset = 0, scale = 1;
  bool signed_range = false;  // true: [-1, 1]; false: [0, 1]
};
FieldNormalisation fit_normalisation(const FieldEnsemble& reference);
void normalise(FieldEnsemble& e, const FieldNormalisation& norm);

// Cell masks (nx x ny, 1 = in the mask). Edges: the four domain edges. Corner: the k x k cells
// with the largest indices on both axes (lower right when the first axis is drawn downwards, as
// in the report: the corner opposite the flow's default injector in cell (0, 0)).
std::vector<uint8_t> edges_mask(int64_t nx, int64_t ny);
std::vector<uint8_t> corner_mask(int64_t nx, int64_t ny, int64_t k);

// Integrated mass of every frame: mean |u| over the grid; n x n_time, row-major.
std::vector<double> integrated_mass(const FieldEnsemble& e);
// Field energy of every frame: mean u^2 over the grid; n x n_time, row-major.
std::vector<double> field_energy(const FieldEnsemble& e);
// Crossing time of every trajectory: the first saved time, normalised to [0, 1] over the saved
// window, at which any mask cell exceeds `threshold` (a signed comparison); 1 if never.
std::vector<double> crossing_times(const FieldEnsemble& e, const std::vector<double>& time,
                                   const std::vector<uint8_t>& mask, double threshold);

// How persistent a set's trajectories are: the correlation, across trajectories, between
// consecutive increments of the integrated mass, m(t+1) - m(t) against m(t) - m(t-1), averaged
// over the frames where both vary. Near 1 when each trajectory keeps its own course (a wave in
// its fixed medium); near 0 when every step draws fresh noise. NaN when no frame qualifies.
double mass_step_correlation(const FieldEnsemble& e);

struct FieldMetricOptions {
  std::vector<double> time;                       // saved times (length n_time)
  std::vector<uint8_t> mask;                      // crossing mask (nx x ny)
  double threshold = 0.05;                        // crossing threshold on normalised values
  std::vector<std::pair<int64_t, int64_t>> points;  // (i, j) cells compared per frame
  // Standard errors of WCT and WIM: their spread over `bootstrap` resamples (with replacement) of
  // both ensembles' trajectories, drawn from the project RNG keyed by `seed`. 0: none.
  int64_t bootstrap = 0;
  uint64_t seed = 0;
};
// Grid cell of a point given as fractions of the grid: floor(f n), clamped to the last cell.
std::pair<int64_t, int64_t> point_cell(double fx, double fy, int64_t nx, int64_t ny);

struct FieldMetrics {
  // Per frame: "w2_mass", "w2_energy", "w2_point<k>" and "w2_points" (mean over the points).
  std::map<std::string, std::vector<double>> per_time;
  // "wim" (w2_mass averaged over frames after t = 0, where every set starts from the test set's
  // own initial frame), "wct", "w2_energy_mean", "w2_points_mean", and the crossing-time
  // "crossing_mean", "crossing_std", "never_crossed" (share of trajectories) of the set; with
  // bootstrap > 0 also "wct_se" and "wim_se"; and "mass_step_correlation" of the set (see
  // mass_step_correlation), absent when no frame's increments vary.
  std::map<std::string, double> summary;
  std::vector<double> crossing_times;  // of the generated set
};
// Both ensembles normalised already, same frames and grid.
FieldMetrics compare_fields(const FieldEnsemble& generated, const FieldEnsemble& reference, const FieldMetricOptions& o);

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
