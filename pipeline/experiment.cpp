#include "pipeline/experiment.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/machine.hpp"
#include "core/rng.hpp"
#include "learner/conditioning.hpp"
#include "metrics/registry.hpp"
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

std::string gb_text(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g GB", bytes / 1e9);
  return buf;
}

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
  double trajectories = 0;
  for (const auto& s : kSplits) trajectories += static_cast<double>(split_size(e, s));
  e.simulate.data_bytes = per_trajectory * trajectories;
  if (per_trajectory * trajectories > max_data_gb * 1e9)
    sim.fail("max_data_gb", "the data sets would take " + gb_text(per_trajectory * trajectories) + " (" +
                                std::to_string(static_cast<int64_t>(trajectories)) + " trajectories of " + gb_text(per_trajectory) +
                                "), above the budget of " + gb_text(max_data_gb * 1e9) + "; raise it with --set if meant");
  const double block = per_trajectory * static_cast<double>(e.simulate.block);
  if (block > machine::memory_bytes() / 4.0)
    sim.fail("block", "one block of " + std::to_string(e.simulate.block) + " trajectories takes " + gb_text(block) +
                          ", more than a quarter of this machine's " + gb_text(static_cast<double>(machine::memory_bytes())));
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

std::vector<std::string> boundary_types(const std::vector<BoundaryCondition>& bcs) {
  std::vector<std::string> types;
  for (const auto& b : bcs) types.push_back(b.bc_type);
  return types;
}

// Boundary conditions by axis, e.g. "x PERIODIC, y WALL" (whatever the files call them).
std::string boundaries_text(const std::vector<BoundaryCondition>& bcs) {
  std::vector<std::string> parts;
  for (const auto& b : bcs) {
    std::string axes;
    for (const auto& d : b.associated_dims) axes += (axes.empty() ? "" : "+") + d;
    parts.push_back(axes + " " + b.bc_type);
  }
  std::sort(parts.begin(), parts.end());
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : ", ") + p;
  return text.empty() ? "no boundary conditions" : text;
}

// What a model trained on one split and evaluated on another takes for granted, as text per
// property: the splits must agree on all of it.
std::vector<std::pair<std::string, std::string>> data_identity(const DatasetReader& r, const std::string& array) {
  const DatasetHeader& h = r.header();
  std::string grid;
  for (const auto& a : h.axes) {
    const std::vector<double>& v = a.coordinates;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s: %zu points from %.6g to %.6g", a.name.c_str(), v.size(), v.empty() ? 0.0 : v.front(),
                  v.empty() ? 0.0 : v.back());
    grid += (grid.empty() ? "" : ", ") + std::string(buf);
  }
  char step[48];
  std::snprintf(step, sizeof step, "%.6g", uniform_time_step(h.time));
  return {{"data set name", "'" + h.dataset_name + "'"},
          {"field", array},
          {"grid", grid},
          {"frames", std::to_string(h.time.size())},
          {"time step", step},
          {"boundaries", boundaries_text(h.boundary_conditions)}};
}

// data.condition_on: every name a static field of the split's file that the model can take as an
// input channel (learner::static_field_array), else one line naming the key and why.
void check_condition_on(const config::Section& data, const std::vector<std::string>& names, const DatasetReader& r,
                        const std::string& file, const std::string& array) {
  for (const auto& name : names) {
    if (std::count(names.begin(), names.end(), name) > 1) data.fail("condition_on", "'" + name + "' is named twice");
    try {
      learner::static_field_array(r, file, name, array);
    } catch (const Error& err) {
      data.fail("condition_on", err.what());
    }
  }
}

// Whether the array is one of the static fields a model is conditioned on.
bool conditioned(const std::vector<std::string>& names, const std::string& array) {
  return std::find(names.begin(), names.end(), array.substr(array.find('/') + 1)) != names.end() &&
         array.rfind("t0_fields/", 0) == 0;
}

