#include "pipeline/evaluate.hpp"

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "learner/metrics/trajectory_metrics.hpp"
#include "learner/metrics/wasserstein.hpp"
#include "pipeline/evaluate_fields.hpp"
#include "pipeline/experiment_stages.hpp"
#include "pipeline/json_file.hpp"
#include "pipeline/learn_stages.hpp"
#include "pipeline/throughput.hpp"

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
  const std::string dir = e.output_dir;
  const int proj = static_cast<int>(e.evaluate.sliced_projections);
  metrics::Ensemble train = load_states(data_path(e, "train")), test = load_states(data_path(e, "test")),
                    floor = load_states(data_path(e, "floor"));
  nlohmann::json j;
  j["dataset"] = e.system->header().dataset_name;
  j["n_test"] = test.n;
  j["sampling_floor"] = to_json(metrics::compare_states(floor, test, proj, e.seed));
  j["data_floor"] = to_json(metrics::compare_states(train, test, proj, e.seed));
  auto sets = sample_sets(e);
  for (const auto& set : sets) {
    metrics::Ensemble gen = load_states(dir + "/samples/" + set.name + ".h5");
    nlohmann::json m = to_json(metrics::compare_states(gen, test, proj, e.seed));
    m["n_generated"] = gen.n;
    m.update(recorded_facts(e, set, "nfe_per_step"));
    j[set.name] = m;
    log::info("  " + set.name + ": w2_mean " + std::to_string(m["w2_mean"].get<double>()) + " (data floor " +
              std::to_string(j["data_floor"]["w2_mean"].get<double>()) + ", sampling floor " +
              std::to_string(j["sampling_floor"]["w2_mean"].get<double>()) + ")");
  }
  if (j.contains("sl") && j.contains("deterministic")) {
    j["interpolation_ratio"] = j["sl"]["final_train_loss"].get<double>() /
                               std::max(1e-300, j["deterministic"]["final_train_loss"].get<double>());
    log::info("  interpolation ratio (SL loss / label-free loss): " + std::to_string(j["interpolation_ratio"].get<double>()));
  }
  j["throughput"] = throughput(e);
  if (e.evaluate.conditional_states > 0) {
    nlohmann::json c = conditional_check(e, test, sets, dir);
    if (!c.is_null()) j["conditional"] = c;
  }
  write_file_atomic(dir + "/metrics.json", j.dump(2) + "\n");
}

}  // namespace

nlohmann::json recorded_facts(const Experiment& e, const SampleSet& set, const std::string& nfe_key) {
  const nlohmann::json trained = read_json(e.output_dir + "/models/" + set.model + ".json");
  const nlohmann::json sampled = read_json(e.output_dir + "/samples/" + set.name + ".json");
  nlohmann::json facts = {{"final_train_loss", trained["final_loss"]},
                           {"label_gradient_norm", trained.value("label_gradient_norm", 0.0)},
                           {"seconds_per_trajectory", sampled["seconds_per_trajectory"]},
                           {nfe_key, sampled["nfe_per_step"]}};
  if (trained.contains("warning") && trained["warning"].is_string()) facts["training_warning"] = trained["warning"];
  return facts;
}

void evaluate_stage(const Experiment& e) {
  std::string kind = DatasetReader(data_path(e, "test")).header().kind;
  if (kind == "states") return evaluate_states(e);
  if (kind == "fields") return evaluate_fields(e);
  usage_error("evaluation of '" + kind + "' datasets is not available in this version yet");
}

}  // namespace slift::pipeline
