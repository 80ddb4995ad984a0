// Flags every subcommand shares, and the registration of each subcommand.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/experiment.hpp"
#include "pipeline/orchestration/stage.hpp"
#include "pipeline/orchestration/sweep.hpp"

namespace slift::pipeline {

struct CommonFlags {
  std::string config;
  std::vector<std::string> overrides;  // --set key.path=value
  int threads = 0;                     // 0: leave the default (all cores / OMP_NUM_THREADS)
  bool quiet = false, verbose = false;
};

// Adds CONFIG, --set, --threads, --quiet, --verbose to a subcommand.
void add_common(CLI::App* cmd, CommonFlags& flags, bool config_required = true);
// Applies --threads / --quiet / --verbose; call first in every command.
void apply_common(const CommonFlags& flags);

// The stage graph of a config, a sweep's or a single experiment's, loaded with every config check
// before any work or write. Built in place: the stages refer to the experiments and the sweep.
struct LoadedRun {
  LoadedRun(const std::string& file, const std::vector<std::string>& overrides);
  LoadedRun(const LoadedRun&) = delete;
  LoadedRun& operator=(const LoadedRun&) = delete;
  std::vector<const Experiment*> experiments() const;  // the single one, or every run of the sweep

  std::unique_ptr<Experiment> single;  // null for a sweep
  Sweep sweep;
  std::vector<Stage> stages;
  std::string run_dir, name;
};

// Each subcommand registers itself on the top-level app.
void add_simulate(CLI::App& app);
void add_inspect(CLI::App& app);
void add_export_well(CLI::App& app);
void add_export(CLI::App& app);
void add_train(CLI::App& app);
void add_sample(CLI::App& app);
void add_evaluate(CLI::App& app);
void add_run(CLI::App& app);
void add_submit(CLI::App& app);
void add_train_ranks(CLI::App& app);  // hidden: the ranks of a training with train.ranks > 1

}  // namespace slift::pipeline
