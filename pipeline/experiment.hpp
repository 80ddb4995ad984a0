// An experiment config, read in one place: top-level keys and every section, each checked
// strictly before any command does work (a typo in `train` fails `slift simulate` too, so
// nothing is written from a config that cannot run to the end).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "learner/options.hpp"
#include "metrics/evaluate_options.hpp"
#include "simulators/system.hpp"

namespace slift::pipeline {

struct SimulateOptions {
  int64_t n_train = 200, n_test = 1000, n_floor = 0;  // n_floor 0: same as n_test
  int64_t block = 64;                                 // trajectories per checkpoint block
  bool compress = false;
  double data_bytes = 0;  // the data sets' size (float32, uncompressed), checked against max_data_gb
  double core_seconds = 0;  // the solver's estimated time on one core, checked against max_core_hours
};

struct Experiment {
  config::Config config;
  std::string name;
  uint64_t seed = 0;
  std::string output_dir;
  std::string data_dir;  // <output_dir>/data; a sweep's runs: the one they share (load_sweep)
  SimulateOptions simulate;
  std::unique_ptr<sim::System> system;  // null when the data come from files (section `data`)
  // Section `data` instead of `simulate`: split -> an existing field data set in The Well's
  // format (absolute path), e.g. from The Well or written by h5py; no simulate stage then.
  std::map<std::string, std::string> data_files;
  learner::TrainOptions train;
  learner::SampleOptions sample;
  metrics::EvaluateOptions evaluate;
  // Resolved sections (values after defaults and overrides), for stage hashes and provenance.
  YAML::Node simulate_params, train_params, sample_params, evaluate_params;
};

// output_dir of a run or a sweep: it holds locks and outputs, so never "" (they would go to the
// filesystem root) nor a root itself.
config::Check<std::string> run_directory();
// name of a run or a sweep: it becomes a directory (runs/<name>), a SLURM job name and the
// report's title, so letters, digits and . _ + - only (a newline would be a command in a job script).
config::Check<std::string> run_name();

Experiment load_experiment(const std::string& file, const std::vector<std::string>& overrides);
// The same from a config already read (overrides applied): a config is read once, so that it
// may come from a pipe.
Experiment load_experiment(config::Config config);

// The data splits and their seeds: independent streams derived from the experiment seed.
extern const std::vector<std::string> kSplits;  // "train", "test", "floor"
uint64_t split_seed(uint64_t seed, const std::string& split);
int64_t split_size(const Experiment& e, const std::string& split);
// <data_dir>/<split>.h5, or the file the `data` section names.
std::string data_path(const Experiment& e, const std::string& split);

// Generated sets: one per model, ARDM once per sampling step count ("ardm_k40").
struct SampleSet {
  std::string name, model;
  int64_t ardm_steps = 0;
};
std::vector<SampleSet> sample_sets(const Experiment& e);

}  // namespace slift::pipeline
