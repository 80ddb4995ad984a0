// The evaluate stage for "states" datasets (Duffing): W2 per component and sliced W2 of every
// generated set and of the two floors against the test set, and the conditional check, written
// to metrics.json (docs/metrics.md); registered as the data kind "states".
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/dataset.hpp"
#include "metrics/trajectory_metrics.hpp"
#include "metrics/wasserstein.hpp"
#include "pipeline/analysis/data_kind.hpp"
#include "pipeline/analysis/evaluate.hpp"
#include "pipeline/analysis/report/states_report.hpp"
#include "pipeline/learner_plugin.hpp"

namespace slift::pipeline {
namespace {

metrics::Ensemble load_states(const std::string& path) {
  DatasetReader r(path, "states");
  ArraySpec s = r.spec("states");
  metrics::Ensemble e;
  e.data = r.read("states");
  e.n = static_cast<int64_t>(r.n_traj());
  e.n_time = static_cast<int64_t>(s.shape[0]);
  e.dim = static_cast<int64_t>(s.shape[1]);
  e.names = r.header().state_names;
  return e;
}

// A non-finite value: in a data split, a bad input file (exit code 2, as training and sampling
// refuse it); in a generated set, the model's failure (exit code 1).
metrics::Ensemble load_data_states(const std::string& path) {
  metrics::Ensemble e = load_states(path);
  metrics::require_finite_input(e.data, e.n_time, e.dim, path);
  return e;
}

metrics::Ensemble load_generated_states(const std::string& path) {
  metrics::Ensemble e = load_states(path);
  metrics::require_finite(e.data, e.n_time, e.dim, path);
  return e;
}

nlohmann::json to_json(const metrics::StateMetrics& m) {
  nlohmann::json j = m.summary;
  j["per_time"] = m.per_time;
  return j;
}

// Conditional check: at fixed states of the test set, the model's one-step samples against the
// simulator's, beside two independent simulator batches (what sampling noise alone gives).
nlohmann::json conditional_check(const Experiment& e, const metrics::Ensemble& test, const std::vector<SampleSet>& sets,
                                 const std::string& run_dir) {
  const int64_t n_states = std::min<int64_t>(e.evaluate.conditional_states, test.n);
  const int64_t n = e.evaluate.conditional_samples;
  const int64_t t_index = test.n_time / 2;  // mid-trajectory: far from the initial law
  const int dim = static_cast<int>(test.dim);
  const int proj = static_cast<int>(e.evaluate.sliced_projections);
  DatasetReader test_reader(data_path(e, "test"), "states");
  const double t = test_reader.header().time[t_index];
  nlohmann::json out = {{"time", t}, {"samples", n}, {"states", nlohmann::json::array()}};
  std::vector<std::vector<float>> states;
  for (int64_t i = 0; i < n_states; ++i) {
    std::vector<float> s(dim);
    for (int k = 0; k < dim; ++k) s[k] = static_cast<float>(test.at(i, t_index, k));
    states.push_back(s);
    out["states"].push_back(s);
  }
  auto to_double = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
  std::vector<double> floor;
  std::vector<std::vector<double>> truth;
  for (int64_t i = 0; i < n_states; ++i) {
    auto a = e.system->next_state_samples(states[i], t, n, split_seed(e.seed, "conditional.a") + i);
    auto b = e.system->next_state_samples(states[i], t, n, split_seed(e.seed, "conditional.b") + i);
    if (a.empty()) return nlohmann::json();  // this system cannot restart from a state
    truth.push_back(to_double(a));
    floor.push_back(metrics::sliced_w2(truth.back(), to_double(b), dim, proj, e.seed));
  }
  out["simulator_floor"] = floor;
  for (const auto& set : sets) {
    if (set.ardm_steps > 0) continue;  // one-step check of the one-step models
    std::vector<float> flat;
    for (const auto& s : states) flat.insert(flat.end(), s.begin(), s.end());
    std::vector<float> gen = one_step_model_samples(run_dir + "/models/" + set.model + ".pt", flat, n_states, n,
                                                    split_seed(e.seed, "conditional." + set.name));
    std::vector<double> w;
    for (int64_t i = 0; i < n_states; ++i) {
      std::vector<double> g(gen.begin() + i * n * dim, gen.begin() + (i + 1) * n * dim);
      w.push_back(metrics::sliced_w2(g, truth[i], dim, proj, e.seed));
    }
    out[set.name] = w;
  }
  return out;
}

void evaluate_states(const Experiment& e) {
  const int proj = static_cast<int>(e.evaluate.sliced_projections);
  metrics::Ensemble train = load_data_states(data_path(e, "train")), test = load_data_states(data_path(e, "test")),
                    floor = load_data_states(data_path(e, "floor"));
  RunMetrics m;
  m["dataset"] = e.system->header().dataset_name;
  m["n_test"] = test.n;
  const std::vector<std::string> chosen = metrics::selected_metrics("states", e.evaluate);
  m["sampling_floor"] = to_json(metrics::compare_states(floor, test, proj, e.seed, chosen));
  m["data_floor"] = to_json(metrics::compare_states(train, test, proj, e.seed, chosen));
  SetEvaluation how;
  how.nfe_key = "nfe_per_step";
  how.headline = metrics::headline_metrics("states", e.evaluate);
  how.compare = [&](const SampleSet& set) {
    metrics::Ensemble gen = load_generated_states(e.output_dir + "/samples/" + set.name + ".h5");
    nlohmann::json j = to_json(metrics::compare_states(gen, test, proj, e.seed, chosen));
    j["n_generated"] = gen.n;
    return j;
  };
  evaluate_sets(e, m, how);
  if (e.evaluate.conditional_states > 0) {
    nlohmann::json c = conditional_check(e, test, sample_sets(e), e.output_dir);
    if (!c.is_null()) m["conditional"] = c;
  }
  m.write(e.output_dir);
}

SLIFT_REGISTER_DATA_KIND(states, evaluate_states, report::states_report);

}  // namespace

}  // namespace slift::pipeline
