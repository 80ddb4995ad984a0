#include "pipeline/analysis/evaluate_fields.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "metrics/wasserstein.hpp"
#include "pipeline/analysis/data_kind.hpp"
#include "pipeline/analysis/evaluate.hpp"
#include "pipeline/analysis/report/fields_report.hpp"

namespace slift::pipeline {
namespace {

nlohmann::json to_json(const metrics::FieldMetrics& m, bool final_frame_only) {
  nlohmann::json j = m.summary;
  // Two frames carry no event time: every trajectory would cross "at the end" or never.
  if (final_frame_only)
    for (const auto& [name, info] : metrics::metric_infos("fields"))
      for (const auto& key : info.window_keys) j.erase(key);
  j["per_time"] = m.per_time;
  for (const auto& [event, times] : m.event_times) j[event + "_times"] = times;
  return j;
}

nlohmann::json distances_json(const std::vector<double>& d) {
  return {{"q05", metrics::quantile(d, 0.05)}, {"q50", metrics::quantile(d, 0.5)}, {"q95", metrics::quantile(d, 0.95)},
          {"distances", d}};
}

// Memorisation of a set: its nearest-training distances, and their median over the training
// set's own (leave-one-out) median: near 0 means copies of training frames, near the sampling
// floor's ratio means fresh samples.
nlohmann::json memorisation_json(const metrics::FieldEnsemble& set, const metrics::FieldEnsemble& train, double train_median) {
  nlohmann::json j = distances_json(metrics::nearest_final_frame_distances(set, train, false));
  j["median_ratio"] = j["q50"].get<double>() / std::max(1e-300, train_median);
  return j;
}

// The crossing mask from the options and the boundaries of the axes (auto: edges where every
// axis is periodic, as the wave reaches the domain's edge; otherwise the corner of the last cells,
// the flow's producer side).
std::vector<uint8_t> crossing_mask(const Experiment& e, const DatasetHeader& h, const std::vector<int64_t>& shape,
                                   nlohmann::json& info) {
  std::string mask = e.evaluate.crossing_mask;
  if (mask == "auto") mask = metrics::auto_crossing_mask(axis_boundaries(h));
  info["mask"] = mask;
  if (mask == "edges") return metrics::edges_mask(shape);
  const int64_t smallest = *std::min_element(shape.begin(), shape.end());
  int64_t k = e.evaluate.corner_size > 0 ? e.evaluate.corner_size : std::max<int64_t>(1, smallest / 8);
  info["corner_size"] = k;
  return metrics::corner_mask(shape, k);
}

// The cells of evaluate.points: one fraction per axis of the grid for each point.
std::vector<std::vector<int64_t>> point_cells(const std::vector<double>& fractions, const std::vector<int64_t>& shape) {
  const size_t d = shape.size();
  if (const auto why = metrics::points_problem(fractions, d)) usage_error("evaluate.points: " + *why);
  std::vector<std::vector<int64_t>> cells;
  for (size_t k = 0; k < fractions.size(); k += d)
    cells.push_back(metrics::point_cell(std::vector<double>(fractions.begin() + k, fractions.begin() + k + d), shape));
  return cells;
}

}  // namespace

metrics::FieldEnsemble first_and_last_frames(const metrics::FieldEnsemble& e) {
  metrics::FieldEnsemble r = e;
  r.n_time = 2;
  r.data.resize(static_cast<size_t>(e.n * 2 * e.cells()));
  for (int64_t i = 0; i < e.n; ++i)
    for (int64_t t : {int64_t(0), e.n_time - 1}) {
      const float* src = e.frame(i, t);
      std::copy(src, src + e.cells(), r.data.data() + (i * 2 + (t > 0)) * e.cells());
    }
  return r;
}

namespace {
metrics::FieldEnsemble read_fields(const std::string& path, const std::string& state_field) {
  DatasetReader r(path, "fields");
  std::string array = r.state_field(state_field);
  ArraySpec s = r.spec(array);
  if (s.shape.size() < 2 || s.shape.size() > 4)
    usage_error(path + ": " + array + " is not (n_traj, n_time, n_1, ..., n_d) on a grid of 1 to 3 axes");
  metrics::FieldEnsemble e;
  e.data = r.read(array);
  e.n = static_cast<int64_t>(r.n_traj());
  e.n_time = static_cast<int64_t>(s.shape[0]);
  e.shape.assign(s.shape.begin() + 1, s.shape.end());
  return e;
}
}  // namespace

metrics::FieldEnsemble load_field_ensemble(const std::string& path) {
  metrics::FieldEnsemble e = read_fields(path, "");
  metrics::require_finite(e.data, e.n_time, e.cells(), path);
  return e;
}

metrics::FieldEnsemble load_data_split(const Experiment& e, const std::string& split) {
  const std::string path = data_path(e, split);
  metrics::FieldEnsemble set = read_fields(path, e.train.state_field);
  metrics::require_finite_input(set.data, set.n_time, set.cells(), path);
  return set;
}

void evaluate_fields(const Experiment& e) {
  const std::string dir = e.output_dir;
  DatasetReader test_reader(data_path(e, "test"), "fields");
  const DatasetHeader& header = test_reader.header();
  metrics::FieldEnsemble test = load_data_split(e, "test"), train = load_data_split(e, "train"),
                         floor = load_data_split(e, "floor");
  // One normalisation for every set, fitted on the reference.
  const metrics::FieldNormalisation norm = metrics::fit_normalisation(test);
  for (auto* set : {&test, &train, &floor}) metrics::normalise(*set, norm);
  // The direct map (train.target final) generates the last frame only: every set is compared on
  // frame 0 and the last frame (WIM is then the final frame's W2 of the mass; no crossing time).
  const bool direct = e.train.target == "final";
  std::vector<double> time = header.time;
  if (direct) {
    for (auto* set : {&test, &train, &floor}) *set = first_and_last_frames(*set);
    time = {time.front(), time.back()};
  }

  RunMetrics j;
  j["dataset"] = header.dataset_name;
  j["n_test"] = test.n;
  j["field"] = test_reader.state_field(e.train.state_field);
  j["normalisation"] = {{"offset", norm.offset}, {"scale", norm.scale}, {"range", norm.signed_range ? "[-1, 1]" : "[0, 1]"}};
  j["time"] = time;
  j["final_frame_only"] = direct;

  metrics::FieldMetricOptions o;
  o.time = time;
  o.threshold = e.evaluate.crossing_threshold;
  o.bootstrap = e.evaluate.bootstrap;
  o.seed = e.seed;
  o.metrics = metrics::selected_metrics("fields", e.evaluate);
  o.settings = e.evaluate;
  j["crossing"] = {{"threshold", o.threshold}};
  o.mask = crossing_mask(e, header, test.shape, j["crossing"]);
  o.points = point_cells(e.evaluate.points, test.shape);
  j["points"] = o.points;

  const metrics::FieldMetrics sampling_floor = metrics::compare_fields(floor, test, o);
  for (const auto& [event, times] : sampling_floor.reference_event_times) j[event]["reference_times"] = times;
  j["sampling_floor"] = to_json(sampling_floor, direct);
  j["data_floor"] = to_json(metrics::compare_fields(train, test, o), direct);
  const std::vector<double> train_to_train = metrics::nearest_final_frame_distances(train, train, true);
  j["memorisation_train"] = distances_json(train_to_train);
  const double train_median = j["memorisation_train"]["q50"].get<double>();
  j["sampling_floor"]["memorisation"] = memorisation_json(floor, train, train_median);

  SetEvaluation how;
  how.nfe_key = "nfe_per_frame";  // a frame is a step
  how.headline = metrics::headline_metrics("fields", e.evaluate);
  how.compare = [&](const SampleSet& set) {
    metrics::FieldEnsemble gen = load_field_ensemble(dir + "/samples/" + set.name + ".h5");
    metrics::normalise(gen, norm);
    nlohmann::json m = to_json(metrics::compare_fields(gen, test, o), direct);
    m["n_generated"] = gen.n;
    m["memorisation"] = memorisation_json(gen, train, train_median);
    return m;
  };
  evaluate_sets(e, j, how);
  j.write(dir);
}

SLIFT_REGISTER_DATA_KIND(fields, evaluate_fields, report::fields_report);

}  // namespace slift::pipeline
