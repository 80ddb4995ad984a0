#include "pipeline/experiment.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/machine.hpp"
#include "core/rng.hpp"
#include "pipeline/estimate.hpp"

namespace slift::pipeline {

const std::vector<std::string> kSplits{"train", "test", "floor"};

config::Check<std::string> run_directory() {
  return [](const std::string& dir) -> std::optional<std::string> {
    const std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
    if (dir.empty() || p == p.root_path()) return "must name a directory below the filesystem root, got '" + dir + "'";
    // What is there already must be a directory (or nothing yet): a file, a link loop or a file
    // on the way is named here, not met as a filesystem error in the middle of a stage.
    std::error_code ec;
    const std::filesystem::file_status st = std::filesystem::status(p, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) return "'" + dir + "' cannot be a directory: " + ec.message();
    if (std::filesystem::exists(st) && !std::filesystem::is_directory(st)) return "'" + dir + "' exists and is not a directory";
    return std::nullopt;
  };
}

config::Check<std::string> run_name() {
  return [](const std::string& name) -> std::optional<std::string> {
    const auto safe = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-'; };
    if (name.empty() || name.size() > 200 || !std::isalnum(static_cast<unsigned char>(name.front())) ||
        !std::all_of(name.begin(), name.end(), safe))
      return "must be 1 to 200 letters, digits, '.', '_', '+' or '-', starting with a letter or digit (it names the run "
             "directory and the SLURM jobs)";
    return std::nullopt;
  };
}

namespace {

// Sizes have a range before anything runs: the data sets within the stated budget (raised
// knowingly with --set simulate.max_data_gb=...), one block within a quarter of the memory (rank
// 0 gathers a whole block).
void check_data_size(Experiment& e, config::Section& sim, double max_data_gb) {
  double per_trajectory = 0;
  for (const auto& a : e.system->arrays()) {
    double n = 4;  // float32
    for (auto d : a.shape) n *= static_cast<double>(d);
    per_trajectory += n;
  }
  const auto gb = [](double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g GB", bytes / 1e9);
    return std::string(buf);
  };
  double trajectories = 0;
  for (const auto& s : kSplits) trajectories += static_cast<double>(split_size(e, s));
  e.simulate.data_bytes = per_trajectory * trajectories;
  if (per_trajectory * trajectories > max_data_gb * 1e9)
    sim.fail("max_data_gb", "the data sets would take " + gb(per_trajectory * trajectories) + " (" +
                                std::to_string(static_cast<int64_t>(trajectories)) + " trajectories of " + gb(per_trajectory) +
                                "), above the budget of " + gb(max_data_gb * 1e9) + "; raise it with --set if meant");
  const double block = per_trajectory * static_cast<double>(e.simulate.block);
  if (block > machine::memory_bytes() / 4.0)
    sim.fail("block", "one block of " + std::to_string(e.simulate.block) + " trajectories takes " + gb(block) +
                          ", more than a quarter of this machine's " + gb(static_cast<double>(machine::memory_bytes())));
}

// The solver's run time has a range too: a parameter that explodes the step count (a wave speed
// of 1e6, a flow end time of 1e9) is refused before it runs for weeks (pipeline/estimate.hpp).
void check_run_time(Experiment& e, config::Section& sim, double max_core_hours) {
  double trajectories = 0;
  for (const auto& s : kSplits) trajectories += static_cast<double>(split_size(e, s));
  const double per_trajectory = e.system->core_seconds_per_trajectory();
  e.simulate.core_seconds = per_trajectory * trajectories;
  if (e.simulate.core_seconds > max_core_hours * 3600) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "the solver would take about %.3g core-hours (%.0f trajectories of %.3g s on one core, a rough "
                  "estimate), above the budget of %g; check the step counts, or raise it with --set if meant",
                  e.simulate.core_seconds / 3600, trajectories, per_trajectory, max_core_hours);
    sim.fail("max_core_hours", text);
  }
}