// Section `data`: the three splits' files, read from their headers in one pass before any work.
// Each must be a field data set whose learned field, time axis and size can be used as they
// are; together they must agree on everything a model trained on one and evaluated on another
// assumes. Returns the boundary conditions they share.
std::vector<BoundaryCondition> load_data(Experiment& e, config::Section data) {
  e.train.state_field = data.get<std::string>("state_field", "");
  e.train.condition_on = data.get<std::vector<std::string>>("condition_on", {});
  const double max_data_gb = data.get("max_data_gb", 64.0, config::positive());
  std::vector<std::pair<std::string, std::string>> reference;  // the training file's identity
  std::vector<BoundaryCondition> boundaries;
  double bytes = 0;
  for (const auto& split : kSplits) {
    const std::string file = data.required<std::string>(split);
    if (!std::filesystem::is_regular_file(file)) data.fail(split, "no such file: " + file);
    std::unique_ptr<DatasetReader> reader;
    try {
      reader = std::make_unique<DatasetReader>(file);
    } catch (const Error& err) {
      data.fail(split, err.what());
    }
    const DatasetReader& r = *reader;
    const DatasetHeader& h = r.header();
    if (h.kind != "fields") data.fail(split, file + " is not a field data set (The Well's format)");
    std::string array;
    try {
      array = r.state_field(e.train.state_field);
    } catch (const Error& err) {  // none of its fields can be the state
      data.fail(e.train.state_field.empty() ? split : "state_field", err.what());
    }
    const ArraySpec spec = r.spec(array);
    if (spec.shape.size() != h.axes.size() + 1)  // the time axis, then one per spatial axis of the header
      data.fail(split, file + ": '" + array + "' is not (n_traj, n_time) and one size per spatial axis (" +
                           std::to_string(h.axes.size()) + ")");
    if (h.time.size() < 2) data.fail(split, file + ": one saved time; learning needs at least two frames");
    if (uniform_time_step(h.time) == 0)
      data.fail(split, file + ": the time axis is " + time_steps_text(h.time) + "; slift learns a step of one size");
    // Sizes from the header, before anything is read: a small file can declare terabytes.
    bytes += 4.0 * static_cast<double>(r.n_traj()) * static_cast<double>(spec.shape[0] * spec.shape[1] * spec.shape[2]);
    if (bytes > max_data_gb * 1e9)
      data.fail("max_data_gb", "the data sets declare " + gb_text(bytes) + " or more, above the budget of " +
                                   gb_text(max_data_gb * 1e9) + "; raise it with --set if meant");
    if (const std::string missing = r.unwritten(array); !missing.empty()) data.fail(split, file + ": " + missing);
    if (split != "floor") check_condition_on(data, e.train.condition_on, r, file, array);  // read by training and sampling
    const auto identity = data_identity(r, array);
    if (split == "train") {
      reference = identity;
      boundaries = h.boundary_conditions;
      for (const auto& a : r.array_paths())
        if (a != array && !conditioned(e.train.condition_on, a))
          log::warn("data.train: " + file + ": '" + a + "' is " + (r.spec(a).time_varying ? "a time-varying" : "a static") +
                    " field that slift ignores (it learns " + array + " alone" +
                    (r.spec(a).time_varying ? ")" : "; data.condition_on makes a static field an input of the models)"));
    }
    for (size_t k = 0; k < identity.size(); ++k)
      if (identity[k].second != reference[k].second)
        data.fail(split, file + " and " + e.data_files.at("train") + " differ in " + identity[k].first + " (" +
                             identity[k].second + " against " + reference[k].second + ")");
    e.data_files[split] = std::filesystem::absolute(file).lexically_normal().string();
  }
  e.simulate.data_bytes = bytes;
  data.finish();
  e.simulate_params = data.resolved();
  e.simulate_params.remove("max_data_gb");  // a budget, not a property of the data
  // Unset, the key is left out of the data's identity: runs from before it existed stay done.
  if (e.train.state_field.empty()) e.simulate_params.remove("state_field");
  if (e.train.condition_on.empty()) e.simulate_params.remove("condition_on");
  return boundaries;
}

// What the evaluate section names must exist for the data: its metrics for the data's kind, its
// points on the data's grid. Refused here, before any stage runs.
void check_evaluate(const Experiment& e, config::Section& evaluate) {
  const DatasetHeader h = e.system ? e.system->header() : DatasetReader(e.data_files.at("train")).header();
  if (const auto why = metrics::unknown_metric(h.kind, e.evaluate.headline)) evaluate.fail("headline", *why);
  if (const auto why = metrics::unknown_metric(h.kind, e.evaluate.metrics)) evaluate.fail("metrics", *why);
  if (const auto why = metrics::points_problem(e.evaluate.points, h.axes.size())) evaluate.fail("points", *why);
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

  std::vector<BoundaryCondition> data_boundaries;  // section `data`: those of its files
  if (root.has("data")) {
    if (root.has("simulate")) root.fail("data", "give either `simulate` (a solver) or `data` (files), not both");
    data_boundaries = load_data(e, root.section("data"));
  } else {
    load_simulate(e, root.section("simulate"));
  }

  config::Section train = root.section("train");
  const learner::TrainOptions from_data = e.train;  // section `data` names the field and the conditioning, not `train`
  e.train = learner::parse_train(train);
  e.train.state_field = from_data.state_field;
  e.train.condition_on = from_data.condition_on;
  check_network_memory(e, train);
  e.train_params = train.resolved();
  config::Section sample = root.section("sample");
  e.sample = learner::parse_sample(sample);
  e.sample_params = sample.resolved();
  config::Section evaluate = root.section("evaluate");
  e.evaluate = metrics::parse_evaluate(evaluate);
  check_evaluate(e, evaluate);
  check_evaluate_memory(e, evaluate);
  if (!e.data_files.empty() && e.evaluate.crossing_mask == "auto" &&
      metrics::auto_crossing_mask(boundary_types(data_boundaries)) == "corner")
    evaluate.fail("crossing_mask", "`auto` takes the lower-right corner, slift's flow's producer, for data that are not "
                                   "periodic along every axis, and " + e.data_files.at("train") + " has " + boundaries_text(data_boundaries) +
                                   "; say which cells a crossing reaches: corner (with corner_size) or edges");
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
