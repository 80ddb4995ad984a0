// Flags every subcommand shares, and the registration of each subcommand.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

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

// Each subcommand registers itself on the top-level app.
void add_simulate(CLI::App& app);
void add_inspect(CLI::App& app);
void add_export_well(CLI::App& app);
void add_train(CLI::App& app);
void add_sample(CLI::App& app);
void add_evaluate(CLI::App& app);
void add_run(CLI::App& app);
void add_submit(CLI::App& app);
void add_train_ranks(CLI::App& app);  // hidden: the ranks of a training with train.ranks > 1

}  // namespace slift::pipeline