void load_simulate(Experiment& e, config::Section sim) {
  e.simulate.n_train = sim.get("n_train", e.simulate.n_train, config::at_least(1));
  e.simulate.n_test = sim.get("n_test", e.simulate.n_test, config::at_least(1));
  e.simulate.n_floor = sim.get("n_floor", e.simulate.n_floor, config::at_least(0));
  e.simulate.block = sim.get("block", e.simulate.block, config::at_least(1));
  e.simulate.compress = sim.get("compress", e.simulate.compress);
  e.system = sim::make_system(sim);
  const double max_data_gb = sim.get("max_data_gb", 64.0, config::positive());
  check_data_size(e, sim, max_data_gb);
  check_run_time(e, sim, sim.get("max_core_hours", 1000.0, config::positive()));
  sim.finish();
  e.simulate_params = sim.resolved();
  e.simulate_params.remove("max_data_gb");  // budgets, not parameters of the data
  e.simulate_params.remove("max_core_hours");
  for (const auto& key : e.system->unhashed_keys()) e.simulate_params.remove(key);
}
}  // namespace

Experiment load_experiment(const std::string& file, const std::vector<std::string>& overrides) {
  return load_experiment(config::Config::load(file, overrides));
}

Experiment load_experiment(config::Config config) {
  Experiment e;
  e.config = std::move(config);
  config::Section root = e.config.root();
  // Top-level typos first: `simulat:` must not surface as "simulate.system is missing".
  root.expect_only({"name", "seed", "output_dir", "simulate", "data", "train", "sample", "evaluate"});
  e.name = root.required<std::string>("name", run_name());
  e.seed = static_cast<uint64_t>(root.get<int64_t>("seed", 0, config::at_least(0)));
  e.output_dir = root.get<std::string>("output_dir", "runs/" + e.name, run_directory());
  e.data_dir = e.output_dir + "/data";

  if (root.has("data")) {
    if (root.has("simulate")) root.fail("data", "give either `simulate` (a solver) or `data` (files), not both");
    config::Section data = root.section("data");
    for (const auto& split : kSplits) {
      const std::string file = data.required<std::string>(split);
      if (!std::filesystem::is_regular_file(file)) data.fail(split, "no such file: " + file);
      if (DatasetReader(file).header().kind != "fields")
        data.fail(split, file + " is not a field data set (The Well's format)");
      e.data_files[split] = std::filesystem::absolute(file).lexically_normal().string();
    }
    data.finish();
    e.simulate_params = data.resolved();
  } else {
    load_simulate(e, root.section("simulate"));
  }

  config::Section train = root.section("train");
  e.train = learner::parse_train(train);
  check_network_memory(e, train);
  e.train_params = train.resolved();
  config::Section sample = root.section("sample");
  e.sample = learner::parse_sample(sample);
  e.sample_params = sample.resolved();
  config::Section evaluate = root.section("evaluate");
  e.evaluate = learner::parse_evaluate(evaluate);
  check_evaluate_memory(e, evaluate);
  e.evaluate_params = evaluate.resolved();
  root.finish();
  return e;
}

uint64_t split_seed(uint64_t seed, const std::string& split) {
  Rng r(seed, 0, purpose_id("split." + split));
  return r.next_u64() >> 1;  // keep it positive in signed readers
}

int64_t split_size(const Experiment& e, const std::string& split) {
  if (split == "train") return e.simulate.n_train;
  if (split == "test") return e.simulate.n_test;
  return e.simulate.n_floor > 0 ? e.simulate.n_floor : e.simulate.n_test;
}

std::string data_path(const Experiment& e, const std::string& split) {
  if (!e.data_files.empty()) return e.data_files.at(split);
  return e.data_dir + "/" + split + ".h5";
}

std::vector<SampleSet> sample_sets(const Experiment& e) {
  std::vector<SampleSet> sets;
  for (const auto& m : e.train.models) {
    if (learner::model_kind(m).diffusion)
      for (auto k : e.sample.ardm_steps) sets.push_back({m + "_k" + std::to_string(k), m, k});
    else
      sets.push_back({m, m, 0});
  }
  return sets;
}

}  // namespace slift::pipeline
