#include "pipeline/orchestration/experiment_stages.hpp"

#include <omp.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "learner/conditioning.hpp"
#include "pipeline/analysis/evaluate.hpp"
#include "pipeline/analysis/records.hpp"
#include "pipeline/analysis/report.hpp"
#include "pipeline/orchestration/learn_stages.hpp"
#include "simulators/ensemble.hpp"

namespace slift::pipeline {

sim::EnsembleStats simulate_split(const Experiment& e, const std::string& split, const std::string& path) {
  if (!e.system) usage_error(e.config.file() + ": the data come from files (section `data`): nothing to simulate");
  mpi::ensure_initialized();  // only here: an up-to-date `slift run` never pays for MPI start-up
  sim::EnsembleOptions o;
  o.n_traj = static_cast<uint64_t>(split_size(e, split));
  o.seed = split_seed(e.seed, split);
  o.block = static_cast<uint64_t>(e.simulate.block);
  o.compress = e.simulate.compress;
  o.config_yaml = e.config.resolved_yaml();
  o.params_hash = sha256(config::canonical(e.simulate_params) + "|seed=" + std::to_string(o.seed) +
                         "|n=" + std::to_string(o.n_traj));
  o.label = "simulate " + split;
  sim::EnsembleStats st = sim::run_ensemble(*e.system, o, path);
  log::info("wrote " + path + ": " + std::to_string(o.n_traj) + " trajectories (" + std::to_string(st.computed) +
            " computed) in " + log::format_duration(st.seconds) + " on " + std::to_string(mpi::size()) + " rank(s)");
  return st;
}

namespace {

// All splits, then the solver's cost per trajectory beside the data (rank 0 writes it), for the
// throughput comparison of evaluate (pipeline/analysis/throughput.hpp). Not in the HDF5 files:
// those are byte-identical for any rank count, timings are not.
void simulate_all(const Experiment& e) {
  nlohmann::json splits = nlohmann::json::object();
  double seconds = 0;
  uint64_t computed = 0;
  for (const auto& s : kSplits) {
    const sim::EnsembleStats st = simulate_split(e, s, data_path(e, s));
    splits[s] = {{"seconds", st.seconds}, {"computed", st.computed}};
    seconds += st.seconds, computed += st.computed;
  }
  if (mpi::rank() != 0) return;
  SimulateRecord r{{mpi::size(), omp_get_max_threads(), splits, std::nullopt}};
  if (computed > 0) r.seconds_per_trajectory = seconds / static_cast<double>(computed);
  r.write(e.data_dir + "/simulate.json");
}

// A section as a stage hashes it: without the keys the learner says do not count (those a model
// does not read, and those that came after runs existed while at their defaults).
std::string stage_params(const YAML::Node& section, const std::vector<std::string>& unhashed) {
  YAML::Node p = YAML::Clone(section);
  for (const auto& key : unhashed) p.remove(key);
  return config::canonical(p);
}

}  // namespace

static std::vector<std::string> with(std::vector<std::string> v, const std::string& s) {
  v.push_back(s);
  return v;
}

std::vector<Stage> experiment_stages(const Experiment& e, const StageLayout& L) {
  const std::string seed = "|seed=" + std::to_string(e.seed);
  auto path = [&](const std::string& rel) { return L.run_prefix + rel; };
  auto name = [&](const std::string& n) { return L.run_prefix + n; };
  // Data from files (section `data`): no simulate stage; the files are the stages' inputs, so
  // an edit of one reruns what reads it.
  const bool external = !e.data_files.empty();
  auto data = [&](const std::string& split) { return external ? e.data_files.at(split) : L.data_rel + "/" + split + ".h5"; };
  std::vector<Stage> stages;
  std::vector<std::string> simulate_outputs;  // the data, and the solver's timing
  for (const auto& s : kSplits) simulate_outputs.push_back(data(s));
  std::vector<std::string> simulated;  // stages after simulate
  if (!external) {
    simulate_outputs.push_back(L.data_rel + "/simulate.json");
    stages.push_back({L.simulate_name, 1, config::canonical(e.simulate_params) + seed, {}, simulate_outputs, {},
                      [&e] { simulate_all(e); }, true});
    simulated.push_back(L.simulate_name);
  }

  std::vector<std::string> model_files, sample_stages, sample_files;
  // The learned field, when data.state_field names it (unset: the hashes of earlier runs stay).
  const std::string field = (e.train.state_field.empty() ? "" : "|state_field=" + e.train.state_field) +
                            learner::conditioning_identity(e.train.condition_on);
  for (const auto& m : e.train.models) {
    std::vector<std::string> outs{path("models/" + m + ".pt"), path("models/" + m + ".json")};
    const std::string params = stage_params(e.train_params, learner::unhashed_train_keys(e.train, m));
    stages.push_back({name("train:" + m), 1, params + "|model=" + m + field + seed, {data("train")}, outs, simulated,
                      [&e, m] { train_stage(e, m); }, /*collective=*/true, static_cast<int>(e.train.ranks)});
    model_files.insert(model_files.end(), outs.begin(), outs.end());
  }
  const std::string sample_params = stage_params(e.sample_params, learner::unhashed_sample_keys(e.sample));
  for (const auto& set : sample_sets(e)) {
    std::vector<std::string> outs{path("samples/" + set.name + ".h5"), path("samples/" + set.name + ".json")};
    stages.push_back({name("sample:" + set.name), 1, sample_params + "|k=" + std::to_string(set.ardm_steps) + seed,
                      {path("models/" + set.model + ".pt"), data("test")}, outs, with(simulated, name("train:" + set.model)),
                      [&e, set] { sample_stage(e, set); }});
    sample_stages.push_back(name("sample:" + set.name));
    sample_files.insert(sample_files.end(), outs.begin(), outs.end());
  }

  std::vector<std::string> eval_inputs = simulate_outputs;
  eval_inputs.insert(eval_inputs.end(), model_files.begin(), model_files.end());
  eval_inputs.insert(eval_inputs.end(), sample_files.begin(), sample_files.end());
  std::vector<std::string> eval_after = sample_stages;
  eval_after.insert(eval_after.end(), simulated.begin(), simulated.end());
  for (const auto& m : e.train.models) eval_after.push_back(name("train:" + m));
  const std::string evaluate_params = stage_params(e.evaluate_params, metrics::unhashed_evaluate_keys(e.evaluate));
  stages.push_back({name("evaluate"), 3, evaluate_params + seed, eval_inputs, {path("metrics.json")},
                    eval_after, [&e] { evaluate_stage(e); }});

  std::vector<std::string> report_inputs{path("metrics.json"), data("train"), data("test")};
  for (const auto& set : sample_sets(e)) report_inputs.push_back(path("samples/" + set.name + ".h5"));
  stages.push_back({name("report"), 2, e.name, report_inputs, {path("report/index.html")}, {name("evaluate")},
                    [&e] { report_stage(e); }});
  return stages;
}

}  // namespace slift::pipeline
